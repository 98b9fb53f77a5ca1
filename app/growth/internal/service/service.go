// Package service adapts the growth use cases to the generated gRPC/HTTP interfaces.
package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/emptypb"

	v1 "github.com/vanguard/vanguard/api/growth/v1"
	"github.com/vanguard/vanguard/app/growth/internal/biz"
	"github.com/vanguard/vanguard/pkg/apierr"
	"github.com/vanguard/vanguard/pkg/auth"
)

// apiErrors maps growth's domain errors to its API reasons (pkg/apierr adds the shared ones).
var apiErrors = apierr.New(
	// One answer for "missing" and "not yours", so ids cannot be probed.
	apierr.Is(biz.ErrNotFound, v1.ErrorNotFound, "成长档案不存在或无权访问"),
	apierr.Is(biz.ErrAlreadyExists, v1.ErrorAlreadyExists, "记录已存在，请刷新后重试"),
	apierr.Is(biz.ErrStale, v1.ErrorFileStale, "成长档案已有新版本，请查看最新版本后再审核"),
	apierr.Is(biz.ErrLocked, v1.ErrorFileLocked, "该版本已审核通过并锁定"),
	apierr.Is(ErrNoPDF, v1.ErrorPdfUnavailable, "服务器未安装 PDF 打印所需的 Chromium，请导出 HTML 后用浏览器打印"),
)

func toAPIError(err error) error { return apiErrors.Translate(err) }

// ErrNoPDF means the server cannot print PDFs (no Chromium).
var ErrNoPDF = errors.New("no PDF printer")

// PDF prints an HTML page to PDF.
type PDF func(ctx context.Context, html []byte) ([]byte, error)

// GrowthService implements v1.GrowthServer.
type GrowthService struct {
	v1.UnimplementedGrowthServer
	uc  *biz.Growth
	pdf PDF
}

// New wires the service; pdf may be nil (PDF export then answers ErrNoPDF).
func New(uc *biz.Growth, pdf PDF) *GrowthService { return &GrowthService{uc: uc, pdf: pdf} }

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func stateToAPI(f *biz.File) *v1.GrowthFileState {
	return &v1.GrowthFileState{MemberId: f.MemberID, OrgPath: f.OrgPath, Latest: int32(f.Latest), Status: f.Status,
		Approved: int32(f.Approved), UpdatedAt: ts(f.UpdatedAt), MemberName: f.MemberName, OrgName: f.OrgName}
}

func changesToAPI(cs []biz.Change) []*v1.Change {
	out := make([]*v1.Change, len(cs))
	for i, c := range cs {
		out[i] = &v1.Change{Section: c.Section, Op: c.Op, Key: c.Key, Before: c.Before, After: c.After, Fields: c.Fields}
	}
	return out
}

func versionToAPI(v *biz.Version) *v1.Version {
	return &v1.Version{No: int32(v.No), Hash: v.Hash, Trigger: v.Trigger, CompiledAt: ts(v.CompiledAt), Changes: changesToAPI(v.Changes)}
}

func contentToAPI(c biz.Content) *v1.Content {
	p := c.Profile
	out := &v1.Content{Profile: &v1.Profile{MemberId: p.MemberID, Name: p.Name, Gender: p.Gender, BirthDate: p.BirthDate,
		OrgName: p.OrgName, OrgPath: p.OrgPath, Stage: p.Stage, AppliedOn: p.AppliedOn, JoinedOn: p.JoinedOn, FullOn: p.FullOn,
		Temporaries: p.Temporaries}}
	for _, s := range c.Development {
		out.Development = append(out.Development, &v1.Step{StepId: s.StepID, No: int32(s.No), Seq: int32(s.Seq), Name: s.Name,
			Date: s.Date, OrgName: s.OrgName, People: s.People, Warnings: s.Warnings, Overridden: s.Overridden, Documents: int32(s.Documents)})
	}
	for _, h := range c.Hours {
		out.Hours = append(out.Hours, &v1.YearHours{Year: int32(h.Year), Seconds: h.Seconds, TargetSeconds: h.TargetSeconds, BySource: h.BySource})
	}
	for _, e := range c.Courses {
		out.Courses = append(out.Courses, &v1.CourseDone{CourseId: e.CourseID, Title: e.Title, CompletedOn: e.CompletedOn})
	}
	for _, e := range c.Exams {
		out.Exams = append(out.Exams, &v1.ExamResult{ExamId: e.ExamID, Title: e.Title, Score: e.Score, MaxScore: e.MaxScore,
			Passed: e.Passed, GradedOn: e.GradedOn})
	}
	for _, e := range c.Meetings {
		out.Meetings = append(out.Meetings, &v1.MeetingAttended{MeetingId: e.MeetingID, Kind: e.Kind, Topic: e.Topic, Date: e.Date})
	}
	for _, e := range c.Reports {
		out.Reports = append(out.Reports, &v1.ReportFiled{ReportId: e.ReportID, Topic: e.Topic, Status: e.Status, Date: e.Date})
	}
	for _, e := range c.Records {
		out.Records = append(out.Records, &v1.RecordEntry{RecordId: e.RecordID, Kind: e.Kind, Title: e.Title, Outcome: e.Outcome, Date: e.Date})
	}
	return out
}

