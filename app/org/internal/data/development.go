package data

import (
	"context"
	"fmt"

	"github.com/vanguard/vanguard/app/org/internal/biz"
	"github.com/vanguard/vanguard/app/org/internal/data/ent"
	"github.com/vanguard/vanguard/app/org/internal/data/ent/devplan"
	"github.com/vanguard/vanguard/app/org/internal/data/ent/devrule"
	"github.com/vanguard/vanguard/app/org/internal/data/ent/devstep"
	"github.com/vanguard/vanguard/app/org/internal/data/ent/devsummary"
	"github.com/vanguard/vanguard/app/org/internal/data/ent/holiday"
	"github.com/vanguard/vanguard/app/org/internal/data/ent/predicate"
)

type developmentRepo struct{ data *Data }

// NewDevelopmentRepo returns the development repository.
func NewDevelopmentRepo(d *Data) biz.DevelopmentRepo { return &developmentRepo{data: d} }

func dateOf(s string) biz.Date {
	if s == "" {
		return biz.Date{}
	}
	d, err := biz.ParseDate(s)
	if err != nil {
		return biz.Date{}
	}
	return d
}

func stepToBiz(s *ent.DevStep) *biz.DevStep {
	return &biz.DevStep{
		ID: s.ID, MemberID: s.MemberID, Code: s.Code, Seq: s.Seq, Date: dateOf(s.Date), OrgID: s.OrgID, OrgPath: s.OrgPath,
		People: s.People, TrainingHours: s.TrainingHours, TrainingDays: s.TrainingDays,
		Votes:   biz.Votes{Entitled: s.VotesEntitled, Present: s.VotesPresent, InFavour: s.VotesInFavour},
		Outcome: s.Outcome, ExtensionMonths: s.ExtensionMonths, Conclusion: s.Conclusion, Note: s.Note,
		Warnings: s.Warnings, Overridden: s.Overridden, OverrideReason: s.OverrideReason,
		RecordedBy: s.RecordedBy, RecordedAt: s.RecordedAt,
	}
}

func (r *developmentRepo) Steps(ctx context.Context, memberID int64) ([]*biz.DevStep, error) {
	rows, err := r.data.client(ctx).DevStep.Query().Where(devstep.MemberID(memberID)).Order(devstep.ByID()).All(ctx)
	if err != nil {
		return nil, mapErr("dev steps", err, nil)
	}
	out := make([]*biz.DevStep, len(rows))
	for i, s := range rows {
		out[i] = stepToBiz(s)
	}
	return out, nil
}

func (r *developmentRepo) Step(ctx context.Context, id int64) (*biz.DevStep, error) {
	row, err := r.data.client(ctx).DevStep.Get(ctx, id)
	if err != nil {
		return nil, mapErr("dev step", err, biz.ErrDocumentNotFound)
	}
	return stepToBiz(row), nil
}

func (r *developmentRepo) StepsOf(ctx context.Context, ids []int64) (map[int64][]*biz.DevStep, error) {
	rows, err := r.data.client(ctx).DevStep.Query().Where(devstep.MemberIDIn(ids...)).Order(devstep.ByID()).All(ctx)
	if err != nil {
		return nil, mapErr("dev steps", err, nil)
	}
	out := map[int64][]*biz.DevStep{}
	for _, s := range rows {
		out[s.MemberID] = append(out[s.MemberID], stepToBiz(s))
	}
	return out, nil
}

func (r *developmentRepo) AddStep(ctx context.Context, s *biz.DevStep) (*biz.DevStep, error) {
	row, err := r.data.client(ctx).DevStep.Create().
		SetMemberID(s.MemberID).SetCode(s.Code).SetSeq(s.Seq).SetDate(s.Date.String()).SetOrgID(s.OrgID).SetOrgPath(s.OrgPath).
		SetPeople(s.People).SetTrainingHours(s.TrainingHours).SetTrainingDays(s.TrainingDays).
		SetVotesEntitled(s.Votes.Entitled).SetVotesPresent(s.Votes.Present).SetVotesInFavour(s.Votes.InFavour).
		SetOutcome(s.Outcome).SetExtensionMonths(s.ExtensionMonths).SetConclusion(s.Conclusion).SetNote(s.Note).
		SetWarnings(s.Warnings).SetOverridden(s.Overridden).SetOverrideReason(s.OverrideReason).
		SetRecordedBy(s.RecordedBy).SetRecordedAt(s.RecordedAt).
		Save(ctx)
	if err != nil {
		return nil, mapErr("add dev step", err, nil)
	}
	s.ID = row.ID
	return s, nil
}

// summaryBatch keeps one upsert's bind parameters (12 a row) within SQLite's 32,766 and
// PostgreSQL's 65,535.
const summaryBatch = 1000

