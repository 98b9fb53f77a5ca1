// Package service adapts the quiz use cases to the generated gRPC/HTTP interfaces and runs the
// quiz service's Asynq task handlers. Member-facing conversions never copy answer keys,
// explanations or per-question correctness unless the results are released.
package service

import (
	"context"
	"fmt"
	"time"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"google.golang.org/protobuf/types/known/emptypb"

	v1 "github.com/vanguard/vanguard/api/quiz/v1"
	"github.com/vanguard/vanguard/app/quiz/internal/biz"
	"github.com/vanguard/vanguard/pkg/apierr"
	"github.com/vanguard/vanguard/pkg/sheet"
)

// apiErrors maps the quiz service's own domain errors to its API reasons; pkg/apierr adds what
// every service shares (Kratos errors as they are, field and permission errors, cancellation,
// and a 500 that hides its cause for anything else).
var apiErrors = apierr.New(
	apierr.As(func(e *biz.ClosedError) *kerrors.Error {
		if e.Exam {
			return v1.ErrorExamClosed("%s", e.Msg)
		}
		return v1.ErrorAttemptClosed("%s", e.Msg)
	}),
	apierr.As(func(e *biz.StaleError) *kerrors.Error {
		return v1.ErrorStaleAnswer("已有更新的答案（版本 %d），本次保存被忽略", e.Current).
			WithMetadata(map[string]string{"current_version": fmt.Sprint(e.Current)})
	}),
	apierr.As(func(e *biz.ImpossibleRulesError) *kerrors.Error { return v1.ErrorImpossibleRules("%s", e.Msg) }),
	apierr.As(func(e *biz.ImportError) *kerrors.Error {
		return v1.ErrorImportInvalid("%s", e.Message()).WithMetadata(e.Metadata())
	}),
	apierr.As(func(e *sheet.ErrFormat) *kerrors.Error { return apierr.InvalidArgument("content", e.Msg) }),
	// One answer for "missing" and "not yours", so ids cannot be probed.
	apierr.Is(biz.ErrNotFound, v1.ErrorNotFound, "不存在或无权访问"),
	apierr.Is(biz.ErrOrgNotFound, v1.ErrorNotFound, "不存在或无权访问"),
	apierr.Is(biz.ErrAlreadyExists, v1.ErrorAlreadyExists, "记录已存在，请刷新后重试"),
	apierr.Is(biz.ErrConflict, v1.ErrorConflict, "数据已被他人修改，请刷新后重试"),
)

// toAPIError maps a use case's error to the API's error (nil stays nil).
func toAPIError(err error) error { return apiErrors.Translate(err) }

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// QuizService implements v1.QuizServer.
type QuizService struct {
	v1.UnimplementedQuizServer
	uc *biz.Usecase
}

// NewQuizService wires a QuizService.
func NewQuizService(uc *biz.Usecase) *QuizService { return &QuizService{uc: uc} }

var typeToAPI = map[biz.QType]v1.QuestionType{biz.Single: v1.QuestionType_SINGLE, biz.Multiple: v1.QuestionType_MULTIPLE,
	biz.TrueFalse: v1.QuestionType_TRUE_FALSE, biz.FillBlank: v1.QuestionType_FILL_BLANK, biz.Essay: v1.QuestionType_ESSAY}

func typeFromAPI(t v1.QuestionType) biz.QType {
	for b, a := range typeToAPI {
		if a == t {
			return b
		}
	}
	return ""
}

var policyToAPI = map[string]v1.ResultsPolicy{biz.ResultsImmediate: v1.ResultsPolicy_IMMEDIATE, biz.ResultsAfterClose: v1.ResultsPolicy_AFTER_CLOSE, biz.ResultsNever: v1.ResultsPolicy_NEVER}
var methodToAPI = map[string]v1.GradingMethod{biz.GradeHighest: v1.GradingMethod_HIGHEST, biz.GradeLast: v1.GradingMethod_LAST, biz.GradeFirst: v1.GradingMethod_FIRST, biz.GradeAverage: v1.GradingMethod_AVERAGE}

func optionsToAPI(os []biz.Option) []*v1.Option {
	out := make([]*v1.Option, len(os))
	for i, o := range os {
		out[i] = &v1.Option{Key: o.Key, Html: o.HTML}
	}
	return out
}

func blanksToAPI(bs [][]string) []*v1.Blank {
	out := make([]*v1.Blank, len(bs))
	for i, b := range bs {
		out[i] = &v1.Blank{Accepted: b}
	}
	return out
}

