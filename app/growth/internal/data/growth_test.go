package data

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/vanguard/vanguard/app/growth/internal/biz"
	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/bizerr"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/testdb"
)

// facts stands in for the other services until growth gathers from them over gRPC (the
// standalone tests will run the real ones): each member's content, changeable by the test.
type facts struct {
	mu sync.Mutex
	m  map[int64]biz.Content
}

func (f *facts) Gather(_ context.Context, id int64) (biz.Content, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.m[id], nil
}

func (f *facts) set(id int64, c biz.Content) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.m[id] = c
}

func as(p *auth.Principal) context.Context { return auth.NewContext(context.Background(), p) }

// TestGrowth runs compile, read and review on SQLite and PostgreSQL.
func TestGrowth(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		ctx := context.Background()
		clk := clock.NewFake(time.Date(2026, 12, 2, 2, 0, 0, 0, time.UTC))
		src := &facts{m: map[int64]biz.Content{7: content(7, "/1/2/", 86)}}
		uc := biz.NewGrowth(NewFileRepo(open(t, driver, dsn)), src, clk)

		// Compiles: a first version; the same facts again, nothing; new facts, the next version.
		if f, v, err := uc.Compile(ctx, 7, "nightly"); err != nil || v == nil || v.No != 1 || f.Status != biz.StatusPending {
			t.Fatalf("first compile: %+v %+v %v", f, v, err)
		}
		if _, v, err := uc.Compile(ctx, 7, "nightly"); err != nil || v != nil {
			t.Fatalf("unchanged compile made a version: %+v %v", v, err)
		}
		// Racing compiles of changed facts store one version, not two.
		src.set(7, content(7, "/1/2/", 50))
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, err := uc.Compile(ctx, 7, "attempt.graded")
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("racing compile: %v", err)
			}
		}
		member := &auth.Principal{UserID: 7, Username: "liuyi", Roles: []string{auth.RoleMember}, OrgPath: "/1/2/"}
		view, err := uc.Get(as(member), 7, 0)
		if err != nil || view.Version.No != 2 || view.Content.Exams[0].Score != 50 || len(view.Version.Changes) != 1 {
			t.Fatalf("the member's file: %+v %v", view, err)
		}

		// Readers: the member and staff over the branch; not another member, not another branch.
		staff := &auth.Principal{UserID: 3, Username: "sunba", Roles: []string{auth.RoleStaff}, OrgPath: "/1/2/"}
		committee := &auth.Principal{UserID: 2, Username: "committee", Roles: []string{auth.RoleStaff}, OrgPath: "/1/"}
		other := &auth.Principal{UserID: 8, Username: "chener", Roles: []string{auth.RoleMember}, OrgPath: "/1/2/"}
		otherStaff := &auth.Principal{UserID: 4, Username: "zhouqi", Roles: []string{auth.RoleStaff}, OrgPath: "/1/20/"}
		for _, p := range []*auth.Principal{staff, committee} {
			if v, err := uc.Get(as(p), 7, 1); err != nil || v.Version.No != 1 {
				t.Errorf("%s reading version 1: %v", p.Username, err)
			}
		}
		for _, p := range []*auth.Principal{other, otherStaff} {
			if _, err := uc.Get(as(p), 7, 0); !errors.Is(err, biz.ErrNotFound) {
				t.Errorf("%s reading: %v, want not found", p.Username, err)
			}
		}

		// Reviews: not by the member, not by another branch; a return needs its reason.
		if _, err := uc.Review(as(member), 7, 2, true, ""); !errors.As(err, new(*bizerr.PermissionError)) {
			t.Errorf("the member approving their own file: %v, want a denial", err)
		}
		if _, err := uc.Review(as(other), 7, 2, true, ""); !errors.Is(err, biz.ErrNotFound) {
			t.Errorf("another member: %v, want not found", err)
		}
		if _, err := uc.Review(as(otherStaff), 7, 2, true, ""); !errors.Is(err, biz.ErrNotFound) {
			t.Errorf("another branch's staff: %v", err)
		}
		if _, err := uc.Review(as(staff), 7, 2, false, " "); !errors.As(err, new(*bizerr.FieldError)) {
			t.Errorf("a return without a reason: %v, want a field error", err)
		}
		f, err := uc.Review(as(staff), 7, 2, false, "考试成绩未附补考记录")
		if err != nil || f.Status != biz.StatusReturned {
			t.Fatalf("return: %+v %v", f, err)
		}
		// A returned file stays returned while nothing changes, and is pending again after the
		// next compile that changes it.
		if f, _, _ := uc.Compile(ctx, 7, "nightly"); f.Status != biz.StatusReturned {
			t.Fatalf("unchanged compile moved the review: %+v", f)
		}
		src.set(7, content(7, "/1/2/", 75))
		if f, v, err := uc.Compile(ctx, 7, "attempt.graded"); err != nil || v.No != 3 || f.Status != biz.StatusPending {
			t.Fatalf("compile after the return: %+v %+v %v", f, v, err)
		}
		if _, err := uc.Review(as(staff), 7, 2, true, ""); !errors.Is(err, biz.ErrStale) {
			t.Errorf("approving an old version: %v", err)
		}
		if f, err := uc.Review(as(committee), 7, 3, true, "同意"); err != nil || f.Status != biz.StatusApproved || f.Approved != 3 {
			t.Fatalf("approve: %+v %v", f, err)
		}
		if _, err := uc.Review(as(staff), 7, 3, false, "再看看"); !errors.Is(err, biz.ErrLocked) {
			t.Errorf("returning an approved version: %v", err)
		}
	})
}
