package service

// Papers and exams, and the member's list of exams.

import (
	"context"
	"time"

	v1 "github.com/vanguard/vanguard/api/quiz/v1"
	"github.com/vanguard/vanguard/app/quiz/internal/biz"
	"google.golang.org/protobuf/types/known/emptypb"
)

// CreatePaper implements v1.QuizServer.
func (s *QuizService) CreatePaper(ctx context.Context, req *v1.CreatePaperRequest) (*v1.Paper, error) {
	items, rules := paperContentFromAPI(req.Items, req.Rules)
	p, err := s.authoring.CreatePaper(ctx, req.Title, items, rules)
	if err != nil {
		return nil, toAPIError(err)
	}
	return paperToAPI(p, false), nil
}

func paperContentFromAPI(in []*v1.PaperItem, rs []*v1.PaperRule) ([]biz.PaperItem, []biz.PaperRule) {
	var items []biz.PaperItem
	for _, it := range in {
		items = append(items, biz.PaperItem{QuestionID: it.QuestionId, Points: it.Points})
	}
	var rules []biz.PaperRule
	for _, r := range rs {
		rules = append(rules, biz.PaperRule{BankID: r.BankId, Tags: r.Tags, Difficulty: int(r.Difficulty), Type: typeFromAPI(r.Type), Count: int(r.Count), Points: r.Points})
	}
	return items, rules
}

// DeleteQuestion implements v1.QuizServer.
func (s *QuizService) DeleteQuestion(ctx context.Context, req *v1.IdRequest) (*emptypb.Empty, error) {
	if err := s.authoring.ArchiveQuestion(ctx, req.GetId()); err != nil {
		return nil, toAPIError(err)
	}
	return &emptypb.Empty{}, nil
}

// UpdatePaper implements v1.QuizServer.
func (s *QuizService) UpdatePaper(ctx context.Context, req *v1.UpdatePaperRequest) (*v1.Paper, error) {
	items, rules := paperContentFromAPI(req.Items, req.Rules)
	p, err := s.authoring.UpdatePaper(ctx, req.Id, req.Title, items, rules)
	if err != nil {
		return nil, toAPIError(err)
	}
	return paperToAPI(p, true), nil
}

// DeletePaper implements v1.QuizServer.
func (s *QuizService) DeletePaper(ctx context.Context, req *v1.IdRequest) (*emptypb.Empty, error) {
	if err := s.authoring.DeletePaper(ctx, req.GetId()); err != nil {
		return nil, toAPIError(err)
	}
	return &emptypb.Empty{}, nil
}

// paperToAPI is a paper's summary, with its items or rules when detail is set.
func paperToAPI(p *biz.Paper, detail bool) *v1.Paper {
	n, pts := p.Size()
	out := &v1.Paper{Id: p.ID, Title: p.Title, Random: p.Random(), QuestionCount: int32(n), TotalPoints: pts}
	if detail {
		for _, it := range p.Items {
			out.Items = append(out.Items, &v1.PaperItem{QuestionId: it.QuestionID, Points: it.Points})
		}
		for _, r := range p.Rules {
			out.Rules = append(out.Rules, &v1.PaperRule{BankId: r.BankID, Tags: r.Tags, Difficulty: int32(r.Difficulty), Type: typeToAPI[r.Type],
				Count: int32(r.Count), Points: r.Points})
		}
	}
	return out
}

// ListPapers implements v1.QuizServer.
func (s *QuizService) ListPapers(ctx context.Context, _ *emptypb.Empty) (*v1.ListPapersReply, error) {
	papers, err := s.authoring.ListPapers(ctx)
	if err != nil {
		return nil, toAPIError(err)
	}
	out := &v1.ListPapersReply{}
	for _, p := range papers {
		out.Papers = append(out.Papers, paperToAPI(p, false))
	}
	return out, nil
}

// GetPaper implements v1.QuizServer.
func (s *QuizService) GetPaper(ctx context.Context, req *v1.IdRequest) (*v1.Paper, error) {
	p, err := s.authoring.GetPaper(ctx, req.GetId())
	if err != nil {
		return nil, toAPIError(err)
	}
	return paperToAPI(p, true), nil
}

