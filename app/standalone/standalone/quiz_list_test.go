package standalone

import (
	"testing"
	"time"
)

// The managers' attempt list is paged in id order: a page token leads to the next page, a bad
// one is a 400 naming it, and members cannot list.
func TestQuizAttemptListIsPaged(t *testing.T) {
	l := startLive(t)
	w := newQuizWorld(t, l)
	now := l.clock.Now()
	exam := w.exam(t, "IMMEDIATE", now.Add(-time.Minute), now.Add(time.Hour), 30, 1, w.tf)
	var ids []string
	for _, m := range []string{w.m1, w.m2, w.staff} {
		ids = append(ids, l.must(l.call("POST", "/v1/exams/"+exam+"/attempts", m, map[string]any{}), 200).s("id"))
	}
	first := l.must(l.call("GET", "/v1/exams/"+exam+"/attempts?pageSize=2", w.trainer, nil), 200)
	if first.s("attempts", "0", "id") != ids[0] || first.s("attempts", "1", "id") != ids[1] || first.s("attempts", "2", "id") != "" ||
		first.s("nextPageToken") == "" || first.s("attempts", "0", "deadline") == "" {
		t.Fatalf("first page = %s", first.raw)
	}
	second := l.must(l.call("GET", "/v1/exams/"+exam+"/attempts?pageSize=2&pageToken="+first.s("nextPageToken"), w.trainer, nil), 200)
	if second.s("attempts", "0", "id") != ids[2] || second.s("attempts", "1", "id") != "" || second.s("nextPageToken") != "" {
		t.Fatalf("second page = %s", second.raw)
	}
	r := l.must(l.call("GET", "/v1/exams/"+exam+"/attempts?pageToken=bm90LWEtdG9rZW4", w.trainer, nil), 400, "INVALID_ARGUMENT")
	if r.s("metadata", "field") != "page_token" {
		t.Fatalf("bad token answer = %s", r.raw)
	}
	l.must(l.call("GET", "/v1/exams/"+exam+"/attempts?pageSize=501", w.trainer, nil), 400, "INVALID_ARGUMENT")
	l.must(l.call("GET", "/v1/exams/"+exam+"/attempts", w.m1, nil), 403, "PERMISSION_DENIED")
}
