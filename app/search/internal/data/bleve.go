// Package data holds the search service's adapters: the Bleve index on disk (standalone).
package data

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/vanguard/vanguard/app/search/internal/biz"
	"github.com/vanguard/vanguard/pkg/auth"
)

// Field names in the index.
const (
	fTitle, fSummary, fBody     = "title", "summary", "body"
	fKind, fTopic, fTags        = "kind", "topic", "tags"
	fPaths, fOwner, fOwnerTree  = "paths", "owner", "owner_tree"
	fStaff, fParent, fUpdated   = "staff", "parent", "updated"
	fReach                      = "reach"
	textAnalyzer                = cjk.AnalyzerName
	minShould                   = 0.5 // of a query's tokens a field must hold (at least 2)
	titleBoost, summaryBoost    = 3.0, 2.0
	phraseBoost, maxFacetValues = 4.0, 20
	snippetFields               = 3
	staffTrue                   = "true"
	searchTimeout               = 10 * time.Second
)

// Bleve is the Engine on a Bleve index on disk. Text fields are analysed by Bleve's cjk
// analyzer (Unicode words, full-width folding, lower case, CJK bigrams). A query matches a field
// holding half of its tokens and at least two (2 of 发展党员's 3 bigrams), or a tag equal to it:
// a sub-word (农业 in 中国农业发展银行) is found, a word split differently (发展 … 党员 for
// 发展党员) still is, and so is a query with a wrong character (牢计 for 牢记). A lone Chinese
// character the analyzer leaves beside digits or Latin letters (the 年 of 2024年, which the text
// holds as 年度) counts for the score only. A field holding the whole phrase scores higher. The
// golden set (testdata/golden.json, TestGoldenSet) measures these choices.
type Bleve struct {
	idx       bleve.Index
	closeOnce sync.Once
	closeErr  error
	onClose   func()
}

var _ biz.Engine = (*Bleve)(nil)

// OpenBleve opens the index in dir, creating it when missing.
func OpenBleve(dir string) (*Bleve, error) {
	idx, err := bleve.Open(dir)
	if errors.Is(err, bleve.ErrorIndexPathDoesNotExist) {
		if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
			return nil, fmt.Errorf("search: index dir: %w", err)
		}
		idx, err = bleve.New(dir, indexMapping()) // scorch
	}
	if err != nil {
		return nil, fmt.Errorf("search: open index %s: %w", dir, err)
	}
	return &Bleve{idx: idx}, nil
}

func indexMapping() mapping.IndexMapping {
	// Text is stored with term vectors for the snippets; no field goes to the composite _all
	// field (queries name their fields) and only the facets keep doc values: both doubled the
	// indexing work for nothing (BenchmarkBleve100k's profile).
	text := func() *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Analyzer = textAnalyzer
		f.Store, f.IncludeTermVectors = true, true // snippets
		f.IncludeInAll, f.DocValues = false, false
		return f
	}
	kw := func(store bool) *mapping.FieldMapping {
		f := bleve.NewKeywordFieldMapping()
		f.Analyzer = keyword.Name
		f.Store, f.IncludeInAll, f.IncludeTermVectors, f.DocValues = store, false, false, false
		return f
	}
	facet := func() *mapping.FieldMapping {
		f := kw(true)
		f.DocValues = true
		return f
	}
	doc := bleve.NewDocumentStaticMapping()
	doc.AddFieldMappingsAt(fTitle, text())
	doc.AddFieldMappingsAt(fSummary, text())
	doc.AddFieldMappingsAt(fBody, text())
	for _, f := range []string{fKind, fTopic, fTags} {
		doc.AddFieldMappingsAt(f, facet())
	}
	for _, f := range []string{fParent, fOwner} {
		doc.AddFieldMappingsAt(f, kw(true))
	}
	for _, f := range []string{fPaths, fOwnerTree, fStaff, fReach} {
		doc.AddFieldMappingsAt(f, kw(false))
	}
	updated := bleve.NewDateTimeFieldMapping()
	updated.Store, updated.IncludeInAll = true, false
	doc.AddFieldMappingsAt(fUpdated, updated)
	m := bleve.NewIndexMapping()
	m.DefaultMapping = doc
	m.DefaultAnalyzer = textAnalyzer
	return m
}

func fields(d biz.Document) map[string]any {
	staff := "false"
	if d.Staff {
		staff = staffTrue
	}
	return map[string]any{
		fTitle: foldWidth(d.Title), fSummary: foldWidth(d.Summary), fBody: foldWidth(d.Body), fKind: d.Kind, fTopic: d.Topic, fTags: d.Tags,
		fPaths: d.Paths, fOwner: d.Owner, fOwnerTree: ownerTree(d.Owner), fStaff: staff, fReach: d.Reach,
		fParent:  d.Parent,
		fUpdated: d.UpdatedAt.UTC(),
	}
}

