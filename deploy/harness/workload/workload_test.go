package workload

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	quizv1 "github.com/vanguard/vanguard/api/quiz/v1"
)

// standalone is a real standalone process (the binary built from ./app/standalone) on a temp
// data directory, with its SQLite databases opened beside it.
type standalone struct {
	url, dir string
	cmd      *exec.Cmd
	out      *lockedBuffer
	dbs      map[string]*sql.DB
}

// lockedBuffer keeps the process's output (for the failure report).
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// buildStandalone builds the binary once per test run (no webui tag); VANGUARD_STANDALONE_BIN
// names a binary built already.
func buildStandalone(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("VANGUARD_STANDALONE_BIN"); bin != "" {
		return bin
	}
	bin := filepath.Join(t.TempDir(), "vanguard")
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	cmd := exec.Command("go", "build", "-o", bin, "./app/standalone")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./app/standalone: %v\n%s", err, out)
	}
	t.Logf("built the standalone binary in %.1fs", time.Since(start).Seconds())
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startStandalone runs the binary with its data in a temp dir, heartbeats every second (as the
// browser tests do) and the given admin password, and waits until /readyz answers.
func startStandalone(t *testing.T, bin, adminPassword string) *standalone {
	t.Helper()
	s := &standalone{dir: t.TempDir(), out: &lockedBuffer{}, dbs: map[string]*sql.DB{}}
	httpAddr := freeAddr(t)
	s.url = "http://" + httpAddr
	s.cmd = exec.Command(bin)
	s.cmd.Env = append(os.Environ(),
		"VANGUARD_HTTP_ADDR="+httpAddr, "VANGUARD_GRPC_ADDR="+freeAddr(t), "VANGUARD_DATA_DIR="+s.dir,
		"VANGUARD_ADMIN_PASSWORD="+adminPassword, "VANGUARD_HEARTBEAT_SECONDS=1",
		"VANGUARD_REDIS_ADDR=", "VANGUARD_POSTGRES_URL=")
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, db := range s.dbs {
			db.Close()
		}
		_ = s.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = s.cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("standalone output (last 8 kB):\n%s", tail(s.out.String(), 8<<10))
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := http.Get(s.url + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("standalone not ready after 60s: %v\n%s", err, tail(s.out.String(), 4<<10))
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The databases are the process's own SQLite files: the harness reads them read-only,
	// except growth's, where NightlyGrowth re-arms the day's nightly compile.
	for _, svc := range []string{"org", "course", "quiz", "studyhour", "growth", "search"} {
		path := filepath.Join(s.dir, svc, svc+".db")
		dsn := "file:" + path + "?_pragma=busy_timeout(10000)"
		if svc != "growth" {
			dsn += "&_pragma=query_only(1)"
		}
		db, err := sql.Open("sqlite", dsn)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Ping(); err != nil {
			t.Fatalf("open %s: %v", path, err)
		}
		s.dbs[svc] = db
	}
	return s
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// testWriter sends progress lines to t.Log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestWorkloadsOnStandalone runs every workload against a real standalone process and checks
// the counts: every acknowledged submit stored and graded exactly once, every credit the
// clients were told of in the ledger once, the nightly compile covering every member, and a
// newly published course found by search.
func TestWorkloadsOnStandalone(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a standalone process and runs every workload (about two minutes)")
	}
	bin := buildStandalone(t)
	s := startStandalone(t, bin, "Admin-pass-2026")
	// Clients reach the process through a proxy that loses the first submit of two attempts in
	// three — after the server committed it (the reply replaced by a 502) or before it arrives
	// (the connection closed) — so the storm's retries really happen.
	proxy := newFaultyProxy(t, s.url)
	e := &Env{BaseURL: proxy.url, AdminUser: "admin", AdminPassword: "Admin-pass-2026", Log: testWriter{t},
		DB: func(svc string) *sql.DB { return s.dbs[svc] }}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()

	// VANGUARD_WORKLOAD_MEMBERS runs it bigger (a figure, not a test setting).
	members := 20
	if n, err := strconv.Atoi(os.Getenv("VANGUARD_WORKLOAD_MEMBERS")); err == nil && n > 0 {
		members = n
	}
	f, err := Seed(ctx, e, members)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Members) != members || f.CourseID == 0 || len(f.LessonIDs) != 3 {
		t.Fatalf("fixture: %d members, course %d, lessons %v", len(f.Members), f.CourseID, f.LessonIDs)
	}

	storm, err := Storm(ctx, e, f, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("storm: %+v", *storm)
	if storm.Submitted != members || !storm.AllGraded || storm.Graded != members || storm.Latency.N != members {
		t.Fatalf("storm: %d submitted, %d graded (all: %v), %d latencies; want %d", storm.Submitted, storm.Graded, storm.AllGraded, storm.Latency.N, members)
	}
	// Every submit the proxy lost was sent again and acknowledged.
	lostAfter, lostBefore := proxy.counts()
	if lostAfter == 0 || lostBefore == 0 || storm.RetriedAcked != lostAfter+lostBefore || storm.Retries != lostAfter+lostBefore ||
		storm.Errors["HTTP 502"] != lostAfter || storm.Errors["network"] != lostBefore {
		t.Fatalf("storm retries: proxy lost %d replies and %d requests; storm: %d retries, %d acknowledged after a retry, errors %v",
			lostAfter, lostBefore, storm.Retries, storm.RetriedAcked, storm.Errors)
	}
	// The submits were spread over the window, not sent at once.
	if storm.SendSpan < 4*time.Second || storm.SendSpan > 20*time.Second {
		t.Fatalf("storm: submits spanned %s, want about the 5s window", storm.SendSpan)
	}
	if storm.GradingLag.N != members || storm.GradingLag.P50 <= 0 {
		t.Fatalf("storm: grading lag %s", storm.GradingLag)
	}

	hb, err := Heartbeats(ctx, e, f, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("heartbeats: %+v", *hb)
	// One heartbeat a second per member for 3 s, the first a second after opening the lesson:
	// every member sends two (fewer when the server is slow) and each earns.
	if hb.IntervalSeconds != 1 || hb.Sent < members || hb.Accepted != hb.Sent || len(hb.Errors) != 0 || hb.CreditedSeconds < float64(members) {
		t.Fatalf("heartbeats: %+v", *hb)
	}

	sr, err := SearchWhileIndexing(ctx, e, f, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("search: %+v", *sr)
	if sr.Queries == 0 || len(sr.QueryErrors) != 0 || sr.Published == 0 || sr.Updated == 0 || sr.NotFound != 0 ||
		sr.Found != sr.Published+sr.Updated || sr.IndexLag.N != sr.Found || sr.LagQueries < sr.Found || sr.LagResolution <= 0 || sr.WriteLag.N == 0 || sr.WriteLag.N > sr.Published {
		t.Fatalf("search: %+v", *sr)
	}

	g, err := NightlyGrowth(ctx, e, f)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("growth: %+v", *g)
	if g.Compiled != members || g.Members != members || g.Wall <= 0 {
		t.Fatalf("growth: %+v", *g)
	}
	// The other path, which runs by itself before 02:00 Beijing time: each member's compile
	// through the API.
	e.CompileThroughAPI = true
	g, err = NightlyGrowth(ctx, e, f)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("growth through the API: %+v", *g)
	if g.Method != "compile-api" || g.Compiled != members || len(g.Errors) != 0 {
		t.Fatalf("growth through the API: %+v", *g)
	}
	e.CompileThroughAPI = false

	c, err := Check(ctx, e, f)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("counts: %+v", *c)
	if !c.Settled || c.Submitted != members || c.Stored != members || c.Lost != 0 || c.Graded != c.Submitted ||
		c.DuplicateGrades != 0 || c.MissingGradeEvents != 0 || c.GradeEvents != members {
		t.Fatalf("submission counts: %+v", *c)
	}
	if c.ExamCreditsExpected == 0 || c.ExamCreditsFound != c.ExamCreditsExpected || c.ExamCreditsLost != 0 || c.ExamCreditsDuplicated != 0 {
		t.Fatalf("exam credit counts: %+v", *c)
	}
	if c.LessonPairs != members || c.LessonSecondsExpected == 0 || c.LessonSecondsFound != c.LessonSecondsExpected ||
		c.LessonCreditsLost != 0 || c.LessonCreditsDuplicated != 0 || c.HoursEventsMissing != 0 || c.HoursEventsDuplicated != 0 {
		t.Fatalf("lesson credit counts: %+v", *c)
	}
	if c.CreditsLost != 0 || c.CreditsDuplicated != 0 || c.CreditsFound != c.CreditsExpected {
		t.Fatalf("credit counts: %+v", *c)
	}

	marker := fmt.Sprintf("索引追平-test-%s", f.Run)
	took, err := CaughtUp(ctx, e, f, marker)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("caught up in %s", took)
	if took <= 0 || took > time.Minute {
		t.Fatalf("CaughtUp took %s", took)
	}

	checkFindsFaults(ctx, t, e, f, s)
}

// checkFindsFaults makes one fault of each kind Check counts and checks that it counts it: a
// submit the client saw acknowledged whose attempt is still in progress (lost), a second
// attempt.graded event of an attempt (a duplicate grade), a second exam credit of a member in
// studyhour's ledger (a duplicate credit, without its hours.credited event), and a lesson
// credit removed from the ledger (a lost credit). The database faults are written straight into
// the process's SQLite files.
func checkFindsFaults(ctx context.Context, t *testing.T, e *Env, f *Fixture, s *standalone) {
	t.Helper()
	before, err := Check(ctx, e, f)
	if err != nil || !before.Settled {
		t.Fatalf("check before the faults: %v %+v", err, before)
	}
	m := f.Members[0]
	exam, err := f.newExam(ctx, "未交卷检查")
	if err != nil {
		t.Fatal(err)
	}
	var a quizv1.AttemptView
	if err := m.s.call(ctx, http.MethodPost, fmt.Sprintf("/v1/exams/%d/attempts", exam), &quizv1.IdRequest{Id: exam}, &a); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.exams = append(f.exams, exam)
	f.submits[a.GetId()] = &Submit{AttemptID: a.GetId(), ExamID: exam, MemberID: m.ID, AckedAt: time.Now(), Sends: 1, Status: "submitted"}
	f.mu.Unlock()

	write := func(svc, q string) {
		t.Helper()
		db, err := sql.Open("sqlite", "file:"+filepath.Join(s.dir, svc, svc+".db")+"?_pragma=busy_timeout(10000)")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		res, err := db.ExecContext(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", svc, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			t.Fatalf("%s: %d rows changed, want 1", svc, n)
		}
	}
	write("quiz", `INSERT INTO outbox_events (topic, version, payload, created_ms)
		SELECT topic, version, payload, created_ms FROM outbox_events WHERE topic = 'attempt.graded' ORDER BY id LIMIT 1`)
	write("studyhour", `INSERT INTO ledger_entries (member_id, seq, source, seconds, day, ref, approved_by, recorded_us, prev_hash, hash)
		SELECT member_id, seq + 1000, source, seconds, day, ref, approved_by, recorded_us, prev_hash, hash
		FROM ledger_entries WHERE source = 'exam' ORDER BY id LIMIT 1`)
	write("studyhour", `DELETE FROM ledger_entries WHERE id = (SELECT min(id) FROM ledger_entries WHERE source = 'lesson')`)

	short, cancel := context.WithTimeout(ctx, 8*time.Second)
	defer cancel()
	c, err := Check(short, e, f)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("counts with the faults: %s", c)
	if c.Settled || c.Submitted != before.Submitted+1 || c.Lost != 1 || c.DuplicateGrades != 1 || c.ExamCreditsDuplicated != 1 ||
		c.HoursEventsMissing != 1 || c.LessonCreditsLost != 1 || c.CreditsLost != 1 || c.CreditsDuplicated != 1 {
		t.Fatalf("Check missed a fault: %s", c)
	}
}

// faultyProxy forwards every request to the standalone process, but loses the first submit of
// two attempts in three: the first of each three has its reply replaced by a 502 after the
// server handled it (a reply lost on the way back), the second has its connection closed before
// it is forwarded (a request lost on the way in).
type faultyProxy struct {
	url string
	mu  sync.Mutex
	// seen numbers the attempts' submit paths in the order they first came.
	seen                  map[string]int
	lostAfter, lostBefore int
}

func newFaultyProxy(t *testing.T, target string) *faultyProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ErrorLog = log.New(io.Discard, "", 0) // requests the clients gave up on (the end of a run)
	p := &faultyProxy{seen: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fault := 0
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, ":submit") {
			p.mu.Lock()
			k, again := p.seen[r.URL.Path]
			if !again {
				k = len(p.seen)
				p.seen[r.URL.Path] = k
				fault = 1 + k%3 // 1: lose the reply, 2: lose the request, 3: none
				switch fault {
				case 1:
					p.lostAfter++
				case 2:
					p.lostBefore++
				}
			}
			p.mu.Unlock()
		}
		switch fault {
		case 1:
			rec := httptest.NewRecorder()
			rp.ServeHTTP(rec, r)
			if rec.Code != http.StatusOK {
				t.Errorf("the submit the proxy lost the reply of answered %d", rec.Code)
			}
			http.Error(w, "reply lost", http.StatusBadGateway)
		case 2:
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
		default:
			rp.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	p.url = srv.URL
	return p
}

func (p *faultyProxy) counts() (lostAfter, lostBefore int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lostAfter, p.lostBefore
}
