package biz

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/clock"
)

func appended(key string) *AuditRecord {
	return &AuditRecord{Key: key, ActorID: 7, ActorName: "trainer", ActorOrgPath: "/1/2/", Action: "exam.regrade",
		TargetType: "exam", TargetID: 3, OrgPath: "/1/2/", Summary: "重新评分", After: `{"changed":1}`}
}

// Append takes only service callers, stamps the service and time, stores each key once, and
// refuses a bad entry naming it, before anything is written.
func TestAuditorAppend(t *testing.T) {
	clk := clock.NewFake(testT0)
	db := newFakeDB(clk)
	a := NewAuditor(fakeAuditRepo{db}, fakeOrgRepo{db}, clk)
	asQuiz := auth.NewContext(context.Background(), &auth.Principal{Service: "quiz", Username: "service:quiz"})
	asAdmin := auth.NewContext(context.Background(), &auth.Principal{UserID: 1, Username: "admin", Roles: []string{auth.RoleAdmin}, OrgPath: "/1/"})

	if _, err := a.Append(asAdmin, []*AuditRecord{appended("quiz:regrade:1")}); err == nil {
		t.Fatal("a user appended")
	}
	if _, err := a.Append(context.Background(), []*AuditRecord{appended("quiz:regrade:1")}); err == nil {
		t.Fatal("an anonymous caller appended")
	}

	res, err := a.Append(asQuiz, []*AuditRecord{appended("quiz:regrade:1"), appended("quiz:regrade:2"), appended("quiz:regrade:1")})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&AppendResult{Appended: 2, Duplicates: 1}, res); diff != "" {
		t.Fatalf("first append (-want +got):\n%s", diff)
	}
	res, err = a.Append(asQuiz, []*AuditRecord{appended("quiz:regrade:2"), appended("quiz:regrade:3")})
	if err != nil || res.Appended != 1 || res.Duplicates != 1 {
		t.Fatalf("retry = %+v, %v; want 1 appended, 1 duplicate", res, err)
	}
	stored := db.st.Audit
	if len(stored) != 3 || stored[0].Service != "quiz" || !stored[0].CreatedAt.Equal(testT0) || stored[0].Key != "quiz:regrade:1" {
		t.Fatalf("stored = %+v", stored)
	}

	tests := []struct {
		field  string
		mutate func(r *AuditRecord)
	}{
		{"entries[1].key", func(r *AuditRecord) { r.Key = "course:assign:1" }},
		{"entries[1].key", func(r *AuditRecord) { r.Key = "quiz" }},
		{"entries[1].actor_id", func(r *AuditRecord) { r.ActorID = 0 }},
		{"entries[1].actor_name", func(r *AuditRecord) { r.ActorName = " " }},
		{"entries[1].actor_org_path", func(r *AuditRecord) { r.ActorOrgPath = "1/2" }},
		{"entries[1].action", func(r *AuditRecord) { r.Action = "Exam Regrade" }},
		{"entries[1].target_type", func(r *AuditRecord) { r.TargetType = "" }},
		{"entries[1].org_path", func(r *AuditRecord) { r.OrgPath = "" }},
		{"entries[1].summary", func(r *AuditRecord) { r.Summary = strings.Repeat("长", MaxAuditSummary+1) }},
		{"entries[1].before", func(r *AuditRecord) { r.Before = "{" }},
	}
	for _, tt := range tests {
		bad := appended("quiz:regrade:9")
		tt.mutate(bad)
		_, err := a.Append(asQuiz, []*AuditRecord{appended("quiz:regrade:8"), bad})
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tt.field {
			t.Fatalf("%s: err = %v, want a field error on it", tt.field, err)
		}
	}
	if _, err := a.Append(asQuiz, nil); err == nil {
		t.Fatal("empty append accepted")
	}
	if len(db.st.Audit) != 3 {
		t.Fatalf("refused appends wrote: %d entries", len(db.st.Audit))
	}
}
