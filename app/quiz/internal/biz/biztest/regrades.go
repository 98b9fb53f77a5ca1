package biztest

import (
	"encoding/json"
	"fmt"

	"github.com/vanguard/vanguard/app/quiz/internal/biz"
)

var regradeCases = []testCase{
	{"AddAndList", testRegradeAddList},
	{"PendingAudits", testPendingAudits},
	{"AuditEntryIsStoredAsJSON", testAuditEntryJSON},
}

// Add stores a regrade log and sets its id; List returns an exam's logs newest first (the order
// the use case documents; the ent repository orders by id, descending).
func testRegradeAddList(f *fx) {
	r1 := f.regrade(1, "第3题答案更正")
	r2 := f.regrade(2, "other exam")
	r3 := f.regrade(1, "第5题答案更正")
	if r1.ID <= 0 || r1.ID == r2.ID || r2.ID == r3.ID || r1.ID == r3.ID {
		f.Fatalf("regrade ids %d, %d, %d", r1.ID, r2.ID, r3.ID)
	}
	f.same("List(exam 1)", []*biz.RegradeLog{r3, r1}, res(f.r.Regrades.List(f.ctx, 1)).must(f, "List"))
	f.same("List(exam 2)", []*biz.RegradeLog{r2}, res(f.r.Regrades.List(f.ctx, 2)).must(f, "List"))
	f.same("List(unknown exam)", []*biz.RegradeLog{}, res(f.r.Regrades.List(f.ctx, missing)).must(f, "List"))
}

func auditEntry(regradeID int64) biz.AuditEntry {
	return biz.AuditEntry{Key: fmt.Sprintf("quiz:regrade:%d", regradeID), ActorID: 2, ActorName: "trainerA", ActorOrgPath: "/1/2/",
		Action: "exam.regrade", TargetType: "exam", TargetID: 1, OrgPath: "/1/2/", Summary: "重新评分",
		After: map[string]any{"reason": "答案更正", "changed": 1.0}}
}

// SetAudit keeps a regrade's audit entry until AuditDelivered forgets it; PendingAudits lists up
// to limit undelivered entries, oldest (regrade) first. Setting an entry again replaces it; both
// writes to a missing regrade are ErrNotFound (not in the doc comments; what the ent repository
// does); forgetting twice is harmless; none of it changes the regrade log.
func testPendingAudits(f *fx) {
	r1, r2, r3 := f.regrade(1, "a"), f.regrade(1, "b"), f.regrade(2, "c")
	pending := func(limit int) []biz.PendingAudit {
		f.Helper()
		return res(f.r.Regrades.PendingAudits(f.ctx, limit)).must(f, "PendingAudits")
	}
	f.same("pending before any SetAudit", []biz.PendingAudit{}, pending(10))

	e1, e2, e3 := auditEntry(r1.ID), auditEntry(r2.ID), auditEntry(r3.ID)
	for _, x := range []struct {
		id int64
		e  biz.AuditEntry
	}{{r3.ID, e3}, {r1.ID, e1}, {r2.ID, e2}} {
		f.noErr("SetAudit", f.r.Regrades.SetAudit(f.ctx, x.id, x.e))
	}
	want := []biz.PendingAudit{{RegradeID: r1.ID, Entry: e1}, {RegradeID: r2.ID, Entry: e2}, {RegradeID: r3.ID, Entry: e3}}
	f.same("pending entries", want, pending(10))
	f.same("pending entries, limit 2", want[:2], pending(2))

	e2b := e2
	e2b.Summary = "重新评分（更正）"
	f.noErr("SetAudit again", f.r.Regrades.SetAudit(f.ctx, r2.ID, e2b))
	want[1].Entry = e2b
	f.same("pending after SetAudit replaced an entry", want, pending(10))

	f.noErr("AuditDelivered", f.r.Regrades.AuditDelivered(f.ctx, r1.ID))
	f.same("pending after one delivery", want[1:], pending(10))
	f.noErr("AuditDelivered again", f.r.Regrades.AuditDelivered(f.ctx, r1.ID))
	f.noErr("AuditDelivered of a regrade without an entry", f.r.Regrades.AuditDelivered(f.ctx, f.regrade(3, "d").ID))
	f.same("pending after repeated deliveries", want[1:], pending(10))

	f.wantErr("SetAudit of a missing regrade", f.r.Regrades.SetAudit(f.ctx, missing, e1), biz.ErrNotFound)
	f.wantErr("AuditDelivered of a missing regrade", f.r.Regrades.AuditDelivered(f.ctx, missing), biz.ErrNotFound)
	f.same("pending after the failed writes", want[1:], pending(10))

	f.same("regrade log of exam 1", []*biz.RegradeLog{r2, r1}, res(f.r.Regrades.List(f.ctx, 1)).must(f, "List"))
}

// The entry is stored as JSON (AuditEntry.Before and After are "JSON-encodable"): what comes
// back is the JSON decoding of what went in (numbers as float64, structs as maps), and the
// stored entry is a copy of the caller's.
func testAuditEntryJSON(f *fx) {
	r := f.regrade(1, "a")
	type detail struct {
		Reason  string `json:"reason"`
		Changed int    `json:"changed"`
	}
	after := map[string]any{"reason": "答案更正", "checked": 3, "changed": 1, "ids": []int64{7, 8}}
	e := auditEntry(r.ID)
	e.Before, e.After = detail{Reason: "旧", Changed: 0}, after
	f.noErr("SetAudit", f.r.Regrades.SetAudit(f.ctx, r.ID, e))
	after["checked"] = 99 // the caller's map changes after the call

	want := e
	want.Before = map[string]any{"reason": "旧", "changed": 0.0}
	want.After = map[string]any{"reason": "答案更正", "checked": 3.0, "changed": 1.0, "ids": []any{7.0, 8.0}}
	f.same("stored entry", []biz.PendingAudit{{RegradeID: r.ID, Entry: want}}, res(f.r.Regrades.PendingAudits(f.ctx, 10)).must(f, "PendingAudits"))

	// nil stays nil.
	plain := auditEntry(r.ID)
	plain.After = nil
	f.noErr("SetAudit", f.r.Regrades.SetAudit(f.ctx, r.ID, plain))
	got := res(f.r.Regrades.PendingAudits(f.ctx, 10)).must(f, "PendingAudits")
	if len(got) != 1 || got[0].Entry.Before != nil || got[0].Entry.After != nil {
		f.Errorf("entry without before/after came back as %+v", got)
	}

	// An entry JSON cannot encode is refused, and the stored one is kept.
	bad := auditEntry(r.ID)
	bad.After = map[string]any{"f": func() {}}
	if err := f.r.Regrades.SetAudit(f.ctx, r.ID, bad); err == nil {
		f.Error("SetAudit of an entry JSON cannot encode: no error")
	}
	if _, err := json.Marshal(bad); err == nil {
		f.Fatal("the bad entry encodes")
	}
	f.same("entry after a refused SetAudit", got, res(f.r.Regrades.PendingAudits(f.ctx, 10)).must(f, "PendingAudits"))
}
