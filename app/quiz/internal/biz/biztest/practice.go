package biztest

import (
	"cmp"
	"slices"
	"time"

	"github.com/vanguard/vanguard/app/quiz/internal/biz"
)

var practiceCases = []testCase{
	{"PracticeQuestionIDs", testPracticeQuestionIDs},
	{"Sessions", testSessions},
	{"WrongAnswerBook", testWrongBook},
}

// PracticeQuestionIDs lists the ids of the questions in the non-exam-only banks owned by the
// given orgs (exactly: not their subtrees). The order is not documented (the ent repository
// gives none; the use case shuffles), so the suite compares sets.
func testPracticeQuestionIDs(f *fx) {
	root := f.bank(1, "/1/", "root", false)
	examOnly := f.bank(1, "/1/", "exam only", true)
	child := f.bank(2, "/1/2/", "child", false)
	ten := f.bank(10, "/10/", "ten", false)
	f.bank(3, "/1/3/", "empty", false)
	r1, r2 := f.question(singleQ(root.ID)).ID, f.question(essayQ(root.ID)).ID
	f.question(singleQ(examOnly.ID))
	c1 := f.question(fillQ(child.ID)).ID
	t1 := f.question(singleQ(ten.ID)).ID
	// An updated question is still listed once.
	res(f.r.Banks.UpdateQuestion(f.ctx, &biz.Question{ID: r1, Type: biz.Single, StemHTML: "新题干"})).must(f, "UpdateQuestion")

	for _, tc := range []struct {
		name  string
		paths []string
		want  []int64
	}{
		{"/1/", []string{"/1/"}, []int64{r1, r2}},
		{"/1/ and /1/2/", []string{"/1/", "/1/2/"}, []int64{r1, r2, c1}},
		{"a path twice", []string{"/1/2/", "/1/2/"}, []int64{c1}},
		{"/10/", []string{"/10/"}, []int64{t1}},
		{"a leaf below the banks", []string{"/1/2/4/"}, []int64{}},
		{"a bankless org", []string{"/1/3/"}, []int64{}},
		{"no orgs", nil, []int64{}},
	} {
		got := res(f.r.Practice.PracticeQuestionIDs(f.ctx, tc.paths)).must(f, "PracticeQuestionIDs")
		slices.Sort(got)
		f.same("PracticeQuestionIDs: "+tc.name, tc.want, got)
	}
}

// CreateSession stores a user's practice questions under a new id; GetSession returns the owner
// and the questions; a missing session is ErrNotFound.
func testSessions(f *fx) {
	qs := snapshot()
	s1 := res(f.r.Practice.CreateSession(f.ctx, 42, qs)).must(f, "CreateSession")
	s2 := res(f.r.Practice.CreateSession(f.ctx, 43, qs[:1])).must(f, "CreateSession")
	if s1 <= 0 || s1 == s2 {
		f.Fatalf("session ids %d, %d", s1, s2)
	}
	for _, tc := range []struct {
		id   int64
		user int64
		qs   []biz.SnapQuestion
	}{{s1, 42, snapshot()}, {s2, 43, snapshot()[:1]}} {
		user, got, err := f.r.Practice.GetSession(f.ctx, tc.id)
		f.noErr("GetSession", err)
		if user != tc.user {
			f.Errorf("session %d owner = %d, want %d", tc.id, user, tc.user)
		}
		f.same("session questions", tc.qs, got)
	}
	_, _, err := f.r.Practice.GetSession(f.ctx, missing)
	f.wantErr("GetSession of a missing session", err, biz.ErrNotFound)
}

// RecordWrong adds one mistake for (user, question), sets its time and clears its mastered flag;
// SetMastered marks it mastered (creating a mistake-free entry if there is none); ListWrong lists
// one user's entries (in no documented order: the suite sorts them by question).
func testWrongBook(f *fx) {
	list := func(user int64) []*biz.WrongEntry {
		f.Helper()
		got := res(f.r.Practice.ListWrong(f.ctx, user)).must(f, "ListWrong")
		slices.SortFunc(got, func(a, b *biz.WrongEntry) int { return cmp.Compare(a.QuestionID, b.QuestionID) })
		return got
	}
	f.same("an empty book", []*biz.WrongEntry{}, list(42))

	at1, at2, at3 := t0, t0.Add(time.Hour), t0.Add(2*time.Hour)
	record := func(user, q int64, at time.Time) {
		f.Helper()
		f.noErr("RecordWrong", f.r.Practice.RecordWrong(f.ctx, user, q, at))
	}
	mastered := func(user, q int64) {
		f.Helper()
		f.noErr("SetMastered", f.r.Practice.SetMastered(f.ctx, user, q))
	}
	record(42, 11, at1)
	record(42, 11, at2)
	record(42, 10, at1)
	record(43, 11, at3)
	f.same("after mistakes", []*biz.WrongEntry{
		{UserID: 42, QuestionID: 10, WrongCount: 1, LastWrongAt: &at1},
		{UserID: 42, QuestionID: 11, WrongCount: 2, LastWrongAt: &at2},
	}, list(42))

	mastered(42, 11)
	mastered(42, 12) // never wrong
	f.same("after mastering", []*biz.WrongEntry{
		{UserID: 42, QuestionID: 10, WrongCount: 1, LastWrongAt: &at1},
		{UserID: 42, QuestionID: 11, WrongCount: 2, LastWrongAt: &at2, Mastered: true},
		{UserID: 42, QuestionID: 12, Mastered: true},
	}, list(42))

	record(42, 11, at3) // wrong again: no longer mastered
	mastered(42, 12)    // twice is harmless
	f.same("after another mistake", []*biz.WrongEntry{
		{UserID: 42, QuestionID: 10, WrongCount: 1, LastWrongAt: &at1},
		{UserID: 42, QuestionID: 11, WrongCount: 3, LastWrongAt: &at3},
		{UserID: 42, QuestionID: 12, Mastered: true},
	}, list(42))
	f.same("another user's book", []*biz.WrongEntry{{UserID: 43, QuestionID: 11, WrongCount: 1, LastWrongAt: &at3}}, list(43))
	f.same("an unknown user's book", []*biz.WrongEntry{}, list(44))
}
