package standalone

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// topics counts studyhour's outbox events by topic.
func topics(t *testing.T, l *live) map[string]int {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(l.dir, "studyhour", "studyhour.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT topic, count(*) FROM outbox_events GROUP BY topic")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var topic string
		var n int
		if err := rows.Scan(&topic, &n); err != nil {
			t.Fatal(err)
		}
		out[topic] = n
	}
	return out
}

// 一学一报: a theory-study-group session follows an item of a study plan; every attendee files a
// study report afterwards; staff of the branch return or accept each, see who has not filed, and
// report the session upward once nothing waits for review; the org above sees it reported.
func TestStudyReports(t *testing.T) {
	l := startLive(t)
	w := newStudyWorld(t, l)
	root := l.must(l.call("GET", "/v1/me", w.admin, nil), 200).s("orgId")
	m1, id1 := w.mkUser(w.orgA, "reporter1", "MEMBER")
	m2, id2 := w.mkUser(w.orgA, "reporter2", "MEMBER")
	mb, _ := w.mkUser(w.orgB, "reporterb", "MEMBER")
	year := l.clock.Now().Year()
	plan := func(org string) string {
		return l.must(l.call("POST", "/v1/study-plans", w.admin, map[string]any{"orgId": org, "year": year, "title": "理论学习计划",
			"items": []any{map[string]any{"title": "学习党章", "startsOn": "2026-01-01", "endsOn": "2026-12-31"}}}), 200).s("items", "0", "id")
	}
	itemRoot, itemB := plan(root), plan(w.orgB)
	now := l.clock.Now()
	meeting := func(kind, item string) reply {
		return l.call("POST", "/v1/meetings", w.staffA, map[string]any{"orgId": w.orgA, "kind": kind, "topic": "学习党章",
			"startsAt": now.Add(10 * time.Minute).Format(time.RFC3339), "endsAt": now.Add(70 * time.Minute).Format(time.RFC3339), "hours": 1, "planItemId": item})
	}
	// The plan item must be of the branch's plans or those above it, and only a study group
	// follows one.
	if r := l.must(meeting("STUDY_GROUP", itemB), 400, "INVALID_ARGUMENT"); r.s("metadata", "field") != "plan_item_id" {
		t.Fatalf("another branch's item = %s", r.raw)
	}
	if r := l.must(meeting("THEME_DAY", itemRoot), 400, "INVALID_ARGUMENT"); r.s("metadata", "field") != "plan_item_id" {
		t.Fatalf("a theme day with an item = %s", r.raw)
	}
	mt := l.must(meeting("STUDY_GROUP", itemRoot), 200)
	id := mt.s("id")
	if mt.s("planItemId") != itemRoot || mt.s("planItemTitle") != "学习党章" {
		t.Fatalf("meeting = %s", mt.raw)
	}
	l.must(l.call("PUT", "/v1/meetings/"+id+"/attendance", w.staffA, map[string]any{"entries": []any{
		map[string]any{"memberId": id1, "status": "PRESENT"}, map[string]any{"memberId": id2, "status": "PRESENT"}}}), 200)
	file := func(token, content string) reply {
		return l.call("PUT", "/v1/meetings/"+id+"/my-report", token, map[string]any{"content": content})
	}
	text := "通过学习党章，我进一步认识到党章是党的根本大法，要自觉学习党章、遵守党章、贯彻党章、维护党章。"
	l.must(file(m1, text), 400, "INVALID_ARGUMENT") // not begun
	l.clock.Advance(15 * time.Minute)
	w.relogin()
	m1, m2, mb = l.login("reporter1", "Passw0rd-reporter1"), l.login("reporter2", "Passw0rd-reporter2"), l.login("reporterb", "Passw0rd-reporterb")
	if r := l.must(file(m1, "学习了"), 400, "INVALID_ARGUMENT"); r.s("metadata", "field") != "content" {
		t.Fatalf("too short = %s", r.raw)
	}
	l.must(file(mb, text), 404, "NOT_FOUND")
	staffA2, _ := w.mkUser(w.orgA, "reportstaff", "STAFF", "MEMBER") // staff of the branch, not present
	l.must(file(staffA2, text), 403, "PERMISSION_DENIED")
	rep := l.must(file(m1, text), 200)
	if again := l.must(file(m1, text), 200); again.s("id") != rep.s("id") || rep.s("status") != "SUBMITTED" {
		t.Fatalf("filed %s, again %s", rep.raw, again.raw)
	}
	reports := func(token string) reply { return l.call("GET", "/v1/meetings/"+id+"/reports", token, nil) }
	got := l.must(reports(w.staffA), 200)
	if got.s("reports", "0", "memberId") != id1 || got.s("reports", "1") != "" || got.s("missing") != `["`+id2+`"]` {
		t.Fatalf("reports = %s", got.raw)
	}
	l.must(reports(m1), 403, "PERMISSION_DENIED")
	l.must(reports(w.staffB), 404, "NOT_FOUND")
	upward := func(token string) reply {
		return l.call("POST", "/v1/meetings/"+id+":report-upward", token, map[string]any{"summary": "支部理论学习中心组集中学习党章，1人未提交心得。"})
	}
	l.must(upward(w.staffA), 409, "REPORTS_PENDING")
	l.must(upward(w.staffB), 404, "NOT_FOUND")

	review := func(token string, accept bool, comment string) reply {
		return l.call("POST", "/v1/study-reports/"+rep.s("id")+":review", token, map[string]any{"accept": accept, "comment": comment})
	}
	if r := l.must(review(w.staffA, false, ""), 400, "INVALID_ARGUMENT"); r.s("metadata", "field") != "comment" {
		t.Fatalf("return without a comment = %s", r.raw)
	}
	l.must(review(m1, true, ""), 403, "PERMISSION_DENIED")
	l.must(review(m2, true, ""), 404, "NOT_FOUND")
	l.must(review(w.staffB, true, ""), 404, "NOT_FOUND")
	if r := l.must(review(w.staffA, false, "请结合工作实际谈体会"), 200); r.s("status") != "RETURNED" || r.s("reviewComment") != "请结合工作实际谈体会" {
		t.Fatalf("returned = %s", r.raw)
	}
	if got := l.must(reports(w.staffA), 200); got.s("missing") != `["`+id1+`","`+id2+`"]` {
		t.Fatalf("after returning: %s", got.raw)
	}
	l.must(file(m1, text+"结合本职工作，做到学用结合。"), 200)
	if r := l.must(review(w.staffA, true, ""), 200); r.s("status") != "ACCEPTED" {
		t.Fatalf("accepted = %s", r.raw)
	}
	l.must(review(w.staffA, true, ""), 200) // a retry
	l.must(file(m1, text), 409, "REPORT_LOCKED")
	l.must(upward(m1), 403, "PERMISSION_DENIED")
	up := l.must(upward(w.staffA), 200)
	if up.s("meeting", "reportedAt") == "" || up.s("missing") != `["`+id2+`"]` {
		t.Fatalf("reported = %s", up.raw)
	}
	l.must(upward(w.staffA), 409, "ALREADY_REPORTED")

	// Members see their sessions with their own report; those who did not file see the session
	// waiting for one.
	mine := l.must(l.call("GET", "/v1/my/study-reports", m1, nil), 200)
	if mine.s("items", "0", "meeting", "id") != id || mine.s("items", "0", "report", "status") != "ACCEPTED" || mine.s("items", "0", "meeting", "checkinCode") != "" {
		t.Fatalf("mine = %s", mine.raw)
	}
	if mine2 := l.must(l.call("GET", "/v1/my/study-reports", m2, nil), 200); mine2.s("items", "0", "meeting", "id") != id || mine2.s("items", "0", "report") != "" {
		t.Fatalf("m2's = %s", mine2.raw)
	}
	// The org above lists its subtree's study-group sessions with their upward reports; members
	// cannot list the subtree.
	sub := l.must(l.call("GET", "/v1/meetings?orgId="+root+"&subtree=true&kind=STUDY_GROUP", w.admin, nil), 200)
	if sub.s("meetings", "0", "id") != id || !strings.Contains(sub.s("meetings", "0", "reportSummary"), "1人未提交") {
		t.Fatalf("subtree = %s", sub.raw)
	}
	l.must(l.call("GET", "/v1/meetings?orgId="+w.orgA+"&subtree=true", m1, nil), 403, "PERMISSION_DENIED")
	if n := topics(t, l)["study_report.filed"]; n != 4 { // filed, returned, filed again, accepted: retries publish nothing
		t.Fatalf("study_report.filed events: %d", n)
	}
}

