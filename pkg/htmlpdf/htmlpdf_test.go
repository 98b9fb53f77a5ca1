package htmlpdf

import (
	"bytes"
	"context"
	"testing"
)

// TestPrint prints a Chinese A4 page with the machine's Chromium (make test installs it).
func TestPrint(t *testing.T) {
	bin := Find()
	if bin == "" {
		t.Skip("no chromium: deploy/scripts/test-deps.sh installs it")
	}
	p := New(bin, 1)
	page := []byte(`<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><style>@page{size:A4}</style></head>` +
		`<body><h1>发展党员电子成长档案</h1><p>全程纪实表</p></body></html>`)
	pdf, err := p.Print(context.Background(), page)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) || len(pdf) < 1000 {
		t.Fatalf("not a PDF: %d bytes %q", len(pdf), pdf[:min(len(pdf), 16)])
	}
	// A4 is 595 x 842 points (Chromium writes 594.96 x 841.92).
	if !bytes.Contains(pdf, []byte("/MediaBox [0 0 594.9")) || !bytes.Contains(pdf, []byte(" 841.9")) {
		t.Errorf("the page is not A4")
	}
	if _, err := (*Printer)(nil).Print(context.Background(), page); err != ErrNoBrowser {
		t.Errorf("a nil printer: %v, want ErrNoBrowser", err)
	}
}
