package data

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vanguard/vanguard/app/studyhour/internal/biz"
	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/testdb"
)

func open(t testing.TB, driver, dsn string) *Data {
	t.Helper()
	d, err := Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if err := d.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return d
}

// lessons is course as studyhour sees it, for the data tests (the real one is exercised through
// gRPC in the standalone tests).
type lessons map[int64]*biz.Lesson

func (ls lessons) Lesson(_ context.Context, id int64) (*biz.Lesson, error) {
	if l, ok := ls[id]; ok {
		return l, nil
	}
	return nil, biz.ErrNotFound
}

// people is org's accounts as the tests need them: anyone may see anyone; Members lists those
// under the org's path.
type people []biz.Person

func (ps people) Person(_ context.Context, id int64) (*biz.Person, error) {
	for _, p := range ps {
		if p.ID == id {
			return &p, nil
		}
	}
	return &biz.Person{ID: id, Name: fmt.Sprintf("党员%d", id), OrgPath: "/1/2/"}, nil
}

func (ps people) Members(_ context.Context, orgID int64) ([]biz.Person, error) {
	var out []biz.Person
	for _, p := range ps {
		if strings.Contains(p.OrgPath, fmt.Sprintf("/%d/", orgID)) {
			out = append(out, p)
		}
	}
	return out, nil
}

type events struct {
	mu  sync.Mutex
	evs []biz.Event
}

func (e *events) Publish(_ context.Context, evs ...biz.Event) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.evs = append(e.evs, evs...)
	return nil
}

var key = []byte("0123456789abcdef0123456789abcdef")

func newStudy(t testing.TB, d *Data, clk clock.Clock, cfg biz.Config) (*biz.Study, *events) {
	t.Helper()
	return newStudyOf(t, d, clk, cfg, nil)
}

func newStudyOf(t testing.TB, d *Data, clk clock.Clock, cfg biz.Config, dir people) (*biz.Study, *events) {
	t.Helper()
	cfg.LedgerKey = key
	ev := &events{}
	ls := lessons{
		1: {ID: 1, CourseID: 10, Kind: biz.KindVideo, Ready: true, Duration: 3600},
		2: {ID: 2, CourseID: 10, Kind: biz.KindDocument, Ready: true, PageCount: 4},
		3: {ID: 3, CourseID: 10, Kind: biz.KindArticle, Ready: true, BodyHTML: "<p>学习</p>"},
	}
	uc, err := biz.NewStudy(cfg, NewStore(d), ls, dir, ev, d, clk)
	if err != nil {
		t.Fatal(err)
	}
	return uc, ev
}

func member(id int64) context.Context {
	return auth.NewContext(context.Background(), &auth.Principal{UserID: id, Roles: []string{auth.RoleMember}, OrgPath: "/1/2/"})
}

// Concurrent credits of one member (exam events and heartbeats at once) serialise on the
// member's row: the chain has every entry once, in an unbroken sequence, under its anchor.
func TestConcurrentCreditsNeverForkTheChain(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		d := open(t, driver, dsn)
		clk := clock.NewFake(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC))
		uc, _ := newStudy(t, d, clk, biz.Config{})
		ctx := member(7)
		sess, _, err := uc.Start(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		const exams, beats = 24, 12
		passed := true
		var wg sync.WaitGroup
		errs := make(chan error, exams+beats)
		for i := range exams {
			wg.Go(func() {
				errs <- d.InTx(ctx, func(ctx context.Context) error {
					return uc.ApplyGraded(ctx, biz.Graded{AttemptID: int64(100 + i), ExamID: int64(i + 1), MemberID: 7, Passed: &passed,
						GradedAt: clk.Now(), CreditSeconds: 600})
				})
			})
		}
		wg.Go(func() {
			for i := 1; i <= beats; i++ {
				clk.Advance(30 * time.Second)
				_, err := uc.Heartbeat(ctx, biz.Beat{SessionID: sess.ID, Seq: int64(i), Position: float64(30 * i), Rate: 1, Visible: true})
				errs <- err
			}
		})
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		entries, err := NewStore(d).ChainEntries(context.Background(), 7)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != exams+beats {
			t.Fatalf("%d entries, want %d", len(entries), exams+beats)
		}
		v, err := uc.Verify(ctx, 7)
		if err != nil || v.Broken != nil {
			t.Fatalf("verify: %v %v", v.Broken, err)
		}
		sum, err := uc.MyHours(ctx, 2026)
		if err != nil {
			t.Fatal(err)
		}
		if want := time.Duration(exams*600+beats*30) * time.Second; sum.Total != want || sum.BySource[biz.SourceExam] != exams*600 {
			t.Fatalf("total %v (%v), want %v", sum.Total, sum.BySource, want)
		}
	})
}

