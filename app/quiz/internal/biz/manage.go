package biz

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vanguard/vanguard/pkg/auth"
)

// ManagedExam is an exam its manager sees in their list, with its attempts counted by status.
type ManagedExam struct {
	Exam   *Exam
	Counts StatusCounts
}

// ManagedExams lists the exams the caller manages — trainers and staff: those owned by their
// org's subtree; admins: all — newest window first, with live attempt counts.
func (uc *AttemptUsecase) ManagedExams(ctx context.Context) ([]*ManagedExam, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if !p.CanAuthor() {
		return nil, deny("只有培训管理员、组织管理员可以管理考试")
	}
	prefix := p.OrgPath
	if p.IsAdmin() {
		prefix = ""
	}
	exams, err := uc.exams.ListManagedExams(ctx, prefix)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(exams))
	for i, e := range exams {
		ids[i] = e.ID
	}
	counts, err := uc.attempts.CountByStatus(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]*ManagedExam, len(exams))
	for i, e := range exams {
		out[i] = &ManagedExam{Exam: e, Counts: counts[e.ID]}
	}
	slices.SortStableFunc(out, func(a, b *ManagedExam) int {
		if c := b.Exam.OpensAt.Compare(a.Exam.OpensAt); c != 0 {
			return c
		}
		return int(b.Exam.ID - a.Exam.ID)
	})
	return out, nil
}

// Review returns an attempt with its snapshot (stems, keys, reference answers) and answers for
// the managers of its exam, who grade it. A member targeted by the exam — its owner included —
// is denied; anyone else learns nothing.
func (uc *AttemptUsecase) Review(ctx context.Context, attemptID int64) (*Attempt, *Exam, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, nil, err
	}
	a, err := uc.attempts.GetAttempt(ctx, attemptID)
	if err != nil {
		return nil, nil, err
	}
	e, err := managedExam(ctx, uc.exams, p, a.ExamID, "只有考试的管理人员可以阅卷")
	if err != nil {
		return nil, nil, err
	}
	return a, e, nil
}

// Names looks up how to show the members of attempts, and the orgs with the given paths, to
// the caller — who must already have been allowed to list those attempts. Names are a
// courtesy: when the directory cannot answer, the lists keep their ids and the error is
// returned for the log.
func (uc *AttemptUsecase) Names(ctx context.Context, attempts []*Attempt, orgPaths []string) (Names, error) {
	if uc.names == nil || (len(attempts) == 0 && len(orgPaths) == 0) {
		return Names{}, nil
	}
	var users, orgs []int64
	seen := map[int64]bool{}
	for _, a := range attempts {
		if !seen[a.UserID] {
			seen[a.UserID] = true
			users = append(users, a.UserID)
		}
	}
	for _, path := range orgPaths {
		if id := OrgIDOfPath(path); id > 0 && !slices.Contains(orgs, id) {
			orgs = append(orgs, id)
		}
	}
	var out Names
	for start := 0; start < max(len(users), len(orgs)); start += maxLookup {
		part, err := uc.names.Lookup(ctx, users[min(start, len(users)):min(start+maxLookup, len(users))],
			orgs[min(start, len(orgs)):min(start+maxLookup, len(orgs))])
		if err != nil {
			return out, err
		}
		if out.People == nil {
			out = part
			continue
		}
		for k, v := range part.People {
			out.People[k] = v
		}
		for k, v := range part.Orgs {
			out.Orgs[k] = v
		}
	}
	return out, nil
}

// maxLookup is the org directory's limit per lookup (api/org/v1/directory.proto).
const maxLookup = 1000

// OrgIDOfPath returns the id an org path ends with ("/1/4/9/" → 9), or 0.
func OrgIDOfPath(path string) int64 {
	trimmed := strings.TrimSuffix(path, "/")
	id, err := strconv.ParseInt(trimmed[strings.LastIndex(trimmed, "/")+1:], 10, 64)
	if err != nil {
		return 0
	}
	return id
}

// ListPapers lists the papers the caller manages — trainers and staff: those of their org's
// subtree; admins: all — newest first.
func (uc *AuthoringUsecase) ListPapers(ctx context.Context) ([]*Paper, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if !p.CanAuthor() {
		return nil, deny("只有培训管理员、组织管理员可以组卷")
	}
	prefix := p.OrgPath
	if p.IsAdmin() {
		prefix = ""
	}
	return uc.papers.ListManagedPapers(ctx, prefix)
}

// GetPaper returns a paper to those who manage it; anyone else learns nothing.
func (uc *AuthoringUsecase) GetPaper(ctx context.Context, id int64) (*Paper, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	paper, err := uc.papers.GetPaper(ctx, id)
	if err != nil {
		return nil, err
	}
	if !canManage(p, paper.OrgPath) {
		return nil, ErrNotFound
	}
	return paper, nil
}

