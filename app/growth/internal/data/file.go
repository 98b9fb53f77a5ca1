package data

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/vanguard/vanguard/app/growth/internal/biz"
	"github.com/vanguard/vanguard/app/growth/internal/data/ent"
	"github.com/vanguard/vanguard/app/growth/internal/data/ent/filereview"
	"github.com/vanguard/vanguard/app/growth/internal/data/ent/fileversion"
	"github.com/vanguard/vanguard/app/growth/internal/data/ent/growthfile"
	"github.com/vanguard/vanguard/app/growth/internal/data/ent/predicate"
)

type fileRepo struct{ data *Data }

// NewFileRepo returns the files' repository.
func NewFileRepo(d *Data) biz.FileRepo { return &fileRepo{data: d} }

func fileOf(f *ent.GrowthFile) *biz.File {
	return &biz.File{MemberID: f.MemberID, OrgPath: f.OrgPath, MemberName: f.MemberName, OrgName: f.OrgName, Latest: f.Latest, Hash: f.Hash, Status: f.Status, Approved: f.Approved,
		UpdatedAt: f.UpdatedAt.UTC()}
}

func (r *fileRepo) GetFile(ctx context.Context, memberID int64) (*biz.File, error) {
	f, err := r.data.Reader(ctx).GrowthFile.Query().Where(growthfile.MemberID(memberID)).Only(ctx)
	if err != nil {
		return nil, mapErr("GetFile", err, biz.ErrNotFound)
	}
	return fileOf(f), nil
}

// PutVersion inserts the version, then creates the file or moves it on from prevLatest in one
// conditional update; a concurrent compile that stored its version first makes this one
// ErrStale (its version number is taken, or the file's latest moved), and the transaction
// leaves nothing behind.
func (r *fileRepo) PutVersion(ctx context.Context, f *biz.File, v *biz.Version, prevLatest int) error {
	changes, err := json.Marshal(v.Changes)
	if err != nil {
		return err
	}
	return r.data.InTx(ctx, func(ctx context.Context) error {
		c := r.data.client(ctx)
		if err := c.FileVersion.Create().SetMemberID(v.MemberID).SetNo(v.No).SetHash(v.Hash).SetContent(v.Content).
			SetChanges(changes).SetTrigger(v.Trigger).SetCompiledAt(v.CompiledAt.UTC()).Exec(ctx); err != nil {
			return staleOn(mapErr("PutVersion", err, nil))
		}
		if prevLatest == 0 {
			err := c.GrowthFile.Create().SetMemberID(f.MemberID).SetOrgPath(f.OrgPath).SetMemberName(f.MemberName).SetOrgName(f.OrgName).SetLatest(f.Latest).SetHash(f.Hash).
				SetStatus(f.Status).SetApproved(f.Approved).SetUpdatedAt(f.UpdatedAt.UTC()).Exec(ctx)
			return staleOn(mapErr("PutVersion", err, nil))
		}
		n, err := c.GrowthFile.Update().Where(growthfile.MemberID(f.MemberID), growthfile.Latest(prevLatest)).
			SetOrgPath(f.OrgPath).SetMemberName(f.MemberName).SetOrgName(f.OrgName).SetLatest(f.Latest).SetHash(f.Hash).SetStatus(f.Status).SetApproved(f.Approved).
			SetUpdatedAt(f.UpdatedAt.UTC()).Save(ctx)
		if err != nil {
			return mapErr("PutVersion", err, nil)
		}
		if n == 0 {
			return biz.ErrStale
		}
		return nil
	})
}

// staleOn reads a uniqueness conflict as another compile having stored first.
func staleOn(err error) error {
	if errors.Is(err, biz.ErrAlreadyExists) {
		return biz.ErrStale
	}
	return err
}

func versionOf(v *ent.FileVersion, withContent bool) (*biz.Version, error) {
	out := &biz.Version{MemberID: v.MemberID, No: v.No, Hash: v.Hash, Trigger: v.Trigger, CompiledAt: v.CompiledAt.UTC()}
	if len(v.Changes) > 0 {
		if err := json.Unmarshal(v.Changes, &out.Changes); err != nil {
			return nil, err
		}
	}
	if withContent {
		out.Content = v.Content
	}
	return out, nil
}

