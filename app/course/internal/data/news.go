package data

import (
	"context"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/vanguard/vanguard/app/course/internal/biz"
	"github.com/vanguard/vanguard/app/course/internal/data/ent"
	"github.com/vanguard/vanguard/app/course/internal/data/ent/newspost"
)

type newsRepo struct{ data *Data }

var _ biz.NewsRepo = (*newsRepo)(nil)

// NewNewsRepo returns the ent-backed news post repository.
func NewNewsRepo(d *Data) biz.NewsRepo { return &newsRepo{data: d} }

func newsToBiz(n *ent.NewsPost) *biz.NewsPost {
	return &biz.NewsPost{ID: n.ID, OrgID: n.OrgID, OrgPath: n.OrgPath, OrgName: n.OrgName, Title: n.Title, CoverURL: n.CoverURL,
		BodyHTML: n.BodyHTML, Excerpt: n.Excerpt, Pinned: n.Pinned, PublishAt: n.PublishAt.UTC(), CreatedBy: n.CreatedBy,
		CreatedAt: n.CreatedAt, UpdatedAt: n.UpdatedAt}
}

// Publish times are stored in UTC whole seconds: SQLite compares times as text, which orders
// them only when every value has the same zone and precision.
func utcSecond(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

func (r *newsRepo) Create(ctx context.Context, p *biz.NewsPost) (*biz.NewsPost, error) {
	row, err := r.data.client(ctx).NewsPost.Create().SetOrgID(p.OrgID).SetOrgPath(p.OrgPath).SetOrgName(p.OrgName).
		SetTitle(p.Title).SetCoverURL(p.CoverURL).SetBodyHTML(p.BodyHTML).SetExcerpt(p.Excerpt).SetPinned(p.Pinned).
		SetPublishAt(utcSecond(p.PublishAt)).SetCreatedBy(p.CreatedBy).Save(ctx)
	if err != nil {
		return nil, mapErr("newsRepo.Create", err, nil)
	}
	return newsToBiz(row), nil
}

func (r *newsRepo) Get(ctx context.Context, id int64) (*biz.NewsPost, error) {
	row, err := r.data.client(ctx).NewsPost.Get(ctx, id)
	if err != nil {
		return nil, mapErr("newsRepo.Get", err, biz.ErrNewsNotFound)
	}
	return newsToBiz(row), nil
}

func (r *newsRepo) Update(ctx context.Context, p *biz.NewsPost) (*biz.NewsPost, error) {
	row, err := r.data.client(ctx).NewsPost.UpdateOneID(p.ID).SetTitle(p.Title).SetCoverURL(p.CoverURL).
		SetBodyHTML(p.BodyHTML).SetExcerpt(p.Excerpt).SetPinned(p.Pinned).SetPublishAt(utcSecond(p.PublishAt)).Save(ctx)
	if err != nil {
		return nil, mapErr("newsRepo.Update", err, biz.ErrNewsNotFound)
	}
	return newsToBiz(row), nil
}

func (r *newsRepo) Delete(ctx context.Context, id int64) error {
	return mapErr("newsRepo.Delete", r.data.client(ctx).NewsPost.DeleteOneID(id).Exec(ctx), biz.ErrNewsNotFound)
}

// ListByID pages through every post by id, with its body.
func (r *newsRepo) ListByID(ctx context.Context, afterID int64, limit int) ([]*biz.NewsPost, error) {
	rows, err := r.data.Reader(ctx).NewsPost.Query().Where(newspost.IDGT(afterID)).Order(newspost.ByID()).Limit(limit).All(ctx)
	if err != nil {
		return nil, mapErr("newsRepo.ListByID", err, nil)
	}
	out := make([]*biz.NewsPost, len(rows))
	for i, n := range rows {
		out[i] = newsToBiz(n)
	}
	return out, nil
}

// List reads one page in feed order — pinned first, then newest publish time, then highest id —
// continuing after f.After (keyset pagination: a page never repeats or skips a post when posts
// are added meanwhile).
func (r *newsRepo) List(ctx context.Context, f biz.NewsFilter) ([]*biz.NewsPost, error) {
	q := r.data.Reader(ctx).NewsPost.Query()
	switch {
	case len(f.Paths) > 0:
		q = q.Where(newspost.OrgPathIn(f.Paths...))
	case f.Under != "":
		q = q.Where(newspost.OrgPathHasPrefix(f.Under))
	default:
		return nil, nil
	}
	if !f.PublishedBy.IsZero() {
		q = q.Where(newspost.PublishAtLTE(utcSecond(f.PublishedBy)))
	}
	if c := f.After; c != nil {
		at := utcSecond(c.PublishAt)
		older := newspost.Or(newspost.PublishAtLT(at), newspost.And(newspost.PublishAt(at), newspost.IDLT(c.ID)))
		if c.Pinned {
			q = q.Where(newspost.Or(newspost.Pinned(false), newspost.And(newspost.Pinned(true), older)))
		} else {
			q = q.Where(newspost.Pinned(false), older)
		}
	}
	q = q.Order(newspost.ByPinned(sql.OrderDesc()), newspost.ByPublishAt(sql.OrderDesc()), newspost.ByID(sql.OrderDesc())).Limit(f.Limit)
	if !f.WithBody {
		fields := []string{}
		for _, c := range newspost.Columns {
			if c != newspost.FieldBodyHTML {
				fields = append(fields, c)
			}
		}
		q.Select(fields...) // narrows q's own column list
	}
	rows, err := q.All(ctx)
	if err != nil {
		return nil, mapErr("newsRepo.List", err, nil)
	}
	out := make([]*biz.NewsPost, len(rows))
	for i, n := range rows {
		out[i] = newsToBiz(n)
	}
	return out, nil
}
