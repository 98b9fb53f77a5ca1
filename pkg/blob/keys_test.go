package blob_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/vanguard/vanguard/pkg/blob"
)

// The helpers every adapter shares (the contract suite covers them through each adapter too).

func TestBareETag(t *testing.T) {
	for in, want := range map[string]string{
		`"9B2CF535F27731C974343645A3985328"`:   "9b2cf535f27731c974343645a3985328",
		`W/"9b2cf535f27731c974343645a3985328"`: "9b2cf535f27731c974343645a3985328",
		" \"abc-3\" ":                          "abc-3",
		"abc":                                  "abc",
		"":                                     "",
	} {
		if got := blob.BareETag(in); got != want {
			t.Errorf("BareETag(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCheckParts(t *testing.T) {
	p := func(numbers ...int) []blob.Part {
		var parts []blob.Part
		for _, n := range numbers {
			parts = append(parts, blob.Part{Number: n})
		}
		return parts
	}
	if err := blob.CheckParts(p(1, 2, 5, blob.MaxPartNumber)); err != nil {
		t.Errorf("ascending parts refused: %v", err)
	}
	for name, parts := range map[string][]blob.Part{
		"none":       nil,
		"zero":       p(0),
		"too high":   p(blob.MaxPartNumber + 1),
		"repeated":   p(1, 1),
		"descending": p(2, 1),
	} {
		if err := blob.CheckParts(parts); !errors.Is(err, blob.ErrBadParts) {
			t.Errorf("%s: CheckParts = %v, want ErrBadParts", name, err)
		}
	}
}

func TestContentTypeOrDefault(t *testing.T) {
	if got := blob.ContentTypeOrDefault(""); got != blob.DefaultContentType {
		t.Errorf("empty content type = %q, want %q", got, blob.DefaultContentType)
	}
	if got := blob.ContentTypeOrDefault("video/mp4"); got != "video/mp4" {
		t.Errorf("content type = %q, want video/mp4", got)
	}
}

// NewKey keeps a file's safe name under a random segment, falls back for names with nothing
// safe, and always makes a key every adapter accepts.
func TestNewKey(t *testing.T) {
	for _, c := range []struct{ name, want string }{
		{"lecture.mp4", "lecture.mp4"},
		{"../../etc/passwd", "passwd"},
		{"第一讲 党史.mp4", "mp4"},
		{"会议记录", "file"},
		{"..", "file"},
	} {
		k := blob.NewKey("studyhour/minutes", c.name, "file")
		parts := strings.Split(k, "/")
		if len(parts) != 4 || parts[0] != "studyhour" || len(parts[2]) != 16 || parts[3] != c.want {
			t.Errorf("NewKey(%q) = %q, want …/<16 hex>/%s", c.name, k, c.want)
		}
		if err := blob.ValidateKey(k); err != nil {
			t.Errorf("NewKey(%q) = %q: %v", c.name, k, err)
		}
	}
	if blob.NewKey("p", "a.pdf", "f") == blob.NewKey("p", "a.pdf", "f") {
		t.Error("two keys of one name collide")
	}
}
