package data

import (
	"context"
	"fmt"
	"strconv"
	"time"

	kerrors "github.com/go-kratos/kratos/v2/errors"

	coursev1 "github.com/vanguard/vanguard/api/course/v1"
	orgv1 "github.com/vanguard/vanguard/api/org/v1"
	quizv1 "github.com/vanguard/vanguard/api/quiz/v1"
	studyhourv1 "github.com/vanguard/vanguard/api/studyhour/v1"
	"github.com/vanguard/vanguard/app/growth/internal/biz"
	"github.com/vanguard/vanguard/pkg/clock"
)

// Remote reads what the other services recorded of a member through their service-only Dossiers
// APIs. Every client's connection must call as the growth service (kit.DialAsService): the
// dossiers refuse any other caller.
type Remote struct {
	Org       orgv1.DossiersClient
	Studyhour studyhourv1.DossiersClient
	Quiz      quizv1.DossiersClient
	Course    coursev1.DossiersClient
	Clock     clock.Clock
}

var _ biz.Sources = (*Remote)(nil)

// china is the organisations' calendar: dates in the file are its dates.
var china = func() *time.Location {
	if l, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return l
	}
	return time.FixedZone("CST", 8*3600)
}()

// maxYears is the most years of hours the file lists (studyhour's bound).
const maxYears = 30

// Gather reads the member's dossier from org first (it names the member's org and role, which
// set studyhour's targets), then their study from studyhour and the outlines of the courses they
// studied from course; quiz's results meanwhile. A member org does not know is biz.ErrNotFound.
func (r *Remote) Gather(ctx context.Context, memberID int64) (biz.Content, error) {
	var c biz.Content
	// Quiz's results need nothing from the other services: asked while the others answer.
	type results struct {
		res *quizv1.MemberResults
		err error
	}
	quiz := make(chan results, 1)
	qctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		res, err := r.Quiz.GetMemberResults(qctx, &quizv1.GetMemberResultsRequest{MemberId: memberID})
		quiz <- results{res, err}
	}()
	d, err := r.Org.GetMemberDossier(ctx, &orgv1.GetMemberDossierRequest{MemberId: memberID})
	if err != nil {
		if kerrors.Code(err) == 404 {
			return c, biz.ErrNotFound
		}
		return c, fmt.Errorf("org GetMemberDossier %d: %w", memberID, err)
	}
	a := d.GetAccount()
	c.Profile = profileOf(d)
	for _, s := range d.GetDevelopment().GetSteps() {
		c.Development = append(c.Development, stepOf(s))
	}

	var clk clock.Clock = clock.Real{}
	if r.Clock != nil {
		clk = r.Clock
	}
	now := clk.Now().In(china)
	to := now.Year()
	from := to
	for _, day := range []string{a.GetProfile().GetApplicationDate(), a.GetCreatedAt()} {
		if y, err := strconv.Atoi(prefix(day, 4)); err == nil && y >= 2000 && y < from {
			from = y
		}
	}
	from = max(from, to-maxYears+1)
	st, err := r.Studyhour.GetMemberStudy(ctx, &studyhourv1.GetMemberStudyRequest{MemberId: memberID, OrgPath: a.GetOrgPath(),
		Staff: hasRole(a, orgv1.Role_STAFF) || hasRole(a, orgv1.Role_ADMIN), FromYear: int32(from), ToYear: int32(to)})
	if err != nil {
		return c, fmt.Errorf("studyhour GetMemberStudy %d: %w", memberID, err)
	}
	for _, y := range st.GetYears() {
		h := biz.YearHours{Year: int(y.GetYear()), Seconds: y.GetTotalSeconds(), TargetSeconds: y.GetTargetSeconds()}
		for _, s := range y.GetBySource() {
			if s.GetSeconds() != 0 {
				if h.BySource == nil {
					h.BySource = map[string]int64{}
				}
				h.BySource[s.GetSource()] += s.GetSeconds()
			}
		}
		c.Hours = append(c.Hours, h)
	}
	for _, m := range st.GetMeetings() {
		c.Meetings = append(c.Meetings, biz.MeetingEntry{MeetingID: m.GetId(), Kind: meetingKinds[m.GetKind()], Topic: m.GetTopic(),
			Date: dateOf(m.GetStartsAt())})
	}
	for _, rep := range st.GetReports() {
		at := rep.GetSubmittedAt()
		if at == "" {
			at = rep.GetUpdatedAt()
		}
		c.Reports = append(c.Reports, biz.ReportEntry{ReportID: rep.GetId(), Topic: reportTopic(st, rep.GetMeetingId()),
			Status: reportStatuses[rep.GetStatus()], Date: dateOf(at)})
	}
	if c.Courses, err = r.completedCourses(ctx, st.GetCompletedLessons()); err != nil {
		return c, err
	}

	q := <-quiz
	if q.err != nil {
		return c, fmt.Errorf("quiz GetMemberResults %d: %w", memberID, q.err)
	}
	for _, e := range q.res.GetResults() {
		c.Exams = append(c.Exams, biz.ExamEntry{ExamID: e.GetExamId(), Title: e.GetTitle(), Score: e.GetScore(), MaxScore: e.GetMaxScore(),
			Passed: e.GetPassed(), GradedOn: dateOf(e.GetGradedAt())})
	}
	return c, nil
}

