package service

// Taking an exam (start, autosave, focus loss, submit) and the managers' attempt lists and essay review.

import (
	"context"
	"encoding/base64"
	"strconv"
	"time"

	v1 "github.com/vanguard/vanguard/api/quiz/v1"
	"github.com/vanguard/vanguard/app/quiz/internal/biz"
	"google.golang.org/protobuf/types/known/emptypb"
)

// StartAttempt implements v1.QuizServer.
func (s *QuizService) StartAttempt(ctx context.Context, req *v1.IdRequest) (*v1.AttemptView, error) {
	a, e, err := s.attempts.Start(ctx, req.Id)
	if err != nil {
		return nil, toAPIError(err)
	}
	return s.attemptView(a, e), nil
}

// GetAttempt implements v1.QuizServer.
func (s *QuizService) GetAttempt(ctx context.Context, req *v1.IdRequest) (*v1.AttemptView, error) {
	a, e, err := s.attempts.Get(ctx, req.Id)
	if err != nil {
		return nil, toAPIError(err)
	}
	return s.attemptView(a, e), nil
}

// SaveAnswer implements v1.QuizServer.
func (s *QuizService) SaveAnswer(ctx context.Context, req *v1.SaveAnswerRequest) (*v1.SaveAnswerReply, error) {
	v, left, err := s.attempts.SaveAnswer(ctx, req.AttemptId, int(req.QuestionNo), biz.Answer{Choices: req.Value.Choices, Text: req.Value.Text, Version: req.Version})
	if err != nil {
		return nil, toAPIError(err)
	}
	return &v1.SaveAnswerReply{Version: v, RemainingSeconds: int64(left / time.Second)}, nil
}

// ReportFocusLoss implements v1.QuizServer.
func (s *QuizService) ReportFocusLoss(ctx context.Context, req *v1.IdRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, toAPIError(s.attempts.FocusLoss(ctx, req.Id))
}

// SubmitAttempt implements v1.QuizServer.
func (s *QuizService) SubmitAttempt(ctx context.Context, req *v1.IdRequest) (*v1.AttemptView, error) {
	a, e, err := s.attempts.Submit(ctx, req.Id)
	if err != nil {
		return nil, toAPIError(err)
	}
	// The client has the questions and its answers already; at the exam-end peak the reply
	// carries only the outcome.
	v := s.attemptView(a, e)
	v.Questions, v.Answers = nil, nil
	return v, nil
}

// ListAttempts implements v1.QuizServer (managers only; they see scores regardless of policy):
// a page of the exam's attempts in id order.
func (s *QuizService) ListAttempts(ctx context.Context, req *v1.ListAttemptsRequest) (*v1.ListAttemptsReply, error) {
	var after int64
	if req.GetPageToken() != "" {
		raw, err := base64.RawURLEncoding.DecodeString(req.GetPageToken())
		id, perr := strconv.ParseInt(string(raw), 10, 64)
		if err != nil || perr != nil || id <= 0 {
			return nil, toAPIError(biz.Invalid("page_token", "分页标记无效"))
		}
		after = id
	}
	limit := int(req.GetPageSize())
	if limit <= 0 {
		limit = 100
	}
	as, err := s.attempts.ListAttempts(ctx, req.GetId(), after, limit)
	if err != nil {
		return nil, toAPIError(err)
	}
	out := s.named(ctx, as)
	if len(as) == limit {
		out.NextPageToken = base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(as[len(as)-1].ID, 10)))
	}
	return out, nil
}

// ListReviewQueue implements v1.QuizServer.
func (s *QuizService) ListReviewQueue(ctx context.Context, _ *emptypb.Empty) (*v1.ListAttemptsReply, error) {
	as, err := s.attempts.ReviewQueue(ctx)
	if err != nil {
		return nil, toAPIError(err)
	}
	return s.named(ctx, as), nil
}

// ScoreEssay implements v1.QuizServer.
func (s *QuizService) ScoreEssay(ctx context.Context, req *v1.ScoreEssayRequest) (*v1.AttemptView, error) {
	a, e, err := s.attempts.ScoreEssay(ctx, req.AttemptId, int(req.QuestionNo), req.Score, req.Comment)
	if err != nil {
		return nil, toAPIError(err)
	}
	return s.attemptView(a, e), nil
}

