// Package schema holds the search service's ent schemas: what the index should hold, and the
// work that keeps it so. The index itself (Bleve or Meilisearch) is rebuilt from the owners'
// APIs at any time; these tables say what is pending.
package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/vanguard/vanguard/pkg/entx"
	outboxschema "github.com/vanguard/vanguard/pkg/outbox/schema"
)

// Inbox is pkg/outbox's record of the events search applied.
type Inbox struct{ outboxschema.Inbox }

// SyncMark says an owner's item (course:7, news:3, question:9) must be read again and its
// documents written to the index at due_at. Each event bumps gen; a sync clears the row only if
// gen did not move meanwhile. claimed_until serialises the syncs of one item.
type SyncMark struct{ ent.Schema }

// Fields of the SyncMark.
func (SyncMark) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		entx.Chars(field.String("item"), 64).Unique(),
		field.Int64("gen"),
		field.Time("due_at"),
		entx.Chars(field.String("trigger"), 64),
		field.Time("claimed_until").Optional().Nillable(),
	}
}

// Indexes of the SyncMark.
func (SyncMark) Indexes() []ent.Index {
	return []ent.Index{index.Fields("due_at")}
}

// IndexEntry is what the index holds of an item: its documents' ids (a course and its lessons),
// so a sync removes the documents an item no longer has.
type IndexEntry struct{ ent.Schema }

// Fields of the IndexEntry.
func (IndexEntry) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		entx.Chars(field.String("item"), 64).Unique(),
		field.JSON("docs", []string{}),
		field.Time("synced_at"),
	}
}

// Indexes of the IndexEntry.
func (IndexEntry) Indexes() []ent.Index {
	return []ent.Index{index.Fields("synced_at")}
}

// IndexState is the one row (id 1) naming the live index generation and the reindex's state:
// idle, requested or running (with a heartbeat, so a crashed run is taken over).
type IndexState struct{ ent.Schema }

// Fields of the IndexState.
func (IndexState) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("generation").Default(0),
		entx.Chars(field.String("reindex"), 16).Default("idle"),
		field.Time("requested_at").Optional().Nillable(),
		field.Time("heartbeat_at").Optional().Nillable(),
		field.Time("reindexed_at").Optional().Nillable(),
		field.Int("documents").Default(0),
	}
}