// The study notebook: notes on a lesson the member may study or a plan item of their org or
// above; private unless shared with the branch; nobody changes or deletes another's note.
func TestStudyNotebook(t *testing.T) {
	l := startLive(t)
	w := newStudyWorld(t, l)
	root := l.must(l.call("GET", "/v1/me", w.admin, nil), 200).s("orgId")
	m1, _ := w.mkUser(w.orgA, "noter1", "MEMBER")
	m2, _ := w.mkUser(w.orgA, "noter2", "MEMBER")
	mb, _ := w.mkUser(w.orgB, "noterb", "MEMBER")
	item := l.must(l.call("POST", "/v1/study-plans", w.admin, map[string]any{"orgId": root, "year": l.clock.Now().Year(), "title": "计划",
		"items": []any{map[string]any{"title": "学习党史", "startsOn": "2026-01-01", "endsOn": "2026-12-31"}}}), 200).s("items", "0", "id")
	note := func(token string, body map[string]any) reply { return l.call("POST", "/v1/notes", token, body) }
	for _, bad := range []struct {
		token string
		body  map[string]any
		field string
	}{
		{m1, map[string]any{"lessonId": w.other, "content": "笔记"}, "lesson_id"},                     // a course not assigned to A
		{mb, map[string]any{"lessonId": w.video, "content": "笔记"}, "lesson_id"},                     // A's course, B's member
		{m1, map[string]any{"lessonId": w.video, "planItemId": item, "content": "笔记"}, "lesson_id"}, // both
		{m1, map[string]any{"planItemId": "999999", "content": "笔记"}, "plan_item_id"},
		{m1, map[string]any{"lessonId": w.video, "content": "  "}, "content"},
	} {
		if r := l.must(note(bad.token, bad.body), 400, "INVALID_ARGUMENT"); r.s("metadata", "field") != bad.field {
			t.Fatalf("%v = %s", bad.body, r.raw)
		}
	}
	private := l.must(note(m1, map[string]any{"lessonId": w.video, "content": "“两个确立”的决定性意义"}), 200)
	shared := l.must(note(m1, map[string]any{"planItemId": item, "content": "党史学习心得：学史明理", "shared": true}), 200)
	if shared.s("authorName") != "noter1" || private.s("shared") != "false" {
		t.Fatalf("notes = %s %s", private.raw, shared.raw)
	}
	if mine := l.must(l.call("GET", "/v1/my/notes?lessonId="+w.video, m1, nil), 200); mine.s("notes", "0", "id") != private.s("id") || mine.s("notes", "1") != "" {
		t.Fatalf("mine on the lesson = %s", mine.raw)
	}
	branch := l.must(l.call("GET", "/v1/shared-notes", m2, nil), 200)
	if branch.s("notes", "0", "id") != shared.s("id") || branch.s("notes", "1") != "" {
		t.Fatalf("the branch sees = %s", branch.raw)
	}
	if none := l.must(l.call("GET", "/v1/shared-notes", mb, nil), 200); none.s("notes", "0") != "" {
		t.Fatalf("another branch sees = %s", none.raw)
	}
	l.must(l.call("GET", "/v1/shared-notes?orgId="+w.orgA, mb, nil), 404, "NOT_FOUND")
	l.must(l.call("GET", "/v1/shared-notes?orgId="+w.orgA, w.staffB, nil), 404, "NOT_FOUND")
	if st := l.must(l.call("GET", "/v1/shared-notes?orgId="+w.orgA, w.staffA, nil), 200); st.s("notes", "0", "id") != shared.s("id") || st.s("notes", "1") != "" {
		t.Fatalf("staff of A see = %s", st.raw)
	}
	// Another member can neither change nor delete m1's note; m1 shares the private one.
	pid := private.s("id")
	l.must(l.call("PUT", "/v1/notes/"+pid, m2, map[string]any{"lessonId": w.video, "content": "改", "shared": true}), 404, "NOT_FOUND")
	l.must(l.call("DELETE", "/v1/notes/"+pid, m2, nil), 404, "NOT_FOUND")
	l.must(l.call("PUT", "/v1/notes/"+pid, m1, map[string]any{"lessonId": w.video, "content": "“两个确立”的决定性意义（补充）", "shared": true}), 200)
	if branch := l.must(l.call("GET", "/v1/shared-notes?lessonId="+w.video, m2, nil), 200); branch.s("notes", "0", "id") != pid || branch.s("notes", "1") != "" {
		t.Fatalf("after sharing = %s", branch.raw)
	}
	for range 2 { // a retry is fine
		l.must(l.call("DELETE", "/v1/notes/"+pid, m1, nil), 200)
	}
	if mine := l.must(l.call("GET", "/v1/my/notes", m1, nil), 200); mine.s("notes", "0", "id") != shared.s("id") || mine.s("notes", "1") != "" {
		t.Fatalf("after deleting = %s", mine.raw)
	}
	if n := topics(t, l)["note.saved"]; n != 4 {
		t.Fatalf("note.saved events: %d", n)
	}
}

