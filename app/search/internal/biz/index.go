package biz

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vanguard/vanguard/pkg/clock"
)

// Generations opens and drops the index's generations: a reindex fills a new generation while
// the live one answers, then swaps it in.
type Generations interface {
	// Engine names the engine: bleve or meilisearch.
	Engine() string
	// Open opens a generation's index, creating it when missing.
	Open(ctx context.Context, gen int64) (Engine, error)
	// Drop deletes a generation's index (closing it first when open).
	Drop(ctx context.Context, gen int64) error
}

// Index is the live generation, and the one a reindex is filling (which syncs write too).
type Index struct {
	gens     Generations
	mu       sync.RWMutex
	liveGen  int64
	live     Engine
	building Engine
}

// NewIndex holds the generations; nothing is live until Use.
func NewIndex(g Generations) *Index { return &Index{gens: g} }

// Live is the engine answering queries (errUnavailable before the first generation is open).
func (x *Index) Live() (Engine, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.live == nil {
		return nil, errUnavailable
	}
	return x.live, nil
}

// Generation is the live generation (0: none).
func (x *Index) Generation() int64 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.liveGen
}

// Use makes gen live (opening it unless it already is) and closes the one it replaces.
func (x *Index) Use(ctx context.Context, gen int64) error {
	x.mu.RLock()
	same := x.live != nil && x.liveGen == gen
	x.mu.RUnlock()
	if same {
		return nil
	}
	e, err := x.gens.Open(ctx, gen)
	if err != nil {
		return err
	}
	x.replace(gen, e)
	return nil
}

// replace makes e the live generation gen and closes the engine it replaces, unless that is e
// itself: a reconciler pass between a reindex's finish and its swap has already made the
// reindex's engine live (Bleve's Open hands out the generation's one open engine).
func (x *Index) replace(gen int64, e Engine) {
	if old := x.swap(gen, e); old != nil && old != e {
		_ = old.Close()
	}
}

func (x *Index) swap(gen int64, e Engine) (old Engine) {
	x.mu.Lock()
	old, x.live, x.liveGen = x.live, e, gen
	if x.building == e {
		x.building = nil
	}
	x.mu.Unlock()
	return old
}

// targets are the engines a sync writes: the live one and the one being built.
func (x *Index) targets() []Engine {
	x.mu.RLock()
	defer x.mu.RUnlock()
	var out []Engine
	for _, e := range []Engine{x.live, x.building} {
		if e != nil {
			out = append(out, e)
		}
	}
	return out
}

// Close closes the open generations.
func (x *Index) Close() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	var err error
	for _, e := range []Engine{x.live, x.building} {
		if e != nil {
			err = errors.Join(err, e.Close())
		}
	}
	x.live, x.building = nil, nil
	return err
}

// Items name an owner's thing: course:7 (the course and its lessons), news:3, question:9.
const (
	ItemCourse   = "course"
	ItemNews     = "news"
	ItemQuestion = "question"
)

// Item names an owner's thing.
func Item(kind string, id int64) string { return kind + ":" + strconv.FormatInt(id, 10) }

// ParseItem splits an item name.
func ParseItem(item string) (kind string, id int64, err error) {
	kind, num, ok := strings.Cut(item, ":")
	if ok {
		id, err = strconv.ParseInt(num, 10, 64)
	}
	if !ok || err != nil || id <= 0 || (kind != ItemCourse && kind != ItemNews && kind != ItemQuestion) {
		return "", 0, fmt.Errorf("search: bad item %q", item)
	}
	return kind, id, nil
}

// Mark is an item waiting to be synced.
type Mark struct {
	Item    string
	Gen     int64
	Due     time.Time
	Trigger string
}

// State is the index's state as the database holds it.
type State struct {
	Generation  int64
	Reindex     string // idle, requested or running
	RequestedAt time.Time
	HeartbeatAt time.Time
	ReindexedAt time.Time
	Documents   int
}

// Reindex states.
const (
	ReindexIdle      = "idle"
	ReindexRequested = "requested"
	ReindexRunning   = "running"
)

