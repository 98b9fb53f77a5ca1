package data

import (
	"context"
	"database/sql"
	"errors"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/vanguard/vanguard/app/studyhour/internal/biz"
	"github.com/vanguard/vanguard/app/studyhour/internal/data/ent"
	"github.com/vanguard/vanguard/app/studyhour/internal/data/ent/backfill"
	"github.com/vanguard/vanguard/app/studyhour/internal/data/ent/examattempt"
	"github.com/vanguard/vanguard/app/studyhour/internal/data/ent/examcredit"
	"github.com/vanguard/vanguard/app/studyhour/internal/data/ent/hoursmonth"
	"github.com/vanguard/vanguard/app/studyhour/internal/data/ent/ledgerentry"
	"github.com/vanguard/vanguard/app/studyhour/internal/data/ent/lessonprogress"
	"github.com/vanguard/vanguard/app/studyhour/internal/data/ent/memberstate"
	"github.com/vanguard/vanguard/app/studyhour/internal/data/ent/refusalcount"
)

type store struct{ data *Data }

var _ biz.Store = (*store)(nil)

// NewStore returns the studyhour store.
func NewStore(d *Data) biz.Store { return &store{data: d} }

func sessionOf(s *ent.StudySession) *biz.StudySession {
	return &biz.StudySession{ID: s.ID, MemberID: s.MemberID, LessonID: s.LessonID, CourseID: s.CourseID, StartedAt: s.StartedAt,
		LastAt: s.LastAt, LastPosition: s.LastPosition, LastSeq: s.LastSeq, Credited: time.Duration(s.CreditedMs) * time.Millisecond, EndedAt: s.EndedAt}
}

func (r *store) CreateSession(ctx context.Context, s *biz.StudySession) (*biz.StudySession, error) {
	row, err := r.data.client(ctx).StudySession.Create().SetMemberID(s.MemberID).SetLessonID(s.LessonID).SetCourseID(s.CourseID).
		SetStartedAt(s.StartedAt.UTC()).SetLastAt(s.LastAt.UTC()).SetLastPosition(s.LastPosition).Save(ctx)
	if err != nil {
		return nil, mapErr("store.CreateSession", err, nil)
	}
	return sessionOf(row), nil
}

func (r *store) GetSession(ctx context.Context, id int64) (*biz.StudySession, error) {
	row, err := r.data.client(ctx).StudySession.Get(ctx, id)
	if err != nil {
		return nil, mapErr("store.GetSession", err, biz.ErrNotFound)
	}
	return sessionOf(row), nil
}

func (r *store) SaveSession(ctx context.Context, s *biz.StudySession) error {
	u := r.data.client(ctx).StudySession.UpdateOneID(s.ID).SetLastAt(s.LastAt.UTC()).SetLastPosition(s.LastPosition).
		SetLastSeq(s.LastSeq).SetCreditedMs(s.Credited.Milliseconds())
	if s.EndedAt != nil {
		u.SetEndedAt(s.EndedAt.UTC())
	}
	return mapErr("store.SaveSession", u.Exec(ctx), biz.ErrNotFound)
}

func progressOf(p *ent.LessonProgress) *biz.Progress {
	return &biz.Progress{ID: p.ID, MemberID: p.MemberID, LessonID: p.LessonID, CourseID: p.CourseID, Kind: p.Kind, Duration: p.Duration,
		PageCount: p.PageCount, Watched: p.Watched, Pages: p.Pages, Credited: time.Duration(p.CreditedMs) * time.Millisecond,
		LedgeredSec: p.LedgeredSec, Position: p.Position, CompletedAt: p.CompletedAt, UpdatedAt: p.UpdatedAt}
}

func (r *store) GetProgress(ctx context.Context, memberID, lessonID int64) (*biz.Progress, error) {
	row, err := r.data.client(ctx).LessonProgress.Query().
		Where(lessonprogress.MemberID(memberID), lessonprogress.LessonID(lessonID)).Only(ctx)
	if err != nil {
		return nil, mapErr("store.GetProgress", err, biz.ErrNotFound)
	}
	return progressOf(row), nil
}

func (r *store) ListProgress(ctx context.Context, memberID int64, lessonIDs []int64) ([]*biz.Progress, error) {
	rows, err := r.data.client(ctx).LessonProgress.Query().
		Where(lessonprogress.MemberID(memberID), lessonprogress.LessonIDIn(lessonIDs...)).
		Order(ent.Asc(lessonprogress.FieldLessonID)).All(ctx)
	if err != nil {
		return nil, mapErr("store.ListProgress", err, nil)
	}
	out := make([]*biz.Progress, len(rows))
	for i, row := range rows {
		out[i] = progressOf(row)
	}
	return out, nil
}