// questionToAPI is the authors' view, with the key.
func questionToAPI(q *biz.Question) *v1.Question {
	return &v1.Question{Id: q.ID, BankId: q.BankID, Version: int32(q.Version), Type: typeToAPI[q.Type], StemHtml: q.StemHTML,
		Options: optionsToAPI(q.Options), AnswerKeys: q.AnswerKeys, Blanks: blanksToAPI(q.Blanks), Reference: q.Reference,
		ExplanationHtml: q.Explanation, Difficulty: int32(q.Difficulty), Tags: q.Tags, DefaultPoints: q.Points}
}

func questionFromAPI(in *v1.QuestionInput) *biz.Question {
	q := &biz.Question{BankID: in.BankId, Type: typeFromAPI(in.Type), StemHTML: in.StemHtml, AnswerKeys: in.AnswerKeys,
		Reference: in.Reference, Explanation: in.ExplanationHtml, Difficulty: int(in.Difficulty), Tags: in.Tags, Points: in.DefaultPoints}
	for _, o := range in.Options {
		q.Options = append(q.Options, biz.Option{Key: o.Key, HTML: o.Html})
	}
	for _, b := range in.Blanks {
		q.Blanks = append(q.Blanks, b.Accepted)
	}
	return q
}

func examToAPI(e *biz.Exam) *v1.Exam {
	return &v1.Exam{Id: e.ID, PaperId: e.PaperID, Title: e.Title, OpensAt: ts(e.OpensAt), ClosesAt: ts(e.ClosesAt),
		DurationMinutes: int32(e.Duration / time.Minute), AttemptsAllowed: int32(e.AttemptsAllowed), GradingMethod: methodToAPI[e.GradingMethod],
		PassMark: e.PassMark, ShuffleQuestions: e.ShuffleQuestions, ShuffleOptions: e.ShuffleOptions, ResultsPolicy: policyToAPI[e.ResultsPolicy],
		PartialCredit: e.PartialCredit, TargetOrgIds: e.TargetOrgIDs, TargetUserIds: e.TargetUserIDs, QuestionCount: int32(e.QuestionCount), TotalPoints: e.TotalPoints}
}

// attemptView is what a member sees of their attempt. Keys, explanations, per-question scores
// and the total appear only when the exam's results policy has released them.
func (s *QuizService) attemptView(a *biz.Attempt, e *biz.Exam) *v1.AttemptView {
	v := &v1.AttemptView{Id: a.ID, ExamId: a.ExamID, Number: int32(a.Number), Status: a.Status, StartedAt: ts(a.StartedAt),
		Deadline: ts(a.Deadline), RemainingSeconds: int64(s.uc.Remaining(a) / time.Second), FocusLosses: int32(a.FocusLosses),
		MaxScore: a.MaxScore}
	if a.SubmittedAt != nil {
		v.SubmittedAt = ts(*a.SubmittedAt)
	}
	if s.uc.ResultsReleased(a, e) {
		v.Notice = a.Notice // the notice names scores: only once results are out
	}
	for _, q := range a.Questions {
		v.Questions = append(v.Questions, questionView(q))
	}
	for no := 1; no <= len(a.Questions); no++ {
		if ans, ok := a.Answers[no]; ok {
			v.Answers = append(v.Answers, &v1.SavedAnswer{QuestionNo: int32(no), Value: &v1.AnswerValue{Choices: ans.Choices, Text: ans.Text}, Version: ans.Version})
		}
	}
	if s.uc.ResultsReleased(a, e) {
		score := *a.Score
		passed := score >= e.PassMark
		v.Score, v.Passed = &score, &passed
		for i, sc := range a.Scores {
			q := a.Questions[i]
			v.Results = append(v.Results, &v1.QuestionResult{QuestionNo: int32(sc.No), Score: sc.Score, MaxScore: sc.Max, Correct: sc.Correct,
				AnswerKeys: q.AnswerKeys, Blanks: blanksToAPI(q.Blanks), ExplanationHtml: q.Explanation})
		}
	}
	return v
}

// questionView is a question without its key, as members see it while answering.
func questionView(q biz.SnapQuestion) *v1.QuestionView {
	qv := &v1.QuestionView{No: int32(q.No), Type: typeToAPI[q.Type], StemHtml: q.StemHTML, BlankCount: int32(len(q.Blanks)), Points: q.Points}
	if q.Type == biz.Single || q.Type == biz.Multiple || q.Type == biz.TrueFalse {
		qv.Options = optionsToAPI(q.Options)
	}
	return qv
}

