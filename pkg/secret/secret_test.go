package secret_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/hkdf"

	"github.com/vanguard/vanguard/pkg/secret"
)

var (
	keyA = []byte("0123456789abcdef0123456789abcdef")
	keyB = []byte("fedcba9876543210fedcba9876543210")
)

func mustSealer(t *testing.T, key []byte) *secret.Sealer {
	t.Helper()
	s, err := secret.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNewSealerKeyLength(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33, 64} {
		if _, err := secret.NewSealer(make([]byte, n)); err == nil {
			t.Errorf("NewSealer(%d bytes) accepted", n)
		}
	}
	if _, err := secret.NewSealer(make([]byte, 32)); err != nil {
		t.Errorf("NewSealer(32 bytes) = %v", err)
	}
}

func TestSealOpenRoundTrip(t *testing.T) {
	s := mustSealer(t, keyA)
	for _, plain := range []string{"", "11010519491231002X", "张三 \x00 binary", strings.Repeat("长", 5000)} {
		sealed, err := s.Seal(plain)
		if err != nil {
			t.Fatal(err)
		}
		if plain != "" && bytes.Contains(sealed, []byte(plain)) {
			t.Errorf("sealed value contains the plain text %q", plain)
		}
		if want := 12 + len(plain) + 16; len(sealed) != want {
			t.Errorf("len(sealed) = %d, want nonce+plain+tag = %d", len(sealed), want)
		}
		got, err := s.Open(sealed)
		if err != nil || got != plain {
			t.Errorf("Open(Seal(%.20q)) = %.20q, %v", plain, got, err)
		}
		// A second Sealer from the same key opens it too (keys are derived deterministically).
		if got, err := mustSealer(t, keyA).Open(sealed); err != nil || got != plain {
			t.Errorf("fresh sealer: Open = %.20q, %v", got, err)
		}
	}
}

func TestSealIsRandomised(t *testing.T) {
	s := mustSealer(t, keyA)
	a, _ := s.Seal("11010519491231002X")
	b, _ := s.Seal("11010519491231002X")
	if bytes.Equal(a, b) || bytes.Equal(a[:12], b[:12]) {
		t.Error("sealing the same value twice gave the same nonce or ciphertext")
	}
}

