package outbox_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/proto"

	quizv1 "github.com/vanguard/vanguard/api/quiz/v1"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/outbox"
	"github.com/vanguard/vanguard/pkg/outbox/internal/testent/outboxevent"
	"github.com/vanguard/vanguard/pkg/queue"
)

// writeEvents writes n events, three per transaction (every other transaction adds its three
// with one Add, one INSERT), plus one rolled-back transaction whose events must never be
// delivered; it returns the committed event ids, and checks they were stored in the order
// they were added.
func writeEvents(t testing.TB, st *store, o *outbox.Outbox, n int) []int64 {
	t.Helper()
	ctx := context.Background()
	for i := 0; i < n; i += 3 {
		err := st.db.InTx(ctx, func(ctx context.Context) error {
			if (i/3)%2 == 1 {
				var msgs []proto.Message
				for j := i; j < min(i+3, n); j++ {
					msgs = append(msgs, graded(int64(j)))
				}
				return o.Add(ctx, msgs...)
			}
			for j := i; j < min(i+3, n); j++ {
				if err := o.Add(ctx, graded(int64(j))); err != nil {
					return err
				}
			}
			return o.Add(ctx) // nothing to add: no statement, no error
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	rolledBack := errors.New("rolled back")
	if err := st.db.InTx(ctx, func(ctx context.Context) error {
		if err := o.Add(ctx, graded(-1)); err != nil {
			return err
		}
		return rolledBack
	}); !errors.Is(err, rolledBack) {
		t.Fatal(err)
	}
	ids, err := st.client.OutboxEvent.Query().IDs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != n {
		t.Fatalf("%d events stored, want %d (the rolled-back one must not be)", len(ids), n)
	}
	events, err := st.client.OutboxEvent.Query().Order(outboxevent.ByID()).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, ev := range events {
		var m quizv1.AttemptGraded
		if err := proto.Unmarshal(ev.Payload, &m); err != nil || m.AttemptId != int64(i) {
			t.Fatalf("event %d (id %d) holds attempt %d (%v), want %d: stored out of order", i, ev.ID, m.AttemptId, err, i)
		}
	}
	return ids
}

func newQueue(t testing.TB, opt asynq.RedisConnOpt) *queue.Client {
	q, err := queue.NewClient(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	return q
}

// Two subscribers of one topic each apply every event exactly once, delivered by the relay
// right after each commit (no reconciler involved), and every delivery ends acknowledged.
func TestTwoSubscribersEachGetEveryEventOnce(t *testing.T) {
	forEachDB(t, func(t *testing.T, driver string, newDSN func() string) {
		for name, opt := range map[string]func(testing.TB) asynq.RedisClientOpt{"redis": realRedis, "miniredis": miniRedis} {
			t.Run(name, func(t *testing.T) {
				ctx := context.Background()
				producer, a, b := openStore(t, driver, newDSN()), openStore(t, driver, newDSN()), openStore(t, driver, newDSN())
				redisOpt := opt(t)
				o, err := outbox.New("quiz", producer.db, twoSubscribers, newQueue(t, redisOpt), clock.Real{}, outbox.Config{BatchSize: 50})
				if err != nil {
					t.Fatal(err)
				}
				relay := outbox.NewRelay(o, log.NewStdLogger(testWriter{t}))
				_ = relay.Start(ctx)
				defer relay.Stop(ctx)
				rig := newSubscriberRig(t, redisOpt, map[string]*store{"suba": a, "subb": b}, outbox.LocalAcker(o), "quiz")
				rig.start(t)

				ids := writeEvents(t, producer, o, 240)
				waitFor(t, 30*time.Second, "every delivery acknowledged", func() bool {
					s, err := o.Stats(ctx)
					return err == nil && s.Deliveries == 2*len(ids) && s.Unacked == 0
				})
				exactlyOnce(t, "suba", a.effects(t, "suba"), ids)
				exactlyOnce(t, "subb", b.effects(t, "subb"), ids)
				// The subscribers' inboxes hold one row per event each.
				if n := a.client.OutboxInbox.Query().CountX(ctx); n != len(ids) {
					t.Fatalf("suba inbox has %d rows, want %d", n, len(ids))
				}
			})
		}
	})
}

// A subscriber that keeps failing is retried on its own queue; the other subscriber's
// deliveries complete meanwhile, and the failing one catches up exactly once when it recovers.
func TestFailingSubscriberRetriesWithoutAffectingTheOther(t *testing.T) {
	forEachDB(t, func(t *testing.T, driver string, newDSN func() string) {
		ctx := context.Background()
		producer, a, b := openStore(t, driver, newDSN()), openStore(t, driver, newDSN()), openStore(t, driver, newDSN())
		redisOpt := realRedis(t)
		o, err := outbox.New("quiz", producer.db, twoSubscribers, newQueue(t, redisOpt), clock.Real{}, outbox.Config{})
		if err != nil {
			t.Fatal(err)
		}
		var bDown atomic.Bool
		bDown.Store(true)
		rig := newSubscriberRig(t, redisOpt, map[string]*store{"suba": a, "subb": b}, outbox.LocalAcker(o), "quiz")
		rig.fail = func(sub string, _ int64) bool { return sub == "subb" && bDown.Load() }
		rig.start(t)

		ids := writeEvents(t, producer, o, 30)
		if _, err := o.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 20*time.Second, "suba applied everything", func() bool { return len(a.effects(t, "suba")) == len(ids) })
		waitFor(t, 20*time.Second, "subb retried at least twice per event", func() bool {
			rig.mu.Lock()
			defer rig.mu.Unlock()
			return rig.runs["subb"] >= 2*len(ids)
		})
		// suba acknowledges each delivery after its effect commits: wait for the last acks
		// rather than read the count the moment the effects are in (CI saw 32 once).
		waitFor(t, 20*time.Second, "only subb's deliveries unacknowledged", func() bool { s, _ := o.Stats(ctx); return s.Unacked == len(ids) })
		if n := len(b.effects(t, "subb")); n != 0 {
			t.Fatalf("failing subscriber left %d effects (must roll back)", n)
		}
		bDown.Store(false)
		waitFor(t, 30*time.Second, "subb caught up", func() bool { s, _ := o.Stats(ctx); return s.Unacked == 0 })
		exactlyOnce(t, "suba", a.effects(t, "suba"), ids)
		exactlyOnce(t, "subb", b.effects(t, "subb"), ids)
	})
}

// A crash between commit and relay (no relay ran) loses nothing: the next process's relay
// delivers every event. A queue that loses its tasks after the relay (Redis flushed before the
// subscriber ran) gets them again once RedeliverAfter passes, because only the subscriber's
// acknowledgement closes a delivery.
func TestCrashBetweenCommitAndRelayAndQueueLoss(t *testing.T) {
	forEachDB(t, func(t *testing.T, driver string, newDSN func() string) {
		ctx := context.Background()
		producer, a, b := openStore(t, driver, newDSN()), openStore(t, driver, newDSN()), openStore(t, driver, newDSN())
		redisOpt := realRedis(t)
		clk := clock.NewFake(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
		cfg := outbox.Config{RedeliverAfter: time.Minute}

		// Process 1 commits events and "crashes" before relaying.
		o1, err := outbox.New("quiz", producer.db, twoSubscribers, newQueue(t, redisOpt), clk, cfg)
		if err != nil {
			t.Fatal(err)
		}
		ids := writeEvents(t, producer, o1, 20)
		if s, _ := o1.Stats(ctx); s.NotFannedOut != len(ids) || s.Deliveries != 0 {
			t.Fatalf("before relay: %+v", s)
		}

		// Process 2 relays (no subscriber runs yet), then Redis loses everything.
		o2, _ := outbox.New("quiz", producer.db, twoSubscribers, newQueue(t, redisOpt), clk, cfg)
		if n, err := o2.Drain(ctx); err != nil || n != 2*len(ids) {
			t.Fatalf("drain = %d, %v; want %d", n, err, 2*len(ids))
		}
		if s, _ := o2.Stats(ctx); s.Unrelayed != 0 || s.Unacked != 2*len(ids) {
			t.Fatalf("after relay: %+v (relayed is not acknowledged)", s)
		}
		rc := redis.NewClient(&redis.Options{Addr: redisOpt.Addr, DB: redisOpt.DB})
		defer rc.Close()
		if err := rc.FlushDB(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		// Before RedeliverAfter nothing is re-sent; after it, everything unacknowledged is.
		if n, _ := o2.Drain(ctx); n != 0 {
			t.Fatalf("re-relayed %d before RedeliverAfter", n)
		}
		clk.Advance(61 * time.Second)
		if n, err := o2.Drain(ctx); err != nil || n != 2*len(ids) {
			t.Fatalf("re-relay = %d, %v", n, err)
		}
		rig := newSubscriberRig(t, redisOpt, map[string]*store{"suba": a, "subb": b}, outbox.LocalAcker(o2), "quiz")
		rig.start(t)
		waitFor(t, 20*time.Second, "all acknowledged", func() bool { s, _ := o2.Stats(ctx); return s.Unacked == 0 })
		exactlyOnce(t, "suba", a.effects(t, "suba"), ids)
		exactlyOnce(t, "subb", b.effects(t, "subb"), ids)

		// Re-relaying acknowledged deliveries never happens, even much later.
		clk.Advance(time.Hour)
		if n, _ := o2.Recover(ctx); n != 0 {
			t.Fatalf("recover re-sent %d acknowledged deliveries", n)
		}
	})
}

// An acknowledgement that fails after the subscriber committed makes Asynq retry the task; the
// retry finds the inbox row, does not apply the effect again, and acknowledges.
func TestLostAcknowledgementIsRetriedWithoutSecondEffect(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, driver string, newDSN func() string) {
		producer, a := openStore(t, driver, newDSN()), openStore(t, driver, newDSN())
		routes := outbox.Routes{"attempt.graded": {{Name: "suba", Queue: "suba"}}}
		// Relay into a recording queue and hand the task to the inbox by hand.
		rq := &recordingQueue{}
		o, err := outbox.New("quiz", producer.db, routes, rq, clock.Real{}, outbox.Config{})
		if err != nil {
			t.Fatal(err)
		}
		ids := writeEvents(t, producer, o, 1)
		if _, err := o.Drain(ctx); err != nil || len(rq.tasks) != 1 {
			t.Fatalf("drain: %v, %d tasks", err, len(rq.tasks))
		}
		flaky := &flakyAcker{next: outbox.LocalAcker(o), failures: 1}
		in, err := outbox.NewInbox("suba", a.db, map[string]outbox.Acker{"quiz": flaky}, func(ctx context.Context, e *outbox.Event) error {
			return a.conn(ctx).Effect.Create().SetSubscriber("suba").SetProducer(e.Producer).SetEventID(e.ID).Exec(ctx)
		}, clock.Real{})
		if err != nil {
			t.Fatal(err)
		}
		if err := in.ProcessTask(ctx, rq.tasks[0]); err == nil {
			t.Fatal("first run: acknowledgement failed but the task succeeded")
		}
		if s, _ := o.Stats(ctx); s.Unacked != 1 {
			t.Fatalf("unacked = %d after a failed ack", s.Unacked)
		}
		if err := in.ProcessTask(ctx, rq.tasks[0]); err != nil {
			t.Fatalf("retry: %v", err)
		}
		exactlyOnce(t, "suba", a.effects(t, "suba"), ids)
		if s, _ := o.Stats(ctx); s.Unacked != 0 {
			t.Fatalf("unacked = %d after the retry", s.Unacked)
		}
		// A malformed envelope is archived at once (no retry can fix it).
		if err := in.ProcessTask(ctx, asynq.NewTask(outbox.TaskType("suba"), []byte("not a proto"))); !errors.Is(err, asynq.SkipRetry) {
			t.Fatalf("malformed envelope: %v, want SkipRetry", err)
		}
	})
}

// Acknowledged events are pruned after Retention with their deliveries; unacknowledged ones and
// recent ones stay.
func TestPruneKeepsWhatIsNotDone(t *testing.T) {
	forEachDB(t, func(t *testing.T, driver string, newDSN func() string) {
		ctx := context.Background()
		producer := openStore(t, driver, newDSN())
		clk := clock.NewFake(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
		o, _ := outbox.New("quiz", producer.db, twoSubscribers, &recordingQueue{}, clk, outbox.Config{Retention: 24 * time.Hour})
		ids := writeEvents(t, producer, o, 4)
		if _, err := o.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		// Events 0 and 1 fully acknowledged, event 2 by one subscriber only, event 3 by none.
		for _, sub := range []string{"suba", "subb"} {
			if _, err := o.Ack(ctx, sub, ids[:2]); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := o.Ack(ctx, "suba", ids[2:3]); err != nil {
			t.Fatal(err)
		}
		if n, _ := o.Prune(ctx); n != 0 {
			t.Fatalf("pruned %d events younger than the retention", n)
		}
		clk.Advance(25 * time.Hour)
		if n, err := o.Prune(ctx); err != nil || n != 2 {
			t.Fatalf("prune = %d, %v; want the 2 fully acknowledged events", n, err)
		}
		s, _ := o.Stats(ctx)
		if s.Events != 2 || s.Deliveries != 4 || s.Unacked != 3 {
			t.Fatalf("after prune: %+v", s)
		}
	})
}

// Events are messages of events.proto with a declared topic; anything else is refused.
func TestSpecReadsTheTopicFromTheProto(t *testing.T) {
	topic, version, err := outbox.Spec(&quizv1.AttemptGraded{})
	if err != nil || topic != "attempt.graded" || version != 1 {
		t.Fatalf("Spec(AttemptGraded) = %q, %d, %v", topic, version, err)
	}
	if _, _, err := outbox.Spec(&quizv1.IdRequest{}); err == nil {
		t.Fatal("a message without an event option was accepted")
	}
	if _, err := outbox.New("quiz", outbox.DB{}, nil, &recordingQueue{}, nil, outbox.Config{}); err == nil {
		t.Fatal("New accepted an empty DB")
	}
	bad := outbox.Routes{"attempt.graded": {{Name: "a:b", Queue: "q"}}}
	if err := bad.Validate(); err == nil {
		t.Fatal("a subscriber name with ':' was accepted")
	}
}

// recordingQueue keeps enqueued tasks instead of sending them.
type recordingQueue struct {
	mu    sync.Mutex
	tasks []*asynq.Task
}

func (q *recordingQueue) Enqueue(_ context.Context, t *asynq.Task, _ ...asynq.Option) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.tasks = append(q.tasks, t)
	return nil
}

// flakyAcker fails its first failures calls.
type flakyAcker struct {
	next     outbox.Acker
	failures int
}

func (a *flakyAcker) Ack(ctx context.Context, sub string, ids []int64) error {
	if a.failures > 0 {
		a.failures--
		return errors.New("producer unreachable")
	}
	return a.next.Ack(ctx, sub, ids)
}

// A subscriber removed from the routes leaves deliveries nothing will ever acknowledge: the relay
// closes them instead of enqueueing to a queue no worker reads, and they no longer block pruning.
func TestRemovedSubscriberDeliveriesAreClosed(t *testing.T) {
	forEachDB(t, func(t *testing.T, driver string, newDSN func() string) {
		ctx := context.Background()
		producer := openStore(t, driver, newDSN())
		clk := clock.NewFake(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
		o, _ := outbox.New("quiz", producer.db, twoSubscribers, &recordingQueue{}, clk, outbox.Config{})
		ids := writeEvents(t, producer, o, 3)
		if _, err := o.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := o.Ack(ctx, "suba", ids); err != nil {
			t.Fatal(err)
		}
		// subb is gone from the routes when the next process starts.
		clk.Advance(time.Second)
		rq := &recordingQueue{}
		onlyA := outbox.Routes{"attempt.graded": {{Name: "suba", Queue: "suba"}}}
		o2, _ := outbox.New("quiz", producer.db, onlyA, rq, clk, outbox.Config{})
		if _, err := o2.Recover(ctx); err != nil {
			t.Fatal(err)
		}
		if len(rq.tasks) != 0 {
			t.Fatalf("enqueued %d tasks for a removed subscriber", len(rq.tasks))
		}
		if s, _ := o2.Stats(ctx); s.Unacked != 0 || s.Deliveries != 6 {
			t.Fatalf("after closing: %+v, want every delivery closed", s)
		}
	})
}