// UpdatePaper renames a paper its caller manages, and replaces its content (items or rules,
// checked as on creation) while no exam uses it.
func (uc *AuthoringUsecase) UpdatePaper(ctx context.Context, id int64, title *string, items []PaperItem, rules []PaperRule) (*Paper, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	paper, err := uc.GetPaper(ctx, id)
	if err != nil {
		return nil, err
	}
	if title != nil {
		paper.Title = strings.TrimSpace(*title)
		if paper.Title == "" {
			return nil, Invalid("title", "试卷名称不能为空")
		}
	}
	content := len(items) > 0 || len(rules) > 0
	if content {
		if err := uc.checkPaperContent(ctx, p, items, rules); err != nil {
			return nil, err
		}
		paper.Items, paper.Rules = items, rules
	}
	return uc.papers.UpdatePaper(ctx, paper, content)
}

// DeletePaper deletes a paper its caller manages, while no exam uses it.
func (uc *AuthoringUsecase) DeletePaper(ctx context.Context, id int64) error {
	if _, err := uc.GetPaper(ctx, id); err != nil {
		return err
	}
	return uc.papers.DeletePaper(ctx, id)
}

// ExamPatch changes an exam's settings; nil fields stay as they are.
type ExamPatch struct {
	Title                                           *string
	OpensAt, ClosesAt                               *time.Time
	Duration                                        *time.Duration
	AttemptsAllowed                                 *int
	GradingMethod, ResultsPolicy                    *string
	PassMark, CreditHours                           *float64
	ShuffleQuestions, ShuffleOptions, PartialCredit *bool
}

// errExamStarted is the refusal to change or delete an exam someone has begun.
var errExamStarted = &ClosedError{Exam: true, Msg: "已有人开始作答，考试不能再修改或删除"}

// UpdateExam changes an exam's settings for its managers until its first attempt.
func (uc *AuthoringUsecase) UpdateExam(ctx context.Context, id int64, patch ExamPatch) (*Exam, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	e, err := managedExam(ctx, uc.exams, p, id, "只有考试的管理人员可以修改考试")
	if err != nil {
		return nil, err
	}
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&e.Title, patch.Title)
	set(&e.GradingMethod, patch.GradingMethod)
	set(&e.ResultsPolicy, patch.ResultsPolicy)
	if patch.OpensAt != nil {
		e.OpensAt = *patch.OpensAt
	}
	if patch.ClosesAt != nil {
		e.ClosesAt = *patch.ClosesAt
	}
	if patch.Duration != nil {
		e.Duration = *patch.Duration
	}
	if patch.AttemptsAllowed != nil {
		e.AttemptsAllowed = *patch.AttemptsAllowed
	}
	if patch.PassMark != nil {
		e.PassMark = *patch.PassMark
	}
	if patch.CreditHours != nil {
		e.CreditHours = *patch.CreditHours
	}
	for dst, v := range map[*bool]*bool{&e.ShuffleQuestions: patch.ShuffleQuestions, &e.ShuffleOptions: patch.ShuffleOptions, &e.PartialCredit: patch.PartialCredit} {
		if v != nil {
			*dst = *v
		}
	}
	e.Title = strings.TrimSpace(e.Title)
	switch {
	case e.Title == "":
		return nil, Invalid("title", "考试名称不能为空")
	case !e.ClosesAt.After(e.OpensAt):
		return nil, Invalid("closes_at", "结束时间必须晚于开始时间")
	case e.Duration <= 0:
		return nil, Invalid("duration_minutes", "考试时长必须大于0")
	case e.PassMark > e.TotalPoints:
		return nil, Invalid("pass_mark", "及格分不能高于总分 %.2f", e.TotalPoints)
	case e.CreditHours < 0 || e.CreditHours > MaxCreditHours:
		return nil, Invalid("credit_hours", "学时应在 0–%d 之间", MaxCreditHours)
	}
	out, err := uc.exams.UpdateExam(ctx, e)
	if errors.Is(err, ErrConflict) {
		return nil, errExamStarted
	}
	return out, err
}

// DeleteExam deletes an exam for its managers until its first attempt.
func (uc *AuthoringUsecase) DeleteExam(ctx context.Context, id int64) error {
	p, err := auth.Require(ctx)
	if err != nil {
		return err
	}
	if _, err := managedExam(ctx, uc.exams, p, id, "只有考试的管理人员可以删除考试"); err != nil {
		return err
	}
	err = uc.exams.DeleteExam(ctx, id)
	if errors.Is(err, ErrConflict) {
		return errExamStarted
	}
	return err
}

// UpdateBank renames a bank or changes whether it feeds practice, for those who manage it.
func (uc *AuthoringUsecase) UpdateBank(ctx context.Context, id int64, name *string, examOnly *bool) (*Bank, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	b, err := uc.managedBank(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if name != nil {
		if b.Name = strings.TrimSpace(*name); b.Name == "" {
			return nil, Invalid("name", "题库名称不能为空")
		}
	}
	if examOnly != nil {
		b.ExamOnly = *examOnly
	}
	return uc.banks.UpdateBank(ctx, b)
}

// DeleteBank deletes an empty bank, for those who manage it.
func (uc *AuthoringUsecase) DeleteBank(ctx context.Context, id int64) error {
	p, err := auth.Require(ctx)
	if err != nil {
		return err
	}
	if _, err := uc.managedBank(ctx, p, id); err != nil {
		return err
	}
	return uc.banks.DeleteBank(ctx, id)
}