// completedCourses are the courses whose every lesson, as the course stands, the member completed;
// the course's completion day is its last lesson's.
func (r *Remote) completedCourses(ctx context.Context, lessons []*studyhourv1.CompletedLesson) ([]biz.CourseEntry, error) {
	done := map[int64]string{} // lesson → completion time
	var ids []int64
	seen := map[int64]bool{}
	for _, l := range lessons {
		done[l.GetLessonId()] = l.GetCompletedAt()
		if !seen[l.GetCourseId()] {
			seen[l.GetCourseId()] = true
			ids = append(ids, l.GetCourseId())
		}
	}
	var out []biz.CourseEntry
	for len(ids) > 0 {
		n := min(len(ids), 500)
		batch := ids[:n]
		ids = ids[n:]
		os, err := r.Course.GetCourseOutlines(ctx, &coursev1.GetCourseOutlinesRequest{CourseIds: batch})
		if err != nil {
			return nil, fmt.Errorf("course GetCourseOutlines: %w", err)
		}
		for _, o := range os.GetCourses() {
			last, complete := "", len(o.GetLessonIds()) > 0
			for _, l := range o.GetLessonIds() {
				at, ok := done[l]
				if !ok {
					complete = false
					break
				}
				last = max(last, at)
			}
			if complete {
				out = append(out, biz.CourseEntry{CourseID: o.GetCourseId(), Title: o.GetTitle(), CompletedOn: dateOf(last)})
			}
		}
	}
	return out, nil
}

func profileOf(d *orgv1.MemberDossier) biz.Profile {
	a := d.GetAccount()
	pr := a.GetProfile()
	p := biz.Profile{MemberID: a.GetId(), Name: a.GetDisplayName(), Gender: genders[pr.GetGender()], BirthDate: pr.GetBirthDate(),
		OrgName: d.GetOrgName(), OrgPath: a.GetOrgPath(), Stage: stages[pr.GetStage()], AppliedOn: pr.GetApplicationDate(),
		JoinedOn: pr.GetJoinedDate(), FullOn: pr.GetFullMemberDate()}
	for _, t := range d.GetTempBranches() {
		p.Temporaries = append(p.Temporaries, t.GetName())
	}
	return p
}

func stepOf(s *orgv1.DevelopmentStep) biz.StepEntry {
	e := biz.StepEntry{StepID: s.GetId(), No: int(s.GetNo()), Seq: max(int(s.GetSeq()), 1), Name: s.GetName(), Date: s.GetDate(),
		OrgName: s.GetOrgName(), Documents: len(s.GetDocuments())}
	for _, p := range s.GetPeople() {
		e.People = append(e.People, p.GetDisplayName())
	}
	for _, w := range s.GetWarnings() {
		e.Warnings = append(e.Warnings, w.GetMessage())
	}
	for _, o := range s.GetOverridden() {
		e.Overridden = append(e.Overridden, o.GetMessage())
	}
	if len(e.Overridden) > 0 && s.GetOverrideReason() != "" {
		e.Overridden = append(e.Overridden, "理由："+s.GetOverrideReason())
	}
	return e
}

