package blob

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"path"
	"regexp"
	"strings"
	"unicode/utf8"
)

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// NewKey returns a fresh key for an uploaded file: prefix, 16 random hex digits (so two uploads
// of one name never collide, and a key cannot be guessed), and the file's base name reduced to
// safe characters, at most 80 of them (fallback when nothing is left, e.g. an all-Chinese name).
func NewKey(prefix, fileName, fallback string) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	name := unsafeName.ReplaceAllString(path.Base(fileName), "_")
	if len(name) > 80 {
		name = name[len(name)-80:]
	}
	if name = strings.Trim(name, "._"); name == "" {
		name = fallback
	}
	return prefix + "/" + hex.EncodeToString(b) + "/" + name
}

// Limits shared by every adapter; they are S3's.
const (
	// MaxKeyLen is the longest key in bytes.
	MaxKeyLen = 1024
	// MaxPartNumber is the highest part number of a multipart upload (the lowest is 1).
	MaxPartNumber = 10000
)

// ValidateKey reports whether key can name an object in every adapter: a non-empty, valid UTF-8
// slash path of at most MaxKeyLen bytes, not absolute, with no empty, "." or ".." segment, no
// backslash and no control character (NUL included). A key that passes cannot leave the local
// store's root directory. The error wraps ErrInvalidKey.
func ValidateKey(key string) error {
	bad := func(why string) error { return fmt.Errorf("%w %q: %s", ErrInvalidKey, key, why) }
	switch {
	case key == "":
		return bad("empty")
	case len(key) > MaxKeyLen:
		return bad(fmt.Sprintf("longer than %d bytes", MaxKeyLen))
	case !utf8.ValidString(key):
		return bad("not valid UTF-8")
	case strings.HasPrefix(key, "/"):
		return bad("absolute")
	case strings.Contains(key, `\`):
		return bad("contains a backslash")
	}
	for _, r := range key {
		if r < 0x20 || r == 0x7f {
			return bad("contains a control character")
		}
	}
	for _, seg := range strings.Split(key, "/") {
		switch seg {
		case "":
			return bad("empty path segment")
		case ".", "..":
			return bad(`"." or ".." path segment`)
		}
	}
	return nil
}

// CheckParts validates the list given to CompleteMultipart: non-empty, numbers in range and
// strictly ascending. It does not look at the stored parts. Adapters call it before anything
// else so that every one of them refuses the same lists with ErrBadParts.
func CheckParts(parts []Part) error {
	if len(parts) == 0 {
		return fmt.Errorf("%w: no parts", ErrBadParts)
	}
	prev := 0
	for _, p := range parts {
		if p.Number < 1 || p.Number > MaxPartNumber {
			return fmt.Errorf("%w: part number %d outside 1..%d", ErrBadParts, p.Number, MaxPartNumber)
		}
		if p.Number <= prev {
			return fmt.Errorf("%w: part %d after part %d (numbers must ascend)", ErrBadParts, p.Number, prev)
		}
		prev = p.Number
	}
	return nil
}

// BareETag strips the quotes (and a weak-validator prefix) an HTTP ETag header carries and
// lower-cases the hex, so ETags from headers, XML listings and our own records compare equal.
// Adapters return ETags in this form (see Info and Part).
func BareETag(etag string) string {
	etag = strings.TrimSpace(etag)
	etag = strings.TrimPrefix(etag, "W/")
	return strings.ToLower(strings.Trim(etag, `"`))
}

// DefaultContentType is the content type of an object stored without one (see Store.Put).
const DefaultContentType = "application/octet-stream"

// ContentTypeOrDefault returns ct, or DefaultContentType when ct is empty; adapters store what it
// returns.
func ContentTypeOrDefault(ct string) string {
	if ct == "" {
		return DefaultContentType
	}
	return ct
}

// multipartETag is S3's ETag of an object assembled from parts: the MD5 of the concatenated
// binary MD5s of the parts, then "-" and the number of parts.
func multipartETag(partETags []string) (string, error) {
	h := md5.New()
	for _, e := range partETags {
		b, err := hex.DecodeString(BareETag(e))
		if err != nil || len(b) != md5.Size {
			return "", fmt.Errorf("%w: part ETag %q is not a hex MD5", ErrBadParts, e)
		}
		h.Write(b)
	}
	return fmt.Sprintf("%s-%d", hex.EncodeToString(h.Sum(nil)), len(partETags)), nil
}
