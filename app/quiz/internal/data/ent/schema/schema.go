// Package schema is the quiz service's ent schema. JSON columns hold the biz value types
// directly (biz does not import data, so there is no cycle).
package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/vanguard/vanguard/app/quiz/internal/biz"
	spoolschema "github.com/vanguard/vanguard/pkg/audit/spool/schema"
	"github.com/vanguard/vanguard/pkg/entx"
	outboxschema "github.com/vanguard/vanguard/pkg/outbox/schema"
)

// Bank is a question bank owned by an org.
type Bank struct{ ent.Schema }

// Fields of the Bank.
func (Bank) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("org_id"),
		entx.Chars(field.String("org_path"), biz.MaxPath),
		entx.Chars(field.String("name"), biz.MaxBankName),
		field.Bool("exam_only").Default(false),
		field.Int64("created_by"),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Indexes of the Bank.
func (Bank) Indexes() []ent.Index { return []ent.Index{index.Fields("org_path")} }

// Question is the current version of a question in a bank, with its key.
type Question struct{ ent.Schema }

// Fields of the Question.
func (Question) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("bank_id"),
		field.Int("version").Default(1),
		field.Enum("type").Values("single", "multiple", "true_false", "fill_blank", "essay"),
		field.Text("stem_html"),
		field.JSON("options", []biz.Option{}).Optional(),
		field.JSON("answer_keys", []string{}).Optional(),
		field.JSON("blanks", [][]string{}).Optional(),
		field.Text("reference").Default("").Validate(entx.MaxChars(biz.MaxReference)),
		field.Text("explanation").Default(""),
		field.Int("difficulty").Default(0),
		field.JSON("tags", []string{}).Optional(),
		field.Float("points").Default(0),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
		// Set when a manager deletes the question: it leaves its bank, practice and new papers;
		// papers and attempts that hold it keep it.
		field.Time("archived_at").Optional().Nillable(),
	}
}

// Indexes of the Question.
func (Question) Indexes() []ent.Index { return []ent.Index{index.Fields("bank_id")} }

// Paper is a fixed list of questions or a set of random-draw rules.
type Paper struct{ ent.Schema }

// Fields of the Paper.
func (Paper) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		entx.Chars(field.String("org_path"), biz.MaxPath),
		entx.Chars(field.String("title"), biz.MaxTitle),
		field.JSON("items", []biz.PaperItem{}).Optional(),
		field.JSON("rules", []biz.PaperRule{}).Optional(),
		field.Int64("created_by"),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Indexes of the Paper.
func (Paper) Indexes() []ent.Index { return []ent.Index{index.Fields("org_path")} }

// Exam is a paper offered to target orgs in a window.
type Exam struct{ ent.Schema }

// Fields of the Exam.
func (Exam) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("paper_id"),
		entx.Chars(field.String("org_path"), biz.MaxPath),
		entx.Chars(field.String("title"), biz.MaxTitle),
		field.Time("opens_at"),
		field.Time("closes_at"),
		field.Int64("duration_seconds"),
		field.Int("attempts_allowed"),
		entx.Chars(field.String("grading_method"), biz.MaxEnumName),
		field.Float("pass_mark").Default(0),
		field.Bool("shuffle_questions").Default(false),
		field.Bool("shuffle_options").Default(false),
		entx.Chars(field.String("results_policy"), biz.MaxEnumName),
		field.Bool("partial_credit").Default(false),
		field.Float("credit_hours").Default(0),
		field.Int64("created_by"),
		field.Int("question_count").Default(0),
		field.Float("total_points").Default(0),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Indexes of the Exam.
func (Exam) Indexes() []ent.Index {
	return []ent.Index{index.Fields("paper_id"), index.Fields("org_path")}
}

// ExamTarget is one org an exam is offered to (with its subtree), or one member (user_id set,
// org fields empty).
type ExamTarget struct{ ent.Schema }

// Fields of the ExamTarget.
func (ExamTarget) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("exam_id"),
		field.Int64("org_id").Default(0),
		entx.Chars(field.String("org_path"), biz.MaxPath).Default(""),
		field.Int64("user_id").Default(0),
	}
}

// Indexes of the ExamTarget.
func (ExamTarget) Indexes() []ent.Index {
	return []ent.Index{index.Fields("exam_id", "org_id", "user_id").Unique(), index.Fields("org_path"), index.Fields("user_id")}
}

// Attempt is one member's go at an exam, with its frozen question snapshot and grades.
type Attempt struct{ ent.Schema }

