// Package schema is the course service's ent schema.
package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/vanguard/vanguard/app/course/internal/biz"
	"github.com/vanguard/vanguard/pkg/entx"
	outboxschema "github.com/vanguard/vanguard/pkg/outbox/schema"
)

// Topic is an entry of the managed topic list (专题), e.g. 理论学习, 党史, 党纪法规.
type Topic struct{ ent.Schema }

// Fields of the Topic.
func (Topic) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		entx.Chars(field.String("name"), biz.MaxTopicName).Unique(),
		field.Int("position").Default(0),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Course is a course owned by a trainer and an org.
type Course struct{ ent.Schema }

// Fields of the Course.
func (Course) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		entx.Chars(field.String("title"), biz.MaxTitle),
		// Text columns hold any length; the validator keeps the API limit for every writer.
		field.Text("summary").Default("").Validate(entx.MaxChars(biz.MaxSummary)),
		entx.Chars(field.String("cover_url"), biz.MaxCoverURL).Default(""),
		field.Int64("topic_id").Default(0),
		field.Strings("tags").Optional(),
		field.Float("credit_hours").Default(0),
		field.Int64("owner_id"),
		field.Int64("org_id"),
		entx.Chars(field.String("org_path"), biz.MaxPath),
		field.Enum("status").Values("draft", "published", "archived").Default("draft"),
		field.Time("published_at").Optional().Nillable(),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
	}
}

// Indexes of the Course.
func (Course) Indexes() []ent.Index {
	return []ent.Index{index.Fields("org_path"), index.Fields("owner_id"), index.Fields("status")}
}

// Chapter is an ordered part of a course.
type Chapter struct{ ent.Schema }

// Fields of the Chapter.
func (Chapter) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("course_id"),
		entx.Chars(field.String("title"), biz.MaxTitle),
		field.Int("position"),
	}
}

// Indexes of the Chapter.
func (Chapter) Indexes() []ent.Index { return []ent.Index{index.Fields("course_id", "position")} }

// Lesson is an ordered item of a chapter: video, audio, document or article.
type Lesson struct{ ent.Schema }

// Fields of the Lesson.
func (Lesson) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("chapter_id"),
		field.Int64("course_id"),
		entx.Chars(field.String("title"), biz.MaxTitle),
		field.Enum("kind").Values("video", "audio", "document", "article"),
		field.Int("position"),
		field.Text("body_html").Default(""),
		field.Enum("media_status").Values("none", "processing", "ready", "failed").Default("none"),
		entx.Chars(field.String("media_error"), biz.MaxReason).Default(""),
		entx.Chars(field.String("media_key"), biz.MaxObjectKey).Default(""),
		entx.Chars(field.String("media_content_type"), biz.MaxContentType).Default(""),
		field.Int64("media_size").Default(0),
		field.Int64("duration_seconds").Default(0),
		field.Int("page_count").Default(0),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
	}
}

// Indexes of the Lesson.
func (Lesson) Indexes() []ent.Index {
	return []ent.Index{index.Fields("chapter_id", "position"), index.Fields("course_id"), index.Fields("media_status")}
}

// Upload is one multipart upload of a lesson's media. The database row is the truth: an upload
// still pending after it expired is aborted in the store by the reconciler.
type Upload struct{ ent.Schema }

// Fields of the Upload.
func (Upload) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("lesson_id"),
		field.Int64("created_by"),
		entx.Chars(field.String("object_key"), biz.MaxObjectKey),
		entx.Chars(field.String("store_upload_id"), biz.MaxObjectKey),
		entx.Chars(field.String("file_name"), biz.MaxFileName),
		field.Int64("size"),
		entx.Chars(field.String("declared_type"), biz.MaxContentType),
		field.Int64("part_size"),
		field.Int("part_count"),
		field.Enum("status").Values("pending", "completed", "aborted", "rejected").Default("pending"),
		entx.Chars(field.String("reason"), biz.MaxReason).Default(""),
		field.Time("expires_at"),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Indexes of the Upload.
