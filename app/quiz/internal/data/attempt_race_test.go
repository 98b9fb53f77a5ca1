package data

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/vanguard/vanguard/app/quiz/internal/biz"
	"github.com/vanguard/vanguard/pkg/testdb"
)

// TestConcurrentCreateAttemptSameNumber: the unique index on (exam_id, user_id, number) lets one
// of 16 concurrent inserts win; every other one gets biz.ErrAlreadyExists (what Start turns into
// "resume the winner's attempt"), never another error.
func TestConcurrentCreateAttemptSameNumber(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		ctx := context.Background()
		repo := NewAttemptRepo(open(t, driver, dsn))
		start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		const callers = 16
		var (
			wg   sync.WaitGroup
			gate = make(chan struct{})
			got  = make([]*biz.Attempt, callers)
			errs = make([]error, callers)
		)
		for i := range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-gate
				got[i], errs[i] = repo.CreateAttempt(ctx, &biz.Attempt{ExamID: 3, UserID: 100, UserOrgPath: "/1/2/", Number: 1,
					Status: biz.AttemptInProgress, StartedAt: start, Deadline: start.Add(time.Hour), MaxScore: 10})
			}()
		}
		close(gate)
		wg.Wait()
		var winner int64
		for i := range callers {
			switch {
			case errs[i] == nil && winner == 0:
				winner = got[i].ID
			case errs[i] == nil:
				t.Errorf("call %d inserted a second attempt %d (first %d)", i, got[i].ID, winner)
			case !errors.Is(errs[i], biz.ErrAlreadyExists):
				t.Errorf("call %d: %v, want biz.ErrAlreadyExists", i, errs[i])
			}
		}
		rows, err := repo.ListAttempts(ctx, 3, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].ID != winner {
			t.Fatalf("stored attempts = %+v, want only the winner %d", rows, winner)
		}
	})
}
