package standalone

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	coursev1 "github.com/vanguard/vanguard/api/course/v1"
	quizv1 "github.com/vanguard/vanguard/api/quiz/v1"
	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/authn"
)

// searchWorld is a quiz world (branches A and B, a trainer and staff of A, members of A and B,
// a bank of A's questions) with a course assigned to A, a course assigned to B only, and a news
// post of A.
type searchWorld struct {
	*quizWorld
	courseA, lessonA, courseB, postA string
}

func newSearchWorld(t *testing.T, l *live) *searchWorld {
	w := &searchWorld{quizWorld: newQuizWorld(t, l)}
	course := func(title, lesson, body, org string) (string, string) {
		c := l.must(l.call("POST", "/v1/courses", w.trainer, map[string]any{"title": title, "summary": "专题学习", "tags": []string{"专题"}}), 200).s("id")
		ch := l.must(l.call("POST", "/v1/courses/"+c+"/chapters", w.trainer, map[string]any{"title": "第一章"}), 200).s("id")
		ls := l.must(l.call("POST", "/v1/chapters/"+ch+"/lessons", w.trainer, map[string]any{"title": lesson, "kind": "ARTICLE", "bodyHtml": body}), 200).s("id")
		l.must(l.call("POST", "/v1/courses/"+c+":publish", w.trainer, map[string]any{}), 200)
		l.must(l.call("POST", "/v1/courses/"+c+"/assignments", w.admin, map[string]any{"orgIds": []string{org}, "required": false}), 200)
		return c, ls
	}
	w.courseA, w.lessonA = course("中国农业发展银行支持乡村振兴", "入党申请的办理", "<p>支部对待处理的入党申请应当在一个月内派人谈话。</p>", w.orgA)
	w.courseB, _ = course("第二支部基层治理专题", "网格化管理", "<p>基层治理的网格化实践。</p>", w.orgB)
	w.postA = l.must(l.call("POST", "/v1/news", w.staff, map[string]any{"title": "支部主题党日活动通知", "bodyHtml": "<p>全体党员参加主题党日。</p>",
		"publishAt": l.clock.Now().Add(-time.Minute).Format(time.RFC3339)}), 200).s("id")
	return w
}

// search runs a query as token and returns the reply.
func (l *live) search(token, q string, extra ...string) reply {
	l.t.Helper()
	v := url.Values{"q": {q}}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Add(extra[i], extra[i+1])
	}
	return l.call("GET", "/v1/search?"+v.Encode(), token, nil)
}

// idsOf lists the ids of a reply's list ("hits", "questions" …).
func idsOf(r reply, list string) []string {
	var out []string
	for i := 0; r.s(list, strconv.Itoa(i), "id") != ""; i++ {
		out = append(out, r.s(list, strconv.Itoa(i), "id"))
	}
	return out
}

// waitSearch polls the query until ok accepts its hits.
func (l *live) waitSearch(token, q, what string, ok func(ids []string) bool, extra ...string) reply {
	l.t.Helper()
	var r reply
	for i := 0; i < 400; i++ {
		r = l.search(token, q, extra...)
		if r.status == 200 && ok(idsOf(r, "hits")) {
			return r
		}
		time.Sleep(25 * time.Millisecond)
	}
	l.t.Fatalf("%s: %q never gave the expected hits: %d %s", what, q, r.status, r.raw)
	return r
}

func has(id string) func([]string) bool {
	return func(ids []string) bool { return slices.Contains(ids, id) }
}
func lacks(id string) func([]string) bool {
	return func(ids []string) bool { return !slices.Contains(ids, id) }
}

func facetCount(r reply, name, value string) int {
	for i := 0; r.s("facets", strconv.Itoa(i), "name") != ""; i++ {
		if r.s("facets", strconv.Itoa(i), "name") != name {
			continue
		}
		for j := 0; r.s("facets", strconv.Itoa(i), "values", strconv.Itoa(j), "value") != ""; j++ {
			if r.s("facets", strconv.Itoa(i), "values", strconv.Itoa(j), "value") == value {
				n, _ := strconv.Atoi(r.s("facets", strconv.Itoa(i), "values", strconv.Itoa(j), "count"))
				return n
			}
		}
	}
	return 0
}

