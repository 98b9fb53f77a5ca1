package biz

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vanguard/vanguard/pkg/attach"
	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/clock"
)

// ErrStepRecorded means the step is already recorded for the member with other content.
var ErrStepRecorded = errors.New("step already recorded")

// DevSummary is where a member's development stands, kept beside the steps so that the worklist
// of a subtree is one indexed query: it is rewritten whenever a step is recorded and whenever a
// rule or the holiday calendar changes.
type DevSummary struct {
	MemberID int64
	OrgID    int64
	OrgPath  string
	Status   string
	Stage    Stage
	NextCode string
	NextSeq  int
	Earliest Date
	Deadline Date // zero: none
	// ProbationEnds is zero before the admission vote.
	ProbationEnds Date
}

// WorklistFilter selects summaries.
type WorklistFilter struct {
	PathPrefix string
	// Filter: "all", "overdue" (deadline before Today) or "due" (earliest by MonthEnd, not late).
	Filter          string
	Today, MonthEnd Date
	// After is the page cursor: the last entry's due key and member id.
	AfterKey string
	AfterID  int64
	Limit    int
}

// WorklistCounts are the counts of a subtree's worklist.
type WorklistCounts struct{ Total, Overdue, Due int }

// Holiday is a day of the holiday calendar: a public holiday, or a make-up working day (调休).
type Holiday struct {
	Date    Date
	Workday bool
	Name    string
}

// DevelopmentRepo stores development steps, summaries, rule settings and the holiday calendar.
type DevelopmentRepo interface {
	// Steps returns the member's recorded steps.
	Steps(ctx context.Context, memberID int64) ([]*DevStep, error)
	// Step returns a recorded step; ErrDocumentNotFound if missing (papers look their step up).
	Step(ctx context.Context, id int64) (*DevStep, error)
	// StepsOf returns the recorded steps of the members, keyed by member.
	StepsOf(ctx context.Context, memberIDs []int64) (map[int64][]*DevStep, error)
	// AddStep stores a step; a step already stored for the member (code and seq) is
	// ErrAlreadyExists.
	AddStep(ctx context.Context, s *DevStep) (*DevStep, error)
	// SaveSummaries inserts or replaces the members' summaries.
	SaveSummaries(ctx context.Context, ss []DevSummary) error
	// Worklist lists summaries of status active in order of their due key (the deadline, else
	// the earliest date), then member id.
	Worklist(ctx context.Context, f WorklistFilter) ([]DevSummary, error)
	CountWorklist(ctx context.Context, pathPrefix string, today, monthEnd Date) (WorklistCounts, error)
	// ActiveMembers lists the ids of members in development (status active) under the prefix.
	ActiveMembers(ctx context.Context, pathPrefix string) ([]int64, error)
	// Rules returns the settings made at any of the paths.
	Rules(ctx context.Context, paths []string) ([]DevRuleSetting, error)
	// SaveRule sets (Value > 0) or clears (0) an org's setting.
	SaveRule(ctx context.Context, s DevRuleSetting) error
	// Holidays returns the whole holiday calendar, or one year's (year > 0).
	Holidays(ctx context.Context, year int) ([]Holiday, error)
	// ReplaceHolidays replaces one year's days.
	ReplaceHolidays(ctx context.Context, year int, days []Holiday) error
}

// DevelopmentConfig configures member development.
type DevelopmentConfig struct {
	// Location is the organisations' time zone (nil: Asia/Shanghai, else UTC).
	Location *time.Location
}

// Development records members' development steps and answers where each member stands.
type Development struct {
	repo     DevelopmentRepo
	plans    PlanRepo
	accounts AccountRepo
	orgs     OrgRepo
	audit    *Auditor
	tx       Transaction
	clock    clock.Clock
	loc      *time.Location
	docs     *attach.Uploads // steps' papers; nil without a blob store
	events   Publisher
	temps    func(ctx context.Context, accountID int64) ([]ActiveTemp, error) // see UseTempBranches
}

