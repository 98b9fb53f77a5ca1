package biz

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/htmlsafe"
)

// canManage: authors of the owning org or above (admins: everywhere).
func canManage(p *auth.Principal, orgPath string) bool {
	return p.IsAdmin() || (p.CanAuthor() && p.InSubtree(orgPath))
}

// CreateBank creates a bank owned by the caller's org or an org below it.
func (uc *AuthoringUsecase) CreateBank(ctx context.Context, name string, orgID int64, examOnly bool) (*Bank, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if !p.CanAuthor() {
		return nil, deny("只有培训管理员、组织管理员可以建立题库")
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, Invalid("name", "题库名称不能为空")
	}
	org, err := uc.ownOrg(ctx, p, orgID)
	if err != nil {
		return nil, err
	}
	return uc.banks.CreateBank(ctx, &Bank{OrgID: org.ID, OrgPath: org.Path, Name: name, ExamOnly: examOnly, CreatedBy: p.UserID})
}

// ownOrg resolves an org the caller may author for (0: its own org).
func (uc *AuthoringUsecase) ownOrg(ctx context.Context, p *auth.Principal, orgID int64) (*OrgInfo, error) {
	if orgID == 0 || orgID == p.OrgID {
		return &OrgInfo{ID: p.OrgID, Path: p.OrgPath}, nil
	}
	org, err := uc.orgs.GetOrg(ctx, orgID)
	if err != nil {
		return nil, err
	}
	if !canManage(p, org.Path) {
		return nil, deny("无权为该组织建立题库")
	}
	return org, nil
}

// ListBanks lists the banks the caller manages.
func (uc *AuthoringUsecase) ListBanks(ctx context.Context) ([]*Bank, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if !p.CanAuthor() {
		return nil, deny("无权查看题库")
	}
	prefix := p.OrgPath
	if p.IsAdmin() {
		prefix = ""
	}
	return uc.banks.ListBanks(ctx, prefix)
}

func (uc *AuthoringUsecase) managedBank(ctx context.Context, p *auth.Principal, id int64) (*Bank, error) {
	b, err := uc.banks.GetBank(ctx, id)
	if err != nil {
		return nil, err
	}
	if !canManage(p, b.OrgPath) {
		return nil, ErrNotFound
	}
	return b, nil
}

// validateQuestion checks and normalises a question for its type.
func (uc *AuthoringUsecase) validateQuestion(q *Question) error {
	q.StemHTML = htmlsafe.UGC(q.StemHTML)
	q.Explanation = htmlsafe.UGC(q.Explanation)
	if strings.TrimSpace(q.StemHTML) == "" {
		return Invalid("stem_html", "题干不能为空")
	}
	for i := range q.Options {
		q.Options[i].HTML = htmlsafe.UGC(q.Options[i].HTML)
	}
	if q.Difficulty == 0 {
		q.Difficulty = 3
	}
	if q.Points <= 0 {
		return Invalid("default_points", "分值必须大于0")
	}
	keys := make([]string, len(q.Options))
	for i, o := range q.Options {
		keys[i] = o.Key
	}
	switch q.Type {
	case Single, Multiple:
		if len(q.Options) < 2 {
			return Invalid("options", "选择题至少需要两个选项")
		}
		for i, o := range q.Options {
			if o.Key != string(rune('A'+i)) {
				return Invalid("options", "选项标识应依次为 A、B、C……")
			}
			if strings.TrimSpace(o.HTML) == "" {
				return Invalid("options", "选项 %s 内容为空", o.Key)
			}
		}
		q.AnswerKeys = dedupe(q.AnswerKeys)
		slices.Sort(q.AnswerKeys)
		if len(q.AnswerKeys) == 0 || (q.Type == Single && len(q.AnswerKeys) != 1) {
			return Invalid("answer_keys", "单选题需要恰好一个正确答案，多选题至少一个")
		}
		for _, k := range q.AnswerKeys {
			if !slices.Contains(keys, k) {
				return Invalid("answer_keys", "正确答案 %s 不是选项之一", k)
			}
		}
		q.Blanks, q.Reference = nil, ""
	case TrueFalse:
		q.Options = []Option{{Key: "true", HTML: "正确"}, {Key: "false", HTML: "错误"}}
		if len(q.AnswerKeys) != 1 || (q.AnswerKeys[0] != "true" && q.AnswerKeys[0] != "false") {
			return Invalid("answer_keys", "判断题答案应为 true 或 false")
		}
		q.Blanks, q.Reference = nil, ""
	case FillBlank:
		if len(q.Blanks) == 0 {
			return Invalid("blanks", "填空题至少需要一个空")
		}
		for i, b := range q.Blanks {
			var acc []string
			for _, s := range b {
				if s = strings.TrimSpace(s); s != "" {
					acc = append(acc, s)
				}
			}
			if len(acc) == 0 {
				return Invalid("blanks", "第%d空没有可接受的答案", i+1)
			}
			q.Blanks[i] = acc
		}
		q.Options, q.AnswerKeys, q.Reference = nil, nil, ""
	case Essay:
		q.Options, q.AnswerKeys, q.Blanks = nil, nil, nil
	default:
		return Invalid("type", "题型无效")
	}
	return nil
}

