package biz

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Mark is a member's pending compile: due at Due, bumped (Gen) by every event since it was made.
type Mark struct {
	MemberID int64
	Gen      int64
	Due      time.Time
	Trigger  string
}

// MarkRepo keeps the pending compiles (the debounce lives in the database, so a crash or a lost
// task loses no compile: the reconciler finds overdue marks).
type MarkRepo interface {
	// Mark bumps the member's mark, or creates it due at due; it returns the mark as it stands
	// (an existing mark keeps its due time: a burst of events makes one compile at the first
	// event's due time).
	Mark(ctx context.Context, memberID int64, due time.Time, trigger string) (*Mark, error)
	// MarkAll marks every member in ids (the nightly compile), keeping existing marks' due times.
	MarkAll(ctx context.Context, ids []int64, due time.Time, trigger string) error
	// GetMark returns the member's mark; ErrNotFound if none.
	GetMark(ctx context.Context, memberID int64) (*Mark, error)
	// ClearMark deletes the member's mark if it is still at gen, and reports whether it did.
	ClearMark(ctx context.Context, memberID, gen int64) (bool, error)
	// Reschedule moves the member's mark to due.
	Reschedule(ctx context.Context, memberID int64, due time.Time) error
	// DueMarks lists marks due before t, earliest first.
	DueMarks(ctx context.Context, before time.Time, limit int) ([]*Mark, error)
	// NightlyClaimed tells whether day's nightly compile was claimed.
	NightlyClaimed(ctx context.Context, day string) (bool, error)
	// ClaimNightly claims day's nightly compile; false if another process claimed it.
	ClaimNightly(ctx context.Context, day string, members int, now time.Time) (bool, error)
	// FileMembers lists the members that have a file, after the given id, in id order.
	FileMembers(ctx context.Context, after int64, limit int) ([]int64, error)
}

// Scheduler queues a member's compile at due ("growth:compile", one task per member and due
// time: queueing it again is a no-op).
type Scheduler interface {
	Schedule(ctx context.Context, memberID int64, due time.Time) error
}

// Roster lists the members org knows (party members and those in development), after the given
// id, in id order: the nightly compile gives each a file.
type Roster interface {
	Members(ctx context.Context, after int64, limit int) ([]int64, error)
}

// Debounce is how long a compile waits after the first event of a burst.
const Debounce = 2 * time.Second

// lostAfter is how long past its due time a mark must be before the reconciler queues it again
// (its task was lost: Redis lost its data, the enqueue failed).
const lostAfter = time.Minute

// Compiler runs the compiles: events and staff mark members, the task compiles them, the
// reconciler recovers lost tasks and starts the nightly compile.
type Compiler struct {
	growth *Growth
	marks  MarkRepo
	tx     Transaction
	sched  Scheduler
	roster Roster
	// NightlyHour is the local hour (Asia/Shanghai) from which the day's full compile starts.
	NightlyHour int
}

// NewCompiler wires the compiles over the use case's repositories; roster lists the members the
// nightly compile covers besides those with a file (nil: those only).
func NewCompiler(g *Growth, roster Roster) *Compiler {
	return &Compiler{growth: g, marks: g.marks, tx: g.tx, sched: g.sched, roster: roster, NightlyHour: 2}
}

// Mark asks for a compile of the member's file (an event's trigger): inside the caller's
// transaction (the event inbox's), so the event and the mark commit together. The task is queued
// after the commit (Kick); if that fails the reconciler queues it.
func (c *Compiler) Mark(ctx context.Context, memberID int64, trigger string) error {
	return c.growth.mark(ctx, memberID, trigger)
}

// Kick queues the member's pending compile, if any.
func (c *Compiler) Kick(ctx context.Context, memberID int64) { c.growth.kick(ctx, memberID) }