// NewDevelopment wires the use case.
func NewDevelopment(cfg DevelopmentConfig, repo DevelopmentRepo, plans PlanRepo, accounts AccountRepo, orgs OrgRepo, audit *Auditor, tx Transaction, clk clock.Clock) *Development {
	loc := cfg.Location
	if loc == nil {
		if l, err := time.LoadLocation("Asia/Shanghai"); err == nil {
			loc = l
		} else {
			loc = time.UTC
		}
	}
	return &Development{repo: repo, plans: plans, accounts: accounts, orgs: orgs, audit: audit, tx: tx, clock: clk, loc: loc, events: noEvents{}}
}

// Today is the current calendar date in the organisations' time zone.
func (uc *Development) Today() Date { return DateOf(uc.clock.Now(), uc.loc) }

// calendar builds the working-day calendar from the stored holidays.
func (uc *Development) calendar(ctx context.Context) (*Calendar, error) {
	days, err := uc.repo.Holidays(ctx, 0)
	if err != nil {
		return nil, err
	}
	var hol, mk []Date
	for _, d := range days {
		if d.Workday {
			mk = append(mk, d.Date)
		} else {
			hol = append(hol, d.Date)
		}
	}
	return NewCalendar(hol, mk)
}

// ruleSet loads the settings along the paths' ancestries.
func (uc *Development) ruleSet(ctx context.Context, paths ...string) (DevRuleSet, error) {
	rs, err := uc.repo.Rules(ctx, auth.AncestorPathsOf(paths...))
	return DevRuleSet(rs), err
}

func engineAt(rs DevRuleSet, cal *Calendar, path string) devEngine {
	return devEngine{rule: func(k string) int { return rs.Effective(path, k) }, cal: cal}
}

// DevRecord is a member's development as staff and the member see it.
type DevRecord struct {
	Member   *Account
	OrgName  string
	Steps    []*DevStep
	Progress Progress
	Today    Date
	Names    map[int64]string // display names of the people and recorders named in steps
	OrgNames map[int64]string
	// Documents are the steps' papers the viewer may see, by step.
	Documents map[int64][]*attach.File
}

// Get returns a member's development record, for the member and staff over the member's org.
func (uc *Development) Get(ctx context.Context, memberID int64) (*DevRecord, error) {
	p, err := requireHome(ctx)
	if err != nil {
		return nil, err
	}
	a, err := uc.accounts.Get(ctx, memberID)
	if err != nil {
		return nil, err
	}
	if a.ID != p.UserID && !p.CanManageOrg(a.OrgPath) {
		return nil, ErrAccountNotFound
	}
	return uc.record(ctx, p, a)
}

