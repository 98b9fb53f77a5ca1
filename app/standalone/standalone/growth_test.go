package standalone

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	coursev1 "github.com/vanguard/vanguard/api/course/v1"
	orgv1 "github.com/vanguard/vanguard/api/org/v1"
	"github.com/vanguard/vanguard/pkg/htmlpdf"
)

// growthWorld is a quiz world (branches A and B, a trainer, staff of A, members) with a member
// of branch A in development, a course of one article assigned to A, and staff of branch B.
type growthWorld struct {
	*quizWorld
	staffB, member, memberID, course, lesson string
}

func newGrowthWorld(t *testing.T, l *live) *growthWorld {
	w := &growthWorld{quizWorld: newQuizWorld(t, l)}
	mk := func(name, display, org, role string, profile map[string]any) (string, string) {
		id := l.must(l.call("POST", "/v1/accounts", w.admin, map[string]any{"username": name, "displayName": display, "password": "Passw0rd-" + name,
			"roles": []string{role}, "orgId": org, "profile": profile}), 200).s("id")
		return l.login(name, "Passw0rd-"+name), id
	}
	w.staffB, _ = mk("gstaffb", "赵书记", w.orgB, "STAFF", map[string]any{})
	w.member, w.memberID = mk("gmember", "王小明", w.orgA, "MEMBER", map[string]any{"birthDate": "1998-05-04", "gender": "MALE"})
	w.course = l.must(l.call("POST", "/v1/courses", w.trainer, map[string]any{"title": "党章学习"}), 200).s("id")
	ch := l.must(l.call("POST", "/v1/courses/"+w.course+"/chapters", w.trainer, map[string]any{"title": "第一章 党员"}), 200).s("id")
	w.lesson = l.must(l.call("POST", "/v1/chapters/"+ch+"/lessons", w.trainer, map[string]any{"title": "党员的义务", "kind": "ARTICLE",
		"bodyHtml": "<p>党员必须履行下列义务：认真学习马克思列宁主义、毛泽东思想。</p>"}), 200).s("id")
	l.must(l.call("POST", "/v1/courses/"+w.course+":publish", w.trainer, map[string]any{}), 200)
	l.must(l.call("POST", "/v1/courses/"+w.course+"/assignments", w.admin, map[string]any{"orgIds": []string{w.orgA}, "required": true}), 200)
	return w
}

// relogin renews the tokens after the fake clock moved past their 15 minutes.
func (w *growthWorld) relogin() {
	w.quizWorld.relogin()
	w.staff = w.l.login("qstaff", "Passw0rd-qstaff")
	w.staffB = w.l.login("gstaffb", "Passw0rd-gstaffb")
	w.member = w.l.login("gmember", "Passw0rd-gmember")
}

// study reads the article to completion, 30 seconds of server time a heartbeat.
func (w *growthWorld) study(t *testing.T) {
	l := w.l
	session := l.must(l.call("POST", "/v1/study-sessions", w.member, map[string]any{"lessonId": w.lesson}), 200).s("id")
	for seq := 1; ; seq++ {
		l.clock.Advance(30 * time.Second)
		l.must(l.call("POST", "/v1/study-sessions/"+session+"/heartbeats", w.member, map[string]any{"seq": seq, "position": 1, "rate": 1, "visible": true}), 200)
		if l.must(l.call("GET", "/v1/my/progress?lessonIds="+w.lesson, w.member, nil), 200).s("lessons", "0", "complete") == "true" {
			return
		}
		if seq > 20 {
			t.Fatal("the article was not completed")
		}
	}
}

