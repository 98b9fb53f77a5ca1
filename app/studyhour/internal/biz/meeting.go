package biz

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vanguard/vanguard/pkg/auth"
)

// Meeting kinds (三会一课, 主题党日, 理论学习中心组学习).
const (
	KindGeneralMeeting   = "general_meeting"   // 支部党员大会
	KindCommitteeMeeting = "committee_meeting" // 支委会
	KindGroupMeeting     = "group_meeting"     // 党小组会
	KindPartyLecture     = "party_lecture"     // 党课
	KindThemeDay         = "theme_day"         // 主题党日
	KindStudyGroup       = "study_group"       // 理论学习中心组学习
)

// Attendance statuses.
const (
	AttendPresent = "present"
	AttendAbsent  = "absent"
	AttendLeave   = "leave"
)

// ErrCheckinClosed: a QR check-in outside the meeting's time, or with a wrong code.
var ErrCheckinClosed = errors.New("check-in closed")

// CheckinEarly is how long before a meeting starts its QR check-in opens.
const CheckinEarly = 30 * time.Minute

// Meeting is a recorded meeting of an org.
type Meeting struct {
	ID, OrgID        int64
	OrgPath          string
	Kind             string
	Topic            string
	StartsAt, EndsAt time.Time
	Hours            float64
	Host             string
	CheckinCode      string
	CreatedBy        int64
	CreatedAt        time.Time
	Attendance       []Attendance
	// PlanItem: the study plan item a study-group session follows (nil: none).
	PlanItem *PlanItemRef
	// ReportedAt, ReportedBy, ReportSummary: the session's upward report (一学一报), if made.
	ReportedAt    *time.Time
	ReportedBy    int64
	ReportSummary string
}

// Attendance is a member's attendance of a meeting.
type Attendance struct {
	MeetingID, MemberID int64
	Status              string
	Reason              string
	Method              string // staff or qr
	CheckedInAt         *time.Time
	CreditedSeconds     int64
	RecordedBy          int64
}

// Org is what studyhour needs of an organisation.
type Org struct {
	ID         int64
	Name, Path string
	Branch     bool
}

// Orgs reads organisations from org's gRPC API with the caller's token (org decides what the
// caller may see): ErrNotFound when not.
type Orgs interface {
	Org(ctx context.Context, id int64) (*Org, error)
	// Subtree lists the org with id and every org below it.
	Subtree(ctx context.Context, id int64) ([]Org, error)
	// Member returns a member the caller may see, with their org and temporary branches.
	Member(ctx context.Context, memberID int64) (*Person, error)
}

// MeetingStore keeps meetings and attendance.
type MeetingStore interface {
	CreateMeeting(ctx context.Context, m *Meeting) (*Meeting, error)
	// GetMeeting returns a meeting with its attendance; ErrNotFound if missing.
	GetMeeting(ctx context.Context, id int64) (*Meeting, error)
	// ListMeetings lists the meetings of the orgs at paths starting from [from, to), newest first,
	// without attendance (exact: only the org at prefix, not its subtree).
	ListMeetings(ctx context.Context, orgPath string, subtree bool, from, to time.Time) ([]*Meeting, error)
	// SaveAttendance creates or replaces (meeting, member).
	SaveAttendance(ctx context.Context, a Attendance) error
}

// MeetingInput is a new meeting.
type MeetingInput struct {
	OrgID            int64
	Kind, Topic      string
	StartsAt, EndsAt time.Time
	Hours            float64
	Host             string
	PlanItemID       int64
}

var meetingKinds = []string{KindGeneralMeeting, KindCommitteeMeeting, KindGroupMeeting, KindPartyLecture, KindThemeDay, KindStudyGroup}

// Meetings is the meetings use case: recording meetings and attendance (which credits hours
// through the ledger), QR check-in, and compliance with the required frequencies.
type Meetings struct {
	study *Study
	store MeetingStore
	orgs  Orgs
	plans Plans
}

