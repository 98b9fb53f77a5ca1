package service

import (
	"context"
	"github.com/go-kratos/kratos/v2/log"
	"net/http"
	"sync"
	"testing"

	kerrors "github.com/go-kratos/kratos/v2/errors"

	v1 "github.com/vanguard/vanguard/api/quiz/v1"
	"github.com/vanguard/vanguard/pkg/testdb"
)

// TestConcurrentStartAttemptMakesOneAttempt is the double click (or two tabs) on "start": 16
// StartAttempt calls for the same member and exam at once must leave exactly one attempt, and
// every call answers with that attempt or a 409, never a 500.
func TestConcurrentStartAttemptMakesOneAttempt(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		e := newEnv(t, driver, dsn)
		svc := NewQuizService(e.uc, log.DefaultLogger)
		const callers = 16
		var (
			wg    sync.WaitGroup
			start = make(chan struct{})
			views = make([]*v1.AttemptView, callers)
			errs  = make([]error, callers)
		)
		for i := range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				views[i], errs[i] = svc.StartAttempt(asMember(), &v1.IdRequest{Id: e.exam.ID})
			}()
		}
		close(start)
		wg.Wait()

		rows, err := e.attempts.ListAttempts(context.Background(), e.exam.ID, member.UserID)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 {
			t.Fatalf("%d attempts stored after %d concurrent starts, want exactly 1", len(rows), callers)
		}
		id := rows[0].ID
		ok := 0
		for i := range callers {
			if errs[i] != nil {
				if ke := kerrors.FromError(errs[i]); ke.Code != http.StatusConflict {
					t.Errorf("call %d: %v (code %d), want the attempt or a 409", i, errs[i], ke.Code)
				}
				continue
			}
			ok++
			if views[i].GetId() != id {
				t.Errorf("call %d returned attempt %d, want the one stored, %d", i, views[i].GetId(), id)
			}
		}
		if ok == 0 {
			t.Fatalf("no call returned the attempt")
		}
		// More than one insert means some callers lost the race on the unique index and had to
		// resume the winner's attempt; the rest found it already listed.
		t.Logf("%d of %d calls returned the attempt; %d inserts tried", ok, callers, e.attempts.creates.Load())
	})
}
