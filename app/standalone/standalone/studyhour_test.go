package standalone

import (
	"database/sql"
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	quizv1 "github.com/vanguard/vanguard/api/quiz/v1"
)

// studyWorld is an org tree with a published course assigned to branch A: a 600-second video
// lesson and an article, and the people who study and oversee it.
type studyWorld struct {
	l                     *live
	admin, staffA, staffB string
	orgA, orgB            string
	video, article, other string
	mkUser                func(org, name string, roles ...string) (token, id string)
}

// relogin renews the overseers' tokens (the fake clock runs past their 15 minutes).
func (w *studyWorld) relogin() {
	w.admin = w.l.login("admin", "Admin-pass-2026")
	w.staffA = w.l.login("sstaffa", "Passw0rd-sstaffa")
	w.staffB = w.l.login("sstaffb", "Passw0rd-sstaffb")
}

func newStudyWorld(t *testing.T, l *live) *studyWorld {
	w := &studyWorld{l: l}
	w.admin = l.login("admin", "Admin-pass-2026")
	root := l.must(l.call("GET", "/v1/me", w.admin, nil), 200).s("orgId")
	w.orgA = l.must(l.call("POST", "/v1/orgs", w.admin, map[string]any{"parentId": root, "name": "第一支部", "code": "A", "type": "BRANCH"}), 200).s("id")
	w.orgB = l.must(l.call("POST", "/v1/orgs", w.admin, map[string]any{"parentId": root, "name": "第二支部", "code": "B", "type": "BRANCH"}), 200).s("id")
	w.mkUser = func(org, name string, roles ...string) (string, string) {
		id := l.must(l.call("POST", "/v1/accounts", w.admin, map[string]any{"username": name, "displayName": name, "password": "Passw0rd-" + name, "roles": roles, "orgId": org}), 200).s("id")
		return l.login(name, "Passw0rd-"+name), id
	}
	trainer, _ := w.mkUser(root, "strainer", "TRAINER")
	w.staffA, _ = w.mkUser(w.orgA, "sstaffa", "STAFF")
	w.staffB, _ = w.mkUser(w.orgB, "sstaffb", "STAFF")
	course := l.must(l.call("POST", "/v1/courses", trainer, map[string]any{"title": "学习贯彻党的二十大精神"}), 200).s("id")
	ch := l.must(l.call("POST", "/v1/courses/"+course+"/chapters", trainer, map[string]any{"title": "第一章"}), 200).s("id")
	w.video = l.must(l.call("POST", "/v1/chapters/"+ch+"/lessons", trainer, map[string]any{"title": "报告解读", "kind": "VIDEO"}), 200).s("id")
	w.article = l.must(l.call("POST", "/v1/chapters/"+ch+"/lessons", trainer, map[string]any{"title": "原文", "kind": "ARTICLE", "bodyHtml": "<p>高举中国特色社会主义伟大旗帜</p>"}), 200).s("id")
	l.must(l.upload(trainer, w.video, "解读.mp4", "video/mp4", mp4(600, 1024)), 200)
	for i := 0; ; i++ {
		if l.must(l.call("GET", "/v1/lessons/"+w.video, trainer, nil), 200).s("mediaStatus") == "READY" {
			break
		}
		if i > 200 {
			t.Fatal("media:probe did not finish")
		}
		time.Sleep(50 * time.Millisecond)
	}
	l.must(l.call("POST", "/v1/courses/"+course+":publish", trainer, map[string]any{}), 200)
	l.must(l.call("POST", "/v1/courses/"+course+"/assignments", w.admin, map[string]any{"orgIds": []string{w.orgA}, "required": true}), 200)
	// A course nobody assigned: members cannot study it.
	oc := l.must(l.call("POST", "/v1/courses", trainer, map[string]any{"title": "未指派课程"}), 200).s("id")
	och := l.must(l.call("POST", "/v1/courses/"+oc+"/chapters", trainer, map[string]any{"title": "一"}), 200).s("id")
	w.other = l.must(l.call("POST", "/v1/chapters/"+och+"/lessons", trainer, map[string]any{"title": "x", "kind": "ARTICLE", "bodyHtml": "<p>x</p>"}), 200).s("id")
	l.must(l.call("POST", "/v1/courses/"+oc+":publish", trainer, map[string]any{}), 200)
	return w
}

// player is one tab of a member's lesson player: its session and heartbeat numbers.
type player struct {
	l       *live
	token   string
	session string
	seq     int
}

func (w *studyWorld) open(token, lesson string) *player {
	r := w.l.must(w.l.call("POST", "/v1/study-sessions", token, map[string]any{"lessonId": lesson}), 200)
	return &player{l: w.l, token: token, session: r.s("id")}
}

// beat sends the next heartbeat and returns the seconds it credited and its refusal.
func (p *player) beat(position, rate float64, visible bool) (float64, string) {
	p.l.t.Helper()
	p.seq++
	r := p.l.must(p.l.call("POST", "/v1/study-sessions/"+p.session+"/heartbeats", p.token, map[string]any{
		"seq": p.seq, "position": position, "rate": rate, "visible": visible}), 200)
	credited, _ := strconv.ParseFloat(r.s("creditedSeconds"), 64) // absent (0) when refused
	return credited, r.s("refusal")
}