func reportTopic(st *studyhourv1.MemberStudy, meetingID int64) string {
	for _, m := range st.GetMeetings() {
		if m.GetId() == meetingID {
			return m.GetTopic()
		}
	}
	return "学习报告"
}

func hasRole(a *orgv1.Account, r orgv1.Role) bool {
	for _, x := range a.GetRoles() {
		if x == r {
			return true
		}
	}
	return false
}

// dateOf is the organisations' calendar date of an RFC 3339 time ("" stays "").
func dateOf(ts string) string {
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return prefix(ts, 10)
	}
	return t.In(china).Format(time.DateOnly)
}

func prefix(s string, n int) string {
	if len(s) < n {
		return s
	}
	return s[:n]
}

var (
	genders = map[orgv1.Gender]string{orgv1.Gender_MALE: "男", orgv1.Gender_FEMALE: "女"}
	stages  = map[orgv1.DevelopmentStage]string{orgv1.DevelopmentStage_APPLICANT: "入党申请人", orgv1.DevelopmentStage_ACTIVIST: "入党积极分子",
		orgv1.DevelopmentStage_CANDIDATE: "发展对象", orgv1.DevelopmentStage_PROBATIONARY: "预备党员", orgv1.DevelopmentStage_FULL_MEMBER: "正式党员"}
	meetingKinds = map[studyhourv1.MeetingKind]string{studyhourv1.MeetingKind_GENERAL_MEETING: "支部党员大会",
		studyhourv1.MeetingKind_COMMITTEE_MEETING: "支委会", studyhourv1.MeetingKind_GROUP_MEETING: "党小组会",
		studyhourv1.MeetingKind_PARTY_LECTURE: "党课", studyhourv1.MeetingKind_THEME_DAY: "主题党日",
		studyhourv1.MeetingKind_STUDY_GROUP: "理论学习中心组学习"}
	reportStatuses = map[studyhourv1.ReportStatus]string{studyhourv1.ReportStatus_SUBMITTED: "已提交",
		studyhourv1.ReportStatus_ACCEPTED: "已通过", studyhourv1.ReportStatus_RETURNED: "已退回"}
)

var (
	_ biz.Members = (*Remote)(nil)
	_ biz.Roster  = (*Remote)(nil)
)

// OrgPath returns the member's home org path from org's dossier.
func (r *Remote) OrgPath(ctx context.Context, memberID int64) (string, error) {
	d, err := r.Org.GetMemberDossier(ctx, &orgv1.GetMemberDossierRequest{MemberId: memberID})
	if err != nil {
		if kerrors.Code(err) == 404 {
			return "", biz.ErrNotFound
		}
		return "", fmt.Errorf("org GetMemberDossier %d: %w", memberID, err)
	}
	return d.GetAccount().GetOrgPath(), nil
}

// Members pages over the accounts org lists as members.
func (r *Remote) Members(ctx context.Context, after int64, limit int) ([]int64, error) {
	res, err := r.Org.ListDossierMembers(ctx, &orgv1.ListDossierMembersRequest{AfterId: after, PageSize: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("org ListDossierMembers: %w", err)
	}
	return res.GetMemberIds(), nil
}

type orgs struct{ c orgv1.OrgsClient }

// NewOrgs resolves orgs through org's API; its connection must forward the caller's token
// (auth.Forward), so an org the caller may not see is ErrNotFound.
func NewOrgs(c orgv1.OrgsClient) biz.Orgs { return orgs{c: c} }

func (o orgs) OrgPath(ctx context.Context, id int64) (string, error) {
	r, err := o.c.GetOrg(ctx, &orgv1.GetOrgRequest{Id: id})
	if err != nil {
		if notFound(err) {
			return "", biz.ErrNotFound
		}
		return "", fmt.Errorf("org GetOrg %d: %w", id, err)
	}
	return r.GetPath(), nil
}

// notFound: the service answered 404 (or 403: hidden from the caller).
func notFound(err error) bool {
	code := kerrors.Code(err)
	return code == 404 || code == 403
}
