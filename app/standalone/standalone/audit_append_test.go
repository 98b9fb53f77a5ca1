package standalone

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	orgv1 "github.com/vanguard/vanguard/api/org/v1"
	"github.com/vanguard/vanguard/pkg/audit"
	"github.com/vanguard/vanguard/pkg/authn"
)

// auditAs is org's Audit API over gRPC with token (if any) as the bearer token.
func (l *live) auditAs(token string) orgv1.AuditClient {
	return orgv1.NewAuditClient(l.grpcConn(token))
}

// auditLogs lists the audit entries token may see for action.
func (l *live) auditLogs(token, action string) reply {
	l.t.Helper()
	return l.must(l.call("GET", "/v1/audit-logs?action="+action+"&pageSize=100", token, nil), 200)
}

func countLogs(r reply) int {
	n := 0
	for ; r.s("logs", strconv.Itoa(n), "id") != ""; n++ {
	}
	return n
}

// A service appends a staff action to org's audit log with its service credentials (through the
// shared pkg/audit client): admins and staff of the target's subtree see it, staff of another
// branch do not; a retry with the same key stores nothing new; user tokens and no token are
// refused, and bad entries change nothing.
func TestServiceAppendsToAuditLog(t *testing.T) {
	l := startLive(t)
	w := newQuizWorld(t, l)
	ctx := context.Background()
	l.must(l.call("POST", "/v1/accounts", w.admin, map[string]any{"username": "bstaff", "displayName": "bstaff",
		"password": "Passw0rd-bstaff", "roles": []string{"STAFF"}, "orgId": w.orgB}), 200)
	bstaff := l.login("bstaff", "Passw0rd-bstaff")
	pathA := l.must(l.call("GET", "/v1/orgs/"+w.orgA, w.admin, nil), 200).s("path")
	me := l.must(l.call("GET", "/v1/me", w.staff, nil), 200)
	staffID, _ := strconv.ParseInt(me.s("id"), 10, 64)

	entry := &orgv1.AuditEntry{
		Key: "growth:review:1", ActorId: staffID, ActorName: "qstaff", ActorOrgPath: pathA,
		Action: "growth.review", TargetType: "growth_file", TargetId: 9, OrgPath: pathA,
		Summary: "审核成长档案", Before: `{"status":"pending"}`, After: `{"status":"approved"}`,
	}
	req := &orgv1.AppendAuditLogsRequest{Entries: []*orgv1.AuditEntry{entry}}

	// No token 401; a user's token, even an admin's, 403; a forged service token 401; nothing is
	// written.
	_, err := l.auditAs("").AppendAuditLogs(ctx, req)
	wantCode(t, "append without a token", err, 401)
	_, err = l.auditAs(w.admin).AppendAuditLogs(ctx, req)
	wantCode(t, "append with an admin's token", err, 403)
	_, err = l.auditAs(w.staff).AppendAuditLogs(ctx, req)
	wantCode(t, "append with a staff token", err, 403)
	// A service token for the right service but signed with another key: 401.
	otherKey, err := authn.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	forged, _, err := authn.NewSigner(otherKey, l.clock).SignService("growth")
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.auditAs(forged).AppendAuditLogs(ctx, req)
	wantCode(t, "append with a forged service token", err, 401)
	if n := countLogs(l.auditLogs(w.admin, "growth.review")); n != 0 {
		t.Fatalf("refused appends wrote %d entries", n)
	}
	// The operation has no HTTP route.
	if r := l.call("POST", "/api.org.v1.Audit/AppendAuditLogs", w.admin, req); r.status != 404 && r.status != 405 {
		t.Fatalf("AppendAuditLogs over HTTP = %d %s, want no route", r.status, r.raw)
	}

	// The service, through the shared client.
	conn, err := l.p.DialAsService(ctx, "growth")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	asGrowth := orgv1.NewAuditClient(conn)
	client := audit.NewClient(conn)
	if err := client.Append(ctx, audit.Entry{
		Key: entry.Key, ActorID: staffID, ActorName: "qstaff", ActorOrgPath: pathA, Action: entry.Action,
		TargetType: entry.TargetType, TargetID: entry.TargetId, OrgPath: pathA, Summary: entry.Summary,
		Before: map[string]string{"status": "pending"}, After: map[string]string{"status": "approved"},
	}); err != nil {
		t.Fatalf("append as a service: %v", err)
	}
	// A retry with the same key records nothing new, alone or beside a new entry.
	rep, err := asGrowth.AppendAuditLogs(ctx, req)
	if err != nil || rep.GetAppended() != 0 || rep.GetDuplicates() != 1 {
		t.Fatalf("retried append = %v, %v; want 0 appended, 1 duplicate", rep, err)
	}
	second := &orgv1.AuditEntry{Key: "growth:review:2", ActorId: staffID, ActorName: "qstaff", ActorOrgPath: pathA,
		Action: "growth.review", TargetType: "growth_file", TargetId: 10, OrgPath: pathA}
	rep, err = asGrowth.AppendAuditLogs(ctx, &orgv1.AppendAuditLogsRequest{Entries: []*orgv1.AuditEntry{entry, second, second}})
	if err != nil || rep.GetAppended() != 1 || rep.GetDuplicates() != 2 {
		t.Fatalf("mixed append = %v, %v; want 1 appended, 2 duplicates", rep, err)
	}

	// Bad entries are 400s naming the field, and the whole request changes nothing.
	bad := func(what string, mutate func(e *orgv1.AuditEntry)) {
		t.Helper()
		e := &orgv1.AuditEntry{Key: "growth:review:99", ActorId: staffID, ActorName: "qstaff", ActorOrgPath: pathA,
			Action: "growth.review", TargetType: "growth_file", TargetId: 11, OrgPath: pathA}
		mutate(e)
		ok := &orgv1.AuditEntry{Key: "growth:review:98", ActorId: staffID, ActorName: "qstaff", ActorOrgPath: pathA,
			Action: "growth.review", TargetType: "growth_file", TargetId: 12, OrgPath: pathA}
		_, err := asGrowth.AppendAuditLogs(ctx, &orgv1.AppendAuditLogsRequest{Entries: []*orgv1.AuditEntry{ok, e}})
		wantCode(t, what, err, 400)
	}
	bad("another service's key", func(e *orgv1.AuditEntry) { e.Key = "quiz:regrade:1" })
	bad("no key", func(e *orgv1.AuditEntry) { e.Key = "" })
	bad("before that is not JSON", func(e *orgv1.AuditEntry) { e.Before = "{not json" })
	bad("no org path", func(e *orgv1.AuditEntry) { e.OrgPath = "" })
	bad("no actor", func(e *orgv1.AuditEntry) { e.ActorId = 0 })
	bad("over-long summary", func(e *orgv1.AuditEntry) { e.Summary = strings.Repeat("长", 513) })
	_, err = asGrowth.AppendAuditLogs(ctx, &orgv1.AppendAuditLogsRequest{})
	wantCode(t, "empty append", err, 400)

	// Admins and staff of the subtree see exactly the two entries, with the calling service;
	// staff of another branch see none.
	for _, who := range []struct {
		name, token string
		want        int
	}{{"admin", w.admin, 2}, {"staff of A", w.staff, 2}, {"staff of B", bstaff, 0}} {
		r := l.auditLogs(who.token, "growth.review")
		if n := countLogs(r); n != who.want {
			t.Fatalf("%s sees %d growth.review entries, want %d: %s", who.name, n, who.want, r.raw)
		}
		if who.want == 0 {
			continue
		}
		if r.s("logs", "1", "service") != "growth" || r.s("logs", "1", "actorName") != "qstaff" ||
			r.s("logs", "1", "actorOrgPath") != pathA || r.s("logs", "1", "orgPath") != pathA ||
			r.s("logs", "1", "targetId") != "9" || r.s("logs", "1", "after") != `{"status":"approved"}` {
			t.Fatalf("%s: appended entry = %s", who.name, r.raw)
		}
	}
	// org's own entries say so.
	if r := l.auditLogs(w.admin, "org.create"); r.s("logs", "0", "service") != "org" {
		t.Fatalf("org's own entry: %s", r.raw)
	}

	// Service tokens renew: after the first one expired the client keeps appending.
	l.clock.Advance(10 * time.Minute)
	if err := client.Append(ctx, audit.Entry{Key: "growth:review:3", ActorID: staffID, ActorName: "qstaff", ActorOrgPath: pathA,
		Action: "growth.review", TargetType: "growth_file", TargetID: 13, OrgPath: pathA}); err != nil {
		t.Fatalf("append after the token expired: %v", err)
	}
}

