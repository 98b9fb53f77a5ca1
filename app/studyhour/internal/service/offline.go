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
	r, err := s.offline.Submit(ctx, req.Title, req.Description, req.Hours, req.Day, req.AttachmentIds)
	if err != nil {
		return nil, toAPIError(err)
	}
	return s.withFiles(ctx, r)
}

// withFiles returns records with their files.
func (s *StudyHourService) withFiles(ctx context.Context, rs ...*biz.OfflineRecord) (*v1.OfflineRecord, error) {
	out, err := s.recordsWithFiles(ctx, rs)
	if err != nil {
		return nil, err
	}
	return out.Records[0], nil
}

func (s *StudyHourService) recordsWithFiles(ctx context.Context, rs []*biz.OfflineRecord) (*v1.ListOfflineRecordsReply, error) {
	files, err := s.attachments.OfRecords(ctx, rs)
	if err != nil {
		return nil, toAPIError(err)
	}
	out := recordsToAPI(rs)
	for i, r := range rs {
		out.Records[i].Attachments = attachmentsToAPI(files[r.ID])
	}
	return out, nil
}

// ListMyOfflineRecords implements v1.StudyHoursServer.
func (s *StudyHourService) ListMyOfflineRecords(ctx context.Context, _ *v1.ListMyOfflineRecordsRequest) (*v1.ListOfflineRecordsReply, error) {
	rs, err := s.offline.Mine(ctx)
	if err != nil {
		return nil, toAPIError(err)
	}
	return s.recordsWithFiles(ctx, rs)
}

// ListOfflineRecords implements v1.StudyHoursServer.
func (s *StudyHourService) ListOfflineRecords(ctx context.Context, req *v1.ListOfflineRecordsRequest) (*v1.ListOfflineRecordsReply, error) {
	rs, err := s.offline.List(ctx, req.OrgId, recordStatuses[req.Status])
	if err != nil {
		return nil, toAPIError(err)
	}
	return s.recordsWithFiles(ctx, rs)
}

// DecideOfflineRecord implements v1.StudyHoursServer.
func (s *StudyHourService) DecideOfflineRecord(ctx context.Context, req *v1.DecideOfflineRecordRequest) (*v1.OfflineRecord, error) {
	r, err := s.offline.Decide(ctx, req.Id, req.Approve, req.Reason)
	if err != nil {
		return nil, toAPIError(err)
	}
	return s.withFiles(ctx, r)
}

func attachmentToAPI(a *biz.Attachment) *v1.Attachment {
	return &v1.Attachment{Id: a.ID, Purpose: a.Purpose, RefId: a.RefID, FileName: a.FileName, Size: a.Size, ContentType: a.ContentType,
		Status: a.Status, CreatedAt: ts(&a.CreatedAt)}
}

func attachmentsToAPI(as []*biz.Attachment) []*v1.Attachment {
	out := make([]*v1.Attachment, len(as))
	for i, a := range as {
		out[i] = attachmentToAPI(a)
	}
	return out
}

// StartAttachment implements v1.StudyHoursServer.
func (s *StudyHourService) StartAttachment(ctx context.Context, req *v1.StartAttachmentRequest) (*v1.AttachmentUpload, error) {
	plan, err := s.attachments.Start(ctx, req.Purpose, req.RefId, req.FileName, req.Size, req.ContentType)
	if err != nil {
		return nil, toAPIError(err)
	}
	return &v1.AttachmentUpload{Attachment: attachmentToAPI(plan.File), UploadUrl: plan.URL}, nil
}

// CompleteAttachment implements v1.StudyHoursServer.
func (s *StudyHourService) CompleteAttachment(ctx context.Context, req *v1.IdRequest) (*v1.Attachment, error) {
	a, err := s.attachments.Complete(ctx, req.Id)
	if err != nil {
		return nil, toAPIError(err)
	}
	return attachmentToAPI(a), nil
}

// GetAttachment implements v1.StudyHoursServer.
func (s *StudyHourService) GetAttachment(ctx context.Context, req *v1.IdRequest) (*v1.AttachmentDownload, error) {
	a, url, err := s.attachments.Download(ctx, req.Id)
	if err != nil {
		return nil, toAPIError(err)
	}
	return &v1.AttachmentDownload{Attachment: attachmentToAPI(a), Url: url}, nil
}
