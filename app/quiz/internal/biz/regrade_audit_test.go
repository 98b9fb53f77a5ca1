package biz

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// failingAuditLog refuses every entry, like an audit spool whose database write fails.
type failingAuditLog struct{}

func (failingAuditLog) Record(context.Context, ...AuditEntry) error {
	return fmt.Errorf("fake audit Record: %w", errInjected)
}

// regradeFixture is an exam with one graded attempt whose true/false key was then corrected, so
// a regrade changes its score.
func regradeFixture(t *testing.T, e *testEnv) *examFixture {
	t.Helper()
	fx := e.newExam(t, []*Question{qTrueFalse()}, func(x *Exam) { x.PassMark = 1 })
	e.graded(t, "memberA", fx.exam.ID, map[int]Answer{1: choices("false")})
	fixed := *fx.questions[0]
	fixed.AnswerKeys = []string{"false"}
	if _, err := e.uc.Authoring.UpdateQuestion(e.as("trainerA"), &fixed); err != nil {
		t.Fatal(err)
	}
	return fx
}

// A regrade records its entry for the shared audit log in its own transaction (the audit spool
// delivers it to org after the commit, and later if org is down: pkg/audit/spool's tests, and
// app/quiz's module test for quiz's wiring). The entry is keyed by the regrade's trail row, so a
// redelivery cannot duplicate it and every regrade has its own.
func TestRegradeIsAudited(t *testing.T) {
	e := newTestEnv(t)
	e.uc.Regrade.audit = fakeAuditLog{e.db}
	fx := regradeFixture(t, e)
	res, err := e.uc.Regrade.Regrade(e.as("trainerA"), fx.exam.ID, "答案更正")
	if err != nil || res.Changed != 1 {
		t.Fatalf("regrade = %+v, %v; want 1 changed and no error", res, err)
	}
	trail, err := e.uc.Regrade.Regrades(e.as("trainerA"), fx.exam.ID)
	if err != nil || len(trail) != 1 {
		t.Fatalf("trail = %v, %v", trail, err)
	}
	trainer := e.user["trainerA"]
	want := []AuditEntry{{
		Key: "quiz:regrade:" + strconv.FormatInt(trail[0].ID, 10), ActorID: trainer.UserID, ActorName: "trainerA", ActorOrgPath: "/1/2/",
		Action: "exam.regrade", TargetType: "exam", TargetID: fx.exam.ID, OrgPath: "/1/2/",
		After: map[string]any{"reason": "答案更正", "checked": 1, "changed": 1},
	}}
	if diff := cmp.Diff(want, e.db.st.Audit, cmpopts.IgnoreFields(AuditEntry{}, "Summary")); diff != "" {
		t.Fatalf("audit entries (-want +got):\n%s", diff)
	}
	if s := e.db.st.Audit[0].Summary; !strings.Contains(s, fx.exam.Title) || !strings.Contains(s, "答案更正") {
		t.Fatalf("summary = %q", s)
	}

	// A second regrade (nothing changes now) is a second action with its own entry.
	if _, err := e.uc.Regrade.Regrade(e.as("trainerA"), fx.exam.ID, "复核"); err != nil {
		t.Fatal(err)
	}
	if n := len(e.db.st.Audit); n != 2 || e.db.st.Audit[1].Key == e.db.st.Audit[0].Key {
		t.Fatalf("entries after a second regrade: %+v", e.db.st.Audit)
	}
	if got := e.db.st.Audit[1].After; !cmp.Equal(got, map[string]any{"reason": "复核", "checked": 1, "changed": 0}) {
		t.Fatalf("second entry's after = %v", got)
	}
}

// The regrade and its entry commit together: an entry that cannot be recorded fails the regrade
// (no re-scored attempt, no trail, no event), and a regrade that fails records no entry.
func TestRegradeAndItsAuditEntryCommitTogether(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(e *testEnv)
	}{
		{"the audit entry cannot be recorded", func(e *testEnv) { e.uc.Regrade.audit = failingAuditLog{} }},
		{"the graded event cannot be written", func(e *testEnv) {
			e.uc.Regrade.audit = fakeAuditLog{e.db}
			e.db.failOutboxAdd = 1
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t)
			fx := regradeFixture(t, e)
			before := e.db.st.clone()
			tc.setup(e)
			if _, err := e.uc.Regrade.Regrade(e.as("trainerA"), fx.exam.ID, "答案更正"); err == nil {
				t.Fatal("regrade succeeded")
			}
			if diff := cmp.Diff(before, e.db.st, cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("a failed regrade changed the state (-before +after):\n%s", diff)
			}
		})
	}
}