// CreateExam implements v1.QuizServer.
func (s *QuizService) CreateExam(ctx context.Context, req *v1.CreateExamRequest) (*v1.Exam, error) {
	opens, err := parseTime("opens_at", req.OpensAt)
	if err != nil {
		return nil, toAPIError(err)
	}
	closes, err := parseTime("closes_at", req.ClosesAt)
	if err != nil {
		return nil, toAPIError(err)
	}
	e := &biz.Exam{PaperID: req.PaperId, Title: req.Title, OpensAt: opens, ClosesAt: closes,
		Duration: time.Duration(req.DurationMinutes) * time.Minute, AttemptsAllowed: int(req.AttemptsAllowed), PassMark: req.PassMark,
		ShuffleQuestions: req.ShuffleQuestions, ShuffleOptions: req.ShuffleOptions, PartialCredit: req.PartialCredit, CreditHours: req.CreditHours, TargetOrgIDs: req.TargetOrgIds,
		TargetUserIDs: req.TargetUserIds}
	for k, v := range policyToAPI {
		if v == req.ResultsPolicy {
			e.ResultsPolicy = k
		}
	}
	for k, v := range methodToAPI {
		if v == req.GradingMethod {
			e.GradingMethod = k
		}
	}
	out, err := s.authoring.CreateExam(ctx, e)
	if err != nil {
		return nil, toAPIError(err)
	}
	return examToAPI(out), nil
}

// GetExam implements v1.QuizServer.
func (s *QuizService) GetExam(ctx context.Context, req *v1.IdRequest) (*v1.Exam, error) {
	e, err := s.authoring.GetExam(ctx, req.Id)
	if err != nil {
		return nil, toAPIError(err)
	}
	return examToAPI(e), nil
}

// ListMyExams implements v1.QuizServer.
func (s *QuizService) ListMyExams(ctx context.Context, _ *emptypb.Empty) (*v1.ListMyExamsReply, error) {
	mine, err := s.attempts.MyExams(ctx)
	if err != nil {
		return nil, toAPIError(err)
	}
	out := &v1.ListMyExamsReply{}
	for _, m := range mine {
		my := &v1.MyExam{Exam: examToAPI(m.Exam), AttemptsUsed: int32(len(m.Attempts)), Score: m.Score}
		for i, a := range m.Attempts {
			v := &v1.MyAttempt{Id: a.ID, Number: int32(a.Number), Status: a.Status, StartedAt: ts(a.StartedAt),
				MaxScore: a.MaxScore}
			if a.SubmittedAt != nil {
				v.SubmittedAt = ts(*a.SubmittedAt)
			}
			// Only a released result: before that nothing about the score leaves the server.
			if m.Released[i] && a.Score != nil {
				score, passed := *a.Score, *a.Score >= m.Exam.PassMark
				v.Score, v.Passed = &score, &passed
			}
			my.Attempts = append(my.Attempts, v)
		}
		out.Exams = append(out.Exams, my)
	}
	return out, nil
}

// UpdateExam implements v1.QuizServer.
func (s *QuizService) UpdateExam(ctx context.Context, req *v1.UpdateExamRequest) (*v1.Exam, error) {
	patch := biz.ExamPatch{Title: req.Title, PassMark: req.PassMark, ShuffleQuestions: req.ShuffleQuestions,
		ShuffleOptions: req.ShuffleOptions, PartialCredit: req.PartialCredit, CreditHours: req.CreditHours}
	for field, dst := range map[string]**time.Time{"opens_at": &patch.OpensAt, "closes_at": &patch.ClosesAt} {
		raw := map[string]*string{"opens_at": req.OpensAt, "closes_at": req.ClosesAt}[field]
		if raw == nil {
			continue
		}
		t, err := parseTime(field, *raw)
		if err != nil {
			return nil, toAPIError(err)
		}
		*dst = &t
	}
	if req.DurationMinutes != nil {
		d := time.Duration(*req.DurationMinutes) * time.Minute
		patch.Duration = &d
	}
	if req.AttemptsAllowed != nil {
		n := int(*req.AttemptsAllowed)
		patch.AttemptsAllowed = &n
	}
	for k, v := range policyToAPI {
		if req.ResultsPolicy != nil && v == *req.ResultsPolicy {
			patch.ResultsPolicy = &k
		}
	}
	for k, v := range methodToAPI {
		if req.GradingMethod != nil && v == *req.GradingMethod {
			patch.GradingMethod = &k
		}
	}
	e, err := s.authoring.UpdateExam(ctx, req.GetId(), patch)
	if err != nil {
		return nil, toAPIError(err)
	}
	return examToAPI(e), nil
}

// DeleteExam implements v1.QuizServer.
func (s *QuizService) DeleteExam(ctx context.Context, req *v1.IdRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, toAPIError(s.authoring.DeleteExam(ctx, req.GetId()))
}
