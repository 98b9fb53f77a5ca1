package service

import (
	"context"

	v1 "github.com/vanguard/vanguard/api/studyhour/v1"
	"github.com/vanguard/vanguard/app/studyhour/internal/biz"
)

var recordStatuses = map[v1.RecordStatus]string{
	v1.RecordStatus_PENDING: biz.RecordPending, v1.RecordStatus_APPROVED: biz.RecordApproved, v1.RecordStatus_REJECTED: biz.RecordRejected,
}

func recordToAPI(r *biz.OfflineRecord) *v1.OfflineRecord {
	out := &v1.OfflineRecord{Id: r.ID, MemberId: r.MemberID, OrgPath: r.OrgPath, Title: r.Title, Description: r.Description,
		Hours: r.Hours, Day: r.Day, ReviewerId: r.ReviewerID, ReviewReason: r.ReviewReason, ReviewedAt: ts(r.ReviewedAt), CreatedAt: ts(&r.CreatedAt)}
	for k, v := range recordStatuses {
		if v == r.Status {
			out.Status = k
		}
	}
	return out
}

func recordsToAPI(rs []*biz.OfflineRecord) *v1.ListOfflineRecordsReply {
	out := &v1.ListOfflineRecordsReply{Records: make([]*v1.OfflineRecord, len(rs))}
	for i, r := range rs {
		out.Records[i] = recordToAPI(r)
	}
	return out
}

// SubmitOfflineRecord implements v1.StudyHoursServer.
func (s *StudyHourService) SubmitOfflineRecord(ctx context.Context, req *v1.SubmitOfflineRecordRequest) (*v1.OfflineRecord, error) {
	r, err := s.offline.Submit(ctx, req.Title, req.Description, req.Hours, req.Day)
	if err != nil {
		return nil, toAPIError(err)
	}
	return recordToAPI(r), nil
}

// ListMyOfflineRecords implements v1.StudyHoursServer.
func (s *StudyHourService) ListMyOfflineRecords(ctx context.Context, _ *v1.ListMyOfflineRecordsRequest) (*v1.ListOfflineRecordsReply, error) {
	rs, err := s.offline.Mine(ctx)
	if err != nil {
		return nil, toAPIError(err)
	}
	return recordsToAPI(rs), nil
}

// ListOfflineRecords implements v1.StudyHoursServer.
func (s *StudyHourService) ListOfflineRecords(ctx context.Context, req *v1.ListOfflineRecordsRequest) (*v1.ListOfflineRecordsReply, error) {
	rs, err := s.offline.List(ctx, req.OrgId, recordStatuses[req.Status])
	if err != nil {
		return nil, toAPIError(err)
	}
	return recordsToAPI(rs), nil
}

// DecideOfflineRecord implements v1.StudyHoursServer.
func (s *StudyHourService) DecideOfflineRecord(ctx context.Context, req *v1.DecideOfflineRecordRequest) (*v1.OfflineRecord, error) {
	r, err := s.offline.Decide(ctx, req.Id, req.Approve, req.Reason)
	if err != nil {
		return nil, toAPIError(err)
	}
	return recordToAPI(r), nil
}
