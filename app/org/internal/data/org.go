package data

import (
	"context"
	"fmt"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/vanguard/vanguard/app/org/internal/biz"
	"github.com/vanguard/vanguard/app/org/internal/data/ent"
	"github.com/vanguard/vanguard/app/org/internal/data/ent/org"
	"github.com/vanguard/vanguard/app/org/internal/data/ent/predicate"
)

type orgRepo struct{ data *Data }

var _ biz.OrgRepo = (*orgRepo)(nil)

// NewOrgRepo returns the ent-backed org repository.
func NewOrgRepo(d *Data) biz.OrgRepo { return &orgRepo{data: d} }

func orgToBiz(o *ent.Org) *biz.Org {
	b := &biz.Org{ID: o.ID, Name: o.Name, Code: o.Code, Type: biz.OrgType(o.Type), Path: o.Path, Depth: o.Depth,
		Temporary: o.Temporary, StartsOn: o.StartsOn, EndsOn: o.EndsOn, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
	if o.ParentID != nil {
		b.ParentID = *o.ParentID
	}
	return b
}

// Create inserts orgs in batches. Paths need the new ids, so rows go in with a unique
// placeholder path ("~code") and one UPDATE per batch derives the real path from the parent's.
func (r *orgRepo) Create(ctx context.Context, orgs []biz.NewOrg) ([]*biz.Org, error) {
	var out []*biz.Org
	err := r.data.InTx(ctx, func(ctx context.Context) error {
		c := r.data.client(ctx)
		parents := map[int64]*ent.Org{}
		for _, o := range orgs {
			if o.ParentID != 0 && parents[o.ParentID] == nil {
				p, err := c.Org.Get(ctx, o.ParentID)
				if err != nil {
					return mapErr("orgRepo.Create", err, biz.ErrOrgNotFound)
				}
				parents[o.ParentID] = p
			}
		}
		const chunk = 500
		ids := make([]int64, 0, len(orgs))
		for start := 0; start < len(orgs); start += chunk {
			end := min(start+chunk, len(orgs))
			builders := make([]*ent.OrgCreate, 0, end-start)
			for _, o := range orgs[start:end] {
				depth := 0
				b := c.Org.Create().SetName(o.Name).SetCode(o.Code).SetType(org.Type(o.Type)).SetPath("~" + o.Code).
					SetTemporary(o.Temporary).SetStartsOn(o.StartsOn).SetEndsOn(o.EndsOn)
				if o.ParentID != 0 {
					b.SetParentID(o.ParentID)
					depth = parents[o.ParentID].Depth + 1
				}
				builders = append(builders, b.SetDepth(depth))
			}
			created, err := c.Org.CreateBulk(builders...).Save(ctx)
			if err != nil {
				return mapErr("orgRepo.Create", err, nil)
			}
			for _, o := range created {
				ids = append(ids, o.ID)
			}
		}
		// Roots get "/id/", children their parent's path plus "id/". Parents already have real
		// paths because callers create parents first.
		cat := "CAST(id AS TEXT)"
		if _, err := c.ExecContext(ctx, "UPDATE orgs SET path = '/' || "+cat+" || '/' WHERE path LIKE '~%' AND parent_id IS NULL"); err != nil {
			return fmt.Errorf("orgRepo.Create: root paths: %w", err)
		}
		if _, err := c.ExecContext(ctx, "UPDATE orgs SET path = (SELECT p.path FROM orgs p WHERE p.id = orgs.parent_id) || "+cat+" || '/' WHERE path LIKE '~%'"); err != nil {
			return fmt.Errorf("orgRepo.Create: child paths: %w", err)
		}
		byID := map[int64]*ent.Org{}
		for start := 0; start < len(ids); start += chunk {
			end := min(start+chunk, len(ids))
			rows, err := c.Org.Query().Where(org.IDIn(ids[start:end]...)).All(ctx)
			if err != nil {
				return fmt.Errorf("orgRepo.Create: reload: %w", err)
			}
			for _, o := range rows {
				byID[o.ID] = o
			}
		}
		out = make([]*biz.Org, len(ids))
		for i, id := range ids {
			out[i] = orgToBiz(byID[id])
		}
		return nil
	})
	return out, err
}

func (r *orgRepo) Get(ctx context.Context, id int64) (*biz.Org, error) {
	o, err := r.data.client(ctx).Org.Get(ctx, id)
	if err != nil {
		return nil, mapErr("orgRepo.Get", err, biz.ErrOrgNotFound)
	}
	return orgToBiz(o), nil
}

func (r *orgRepo) GetByCodes(ctx context.Context, codes []string) (map[string]*biz.Org, error) {
	out := make(map[string]*biz.Org, len(codes))
	uniq := dedupe(codes)
	for start := 0; start < len(uniq); start += 500 {
		end := min(start+500, len(uniq))
		rows, err := r.data.client(ctx).Org.Query().Where(org.CodeIn(uniq[start:end]...)).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("orgRepo.GetByCodes: %w", err)
		}
		for _, o := range rows {
			out[o.Code] = orgToBiz(o)
		}
	}
	return out, nil
}