// SetAttemptDeadline gives one attempt a later deadline (or reopens it), for the exam's managers.
func (s *QuizService) SetAttemptDeadline(ctx context.Context, req *v1.SetAttemptDeadlineRequest) (*v1.AttemptSummary, error) {
	deadline, err := parseTime("deadline", req.GetDeadline())
	if err != nil {
		return nil, toAPIError(err)
	}
	a, err := s.attempts.SetDeadline(ctx, req.GetId(), deadline, req.GetReason())
	if err != nil {
		return nil, toAPIError(err)
	}
	return summary(a), nil
}

// names looks up the names of the members of attempts the caller was allowed to list (and of
// the given orgs); when org cannot answer, the lists keep their ids and the log says why.
func (s *QuizService) names(ctx context.Context, as []*biz.Attempt, orgPaths []string) biz.Names {
	n, err := s.attempts.Names(ctx, as, orgPaths)
	if err != nil {
		s.log.WithContext(ctx).Warnf("member names left out: %v", err)
	}
	return n
}

// named is summaries with the members' names and organisations.
func (s *QuizService) named(ctx context.Context, as []*biz.Attempt) *v1.ListAttemptsReply {
	out := summaries(as)
	n := s.names(ctx, as, nil)
	for _, sum := range out.Attempts {
		withName(sum, n)
	}
	return out
}

func withName(sum *v1.AttemptSummary, n biz.Names) {
	if p, ok := n.People[sum.UserId]; ok {
		sum.MemberName, sum.OrgName = p.Name, p.OrgName
	}
}

// ListManagedExams implements v1.QuizServer.
func (s *QuizService) ListManagedExams(ctx context.Context, _ *emptypb.Empty) (*v1.ListManagedExamsReply, error) {
	exams, err := s.attempts.ManagedExams(ctx)
	if err != nil {
		return nil, toAPIError(err)
	}
	out := &v1.ListManagedExamsReply{}
	for _, m := range exams {
		out.Exams = append(out.Exams, &v1.ManagedExam{Exam: examToAPI(m.Exam), InProgress: int32(m.Counts.InProgress),
			Submitted: int32(m.Counts.Submitted), Graded: int32(m.Counts.Graded)})
	}
	return out, nil
}

// GetAttemptReview implements v1.QuizServer: the grader's view, keys and reference answers
// included — for the exam's managers only (biz.AttemptUsecase.Review).
func (s *QuizService) GetAttemptReview(ctx context.Context, req *v1.IdRequest) (*v1.AttemptReview, error) {
	a, e, err := s.attempts.Review(ctx, req.GetId())
	if err != nil {
		return nil, toAPIError(err)
	}
	sum := summary(a)
	withName(sum, s.names(ctx, []*biz.Attempt{a}, nil))
	out := &v1.AttemptReview{Attempt: sum, ExamTitle: e.Title}
	for i, q := range a.Questions {
		item := &v1.ReviewItem{No: int32(q.No), Type: typeToAPI[q.Type], StemHtml: q.StemHTML, Points: q.Points,
			AnswerKeys: q.AnswerKeys, Reference: q.Reference, ExplanationHtml: q.Explanation}
		for _, o := range q.Options {
			item.Options = append(item.Options, &v1.Option{Key: o.Key, Html: o.HTML})
		}
		for _, b := range q.Blanks {
			item.Blanks = append(item.Blanks, &v1.Blank{Accepted: b})
		}
		if ans, ok := a.Answers[q.No]; ok {
			item.Answer = &v1.AnswerValue{Choices: ans.Choices, Text: ans.Text}
		}
		if i < len(a.Scores) {
			sc := a.Scores[i]
			item.Score, item.Correct, item.PendingReview, item.Comment = sc.Score, sc.Correct, sc.PendingReview, sc.Comment
		}
		out.Items = append(out.Items, item)
	}
	return out, nil
}