// foldWidth turns full-width ASCII (２０２５, ＡＩ) and the ideographic space into their ASCII
// forms before the analyzer sees the text: its Unicode tokenizer drops full-width digits before
// its width filter could fold them, so ２０２５年 would index as 年 alone (the golden set's
// mixed case).
func foldWidth(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return (r >= 0xFF01 && r <= 0xFF5E) || r == 0x3000 }) {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			return r - 0xFF01 + '!'
		case r == 0x3000:
			return ' '
		}
		return r
	}, s)
}

// ownerTree is the owner and each of its ancestors, below biz.AllOrgs: a scope's subtree is one of
// them when the owner lies in it.
func ownerTree(owner string) []string {
	return append([]string{biz.AllOrgs}, auth.AncestorPaths(owner)...)
}

// Upsert implements biz.Engine: one batch, so the documents appear together.
func (b *Bleve) Upsert(_ context.Context, docs ...biz.Document) error {
	batch := b.idx.NewBatch()
	for _, d := range docs {
		if d.ID == "" {
			return fmt.Errorf("search: a document without an id")
		}
		if err := batch.Index(d.ID, fields(d)); err != nil {
			return fmt.Errorf("search: index %s: %w", d.ID, err)
		}
	}
	return b.idx.Batch(batch)
}

// Delete implements biz.Engine.
func (b *Bleve) Delete(_ context.Context, ids ...string) error {
	batch := b.idx.NewBatch()
	for _, id := range ids {
		batch.Delete(id)
	}
	return b.idx.Batch(batch)
}

// Count implements biz.Engine.
func (b *Bleve) Count(context.Context) (int, error) {
	n, err := b.idx.DocCount()
	return int(n), err
}

// Close implements biz.Engine (once; later calls return the first's result).
func (b *Bleve) Close() error {
	b.closeOnce.Do(func() {
		b.closeErr = b.idx.Close()
		if b.onClose != nil {
			b.onClose()
		}
	})
	return b.closeErr
}

func term(field, value string) query.Query {
	q := query.NewTermQuery(value)
	q.SetField(field)
	return q
}

func anyOf(qs []query.Query) query.Query {
	d := query.NewDisjunctionQuery(qs)
	d.SetMin(1)
	return d
}

// scope is the filter of what the caller may see (see biz.Scope); nil when they may see nothing.
func scope(s biz.Scope) query.Query {
	var may []query.Query
	if len(s.Paths) > 0 {
		var paths []query.Query
		for _, p := range s.Paths {
			paths = append(paths, term(fPaths, p))
		}
		may = append(may, query.NewBooleanQuery([]query.Query{anyOf(paths)}, nil, []query.Query{term(fStaff, staffTrue)}))
	}
	for _, r := range []struct {
		subtrees []string
		reach    string
	}{{s.Authors, biz.ReachAuthors}, {s.Managers, biz.ReachManagers}} {
		if len(r.subtrees) == 0 {
			continue
		}
		var owners []query.Query
		for _, p := range r.subtrees {
			owners = append(owners, term(fOwnerTree, p))
		}
		may = append(may, query.NewConjunctionQuery([]query.Query{anyOf(owners), term(fReach, r.reach)}))
	}
	if len(may) == 0 {
		return nil
	}
	return anyOf(may)
}

// text is the query for what the user typed: per field, the documents holding enough of its
// words (see Bleve), the title and summary weighing more, and the whole phrase more still.
func (b *Bleve) text(s string) (query.Query, error) {
	s = foldWidth(s)
	a := b.idx.Mapping().AnalyzerNamed(textAnalyzer)
	if a == nil {
		return nil, fmt.Errorf("search: analyzer %s missing", textAnalyzer)
	}
	seen := map[string]bool{}
	var tokens []string
	for _, t := range a.Analyze([]byte(s)) {
		if w := string(t.Term); !seen[w] {
			seen[w] = true
			tokens = append(tokens, w)
		}
	}
	if len(tokens) == 0 {
		return nil, nil
	}
	// The words (longer than one character) decide what matches; lone characters only score,
	// unless the query has nothing else.
	var words, chars []string
	for _, w := range tokens {
		if utf8.RuneCountInString(w) > 1 {
			words = append(words, w)
		} else {
			chars = append(chars, w)
		}
	}
	if len(words) == 0 {
		words, chars = chars, nil
	}
	need := float64(min(len(words), max(2, int(math.Ceil(minShould*float64(len(words)))))))
	var per []query.Query
	for _, f := range []struct {
		name  string
		boost float64
	}{{fTitle, titleBoost}, {fSummary, summaryBoost}, {fBody, 1}} {
		terms := func(ws []string) []query.Query {
			out := make([]query.Query, len(ws))
			for i, w := range ws {
				out[i] = term(f.name, w)
			}
			return out
		}
		d := query.NewDisjunctionQuery(terms(words))
		d.SetMin(need)
		var q query.Query = d
		if len(chars) > 0 {
			q = query.NewBooleanQuery([]query.Query{d}, terms(chars), nil)
		}
		q.(query.BoostableQuery).SetBoost(f.boost)
		per = append(per, q)
		// The whole phrase weighs more in the title and the summary. Not in the body: checking
		// the positions of common bigrams through every article took two thirds of a query's
		// CPU at 100,000 lessons (BenchmarkBleve100k's profile), for a boost the golden set does
		// not need.
		if len(tokens) > 1 && f.name != fBody {
			p := query.NewMatchPhraseQuery(s)
			p.SetField(f.name)
			p.Analyzer = textAnalyzer
			p.SetBoost(f.boost * phraseBoost)
			per = append(per, p)
		}
	}
	tag := query.NewTermQuery(strings.TrimSpace(s))
	tag.SetField(fTags)
	tag.SetBoost(summaryBoost)
	return anyOf(append(per, tag)), nil
}

