package service

import (
	"context"
	"strings"
	"time"

	v1 "github.com/vanguard/vanguard/api/studyhour/v1"
	"github.com/vanguard/vanguard/app/studyhour/internal/biz"
	"github.com/vanguard/vanguard/pkg/apierr"
)

// kindNames maps API meeting kinds to biz's and back.
var kindNames = map[v1.MeetingKind]string{
	v1.MeetingKind_GENERAL_MEETING: biz.KindGeneralMeeting, v1.MeetingKind_COMMITTEE_MEETING: biz.KindCommitteeMeeting,
	v1.MeetingKind_GROUP_MEETING: biz.KindGroupMeeting, v1.MeetingKind_PARTY_LECTURE: biz.KindPartyLecture,
	v1.MeetingKind_THEME_DAY: biz.KindThemeDay, v1.MeetingKind_STUDY_GROUP: biz.KindStudyGroup,
}

var statusNames = map[v1.AttendanceStatus]string{
	v1.AttendanceStatus_PRESENT: biz.AttendPresent, v1.AttendanceStatus_ABSENT: biz.AttendAbsent, v1.AttendanceStatus_LEAVE: biz.AttendLeave,
}

func kindToAPI(k string) v1.MeetingKind {
	for a, b := range kindNames {
		if b == k {
			return a
		}
	}
	return v1.MeetingKind_MEETING_KIND_UNSPECIFIED
}

func statusToAPI(s string) v1.AttendanceStatus {
	for a, b := range statusNames {
		if b == s {
			return a
		}
	}
	return v1.AttendanceStatus_ATTENDANCE_STATUS_UNSPECIFIED
}

func attendanceToAPI(a biz.Attendance) *v1.Attendance {
	return &v1.Attendance{MemberId: a.MemberID, Status: statusToAPI(a.Status), Reason: a.Reason, Method: a.Method,
		CheckedInAt: ts(a.CheckedInAt), CreditedSeconds: a.CreditedSeconds}
}

func meetingToAPI(m *biz.Meeting) *v1.Meeting {
	out := &v1.Meeting{Id: m.ID, OrgId: m.OrgID, OrgPath: m.OrgPath, Kind: kindToAPI(m.Kind), Topic: m.Topic, StartsAt: ts(&m.StartsAt),
		EndsAt: ts(&m.EndsAt), Hours: m.Hours, Host: m.Host, CheckinCode: m.CheckinCode, CreatedBy: m.CreatedBy,
		ReportedAt: ts(m.ReportedAt), ReportedBy: m.ReportedBy, ReportSummary: m.ReportSummary}
	if m.PlanItem != nil {
		out.PlanItemId, out.PlanItemTitle = m.PlanItem.ID, m.PlanItem.Title
	}
	for _, a := range m.Attendance {
		out.Attendance = append(out.Attendance, attendanceToAPI(a))
	}
	return out
}

func parseTime(field, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, apierr.InvalidArgument(field, "时间格式应为 RFC 3339，如 2026-12-01T14:30:00+08:00")
	}
	return t, nil
}

// CreateMeeting implements v1.StudyHoursServer.
func (s *StudyHourService) CreateMeeting(ctx context.Context, req *v1.CreateMeetingRequest) (*v1.Meeting, error) {
	starts, err := parseTime("starts_at", req.StartsAt)
	if err != nil {
		return nil, err
	}
	ends, err := parseTime("ends_at", req.EndsAt)
	if err != nil {
		return nil, err
	}
	m, err := s.meetings.Create(ctx, biz.MeetingInput{OrgID: req.OrgId, Kind: kindNames[req.Kind], Topic: req.Topic,
		StartsAt: starts, EndsAt: ends, Hours: req.Hours, Host: req.Host, PlanItemID: req.PlanItemId})
	if err != nil {
		return nil, toAPIError(err)
	}
	return meetingToAPI(m), nil
}

// ListMeetings implements v1.StudyHoursServer.
func (s *StudyHourService) ListMeetings(ctx context.Context, req *v1.ListMeetingsRequest) (*v1.ListMeetingsReply, error) {
	ms, _, err := s.meetings.List(ctx, req.OrgId, int(req.Year), req.Subtree, kindNames[req.Kind])
	if err != nil {
		return nil, toAPIError(err)
	}
	out := &v1.ListMeetingsReply{Meetings: make([]*v1.Meeting, len(ms))}
	for i, m := range ms {
		out.Meetings[i] = meetingToAPI(m)
	}
	return out, nil
}

// GetMeeting implements v1.StudyHoursServer.
func (s *StudyHourService) GetMeeting(ctx context.Context, req *v1.IdRequest) (*v1.Meeting, error) {
	m, _, err := s.meetings.Get(ctx, req.Id)
	if err != nil {
		return nil, toAPIError(err)
	}
	files, err := s.attachments.Minutes(ctx, m.ID)
	if err != nil {
		return nil, toAPIError(err)
	}
	out := meetingToAPI(m)
	out.Minutes = attachmentsToAPI(files[m.ID])
	return out, nil
}

// RecordAttendance implements v1.StudyHoursServer.
func (s *StudyHourService) RecordAttendance(ctx context.Context, req *v1.RecordAttendanceRequest) (*v1.Meeting, error) {
	in := make([]biz.AttendanceInput, len(req.Entries))
	for i, e := range req.Entries {
		in[i] = biz.AttendanceInput{MemberID: e.MemberId, Status: statusNames[e.Status], Reason: e.Reason}
	}
	m, err := s.meetings.Record(ctx, req.Id, in)
	if err != nil {
		return nil, toAPIError(err)
	}
	return meetingToAPI(m), nil
}

// CheckIn implements v1.StudyHoursServer.
func (s *StudyHourService) CheckIn(ctx context.Context, req *v1.CheckInRequest) (*v1.Attendance, error) {
	a, err := s.meetings.CheckIn(ctx, req.Id, req.Code)
	if err != nil {
		return nil, toAPIError(err)
	}
	return attendanceToAPI(*a), nil
}

// GetMeetingCompliance implements v1.StudyHoursServer.
func (s *StudyHourService) GetMeetingCompliance(ctx context.Context, req *v1.GetMeetingComplianceRequest) (*v1.MeetingComplianceReply, error) {
	year, orgs, err := s.meetings.Compliance(ctx, req.OrgId, int(req.Year))
	if err != nil {
		return nil, toAPIError(err)
	}
	out := &v1.MeetingComplianceReply{Year: int32(year)}
	for _, o := range orgs {
		oc := &v1.OrgCompliance{OrgId: o.Org.ID, Name: o.Org.Name, Path: o.Org.Path, Compliant: o.Compliant}
		for _, k := range o.Kinds {
			kc := &v1.KindCompliance{Kind: kindToAPI(k.Rule.Kind), Per: k.Rule.Per, RequiredPerPeriod: int32(k.Rule.Min), Held: int32(k.Held)}
			for _, p := range k.Short {
				kc.Short = append(kc.Short, int32(p))
			}
			oc.Kinds = append(oc.Kinds, kc)
		}
		out.Orgs = append(out.Orgs, oc)
	}
	return out, nil
}