// Fields of the Attempt.
func (Attempt) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("exam_id"),
		field.Int64("user_id"),
		entx.Chars(field.String("user_org_path"), biz.MaxPath),
		field.Int("number"),
		field.Enum("status").Values("in_progress", "submitted", "graded").Default("in_progress"),
		field.Time("started_at"),
		field.Time("deadline"),
		field.Time("submitted_at").Optional().Nillable(),
		field.JSON("questions", []biz.SnapQuestion{}).Optional(),
		// questions_hash is the hex SHA-256 of the questions JSON, written with it: reads find
		// an already decoded snapshot by it (attempts of one paper share it), "" on rows older
		// than the column.
		entx.Chars(field.String("questions_hash"), 64).Default(""),
		// grading_keys are the snapshot's keys alone (biz.GradingKeys), written with it: what a
		// grader reads. Empty on rows older than the column (the snapshot is read instead).
		field.JSON("grading_keys", []biz.GradingKey{}).Optional(),
		field.JSON("scores", []biz.QScore{}).Optional(),
		field.Float("score").Optional().Nillable(),
		field.Float("max_score").Default(0),
		field.Int("focus_losses").Default(0),
		field.Time("graded_at").Optional().Nillable(),
		entx.Chars(field.String("notice"), biz.MaxNotice).Default(""),
		// changed_at moves on every update of the row (grading, regrades, essay scores,
		// reopening): with the count of an exam's attempts it stamps what its statistics saw.
		field.Time("changed_at").Optional().Nillable().Default(time.Now).UpdateDefault(time.Now),
	}
}

// Indexes of the Attempt.
func (Attempt) Indexes() []ent.Index {
	// (status, id): graders claim the oldest submitted attempts in id order. (user_id, exam_id):
	// a member's exams (the growth file's results) without scanning every attempt.
	return []ent.Index{index.Fields("exam_id", "user_id", "number").Unique(), index.Fields("status", "deadline"),
		index.Fields("status", "id"), index.Fields("user_id", "exam_id")}
}

// Answer is a member's saved answer to one question of an attempt; version orders autosaves.
type Answer struct{ ent.Schema }

// Fields of the Answer.
func (Answer) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("attempt_id"),
		field.Int("question_no"),
		field.JSON("choices", []string{}).Optional(),
		field.Text("text").Default("").Validate(entx.MaxChars(biz.MaxAnswerText)),
		field.Int64("version"),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
	}
}

// Indexes of the Answer.
func (Answer) Indexes() []ent.Index {
	return []ent.Index{index.Fields("attempt_id", "question_no").Unique()}
}

// OutboxEvent and OutboxDelivery are pkg/outbox's tables: the events quiz produces
// (attempt.graded, question.changed) and their delivery to each subscriber.
type OutboxEvent struct{ outboxschema.Event }

// OutboxDelivery is the delivery state of one event for one subscriber.
type OutboxDelivery struct{ outboxschema.Delivery }

// AuditSpool is pkg/audit/spool's table: staff actions' entries for org's audit log (regrades),
// written in the action's transaction and kept until org confirms them.
type AuditSpool struct{ spoolschema.Spool }

// Regrade records one regrade of an exam after a key fix: who, why, how many attempts changed.
// (Its entry for org's audit log goes to AuditSpool. Databases created before the spool keep an
// unused, nullable pending_audit column: ent's migration does not drop columns.)
type Regrade struct{ ent.Schema }

// Fields of the Regrade.
func (Regrade) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("exam_id"),
		field.Int64("actor_id"),
		entx.Chars(field.String("actor_name"), biz.MaxUsername),
		entx.Chars(field.String("reason"), biz.MaxRegradeReason),
		field.Int("checked"),
		field.Int("changed"),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Indexes of the Regrade.
func (Regrade) Indexes() []ent.Index { return []ent.Index{index.Fields("exam_id")} }

// WrongAnswer is a member's wrong-answer book entry (错题本) for one question: practice mistakes
// and retries land here; exam mistakes are read from released attempts when the book is listed.
type WrongAnswer struct{ ent.Schema }

// Fields of the WrongAnswer.
func (WrongAnswer) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("user_id"),
		field.Int64("question_id"),
		field.Int("wrong_count").Default(0),
		field.Time("last_wrong_at").Optional().Nillable(),
		field.Bool("mastered").Default(false),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
	}
}

// Indexes of the WrongAnswer.
func (WrongAnswer) Indexes() []ent.Index {
	return []ent.Index{index.Fields("user_id", "question_id").Unique()}
}

// PracticeSession is one daily-practice draw (每日答题): the questions shown, with keys kept on
// the server for instant feedback. Practice never counts towards any score.
type PracticeSession struct{ ent.Schema }

// Fields of the PracticeSession.
func (PracticeSession) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("user_id"),
		field.JSON("questions", []biz.SnapQuestion{}),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Indexes of the PracticeSession.
func (PracticeSession) Indexes() []ent.Index { return []ent.Index{index.Fields("user_id")} }
