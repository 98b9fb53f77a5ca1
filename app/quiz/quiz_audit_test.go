package quiz

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/hibiken/asynq"

	orgv1 "github.com/vanguard/vanguard/api/org/v1"
	"github.com/vanguard/vanguard/app/quiz/internal/biz"
	"github.com/vanguard/vanguard/app/quiz/internal/data"
	"github.com/vanguard/vanguard/pkg/audit"
	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/queue"
	"github.com/vanguard/vanguard/pkg/testdb"
)

// orgLog is org's audit log as quiz reaches it: it counts every append of every key (never
// deduplicating, so a repeat shows) and can be down.
type orgLog struct {
	mu      sync.Mutex
	down    bool
	appends map[string]int
	last    map[string]audit.Entry
}

func (o *orgLog) Append(_ context.Context, entries ...audit.Entry) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.down {
		return errors.New("org unreachable")
	}
	for _, e := range entries {
		o.appends[e.Key]++
		o.last[e.Key] = e
	}
	return nil
}

func (o *orgLog) setDown(down bool) {
	o.mu.Lock()
	o.down = down
	o.mu.Unlock()
}

func (o *orgLog) snapshot() map[string]int {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := map[string]int{}
	for k, n := range o.appends {
		out[k] = n
	}
	return out
}

// newTestModule wires quiz over a fresh database, with org's audit log played by o.
func newTestModule(t *testing.T, driver, dsn string, o *orgLog) *Module {
	t.Helper()
	tasks, err := queue.NewClient(asynq.RedisClientOpt{Addr: miniredis.RunT(t).Addr()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tasks.Close() })
	m, err := New(Config{DatabaseDriver: driver, DatabaseDSN: dsn, Tasks: tasks,
		Orgs: orgv1.NewOrgsClient(nil), Accounts: orgv1.NewAccountsClient(nil), Audit: o},
		log.NewFilter(log.DefaultLogger, log.FilterLevel(log.LevelFatal)), clock.Real{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	if err := m.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return m
}

// regradeExam creates an exam of org /1/2/ and regrades it as a trainer of that org; it returns
// the regrade's audit key.
func regradeExam(t *testing.T, m *Module) string {
	t.Helper()
	ctx := context.Background()
	p, err := data.NewPaperRepo(m.data).CreatePaper(ctx, &biz.Paper{OrgPath: "/1/2/", Title: "试卷"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	e, err := data.NewExamRepo(m.data).CreateExam(ctx, &biz.Exam{PaperID: p.ID, OrgPath: "/1/2/", Title: "党史知识测试",
		OpensAt: now, ClosesAt: now.Add(time.Hour), Duration: time.Hour, AttemptsAllowed: 1, GradingMethod: biz.GradeHighest,
		ResultsPolicy: biz.ResultsAfterClose, TargetOrgIDs: []int64{2}, TargetPaths: []string{"/1/2/"}, CreatedBy: 7})
	if err != nil {
		t.Fatal(err)
	}
	trainer := auth.NewContext(ctx, &auth.Principal{UserID: 7, Username: "trainerA", Roles: []string{auth.RoleTrainer}, OrgID: 2, OrgPath: "/1/2/"})
	if _, err := m.uc.Regrade.Regrade(trainer, e.ID, "答案更正"); err != nil {
		t.Fatalf("regrade: %v", err)
	}
	trail, err := m.uc.Regrade.Regrades(trainer, e.ID)
	if err != nil || len(trail) == 0 {
		t.Fatalf("trail = %v, %v", trail, err)
	}
	return "quiz:regrade:" + strconv.FormatInt(trail[0].ID, 10)
}

func pending(t *testing.T, m *Module) int {
	t.Helper()
	n, err := m.AuditSpool().Pending(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A regrade's entry is in org's audit log when the regrade returns, as quiz's own JSON of it.
func TestRegradeEntryReachesOrgAtOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		o := &orgLog{appends: map[string]int{}, last: map[string]audit.Entry{}}
		m := newTestModule(t, driver, dsn, o)
		key := regradeExam(t, m)
		if got := o.snapshot(); len(got) != 1 || got[key] != 1 {
			t.Fatalf("org's appends = %v, want %s once", got, key)
		}
		e := o.last[key]
		after, _ := json.Marshal(e.After)
		if e.Action != "exam.regrade" || e.TargetType != "exam" || e.OrgPath != "/1/2/" || e.ActorID != 7 || e.ActorOrgPath != "/1/2/" ||
			string(after) != `{"changed":0,"checked":0,"reason":"答案更正"}` {
			t.Fatalf("delivered entry = %+v (after %s)", e, after)
		}
		if n := pending(t, m); n != 0 {
			t.Fatalf("%d entries left in the spool", n)
		}
	})
}

// An org outage loses no regrade entry: the regrade succeeds, its entry waits in quiz's
// database, and the module's reconciler pass delivers it once org is back; further passes (and
// the pass that failed while org was down) never append it twice.
func TestRegradeEntrySurvivesOrgOutage(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		o := &orgLog{appends: map[string]int{}, last: map[string]audit.Entry{}}
		m := newTestModule(t, driver, dsn, o)
		o.setDown(true)
		key := regradeExam(t, m)
		if n := pending(t, m); n != 1 {
			t.Fatalf("pending entries = %d, want the regrade's kept for later", n)
		}
		if err := m.Reconcile(context.Background()); err == nil {
			t.Fatal("reconciler pass with org down reported no failure")
		}
		if got := o.snapshot(); len(got) != 0 || pending(t, m) != 1 {
			t.Fatalf("with org down: appends %v, %d pending", got, pending(t, m))
		}
		o.setDown(false)
		for range 2 {
			if err := m.Reconcile(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		if got := o.snapshot(); len(got) != 1 || got[key] != 1 {
			t.Fatalf("org's appends = %v, want %s once", got, key)
		}
		if n := pending(t, m); n != 0 {
			t.Fatalf("%d entries left in the spool", n)
		}
	})
}
