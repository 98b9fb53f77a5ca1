// Package schema holds the ent schemas of the outbox tables. Every service that produces or
// consumes events embeds them in its own ent schema package, so its one migration creates them:
//
//	type OutboxEvent struct{ schema.Event }
//	type OutboxDelivery struct{ schema.Delivery }
//	type OutboxInbox struct{ schema.Inbox }
//
// pkg/outbox reads and writes these tables with plain SQL through the service's ent client, so
// the repository is written once for every service. Times are Unix milliseconds (UTC), which
// compare the same way on SQLite and PostgreSQL.
package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/vanguard/vanguard/pkg/entx"
)

// Table names, used by pkg/outbox's SQL.
const (
	EventsTable     = "outbox_events"
	DeliveriesTable = "outbox_deliveries"
	InboxTable      = "outbox_inbox"
)

// Event is one event a service produced, written in the same transaction as the change it
// announces.
type Event struct{ ent.Schema }

// Fields of the Event.
func (Event) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		entx.Chars(field.String("topic"), 128),
		field.Int32("version"),
		// payload is the topic's message from api/<svc>/v1/events.proto, protobuf-encoded.
		field.Bytes("payload"),
		field.Int64("created_ms"),
		// traceparent is the W3C trace context of the request or task that wrote the event
		// ("" outside one): the subscriber's task continues that trace.
		entx.Chars(field.String("traceparent"), 64).Default(""),
		// fanned_out_ms is set once a delivery row exists for every subscriber of the topic.
		field.Int64("fanned_out_ms").Optional().Nillable(),
	}
}

// Indexes of the Event.
func (Event) Indexes() []ent.Index {
	return []ent.Index{index.Fields("fanned_out_ms"), index.Fields("created_ms")}
}

// Annotations of the Event.
func (Event) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: EventsTable}}
}

// Delivery is the state of one event for one subscriber: relayed (handed to the subscriber's
// queue) and acknowledged (applied and committed by the subscriber).
type Delivery struct{ ent.Schema }

// Fields of the Delivery.
func (Delivery) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("event_id"),
		entx.Chars(field.String("subscriber"), 64),
		// relays counts how often the event was handed to the subscriber's queue.
		field.Int32("relays").Default(0),
		field.Int64("relayed_ms").Optional().Nillable(),
		field.Int64("acked_ms").Optional().Nillable(),
	}
}

// Indexes of the Delivery.
func (Delivery) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("event_id", "subscriber").Unique(),
		index.Fields("acked_ms", "relayed_ms"),
	}
}

// Annotations of the Delivery.
func (Delivery) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: DeliveriesTable}}
}

// Inbox records, in a subscriber's own database, which events it has applied: the row is
// written in the same transaction as the effect, so an event is applied at most once.
type Inbox struct{ ent.Schema }

// Fields of the Inbox.
func (Inbox) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		entx.Chars(field.String("subscriber"), 64),
		entx.Chars(field.String("producer"), 64),
		field.Int64("event_id"),
		entx.Chars(field.String("topic"), 128),
		field.Int64("applied_ms"),
	}
}

// Indexes of the Inbox.
func (Inbox) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("subscriber", "producer", "event_id").Unique(),
		index.Fields("applied_ms"),
	}
}

// Annotations of the Inbox.
func (Inbox) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: InboxTable}}
}
