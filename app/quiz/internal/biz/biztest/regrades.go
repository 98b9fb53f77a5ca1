package biztest

import "github.com/vanguard/vanguard/app/quiz/internal/biz"

// The regrade's entry for the shared audit log is not the repository's: it goes to the audit
// spool (pkg/audit/spool, tested there on both databases).
var regradeCases = []testCase{
	{"AddAndList", testRegradeAddList},
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
