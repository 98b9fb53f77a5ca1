// Package enginetest is the contract every search Engine passes (Bleve here, Meilisearch when
// MEILI_URL names a server): what a query finds in Chinese, that the caller's scope bounds the
// hits, their total and the facet counts, replacement and deletion, filters, facets, paging,
// sorting and snippets.
package enginetest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vanguard/vanguard/app/search/internal/biz"
)

// Open returns an empty engine for one test; the suite closes it.
type Open func(t *testing.T) biz.Engine

var t0 = time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)

// The org tree of the suite: the committee /1/ with branches /1/4/ (and its group /1/4/9/) and
// /1/5/.
var (
	member49 = biz.Scope{Paths: []string{"/1/", "/1/4/", "/1/4/9/"}}                      // a member of /1/4/9/
	member5  = biz.Scope{Paths: []string{"/1/", "/1/5/"}}                                 // a member of /1/5/
	trainer4 = biz.Scope{Paths: []string{"/1/", "/1/4/"}, Authors: []string{"/1/4/"}}     // a trainer of /1/4/
	trainer1 = biz.Scope{Paths: []string{"/1/"}, Authors: []string{"/1/"}}                // a trainer of /1/
	staff5   = biz.Scope{Authors: []string{"/1/5/"}, Managers: []string{"/1/5/"}}         // staff of /1/5/ (scope by ownership only)
	admin    = biz.Scope{Authors: []string{biz.AllOrgs}, Managers: []string{biz.AllOrgs}} // an admin, a member of no org
	all      = biz.Scope{Paths: []string{"/1/", "/1/4/", "/1/5/"}, Authors: []string{biz.AllOrgs}, Managers: []string{biz.AllOrgs}}
)

// What each kind reaches through its owner, as the service sets it.
var (
	courseReach   = []string{biz.ReachAuthors, biz.ReachManagers}
	newsReach     = []string{biz.ReachManagers}
	questionReach = []string{biz.ReachAuthors}
)

func corpus() []biz.Document {
	at := func(days int) time.Time { return t0.AddDate(0, 0, days) }
	return []biz.Document{
		{ID: "course:1", Kind: biz.KindCourse, Title: "中国农业发展银行支持乡村振兴案例", Summary: "金融服务三农", Topic: "乡村振兴",
			Tags: []string{"案例", "金融"}, Paths: []string{"/1/"}, Owner: "/1/", Reach: courseReach, UpdatedAt: at(1)},
		{ID: "lesson:11", Kind: biz.KindLesson, Title: "第一讲 党员发展工作细则", Body: "发展党员工作应当贯彻党的基本理论、基本路线、基本方略，坚持党章规定的党员标准。",
			Topic: "党章党规", Tags: []string{"发展党员"}, Paths: []string{"/1/4/"}, Owner: "/1/4/", Reach: courseReach, Parent: "course:2", UpdatedAt: at(2)},
		{ID: "lesson:12", Kind: biz.KindLesson, Title: "待处理事项的办理流程", Body: "支部对待处理的入党申请应当在一个月内派人谈话。",
			Topic: "党章党规", Tags: []string{"流程"}, Paths: []string{"/1/5/"}, Owner: "/1/5/", Reach: courseReach, Parent: "course:3", UpdatedAt: at(3)},
		{ID: "news:21", Kind: biz.KindNews, Title: "学习贯彻党的二十大精神 2024年专题培训", Body: "全体党员参加 Go 语言与数字党建专题培训。",
			Topic: "理论学习", Tags: []string{"二十大", "培训"}, Paths: []string{"/1/"}, Owner: "/1/", Reach: newsReach, UpdatedAt: at(4)},
		{ID: "question:31", Kind: biz.KindQuestion, Title: "党员发展对象须经过多长时间的培养教育和考察？", Body: "A. 半年 B. 一年以上 C. 两年",
			Topic: "党章党规", Tags: []string{"发展党员"}, Paths: []string{"/1/4/"}, Owner: "/1/4/", Reach: questionReach, Staff: true, UpdatedAt: at(5)},
	}
}

