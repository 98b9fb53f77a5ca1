package data

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vanguard/vanguard/app/search/internal/biz"
)

// golden is the golden set of Chinese queries (testdata/golden.json): 54 documents of the
// platform's kinds and 112 queries (the first 60 written beside the Bleve query's tuning, the
// other 52 by another hand, aimed at where bigrams and word segmentation differ), each with the documents it should find — whole words,
// sub-words (农业 in 中国农业发展银行, 处理 in 待处理), Party terms, mixed Chinese, English and
// digits, and typos.
type golden struct {
	Docs []struct {
		ID, Kind, Title, Summary, Body, Topic string
		Tags                                  []string
	}
	Queries []struct {
		Q, Case string
		Want    []string
	}
}

// TestGoldenSet reports recall and precision at 10 by case on Bleve, and holds the recall at 95 %
// or more.
func TestGoldenSet(t *testing.T) {
	e, err := OpenBleve(filepath.Join(t.TempDir(), "index"))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	runGoldenSet(t, "Bleve (cjk bigrams)", e, 0.95)
}

// runGoldenSet indexes the golden set (testdata/golden.json) in e, as TestGoldenSet does, reports
// recall and precision at 10 by case and holds the recall at floor or more.
func runGoldenSet(t *testing.T, engine string, e biz.Engine, floor float64) {
	raw, err := os.ReadFile(filepath.Join("testdata", "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Queries) < 60 {
		t.Fatalf("the golden set has %d queries, fewer than 60", len(g.Queries))
	}
	var docs []biz.Document
	for i, d := range g.Docs {
		docs = append(docs, biz.Document{ID: d.ID, Kind: d.Kind, Title: d.Title, Summary: d.Summary, Body: d.Body, Topic: d.Topic,
			Tags: d.Tags, Paths: []string{"/1/"}, Owner: "/1/", Staff: d.Kind == biz.KindQuestion, Reach: []string{biz.ReachAuthors},
			UpdatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i)})
	}
	if err := e.Upsert(t.Context(), docs...); err != nil {
		t.Fatal(err)
	}
	type tally struct {
		n                 int
		recall, precision float64
	}
	byCase := map[string]*tally{}
	all := &tally{}
	var misses []string
	for _, q := range g.Queries {
		r, err := e.Search(t.Context(), biz.Query{Text: q.Q, Limit: 10, Scope: biz.Scope{Paths: []string{"/1/"}, Authors: []string{"/1/"}}})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, h := range r.Hits {
			got = append(got, h.Doc.ID)
		}
		found := 0
		for _, w := range q.Want {
			if slices.Contains(got, w) {
				found++
			}
		}
		recall, precision := float64(found)/float64(len(q.Want)), 1.0
		if len(got) > 0 {
			precision = float64(found) / float64(len(got))
		}
		if recall < 1 || precision < 1 {
			misses = append(misses, fmt.Sprintf("%s (%s): got %v, want %v", q.Q, q.Case, got, q.Want))
		}
		if byCase[q.Case] == nil {
			byCase[q.Case] = &tally{}
		}
		for _, x := range []*tally{all, byCase[q.Case]} {
			x.n++
			x.recall += recall
			x.precision += precision
		}
	}
	cases := make([]string, 0, len(byCase))
	for c := range byCase {
		cases = append(cases, c)
	}
	sort.Strings(cases)
	var report strings.Builder
	for _, c := range append(cases, "all") {
		x := all
		if c != "all" {
			x = byCase[c]
		}
		fmt.Fprintf(&report, "%-14s %3d queries  recall@10 %.3f  precision@10 %.3f\n", c, x.n, x.recall/float64(x.n), x.precision/float64(x.n))
	}
	t.Logf("golden set on %s:\n%snot exact:\n  %s", engine, report.String(), strings.Join(misses, "\n  "))
	if r := all.recall / float64(all.n); r < floor {
		t.Errorf("recall@10 %.3f, under %.2f", r, floor)
	}
}