// Run is the "growth:compile" task of a member, queued for the mark's due time: it compiles and
// clears the mark unless an event bumped it meanwhile (then it queues the next compile after the
// debounce). A member without a mark was compiled already (a retry, a task queued twice):
// nothing to do.
func (c *Compiler) Run(ctx context.Context, memberID int64) error {
	m, err := c.marks.GetMark(ctx, memberID)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, _, err := c.growth.Compile(ctx, memberID, m.Trigger); err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("compile member %d: %w", memberID, err)
	}
	cleared, err := c.marks.ClearMark(ctx, memberID, m.Gen)
	if err != nil || cleared {
		return err
	}
	next := c.growth.clock.Now().Add(c.growth.debounce)
	if err := c.marks.Reschedule(ctx, memberID, next); err != nil {
		return err
	}
	return c.sched.Schedule(ctx, memberID, next)
}

// reconcileBatch bounds the marks one reconciler pass queues.
const reconcileBatch = 1000

// Reconcile queues the compiles whose task was lost, and starts the day's full compile once the
// nightly hour has passed (one process claims it). It returns how many marks it queued.
func (c *Compiler) Reconcile(ctx context.Context) (int, error) {
	now := c.growth.clock.Now()
	if _, err := c.Nightly(ctx, now); err != nil {
		return 0, err
	}
	marks, err := c.marks.DueMarks(ctx, now.Add(-lostAfter), reconcileBatch)
	if err != nil {
		return 0, err
	}
	for _, m := range marks {
		if err := c.sched.Schedule(ctx, m.MemberID, m.Due); err != nil {
			return 0, err
		}
	}
	return len(marks), nil
}

// nightlyPage is how many members one mark statement covers.
const nightlyPage = 1000

// Nightly marks every member for a compile, once a day after the nightly hour: the members org
// lists and those with a file (a member who left org keeps their file up to date with what the
// services still hold). It reports how many members it marked (0: not due or claimed already).
// The day is claimed in the transaction that writes the marks, due at once; their tasks are
// queued after the commit, and a crash or an enqueue that fails halfway loses nothing: the
// reconciler queues overdue marks.
func (c *Compiler) Nightly(ctx context.Context, now time.Time) (int, error) {
	local := now.In(china)
	if local.Hour() < c.NightlyHour {
		return 0, nil
	}
	ids := map[int64]bool{}
	var list []int64
	collect := func(page func(after int64) ([]int64, error)) error {
		var after int64
		for {
			got, err := page(after)
			if err != nil {
				return err
			}
			for _, id := range got {
				if !ids[id] {
					ids[id] = true
					list = append(list, id)
				}
			}
			if len(got) < nightlyPage {
				return nil
			}
			after = got[len(got)-1]
		}
	}
	day := local.Format(time.DateOnly)
	if claimed, err := c.marks.NightlyClaimed(ctx, day); err != nil || claimed {
		return 0, err
	}
	if c.roster != nil {
		if err := collect(func(after int64) ([]int64, error) { return c.roster.Members(ctx, after, nightlyPage) }); err != nil {
			return 0, err
		}
	}
	if err := collect(func(after int64) ([]int64, error) { return c.marks.FileMembers(ctx, after, nightlyPage) }); err != nil {
		return 0, err
	}
	claimed := false
	err := c.tx.InTx(ctx, func(ctx context.Context) error {
		var err error
		if claimed, err = c.marks.ClaimNightly(ctx, day, len(list), now); err != nil || !claimed {
			return err
		}
		for i := 0; i < len(list); i += nightlyPage {
			if err := c.marks.MarkAll(ctx, list[i:min(i+nightlyPage, len(list))], now, TriggerNightly); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || !claimed {
		return 0, err
	}
	for _, id := range list {
		m, err := c.marks.GetMark(ctx, id)
		if errors.Is(err, ErrNotFound) {
			continue // compiled meanwhile
		}
		if err != nil {
			return 0, err
		}
		if err := c.sched.Schedule(ctx, id, m.Due); err != nil {
			return 0, err
		}
	}
	return len(list), nil
}

// Triggers of a compile besides events' topics.
const (
	TriggerNightly = "nightly"
	TriggerStaff   = "staff"
)

var china = func() *time.Location {
	if l, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return l
	}
	return time.FixedZone("CST", 8*3600)
}()