func feedbackToAPI(f *biz.Feedback) *v1.Feedback {
	return &v1.Feedback{Correct: f.Correct, AnswerKeys: f.AnswerKeys, Blanks: blanksToAPI(f.Blanks), ExplanationHtml: f.Explanation}
}

// StartPractice implements v1.QuizServer.
func (s *QuizService) StartPractice(ctx context.Context, req *v1.StartPracticeRequest) (*v1.PracticeView, error) {
	id, qs, err := s.uc.Practice(ctx, int(req.Count))
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
	f, err := s.uc.AnswerPractice(ctx, req.SessionId, int(req.QuestionNo), biz.Answer{Choices: req.Value.Choices, Text: req.Value.Text})
	if err != nil {
		return nil, toAPIError(err)
	}
	return feedbackToAPI(f), nil
}

// ListWrongAnswers implements v1.QuizServer.
func (s *QuizService) ListWrongAnswers(ctx context.Context, req *v1.ListWrongAnswersRequest) (*v1.ListWrongAnswersReply, error) {
	items, err := s.uc.WrongBook(ctx, req.IncludeMastered)
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
	f, err := s.uc.RetryWrong(ctx, req.QuestionId, biz.Answer{Choices: req.Value.Choices, Text: req.Value.Text})
	if err != nil {
		return nil, toAPIError(err)
	}
	return feedbackToAPI(f), nil
}

// CreateBank implements v1.QuizServer.
func (s *QuizService) CreateBank(ctx context.Context, req *v1.CreateBankRequest) (*v1.Bank, error) {
	b, err := s.uc.CreateBank(ctx, req.Name, req.OrgId, req.ExamOnly)
	if err != nil {
		return nil, toAPIError(err)
	}
	return &v1.Bank{Id: b.ID, OrgId: b.OrgID, Name: b.Name, ExamOnly: b.ExamOnly}, nil
}

// ListBanks implements v1.QuizServer.
func (s *QuizService) ListBanks(ctx context.Context, _ *v1.ListBanksRequest) (*v1.ListBanksReply, error) {
	bs, err := s.uc.ListBanks(ctx)
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
	q, err := s.uc.CreateQuestion(ctx, questionFromAPI(req))
	if err != nil {
		return nil, toAPIError(err)
	}
	return questionToAPI(q), nil
}

// UpdateQuestion implements v1.QuizServer.
func (s *QuizService) UpdateQuestion(ctx context.Context, req *v1.UpdateQuestionRequest) (*v1.Question, error) {
	q := questionFromAPI(req.Question)
	q.ID = req.Id
	out, err := s.uc.UpdateQuestion(ctx, q)
	if err != nil {
		return nil, toAPIError(err)
	}
	return questionToAPI(out), nil
}

// ListQuestions implements v1.QuizServer.
func (s *QuizService) ListQuestions(ctx context.Context, req *v1.ListQuestionsRequest) (*v1.ListQuestionsReply, error) {
	qs, err := s.uc.ListQuestions(ctx, req.BankId)
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
	t, err := sheet.Parse(req.Format, req.Content)
	if err != nil {
		return nil, toAPIError(err)
	}
	res, err := s.uc.ImportQuestions(ctx, req.BankId, t, req.DryRun)
	if err != nil {
		return nil, toAPIError(err)
	}
	return &v1.ImportQuestionsReply{Rows: int32(res.Rows), Created: int32(res.Created), DryRun: res.DryRun}, nil
}

// ExportQuestions implements v1.QuizServer.
func (s *QuizService) ExportQuestions(ctx context.Context, req *v1.ListQuestionsRequest) (*v1.FileReply, error) {
	book, err := s.uc.ExportQuestions(ctx, req.BankId)
	if err != nil {
		return nil, toAPIError(err)
	}
	return fileReply(book)
}

// CreatePaper implements v1.QuizServer.
func (s *QuizService) CreatePaper(ctx context.Context, req *v1.CreatePaperRequest) (*v1.Paper, error) {
	var items []biz.PaperItem
	for _, it := range req.Items {
		items = append(items, biz.PaperItem{QuestionID: it.QuestionId, Points: it.Points})
	}
	var rules []biz.PaperRule
	for _, r := range req.Rules {
		rules = append(rules, biz.PaperRule{BankID: r.BankId, Tags: r.Tags, Difficulty: int(r.Difficulty), Type: typeFromAPI(r.Type), Count: int(r.Count), Points: r.Points})
	}
	p, err := s.uc.CreatePaper(ctx, req.Title, items, rules)
	if err != nil {
		return nil, toAPIError(err)
	}
	n, pts := p.Size()
	return &v1.Paper{Id: p.ID, Title: p.Title, Random: p.Random(), QuestionCount: int32(n), TotalPoints: pts}, nil
}