// CreateQuestion adds a question to a bank the caller manages.
func (uc *AuthoringUsecase) CreateQuestion(ctx context.Context, q *Question) (*Question, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	b, err := uc.managedBank(ctx, p, q.BankID)
	if err != nil {
		return nil, err
	}
	if err := uc.validateQuestion(q); err != nil {
		return nil, err
	}
	var out *Question
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		out, err = uc.banks.CreateQuestion(ctx, q)
		if err != nil {
			return err
		}
		return uc.questionChanged(ctx, out, b)
	})
	return out, err
}

// questionChanged announces a created or edited question (in the caller's transaction).
func (uc *AuthoringUsecase) questionChanged(ctx context.Context, q *Question, b *Bank) error {
	return uc.events.Publish(ctx, QuestionChanged{QuestionID: q.ID, BankID: b.ID, Version: q.Version, OrgPath: b.OrgPath})
}

// UpdateQuestion replaces a question's content (new version). Attempts already started keep
// their snapshot of the old version.
func (uc *AuthoringUsecase) UpdateQuestion(ctx context.Context, q *Question) (*Question, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	old, err := uc.banks.GetQuestion(ctx, q.ID)
	if err != nil {
		return nil, err
	}
	if old.Archived {
		return nil, ErrNotFound
	}
	b, err := uc.managedBank(ctx, p, old.BankID)
	if err != nil {
		return nil, err
	}
	q.BankID = old.BankID
	if err := uc.validateQuestion(q); err != nil {
		return nil, err
	}
	var out *Question
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		out, err = uc.banks.UpdateQuestion(ctx, q)
		if err != nil {
			return err
		}
		return uc.questionChanged(ctx, out, b)
	})
	return out, err
}

// ArchiveQuestion deletes a question from a bank the caller manages: it leaves the bank's list,
// random draws, practice and new papers; fixed papers that hold it, attempts and the wrong-answer
// book keep it, so no exam changes under its members.
func (uc *AuthoringUsecase) ArchiveQuestion(ctx context.Context, id int64) error {
	p, err := auth.Require(ctx)
	if err != nil {
		return err
	}
	q, err := uc.banks.GetQuestion(ctx, id)
	if err != nil {
		return err
	}
	if q.Archived {
		return ErrNotFound
	}
	b, err := uc.managedBank(ctx, p, q.BankID)
	if err != nil {
		return err
	}
	return uc.tx.InTx(ctx, func(ctx context.Context) error {
		if err := uc.banks.ArchiveQuestion(ctx, id); err != nil {
			return err
		}
		return uc.events.Publish(ctx, QuestionChanged{QuestionID: q.ID, BankID: b.ID, Version: q.Version, OrgPath: b.OrgPath, Archived: true})
	})
}