func (r *developmentRepo) SaveSummaries(ctx context.Context, ss []biz.DevSummary) error {
	for len(ss) > summaryBatch {
		if err := r.saveSummaries(ctx, ss[:summaryBatch]); err != nil {
			return err
		}
		ss = ss[summaryBatch:]
	}
	if len(ss) == 0 {
		return nil
	}
	return r.saveSummaries(ctx, ss)
}

func (r *developmentRepo) saveSummaries(ctx context.Context, ss []biz.DevSummary) error {
	c := r.data.client(ctx)
	bulk := make([]*ent.DevSummaryCreate, len(ss))
	for i, s := range ss {
		bulk[i] = c.DevSummary.Create().SetID(s.MemberID).SetOrgID(s.OrgID).SetOrgPath(s.OrgPath).
			SetStatus(devsummary.Status(s.Status)).SetStage(string(s.Stage)).SetNextCode(s.NextCode).SetNextSeq(s.NextSeq).
			SetEarliest(s.Earliest.Text()).SetDeadline(s.Deadline.Text()).SetDueKey(s.DueKey()).
			SetProbationEnds(s.ProbationEnds.Text())
	}
	err := c.DevSummary.CreateBulk(bulk...).OnConflictColumns(devsummary.FieldID).UpdateNewValues().Exec(ctx)
	return mapErr("save dev summaries", err, nil)
}

func summaryToBiz(s *ent.DevSummary) biz.DevSummary {
	return biz.DevSummary{
		MemberID: s.ID, OrgID: s.OrgID, OrgPath: s.OrgPath, Status: string(s.Status), Stage: biz.Stage(s.Stage),
		NextCode: s.NextCode, NextSeq: s.NextSeq, Earliest: dateOf(s.Earliest), Deadline: dateOf(s.Deadline),
		ProbationEnds: dateOf(s.ProbationEnds),
	}
}

// overdue and dueBy are the worklist's two filters as predicates.
func overdue(today string) predicate.DevSummary {
	return devsummary.And(devsummary.DeadlineNEQ(""), devsummary.DeadlineLT(today))
}

func dueBy(today, monthEnd string) predicate.DevSummary {
	return devsummary.And(devsummary.EarliestLTE(monthEnd), devsummary.Not(overdue(today)))
}

func (r *developmentRepo) Worklist(ctx context.Context, f biz.WorklistFilter) ([]biz.DevSummary, error) {
	q := r.data.client(ctx).DevSummary.Query().Where(devsummary.StatusEQ(devsummary.StatusActive), devsummary.OrgPathHasPrefix(f.PathPrefix))
	today, end := f.Today.String(), f.MonthEnd.String()
	switch f.Filter {
	case "overdue":
		q = q.Where(overdue(today))
	case "due":
		q = q.Where(dueBy(today, end))
	}
	if f.AfterID > 0 {
		q = q.Where(devsummary.Or(devsummary.DueKeyGT(f.AfterKey), devsummary.And(devsummary.DueKey(f.AfterKey), devsummary.IDGT(f.AfterID))))
	}
	rows, err := q.Order(devsummary.ByDueKey(), devsummary.ByID()).Limit(f.Limit).All(ctx)
	if err != nil {
		return nil, mapErr("worklist", err, nil)
	}
	out := make([]biz.DevSummary, len(rows))
	for i, s := range rows {
		out[i] = summaryToBiz(s)
	}
	return out, nil
}

func (r *developmentRepo) CountWorklist(ctx context.Context, prefix string, today, monthEnd biz.Date) (biz.WorklistCounts, error) {
	var out biz.WorklistCounts
	for _, c := range []struct {
		dst  *int
		pred []predicate.DevSummary
	}{
		{&out.Total, nil},
		{&out.Overdue, []predicate.DevSummary{overdue(today.String())}},
		{&out.Due, []predicate.DevSummary{dueBy(today.String(), monthEnd.String())}},
	} {
		n, err := r.data.client(ctx).DevSummary.Query().
			Where(devsummary.StatusEQ(devsummary.StatusActive), devsummary.OrgPathHasPrefix(prefix)).
			Where(c.pred...).Count(ctx)
		if err != nil {
			return out, mapErr("count worklist", err, nil)
		}
		*c.dst = n
	}
	return out, nil
}

func (r *developmentRepo) ActiveMembers(ctx context.Context, prefix string) ([]int64, error) {
	ids, err := r.data.client(ctx).DevSummary.Query().
		Where(devsummary.StatusEQ(devsummary.StatusActive), devsummary.OrgPathHasPrefix(prefix)).
		Order(devsummary.ByID()).IDs(ctx)
	return ids, mapErr("active members", err, nil)
}

func (r *developmentRepo) Rules(ctx context.Context, paths []string) ([]biz.DevRuleSetting, error) {
	if len(paths) == 0 {
		return nil, nil
	}
	rows, err := r.data.client(ctx).DevRule.Query().Where(devrule.OrgPathIn(paths...)).All(ctx)
	if err != nil {
		return nil, mapErr("dev rules", err, nil)
	}
	out := make([]biz.DevRuleSetting, len(rows))
	for i, x := range rows {
		out[i] = biz.DevRuleSetting{OrgID: x.OrgID, OrgPath: x.OrgPath, Key: x.Key, Value: x.Value, SetBy: x.SetBy}
	}
	return out, nil
}

