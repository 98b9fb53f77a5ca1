package biztest

import (
	"time"

	"github.com/vanguard/vanguard/app/quiz/internal/biz"
)

var paperCases = []testCase{
	{"CreatePaperAndGetPaper", testCreateGetPaper},
	{"ListManagedPapers", testListManagedPapers},
	{"UpdatePaperAndDeletePaper", testUpdateDeletePaper},
}

var examCases = []testCase{
	{"CreateExamAndGetExam", testCreateGetExam},
	{"CreateExamDuplicateTarget", testCreateExamDuplicateTarget},
	{"ListExamsForPaths", testListExamsForPaths},
	{"ListManagedExams", testListManagedExams},
	{"UpdateExamAndDeleteExam", testUpdateDeleteExam},
}

// CreatePaper stores a fixed or a random paper under a new id; GetPaper returns it; a missing
// paper is ErrNotFound.
func testCreateGetPaper(f *fx) {
	fixed := &biz.Paper{OrgPath: "/1/", Title: "固定试卷", CreatedBy: 3,
		Items: []biz.PaperItem{{QuestionID: 5, Points: 2}, {QuestionID: 6, Points: 3.5}}}
	random := &biz.Paper{OrgPath: "/1/2/", Title: "随机试卷", CreatedBy: 4,
		Rules: []biz.PaperRule{{BankID: 1, Tags: []string{"党史"}, Difficulty: 2, Type: biz.Single, Count: 3, Points: 1},
			{BankID: 2, Count: 1, Points: 10}}}
	var seen []int64
	for _, in := range []*biz.Paper{fixed, random} {
		p := res(f.r.Papers.CreatePaper(f.ctx, in)).must(f, "CreatePaper")
		if p.ID <= 0 || len(seen) > 0 && seen[0] == p.ID {
			f.Fatalf("CreatePaper id = %d (ids so far %v)", p.ID, seen)
		}
		seen = append(seen, p.ID)
		want := *in
		want.ID = p.ID
		f.same("created paper "+in.Title, &want, p)
		f.same("GetPaper "+in.Title, &want, res(f.r.Papers.GetPaper(f.ctx, p.ID)).must(f, "GetPaper"))
	}
	_, err := f.r.Papers.GetPaper(f.ctx, missing)
	f.wantErr("GetPaper of a missing paper", err, biz.ErrNotFound)
}

// CreateExam stores an exam with its target orgs and users; GetExam returns it with the targets
// in the order given; a missing exam is ErrNotFound. Target ids and paths that do not pair up
// are an error that stores nothing.
func testCreateGetExam(f *fx) {
	p := f.paper()
	in := examIn(p.ID, "/1/", []int64{2, 3}, []string{"/1/2/", "/1/3/"}, []int64{42, 7})
	e := f.exam(in)
	if e.ID <= 0 {
		f.Fatalf("CreateExam id = %d", e.ID)
	}
	want := *in
	want.ID = e.ID
	f.same("created exam", &want, e)
	f.same("GetExam", &want, res(f.r.Exams.GetExam(f.ctx, e.ID)).must(f, "GetExam"))

	bare := examIn(p.ID, "/1/2/", nil, nil, nil)
	bare.Duration, bare.ShuffleQuestions, bare.PartialCredit, bare.ResultsPolicy = time.Hour, false, false, biz.ResultsNever
	b := f.exam(bare)
	wantBare := *bare
	wantBare.ID = b.ID
	f.same("exam without targets", &wantBare, res(f.r.Exams.GetExam(f.ctx, b.ID)).must(f, "GetExam"))

	_, err := f.r.Exams.GetExam(f.ctx, missing)
	f.wantErr("GetExam of a missing exam", err, biz.ErrNotFound)
	f.same("GetExams", []*biz.Exam{&want, &wantBare}, res(f.r.Exams.GetExams(f.ctx, []int64{b.ID, missing, e.ID, b.ID})).must(f, "GetExams"))
	f.same("GetExams of none", 0, len(res(f.r.Exams.GetExams(f.ctx, nil)).must(f, "GetExams")))

	if _, err := f.r.Exams.CreateExam(f.ctx, examIn(p.ID, "/1/", []int64{2, 3}, []string{"/1/2/"}, nil)); err == nil {
		f.Error("CreateExam with 2 target ids and 1 path: no error")
	}
	f.same("exams after the failed create", []int64{e.ID, b.ID}, idsOf(res(f.r.Exams.ListManagedExams(f.ctx, "")).must(f, "ListManagedExams"), examID))
}