// The daily cap stops lesson credit for the day (counted as a refusal) and lifts at midnight in
// the organisation's time zone; a document credits visible reading time up to its expected
// reading time and completes when its pages have been viewed.
func TestDailyCapAndReading(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		d := open(t, driver, dsn)
		shanghai, _ := time.LoadLocation("Asia/Shanghai")
		clk := clock.NewFake(time.Date(2026, 12, 2, 23, 58, 0, 0, shanghai))
		uc, evs := newStudy(t, d, clk, biz.Config{DailyCap: 60 * time.Second, Location: shanghai})
		ctx := member(8)
		sess, _, err := uc.Start(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		var credit time.Duration
		for i := 1; i <= 4; i++ { // 23:58:30, 23:59:00, 23:59:30, 00:00:00 next day
			clk.Advance(30 * time.Second)
			r, err := uc.Heartbeat(ctx, biz.Beat{SessionID: sess.ID, Seq: int64(i), Position: float64(30 * i), Rate: 1, Visible: true})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, string(r.Refusal))
			credit += r.Credit
		}
		if credit != 90*time.Second || got[2] != string(biz.RefusedDailyCap) || got[3] != "" {
			t.Fatalf("credit %v, refusals %q", credit, got)
		}
		sum, _ := uc.MyHours(ctx, 2026)
		if len(sum.Refusals) != 1 || sum.Refusals[0].Reason != biz.RefusedDailyCap {
			t.Fatalf("refusals %+v", sum.Refusals)
		}

		// A 4-page PDF: 4 minutes expected; visible time credits (up to 4 minutes and the
		// 5-minute allowance), hidden does not, and it is complete once every page was seen and
		// 80 % of the time credited.
		// (Another member, under the default daily cap.)
		ctx = member(9)
		uc, evs = newStudy(t, d, clk, biz.Config{Location: shanghai})
		doc, prog, err := uc.Start(ctx, 2)
		if err != nil || prog.Duration != 240 {
			t.Fatalf("start document: %+v %v", prog, err)
		}
		seq := int64(0)
		beat := func(visible bool, pages ...int32) *biz.BeatResult {
			clk.Advance(30 * time.Second)
			seq++
			r, err := uc.Heartbeat(ctx, biz.Beat{SessionID: doc.ID, Seq: seq, Position: 1, Rate: 1, Visible: visible, Pages: pages})
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		if r := beat(false, 1); r.Credit != 0 || r.Refusal != biz.RefusedHidden {
			t.Fatalf("hidden reading: %+v", r)
		}
		for i := 0; i < 6; i++ {
			beat(true, 1, 2, 3)
		}
		if r := beat(true); r.Progress.CompletedAt != nil {
			t.Fatal("complete with a page never seen")
		}
		r := beat(true, 4, 99)
		if r.Progress.CompletedAt == nil || r.Progress.Pages.Seconds() != 4 || r.Progress.Credited != 240*time.Second {
			t.Fatalf("after every page: %+v", r.Progress)
		}
		for i := 0; i < 12; i++ {
			beat(true)
		}
		if r := beat(true); r.Refusal != biz.RefusedCapped || r.Progress.Credited != 540*time.Second {
			t.Fatalf("reading past the cap: %+v %v", r.Refusal, r.Progress.Credited)
		}
		completed := 0
		for _, e := range evs.evs {
			if c, ok := e.(biz.LessonCompleted); ok && c.LessonID == 2 {
				completed++
			}
		}
		if completed != 1 {
			t.Fatalf("%d lesson.completed events, want 1", completed)
		}
	})
}
