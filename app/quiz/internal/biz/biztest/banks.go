package biztest

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vanguard/vanguard/app/quiz/internal/biz"
)

var bankCases = []testCase{
	{"CreateBankAndGetBank", testCreateGetBank},
	{"ListBanks", testListBanks},
	{"UpdateBankAndDeleteBank", testUpdateDeleteBank},
	{"CreateQuestionAndGetQuestion", testCreateGetQuestion},
	{"GetQuestions", testGetQuestions},
	{"QuestionsAfter", testQuestionsAfter},
	{"UpdateQuestion", testUpdateQuestion},
	{"FindQuestionsAndListQuestions", testFindQuestions},
	{"StoresCopies", testStoresCopies},
	{"ArchiveQuestion", testArchiveQuestion},
}

// CreateBank assigns an id and returns the bank without questions; GetBank fills QuestionCount
// with the bank's own questions; a missing bank is ErrNotFound.
func testCreateGetBank(f *fx) {
	in := &biz.Bank{OrgID: 2, OrgPath: "/1/2/", Name: "党史题库", ExamOnly: true, CreatedBy: 7, QuestionCount: 5}
	b := res(f.r.Banks.CreateBank(f.ctx, in)).must(f, "CreateBank")
	if b.ID <= 0 {
		f.Fatalf("CreateBank id = %d", b.ID)
	}
	want := *in
	want.ID, want.QuestionCount = b.ID, 0
	f.same("created bank", &want, b)
	f.same("GetBank of an empty bank", &want, res(f.r.Banks.GetBank(f.ctx, b.ID)).must(f, "GetBank"))

	other := f.bank(3, "/1/3/", "other", false)
	if other.ID == b.ID {
		f.Fatalf("two banks got id %d", b.ID)
	}
	f.question(singleQ(b.ID))
	f.question(essayQ(b.ID))
	f.question(fillQ(other.ID))
	want.QuestionCount = 2
	f.same("GetBank with questions", &want, res(f.r.Banks.GetBank(f.ctx, b.ID)).must(f, "GetBank"))

	_, err := f.r.Banks.GetBank(f.ctx, missing)
	f.wantErr("GetBank of a missing bank", err, biz.ErrNotFound)
}

// ListBanks lists the banks whose org path starts with the prefix ("" = all), by id, with their
// question counts. (The order is not documented; the ent repository lists by id.)
func testListBanks(f *fx) {
	root := f.bank(1, "/1/", "root", false)
	child := f.bank(2, "/1/2/", "child", true)
	ten := f.bank(10, "/10/", "ten", false)
	grandchild := f.bank(4, "/1/2/4/", "grandchild", false)
	for range 3 {
		f.question(singleQ(root.ID))
	}
	f.question(essayQ(child.ID))

	list := func(prefix string) []*biz.Bank {
		f.Helper()
		return res(f.r.Banks.ListBanks(f.ctx, prefix)).must(f, "ListBanks("+prefix+")")
	}
	all := list("")
	f.same(`ListBanks("") ids`, []int64{root.ID, child.ID, ten.ID, grandchild.ID}, idsOf(all, bankID))
	counts := map[int64]int{}
	for _, b := range all {
		counts[b.ID] = b.QuestionCount
	}
	f.same("question counts", map[int64]int{root.ID: 3, child.ID: 1, ten.ID: 0, grandchild.ID: 0}, counts)
	if len(all) == 4 {
		want := *child
		want.QuestionCount = 1
		f.same("listed bank", &want, all[1])
	}
	// "/1/" is a prefix of "/1/2/" and "/1/2/4/", not of "/10/".
	f.same(`ListBanks("/1/")`, []int64{root.ID, child.ID, grandchild.ID}, idsOf(list("/1/"), bankID))
	f.same(`ListBanks("/1/2/")`, []int64{child.ID, grandchild.ID}, idsOf(list("/1/2/"), bankID))
	f.same(`ListBanks("/10/")`, []int64{ten.ID}, idsOf(list("/10/"), bankID))
	f.same(`ListBanks("/3/")`, []int64{}, idsOf(list("/3/"), bankID))
}