// TestSearch: the index follows course's and quiz's events (publish, assignment, archive, news,
// questions) through the outbox and search's inbox, reading each item back from the owners'
// service-only feeds; every query is bounded by the caller's scope, hits, totals and facets
// alike (branch B's course never reaches A's member, questions never reach a member); Chinese
// sub-words, snippets, suggestions; the clear answers to bad queries; every denial; and a
// reindex that swaps a new generation in while queries keep finding what they found.
func TestSearch(t *testing.T) {
	l := startLive(t)
	w := newSearchWorld(t, l)
	courseA, lessonA, courseB, postA := "course:"+w.courseA, "lesson:"+w.lessonA, "course:"+w.courseB, "news:"+w.postA

	// A member of A finds A's course by a sub-word of its title, its lesson by a sub-word of its
	// text (处理 in 待处理), A's news; the snippet marks the match and escapes the rest.
	r := l.waitSearch(w.m1, "农业", "A's course", has(courseA))
	if got := r.s("hits", "0", "titleHtml"); !strings.Contains(got, "<mark>") {
		t.Errorf("title not highlighted: %s", r.raw)
	}
	r = l.waitSearch(w.m1, "处理", "A's lesson", has(lessonA))
	if r.s("hits", "0", "courseId") != w.courseA || !strings.Contains(r.s("hits", "0", "snippetHtml"), "<mark>处理</mark>") {
		t.Errorf("the lesson's hit: %s", r.raw)
	}
	l.waitSearch(w.m1, "主题党日", "A's news", has(postA))

	// Branch B's course: B's member finds it; A's member neither finds it nor counts it.
	l.waitSearch(w.mb, "基层治理", "B's course", has(courseB))
	r = l.must(l.search(w.m1, "基层治理"), 200)
	if len(idsOf(r, "hits")) != 0 || r.s("total") != "" && r.s("total") != "0" {
		t.Errorf("A's member and B's course: %s", r.raw)
	}
	r = l.must(l.search(w.mb, "农业"), 200)
	if slices.Contains(idsOf(r, "hits"), courseA) || facetCount(r, "kind", "course") != 0 {
		t.Errorf("B's member and A's course: %s", r.raw)
	}

	// Questions: the trainer of A finds them; a member never does, nor counts them.
	l.waitSearch(w.trainer, "共产党成立", "the trainer's question", has("question:"+w.single))
	r = l.must(l.search(w.m1, "共产党成立"), 200)
	if len(idsOf(r, "hits")) != 0 || facetCount(r, "kind", "question") != 0 {
		t.Errorf("a member found a question: %s", r.raw)
	}
	r = l.must(l.search(w.m1, "党", "kinds", "question"), 200)
	if len(idsOf(r, "hits")) != 0 {
		t.Errorf("a member asking for questions: %s", r.raw)
	}
	if strings.Contains(l.must(l.search(w.trainer, "共产党成立"), 200).raw, "SECRET") {
		t.Error("a hit carries a question's explanation")
	}

	// Suggestions: titles holding what was typed so far, within the caller's scope.
	sug := l.must(l.call("GET", "/v1/search/suggest?q="+url.QueryEscape("农业发"), w.m1, nil), 200)
	if sug.s("suggestions", "0", "id") != courseA {
		t.Errorf("suggestions for A's member: %s", sug.raw)
	}
	if sug := l.must(l.call("GET", "/v1/search/suggest?q="+url.QueryEscape("农业发"), w.mb, nil), 200); sug.s("suggestions", "0", "id") != "" {
		t.Errorf("suggestions for B's member: %s", sug.raw)
	}

	if r := l.must(l.call("GET", "/v1/search/suggest?q="+url.QueryEscape(strings.Repeat("党", 65)), w.m1, nil), 400, "INVALID_ARGUMENT"); r.s("metadata", "field") != "q" {
		t.Errorf("an overlong suggestion: %s", r.raw)
	}

	// Bad queries: a clear 400 naming the field.
	for _, c := range [][]string{{"pageSize", "51", "page_size"}, {"page", "-1", "page"}, {"page", "101", "page"}, {"kinds", "secret", "kinds"},
		{"sort", "random", "sort"}, {"tags", strings.Repeat("标", 41), "tags"}} {
		if r := l.must(l.search(w.m1, "党", c[0], c[1]), 400, "INVALID_ARGUMENT"); r.s("metadata", "field") != c[2] {
			t.Errorf("%v: the field is not named: %s", c, r.raw)
		}
	}
	for _, q := range []string{"", "   ", strings.Repeat("党", 65)} {
		if r := l.must(l.search(w.m1, q), 400, "INVALID_ARGUMENT"); r.s("metadata", "field") != "q" {
			t.Errorf("query %q: %s", q, r.raw)
		}
	}
	// Denials: no token, a forged one, an expired one; index status and reindex are admins'.
	l.must(l.search("", "党"), 401)
	otherKey, err := authn.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	forged, _, err := authn.NewSigner(otherKey, l.clock).Sign(&auth.Principal{UserID: 1, Username: "admin", Roles: []string{auth.RoleAdmin}, OrgPath: "/1/"})
	if err != nil {
		t.Fatal(err)
	}
	l.must(l.search(forged, "党"), 401)
	for _, tok := range []string{w.m1, w.trainer, w.staff} {
		l.must(l.call("GET", "/v1/search/status", tok, nil), 403)
		l.must(l.call("POST", "/v1/search/reindex", tok, map[string]any{}), 403)
	}

	// Changes reach the index: archiving removes the course and its lesson, unassigning B's
	// course removes it for B's member, a deleted post and a deleted question are gone.
	l.must(l.call("POST", "/v1/courses/"+w.courseA+":archive", w.trainer, map[string]any{}), 200)
	l.waitSearch(w.m1, "农业", "archived course", lacks(courseA))
	l.waitSearch(w.m1, "处理", "archived course's lesson", lacks(lessonA))
	as := l.must(l.call("GET", "/v1/courses/"+w.courseB+"/assignments", w.admin, nil), 200)
	l.must(l.call("DELETE", "/v1/assignments/"+as.s("assignments", "0", "id"), w.admin, nil), 200)
	l.waitSearch(w.mb, "基层治理", "unassigned course", lacks(courseB))
	l.must(l.call("DELETE", "/v1/news/"+w.postA, w.staff, nil), 200)
	l.waitSearch(w.m1, "主题党日", "deleted post", lacks(postA))
	l.must(l.call("DELETE", "/v1/questions/"+w.single, w.trainer, nil), 200)
	l.waitSearch(w.trainer, "共产党成立", "deleted question", lacks("question:"+w.single))

	// A reindex swaps a new generation in while queries keep answering the same.
	l.waitSearch(w.trainer, "四个意识", "a question before the reindex", has("question:"+w.multi))
	st := l.must(l.call("GET", "/v1/search/status", w.admin, nil), 200)
	gen := st.s("generation")
	var stop atomic.Bool
	var wg sync.WaitGroup
	var misses, queries atomic.Int64
	wg.Go(func() {
		for !stop.Load() {
			r := l.search(w.trainer, "四个意识")
			queries.Add(1)
			if r.status != 200 || !slices.Contains(idsOf(r, "hits"), "question:"+w.multi) {
				misses.Add(1)
			}
		}
	})
	l.must(l.call("POST", "/v1/search/reindex", w.admin, map[string]any{}), 200)
	for i := 0; ; i++ {
		st = l.must(l.call("GET", "/v1/search/status", w.admin, nil), 200)
		if st.s("generation") != gen && st.s("reindex") == "idle" {
			break
		}
		if i > 400 {
			t.Fatalf("the reindex never finished: %s", st.raw)
		}
		time.Sleep(25 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	if misses.Load() != 0 || queries.Load() == 0 {
		t.Errorf("during the reindex %d of %d queries missed the question", misses.Load(), queries.Load())
	}
	l.waitSearch(w.trainer, "四个意识", "after the reindex", has("question:"+w.multi))
	l.waitSearch(w.trainer, "共产党成立", "a deleted question after the reindex", lacks("question:"+w.single))
	l.waitSearch(w.m1, "农业", "an archived course after the reindex", lacks(courseA))

	// The feeds are for the search service only.
	_, err = quizv1.NewSearchFeedClient(l.grpcConn(w.admin)).ListSearchQuestions(context.Background(), &quizv1.ListSearchQuestionsRequest{Limit: 10})
	wantCode(t, "the question feed with an admin's token", err, 403)
	_, err = quizv1.NewSearchFeedClient(l.grpcConn(l.serviceToken("growth"))).ListSearchQuestions(context.Background(), &quizv1.ListSearchQuestionsRequest{Limit: 10})
	wantCode(t, "the question feed as growth", err, 403)
	_, err = coursev1.NewSearchFeedClient(l.grpcConn(w.admin)).GetSearchItems(context.Background(), &coursev1.GetSearchItemsRequest{CourseIds: []int64{1}})
	wantCode(t, "the course feed with an admin's token", err, 403)
	_, err = coursev1.NewSearchFeedClient(l.grpcConn(l.serviceToken("growth"))).ListSearchItems(context.Background(),
		&coursev1.ListSearchItemsRequest{Kind: "course", Limit: 10})
	wantCode(t, "the course feed as growth", err, 403)
	if _, err = coursev1.NewSearchFeedClient(l.grpcConn(l.serviceToken("search"))).ListSearchItems(context.Background(),
		&coursev1.ListSearchItemsRequest{Kind: "news", Limit: 10}); err != nil {
		t.Errorf("the course feed as search: %v", err)
	}

	// A token past its 15 minutes is refused.
	l.clock.Advance(16 * time.Minute)
	l.must(l.search(w.m1, "党"), 401)
}

// TestSearchAfterCrash: events committed while no relay ran and the queue lost everything (a
// crash between commit and relay) still reach the index once the process is back: the
// reconciler relays them from course's outbox and search applies them.
func TestSearchAfterCrash(t *testing.T) {
	l := startLiveWith(t, false)
	// The index exists (its first build ran, on nothing), so only events can bring what follows.
	ctx := context.Background()
	if err := l.p.Search.RequestReindex(ctx); err != nil {
		t.Fatal(err)
	}
	if err := l.p.Search.Reindex(ctx); err != nil {
		t.Fatal(err)
	}
	w := newSearchWorld(t, l)
	l.p.redis.FlushAll()
	l.startWorkers()
	l.waitSearch(w.m1, "农业", "a course published before the crash", has("course:"+w.courseA))
	l.waitSearch(w.m1, "主题党日", "a post written before the crash", has("news:"+w.postA))
}
