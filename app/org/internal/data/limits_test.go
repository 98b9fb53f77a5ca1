package data

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vanguard/vanguard/app/org/internal/biz"
	"github.com/vanguard/vanguard/pkg/testdb"
)

// Limits count characters: limit-long Chinese is stored, one more is the invalid-argument error
// naming the field (a 400), not an internal error.
func TestTextLimitsCountCharacters(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		ctx := context.Background()
		d := open(t, driver, dsn)
		orgs := NewOrgRepo(d)
		if _, err := orgs.Create(ctx, []biz.NewOrg{{Name: strings.Repeat("党", biz.MaxOrgName), Code: "R", Type: biz.OrgCommittee}}); err != nil {
			t.Fatalf("%d-character name: %v", biz.MaxOrgName, err)
		}
		_, err := orgs.Create(ctx, []biz.NewOrg{{Name: strings.Repeat("党", biz.MaxOrgName+1), Code: "S", Type: biz.OrgCommittee}})
		var fe *biz.FieldError
		if !errors.As(err, &fe) || fe.Field != "name" || !strings.Contains(fe.Reason, "100") {
			t.Fatalf("%d-character name = %v, want a field error naming name", biz.MaxOrgName+1, err)
		}
		// A failed sign-in under a long Chinese name is recorded under its first 64 characters,
		// never a cut character (PostgreSQL refuses invalid UTF-8).
		failures := NewLoginFailureRepo(d)
		name := strings.Repeat("党", biz.MaxUsername+6)
		if err := failures.Add(ctx, name, time.Now()); err != nil {
			t.Fatal(err)
		}
		if n, _, err := failures.Since(ctx, name, time.Now().Add(-time.Hour)); err != nil || n != 1 {
			t.Fatalf("failures since = %d, %v", n, err)
		}
		// An appended entry's key longer than the column is a field error, not a 500.
		long := &biz.AuditRecord{ActorID: 7, ActorName: "trainer", ActorOrgPath: "/1/", Action: "exam.regrade",
			TargetType: "exam", OrgPath: "/1/", CreatedAt: time.Now(), Service: "quiz", Key: fmt.Sprintf("quiz:%0*d", biz.MaxAuditKey, 1)}
		if _, err := NewAuditRepo(d).AddOnce(ctx, []*biz.AuditRecord{long}); !errors.As(err, new(*biz.FieldError)) {
			t.Fatalf("over-long key: err = %v, want a field error", err)
		}
	})
}
