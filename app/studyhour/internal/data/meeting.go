package data

import (
	"context"
	"fmt"
	"slices"
	"time"

	entsql "entgo.io/ent/dialect/sql"
	kerrors "github.com/go-kratos/kratos/v2/errors"

	orgv1 "github.com/vanguard/vanguard/api/org/v1"
	"github.com/vanguard/vanguard/app/studyhour/internal/biz"
	"github.com/vanguard/vanguard/app/studyhour/internal/data/ent"
	"github.com/vanguard/vanguard/app/studyhour/internal/data/ent/attendance"
	"github.com/vanguard/vanguard/app/studyhour/internal/data/ent/meeting"
)

type meetingStore struct{ data *Data }

// NewMeetingStore returns the meetings store.
func NewMeetingStore(d *Data) biz.MeetingStore { return &meetingStore{data: d} }

func meetingOf(m *ent.Meeting) *biz.Meeting {
	out := &biz.Meeting{ID: m.ID, OrgID: m.OrgID, OrgPath: m.OrgPath, Kind: m.Kind, Topic: m.Topic, StartsAt: m.StartsAt.UTC(),
		EndsAt: m.EndsAt.UTC(), Hours: m.Hours, Host: m.Host, CheckinCode: m.CheckinCode, CreatedBy: m.CreatedBy, CreatedAt: m.CreatedAt,
		ReportedAt: m.ReportedAt, ReportedBy: m.ReportedBy, ReportSummary: m.ReportSummary}
	if m.PlanItemID != 0 {
		out.PlanItem = &biz.PlanItemRef{ID: m.PlanItemID, Title: m.PlanItemTitle}
	}
	return out
}

func (r *meetingStore) CreateMeeting(ctx context.Context, m *biz.Meeting) (*biz.Meeting, error) {
	row := r.data.client(ctx).Meeting.Create().SetOrgID(m.OrgID).SetOrgPath(m.OrgPath).SetKind(m.Kind).SetTopic(m.Topic).
		SetStartsAt(m.StartsAt.UTC()).SetEndsAt(m.EndsAt.UTC()).SetHours(m.Hours).SetHost(m.Host).SetCheckinCode(m.CheckinCode).
		SetCreatedBy(m.CreatedBy).SetCreatedAt(m.CreatedAt.UTC())
	if m.PlanItem != nil {
		row.SetPlanItemID(m.PlanItem.ID).SetPlanItemTitle(m.PlanItem.Title)
	}
	saved, err := row.Save(ctx)
	if err != nil {
		return nil, mapErr("meetingStore.CreateMeeting", err, nil)
	}
	return meetingOf(saved), nil
}

func (r *meetingStore) GetMeeting(ctx context.Context, id int64) (*biz.Meeting, error) {
	c := r.data.client(ctx)
	row, err := c.Meeting.Get(ctx, id)
	if err != nil {
		return nil, mapErr("meetingStore.GetMeeting", err, biz.ErrNotFound)
	}
	out := meetingOf(row)
	as, err := c.Attendance.Query().Where(attendance.MeetingID(id)).Order(ent.Asc(attendance.FieldMemberID)).All(ctx)
	if err != nil {
		return nil, mapErr("meetingStore.GetMeeting", err, nil)
	}
	for _, a := range as {
		out.Attendance = append(out.Attendance, biz.Attendance{MeetingID: id, MemberID: a.MemberID, Status: a.Status, Reason: a.Reason,
			Method: a.Method, CheckedInAt: a.CheckedInAt, CreditedSeconds: a.CreditedSeconds, RecordedBy: a.RecordedBy})
	}
	return out, nil
}

func (r *meetingStore) ListMeetings(ctx context.Context, orgPath string, subtree bool, from, to time.Time) ([]*biz.Meeting, error) {
	q := r.data.client(ctx).Meeting.Query().Where(meeting.StartsAtGTE(from.UTC()), meeting.StartsAtLT(to.UTC()))
	if subtree {
		q = q.Where(meeting.OrgPathHasPrefix(orgPath))
	} else {
		q = q.Where(meeting.OrgPath(orgPath))
	}
	rows, err := q.Order(ent.Desc(meeting.FieldStartsAt), ent.Desc(meeting.FieldID)).All(ctx)
	if err != nil {
		return nil, mapErr("meetingStore.ListMeetings", err, nil)
	}
	out := make([]*biz.Meeting, len(rows))
	for i, row := range rows {
		out[i] = meetingOf(row)
	}
	return out, nil
}

