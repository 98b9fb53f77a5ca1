package service

import (
	"context"

	eventsv1 "github.com/vanguard/vanguard/api/events/v1"
	quizv1 "github.com/vanguard/vanguard/api/quiz/v1"
	"github.com/vanguard/vanguard/app/quiz/internal/biz"
	"github.com/vanguard/vanguard/pkg/outbox"
)

// EventsService is quiz's service-only Events API: subscribers acknowledge the events they
// applied (pkg/outbox), and page over graded attempts to backfill.
type EventsService struct {
	quizv1.UnimplementedEventsServer
	Ack      outbox.AckService
	Attempts *biz.AttemptUsecase
	// Message converts a graded event to its attempt.graded message (the outbox's own).
	Message func(biz.GradedEvent) *quizv1.AttemptGraded
}

// AckEvents closes the calling service's deliveries of the given events.
func (s *EventsService) AckEvents(ctx context.Context, req *eventsv1.AckEventsRequest) (*eventsv1.AckEventsReply, error) {
	return s.Ack.AckEvents(ctx, req)
}

// ListGradedAttempts pages over the graded attempts of the exams that credit study hours.
func (s *EventsService) ListGradedAttempts(ctx context.Context, req *quizv1.ListGradedAttemptsRequest) (*quizv1.ListGradedAttemptsReply, error) {
	evs, err := s.Attempts.GradedForBackfill(ctx, req.AfterExamId, req.AfterAttemptId, int(req.PageSize))
	if err != nil {
		return nil, toAPIError(err)
	}
	out := &quizv1.ListGradedAttemptsReply{Attempts: make([]*quizv1.AttemptGraded, len(evs))}
	for i, e := range evs {
		out.Attempts[i] = s.Message(e)
	}
	return out, nil
}

// DossierService is quiz's service-only Dossiers API: the growth service reads a member's
// released results.
type DossierService struct {
	quizv1.UnimplementedDossiersServer
	Attempts *biz.AttemptUsecase
}

// GetMemberResults implements quizv1.DossiersServer.
func (s *DossierService) GetMemberResults(ctx context.Context, req *quizv1.GetMemberResultsRequest) (*quizv1.MemberResults, error) {
	exams, err := s.Attempts.MemberResults(ctx, req.GetMemberId())
	if err != nil {
		return nil, toAPIError(err)
	}
	out := &quizv1.MemberResults{}
	for _, m := range exams {
		r := &quizv1.MemberResult{ExamId: m.Exam.ID, Title: m.Exam.Title, Score: *m.Score, PassMark: m.Exam.PassMark,
			Passed: *m.Score >= m.Exam.PassMark}
		for _, a := range m.Attempts { // the latest graded attempt's maximum and time
			if a.Status == biz.AttemptGraded && a.GradedAt != nil {
				r.MaxScore, r.GradedAt = a.MaxScore, ts(*a.GradedAt)
			}
		}
		out.Results = append(out.Results, r)
	}
	return out, nil
}

// FeedService is quiz's service-only SearchFeed API: the search service reads questions (never
// their keys).
type FeedService struct {
	quizv1.UnimplementedSearchFeedServer
	Feed *biz.SearchFeed
}

func feedToAPI(qs []*biz.FeedQuestion, next int64) *quizv1.SearchQuestions {
	out := &quizv1.SearchQuestions{NextAfterId: next}
	for _, q := range qs {
		out.Questions = append(out.Questions, &quizv1.SearchQuestion{QuestionId: q.ID, BankId: q.BankID, BankName: q.BankName,
			OrgPath: q.OrgPath, Type: string(q.Type), Stem: q.Stem, Options: q.Options, Tags: q.Tags, Archived: q.Archived})
	}
	return out
}

// GetSearchQuestions implements quizv1.SearchFeedServer.
func (s *FeedService) GetSearchQuestions(ctx context.Context, req *quizv1.GetSearchQuestionsRequest) (*quizv1.SearchQuestions, error) {
	qs, err := s.Feed.Questions(ctx, req.GetQuestionIds())
	if err != nil {
		return nil, toAPIError(err)
	}
	return feedToAPI(qs, 0), nil
}

// ListSearchQuestions implements quizv1.SearchFeedServer.
func (s *FeedService) ListSearchQuestions(ctx context.Context, req *quizv1.ListSearchQuestionsRequest) (*quizv1.SearchQuestions, error) {
	qs, next, err := s.Feed.List(ctx, req.GetAfterId(), int(req.GetLimit()))
	if err != nil {
		return nil, toAPIError(err)
	}
	return feedToAPI(qs, next), nil
}
