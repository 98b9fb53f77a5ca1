package service

// Practice: self-test sessions from open banks and the wrong-answer book.

import (
	"context"

	v1 "github.com/vanguard/vanguard/api/quiz/v1"
	"github.com/vanguard/vanguard/app/quiz/internal/biz"
)

// StartPractice implements v1.QuizServer.
func (s *QuizService) StartPractice(ctx context.Context, req *v1.StartPracticeRequest) (*v1.PracticeView, error) {
	id, qs, err := s.practice.Practice(ctx, int(req.Count))
	if err != nil {
		return nil, toAPIError(err)
	}
	out := &v1.PracticeView{SessionId: id}
	for _, q := range qs {
		out.Questions = append(out.Questions, questionView(q))
	}
	return out, nil
}

// AnswerPractice implements v1.QuizServer.
func (s *QuizService) AnswerPractice(ctx context.Context, req *v1.AnswerPracticeRequest) (*v1.Feedback, error) {
	f, err := s.practice.AnswerPractice(ctx, req.SessionId, int(req.QuestionNo), biz.Answer{Choices: req.Value.Choices, Text: req.Value.Text})
	if err != nil {
		return nil, toAPIError(err)
	}
	return feedbackToAPI(f), nil
}

// ListWrongAnswers implements v1.QuizServer.
func (s *QuizService) ListWrongAnswers(ctx context.Context, req *v1.ListWrongAnswersRequest) (*v1.ListWrongAnswersReply, error) {
	items, err := s.practice.WrongBook(ctx, req.IncludeMastered)
	if err != nil {
		return nil, toAPIError(err)
	}
	out := &v1.ListWrongAnswersReply{}
	for _, it := range items {
		out.Items = append(out.Items, &v1.WrongAnswer{QuestionId: it.Question.QuestionID, Question: questionView(it.Question),
			WrongCount: int32(it.WrongCount), LastWrongAt: ts(it.LastWrongAt), Mastered: it.Mastered})
	}
	return out, nil
}

// RetryWrongAnswer implements v1.QuizServer.
func (s *QuizService) RetryWrongAnswer(ctx context.Context, req *v1.RetryWrongAnswerRequest) (*v1.Feedback, error) {
	f, err := s.practice.RetryWrong(ctx, req.QuestionId, biz.Answer{Choices: req.Value.Choices, Text: req.Value.Text})
	if err != nil {
		return nil, toAPIError(err)
	}
	return feedbackToAPI(f), nil
}