func reviewToAPI(r *biz.Review) *v1.Review {
	return &v1.Review{Id: r.ID, Version: int32(r.VersionNo), Decision: r.Decision, Comment: r.Comment, ReviewerId: r.ReviewerID,
		ReviewerName: r.ReviewerName, CreatedAt: ts(r.CreatedAt)}
}

func fileToAPI(v *biz.FileView) *v1.GrowthFile {
	out := &v1.GrowthFile{State: stateToAPI(v.File), Version: versionToAPI(v.Version), Content: contentToAPI(v.Content)}
	for _, r := range v.Reviews {
		out.Reviews = append(out.Reviews, reviewToAPI(r))
	}
	return out
}

// GetMyGrowthFile implements v1.GrowthServer.
func (s *GrowthService) GetMyGrowthFile(ctx context.Context, req *v1.GetMyGrowthFileRequest) (*v1.GrowthFile, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, toAPIError(err)
	}
	v, err := s.uc.Get(ctx, p.UserID, int(req.GetVersion()))
	if err != nil {
		return nil, toAPIError(err)
	}
	return fileToAPI(v), nil
}

// GetGrowthFile implements v1.GrowthServer.
func (s *GrowthService) GetGrowthFile(ctx context.Context, req *v1.GetGrowthFileRequest) (*v1.GrowthFile, error) {
	v, err := s.uc.Get(ctx, req.GetMemberId(), int(req.GetVersion()))
	if err != nil {
		return nil, toAPIError(err)
	}
	return fileToAPI(v), nil
}

// ListGrowthVersions implements v1.GrowthServer.
func (s *GrowthService) ListGrowthVersions(ctx context.Context, req *v1.MemberRequest) (*v1.ListGrowthVersionsReply, error) {
	vs, err := s.uc.Versions(ctx, req.GetMemberId())
	if err != nil {
		return nil, toAPIError(err)
	}
	out := &v1.ListGrowthVersionsReply{Versions: make([]*v1.Version, len(vs))}
	for i, v := range vs {
		out.Versions[i] = versionToAPI(v)
	}
	return out, nil
}

// DiffGrowthVersions implements v1.GrowthServer.
func (s *GrowthService) DiffGrowthVersions(ctx context.Context, req *v1.DiffGrowthVersionsRequest) (*v1.DiffGrowthVersionsReply, error) {
	cs, err := s.uc.DiffVersions(ctx, req.GetMemberId(), int(req.GetFrom()), int(req.GetTo()))
	if err != nil {
		return nil, toAPIError(err)
	}
	return &v1.DiffGrowthVersionsReply{Changes: changesToAPI(cs)}, nil
}

// ListGrowthFiles implements v1.GrowthServer.
func (s *GrowthService) ListGrowthFiles(ctx context.Context, req *v1.ListGrowthFilesRequest) (*v1.ListGrowthFilesReply, error) {
	f := biz.FileFilter{Status: req.GetStatus(), Limit: int(req.GetPageSize())}
	if t := req.GetPageToken(); t != "" {
		at, member, ok := strings.Cut(t, ".")
		ms, err1 := strconv.ParseInt(at, 10, 64)
		id, err2 := strconv.ParseInt(member, 10, 64)
		if !ok || err1 != nil || err2 != nil {
			return nil, apierr.InvalidArgument("page_token", "翻页标记无效")
		}
		f.AfterUpdate, f.AfterMember = time.UnixMicro(ms).UTC(), id
	}
	page, err := s.uc.ListFiles(ctx, req.GetOrgId(), f)
	if err != nil {
		return nil, toAPIError(err)
	}
	out := &v1.ListGrowthFilesReply{}
	for _, e := range page.Files {
		out.Files = append(out.Files, stateToAPI(e))
	}
	if page.Next != nil {
		out.NextPageToken = fmt.Sprintf("%d.%d", page.Next.AfterUpdate.UnixMicro(), page.Next.AfterMember)
	}
	return out, nil
}

