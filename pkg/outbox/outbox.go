// Package outbox delivers domain events from the service that produced them to every service
// that subscribes to them, at least once to each subscriber and applied at most once by each:
// exactly once in effect, across crashes and lost queues.
//
// The mechanism, end to end:
//
//  1. The producer writes the event (a message of api/<svc>/v1/events.proto) with Outbox.Add in
//     the same database transaction as the change it announces. After the commit, Add nudges the
//     relay of its process.
//  2. The relay fans the event out: one delivery row per subscriber of its topic (Routes), in the
//     producer's database. Then it enqueues one Asynq task per delivery on the subscriber's
//     queue, with the task id "<subscriber>:<producer>-<event id>", so relaying twice is a
//     no-op. It drains in batches until nothing is due.
//  3. The subscriber's handler (Handler) applies the event and records it in its own inbox table
//     in one transaction (a second delivery finds the inbox row and skips the effect), then
//     acknowledges it to the producer over the producer's gRPC API (AckEvents, service
//     credentials only). A failed acknowledgement fails the task, and Asynq retries it.
//  4. Only the acknowledgement marks a delivery done. Enqueueing is never the acknowledgement:
//     a delivery relayed but not acknowledged within RedeliverAfter is enqueued again (after a
//     crash, a restart of the embedded Redis, a flushed queue). While the task still exists the
//     re-enqueue is a task-id conflict, i.e. free.
//  5. Events whose every delivery is acknowledged are kept for Retention (re-delivery, audit),
//     then pruned; inbox rows are kept for twice that.
//
// The reconciler pass of each service calls Outbox.Drain as the safety net after a crash between
// commit and relay.
package outbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/propagation"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	eventsv1 "github.com/vanguard/vanguard/api/events/v1"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/dbx"
	"github.com/vanguard/vanguard/pkg/obs"
	"github.com/vanguard/vanguard/pkg/outbox/schema"
)

// Conn runs SQL; a service's ent client (bound to the transaction in the context, if any)
// satisfies it with the sql/execquery feature.
type Conn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// DB is how the outbox reaches a service's database.
type DB struct {
	// Conn returns the connection to use in ctx: the transaction ctx carries, or the client.
	Conn func(ctx context.Context) Conn
	// InTx runs fn in a transaction carried by ctx (dbx.InTx on the service's client).
	InTx func(ctx context.Context, fn func(ctx context.Context) error) error
	// Dialect is "sqlite" or "postgres" (ent's dialect names).
	Dialect string
}

// FromEnt reaches a service's database through its shared ent plumbing (dbx.Ent): the client of
// the transaction the context carries, that transaction helper, and its dialect.
func FromEnt[C Conn, T dbx.Tx](e *dbx.Ent[C, T]) DB {
	return DB{Conn: func(ctx context.Context) Conn { return e.Client(ctx) }, InTx: e.InTx, Dialect: e.Dialect()}
}

// Subscriber is a service that applies events, and the Asynq queue its worker reads.
type Subscriber struct {
	Name  string
	Queue string
}

// Routes maps a topic to the subscribers that receive it.
type Routes map[string][]Subscriber

// Enqueuer puts tasks on Asynq queues; a task-id conflict must count as success
// (queue.Client does this).
type Enqueuer interface {
	Enqueue(ctx context.Context, task *asynq.Task, opts ...asynq.Option) error
}

// Config tunes the relay; zero values take the defaults.
type Config struct {
	// BatchSize is how many events or deliveries one relay step reads (default 500).
	BatchSize int
	// RedeliverAfter is how long a relayed delivery may stay unacknowledged before it is
	// enqueued again (default 2 minutes).
	RedeliverAfter time.Duration
	// Retention is how long fully acknowledged events are kept (default 7 days).
	Retention time.Duration
	// Concurrency is how many enqueues run at once while draining (default 32: each is a
	// Redis round trip, so the relay is latency-bound, not CPU-bound).
	Concurrency int
	// SweepInterval is how often the relay looks for due re-deliveries and prunes without a
	// nudge (default 30 s).
	SweepInterval time.Duration
}

