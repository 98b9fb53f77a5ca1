package data

import (
	"path/filepath"
	"testing"

	"github.com/vanguard/vanguard/app/search/internal/biz"
	"github.com/vanguard/vanguard/app/search/internal/biz/enginetest"
)

func TestBleveContract(t *testing.T) {
	enginetest.Run(t, func(t *testing.T) biz.Engine {
		e, err := OpenBleve(filepath.Join(t.TempDir(), "index"))
		if err != nil {
			t.Fatal(err)
		}
		return e
	})
}

// The index survives a restart: reopened, it holds what was written.
func TestBleveReopens(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "index")
	e, err := OpenBleve(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Upsert(t.Context(), biz.Document{ID: "course:1", Kind: biz.KindCourse, Title: "党史学习", Paths: []string{"/1/"}}); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if e, err = OpenBleve(dir); err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	r, err := e.Search(t.Context(), biz.Query{Text: "党史", Scope: biz.Scope{Paths: []string{"/1/"}}})
	if err != nil || r.Total != 1 {
		t.Fatalf("after reopening: %+v, %v", r, err)
	}
}