// NewMeetings wires the meetings use case on the study use case (its ledger and store).
func NewMeetings(study *Study, store MeetingStore, orgs Orgs, plans Plans) *Meetings {
	return &Meetings{study: study, store: store, orgs: orgs, plans: plans}
}

// Create records a meeting for staff who manage its org.
func (uc *Meetings) Create(ctx context.Context, in MeetingInput) (*Meeting, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	in.Topic, in.Host = strings.TrimSpace(in.Topic), strings.TrimSpace(in.Host)
	switch {
	case !slices.Contains(meetingKinds, in.Kind):
		return nil, Invalid("kind", "会议类型无效")
	case in.Topic == "" || utf8.RuneCountInString(in.Topic) > 200:
		return nil, Invalid("topic", "会议主题不能为空，最长200字")
	case utf8.RuneCountInString(in.Host) > 50:
		return nil, Invalid("host", "主持人最长50字")
	case !in.EndsAt.After(in.StartsAt):
		return nil, Invalid("ends_at", "结束时间必须晚于开始时间")
	case in.EndsAt.Sub(in.StartsAt) > 24*time.Hour:
		return nil, Invalid("ends_at", "一次会议不能超过24小时")
	case math.IsNaN(in.Hours) || in.Hours < 0 || in.Hours > 8:
		return nil, Invalid("hours", "学时应在 0–8 之间")
	case in.PlanItemID != 0 && in.Kind != KindStudyGroup:
		return nil, Invalid("plan_item_id", "只有理论学习中心组学习可关联学习计划")
	}
	org, err := uc.orgs.Org(ctx, in.OrgID)
	if err != nil {
		return nil, err
	}
	if !p.CanManageOrg(org.Path) {
		return nil, deny("只有本组织的管理员能记录会议")
	}
	var item *PlanItemRef
	if in.PlanItemID != 0 {
		if item, err = uc.plans.PlanItem(ctx, org.Path, in.PlanItemID); errors.Is(err, ErrNotFound) {
			return nil, Invalid("plan_item_id", "学习计划条目不存在或不属于本组织及上级组织")
		} else if err != nil {
			return nil, err
		}
	}
	code := make([]byte, 16)
	if _, err := rand.Read(code); err != nil {
		return nil, err
	}
	return uc.store.CreateMeeting(ctx, &Meeting{OrgID: org.ID, OrgPath: org.Path, Kind: in.Kind, Topic: in.Topic,
		StartsAt: in.StartsAt.UTC(), EndsAt: in.EndsAt.UTC(), Hours: in.Hours, Host: in.Host, CheckinCode: hex.EncodeToString(code),
		CreatedBy: p.UserID, CreatedAt: uc.study.clock.Now().UTC(), PlanItem: item})
}

// view returns a meeting as p may see it: managers everything, members of the org (or below)
// without the check-in code and with only their own attendance; others ErrNotFound.
func view(p *auth.Principal, m *Meeting) (*Meeting, bool, error) {
	if p.CanManageOrg(m.OrgPath) {
		return m, true, nil
	}
	if !p.BelongsTo(m.OrgPath) {
		return nil, false, ErrNotFound
	}
	out := *m
	out.CheckinCode, out.Attendance = "", nil
	for _, a := range m.Attendance {
		if a.MemberID == p.UserID {
			out.Attendance = append(out.Attendance, a)
		}
	}
	return &out, false, nil
}

// Get returns a meeting as the caller may see it.
func (uc *Meetings) Get(ctx context.Context, id int64) (*Meeting, bool, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, false, err
	}
	m, err := uc.store.GetMeeting(ctx, id)
	if err != nil {
		return nil, false, err
	}
	return view(p, m)
}