type fx struct {
	*testing.T
	e   biz.Engine
	ctx context.Context
}

func (f *fx) search(q biz.Query) *biz.Result {
	f.Helper()
	r, err := f.e.Search(f.ctx, q)
	if err != nil {
		f.Fatalf("Search(%+v): %v", q, err)
	}
	return r
}

func ids(r *biz.Result) []string {
	out := []string{}
	for _, h := range r.Hits {
		out = append(out, h.Doc.ID)
	}
	return out
}

// sorted returns the hit ids in order, for comparisons that do not depend on relevance.
func sorted(r *biz.Result) []string {
	out := ids(r)
	slices.Sort(out)
	return out
}

func (f *fx) want(what string, got, want []string) {
	f.Helper()
	if !slices.Equal(got, want) {
		f.Errorf("%s: got %v, want %v", what, got, want)
	}
}

func facet(r *biz.Result, name, value string) int {
	for _, v := range r.Facets[name] {
		if v.Value == value {
			return v.Count
		}
	}
	return 0
}

// Run runs the suite.
func Run(t *testing.T, open Open) {
	for _, c := range []struct {
		name string
		fn   func(f *fx)
	}{
		{"ChineseSubWords", testChinese},
		{"ScopeBoundsHitsTotalsAndFacets", testScope},
		{"ReplaceAndDelete", testReplaceDelete},
		{"FiltersFacetsPagingSorting", testFilters},
		{"Snippets", testSnippets},
		{"PrefixSuggestions", testPrefix},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := open(t)
			t.Cleanup(func() { _ = e.Close() })
			f := &fx{T: t, e: e, ctx: context.Background()}
			if err := e.Upsert(f.ctx, corpus()...); err != nil {
				t.Fatal(err)
			}
			c.fn(f)
		})
	}
}

// Chinese queries: whole words, sub-words inside longer words, a word split by the query's
// bigrams differently from the text, mixed Chinese, English and digits.
func testChinese(f *fx) {
	for _, c := range []struct {
		text string
		want []string
	}{
		{"农业", []string{"course:1"}},                   // a sub-word of 中国农业发展银行
		{"处理", []string{"lesson:12"}},                  // of 待处理
		{"乡村振兴", []string{"course:1"}},                 // a whole word
		{"发展党员", []string{"lesson:11", "question:31"}}, // 党员发展 in a title, 发展党员 in a body
		{"二十大", []string{"news:21"}},
		{"2024年专题培训", []string{"news:21"}},
		{"go语言", []string{"news:21"}},
		{"GO 语言", []string{"news:21"}},
		{"入党申请", []string{"lesson:12"}},
		{"量子计算", []string{}},
	} {
		r := f.search(biz.Query{Text: c.text, Scope: all})
		f.want("query "+c.text, sorted(r), c.want)
		if r.Total != len(c.want) {
			f.Errorf("query %s: total %d, want %d", c.text, r.Total, len(c.want))
		}
	}
	// The document holding the whole phrase ranks first (another holding some of its bigrams
	// would still be found).
	r := f.search(biz.Query{Text: "乡村振兴案例", Scope: all})
	if got := ids(r); len(got) == 0 || got[0] != "course:1" {
		f.Errorf("乡村振兴案例: %v", got)
	}
}

