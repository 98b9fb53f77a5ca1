package biz

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vanguard/vanguard/pkg/auth"
)

// Study report (学习心得, 一学一报) statuses.
const (
	ReportSubmitted = "submitted"
	ReportAccepted  = "accepted"
	ReportReturned  = "returned"
)

// Errors of study reports.
var (
	// ErrReportLocked: the report was accepted; it can no longer change.
	ErrReportLocked = errors.New("report accepted")
	// ErrAlreadyReported: the session's reports were reported upward already.
	ErrAlreadyReported = errors.New("already reported upward")
	// ErrReportsPending: filed reports wait for review; review them before reporting upward.
	ErrReportsPending = errors.New("reports pending review")
)

// Lengths of a study report.
const (
	MinReportRunes = 20
	MaxReportRunes = 3000
)

// StudyReport is an attendee's report on a theory-study-group session.
type StudyReport struct {
	ID, MeetingID, MemberID int64
	OrgPath                 string
	Content                 string
	Status                  string
	ReviewerID              int64
	ReviewComment           string
	ReviewedAt              *time.Time
	SubmittedAt, UpdatedAt  time.Time
}

// PlanItemRef is a study plan item (course) a study-group session follows.
type PlanItemRef struct {
	ID    int64
	Title string
}

// Plans finds study plan items in course (its gRPC API, with the caller's token).
type Plans interface {
	// PlanItem returns the item if it belongs to a plan of the org at path or of one of its
	// ancestors; ErrNotFound otherwise.
	PlanItem(ctx context.Context, path string, id int64) (*PlanItemRef, error)
}

// ReportStore keeps study reports and the upward reports of sessions.
type ReportStore interface {
	// GetReport returns a member's report on a meeting; ErrNotFound if none.
	GetReport(ctx context.Context, meetingID, memberID int64) (*StudyReport, error)
	GetReportByID(ctx context.Context, id int64) (*StudyReport, error)
	// SaveReport creates or replaces (meeting, member)'s report.
	SaveReport(ctx context.Context, r *StudyReport) (*StudyReport, error)
	// ListReports lists a meeting's reports (memberID 0) or a member's (meetingID 0).
	ListReports(ctx context.Context, meetingID, memberID int64) ([]*StudyReport, error)
	// MemberMeetings lists the meetings of kind ("" every kind) where the member was recorded
	// present, newest first, at most limit (0: all).
	MemberMeetings(ctx context.Context, memberID int64, kind string, limit int) ([]*Meeting, error)
	// MarkReported records a meeting's upward report; false if it was reported already.
	MarkReported(ctx context.Context, meetingID, by int64, at time.Time, summary string) (bool, error)
}

// SessionReports is a study-group session's reports as its staff see them.
type SessionReports struct {
	Meeting *Meeting
	Reports []*StudyReport
	// Missing are the members present who have not filed (or whose report was returned and not
	// filed again).
	Missing []int64
}

// Reports is the 一学一报 use case: attendees of a theory-study-group session file a study report,
// staff of the org review each and report the session upward.
type Reports struct {
	m     *Meetings
	store ReportStore
}

// NewReports wires the use case on the meetings one.
func NewReports(m *Meetings, store ReportStore) *Reports { return &Reports{m: m, store: store} }