// CreateQuestion stores the question at version 1 (whatever version it carries) under a new id;
// GetQuestion returns it; a missing question is ErrNotFound.
func testCreateGetQuestion(f *fx) {
	b := f.bank(1, "/1/", "bank", false)
	for _, in := range []*biz.Question{singleQ(b.ID), fillQ(b.ID), essayQ(b.ID),
		{BankID: b.ID, Type: biz.Multiple, StemHTML: "m", Options: []biz.Option{{Key: "A", HTML: "x"}, {Key: "B", HTML: "y"}},
			AnswerKeys: []string{"A", "B"}, Tags: []string{}, Points: 3.5},
		{BankID: b.ID, Type: biz.TrueFalse, StemHTML: "t", AnswerKeys: []string{"true"}, Version: 9}} {
		q := f.question(in)
		if q.ID <= 0 {
			f.Fatalf("CreateQuestion id = %d", q.ID)
		}
		want := *in
		want.ID, want.Version = q.ID, 1
		f.same("created "+string(in.Type), &want, q)
		f.same("GetQuestion "+string(in.Type), &want, res(f.r.Banks.GetQuestion(f.ctx, q.ID)).must(f, "GetQuestion"))
	}
	_, err := f.r.Banks.GetQuestion(f.ctx, missing)
	f.wantErr("GetQuestion of a missing question", err, biz.ErrNotFound)
}

// GetQuestions returns the questions with the given ids; missing ids are absent, a repeated id
// comes back once. (The order is not documented; the ent repository returns them by id, whatever
// the order asked.)
func testGetQuestions(f *fx) {
	b := f.bank(1, "/1/", "bank", false)
	other := f.bank(2, "/1/2/", "other", false)
	q1 := f.question(singleQ(b.ID))
	q2 := f.question(fillQ(other.ID))
	q3 := f.question(essayQ(b.ID))

	got := res(f.r.Banks.GetQuestions(f.ctx, []int64{q3.ID, missing, q1.ID, q3.ID, q2.ID})).must(f, "GetQuestions")
	f.same("GetQuestions", []*biz.Question{q1, q2, q3}, got)
	got = res(f.r.Banks.GetQuestions(f.ctx, []int64{missing})).must(f, "GetQuestions(missing)")
	f.same("GetQuestions of a missing id", []*biz.Question{}, got)
	got = res(f.r.Banks.GetQuestions(f.ctx, nil)).must(f, "GetQuestions(nil)")
	f.same("GetQuestions of no ids", []*biz.Question{}, got)
}

// QuestionsAfter pages through every bank's questions by id, leaving archived ones out.
func testQuestionsAfter(f *fx) {
	b := f.bank(1, "/1/", "bank", false)
	other := f.bank(2, "/1/2/", "other", false)
	q1 := f.question(singleQ(b.ID))
	gone := f.question(fillQ(other.ID))
	q3 := f.question(essayQ(other.ID))
	q4 := f.question(singleQ(b.ID))
	f.noErr("ArchiveQuestion", f.r.Banks.ArchiveQuestion(f.ctx, gone.ID))
	var got []*biz.Question
	after := int64(0)
	for range 5 {
		page := res(f.r.Banks.QuestionsAfter(f.ctx, after, 2)).must(f, "QuestionsAfter")
		if len(page) == 0 {
			break
		}
		got = append(got, page...)
		after = page[len(page)-1].ID
	}
	f.same("QuestionsAfter pages", []*biz.Question{q1, q3, q4}, got)
}

