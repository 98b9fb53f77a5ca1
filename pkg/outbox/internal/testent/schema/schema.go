// Package schema is the test schema of pkg/outbox.
package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"

	outboxschema "github.com/vanguard/vanguard/pkg/outbox/schema"
)

// OutboxEvent is the shared events table.
type OutboxEvent struct{ outboxschema.Event }

// OutboxDelivery is the shared deliveries table.
type OutboxDelivery struct{ outboxschema.Delivery }

// OutboxInbox is the shared inbox table.
type OutboxInbox struct{ outboxschema.Inbox }

// Effect is one application of an event by a subscriber (no unique index: a duplicate shows).
type Effect struct{ ent.Schema }

// Fields of the Effect.
func (Effect) Fields() []ent.Field {
	return []ent.Field{
		field.String("subscriber"),
		field.String("producer"),
		field.Int64("event_id"),
	}
}
