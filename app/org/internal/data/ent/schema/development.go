package schema

import (
	"github.com/vanguard/vanguard/pkg/attach/attachschema"
	outboxschema "github.com/vanguard/vanguard/pkg/outbox/schema"
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/vanguard/vanguard/app/org/internal/biz"
	"github.com/vanguard/vanguard/pkg/entx"
)

// DevStep is one recorded step of a member's development. A step is recorded once per member
// (seq 2 is the second meeting on full membership after an extended probation); the unique
// index makes a concurrent second recording fail rather than duplicate.
type DevStep struct {
	ent.Schema
}

// Fields of the DevStep.
func (DevStep) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("member_id"),
		entx.Chars(field.String("code"), biz.MaxStepCode),
		field.Int("seq").Default(1),
		entx.Chars(field.String("date"), biz.MaxDate),
		field.Int64("org_id"),
		entx.Chars(field.String("org_path"), biz.MaxPath),
		field.JSON("people", []int64{}).Optional(),
		field.Float("training_hours").Default(0),
		field.Int("training_days").Default(0),
		field.Int("votes_entitled").Default(0),
		field.Int("votes_present").Default(0),
		field.Int("votes_in_favour").Default(0),
		entx.Chars(field.String("outcome"), biz.MaxStepCode).Default(""),
		field.Int("extension_months").Default(0),
		entx.Chars(field.Text("conclusion"), biz.MaxStepText).Default(""),
		entx.Chars(field.Text("note"), biz.MaxStepText).Default(""),
		field.JSON("warnings", []biz.RuleCheck{}).Optional(),
		field.JSON("overridden", []biz.RuleCheck{}).Optional(),
		entx.Chars(field.String("override_reason"), biz.MaxOverrideReason).Default(""),
		field.Int64("recorded_by"),
		field.Time("recorded_at").Default(time.Now).Immutable(),
	}
}

// Indexes of the DevStep.
func (DevStep) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("member_id", "code", "seq").Unique(),
		// The guidance plan counts a year's admission votes in a subtree.
		index.Fields("code", "date"),
	}
}

// DevSummary is where a member's development stands (next step, earliest date, deadline), one
// row per member, rewritten with each step and when rules or the calendar change, so a subtree's
// worklist is one indexed range query. Dates are YYYY-MM-DD ("" none), which sort as text.
type DevSummary struct {
	ent.Schema
}

// Fields of the DevSummary.
func (DevSummary) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id").Comment("the member's account id"),
		field.Int64("org_id"),
		entx.Chars(field.String("org_path"), biz.MaxPath),
		field.Enum("status").Values("none", "active", "completed", "cancelled"),
		entx.Chars(field.String("stage"), biz.MaxStepCode),
		entx.Chars(field.String("next_code"), biz.MaxStepCode).Default(""),
		field.Int("next_seq").Default(0),
		entx.Chars(field.String("earliest"), biz.MaxDate).Default(""),
		entx.Chars(field.String("deadline"), biz.MaxDate).Default(""),
		// due_key orders the worklist: the deadline, else the earliest date.
		entx.Chars(field.String("due_key"), biz.MaxDate).Default(""),
		entx.Chars(field.String("probation_ends"), biz.MaxDate).Default(""),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
	}
}

// Indexes of the DevSummary.
func (DevSummary) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("status", "org_path"),
		index.Fields("status", "due_key"),
	}
}

// DevRule is a development timing rule an org set for its subtree (stricter than above).
type DevRule struct {
	ent.Schema
}

// Fields of the DevRule.
func (DevRule) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("org_id"),
		entx.Chars(field.String("org_path"), biz.MaxPath),
		entx.Chars(field.String("key"), biz.MaxRuleKey),
		field.Int("value"),
		field.Int64("set_by"),
		field.Time("set_at").Default(time.Now).UpdateDefault(time.Now),
	}
}

// Indexes of the DevRule.
func (DevRule) Indexes() []ent.Index {
	return []ent.Index{index.Fields("org_path", "key").Unique()}
}

// Holiday is a day of the national holiday calendar: a public holiday, or a make-up working day
// (调休) on a weekend.
type Holiday struct {
	ent.Schema
}

// Fields of the Holiday.
func (Holiday) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		entx.Chars(field.String("date"), biz.MaxDate).Unique(),
		field.Int("year"),
		field.Bool("workday").Default(false),
		entx.Chars(field.String("name"), biz.MaxHolidayName).Default(""),
	}
}

// Indexes of the Holiday.
func (Holiday) Indexes() []ent.Index {
	return []ent.Index{index.Fields("year")}
}

// DevPlan is an org's annual development guidance plan (发展党员指导性计划): the number of new
// members it may admit in a year, set by the committee above it.
type DevPlan struct {
	ent.Schema
}

// Fields of the DevPlan.
func (DevPlan) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("org_id"),
		entx.Chars(field.String("org_path"), biz.MaxPath),
		field.Int("year"),
		field.Int("quota"),
		field.Int64("set_by"),
		field.Time("set_at").Default(time.Now).UpdateDefault(time.Now),
	}
}

// Indexes of the DevPlan.
func (DevPlan) Indexes() []ent.Index {
	return []ent.Index{index.Fields("org_id", "year").Unique(), index.Fields("year", "org_path")}
}

// Transfer is a move of a member's membership between orgs (组织关系转接). pending_member holds
// the member's id while the transfer waits and is cleared when it is decided: its unique index
// allows one pending transfer per member, whoever starts it at the same moment.
type Transfer struct {
	ent.Schema
}

// Fields of the Transfer.
func (Transfer) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("member_id"),
		field.Int64("pending_member").Optional().Nillable().Unique(),
		field.Int64("from_org_id"),
		entx.Chars(field.String("from_path"), biz.MaxPath),
		field.Int64("to_org_id"),
		entx.Chars(field.String("to_path"), biz.MaxPath),
		field.Enum("status").Values("pending", "accepted", "rejected", "cancelled"),
		entx.Chars(field.String("note"), biz.MaxTransferNote).Default(""),
		field.Int64("started_by"),
		field.Time("started_at"),
		field.Int64("decided_by").Default(0),
		field.Time("decided_at").Optional().Nillable(),
		entx.Chars(field.String("decision_note"), biz.MaxTransferNote).Default(""),
	}
}

// Indexes of the Transfer.
func (Transfer) Indexes() []ent.Index {
	return []ent.Index{index.Fields("from_path"), index.Fields("to_path"), index.Fields("member_id")}
}

// Attachment is a paper of a development step in the blob store (pkg/attach's columns; ref_id
// is the step).
type Attachment struct{ ent.Schema }

// Mixin of the Attachment.
func (Attachment) Mixin() []ent.Mixin { return []ent.Mixin{attachschema.Mixin{}} }

// OutboxEvent and OutboxDelivery are pkg/outbox's tables: the events org produces
// (development.step_recorded, member.transferred) and their delivery to each subscriber.
type OutboxEvent struct{ outboxschema.Event }

// OutboxDelivery is the delivery state of one event for one subscriber.
type OutboxDelivery struct{ outboxschema.Delivery }
