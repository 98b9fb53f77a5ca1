package service

import (
	"context"
	"time"

	"google.golang.org/protobuf/types/known/emptypb"

	v1 "github.com/vanguard/vanguard/api/studyhour/v1"
	"github.com/vanguard/vanguard/app/studyhour/internal/biz"
	"github.com/vanguard/vanguard/pkg/sheet"
	"github.com/vanguard/vanguard/pkg/sheet/xlsx"
)

func rulesToAPI(rs []biz.RuleView) *v1.OrgRulesReply {
	out := &v1.OrgRulesReply{Rules: make([]*v1.OrgRule, len(rs))}
	for i, r := range rs {
		out.Rules[i] = &v1.OrgRule{Key: r.Key, National: r.National, Inherited: r.Inherited, Here: r.Here, Effective: r.Effective}
	}
	return out
}

// GetOrgRules implements v1.StudyHoursServer.
func (s *StudyHourService) GetOrgRules(ctx context.Context, req *v1.OrgRequest) (*v1.OrgRulesReply, error) {
	rs, err := s.rules.List(ctx, req.OrgId)
	if err != nil {
		return nil, toAPIError(err)
	}
	return rulesToAPI(rs), nil
}

// SetOrgRule implements v1.StudyHoursServer.
func (s *StudyHourService) SetOrgRule(ctx context.Context, req *v1.SetOrgRuleRequest) (*v1.OrgRulesReply, error) {
	rs, err := s.rules.Set(ctx, req.OrgId, req.Key, req.Value)
	if err != nil {
		return nil, toAPIError(err)
	}
	return rulesToAPI(rs), nil
}

func reportToAPI(r *biz.HoursReport) *v1.HoursReport {
	out := &v1.HoursReport{OrgId: r.Org.ID, OrgName: r.Org.Name, Year: int32(r.Year), Members: int32(r.Members), Met: int32(r.Met)}
	for _, u := range r.Units {
		out.Units = append(out.Units, &v1.UnitHours{OrgId: u.Org.ID, OrgName: u.Org.Name, OrgPath: u.Org.Path, Members: int32(u.Members),
			Met: int32(u.Met), TotalSeconds: u.TotalSeconds})
	}
	for _, b := range r.Below {
		out.Below = append(out.Below, &v1.MemberShortfall{MemberId: b.ID, Name: b.Name, OrgId: b.OrgID, OrgName: b.OrgName,
			Seconds: b.Seconds, TargetSeconds: b.Target, Refusals: b.Refusals})
	}
	return out
}

// GetHoursReport implements v1.StudyHoursServer.
func (s *StudyHourService) GetHoursReport(ctx context.Context, req *v1.HoursReportRequest) (*v1.HoursReport, error) {
	r, err := s.rules.Report(ctx, req.OrgId, int(req.Year))
	if err != nil {
		return nil, toAPIError(err)
	}
	return reportToAPI(r), nil
}

// ExportHoursReport implements v1.StudyHoursServer.
func (s *StudyHourService) ExportHoursReport(ctx context.Context, req *v1.HoursReportRequest) (*v1.FileReply, error) {
	r, err := s.rules.Report(ctx, req.OrgId, int(req.Year))
	if err != nil {
		return nil, toAPIError(err)
	}
	book := r.Workbook()
	content, err := xlsx.Bytes(book)
	if err != nil {
		return nil, toAPIError(err)
	}
	return &v1.FileReply{FileName: book.FileName, ContentType: sheet.ContentTypeXLSX, Content: content}, nil
}

var reportStatuses = map[string]v1.ReportStatus{
	biz.ReportSubmitted: v1.ReportStatus_SUBMITTED, biz.ReportAccepted: v1.ReportStatus_ACCEPTED, biz.ReportReturned: v1.ReportStatus_RETURNED,
}

func studyReportToAPI(r *biz.StudyReport) *v1.StudyReport {
	if r == nil {
		return nil
	}
	return &v1.StudyReport{Id: r.ID, MeetingId: r.MeetingID, MemberId: r.MemberID, Content: r.Content, Status: reportStatuses[r.Status],
		ReviewerId: r.ReviewerID, ReviewComment: r.ReviewComment, ReviewedAt: ts(r.ReviewedAt), SubmittedAt: ts(&r.SubmittedAt), UpdatedAt: ts(&r.UpdatedAt)}
}

func sessionReportsToAPI(r *biz.SessionReports) *v1.MeetingReports {
	out := &v1.MeetingReports{Meeting: meetingToAPI(r.Meeting), Missing: r.Missing}
	for _, x := range r.Reports {
		out.Reports = append(out.Reports, studyReportToAPI(x))
	}
	return out
}

// FileStudyReport implements v1.StudyHoursServer.
func (s *StudyHourService) FileStudyReport(ctx context.Context, req *v1.FileStudyReportRequest) (*v1.StudyReport, error) {
	r, err := s.reports.File(ctx, req.MeetingId, req.Content)
	if err != nil {
		return nil, toAPIError(err)
	}
	return studyReportToAPI(r), nil
}

// ListMyStudyReports implements v1.StudyHoursServer.
func (s *StudyHourService) ListMyStudyReports(ctx context.Context, _ *v1.ListMyStudyReportsRequest) (*v1.ListMyStudyReportsReply, error) {
	ms, byMeeting, err := s.reports.Mine(ctx)
	if err != nil {
		return nil, toAPIError(err)
	}
	out := &v1.ListMyStudyReportsReply{}
	for _, m := range ms {
		m.CheckinCode = ""
		out.Items = append(out.Items, &v1.MyStudyReport{Meeting: meetingToAPI(m), Report: studyReportToAPI(byMeeting[m.ID])})
	}
	return out, nil
}