// A member finds only what is assigned to their org or above it, and never a question; staff
// find their subtree's documents and its questions. The total and the facets count only what
// the caller may see; an empty scope is refused.
func testScope(f *fx) {
	r := f.search(biz.Query{Scope: member49})
	f.want("a member of /1/4/9/", sorted(r), []string{"course:1", "lesson:11", "news:21"})
	if r.Total != 3 || facet(r, "kind", biz.KindQuestion) != 0 || facet(r, "kind", biz.KindLesson) != 1 || facet(r, "tags", "流程") != 0 {
		f.Errorf("a member's total and facets: %d %v", r.Total, r.Facets)
	}
	r = f.search(biz.Query{Text: "发展党员", Scope: member49})
	f.want("a member never finds a question", sorted(r), []string{"lesson:11"})
	r = f.search(biz.Query{Text: "处理", Scope: member49})
	f.want("another branch's lesson", sorted(r), []string{})
	if r.Total != 0 {
		f.Errorf("another branch's lesson counted: %d", r.Total)
	}
	r = f.search(biz.Query{Scope: member5})
	f.want("a member of /1/5/", sorted(r), []string{"course:1", "lesson:12", "news:21"})
	r = f.search(biz.Query{Text: "发展党员", Scope: trainer4})
	f.want("a trainer of /1/4/", sorted(r), []string{"lesson:11", "question:31"})
	r = f.search(biz.Query{Scope: staff5})
	f.want("staff of /1/5/ by ownership", sorted(r), []string{"lesson:12"})
	// A post of /1/5/ for /1/5/: staff over /1/ manage it and find it; a trainer of /1/ does not
	// (course shows posts to their readers and managers only), nor a member of /1/4/9/, nor its
	// count.
	post := biz.Document{ID: "news:22", Kind: biz.KindNews, Title: "第五支部党员大会通知", Body: "全体党员参加支部党员大会。",
		Paths: []string{"/1/5/"}, Owner: "/1/5/", Reach: newsReach, UpdatedAt: t0}
	if err := f.e.Upsert(f.ctx, post); err != nil {
		f.Fatal(err)
	}
	f.want("a trainer of /1/ and another branch's post", sorted(f.search(biz.Query{Text: "党员大会", Scope: trainer1})), []string{})
	f.want("staff of /1/ and a post below", sorted(f.search(biz.Query{Text: "党员大会",
		Scope: biz.Scope{Paths: []string{"/1/"}, Authors: []string{"/1/"}, Managers: []string{"/1/"}}})), []string{"news:22"})
	f.want("a member of /1/5/", sorted(f.search(biz.Query{Text: "党员大会", Scope: member5})), []string{"news:22"})
	r = f.search(biz.Query{Kinds: []string{biz.KindNews}, Scope: member49})
	if r.Total != 1 || facet(r, "kind", biz.KindNews) != 1 {
		f.Errorf("another branch's post counted: %d %v", r.Total, r.Facets)
	}
	r = f.search(biz.Query{Scope: admin})
	f.want("an admin", sorted(r), []string{"course:1", "lesson:11", "lesson:12", "news:21", "news:22", "question:31"})
	// A trainer of /1/ finds questions in their subtree; the staff flag keeps them from members
	// whatever their paths say.
	f.want("a trainer of /1/ and a question below", sorted(f.search(biz.Query{Kinds: []string{biz.KindQuestion}, Scope: trainer1})), []string{"question:31"})
	f.want("a member of /1/4/ and a question assigned there", sorted(f.search(biz.Query{Kinds: []string{biz.KindQuestion},
		Scope: biz.Scope{Paths: []string{"/1/", "/1/4/"}}})), []string{})
	for _, empty := range []biz.Scope{{}, {Paths: []string{}}} {
		if _, err := f.e.Search(f.ctx, biz.Query{Text: "党员", Scope: empty}); !errors.Is(err, biz.ErrEmptyScope) {
			f.Errorf("an empty scope: %v", err)
		}
	}
}

// Upsert replaces a document (its old words no longer find it); Delete removes it; deleting a
// missing one is no error.
func testReplaceDelete(f *fx) {
	d := corpus()[0]
	d.Title, d.Summary = "基层党组织书记培训班", ""
	if err := f.e.Upsert(f.ctx, d); err != nil {
		f.Fatal(err)
	}
	all := biz.Scope{Paths: []string{"/1/"}}
	f.want("the old title", sorted(f.search(biz.Query{Text: "农业", Scope: all})), []string{})
	f.want("the new title", sorted(f.search(biz.Query{Text: "书记培训", Scope: all})), []string{"course:1"})
	if n, err := f.e.Count(f.ctx); err != nil || n != len(corpus()) {
		f.Errorf("Count after a replace = %d, %v", n, err)
	}
	if err := f.e.Delete(f.ctx, "course:1", "course:404"); err != nil {
		f.Fatal(err)
	}
	f.want("deleted", sorted(f.search(biz.Query{Text: "书记培训", Scope: all})), []string{})
	if n, _ := f.e.Count(f.ctx); n != len(corpus())-1 {
		f.Errorf("Count after a delete = %d", n)
	}
}

