package outbox

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/vanguard/vanguard/api/events/v1"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/dbx"
	"github.com/vanguard/vanguard/pkg/outbox/schema"
)

// Event is one delivered event as a subscriber sees it.
type Event struct {
	Producer  string
	ID        int64
	Topic     string
	Version   int32
	Payload   []byte
	CreatedAt time.Time
}

// Decode unmarshals the payload into msg, which must be the type the topic declares.
func (e *Event) Decode(msg proto.Message) error {
	topic, _, err := Spec(msg)
	if err != nil {
		return err
	}
	if topic != e.Topic {
		return fmt.Errorf("outbox: event %s-%d is %s, not %s (%s)", e.Producer, e.ID, e.Topic, topic, messageName(msg))
	}
	return proto.Unmarshal(e.Payload, msg)
}

// Acker acknowledges applied events to their producer.
type Acker interface {
	Ack(ctx context.Context, subscriber string, eventIDs []int64) error
}

// AckClient is the generated gRPC client of a producer's Events service (every producer's
// api/<svc>/v1/events.proto declares the same AckEvents method).
type AckClient interface {
	AckEvents(ctx context.Context, in *eventsv1.AckEventsRequest, opts ...grpc.CallOption) (*eventsv1.AckEventsReply, error)
}

// GRPCAcker acknowledges over a producer's gRPC API; its connection must carry service
// credentials.
func GRPCAcker(c AckClient) Acker { return grpcAcker{c} }

type grpcAcker struct{ c AckClient }

func (a grpcAcker) Ack(ctx context.Context, subscriber string, ids []int64) error {
	_, err := a.c.AckEvents(ctx, &eventsv1.AckEventsRequest{Subscriber: subscriber, EventIds: ids})
	return err
}

// LocalAcker acknowledges directly on an outbox in the same process (tests, tools).
func LocalAcker(o *Outbox) Acker { return localAcker{o} }

type localAcker struct{ o *Outbox }

func (a localAcker) Ack(ctx context.Context, subscriber string, ids []int64) error {
	_, err := a.o.Ack(ctx, subscriber, ids)
	return err
}

// ApplyFunc applies one event inside the subscriber's transaction (ctx carries it). Returning an
// error rolls the effect back and the task is retried; wrap with asynq.SkipRetry for an event
// that can never apply.
type ApplyFunc func(ctx context.Context, e *Event) error

// Inbox is a subscriber's record of applied events, in its own database.
type Inbox struct {
	subscriber string
	db         DB
	clock      clock.Clock
	ackers     map[string]Acker
	apply      ApplyFunc
}

// NewInbox returns the inbox of subscriber: apply runs at most once per event, and each applied
// event is acknowledged through ackers[producer].
func NewInbox(subscriber string, db DB, ackers map[string]Acker, apply ApplyFunc, clk clock.Clock) (*Inbox, error) {
	if subscriber == "" || db.Conn == nil || db.InTx == nil || apply == nil {
		return nil, errors.New("outbox.NewInbox: subscriber, DB and apply are required")
	}
	if clk == nil {
		clk = clock.Real{}
	}
	return &Inbox{subscriber: subscriber, db: db, clock: clk, ackers: ackers, apply: apply}, nil
}

// Apply applies e unless this subscriber applied it before, recording it in the same
// transaction; it reports whether the effect ran now.
func (in *Inbox) Apply(ctx context.Context, e *Event) (bool, error) {
	applied := false
	err := in.db.InTx(ctx, func(ctx context.Context) error {
		c := in.db.Conn(ctx)
		// Claim the event first: a concurrent duplicate waits on the unique index and then
		// finds the row (or fails and is retried), so the effect never runs twice.
		q := dbx.Rebind(in.db.Dialect, "INSERT INTO "+schema.InboxTable+" (subscriber, producer, event_id, topic, applied_ms) VALUES (?, ?, ?, ?, ?) ON CONFLICT (subscriber, producer, event_id) DO NOTHING")
		res, err := c.ExecContext(ctx, q, in.subscriber, e.Producer, e.ID, e.Topic, in.clock.Now().UnixMilli())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // applied before
		}
		if err := in.apply(ctx, e); err != nil {
			return err
		}
		applied = true
		return nil
	})
	return applied, err
}

// ProcessTask implements asynq.Handler for the subscriber's "<subscriber>:event" tasks: decode,
// apply at most once, then acknowledge to the producer. A malformed envelope is skipped (no
// retry can fix it); a failed acknowledgement is retried (the effect is not repeated).
func (in *Inbox) ProcessTask(ctx context.Context, t *asynq.Task) error {
	var env eventsv1.Envelope
	if err := proto.Unmarshal(t.Payload(), &env); err != nil {
		return fmt.Errorf("decode event envelope: %v: %w", err, asynq.SkipRetry)
	}
	if env.GetProducer() == "" || env.GetId() <= 0 || env.GetTopic() == "" {
		return fmt.Errorf("event envelope lacks producer, id or topic: %w", asynq.SkipRetry)
	}
	e := &Event{Producer: env.GetProducer(), ID: env.GetId(), Topic: env.GetTopic(), Version: env.GetVersion(),
		Payload: env.GetPayload(), CreatedAt: time.UnixMilli(env.GetCreatedAtMs())}
	if _, err := in.Apply(ctx, e); err != nil {
		return fmt.Errorf("apply %s event %s-%d: %w", e.Topic, e.Producer, e.ID, err)
	}
	acker, ok := in.ackers[e.Producer]
	if !ok {
		return fmt.Errorf("no acknowledgement route to producer %q: %w", e.Producer, asynq.SkipRetry)
	}
	if err := acker.Ack(ctx, in.subscriber, []int64{e.ID}); err != nil {
		return fmt.Errorf("acknowledge %s-%d: %w", e.Producer, e.ID, err)
	}
	return nil
}

// PruneInbox deletes inbox rows older than keep (use twice the producers' retention: a
// producer never re-delivers an acknowledged event, and prunes it after its retention).
func (in *Inbox) PruneInbox(ctx context.Context, keep time.Duration) (int, error) {
	q := dbx.Rebind(in.db.Dialect, "DELETE FROM "+schema.InboxTable+" WHERE subscriber = ? AND applied_ms < ?")
	res, err := in.db.Conn(ctx).ExecContext(ctx, q, in.subscriber, in.clock.Now().Add(-keep).UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("outbox.PruneInbox: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