func (w *studyWorld) credited(token, lesson string) float64 {
	r := w.l.must(w.l.call("GET", "/v1/my/progress?lessonIds="+lesson, token, nil), 200)
	v, _ := strconv.ParseFloat(r.s("lessons", "0", "creditedSeconds"), 64)
	return v
}

// The red-team suite: each way of gaming a lesson, through the HTTP API on a real process, with
// the seconds it earned. Server time is the fake clock, advanced as the player's would be.
func TestStudyHoursRedTeam(t *testing.T) {
	l := startLive(t)
	w := newStudyWorld(t, l)
	step := func(d time.Duration) { l.clock.Advance(d) }
	run := func(name string, f func(t *testing.T)) {
		w.relogin()
		t.Run(name, f)
	}

	run("honest viewing is credited what was watched", func(t *testing.T) {
		tok, _ := w.mkUser(w.orgA, "honest", "MEMBER")
		p := w.open(tok, w.video)
		total := 0.0
		for i := 1; i <= 10; i++ {
			step(30 * time.Second)
			c, why := p.beat(float64(30*i), 1, true)
			if why != "" {
				t.Fatalf("beat %d refused: %s", i, why)
			}
			total += c
		}
		if total != 300 || w.credited(tok, w.video) != 300 {
			t.Fatalf("credited %v (progress %v), want 300", total, w.credited(tok, w.video))
		}
		hours := l.must(l.call("GET", "/v1/my/hours", tok, nil), 200)
		if hours.s("totalSeconds") != "300" || hours.s("bySource", "0", "seconds") != "300" {
			t.Fatalf("my hours = %s", hours.raw)
		}
	})

	run("a seek to the end earns nothing beyond what was watched", func(t *testing.T) {
		tok, _ := w.mkUser(w.orgA, "seeker", "MEMBER")
		p := w.open(tok, w.video)
		step(30 * time.Second)
		p.beat(30, 1, true)
		step(30 * time.Second)
		if c, why := p.beat(595, 1, true); c != 0 || why != "too_fast" {
			t.Fatalf("seek: %v %q", c, why)
		}
		step(30 * time.Second)
		p.beat(600, 1, true) // the last 5 seconds, honestly
		r := l.must(l.call("GET", "/v1/my/progress?lessonIds="+w.video, tok, nil), 200)
		if cov, _ := strconv.ParseFloat(r.s("lessons", "0", "coveredSeconds"), 64); cov > 35 || r.s("lessons", "0", "complete") == "true" {
			t.Fatalf("after a seek: %s", r.raw)
		}
		if got := w.credited(tok, w.video); got > 35 {
			t.Fatalf("credited %v after a seek", got)
		}
	})

	run("rate 16 earns nothing; rate 2 earns server time", func(t *testing.T) {
		tok, _ := w.mkUser(w.orgA, "fast", "MEMBER")
		p := w.open(tok, w.video)
		step(30 * time.Second)
		if c, why := p.beat(480, 16, true); c != 0 || why != "too_fast" {
			t.Fatalf("rate 16: %v %q", c, why)
		}
		step(30 * time.Second)
		if c, why := p.beat(540, 2, true); c != 30 || why != "" {
			t.Fatalf("rate 2: %v %q", c, why)
		}
	})

	run("two tabs earn as one", func(t *testing.T) {
		tok, _ := w.mkUser(w.orgA, "twotabs", "MEMBER")
		a := w.open(tok, w.video)
		b := w.open(tok, w.article) // the newer tab earns
		var ca, cb float64
		for i := 1; i <= 6; i++ {
			step(30 * time.Second)
			c, why := a.beat(float64(30*i), 1, true)
			if why != "parallel" {
				t.Fatalf("tab A beat %d: %v %q", i, c, why)
			}
			ca += c
			c, _ = b.beat(1, 1, true)
			cb += c
		}
		if ca != 0 || cb != 180 {
			t.Fatalf("tab A %v, tab B %v; want 0 and 180", ca, cb)
		}
		// When B closes, A earns again from its next heartbeat (never for the stretch before).
		l.must(l.call("POST", "/v1/study-sessions/"+b.session+":end", tok, map[string]any{}), 200)
		step(30 * time.Second)
		if c, why := a.beat(210, 1, true); c != 30 || why != "" {
			t.Fatalf("tab A after B ended: %v %q", c, why)
		}
	})

	run("heartbeats faster than real time earn nothing", func(t *testing.T) {
		tok, _ := w.mkUser(w.orgA, "script", "MEMBER")
		p := w.open(tok, w.video)
		total := 0.0
		for i := 1; i <= 10; i++ {
			step(5 * time.Second) // a script posting 30 s of progress every 5 s
			c, _ := p.beat(float64(30*i), 1, true)
			total += c
		}
		if total != 0 {
			t.Fatalf("a script earned %v", total)
		}
		// No server time at all between two heartbeats: a replay, whatever it claims.
		step(30 * time.Second)
		p.beat(330, 1, true)
		if c, why := p.beat(360, 1, true); c != 0 || why != "replayed" {
			t.Fatalf("same-instant beat: %v %q", c, why)
		}
	})

	run("paused and hidden earn nothing", func(t *testing.T) {
		tok, _ := w.mkUser(w.orgA, "idle", "MEMBER")
		p := w.open(tok, w.video)
		step(30 * time.Second)
		p.beat(30, 1, true)
		step(30 * time.Second)
		if c, why := p.beat(30, 1, true); c != 0 || why != "paused" {
			t.Fatalf("paused: %v %q", c, why)
		}
		step(30 * time.Second)
		if c, why := p.beat(60, 1, false); c != 0 || why != "hidden" {
			t.Fatalf("hidden: %v %q", c, why)
		}
		if got := w.credited(tok, w.video); got != 30 {
			t.Fatalf("credited %v, want 30", got)
		}
	})

	run("forged, replayed and late heartbeats", func(t *testing.T) {
		tok, id := w.mkUser(w.orgA, "victim", "MEMBER")
		thief, thiefID := w.mkUser(w.orgB, "thief", "MEMBER")
		p := w.open(tok, w.video)
		step(30 * time.Second)
		p.beat(30, 1, true)
		// Another member posts to this session: answered as missing, counted as forged.
		step(30 * time.Second)
		l.must(l.call("POST", "/v1/study-sessions/"+p.session+"/heartbeats", thief, map[string]any{"seq": 2, "position": 60, "rate": 1, "visible": true}), 404, "NOT_FOUND")
		// A replay of a heartbeat already seen (its number) earns nothing.
		p.seq--
		if c, why := p.beat(60, 1, true); c != 0 || why != "replayed" {
			t.Fatalf("replayed: %v %q", c, why)
		}
		l.must(l.call("POST", "/v1/study-sessions/"+p.session+":end", tok, map[string]any{}), 200)
		l.must(l.call("POST", "/v1/study-sessions/"+p.session+":end", tok, map[string]any{}), 200) // a retry
		step(30 * time.Second)
		p.seq++
		l.must(l.call("POST", "/v1/study-sessions/"+p.session+"/heartbeats", tok, map[string]any{"seq": p.seq, "position": 90, "rate": 1, "visible": true}), 409, "SESSION_ENDED")
		if got := w.credited(tok, w.video); got != 30 {
			t.Fatalf("victim credited %v, want 30", got)
		}
		// Staff see the thief's attempt; the thief earned nothing.
		h := l.must(l.call("GET", "/v1/members/"+thiefID+"/hours", w.staffB, nil), 200)
		if h.s("refusals", "0", "reason") != "forged" || h.s("refusals", "0", "count") != "1" || h.s("totalSeconds") != "0" {
			t.Fatalf("thief's hours: %s", h.raw)
		}
		vh := l.must(l.call("GET", "/v1/members/"+id+"/hours", w.staffA, nil), 200)
		if vh.s("refusals", "0", "reason") != "replayed" {
			t.Fatalf("victim's refusals: %s", vh.raw)
		}
	})

	run("who may read whose hours", func(t *testing.T) {
		_, id := w.mkUser(w.orgA, "readme", "MEMBER")
		peer, _ := w.mkUser(w.orgA, "peer", "MEMBER")
		for name, tok := range map[string]string{"staff of another branch": w.staffB} {
			for _, path := range []string{"/hours", "/ledger", "/ledger:verify"} {
				if r := l.call("GET", "/v1/members/"+id+path, tok, nil); r.status != 404 {
					t.Errorf("%s on %s: %d %s", name, path, r.status, r.raw)
				}
			}
		}
		for _, path := range []string{"/hours", "/ledger", "/ledger:verify"} {
			l.must(l.call("GET", "/v1/members/"+id+path, peer, nil), 403, "PERMISSION_DENIED")
			l.must(l.call("GET", "/v1/members/"+id+path, w.staffA, nil), 200)
			l.must(l.call("GET", "/v1/members/"+id+path, w.admin, nil), 200)
		}
		// A lesson of a course not assigned to the member: not studiable, not even named.
		tok, _ := w.mkUser(w.orgB, "outsider", "MEMBER")
		l.must(l.call("POST", "/v1/study-sessions", tok, map[string]any{"lessonId": w.video}), 404, "NOT_FOUND")
		l.must(l.call("POST", "/v1/study-sessions", tok, map[string]any{"lessonId": w.other}), 404, "NOT_FOUND")
		l.must(l.call("POST", "/v1/study-sessions", tok, map[string]any{"lessonId": 0}), 400, "INVALID_ARGUMENT")
		p := w.open(peer, w.video)
		l.must(l.call("POST", "/v1/study-sessions/"+p.session+"/heartbeats", peer, map[string]any{"seq": 1, "position": -1, "rate": 1, "visible": true}), 400, "INVALID_ARGUMENT")
		l.must(l.call("POST", "/v1/study-sessions/"+p.session+"/heartbeats", peer, map[string]any{"seq": 1, "position": 1, "rate": 0, "visible": true}), 400, "INVALID_ARGUMENT")
	})

	run("the ledger verifies, and names a modified row", func(t *testing.T) {
		tok, id := w.mkUser(w.orgA, "ledger", "MEMBER")
		p := w.open(tok, w.video)
		for i := 1; i <= 5; i++ {
			step(30 * time.Second)
			p.beat(float64(30*i), 1, true)
		}
		v := l.must(l.call("GET", "/v1/members/"+id+"/ledger:verify", tok, nil), 200)
		if v.s("ok") != "true" || v.s("entries") != "5" {
			t.Fatalf("verify = %s", v.raw)
		}
		led := l.must(l.call("GET", "/v1/members/"+id+"/ledger?pageSize=2", tok, nil), 200)
		if led.s("entries", "0", "seq") != "5" || led.s("entries", "0", "source") != "lesson" || led.s("nextPageToken") != "4" {
			t.Fatalf("ledger = %s", led.raw)
		}
		db, err := sql.Open("sqlite", filepath.Join(l.dir, "studyhour", "studyhour.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec("UPDATE ledger_entries SET seconds = 3000 WHERE member_id = ? AND seq = 3", id); err != nil {
			t.Fatal(err)
		}
		v = l.must(l.call("GET", "/v1/members/"+id+"/ledger:verify", w.staffA, nil), 200)
		if v.s("ok") != "false" || v.s("brokenSeq") != "3" {
			t.Fatalf("after tampering: %s", v.raw)
		}
	})
}

// waitAcked waits until quiz's outbox has at least n deliveries, every one acknowledged by its
// subscriber (so applied).
func waitAcked(t *testing.T, l *live, n int) {
	t.Helper()
	for i := 0; ; i++ {
		st, err := l.p.Quiz.Outbox().Stats(l.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.NotFannedOut == 0 && st.Unacked == 0 && st.Deliveries >= n {
			return
		}
		if i > 500 {
			t.Fatalf("quiz's events were not acknowledged: %+v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// hoursOf waits until a member's year total is want seconds (events cross the outbox, the
// queue and the inbox asynchronously) and returns the summary.
func hoursOf(t *testing.T, l *live, token, want string) reply {
	t.Helper()
	var r reply
	for i := 0; i < 300; i++ {
		if r = l.must(l.call("GET", "/v1/my/hours", token, nil), 200); r.s("totalSeconds") == want {
			return r
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("hours never reached %s: %s", want, r.raw)
	return r
}

// An exam credits its hours once when a member passes (from quiz's attempt.graded event, through
// the outbox), never twice for the same event or a second pass, and a regrade to fail reverses
// it; the ledger still verifies.
func TestExamCreditsHoursOnce(t *testing.T) {
	l := startLive(t)
	w := newQuizWorld(t, l)
	bank := l.must(l.call("POST", "/v1/banks", w.trainer, map[string]any{"name": "学时题库"}), 200).s("id")
	opts := []map[string]any{{"key": "A", "html": "1919年"}, {"key": "B", "html": "1921年"}, {"key": "C", "html": "1927年"}}
	q := l.must(l.call("POST", "/v1/banks/"+bank+"/questions", w.trainer, map[string]any{
		"bankId": bank, "type": "SINGLE", "stemHtml": "建党时间", "options": opts, "answerKeys": []string{"B"}, "defaultPoints": 5,
	}), 200).s("id")
	paper := l.must(l.call("POST", "/v1/papers", w.trainer, map[string]any{"title": "试卷", "items": []map[string]any{{"questionId": q}}}), 200).s("id")
	now := l.clock.Now()
	exam := func(hours any) reply {
		return l.call("POST", "/v1/exams", w.trainer, map[string]any{
			"paperId": paper, "title": "党史测试", "opensAt": now.Add(-time.Minute).Format(time.RFC3339), "closesAt": now.Add(time.Hour).Format(time.RFC3339),
			"durationMinutes": 30, "attemptsAllowed": 2, "resultsPolicy": "IMMEDIATE", "passMark": 5, "creditHours": hours, "targetOrgIds": []string{w.orgA},
		})
	}
	l.must(exam(-1), 400, "INVALID_ARGUMENT")
	l.must(exam(101), 400, "INVALID_ARGUMENT")
	e := l.must(exam(2), 200)
	if e.s("creditHours") != "2" {
		t.Fatalf("exam = %s", e.raw)
	}
	take := func(m, answer string) {
		v := l.must(l.call("POST", "/v1/exams/"+e.s("id")+"/attempts", m, map[string]any{}), 200)
		label := ""
		for i := 0; i < 3; i++ {
			if v.s("questions", "0", "options", itoa(i), "html") == answer {
				label = v.s("questions", "0", "options", itoa(i), "key")
			}
		}
		l.must(l.call("PUT", "/v1/attempts/"+v.s("id")+"/answers/1", m, map[string]any{"value": map[string]any{"choices": []string{label}}, "version": 1}), 200)
		l.must(l.call("POST", "/v1/attempts/"+v.s("id")+":submit", m, map[string]any{}), 200)
	}
	take(w.m1, "1921年") // passes
	take(w.m2, "1919年") // fails
	waitStatus(t, l, w.trainer, e.s("id"), "graded")
	h := hoursOf(t, l, w.m1, "7200")
	if h.s("bySource", "1", "source") != "exam" || h.s("bySource", "1", "seconds") != "7200" {
		t.Fatalf("m1 hours = %s", h.raw)
	}
	hoursOf(t, l, w.m2, "0")

	// The same event again, and the same content under another event id: nothing more (once
	// every delivery is acknowledged, i.e. applied).
	waitAcked(t, l, 2)
	evs, err := l.p.Quiz.Outbox().List(l.ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if ev.Topic != "attempt.graded" {
			continue
		}
		applied, err := l.p.Studyhour.Inbox().Apply(l.ctx, ev)
		if err != nil || applied {
			t.Fatalf("re-applying event %d: applied=%v err=%v", ev.ID, applied, err)
		}
		again := *ev
		again.ID += 1_000_000
		if _, err := l.p.Studyhour.Inbox().Apply(l.ctx, &again); err != nil {
			t.Fatal(err)
		}
	}
	// A second passing attempt earns nothing more either.
	take(w.m1, "1921年")
	waitStatus(t, l, w.trainer, e.s("id"), "graded")
	waitAcked(t, l, 3)
	hoursOf(t, l, w.m1, "7200")

	// The key was wrong: 1919. The regrade fails m1 (reversed) and passes m2 (credited).
	l.must(l.call("PUT", "/v1/questions/"+q, w.trainer, map[string]any{"question": map[string]any{
		"bankId": bank, "type": "SINGLE", "stemHtml": "建党时间", "options": opts, "answerKeys": []string{"A"}, "defaultPoints": 5,
	}}), 200)
	l.must(l.call("POST", "/v1/exams/"+e.s("id")+":regrade", w.trainer, map[string]any{"reason": "答案更正"}), 200)
	hoursOf(t, l, w.m1, "0")
	hoursOf(t, l, w.m2, "7200")
	me := l.must(l.call("GET", "/v1/me", w.m1, nil), 200).s("id")
	led := l.must(l.call("GET", "/v1/members/"+me+"/ledger", w.m1, nil), 200)
	if led.s("entries", "0", "seconds") != "-7200" || led.s("entries", "1", "seconds") != "7200" || led.s("entries", "2", "seq") != "" {
		t.Fatalf("m1 ledger = %s", led.raw)
	}
	if v := l.must(l.call("GET", "/v1/members/"+me+"/ledger:verify", w.m1, nil), 200); v.s("ok") != "true" || v.s("entries") != "2" {
		t.Fatalf("verify = %s", v.raw)
	}
}

// Exams graded before studyhour subscribed are credited by its backfill over quiz's
// service-only gRPC API (as the studyhour service; a user's token is refused), once: running it
// again, and the attempt.graded events delivered afterwards, add nothing.
func TestStudyhourBackfillsGradedExams(t *testing.T) {
	l := startLiveWith(t, false) // no workers: grading and events wait
	w := newQuizWorld(t, l)
	now := l.clock.Now()
	paper := l.must(l.call("POST", "/v1/papers", w.trainer, map[string]any{"title": "卷", "items": []map[string]any{{"questionId": w.tf}}}), 200).s("id")
	exam := l.must(l.call("POST", "/v1/exams", w.trainer, map[string]any{
		"paperId": paper, "title": "补录测试", "opensAt": now.Add(-time.Minute).Format(time.RFC3339), "closesAt": now.Add(time.Hour).Format(time.RFC3339),
		"durationMinutes": 30, "attemptsAllowed": 1, "resultsPolicy": "IMMEDIATE", "passMark": 1, "creditHours": 0.5, "targetOrgIds": []string{w.orgA},
	}), 200).s("id")
	for _, m := range []string{w.m1, w.m2} {
		att := l.must(l.call("POST", "/v1/exams/"+exam+"/attempts", m, map[string]any{}), 200).s("id")
		answer := "true"
		if m == w.m2 {
			answer = "false"
		}
		l.must(l.call("PUT", "/v1/attempts/"+att+"/answers/1", m, map[string]any{"value": map[string]any{"choices": []string{answer}}, "version": 1}), 200)
		l.must(l.call("POST", "/v1/attempts/"+att+":submit", m, map[string]any{}), 200)
		id, _ := strconv.ParseInt(att, 10, 64)
		if err := l.p.Quiz.Grade(l.ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	// A user cannot page over graded attempts.
	_, quizAsAdmin, _ := l.grpcAs(w.admin)
	_, err := quizAsAdmin.ListGradedAttempts(l.ctx, &quizv1.ListGradedAttemptsRequest{})
	wantCode(t, "graded attempts with an admin's token", err, 403)

	n, err := l.p.Studyhour.Backfill(l.ctx)
	if err != nil || n != 2 {
		t.Fatalf("backfill applied %d (%v), want 2", n, err)
	}
	hoursOf(t, l, w.m1, "1800")
	hoursOf(t, l, w.m2, "0")
	if n, err := l.p.Studyhour.Backfill(l.ctx); err != nil || n != 0 {
		t.Fatalf("second backfill applied %d (%v)", n, err)
	}
	// The events arrive now; every delivery is acknowledged and nothing is credited twice.
	l.startWorkers()
	waitAcked(t, l, 2)
	hoursOf(t, l, w.m1, "1800")
}

// Meetings: staff record one, members check in by its QR code within its time (credited once),
// staff correct attendance (a reversal), and who may do what; then the year's compliance with
// the required frequencies, counted in Beijing time across the year boundary.
func TestMeetingsAttendanceAndCompliance(t *testing.T) {
	l := startLive(t)
	w := newStudyWorld(t, l)
	root := l.must(l.call("GET", "/v1/me", w.admin, nil), 200).s("orgId")
	m1, id1 := w.mkUser(w.orgA, "attender1", "MEMBER")
	_, id2 := w.mkUser(w.orgA, "attender2", "MEMBER")
	mb, idb := w.mkUser(w.orgB, "outsider2", "MEMBER")
	now := l.clock.Now()
	meeting := func(token string, org any, kind string, starts time.Time, minutes int, hours float64) reply {
		return l.call("POST", "/v1/meetings", token, map[string]any{"orgId": org, "kind": kind, "topic": "学习贯彻全会精神",
			"startsAt": starts.Format(time.RFC3339), "endsAt": starts.Add(time.Duration(minutes) * time.Minute).Format(time.RFC3339), "hours": hours, "host": "书记"})
	}
	// Who may record: staff over the org and admins; not another branch's staff, not members.
	if r := meeting(w.staffB, w.orgA, "THEME_DAY", now, 60, 2); r.status != 404 && r.status != 403 {
		t.Fatalf("staff of B recording for A: %d %s", r.status, r.raw)
	}
	l.must(meeting(m1, w.orgA, "THEME_DAY", now, 60, 2), 403, "PERMISSION_DENIED")
	l.must(meeting(w.staffA, w.orgA, "THEME_DAY", now, 60, 9), 400, "INVALID_ARGUMENT")
	l.must(meeting(w.staffA, w.orgA, "THEME_DAY", now, -5, 2), 400, "INVALID_ARGUMENT")
	mt := l.must(meeting(w.staffA, w.orgA, "THEME_DAY", now.Add(10*time.Minute), 60, 2), 200)
	id, code := mt.s("id"), mt.s("checkinCode")
	if len(code) != 32 {
		t.Fatalf("meeting = %s", mt.raw)
	}

	// QR check-in: a wrong code and another branch's member are refused; the right one credits
	// the meeting's hours once, however often it is scanned.
	wrong := "0" + code[1:] // another code: its first digit changed
	if code[0] == '0' {
		wrong = "1" + code[1:]
	}
	l.must(l.call("POST", "/v1/meetings/"+id+":checkin", m1, map[string]any{"code": wrong}), 409, "CHECKIN_CLOSED")
	l.must(l.call("POST", "/v1/meetings/"+id+":checkin", mb, map[string]any{"code": code}), 404, "NOT_FOUND")
	for range 2 {
		a := l.must(l.call("POST", "/v1/meetings/"+id+":checkin", m1, map[string]any{"code": code}), 200)
		if a.s("status") != "PRESENT" || a.s("method") != "qr" || a.s("creditedSeconds") != "7200" {
			t.Fatalf("check-in = %s", a.raw)
		}
	}
	h := hoursOf(t, l, m1, "7200")
	if h.s("bySource", "2", "source") != "meeting" || h.s("bySource", "2", "seconds") != "7200" {
		t.Fatalf("hours = %s", h.raw)
	}
	// A member sees the meeting without its code and with only their own attendance.
	seen := l.must(l.call("GET", "/v1/meetings/"+id, m1, nil), 200)
	if seen.s("checkinCode") != "" || seen.s("attendance", "0", "memberId") != id1 {
		t.Fatalf("member's view = %s", seen.raw)
	}
	l.must(l.call("GET", "/v1/meetings/"+id, mb, nil), 404, "NOT_FOUND")
	// The list of branch A's meetings: its member sees them without codes; another branch's
	// member and its staff see nothing.
	if ls := l.must(l.call("GET", "/v1/meetings?orgId="+w.orgA, m1, nil), 200); ls.s("meetings", "0", "id") != id || ls.s("meetings", "0", "checkinCode") != "" {
		t.Fatalf("member's list = %s", ls.raw)
	}
	l.must(l.call("GET", "/v1/meetings?orgId="+w.orgA, mb, nil), 404)
	if r := l.call("GET", "/v1/meetings?orgId="+w.orgA, w.staffB, nil); r.status != 404 && r.status != 403 {
		t.Fatalf("staff of B listing A's meetings: %d %s", r.status, r.raw)
	}

	// Staff record the rest: a leave needs its reason, a member of another branch is refused
	// naming the entry, and nothing of a refused request is kept.
	put := func(token string, entries ...map[string]any) reply {
		return l.call("PUT", "/v1/meetings/"+id+"/attendance", token, map[string]any{"entries": entries})
	}
	r := l.must(put(w.staffA, map[string]any{"memberId": id2, "status": "LEAVE"}), 400, "INVALID_ARGUMENT")
	if r.s("metadata", "field") != "entries[0].reason" {
		t.Fatalf("leave without a reason = %s", r.raw)
	}
	r = l.must(put(w.staffA, map[string]any{"memberId": id1, "status": "ABSENT"}, map[string]any{"memberId": idb, "status": "PRESENT"}), 400, "INVALID_ARGUMENT")
	if r.s("metadata", "field") != "entries[1].member_id" {
		t.Fatalf("another branch's member = %s", r.raw)
	}
	hoursOf(t, l, m1, "7200")
	l.must(put(m1, map[string]any{"memberId": id1, "status": "PRESENT"}), 403, "PERMISSION_DENIED")
	got := l.must(put(w.staffA, map[string]any{"memberId": id2, "status": "LEAVE", "reason": "出差"}, map[string]any{"memberId": id1, "status": "ABSENT"}), 200)
	if got.s("attendance", "0", "status") != "ABSENT" || got.s("attendance", "0", "creditedSeconds") != "0" || got.s("attendance", "1", "reason") != "出差" {
		t.Fatalf("attendance = %s", got.raw)
	}
	hoursOf(t, l, m1, "0")
	led := l.must(l.call("GET", "/v1/members/"+id1+"/ledger", m1, nil), 200)
	if led.s("entries", "0", "seconds") != "-7200" || led.s("entries", "0", "ref") != "meeting:"+id+"/reversal" || led.s("entries", "1", "approvedBy") != "0" {
		t.Fatalf("ledger = %s", led.raw)
	}
	if v := l.must(l.call("GET", "/v1/members/"+id1+"/ledger:verify", w.staffA, nil), 200); v.s("ok") != "true" {
		t.Fatalf("verify = %s", v.raw)
	}
	// After the meeting ended, the QR code no longer checks anyone in.
	l.clock.Advance(2 * time.Hour)
	m1 = l.login("attender1", "Passw0rd-attender1")
	l.must(l.call("POST", "/v1/meetings/"+id+":checkin", m1, map[string]any{"code": code}), 409, "CHECKIN_CLOSED")

	// Compliance across the year boundary, in Beijing time: a 支委会 at 23:30 on 31 December
	// counts for December 2026; one at 00:30 on 1 January (16:30 UTC the day before) for 2027.
	w.relogin()
	cst := time.FixedZone("CST", 8*3600)
	l.must(meeting(w.staffA, w.orgA, "COMMITTEE_MEETING", time.Date(2026, 12, 31, 23, 30, 0, 0, cst), 20, 0), 200)
	l.must(meeting(w.staffA, w.orgA, "COMMITTEE_MEETING", time.Date(2027, 1, 1, 0, 30, 0, 0, cst), 20, 0), 200)
	l.clock.Set(time.Date(2027, 2, 15, 10, 0, 0, 0, cst))
	w.relogin()
	kind := func(r reply, org, kind string) reply {
		var orgs []map[string]any
		_ = json.Unmarshal([]byte(r.s("orgs")), &orgs)
		for _, o := range orgs {
			if o["orgId"] == org {
				for _, k := range o["kinds"].([]any) {
					if k.(map[string]any)["kind"] == kind {
						b, _ := json.Marshal(k)
						out := reply{raw: string(b)}
						_ = json.Unmarshal(b, &out.json)
						return out
					}
				}
			}
		}
		t.Fatalf("no %s for org %s in %s", kind, org, r.raw)
		return reply{}
	}
	y26 := l.must(l.call("GET", "/v1/meeting-compliance?orgId="+root+"&year=2026", w.admin, nil), 200)
	if c := kind(y26, w.orgA, "COMMITTEE_MEETING"); c.s("held") != "1" || c.s("short") != "[1,2,3,4,5,6,7,8,9,10,11]" || c.s("per") != "month" {
		t.Fatalf("2026 committee of A = %s", c.raw)
	}
	if c := kind(y26, w.orgA, "THEME_DAY"); c.s("held") != "1" || strings.Contains(c.s("short"), "12") {
		t.Fatalf("2026 theme days of A = %s", c.raw)
	}
	if c := kind(y26, w.orgB, "GENERAL_MEETING"); c.s("short") != "[1,2,3,4]" || c.s("per") != "quarter" {
		t.Fatalf("2026 general meetings of B = %s", c.raw)
	}
	y27 := l.must(l.call("GET", "/v1/meeting-compliance?orgId="+w.orgA+"&year=2027", w.staffA, nil), 200)
	if c := kind(y27, w.orgA, "COMMITTEE_MEETING"); c.s("held") != "1" || c.s("short") != "[2]" {
		t.Fatalf("2027 committee of A = %s", c.raw)
	}
	if y27.s("orgs", "1") != "" {
		t.Fatalf("staff of A see only A: %s", y27.raw)
	}
	l.must(l.call("GET", "/v1/meeting-compliance?orgId="+w.orgA+"&year=2027", w.staffB, nil), 404)
	l.must(l.call("GET", "/v1/meeting-compliance?orgId="+w.orgA+"&year=2027", l.login("attender2", "Passw0rd-attender2"), nil), 403, "PERMISSION_DENIED")
}

// Offline study: a member files it, the staff of the member's branch approve it (the hours
// credited once, the approver in the ledger) or reject it with a reason; nobody else decides.
func TestOfflineRecordsApproval(t *testing.T) {
	l := startLive(t)
	w := newStudyWorld(t, l)
	m, id := w.mkUser(w.orgA, "offline1", "MEMBER")
	peer, _ := w.mkUser(w.orgA, "offline2", "MEMBER")
	_, staffID := w.mkUser(w.orgA, "offstaff", "STAFF")
	staff := l.login("offstaff", "Passw0rd-offstaff")
	today := l.clock.Now().In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly)
	submit := func(body map[string]any) reply { return l.call("POST", "/v1/offline-records", m, body) }
	if r := l.must(submit(map[string]any{"title": "党校培训", "hours": 60, "day": today}), 400, "INVALID_ARGUMENT"); r.s("metadata", "field") != "hours" {
		t.Fatalf("hours = %s", r.raw)
	}
	if r := l.must(submit(map[string]any{"title": "党校培训", "hours": 8, "day": "2099-01-01"}), 400, "INVALID_ARGUMENT"); r.s("metadata", "field") != "day" {
		t.Fatalf("future day = %s", r.raw)
	}
	rec := l.must(submit(map[string]any{"title": "市委党校专题培训", "description": "为期一天", "hours": 8, "day": today}), 200)
	other := l.must(submit(map[string]any{"title": "线上讲座", "hours": 2, "day": today}), 200).s("id")
	if rec.s("status") != "PENDING" {
		t.Fatalf("record = %s", rec.raw)
	}
	list := l.must(l.call("GET", "/v1/offline-records?orgId="+w.orgA, staff, nil), 200)
	if list.s("records", "0", "status") != "PENDING" || list.s("records", "2") != "" {
		t.Fatalf("staff's list = %s", list.raw)
	}
	if r := l.call("GET", "/v1/offline-records?orgId="+w.orgA, w.staffB, nil); r.status != 404 && r.status != 403 {
		t.Fatalf("staff of B listing A: %d %s", r.status, r.raw)
	}
	decide := func(token, id string, approve bool, reason string) reply {
		return l.call("POST", "/v1/offline-records/"+id+":decide", token, map[string]any{"approve": approve, "reason": reason})
	}
	l.must(decide(m, rec.s("id"), true, ""), 403, "PERMISSION_DENIED")
	l.must(decide(peer, rec.s("id"), true, ""), 404, "NOT_FOUND")
	l.must(decide(w.staffB, rec.s("id"), true, ""), 404, "NOT_FOUND")
	l.must(decide(staff, other, false, " "), 400, "INVALID_ARGUMENT")
	for range 2 { // a retry changes nothing
		if r := l.must(decide(staff, rec.s("id"), true, ""), 200); r.s("status") != "APPROVED" || r.s("reviewerId") != staffID {
			t.Fatalf("approve = %s", r.raw)
		}
	}
	l.must(decide(staff, rec.s("id"), false, "材料不全"), 409, "RECORD_DECIDED")
	if r := l.must(decide(staff, other, false, "缺少证明材料"), 200); r.s("status") != "REJECTED" || r.s("reviewReason") != "缺少证明材料" {
		t.Fatalf("reject = %s", r.raw)
	}
	h := hoursOf(t, l, m, "28800")
	if h.s("bySource", "3", "source") != "offline" || h.s("bySource", "3", "seconds") != "28800" {
		t.Fatalf("hours = %s", h.raw)
	}
	led := l.must(l.call("GET", "/v1/members/"+id+"/ledger", m, nil), 200)
	if led.s("entries", "0", "approvedBy") != staffID || led.s("entries", "0", "ref") != "offline:"+rec.s("id") || led.s("entries", "1") != "" {
		t.Fatalf("ledger = %s", led.raw)
	}
	mine := l.must(l.call("GET", "/v1/my/offline-records", m, nil), 200)
	if mine.s("records", "1", "status") == "" || mine.s("records", "2") != "" {
		t.Fatalf("mine = %s", mine.raw)
	}
}
