package standalone

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport"

	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/obs"
	"github.com/vanguard/vanguard/pkg/secret"
)

// live is a running standalone process (HTTP, gRPC, task worker, reconciler) on loopback.
type live struct {
	t     testing.TB
	url   string
	clock *clock.Fake
	p     *Process
	ctx   context.Context
	// dir is the process's data directory.
	dir string
	// logs holds everything the process logged (JSON lines).
	logs *syncBuffer
	// stop stops the servers and closes the process before the test ends (the cleanup does it
	// otherwise); a second call does nothing.
	stop func()
}

// syncBuffer is a bytes.Buffer safe for the process's concurrent loggers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (l *live) startWorkers() {
	for _, s := range append([]transport.Server{l.p.Tasks, l.p.reconciler}, l.p.modules.Relays()...) {
		go func() { _ = s.Start(l.ctx) }()
	}
}

func startLive(t *testing.T) *live { return startLiveWith(t, true) }

// startLiveWith starts the process; without workers, the task server and the reconciler stay
// stopped until (*live).startWorkers.
func startLiveWith(t *testing.T, workers bool) *live { return startLiveConfig(t, workers, nil) }

// startLiveConfig is startLiveWith with a hook that adjusts the configuration before Build.
func startLiveConfig(t *testing.T, workers bool, configure func(*Config)) *live {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(time.Now().UTC().Truncate(time.Second))
	cfg := Config{
		HTTPAddr: lis.Addr().String(), GRPCAddr: "127.0.0.1:0", DataDir: t.TempDir(), AdminPassword: "Admin-pass-2026",
		HTTPListener: lis, Clock: clk, Argon2: secret.Argon2Params{MemoryKiB: 256, Iterations: 1, Parallelism: 1},
		ReconcileInterval: 200 * time.Millisecond,
	}
	cfg.Media.PartSize = 5 << 20
	if configure != nil {
		configure(&cfg)
	}
	logs := &syncBuffer{}
	p, err := Build(context.Background(), cfg, log.NewFilter(obs.NewLogger(logs, "test")))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	servers := []transport.Server{p.HTTP, p.GRPC}
	if p.Metrics != nil {
		servers = append(servers, p.Metrics)
	}
	for _, s := range servers {
		go func() { _ = s.Start(ctx) }()
	}
	l := &live{t: t, url: "http://" + lis.Addr().String(), clock: clk, p: p, ctx: ctx, logs: logs, dir: cfg.DataDir}
	if workers {
		l.startWorkers()
	}
	var once sync.Once
	l.stop = func() {
		once.Do(func() {
			cancel()
			stop, done := context.WithTimeout(context.Background(), 5*time.Second)
			defer done()
			for _, s := range p.Servers() {
				_ = s.Stop(stop)
			}
			p.Close()
		})
	}
	t.Cleanup(l.stop)
	for i := 0; i < 100; i++ {
		if res, err := http.Get(l.url + "/healthz"); err == nil {
			res.Body.Close()
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	return l
}

type reply struct {
	status int
	raw    string
	json   map[string]any
	header http.Header
}

func (r reply) s(path ...string) string {
	var v any = r.json
	for _, p := range path {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			var i int
			fmt.Sscan(p, &i)
			if i >= len(x) {
				return ""
			}
			v = x[i]
		default:
			return ""
		}
	}
	if str, ok := v.(string); ok {
		return str
	}
	if v == nil {
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func (l *live) call(method, path, token string, body any) reply {
	l.t.Helper()
	return l.callWith(method, path, token, body, nil)
}

// callWith is call with extra request headers.
func (l *live) callWith(method, path, token string, body any, header map[string]string) reply {
	l.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, l.url+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		l.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := reply{status: res.StatusCode, raw: string(raw), header: res.Header}
	_ = json.Unmarshal(raw, &r.json)
	return r
}

func (l *live) must(r reply, status int, reason ...string) reply {
	l.t.Helper()
	if r.status != status || (len(reason) > 0 && r.s("reason") != reason[0]) {
		l.t.Fatalf("got %d %s, want %d %v: %s", r.status, r.s("reason"), status, reason, r.raw)
	}
	return r
}

func (l *live) login(user, pw string) string {
	l.t.Helper()
	return l.must(l.call("POST", "/v1/auth/login", "", map[string]any{"username": user, "password": pw}), 200).s("accessToken")
}

// mp4 builds a small but real-shaped MP4: ftyp, mdat, and a moov with an mvhd of the duration.
func mp4(seconds uint32, padding int) []byte {
	box := func(typ string, payload []byte) []byte {
		b := make([]byte, 8, 8+len(payload))
		binary.BigEndian.PutUint32(b, uint32(8+len(payload)))
		copy(b[4:], typ)
		return append(b, payload...)
	}
	mvhd := make([]byte, 100)
	binary.BigEndian.PutUint32(mvhd[12:], 1000)
	binary.BigEndian.PutUint32(mvhd[16:], seconds*1000)
	return bytes.Join([][]byte{
		box("ftyp", []byte("isom\x00\x00\x02\x00isomiso2avc1mp41")),
		box("mdat", bytes.Repeat([]byte{0x42}, padding)),
		box("moov", box("mvhd", mvhd)),
	}, nil)
}

// upload runs the browser's side: start, PUT every part to its presigned URL, complete.
func (l *live) upload(token, lessonID, name, contentType string, data []byte) reply {
	l.t.Helper()
	plan := l.must(l.call("POST", "/v1/lessons/"+lessonID+"/uploads", token, map[string]any{
		"fileName": name, "size": len(data), "contentType": contentType,
	}), 200)
	var parts []struct {
		Number int    `json:"number"`
		URL    string `json:"url"`
		Size   string `json:"size"`
	}
	_ = json.Unmarshal([]byte(plan.s("parts")), &parts)
	partSize := 0
	fmt.Sscan(plan.s("partSize"), &partSize)
	for _, p := range parts {
		if !strings.HasPrefix(p.URL, l.url+"/blob/") {
			l.t.Fatalf("part URL %q does not point at the media store", p.URL)
		}
		chunk := data[(p.Number-1)*partSize : min(p.Number*partSize, len(data))]
		req, _ := http.NewRequest("PUT", p.URL, bytes.NewReader(chunk))
		res, err := http.DefaultClient.Do(req)
		if err != nil || res.StatusCode != 200 || res.Header.Get("ETag") == "" {
			l.t.Fatalf("PUT part %d: %v %v", p.Number, err, res)
		}
		res.Body.Close()
	}
	return l.call("POST", "/v1/uploads/"+plan.s("uploadId")+":complete", token, map[string]any{})
}

func TestCourseJourney(t *testing.T) {
	l := startLive(t)
	admin := l.login("admin", "Admin-pass-2026")
	root := l.must(l.call("GET", "/v1/me", admin, nil), 200).s("orgId")
	mkOrg := func(parent, code, typ string) string {
		return l.must(l.call("POST", "/v1/orgs", admin, map[string]any{"parentId": parent, "name": code, "code": code, "type": typ}), 200).s("id")
	}
	mkUser := func(org, name string, roles ...string) string {
		l.must(l.call("POST", "/v1/accounts", admin, map[string]any{"username": name, "displayName": name, "password": "Passw0rd-" + name, "roles": roles, "orgId": org}), 200)
		return l.login(name, "Passw0rd-"+name)
	}
	g := mkOrg(root, "G", "GENERAL_BRANCH")
	a := mkOrg(g, "A", "BRANCH")
	b := mkOrg(root, "B", "BRANCH")
	trainer := mkUser(g, "trainer", "TRAINER")
	otherTrainer := mkUser(b, "trainerb", "TRAINER")
	staffG := mkUser(g, "staffg", "STAFF")
	staffB := mkUser(b, "staffb", "STAFF")
	memberA := mkUser(a, "membera", "MEMBER")
	memberB := mkUser(b, "memberb", "MEMBER")

	// The queue monitor is for admins only.
	l.must(l.call("GET", "/admin/queues/api/queues", "", nil), 401)
	l.must(l.call("GET", "/admin/queues/api/queues", staffG, nil), 403)
	if q := l.must(l.call("GET", "/admin/queues/api/queues", admin, nil), 200); !strings.Contains(q.raw, "queues") {
		t.Fatalf("monitor answered %s", q.raw)
	}

	topic := l.must(l.call("POST", "/v1/topics", admin, map[string]any{"name": "党史"}), 200).s("id")
	l.must(l.call("POST", "/v1/topics", trainer, map[string]any{"name": "x"}), 403, "PERMISSION_DENIED")
	// Topics are the admin's: renamed, and deleted only while no course has them (below).
	if r := l.must(l.call("PATCH", "/v1/topics/"+topic, admin, map[string]any{"name": "党史学习", "position": 2}), 200); r.s("name") != "党史学习" {
		t.Fatalf("renamed topic = %s", r.raw)
	}
	l.must(l.call("PATCH", "/v1/topics/"+topic, trainer, map[string]any{"name": "x"}), 403, "PERMISSION_DENIED")
	l.must(l.call("DELETE", "/v1/topics/"+topic, staffG, nil), 403, "PERMISSION_DENIED")
	l.must(l.call("PATCH", "/v1/topics/987654", admin, map[string]any{"name": "x"}), 404, "TOPIC_NOT_FOUND")
	spare := l.must(l.call("POST", "/v1/topics", admin, map[string]any{"name": "待删专题"}), 200).s("id")
	l.must(l.call("DELETE", "/v1/topics/"+spare, admin, nil), 200)
	l.must(l.call("DELETE", "/v1/topics/"+spare, admin, nil), 404, "TOPIC_NOT_FOUND")

	// The trainer builds a course: a chapter with a video lesson and an article.
	course := l.must(l.call("POST", "/v1/courses", trainer, map[string]any{"title": "党史学习教育", "topicId": topic, "creditHours": 1.5, "tags": []string{"党史", "党史", " 百年 "}}), 200)
	cid := course.s("id")
	if course.s("tags") != `["党史","百年"]` || course.s("status") != "DRAFT" {
		t.Fatalf("course = %s", course.raw)
	}
	ch := l.must(l.call("POST", "/v1/courses/"+cid+"/chapters", trainer, map[string]any{"title": "第一章"}), 200).s("id")
	video := l.must(l.call("POST", "/v1/chapters/"+ch+"/lessons", trainer, map[string]any{"title": "开篇", "kind": "VIDEO"}), 200).s("id")
	article := l.must(l.call("POST", "/v1/chapters/"+ch+"/lessons", trainer, map[string]any{
		"title": "导读", "kind": "ARTICLE",
		"bodyHtml": `<p onclick="steal()">学习<b>党史</b></p><script>alert(document.cookie)</script><a href="javascript:alert(1)">x</a><img src=x onerror=alert(1)>`,
	}), 200)
	for _, bad := range []string{"<script", "onclick", "javascript:", "onerror"} {
		if strings.Contains(article.s("bodyHtml"), bad) {
			t.Fatalf("article HTML not sanitised (%s): %s", bad, article.s("bodyHtml"))
		}
	}
	if !strings.Contains(article.s("bodyHtml"), "<b>党史</b>") {
		t.Fatalf("sanitiser removed safe formatting: %s", article.s("bodyHtml"))
	}
	// A script URL as cover is refused naming the field; an https one is kept.
	for _, cover := range []string{"JaVaScRiPt:alert(1)", " java\tscript:alert(1)"} {
		bad := l.must(l.call("PATCH", "/v1/courses/"+cid, trainer, map[string]any{"coverUrl": cover}), 400, "INVALID_ARGUMENT")
		if bad.s("metadata", "field") != "cover_url" {
			t.Fatalf("cover %q refused with %s", cover, bad.raw)
		}
	}
	l.must(l.call("POST", "/v1/courses", trainer, map[string]any{"title": "x", "coverUrl": "javascript:alert(1)"}), 400, "INVALID_ARGUMENT")
	if c := l.must(l.call("PATCH", "/v1/courses/"+cid, trainer, map[string]any{"coverUrl": "https://cdn.example.com/c.png"}), 200); c.s("coverUrl") != "https://cdn.example.com/c.png" {
		t.Fatalf("https cover = %s", c.raw)
	}

	l.must(l.call("DELETE", "/v1/topics/"+topic, admin, nil), 409, "COURSE_STATE") // the course has it
	// Another org's trainer can neither see nor edit it; publishing before media is ready fails.
	l.must(l.call("PATCH", "/v1/courses/"+cid, otherTrainer, map[string]any{"summary": "x"}), 404, "COURSE_NOT_FOUND")
	l.must(l.call("POST", "/v1/chapters/"+ch+"/lessons", otherTrainer, map[string]any{"title": "x", "kind": "ARTICLE", "bodyHtml": "x"}), 404, "COURSE_NOT_FOUND")
	// A lesson moves to another chapter of its course (and back), never to another course's; the
	// other org's trainer cannot move it at all.
	ch2 := l.must(l.call("POST", "/v1/courses/"+cid+"/chapters", trainer, map[string]any{"title": "第二章"}), 200).s("id")
	otherCourse := l.must(l.call("POST", "/v1/courses", trainer, map[string]any{"title": "另一门课"}), 200).s("id")
	foreign := l.must(l.call("POST", "/v1/courses/"+otherCourse+"/chapters", trainer, map[string]any{"title": "外章"}), 200).s("id")
	if r := l.must(l.call("PATCH", "/v1/lessons/"+article.s("id"), trainer, map[string]any{"chapterId": foreign}), 400, "INVALID_ARGUMENT"); r.s("metadata", "field") != "chapter_id" {
		t.Fatalf("move to another course's chapter: %s", r.raw)
	}
	l.must(l.call("PATCH", "/v1/lessons/"+article.s("id"), otherTrainer, map[string]any{"chapterId": ch2}), 404, "COURSE_NOT_FOUND")
	if m := l.must(l.call("PATCH", "/v1/lessons/"+article.s("id"), trainer, map[string]any{"chapterId": ch2}), 200); m.s("chapterId") != ch2 || m.s("position") != "1" {
		t.Fatalf("moved lesson = %s", m.raw)
	}
	if m := l.must(l.call("PATCH", "/v1/lessons/"+article.s("id"), trainer, map[string]any{"chapterId": ch, "position": 2}), 200); m.s("chapterId") != ch || m.s("position") != "2" {
		t.Fatalf("lesson moved back = %s", m.raw)
	}
	l.must(l.call("DELETE", "/v1/chapters/"+ch2, trainer, nil), 200)
	l.must(l.call("DELETE", "/v1/courses/"+otherCourse, trainer, nil), 200)
	l.must(l.call("POST", "/v1/lessons/"+video+"/uploads", otherTrainer, map[string]any{"fileName": "a.mp4", "size": 10, "contentType": "video/mp4"}), 404, "COURSE_NOT_FOUND")
	l.must(l.call("POST", "/v1/courses/"+cid+":publish", trainer, map[string]any{}), 409, "COURSE_STATE")

	// A .exe named .mp4 is rejected after upload, and the object is deleted.
	exe := append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"), bytes.Repeat([]byte{0}, 4096)...)
	rej := l.must(l.upload(trainer, video, "lecture.mp4", "video/mp4", exe), 400, "MEDIA_REJECTED")
	if !strings.Contains(rej.s("message"), "application/vnd.microsoft.portable-executable") {
		t.Fatalf("rejection should name the real type: %s", rej.raw)
	}
	// Declared types must fit the lesson kind; sizes are bounded.
	l.must(l.call("POST", "/v1/lessons/"+video+"/uploads", trainer, map[string]any{"fileName": "a.pdf", "size": 10, "contentType": "application/pdf"}), 400, "INVALID_ARGUMENT")
	l.must(l.call("POST", "/v1/lessons/"+video+"/uploads", trainer, map[string]any{"fileName": "a.mp4", "size": int64(5) << 30, "contentType": "video/mp4"}), 400, "INVALID_ARGUMENT")

	// A real MP4 of 12 MB goes up in three presigned parts; media:probe reads its duration.
	movie := mp4(93, 12<<20)
	done := l.must(l.upload(trainer, video, "第一讲.mp4", "video/mp4", movie), 200)
	if done.s("mediaStatus") != "PROCESSING" {
		t.Fatalf("after complete = %s", done.raw)
	}
	var lesson reply
	for i := 0; i < 200; i++ {
		lesson = l.must(l.call("GET", "/v1/courses/"+cid, trainer, nil), 200)
		if lesson.s("chapters", "0", "lessons", "0", "mediaStatus") == "READY" {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if lesson.s("chapters", "0", "lessons", "0", "mediaStatus") != "READY" || lesson.s("chapters", "0", "lessons", "0", "durationSeconds") != "93" {
		t.Fatalf("probe did not finish: %s", lesson.raw)
	}
	if strings.Contains(lesson.raw, "lessons/") {
		t.Fatal("the media object key leaked into the course JSON")
	}

	pub := l.must(l.call("POST", "/v1/courses/"+cid+":publish", trainer, map[string]any{}), 200)
	if pub.s("status") != "PUBLISHED" || pub.s("durationSeconds") != "93" {
		t.Fatalf("publish = %s", pub.raw)
	}
	// Published: structure and credit hours are frozen; summary may change.
	l.must(l.call("POST", "/v1/chapters/"+ch+"/lessons", trainer, map[string]any{"title": "x", "kind": "ARTICLE", "bodyHtml": "x"}), 409, "COURSE_STATE")
	l.must(l.call("PATCH", "/v1/courses/"+cid, trainer, map[string]any{"creditHours": 3}), 409, "COURSE_STATE")
	l.must(l.call("PATCH", "/v1/courses/"+cid, trainer, map[string]any{"summary": "百年党史"}), 200)

	// Before assignment no member sees it.
	l.must(l.call("GET", "/v1/courses/"+cid, memberA, nil), 404, "COURSE_NOT_FOUND")
	l.must(l.call("GET", "/v1/lessons/"+video+"/playback", memberA, nil), 404, "COURSE_NOT_FOUND")

	// Staff of G assigns it to G (required, due date); staff of B cannot assign to G, trainers
	// cannot assign at all.
	l.must(l.call("POST", "/v1/courses/"+cid+"/assignments", staffB, map[string]any{"orgIds": []string{g}, "required": true}), 404)
	l.must(l.call("POST", "/v1/courses/"+cid+"/assignments", trainer, map[string]any{"orgIds": []string{g}, "required": true}), 403, "PERMISSION_DENIED")
	as := l.must(l.call("POST", "/v1/courses/"+cid+"/assignments", staffG, map[string]any{"orgIds": []string{g}, "required": true, "dueDate": "2026-12-31"}), 200)
	if as.s("assignments", "0", "orgId") != g {
		t.Fatalf("assignments = %s", as.raw)
	}
	// Retrying the assignment does not duplicate it.
	as = l.must(l.call("POST", "/v1/courses/"+cid+"/assignments", staffG, map[string]any{"orgIds": []string{g}, "required": true, "dueDate": "2026-12-31"}), 200)
	if n := strings.Count(as.raw, `"courseId"`); n != 1 {
		t.Fatalf("retried assignment gave %d rows", n)
	}

	// The member of A (inside G) sees it in "my courses" and can play it with Range requests.
	mine := l.must(l.call("GET", "/v1/my/courses", memberA, nil), 200)
	if mine.s("courses", "0", "course", "id") != cid || mine.s("courses", "0", "required") != "true" || mine.s("courses", "0", "dueDate") != "2026-12-31" {
		t.Fatalf("my courses = %s", mine.raw)
	}
	play := l.must(l.call("GET", "/v1/lessons/"+video+"/playback", memberA, nil), 200)
	media := play.s("url")
	req, _ := http.NewRequest("GET", media, nil)
	req.Header.Set("Range", "bytes=0-99")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 206 || res.Header.Get("Content-Range") != fmt.Sprintf("bytes 0-99/%d", len(movie)) || !bytes.Equal(got, movie[:100]) {
		t.Fatalf("range GET = %d %q, %d bytes", res.StatusCode, res.Header.Get("Content-Range"), len(got))
	}
	// A forged URL (signature changed) and an expired one are refused.
	forged := media[:len(media)-2] + map[bool]string{true: "AA", false: "BB"}[!strings.HasSuffix(media, "AA")]
	if res, _ := http.Get(forged); res == nil || res.StatusCode != 403 {
		t.Fatalf("forged URL answered %v", res)
	}
	l.clock.Advance(16 * time.Minute)
	if res, _ := http.Get(media); res == nil || res.StatusCode != 403 {
		t.Fatalf("expired URL answered %v", res)
	}

	// A member elsewhere gets 404, never a URL.
	memberB = l.login("memberb", "Passw0rd-memberb")
	r := l.must(l.call("GET", "/v1/lessons/"+video+"/playback", memberB, nil), 404, "COURSE_NOT_FOUND")
	if strings.Contains(r.raw, "/blob/") {
		t.Fatal("a URL reached a member outside the assigned orgs")
	}
	if mine := l.must(l.call("GET", "/v1/my/courses", memberB, nil), 200); strings.Contains(mine.raw, cid) {
		t.Fatalf("member of B sees the course: %s", mine.raw)
	}
	// One lesson: for members it is assigned to and its managers, nobody else.
	memberA = l.login("membera", "Passw0rd-membera")
	if got := l.must(l.call("GET", "/v1/lessons/"+article.s("id"), memberA, nil), 200); !strings.Contains(got.s("bodyHtml"), "党史") {
		t.Fatalf("lesson for member A = %s", got.raw)
	}
	l.must(l.call("GET", "/v1/lessons/"+article.s("id"), l.login("trainer", "Passw0rd-trainer"), nil), 200)
	l.must(l.call("GET", "/v1/lessons/"+article.s("id"), l.login("memberb", "Passw0rd-memberb"), nil), 404, "COURSE_NOT_FOUND")
	l.must(l.call("GET", "/v1/lessons/"+article.s("id"), l.login("trainerb", "Passw0rd-trainerb"), nil), 404, "COURSE_NOT_FOUND")
	l.must(l.call("GET", "/v1/lessons/987654", memberA, nil), 404, "COURSE_NOT_FOUND")

	// Study plan: G's plan for the month lists the course for members of A.
	memberA = l.login("membera", "Passw0rd-membera")
	month := l.clock.Now().Format("2006-01")
	first := l.clock.Now().Format("2006-01") + "-01"
	staffG = l.login("staffg", "Passw0rd-staffg")
	l.must(l.call("POST", "/v1/study-plans", staffG, map[string]any{
		"orgId": g, "year": l.clock.Now().Year(), "title": "中心组学习计划",
		"items": []map[string]any{{"title": "学习党史", "topicId": topic, "startsOn": first, "endsOn": first, "courseIds": []string{cid}}},
	}), 200)
	items := l.must(l.call("GET", "/v1/my/plan-items?month="+month, memberA, nil), 200)
	if items.s("items", "0", "item", "courseIds") != `["`+cid+`"]` {
		t.Fatalf("plan items = %s", items.raw)
	}
	if other := l.must(l.call("GET", "/v1/my/plan-items?month="+month, memberB, nil), 200); strings.Contains(other.raw, "学习党史") {
		t.Fatal("member of B sees G's plan")
	}
	staffB = l.login("staffb", "Passw0rd-staffb")
	l.must(l.call("POST", "/v1/study-plans", staffB, map[string]any{
		"orgId": g, "year": 2026, "title": "x", "items": []map[string]any{{"title": "x", "startsOn": first, "endsOn": first}},
	}), 404)

	// Editing the plan: the item sent with its id keeps it, a new one is added; another
	// subtree's staff are told it does not exist, a member of the branch is refused, and an
	// item of the plan must name a date: each refusal changes nothing.
	plans := l.must(l.call("GET", fmt.Sprintf("/v1/study-plans?orgId=%s", g), staffG, nil), 200)
	planID, itemID := plans.s("plans", "0", "id"), plans.s("plans", "0", "items", "0", "id")
	edit := map[string]any{"year": l.clock.Now().Year(), "title": "中心组学习计划（修订）", "items": []map[string]any{
		{"id": itemID, "title": "学习党史（一）", "topicId": topic, "startsOn": first, "endsOn": first, "courseIds": []string{cid}},
		{"title": "学习党章", "startsOn": first, "endsOn": first},
	}}
	l.must(l.call("PUT", "/v1/study-plans/"+planID, staffB, edit), 404, "STUDY_PLAN_NOT_FOUND")
	l.must(l.call("PUT", "/v1/study-plans/"+planID, memberA, edit), 403)
	l.must(l.call("DELETE", "/v1/study-plans/"+planID, memberA, nil), 403)
	bad := map[string]any{"year": 2026, "title": "x", "items": []map[string]any{{"title": "x", "startsOn": first, "endsOn": "2020-01-01"}}}
	if r := l.must(l.call("PUT", "/v1/study-plans/"+planID, staffG, bad), 400); r.s("metadata", "field") != "items[0].ends_on" || r.s("metadata", "detail") != "结束日期不能早于开始日期" {
		t.Fatalf("bad item: %s", r.raw)
	}
	if again := l.must(l.call("GET", "/v1/my/plan-items?month="+month, memberA, nil), 200); again.raw != items.raw {
		t.Fatalf("refused edits changed the plan: %s", again.raw)
	}
	edited := l.must(l.call("PUT", "/v1/study-plans/"+planID, staffG, edit), 200)
	if edited.s("items", "0", "id") != itemID && edited.s("items", "1", "id") != itemID {
		t.Fatalf("kept item lost its id: %s", edited.raw)
	}
	if got := l.must(l.call("GET", "/v1/my/plan-items?month="+month, memberA, nil), 200); !strings.Contains(got.raw, "学习党章") || !strings.Contains(got.raw, "学习党史（一）") {
		t.Fatalf("member's items after the edit = %s", got.raw)
	}
	l.must(l.call("DELETE", "/v1/study-plans/"+planID, staffB, nil), 404)
	l.must(l.call("DELETE", "/v1/study-plans/"+planID, staffG, nil), 200)
	if got := l.must(l.call("GET", "/v1/my/plan-items?month="+month, memberA, nil), 200); strings.Contains(got.raw, "学习党章") {
		t.Fatalf("deleted plan still listed: %s", got.raw)
	}
	l.must(l.call("DELETE", "/v1/study-plans/"+planID, staffG, nil), 404)
}

// The database is the truth: media whose probe task was lost (queue emptied, worker down) is
// probed after the reconciler refills the queue; completing twice is harmless; uploads left
// unfinished are aborted in the store once they expire.
func TestMediaWorkRecoveredFromDatabase(t *testing.T) {
	l := startLiveWith(t, false)
	admin := l.login("admin", "Admin-pass-2026")
	cid := l.must(l.call("POST", "/v1/courses", admin, map[string]any{"title": "恢复测试"}), 200).s("id")
	ch := l.must(l.call("POST", "/v1/courses/"+cid+"/chapters", admin, map[string]any{"title": "一"}), 200).s("id")
	video := l.must(l.call("POST", "/v1/chapters/"+ch+"/lessons", admin, map[string]any{"title": "v", "kind": "VIDEO"}), 200).s("id")
	audio := l.must(l.call("POST", "/v1/chapters/"+ch+"/lessons", admin, map[string]any{"title": "a", "kind": "AUDIO"}), 200).s("id")

	first := l.must(l.upload(admin, video, "v.mp4", "video/mp4", mp4(61, 1000)), 200)
	if first.s("mediaStatus") != "PROCESSING" {
		t.Fatalf("complete = %s", first.raw)
	}
	// Completing again (a client retry) answers the same and changes nothing.
	again := l.must(l.call("POST", "/v1/uploads/1:complete", admin, map[string]any{}), 200)
	if again.s("id") != video || again.s("mediaStatus") != "PROCESSING" {
		t.Fatalf("retried complete = %s", again.raw)
	}
	// The queue loses everything (embedded Redis restarted) while no worker runs.
	l.p.redis.FlushAll()

	// An upload started and abandoned.
	plan := l.must(l.call("POST", "/v1/lessons/"+audio+"/uploads", admin, map[string]any{"fileName": "a.mp3", "size": 1000, "contentType": "audio/mpeg"}), 200)
	l.clock.Advance(25 * time.Hour)
	admin = l.login("admin", "Admin-pass-2026")

	l.startWorkers()
	var course reply
	for i := 0; i < 200; i++ {
		course = l.must(l.call("GET", "/v1/courses/"+cid, admin, nil), 200)
		up := l.must(l.call("GET", "/v1/uploads/"+plan.s("uploadId"), admin, nil), 200)
		if course.s("chapters", "0", "lessons", "0", "mediaStatus") == "READY" && up.s("status") == "aborted" {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := course.s("chapters", "0", "lessons", "0", "durationSeconds"); got != "61" {
		t.Fatalf("lost probe was not recovered: %s", course.raw)
	}
	if up := l.must(l.call("GET", "/v1/uploads/"+plan.s("uploadId"), admin, nil), 200); up.s("status") != "aborted" || up.s("parts") != "[]" {
		t.Fatalf("expired upload = %s", up.raw)
	}
	left, err := l.p.Store.ListUploads(context.Background(), "", l.clock.Now().Add(time.Hour))
	if err != nil || len(left) != 0 {
		t.Fatalf("store still holds uploads %v (err %v)", left, err)
	}
}
