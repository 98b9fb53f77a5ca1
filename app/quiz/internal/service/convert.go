package service

// Conversions between the quiz API messages and biz types. Member-facing views never carry
// answer keys, explanations or per-question correctness before the results are released.

import (
	"time"

	v1 "github.com/vanguard/vanguard/api/quiz/v1"
	"github.com/vanguard/vanguard/app/quiz/internal/biz"
	"github.com/vanguard/vanguard/pkg/sheet"
	"github.com/vanguard/vanguard/pkg/sheet/xlsx"
)

var typeToAPI = map[biz.QType]v1.QuestionType{biz.Single: v1.QuestionType_SINGLE, biz.Multiple: v1.QuestionType_MULTIPLE,
	biz.TrueFalse: v1.QuestionType_TRUE_FALSE, biz.FillBlank: v1.QuestionType_FILL_BLANK, biz.Essay: v1.QuestionType_ESSAY}
var policyToAPI = map[string]v1.ResultsPolicy{biz.ResultsImmediate: v1.ResultsPolicy_IMMEDIATE, biz.ResultsAfterClose: v1.ResultsPolicy_AFTER_CLOSE, biz.ResultsNever: v1.ResultsPolicy_NEVER}
var methodToAPI = map[string]v1.GradingMethod{biz.GradeHighest: v1.GradingMethod_HIGHEST, biz.GradeLast: v1.GradingMethod_LAST, biz.GradeFirst: v1.GradingMethod_FIRST, biz.GradeAverage: v1.GradingMethod_AVERAGE}

func typeFromAPI(t v1.QuestionType) biz.QType {
	for b, a := range typeToAPI {
		if a == t {
			return b
		}
	}
	return ""
}

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
		PartialCredit: e.PartialCredit, CreditHours: e.CreditHours, TargetOrgIds: e.TargetOrgIDs, TargetUserIds: e.TargetUserIDs, QuestionCount: int32(e.QuestionCount), TotalPoints: e.TotalPoints}
}

// attemptView is what a member sees of their attempt. Keys, explanations, per-question scores
// and the total appear only when the exam's results policy has released them.
func (s *QuizService) attemptView(a *biz.Attempt, e *biz.Exam) *v1.AttemptView {
	v := &v1.AttemptView{Id: a.ID, ExamId: a.ExamID, Number: int32(a.Number), Status: a.Status, StartedAt: ts(a.StartedAt),
		Deadline: ts(a.Deadline), RemainingSeconds: int64(s.attempts.Remaining(a) / time.Second), FocusLosses: int32(a.FocusLosses),
		MaxScore: a.MaxScore}
	if a.SubmittedAt != nil {
		v.SubmittedAt = ts(*a.SubmittedAt)
	}
	if a.Status == biz.AttemptInProgress || s.attempts.ResultsReleased(a, e) {
		// A regrade's notice names scores: only once results are out. An attempt in progress
		// carries no score, only a reopening's notice.
		v.Notice = a.Notice
	}
	for _, q := range a.Questions {
		v.Questions = append(v.Questions, questionView(q))
	}
	for no := 1; no <= len(a.Questions); no++ {
		if ans, ok := a.Answers[no]; ok {
			v.Answers = append(v.Answers, &v1.SavedAnswer{QuestionNo: int32(no), Value: &v1.AnswerValue{Choices: ans.Choices, Text: ans.Text}, Version: ans.Version})
		}
	}
	if s.attempts.ResultsReleased(a, e) {
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

func summaries(as []*biz.Attempt) *v1.ListAttemptsReply {
	out := &v1.ListAttemptsReply{}
	for _, a := range as {
		out.Attempts = append(out.Attempts, summary(a))
	}
	return out
}

// summary is the managers' view of an attempt.
func summary(a *biz.Attempt) *v1.AttemptSummary {
	sum := &v1.AttemptSummary{Id: a.ID, ExamId: a.ExamID, UserId: a.UserID, Number: int32(a.Number), Status: a.Status, Score: a.Score,
		MaxScore: a.MaxScore, FocusLosses: int32(a.FocusLosses), NeedsReview: a.NeedsReview(), Deadline: ts(a.Deadline)}
	if a.SubmittedAt != nil {
		sum.SubmittedAt = ts(*a.SubmittedAt)
	}
	return sum
}

// fileReply renders a use case's workbook as the .xlsx download the API returns.
func fileReply(book *sheet.Workbook) (*v1.FileReply, error) {
	content, err := xlsx.Bytes(*book)
	if err != nil {
		return nil, toAPIError(err)
	}
	return &v1.FileReply{FileName: book.FileName, ContentType: sheet.ContentTypeXLSX, Content: content}, nil
}
