package data

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/meilisearch/meilisearch-go"

	"github.com/vanguard/vanguard/app/search/internal/biz"
	"github.com/vanguard/vanguard/app/search/internal/biz/enginetest"
)

// These tests run the adapter against fakeMeili, an HTTP server answering with the shapes of
// Meilisearch's documented responses, and check the requests it sends:
//   - tasks: https://www.meilisearch.com/docs/reference/api/async-task-management/get-task
//     (a write answers 202 with a summarized task, {"taskUid", "indexUid", "status": "enqueued",
//     "type", "enqueuedAt"}, as in
//     https://www.meilisearch.com/docs/reference/api/settings/update-localizedattributes);
//   - errors: {"message", "code", "type", "link"}, https://www.meilisearch.com/docs/reference/errors;
//   - settings: https://www.meilisearch.com/docs/reference/api/settings (PATCH
//     /indexes/{uid}/settings; the typoTolerance, faceting and pagination objects as GET settings
//     returns them);
//   - documents: https://www.meilisearch.com/docs/reference/api/documents (POST
//     /indexes/{uid}/documents adds or replaces, POST /indexes/{uid}/documents/delete-batch
//     takes an array of ids);
//   - search: https://www.meilisearch.com/docs/reference/api/search (page/hitsPerPage answer
//     totalHits/totalPages; _formatted, facetDistribution) and the filter syntax,
//     https://www.meilisearch.com/docs/capabilities/filtering_sorting_faceting/advanced/filter_expression_syntax.
// TestMeiliContract and TestMeiliGoldenSet run on a real server when MEILI_URL names one.

const (
	fakeIndex  = "docs"
	fakeAPIKey = "secret"
	fakeTime   = "2024-08-08T17:05:55.791772Z"
)

// meiliCall is one request fakeMeili received.
type meiliCall struct {
	Method, Path, Query, Auth string
	Body                      any // the JSON body, decoded; nil when none
}

type fakeTask struct {
	uid   int64
	typ   string
	polls int
}

// fakeMeili answers like Meilisearch and records every request.
type fakeMeili struct {
	t   *testing.T
	srv *httptest.Server

	mu         sync.Mutex
	calls      []meiliCall
	exists     bool
	primaryKey string
	tasks      []*fakeTask
	// processing is how many polls of a task answer "processing" before it finishes; stuck
	// tasks never finish.
	processing int
	stuck      bool
	// fail makes the tasks of a type fail with this error object.
	fail        map[string]string
	searchReply string
	documents   int
}

func newFakeMeili(t *testing.T) *fakeMeili {
	f := &fakeMeili{t: t, exists: true, primaryKey: meiliPrimaryKey, processing: 1, fail: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /indexes/{uid}", f.getIndex)
	mux.HandleFunc("POST /indexes", f.enqueue("indexCreation", func() { f.exists, f.primaryKey = true, meiliPrimaryKey }))
	mux.HandleFunc("PATCH /indexes/{uid}", f.enqueue("indexUpdate", func() { f.primaryKey = meiliPrimaryKey }))
	mux.HandleFunc("PATCH /indexes/{uid}/settings", f.enqueue("settingsUpdate", nil))
	mux.HandleFunc("POST /indexes/{uid}/documents", f.enqueue("documentAdditionOrUpdate", nil))
	mux.HandleFunc("POST /indexes/{uid}/documents/delete-batch", f.enqueue("documentDeletion", nil))
	mux.HandleFunc("GET /indexes/{uid}/stats", func(w http.ResponseWriter, _ *http.Request) {
		f.reply(w, http.StatusOK, fmt.Sprintf(`{"numberOfDocuments": %d, "isIndexing": false, "fieldDistribution": {"id": %[1]d}}`, f.documents))
	})
	mux.HandleFunc("POST /indexes/{uid}/search", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		exists := f.exists
		f.mu.Unlock()
		if !exists {
			f.reply(w, http.StatusNotFound, fmt.Sprintf(`{"message": "Index `+"`%s`"+` not found.", "code": "index_not_found",
				"type": "invalid_request", "link": "https://docs.meilisearch.com/errors#index_not_found"}`, r.PathValue("uid")))
			return
		}
		f.reply(w, http.StatusOK, f.searchReply)
	})
	mux.HandleFunc("DELETE /indexes/{uid}", f.enqueue("indexDeletion", func() { f.exists = false }))
	mux.HandleFunc("GET /tasks/{uid}", f.getTask)
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("fake meilisearch: %v", err)
		}
		call := meiliCall{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Auth: r.Header.Get("Authorization")}
		if len(raw) > 0 {
			if err := json.Unmarshal(raw, &call.Body); err != nil {
				t.Errorf("fake meilisearch: %s %s: a body that is not JSON: %v", r.Method, r.URL.Path, err)
			}
		}
		f.mu.Lock()
		f.calls = append(f.calls, call)
		f.mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeMeili) reply(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func (f *fakeMeili) getIndex(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	uid := r.PathValue("uid")
	if !f.exists {
		f.reply(w, http.StatusNotFound, fmt.Sprintf(`{"message": "Index `+"`%s`"+` not found.", "code": "index_not_found",
			"type": "invalid_request", "link": "https://docs.meilisearch.com/errors#index_not_found"}`, uid))
		return
	}
	pk, _ := json.Marshal(f.primaryKey)
	if f.primaryKey == "" {
		pk = []byte("null")
	}
	f.reply(w, http.StatusOK, fmt.Sprintf(`{"uid": %q, "primaryKey": %s, "createdAt": %q, "updatedAt": %q}`, uid, pk, fakeTime, fakeTime))
}

// enqueue answers a write with an enqueued task; apply runs when the request arrives.
func (f *fakeMeili) enqueue(typ string, apply func()) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		task := &fakeTask{uid: int64(len(f.tasks)), typ: typ}
		f.tasks = append(f.tasks, task)
		if apply != nil && f.fail[typ] == "" {
			apply()
		}
		index := r.PathValue("uid")
		if index == "" {
			index = fakeIndex
		}
		f.reply(w, http.StatusAccepted, fmt.Sprintf(`{"taskUid": %d, "indexUid": %q, "status": "enqueued", "type": %q, "enqueuedAt": %q}`,
			task.uid, index, typ, fakeTime))
	}
}