// Repo is the search database: the marks of pending syncs, what the index holds of each item,
// and the index's state.
type Repo interface {
	// Mark inserts each item's mark or bumps its gen (the due time of an existing mark stays).
	Mark(ctx context.Context, items []string, due time.Time, trigger string) error
	// Claim takes the item's mark for a sync until until, unless another sync holds it; nil
	// when there is no mark, ErrClaimed when another sync holds it.
	Claim(ctx context.Context, item string, now, until time.Time) (*Mark, error)
	// Finish deletes the mark if its gen is still gen and reports whether it did; otherwise it
	// releases the claim (a newer event wants another sync).
	Finish(ctx context.Context, item string, gen int64) (bool, error)
	// DueMarks are marks due before t, unclaimed or whose claim ran out, oldest first.
	DueMarks(ctx context.Context, before time.Time, limit int) ([]*Mark, error)
	Pending(ctx context.Context) (int, error)

	// Entries are the documents the index holds of each item (an item with none is absent).
	Entries(ctx context.Context, items []string) (map[string][]string, error)
	// PutEntries records each item's documents (none: its entry is deleted), synced at at.
	PutEntries(ctx context.Context, entries map[string][]string, at time.Time) error
	// SyncedSince lists the items synced at or after t.
	SyncedSince(ctx context.Context, t time.Time) ([]string, error)
	// DropEntriesBefore deletes the entries not synced since t.
	DropEntriesBefore(ctx context.Context, t time.Time) error

	State(ctx context.Context) (*State, error)
	// RequestReindex moves an idle index to requested and reports whether it did.
	RequestReindex(ctx context.Context, now time.Time) (bool, error)
	// ClaimReindex moves a requested reindex, or a running one whose heartbeat is older than
	// staleBefore, to running; it reports whether this call did.
	ClaimReindex(ctx context.Context, now, staleBefore time.Time) (bool, error)
	Heartbeat(ctx context.Context, now time.Time) error
	// FinishReindex makes gen the live generation and the reindex idle.
	FinishReindex(ctx context.Context, gen int64, docs int, now time.Time) error
	// ReleaseReindex moves a running reindex back to requested, requested at now (its task is
	// a new one), and reports whether it did.
	ReleaseReindex(ctx context.Context, now time.Time) (bool, error)
}

// ErrClaimed: another sync of the item is running.
var ErrClaimed = errors.New("search: item claimed by another sync")

// Scheduler queues the search service's tasks.
type Scheduler interface {
	// Sync queues the item's sync at due (one task per item and due time).
	Sync(ctx context.Context, item string, due time.Time) error
	// Reindex queues the reindex requested at requested.
	Reindex(ctx context.Context, requested time.Time) error
}

// Sources read the owners' items as they stand, over their service-only SearchFeed APIs.
type Sources interface {
	Courses(ctx context.Context, ids []int64) ([]*SourceCourse, error)
	Posts(ctx context.Context, ids []int64) ([]*SourcePost, error)
	Questions(ctx context.Context, ids []int64) ([]*SourceQuestion, error)
	// The List calls page by id after after; next is 0 at the end.
	ListCourses(ctx context.Context, after int64, limit int) (page []*SourceCourse, next int64, err error)
	ListPosts(ctx context.Context, after int64, limit int) (page []*SourcePost, next int64, err error)
	ListQuestions(ctx context.Context, after int64, limit int) (page []*SourceQuestion, next int64, err error)
}

// SourceCourse is a course as course tells it.
type SourceCourse struct {
	ID                    int64
	Title, Summary, Topic string
	Tags                  []string
	OrgPath               string
	Assigned              []string
	Published             bool
	UpdatedAt             time.Time
	Lessons               []SourceLesson
}

// SourceLesson is a lesson's searchable part.
type SourceLesson struct {
	ID          int64
	Title, Text string
}

// SourcePost is a news post as course tells it.
type SourcePost struct {
	ID                   int64
	OrgPath, Title, Text string
	PublishAt, UpdatedAt time.Time
}

// SourceQuestion is a question as quiz tells it.
type SourceQuestion struct {
	ID, BankID        int64
	BankName, OrgPath string
	Stem              string
	Options, Tags     []string
	Archived          bool
	UpdatedAt         time.Time
}

// What each kind reaches through its owner (see Reach).
var (
	courseReach   = []string{ReachAuthors, ReachManagers}
	newsReach     = []string{ReachManagers}
	questionReach = []string{ReachAuthors}
)