// List lists an org's meetings of a year (0: this year) for staff over it and its members; with
// subtree, those of every org below it too (staff only), optionally of one kind.
func (uc *Meetings) List(ctx context.Context, orgID int64, year int, subtree bool, kind string) ([]*Meeting, bool, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, false, err
	}
	org, err := uc.orgs.Org(ctx, orgID)
	if err != nil {
		return nil, false, err
	}
	manager := p.CanManageOrg(org.Path)
	if !manager && !p.BelongsTo(org.Path) {
		return nil, false, ErrNotFound
	}
	if subtree && !manager {
		return nil, false, deny("只有管理员能查看下级组织的会议")
	}
	if kind != "" && !slices.Contains(meetingKinds, kind) {
		return nil, false, Invalid("kind", "会议类型无效")
	}
	from, to, err := uc.study.yearSpan(year)
	if err != nil {
		return nil, false, err
	}
	ms, err := uc.store.ListMeetings(ctx, org.Path, subtree, from, to)
	if err != nil {
		return nil, false, err
	}
	if kind != "" {
		ms = slices.DeleteFunc(ms, func(m *Meeting) bool { return m.Kind != kind })
	}
	if !manager {
		for i, m := range ms {
			ms[i], _, _ = view(p, m)
		}
	}
	return ms, manager, nil
}

// yearSpan is a calendar year (0: this year) in the organisation's time zone.
func (uc *Study) yearSpan(year int) (time.Time, time.Time, error) {
	loc := uc.cfg.Location
	if year == 0 {
		year = uc.clock.Now().In(loc).Year()
	}
	if year < 2000 || year > 2200 {
		return time.Time{}, time.Time{}, Invalid("year", "年份应在 2000–2200 之间")
	}
	from := time.Date(year, 1, 1, 0, 0, 0, 0, loc)
	return from, from.AddDate(1, 0, 0), nil
}

// AttendanceInput is one member's attendance as staff record it.
type AttendanceInput struct {
	MemberID int64
	Status   string
	Reason   string
}

// Record sets members' attendance for staff who manage the meeting's org; every member must be
// in the org's subtree. Present credits the meeting's hours once; a change away from present
// reverses them. All or nothing.
func (uc *Meetings) Record(ctx context.Context, meetingID int64, in []AttendanceInput) (*Meeting, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	m, err := uc.store.GetMeeting(ctx, meetingID)
	if err != nil {
		return nil, err
	}
	if _, manager, err := view(p, m); err != nil {
		return nil, err
	} else if !manager {
		return nil, deny("只有本组织的管理员能登记出席情况")
	}
	seen := map[int64]bool{}
	for i, a := range in {
		field := fmt.Sprintf("entries[%d]", i)
		switch {
		case seen[a.MemberID]:
			return nil, Invalid(field+".member_id", "同一党员重复登记")
		case a.Status != AttendPresent && a.Status != AttendAbsent && a.Status != AttendLeave:
			return nil, Invalid(field+".status", "出席状态无效")
		case a.Status == AttendLeave && strings.TrimSpace(a.Reason) == "":
			return nil, Invalid(field+".reason", "请假须填写事由")
		case utf8.RuneCountInString(a.Reason) > 200:
			return nil, Invalid(field+".reason", "事由最长200字")
		}
		seen[a.MemberID] = true
		who, err := uc.orgs.Member(ctx, a.MemberID)
		if errors.Is(err, ErrNotFound) || (err == nil && !who.BelongsTo(m.OrgPath)) {
			return nil, Invalid(field+".member_id", "该党员不属于本组织")
		}
		if err != nil {
			return nil, err
		}
	}
	// Members in id order: two recordings lock members' rows in the same order (no deadlock).
	slices.SortFunc(in, func(a, b AttendanceInput) int { return int(a.MemberID - b.MemberID) })
	err = uc.study.tx.InTx(ctx, func(ctx context.Context) error {
		cur, err := uc.store.GetMeeting(ctx, meetingID)
		if err != nil {
			return err
		}
		prev := map[int64]Attendance{}
		for _, a := range cur.Attendance {
			prev[a.MemberID] = a
		}
		for _, a := range in {
			old, had := prev[a.MemberID]
			next := Attendance{MeetingID: m.ID, MemberID: a.MemberID, Status: a.Status, Reason: strings.TrimSpace(a.Reason),
				Method: "staff", RecordedBy: p.UserID, CreditedSeconds: old.CreditedSeconds}
			if had && old.Status == a.Status && old.Reason == next.Reason {
				continue
			}
			if had && old.Status == AttendPresent && a.Status == AttendPresent {
				next.Method, next.CheckedInAt = old.Method, old.CheckedInAt
			}
			if err := uc.attend(ctx, cur, &next, p.UserID); err != nil {
				return err
			}
		}
		return uc.announce(ctx, cur.ID)
	})
	if err != nil {
		return nil, err
	}
	return uc.store.GetMeeting(ctx, meetingID)
}

