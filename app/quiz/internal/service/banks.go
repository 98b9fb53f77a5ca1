package service

// Question banks and questions, with spreadsheet import and export.

import (
	"context"
	"google.golang.org/protobuf/types/known/emptypb"

	v1 "github.com/vanguard/vanguard/api/quiz/v1"
	"github.com/vanguard/vanguard/pkg/sheet/xlsx"
)

// CreateBank implements v1.QuizServer.
func (s *QuizService) CreateBank(ctx context.Context, req *v1.CreateBankRequest) (*v1.Bank, error) {
	b, err := s.authoring.CreateBank(ctx, req.Name, req.OrgId, req.ExamOnly)
	if err != nil {
		return nil, toAPIError(err)
	}
	return &v1.Bank{Id: b.ID, OrgId: b.OrgID, Name: b.Name, ExamOnly: b.ExamOnly}, nil
}

// ListBanks implements v1.QuizServer.
func (s *QuizService) ListBanks(ctx context.Context, _ *v1.ListBanksRequest) (*v1.ListBanksReply, error) {
	bs, err := s.authoring.ListBanks(ctx)
	if err != nil {
		return nil, toAPIError(err)
	}
	out := &v1.ListBanksReply{}
	for _, b := range bs {
		out.Banks = append(out.Banks, &v1.Bank{Id: b.ID, OrgId: b.OrgID, Name: b.Name, ExamOnly: b.ExamOnly, QuestionCount: int32(b.QuestionCount)})
	}
	return out, nil
}

// CreateQuestion implements v1.QuizServer.
func (s *QuizService) CreateQuestion(ctx context.Context, req *v1.QuestionInput) (*v1.Question, error) {
	q, err := s.authoring.CreateQuestion(ctx, questionFromAPI(req))
	if err != nil {
		return nil, toAPIError(err)
	}
	return questionToAPI(q), nil
}

// UpdateQuestion implements v1.QuizServer.
func (s *QuizService) UpdateQuestion(ctx context.Context, req *v1.UpdateQuestionRequest) (*v1.Question, error) {
	q := questionFromAPI(req.Question)
	q.ID = req.Id
	out, err := s.authoring.UpdateQuestion(ctx, q)
	if err != nil {
		return nil, toAPIError(err)
	}
	return questionToAPI(out), nil
}

// ListQuestions implements v1.QuizServer.
func (s *QuizService) ListQuestions(ctx context.Context, req *v1.ListQuestionsRequest) (*v1.ListQuestionsReply, error) {
	qs, err := s.authoring.ListQuestions(ctx, req.BankId)
	if err != nil {
		return nil, toAPIError(err)
	}
	out := &v1.ListQuestionsReply{}
	for _, q := range qs {
		out.Questions = append(out.Questions, questionToAPI(q))
	}
	return out, nil
}

// ImportQuestions implements v1.QuizServer.
func (s *QuizService) ImportQuestions(ctx context.Context, req *v1.ImportQuestionsRequest) (*v1.ImportQuestionsReply, error) {
	t, err := xlsx.Parse(req.Format, req.Content)
	if err != nil {
		return nil, toAPIError(err)
	}
	res, err := s.authoring.ImportQuestions(ctx, req.BankId, t, req.DryRun)
	if err != nil {
		return nil, toAPIError(err)
	}
	return &v1.ImportQuestionsReply{Rows: int32(res.Rows), Created: int32(res.Created), DryRun: res.DryRun}, nil
}

// ExportQuestions implements v1.QuizServer.
func (s *QuizService) ExportQuestions(ctx context.Context, req *v1.ListQuestionsRequest) (*v1.FileReply, error) {
	book, err := s.authoring.ExportQuestions(ctx, req.BankId)
	if err != nil {
		return nil, toAPIError(err)
	}
	return fileReply(book)
}

// UpdateBank implements v1.QuizServer.
func (s *QuizService) UpdateBank(ctx context.Context, req *v1.UpdateBankRequest) (*v1.Bank, error) {
	b, err := s.authoring.UpdateBank(ctx, req.GetId(), req.Name, req.ExamOnly)
	if err != nil {
		return nil, toAPIError(err)
	}
	return &v1.Bank{Id: b.ID, OrgId: b.OrgID, Name: b.Name, ExamOnly: b.ExamOnly, QuestionCount: int32(b.QuestionCount)}, nil
}

// DeleteBank implements v1.QuizServer.
func (s *QuizService) DeleteBank(ctx context.Context, req *v1.IdRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, toAPIError(s.authoring.DeleteBank(ctx, req.GetId()))
}
