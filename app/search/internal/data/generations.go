package data

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/vanguard/vanguard/app/search/internal/biz"
)

// BleveGenerations keeps each index generation in its own directory under Dir (gen-000001 …).
// A generation is opened once per process (Bleve locks its directory).
type BleveGenerations struct {
	Dir  string
	mu   sync.Mutex
	open map[int64]*Bleve
}

var _ biz.Generations = (*BleveGenerations)(nil)

func (g *BleveGenerations) dir(gen int64) string {
	return filepath.Join(g.Dir, fmt.Sprintf("gen-%06d", gen))
}

// Engine implements biz.Generations.
func (g *BleveGenerations) Engine() string { return "bleve" }

// Open implements biz.Generations.
func (g *BleveGenerations) Open(_ context.Context, gen int64) (biz.Engine, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if b := g.open[gen]; b != nil {
		return b, nil
	}
	b, err := OpenBleve(g.dir(gen))
	if err != nil {
		return nil, err
	}
	if g.open == nil {
		g.open = map[int64]*Bleve{}
	}
	g.open[gen] = b
	b.onClose = func() {
		g.mu.Lock()
		delete(g.open, gen)
		g.mu.Unlock()
	}
	return b, nil
}

// Drop implements biz.Generations.
func (g *BleveGenerations) Drop(_ context.Context, gen int64) error {
	g.mu.Lock()
	b := g.open[gen]
	g.mu.Unlock()
	if b != nil {
		_ = b.Close()
	}
	return os.RemoveAll(g.dir(gen))
}
