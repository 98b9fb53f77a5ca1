// Package htmlpdf prints HTML pages to PDF with a headless Chromium (Debian's `chromium`
// package, the browser the web tests use). Go PDF libraries need a TrueType (glyf) font for
// Chinese, and Debian's Noto CJK fonts are CFF-based; Chromium renders them as they are.
package htmlpdf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// ErrNoBrowser means no Chromium was found.
var ErrNoBrowser = errors.New("htmlpdf: no chromium found (install Debian's chromium package or set CHROMIUM)")

// Find returns the Chromium to print with: $CHROMIUM, else the first of chromium,
// chromium-browser, google-chrome on PATH; "" if none.
func Find() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Printer prints with one Chromium binary, at most Parallel pages at once.
type Printer struct {
	bin     string
	slots   chan struct{}
	timeout time.Duration
}

// New returns a printer over bin (Find's answer); nil when bin is "".
func New(bin string, parallel int) *Printer {
	if bin == "" {
		return nil
	}
	return &Printer{bin: bin, slots: make(chan struct{}, max(parallel, 1)), timeout: 60 * time.Second}
}

// Print renders page (a complete HTML document, its styles inline, no remote resources) to PDF,
// on the page size its @page rule sets.
func (p *Printer) Print(ctx context.Context, page []byte) ([]byte, error) {
	if p == nil {
		return nil, ErrNoBrowser
	}
	select {
	case p.slots <- struct{}{}:
		defer func() { <-p.slots }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	dir, err := os.MkdirTemp("", "htmlpdf-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	in, out := filepath.Join(dir, "page.html"), filepath.Join(dir, "page.pdf")
	if err := os.WriteFile(in, page, 0o600); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, p.bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--no-default-browser-check", "--disable-extensions", "--user-data-dir="+filepath.Join(dir, "profile"),
		"--no-pdf-header-footer", "--print-to-pdf="+out, "file://"+in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Env = append(os.Environ(), "HOME="+dir)
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("htmlpdf: chromium: %w: %s", err, tail(stderr.Bytes(), 400))
	}
	b, err := os.ReadFile(out)
	if err != nil {
		return nil, fmt.Errorf("htmlpdf: chromium wrote no PDF: %w: %s", err, tail(stderr.Bytes(), 400))
	}
	if !bytes.HasPrefix(b, []byte("%PDF-")) {
		return nil, errors.New("htmlpdf: chromium's output is not a PDF")
	}
	return b, nil
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(bytes.TrimSpace(b))
}
