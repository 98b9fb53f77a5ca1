package data

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	"github.com/vanguard/vanguard/app/quiz/internal/biz"
	"github.com/vanguard/vanguard/app/quiz/internal/data/ent"
	"github.com/vanguard/vanguard/app/quiz/internal/data/ent/attempt"
)

// An attempt's question snapshot (stems, options, keys: tens of kilobytes for 50 questions) was
// decoded from JSON on every read of the attempt, and that decoding was a third of grading's CPU.
// Attempts of one fixed paper without shuffling share the same snapshot, so reads select the
// attempt without it and take the decoded snapshot from a cache keyed by the SHA-256 of its JSON
// (stored beside it as questions_hash); only snapshots the cache lacks are read and decoded.
// Content-addressed entries are never stale: a regrade that refreshes keys writes a new hash.
// Graders need less still: only the keys, stored beside the snapshot as grading_keys (shuffled
// papers make every snapshot different, and decoding one was ~0.5 ms of CPU for 50 questions).

// snapshotCacheSize bounds the cache: a few hundred papers (and shuffled or drawn snapshots,
// which the cache holds too but rarely hits) of at most tens of kilobytes each.
const snapshotCacheSize = 512

// snapshotCache is a bounded map of decoded snapshots; the oldest entry leaves first.
type snapshotCache struct {
	mu    sync.Mutex
	m     map[string][]biz.SnapQuestion
	order []string // ring of keys in insertion order
	next  int
}

func newSnapshotCache(size int) *snapshotCache {
	return &snapshotCache{m: make(map[string][]biz.SnapQuestion, size), order: make([]string, 0, size)}
}

// get returns a copy of the cached slice: callers may assign its elements' fields (a regrade
// replaces a question's keys) without touching the cached one. The elements' own slices are
// shared and must only be replaced, never written through.
func (c *snapshotCache) get(hash string) ([]biz.SnapQuestion, bool) {
	if hash == "" {
		return nil, false
	}
	c.mu.Lock()
	qs, ok := c.m[hash]
	c.mu.Unlock()
	if !ok {
		return nil, false
	}
	return slices.Clone(qs), true
}

// put keeps a copy of qs under hash.
func (c *snapshotCache) put(hash string, qs []biz.SnapQuestion) {
	if hash == "" {
		return
	}
	qs = slices.Clone(qs)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[hash]; ok {
		return
	}
	if len(c.order) < cap(c.order) {
		c.order = append(c.order, hash)
	} else {
		delete(c.m, c.order[c.next])
		c.order[c.next] = hash
		c.next = (c.next + 1) % len(c.order)
	}
	c.m[hash] = qs
}

// snapshotHash is the questions_hash of qs: the hex SHA-256 of the JSON ent stores.
func snapshotHash(qs []biz.SnapQuestion) (string, error) {
	if len(qs) == 0 {
		return "", nil
	}
	b, err := json.Marshal(qs)
	if err != nil {
		return "", fmt.Errorf("snapshot hash: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// attemptColumns are every attempt column but the snapshot and its keys.
var attemptColumns = func() []string {
	var cols []string
	for _, c := range attempt.Columns {
		if c != attempt.FieldQuestions && c != attempt.FieldGradingKeys {
			cols = append(cols, c)
		}
	}
	return cols
}()

// loadAttempts runs q without the snapshot column and fills each attempt's questions from the
// cache, reading the snapshots it lacks in one more query (one row per missing hash).
func (r *attemptRepo) loadAttempts(ctx context.Context, q *ent.AttemptQuery) ([]*biz.Attempt, error) {
	rows, err := q.Select(attemptColumns...).All(ctx)
	if err != nil {
		return nil, err
	}
	out := attemptsToBiz(rows)
	return out, r.fillSnapshots(ctx, rows, out)
}

// loadKeys runs q without the snapshot column; each attempt's questions are its grading keys
// (biz.KeyQuestions), or its whole snapshot on rows written before the keys were.
func (r *attemptRepo) loadKeys(ctx context.Context, q *ent.AttemptQuery) ([]*biz.Attempt, error) {
	rows, err := q.Select(append(slices.Clip(attemptColumns), attempt.FieldGradingKeys)...).All(ctx)
	if err != nil {
		return nil, err
	}
	out := attemptsToBiz(rows)
	var (
		oldRows []*ent.Attempt
		oldOut  []*biz.Attempt
	)
	for i, row := range rows {
		if len(row.GradingKeys) > 0 {
			out[i].Questions = biz.KeyQuestions(row.GradingKeys)
			continue
		}
		oldRows, oldOut = append(oldRows, row), append(oldOut, out[i])
	}
	return out, r.fillSnapshots(ctx, oldRows, oldOut)
}

// fillSnapshots sets out[i].Questions to the snapshot of rows[i]: from the cache, or read (one
// row per missing hash, every row without a hash) and decoded in one more query.
func (r *attemptRepo) fillSnapshots(ctx context.Context, rows []*ent.Attempt, out []*biz.Attempt) error {
	var (
		missIDs []int64
		asked   = map[string]bool{}
	)
	for i, row := range rows {
		if qs, ok := r.snaps.get(row.QuestionsHash); ok {
			out[i].Questions = qs
			continue
		}
		if row.QuestionsHash == "" || !asked[row.QuestionsHash] {
			asked[row.QuestionsHash] = true
			missIDs = append(missIDs, row.ID)
		}
	}
	if len(missIDs) == 0 {
		return nil
	}
	snaps, err := r.data.client(ctx).Attempt.Query().Where(attempt.IDIn(missIDs...)).
		Select(attempt.FieldID, attempt.FieldQuestionsHash, attempt.FieldQuestions).All(ctx)
	if err != nil {
		return err
	}
	// The hash is the one read with the snapshot, in the same row: outside a transaction a
	// regrade may have replaced both since the first read, and the newer pair is then used.
	byHash := map[string][]biz.SnapQuestion{}
	byID := map[int64]*ent.Attempt{}
	for _, s := range snaps {
		byID[s.ID] = s
		if s.QuestionsHash != "" {
			r.snaps.put(s.QuestionsHash, s.Questions)
			byHash[s.QuestionsHash] = s.Questions
		}
	}
	for i, row := range rows {
		if out[i].Questions != nil {
			continue
		}
		if s := byID[row.ID]; s != nil {
			out[i].Questions = s.Questions
			continue
		}
		if qs, ok := byHash[row.QuestionsHash]; ok {
			out[i].Questions = slices.Clone(qs)
			continue
		}
		// Its hash's row moved to another snapshot between the two reads: read this one.
		s, err := r.data.client(ctx).Attempt.Query().Where(attempt.ID(row.ID)).Select(attempt.FieldQuestions).Only(ctx)
		if err != nil {
			return err
		}
		out[i].Questions = s.Questions
	}
	return nil
}
