// Package service adapts the studyhour use case to the generated gRPC/HTTP interfaces and
// applies the events studyhour subscribes to.
package service

import (
	"context"
	"encoding/hex"
	"strconv"
	"time"

	eventsv1 "github.com/vanguard/vanguard/api/events/v1"
	v1 "github.com/vanguard/vanguard/api/studyhour/v1"
	"github.com/vanguard/vanguard/app/studyhour/internal/biz"
	"github.com/vanguard/vanguard/pkg/apierr"
	"github.com/vanguard/vanguard/pkg/outbox"
)

// apiErrors maps studyhour's domain errors to its API reasons (pkg/apierr adds the shared ones).
var apiErrors = apierr.New(
	// One answer for "missing" and "not yours", so ids cannot be probed.
	apierr.Is(biz.ErrNotFound, v1.ErrorNotFound, "不存在或无权访问"),
	apierr.Is(biz.ErrAlreadyExists, v1.ErrorAlreadyExists, "记录已存在，请刷新后重试"),
	apierr.Is(biz.ErrSessionEnded, v1.ErrorSessionEnded, "本次学习已结束，请重新开始学习"),
	apierr.Is(biz.ErrLessonNotReady, v1.ErrorLessonNotReady, "课时的音视频或文档尚未处理完成，暂不能学习"),
	apierr.Is(biz.ErrRecordDecided, v1.ErrorRecordDecided, "该记录已审核，不能改变审核结果"),
	apierr.Is(biz.ErrReportLocked, v1.ErrorReportLocked, "学习心得已审阅通过，不能再修改"),
	apierr.Is(biz.ErrAlreadyReported, v1.ErrorAlreadyReported, "本次学习已上报"),
	apierr.Is(biz.ErrReportsPending, v1.ErrorReportsPending, "还有学习心得待审阅，请审阅后再上报"),
	apierr.Is(biz.ErrCheckinClosed, v1.ErrorCheckinClosed, "签到未开放或签到码无效：请在会议开始前30分钟至会议结束前扫码"),
)

func toAPIError(err error) error { return apiErrors.Translate(err) }