// ListQuestions lists a managed bank's questions with keys (authors only).
func (uc *AuthoringUsecase) ListQuestions(ctx context.Context, bankID int64) ([]*Question, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := uc.managedBank(ctx, p, bankID); err != nil {
		return nil, err
	}
	return uc.banks.ListQuestions(ctx, bankID)
}

// CreatePaper creates a fixed paper (items) or a random one (rules). Random rules that the banks
// cannot satisfy are refused now, not when a member starts.
func (uc *AuthoringUsecase) CreatePaper(ctx context.Context, title string, items []PaperItem, rules []PaperRule) (*Paper, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if !p.CanAuthor() {
		return nil, deny("只有培训管理员、组织管理员可以组卷")
	}
	title = strings.TrimSpace(title)
	if title == "" {
		return nil, Invalid("title", "试卷名称不能为空")
	}
	if err := uc.checkPaperContent(ctx, p, items, rules); err != nil {
		return nil, err
	}
	return uc.papers.CreatePaper(ctx, &Paper{OrgPath: p.OrgPath, Title: title, Items: items, Rules: rules, CreatedBy: p.UserID})
}

// checkPaperContent checks a paper's content: questions (existing, once each, from banks the
// caller manages; points default to the question's) or rules (banks the caller manages, able to
// supply what they draw), one kind or the other.
func (uc *AuthoringUsecase) checkPaperContent(ctx context.Context, p *auth.Principal, items []PaperItem, rules []PaperRule) error {
	if (len(items) == 0) == (len(rules) == 0) {
		return Invalid("items", "固定试卷给出题目，随机试卷给出抽题规则，二者选其一")
	}
	if len(items) > 0 {
		ids := make([]int64, len(items))
		for i, it := range items {
			ids[i] = it.QuestionID
		}
		qs, err := uc.banks.GetQuestions(ctx, ids)
		if err != nil {
			return err
		}
		byID := map[int64]*Question{}
		for _, q := range qs {
			byID[q.ID] = q
		}
		seen := map[int64]bool{}
		for i, it := range items {
			q := byID[it.QuestionID]
			if q == nil || seen[it.QuestionID] || q.Archived {
				return Invalid(fmt.Sprintf("items[%d].question_id", i), "题目不存在或重复")
			}
			seen[it.QuestionID] = true
			if _, err := uc.managedBank(ctx, p, q.BankID); err != nil {
				return Invalid(fmt.Sprintf("items[%d].question_id", i), "题目不存在或无权使用")
			}
			if it.Points <= 0 {
				items[i].Points = q.Points
			}
		}
	}
	// Rules drawing from the same bank must not need more questions than it has in total.
	need := map[int64]int{}
	for i, r := range rules {
		if _, err := uc.managedBank(ctx, p, r.BankID); err != nil {
			return Invalid(fmt.Sprintf("rules[%d].bank_id", i), "题库不存在或无权使用")
		}
		qs, err := uc.banks.FindQuestions(ctx, r.BankID, r.Tags, r.Difficulty, r.Type)
		if err != nil {
			return err
		}
		if len(qs) < r.Count {
			return &ImpossibleRulesError{Msg: fmt.Sprintf("第%d条规则需要%d道题，但题库中符合条件的只有%d道", i+1, r.Count, len(qs))}
		}
		need[r.BankID] += r.Count
		all, err := uc.banks.FindQuestions(ctx, r.BankID, nil, 0, "")
		if err != nil {
			return err
		}
		if need[r.BankID] > len(all) {
			return &ImpossibleRulesError{Msg: fmt.Sprintf("抽题规则共需从题库%d抽取%d道题，但题库只有%d道", r.BankID, need[r.BankID], len(all))}
		}
	}
	return nil
}