// Mine returns the caller's development record.
func (uc *Development) Mine(ctx context.Context) (*DevRecord, error) {
	p, err := requireHome(ctx)
	if err != nil {
		return nil, err
	}
	a, err := uc.accounts.Get(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	return uc.record(ctx, p, a)
}

func (uc *Development) record(ctx context.Context, p *auth.Principal, a *Account) (*DevRecord, error) {
	steps, err := uc.repo.Steps(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	sortSteps(steps)
	e, err := uc.engine(ctx, a.OrgPath)
	if err != nil {
		return nil, err
	}
	rec := &DevRecord{Member: a, Steps: steps, Progress: e.progress(steps), Today: uc.Today()}
	if n := rec.Progress.Next; n != nil && n.Step.Code == StepAdmissionVote {
		// Staff are warned before admitting beyond the guidance plan.
		year := rec.Today.Year
		if n.Earliest.Year > year {
			year = n.Earliest.Year
		}
		checks, _, err := uc.planChecks(ctx, a.OrgPath, year)
		if err != nil {
			return nil, err
		}
		n.Rules = append(n.Rules, checks...)
	}
	if err := uc.fillDocuments(ctx, p, rec); err != nil {
		return nil, err
	}
	// The political review's conclusion stays with staff, like its papers.
	for _, s := range rec.Steps {
		if p != nil && s.Code == StepPoliticalReview && !p.CanManageOrg(a.OrgPath) && !p.CanManageOrg(s.OrgPath) {
			s.Conclusion = ""
		}
	}
	return rec, uc.names(ctx, rec)
}

func (uc *Development) engine(ctx context.Context, path string) (devEngine, error) {
	rs, err := uc.ruleSet(ctx, path)
	if err != nil {
		return devEngine{}, err
	}
	cal, err := uc.calendar(ctx)
	if err != nil {
		return devEngine{}, err
	}
	return engineAt(rs, cal, path), nil
}

// names fills the display names of the people and orgs a record mentions.
func (uc *Development) names(ctx context.Context, rec *DevRecord) error {
	ids := []int64{}
	orgIDs := []int64{rec.Member.OrgID}
	for _, s := range rec.Steps {
		ids = append(ids, s.People...)
		ids = append(ids, s.RecordedBy)
		orgIDs = append(orgIDs, s.OrgID)
		for _, f := range rec.Documents[s.ID] {
			ids = append(ids, f.UploadedBy)
		}
	}
	people, err := uc.accounts.GetMany(ctx, ids)
	if err != nil {
		return err
	}
	orgs, err := uc.orgs.GetMany(ctx, orgIDs)
	if err != nil {
		return err
	}
	rec.Names, rec.OrgNames = map[int64]string{}, map[int64]string{}
	for id, a := range people {
		rec.Names[id] = a.DisplayName
	}
	for id, o := range orgs {
		rec.OrgNames[id] = o.Name
	}
	rec.OrgName = rec.OrgNames[rec.Member.OrgID]
	return nil
}

// StepInput is a step as staff record it.
type StepInput struct {
	Code            string
	Date            string
	OrgID           int64
	People          []int64
	TrainingHours   float64
	TrainingDays    int
	Votes           Votes
	Outcome         string
	ExtensionMonths int
	Conclusion      string
	Note            string
	OverrideReason  string
}

// Limits of a step's free text.
const (
	MaxStepText       = 2000
	MaxOverrideReason = 500
)

// Record records the member's next step. It must be the next step in order, on or after its
// earliest date; rules broken refuse it (RuleViolation) unless an admin gives a reason, and the
// override is audited. A step recorded after its deadline is kept with a warning. The same step
// recorded again with the same content changes nothing.
func (uc *Development) Record(ctx context.Context, memberID int64, in StepInput) (*DevRecord, error) {
	p, err := requireHome(ctx)
	if err != nil {
		return nil, err
	}
	def, ok := StepByCode(in.Code)
	if !ok {
		return nil, Invalid("step", "未知的发展步骤")
	}
	date, err := ParseDate(in.Date)
	if err != nil {
		return nil, Invalid("date", "日期格式应为 YYYY-MM-DD")
	}
	if err := validateStepInput(def, &in); err != nil {
		return nil, err
	}
	a, err := uc.accounts.Get(ctx, memberID)
	if err != nil {
		return nil, err
	}
	if a.ID != p.UserID && !p.CanManageOrg(a.OrgPath) {
		return nil, ErrAccountNotFound
	}
	if !p.CanManageOrg(a.OrgPath) {
		return nil, deny("只有党员所在组织及上级组织的管理员能登记发展步骤")
	}
	if a.ID == p.UserID && !p.IsAdmin() {
		return nil, deny("不能登记自己的发展步骤")
	}
	org, err := uc.responsibleOrg(ctx, a, def, in.OrgID)
	if err != nil {
		return nil, err
	}
	if !p.CanManageOrg(org.Path) {
		return nil, deny(fmt.Sprintf("「%s」由%s登记，你无权登记", def.Name, org.Name))
	}
	if date.After(uc.Today()) {
		return nil, Invalid("date", "日期不能晚于今天（"+uc.Today().String()+"）")
	}
	if err := uc.checkPeople(ctx, a, def, in.People); err != nil {
		return nil, err
	}
	if in.OverrideReason != "" && !p.IsAdmin() {
		return nil, deny("只有系统管理员能越过发展规则登记")
	}
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		steps, err := uc.repo.Steps(ctx, a.ID)
		if err != nil {
			return err
		}
		// A retry of a step already recorded with the same content changes nothing.
		for _, s := range steps {
			if s.Code == def.Code && sameStep(s, date, org.ID, in) {
				return nil
			}
		}
		e, err := uc.engine(ctx, a.OrgPath)
		if err != nil {
			return err
		}
		prog := e.progress(steps)
		n, outOfOrder := prog.Next, ""
		if n == nil || n.Step.Code != def.Code {
			if slices.ContainsFunc(steps, func(s *DevStep) bool { return s.Code == def.Code }) {
				return ErrStepRecorded
			}
			if n == nil {
				return &RuleViolation{Checks: []RuleCheck{{RuleOrder, "发展已结束，不能再登记步骤"}}}
			}
			outOfOrder = fmt.Sprintf("须按顺序登记：下一步是第 %d 步「%s」", n.Step.No, n.Step.Name)
			if in.OverrideReason == "" {
				return &RuleViolation{Checks: []RuleCheck{{RuleOrder, outOfOrder}}, Earliest: n.Earliest, Deadline: n.Deadline}
			}
			// An admin records a step out of order: its own rules are checked as if it were next.
			forced := &NextStep{Step: def, Seq: 1}
			if len(steps) > 0 {
				forced.Earliest = steps[len(steps)-1].Date
			}
			e.window(forced, historyOf(steps), prog.ProbationEnds)
			n = forced
		}
		violations, warnings, err := e.check(n, stepInput{
			step: def, seq: n.Seq, date: date, birthDate: parseDateOrZero(a.Profile.BirthDate),
			training: [2]float64{in.TrainingHours, float64(in.TrainingDays)}, votes: in.Votes,
			outcome: in.Outcome, extension: in.ExtensionMonths,
		})
		if err != nil {
			return err
		}
		if outOfOrder != "" {
			violations = append([]RuleCheck{{RuleOrder, outOfOrder}}, violations...)
		}
		if def.Code == StepAdmissionVote {
			_, over, err := uc.planChecks(ctx, a.OrgPath, date.Year)
			if err != nil {
				return err
			}
			warnings = append(warnings, over...)
		}
		if len(violations) > 0 && in.OverrideReason == "" {
			return &RuleViolation{Checks: violations, Earliest: n.Earliest, Deadline: n.Deadline}
		}
		step := &DevStep{
			MemberID: a.ID, Code: def.Code, Seq: n.Seq, Date: date, OrgID: org.ID, OrgPath: org.Path,
			People: in.People, TrainingHours: in.TrainingHours, TrainingDays: in.TrainingDays, Votes: in.Votes,
			Outcome: in.Outcome, ExtensionMonths: in.ExtensionMonths, Conclusion: in.Conclusion, Note: in.Note,
			Warnings: warnings, RecordedBy: p.UserID, RecordedAt: uc.clock.Now(),
		}
		if len(violations) > 0 {
			step.Overridden, step.OverrideReason = violations, in.OverrideReason
		}
		if _, err := uc.repo.AddStep(ctx, step); err != nil {
			if errors.Is(err, ErrAlreadyExists) {
				return ErrStepRecorded
			}
			return err
		}
		steps = append(steps, step)
		if err := uc.advanceProfile(ctx, a, e, steps, step); err != nil {
			return err
		}
		if err := uc.events.Publish(ctx, StepRecorded{Step: step, MemberOrgPath: a.OrgPath}); err != nil {
			return err
		}
		if err := uc.repo.SaveSummaries(ctx, []DevSummary{summarize(a, e.progress(steps), stageAfter(a.Profile.Stage, step))}); err != nil {
			return err
		}
		entry := AuditEntry{
			Action: "development.step", TargetType: "account", TargetID: a.ID, OrgPath: a.OrgPath,
			Summary: fmt.Sprintf("登记 %s 的第 %d 步「%s」（%s）", a.DisplayName, def.No, def.Name, date),
			After:   stepAuditView(step),
		}
		if len(step.Overridden) > 0 {
			entry.Action = "development.override"
			entry.Summary = fmt.Sprintf("越过规则登记 %s 的第 %d 步「%s」（%s）：%s；理由：%s", a.DisplayName, def.No, def.Name, date,
				(&RuleViolation{Checks: step.Overridden}).Error(), in.OverrideReason)
		}
		return uc.audit.Record(ctx, entry)
	})
	if err != nil {
		return nil, err
	}
	fresh, err := uc.accounts.Get(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	return uc.record(ctx, p, fresh)
}

// historyOf indexes steps by code: the latest record of each (a second meeting on full
// membership replaces the first).
func historyOf(steps []*DevStep) history {
	h := history{}
	s := slices.Clone(steps)
	sortSteps(s)
	for _, x := range s {
		h[x.Code] = x
	}
	return h
}

func parseDateOrZero(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		return Date{}
	}
	return d
}

