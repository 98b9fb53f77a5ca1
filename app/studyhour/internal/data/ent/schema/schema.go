// Package schema is the studyhour service's ent schema. JSON columns hold the biz value types
// directly (biz does not import data, so there is no cycle).
package schema

import (
	"github.com/vanguard/vanguard/pkg/attach/attachschema"
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/vanguard/vanguard/app/studyhour/internal/biz"
	"github.com/vanguard/vanguard/pkg/entx"
	outboxschema "github.com/vanguard/vanguard/pkg/outbox/schema"
)

// StudySession is one member's session on one lesson: the reference point (server time,
// position, heartbeat number) the next heartbeat is judged against.
type StudySession struct{ ent.Schema }

// Fields of the StudySession.
func (StudySession) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("member_id"),
		field.Int64("lesson_id"),
		field.Int64("course_id"),
		field.Time("started_at").Immutable(),
		field.Time("last_at"),
		field.Float("last_position"),
		field.Int64("last_seq").Default(0),
		field.Int64("credited_ms").Default(0),
		field.Time("ended_at").Optional().Nillable(),
	}
}

// Indexes of the StudySession.
func (StudySession) Indexes() []ent.Index { return []ent.Index{index.Fields("member_id")} }

// LessonProgress is what a member earned on a lesson across sessions: merged watched spans,
// credited time, and how much of it is in the ledger (whole seconds).
type LessonProgress struct{ ent.Schema }

// Fields of the LessonProgress.
func (LessonProgress) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("member_id"),
		field.Int64("lesson_id"),
		field.Int64("course_id"),
		entx.Chars(field.String("kind"), 16),
		field.Float("duration"),
		field.Int("page_count").Default(0),
		field.JSON("watched", biz.Spans{}),
		field.JSON("pages", biz.Spans{}),
		field.Int64("credited_ms").Default(0),
		field.Int64("ledgered_sec").Default(0),
		field.Float("position").Default(0),
		field.Time("completed_at").Optional().Nillable(),
		field.Time("updated_at"),
	}
}

// Indexes of the LessonProgress.
func (LessonProgress) Indexes() []ent.Index {
	return []ent.Index{index.Fields("member_id", "lesson_id").Unique()}
}

// MemberState is one row per member, locked by every credit: the head of the member's ledger
// chain with its anchor, the session that currently earns, and today's lesson credit.
type MemberState struct{ ent.Schema }

// Fields of the MemberState.
func (MemberState) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("member_id").Unique().Immutable(),
		field.Int64("head_seq").Default(0),
		field.Bytes("head_hash").Optional(),
		field.Bytes("anchor").Optional(),
		field.Int64("active_session_id").Default(0),
		field.Time("active_until").Optional().Nillable(),
		entx.Chars(field.String("day"), 10).Default(""),
		field.Int64("day_credited_ms").Default(0),
		// year_seconds: the credit of the latest calendar year the member was credited in (year),
		// kept with the chain head so the org report reads one row per member.
		field.Int("year").Default(0),
		field.Int64("year_seconds").Default(0),
	}
}

// LedgerEntry is an immutable ledger line (biz.Entry); (member_id, seq) is unique, so two
// concurrent credits can never fork a member's chain.
type LedgerEntry struct{ ent.Schema }

// Fields of the LedgerEntry.
func (LedgerEntry) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("member_id").Immutable(),
		field.Int64("seq").Immutable(),
		entx.Chars(field.String("source"), 16).Immutable(),
		field.Int64("seconds").Immutable(),
		entx.Chars(field.String("day"), 10).Immutable(),
		entx.Chars(field.String("ref"), 200).Immutable(),
		field.Int64("approved_by").Default(0).Immutable(),
		// recorded_us: Unix microseconds, the precision the entry's digest covers.
		field.Int64("recorded_us").Immutable(),
		field.Bytes("prev_hash").Optional().Immutable(),
		field.Bytes("hash").Immutable(),
	}
}

// Indexes of the LedgerEntry.
func (LedgerEntry) Indexes() []ent.Index {
	return []ent.Index{index.Fields("member_id", "seq").Unique()}
}

// HoursMonth sums a member's ledger by year, month and source, updated in each credit's
// transaction, so summaries and org reports never scan the ledger.
type HoursMonth struct{ ent.Schema }

