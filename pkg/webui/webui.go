// Package webui serves the web app: its files with long cache headers for hashed assets,
// precompressed (.br, .gz) where the client accepts it, the browser security headers, and the
// single-page-app fallback (index.html for the app's own paths) that never answers for the
// server's paths (/v1, /openapi, /admin, /blob, /healthz, /readyz, /metrics).
package webui

import (
	"hash/fnv"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ServerPrefixes are the paths the server keeps for itself: the app is never served under
// them, so a mistyped API path is a JSON 404, not the app's page.
var ServerPrefixes = []string{"/v1/", "/openapi/", "/admin/", "/blob/", "/healthz", "/readyz", "/metrics"}

// ContentSecurityPolicy is sent with every page: scripts, styles and connections from this
// origin only (no inline script), media and images also from blob: and data: (lesson players,
// generated thumbnails), no framing by anyone.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"media-src 'self' blob:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; " +
	"base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// SecurityHeaders sets the browser security headers of the app's responses.
func SecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
}

// IsServerPath reports whether p is one of the server's own paths.
func IsServerPath(p string) bool {
	for _, pre := range ServerPrefixes {
		if p == strings.TrimSuffix(pre, "/") || strings.HasPrefix(p, pre) {
			return true
		}
	}
	return false
}

// Handler serves files. modTime stamps the responses (the binary's build; embedded files carry
// none).
func Handler(files fs.FS, modTime time.Time) http.Handler {
	return &handler{files: files, modTime: modTime}
}

type handler struct {
	files   fs.FS
	modTime time.Time
	etags   sync.Map // file name → its ETag, computed on first use (the files never change)
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := path.Clean("/" + r.URL.Path)
	if IsServerPath(p) {
		http.NotFound(w, r)
		return
	}
	name := strings.TrimPrefix(p, "/")
	if name == "" || name == "index.html" || !h.exists(name) {
		if path.Ext(name) != "" && name != "index.html" {
			// A missing file (an old asset, a typo) is a 404, not the app's page in its place.
			SecurityHeaders(w.Header())
			http.NotFound(w, r)
			return
		}
		name = "index.html" // the app's own routes: /m/exams/12, /login …
	}
	h.serve(w, r, name)
}

func (h *handler) exists(name string) bool {
	st, err := fs.Stat(h.files, name)
	return err == nil && !st.IsDir()
}

func (h *handler) serve(w http.ResponseWriter, r *http.Request, name string) {
	hdr := w.Header()
	SecurityHeaders(hdr)
	if strings.HasPrefix(name, "assets/") {
		// Vite names every asset by its content hash: a new build is a new name.
		hdr.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		hdr.Set("Cache-Control", "no-cache") // index.html and unhashed files: revalidate each time
	}
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	hdr.Set("Content-Type", ctype)
	hdr.Add("Vary", "Accept-Encoding")
	file := name
	for _, enc := range []struct{ token, ext string }{{"br", ".br"}, {"gzip", ".gz"}} {
		if accepts(r.Header.Get("Accept-Encoding"), enc.token) && h.exists(name+enc.ext) {
			hdr.Set("Content-Encoding", enc.token)
			file = name + enc.ext
			break
		}
	}
	etag, err := h.etag(file)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	f, err := h.files.Open(file)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	defer f.Close()
	rs, ok := f.(io.ReadSeeker) // embedded files are; served without a copy
	if !ok {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	// ServeContent answers Range, If-Modified-Since and HEAD; the ETag makes revalidation of
	// index.html a 304.
	hdr.Set("ETag", etag)
	http.ServeContent(w, r, "", h.modTime, rs)
}

// etag is the ETag of a file: its FNV-1a hash, read once.
func (h *handler) etag(name string) (string, error) {
	if e, ok := h.etags.Load(name); ok {
		return e.(string), nil
	}
	f, err := h.files.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sum := fnv.New64a()
	if _, err := io.Copy(sum, f); err != nil {
		return "", err
	}
	e := `"` + strconv.FormatUint(sum.Sum64(), 36) + `"`
	h.etags.Store(name, e)
	return e, nil
}

// accepts reports whether an Accept-Encoding header allows token (q=0 refuses it).
func accepts(header, token string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), token) {
			continue
		}
		params = strings.ReplaceAll(params, " ", "")
		return params != "q=0" && params != "q=0.0" && params != "q=0.00" && params != "q=0.000"
	}
	return false
}

func mustSub(f fs.FS, dir string) fs.FS {
	s, err := fs.Sub(f, dir)
	if err != nil {
		panic(err)
	}
	return s
}
