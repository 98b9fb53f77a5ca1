package biz

import (
	"context"

	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/htmlsafe"
)

// SearchService is the one service that reads the search feed.
const SearchService = "search"

// Bounds of the search feed's calls.
const (
	MaxFeedItems = 100
	MaxFeedPage  = 500
)

// FeedQuestion is what search indexes of a question: its text and tags, and its bank's org (whose
// trainers and staff open it). It carries no answer key, reference or explanation.
type FeedQuestion struct {
	ID       int64
	BankID   int64
	BankName string
	OrgPath  string
	Type     QType
	Stem     string
	Options  []string
	Tags     []string
	Archived bool
}

// SearchFeed gives the search service questions as they stand (service credentials of search
// only).
type SearchFeed struct{ banks BankRepo }

func (f *SearchFeed) feed(ctx context.Context, qs []*Question) ([]*FeedQuestion, error) {
	banks := map[int64]*Bank{}
	out := make([]*FeedQuestion, 0, len(qs))
	for _, q := range qs {
		b, ok := banks[q.BankID]
		if !ok {
			var err error
			if b, err = f.banks.GetBank(ctx, q.BankID); err != nil {
				return nil, err
			}
			banks[q.BankID] = b
		}
		fq := &FeedQuestion{ID: q.ID, BankID: b.ID, BankName: b.Name, OrgPath: b.OrgPath, Type: q.Type,
			Stem: htmlsafe.Text(q.StemHTML), Tags: q.Tags, Archived: q.Archived}
		for _, o := range q.Options {
			fq.Options = append(fq.Options, o.Key+". "+htmlsafe.Text(o.HTML))
		}
		out = append(out, fq)
	}
	return out, nil
}

// Questions returns the questions among ids that exist (archived ones marked).
func (f *SearchFeed) Questions(ctx context.Context, ids []int64) ([]*FeedQuestion, error) {
	if err := auth.RequireServiceNamed(ctx, SearchService, "搜索数据"); err != nil {
		return nil, err
	}
	if len(ids) > MaxFeedItems {
		return nil, Invalid("question_ids", "一次最多读取 %d 道题", MaxFeedItems)
	}
	qs, err := f.banks.GetQuestions(ctx, ids)
	if err != nil {
		return nil, err
	}
	return f.feed(ctx, qs)
}

// List pages through every bank's questions by id (archived ones left out), after afterID; next
// is 0 at the end.
func (f *SearchFeed) List(ctx context.Context, afterID int64, limit int) (out []*FeedQuestion, next int64, err error) {
	if err := auth.RequireServiceNamed(ctx, SearchService, "搜索数据"); err != nil {
		return nil, 0, err
	}
	limit = min(max(limit, 1), MaxFeedPage)
	qs, err := f.banks.QuestionsAfter(ctx, afterID, limit)
	if err != nil {
		return nil, 0, err
	}
	if out, err = f.feed(ctx, qs); err != nil {
		return nil, 0, err
	}
	if len(qs) == limit {
		next = qs[len(qs)-1].ID
	}
	return out, next, nil
}