// A target given twice (an org or a user) is ErrAlreadyExists, and the whole exam is rolled back.
// (Not in the doc comment; the ent repository's unique index on the targets decides it.)
func testCreateExamDuplicateTarget(f *fx) {
	p := f.paper()
	kept := f.exam(examIn(p.ID, "/1/", []int64{2}, []string{"/1/2/"}, nil))
	_, err := f.r.Exams.CreateExam(f.ctx, examIn(p.ID, "/1/", []int64{4, 4}, []string{"/1/2/4/", "/1/2/4/"}, nil))
	f.wantErr("CreateExam with an org targeted twice", err, biz.ErrAlreadyExists)
	_, err = f.r.Exams.CreateExam(f.ctx, examIn(p.ID, "/1/", []int64{5}, []string{"/1/5/"}, []int64{42, 42}))
	f.wantErr("CreateExam with a user targeted twice", err, biz.ErrAlreadyExists)

	f.same("exams after the failed creates", []int64{kept.ID}, idsOf(res(f.r.Exams.ListManagedExams(f.ctx, "")).must(f, "ListManagedExams"), examID))
	for _, tc := range []struct {
		paths []string
		user  int64
	}{{[]string{"/1/2/4/"}, 0}, {[]string{"/1/5/"}, 0}, {nil, 42}} {
		got := res(f.r.Exams.ListExamsForPaths(f.ctx, tc.paths, tc.user)).must(f, "ListExamsForPaths")
		f.same("exams of a rolled-back exam's targets", []int64{}, idsOf(got, examID))
	}
}

// ListExamsForPaths lists (once each, by id in the ent repository) the exams targeted at any of
// the paths, exactly (an exam for /1/2/ is not one for /1/), or at the user individually, with
// their targets.
func testListExamsForPaths(f *fx) {
	p := f.paper()
	e1 := f.exam(examIn(p.ID, "/1/", []int64{2, 3}, []string{"/1/2/", "/1/3/"}, nil))
	e2 := f.exam(examIn(p.ID, "/1/", []int64{3}, []string{"/1/3/"}, nil))
	e3 := f.exam(examIn(p.ID, "/10/", []int64{10}, []string{"/10/"}, nil))
	e4 := f.exam(examIn(p.ID, "/1/", nil, nil, []int64{42}))
	e5 := f.exam(examIn(p.ID, "/1/", []int64{4}, []string{"/1/2/4/"}, []int64{42, 43}))

	for _, tc := range []struct {
		name  string
		paths []string
		user  int64
		want  []int64
	}{
		{"a member of /1/3/ (with ancestors)", []string{"/1/", "/1/3/", "/1/2/"}, 0, []int64{e1.ID, e2.ID}},
		{"the root alone", []string{"/1/"}, 0, []int64{}},
		{"/10/", []string{"/10/"}, 0, []int64{e3.ID}},
		{"user 42 alone", nil, 42, []int64{e4.ID, e5.ID}},
		{"user 42 in /1/3/", []string{"/1/", "/1/3/"}, 42, []int64{e1.ID, e2.ID, e4.ID, e5.ID}},
		{"user 43 in /1/2/4/", []string{"/1/2/4/"}, 43, []int64{e5.ID}},
		{"an untargeted user", []string{"/9/"}, 7, []int64{}},
		{"nothing", nil, 0, []int64{}},
	} {
		got := res(f.r.Exams.ListExamsForPaths(f.ctx, tc.paths, tc.user)).must(f, "ListExamsForPaths")
		f.same("ListExamsForPaths: "+tc.name, tc.want, idsOf(got, examID))
		for _, e := range got {
			f.same("listed exam "+itoa(int(e.ID)), res(f.r.Exams.GetExam(f.ctx, e.ID)).must(f, "GetExam"), e)
		}
	}
}