// Targets and reports: staff tighten their subtree's yearly target and meeting frequency (never
// loosen); the report holds each member to the target in force for their org and role, and
// exports as a workbook; members and other branches' staff are refused.
func TestHoursTargetsAndReport(t *testing.T) {
	l := startLive(t)
	w := newStudyWorld(t, l)
	root := l.must(l.call("GET", "/v1/me", w.admin, nil), 200).s("orgId")
	m1, id1 := w.mkUser(w.orgA, "target1", "MEMBER")
	_, id2 := w.mkUser(w.orgA, "target2", "MEMBER")
	set := func(token, org, key string, value int) reply {
		return l.call("PUT", "/v1/org-rules", token, map[string]any{"orgId": org, "key": key, "value": value})
	}
	rule := func(r reply, key, field string) string {
		for i := range 10 {
			if r.s("rules", string(rune('0'+i)), "key") == key {
				return r.s("rules", string(rune('0'+i)), field)
			}
		}
		t.Fatalf("no rule %s in %s", key, r.raw)
		return ""
	}
	l.must(l.call("GET", "/v1/org-rules?orgId="+w.orgA, m1, nil), 403, "PERMISSION_DENIED")
	if r := l.call("GET", "/v1/org-rules?orgId="+w.orgA, w.staffB, nil); r.status != 403 && r.status != 404 {
		t.Fatalf("staff of B reading A's rules: %d %s", r.status, r.raw)
	}
	got := l.must(l.call("GET", "/v1/org-rules?orgId="+w.orgA, w.staffA, nil), 200)
	if rule(got, "target.member", "effective") != "115200" || rule(got, "target.staff", "national") != "201600" {
		t.Fatalf("national defaults = %s", got.raw)
	}
	if r := l.must(set(w.staffA, w.orgA, "target.member", 30*3600), 400, "INVALID_ARGUMENT"); r.s("metadata", "field") != "value" || !strings.Contains(r.s("message"), "32") {
		t.Fatalf("loosening = %s", r.raw)
	}
	if r := l.must(set(w.staffA, w.orgA, "target.everyone", 40*3600), 400, "INVALID_ARGUMENT"); r.s("metadata", "field") != "key" {
		t.Fatalf("unknown key = %s", r.raw)
	}
	l.must(set(m1, w.orgA, "target.member", 40*3600), 403, "PERMISSION_DENIED")
	if r := set(w.staffB, w.orgA, "target.member", 40*3600); r.status != 403 && r.status != 404 {
		t.Fatalf("staff of B on A: %d %s", r.status, r.raw)
	}
	if r := l.must(set(w.staffA, w.orgA, "target.member", 40*3600), 200); rule(r, "target.member", "effective") != "144000" || rule(r, "target.member", "here") != "144000" {
		t.Fatalf("tightened = %s", r.raw)
	}
	// The root asks two 主题党日 a month of everyone; a branch cannot ask fewer.
	l.must(set(w.admin, root, "meetings.theme_day", 2), 200)
	l.must(set(w.staffA, w.orgA, "meetings.theme_day", 1), 400, "INVALID_ARGUMENT")
	comp := l.must(l.call("GET", "/v1/meeting-compliance?orgId="+w.orgA, w.staffA, nil), 200)
	if !strings.Contains(comp.raw, `"kind":"THEME_DAY", "per":"month", "requiredPerPeriod":2`) && !strings.Contains(comp.raw, `"kind":"THEME_DAY","per":"month","requiredPerPeriod":2`) {
		t.Fatalf("compliance with the root's rule = %s", comp.raw)
	}

	// m1 has 40 h (met), m2 nothing; branch A's staff are held to the staff target (56 h).
	today := l.clock.Now().In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly)
	rec := l.must(l.call("POST", "/v1/offline-records", m1, map[string]any{"title": "党校脱产培训", "hours": 40, "day": today}), 200).s("id")
	l.must(l.call("POST", "/v1/offline-records/"+rec+":decide", w.staffA, map[string]any{"approve": true}), 200)
	if h := l.must(l.call("GET", "/v1/my/hours", m1, nil), 200); h.s("targetSeconds") != "144000" || h.s("totalSeconds") != "144000" {
		t.Fatalf("m1's hours = %s", h.raw)
	}
	rep := l.must(l.call("GET", "/v1/hours-report?orgId="+root, w.admin, nil), 200)
	if rep.s("units", "0", "orgId") != w.orgA || rep.s("units", "0", "members") != "3" || rep.s("units", "0", "met") != "1" || rep.s("met") != "1" {
		t.Fatalf("report = %s", rep.raw)
	}
	below := map[string]string{}
	for i := range 6 {
		if id := rep.s("below", string(rune('0'+i)), "memberId"); id != "" {
			below[id] = rep.s("below", string(rune('0'+i)), "targetSeconds")
		}
	}
	if below[id2] != "144000" || below[id1] != "" || len(below) != 3 { // m2 and the staff of both branches
		t.Fatalf("below target = %v in %s", below, rep.raw)
	}
	if rep.s("below", "0", "targetSeconds") != "201600" { // a staff member misses the most
		t.Fatalf("most missing first = %s", rep.raw)
	}
	x := l.must(l.call("GET", "/v1/hours-report:export?orgId="+w.orgA, w.staffA, nil), 200)
	if !strings.HasPrefix(x.s("content"), "UEsDB") || !strings.HasSuffix(x.s("fileName"), ".xlsx") {
		t.Fatalf("export = %.200s", x.raw)
	}
	l.must(l.call("GET", "/v1/hours-report?orgId="+w.orgA, m1, nil), 403, "PERMISSION_DENIED")
	if r := l.call("GET", "/v1/hours-report?orgId="+w.orgA, w.staffB, nil); r.status != 403 && r.status != 404 {
		t.Fatalf("staff of B on A's report: %d %s", r.status, r.raw)
	}
	if r := l.call("GET", "/v1/hours-report:export?orgId="+root, w.staffA, nil); r.status != 403 && r.status != 404 {
		t.Fatalf("staff of A on the root's export: %d %s", r.status, r.raw)
	}
}

