package service

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/protobuf/types/known/emptypb"

	v1 "github.com/vanguard/vanguard/api/org/v1"
	"github.com/vanguard/vanguard/app/org/internal/biz"
	"github.com/vanguard/vanguard/pkg/attach"
)

// DevelopmentService implements v1.DevelopmentServer: member development steps, rules, the
// worklist and the holiday calendar.
type DevelopmentService struct {
	v1.UnimplementedDevelopmentServer
	uc *biz.Development
}

// NewDevelopmentService wires a DevelopmentService.
func NewDevelopmentService(uc *biz.Development) *DevelopmentService {
	return &DevelopmentService{uc: uc}
}

func stepDefToAPI(d biz.StepDef) *v1.StepDefinition {
	return &v1.StepDefinition{
		No: int32(d.No), Code: d.Code, Name: d.Name, Stage: d.Stage, StageName: d.StageName,
		PeopleRole: d.PeopleRole, MinPeople: int32(d.MinPeople), MaxPeople: int32(d.MaxPeople),
		NeedsVotes: d.Votes, NeedsTraining: d.Training, NeedsConclusion: d.Conclusion, NeedsOutcome: d.Outcome,
		HigherOrg: d.HigherOrg,
	}
}

// ListDevelopmentSteps implements v1.DevelopmentServer.
func (s *DevelopmentService) ListDevelopmentSteps(context.Context, *emptypb.Empty) (*v1.ListDevelopmentStepsReply, error) {
	out := &v1.ListDevelopmentStepsReply{}
	for _, d := range biz.Steps {
		out.Steps = append(out.Steps, stepDefToAPI(d))
	}
	return out, nil
}

// GetDevelopment implements v1.DevelopmentServer.
func (s *DevelopmentService) GetDevelopment(ctx context.Context, req *v1.GetDevelopmentRequest) (*v1.DevelopmentRecord, error) {
	rec, err := s.uc.Get(ctx, req.GetMemberId())
	if err != nil {
		return nil, toAPIError(err)
	}
	return recordToAPI(rec), nil
}

// GetMyDevelopment implements v1.DevelopmentServer.
func (s *DevelopmentService) GetMyDevelopment(ctx context.Context, _ *emptypb.Empty) (*v1.DevelopmentRecord, error) {
	rec, err := s.uc.Mine(ctx)
	if err != nil {
		return nil, toAPIError(err)
	}
	return recordToAPI(rec), nil
}

// RecordStep implements v1.DevelopmentServer.
func (s *DevelopmentService) RecordStep(ctx context.Context, req *v1.RecordStepRequest) (*v1.DevelopmentRecord, error) {
	v := req.GetVotes()
	rec, err := s.uc.Record(ctx, req.GetMemberId(), biz.StepInput{
		Code: req.GetStep(), Date: req.GetDate(), OrgID: req.GetOrgId(), People: req.GetPeople(),
		TrainingHours: req.GetTrainingHours(), TrainingDays: int(req.GetTrainingDays()),
		Votes:   biz.Votes{Entitled: int(v.GetEntitled()), Present: int(v.GetPresent()), InFavour: int(v.GetInFavour())},
		Outcome: req.GetOutcome(), ExtensionMonths: int(req.GetExtensionMonths()),
		Conclusion: req.GetConclusion(), Note: req.GetNote(), OverrideReason: req.GetOverrideReason(),
	})
	if err != nil {
		return nil, toAPIError(err)
	}
	return recordToAPI(rec), nil
}

// ListWorklist implements v1.DevelopmentServer.
func (s *DevelopmentService) ListWorklist(ctx context.Context, req *v1.ListWorklistRequest) (*v1.ListWorklistReply, error) {
	cur, err := decodeCursor("page_token", req.GetPageToken())
	if err != nil {
		return nil, toAPIError(err)
	}
	var key string
	var id int64
	if cur != "" {
		k, i, ok := strings.Cut(cur, "|")
		if id, err = strconv.ParseInt(i, 10, 64); !ok || err != nil || id <= 0 {
			return nil, toAPIError(biz.Invalid("page_token", "分页标记无效"))
		}
		key = k
	}
	w, err := s.uc.Worklist(ctx, req.GetOrgId(), req.GetFilter(), key, id, int(req.GetPageSize()))
	if err != nil {
		return nil, toAPIError(err)
	}
	out := &v1.ListWorklistReply{
		Total: int32(w.Counts.Total), Overdue: int32(w.Counts.Overdue), Due: int32(w.Counts.Due),
		Today: w.Today.String(), MonthEnd: w.MonthEnd.String(),
	}
	if w.NextID > 0 {
		out.NextPageToken = encodeCursor(fmt.Sprintf("%s|%d", w.NextKey, w.NextID))
	}
	for _, e := range w.Entries {
		out.Entries = append(out.Entries, &v1.WorklistEntry{
			MemberId: e.Summary.MemberID, DisplayName: e.DisplayName, OrgId: e.Summary.OrgID, OrgName: e.OrgName,
			Stage: string(e.Summary.Stage),
			Next: &v1.NextStep{
				No: int32(e.Step.No), Code: e.Step.Code, Name: e.Step.Name, Seq: int32(e.Summary.NextSeq),
				Earliest: e.Summary.Earliest.Text(), Deadline: e.Summary.Deadline.Text(), Overdue: e.Summary.Overdue(w.Today),
			},
		})
	}
	return out, nil
}

