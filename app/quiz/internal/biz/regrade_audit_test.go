package biz

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// fakeAuditLog records appended entries; err makes every append fail.
type fakeAuditLog struct {
	entries []AuditEntry
	err     error
}

func (f *fakeAuditLog) Append(_ context.Context, entries ...AuditEntry) error {
	if f.err != nil {
		return f.err
	}
	f.entries = append(f.entries, entries...)
	return nil
}

// A regrade's audit entry is stored with the regrade in its transaction and appended to the
// shared audit log after the commit, keyed by its trail row so a retry cannot duplicate it; an
// audit log that is down neither fails the regrade nor loses the entry: the reconciler delivers
// it when the log is back.
func TestRegradeIsAudited(t *testing.T) {
	for _, down := range []bool{false, true} {
		e := newTestEnv(t)
		log := &fakeAuditLog{}
		if down {
			log.err = errors.New("org unreachable")
		}
		e.uc.Regrade.audit = log
		q := qTrueFalse()
		fx := e.newExam(t, []*Question{q}, func(x *Exam) { x.PassMark = 1 })
		e.graded(t, "memberA", fx.exam.ID, map[int]Answer{1: choices("false")})
		fixed := *fx.questions[0]
		fixed.AnswerKeys = []string{"false"}
		if _, err := e.uc.Authoring.UpdateQuestion(e.as("trainerA"), &fixed); err != nil {
			t.Fatal(err)
		}
		res, err := e.uc.Regrade.Regrade(e.as("trainerA"), fx.exam.ID, "答案更正")
		if err != nil || res.Changed != 1 {
			t.Fatalf("down=%v: regrade = %+v, %v; want 1 changed and no error", down, res, err)
		}
		trail, err := e.uc.Regrade.Regrades(e.as("trainerA"), fx.exam.ID)
		if err != nil || len(trail) != 1 {
			t.Fatalf("down=%v: trail = %v, %v", down, trail, err)
		}
		if down {
			if len(log.entries) != 0 {
				t.Fatalf("entries appended to a failing log: %v", log.entries)
			}
			// The entry waits with the regrade; reconciler passes deliver it once the log is
			// back, and only once.
			if n := len(e.db.st.PendingAudits); n != 1 {
				t.Fatalf("pending audit entries = %d, want 1 kept for later", n)
			}
			if err := e.uc.Reconcile(context.Background()); err != nil {
				t.Fatal(err)
			}
			if len(log.entries) != 0 {
				t.Fatal("delivered while the log is still down")
			}
			log.err = nil
			for range 2 {
				if err := e.uc.Reconcile(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
		}
		if n := len(e.db.st.PendingAudits); n != 0 {
			t.Fatalf("down=%v: %d audit entries still pending after delivery", down, n)
		}
		trainer := e.user["trainerA"]
		want := []AuditEntry{{
			Key: "quiz:regrade:" + strconv.FormatInt(trail[0].ID, 10), ActorID: trainer.UserID, ActorName: "trainerA", ActorOrgPath: "/1/2/",
			Action: "exam.regrade", TargetType: "exam", TargetID: fx.exam.ID, OrgPath: "/1/2/",
			After: map[string]any{"reason": "答案更正", "checked": 1, "changed": 1},
		}}
		// Compared as the JSON the audit log receives: an entry redelivered from the database
		// comes back JSON-decoded (its counts as float64), one delivered at once does not.
		if diff := cmp.Diff(asJSON(t, want), asJSON(t, log.entries), cmpopts.IgnoreFields(AuditEntry{}, "Summary")); diff != "" {
			t.Fatalf("audit entries (-want +got):\n%s", diff)
		}
		if s := log.entries[0].Summary; !strings.Contains(s, fx.exam.Title) || !strings.Contains(s, "答案更正") {
			t.Fatalf("summary = %q", s)
		}
	}
}

// asJSON returns entries as their JSON encoding decodes.
func asJSON(t *testing.T, entries []AuditEntry) []AuditEntry {
	t.Helper()
	b, err := json.Marshal(entries)
	if err != nil {
		t.Fatal(err)
	}
	var out []AuditEntry
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