// validateStepInput checks the fields a step takes, and refuses the ones it does not.
func validateStepInput(def StepDef, in *StepInput) error {
	in.Conclusion, in.Note, in.OverrideReason = strings.TrimSpace(in.Conclusion), strings.TrimSpace(in.Note), strings.TrimSpace(in.OverrideReason)
	switch {
	case utf8.RuneCountInString(in.Conclusion) > MaxStepText:
		return Invalid("conclusion", fmt.Sprintf("不能超过 %d 个字", MaxStepText))
	case utf8.RuneCountInString(in.Note) > MaxStepText:
		return Invalid("note", fmt.Sprintf("不能超过 %d 个字", MaxStepText))
	case utf8.RuneCountInString(in.OverrideReason) > MaxOverrideReason:
		return Invalid("override_reason", fmt.Sprintf("不能超过 %d 个字", MaxOverrideReason))
	case def.Conclusion && in.Conclusion == "":
		return Invalid("conclusion", "请填写政治审查的书面结论")
	case !def.Conclusion && in.Conclusion != "":
		return Invalid("conclusion", "此步骤不填写审查结论")
	case def.PeopleRole == "" && len(in.People) > 0:
		return Invalid("people", "此步骤不指定人员")
	case def.PeopleRole != "" && (len(in.People) < def.MinPeople || len(in.People) > def.MaxPeople):
		if def.MinPeople == def.MaxPeople {
			return Invalid("people", fmt.Sprintf("须指定 %d 名%s", def.MinPeople, peopleLabel(def.PeopleRole)))
		}
		return Invalid("people", fmt.Sprintf("须指定 %d–%d 名%s", def.MinPeople, def.MaxPeople, peopleLabel(def.PeopleRole)))
	case !def.Training && (in.TrainingHours != 0 || in.TrainingDays != 0):
		return Invalid("training_hours", "此步骤不填写培训学时")
	case !def.Votes && in.Votes != (Votes{}):
		return Invalid("votes", "此步骤不记录表决")
	case !def.Outcome && (in.Outcome != "" || in.ExtensionMonths != 0):
		return Invalid("outcome", "此步骤不填写讨论结果")
	}
	if len(in.People) == 2 && in.People[0] == in.People[1] {
		return Invalid("people", "不能重复指定同一人")
	}
	return nil
}