func (f *fakeMeili) getTask(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	uid, err := strconv.Atoi(r.PathValue("uid"))
	if err != nil || uid >= len(f.tasks) {
		f.reply(w, http.StatusNotFound, `{"message": "Task not found.", "code": "task_not_found", "type": "invalid_request",
			"link": "https://docs.meilisearch.com/errors#task_not_found"}`)
		return
	}
	task := f.tasks[uid]
	task.polls++
	status, errObj, finished := "succeeded", "null", strconv.Quote(fakeTime)
	switch {
	case f.stuck || task.polls <= f.processing:
		status, finished = "processing", "null"
	case f.fail[task.typ] != "":
		status, errObj = "failed", f.fail[task.typ]
	}
	f.reply(w, http.StatusOK, fmt.Sprintf(`{"uid": %d, "indexUid": %q, "status": %q, "type": %q, "canceledBy": null, "details": null,
		"error": %s, "duration": "PT1S", "enqueuedAt": %q, "startedAt": %q, "finishedAt": %s}`,
		task.uid, fakeIndex, status, task.typ, errObj, fakeTime, fakeTime, finished))
}

// take returns the requests received so far and forgets them.
func (f *fakeMeili) take() []meiliCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	calls := f.calls
	f.calls = nil
	return calls
}

func (f *fakeMeili) config() MeiliConfig {
	return MeiliConfig{URL: f.srv.URL + "/", APIKey: fakeAPIKey, Index: fakeIndex, TaskTimeout: 5 * time.Second}
}

// open opens the adapter on f and forgets the requests that took.
func (f *fakeMeili) open() *Meili {
	f.t.Helper()
	m, err := OpenMeili(f.t.Context(), f.config())
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { _ = m.Close() })
	f.take()
	return m
}

func routes(calls []meiliCall) []string {
	out := []string{}
	for _, c := range calls {
		r := c.Method + " " + c.Path
		if c.Query != "" {
			r += "?" + c.Query
		}
		out = append(out, r)
	}
	return out
}

func jsonValue(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%v in %s", err, s)
	}
	return v
}

// wantSettings is the settings body, in the shape of the settings API.
const wantSettings = `{
	"rankingRules": ["sort", "words", "typo", "proximity", "attribute", "exactness", "updated:desc"],
	"searchableAttributes": ["title", "summary", "body"],
	"displayedAttributes": ["id", "kind", "title", "summary", "body", "topic", "tags", "owner", "parent", "updated"],
	"filterableAttributes": ["kind", "topic", "tags", "paths", "owner_tree", "reach", "staff"],
	"sortableAttributes": ["updated"],
	"typoTolerance": {
		"enabled": true,
		"minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 9},
		"disableOnWords": [],
		"disableOnAttributes": [],
		"disableOnNumbers": false
	},
	"localizedAttributes": [{"attributePatterns": ["title", "summary", "body"], "locales": ["cmn"]}],
	"faceting": {"maxValuesPerFacet": 20, "sortFacetValuesBy": {"*": "count"}},
	"pagination": {"maxTotalHits": 10000}
}`

