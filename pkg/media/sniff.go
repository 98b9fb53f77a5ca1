package media

import (
	"strings"

	"github.com/gabriel-vasile/mimetype"
)

// SniffLen is how many leading bytes of a file Sniff looks at; reading more changes nothing.
const SniffLen = 3072

// Sniff returns the real MIME type of a file from its first bytes (up to SniffLen), without
// parameters: "video/mp4", "audio/mpeg", "application/pdf"… An audio-only MP4 sniffs as
// "audio/x-m4a" or, with an isom/mp42 brand, "video/mp4". Unknown content is
// "application/octet-stream".
func Sniff(head []byte) string {
	m := mimetype.Detect(head).String()
	return strings.SplitN(m, ";", 2)[0]
}