// GetDevelopmentRules implements v1.DevelopmentServer.
func (s *DevelopmentService) GetDevelopmentRules(ctx context.Context, req *v1.GetDevelopmentRulesRequest) (*v1.DevelopmentRules, error) {
	rs, err := s.uc.Rules(ctx, req.GetOrgId())
	if err != nil {
		return nil, toAPIError(err)
	}
	return rulesToAPI(req.GetOrgId(), rs), nil
}

// SetDevelopmentRule implements v1.DevelopmentServer.
func (s *DevelopmentService) SetDevelopmentRule(ctx context.Context, req *v1.SetDevelopmentRuleRequest) (*v1.DevelopmentRules, error) {
	rs, err := s.uc.SetRule(ctx, req.GetOrgId(), req.GetKey(), int(req.GetValue()))
	if err != nil {
		return nil, toAPIError(err)
	}
	return rulesToAPI(req.GetOrgId(), rs), nil
}

func rulesToAPI(orgID int64, rs []biz.DevRuleView) *v1.DevelopmentRules {
	out := &v1.DevelopmentRules{OrgId: orgID}
	for _, r := range rs {
		out.Rules = append(out.Rules, &v1.DevelopmentRule{
			Key: r.Rule.Key, Name: r.Rule.Text(r.Effective), Unit: r.Rule.Unit, National: int32(r.National),
			Inherited: int32(r.Inherited), Here: int32(r.Here), Effective: int32(r.Effective), Stricter: r.Rule.Stricter,
			Min: int32(r.Rule.Min), Max: int32(r.Rule.Max),
		})
	}
	return out
}

// ListHolidays implements v1.DevelopmentServer.
func (s *DevelopmentService) ListHolidays(ctx context.Context, req *v1.ListHolidaysRequest) (*v1.HolidayCalendar, error) {
	days, err := s.uc.Holidays(ctx, int(req.GetYear()))
	if err != nil {
		return nil, toAPIError(err)
	}
	return holidaysToAPI(req.GetYear(), days), nil
}

// SetHolidays implements v1.DevelopmentServer.
func (s *DevelopmentService) SetHolidays(ctx context.Context, req *v1.SetHolidaysRequest) (*v1.HolidayCalendar, error) {
	days := make([]biz.Holiday, len(req.GetDays()))
	for i, d := range req.GetDays() {
		date, err := biz.ParseDate(d.GetDate())
		if err != nil {
			return nil, toAPIError(biz.Invalid(fmt.Sprintf("days[%d].date", i), "日期格式应为 YYYY-MM-DD"))
		}
		days[i] = biz.Holiday{Date: date, Workday: d.GetWorkday(), Name: d.GetName()}
	}
	out, err := s.uc.SetHolidays(ctx, int(req.GetYear()), days)
	if err != nil {
		return nil, toAPIError(err)
	}
	return holidaysToAPI(req.GetYear(), out), nil
}

func holidaysToAPI(year int32, days []biz.Holiday) *v1.HolidayCalendar {
	out := &v1.HolidayCalendar{Year: year}
	for _, d := range days {
		out.Days = append(out.Days, &v1.Holiday{Date: d.Date.String(), Workday: d.Workday, Name: d.Name})
	}
	return out
}

func checksToAPI(cs []biz.RuleCheck) []*v1.RuleCheck {
	out := make([]*v1.RuleCheck, len(cs))
	for i, c := range cs {
		out[i] = &v1.RuleCheck{Rule: c.Rule, Message: c.Message}
	}
	return out
}