// Fields of the HoursMonth.
func (HoursMonth) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("member_id"),
		field.Int("year"),
		field.Int("month"),
		entx.Chars(field.String("source"), 16),
		field.Int64("seconds").Default(0),
	}
}

// Indexes of the HoursMonth.
func (HoursMonth) Indexes() []ent.Index {
	return []ent.Index{index.Fields("member_id", "year", "month", "source").Unique()}
}

// RefusalCount counts a member's refused heartbeats by reason.
type RefusalCount struct{ ent.Schema }

// Fields of the RefusalCount.
func (RefusalCount) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("member_id"),
		entx.Chars(field.String("reason"), 16),
		field.Int64("count").Default(0),
		field.Time("last_at").Default(time.Now),
	}
}

// Indexes of the RefusalCount.
func (RefusalCount) Indexes() []ent.Index {
	return []ent.Index{index.Fields("member_id", "reason").Unique()}
}

// ExamAttempt is the latest grading of one exam attempt as quiz announced it.
type ExamAttempt struct{ ent.Schema }

// Fields of the ExamAttempt.
func (ExamAttempt) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("attempt_id").Unique(),
		field.Int64("exam_id"),
		field.Int64("member_id"),
		field.Bool("passed"),
		field.Int64("graded_ms"),
	}
}

// Indexes of the ExamAttempt.
func (ExamAttempt) Indexes() []ent.Index {
	return []ent.Index{index.Fields("member_id", "exam_id")}
}

// ExamCredit is what an exam currently credits a member (net of reversals): at most once.
type ExamCredit struct{ ent.Schema }

// Fields of the ExamCredit.
func (ExamCredit) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("member_id"),
		field.Int64("exam_id"),
		field.Int64("seconds").Default(0),
	}
}

// Indexes of the ExamCredit.
func (ExamCredit) Indexes() []ent.Index {
	return []ent.Index{index.Fields("member_id", "exam_id").Unique()}
}

// Meeting is a recorded meeting of an org (三会一课, 主题党日, 理论学习中心组学习).
type Meeting struct{ ent.Schema }

// Fields of the Meeting.
func (Meeting) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("org_id"),
		entx.Chars(field.String("org_path"), 512),
		entx.Chars(field.String("kind"), 32),
		entx.Chars(field.String("topic"), 200),
		field.Time("starts_at"),
		field.Time("ends_at"),
		field.Float("hours"),
		entx.Chars(field.String("host"), 50).Default(""),
		entx.Chars(field.String("checkin_code"), 64).Sensitive(),
		field.Int64("created_by"),
		field.Time("created_at"),
		// The study plan item (course) a study-group session follows: 0 for none.
		field.Int64("plan_item_id").Default(0),
		entx.Chars(field.String("plan_item_title"), 100).Default(""),
		// The session's upward report (一学一报).
		field.Time("reported_at").Optional().Nillable(),
		field.Int64("reported_by").Default(0),
		field.Text("report_summary").Default("").Validate(entx.MaxChars(2000)),
	}
}

// Indexes of the Meeting.
func (Meeting) Indexes() []ent.Index {
	return []ent.Index{index.Fields("org_path", "starts_at")}
}

// Attendance is one member's attendance of a meeting, with what it credited (net).
type Attendance struct{ ent.Schema }

// Fields of the Attendance.
func (Attendance) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("meeting_id"),
		field.Int64("member_id"),
		entx.Chars(field.String("status"), 16),
		entx.Chars(field.String("reason"), 200).Default(""),
		entx.Chars(field.String("method"), 16),
		field.Time("checked_in_at").Optional().Nillable(),
		field.Int64("credited_seconds").Default(0),
		field.Int64("recorded_by").Default(0),
	}
}

// Indexes of the Attendance.
func (Attendance) Indexes() []ent.Index {
	return []ent.Index{index.Fields("meeting_id", "member_id").Unique(), index.Fields("member_id")}
}

// OfflineRecord is a member's offline study filed for approval by the staff of the member's org.
type OfflineRecord struct{ ent.Schema }

