package biz

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Covers are rendered as links and image sources by the web client: only http(s) URLs with a
// host and paths under our own /blob/ store pass; script, data, file and protocol-relative URLs
// are refused however they are disguised, naming the field cover_url.
func TestCoverURL(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"", true},
		{"https://cdn.example.com/covers/1.png", true},
		{"http://example.com/a.jpg?w=200#top", true},
		{"HTTPS://EXAMPLE.COM/A.JPG", true},
		{"https://example.com:8443/a.png", true},
		{"https://[::1]/a.png", true},
		{"/blob/lessons/12/ab12cd34-cover.png", true},
		{"/blob/covers/x.png?exp=1700000000&sig=abc", true},

		{"javascript:alert(1)", false},
		{"JaVaScRiPt:alert(1)", false},
		{"java\tscript:alert(1)", false},
		{"java\nscript:alert(1)", false},
		{"\x01javascript:alert(1)", false},
		{"javascript\u200b:alert(1)", false},
		{"vbscript:msgbox(1)", false},
		{"data:image/png;base64,iVBORw0KGgo=", false},
		{"data:text/html,<script>alert(1)</script>", false},
		{"file:///etc/passwd", false},
		{"ftp://example.com/a.png", false},
		{"//evil.example.com/a.png", false},
		{"/\\evil.example.com/a.png", false},
		{"https:\\\\evil.example.com", false},
		{"https:evil.example.com", false},
		{"https://", false},
		{"https:///a.png", false},
		{"https://user:pw@evil.example.com/a.png", false},
		{"https://exa mple.com/a.png", false},
		{"cover.png", false},
		{"blob/covers/x.png", false},
		{"/covers/x.png", false},
		{"/blob/", false},
		{"/blob/../secrets/jwt_ed25519.pem", false},
		{"/blob/%2e%2e/secrets/id.key", false},
		{"/blob//evil.example.com/x", false},
		{"/blob/a//b.png", false},
	}
	for _, tt := range tests {
		err := checkCoverURL(tt.in)
		if tt.ok {
			if err != nil {
				t.Errorf("checkCoverURL(%q) = %v, want ok", tt.in, err)
			}
			continue
		}
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != "cover_url" {
			t.Errorf("checkCoverURL(%q) = %v, want a cover_url field error", tt.in, err)
		}
	}
}

// Create and Update apply the cover rule after trimming and write nothing when it fails.
func TestCourseCoverURLOnCreateAndUpdate(t *testing.T) {
	e := newTestEnv(t)
	f := e.seedPermFixture()
	for _, bad := range []string{" javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\tscript:alert(1)", "//evil.example.com/x.png", "data:image/svg+xml,<svg/onload=alert(1)>"} {
		before := e.db.snapshot()
		_, err := e.courses.Create(e.as("owner"), NewCourse{Title: "课", CoverURL: bad})
		wantErrKind(t, err, &FieldError{Field: "cover_url"})
		for _, c := range []*Course{f.draft, f.published} {
			cover := bad
			_, err = e.courses.Update(e.as("owner"), c.ID, CoursePatch{CoverURL: &cover})
			wantErrKind(t, err, &FieldError{Field: "cover_url"})
		}
		if diff := cmp.Diff(before, e.db.snapshot()); diff != "" {
			t.Errorf("refused cover %q changed the store:\n%s", bad, diff)
		}
	}
	got, err := e.courses.Create(e.as("owner"), NewCourse{Title: "课", CoverURL: "  https://cdn.example.com/c.png "})
	if err != nil || got.CoverURL != "https://cdn.example.com/c.png" {
		t.Fatalf("create with an https cover = %+v, %v", got, err)
	}
	cover := "/blob/covers/c.png"
	got, err = e.courses.Update(e.as("owner"), f.published.ID, CoursePatch{CoverURL: &cover})
	if err != nil || got.CoverURL != cover {
		t.Fatalf("update with a /blob/ cover = %+v, %v", got, err)
	}
}