// UpdateQuestion replaces the content of q.ID and increments its version; the bank and the
// other questions are kept; a missing question is ErrNotFound.
func testUpdateQuestion(f *fx) {
	b := f.bank(1, "/1/", "bank", false)
	other := f.bank(2, "/2/", "other", false)
	q := f.question(singleQ(b.ID))
	keep := f.question(fillQ(b.ID))

	up := &biz.Question{ID: q.ID, BankID: other.ID, Version: 99, Type: biz.Multiple, StemHTML: "<p>属于“四个意识”的有？</p>",
		Options:    []biz.Option{{Key: "A", HTML: "政治意识"}, {Key: "B", HTML: "大局意识"}, {Key: "C", HTML: "市场意识"}},
		AnswerKeys: []string{"A", "B"}, Reference: "", Explanation: "新解析", Difficulty: 4, Tags: []string{"理论"}, Points: 4}
	want := *up
	want.BankID, want.Version = b.ID, 2
	f.same("UpdateQuestion result", &want, res(f.r.Banks.UpdateQuestion(f.ctx, up)).must(f, "UpdateQuestion"))
	f.same("after one update", &want, res(f.r.Banks.GetQuestion(f.ctx, q.ID)).must(f, "GetQuestion"))

	// A second update: version 3; cleared fields stay cleared.
	up2 := &biz.Question{ID: q.ID, BankID: b.ID, Type: biz.Essay, StemHTML: "<p>essay</p>", Reference: "要点", Points: 10}
	want2 := *up2
	want2.Version = 3
	f.same("second UpdateQuestion result", &want2, res(f.r.Banks.UpdateQuestion(f.ctx, up2)).must(f, "UpdateQuestion"))
	f.same("after two updates", &want2, res(f.r.Banks.GetQuestion(f.ctx, q.ID)).must(f, "GetQuestion"))

	f.same("the untouched question", keep, res(f.r.Banks.GetQuestion(f.ctx, keep.ID)).must(f, "GetQuestion"))
	if n := res(f.r.Banks.GetBank(f.ctx, b.ID)).must(f, "GetBank").QuestionCount; n != 2 {
		f.Errorf("bank question count after updates = %d, want 2", n)
	}
	if n := res(f.r.Banks.GetBank(f.ctx, other.ID)).must(f, "GetBank").QuestionCount; n != 0 {
		f.Errorf("the update moved a question to another bank (count %d)", n)
	}

	_, err := f.r.Banks.UpdateQuestion(f.ctx, &biz.Question{ID: missing, Type: biz.Essay, StemHTML: "x"})
	f.wantErr("UpdateQuestion of a missing question", err, biz.ErrNotFound)
}