// Size returns the question count and total points of a paper (fixed items plus random rules):
// the one computation behind every total the API shows.
func (p *Paper) Size() (questions int, points float64) {
	n, pts := 0, 0.0
	for _, it := range p.Items {
		n++
		pts += it.Points
	}
	for _, r := range p.Rules {
		n += r.Count
		pts += float64(r.Count) * r.Points
	}
	return n, round2(pts)
}

// CreateExam offers a paper to target orgs (the caller must manage each) in a window.
func (uc *AuthoringUsecase) CreateExam(ctx context.Context, e *Exam) (*Exam, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if !p.CanAuthor() {
		return nil, deny("只有培训管理员、组织管理员可以发布考试")
	}
	e.Title = strings.TrimSpace(e.Title)
	switch {
	case e.Title == "":
		return nil, Invalid("title", "考试名称不能为空")
	case !e.ClosesAt.After(e.OpensAt):
		return nil, Invalid("closes_at", "结束时间必须晚于开始时间")
	case e.Duration <= 0:
		return nil, Invalid("duration_minutes", "考试时长必须大于0")
	}
	if e.GradingMethod == "" {
		e.GradingMethod = GradeHighest
	}
	paper, err := uc.papers.GetPaper(ctx, e.PaperID)
	if err != nil {
		return nil, err
	}
	if !canManage(p, paper.OrgPath) && paper.CreatedBy != p.UserID {
		return nil, ErrNotFound
	}
	e.QuestionCount, e.TotalPoints = paper.Size()
	if e.PassMark > e.TotalPoints {
		return nil, Invalid("pass_mark", "及格分不能高于总分 %.2f", e.TotalPoints)
	}
	if e.CreditHours < 0 || e.CreditHours > MaxCreditHours {
		return nil, Invalid("credit_hours", "学时应在 0–%d 之间", MaxCreditHours)
	}
	if len(e.TargetOrgIDs) == 0 && len(e.TargetUserIDs) == 0 {
		return nil, Invalid("target_org_ids", "至少指定一个参考组织或人员")
	}
	for _, uid := range e.TargetUserIDs {
		path, err := uc.orgs.AccountOrgPath(ctx, uid)
		if err != nil {
			return nil, err
		}
		if !canManage(p, path) {
			return nil, deny("无权向该人员发布考试")
		}
	}
	e.TargetPaths = make([]string, len(e.TargetOrgIDs))
	for i, id := range e.TargetOrgIDs {
		org, err := uc.orgs.GetOrg(ctx, id)
		if err != nil {
			return nil, err
		}
		if !canManage(p, org.Path) {
			return nil, deny("无权向组织“" + org.Name + "”发布考试")
		}
		e.TargetPaths[i] = org.Path
	}
	e.OrgPath, e.CreatedBy = p.OrgPath, p.UserID
	return uc.exams.CreateExam(ctx, e)
}

// targeted reports whether the exam is aimed at p's org or one of its ancestors.
func targeted(p *auth.Principal, e *Exam) bool {
	for _, path := range e.TargetPaths {
		if p.InAncestry(path) {
			return true
		}
	}
	return slices.Contains(e.TargetUserIDs, p.UserID)
}

// managedExam loads an exam for an action only its managers may take. A targeted member gets a
// denial with msg; anyone else learns nothing (ErrNotFound).
func managedExam(ctx context.Context, exams ExamRepo, p *auth.Principal, examID int64, msg string) (*Exam, error) {
	e, err := exams.GetExam(ctx, examID)
	if err != nil {
		return nil, err
	}
	if !canManage(p, e.OrgPath) {
		if targeted(p, e) {
			return nil, deny(msg)
		}
		return nil, ErrNotFound
	}
	return e, nil
}

// GetExam returns an exam to its managers and its targets.
func (uc *AuthoringUsecase) GetExam(ctx context.Context, id int64) (*Exam, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	e, err := uc.exams.GetExam(ctx, id)
	if err != nil {
		return nil, err
	}
	if !canManage(p, e.OrgPath) && !targeted(p, e) {
		return nil, ErrNotFound
	}
	return e, nil
}
