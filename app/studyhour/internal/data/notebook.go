package data

import (
	"context"
	"time"

	"github.com/vanguard/vanguard/app/studyhour/internal/biz"
	"github.com/vanguard/vanguard/app/studyhour/internal/data/ent"
	"github.com/vanguard/vanguard/app/studyhour/internal/data/ent/attendance"
	"github.com/vanguard/vanguard/app/studyhour/internal/data/ent/meeting"
	"github.com/vanguard/vanguard/app/studyhour/internal/data/ent/note"
	"github.com/vanguard/vanguard/app/studyhour/internal/data/ent/studyreport"
)

type reportStore struct{ data *Data }

// NewReportStore returns the study reports store.
func NewReportStore(d *Data) biz.ReportStore { return &reportStore{data: d} }

func reportOf(r *ent.StudyReport) *biz.StudyReport {
	return &biz.StudyReport{ID: r.ID, MeetingID: r.MeetingID, MemberID: r.MemberID, OrgPath: r.OrgPath, Content: r.Content, Status: r.Status,
		ReviewerID: r.ReviewerID, ReviewComment: r.ReviewComment, ReviewedAt: r.ReviewedAt, SubmittedAt: r.SubmittedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

func (s *reportStore) GetReport(ctx context.Context, meetingID, memberID int64) (*biz.StudyReport, error) {
	row, err := s.data.client(ctx).StudyReport.Query().Where(studyreport.MeetingID(meetingID), studyreport.MemberID(memberID)).Only(ctx)
	if err != nil {
		return nil, mapErr("reportStore.GetReport", err, biz.ErrNotFound)
	}
	return reportOf(row), nil
}

func (s *reportStore) GetReportByID(ctx context.Context, id int64) (*biz.StudyReport, error) {
	row, err := s.data.client(ctx).StudyReport.Get(ctx, id)
	if err != nil {
		return nil, mapErr("reportStore.GetReportByID", err, biz.ErrNotFound)
	}
	return reportOf(row), nil
}

func (s *reportStore) SaveReport(ctx context.Context, r *biz.StudyReport) (*biz.StudyReport, error) {
	c := s.data.client(ctx)
	var row *ent.StudyReport
	var err error
	if r.ID == 0 {
		row, err = c.StudyReport.Create().SetMeetingID(r.MeetingID).SetMemberID(r.MemberID).SetOrgPath(r.OrgPath).SetContent(r.Content).
			SetStatus(r.Status).SetSubmittedAt(r.SubmittedAt.UTC()).SetUpdatedAt(r.UpdatedAt.UTC()).Save(ctx)
	} else {
		u := c.StudyReport.UpdateOneID(r.ID).SetContent(r.Content).SetStatus(r.Status).SetReviewerID(r.ReviewerID).
			SetReviewComment(r.ReviewComment).SetUpdatedAt(r.UpdatedAt.UTC())
		if r.ReviewedAt != nil {
			u.SetReviewedAt(r.ReviewedAt.UTC())
		}
		row, err = u.Save(ctx)
	}
	if err != nil {
		return nil, mapErr("reportStore.SaveReport", err, nil)
	}
	return reportOf(row), nil
}

func (s *reportStore) ListReports(ctx context.Context, meetingID, memberID int64) ([]*biz.StudyReport, error) {
	q := s.data.client(ctx).StudyReport.Query()
	if meetingID > 0 {
		q = q.Where(studyreport.MeetingID(meetingID)).Order(ent.Asc(studyreport.FieldMemberID))
	} else {
		q = q.Where(studyreport.MemberID(memberID)).Order(ent.Desc(studyreport.FieldID))
	}
	rows, err := q.All(ctx)
	if err != nil {
		return nil, mapErr("reportStore.ListReports", err, nil)
	}
	out := make([]*biz.StudyReport, len(rows))
	for i, row := range rows {
		out[i] = reportOf(row)
	}
	return out, nil
}

func (s *reportStore) MemberMeetings(ctx context.Context, memberID int64, kind string, limit int) ([]*biz.Meeting, error) {
	c := s.data.client(ctx)
	var ids []int64
	err := c.Attendance.Query().Where(attendance.MemberID(memberID), attendance.Status(biz.AttendPresent)).
		Select(attendance.FieldMeetingID).Scan(ctx, &ids)
	if err != nil {
		return nil, mapErr("reportStore.MemberMeetings", err, nil)
	}
	q := c.Meeting.Query().Where(meeting.IDIn(ids...))
	if kind != "" {
		q.Where(meeting.Kind(kind))
	}
	if limit > 0 {
		q.Limit(limit)
	}
	rows, err := q.Order(ent.Desc(meeting.FieldStartsAt), ent.Desc(meeting.FieldID)).All(ctx)
	if err != nil {
		return nil, mapErr("reportStore.MemberMeetings", err, nil)
	}
	out := make([]*biz.Meeting, len(rows))
	for i, row := range rows {
		out[i] = meetingOf(row)
	}
	return out, nil
}

// MarkReported records the upward report only if none was, in the same statement.
func (s *reportStore) MarkReported(ctx context.Context, meetingID, by int64, at time.Time, summary string) (bool, error) {
	n, err := s.data.client(ctx).Meeting.Update().Where(meeting.ID(meetingID), meeting.ReportedAtIsNil()).
		SetReportedAt(at.UTC()).SetReportedBy(by).SetReportSummary(summary).Save(ctx)
	return n == 1, mapErr("reportStore.MarkReported", err, nil)
}

type noteStore struct{ data *Data }

// NewNoteStore returns the study notebook's store.
func NewNoteStore(d *Data) biz.NoteStore { return &noteStore{data: d} }

func noteOf(n *ent.Note) *biz.Note {
	return &biz.Note{ID: n.ID, MemberID: n.MemberID, AuthorName: n.AuthorName, OrgPath: n.OrgPath, LessonID: n.LessonID,
		PlanItemID: n.PlanItemID, Content: n.Content, Shared: n.Shared, CreatedAt: n.CreatedAt.UTC(), UpdatedAt: n.UpdatedAt.UTC()}
}

func (s *noteStore) SaveNote(ctx context.Context, n *biz.Note) (*biz.Note, error) {
	c := s.data.client(ctx)
	var row *ent.Note
	var err error
	if n.ID == 0 {
		row, err = c.Note.Create().SetMemberID(n.MemberID).SetAuthorName(n.AuthorName).SetOrgPath(n.OrgPath).SetLessonID(n.LessonID).
			SetPlanItemID(n.PlanItemID).SetContent(n.Content).SetShared(n.Shared).SetCreatedAt(n.CreatedAt.UTC()).SetUpdatedAt(n.UpdatedAt.UTC()).Save(ctx)
	} else {
		row, err = c.Note.UpdateOneID(n.ID).SetAuthorName(n.AuthorName).SetOrgPath(n.OrgPath).SetContent(n.Content).SetShared(n.Shared).
			SetUpdatedAt(n.UpdatedAt.UTC()).Save(ctx)
	}
	if err != nil {
		return nil, mapErr("noteStore.SaveNote", err, biz.ErrNotFound)
	}
	return noteOf(row), nil
}

func (s *noteStore) GetNote(ctx context.Context, id int64) (*biz.Note, error) {
	row, err := s.data.client(ctx).Note.Get(ctx, id)
	if err != nil {
		return nil, mapErr("noteStore.GetNote", err, biz.ErrNotFound)
	}
	return noteOf(row), nil
}

func (s *noteStore) DeleteNote(ctx context.Context, id int64) error {
	_, err := s.data.client(ctx).Note.Delete().Where(note.ID(id)).Exec(ctx)
	return mapErr("noteStore.DeleteNote", err, nil)
}

func (s *noteStore) ListNotes(ctx context.Context, f biz.NoteFilter, limit int) ([]*biz.Note, error) {
	q := s.data.client(ctx).Note.Query()
	if f.MemberID > 0 {
		q = q.Where(note.MemberID(f.MemberID))
	} else {
		q = q.Where(note.OrgPath(f.OrgPath), note.Shared(true))
	}
	if f.LessonID > 0 {
		q = q.Where(note.LessonID(f.LessonID))
	}
	if f.PlanItemID > 0 {
		q = q.Where(note.PlanItemID(f.PlanItemID))
	}
	rows, err := q.Order(ent.Desc(note.FieldUpdatedAt), ent.Desc(note.FieldID)).Limit(limit).All(ctx)
	if err != nil {
		return nil, mapErr("noteStore.ListNotes", err, nil)
	}
	out := make([]*biz.Note, len(rows))
	for i, row := range rows {
		out[i] = noteOf(row)
	}
	return out, nil
}