func (r *meetingStore) SaveAttendance(ctx context.Context, a biz.Attendance) error {
	var at *time.Time
	if a.CheckedInAt != nil {
		t := a.CheckedInAt.UTC()
		at = &t
	}
	err := r.data.client(ctx).Attendance.Create().SetMeetingID(a.MeetingID).SetMemberID(a.MemberID).SetStatus(a.Status).
		SetReason(a.Reason).SetMethod(a.Method).SetNillableCheckedInAt(at).SetCreditedSeconds(a.CreditedSeconds).SetRecordedBy(a.RecordedBy).
		OnConflict(entsql.ConflictColumns(attendance.FieldMeetingID, attendance.FieldMemberID)).
		Update(func(u *ent.AttendanceUpsert) {
			u.SetStatus(a.Status).SetReason(a.Reason).SetMethod(a.Method).SetCreditedSeconds(a.CreditedSeconds).SetRecordedBy(a.RecordedBy)
			if at != nil {
				u.SetCheckedInAt(*at)
			} else {
				u.ClearCheckedInAt()
			}
		}).Exec(ctx)
	return mapErr("meetingStore.SaveAttendance", err, nil)
}

type orgs struct {
	c orgv1.OrgsClient
	a orgv1.AccountsClient
}

// NewOrgs reads orgs and members' orgs from org's gRPC API with the caller's token; it is also
// studyhour's biz.Accounts.
func NewOrgs(c orgv1.OrgsClient, a orgv1.AccountsClient) interface {
	biz.Orgs
	biz.Accounts
} {
	return orgs{c: c, a: a}
}

func notFound(err error) bool {
	code := kerrors.Code(err)
	return code == 404 || code == 403
}

func (o orgs) Org(ctx context.Context, id int64) (*biz.Org, error) {
	r, err := o.c.GetOrg(ctx, &orgv1.GetOrgRequest{Id: id})
	if err != nil {
		if notFound(err) {
			return nil, biz.ErrNotFound
		}
		return nil, fmt.Errorf("org GetOrg %d: %w", id, err)
	}
	return &biz.Org{ID: r.Id, Name: r.Name, Path: r.Path, Branch: r.Type == orgv1.OrgType_BRANCH}, nil
}

func (o orgs) Subtree(ctx context.Context, id int64) ([]biz.Org, error) {
	var out []biz.Org
	token := ""
	for {
		r, err := o.c.ListOrgs(ctx, &orgv1.ListOrgsRequest{RootId: id, PageSize: 1000, PageToken: token})
		if err != nil {
			if notFound(err) {
				return nil, biz.ErrNotFound
			}
			return nil, fmt.Errorf("org ListOrgs %d: %w", id, err)
		}
		for _, x := range r.Orgs {
			out = append(out, biz.Org{ID: x.Id, Name: x.Name, Path: x.Path, Branch: x.Type == orgv1.OrgType_BRANCH})
		}
		if token = r.NextPageToken; token == "" {
			return out, nil
		}
	}
}

func personOf(a *orgv1.Account) biz.Person {
	p := biz.Person{ID: a.Id, Name: a.DisplayName, OrgID: a.OrgId, OrgPath: a.OrgPath, TempPaths: a.TempOrgPaths}
	if p.Name == "" {
		p.Name = a.Username
	}
	p.Staff = slices.Contains(a.Roles, orgv1.Role_STAFF)
	return p
}

// Person reads an account with the caller's token: org shows it only to the member and to staff
// over the member's org.
func (o orgs) Person(ctx context.Context, id int64) (*biz.Person, error) {
	a, err := o.a.GetAccount(ctx, &orgv1.GetAccountRequest{Id: id})
	if err != nil {
		if notFound(err) {
			return nil, biz.ErrNotFound
		}
		return nil, fmt.Errorf("org GetAccount %d: %w", id, err)
	}
	p := personOf(a)
	return &p, nil
}

// Members pages through the active accounts of the org's subtree that hold the member or staff
// role (party members; trainers and admins alone are not held to a target).
func (o orgs) Members(ctx context.Context, orgID int64) ([]biz.Person, error) {
	var out []biz.Person
	token := ""
	for {
		r, err := o.a.ListAccounts(ctx, &orgv1.ListAccountsRequest{OrgId: orgID, PageSize: 500, PageToken: token})
		if err != nil {
			if notFound(err) {
				return nil, biz.ErrNotFound
			}
			return nil, fmt.Errorf("org ListAccounts %d: %w", orgID, err)
		}
		for _, a := range r.Accounts {
			if a.Status == orgv1.AccountStatus_ACTIVE && (slices.Contains(a.Roles, orgv1.Role_MEMBER) || slices.Contains(a.Roles, orgv1.Role_STAFF)) {
				out = append(out, personOf(a))
			}
		}
		if token = r.NextPageToken; token == "" {
			return out, nil
		}
	}
}

func (o orgs) Member(ctx context.Context, memberID int64) (*biz.Person, error) {
	return o.Person(ctx, memberID)
}