// A regrade in quiz is a staff action on members' records: it lands in org's audit log, appended
// by quiz as itself, visible to admins and to staff of the exam's org, not to another branch.
func TestRegradeIsAudited(t *testing.T) {
	l := startLive(t)
	w := newQuizWorld(t, l)
	l.must(l.call("POST", "/v1/accounts", w.admin, map[string]any{"username": "bstaff", "displayName": "bstaff",
		"password": "Passw0rd-bstaff", "roles": []string{"STAFF"}, "orgId": w.orgB}), 200)
	bstaff := l.login("bstaff", "Passw0rd-bstaff")
	pathA := l.must(l.call("GET", "/v1/orgs/"+w.orgA, w.admin, nil), 200).s("path")
	trainerID := l.must(l.call("GET", "/v1/me", w.trainer, nil), 200).s("id")

	bank := l.must(l.call("POST", "/v1/banks", w.trainer, map[string]any{"name": "更正题库"}), 200).s("id")
	question := map[string]any{"bankId": bank, "type": "TRUE_FALSE", "stemHtml": "党的最高领导机关是党的全国代表大会和它所产生的中央委员会。",
		"answerKeys": []string{"true"}, "defaultPoints": 2}
	q := l.must(l.call("POST", "/v1/banks/"+bank+"/questions", w.trainer, question), 200).s("id")
	now := l.clock.Now()
	exam := w.exam(t, "IMMEDIATE", now.Add(-time.Minute), now.Add(time.Hour), 30, 1, q)
	a := l.must(l.call("POST", "/v1/exams/"+exam+"/attempts", w.m1, map[string]any{}), 200).s("id")
	l.must(l.call("PUT", "/v1/attempts/"+a+"/answers/1", w.m1, map[string]any{"value": map[string]any{"choices": []string{"false"}}, "version": 1}), 200)
	l.must(l.call("POST", "/v1/attempts/"+a+":submit", w.m1, map[string]any{}), 200)
	waitStatus(t, l, w.trainer, exam, "graded")
	// The key was wrong: fix it and regrade.
	question["answerKeys"] = []string{"false"}
	l.must(l.call("PUT", "/v1/questions/"+q, w.trainer, map[string]any{"question": question}), 200)
	res := l.must(l.call("POST", "/v1/exams/"+exam+":regrade", w.trainer, map[string]any{"reason": "判断题答案更正"}), 200)
	if res.s("changed") != "1" {
		t.Fatalf("regrade = %s", res.raw)
	}

	for _, who := range []struct {
		name, token string
		want        int
	}{{"admin", w.admin, 1}, {"staff of A", w.staff, 1}, {"staff of B", bstaff, 0}} {
		r := l.auditLogs(who.token, "exam.regrade")
		if n := countLogs(r); n != who.want {
			t.Fatalf("%s sees %d exam.regrade entries, want %d: %s", who.name, n, who.want, r.raw)
		}
		if who.want == 0 {
			continue
		}
		if r.s("logs", "0", "service") != "quiz" || r.s("logs", "0", "actorId") != trainerID || r.s("logs", "0", "actorName") != "qtrainer" ||
			r.s("logs", "0", "actorOrgPath") != pathA || r.s("logs", "0", "targetType") != "exam" || r.s("logs", "0", "targetId") != exam ||
			r.s("logs", "0", "orgPath") != pathA || !strings.Contains(r.s("logs", "0", "summary"), "判断题答案更正") ||
			!strings.Contains(r.s("logs", "0", "after"), `"changed":1`) {
			t.Fatalf("%s: regrade entry = %s", who.name, r.raw)
		}
	}
	// The trail in quiz and the entry in org describe the same regrade.
	if trail := l.must(l.call("GET", "/v1/exams/"+exam+"/regrades", w.trainer, nil), 200); trail.s("regrades", "0", "changed") != "1" {
		t.Fatalf("regrade trail = %s", trail.raw)
	}
}