func (Upload) Indexes() []ent.Index {
	return []ent.Index{index.Fields("status", "expires_at"), index.Fields("lesson_id")}
}

// MediaGarbage is a store object no row points at any more (its lesson was deleted or its media
// replaced), recorded in the same transaction and forgotten once the store has deleted it, so a
// failing store or a crash never leaves an object behind for good.
type MediaGarbage struct{ ent.Schema }

// Fields of the MediaGarbage.
func (MediaGarbage) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		entx.Chars(field.String("object_key"), biz.MaxObjectKey).Unique(),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Assignment assigns a course to an org and its subtree, as required or elective.
type Assignment struct{ ent.Schema }

// Fields of the Assignment.
func (Assignment) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("course_id"),
		field.Int64("org_id"),
		entx.Chars(field.String("org_path"), biz.MaxPath),
		field.Bool("required"),
		entx.Chars(field.String("due_date"), biz.MaxDate).Default(""),
		field.Int64("assigned_by"),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Indexes of the Assignment.
func (Assignment) Indexes() []ent.Index {
	return []ent.Index{index.Fields("course_id", "org_id").Unique(), index.Fields("org_path")}
}

// StudyPlan is an org's yearly plan for its theory study group (理论学习中心组).
type StudyPlan struct{ ent.Schema }

// Fields of the StudyPlan.
func (StudyPlan) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("org_id"),
		entx.Chars(field.String("org_path"), biz.MaxPath),
		field.Int("year"),
		entx.Chars(field.String("title"), biz.MaxTitle),
		field.Int64("created_by"),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Indexes of the StudyPlan.
func (StudyPlan) Indexes() []ent.Index {
	return []ent.Index{index.Fields("org_path", "year")}
}

// StudyPlanItem is one topic of a plan with its dates and courses.
type StudyPlanItem struct{ ent.Schema }

// Fields of the StudyPlanItem.
func (StudyPlanItem) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("plan_id"),
		entx.Chars(field.String("title"), biz.MaxTitle),
		field.Int64("topic_id").Default(0),
		entx.Chars(field.String("starts_on"), biz.MaxDate),
		entx.Chars(field.String("ends_on"), biz.MaxDate),
		field.JSON("course_ids", []int64{}),
	}
}

// Indexes of the StudyPlanItem.
func (StudyPlanItem) Indexes() []ent.Index {
	return []ent.Index{index.Fields("plan_id"), index.Fields("starts_on", "ends_on")}
}

// NewsPost is a news post (党建工作动态) an org publishes to its subtree.
type NewsPost struct{ ent.Schema }

// Fields of the NewsPost.
func (NewsPost) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("org_id"),
		entx.Chars(field.String("org_path"), biz.MaxPath),
		entx.Chars(field.String("org_name"), biz.MaxOrgName).Default(""),
		entx.Chars(field.String("title"), biz.MaxTitle),
		entx.Chars(field.String("cover_url"), biz.MaxCoverURL).Default(""),
		field.Text("body_html").Validate(entx.MaxChars(biz.MaxBody)),
		entx.Chars(field.String("excerpt"), biz.MaxExcerpt).Default(""),
		field.Bool("pinned").Default(false),
		// publish_at is stored in UTC, whole seconds, so SQLite's text comparison orders it.
		field.Time("publish_at"),
		field.Int64("created_by"),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
	}
}

// Indexes of the NewsPost: the members' feed reads by org path in feed order.
func (NewsPost) Indexes() []ent.Index {
	return []ent.Index{index.Fields("org_path", "pinned", "publish_at", "id")}
}

// OutboxEvent and OutboxDelivery are pkg/outbox's tables: the events course produces
// (course.*, assignment.changed, lesson.media_ready) and their delivery to each subscriber.
type OutboxEvent struct{ outboxschema.Event }

// OutboxDelivery is the delivery state of one event for one subscriber.
type OutboxDelivery struct{ outboxschema.Delivery }
