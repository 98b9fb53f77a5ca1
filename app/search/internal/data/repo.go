package data

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/vanguard/vanguard/app/search/internal/biz"
	"github.com/vanguard/vanguard/app/search/internal/data/ent"
	"github.com/vanguard/vanguard/app/search/internal/data/ent/indexentry"
	"github.com/vanguard/vanguard/app/search/internal/data/ent/indexstate"
	"github.com/vanguard/vanguard/app/search/internal/data/ent/syncmark"
)

type repo struct{ data *Data }

// NewRepo returns the search database's repository.
func NewRepo(d *Data) biz.Repo { return &repo{data: d} }

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("search data.%s: %w", op, err)
}

func markOf(m *ent.SyncMark) *biz.Mark {
	return &biz.Mark{Item: m.Item, Gen: m.Gen, Due: m.DueAt.UTC(), Trigger: m.Trigger}
}

// Mark inserts the marks or bumps their gen, 1000 rows a statement.
func (r *repo) Mark(ctx context.Context, items []string, due time.Time, trigger string) error {
	c := r.data.Client(ctx)
	for i := 0; i < len(items); i += 1000 {
		chunk := items[i:min(i+1000, len(items))]
		bulk := make([]*ent.SyncMarkCreate, len(chunk))
		for j, it := range chunk {
			bulk[j] = c.SyncMark.Create().SetItem(it).SetGen(1).SetDueAt(due.UTC()).SetTrigger(trigger)
		}
		err := c.SyncMark.CreateBulk(bulk...).OnConflictColumns(syncmark.FieldItem).
			Update(func(u *ent.SyncMarkUpsert) { u.AddGen(1) }).Exec(ctx)
		if err != nil {
			return wrap("Mark", err)
		}
	}
	return nil
}

// Claim sets claimed_until in one conditional statement, so two syncs never both hold an item.
func (r *repo) Claim(ctx context.Context, item string, now, until time.Time) (*biz.Mark, error) {
	c := r.data.Client(ctx)
	n, err := c.SyncMark.Update().Where(syncmark.Item(item),
		syncmark.Or(syncmark.ClaimedUntilIsNil(), syncmark.ClaimedUntilLT(now.UTC()))).SetClaimedUntil(until.UTC()).Save(ctx)
	if err != nil {
		return nil, wrap("Claim", err)
	}
	if n == 0 {
		ok, err := c.SyncMark.Query().Where(syncmark.Item(item)).Exist(ctx)
		if err != nil || !ok {
			return nil, wrap("Claim", err)
		}
		return nil, biz.ErrClaimed
	}
	m, err := c.SyncMark.Query().Where(syncmark.Item(item)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, wrap("Claim", err)
	}
	return markOf(m), nil
}

func (r *repo) Finish(ctx context.Context, item string, gen int64) (bool, error) {
	c := r.data.Client(ctx)
	n, err := c.SyncMark.Delete().Where(syncmark.Item(item), syncmark.Gen(gen)).Exec(ctx)
	if err != nil {
		return false, wrap("Finish", err)
	}
	if n == 1 {
		return true, nil
	}
	_, err = c.SyncMark.Update().Where(syncmark.Item(item)).ClearClaimedUntil().Save(ctx)
	return false, wrap("Finish", err)
}

func (r *repo) DueMarks(ctx context.Context, before time.Time, limit int) ([]*biz.Mark, error) {
	rows, err := r.data.Client(ctx).SyncMark.Query().Where(syncmark.DueAtLT(before.UTC()),
		syncmark.Or(syncmark.ClaimedUntilIsNil(), syncmark.ClaimedUntilLT(before.UTC()))).
		Order(syncmark.ByDueAt(), syncmark.ByItem()).Limit(limit).All(ctx)
	if err != nil {
		return nil, wrap("DueMarks", err)
	}
	out := make([]*biz.Mark, len(rows))
	for i, m := range rows {
		out[i] = markOf(m)
	}
	return out, nil
}

func (r *repo) Pending(ctx context.Context) (int, error) {
	n, err := r.data.Client(ctx).SyncMark.Query().Count(ctx)
	return n, wrap("Pending", err)
}

func (r *repo) Entries(ctx context.Context, items []string) (map[string][]string, error) {
	rows, err := r.data.Client(ctx).IndexEntry.Query().Where(indexentry.ItemIn(items...)).All(ctx)
	if err != nil {
		return nil, wrap("Entries", err)
	}
	out := make(map[string][]string, len(rows))
	for _, e := range rows {
		out[e.Item] = e.Docs
	}
	return out, nil
}

