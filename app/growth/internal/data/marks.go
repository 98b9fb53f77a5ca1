package data

import (
	"context"
	"time"

	"entgo.io/ent/dialect"

	"github.com/vanguard/vanguard/app/growth/internal/biz"
	"github.com/vanguard/vanguard/app/growth/internal/data/ent"
	"github.com/vanguard/vanguard/app/growth/internal/data/ent/compilemark"
	"github.com/vanguard/vanguard/app/growth/internal/data/ent/growthfile"
	"github.com/vanguard/vanguard/app/growth/internal/data/ent/growthrecord"
	"github.com/vanguard/vanguard/app/growth/internal/data/ent/nightlyrun"
)

type markRepo struct{ data *Data }

// NewMarkRepo returns the pending compiles' repository.
func NewMarkRepo(d *Data) biz.MarkRepo { return &markRepo{data: d} }

func markOf(m *ent.CompileMark) *biz.Mark {
	return &biz.Mark{MemberID: m.MemberID, Gen: m.Gen, Due: m.DueAt.UTC(), Trigger: m.Trigger}
}

// Mark inserts the member's mark or bumps its gen, in one statement (racing events never lose a
// bump), and reads it back.
func (r *markRepo) Mark(ctx context.Context, memberID int64, due time.Time, trigger string) (*biz.Mark, error) {
	c := r.data.client(ctx)
	err := c.CompileMark.Create().SetMemberID(memberID).SetGen(1).SetDueAt(due.UTC()).SetTrigger(trigger).
		OnConflictColumns(compilemark.FieldMemberID).Update(func(u *ent.CompileMarkUpsert) { u.AddGen(1) }).Exec(ctx)
	if err != nil {
		return nil, mapErr("Mark", err, nil)
	}
	m, err := c.CompileMark.Query().Where(compilemark.MemberID(memberID)).Only(ctx)
	if err != nil {
		return nil, mapErr("Mark", err, nil)
	}
	return markOf(m), nil
}

func (r *markRepo) MarkAll(ctx context.Context, ids []int64, due time.Time, trigger string) error {
	if len(ids) == 0 {
		return nil
	}
	c := r.data.client(ctx)
	bulk := make([]*ent.CompileMarkCreate, len(ids))
	for i, id := range ids {
		bulk[i] = c.CompileMark.Create().SetMemberID(id).SetGen(1).SetDueAt(due.UTC()).SetTrigger(trigger)
	}
	// 4 parameters a row: 1000 rows stay under SQLite's and PostgreSQL's limits.
	for i := 0; i < len(bulk); i += 1000 {
		err := c.CompileMark.CreateBulk(bulk[i:min(i+1000, len(bulk))]...).OnConflictColumns(compilemark.FieldMemberID).
			Update(func(u *ent.CompileMarkUpsert) { u.AddGen(1) }).Exec(ctx)
		if err != nil {
			return mapErr("MarkAll", err, nil)
		}
	}
	return nil
}

func (r *markRepo) GetMark(ctx context.Context, memberID int64) (*biz.Mark, error) {
	m, err := r.data.client(ctx).CompileMark.Query().Where(compilemark.MemberID(memberID)).Only(ctx)
	if err != nil {
		return nil, mapErr("GetMark", err, biz.ErrNotFound)
	}
	return markOf(m), nil
}

func (r *markRepo) ClearMark(ctx context.Context, memberID, gen int64) (bool, error) {
	n, err := r.data.client(ctx).CompileMark.Delete().Where(compilemark.MemberID(memberID), compilemark.Gen(gen)).Exec(ctx)
	if err != nil {
		return false, mapErr("ClearMark", err, nil)
	}
	return n == 1, nil
}

func (r *markRepo) Reschedule(ctx context.Context, memberID int64, due time.Time) error {
	_, err := r.data.client(ctx).CompileMark.Update().Where(compilemark.MemberID(memberID)).SetDueAt(due.UTC()).Save(ctx)
	return mapErr("Reschedule", err, nil)
}

func (r *markRepo) DueMarks(ctx context.Context, before time.Time, limit int) ([]*biz.Mark, error) {
	rows, err := r.data.client(ctx).CompileMark.Query().Where(compilemark.DueAtLT(before.UTC())).
		Order(compilemark.ByDueAt(), compilemark.ByMemberID()).Limit(limit).All(ctx)
	if err != nil {
		return nil, mapErr("DueMarks", err, nil)
	}
	out := make([]*biz.Mark, len(rows))
	for i, m := range rows {
		out[i] = markOf(m)
	}
	return out, nil
}