// OpenMeili creates a missing index with the primary key id, applies the settings and waits for
// each task, polling until it succeeds; every request carries the API key.
func TestMeiliOpenCreatesTheIndexAndAppliesSettings(t *testing.T) {
	f := newFakeMeili(t)
	f.exists = false
	f.processing = 2
	m, err := OpenMeili(t.Context(), f.config())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	calls := f.take()
	want := []string{"GET /indexes/docs", "POST /indexes", "GET /tasks/0", "GET /tasks/0", "GET /tasks/0",
		"PATCH /indexes/docs/settings", "GET /tasks/1", "GET /tasks/1", "GET /tasks/1"}
	if diff := cmp.Diff(want, routes(calls)); diff != "" {
		t.Fatalf("requests (-want +got):\n%s", diff)
	}
	for _, c := range calls {
		if c.Auth != "Bearer "+fakeAPIKey {
			t.Errorf("%s %s: Authorization %q", c.Method, c.Path, c.Auth)
		}
	}
	if diff := cmp.Diff(jsonValue(t, `{"uid": "docs", "primaryKey": "id"}`), calls[1].Body); diff != "" {
		t.Errorf("create index (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(jsonValue(t, wantSettings), calls[5].Body); diff != "" {
		t.Errorf("settings (-want +got):\n%s", diff)
	}
}

func TestMeiliOpenExistingIndexes(t *testing.T) {
	for _, c := range []struct {
		name, primaryKey string
		fail             map[string]string
		want             []string
		wantErr          string
	}{
		{name: "with the primary key", primaryKey: "id",
			want: []string{"GET /indexes/docs", "PATCH /indexes/docs/settings", "GET /tasks/0", "GET /tasks/0"}},
		{name: "without a primary key yet", primaryKey: "",
			want: []string{"GET /indexes/docs", "PATCH /indexes/docs", "GET /tasks/0", "GET /tasks/0", "PATCH /indexes/docs/settings", "GET /tasks/1", "GET /tasks/1"}},
		{name: "with another primary key", primaryKey: "uuid", want: []string{"GET /indexes/docs"}, wantErr: `primary key "uuid"`},
		{name: "failing settings", primaryKey: "id",
			fail: map[string]string{"settingsUpdate": `{"message": "Invalid value type at .typoTolerance", "code": "invalid_settings_typo_tolerance",
				"type": "invalid_request", "link": "https://docs.meilisearch.com/errors#invalid_settings_typo_tolerance"}`},
			want:    []string{"GET /indexes/docs", "PATCH /indexes/docs/settings", "GET /tasks/0", "GET /tasks/0"},
			wantErr: "task 0 failed: Invalid value type at .typoTolerance (invalid_settings_typo_tolerance)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeMeili(t)
			f.primaryKey = c.primaryKey
			for typ, e := range c.fail {
				f.fail[typ] = e
			}
			m, err := OpenMeili(t.Context(), f.config())
			if c.wantErr == "" && err != nil || c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)) {
				t.Fatalf("error %v, want %q", err, c.wantErr)
			}
			if err == nil {
				defer m.Close()
			} else if !strings.HasPrefix(err.Error(), "search: ") {
				t.Errorf("error %q without the search: prefix", err)
			}
			if diff := cmp.Diff(c.want, routes(f.take())); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}

// Another replica creating the index first is no error: the creation task fails with
// index_already_exists and the settings follow.
func TestMeiliOpenRacesAnotherReplica(t *testing.T) {
	f := newFakeMeili(t)
	f.exists = false
	f.fail["indexCreation"] = `{"message": "Index ` + "`docs`" + ` already exists.", "code": "index_already_exists",
		"type": "invalid_request", "link": "https://docs.meilisearch.com/errors#index_already_exists"}`
	m, err := OpenMeili(t.Context(), f.config())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	want := []string{"GET /indexes/docs", "POST /indexes", "GET /tasks/0", "GET /tasks/0", "PATCH /indexes/docs/settings", "GET /tasks/1", "GET /tasks/1"}
	if diff := cmp.Diff(want, routes(f.take())); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

func TestMeiliOpenRefusesBadConfig(t *testing.T) {
	f := newFakeMeili(t)
	for _, cfg := range []MeiliConfig{
		{URL: "", Index: fakeIndex},
		{URL: f.srv.URL, Index: ""},
		{URL: f.srv.URL, Index: "docs/../keys"},
		{URL: f.srv.URL, Index: "文档"},
		{URL: f.srv.URL, Index: strings.Repeat("x", 401)},
	} {
		if m, err := OpenMeili(t.Context(), cfg); err == nil {
			m.Close()
			t.Errorf("%+v: opened", cfg)
		}
	}
	if calls := f.take(); len(calls) != 0 {
		t.Errorf("requests: %v", routes(calls))
	}
}

// A task that does not finish within TaskTimeout is an error, not a hang.
func TestMeiliTaskTimeout(t *testing.T) {
	f := newFakeMeili(t)
	m := f.open()
	f.stuck = true
	m.taskTimeout = 200 * time.Millisecond
	start := time.Now()
	err := m.Upsert(t.Context(), biz.Document{ID: "course:1", Kind: biz.KindCourse})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Upsert on a stuck task: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("gave up after %v", d)
	}
}

// Upsert sends the documents with mapped ids, the owner's subtrees, the staff flag and the Unix
// time to the add-or-replace route; Delete sends mapped ids to the delete-batch route; Count
// reads the index stats. Ids that would not map are refused before any request.
func TestMeiliWrites(t *testing.T) {
	f := newFakeMeili(t)
	m := f.open()
	docs := []biz.Document{
		{ID: "lesson:11", Kind: biz.KindLesson, Title: "第一讲 党员发展工作细则", Body: "发展党员\uE000工作\uE001应当", Topic: "党章党规",
			Tags: []string{"发展党员"}, Paths: []string{"/1/4/"}, Owner: "/1/4/", Reach: []string{biz.ReachAuthors, biz.ReachManagers},
			Parent: "course:2", UpdatedAt: time.Date(2026, 11, 3, 8, 0, 0, 0, time.FixedZone("CST", 8*3600)).Add(8 * time.Hour)},
		{ID: "question:q_31-b", Kind: biz.KindQuestion, Title: "党员发展对象须经过多长时间的培养教育和考察？", Owner: "/1/4/9/",
			Reach: []string{biz.ReachAuthors}, Staff: true, UpdatedAt: time.Date(2026, 11, 5, 8, 0, 0, 0, time.UTC)},
	}
	if err := m.Upsert(t.Context(), docs...); err != nil {
		t.Fatal(err)
	}
	calls := f.take()
	if diff := cmp.Diff([]string{"POST /indexes/docs/documents", "GET /tasks/1", "GET /tasks/1"}, routes(calls)); diff != "" {
		t.Fatalf("upsert requests (-want +got):\n%s", diff)
	}
	want := jsonValue(t, `[
		{"id": "lesson-11", "kind": "lesson", "title": "第一讲 党员发展工作细则", "summary": "", "body": "发展党员工作应当",
		 "topic": "党章党规", "tags": ["发展党员"], "paths": ["/1/4/"], "owner": "/1/4/", "owner_tree": ["/", "/1/", "/1/4/"],
		 "reach": ["authors", "managers"], "staff": false, "parent": "course:2", "updated": 1793692800},
		{"id": "question-q_31-b", "kind": "question", "title": "党员发展对象须经过多长时间的培养教育和考察？", "summary": "", "body": "",
		 "topic": "", "tags": [], "paths": [], "owner": "/1/4/9/", "owner_tree": ["/", "/1/", "/1/4/", "/1/4/9/"],
		 "reach": ["authors"], "staff": true, "parent": "", "updated": 1793865600}
	]`)
	if diff := cmp.Diff(want, calls[0].Body); diff != "" {
		t.Errorf("documents (-want +got):\n%s", diff)
	}

	if err := m.Delete(t.Context(), "lesson:11", "course:404"); err != nil {
		t.Fatal(err)
	}
	calls = f.take()
	if diff := cmp.Diff([]string{"POST /indexes/docs/documents/delete-batch", "GET /tasks/2", "GET /tasks/2"}, routes(calls)); diff != "" {
		t.Fatalf("delete requests (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(jsonValue(t, `["lesson-11", "course-404"]`), calls[0].Body); diff != "" {
		t.Errorf("deleted ids (-want +got):\n%s", diff)
	}

	f.documents = 41
	if n, err := m.Count(t.Context()); err != nil || n != 41 {
		t.Errorf("Count = %d, %v", n, err)
	}
	if diff := cmp.Diff([]string{"GET /indexes/docs/stats"}, routes(f.take())); diff != "" {
		t.Errorf("count requests (-want +got):\n%s", diff)
	}

	for _, id := range []string{"", "lesson", "lesson:", ":11", "lesson:1:2", "les-son:11", "lesson:1 1", "lesson:一", "lesson:11/../x",
		"lesson:" + strings.Repeat("9", 505)} {
		if err := m.Upsert(t.Context(), biz.Document{ID: id}); err == nil || !strings.HasPrefix(err.Error(), "search: ") {
			t.Errorf("Upsert(%q): %v", id, err)
		}
		if err := m.Delete(t.Context(), "course:1", id); err == nil {
			t.Errorf("Delete(%q): no error", id)
		}
	}
	if err := m.Upsert(t.Context()); err != nil {
		t.Error(err)
	}
	if err := m.Delete(t.Context()); err != nil {
		t.Error(err)
	}
	if calls := f.take(); len(calls) != 0 {
		t.Errorf("requests for refused or empty writes: %v", routes(calls))
	}
}

func TestMeiliIDs(t *testing.T) {
	for id, key := range map[string]string{
		"lesson:42": "lesson-42", "course:7": "course-7", "news:a-b_c": "news-a-b_c", "my_kind:X-1": "my_kind-X-1",
	} {
		got, err := meiliID(id)
		if err != nil || got != key {
			t.Errorf("meiliID(%q) = %q, %v; want %q", id, got, err, key)
		}
		if back, err := bizID(got); err != nil || back != id {
			t.Errorf("bizID(%q) = %q, %v; want %q", got, back, err, id)
		}
	}
	for _, key := range []string{"lesson", "-42", "lesson-", ""} {
		if got, err := bizID(key); err == nil {
			t.Errorf("bizID(%q) = %q", key, got)
		}
	}
}

// member49 with kinds, a topic and a tag holding a quote and a backslash.
var searchQuery = biz.Query{
	Text:  " 发展党员 ",
	Kinds: []string{biz.KindLesson, biz.KindQuestion},
	Topic: `党章"党规`,
	Tags:  []string{`a\"b`},
	Scope: biz.Scope{Paths: []string{"/1/", "/1/4/", "/1/4/9/"}},
	Limit: 5, Offset: 10,
}

const searchFilter = `(paths IN ["/1/", "/1/4/", "/1/4/9/"] AND staff = false) AND kind IN ["lesson", "question"] AND topic = "党章\"党规" AND tags = "a\\\"b"`

func TestMeiliSearchRequests(t *testing.T) {
	withSort := func(q biz.Query, sort string) biz.Query { q.Sort = sort; return q }
	withText := func(q biz.Query, text string) biz.Query { q.Text = text; return q }
	withPage := func(q biz.Query, offset, limit int) biz.Query { q.Offset, q.Limit = offset, limit; return q }
	// The body of a search for text; the SDK always sends "hybrid": null, which Meilisearch
	// reads as no hybrid search.
	textBody := func(q, filter string, page, size int, sort string) any {
		body := jsonValue(t, `{
			"q": "", "filter": "", "page": 0, "hitsPerPage": 0,
			"facets": ["kind", "topic", "tags"],
			"matchingStrategy": "all",
			"showRankingScore": true,
			"locales": ["cmn"],
			"attributesToHighlight": ["title", "summary", "body"],
			"highlightPreTag": "\ue000",
			"highlightPostTag": "\ue001",
			"attributesToCrop": ["body"],
			"cropLength": 40,
			"hybrid": null
		}`).(map[string]any)
		body["q"], body["filter"], body["page"], body["hitsPerPage"] = q, filter, float64(page), float64(size)
		if sort != "" {
			body["sort"] = []any{sort}
		}
		return body
	}
	// The body of a search without text: no snippets, newest first.
	listBody := func(filter string, page, size int) any {
		body := jsonValue(t, `{"q": "", "filter": "", "page": 0, "hitsPerPage": 0, "facets": ["kind", "topic", "tags"],
			"matchingStrategy": "all", "showRankingScore": true, "locales": ["cmn"], "sort": ["updated:desc"], "hybrid": null}`).(map[string]any)
		body["filter"], body["page"], body["hitsPerPage"] = filter, float64(page), float64(size)
		return body
	}
	// The body of a prefix search: titles only, highlighted, not cropped.
	prefixBody := func(q, filter string, page, size int) any {
		body := textBody(q, filter, page, size, "").(map[string]any)
		delete(body, "attributesToCrop")
		delete(body, "cropLength")
		body["attributesToHighlight"] = []any{"title"}
		body["attributesToSearchOn"] = []any{"title"}
		return body
	}
	const member5 = `(paths IN ["/1/", "/1/5/"] AND staff = false)`
	for _, c := range []struct {
		name string
		q    biz.Query
		want any
	}{
		{"a member with kinds, a topic and a quoted tag", searchQuery, textBody("发展党员", searchFilter, 3, 5, "")},
		{"by date", withSort(searchQuery, biz.SortDate), textBody("发展党员", searchFilter, 3, 5, "updated:desc")},
		{"no text lists newest first", withText(searchQuery, "  "), listBody(searchFilter, 3, 5)},
		{"the default page", biz.Query{Scope: biz.Scope{Paths: []string{"/1/", "/1/5/"}}}, listBody(member5, 1, 10)},
		{"the largest page", biz.Query{Limit: 500, Offset: -3, Scope: biz.Scope{Paths: []string{"/1/", "/1/5/"}}}, listBody(member5, 1, 50)},
		{"an offset between pages", withPage(searchQuery, 5, 2), textBody("发展党员", searchFilter, 2, 4, "")},
		{"a prefix searches titles", biz.Query{Text: "农业发", Prefix: true, Limit: 8, Scope: biz.Scope{Paths: []string{"/1/", "/1/5/"}}},
			prefixBody("农业发", member5, 1, 8)},
		{"a prefix without text lists newest first", biz.Query{Prefix: true, Scope: biz.Scope{Paths: []string{"/1/", "/1/5/"}}}, listBody(member5, 1, 10)},
		{"staff by ownership", biz.Query{Text: "党员", Scope: biz.Scope{Authors: []string{"/1/5/"}, Managers: []string{"/1/5/"}}},
			textBody("党员", `((owner_tree IN ["/1/5/"] AND reach = "authors") OR (owner_tree IN ["/1/5/"] AND reach = "managers"))`, 1, 10, "")},
		{"every part of a scope", biz.Query{Text: "党员", Scope: biz.Scope{Paths: []string{"/1/"}, Authors: []string{"/"}, Managers: []string{"/1/"}}},
			textBody("党员", `((paths IN ["/1/"] AND staff = false) OR (owner_tree IN ["/"] AND reach = "authors") OR (owner_tree IN ["/1/"] AND reach = "managers"))`, 1, 10, "")},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeMeili(t)
			f.searchReply = `{"hits": [], "query": "", "processingTimeMs": 0, "hitsPerPage": 10, "page": 1, "totalPages": 0, "totalHits": 0}`
			m := f.open()
			if _, err := m.Search(t.Context(), c.q); err != nil {
				t.Fatal(err)
			}
			calls := f.take()
			if diff := cmp.Diff([]string{"POST /indexes/docs/search"}, routes(calls)); diff != "" {
				t.Fatalf("requests (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(c.want, calls[0].Body); diff != "" {
				t.Errorf("search body (-want +got):\n%s", diff)
			}
		})
	}
}

// An empty scope is refused without a request.
func TestMeiliEmptyScope(t *testing.T) {
	f := newFakeMeili(t)
	m := f.open()
	for _, s := range []biz.Scope{{}, {Paths: []string{}, Authors: []string{}}} {
		if _, err := m.Search(t.Context(), biz.Query{Text: "党员", Scope: s}); !errors.Is(err, biz.ErrEmptyScope) {
			t.Errorf("scope %+v: %v", s, err)
		}
	}
	if calls := f.take(); len(calls) != 0 {
		t.Errorf("requests: %v", routes(calls))
	}
}

// The answer maps back to a Result: ids, the document's fields and time, snippets escaped with
// their matches in <mark> (only fields with a match), facets by count then value, the total.
func TestMeiliSearchResult(t *testing.T) {
	f := newFakeMeili(t)
	f.searchReply = `{
		"hits": [
			{"id": "lesson-11", "kind": "lesson", "title": "第一讲 党员发展工作细则", "summary": "", "body": "发展党员工作应当 <b>贯彻</b>……",
			 "topic": "党章党规", "tags": ["发展党员"], "owner": "/1/4/", "parent": "course:2", "updated": 1793606400,
			 "_formatted": {"id": "lesson-11", "kind": "lesson", "title": "第一讲 \ue000党员\ue001\ue000发展\ue001工作细则", "summary": "",
			   "body": "\ue000发展\ue001\ue000党员\ue001工作应当 <b>贯彻</b> & \"…", "topic": "党章党规", "tags": ["发展党员"], "owner": "/1/4/",
			   "parent": "course:2", "updated": "1793606400"},
			 "_rankingScore": 0.9375},
			{"id": "question-31", "kind": "question", "title": "<script>alert(1)</script>", "summary": "发展党员", "body": "A. 半年",
			 "topic": "党章党规", "tags": [], "owner": "/1/4/", "parent": "", "updated": 1793865600,
			 "_formatted": {"title": "<script>alert(1)</script>", "summary": "\ue000发展\ue001\ue000党员\ue001", "body": "A. 半年"},
			 "_rankingScore": 0.5}
		],
		"query": "发展党员",
		"processingTimeMs": 1,
		"hitsPerPage": 5,
		"page": 3,
		"totalPages": 3,
		"totalHits": 12,
		"facetDistribution": {
			"kind": {"lesson": 7, "question": 5},
			"topic": {"党章党规": 12},
			"tags": {"发展党员": 9, "b": 9, "a": 2}
		}
	}`
	m := f.open()
	got, err := m.Search(t.Context(), searchQuery)
	if err != nil {
		t.Fatal(err)
	}
	want := &biz.Result{
		Total: 12,
		Hits: []biz.Hit{
			{Doc: biz.Document{ID: "lesson:11", Kind: biz.KindLesson, Title: "第一讲 党员发展工作细则", Topic: "党章党规", Tags: []string{"发展党员"},
				Owner: "/1/4/", Parent: "course:2", UpdatedAt: time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)},
				Score: 0.9375,
				Snippets: map[string][]string{
					"title": {"第一讲 <mark>党员</mark><mark>发展</mark>工作细则"},
					"body":  {"<mark>发展</mark><mark>党员</mark>工作应当 &lt;b&gt;贯彻&lt;/b&gt; &amp; &#34;…"},
				}},
			{Doc: biz.Document{ID: "question:31", Kind: biz.KindQuestion, Title: "<script>alert(1)</script>", Summary: "发展党员", Topic: "党章党规",
				Owner: "/1/4/", UpdatedAt: time.Date(2026, 11, 5, 8, 0, 0, 0, time.UTC)},
				Score:    0.5,
				Snippets: map[string][]string{"summary": {"<mark>发展</mark><mark>党员</mark>"}}},
		},
		Facets: map[string][]biz.Facet{
			"kind":  {{Value: "lesson", Count: 7}, {Value: "question", Count: 5}},
			"topic": {{Value: "党章党规", Count: 12}},
			"tags":  {{Value: "b", Count: 9}, {Value: "发展党员", Count: 9}, {Value: "a", Count: 2}},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
}

// An offset between pages is cut out of the page that covers it; the total stays exact.
func TestMeiliSearchCutsTheWindow(t *testing.T) {
	f := newFakeMeili(t)
	var hits []string
	for i := range 4 {
		hits = append(hits, fmt.Sprintf(`{"id": "news-%d", "kind": "news", "title": "t", "updated": 1793520000}`, i))
	}
	f.searchReply = `{"hits": [` + strings.Join(hits, ",") + `], "query": "", "processingTimeMs": 0, "hitsPerPage": 4, "page": 2,
		"totalPages": 2, "totalHits": 7, "facetDistribution": {"kind": {"news": 7}, "topic": {}, "tags": {}}}`
	m := f.open()
	r, err := m.Search(t.Context(), biz.Query{Offset: 5, Limit: 2, Scope: biz.Scope{Paths: []string{"/1/"}}})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, h := range r.Hits {
		ids = append(ids, h.Doc.ID)
	}
	if !slices.Equal(ids, []string{"news:1", "news:2"}) || r.Total != 7 {
		t.Errorf("hits %v, total %d", ids, r.Total)
	}
	if r.Facets["topic"] != nil || len(r.Facets["kind"]) != 1 {
		t.Errorf("facets %v", r.Facets)
	}
}

// Every window [offset, offset+limit) lies in one page of the size meiliPage picks, no larger
// than offset+limit.
func TestMeiliPage(t *testing.T) {
	for offset := 0; offset <= 300; offset++ {
		for limit := 1; limit <= biz.MaxLimit; limit++ {
			page, size, skip := meiliPage(offset, limit)
			if size < limit || size > offset+limit || (page-1)*size+skip != offset || skip+limit > size {
				t.Fatalf("meiliPage(%d, %d) = page %d, size %d, skip %d", offset, limit, page, size, skip)
			}
		}
	}
	if page, size, skip := meiliPage(20000, 10); page != 2001 || size != 10 || skip != 0 {
		t.Errorf("beyond the reachable hits: %d %d %d", page, size, skip)
	}
	if page, size, skip := meiliPage(1<<40+3, 7); size != 7 || page != (1<<40+3)/7+1 || skip != (1<<40+3)%7 {
		t.Errorf("a huge offset: %d %d %d", page, size, skip)
	}
}

// meiliEnv is the server of the tests on a real Meilisearch, or "" (they skip).
func meiliEnv(t *testing.T) (url, key string) {
	url = os.Getenv("MEILI_URL")
	if url == "" {
		t.Skip("MEILI_URL not set: start a server (docker run --rm -p 7700:7700 -e MEILI_MASTER_KEY=dev getmeili/meilisearch:v1.x) " +
			"and run MEILI_URL=http://127.0.0.1:7700 MEILI_MASTER_KEY=dev go test ./app/search/...")
	}
	return url, os.Getenv("MEILI_MASTER_KEY")
}

var notIndexChar = regexp.MustCompile(`[^A-Za-z0-9_]+`)

// openRealMeili opens a fresh index for one test on the server and deletes it afterwards.
func openRealMeili(t *testing.T, url, key string) *Meili {
	t.Helper()
	uid := fmt.Sprintf("vanguard_test_%s_%d", notIndexChar.ReplaceAllString(t.Name(), "_"), time.Now().UnixNano())
	m, err := OpenMeili(t.Context(), MeiliConfig{URL: url, APIKey: key, Index: uid})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		client := meilisearch.New(strings.TrimRight(url, "/"), meilisearch.WithAPIKey(key))
		defer client.Close()
		info, err := client.DeleteIndex(ctx, uid)
		if err == nil {
			_, err = client.WaitForTask(ctx, info.TaskUID, meiliPollInterval)
		}
		if err != nil {
			t.Errorf("deleting the test index %s: %v", uid, err)
		}
	})
	return m
}