// FindQuestions returns a bank's questions having all the tags (none: any), the difficulty (0:
// any) and the type ("": any), ordered by id; a tag matches whole tags only. ListQuestions lists
// a bank's questions (by id in the ent repository).
func testFindQuestions(f *fx) {
	b := f.bank(1, "/1/", "bank", false)
	other := f.bank(2, "/1/2/", "other", false)
	q := func(typ biz.QType, difficulty int, tags ...string) int64 {
		f.Helper()
		return f.question(&biz.Question{BankID: b.ID, Type: typ, StemHTML: "s", Difficulty: difficulty, Tags: tags, Points: 1}).ID
	}
	q1 := q(biz.Single, 1, "math", "easy")
	q2 := q(biz.Multiple, 2, "math")
	q3 := q(biz.FillBlank, 1, "easy", "math", "党史")
	q4 := q(biz.Essay, 3)
	q5 := q(biz.Single, 1, "mathematics", "党史知识")
	f.question(&biz.Question{BankID: other.ID, Type: biz.Single, StemHTML: "o", Difficulty: 1, Tags: []string{"math", "easy"}})
	// An update changes what matches: q1 loses "easy".
	res(f.r.Banks.UpdateQuestion(f.ctx, &biz.Question{ID: q1, Type: biz.Single, StemHTML: "s2", Difficulty: 1, Tags: []string{"math"}})).must(f, "UpdateQuestion")

	for _, tc := range []struct {
		tags       []string
		difficulty int
		typ        biz.QType
		want       []int64
	}{
		{nil, 0, "", []int64{q1, q2, q3, q4, q5}},
		{[]string{}, 0, "", []int64{q1, q2, q3, q4, q5}},
		{[]string{"math"}, 0, "", []int64{q1, q2, q3}},
		{[]string{"math", "easy"}, 0, "", []int64{q3}},
		{[]string{"easy", "党史"}, 1, "", []int64{q3}},
		{[]string{"党史"}, 0, "", []int64{q3}}, // not "党史知识"
		{[]string{"史"}, 0, "", []int64{}},
		{[]string{"math", "nope"}, 0, "", []int64{}},
		{nil, 1, "", []int64{q1, q3, q5}},
		{[]string{"math"}, 0, biz.Multiple, []int64{q2}},
		{nil, 0, biz.Single, []int64{q1, q5}},
		{nil, 3, biz.Essay, []int64{q4}},
		{nil, 2, biz.Essay, []int64{}},
	} {
		got := res(f.r.Banks.FindQuestions(f.ctx, b.ID, tc.tags, tc.difficulty, tc.typ)).must(f, "FindQuestions")
		f.same("FindQuestions("+joinTags(tc.tags)+", "+itoa(tc.difficulty)+", "+string(tc.typ)+")", tc.want, idsOf(got, questionID))
	}
	found := res(f.r.Banks.FindQuestions(f.ctx, b.ID, []string{"math"}, 0, biz.Multiple)).must(f, "FindQuestions")
	want := res(f.r.Banks.GetQuestion(f.ctx, q2)).must(f, "GetQuestion")
	f.same("found question", []*biz.Question{want}, found)

	list := res(f.r.Banks.ListQuestions(f.ctx, b.ID)).must(f, "ListQuestions")
	f.same("ListQuestions", []int64{q1, q2, q3, q4, q5}, idsOf(list, questionID))
	if len(list) == 5 && (list[0].Version != 2 || list[0].StemHTML != "s2") {
		f.Errorf("listed updated question = %+v, want version 2 with the new stem", list[0])
	}
	f.same("ListQuestions of an unknown bank", []int64{}, idsOf(res(f.r.Banks.ListQuestions(f.ctx, missing)).must(f, "ListQuestions"), questionID))
}