func (r *store) SaveProgress(ctx context.Context, p *biz.Progress) (*biz.Progress, error) {
	watched, pages := p.Watched, p.Pages
	if watched == nil {
		watched = biz.Spans{}
	}
	if pages == nil {
		pages = biz.Spans{}
	}
	c := r.data.client(ctx)
	if p.ID == 0 {
		row, err := c.LessonProgress.Create().SetMemberID(p.MemberID).SetLessonID(p.LessonID).SetCourseID(p.CourseID).
			SetKind(p.Kind).SetDuration(p.Duration).SetPageCount(p.PageCount).SetWatched(watched).SetPages(pages).
			SetCreditedMs(p.Credited.Milliseconds()).SetLedgeredSec(p.LedgeredSec).SetPosition(p.Position).
			SetNillableCompletedAt(p.CompletedAt).SetUpdatedAt(p.UpdatedAt.UTC()).Save(ctx)
		if err != nil {
			return nil, mapErr("store.SaveProgress", err, nil)
		}
		return progressOf(row), nil
	}
	// One UPDATE, no read back: the progress written is the one returned.
	u := c.LessonProgress.Update().Where(lessonprogress.ID(p.ID)).SetCourseID(p.CourseID).SetKind(p.Kind).SetDuration(p.Duration).
		SetPageCount(p.PageCount).SetWatched(watched).SetPages(pages).SetCreditedMs(p.Credited.Milliseconds()).
		SetLedgeredSec(p.LedgeredSec).SetPosition(p.Position).SetUpdatedAt(p.UpdatedAt.UTC())
	if p.CompletedAt != nil {
		u.SetCompletedAt(p.CompletedAt.UTC())
	}
	n, err := u.Save(ctx)
	if err != nil {
		return nil, mapErr("store.SaveProgress", err, nil)
	}
	if n == 0 {
		return nil, biz.ErrNotFound
	}
	out := *p
	out.Watched, out.Pages = watched, pages
	out.Credited = time.Duration(p.Credited.Milliseconds()) * time.Millisecond
	return &out, nil
}

func (r *store) CompletedLessons(ctx context.Context, memberID int64) ([]*biz.Progress, error) {
	rows, err := r.data.client(ctx).LessonProgress.Query().Where(lessonprogress.MemberID(memberID), lessonprogress.CompletedAtNotNil()).
		Order(lessonprogress.ByLessonID()).All(ctx)
	if err != nil {
		return nil, mapErr("store.CompletedLessons", err, nil)
	}
	out := make([]*biz.Progress, len(rows))
	for i, row := range rows {
		out[i] = progressOf(row)
	}
	return out, nil
}

func (r *store) CountCompleted(ctx context.Context, memberID int64, from, to time.Time) (int, error) {
	n, err := r.data.client(ctx).LessonProgress.Query().Where(lessonprogress.MemberID(memberID),
		lessonprogress.CompletedAtGTE(from.UTC()), lessonprogress.CompletedAtLT(to.UTC())).Count(ctx)
	return n, mapErr("store.CountCompleted", err, nil)
}

func memberOf(m *ent.MemberState) *biz.MemberState {
	return &biz.MemberState{MemberID: m.MemberID, HeadSeq: m.HeadSeq, HeadHash: m.HeadHash, Anchor: m.Anchor,
		ActiveSession: m.ActiveSessionID, ActiveUntil: m.ActiveUntil, Day: m.Day, DayCredited: time.Duration(m.DayCreditedMs) * time.Millisecond,
		Year: m.Year, YearSeconds: m.YearSeconds}
}

// LockMember returns the member's row locked for the transaction, creating it when missing. On
// PostgreSQL it reads FOR UPDATE first (the row exists after a member's first credit, so one
// statement) and inserts only when missing. On SQLite it writes first (an insert that does
// nothing when the row exists): that takes the database's write lock at once, so two credits
// never both read and then try to upgrade.
func (r *store) LockMember(ctx context.Context, memberID int64) (*biz.MemberState, error) {
	c := r.data.client(ctx)
	sqlite := r.data.Dialect() == "sqlite3"
	if !sqlite {
		row, err := c.MemberState.Query().Where(memberstate.MemberID(memberID)).ForUpdate().Only(ctx)
		if err == nil {
			return memberOf(row), nil
		}
		if !ent.IsNotFound(err) {
			return nil, mapErr("store.LockMember", err, nil)
		}
	}
	// ent reports an insert that did nothing as sql.ErrNoRows.
	if err := c.MemberState.Create().SetMemberID(memberID).OnConflictColumns(memberstate.FieldMemberID).DoNothing().Exec(ctx); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, mapErr("store.LockMember", err, nil)
	}
	q := c.MemberState.Query().Where(memberstate.MemberID(memberID))
	if !sqlite {
		q = q.ForUpdate()
	}
	row, err := q.Only(ctx)
	if err != nil {
		return nil, mapErr("store.LockMember", err, nil)
	}
	return memberOf(row), nil
}