func (r *fileRepo) GetVersion(ctx context.Context, memberID int64, no int) (*biz.Version, error) {
	v, err := r.data.Reader(ctx).FileVersion.Query().Where(fileversion.MemberID(memberID), fileversion.No(no)).Only(ctx)
	if err != nil {
		return nil, mapErr("GetVersion", err, biz.ErrNotFound)
	}
	return versionOf(v, true)
}

func (r *fileRepo) ListVersions(ctx context.Context, memberID int64) ([]*biz.Version, error) {
	rows, err := r.data.Reader(ctx).FileVersion.Query().Where(fileversion.MemberID(memberID)).
		Select(fileversion.FieldID, fileversion.FieldMemberID, fileversion.FieldNo, fileversion.FieldHash, fileversion.FieldChanges,
			fileversion.FieldTrigger, fileversion.FieldCompiledAt).
		Order(ent.Desc(fileversion.FieldNo)).All(ctx)
	if err != nil {
		return nil, mapErr("ListVersions", err, nil)
	}
	out := make([]*biz.Version, len(rows))
	for i, v := range rows {
		if out[i], err = versionOf(v, false); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// AddReview moves the file's status only while the reviewed version is its latest, then keeps
// the review.
func (r *fileRepo) AddReview(ctx context.Context, rv *biz.Review, now time.Time) error {
	return r.data.InTx(ctx, func(ctx context.Context) error {
		c := r.data.client(ctx)
		upd := c.GrowthFile.Update().Where(growthfile.MemberID(rv.MemberID), growthfile.Latest(rv.VersionNo)).
			SetStatus(rv.Decision).SetUpdatedAt(now.UTC())
		if rv.Decision == biz.StatusApproved {
			upd.SetApproved(rv.VersionNo)
		}
		n, err := upd.Save(ctx)
		if err != nil {
			return mapErr("AddReview", err, nil)
		}
		if n == 0 {
			return biz.ErrStale
		}
		row, err := c.FileReview.Create().SetMemberID(rv.MemberID).SetVersionNo(rv.VersionNo).SetDecision(rv.Decision).
			SetComment(rv.Comment).SetReviewerID(rv.ReviewerID).SetReviewerName(rv.ReviewerName).SetCreatedAt(rv.CreatedAt.UTC()).Save(ctx)
		if err != nil {
			return mapErr("AddReview", err, nil)
		}
		rv.ID = row.ID
		return nil
	})
}

func (r *fileRepo) ListReviews(ctx context.Context, memberID int64) ([]*biz.Review, error) {
	rows, err := r.data.Reader(ctx).FileReview.Query().Where(filereview.MemberID(memberID)).Order(ent.Desc(filereview.FieldID)).All(ctx)
	if err != nil {
		return nil, mapErr("ListReviews", err, nil)
	}
	out := make([]*biz.Review, len(rows))
	for i, x := range rows {
		out[i] = &biz.Review{ID: x.ID, MemberID: x.MemberID, VersionNo: x.VersionNo, Decision: x.Decision, Comment: x.Comment,
			ReviewerID: x.ReviewerID, ReviewerName: x.ReviewerName, CreatedAt: x.CreatedAt.UTC()}
	}
	return out, nil
}

func (r *fileRepo) ListFiles(ctx context.Context, f biz.FileFilter) ([]*biz.File, error) {
	where := []predicate.GrowthFile{growthfile.OrgPathHasPrefix(f.PathPrefix)}
	if f.Status != "" {
		where = append(where, growthfile.Status(f.Status))
	}
	if !f.AfterUpdate.IsZero() {
		at := f.AfterUpdate.UTC()
		where = append(where, growthfile.Or(growthfile.UpdatedAtGT(at), growthfile.And(growthfile.UpdatedAt(at), growthfile.MemberIDGT(f.AfterMember))))
	}
	rows, err := r.data.Reader(ctx).GrowthFile.Query().Where(where...).
		Order(ent.Asc(growthfile.FieldUpdatedAt), ent.Asc(growthfile.FieldMemberID)).Limit(f.Limit).All(ctx)
	if err != nil {
		return nil, mapErr("ListFiles", err, nil)
	}
	out := make([]*biz.File, len(rows))
	for i, x := range rows {
		out[i] = fileOf(x)
	}
	return out, nil
}

// FileRepo is the files' repository (tests).
func (d *Data) FileRepo() biz.FileRepo { return NewFileRepo(d) }