func (r *developmentRepo) SaveRule(ctx context.Context, s biz.DevRuleSetting) error {
	c := r.data.client(ctx)
	if s.Value == 0 {
		_, err := c.DevRule.Delete().Where(devrule.OrgPath(s.OrgPath), devrule.Key(s.Key)).Exec(ctx)
		return mapErr("clear dev rule", err, nil)
	}
	err := c.DevRule.Create().SetOrgID(s.OrgID).SetOrgPath(s.OrgPath).SetKey(s.Key).SetValue(s.Value).SetSetBy(s.SetBy).
		OnConflictColumns(devrule.FieldOrgPath, devrule.FieldKey).UpdateNewValues().Exec(ctx)
	return mapErr("save dev rule", err, nil)
}

func (r *developmentRepo) Holidays(ctx context.Context, year int) ([]biz.Holiday, error) {
	q := r.data.client(ctx).Holiday.Query()
	if year > 0 {
		q = q.Where(holiday.Year(year))
	}
	rows, err := q.Order(holiday.ByDate()).All(ctx)
	if err != nil {
		return nil, mapErr("holidays", err, nil)
	}
	out := make([]biz.Holiday, len(rows))
	for i, h := range rows {
		out[i] = biz.Holiday{Date: dateOf(h.Date), Workday: h.Workday, Name: h.Name}
	}
	return out, nil
}

func (r *developmentRepo) ReplaceHolidays(ctx context.Context, year int, days []biz.Holiday) error {
	c := r.data.client(ctx)
	if _, err := c.Holiday.Delete().Where(holiday.Year(year)).Exec(ctx); err != nil {
		return mapErr("replace holidays", err, nil)
	}
	if len(days) == 0 {
		return nil
	}
	bulk := make([]*ent.HolidayCreate, len(days))
	for i, d := range days {
		bulk[i] = c.Holiday.Create().SetDate(d.Date.String()).SetYear(year).SetWorkday(d.Workday).SetName(d.Name)
	}
	return mapErr("replace holidays", c.Holiday.CreateBulk(bulk...).Exec(ctx), nil)
}

// NewPlanRepo returns the guidance plan repository.
func NewPlanRepo(d *Data) biz.PlanRepo { return &developmentRepo{data: d} }

func (r *developmentRepo) Plans(ctx context.Context, year int, prefix string, paths []string) ([]biz.DevPlan, error) {
	q := r.data.client(ctx).DevPlan.Query().Where(devplan.Year(year))
	if paths != nil {
		q = q.Where(devplan.OrgPathIn(paths...))
	} else {
		q = q.Where(devplan.OrgPathHasPrefix(prefix))
	}
	rows, err := q.Order(devplan.ByOrgPath()).All(ctx)
	if err != nil {
		return nil, mapErr("dev plans", err, nil)
	}
	out := make([]biz.DevPlan, len(rows))
	for i, p := range rows {
		out[i] = biz.DevPlan{OrgID: p.OrgID, OrgPath: p.OrgPath, Year: p.Year, Quota: p.Quota, SetBy: p.SetBy}
	}
	return out, nil
}

func (r *developmentRepo) SavePlan(ctx context.Context, p biz.DevPlan) error {
	c := r.data.client(ctx)
	if p.Quota == 0 {
		_, err := c.DevPlan.Delete().Where(devplan.OrgID(p.OrgID), devplan.Year(p.Year)).Exec(ctx)
		return mapErr("clear dev plan", err, nil)
	}
	err := c.DevPlan.Create().SetOrgID(p.OrgID).SetOrgPath(p.OrgPath).SetYear(p.Year).SetQuota(p.Quota).SetSetBy(p.SetBy).
		OnConflictColumns(devplan.FieldOrgID, devplan.FieldYear).UpdateNewValues().Exec(ctx)
	return mapErr("save dev plan", err, nil)
}

func (r *developmentRepo) Admissions(ctx context.Context, year int, prefix string) (map[string]int, error) {
	var rows []struct {
		OrgPath string `json:"org_path"`
		Count   int    `json:"count"`
	}
	err := r.data.client(ctx).DevStep.Query().
		Where(devstep.Code(biz.StepAdmissionVote), devstep.DateGTE(fmt.Sprintf("%04d-01-01", year)), devstep.DateLTE(fmt.Sprintf("%04d-12-31", year)),
			devstep.OrgPathHasPrefix(prefix)).
		GroupBy(devstep.FieldOrgPath).Aggregate(ent.Count()).Scan(ctx, &rows)
	if err != nil {
		return nil, mapErr("admissions", err, nil)
	}
	out := map[string]int{}
	for _, x := range rows {
		out[x.OrgPath] = x.Count
	}
	return out, nil
}
