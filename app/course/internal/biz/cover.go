package biz

import (
	"net/url"
	"strings"
	"unicode"

	"github.com/vanguard/vanguard/pkg/blob"
)

// coverBlobPrefix is where the media store is mounted on the HTTP port; a cover may point at one
// of its objects by path.
const coverBlobPrefix = "/blob/"

// checkCoverURL accepts an empty cover, an absolute http(s) URL with a host, or a path under
// /blob/ naming a valid media-store key (with an optional query, e.g. a signature). Anything else
// — javascript:, data:, vbscript:, file:, protocol-relative "//host", relative paths, and
// whitespace, control-character or backslash tricks that browsers would strip or reinterpret —
// is refused, because the web client renders the cover as a link and image source. s is already
// trimmed.
func checkCoverURL(s string) error {
	if s == "" {
		return nil
	}
	bad := Invalid("cover_url", "封面地址只能是 http(s):// 开头的网址或本站 /blob/ 下的文件路径")
	for _, r := range s {
		// Browsers drop tabs and newlines inside URLs ("java\tscript:") and treat a backslash as a
		// slash ("/\evil.com"); no legitimate cover needs any of them.
		if r < 0x20 || r == 0x7f || r == '\\' || unicode.IsSpace(r) || unicode.In(r, unicode.Cf) {
			return bad
		}
	}
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" || u.User != nil {
		return bad
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		if u.Hostname() == "" {
			return bad
		}
		return nil
	case "":
		if u.Host != "" || !strings.HasPrefix(s, coverBlobPrefix) || !strings.HasPrefix(u.Path, coverBlobPrefix) {
			return bad
		}
		if blob.ValidateKey(strings.TrimPrefix(u.Path, coverBlobPrefix)) != nil {
			return bad
		}
		return nil
	}
	return bad
}