// ListManagedExams lists the exams whose owner's path starts with the prefix ("" = all), with
// their targets (by id in the ent repository).
func testListManagedExams(f *fx) {
	p := f.paper()
	root := f.exam(examIn(p.ID, "/1/", []int64{2}, []string{"/1/2/"}, nil))
	child := f.exam(examIn(p.ID, "/1/2/", []int64{4}, []string{"/1/2/4/"}, []int64{42}))
	ten := f.exam(examIn(p.ID, "/10/", nil, nil, nil))
	grandchild := f.exam(examIn(p.ID, "/1/2/4/", []int64{4}, []string{"/1/2/4/"}, nil))

	for _, tc := range []struct {
		prefix string
		want   []int64
	}{
		{"", []int64{root.ID, child.ID, ten.ID, grandchild.ID}},
		{"/1/", []int64{root.ID, child.ID, grandchild.ID}},
		{"/1/2/", []int64{child.ID, grandchild.ID}},
		{"/10/", []int64{ten.ID}},
		{"/9/", []int64{}},
	} {
		got := res(f.r.Exams.ListManagedExams(f.ctx, tc.prefix)).must(f, "ListManagedExams")
		f.same(`ListManagedExams("`+tc.prefix+`")`, tc.want, idsOf(got, examID))
		if tc.prefix == "/1/2/" && len(got) == 2 {
			f.same("listed exam with targets", child, got[0])
		}
	}
}

// ListManagedPapers lists the papers under an org path prefix ("" = all), newest first.
func testListManagedPapers(f *fx) {
	mk := func(path string) int64 {
		f.Helper()
		return res(f.r.Papers.CreatePaper(f.ctx, &biz.Paper{OrgPath: path, Title: "试卷", CreatedBy: 1,
			Items: []biz.PaperItem{{QuestionID: 1, Points: 1}}})).must(f, "CreatePaper").ID
	}
	a := mk("/1/2/")
	b := mk("/1/2/3/")
	c := mk("/1/20/")
	d := mk("/9/")
	list := func(prefix string) []int64 {
		f.Helper()
		return idsOf(res(f.r.Papers.ListManagedPapers(f.ctx, prefix)).must(f, "ListManagedPapers"), paperID)
	}
	f.same("subtree of /1/2/", []int64{b, a}, list("/1/2/"))
	f.same("all", []int64{d, c, b, a}, list(""))
	f.same("none", []int64(nil), list("/7/"))
}

// UpdateExam writes the settings (never paper, owner or targets) and DeleteExam removes the exam
// with its targets, each only while the exam has no attempt: ErrConflict after one exists,
// ErrNotFound for a missing exam.
func testUpdateDeleteExam(f *fx) {
	p := f.paper()
	e := f.exam(examIn(p.ID, "/1/", []int64{2}, []string{"/1/2/"}, []int64{42}))
	edit := *e
	edit.Title, edit.OpensAt, edit.ClosesAt, edit.Duration = "改期后的考试", t0.Add(24*time.Hour), t0.Add(72*time.Hour), 90*time.Minute
	edit.AttemptsAllowed, edit.GradingMethod, edit.PassMark, edit.ResultsPolicy = 3, biz.GradeLast, 5, biz.ResultsNever
	edit.ShuffleQuestions, edit.ShuffleOptions, edit.PartialCredit = !e.ShuffleQuestions, !e.ShuffleOptions, !e.PartialCredit
	edit.PaperID, edit.OrgPath, edit.TargetOrgIDs, edit.TargetPaths, edit.TargetUserIDs = 999, "/9/", nil, nil, nil
	got := res(f.r.Exams.UpdateExam(f.ctx, &edit)).must(f, "UpdateExam")
	want := edit
	want.PaperID, want.OrgPath, want.TargetOrgIDs, want.TargetPaths, want.TargetUserIDs = e.PaperID, e.OrgPath, e.TargetOrgIDs, e.TargetPaths, e.TargetUserIDs
	f.same("updated exam", &want, got)
	f.same("read back", &want, res(f.r.Exams.GetExam(f.ctx, e.ID)).must(f, "GetExam"))

	missing := edit
	missing.ID = 987_654
	_, err := f.r.Exams.UpdateExam(f.ctx, &missing)
	f.wantErr("UpdateExam of a missing exam", err, biz.ErrNotFound)
	f.wantErr("DeleteExam of a missing exam", f.r.Exams.DeleteExam(f.ctx, 987_654), biz.ErrNotFound)

	started := f.exam(examIn(p.ID, "/1/", []int64{2}, []string{"/1/2/"}, nil))
	f.attempt(newAttempt(started.ID, 700, 1, t0.Add(time.Hour)))
	again := *started
	again.Title = "不应改名"
	_, err = f.r.Exams.UpdateExam(f.ctx, &again)
	f.wantErr("UpdateExam after an attempt", err, biz.ErrConflict)
	f.wantErr("DeleteExam after an attempt", f.r.Exams.DeleteExam(f.ctx, started.ID), biz.ErrConflict)
	if kept := res(f.r.Exams.GetExam(f.ctx, started.ID)).must(f, "GetExam"); kept.Title != started.Title {
		f.Errorf("a refused update changed the title to %q", kept.Title)
	}

	f.noErr("DeleteExam", f.r.Exams.DeleteExam(f.ctx, e.ID))
	_, err = f.r.Exams.GetExam(f.ctx, e.ID)
	f.wantErr("GetExam after DeleteExam", err, biz.ErrNotFound)
	f.same("no longer listed", []int64{started.ID}, idsOf(res(f.r.Exams.ListManagedExams(f.ctx, "/1/")).must(f, "ListManagedExams"), examID))
}