// ReviewGrowthFile implements v1.GrowthServer.
func (s *GrowthService) ReviewGrowthFile(ctx context.Context, req *v1.ReviewGrowthFileRequest) (*v1.GrowthFileState, error) {
	f, err := s.uc.Review(ctx, req.GetMemberId(), int(req.GetVersion()), req.GetApprove(), req.GetComment())
	if err != nil {
		return nil, toAPIError(err)
	}
	return stateToAPI(f), nil
}

// CompileGrowthFile implements v1.GrowthServer.
func (s *GrowthService) CompileGrowthFile(ctx context.Context, req *v1.MemberRequest) (*v1.GrowthFileState, error) {
	f, v, err := s.uc.CompileNow(ctx, req.GetMemberId())
	if err != nil {
		return nil, toAPIError(err)
	}
	out := stateToAPI(f)
	out.Compiled = v != nil
	return out, nil
}

// ExportGrowthFile implements v1.GrowthServer.
func (s *GrowthService) ExportGrowthFile(ctx context.Context, req *v1.ExportGrowthFileRequest) (*v1.FileReply, error) {
	format := strings.ToLower(req.GetFormat())
	if format == biz.FormatPDF && s.pdf == nil {
		return nil, toAPIError(ErrNoPDF)
	}
	v, err := s.uc.Export(ctx, req.GetMemberId(), int(req.GetVersion()), format)
	if err != nil {
		return nil, toAPIError(err)
	}
	name := fmt.Sprintf("成长档案-%s-第%d版", v.Content.Profile.Name, v.Version.No)
	switch format {
	case biz.FormatJSON:
		b, err := json.MarshalIndent(struct {
			Member   int64         `json:"member_id"`
			Version  int           `json:"version"`
			Hash     string        `json:"hash"`
			Compiled time.Time     `json:"compiled_at"`
			Status   string        `json:"status"`
			Approved int           `json:"approved_version"`
			Content  biz.Content   `json:"content"`
			Reviews  []*biz.Review `json:"reviews"`
		}{v.File.MemberID, v.Version.No, v.Version.Hash, v.Version.CompiledAt.UTC(), v.File.Status, v.File.Approved, v.Content, v.Reviews}, "", "  ")
		if err != nil {
			return nil, toAPIError(err)
		}
		return &v1.FileReply{FileName: name + ".json", ContentType: "application/json; charset=utf-8", Content: b}, nil
	}
	page, err := Print(v)
	if err != nil {
		return nil, toAPIError(err)
	}
	if format == biz.FormatHTML {
		return &v1.FileReply{FileName: name + ".html", ContentType: "text/html; charset=utf-8", Content: page}, nil
	}
	pdf, err := s.pdf(ctx, page)
	if err != nil {
		return nil, toAPIError(err)
	}
	return &v1.FileReply{FileName: name + ".pdf", ContentType: "application/pdf", Content: pdf}, nil
}

func recordToAPI(r *biz.StaffRecord) *v1.GrowthRecord {
	return &v1.GrowthRecord{Id: r.ID, MemberId: r.MemberID, Kind: r.Kind, Title: r.Title, Outcome: r.Outcome, Date: r.Date,
		Note: r.Note, RecordedBy: r.RecordedBy, RecordedByName: r.RecordedByName, CreatedAt: ts(r.CreatedAt)}
}

// ListGrowthRecords implements v1.GrowthServer.
func (s *GrowthService) ListGrowthRecords(ctx context.Context, req *v1.MemberRequest) (*v1.ListGrowthRecordsReply, error) {
	rs, err := s.uc.ListRecords(ctx, req.GetMemberId())
	if err != nil {
		return nil, toAPIError(err)
	}
	out := &v1.ListGrowthRecordsReply{Records: make([]*v1.GrowthRecord, len(rs))}
	for i, r := range rs {
		out.Records[i] = recordToAPI(r)
	}
	return out, nil
}

// CreateGrowthRecord implements v1.GrowthServer.
func (s *GrowthService) CreateGrowthRecord(ctx context.Context, req *v1.CreateGrowthRecordRequest) (*v1.GrowthRecord, error) {
	r, err := s.uc.AddRecord(ctx, biz.StaffRecord{MemberID: req.GetMemberId(), Kind: req.GetKind(), Title: req.GetTitle(),
		Outcome: req.GetOutcome(), Date: req.GetDate(), Note: req.GetNote()})
	if err != nil {
		return nil, toAPIError(err)
	}
	return recordToAPI(r), nil
}

// DeleteGrowthRecord implements v1.GrowthServer.
func (s *GrowthService) DeleteGrowthRecord(ctx context.Context, req *v1.IdRequest) (*emptypb.Empty, error) {
	if err := s.uc.RemoveRecord(ctx, req.GetId()); err != nil {
		return nil, toAPIError(err)
	}
	return &emptypb.Empty{}, nil
}
