//go:build !webui

package webui

import (
	"embed"
	"io/fs"
)

// A clean clone compiles and vets without the web app built: without the webui build tag the
// binary serves this placeholder page, which says how to build the app (`make run` does).
//
//go:embed placeholder
var placeholder embed.FS

// Files is the placeholder page.
func Files() fs.FS { return mustSub(placeholder, "placeholder") }

// Built reports whether the binary carries the built web app.
const Built = false