func TestMeiliContract(t *testing.T) {
	url, key := meiliEnv(t)
	enginetest.Run(t, func(t *testing.T) biz.Engine { return openRealMeili(t, url, key) })
}

// TestMeiliGoldenSet runs the golden set on Meilisearch. Its floor is lower than Bleve's: with
// typo tolerance from 5 characters (a typo allowance on 2-character words would find 党委 for
// 党员), the golden set's 9 misspelt Chinese words find nothing there.
func TestMeiliGoldenSet(t *testing.T) {
	url, key := meiliEnv(t)
	runGoldenSet(t, "Meilisearch (jieba, matching all words)", openRealMeili(t, url, key), 0.80)
}

// MeiliGenerations keeps a generation in an index named after it: Open creates it with its
// settings, Drop deletes it (DELETE /indexes/{uid}) and waits, and dropping a missing one is no
// error.
func TestMeiliGenerations(t *testing.T) {
	f := newFakeMeili(t)
	f.exists = false
	g := &MeiliGenerations{Config: f.config()}
	e, err := g.Open(t.Context(), 3)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	calls := f.take()
	if len(calls) < 2 || calls[0].Path != "/indexes/"+fakeIndex+"_000003" || calls[1].Method != "POST" || calls[1].Path != "/indexes" {
		t.Fatalf("open requests: %v", routes(calls))
	}
	if diff := cmp.Diff(jsonValue(t, `{"uid": "`+fakeIndex+`_000003", "primaryKey": "id"}`), calls[1].Body); diff != "" {
		t.Errorf("create body (-want +got):\n%s", diff)
	}
	if err := g.Drop(t.Context(), 3); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"DELETE /indexes/" + fakeIndex + "_000003", "GET /tasks/2", "GET /tasks/2"}, routes(f.take())); diff != "" {
		t.Errorf("drop requests (-want +got):\n%s", diff)
	}
	// A query that reaches a generation a reindex dropped under it says so, so that the
	// searcher asks the live generation instead of failing.
	if _, err := e.Search(t.Context(), biz.Query{Text: "党章", Limit: 10, Scope: biz.Scope{Paths: []string{"/1/"}}}); !biz.IsEngineClosed(err) {
		t.Errorf("search in a dropped generation = %v, want EngineClosed", err)
	}
	f.take()
	f.fail["indexDeletion"] = `{"message": "Index not found.", "code": "index_not_found", "type": "invalid_request", "link": "https://docs.meilisearch.com/errors#index_not_found"}`
	if err := g.Drop(t.Context(), 4); err != nil {
		t.Errorf("dropping a missing generation: %v", err)
	}
	f.fail["indexDeletion"] = `{"message": "boom", "code": "internal", "type": "internal", "link": ""}`
	if err := g.Drop(t.Context(), 5); err == nil {
		t.Error("a failed deletion was no error")
	}
}