func peopleLabel(role string) string {
	if role == PeopleIntroducer {
		return "入党介绍人"
	}
	return "培养联系人"
}

// checkPeople requires the people a step names to be active full members other than the member.
func (uc *Development) checkPeople(ctx context.Context, a *Account, def StepDef, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	people, err := uc.accounts.GetMany(ctx, ids)
	if err != nil {
		return err
	}
	for i, id := range ids {
		field := fmt.Sprintf("people[%d]", i)
		q := people[id]
		switch {
		case id == a.ID:
			return Invalid(field, "不能指定本人为"+peopleLabel(def.PeopleRole))
		case q == nil || q.Status != StatusActive:
			return Invalid(field, "人员不存在或已停用")
		case !strings.HasPrefix(q.OrgPath, firstLevel(a.OrgPath)):
			return Invalid(field, "人员不在本单位党组织内")
		case q.Profile.Stage != StageFullMember:
			return Invalid(field, peopleLabel(def.PeopleRole)+"须为正式党员："+q.DisplayName+"不是正式党员")
		}
	}
	return nil
}

// firstLevel is the path of the root org of path ("/1/4/9/" → "/1/").
func firstLevel(path string) string {
	if ps := auth.AncestorPaths(path); len(ps) > 0 {
		return ps[0]
	}
	return path
}