// takeExam sits an exam of the true/false question and waits for its grade.
func (w *growthWorld) takeExam(t *testing.T, exam string) {
	l := w.l
	att := l.must(l.call("POST", "/v1/exams/"+exam+"/attempts", w.member, map[string]any{}), 200).s("id")
	l.must(l.call("PUT", "/v1/attempts/"+att+"/answers/1", w.member, map[string]any{"value": map[string]any{"choices": []string{"true"}}, "version": 1}), 200)
	l.must(l.call("POST", "/v1/attempts/"+att+":submit", w.member, map[string]any{}), 200)
	for i := 0; ; i++ {
		if l.must(l.call("GET", "/v1/exams/"+exam+"/attempts", w.trainer, nil), 200).s("attempts", "0", "status") == "graded" {
			return
		}
		if i > 200 {
			t.Fatal("the attempt was not graded")
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// waitFile polls the member's own file until ok accepts it.
func (w *growthWorld) waitFile(t *testing.T, what string, ok func(r reply) bool) reply {
	t.Helper()
	var r reply
	for i := 0; i < 400; i++ {
		r = w.l.call("GET", "/v1/my/growth-file", w.member, nil)
		if r.status == 200 && ok(r) {
			return r
		}
		time.Sleep(25 * time.Millisecond)
	}
	for _, line := range strings.Split(w.l.logs.String(), "\n") {
		if strings.Contains(line, "growth") && !strings.Contains(line, "GetMyGrowthFile") {
			t.Log(line)
		}
	}
	t.Fatalf("%s: the file never showed it: %d %s", what, r.status, r.raw)
	return r
}

func count(r reply, path ...string) int {
	n := 0
	for ; r.s(append(path, strconv.Itoa(n))...) != ""; n++ {
	}
	return n
}

// TestGrowthFile: the member's growth file compiled by the workers from what every service
// recorded (org's step, studyhour's course, hours and meeting, quiz's released result; the
// unreleased one never), through their real gRPC APIs with growth's service credentials;
// unchanged facts make no version; the review: pending for the branch's staff, returned with a
// comment, pending again after the next change, approved and locked; every denial (another
// branch's staff, another member, the member reviewing, no token or a forged one); the exports
// (HTML, JSON, PDF) and the audit of staff's views, reviews, records and exports.
func TestGrowthFile(t *testing.T) {
	l := startLiveConfig(t, true, func(c *Config) { c.GrowthDebounce = 50 * time.Millisecond })
	w := newGrowthWorld(t, l)
	sh, _ := time.LoadLocation("Asia/Shanghai")
	now := l.clock.Now()
	today := now.In(sh)

	// What the member did, in four services.
	l.must(l.call("POST", "/v1/members/"+w.memberID+"/development/steps", w.staff, map[string]any{"step": "application",
		"date": today.AddDate(0, 0, -2).Format(time.DateOnly)}), 200)
	released := w.exam(t, "IMMEDIATE", now.Add(-time.Minute), now.Add(time.Hour), 30, 1, w.tf)
	w.takeExam(t, released)
	w.takeExam(t, w.exam(t, "AFTER_CLOSE", now.Add(-time.Minute), now.Add(time.Hour), 30, 1, w.tf))
	start := now.Add(-3 * time.Hour)
	mt := l.must(l.call("POST", "/v1/meetings", w.staff, map[string]any{"orgId": w.orgA, "kind": "THEME_DAY", "topic": "主题党日：重温入党誓词",
		"startsAt": start.Format(time.RFC3339), "endsAt": start.Add(time.Hour).Format(time.RFC3339), "hours": 1}), 200).s("id")
	l.must(l.call("PUT", "/v1/meetings/"+mt+"/attendance", w.staff, map[string]any{"entries": []any{map[string]any{"memberId": w.memberID, "status": "PRESENT"}}}), 200)
	w.study(t)

	file := w.waitFile(t, "the first compile", func(r reply) bool {
		return count(r, "content", "development") == 1 && count(r, "content", "exams") == 1 && count(r, "content", "meetings") == 1 &&
			count(r, "content", "courses") == 1
	})
	if file.s("content", "profile", "name") != "王小明" || file.s("content", "profile", "orgName") != "A" || file.s("content", "profile", "gender") != "男" ||
		file.s("content", "development", "0", "name") == "" || file.s("content", "exams", "0", "examId") != released ||
		file.s("content", "exams", "0", "score") != "2" || file.s("content", "meetings", "0", "topic") != "主题党日：重温入党誓词" ||
		file.s("content", "courses", "0", "title") != "党章学习" || file.s("state", "status") != "pending" {
		t.Fatalf("the file: %s", file.raw)
	}
	year := strconv.Itoa(today.Year())
	if file.s("content", "hours", strconv.Itoa(count(file, "content", "hours")-1), "year") != year ||
		file.s("content", "hours", strconv.Itoa(count(file, "content", "hours")-1), "seconds") == "" {
		t.Errorf("this year's hours: %s", file.s("content", "hours"))
	}
	if strings.Contains(file.raw, "checkin") || strings.Contains(file.raw, "phone") || strings.Contains(file.raw, "nationalId") {
		t.Errorf("the file carries what it must not: %s", file.raw)
	}

	// Once the events have settled, a compile of unchanged facts stores no version. A late event
	// (a credit, an ack) may still change the facts, or its debounced compile land between the
	// read and the compile: then try again, a bounded number of times. A compile that stored a
	// version every time would never pass.
	var latest string
	for i := 0; ; i++ {
		latest = l.must(l.call("GET", "/v1/members/"+w.memberID+"/growth-file", w.staff, nil), 200).s("state", "latest")
		again := l.must(l.call("POST", "/v1/members/"+w.memberID+"/growth-file:compile", w.staff, map[string]any{}), 200)
		if again.s("compiled") != "true" && again.s("latest") == latest {
			break
		}
		if i == 50 {
			t.Fatalf("an unchanged compile: %s (latest was %s)", again.raw, latest)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Who may read it: the member and the branch's staff; not another branch's staff nor another
	// member, and nobody without a valid token.
	l.must(l.call("GET", "/v1/members/"+w.memberID+"/growth-file", w.member, nil), 200)
	l.must(l.call("GET", "/v1/members/"+w.memberID+"/growth-file", w.staffB, nil), 404, "NOT_FOUND")
	l.must(l.call("GET", "/v1/members/"+w.memberID+"/growth-file", w.m2, nil), 404, "NOT_FOUND")
	l.must(l.call("GET", "/v1/members/"+w.memberID+"/growth-file/versions", w.staffB, nil), 404, "NOT_FOUND")
	l.must(l.call("GET", "/v1/my/growth-file", "", nil), 401)
	forged := w.member[:len(w.member)-4] + "AAAA"
	l.must(l.call("GET", "/v1/my/growth-file", forged, nil), 401)
	l.must(l.call("POST", "/v1/members/"+w.memberID+"/growth-file:compile", w.staffB, map[string]any{}), 404, "NOT_FOUND")
	l.must(l.call("POST", "/v1/members/"+w.memberID+"/growth-file:compile", w.member, map[string]any{}), 403, "PERMISSION_DENIED")

	// The review queue of branch A lists the file; branch B's does not; a member has none.
	queue := l.must(l.call("GET", "/v1/growth-files?status=pending", w.staff, nil), 200)
	if !strings.Contains(queue.raw, `"memberId":"`+w.memberID+`"`) || !strings.Contains(queue.raw, "王小明") {
		t.Errorf("branch A's queue: %s", queue.raw)
	}
	if q := l.must(l.call("GET", "/v1/growth-files?status=pending", w.staffB, nil), 200); strings.Contains(q.raw, w.memberID) {
		t.Errorf("branch B's queue lists branch A's member: %s", q.raw)
	}
	l.must(l.call("GET", "/v1/growth-files?orgId="+w.orgA, w.staffB, nil), 404, "NOT_FOUND") // org hides a branch it may not see
	l.must(l.call("GET", "/v1/growth-files", w.member, nil), 403, "PERMISSION_DENIED")

	// Reviews: refused to the member, another branch and another member; a return needs a
	// comment and changes nothing without one.
	review := func(token string, version string, approve bool, comment string) reply {
		return l.call("POST", "/v1/members/"+w.memberID+"/growth-file:review", token, map[string]any{"version": version, "approve": approve, "comment": comment})
	}
	l.must(review(w.member, latest, true, ""), 403, "PERMISSION_DENIED")
	l.must(review(w.staffB, latest, true, ""), 404, "NOT_FOUND")
	l.must(review(w.m2, latest, true, ""), 404, "NOT_FOUND")
	if r := l.must(review(w.staff, latest, false, ""), 400, "INVALID_ARGUMENT"); r.s("metadata", "field") != "comment" {
		t.Errorf("a return without a comment names %q: %s", r.s("metadata", "field"), r.raw)
	}
	returned := l.must(review(w.staff, latest, false, "请补充入党申请书扫描件"), 200)
	if returned.s("status") != "returned" {
		t.Fatalf("return: %s", returned.raw)
	}
	mine := l.must(l.call("GET", "/v1/my/growth-file", w.member, nil), 200)
	if mine.s("state", "status") != "returned" || mine.s("reviews", "0", "comment") != "请补充入党申请书扫描件" {
		t.Errorf("the member's view of the return: %s", mine.raw)
	}

	// Staff record an evaluation: the file changes, a new version, pending again, with the diff.
	l.must(l.call("POST", "/v1/members/"+w.memberID+"/growth-records", w.staffB, map[string]any{"kind": "evaluation", "title": "民主评议",
		"outcome": "优秀", "date": today.Format(time.DateOnly)}), 404, "NOT_FOUND")
	l.must(l.call("POST", "/v1/members/"+w.memberID+"/growth-records", w.member, map[string]any{"kind": "evaluation", "title": "民主评议",
		"outcome": "优秀", "date": today.Format(time.DateOnly)}), 403, "PERMISSION_DENIED")
	if r := l.must(l.call("POST", "/v1/members/"+w.memberID+"/growth-records", w.staff, map[string]any{"kind": "medal", "title": "民主评议",
		"date": today.Format(time.DateOnly)}), 400); r.s("metadata", "field") != "kind" {
		t.Errorf("a bad kind: %s", r.raw)
	}
	l.must(l.call("POST", "/v1/members/"+w.memberID+"/growth-records", w.staff, map[string]any{"kind": "evaluation", "title": "年度民主评议",
		"outcome": "优秀", "date": today.Format(time.DateOnly)}), 200)
	next, _ := strconv.Atoi(latest)
	next++
	file = w.waitFile(t, "the record", func(r reply) bool { return count(r, "content", "records") == 1 })
	if file.s("state", "status") != "pending" || file.s("state", "latest") != strconv.Itoa(next) ||
		file.s("content", "records", "0", "kind") != "民主评议" || file.s("version", "changes", "0", "section") != "records" {
		t.Fatalf("after the record: %s", file.raw)
	}
	diff := l.must(l.call("GET", "/v1/members/"+w.memberID+"/growth-file/diff?from=1&to="+strconv.Itoa(next), w.staff, nil), 200)
	if !strings.Contains(diff.raw, `"section":"records"`) || !strings.Contains(diff.raw, `"op":"added"`) {
		t.Errorf("diff: %s", diff.raw)
	}
	if vs := l.must(l.call("GET", "/v1/members/"+w.memberID+"/growth-file/versions", w.staff, nil), 200); count(vs, "versions") != next {
		t.Errorf("versions: %s", vs.raw)
	}
	// The old version cannot be approved; the new one is, and is then locked.
	l.must(review(w.staff, latest, true, ""), 409, "FILE_STALE")
	l.must(review(w.staff, strconv.Itoa(next), true, "同意"), 200)
	l.must(review(w.staff, strconv.Itoa(next), false, "再看看"), 409, "FILE_LOCKED")
	if mine := l.must(l.call("GET", "/v1/my/growth-file", w.member, nil), 200); mine.s("state", "status") != "approved" || mine.s("state", "approved") != strconv.Itoa(next) {
		t.Errorf("approved: %s", mine.raw)
	}

	// Exports: print-ready HTML in Chinese, JSON, and PDF through Chromium.
	export := func(token, format string) (reply, []byte) {
		r := l.call("GET", "/v1/members/"+w.memberID+"/growth-file:export?format="+format, token, nil)
		b, _ := base64.StdEncoding.DecodeString(r.s("content"))
		return r, b
	}
	r, page := export(w.staff, "html")
	l.must(r, 200)
	for _, want := range []string{"发展党员电子成长档案", "全程纪实表", "王小明", "发展历程", "党章学习", "主题党日：重温入党誓词", "年度民主评议", "审核通过", "size: A4"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the HTML lacks %q", want)
		}
	}
	r, body := export(w.staff, "json")
	l.must(r, 200)
	var doc struct {
		Version int `json:"version"`
		Content struct {
			Exams []struct {
				ExamID int64 `json:"exam_id"`
			} `json:"exams"`
		} `json:"content"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || doc.Version != next || len(doc.Content.Exams) != 1 {
		t.Errorf("the JSON export: %v %s", err, body)
	}
	if r, _ := export(w.staffB, "json"); r.status != 404 {
		t.Errorf("another branch's export: %d", r.status)
	}
	if r, _ := export(w.staff, "docx"); r.status != 400 || r.s("metadata", "field") != "format" {
		t.Errorf("a docx export: %s", r.raw)
	}
	if htmlpdf.Find() != "" {
		r, pdf := export(w.staff, "pdf")
		l.must(r, 200)
		if !strings.HasPrefix(string(pdf), "%PDF-") || r.s("contentType") != "application/pdf" {
			t.Errorf("the PDF export: %d bytes %.8q", len(pdf), pdf)
		}
	}
	// The member exports their own file (not audited: it is theirs).
	r, _ = export(w.member, "html")
	l.must(r, 200)

	// The audit log: staff's views, reviews (return and approval), the record and the exports.
	waitAudit := func(action string, atLeast int) {
		t.Helper()
		for i := 0; ; i++ {
			if n := countLogs(l.auditLogs(w.admin, action)); n >= atLeast {
				return
			}
			if i > 100 {
				t.Fatalf("audit %s: fewer than %d entries", action, atLeast)
			}
			time.Sleep(25 * time.Millisecond)
		}
	}
	waitAudit("growth.view", 1)
	waitAudit("growth.review", 2)
	waitAudit("growth.record", 1)
	waitAudit("growth.compile", 1)
	waitAudit("growth.export", 2)
	if n := countLogs(l.auditLogs(w.admin, "growth.export")); n > 3 {
		t.Errorf("%d export entries: the member's own export was audited", n)
	}
	if logs := l.auditLogs(w.staffB, "growth.review"); countLogs(logs) != 0 {
		t.Errorf("another branch's staff see the review entries: %s", logs.raw)
	}
}

// TestGrowthReads: course's outlines and org's member list are for the growth service only; the
// outlines give a course's lessons (a deleted or unknown course is left out), the list pages.
func TestGrowthReads(t *testing.T) {
	l := startLive(t)
	w := newGrowthWorld(t, l)
	ctx := context.Background()
	course, _ := strconv.ParseInt(w.course, 10, 64)
	lesson, _ := strconv.ParseInt(w.lesson, 10, 64)
	req := &coursev1.GetCourseOutlinesRequest{CourseIds: []int64{course, course, 999999}}
	os, err := coursev1.NewDossiersClient(l.grpcConn(l.serviceToken("growth"))).GetCourseOutlines(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(os.GetCourses()) != 1 || os.GetCourses()[0].GetTitle() != "党章学习" || len(os.GetCourses()[0].GetLessonIds()) != 1 ||
		os.GetCourses()[0].GetLessonIds()[0] != lesson || os.GetCourses()[0].GetStatus() != "published" {
		t.Errorf("outlines: %v", os)
	}
	_, err = coursev1.NewDossiersClient(l.grpcConn(l.serviceToken("search"))).GetCourseOutlines(ctx, req)
	wantCode(t, "another service", err, 403)
	_, err = coursev1.NewDossiersClient(l.grpcConn(w.trainer)).GetCourseOutlines(ctx, req)
	wantCode(t, "a trainer's token", err, 403)

	members := orgv1.NewDossiersClient(l.grpcConn(l.serviceToken("growth")))
	first, err := members.ListDossierMembers(ctx, &orgv1.ListDossierMembersRequest{PageSize: 2})
	if err != nil || len(first.GetMemberIds()) != 2 {
		t.Fatalf("first page: %v %v", first, err)
	}
	rest, err := members.ListDossierMembers(ctx, &orgv1.ListDossierMembersRequest{AfterId: first.GetMemberIds()[1], PageSize: 1000})
	if err != nil || len(rest.GetMemberIds()) == 0 || rest.GetMemberIds()[0] <= first.GetMemberIds()[1] {
		t.Fatalf("next page: %v %v", rest, err)
	}
	id, _ := strconv.ParseInt(w.memberID, 10, 64)
	all := append(first.GetMemberIds(), rest.GetMemberIds()...)
	if !slices.Contains(all, id) {
		t.Errorf("the member list lacks the member: %v", all)
	}
	_, err = orgv1.NewDossiersClient(l.grpcConn(l.serviceToken("quiz"))).ListDossierMembers(ctx, &orgv1.ListDossierMembersRequest{PageSize: 2})
	wantCode(t, "another service", err, 403)
	_, err = orgv1.NewDossiersClient(l.grpcConn(w.admin)).ListDossierMembers(ctx, &orgv1.ListDossierMembersRequest{PageSize: 2})
	wantCode(t, "an admin's token", err, 403)
}