func (r *repo) PutEntries(ctx context.Context, entries map[string][]string, at time.Time) error {
	items := slices.Sorted(maps.Keys(entries)) // one order for every writer's row locks
	c := r.data.Client(ctx)
	var gone []string
	var put []*ent.IndexEntryCreate
	for _, item := range items {
		if docs := entries[item]; len(docs) > 0 {
			put = append(put, c.IndexEntry.Create().SetItem(item).SetDocs(docs).SetSyncedAt(at.UTC()))
		} else {
			gone = append(gone, item)
		}
	}
	if len(gone) > 0 {
		if _, err := c.IndexEntry.Delete().Where(indexentry.ItemIn(gone...)).Exec(ctx); err != nil {
			return wrap("PutEntries", err)
		}
	}
	if len(put) > 0 {
		err := c.IndexEntry.CreateBulk(put...).OnConflictColumns(indexentry.FieldItem).
			Update(func(u *ent.IndexEntryUpsert) { u.UpdateDocs(); u.UpdateSyncedAt() }).Exec(ctx)
		return wrap("PutEntries", err)
	}
	return nil
}

func (r *repo) SyncedSince(ctx context.Context, t time.Time) ([]string, error) {
	var out []string
	err := r.data.Client(ctx).IndexEntry.Query().Where(indexentry.SyncedAtGTE(t.UTC())).Order(indexentry.ByItem()).
		Select(indexentry.FieldItem).Scan(ctx, &out)
	return out, wrap("SyncedSince", err)
}

func (r *repo) DropEntriesBefore(ctx context.Context, t time.Time) error {
	_, err := r.data.Client(ctx).IndexEntry.Delete().Where(indexentry.SyncedAtLT(t.UTC())).Exec(ctx)
	return wrap("DropEntriesBefore", err)
}

const stateID = 1

// state reads the one state row, creating it on first use.
func (r *repo) state(ctx context.Context) (*ent.IndexState, error) {
	c := r.data.Client(ctx)
	s, err := c.IndexState.Get(ctx, stateID)
	if ent.IsNotFound(err) {
		if err := createState(ctx, c); err != nil {
			return nil, err
		}
		s, err = c.IndexState.Get(ctx, stateID)
	}
	return s, err
}

// createState inserts the state row unless it exists. Two first readers at once (the reindex
// requested at start and an admin's status page, say) both miss it and both insert: the one that
// loses inserts nothing, which ent reports as sql.ErrNoRows, and that is success.
func createState(ctx context.Context, c *ent.Client) error {
	err := c.IndexState.Create().SetID(stateID).OnConflictColumns(indexstate.FieldID).DoNothing().Exec(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	return err
}

func utc(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

func (r *repo) State(ctx context.Context) (*biz.State, error) {
	s, err := r.state(ctx)
	if err != nil {
		return nil, wrap("State", err)
	}
	return &biz.State{Generation: s.Generation, Reindex: s.Reindex, RequestedAt: utc(s.RequestedAt), HeartbeatAt: utc(s.HeartbeatAt),
		ReindexedAt: utc(s.ReindexedAt), Documents: s.Documents}, nil
}

func (r *repo) RequestReindex(ctx context.Context, now time.Time) (bool, error) {
	if _, err := r.state(ctx); err != nil {
		return false, wrap("RequestReindex", err)
	}
	n, err := r.data.Client(ctx).IndexState.Update().Where(indexstate.ID(stateID), indexstate.Reindex(biz.ReindexIdle)).
		SetReindex(biz.ReindexRequested).SetRequestedAt(now.UTC()).Save(ctx)
	return n == 1, wrap("RequestReindex", err)
}

func (r *repo) ClaimReindex(ctx context.Context, now, staleBefore time.Time) (bool, error) {
	n, err := r.data.Client(ctx).IndexState.Update().Where(indexstate.ID(stateID), indexstate.Or(
		indexstate.Reindex(biz.ReindexRequested),
		indexstate.And(indexstate.Reindex(biz.ReindexRunning), indexstate.HeartbeatAtLT(staleBefore.UTC())))).
		SetReindex(biz.ReindexRunning).SetHeartbeatAt(now.UTC()).Save(ctx)
	return n == 1, wrap("ClaimReindex", err)
}

func (r *repo) Heartbeat(ctx context.Context, now time.Time) error {
	_, err := r.data.Client(ctx).IndexState.Update().Where(indexstate.ID(stateID)).SetHeartbeatAt(now.UTC()).Save(ctx)
	return wrap("Heartbeat", err)
}

func (r *repo) FinishReindex(ctx context.Context, gen int64, docs int, now time.Time) error {
	_, err := r.data.Client(ctx).IndexState.Update().Where(indexstate.ID(stateID)).SetGeneration(gen).SetDocuments(docs).
		SetReindex(biz.ReindexIdle).SetReindexedAt(now.UTC()).Save(ctx)
	return wrap("FinishReindex", err)
}

func (r *repo) ReleaseReindex(ctx context.Context, now time.Time) (bool, error) {
	n, err := r.data.Client(ctx).IndexState.Update().Where(indexstate.ID(stateID), indexstate.Reindex(biz.ReindexRunning)).
		SetReindex(biz.ReindexRequested).SetRequestedAt(now.UTC()).Save(ctx)
	return n == 1, wrap("ReleaseReindex", err)
}