func (r *markRepo) NightlyClaimed(ctx context.Context, day string) (bool, error) {
	ok, err := r.data.client(ctx).NightlyRun.Query().Where(nightlyrun.Day(day)).Exist(ctx)
	return ok, mapErr("NightlyClaimed", err, nil)
}

// ClaimNightly inserts the day's row unless it exists, and reports whether this call inserted it
// (two processes claiming at once: the unique day lets one through).
func (r *markRepo) ClaimNightly(ctx context.Context, day string, members int, now time.Time) (bool, error) {
	q := `INSERT INTO ` + nightlyrun.Table + ` (day, members, started_at) VALUES (?, ?, ?) ON CONFLICT (day) DO NOTHING`
	if r.data.Dialect() == dialect.Postgres {
		q = `INSERT INTO ` + nightlyrun.Table + ` (day, members, started_at) VALUES ($1, $2, $3) ON CONFLICT (day) DO NOTHING`
	}
	res, err := r.data.client(ctx).ExecContext(ctx, q, day, members, now.UTC())
	if err != nil {
		return false, mapErr("ClaimNightly", err, nil)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (r *markRepo) FileMembers(ctx context.Context, after int64, limit int) ([]int64, error) {
	var ids []int64
	err := r.data.client(ctx).GrowthFile.Query().Where(growthfile.MemberIDGT(after)).Order(growthfile.ByMemberID()).
		Limit(limit).Select(growthfile.FieldMemberID).Scan(ctx, &ids)
	return ids, mapErr("FileMembers", err, nil)
}

type recordRepo struct{ data *Data }

// NewRecordRepo returns staff records' repository.
func NewRecordRepo(d *Data) biz.RecordRepo { return &recordRepo{data: d} }

func recordOf(r *ent.GrowthRecord) *biz.StaffRecord {
	out := &biz.StaffRecord{ID: r.ID, MemberID: r.MemberID, OrgPath: r.OrgPath, Kind: r.Kind, Title: r.Title, Outcome: r.Outcome,
		Date: r.Date, Note: r.Note, RecordedBy: r.RecordedBy, RecordedByName: r.RecordedByName, CreatedAt: r.CreatedAt.UTC()}
	if r.RemovedAt != nil {
		t := r.RemovedAt.UTC()
		out.RemovedAt = &t
	}
	return out
}

func (r *recordRepo) AddRecord(ctx context.Context, s *biz.StaffRecord) (*biz.StaffRecord, error) {
	row, err := r.data.client(ctx).GrowthRecord.Create().SetMemberID(s.MemberID).SetOrgPath(s.OrgPath).SetKind(s.Kind).
		SetTitle(s.Title).SetOutcome(s.Outcome).SetDate(s.Date).SetNote(s.Note).SetRecordedBy(s.RecordedBy).
		SetRecordedByName(s.RecordedByName).SetCreatedAt(s.CreatedAt.UTC()).Save(ctx)
	if err != nil {
		return nil, mapErr("AddRecord", err, nil)
	}
	return recordOf(row), nil
}

func (r *recordRepo) GetRecord(ctx context.Context, id int64) (*biz.StaffRecord, error) {
	row, err := r.data.client(ctx).GrowthRecord.Get(ctx, id)
	if err != nil {
		return nil, mapErr("GetRecord", err, biz.ErrNotFound)
	}
	return recordOf(row), nil
}

func (r *recordRepo) RemoveRecord(ctx context.Context, id int64, t time.Time) (bool, error) {
	n, err := r.data.client(ctx).GrowthRecord.Update().Where(growthrecord.ID(id), growthrecord.RemovedAtIsNil()).
		SetRemovedAt(t.UTC()).Save(ctx)
	if err != nil {
		return false, mapErr("RemoveRecord", err, nil)
	}
	return n == 1, nil
}

func (r *recordRepo) ListRecords(ctx context.Context, memberID int64) ([]*biz.StaffRecord, error) {
	rows, err := r.data.client(ctx).GrowthRecord.Query().Where(growthrecord.MemberID(memberID), growthrecord.RemovedAtIsNil()).
		Order(growthrecord.ByID()).All(ctx)
	if err != nil {
		return nil, mapErr("ListRecords", err, nil)
	}
	out := make([]*biz.StaffRecord, len(rows))
	for i, row := range rows {
		out[i] = recordOf(row)
	}
	return out, nil
}