// CourseDocs are a published course's documents: the course, then its lessons (nothing for a
// draft or an archived course, nor for one assigned nowhere: no member may open it, and its
// authors find it on their desk).
func CourseDocs(c *SourceCourse) []Document {
	if !c.Published {
		return nil
	}
	id := Item(KindCourse, c.ID)
	var lessons strings.Builder
	for _, l := range c.Lessons {
		lessons.WriteString(l.Title)
		lessons.WriteString("\n")
	}
	out := []Document{{ID: id, Kind: KindCourse, Title: c.Title, Summary: c.Summary, Body: lessons.String(), Topic: c.Topic,
		Tags: c.Tags, Paths: c.Assigned, Owner: c.OrgPath, Reach: courseReach, UpdatedAt: c.UpdatedAt}}
	for _, l := range c.Lessons {
		out = append(out, Document{ID: Item(KindLesson, l.ID), Kind: KindLesson, Title: l.Title, Summary: c.Title, Body: l.Text,
			Topic: c.Topic, Tags: c.Tags, Paths: c.Assigned, Owner: c.OrgPath, Reach: courseReach, Parent: id, UpdatedAt: c.UpdatedAt})
	}
	return out
}

// PostDocs is a post's document once it is published (members see it from PublishAt); before,
// nothing, and the time to look again.
func PostDocs(p *SourcePost, now time.Time) ([]Document, time.Time) {
	if p.PublishAt.After(now) {
		return nil, p.PublishAt
	}
	at := p.PublishAt
	if p.UpdatedAt.After(at) {
		at = p.UpdatedAt
	}
	return []Document{{ID: Item(KindNews, p.ID), Kind: KindNews, Title: p.Title, Body: p.Text, Paths: []string{p.OrgPath},
		Owner: p.OrgPath, Reach: newsReach, UpdatedAt: at}}, time.Time{}
}

// QuestionDocs is a question's document (none when archived); questions are staff documents.
func QuestionDocs(q *SourceQuestion) []Document {
	if q.Archived {
		return nil
	}
	return []Document{{ID: Item(KindQuestion, q.ID), Kind: KindQuestion, Title: q.Stem, Summary: q.BankName,
		Body: strings.Join(q.Options, "\n"), Topic: q.BankName, Tags: q.Tags, Owner: q.OrgPath, Reach: questionReach, Staff: true,
		Parent: Item("bank", q.BankID), UpdatedAt: q.UpdatedAt}}
}

func docIDs(docs []Document) []string {
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i] = d.ID
	}
	return out
}

// Indexer keeps the index in step with the owners: events mark items, syncs read them from the
// owners and write their documents, a reindex rebuilds a new generation and swaps it in.
type Indexer struct {
	index   *Index
	repo    Repo
	sources Sources
	sched   Scheduler
	clock   clock.Clock
	// Debounce delays a sync after an event (a burst of events on one course makes one sync).
	debounce time.Duration
	log      func(format string, args ...any)
}

// IndexerDeps are the Indexer's parts.
type IndexerDeps struct {
	Index    *Index
	Repo     Repo
	Sources  Sources
	Sched    Scheduler
	Clock    clock.Clock
	Debounce time.Duration
	Log      func(format string, args ...any)
}

// NewIndexer wires an Indexer.
func NewIndexer(d IndexerDeps) *Indexer {
	if d.Clock == nil {
		d.Clock = clock.Real{}
	}
	if d.Log == nil {
		d.Log = func(string, ...any) {}
	}
	return &Indexer{index: d.Index, repo: d.Repo, sources: d.Sources, sched: d.Sched, clock: d.Clock, debounce: d.Debounce, log: d.Log}
}

// Timings of the syncs and the reindex.
const (
	claimFor      = 2 * time.Minute
	busyRetry     = time.Second
	overdueAfter  = time.Minute
	staleReindex  = 2 * time.Minute
	reindexPage   = 200
	reconcileMany = 500
)

// Mark marks items for a sync in the caller's transaction (the inbox's) and returns their due
// time; Kick queues them once it commits.
func (ix *Indexer) Mark(ctx context.Context, items []string, trigger string) (time.Time, error) {
	due := ix.clock.Now().Add(ix.debounce)
	return due, ix.repo.Mark(ctx, items, due, trigger)
}

// Kick queues the items' syncs at due; a lost task is queued again by the reconciler.
func (ix *Indexer) Kick(ctx context.Context, items []string, due time.Time) {
	for _, it := range items {
		if err := ix.sched.Sync(ctx, it, due); err != nil {
			ix.log("search: queue sync of %s: %v", it, err)
		}
	}
}

