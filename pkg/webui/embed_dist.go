//go:build webui

package webui

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Files is the built web app (web/, `npm run build` into pkg/webui/dist).
func Files() fs.FS { return mustSub(dist, "dist") }

// Built reports whether the binary carries the built web app.
const Built = true