// attach uploads a file the way the browser does: plan, PUT to the store's presigned URL,
// complete.
func (l *live) attach(token, purpose, ref, name, contentType string, data []byte) reply {
	l.t.Helper()
	return l.uploadFile(token, "/v1/attachments", map[string]any{"purpose": purpose, "refId": ref}, "attachment", "/v1/attachments/", name, contentType, data)
}

// uploadFile plans a file at startPath (body plus its name, size and type), PUTs the bytes to the
// presigned URL, and completes it at completePrefix+id+":complete"; the plan holds the file
// under key.
func (l *live) uploadFile(token, startPath string, body map[string]any, key, completePrefix, name, contentType string, data []byte) reply {
	l.t.Helper()
	body["fileName"], body["size"], body["contentType"] = name, len(data), contentType
	plan := l.must(l.call("POST", startPath, token, body), 200)
	if !strings.HasPrefix(plan.s("uploadUrl"), l.url+"/blob/") {
		l.t.Fatalf("upload URL %q does not point at the store", plan.s("uploadUrl"))
	}
	req, _ := http.NewRequest("PUT", plan.s("uploadUrl"), bytes.NewReader(data))
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		l.t.Fatalf("PUT: %v %v", err, res)
	}
	res.Body.Close()
	return l.call("POST", completePrefix+plan.s(key, "id")+":complete", token, map[string]any{})
}

