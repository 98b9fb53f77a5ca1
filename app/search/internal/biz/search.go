package biz

import (
	"context"
	"errors"
	"html"
	"strings"
	"unicode/utf8"

	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/bizerr"
)

// Limits of what a user asks.
const (
	// MaxQuery bounds a query's characters (a sentence; longer text is not a search).
	MaxQuery = 64
	// MaxFilter bounds a topic's or a tag's characters, MaxTags the tags of one query.
	MaxFilter = 40
	MaxTags   = 5
	// MaxPage bounds the pages a query reaches (MaxPage × MaxLimit hits).
	MaxPage = 100
	// Suggestions is how many titles Suggest returns.
	Suggestions = 8
	// snippetRunes bounds a snippet made from a summary when nothing matched in the text.
	snippetRunes = 80
)

// errUnavailable: the index is not open yet (the process is starting, or building it for the
// first time). It is a server condition (503), not the client's error, so it is not among the
// biz errors the API maps to 4xx: IsUnavailable tells it.
var errUnavailable = errors.New("search: index unavailable")

// IsUnavailable reports whether err says the index is not open yet; the client may retry.
func IsUnavailable(err error) bool { return errors.Is(err, errUnavailable) }

// Invalid is bad input naming the field.
func Invalid(field, reason string, args ...any) error { return bizerr.Invalid(field, reason, args...) }

// ScopeOf is what the principal may find, mirroring the owners' rules (see Scope and Reach):
// members find what is assigned to their orgs and the orgs above them; trainers and staff also
// find what their own org's subtree owns (questions included); staff and the staff of temporary
// branches what they manage; admins everything. A service principal finds nothing.
func ScopeOf(p *auth.Principal) Scope {
	if p == nil || p.IsService() {
		return Scope{}
	}
	s := Scope{Paths: p.AncestorPaths()}
	switch {
	case p.IsAdmin():
		s.Authors, s.Managers = []string{AllOrgs}, []string{AllOrgs}
		return s
	case p.OrgPath == "":
	case p.HasRole(auth.RoleStaff):
		s.Authors, s.Managers = []string{p.OrgPath}, []string{p.OrgPath}
	case p.HasRole(auth.RoleTrainer):
		s.Authors = []string{p.OrgPath}
	}
	s.Managers = append(s.Managers, p.TempStaffPaths...)
	return s
}

// Request is a search as a user asks it.
type Request struct {
	Text     string
	Kinds    []string
	Topic    string
	Tags     []string
	Sort     string
	Page     int // from 1
	PageSize int
}

// Searcher answers users' searches within their scope.
type Searcher struct{ index *Index }

// NewSearcher wires the searcher over the live index.
func NewSearcher(index *Index) *Searcher { return &Searcher{index: index} }

func validKind(k string) bool {
	return k == KindCourse || k == KindLesson || k == KindNews || k == KindQuestion
}

func (r *Request) validate() error {
	r.Text = strings.TrimSpace(r.Text)
	switch n := utf8.RuneCountInString(r.Text); {
	case n == 0:
		return Invalid("q", "请输入搜索词")
	case n > MaxQuery:
		return Invalid("q", "搜索词不能超过 %d 个字", MaxQuery)
	}
	for _, k := range r.Kinds {
		if !validKind(k) {
			return Invalid("kinds", "只能是 course、lesson、news 或 question")
		}
	}
	if utf8.RuneCountInString(r.Topic) > MaxFilter {
		return Invalid("topic", "专题不能超过 %d 个字", MaxFilter)
	}
	if len(r.Tags) > MaxTags {
		return Invalid("tags", "最多按 %d 个标签筛选", MaxTags)
	}
	for _, t := range r.Tags {
		if strings.TrimSpace(t) == "" || utf8.RuneCountInString(t) > MaxFilter {
			return Invalid("tags", "标签不能为空，也不能超过 %d 个字", MaxFilter)
		}
	}
	if r.Sort != SortRelevance && r.Sort != SortDate {
		return Invalid("sort", "只能是空（按相关度）或 date（按时间）")
	}
	if r.Page == 0 {
		r.Page = 1
	}
	if r.Page < 1 || r.Page > MaxPage {
		return Invalid("page", "页码应在 1 到 %d 之间", MaxPage)
	}
	if r.PageSize == 0 {
		r.PageSize = DefaultLimit
	}
	if r.PageSize < 1 || r.PageSize > MaxLimit {
		return Invalid("page_size", "每页应为 1 到 %d 条", MaxLimit)
	}
	return nil
}

// Search runs the caller's query within their scope; r is left with its defaults filled (the
// page and its size the reply names). A caller whose scope is empty (no org, no role over any)
// finds nothing, and is told so by an empty result rather than an error.
func (s *Searcher) Search(ctx context.Context, r *Request) (*Result, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if err := r.validate(); err != nil {
		return nil, err
	}
	scope := ScopeOf(p)
	if scope.Empty() {
		return &Result{Facets: map[string][]Facet{}}, nil
	}
	return s.search(ctx, Query{Text: r.Text, Kinds: r.Kinds, Topic: strings.TrimSpace(r.Topic), Tags: r.Tags, Sort: r.Sort,
		Offset: (r.Page - 1) * r.PageSize, Limit: r.PageSize, Scope: scope})
}

// search runs q on the live engine. A reindex that swaps its generation in closes the one it
// replaces: a query that took the old engine just before asks the new one, once, instead of
// failing.
func (s *Searcher) search(ctx context.Context, q Query) (*Result, error) {
	e, err := s.index.Live()
	if err != nil {
		return nil, err
	}
	res, err := e.Search(ctx, q)
	if IsEngineClosed(err) {
		if now, lerr := s.index.Live(); lerr == nil && now != e {
			return now.Search(ctx, q)
		}
	}
	return res, err
}

// Suggest returns the titles within the caller's scope that what they typed so far finds
// (search-as-you-type); blank text suggests nothing.
func (s *Searcher) Suggest(ctx context.Context, text string) ([]Hit, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	text = strings.TrimSpace(text)
	if utf8.RuneCountInString(text) > MaxQuery {
		return nil, Invalid("q", "搜索词不能超过 %d 个字", MaxQuery)
	}
	scope := ScopeOf(p)
	if text == "" || scope.Empty() {
		return nil, nil
	}
	res, err := s.search(ctx, Query{Text: text, Prefix: true, Limit: Suggestions, Scope: scope})
	if err != nil {
		return nil, err
	}
	return res.Hits, nil
}

// TitleHTML is the hit's title as escaped HTML with its matches marked.
func TitleHTML(h Hit) string {
	if s := h.Snippets["title"]; len(s) > 0 {
		return s[0]
	}
	return html.EscapeString(h.Doc.Title)
}

// SnippetHTML is the best fragment of the hit's text (body, then summary) as escaped HTML with
// its matches marked, or the start of its summary.
func SnippetHTML(h Hit) string {
	for _, f := range []string{"body", "summary"} {
		if s := h.Snippets[f]; len(s) > 0 {
			return strings.Join(s, " … ")
		}
	}
	sum := []rune(h.Doc.Summary)
	if len(sum) > snippetRunes {
		return html.EscapeString(string(sum[:snippetRunes])) + "…"
	}
	return html.EscapeString(h.Doc.Summary)
}