// A repository keeps its own copy: changing a value handed in, or one handed back, after the
// call changes nothing stored (as with any database).
func testStoresCopies(f *fx) {
	b := f.bank(1, "/1/", "bank", false)
	in := singleQ(b.ID)
	q := f.question(in)
	want := res(f.r.Banks.GetQuestion(f.ctx, q.ID)).must(f, "GetQuestion")
	want = cloneQuestion(want)
	in.Tags[0], in.Options[0].HTML, in.AnswerKeys[0] = "changed", "changed", "changed"
	q.Tags[1], q.Options[1].HTML = "changed", "changed"
	got := res(f.r.Banks.GetQuestion(f.ctx, q.ID)).must(f, "GetQuestion")
	f.same("question after the caller changed its copies", want, got)
	got.Tags[0] = "changed"
	f.same("question after the caller changed a fetched copy", want, res(f.r.Banks.GetQuestion(f.ctx, q.ID)).must(f, "GetQuestion"))

	p := &biz.Paper{OrgPath: "/1/", Title: "卷", Items: []biz.PaperItem{{QuestionID: q.ID, Points: 2}},
		Rules: []biz.PaperRule{{BankID: b.ID, Tags: []string{"a"}, Count: 1, Points: 1}}}
	created := res(f.r.Papers.CreatePaper(f.ctx, p)).must(f, "CreatePaper")
	wantPaper := *created
	wantPaper.Items = []biz.PaperItem{{QuestionID: q.ID, Points: 2}}
	wantPaper.Rules = []biz.PaperRule{{BankID: b.ID, Tags: []string{"a"}, Count: 1, Points: 1}}
	p.Items[0].Points, p.Rules[0].Tags[0] = 99, "changed"
	f.same("paper after the caller changed its copy", &wantPaper, res(f.r.Papers.GetPaper(f.ctx, created.ID)).must(f, "GetPaper"))

	e := examIn(created.ID, "/1/", []int64{2}, []string{"/1/2/"}, []int64{42})
	ex := f.exam(e)
	e.TargetOrgIDs[0], e.TargetPaths[0], e.TargetUserIDs[0] = 9, "/9/", 9
	ex.TargetOrgIDs[0], ex.TargetPaths[0], ex.TargetUserIDs[0] = 8, "/8/", 8
	got2 := res(f.r.Exams.GetExam(f.ctx, ex.ID)).must(f, "GetExam")
	f.same("exam targets after the caller changed its copies", []any{[]int64{2}, []string{"/1/2/"}, []int64{42}},
		[]any{got2.TargetOrgIDs, got2.TargetPaths, got2.TargetUserIDs})

	a := newAttempt(ex.ID, 42, 1, t0.Add(time.Hour))
	at := f.attempt(a)
	a.Questions[0].AnswerKeys[0], a.Questions[0].Options[0].HTML = "Z", "changed"
	at.Questions[1].StemHTML = "changed"
	f.same("attempt snapshot after the caller changed its copies", snapshot(), f.getAttempt(at.ID).Questions)

	ans := biz.Answer{Choices: []string{"A"}, Version: 1}
	_, _, err := f.r.Attempts.SaveAnswer(f.ctx, at.ID, 1, ans)
	f.noErr("SaveAnswer", err)
	ans.Choices[0] = "B"
	f.same("answer after the caller changed its copy", map[int]biz.Answer{1: {Choices: []string{"A"}, Version: 1}}, f.getAttempt(at.ID).Answers)

	qs := snapshot()
	sid := res(f.r.Practice.CreateSession(f.ctx, 42, qs)).must(f, "CreateSession")
	qs[0].AnswerKeys[0] = "Z"
	_, back, err := f.r.Practice.GetSession(f.ctx, sid)
	f.noErr("GetSession", err)
	f.same("session after the caller changed its copy", snapshot(), back)
}

func cloneQuestion(q *biz.Question) *biz.Question {
	c := *q
	c.Options = slices.Clone(q.Options)
	c.AnswerKeys = slices.Clone(q.AnswerKeys)
	c.Tags = slices.Clone(q.Tags)
	c.Blanks = nil
	for _, alts := range q.Blanks {
		c.Blanks = append(c.Blanks, slices.Clone(alts))
	}
	return &c
}

func joinTags(tags []string) string {
	if tags == nil {
		return "nil"
	}
	return "[" + strings.Join(tags, " ") + "]"
}

func itoa(n int) string { return strconv.Itoa(n) }

// UpdateBank writes name and exam-only flag and keeps the owner; DeleteBank removes an empty
// bank and refuses one with questions (ErrBankNotEmpty), which stays; missing banks are
// ErrNotFound.
func testUpdateDeleteBank(f *fx) {
	b := f.bank(2, "/1/2/", "党史题库", false)
	got := res(f.r.Banks.UpdateBank(f.ctx, &biz.Bank{ID: b.ID, Name: "党史题库（新）", ExamOnly: true, OrgID: 9, OrgPath: "/9/"})).must(f, "UpdateBank")
	want := *b
	want.Name, want.ExamOnly = "党史题库（新）", true
	f.same("updated bank", &want, got)
	_, err := f.r.Banks.UpdateBank(f.ctx, &biz.Bank{ID: missing, Name: "x"})
	f.wantErr("UpdateBank of a missing bank", err, biz.ErrNotFound)

	f.question(singleQ(b.ID))
	f.wantErr("DeleteBank with a question", f.r.Banks.DeleteBank(f.ctx, b.ID), biz.ErrBankNotEmpty)
	res(f.r.Banks.GetBank(f.ctx, b.ID)).must(f, "GetBank after a refused delete")
	empty := f.bank(2, "/1/2/", "空题库", false)
	f.noErr("DeleteBank", f.r.Banks.DeleteBank(f.ctx, empty.ID))
	_, err = f.r.Banks.GetBank(f.ctx, empty.ID)
	f.wantErr("GetBank after DeleteBank", err, biz.ErrNotFound)
	f.wantErr("DeleteBank of a missing bank", f.r.Banks.DeleteBank(f.ctx, missing), biz.ErrNotFound)
}