func (r *store) GetMember(ctx context.Context, memberID int64) (*biz.MemberState, error) {
	row, err := r.data.client(ctx).MemberState.Query().Where(memberstate.MemberID(memberID)).Only(ctx)
	if ent.IsNotFound(err) {
		return &biz.MemberState{MemberID: memberID}, nil
	}
	if err != nil {
		return nil, mapErr("store.GetMember", err, nil)
	}
	return memberOf(row), nil
}

func (r *store) SaveMember(ctx context.Context, m *biz.MemberState) error {
	u := r.data.client(ctx).MemberState.Update().Where(memberstate.MemberID(m.MemberID)).SetHeadSeq(m.HeadSeq).
		SetHeadHash(m.HeadHash).SetAnchor(m.Anchor).SetActiveSessionID(m.ActiveSession).SetDay(m.Day).
		SetDayCreditedMs(m.DayCredited.Milliseconds()).SetYear(m.Year).SetYearSeconds(m.YearSeconds)
	if m.ActiveUntil != nil {
		u.SetActiveUntil(m.ActiveUntil.UTC())
	} else {
		u.ClearActiveUntil()
	}
	n, err := u.Save(ctx)
	if err == nil && n == 0 {
		return biz.ErrNotFound
	}
	return mapErr("store.SaveMember", err, nil)
}

func (r *store) AppendEntry(ctx context.Context, e biz.Entry, month time.Month, year int) error {
	c := r.data.client(ctx)
	err := c.LedgerEntry.Create().SetMemberID(e.MemberID).SetSeq(e.Seq).SetSource(e.Source).SetSeconds(e.Seconds).
		SetDay(e.Day).SetRef(e.Ref).SetApprovedBy(e.ApprovedBy).SetRecordedUs(e.RecordedAt.UnixMicro()).
		SetPrevHash(e.PrevHash).SetHash(e.Hash).Exec(ctx)
	if err != nil {
		return mapErr("store.AppendEntry", err, nil)
	}
	err = c.HoursMonth.Create().SetMemberID(e.MemberID).SetYear(year).SetMonth(int(month)).SetSource(e.Source).SetSeconds(e.Seconds).
		OnConflict(entsql.ConflictColumns(hoursmonth.FieldMemberID, hoursmonth.FieldYear, hoursmonth.FieldMonth, hoursmonth.FieldSource)).
		Update(func(u *ent.HoursMonthUpsert) { u.AddSeconds(e.Seconds) }).Exec(ctx)
	return mapErr("store.AppendEntry", err, nil)
}

func entryOf(e *ent.LedgerEntry) biz.Entry {
	return biz.Entry{MemberID: e.MemberID, Seq: e.Seq, Source: e.Source, Seconds: e.Seconds, Day: e.Day, Ref: e.Ref,
		ApprovedBy: e.ApprovedBy, RecordedAt: time.UnixMicro(e.RecordedUs).UTC(), PrevHash: e.PrevHash, Hash: e.Hash}
}

func (r *store) ListEntries(ctx context.Context, memberID, beforeSeq int64, limit int) ([]biz.Entry, error) {
	q := r.data.client(ctx).LedgerEntry.Query().Where(ledgerentry.MemberID(memberID))
	if beforeSeq > 0 {
		q = q.Where(ledgerentry.SeqLT(beforeSeq))
	}
	rows, err := q.Order(ent.Desc(ledgerentry.FieldSeq)).Limit(limit).All(ctx)
	if err != nil {
		return nil, mapErr("store.ListEntries", err, nil)
	}
	out := make([]biz.Entry, len(rows))
	for i, row := range rows {
		out[i] = entryOf(row)
	}
	return out, nil
}

func (r *store) ChainEntries(ctx context.Context, memberID int64) ([]biz.Entry, error) {
	rows, err := r.data.client(ctx).LedgerEntry.Query().Where(ledgerentry.MemberID(memberID)).
		Order(ent.Asc(ledgerentry.FieldSeq)).All(ctx)
	if err != nil {
		return nil, mapErr("store.ChainEntries", err, nil)
	}
	out := make([]biz.Entry, len(rows))
	for i, row := range rows {
		out[i] = entryOf(row)
	}
	return out, nil
}

func (r *store) MonthSums(ctx context.Context, memberID int64, year int) ([]biz.MonthSum, error) {
	rows, err := r.data.client(ctx).HoursMonth.Query().Where(hoursmonth.MemberID(memberID), hoursmonth.Year(year)).
		Order(ent.Asc(hoursmonth.FieldMonth), ent.Asc(hoursmonth.FieldSource)).All(ctx)
	if err != nil {
		return nil, mapErr("store.MonthSums", err, nil)
	}
	out := make([]biz.MonthSum, len(rows))
	for i, row := range rows {
		out[i] = biz.MonthSum{Month: row.Month, Source: row.Source, Seconds: row.Seconds}
	}
	return out, nil
}

