package biz

// Text limits of the quiz service, in characters (runes), never bytes: 100 allows 100 Chinese
// characters. Each limit a request can reach is declared with the same number as a
// buf.validate max_len rule in api/quiz/v1/quiz.proto (protovalidate counts characters too);
// the ent schema sizes its columns and validators from these constants (pkg/entx), and the
// standalone text-limit walk sends limit-long Chinese text through every endpoint to keep them
// in step.
const (
	MaxBankName      = 100
	MaxTitle         = 100 // paper and exam titles
	MaxReference     = 20000
	MaxAnswerText    = 20000
	MaxRegradeReason = 500
	// MaxCreditHours caps the study hours an exam credits.
	MaxCreditHours = 100

	// Stored only, never entered.
	MaxPath     = 512 // materialised org path, e.g. /1/4/9/
	MaxUsername = 64  // the org service's username, recorded as the actor of a regrade
	MaxEnumName = 16  // grading method and results policy names
	MaxNotice   = 512
)