func (c *Config) defaults() {
	if c.BatchSize <= 0 {
		c.BatchSize = 500
	}
	if c.RedeliverAfter <= 0 {
		c.RedeliverAfter = 2 * time.Minute
	}
	if c.Retention <= 0 {
		c.Retention = 7 * 24 * time.Hour
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 32
	}
	if c.SweepInterval <= 0 {
		c.SweepInterval = 30 * time.Second
	}
}

// Outbox is a producer's outbox: Add writes events, the relay delivers them, Ack closes
// deliveries.
type Outbox struct {
	producer string
	db       DB
	routes   Routes
	// queues is each subscriber's queue, from routes.
	queues map[string]string
	queue  Enqueuer
	clock  clock.Clock
	cfg    Config

	nudge   chan struct{}
	drainMu sync.Mutex
	// relayLag observes each delivery's first hand-off to Asynq (metrics.go).
	relayLag prometheus.Histogram
	// onRelayed, when set, observes each enqueued delivery (benchmarks measure lag with it).
	onRelayed func(eventID int64, createdMS int64)
}

// New returns the outbox of producer (the service name, e.g. "quiz").
func New(producer string, db DB, routes Routes, q Enqueuer, clk clock.Clock, cfg Config) (*Outbox, error) {
	if producer == "" || strings.ContainsAny(producer, ":- ") {
		return nil, fmt.Errorf("outbox: producer name %q must be non-empty without ':', '-' or spaces", producer)
	}
	if db.Conn == nil || db.InTx == nil {
		return nil, errors.New("outbox: DB.Conn and DB.InTx are required")
	}
	if q == nil {
		return nil, errors.New("outbox: an Enqueuer is required")
	}
	if err := routes.Validate(); err != nil {
		return nil, err
	}
	if clk == nil {
		clk = clock.Real{}
	}
	cfg.defaults()
	queues := map[string]string{}
	for _, subs := range routes {
		for _, s := range subs {
			queues[s.Name] = s.Queue
		}
	}
	return &Outbox{producer: producer, db: db, routes: routes, queues: queues, queue: q, clock: clk, cfg: cfg, nudge: make(chan struct{}, 1),
		relayLag: newRelayLag(producer)}, nil
}

// Validate checks that every route names a subscriber and its queue.
func (r Routes) Validate() error {
	for topic, subs := range r {
		if topic == "" {
			return errors.New("outbox: a route has an empty topic")
		}
		seen := map[string]bool{}
		for _, s := range subs {
			if s.Name == "" || s.Queue == "" || strings.ContainsAny(s.Name, ": ") {
				return fmt.Errorf("outbox: topic %s: subscriber %+v needs a name (no ':' or spaces) and a queue", topic, s)
			}
			if seen[s.Name] {
				return fmt.Errorf("outbox: topic %s lists subscriber %s twice", topic, s.Name)
			}
			seen[s.Name] = true
		}
	}
	return nil
}

// Producer is the service name the outbox was created for.
func (o *Outbox) Producer() string { return o.producer }

// Spec returns the topic and version an event message declares in its events.proto
// ((api.events.v1.event) option), or an error for a message that is not an event.
func Spec(msg proto.Message) (topic string, version int32, err error) {
	md := msg.ProtoReflect().Descriptor()
	spec, ok := proto.GetExtension(md.Options(), eventsv1.E_Event).(*eventsv1.EventSpec)
	if !ok || spec == nil || spec.GetTopic() == "" {
		return "", 0, fmt.Errorf("outbox: %s declares no (api.events.v1.event) option", md.FullName())
	}
	return spec.GetTopic(), spec.GetVersion(), nil
}

// TopicOf returns the topic a message type declares; it panics on a message that is not an
// event, so use it for package-level constants only.
func TopicOf(msg proto.Message) string {
	t, _, err := Spec(msg)
	if err != nil {
		panic(err)
	}
	return t
}