func recordToAPI(rec *biz.DevRecord) *v1.DevelopmentRecord {
	a := rec.Member
	out := &v1.DevelopmentRecord{
		MemberId: a.ID, DisplayName: a.DisplayName, OrgId: a.OrgID, OrgName: rec.OrgName, Stage: string(a.Profile.Stage),
		Status: rec.Progress.Status, ProbationEnds: rec.Progress.ProbationEnds.Text(), Today: rec.Today.String(),
	}
	for _, s := range rec.Steps {
		def, _ := biz.StepByCode(s.Code)
		st := &v1.DevelopmentStep{
			No: int32(def.No), Code: s.Code, Name: def.Name, Seq: int32(s.Seq), Date: s.Date.String(),
			OrgId: s.OrgID, OrgName: rec.OrgNames[s.OrgID], TrainingHours: s.TrainingHours, TrainingDays: int32(s.TrainingDays),
			Outcome: s.Outcome, ExtensionMonths: int32(s.ExtensionMonths), Conclusion: s.Conclusion, Note: s.Note,
			Overridden: checksToAPI(s.Overridden), Warnings: checksToAPI(s.Warnings), OverrideReason: s.OverrideReason,
			RecordedBy: s.RecordedBy, RecordedByName: rec.Names[s.RecordedBy], RecordedAt: ts(s.RecordedAt), Id: s.ID,
		}
		for _, f := range rec.Documents[s.ID] {
			st.Documents = append(st.Documents, documentToAPI(f, rec.Names[f.UploadedBy]))
		}
		if def.Votes {
			st.Votes = &v1.Votes{Entitled: int32(s.Votes.Entitled), Present: int32(s.Votes.Present), InFavour: int32(s.Votes.InFavour)}
		}
		for _, id := range s.People {
			st.People = append(st.People, &v1.PersonRef{UserId: id, DisplayName: rec.Names[id]})
		}
		out.Steps = append(out.Steps, st)
	}
	if n := rec.Progress.Next; n != nil {
		out.Next = &v1.NextStep{
			No: int32(n.Step.No), Code: n.Step.Code, Name: n.Step.Name, Seq: int32(n.Seq),
			Earliest: n.Earliest.Text(), Deadline: n.Deadline.Text(), Rules: checksToAPI(n.Rules),
			Overdue: !n.Deadline.IsZero() && n.Deadline.Before(rec.Today),
		}
	}
	return out
}

// ListDevelopmentPlans implements v1.DevelopmentServer.
func (s *DevelopmentService) ListDevelopmentPlans(ctx context.Context, req *v1.ListDevelopmentPlansRequest) (*v1.DevelopmentPlans, error) {
	rows, err := s.uc.Plans(ctx, req.GetOrgId(), int(req.GetYear()))
	if err != nil {
		return nil, toAPIError(err)
	}
	return plansToAPI(req.GetYear(), rows), nil
}

// SetDevelopmentPlan implements v1.DevelopmentServer.
func (s *DevelopmentService) SetDevelopmentPlan(ctx context.Context, req *v1.SetDevelopmentPlanRequest) (*v1.DevelopmentPlans, error) {
	rows, err := s.uc.SetPlan(ctx, req.GetOrgId(), int(req.GetYear()), int(req.GetQuota()))
	if err != nil {
		return nil, toAPIError(err)
	}
	return plansToAPI(req.GetYear(), rows), nil
}

func plansToAPI(year int32, rows []biz.PlanRow) *v1.DevelopmentPlans {
	out := &v1.DevelopmentPlans{Year: year}
	for _, r := range rows {
		out.Plans = append(out.Plans, &v1.DevelopmentPlan{OrgId: r.Org.ID, OrgName: r.Org.Name, OrgPath: r.Org.Path,
			Quota: int32(r.Quota), Admitted: int32(r.Admitted), Settable: r.Settable})
	}
	return out
}

func documentToAPI(f *attach.File, uploader string) *v1.StepDocument {
	return &v1.StepDocument{Id: f.ID, StepId: f.RefID, FileName: f.FileName, Size: f.Size, ContentType: f.ContentType,
		Status: f.Status, UploadedBy: f.UploadedBy, UploadedByName: uploader, CreatedAt: ts(f.CreatedAt)}
}

// StartStepDocument implements v1.DevelopmentServer.
func (s *DevelopmentService) StartStepDocument(ctx context.Context, req *v1.StartStepDocumentRequest) (*v1.StepDocumentUpload, error) {
	plan, err := s.uc.StartDocument(ctx, req.GetMemberId(), req.GetStepId(), req.GetFileName(), req.GetSize(), req.GetContentType())
	if err != nil {
		return nil, toAPIError(err)
	}
	return &v1.StepDocumentUpload{Document: documentToAPI(plan.File, ""), UploadUrl: plan.URL}, nil
}

// CompleteStepDocument implements v1.DevelopmentServer.
func (s *DevelopmentService) CompleteStepDocument(ctx context.Context, req *v1.StepDocumentRequest) (*v1.StepDocument, error) {
	f, err := s.uc.CompleteDocument(ctx, req.GetId())
	if err != nil {
		return nil, toAPIError(err)
	}
	return documentToAPI(f, ""), nil
}

// GetStepDocument implements v1.DevelopmentServer.
func (s *DevelopmentService) GetStepDocument(ctx context.Context, req *v1.StepDocumentRequest) (*v1.StepDocumentDownload, error) {
	f, url, err := s.uc.DocumentURL(ctx, req.GetId())
	if err != nil {
		return nil, toAPIError(err)
	}
	return &v1.StepDocumentDownload{Document: documentToAPI(f, ""), Url: url}, nil
}

// RemoveStepDocument implements v1.DevelopmentServer.
func (s *DevelopmentService) RemoveStepDocument(ctx context.Context, req *v1.StepDocumentRequest) (*emptypb.Empty, error) {
	if err := s.uc.RemoveDocument(ctx, req.GetId()); err != nil {
		return nil, toAPIError(err)
	}
	return &emptypb.Empty{}, nil
}