// Sync reads the item from its owner and writes its documents to the index (the live generation
// and any being built), removing those it no longer has. One sync of an item runs at a time; a
// newer event during it queues another.
//
// Items already due and not claimed by another sync ride along, up to syncBatch: each engine
// write is one Bleve batch (a new segment, persisted, later merged), which was most of a sync's
// cost, so under a burst of changes one task writes many items in one batch (BenchmarkSync).
// Their own tasks then find no mark, or find them claimed and look again a second later.
func (ix *Indexer) Sync(ctx context.Context, item string) error {
	now := ix.clock.Now()
	m, err := ix.repo.Claim(ctx, item, now, now.Add(claimFor))
	if errors.Is(err, ErrClaimed) {
		return ix.sched.Sync(ctx, item, now.Add(busyRetry))
	}
	if err != nil || m == nil {
		return err
	}
	marks := append([]*Mark{m}, ix.claimDue(ctx, item, now)...)
	nexts, err := ix.apply(ctx, marks)
	if err != nil {
		for _, m := range marks { // release the claims; the marks stay
			if _, ferr := ix.repo.Finish(ctx, m.Item, -1); ferr != nil {
				err = errors.Join(err, ferr)
			}
		}
		return err
	}
	var errs []error
	for i, m := range marks {
		done, err := ix.repo.Finish(ctx, m.Item, m.Gen)
		switch {
		case err != nil:
			errs = append(errs, err) // the claim runs out; the reconciler queues the sync again
		case !done: // an event during the sync
			errs = append(errs, ix.sched.Sync(ctx, m.Item, ix.clock.Now()))
		case !nexts[i].IsZero(): // a scheduled post: look again when it is published
			if err := ix.repo.Mark(ctx, []string{m.Item}, nexts[i], "publish_at"); err != nil {
				errs = append(errs, err)
				continue
			}
			errs = append(errs, ix.sched.Sync(ctx, m.Item, nexts[i]))
		}
	}
	return errors.Join(errs...)
}

// syncBatch is how many items one sync writes at most: its own and those due with it;
// feedChunk how many of a kind it asks an owner for in one call (a course's lessons carry their
// text: a call stays far below gRPC's 4 MB message limit, and the feeds' 100 ids).
const (
	syncBatch = 32
	feedChunk = 8
)

// claimDue claims other items already due, for Sync to write with item; on any failure it
// claims fewer (each has its own task).
func (ix *Indexer) claimDue(ctx context.Context, item string, now time.Time) []*Mark {
	due, err := ix.repo.DueMarks(ctx, now, syncBatch)
	if err != nil {
		return nil
	}
	var out []*Mark
	for _, d := range due {
		if len(out) == syncBatch-1 {
			break
		}
		if d.Item == item {
			continue
		}
		if _, _, err := ParseItem(d.Item); err != nil {
			continue
		}
		m, err := ix.repo.Claim(ctx, d.Item, now, now.Add(claimFor))
		if err == nil && m != nil {
			out = append(out, m)
		}
	}
	return out
}

// docsOf reads the items from their owners, one call per kind: each item's documents (none when
// the owner no longer has it), and when to look again (a scheduled post).
func (ix *Indexer) docsOf(ctx context.Context, items []string) ([][]Document, []time.Time, error) {
	ids := map[string][]int64{}
	for _, it := range items {
		kind, id, err := ParseItem(it)
		if err != nil {
			return nil, nil, err
		}
		ids[kind] = append(ids[kind], id)
	}
	found := map[string][]Document{}
	next := map[string]time.Time{}
	if err := inChunks(ids[ItemCourse], func(chunk []int64) ([]*SourceCourse, error) { return ix.sources.Courses(ctx, chunk) },
		func(c *SourceCourse) { found[Item(ItemCourse, c.ID)] = CourseDocs(c) }); err != nil {
		return nil, nil, err
	}
	if err := inChunks(ids[ItemNews], func(chunk []int64) ([]*SourcePost, error) { return ix.sources.Posts(ctx, chunk) },
		func(p *SourcePost) {
			it := Item(ItemNews, p.ID)
			found[it], next[it] = PostDocs(p, ix.clock.Now())
		}); err != nil {
		return nil, nil, err
	}
	if err := inChunks(ids[ItemQuestion], func(chunk []int64) ([]*SourceQuestion, error) { return ix.sources.Questions(ctx, chunk) },
		func(q *SourceQuestion) { found[Item(ItemQuestion, q.ID)] = QuestionDocs(q) }); err != nil {
		return nil, nil, err
	}
	docs, nexts := make([][]Document, len(items)), make([]time.Time, len(items))
	for i, it := range items {
		docs[i], nexts[i] = found[it], next[it]
	}
	return docs, nexts, nil
}