// Fields of the OfflineRecord.
func (OfflineRecord) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("member_id"),
		entx.Chars(field.String("org_path"), 512),
		entx.Chars(field.String("title"), 200),
		entx.Chars(field.String("description"), 2000).Default(""),
		field.Float("hours"),
		entx.Chars(field.String("day"), 10),
		entx.Chars(field.String("status"), 16),
		field.Int64("reviewer_id").Default(0),
		entx.Chars(field.String("review_reason"), 500).Default(""),
		field.Time("reviewed_at").Optional().Nillable(),
		field.Time("created_at"),
	}
}

// Indexes of the OfflineRecord.
func (OfflineRecord) Indexes() []ent.Index {
	return []ent.Index{index.Fields("member_id"), index.Fields("org_path", "status")}
}

// Backfill is the progress of reading what a producer did before studyhour existed (graded
// attempts from quiz): a cursor, and done once it reached the end.
type Backfill struct{ ent.Schema }

// Fields of the Backfill.
func (Backfill) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		entx.Chars(field.String("name"), 64).Unique(),
		field.Int64("after_a").Default(0),
		field.Int64("after_b").Default(0),
		field.Bool("done").Default(false),
	}
}

// OutboxEvent and OutboxDelivery are pkg/outbox's tables: the events studyhour produces
// (hours.credited, lesson.completed) and their delivery to each subscriber.
type OutboxEvent struct{ outboxschema.Event }

// OutboxDelivery is the delivery state of one event for one subscriber.
type OutboxDelivery struct{ outboxschema.Delivery }

// Inbox is pkg/outbox's record of the events studyhour applied (attempt.graded).
type Inbox struct{ outboxschema.Inbox }

// StudyReport is an attendee's study report (学习心得) on a theory-study-group session: filed
// again until accepted, reviewed by staff of the session's org.
type StudyReport struct{ ent.Schema }

// Fields of the StudyReport.
func (StudyReport) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("meeting_id"),
		field.Int64("member_id"),
		entx.Chars(field.String("org_path"), 512),
		field.Text("content").Validate(entx.MaxChars(biz.MaxReportRunes)),
		entx.Chars(field.String("status"), 16),
		field.Int64("reviewer_id").Default(0),
		entx.Chars(field.String("review_comment"), 500).Default(""),
		field.Time("reviewed_at").Optional().Nillable(),
		field.Time("submitted_at"),
		field.Time("updated_at"),
	}
}

// Indexes of the StudyReport.
func (StudyReport) Indexes() []ent.Index {
	return []ent.Index{index.Fields("meeting_id", "member_id").Unique(), index.Fields("member_id")}
}

// Note is a member's note on a lesson or a study plan item (党员学习笔记本), private unless shared
// with the member's branch.
type Note struct{ ent.Schema }

// Fields of the Note.
func (Note) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("member_id"),
		entx.Chars(field.String("author_name"), 64).Default(""),
		entx.Chars(field.String("org_path"), 512),
		field.Int64("lesson_id").Default(0),
		field.Int64("plan_item_id").Default(0),
		field.Text("content").Validate(entx.MaxChars(biz.MaxNoteRunes)),
		field.Bool("shared").Default(false),
		field.Time("created_at"),
		field.Time("updated_at"),
	}
}

// Indexes of the Note.
func (Note) Indexes() []ent.Index {
	return []ent.Index{index.Fields("member_id", "updated_at"), index.Fields("org_path", "shared", "updated_at")}
}

// OrgRule is a value an org set for its subtree (a yearly hours target, a meeting frequency);
// the strictest along a path is in force.
type OrgRule struct{ ent.Schema }

// Fields of the OrgRule.
func (OrgRule) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("org_id"),
		entx.Chars(field.String("org_path"), 512),
		entx.Chars(field.String("key"), 64),
		field.Int64("value"),
		field.Int64("set_by"),
		field.Time("set_at"),
	}
}

// Indexes of the OrgRule.
func (OrgRule) Indexes() []ent.Index {
	return []ent.Index{index.Fields("org_path", "key").Unique()}
}

// Attachment is a file in the blob store: a meeting's minutes, or the evidence of an offline
// study record (ref_id 0 until the record is filed).
type Attachment struct{ ent.Schema }

// Mixin of the Attachment: pkg/attach's columns.
func (Attachment) Mixin() []ent.Mixin { return []ent.Mixin{attachschema.Mixin{}} }
