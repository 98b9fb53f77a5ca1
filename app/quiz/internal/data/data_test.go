package data

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/vanguard/vanguard/api/events/v1"
	quizv1 "github.com/vanguard/vanguard/api/quiz/v1"
	"github.com/vanguard/vanguard/app/quiz/internal/biz"
	"github.com/vanguard/vanguard/pkg/outbox"
	"github.com/vanguard/vanguard/pkg/testdb"
)

func open(t *testing.T, driver, dsn string) *Data {
	t.Helper()
	d, err := Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if err := d.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return d
}

// The publisher writes quiz's events into the quiz database's outbox as events.proto messages,
// inside the caller's transaction: a rolled-back change leaves no event, and a subscriber decodes
// exactly what biz announced.
func TestPublisherWritesProtoEventsInTheTransaction(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		ctx := context.Background()
		d := open(t, driver, dsn)
		rq := &recordingQueue{}
		routes := outbox.Routes{"attempt.graded": {{Name: "growth", Queue: "growth"}}, "question.changed": {{Name: "search", Queue: "search"}}}
		ob, err := outbox.New("quiz", d.OutboxDB(), routes, rq, nil, outbox.Config{})
		if err != nil {
			t.Fatal(err)
		}
		pub := NewPublisher(ob)
		score, passed, submitted := 87.5, true, time.UnixMilli(1_800_000_000_000)
		graded := biz.GradedEvent{AttemptID: 7, ExamID: 3, UserID: 42, Number: 2, Score: &score, MaxScore: 100, Passed: &passed,
			SubmittedAt: &submitted, GradedAt: submitted.Add(time.Second)}
		if err := d.InTx(ctx, func(ctx context.Context) error { return pub.Publish(ctx, graded) }); err != nil {
			t.Fatal(err)
		}
		_ = d.InTx(ctx, func(ctx context.Context) error {
			if err := pub.Publish(ctx, biz.QuestionChanged{QuestionID: 1, BankID: 1, Version: 1, OrgPath: "/1/"}); err != nil {
				t.Fatal(err)
			}
			return errors.New("rollback")
		})
		if err := pub.Publish(ctx, biz.QuestionChanged{QuestionID: 9, BankID: 4, Version: 3, OrgPath: "/1/2/"}); err != nil {
			t.Fatal(err)
		}
		if n, err := ob.Drain(ctx); err != nil || n != 2 {
			t.Fatalf("drain = %d, %v; want the 2 committed events", n, err)
		}
		types := map[string]*asynq.Task{}
		for _, tk := range rq.tasks {
			types[tk.Type()] = tk
		}
		if len(types) != 2 || types["growth:event"] == nil || types["search:event"] == nil {
			t.Fatalf("relayed task types = %v, want growth:event and search:event", types)
		}
		var env eventsv1.Envelope
		if err := proto.Unmarshal(types["growth:event"].Payload(), &env); err != nil {
			t.Fatal(err)
		}
		ev := &outbox.Event{Topic: env.GetTopic(), Payload: env.GetPayload()}
		var msg quizv1.AttemptGraded
		if err := ev.Decode(&msg); err != nil {
			t.Fatal(err)
		}
		if msg.GetAttemptId() != 7 || msg.GetUserId() != 42 || msg.GetScore() != 87.5 || !msg.GetPassed() || msg.GetSubmittedAtMs() != 1_800_000_000_000 {
			t.Fatalf("attempt.graded = %v", &msg)
		}
	})
}

// recordingQueue keeps relayed tasks in order.
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
