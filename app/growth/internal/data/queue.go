package data

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/vanguard/vanguard/app/growth/internal/biz"
	"github.com/vanguard/vanguard/pkg/audit"
	"github.com/vanguard/vanguard/pkg/audit/spool"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/queue"
)

// TaskCompile is the task type of a member's compile.
const TaskCompile = "growth:compile"

// CompilePayload is a compile task's payload.
type CompilePayload struct {
	MemberID int64 `json:"member_id"`
}

type scheduler struct {
	tasks *queue.Client
	queue string
	clock clock.Clock
}

// NewScheduler queues compiles on the growth queue: one task per member and due time (its id
// names both), so the events of a burst, the reconciler and retries queue it once. The delay is
// measured on clk, the use case's clock.
func NewScheduler(tasks *queue.Client, queueName string, clk clock.Clock) biz.Scheduler {
	if clk == nil {
		clk = clock.Real{}
	}
	return &scheduler{tasks: tasks, queue: queueName, clock: clk}
}

func (s *scheduler) Schedule(ctx context.Context, memberID int64, due time.Time) error {
	b, err := json.Marshal(CompilePayload{MemberID: memberID})
	if err != nil {
		return err
	}
	return s.tasks.Enqueue(ctx, asynq.NewTask(TaskCompile, b), asynq.Queue(s.queue), asynq.ProcessIn(max(due.Sub(s.clock.Now()), 0)),
		asynq.TaskID(fmt.Sprintf("%s:%d:%d", TaskCompile, memberID, due.UnixMilli())), asynq.MaxRetry(10))
}

// DecodeCompile reads a compile task's payload.
func DecodeCompile(t *asynq.Task) (int64, error) {
	var p CompilePayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.MemberID <= 0 {
		return 0, fmt.Errorf("decode %s: %w", TaskCompile, asynq.SkipRetry)
	}
	return p.MemberID, nil
}

// SpoolDB is the growth database as pkg/audit/spool reaches it.
func (d *Data) SpoolDB() spool.DB { return spool.FromEnt(d.Ent) }

type auditLog struct{ spool *spool.Spool }

// NewAuditLog records growth's staff actions in its audit spool, which delivers them to org's
// audit log after the commit.
func NewAuditLog(s *spool.Spool) biz.AuditLog { return auditLog{spool: s} }

func (a auditLog) Record(ctx context.Context, entries ...biz.AuditEntry) error {
	out := make([]audit.Entry, len(entries))
	for i, e := range entries {
		out[i] = audit.Entry{Key: e.Key, ActorID: e.ActorID, ActorName: e.ActorName, ActorOrgPath: e.ActorOrgPath, Action: e.Action,
			TargetType: e.TargetType, TargetID: e.TargetID, OrgPath: e.OrgPath, Summary: e.Summary, After: e.After}
	}
	return a.spool.Add(ctx, out...)
}
