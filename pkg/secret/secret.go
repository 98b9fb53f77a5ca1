// Package secret protects personal data and passwords: AES-256-GCM sealing with a keyed hash for
// lookups (national ID numbers), and argon2id password hashing.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/hkdf"
)

// Sealer encrypts short secrets with AES-256-GCM and computes a keyed hash of them, both from one
// 32-byte master key (sub-keys derived with HKDF so the hash never reveals the encryption key).
type Sealer struct {
	aead    cipher.AEAD
	hashKey []byte
}

// NewSealer returns a Sealer for a 32-byte master key.
func NewSealer(master []byte) (*Sealer, error) {
	if len(master) != 32 {
		return nil, fmt.Errorf("secret: master key must be 32 bytes, got %d", len(master))
	}
	encKey := make([]byte, 32)
	hashKey := make([]byte, 32)
	if _, err := hkdf.New(sha256.New, master, nil, []byte("vanguard/enc")).Read(encKey); err != nil {
		return nil, err
	}
	if _, err := hkdf.New(sha256.New, master, nil, []byte("vanguard/hash")).Read(hashKey); err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead, hashKey: hashKey}, nil
}

// Seal encrypts plain; the result is nonce || ciphertext.
func (s *Sealer) Seal(plain string) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return s.aead.Seal(nonce, nonce, []byte(plain), nil), nil
}

// Open decrypts what Seal produced.
func (s *Sealer) Open(sealed []byte) (string, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return "", errors.New("secret: sealed value too short")
	}
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], nil)
	if err != nil {
		return "", errors.New("secret: cannot open sealed value")
	}
	return string(plain), nil
}

// Hash returns a keyed HMAC-SHA256 of plain in hex, for uniqueness checks without decryption.
func (s *Sealer) Hash(plain string) string {
	m := hmac.New(sha256.New, s.hashKey)
	m.Write([]byte(plain))
	return hex.EncodeToString(m.Sum(nil))
}

// ParseKey decodes a base64 or hex 32-byte key.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) == 32 {
		return b, nil
	}
	if b, err := hex.DecodeString(s); err == nil && len(b) == 32 {
		return b, nil
	}
	return nil, errors.New("secret: key must be 32 bytes, base64 or hex encoded")
}

// LoadOrCreateKey reads a base64 key file, creating it with a random key (mode 0600) if missing.
func LoadOrCreateKey(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err == nil {
		return ParseKey(string(data))
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
		return nil, err
	}
	return key, nil
}

// Argon2Params are argon2id cost settings.
type Argon2Params struct {
	MemoryKiB   uint32
	Iterations  uint32
	Parallelism uint8
}

// DefaultArgon2 follows OWASP's recommended minimum for argon2id (19 MiB, 2 passes, 1 lane).
var DefaultArgon2 = Argon2Params{MemoryKiB: 19 * 1024, Iterations: 2, Parallelism: 1}

// Argon2 hashes passwords with argon2id in the PHC string format, so parameters can change
// without invalidating stored hashes.
type Argon2 struct{ P Argon2Params }

// Hash returns $argon2id$v=19$m=..,t=..,p=..$salt$hash.
func (a Argon2) Hash(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, a.P.Iterations, a.P.MemoryKiB, a.P.Parallelism, 32)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, a.P.MemoryKiB, a.P.Iterations, a.P.Parallelism,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// Verify checks password against a hash made by Hash, in constant time.
func (a Argon2) Verify(password, hash string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return false, errors.New("secret: not an argon2id hash")
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false, fmt.Errorf("secret: bad argon2id parameters: %w", err)
	}
	// A corrupt or hostile stored hash must not crash the server or make it allocate gigabytes.
	if t < 1 || t > 16 || p < 1 || m < 8*uint32(p) || m > 1<<21 {
		return false, errors.New("secret: argon2id parameters out of range")
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false, errors.New("secret: bad argon2id salt")
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(want) < 16 || len(want) > 64 {
		return false, errors.New("secret: bad argon2id hash")
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
