package data

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vanguard/vanguard/app/org/internal/biz"
	"github.com/vanguard/vanguard/pkg/testdb"
)

// Appended entries are stored once per key: in one call, across calls, and when two appends of
// the same keys race; org's own entries (no key) never collide with each other.
func TestAuditAddOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		ctx := context.Background()
		repo := NewAuditRepo(open(t, driver, dsn))
		at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		entry := func(key string) *biz.AuditRecord {
			return &biz.AuditRecord{ActorID: 7, ActorName: "trainer", ActorOrgPath: "/1/2/", Action: "exam.regrade",
				TargetType: "exam", TargetID: 3, OrgPath: "/1/2/", Summary: "重新评分", After: `{"changed":2}`,
				CreatedAt: at, Service: "quiz", Key: key}
		}
		for i := 0; i < 2; i++ {
			if err := repo.Add(ctx, &biz.AuditRecord{ActorID: 1, ActorName: "admin", Action: "org.create", TargetType: "org", OrgPath: "/1/", CreatedAt: at}); err != nil {
				t.Fatalf("org's own entry %d: %v", i, err)
			}
		}
		if n, err := repo.AddOnce(ctx, []*biz.AuditRecord{entry("quiz:regrade:1"), entry("quiz:regrade:2")}); err != nil || n != 2 {
			t.Fatalf("first append = %d, %v; want 2", n, err)
		}
		if n, err := repo.AddOnce(ctx, []*biz.AuditRecord{entry("quiz:regrade:2"), entry("quiz:regrade:3")}); err != nil || n != 1 {
			t.Fatalf("second append = %d, %v; want 1 (one key known)", n, err)
		}
		if n, err := repo.AddOnce(ctx, []*biz.AuditRecord{entry("quiz:regrade:1")}); err != nil || n != 0 {
			t.Fatalf("repeated append = %d, %v; want 0", n, err)
		}
		// Racing appends of the same keys store each key once and neither fails.
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = repo.AddOnce(ctx, []*biz.AuditRecord{entry("quiz:regrade:9"), entry("quiz:regrade:10")})
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("racing append %d: %v", i, err)
			}
		}
		got, err := repo.List(ctx, biz.AuditFilter{PathPrefix: "/1/", Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		keys := map[string]int{}
		for _, r := range got {
			keys[r.Key]++
		}
		want := map[string]int{"": 2, "quiz:regrade:1": 1, "quiz:regrade:2": 1, "quiz:regrade:3": 1, "quiz:regrade:9": 1, "quiz:regrade:10": 1}
		if diff := cmp.Diff(want, keys); diff != "" {
			t.Fatalf("stored keys (-want +got):\n%s", diff)
		}
		first := got[len(got)-3] // oldest appended entry: quiz:regrade:1
		wantRec := entry("quiz:regrade:1")
		wantRec.ID = first.ID
		if diff := cmp.Diff(wantRec, first, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
			t.Fatalf("stored entry (-want +got):\n%s", diff)
		}
		if own := got[len(got)-1]; own.Service != biz.AuditServiceOrg || own.Key != "" {
			t.Fatalf("org's own entry = %+v, want service org and no key", own)
		}
		// Staff of another branch do not see the subtree's entries.
		if other, err := repo.List(ctx, biz.AuditFilter{PathPrefix: "/1/5/", Limit: 100}); err != nil || len(other) != 0 {
			t.Fatalf("other branch = %v, %v", other, err)
		}
		// A key longer than the column is a field error, not a 500.
		long := entry(fmt.Sprintf("quiz:%0130d", 1))
		if _, err := repo.AddOnce(ctx, []*biz.AuditRecord{long}); !errors.As(err, new(*biz.FieldError)) {
			t.Fatalf("over-long key: err = %v, want a field error", err)
		}
	})
}