// Kinds, topic and tags narrow the hits; facets count values; pages of the hits keep the total;
// an empty query lists newest first, and so does sorting by date.
func testFilters(f *fx) {
	f.want("kind lesson", sorted(f.search(biz.Query{Kinds: []string{biz.KindLesson}, Scope: all})), []string{"lesson:11", "lesson:12"})
	f.want("kinds course, news", sorted(f.search(biz.Query{Kinds: []string{biz.KindCourse, biz.KindNews}, Scope: all})), []string{"course:1", "news:21"})
	f.want("topic", sorted(f.search(biz.Query{Topic: "党章党规", Scope: all})), []string{"lesson:11", "lesson:12", "question:31"})
	f.want("tags", sorted(f.search(biz.Query{Tags: []string{"发展党员"}, Scope: all})), []string{"lesson:11", "question:31"})
	f.want("two tags", sorted(f.search(biz.Query{Tags: []string{"二十大", "培训"}, Scope: all})), []string{"news:21"})
	r := f.search(biz.Query{Scope: all})
	if facet(r, "topic", "党章党规") != 3 || facet(r, "kind", biz.KindLesson) != 2 || facet(r, "tags", "发展党员") != 2 {
		f.Errorf("facets: %v", r.Facets)
	}
	f.want("newest first", ids(r), []string{"question:31", "news:21", "lesson:12", "lesson:11", "course:1"})
	var paged []string
	for off := 0; off < 5; off += 2 {
		p := f.search(biz.Query{Scope: all, Offset: off, Limit: 2})
		if p.Total != 5 {
			f.Errorf("page at %d: total %d", off, p.Total)
		}
		paged = append(paged, ids(p)...)
	}
	f.want("pages", paged, ids(r))
	f.want("by date", ids(f.search(biz.Query{Text: "党员", Sort: biz.SortDate, Scope: all})), []string{"question:31", "news:21", "lesson:11"})
}

// Snippets wrap the match in <mark> and escape the rest of the text.
func testSnippets(f *fx) {
	d := corpus()[3]
	d.Body = "<script>alert(1)</script> 数字党建专题"
	if err := f.e.Upsert(f.ctx, d); err != nil {
		f.Fatal(err)
	}
	r := f.search(biz.Query{Text: "数字党建", Scope: biz.Scope{Paths: []string{"/1/"}}})
	if len(r.Hits) != 1 {
		f.Fatalf("hits: %v", ids(r))
	}
	body := strings.Join(r.Hits[0].Snippets["body"], " ")
	if !strings.Contains(body, "<mark>") || strings.Contains(body, "<script>") || !strings.Contains(body, "&lt;script&gt;") {
		f.Errorf("body snippet: %q", body)
	}
	if r.Hits[0].Doc.Title != d.Title || r.Hits[0].Doc.Kind != biz.KindNews || !r.Hits[0].Doc.UpdatedAt.Equal(d.UpdatedAt) {
		f.Errorf("the hit's document: %+v", r.Hits[0].Doc)
	}
}

// A prefix query (search-as-you-type) finds titles holding what was typed so far, even inside a
// longer word or with its last word unfinished, within the scope.
func testPrefix(f *fx) {
	for _, c := range []struct {
		text  string
		scope biz.Scope
		want  []string
	}{
		{"农业发", all, []string{"course:1"}},
		{"乡村", all, []string{"course:1"}},
		{"二十", all, []string{"news:21"}},
		{"农", all, []string{"course:1"}},
		{"待处理事", member5, []string{"lesson:12"}},
		{"待处理事", member49, []string{}},
		{"党员发展对象", member49, []string{}}, // a question's title, for a member
		{"量子", all, []string{}},
	} {
		r := f.search(biz.Query{Text: c.text, Prefix: true, Limit: 8, Scope: c.scope})
		f.want("prefix "+c.text, sorted(r), c.want)
	}
}