// responsibleOrg is the org that takes the step: the member's own org or one above it; for the
// higher committee's steps, a committee above the member's org (by default the nearest).
func (uc *Development) responsibleOrg(ctx context.Context, a *Account, def StepDef, orgID int64) (*Org, error) {
	ids := pathIDs(a.OrgPath)
	orgs, err := uc.orgs.GetMany(ctx, ids)
	if err != nil {
		return nil, err
	}
	if orgID != 0 {
		o := orgs[orgID]
		switch {
		case o == nil:
			return nil, Invalid("org_id", "负责的组织须为党员所在组织或其上级组织")
		case def.HigherOrg && (o.ID == a.OrgID || o.Type != OrgCommittee):
			return nil, Invalid("org_id", "「"+def.Name+"」须由上级党委负责")
		}
		return o, nil
	}
	if !def.HigherOrg {
		if o := orgs[a.OrgID]; o != nil {
			return o, nil
		}
		return nil, ErrOrgNotFound
	}
	for i := len(ids) - 2; i >= 0; i-- {
		if o := orgs[ids[i]]; o != nil && o.Type == OrgCommittee {
			return o, nil
		}
	}
	return nil, Invalid("org_id", "党员所在组织之上没有党委，无法登记「"+def.Name+"」")
}

// pathIDs are the ids of a path, from the root down.
func pathIDs(path string) []int64 {
	var out []int64
	for _, s := range strings.Split(strings.Trim(path, "/"), "/") {
		var id int64
		if _, err := fmt.Sscan(s, &id); err == nil {
			out = append(out, id)
		}
	}
	return out
}

// sameStep reports whether a stored step is what in records again (a retry).
func sameStep(s *DevStep, date Date, orgID int64, in StepInput) bool {
	return s.Date == date && s.OrgID == orgID && slices.Equal(s.People, in.People) &&
		s.TrainingHours == in.TrainingHours && s.TrainingDays == in.TrainingDays && s.Votes == in.Votes &&
		s.Outcome == in.Outcome && s.ExtensionMonths == in.ExtensionMonths && s.Conclusion == in.Conclusion && s.Note == in.Note
}

// stageAfter is the member's stage once step is recorded.
func stageAfter(cur Stage, step *DevStep) Stage {
	def, _ := StepByCode(step.Code)
	switch {
	case step.Code == StepFullVote && step.Outcome == OutcomeCancel:
		return StageNone
	case def.Becomes != "":
		return def.Becomes
	}
	return cur
}

// advanceProfile writes the stage and dates the step settles onto the member's profile:
// application date, the joining date (the admission vote), the full-membership date (the end of
// the probation).
func (uc *Development) advanceProfile(ctx context.Context, a *Account, e devEngine, steps []*DevStep, step *DevStep) error {
	stage := stageAfter(a.Profile.Stage, step)
	pr := Profile{}
	switch step.Code {
	case StepApplication:
		pr.ApplicationDate = step.Date.String()
	case StepAdmissionApproved:
		pr.JoinedDate = historyOf(steps).date(StepAdmissionVote).String()
	case StepFullApproved:
		pr.FullMemberDate = e.probationEnds(historyOf(steps)).String()
	}
	if stage == a.Profile.Stage && pr == (Profile{}) {
		return nil
	}
	pr.Stage = stage
	_, err := uc.accounts.Update(ctx, a.ID, AccountPatch{Profile: &pr})
	return err
}

// summarize is a member's summary from the progress.
func summarize(a *Account, p Progress, stage Stage) DevSummary {
	s := DevSummary{MemberID: a.ID, OrgID: a.OrgID, OrgPath: a.OrgPath, Status: p.Status, Stage: stage, ProbationEnds: p.ProbationEnds}
	if p.Next != nil {
		s.NextCode, s.NextSeq, s.Earliest, s.Deadline = p.Next.Step.Code, p.Next.Seq, p.Next.Earliest, p.Next.Deadline
	}
	return s
}

func stepAuditView(s *DevStep) map[string]any {
	v := map[string]any{"step": s.Code, "seq": s.Seq, "date": s.Date.String(), "org_id": s.OrgID}
	if len(s.People) > 0 {
		v["people"] = s.People
	}
	if s.Votes != (Votes{}) {
		v["votes"] = s.Votes
	}
	if s.Outcome != "" {
		v["outcome"] = s.Outcome
		v["extension_months"] = s.ExtensionMonths
	}
	if len(s.Overridden) > 0 {
		v["overridden"] = s.Overridden
		v["override_reason"] = s.OverrideReason
	}
	if len(s.Warnings) > 0 {
		v["warnings"] = s.Warnings
	}
	return v
}