// GetMeetingReports implements v1.StudyHoursServer.
func (s *StudyHourService) GetMeetingReports(ctx context.Context, req *v1.IdRequest) (*v1.MeetingReports, error) {
	r, err := s.reports.ForMeeting(ctx, req.Id)
	if err != nil {
		return nil, toAPIError(err)
	}
	return sessionReportsToAPI(r), nil
}

// ReviewStudyReport implements v1.StudyHoursServer.
func (s *StudyHourService) ReviewStudyReport(ctx context.Context, req *v1.ReviewStudyReportRequest) (*v1.StudyReport, error) {
	r, err := s.reports.Review(ctx, req.Id, req.Accept, req.Comment)
	if err != nil {
		return nil, toAPIError(err)
	}
	return studyReportToAPI(r), nil
}

// ReportMeetingUpward implements v1.StudyHoursServer.
func (s *StudyHourService) ReportMeetingUpward(ctx context.Context, req *v1.ReportMeetingUpwardRequest) (*v1.MeetingReports, error) {
	r, err := s.reports.ReportUpward(ctx, req.Id, req.Summary)
	if err != nil {
		return nil, toAPIError(err)
	}
	return sessionReportsToAPI(r), nil
}

func noteToAPI(n *biz.Note) *v1.Note {
	return &v1.Note{Id: n.ID, MemberId: n.MemberID, AuthorName: n.AuthorName, LessonId: n.LessonID, PlanItemId: n.PlanItemID,
		Content: n.Content, Shared: n.Shared, CreatedAt: ts(&n.CreatedAt), UpdatedAt: ts(&n.UpdatedAt)}
}

func notesToAPI(ns []*biz.Note) *v1.ListNotesReply {
	out := &v1.ListNotesReply{Notes: make([]*v1.Note, len(ns))}
	for i, n := range ns {
		out.Notes[i] = noteToAPI(n)
	}
	return out
}

func noteInput(req *v1.NoteInput) biz.NoteInput {
	return biz.NoteInput{LessonID: req.LessonId, PlanItemID: req.PlanItemId, Content: req.Content, Shared: req.Shared}
}

// CreateNote implements v1.StudyHoursServer.
func (s *StudyHourService) CreateNote(ctx context.Context, req *v1.NoteInput) (*v1.Note, error) {
	n, err := s.notes.Save(ctx, 0, noteInput(req))
	if err != nil {
		return nil, toAPIError(err)
	}
	return noteToAPI(n), nil
}

// UpdateNote implements v1.StudyHoursServer.
func (s *StudyHourService) UpdateNote(ctx context.Context, req *v1.NoteInput) (*v1.Note, error) {
	if req.Id == 0 {
		return nil, toAPIError(biz.Invalid("id", "缺少笔记编号"))
	}
	n, err := s.notes.Save(ctx, req.Id, noteInput(req))
	if err != nil {
		return nil, toAPIError(err)
	}
	return noteToAPI(n), nil
}

// DeleteNote implements v1.StudyHoursServer.
func (s *StudyHourService) DeleteNote(ctx context.Context, req *v1.IdRequest) (*emptypb.Empty, error) {
	if err := s.notes.Delete(ctx, req.Id); err != nil {
		return nil, toAPIError(err)
	}
	return &emptypb.Empty{}, nil
}

// ListMyNotes implements v1.StudyHoursServer.
func (s *StudyHourService) ListMyNotes(ctx context.Context, req *v1.ListNotesRequest) (*v1.ListNotesReply, error) {
	ns, err := s.notes.Mine(ctx, req.LessonId, req.PlanItemId)
	if err != nil {
		return nil, toAPIError(err)
	}
	return notesToAPI(ns), nil
}

// ListSharedNotes implements v1.StudyHoursServer.
func (s *StudyHourService) ListSharedNotes(ctx context.Context, req *v1.ListNotesRequest) (*v1.ListNotesReply, error) {
	ns, err := s.notes.Shared(ctx, req.OrgId, req.LessonId, req.PlanItemId)
	if err != nil {
		return nil, toAPIError(err)
	}
	return notesToAPI(ns), nil
}

// DossierService is studyhour's service-only Dossiers API: the growth service reads a member's
// study record.
type DossierService struct {
	v1.UnimplementedDossiersServer
	Reports *biz.Reports
}

// GetMemberStudy implements v1.DossiersServer.
func (s *DossierService) GetMemberStudy(ctx context.Context, req *v1.GetMemberStudyRequest) (*v1.MemberStudy, error) {
	st, err := s.Reports.MemberStudy(ctx, req.GetMemberId(), req.GetOrgPath(), req.GetStaff(), int(req.GetFromYear()), int(req.GetToYear()))
	if err != nil {
		return nil, toAPIError(err)
	}
	out := &v1.MemberStudy{}
	for _, y := range st.Years {
		out.Years = append(out.Years, summaryToAPI(y))
	}
	for _, m := range st.Meetings {
		out.Meetings = append(out.Meetings, meetingToAPI(m))
	}
	for _, r := range st.Reports {
		out.Reports = append(out.Reports, studyReportToAPI(r))
	}
	for _, l := range st.Completed {
		out.CompletedLessons = append(out.CompletedLessons, &v1.CompletedLesson{CourseId: l.CourseID, LessonId: l.LessonID,
			CompletedAt: l.CompletedAt.UTC().Format(time.RFC3339)})
	}
	return out, nil
}
