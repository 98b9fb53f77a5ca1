// Package service adapts the quiz use cases to the generated gRPC/HTTP interfaces and runs the
// quiz service's Asynq task handlers. Member-facing conversions never copy answer keys,
// explanations or per-question correctness unless the results are released.
package service

import (
	"fmt"
	"github.com/go-kratos/kratos/v2/log"
	"time"

	kerrors "github.com/go-kratos/kratos/v2/errors"

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
	apierr.Is(biz.ErrBankNotEmpty, v1.ErrorConflict, "题库中还有试题，不能删除"),
	apierr.Is(biz.ErrPaperInUse, v1.ErrorConflict, "试卷已被考试使用，不能再更换题目或删除"),
)

// toAPIError maps a use case's error to the API's error (nil stays nil).
func toAPIError(err error) error { return apiErrors.Translate(err) }

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// QuizService implements v1.QuizServer, one file per resource: banks.go (banks, questions,
// import and export), exams.go (papers, exams), attempts.go (taking exams, essay review),
// practice.go, stats.go (statistics and regrades); conversions are in convert.go.
type QuizService struct {
	v1.UnimplementedQuizServer
	authoring *biz.AuthoringUsecase
	attempts  *biz.AttemptUsecase
	practice  *biz.PracticeUsecase
	stats     *biz.StatsUsecase
	regrade   *biz.RegradeUsecase
	log       *log.Helper
}

// NewQuizService wires a QuizService.
func NewQuizService(q *biz.Quiz, logger log.Logger) *QuizService {
	return &QuizService{authoring: q.Authoring, attempts: q.Attempts, practice: q.Practice, stats: q.Stats, regrade: q.Regrade,
		log: log.NewHelper(log.With(logger, "module", "quiz"))}
}

func parseTime(field, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, biz.Invalid(field, "时间格式应为 RFC 3339，如 2026-12-01T09:00:00+08:00")
	}
	return t, nil
}
