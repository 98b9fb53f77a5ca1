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

// MeiliGenerations keeps each index generation in its own Meilisearch index, named after
// Config.Index and the generation (vanguard_000001 …).
type MeiliGenerations struct {
	Config MeiliConfig
}

var _ biz.Generations = (*MeiliGenerations)(nil)

func (g *MeiliGenerations) uid(gen int64) string { return fmt.Sprintf("%s_%06d", g.Config.Index, gen) }

// Engine implements biz.Generations.
func (g *MeiliGenerations) Engine() string { return "meilisearch" }

// Open implements biz.Generations.
func (g *MeiliGenerations) Open(ctx context.Context, gen int64) (biz.Engine, error) {
	cfg := g.Config
	cfg.Index = g.uid(gen)
	return OpenMeili(ctx, cfg)
}

// Drop implements biz.Generations: it deletes the generation's index and waits for Meilisearch
// to have done it (a missing index is no error).
func (g *MeiliGenerations) Drop(ctx context.Context, gen int64) error {
	cfg := g.Config
	cfg.Index = g.uid(gen)
	return dropMeili(ctx, cfg)
}