// traceparentKey is the W3C trace context's header name (obs.Propagator's).
const traceparentKey = "traceparent"

// Add writes msgs as events, in their order, in the transaction ctx carries (or on their own
// outside one) with one INSERT, and nudges the relay once that commits.
func (o *Outbox) Add(ctx context.Context, msgs ...proto.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	now := o.clock.Now().UnixMilli()
	trace := propagation.MapCarrier{}
	obs.Propagator.Inject(ctx, trace)
	args := make([]any, 0, 5*len(msgs))
	var q strings.Builder
	q.WriteString("INSERT INTO " + schema.EventsTable + " (topic, version, payload, created_ms, traceparent) VALUES ")
	for i, msg := range msgs {
		topic, version, err := Spec(msg)
		if err != nil {
			return err
		}
		payload, err := proto.Marshal(msg)
		if err != nil {
			return fmt.Errorf("outbox.Add %s: %w", topic, err)
		}
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?, ?, ?)")
		args = append(args, topic, version, payload, now, trace.Get(traceparentKey))
	}
	if _, err := o.db.Conn(ctx).ExecContext(ctx, o.rebind(q.String()), args...); err != nil {
		return fmt.Errorf("outbox.Add %s (%d events): %w", TopicOf(msgs[0]), len(msgs), err)
	}
	dbx.AfterCommit(ctx, o.Nudge)
	return nil
}

// Nudge wakes the relay loop; it never blocks.
func (o *Outbox) Nudge() {
	select {
	case o.nudge <- struct{}{}:
	default:
	}
}

// TaskType is the Asynq task type of the events a subscriber receives: "<subscriber>:event".
func TaskType(subscriber string) string { return subscriber + ":event" }

// TaskID is the Asynq task id of one delivery: "<subscriber>:<producer>-<event id>".
func TaskID(subscriber, producer string, eventID int64) string {
	return subscriber + ":" + producer + "-" + strconv.FormatInt(eventID, 10)
}

// Drain relays until nothing is due: fans new events out to their subscribers and enqueues
// every delivery never relayed or relayed longer than RedeliverAfter ago without an
// acknowledgement. It returns how many deliveries it enqueued. Concurrent drains in one process
// are serialised; across processes they are harmless (inserts and enqueues are idempotent).
func (o *Outbox) Drain(ctx context.Context) (int, error) { return o.drain(ctx, false) }

// Recover relays like Drain, but also re-enqueues every unacknowledged delivery at once instead
// of waiting RedeliverAfter: a process calls it when it starts, because tasks it relayed before
// a crash may have died with an embedded Redis. Tasks that still exist make the re-enqueue a
// task-id conflict, which costs nothing.
func (o *Outbox) Recover(ctx context.Context) (int, error) { return o.drain(ctx, true) }

func (o *Outbox) drain(ctx context.Context, all bool) (int, error) {
	o.drainMu.Lock()
	defer o.drainMu.Unlock()
	// A forced drain re-enqueues deliveries relayed before it began, never those it relayed
	// itself (their relayed_ms is at or after start).
	cutoff := int64(-1)
	if all {
		cutoff = o.clock.Now().UnixMilli()
	}
	total := 0
	for {
		fanned, err := o.fanOut(ctx)
		if err != nil {
			return total, err
		}
		sent, err := o.relayDue(ctx, cutoff)
		total += sent
		if err != nil {
			return total, err
		}
		if fanned < o.cfg.BatchSize && sent < o.cfg.BatchSize {
			return total, nil
		}
	}
}