func parseTime(field, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, biz.Invalid(field, "时间格式应为 RFC 3339，如 2026-12-01T09:00:00+08:00")
	}
	return t, nil
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
		ShuffleQuestions: req.ShuffleQuestions, ShuffleOptions: req.ShuffleOptions, PartialCredit: req.PartialCredit, TargetOrgIDs: req.TargetOrgIds,
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
	out, err := s.uc.CreateExam(ctx, e)
	if err != nil {
		return nil, toAPIError(err)
	}
	return examToAPI(out), nil
}

// GetExam implements v1.QuizServer.
func (s *QuizService) GetExam(ctx context.Context, req *v1.IdRequest) (*v1.Exam, error) {
	e, err := s.uc.GetExam(ctx, req.Id)
	if err != nil {
		return nil, toAPIError(err)
	}
	return examToAPI(e), nil
}

// ListMyExams implements v1.QuizServer.
func (s *QuizService) ListMyExams(ctx context.Context, _ *emptypb.Empty) (*v1.ListMyExamsReply, error) {
	mine, err := s.uc.MyExams(ctx)
	if err != nil {
		return nil, toAPIError(err)
	}
	out := &v1.ListMyExamsReply{}
	for _, m := range mine {
		out.Exams = append(out.Exams, &v1.MyExam{Exam: examToAPI(m.Exam), AttemptsUsed: int32(len(m.Attempts)), Score: m.Score})
	}
	return out, nil
}

// StartAttempt implements v1.QuizServer.
func (s *QuizService) StartAttempt(ctx context.Context, req *v1.IdRequest) (*v1.AttemptView, error) {
	a, e, err := s.uc.Start(ctx, req.Id)
	if err != nil {
		return nil, toAPIError(err)
	}
	return s.attemptView(a, e), nil
}

// GetAttempt implements v1.QuizServer.
func (s *QuizService) GetAttempt(ctx context.Context, req *v1.IdRequest) (*v1.AttemptView, error) {
	a, e, err := s.uc.Get(ctx, req.Id)
	if err != nil {
		return nil, toAPIError(err)
	}
	return s.attemptView(a, e), nil
}

// SaveAnswer implements v1.QuizServer.
func (s *QuizService) SaveAnswer(ctx context.Context, req *v1.SaveAnswerRequest) (*v1.SaveAnswerReply, error) {
	v, left, err := s.uc.SaveAnswer(ctx, req.AttemptId, int(req.QuestionNo), biz.Answer{Choices: req.Value.Choices, Text: req.Value.Text, Version: req.Version})
	if err != nil {
		return nil, toAPIError(err)
	}
	return &v1.SaveAnswerReply{Version: v, RemainingSeconds: int64(left / time.Second)}, nil
}

// ReportFocusLoss implements v1.QuizServer.
func (s *QuizService) ReportFocusLoss(ctx context.Context, req *v1.IdRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, toAPIError(s.uc.FocusLoss(ctx, req.Id))
}

// SubmitAttempt implements v1.QuizServer.
func (s *QuizService) SubmitAttempt(ctx context.Context, req *v1.IdRequest) (*v1.AttemptView, error) {
	a, e, err := s.uc.Submit(ctx, req.Id)
	if err != nil {
		return nil, toAPIError(err)
	}
	// The client has the questions and its answers already; at the exam-end peak the reply
	// carries only the outcome.
	v := s.attemptView(a, e)
	v.Questions, v.Answers = nil, nil
	return v, nil
}

// ListAttempts implements v1.QuizServer (managers only; they see scores regardless of policy).
func (s *QuizService) ListAttempts(ctx context.Context, req *v1.IdRequest) (*v1.ListAttemptsReply, error) {
	as, err := s.uc.ListAttempts(ctx, req.Id)
	if err != nil {
		return nil, toAPIError(err)
	}
	return summaries(as), nil
}