func (r *store) CountRefusal(ctx context.Context, memberID int64, reason biz.Refusal, at time.Time) error {
	err := r.data.client(ctx).RefusalCount.Create().SetMemberID(memberID).SetReason(string(reason)).SetCount(1).SetLastAt(at.UTC()).
		OnConflict(entsql.ConflictColumns(refusalcount.FieldMemberID, refusalcount.FieldReason)).
		Update(func(u *ent.RefusalCountUpsert) { u.AddCount(1).SetLastAt(at.UTC()) }).Exec(ctx)
	return mapErr("store.CountRefusal", err, nil)
}

func (r *store) Refusals(ctx context.Context, memberID int64) ([]biz.RefusalTally, error) {
	rows, err := r.data.client(ctx).RefusalCount.Query().Where(refusalcount.MemberID(memberID)).
		Order(ent.Asc(refusalcount.FieldReason)).All(ctx)
	if err != nil {
		return nil, mapErr("store.Refusals", err, nil)
	}
	out := make([]biz.RefusalTally, len(rows))
	for i, row := range rows {
		out[i] = biz.RefusalTally{Reason: biz.Refusal(row.Reason), Count: row.Count, LastAt: row.LastAt}
	}
	return out, nil
}

func (r *store) SaveExamAttempt(ctx context.Context, a biz.ExamAttempt) (bool, error) {
	c := r.data.client(ctx)
	row, err := c.ExamAttempt.Query().Where(examattempt.AttemptID(a.AttemptID)).Only(ctx)
	switch {
	case ent.IsNotFound(err):
		err = c.ExamAttempt.Create().SetAttemptID(a.AttemptID).SetExamID(a.ExamID).SetMemberID(a.MemberID).
			SetPassed(a.Passed).SetGradedMs(a.GradedAt.UnixMilli()).Exec(ctx)
		return err == nil, mapErr("store.SaveExamAttempt", err, nil)
	case err != nil:
		return false, mapErr("store.SaveExamAttempt", err, nil)
	case row.GradedMs > a.GradedAt.UnixMilli():
		return false, nil // a later grading is stored already
	}
	err = c.ExamAttempt.UpdateOneID(row.ID).SetPassed(a.Passed).SetGradedMs(a.GradedAt.UnixMilli()).Exec(ctx)
	return err == nil, mapErr("store.SaveExamAttempt", err, nil)
}

func (r *store) ExamPassed(ctx context.Context, memberID, examID int64) (bool, error) {
	ok, err := r.data.client(ctx).ExamAttempt.Query().Where(examattempt.MemberID(memberID), examattempt.ExamID(examID), examattempt.Passed(true)).Exist(ctx)
	return ok, mapErr("store.ExamPassed", err, nil)
}

func (r *store) ExamCredit(ctx context.Context, memberID, examID int64) (int64, error) {
	row, err := r.data.client(ctx).ExamCredit.Query().Where(examcredit.MemberID(memberID), examcredit.ExamID(examID)).Only(ctx)
	if ent.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, mapErr("store.ExamCredit", err, nil)
	}
	return row.Seconds, nil
}

func (r *store) SetExamCredit(ctx context.Context, memberID, examID, seconds int64) error {
	err := r.data.client(ctx).ExamCredit.Create().SetMemberID(memberID).SetExamID(examID).SetSeconds(seconds).
		OnConflict(entsql.ConflictColumns(examcredit.FieldMemberID, examcredit.FieldExamID)).
		Update(func(u *ent.ExamCreditUpsert) { u.SetSeconds(seconds) }).Exec(ctx)
	return mapErr("store.SetExamCredit", err, nil)
}

func (r *store) GetCursor(ctx context.Context, name string) (biz.Cursor, error) {
	row, err := r.data.client(ctx).Backfill.Query().Where(backfill.Name(name)).Only(ctx)
	if ent.IsNotFound(err) {
		return biz.Cursor{}, nil
	}
	if err != nil {
		return biz.Cursor{}, mapErr("store.GetCursor", err, nil)
	}
	return biz.Cursor{AfterA: row.AfterA, AfterB: row.AfterB, Done: row.Done}, nil
}

func (r *store) SaveCursor(ctx context.Context, name string, c biz.Cursor) error {
	err := r.data.client(ctx).Backfill.Create().SetName(name).SetAfterA(c.AfterA).SetAfterB(c.AfterB).SetDone(c.Done).
		OnConflictColumns(backfill.FieldName).
		Update(func(u *ent.BackfillUpsert) { u.SetAfterA(c.AfterA).SetAfterB(c.AfterB).SetDone(c.Done) }).Exec(ctx)
	return mapErr("store.SaveCursor", err, nil)
}
