package data

import (
	"context"

	"entgo.io/ent/dialect/sql"

	"github.com/vanguard/vanguard/app/studyhour/internal/biz"
	"github.com/vanguard/vanguard/app/studyhour/internal/data/ent"
	"github.com/vanguard/vanguard/app/studyhour/internal/data/ent/offlinerecord"
)

type offlineStore struct{ data *Data }

// NewOfflineStore returns the offline records store.
func NewOfflineStore(d *Data) biz.OfflineStore { return &offlineStore{data: d} }

func recordOf(r *ent.OfflineRecord) *biz.OfflineRecord {
	return &biz.OfflineRecord{ID: r.ID, MemberID: r.MemberID, OrgPath: r.OrgPath, Title: r.Title, Description: r.Description,
		Hours: r.Hours, Day: r.Day, Status: r.Status, ReviewerID: r.ReviewerID, ReviewReason: r.ReviewReason, ReviewedAt: r.ReviewedAt,
		CreatedAt: r.CreatedAt}
}

func (s *offlineStore) CreateRecord(ctx context.Context, r *biz.OfflineRecord) (*biz.OfflineRecord, error) {
	row, err := s.data.client(ctx).OfflineRecord.Create().SetMemberID(r.MemberID).SetOrgPath(r.OrgPath).SetTitle(r.Title).
		SetDescription(r.Description).SetHours(r.Hours).SetDay(r.Day).SetStatus(r.Status).SetCreatedAt(r.CreatedAt.UTC()).Save(ctx)
	if err != nil {
		return nil, mapErr("offlineStore.CreateRecord", err, nil)
	}
	return recordOf(row), nil
}

func (s *offlineStore) GetRecord(ctx context.Context, id int64) (*biz.OfflineRecord, error) {
	row, err := s.data.client(ctx).OfflineRecord.Get(ctx, id)
	if err != nil {
		return nil, mapErr("offlineStore.GetRecord", err, biz.ErrNotFound)
	}
	return recordOf(row), nil
}

// DecideRecord changes the record only while it is pending, in the same statement.
func (s *offlineStore) DecideRecord(ctx context.Context, r *biz.OfflineRecord) (bool, error) {
	u := s.data.client(ctx).OfflineRecord.Update().Where(offlinerecord.ID(r.ID), offlinerecord.Status(biz.RecordPending)).
		SetStatus(r.Status).SetReviewerID(r.ReviewerID).SetReviewReason(r.ReviewReason)
	if r.ReviewedAt != nil {
		u.SetReviewedAt(r.ReviewedAt.UTC())
	}
	n, err := u.Save(ctx)
	return n == 1, mapErr("offlineStore.DecideRecord", err, nil)
}

func (s *offlineStore) ListRecords(ctx context.Context, memberID int64, pathPrefix, status string) ([]*biz.OfflineRecord, error) {
	q := s.data.client(ctx).OfflineRecord.Query()
	if memberID > 0 {
		q = q.Where(offlinerecord.MemberID(memberID))
	} else {
		q = q.Where(offlinerecord.OrgPathHasPrefix(pathPrefix))
	}
	if status != "" {
		q = q.Where(offlinerecord.Status(status))
	}
	// Pending first ("pending" sorts after "approved" and before "rejected": order explicitly).
	rows, err := q.Order(func(sel *sql.Selector) {
		sel.OrderExpr(sql.Expr("CASE WHEN " + sel.C(offlinerecord.FieldStatus) + " = 'pending' THEN 0 ELSE 1 END"))
	}, ent.Desc(offlinerecord.FieldCreatedAt), ent.Desc(offlinerecord.FieldID)).Limit(500).All(ctx)
	if err != nil {
		return nil, mapErr("offlineStore.ListRecords", err, nil)
	}
	out := make([]*biz.OfflineRecord, len(rows))
	for i, row := range rows {
		out[i] = recordOf(row)
	}
	return out, nil
}
