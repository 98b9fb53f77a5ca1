package data

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/vanguard/vanguard/app/search/internal/biz"
	"github.com/vanguard/vanguard/pkg/testdb"
)

// courseFeed answers every course id with a published course of three lessons, as course's
// feed would (in memory: the benchmark measures search's side of a sync).
type courseFeed struct{ *feeds }

func benchCourse(id int64) *biz.SourceCourse {
	r := rand.New(rand.NewPCG(uint64(id), 7))
	c := &biz.SourceCourse{ID: id, Title: benchText(r, 4), Summary: benchText(r, 8), Topic: "专题学习", Tags: []string{"标签"},
		OrgPath: "/1/2/", Assigned: []string{"/1/2/"}, Published: true, UpdatedAt: time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)}
	for l := range 3 {
		c.Lessons = append(c.Lessons, biz.SourceLesson{ID: id*10 + int64(l), Title: benchText(r, 4), Text: benchText(r, 120)})
	}
	return c
}

func (courseFeed) Courses(_ context.Context, ids []int64) ([]*biz.SourceCourse, error) {
	out := make([]*biz.SourceCourse, len(ids))
	for i, id := range ids {
		out[i] = benchCourse(id)
	}
	return out, nil
}

// BenchmarkSync is the search worker's side of change → searchable: bursts of changed courses
// (each read from the feed and written as four documents to a live Bleve index of 2,000
// courses, with its mark claimed and finished), their sync tasks run two at a time as the
// worker's two task slots run them, on SQLite and PostgreSQL. burst=2 is a quiet moment (each
// task finds only its own item due), burst=32 a backlog. syncs/s is the figure; the physical
// baseline in the same run is the Bleve upsert alone of one course's documents per batch, two
// at a time (upsert_only).
func BenchmarkSync(b *testing.B) {
	for _, driver := range []string{"sqlite", "postgres"} {
		for _, burst := range []int{2, 32} {
			b.Run(fmt.Sprintf("%s/burst=%d", driver, burst), func(b *testing.B) {
				ctx, d := context.Background(), openData(b, driver, testdb.Fresh(b, driver))
				gens := &BleveGenerations{Dir: b.TempDir()}
				e, err := gens.Open(ctx, 1)
				if err != nil {
					b.Fatal(err)
				}
				for c := range int64(2000) {
					if err := e.Upsert(ctx, biz.CourseDocs(benchCourse(100_000+c))...); err != nil {
						b.Fatal(err)
					}
				}
				index := biz.NewIndex(gens)
				b.Cleanup(func() { index.Close() })
				if err := index.Use(ctx, 1); err != nil {
					b.Fatal(err)
				}
				ix := biz.NewIndexer(biz.IndexerDeps{Index: index, Repo: NewRepo(d), Sources: courseFeed{&feeds{}}, Sched: &queued{}})
				var next int64
				for b.Loop() {
					b.StopTimer()
					items := make(chan string, burst)
					var marked []string
					for range burst {
						next++
						marked = append(marked, biz.Item(biz.ItemCourse, next))
						items <- marked[len(marked)-1]
					}
					close(items)
					if _, err := ix.Mark(ctx, marked, "course.updated"); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					var wg sync.WaitGroup
					for range 2 {
						wg.Go(func() {
							for it := range items {
								if err := ix.Sync(ctx, it); err != nil {
									b.Error(err)
								}
							}
						})
					}
					wg.Wait()
				}
				b.ReportMetric(float64(next)/b.Elapsed().Seconds(), "syncs/s")
				if n, err := NewRepo(d).Pending(ctx); err != nil || n != 0 {
					b.Fatalf("%d marks left after the syncs (%v)", n, err)
				}
			})
		}
	}
	b.Run("upsert_only", func(b *testing.B) {
		ctx := context.Background()
		e, err := OpenBleve(filepath.Join(b.TempDir(), "index"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { e.Close() })
		var next int64
		for b.Loop() {
			var wg sync.WaitGroup
			for range 2 {
				next++
				docs := biz.CourseDocs(benchCourse(next))
				wg.Go(func() {
					if err := e.Upsert(ctx, docs...); err != nil {
						b.Error(err)
					}
				})
			}
			wg.Wait()
		}
		b.ReportMetric(float64(next)/b.Elapsed().Seconds(), "syncs/s")
	})
}