// fanOut creates the delivery rows of up to BatchSize new events in one transaction.
func (o *Outbox) fanOut(ctx context.Context) (int, error) {
	n := 0
	err := o.db.InTx(ctx, func(ctx context.Context) error {
		c := o.db.Conn(ctx)
		rows, err := c.QueryContext(ctx, o.rebind("SELECT id, topic FROM "+schema.EventsTable+" WHERE fanned_out_ms IS NULL ORDER BY id LIMIT ?"), o.cfg.BatchSize)
		if err != nil {
			return err
		}
		type ev struct {
			id    int64
			topic string
		}
		var evs []ev
		for rows.Next() {
			var e ev
			if err := rows.Scan(&e.id, &e.topic); err != nil {
				rows.Close()
				return err
			}
			evs = append(evs, e)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return err
		}
		n = len(evs)
		if n == 0 {
			return nil
		}
		var values []string
		var args []any
		ids := make([]any, 0, n)
		for _, e := range evs {
			ids = append(ids, e.id)
			for _, s := range o.routes[e.topic] {
				values = append(values, "(?, ?, 0)")
				args = append(args, e.id, s.Name)
			}
		}
		// Chunk the multi-row insert so no statement exceeds SQLite's variable limit.
		const perStmt = 400
		for i := 0; i < len(values); i += perStmt {
			j := min(i+perStmt, len(values))
			q := "INSERT INTO " + schema.DeliveriesTable + " (event_id, subscriber, relays) VALUES " + strings.Join(values[i:j], ", ") +
				" ON CONFLICT (event_id, subscriber) DO NOTHING"
			if _, err := c.ExecContext(ctx, o.rebind(q), args[2*i:2*j]...); err != nil {
				return err
			}
		}
		q := "UPDATE " + schema.EventsTable + " SET fanned_out_ms = ? WHERE id IN (" + dbx.Placeholders(n) + ")"
		_, err = c.ExecContext(ctx, o.rebind(q), append([]any{o.clock.Now().UnixMilli()}, ids...)...)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("outbox.fanOut: %w", err)
	}
	return n, nil
}

// delivery is one due delivery joined with its event.
type delivery struct {
	id         int64
	subscriber string
	env        *eventsv1.Envelope
	// relays is how often it was handed to Asynq before (0: this is its first relay).
	relays int32
	// traceparent is the trace context the event was written in ("" if none).
	traceparent string
}

// relayDue enqueues up to BatchSize due deliveries and marks the enqueued ones relayed.
// A cutoff of -1 means the usual one: relayed more than RedeliverAfter ago.
func (o *Outbox) relayDue(ctx context.Context, cutoff int64) (int, error) {
	now := o.clock.Now().UnixMilli()
	if cutoff < 0 {
		cutoff = now - o.cfg.RedeliverAfter.Milliseconds()
	}
	c := o.db.Conn(ctx)
	q := "SELECT d.id, d.subscriber, d.relays, e.id, e.topic, e.version, e.payload, e.created_ms, e.traceparent FROM " + schema.DeliveriesTable + " d JOIN " +
		schema.EventsTable + " e ON e.id = d.event_id WHERE d.acked_ms IS NULL AND (d.relayed_ms IS NULL OR d.relayed_ms < ?) ORDER BY d.id LIMIT ?"
	rows, err := c.QueryContext(ctx, o.rebind(q), cutoff, o.cfg.BatchSize)
	if err != nil {
		return 0, fmt.Errorf("outbox.relayDue: %w", err)
	}
	var due []delivery
	for rows.Next() {
		d := delivery{env: &eventsv1.Envelope{Producer: o.producer}}
		if err := rows.Scan(&d.id, &d.subscriber, &d.relays, &d.env.Id, &d.env.Topic, &d.env.Version, &d.env.Payload, &d.env.CreatedAtMs, &d.traceparent); err != nil {
			rows.Close()
			return 0, fmt.Errorf("outbox.relayDue: %w", err)
		}
		due = append(due, d)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return 0, fmt.Errorf("outbox.relayDue: %w", err)
	}
	if len(due) == 0 {
		return 0, nil
	}
	// Enqueue with bounded concurrency; remember which succeeded.
	ok := make([]bool, len(due))
	errs := make([]error, len(due))
	sem := make(chan struct{}, o.cfg.Concurrency)
	var wg sync.WaitGroup
	for i := range due {
		d := due[i]
		queue, known := o.queues[d.subscriber]
		if !known {
			// The subscriber left the routes (a service was removed): nothing will ever
			// acknowledge, so the delivery is closed here and says so by relays = -1.
			errs[i] = o.closeOrphan(ctx, d.id)
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			b, err := proto.Marshal(d.env)
			if err == nil {
				// The subscriber's task continues the trace of the request that wrote the event.
				ctx := obs.Propagator.Extract(ctx, propagation.MapCarrier{traceparentKey: d.traceparent})
				err = o.queue.Enqueue(ctx, asynq.NewTask(TaskType(d.subscriber), b), asynq.Queue(queue),
					asynq.TaskID(TaskID(d.subscriber, o.producer, d.env.Id)), asynq.MaxRetry(25))
			}
			ok[i], errs[i] = err == nil, err
		}()
	}
	wg.Wait()
	handed := o.clock.Now().UnixMilli()
	var first, again []any
	created := map[int64]int64{}
	for i, d := range due {
		if !ok[i] {
			continue
		}
		if d.relays == 0 {
			first = append(first, d.id)
			created[d.id] = d.env.CreatedAtMs
		} else {
			again = append(again, d.id)
		}
		if o.onRelayed != nil {
			o.onRelayed(d.env.Id, d.env.CreatedAtMs)
		}
	}
	// A first hand-off is marked only while the delivery is still unrelayed, and only the
	// relay whose mark took observes its lag: two processes that relayed the same delivery
	// at once count it once (Asynq's task id made the second enqueue a no-op). Re-deliveries
	// wait RedeliverAfter by design and are no lag.
	if len(first) > 0 {
		q := "UPDATE " + schema.DeliveriesTable + " SET relayed_ms = ?, relays = 1 WHERE relays = 0 AND id IN (" + dbx.Placeholders(len(first)) + ") RETURNING id"
		rows, err := c.QueryContext(ctx, o.rebind(q), append([]any{now}, first...)...)
		if err != nil {
			return 0, fmt.Errorf("outbox.relayDue: mark relayed: %w", err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return 0, fmt.Errorf("outbox.relayDue: mark relayed: %w", err)
			}
			o.relayLag.Observe(max(0, float64(handed-created[id])/1000))
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return 0, fmt.Errorf("outbox.relayDue: mark relayed: %w", err)
		}
	}
	if len(again) > 0 {
		q := "UPDATE " + schema.DeliveriesTable + " SET relayed_ms = ?, relays = relays + 1 WHERE id IN (" + dbx.Placeholders(len(again)) + ")"
		if _, err := c.ExecContext(ctx, o.rebind(q), append([]any{now}, again...)...); err != nil {
			return 0, fmt.Errorf("outbox.relayDue: mark relayed: %w", err)
		}
	}
	relayed := len(first) + len(again)
	if err := errors.Join(errs...); err != nil {
		return relayed, fmt.Errorf("outbox.relayDue: %w", err)
	}
	return len(due), nil
}

func (o *Outbox) closeOrphan(ctx context.Context, id int64) error {
	q := "UPDATE " + schema.DeliveriesTable + " SET acked_ms = ?, relays = -1 WHERE id = ?"
	_, err := o.db.Conn(ctx).ExecContext(ctx, o.rebind(q), o.clock.Now().UnixMilli(), id)
	return err
}

// Ack records that subscriber has applied the given events; it returns how many open
// deliveries it closed. Acknowledging twice, or an event the subscriber was never sent, is
// harmless.
func (o *Outbox) Ack(ctx context.Context, subscriber string, eventIDs []int64) (int, error) {
	if subscriber == "" || len(eventIDs) == 0 {
		return 0, nil
	}
	args := []any{o.clock.Now().UnixMilli(), subscriber}
	for _, id := range eventIDs {
		args = append(args, id)
	}
	q := "UPDATE " + schema.DeliveriesTable + " SET acked_ms = ? WHERE subscriber = ? AND acked_ms IS NULL AND event_id IN (" + dbx.Placeholders(len(eventIDs)) + ")"
	res, err := o.db.Conn(ctx).ExecContext(ctx, o.rebind(q), args...)
	if err != nil {
		return 0, fmt.Errorf("outbox.Ack: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// Prune deletes events older than Retention whose every delivery is acknowledged, with their
// delivery rows, and returns how many events it deleted.
func (o *Outbox) Prune(ctx context.Context) (int, error) {
	cutoff := o.clock.Now().Add(-o.cfg.Retention).UnixMilli()
	var n int64
	err := o.db.InTx(ctx, func(ctx context.Context) error {
		c := o.db.Conn(ctx)
		done := "SELECT e.id FROM " + schema.EventsTable + " e WHERE e.created_ms < ? AND e.fanned_out_ms IS NOT NULL AND NOT EXISTS (SELECT 1 FROM " +
			schema.DeliveriesTable + " d WHERE d.event_id = e.id AND d.acked_ms IS NULL)"
		if _, err := c.ExecContext(ctx, o.rebind("DELETE FROM "+schema.DeliveriesTable+" WHERE event_id IN ("+done+")"), cutoff); err != nil {
			return err
		}
		res, err := c.ExecContext(ctx, o.rebind("DELETE FROM "+schema.EventsTable+" WHERE id IN ("+done+")"), cutoff)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("outbox.Prune: %w", err)
	}
	return int(n), nil
}

// List returns up to limit stored events with ids above afterID, oldest first, whatever their
// delivery state (operators, audits and tests read the outbox with it).
func (o *Outbox) List(ctx context.Context, afterID int64, limit int) ([]*Event, error) {
	q := "SELECT id, topic, version, payload, created_ms FROM " + schema.EventsTable + " WHERE id > ? ORDER BY id LIMIT ?"
	rows, err := o.db.Conn(ctx).QueryContext(ctx, o.rebind(q), afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("outbox.List: %w", err)
	}
	defer rows.Close()
	var out []*Event
	for rows.Next() {
		e := &Event{Producer: o.producer}
		var created int64
		if err := rows.Scan(&e.ID, &e.Topic, &e.Version, &e.Payload, &created); err != nil {
			return nil, fmt.Errorf("outbox.List: %w", err)
		}
		e.CreatedAt = time.UnixMilli(created)
		out = append(out, e)
	}
	return out, rows.Err()
}

// Stats counts the outbox's rows by state, for tests, metrics and operators.
type Stats struct {
	Events, NotFannedOut, Deliveries, Unrelayed, Unacked int
}

// Stats returns the current counts.
func (o *Outbox) Stats(ctx context.Context) (Stats, error) {
	var s Stats
	c := o.db.Conn(ctx)
	q := "SELECT (SELECT COUNT(*) FROM " + schema.EventsTable + "), (SELECT COUNT(*) FROM " + schema.EventsTable + " WHERE fanned_out_ms IS NULL), " +
		"(SELECT COUNT(*) FROM " + schema.DeliveriesTable + "), (SELECT COUNT(*) FROM " + schema.DeliveriesTable + " WHERE relayed_ms IS NULL), " +
		"(SELECT COUNT(*) FROM " + schema.DeliveriesTable + " WHERE acked_ms IS NULL)"
	rows, err := c.QueryContext(ctx, q)
	if err != nil {
		return s, fmt.Errorf("outbox.Stats: %w", err)
	}
	defer rows.Close()
	if rows.Next() {
		if err := rows.Scan(&s.Events, &s.NotFannedOut, &s.Deliveries, &s.Unrelayed, &s.Unacked); err != nil {
			return s, fmt.Errorf("outbox.Stats: %w", err)
		}
	}
	return s, rows.Err()
}

func (o *Outbox) rebind(q string) string { return dbx.Rebind(o.db.Dialect, q) }

// messageName is the full proto name of msg, for error messages.
func messageName(msg proto.Message) protoreflect.FullName {
	return msg.ProtoReflect().Descriptor().FullName()
}