// ArchiveQuestion takes a question out of its bank: the bank's lists, draws, counts and practice
// no longer see it, UpdateQuestion refuses it (ErrNotFound) without a change, Get and
// GetQuestions still return it with Archived set; archiving twice or a missing question is
// ErrNotFound; a bank whose questions are all archived may be deleted.
func testArchiveQuestion(f *fx) {
	b := f.bank(2, "/1/2/", "练习题库", false)
	gone, kept := f.question(singleQ(b.ID)), f.question(singleQ(b.ID))
	f.noErr("ArchiveQuestion", f.r.Banks.ArchiveQuestion(f.ctx, gone.ID))

	f.same("listed after archive", []int64{kept.ID}, idsOf(res(f.r.Banks.ListQuestions(f.ctx, b.ID)).must(f, "ListQuestions"), questionID))
	f.same("found after archive", []int64{kept.ID}, idsOf(res(f.r.Banks.FindQuestions(f.ctx, b.ID, nil, 0, biz.Single)).must(f, "FindQuestions"), questionID))
	if n := res(f.r.Banks.GetBank(f.ctx, b.ID)).must(f, "GetBank").QuestionCount; n != 1 {
		f.Errorf("GetBank QuestionCount = %d, want 1", n)
	}
	for _, l := range res(f.r.Banks.ListBanks(f.ctx, "/1/2/")).must(f, "ListBanks") {
		if l.ID == b.ID && l.QuestionCount != 1 {
			f.Errorf("ListBanks QuestionCount = %d, want 1", l.QuestionCount)
		}
	}
	f.same("practice ids after archive", []int64{kept.ID}, res(f.r.Practice.PracticeQuestionIDs(f.ctx, []string{"/1/2/"})).must(f, "PracticeQuestionIDs"))

	want := *gone
	want.Archived = true
	f.same("GetQuestion of an archived question", &want, res(f.r.Banks.GetQuestion(f.ctx, gone.ID)).must(f, "GetQuestion"))
	both := res(f.r.Banks.GetQuestions(f.ctx, []int64{gone.ID, kept.ID})).must(f, "GetQuestions")
	f.same("GetQuestions keeps archived ones", []*biz.Question{&want, kept}, both)

	edit := *gone
	edit.StemHTML = "<p>改过的题干</p>"
	_, err := f.r.Banks.UpdateQuestion(f.ctx, &edit)
	f.wantErr("UpdateQuestion of an archived question", err, biz.ErrNotFound)
	f.same("archived question after a refused edit", &want, res(f.r.Banks.GetQuestion(f.ctx, gone.ID)).must(f, "GetQuestion"))
	f.wantErr("ArchiveQuestion twice", f.r.Banks.ArchiveQuestion(f.ctx, gone.ID), biz.ErrNotFound)
	f.wantErr("ArchiveQuestion of a missing question", f.r.Banks.ArchiveQuestion(f.ctx, missing), biz.ErrNotFound)

	f.wantErr("DeleteBank with a live question", f.r.Banks.DeleteBank(f.ctx, b.ID), biz.ErrBankNotEmpty)
	f.noErr("ArchiveQuestion (last)", f.r.Banks.ArchiveQuestion(f.ctx, kept.ID))
	f.noErr("DeleteBank with only archived questions", f.r.Banks.DeleteBank(f.ctx, b.ID))
}