// prefix is the query for what a user has typed so far (biz.Query.Prefix): titles holding it as
// a phrase (a run of Chinese characters is a run of bigrams, so any run of two or more is found
// inside a longer word), or, for one character, a title word starting with it.
func (b *Bleve) prefix(s string) (query.Query, error) {
	s = foldWidth(s)
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	p := query.NewMatchPhraseQuery(s)
	p.SetField(fTitle)
	p.Analyzer = textAnalyzer
	qs := []query.Query{p}
	if utf8.RuneCountInString(s) == 1 {
		pre := query.NewPrefixQuery(strings.ToLower(s))
		pre.SetField(fTitle)
		qs = append(qs, pre)
	}
	return anyOf(qs), nil
}

// Search implements biz.Engine.
func (b *Bleve) Search(ctx context.Context, q biz.Query) (*biz.Result, error) {
	visible := scope(q.Scope)
	if visible == nil {
		return nil, biz.ErrEmptyScope
	}
	must := []query.Query{visible}
	text, err := b.text(q.Text)
	if q.Prefix {
		text, err = b.prefix(q.Text)
	}
	if err != nil {
		return nil, err
	}
	if text != nil {
		must = append(must, text)
	}
	if len(q.Kinds) > 0 {
		var kinds []query.Query
		for _, k := range q.Kinds {
			kinds = append(kinds, term(fKind, k))
		}
		must = append(must, anyOf(kinds))
	}
	if q.Topic != "" {
		must = append(must, term(fTopic, q.Topic))
	}
	for _, t := range q.Tags {
		must = append(must, term(fTags, t))
	}
	limit := q.Limit
	if limit <= 0 {
		limit = biz.DefaultLimit
	}
	limit = min(limit, biz.MaxLimit)
	req := bleve.NewSearchRequestOptions(query.NewConjunctionQuery(must), limit, max(q.Offset, 0), false)
	req.Fields = []string{fTitle, fSummary, fKind, fTopic, fTags, fParent, fOwner, fUpdated}
	if text != nil {
		req.Highlight = bleve.NewHighlightWithStyle("html")
		req.Highlight.Fields = []string{fTitle, fSummary, fBody}
	}
	if q.Sort == biz.SortDate || text == nil {
		req.SortBy([]string{"-" + fUpdated, "_id"})
	} else {
		req.SortBy([]string{"-_score", "-" + fUpdated, "_id"})
	}
	for _, f := range []string{fKind, fTopic, fTags} {
		req.AddFacet(f, bleve.NewFacetRequest(f, maxFacetValues))
	}
	ctx, cancel := context.WithTimeout(ctx, searchTimeout)
	defer cancel()
	res, err := b.idx.SearchInContext(ctx, req)
	if errors.Is(err, bleve.ErrorIndexClosed) {
		return nil, biz.EngineClosed(err)
	}
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	out := &biz.Result{Total: int(res.Total), Facets: map[string][]biz.Facet{}}
	for _, h := range res.Hits {
		out.Hits = append(out.Hits, hitOf(h))
	}
	for name, f := range res.Facets {
		var vals []biz.Facet
		if f.Terms != nil {
			for _, t := range f.Terms.Terms() {
				vals = append(vals, biz.Facet{Value: t.Term, Count: t.Count})
			}
		}
		out.Facets[name] = vals
	}
	return out, nil
}

func hitOf(h *search.DocumentMatch) biz.Hit {
	str := func(f string) string { s, _ := h.Fields[f].(string); return s }
	var tags []string
	switch v := h.Fields[fTags].(type) {
	case string:
		tags = []string{v}
	case []any:
		for _, t := range v {
			if s, ok := t.(string); ok {
				tags = append(tags, s)
			}
		}
	}
	d := biz.Document{ID: h.ID, Kind: str(fKind), Title: str(fTitle), Summary: str(fSummary), Topic: str(fTopic), Tags: tags,
		Parent: str(fParent), Owner: str(fOwner)}
	if t, err := time.Parse(time.RFC3339, str(fUpdated)); err == nil {
		d.UpdatedAt = t
	}
	hit := biz.Hit{Doc: d, Score: h.Score}
	for f, frags := range h.Fragments {
		if len(frags) > snippetFields {
			frags = frags[:snippetFields]
		}
		if hit.Snippets == nil {
			hit.Snippets = map[string][]string{}
		}
		hit.Snippets[f] = append([]string(nil), frags...)
	}
	return hit
}