func summaries(as []*biz.Attempt) *v1.ListAttemptsReply {
	out := &v1.ListAttemptsReply{}
	for _, a := range as {
		sum := &v1.AttemptSummary{Id: a.ID, ExamId: a.ExamID, UserId: a.UserID, Number: int32(a.Number), Status: a.Status, Score: a.Score,
			MaxScore: a.MaxScore, FocusLosses: int32(a.FocusLosses), NeedsReview: a.NeedsReview()}
		if a.SubmittedAt != nil {
			sum.SubmittedAt = ts(*a.SubmittedAt)
		}
		out.Attempts = append(out.Attempts, sum)
	}
	return out
}

// ListReviewQueue implements v1.QuizServer.
func (s *QuizService) ListReviewQueue(ctx context.Context, _ *emptypb.Empty) (*v1.ListAttemptsReply, error) {
	as, err := s.uc.ReviewQueue(ctx)
	if err != nil {
		return nil, toAPIError(err)
	}
	return summaries(as), nil
}

// GetExamStats implements v1.QuizServer.
func (s *QuizService) GetExamStats(ctx context.Context, req *v1.IdRequest) (*v1.ExamStats, error) {
	st, err := s.uc.ExamStats(ctx, req.Id)
	if err != nil {
		return nil, toAPIError(err)
	}
	out := &v1.ExamStats{ExamId: st.ExamID, Participants: int32(st.Participants), Attempts: int32(st.Attempts), Graded: int32(st.Graded),
		MeanScore: st.MeanScore, MaxScore: st.MaxScore, PassRate: st.PassRate}
	for _, b := range st.Distribution {
		out.Distribution = append(out.Distribution, &v1.ScoreBucket{FromPercent: int32(b.FromPercent), Count: int32(b.Count)})
	}
	for _, o := range st.ByOrg {
		out.ByOrg = append(out.ByOrg, &v1.OrgPassRate{OrgPath: o.OrgPath, Participants: int32(o.Participants), Passed: int32(o.Passed), PassRate: o.PassRate})
	}
	for _, q := range st.Questions {
		out.Questions = append(out.Questions, &v1.QuestionStat{QuestionId: q.QuestionID, StemHtml: q.StemHTML, Answered: int32(q.Answered),
			Facility: q.Facility, Discrimination: q.Discrimination, TopWrongOption: q.TopWrongOption, TopWrongCount: int32(q.TopWrongCount)})
	}
	return out, nil
}

// ExportExamStats implements v1.QuizServer.
func (s *QuizService) ExportExamStats(ctx context.Context, req *v1.IdRequest) (*v1.FileReply, error) {
	book, err := s.uc.ExportStats(ctx, req.Id)
	if err != nil {
		return nil, toAPIError(err)
	}
	return fileReply(book)
}

// fileReply renders a use case's workbook as the .xlsx download the API returns.
func fileReply(book *sheet.Workbook) (*v1.FileReply, error) {
	content, err := book.XLSX()
	if err != nil {
		return nil, toAPIError(err)
	}
	return &v1.FileReply{FileName: book.FileName, ContentType: sheet.ContentTypeXLSX, Content: content}, nil
}

// RegradeExam implements v1.QuizServer.
func (s *QuizService) RegradeExam(ctx context.Context, req *v1.RegradeExamRequest) (*v1.RegradeExamReply, error) {
	res, err := s.uc.Regrade(ctx, req.Id, req.Reason)
	if err != nil {
		return nil, toAPIError(err)
	}
	return &v1.RegradeExamReply{Checked: int32(res.Checked), Changed: int32(res.Changed)}, nil
}

// ListRegrades implements v1.QuizServer.
func (s *QuizService) ListRegrades(ctx context.Context, req *v1.IdRequest) (*v1.ListRegradesReply, error) {
	logs, err := s.uc.Regrades(ctx, req.Id)
	if err != nil {
		return nil, toAPIError(err)
	}
	out := &v1.ListRegradesReply{}
	for _, l := range logs {
		out.Regrades = append(out.Regrades, &v1.Regrade{ActorId: l.ActorID, ActorName: l.ActorName, Reason: l.Reason,
			Checked: int32(l.Checked), Changed: int32(l.Changed), CreatedAt: ts(l.CreatedAt)})
	}
	return out, nil
}

// ScoreEssay implements v1.QuizServer.
func (s *QuizService) ScoreEssay(ctx context.Context, req *v1.ScoreEssayRequest) (*v1.AttemptView, error) {
	a, e, err := s.uc.ScoreEssay(ctx, req.AttemptId, int(req.QuestionNo), req.Score, req.Comment)
	if err != nil {
		return nil, toAPIError(err)
	}
	return s.attemptView(a, e), nil
}