// attend stores an attendance and moves its credit: the meeting's hours while present, nothing
// otherwise (a reversing entry when it had credited).
func (uc *Meetings) attend(ctx context.Context, m *Meeting, a *Attendance, approver int64) error {
	want := int64(0)
	if a.Status == AttendPresent {
		want = int64(math.Round(m.Hours * 3600))
	}
	if delta := want - a.CreditedSeconds; delta != 0 {
		st, err := uc.study.store.LockMember(ctx, a.MemberID)
		if err != nil {
			return err
		}
		ref := fmt.Sprintf("meeting:%d", m.ID)
		if delta < 0 {
			ref += "/reversal"
		}
		e, err := uc.study.append(ctx, st, Entry{Source: SourceMeeting, Seconds: delta, Day: uc.study.day(m.StartsAt), Ref: ref,
			ApprovedBy: approver, RecordedAt: uc.study.clock.Now()})
		if err != nil {
			return err
		}
		if err := uc.study.store.SaveMember(ctx, st); err != nil {
			return err
		}
		if err := uc.study.events.Publish(ctx, HoursCredited{Entry: e}); err != nil {
			return err
		}
		a.CreditedSeconds = want
	}
	return uc.store.SaveAttendance(ctx, *a)
}

// announce publishes the meeting's present members.
func (uc *Meetings) announce(ctx context.Context, id int64) error {
	m, err := uc.store.GetMeeting(ctx, id)
	if err != nil {
		return err
	}
	ev := MeetingRecorded{Meeting: *m}
	for _, a := range m.Attendance {
		if a.Status == AttendPresent {
			ev.Present = append(ev.Present, a.MemberID)
		}
	}
	ev.Meeting.Attendance = nil
	return uc.study.events.Publish(ctx, ev)
}

// CheckIn records the caller present from the meeting's QR code: a member of the meeting's org
// (or below), from CheckinEarly before it starts until it ends. Safe to retry.
func (uc *Meetings) CheckIn(ctx context.Context, meetingID int64, code string) (*Attendance, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	m, err := uc.store.GetMeeting(ctx, meetingID)
	if err != nil {
		return nil, err
	}
	if !p.BelongsTo(m.OrgPath) {
		return nil, ErrNotFound
	}
	now := uc.study.clock.Now()
	if subtle.ConstantTimeCompare([]byte(code), []byte(m.CheckinCode)) != 1 || now.Before(m.StartsAt.Add(-CheckinEarly)) || now.After(m.EndsAt) {
		return nil, ErrCheckinClosed
	}
	var out Attendance
	err = uc.study.tx.InTx(ctx, func(ctx context.Context) error {
		cur, err := uc.store.GetMeeting(ctx, meetingID)
		if err != nil {
			return err
		}
		var credited int64
		for _, a := range cur.Attendance {
			if a.MemberID != p.UserID {
				continue
			}
			if a.Status == AttendPresent {
				out = a
				return nil // checked in already
			}
			credited = a.CreditedSeconds
		}
		out = Attendance{MeetingID: m.ID, MemberID: p.UserID, Status: AttendPresent, Method: "qr", CheckedInAt: &now, CreditedSeconds: credited}
		if err := uc.attend(ctx, cur, &out, 0); err != nil {
			return err
		}
		return uc.announce(ctx, cur.ID)
	})
	return &out, err
}

// MeetingRecorded: a meeting's attendance changed.
type MeetingRecorded struct {
	Meeting Meeting
	Present []int64
}

func (MeetingRecorded) isEvent() {}