func TestOpenDetectsTampering(t *testing.T) {
	s := mustSealer(t, keyA)
	sealed, err := s.Seal("11010519491231002X")
	if err != nil {
		t.Fatal(err)
	}
	// Flip one bit in every position: nonce, ciphertext and tag.
	for i := range sealed {
		bad := bytes.Clone(sealed)
		bad[i] ^= 0x01
		if got, err := s.Open(bad); err == nil {
			t.Fatalf("bit flip at byte %d accepted, opened to %q", i, got)
		}
	}
	tests := map[string][]byte{
		"nil":              nil,
		"shorter than tag": sealed[:12+15],
		"only nonce":       sealed[:12],
		"shorter nonce":    sealed[:5],
		"truncated":        sealed[:len(sealed)-1],
		"extended":         append(bytes.Clone(sealed), 0),
	}
	for name, bad := range tests {
		if _, err := s.Open(bad); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := mustSealer(t, keyB).Open(sealed); err == nil {
		t.Error("a sealer with another key opened the value")
	}
}

func TestHash(t *testing.T) {
	a, b := mustSealer(t, keyA), mustSealer(t, keyA)
	h := a.Hash("11010519491231002X")
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(h) {
		t.Fatalf("Hash = %q, want 64 hex digits", h)
	}
	if b.Hash("11010519491231002X") != h {
		t.Error("Hash is not deterministic across sealers with the same key")
	}
	if a.Hash("11010519491231002x") == h || a.Hash("11010519491231002X ") == h {
		t.Error("different inputs hash the same")
	}
	if mustSealer(t, keyB).Hash("11010519491231002X") == h {
		t.Error("different master keys give the same hash")
	}
	unkeyed := sha256.Sum256([]byte("11010519491231002X"))
	if h == hex.EncodeToString(unkeyed[:]) {
		t.Error("Hash is an unkeyed SHA-256: national IDs could be brute-forced from it")
	}
}

// derive mirrors the documented HKDF-SHA256 derivation of the sub-keys.
func derive(t *testing.T, master []byte, info string) []byte {
	t.Helper()
	out := make([]byte, 32)
	if _, err := hkdf.New(sha256.New, master, nil, []byte(info)).Read(out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestKeySeparation(t *testing.T) {
	s := mustSealer(t, keyA)
	const plain = "11010519491231002X"
	mac := func(key []byte) string {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(plain))
		return hex.EncodeToString(m.Sum(nil))
	}
	encKey, hashKey := derive(t, keyA, "vanguard/enc"), derive(t, keyA, "vanguard/hash")
	if bytes.Equal(encKey, hashKey) {
		t.Fatal("derived keys are equal")
	}
	got := s.Hash(plain)
	if got == mac(keyA) {
		t.Error("Hash uses the master key directly")
	}
	if got == mac(encKey) {
		t.Error("Hash uses the encryption key")
	}
	if got != mac(hashKey) {
		t.Error("Hash is not HMAC-SHA256 under the HKDF(\"vanguard/hash\") sub-key; stored hashes would no longer match")
	}
	// Stored ciphertexts stay readable: AES-256-GCM under HKDF("vanguard/enc"), nonce || ct.
	sealed, err := s.Seal(plain)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := aes.NewCipher(encKey)
	gcm, _ := cipher.NewGCM(block)
	opened, err := gcm.Open(nil, sealed[:12], sealed[12:], nil)
	if err != nil || string(opened) != plain {
		t.Errorf("sealed value is not AES-GCM under the enc sub-key: %q, %v", opened, err)
	}
	masterBlock, _ := aes.NewCipher(keyA)
	masterGCM, _ := cipher.NewGCM(masterBlock)
	if _, err := masterGCM.Open(nil, sealed[:12], sealed[12:], nil); err == nil {
		t.Error("sealed value opens with the raw master key")
	}
}

func TestParseKey(t *testing.T) {
	key := []byte("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\xf0\xf1\xf2\xf3\xf4\xf5\xf6\xf7\xf8\xf9\xfa\xfb\xfc\xfd\xfe\xff")
	tests := []struct {
		name string
		in   string
		want []byte // nil: error expected
	}{
		{"base64", base64.StdEncoding.EncodeToString(key), key},
		{"base64 with newline", base64.StdEncoding.EncodeToString(key) + "\n", key},
		{"hex", hex.EncodeToString(key), key},
		{"upper-case hex with spaces", "  " + strings.ToUpper(hex.EncodeToString(key)) + " \r\n", key},
		{"16-byte base64", base64.StdEncoding.EncodeToString(key[:16]), nil},
		{"16-byte hex", hex.EncodeToString(key[:16]), nil},
		{"33-byte base64", base64.StdEncoding.EncodeToString(append(bytes.Clone(key), 1)), nil},
		{"odd hex", hex.EncodeToString(key)[:63], nil},
		{"garbage", "not a key at all!", nil},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := secret.ParseKey(tt.in)
			if tt.want == nil {
				if err == nil {
					t.Fatalf("ParseKey(%q) = %x, want error", tt.in, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseKey (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "master.key")
	k1, err := secret.LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(k1) != 32 || bytes.Equal(k1, make([]byte, 32)) {
		t.Fatalf("created key = %x", k1)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := st.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode = %o, want 600", perm)
	}
	k2, err := secret.LoadOrCreateKey(path)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Errorf("reload = %x, %v; want the same key", k2, err)
	}
	if err := os.WriteFile(path, []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := secret.LoadOrCreateKey(path); err == nil {
		t.Error("a corrupt key file was accepted")
	}
}

var cheap = secret.Argon2{P: secret.Argon2Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1}}

func TestArgon2HashVerify(t *testing.T) {
	for _, pw := range []string{"abc12345", "密码Passw0rd", "", strings.Repeat("x", 128)} {
		h, err := cheap.Hash(pw)
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^\$argon2id\$v=19\$m=64,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`).MatchString(h) {
			t.Errorf("hash %q is not PHC argon2id with 16-byte salt and 32-byte key", h)
		}
		if strings.Contains(h, pw) && pw != "" {
			t.Errorf("hash contains the password")
		}
		ok, err := cheap.Verify(pw, h)
		if err != nil || !ok {
			t.Errorf("Verify(right password) = %v, %v", ok, err)
		}
		for _, wrong := range []string{pw + "x", strings.ToUpper(pw) + "!", "abc12346"} {
			if wrong == pw {
				continue
			}
			ok, err := cheap.Verify(wrong, h)
			if err != nil || ok {
				t.Errorf("Verify(%q) against hash of %q = %v, %v; want false, nil", wrong, pw, ok, err)
			}
		}
		// Parameters come from the hash, not the verifier: a default-cost verifier accepts it.
		if ok, err := (secret.Argon2{P: secret.DefaultArgon2}).Verify(pw, h); err != nil || !ok {
			t.Errorf("verifier with other params: %v, %v", ok, err)
		}
	}
	h1, _ := cheap.Hash("abc12345")
	h2, _ := cheap.Hash("abc12345")
	if h1 == h2 {
		t.Error("two hashes of the same password are equal: salt is not random")
	}
}

func TestArgon2VerifyDetectsTamperedHash(t *testing.T) {
	good, err := cheap.Hash("abc12345")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$")
	flip := func(b64 string, i int) string {
		raw, err := base64.RawStdEncoding.DecodeString(b64)
		if err != nil {
			t.Fatal(err)
		}
		raw[i] ^= 0x80
		return base64.RawStdEncoding.EncodeToString(raw)
	}
	join := func(params, salt, key string) string {
		return strings.Join([]string{"", "argon2id", "v=19", params, salt, key}, "$")
	}
	tests := map[string]string{
		"first key byte": join(parts[3], parts[4], flip(parts[5], 0)),
		"last key byte":  join(parts[3], parts[4], flip(parts[5], 31)),
		"salt byte":      join(parts[3], flip(parts[4], 7), parts[5]),
		"memory cost":    join("m=128,t=1,p=1", parts[4], parts[5]),
		"iterations":     join("m=64,t=2,p=1", parts[4], parts[5]),
		"truncated key":  join(parts[3], parts[4], base64.RawStdEncoding.EncodeToString(mustB64(t, parts[5])[:16])),
	}
	for name, h := range tests {
		if ok, err := cheap.Verify("abc12345", h); ok {
			t.Errorf("%s changed, right password still verifies (err %v)", name, err)
		}
	}
}

func mustB64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestArgon2VerifyRejectsGarbage(t *testing.T) {
	good, err := cheap.Hash("abc12345")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$")
	salt, key := parts[4], parts[5]
	tests := []string{
		"",
		"abc12345",
		"$argon2id$",
		"$2a$10$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz012345", // bcrypt
		"$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1,p=1$" + salt,
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key + "$extra",
		"$argon2id$v=19$m=sixty,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1,p=300$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1,p=1$!!!$" + key,
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "$***",
	}
	for _, h := range tests {
		ok, err := cheap.Verify("abc12345", h)
		if err == nil || ok {
			t.Errorf("Verify(%q) = %v, %v; want false and an error", h, ok, err)
		}
	}
}

// TestArgon2VerifyRejectsDegenerateParameters: hashes with zero cost or an empty key must be
// refused with an error, not crash the sign-in path.
func TestArgon2VerifyRejectsDegenerateParameters(t *testing.T) {
	good, _ := cheap.Hash("abc12345")
	parts := strings.Split(good, "$")
	salt, key := parts[4], parts[5]
	tests := map[string]string{
		"zero iterations": "$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + key,
		"zero lanes":      "$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + key,
		"empty key":       "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$",
	}
	for name, h := range tests {
		t.Run(name, func(t *testing.T) {
			var (
				ok       bool
				err      error
				panicked any
			)
			func() {
				defer func() { panicked = recover() }()
				ok, err = cheap.Verify("abc12345", h)
			}()
			if panicked != nil {
				t.Fatalf("REGRESSION (pkg/secret Argon2.Verify does not validate parameters): panics with %v", panicked)
			}
			if err == nil || ok {
				t.Errorf("Verify = %v, %v; want false and an error", ok, err)
			}
		})
	}
}