// expireUpload checks that the store holds one unfinished upload under prefix, moves the clock
// past its expiry and waits for the reconciler to abort it.
func (l *live) expireUpload(prefix string) {
	l.t.Helper()
	ctx := context.Background()
	if ups, err := l.p.Store.ListUploads(ctx, prefix, l.clock.Now().Add(time.Minute)); err != nil || len(ups) != 1 {
		l.t.Fatalf("unfinished uploads under %s before: %v %v", prefix, ups, err)
	}
	l.clock.Advance(26 * time.Hour)
	for i := 0; ; i++ {
		if ups, err := l.p.Store.ListUploads(ctx, prefix, l.clock.Now()); err == nil && len(ups) == 0 {
			return
		}
		if i > 100 {
			l.t.Fatalf("the reconciler did not abort the unfinished upload under %s", prefix)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// fetch GETs a presigned URL and returns the bytes.
func (l *live) fetch(url string) []byte {
	l.t.Helper()
	res, err := http.Get(url)
	if err != nil || res.StatusCode != 200 {
		l.t.Fatalf("download: %v %v", err, res)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return body
}

// Meeting minutes and offline records' files: uploaded to the blob store, checked by their real
// type, downloadable only by those who may see the meeting or the record.
func TestMinutesAndOfflineAttachments(t *testing.T) {
	l := startLive(t)
	w := newStudyWorld(t, l)
	m1, _ := w.mkUser(w.orgA, "filer1", "MEMBER")
	m2, _ := w.mkUser(w.orgA, "filer2", "MEMBER")
	mb, _ := w.mkUser(w.orgB, "filerb", "MEMBER")
	pdf := []byte("%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
	now := l.clock.Now()
	mt := l.must(l.call("POST", "/v1/meetings", w.staffA, map[string]any{"orgId": w.orgA, "kind": "PARTY_LECTURE", "topic": "党课",
		"startsAt": now.Format(time.RFC3339), "endsAt": now.Add(time.Hour).Format(time.RFC3339), "hours": 1}), 200).s("id")
	start := func(token, purpose, ref, contentType string, size int) reply {
		return l.call("POST", "/v1/attachments", token, map[string]any{"purpose": purpose, "refId": ref, "fileName": "会议记录.pdf", "size": size, "contentType": contentType})
	}
	// Only staff over the meeting's org upload its minutes; the type and size are checked.
	l.must(start(m1, "minutes", mt, "application/pdf", len(pdf)), 403, "PERMISSION_DENIED")
	l.must(start(w.staffB, "minutes", mt, "application/pdf", len(pdf)), 404, "NOT_FOUND")
	if r := l.must(start(w.staffA, "minutes", mt, "application/x-msdownload", len(pdf)), 400, "INVALID_ARGUMENT"); r.s("metadata", "field") != "content_type" {
		t.Fatalf("an executable = %s", r.raw)
	}
	l.must(start(w.staffA, "minutes", mt, "application/pdf", 30<<20), 400, "INVALID_ARGUMENT")
	// A file that says PDF but is not one is deleted and refused on completion.
	if r := l.must(l.attach(w.staffA, "minutes", mt, "会议记录.pdf", "application/pdf", []byte("MZ\x90\x00 not a pdf at all")), 400, "INVALID_ARGUMENT"); r.s("metadata", "field") != "content_type" {
		t.Fatalf("a fake PDF = %s", r.raw)
	}
	minutes := l.must(l.attach(w.staffA, "minutes", mt, "会议记录.pdf", "application/pdf", pdf), 200)
	if minutes.s("status") != "ready" || minutes.s("contentType") != "application/pdf" {
		t.Fatalf("minutes = %s", minutes.raw)
	}
	got := l.must(l.call("GET", "/v1/meetings/"+mt, m1, nil), 200)
	if got.s("minutes", "0", "id") != minutes.s("id") || got.s("minutes", "1") != "" {
		t.Fatalf("meeting = %s", got.raw)
	}
	// Members of the branch download them; another branch's member cannot.
	dl := l.must(l.call("GET", "/v1/attachments/"+minutes.s("id"), m1, nil), 200)
	if body := l.fetch(dl.s("url")); !bytes.Equal(body, pdf) {
		t.Fatalf("downloaded %q", body)
	}
	l.must(l.call("GET", "/v1/attachments/"+minutes.s("id"), mb, nil), 404, "NOT_FOUND")

	// Offline: the member uploads a certificate and files the record with it; only the member and
	// staff over the branch download it; a file is used by one record only, and only its
	// uploader's.
	png := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), make([]byte, 64)...)
	cert := l.must(l.attach(m1, "offline", "0", "结业证书.png", "image/png", png), 200)
	l.must(l.call("POST", "/v1/attachments", m1, map[string]any{"purpose": "offline", "refId": mt, "fileName": "x.png", "size": 10, "contentType": "image/png"}), 400)
	today := l.clock.Now().In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly)
	submit := func(token string, ids ...string) reply {
		return l.call("POST", "/v1/offline-records", token, map[string]any{"title": "党校培训", "hours": 4, "day": today, "attachmentIds": ids})
	}
	if r := l.must(submit(m2, cert.s("id")), 400, "INVALID_ARGUMENT"); r.s("metadata", "field") != "attachment_ids" {
		t.Fatalf("another member's file = %s", r.raw)
	}
	if mine := l.must(l.call("GET", "/v1/my/offline-records", m2, nil), 200); mine.s("records", "0") != "" {
		t.Fatalf("a refused record was kept: %s", mine.raw)
	}
	rec := l.must(submit(m1, cert.s("id")), 200)
	if rec.s("attachments", "0", "fileName") != "结业证书.png" || rec.s("attachments", "0", "contentType") != "image/png" {
		t.Fatalf("record = %s", rec.raw)
	}
	l.must(submit(m1, cert.s("id")), 400, "INVALID_ARGUMENT") // used already
	if list := l.must(l.call("GET", "/v1/offline-records?orgId="+w.orgA, w.staffA, nil), 200); list.s("records", "0", "attachments", "0", "id") != cert.s("id") {
		t.Fatalf("staff's list = %s", list.raw)
	}
	l.must(l.call("GET", "/v1/attachments/"+cert.s("id"), w.staffA, nil), 200)
	l.must(l.call("GET", "/v1/attachments/"+cert.s("id"), m2, nil), 404, "NOT_FOUND")
	l.must(l.call("GET", "/v1/attachments/"+cert.s("id"), w.staffB, nil), 404, "NOT_FOUND")
	// Nobody completes another's upload.
	plan := l.must(l.call("POST", "/v1/attachments", m1, map[string]any{"purpose": "offline", "refId": "0", "fileName": "a.pdf", "size": len(pdf), "contentType": "application/pdf"}), 200)
	l.must(l.call("POST", "/v1/attachments/"+plan.s("attachment", "id")+":complete", m2, map[string]any{}), 404, "NOT_FOUND")

	// An upload never finished is aborted by the reconciler once it expires: its store upload is
	// gone, and completing it says so.
	l.expireUpload("studyhour/")
	m1 = l.login("filer1", "Passw0rd-filer1")
	if r := l.must(l.call("POST", "/v1/attachments/"+plan.s("attachment", "id")+":complete", m1, map[string]any{}), 400, "INVALID_ARGUMENT"); !strings.Contains(r.s("message"), "超时") {
		t.Fatalf("completing an expired upload = %s", r.raw)
	}
}