// File files (or files again, until accepted) the caller's report on a study-group session they
// attended. Safe to retry.
func (uc *Reports) File(ctx context.Context, meetingID int64, content string) (*StudyReport, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	content = strings.TrimSpace(content)
	if n := utf8.RuneCountInString(content); n < MinReportRunes || n > MaxReportRunes {
		return nil, Invalid("content", "学习心得应为 20–3000 字")
	}
	m, err := uc.m.store.GetMeeting(ctx, meetingID)
	if err != nil {
		return nil, err
	}
	if _, _, err := view(p, m); err != nil {
		return nil, err
	}
	present := false
	for _, a := range m.Attendance {
		present = present || (a.MemberID == p.UserID && a.Status == AttendPresent)
	}
	switch {
	case m.Kind != KindStudyGroup:
		return nil, Invalid("meeting_id", "只有理论学习中心组学习需要提交学习心得")
	case !present:
		return nil, deny("只有出席本次学习的党员能提交学习心得")
	case uc.m.study.clock.Now().Before(m.StartsAt):
		return nil, Invalid("meeting_id", "学习尚未开始")
	}
	now := uc.m.study.clock.Now().UTC()
	var out *StudyReport
	err = uc.m.study.tx.InTx(ctx, func(ctx context.Context) error {
		cur, err := uc.store.GetReport(ctx, meetingID, p.UserID)
		switch {
		case errors.Is(err, ErrNotFound):
			cur = &StudyReport{MeetingID: meetingID, MemberID: p.UserID, OrgPath: m.OrgPath, SubmittedAt: now}
		case err != nil:
			return err
		case cur.Status == ReportAccepted:
			return ErrReportLocked
		case cur.Status == ReportSubmitted && cur.Content == content:
			out = cur
			return nil // the same report again
		}
		cur.Content, cur.Status, cur.UpdatedAt = content, ReportSubmitted, now
		if out, err = uc.store.SaveReport(ctx, cur); err != nil {
			return err
		}
		return uc.m.study.events.Publish(ctx, ReportFiled{Report: *out, Meeting: *m})
	})
	return out, err
}

// Mine lists the caller's study-group sessions attended with their report (nil when not filed).
func (uc *Reports) Mine(ctx context.Context) ([]*Meeting, map[int64]*StudyReport, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, nil, err
	}
	ms, err := uc.store.MemberMeetings(ctx, p.UserID, KindStudyGroup, 200)
	if err != nil {
		return nil, nil, err
	}
	rs, err := uc.store.ListReports(ctx, 0, p.UserID)
	if err != nil {
		return nil, nil, err
	}
	byMeeting := map[int64]*StudyReport{}
	for _, r := range rs {
		byMeeting[r.MeetingID] = r
	}
	return ms, byMeeting, nil
}

// ForMeeting returns a session's reports and who has not filed, for staff over its org.
func (uc *Reports) ForMeeting(ctx context.Context, meetingID int64) (*SessionReports, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	m, err := uc.m.store.GetMeeting(ctx, meetingID)
	if err != nil {
		return nil, err
	}
	if _, manager, err := view(p, m); err != nil {
		return nil, err
	} else if !manager {
		return nil, deny("只有本组织的管理员能查看全部学习心得")
	}
	rs, err := uc.store.ListReports(ctx, meetingID, 0)
	if err != nil {
		return nil, err
	}
	filed := map[int64]bool{}
	for _, r := range rs {
		filed[r.MemberID] = r.Status != ReportReturned
	}
	out := &SessionReports{Meeting: m, Reports: rs}
	for _, a := range m.Attendance {
		if a.Status == AttendPresent && !filed[a.MemberID] {
			out.Missing = append(out.Missing, a.MemberID)
		}
	}
	return out, nil
}

// Review accepts a submitted report or returns it with a comment, for staff over its org (not
// their own). The same decision again changes nothing; an accepted report stays accepted.
func (uc *Reports) Review(ctx context.Context, id int64, accept bool, comment string) (*StudyReport, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	comment = strings.TrimSpace(comment)
	switch {
	case !accept && comment == "":
		return nil, Invalid("comment", "退回须填写意见")
	case utf8.RuneCountInString(comment) > 500:
		return nil, Invalid("comment", "意见最长500字")
	}
	r, err := uc.store.GetReportByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if !p.CanManageOrg(r.OrgPath) {
		if r.MemberID == p.UserID {
			return nil, deny("不能审阅自己的学习心得")
		}
		return nil, ErrNotFound
	}
	if r.MemberID == p.UserID {
		return nil, deny("不能审阅自己的学习心得")
	}
	want := ReportReturned
	if accept {
		want = ReportAccepted
	}
	switch r.Status {
	case want:
		return r, nil
	case ReportAccepted:
		return nil, ErrReportLocked
	case ReportReturned:
		return nil, Invalid("id", "该学习心得已退回，待党员重新提交")
	}
	m, err := uc.m.store.GetMeeting(ctx, r.MeetingID)
	if err != nil {
		return nil, err
	}
	now := uc.m.study.clock.Now().UTC()
	r.Status, r.ReviewerID, r.ReviewComment, r.ReviewedAt, r.UpdatedAt = want, p.UserID, comment, &now, now
	var out *StudyReport
	err = uc.m.study.tx.InTx(ctx, func(ctx context.Context) error {
		if out, err = uc.store.SaveReport(ctx, r); err != nil {
			return err
		}
		return uc.m.study.events.Publish(ctx, ReportFiled{Report: *out, Meeting: *m})
	})
	return out, err
}