func ts(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// StudyHourService implements v1.StudyHoursServer.
type StudyHourService struct {
	v1.UnimplementedStudyHoursServer
	uc       *biz.Study
	meetings *biz.Meetings
	offline  *biz.Offline
	rules    *biz.Rules
	reports  *biz.Reports
	notes    *biz.Notes
	// attachments: meeting minutes and offline records' files.
	attachments *biz.Attachments
}

// UseCases are the use cases the service adapts.
type UseCases struct {
	Study    *biz.Study
	Meetings *biz.Meetings
	Offline  *biz.Offline
	Rules    *biz.Rules
	Reports  *biz.Reports
	Notes    *biz.Notes

	Attachments *biz.Attachments
}

// New wires the service.
func New(u UseCases) *StudyHourService {
	return &StudyHourService{uc: u.Study, meetings: u.Meetings, offline: u.Offline, rules: u.Rules, reports: u.Reports, notes: u.Notes,
		attachments: u.Attachments}
}

func progressToAPI(p *biz.Progress) *v1.LessonProgress {
	if p == nil {
		return nil
	}
	position := p.Position
	return &v1.LessonProgress{LessonId: p.LessonID, CourseId: p.CourseID, Kind: p.Kind, DurationSeconds: p.Duration,
		CoveredSeconds: p.Watched.Seconds(), CreditedSeconds: p.Credited.Seconds(), Position: position,
		Complete: p.CompletedAt != nil, CompletedAt: ts(p.CompletedAt), PagesViewed: int32(p.Pages.Seconds()), PageCount: int32(p.PageCount)}
}

// StartSession implements v1.StudyHoursServer.
func (s *StudyHourService) StartSession(ctx context.Context, req *v1.StartSessionRequest) (*v1.StudySession, error) {
	sess, prog, err := s.uc.Start(ctx, req.LessonId)
	if err != nil {
		return nil, toAPIError(err)
	}
	return &v1.StudySession{Id: sess.ID, LessonId: sess.LessonID, IntervalSeconds: int32(s.uc.Rules().Interval / time.Second),
		Progress: progressToAPI(prog)}, nil
}

// Heartbeat implements v1.StudyHoursServer.
func (s *StudyHourService) Heartbeat(ctx context.Context, req *v1.HeartbeatRequest) (*v1.HeartbeatReply, error) {
	res, err := s.uc.Heartbeat(ctx, biz.Beat{SessionID: req.SessionId, Seq: req.Seq, Position: req.Position, Rate: req.Rate,
		Visible: req.Visible, Pages: req.Pages})
	if err != nil {
		return nil, toAPIError(err)
	}
	return &v1.HeartbeatReply{CreditedSeconds: res.Credit.Seconds(), Refusal: string(res.Refusal), Progress: progressToAPI(res.Progress)}, nil
}

// EndSession implements v1.StudyHoursServer.
func (s *StudyHourService) EndSession(ctx context.Context, req *v1.SessionRequest) (*v1.LessonProgress, error) {
	p, err := s.uc.End(ctx, req.SessionId)
	if err != nil {
		return nil, toAPIError(err)
	}
	return progressToAPI(p), nil
}

// ListMyProgress implements v1.StudyHoursServer.
func (s *StudyHourService) ListMyProgress(ctx context.Context, req *v1.ListMyProgressRequest) (*v1.ListMyProgressReply, error) {
	ps, err := s.uc.MyProgress(ctx, req.LessonIds)
	if err != nil {
		return nil, toAPIError(err)
	}
	out := &v1.ListMyProgressReply{Lessons: make([]*v1.LessonProgress, len(ps))}
	for i, p := range ps {
		out.Lessons[i] = progressToAPI(p)
	}
	return out, nil
}

func summaryToAPI(sum *biz.Summary) *v1.HoursSummary {
	out := &v1.HoursSummary{MemberId: sum.MemberID, Year: int32(sum.Year), TotalSeconds: int64(sum.Total / time.Second),
		TargetSeconds: int64(sum.Target / time.Second), CompletedLessons: int32(sum.CompletedLessons)}
	for _, src := range []string{biz.SourceLesson, biz.SourceExam, biz.SourceMeeting, biz.SourceOffline, biz.SourceAdjustment} {
		out.BySource = append(out.BySource, &v1.SourceHours{Source: src, Seconds: sum.BySource[src]})
	}
	for m, sec := range sum.ByMonth {
		out.ByMonth = append(out.ByMonth, &v1.MonthHours{Month: int32(m + 1), Seconds: sec})
	}
	for _, r := range sum.Refusals {
		at := r.LastAt
		out.Refusals = append(out.Refusals, &v1.RefusalCount{Reason: string(r.Reason), Count: r.Count, LastAt: ts(&at)})
	}
	return out
}

// GetMyHours implements v1.StudyHoursServer.
func (s *StudyHourService) GetMyHours(ctx context.Context, req *v1.GetMyHoursRequest) (*v1.HoursSummary, error) {
	sum, err := s.uc.MyHours(ctx, int(req.Year))
	if err != nil {
		return nil, toAPIError(err)
	}
	return summaryToAPI(sum), nil
}

// GetMemberHours implements v1.StudyHoursServer.
func (s *StudyHourService) GetMemberHours(ctx context.Context, req *v1.GetMemberHoursRequest) (*v1.HoursSummary, error) {
	sum, err := s.uc.MemberHours(ctx, req.MemberId, int(req.Year))
	if err != nil {
		return nil, toAPIError(err)
	}
	return summaryToAPI(sum), nil
}

// ListLedger implements v1.StudyHoursServer.
func (s *StudyHourService) ListLedger(ctx context.Context, req *v1.ListLedgerRequest) (*v1.ListLedgerReply, error) {
	var before int64
	if req.PageToken != "" {
		n, err := strconv.ParseInt(req.PageToken, 10, 64)
		if err != nil || n <= 0 {
			return nil, apierr.InvalidArgument("page_token", "分页标记无效")
		}
		before = n
	}
	limit := int(req.PageSize)
	if limit == 0 {
		limit = 50
	}
	es, err := s.uc.Ledger(ctx, req.MemberId, before, limit)
	if err != nil {
		return nil, toAPIError(err)
	}
	out := &v1.ListLedgerReply{Entries: make([]*v1.LedgerEntry, len(es))}
	for i, e := range es {
		at := e.RecordedAt
		out.Entries[i] = &v1.LedgerEntry{Seq: e.Seq, Source: e.Source, Seconds: e.Seconds, Day: e.Day, Ref: e.Ref, ApprovedBy: e.ApprovedBy,
			RecordedAt: ts(&at), Hash: hex.EncodeToString(e.Hash), PrevHash: hex.EncodeToString(e.PrevHash)}
	}
	if len(es) == limit && es[len(es)-1].Seq > 1 {
		out.NextPageToken = strconv.FormatInt(es[len(es)-1].Seq, 10)
	}
	return out, nil
}

// VerifyLedger implements v1.StudyHoursServer.
func (s *StudyHourService) VerifyLedger(ctx context.Context, req *v1.MemberRequest) (*v1.LedgerVerification, error) {
	v, err := s.uc.Verify(ctx, req.MemberId)
	if err != nil {
		return nil, toAPIError(err)
	}
	out := &v1.LedgerVerification{Ok: v.Broken == nil, Entries: int64(v.Entries)}
	if v.Broken != nil {
		out.BrokenSeq, out.Reason = v.Broken.Seq, v.Broken.Reason
	}
	return out, nil
}

// EventsService is studyhour's service-only Events API: subscribers acknowledge the events
// they applied (pkg/outbox).
type EventsService struct {
	v1.UnimplementedEventsServer
	Ack outbox.AckService
}

// AckEvents closes the calling service's deliveries of the given events.
func (s *EventsService) AckEvents(ctx context.Context, req *eventsv1.AckEventsRequest) (*eventsv1.AckEventsReply, error) {
	return s.Ack.AckEvents(ctx, req)
}