// UpdatePaper writes the title and, with content, items and rules, keeping owner and author;
// once an exam uses the paper the title still changes but content is ErrPaperInUse and stays;
// DeletePaper removes an unused paper and refuses one in use; missing papers are ErrNotFound.
func testUpdateDeletePaper(f *fx) {
	p := res(f.r.Papers.CreatePaper(f.ctx, &biz.Paper{OrgPath: "/1/2/", Title: "旧试卷", CreatedBy: 3,
		Items: []biz.PaperItem{{QuestionID: 5, Points: 2}}})).must(f, "CreatePaper")

	renamed := *p
	renamed.Title, renamed.OrgPath, renamed.CreatedBy = "新试卷", "/9/", 99
	renamed.Items = []biz.PaperItem{{QuestionID: 7, Points: 1}} // ignored without content
	got := res(f.r.Papers.UpdatePaper(f.ctx, &renamed, false)).must(f, "UpdatePaper(title)")
	want := *p
	want.Title = "新试卷"
	f.same("renamed paper", &want, got)

	content := want
	content.Items, content.Rules = nil, []biz.PaperRule{{BankID: 1, Type: biz.Single, Count: 2, Points: 5}}
	got = res(f.r.Papers.UpdatePaper(f.ctx, &content, true)).must(f, "UpdatePaper(content)")
	f.same("paper with new content", &content, got)
	f.same("stored paper", &content, res(f.r.Papers.GetPaper(f.ctx, p.ID)).must(f, "GetPaper"))

	f.exam(examIn(p.ID, "/1/2/", nil, nil, nil))
	again := content
	again.Title, again.Rules, again.Items = "再改", nil, []biz.PaperItem{{QuestionID: 8, Points: 1}}
	_, err := f.r.Papers.UpdatePaper(f.ctx, &again, true)
	f.wantErr("UpdatePaper(content) of a paper in use", err, biz.ErrPaperInUse)
	f.same("paper in use after refused content", &content, res(f.r.Papers.GetPaper(f.ctx, p.ID)).must(f, "GetPaper"))
	titled := content
	titled.Title = "再改"
	f.same("paper in use renamed", &titled, res(f.r.Papers.UpdatePaper(f.ctx, &titled, false)).must(f, "UpdatePaper(title) in use"))
	f.wantErr("DeletePaper of a paper in use", f.r.Papers.DeletePaper(f.ctx, p.ID), biz.ErrPaperInUse)
	f.same("paper in use after refused delete", &titled, res(f.r.Papers.GetPaper(f.ctx, p.ID)).must(f, "GetPaper"))

	unused := res(f.r.Papers.CreatePaper(f.ctx, &biz.Paper{OrgPath: "/1/", Title: "未用", CreatedBy: 3, Items: []biz.PaperItem{{QuestionID: 5, Points: 1}}})).must(f, "CreatePaper")
	f.noErr("DeletePaper", f.r.Papers.DeletePaper(f.ctx, unused.ID))
	_, err = f.r.Papers.GetPaper(f.ctx, unused.ID)
	f.wantErr("GetPaper after delete", err, biz.ErrNotFound)
	f.wantErr("DeletePaper again", f.r.Papers.DeletePaper(f.ctx, unused.ID), biz.ErrNotFound)
	_, err = f.r.Papers.UpdatePaper(f.ctx, &biz.Paper{ID: missing, Title: "x"}, false)
	f.wantErr("UpdatePaper of a missing paper", err, biz.ErrNotFound)
	_, err = f.r.Papers.UpdatePaper(f.ctx, &biz.Paper{ID: missing, Title: "x"}, true)
	f.wantErr("UpdatePaper(content) of a missing paper", err, biz.ErrNotFound)
}