// inChunks reads ids from an owner feedChunk at a time, handing each item it has to each.
func inChunks[T any](ids []int64, read func([]int64) ([]T, error), each func(T)) error {
	for chunk := range slices.Chunk(ids, feedChunk) {
		got, err := read(chunk)
		if err != nil {
			return err
		}
		for _, it := range got {
			each(it)
		}
	}
	return nil
}

func (ix *Indexer) apply(ctx context.Context, marks []*Mark) ([]time.Time, error) {
	items := make([]string, len(marks))
	for i, m := range marks {
		items[i] = m.Item
	}
	docs, nexts, err := ix.docsOf(ctx, items)
	if err != nil {
		return nil, err
	}
	return nexts, ix.write(ctx, ix.index.targets(), items, docs)
}

// write replaces the items' documents in the engines, in one delete and one upsert per engine,
// and records them.
func (ix *Indexer) write(ctx context.Context, engines []Engine, items []string, docs [][]Document) error {
	prev, err := ix.repo.Entries(ctx, items)
	if err != nil {
		return err
	}
	var all []Document
	var gone []string
	for i, item := range items {
		ids := docIDs(docs[i])
		for _, id := range prev[item] {
			if !slices.Contains(ids, id) {
				gone = append(gone, id)
			}
		}
		all = append(all, docs[i]...)
	}
	for _, e := range engines {
		if len(gone) > 0 {
			if err := e.Delete(ctx, gone...); err != nil {
				return err
			}
		}
		if len(all) > 0 {
			if err := e.Upsert(ctx, all...); err != nil {
				return err
			}
		}
	}
	entries := make(map[string][]string, len(items))
	for i, item := range items {
		entries[item] = docIDs(docs[i])
	}
	return ix.repo.PutEntries(ctx, entries, ix.clock.Now())
}

// Reconcile is one reconciler pass: the live generation follows the database (another process
// may have swapped it), syncs whose task was lost are queued again, and a reindex is requested
// when nothing was ever indexed (the first start: the backfill) or taken over when its runner
// stopped.
func (ix *Indexer) Reconcile(ctx context.Context) error {
	st, err := ix.repo.State(ctx)
	if err != nil {
		return err
	}
	now := ix.clock.Now()
	if st.Generation > 0 && st.Generation != ix.index.Generation() {
		if err := ix.index.Use(ctx, st.Generation); err != nil {
			return err
		}
	}
	switch {
	case st.Generation == 0 && st.Reindex == ReindexIdle:
		if _, err := ix.RequestReindex(ctx); err != nil {
			return err
		}
	case st.Reindex == ReindexRequested, // by another process (bin/search reindex), or its task was lost
		st.Reindex == ReindexRunning && st.HeartbeatAt.Before(now.Add(-staleReindex)):
		if err := ix.sched.Reindex(ctx, st.RequestedAt); err != nil {
			return err
		}
	}
	marks, err := ix.repo.DueMarks(ctx, now.Add(-overdueAfter), reconcileMany)
	if err != nil {
		return err
	}
	for _, m := range marks {
		if err := ix.sched.Sync(ctx, m.Item, m.Due); err != nil {
			return err
		}
	}
	return nil
}