// ReportUpward records that staff of the session's org reported it to the org above, with a
// summary, once every filed report was reviewed. Those who have not filed are named in the
// session's reports, not hidden by it.
func (uc *Reports) ReportUpward(ctx context.Context, meetingID int64, summary string) (*SessionReports, error) {
	summary = strings.TrimSpace(summary)
	if n := utf8.RuneCountInString(summary); n == 0 || n > 2000 {
		return nil, Invalid("summary", "上报说明不能为空，最长2000字")
	}
	cur, err := uc.ForMeeting(ctx, meetingID)
	if err != nil {
		return nil, err
	}
	if cur.Meeting.Kind != KindStudyGroup {
		return nil, Invalid("id", "只有理论学习中心组学习需要上报")
	}
	for _, r := range cur.Reports {
		if r.Status == ReportSubmitted {
			return nil, ErrReportsPending
		}
	}
	p, _ := auth.FromContext(ctx)
	now := uc.m.study.clock.Now().UTC()
	ok, err := uc.store.MarkReported(ctx, meetingID, p.UserID, now, summary)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrAlreadyReported
	}
	cur.Meeting.ReportedAt, cur.Meeting.ReportedBy, cur.Meeting.ReportSummary = &now, p.UserID, summary
	return cur, nil
}

// ReportFiled: a study report was filed or reviewed.
type ReportFiled struct {
	Report  StudyReport
	Meeting Meeting
}

func (ReportFiled) isEvent() {}

// GrowthService is the one service that reads members' study records.
const GrowthService = "growth"

// MemberStudy is what studyhour knows of a member for the growth file.
type MemberStudy struct {
	Years    []*Summary
	Meetings []*Meeting // attended, newest first, without attendance lists or check-in codes
	Reports  []*StudyReport
	// Completed are the lessons the member completed (course, lesson, when).
	Completed []*Progress
}

// MemberStudy returns the member's years of hours (from..to, at most 30), the meetings they were
// recorded present at and their study reports, to the growth service (service credentials); the
// member's org path and staff role, which set each year's target, come from the caller (org's
// dossier), since studyhour reads org with the caller's credentials.
func (uc *Reports) MemberStudy(ctx context.Context, memberID int64, orgPath string, staff bool, from, to int) (*MemberStudy, error) {
	if err := auth.RequireServiceNamed(ctx, GrowthService, "党员的学习记录"); err != nil {
		return nil, err
	}
	if to < from || to-from >= 30 {
		return nil, Invalid("to_year", "年份范围应从起始年起，最多 30 年")
	}
	out := &MemberStudy{}
	var err error
	person := Person{ID: memberID, OrgPath: orgPath, Staff: staff}
	for y := from; y <= to; y++ {
		s, err := uc.m.study.summary(ctx, person, y)
		if err != nil {
			return nil, err
		}
		s.Refusals = nil // heartbeat refusals are the platform's concern, not the file's
		out.Years = append(out.Years, s)
	}
	if out.Meetings, err = uc.store.MemberMeetings(ctx, memberID, "", 0); err != nil {
		return nil, err
	}
	for _, m := range out.Meetings {
		m.Attendance, m.CheckinCode = nil, ""
	}
	if out.Reports, err = uc.store.ListReports(ctx, 0, memberID); err != nil {
		return nil, err
	}
	if out.Completed, err = uc.m.study.store.CompletedLessons(ctx, memberID); err != nil {
		return nil, err
	}
	return out, nil
}