func (r *orgRepo) GetMany(ctx context.Context, ids []int64) (map[int64]*biz.Org, error) {
	out := make(map[int64]*biz.Org, len(ids))
	uniq := dedupe(ids)
	for start := 0; start < len(uniq); start += 500 {
		rows, err := r.data.Reader(ctx).Org.Query().Where(org.IDIn(uniq[start:min(start+500, len(uniq))]...)).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("orgRepo.GetMany: %w", err)
		}
		for _, o := range rows {
			out[o.ID] = orgToBiz(o)
		}
	}
	return out, nil
}

func (r *orgRepo) Update(ctx context.Context, id int64, name, code *string) (*biz.Org, error) {
	u := r.data.client(ctx).Org.UpdateOneID(id)
	if name != nil {
		u.SetName(*name)
	}
	if code != nil {
		u.SetCode(*code)
	}
	o, err := u.Save(ctx)
	if err != nil {
		return nil, mapErr("orgRepo.Update", err, biz.ErrOrgNotFound)
	}
	return orgToBiz(o), nil
}

func (r *orgRepo) Delete(ctx context.Context, id int64) error {
	return mapErr("orgRepo.Delete", r.data.client(ctx).Org.DeleteOneID(id).Exec(ctx), biz.ErrOrgNotFound)
}

func (r *orgRepo) CountChildren(ctx context.Context, id int64) (int, error) {
	n, err := r.data.client(ctx).Org.Query().Where(org.ParentID(id)).Count(ctx)
	return n, mapErr("orgRepo.CountChildren", err, nil)
}

func (r *orgRepo) Count(ctx context.Context) (int, error) {
	n, err := r.data.client(ctx).Org.Query().Count(ctx)
	return n, mapErr("orgRepo.Count", err, nil)
}

// ListSubtree is one range scan on the unique path index: path >= prefix AND path < prefix+1
// char, which both SQLite and PostgreSQL serve from the index (unlike LIKE with a collation).
func (r *orgRepo) ListSubtree(ctx context.Context, prefix, afterPath string, limit int) ([]*biz.Org, int, error) {
	q := r.data.client(ctx).Org.Query()
	if prefix != "" {
		q = q.Where(predicate.Org(pathPrefix(org.FieldPath, prefix)))
	}
	total, err := q.Clone().Count(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("orgRepo.ListSubtree: count: %w", err)
	}
	if afterPath != "" {
		q = q.Where(org.PathGT(afterPath))
	}
	rows, err := q.Order(ent.Asc(org.FieldPath)).Limit(limit).All(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("orgRepo.ListSubtree: %w", err)
	}
	out := make([]*biz.Org, len(rows))
	for i, o := range rows {
		out[i] = orgToBiz(o)
	}
	return out, total, nil
}

// pathPrefix selects rows whose column starts with prefix, as an index-friendly range. Paths are
// ASCII digits and slashes, so prefix + "\x7f" bounds every extension of prefix.
func pathPrefix(column, prefix string) func(*entsql.Selector) {
	return func(s *entsql.Selector) {
		s.Where(entsql.And(entsql.GTE(s.C(column), prefix), entsql.LT(s.C(column), prefix+"\x7f")))
	}
}

// dedupe drops zero values and repeats, keeping the first of each.
func dedupe[T comparable](in []T) []T {
	var zero T
	seen := make(map[T]bool, len(in))
	out := make([]T, 0, len(in))
	for _, s := range in {
		if s != zero && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