// RequestReindex asks for a rebuild (once: a request while one is pending or running is the
// same one) and queues it.
func (ix *Indexer) RequestReindex(ctx context.Context) (*State, error) {
	if _, err := ix.repo.RequestReindex(ctx, ix.clock.Now()); err != nil {
		return nil, err
	}
	st, err := ix.repo.State(ctx)
	if err != nil {
		return nil, err
	}
	if st.Reindex == ReindexRequested {
		if err := ix.sched.Reindex(ctx, st.RequestedAt); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// Pending is how many items wait for a sync.
func (ix *Indexer) Pending(ctx context.Context) (int, error) { return ix.repo.Pending(ctx) }

// State is the index's state.
func (ix *Indexer) State(ctx context.Context) (*State, error) { return ix.repo.State(ctx) }

// Reindex rebuilds the index into a new generation from the owners' APIs while the live one
// answers, then swaps it in: syncs during the build write both, and the items synced during it
// are synced again after the swap (the build may have read them before their change). A failed
// build gives the run back to the reconciler's next pass; a crash leaves it to the reconciler
// once its heartbeat is stale.
func (ix *Indexer) Reindex(ctx context.Context) error {
	start := ix.clock.Now()
	ok, err := ix.repo.ClaimReindex(ctx, start, start.Add(-staleReindex))
	if err != nil || !ok {
		return err
	}
	st, err := ix.repo.State(ctx)
	if err != nil {
		return err
	}
	gen := st.Generation + 1
	_ = ix.index.gens.Drop(ctx, gen) // what a crashed run left
	e, err := ix.index.gens.Open(ctx, gen)
	if err != nil {
		return err
	}
	ix.index.mu.Lock()
	ix.index.building = e
	ix.index.mu.Unlock()
	abandon := func(err error) error {
		ix.index.mu.Lock()
		ix.index.building = nil
		ix.index.mu.Unlock()
		_ = e.Close()
		return err
	}
	n, err := ix.fill(ctx, e)
	if err != nil {
		// An owner did not answer (not started yet, restarting) or the engine failed: give the
		// run back, so that the reconciler's next pass queues it again, rather than hold it
		// until its heartbeat is stale and its task's retries are spent.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if _, rerr := ix.repo.ReleaseReindex(rctx, ix.clock.Now()); rerr != nil {
			return abandon(fmt.Errorf("search: reindex: %w (and giving it back: %v)", err, rerr))
		}
		ix.log("search: reindex into generation %d stopped, the next reconcile starts it again: %v", gen, err)
		return abandon(nil)
	}
	if err := ix.repo.DropEntriesBefore(ctx, start); err != nil {
		return abandon(err)
	}
	if err := ix.repo.FinishReindex(ctx, gen, n, ix.clock.Now()); err != nil {
		return abandon(err)
	}
	// The generation to drop is the one this run replaced in the database, never the live one
	// of the moment: a reconciler pass may have made gen live already.
	ix.index.replace(gen, e)
	if prev := st.Generation; prev > 0 {
		if err := ix.index.gens.Drop(ctx, prev); err != nil {
			ix.log("search: drop generation %d: %v", prev, err)
		}
	}
	again, err := ix.repo.SyncedSince(ctx, start)
	if err != nil {
		return err
	}
	if len(again) > 0 {
		due, err := ix.Mark(ctx, again, "reindex")
		if err != nil {
			return err
		}
		ix.Kick(ctx, again, due)
	}
	ix.log("search: reindexed generation %d: %d documents", gen, n)
	return nil
}

// pages calls each for every item list pages out, page by page after the last id, and beat
// after each page.
func pages[T any](list func(after int64) ([]T, int64, error), each func(T) error, beat func() error) error {
	for after := int64(0); ; {
		page, next, err := list(after)
		if err != nil {
			return err
		}
		for _, it := range page {
			if err := each(it); err != nil {
				return err
			}
		}
		if err := beat(); err != nil || next == 0 {
			return err
		}
		after = next
	}
}

// fill writes every owner's item into e, page by page, recording each item's documents; the
// heartbeat after each page keeps the run its own.
func (ix *Indexer) fill(ctx context.Context, e Engine) (int, error) {
	n := 0
	put := func(item string, docs []Document) error {
		if len(docs) > 0 {
			if err := e.Upsert(ctx, docs...); err != nil {
				return err
			}
		}
		n += len(docs)
		return ix.repo.PutEntries(ctx, map[string][]string{item: docIDs(docs)}, ix.clock.Now())
	}
	beat := func() error { return ix.repo.Heartbeat(ctx, ix.clock.Now()) }
	err := pages(func(after int64) ([]*SourceCourse, int64, error) {
		return ix.sources.ListCourses(ctx, after, reindexPage)
	},
		func(c *SourceCourse) error { return put(Item(ItemCourse, c.ID), CourseDocs(c)) }, beat)
	if err == nil {
		err = pages(func(after int64) ([]*SourcePost, int64, error) { return ix.sources.ListPosts(ctx, after, reindexPage) },
			func(p *SourcePost) error {
				item := Item(ItemNews, p.ID)
				docs, at := PostDocs(p, ix.clock.Now())
				if !at.IsZero() { // scheduled: its sync at publish time
					if err := ix.repo.Mark(ctx, []string{item}, at, "publish_at"); err != nil {
						return err
					}
					if err := ix.sched.Sync(ctx, item, at); err != nil {
						ix.log("search: queue sync of %s: %v", item, err)
					}
				}
				return put(item, docs)
			}, beat)
	}
	if err == nil {
		err = pages(func(after int64) ([]*SourceQuestion, int64, error) {
			return ix.sources.ListQuestions(ctx, after, reindexPage)
		},
			func(q *SourceQuestion) error { return put(Item(ItemQuestion, q.ID), QuestionDocs(q)) }, beat)
	}
	return n, err
}
