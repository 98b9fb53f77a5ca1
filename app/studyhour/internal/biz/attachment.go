package biz

import (
	"context"

	"github.com/vanguard/vanguard/pkg/attach"
	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/blob"
)

// Attachment purposes: a meeting's minutes (会议记录), the evidence of an offline study record.
const (
	PurposeMinutes = "minutes"
	PurposeOffline = "offline"
)

// Attachment statuses and limits (pkg/attach's).
const (
	AttachmentPending = attach.Pending
	AttachmentReady   = attach.Ready
	AttachmentExpired = attach.Expired
	// MaxRecordAttachments bounds the files of one offline record.
	MaxRecordAttachments = 5
)

// Attachment is a file in the blob store belonging to a meeting (minutes) or an offline record.
type Attachment = attach.File

// AttachmentStore keeps attachments' records.
type AttachmentStore interface {
	attach.Store
	// LinkAttachments sets the reference of the uploader's ready, unlinked attachments of purpose
	// with the ids; it returns how many it linked.
	LinkAttachments(ctx context.Context, purpose string, ids []int64, uploader, refID int64) (int, error)
}

// Attachments is the use case of meeting minutes and offline records' files: the browser uploads
// straight to the blob store through a presigned URL; the server checks the real type on
// completion and hands out short-lived download URLs only to those who may see the owner.
type Attachments struct {
	uploads  *attach.Uploads
	meetings MeetingStore
	records  OfflineStore
}

// NewAttachments wires the use case.
func NewAttachments(study *Study, store AttachmentStore, blobs blob.Store, meetings MeetingStore, records OfflineStore) *Attachments {
	return &Attachments{meetings: meetings, records: records,
		uploads: &attach.Uploads{Prefix: "studyhour/", Blobs: blobs, Files: store, Clock: study.clock, NotFound: ErrNotFound}}
}

// Start plans an upload: minutes of a meeting the caller manages (refID the meeting), or a file
// for the caller's next offline record (refID 0).
func (uc *Attachments) Start(ctx context.Context, purpose string, refID int64, fileName string, size int64, contentType string) (*attach.Plan, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if _, _, err := attach.Check(fileName, size, contentType); err != nil {
		return nil, err
	}
	a := &Attachment{Purpose: purpose, UploadedBy: p.UserID, FileName: fileName, Size: size, ContentType: contentType}
	switch purpose {
	case PurposeMinutes:
		m, err := uc.meetings.GetMeeting(ctx, refID)
		if err != nil {
			return nil, err
		}
		if _, manager, err := view(p, m); err != nil {
			return nil, err
		} else if !manager {
			return nil, deny("只有本组织的管理员能上传会议记录")
		}
		a.RefID, a.OrgPath = m.ID, m.OrgPath
	case PurposeOffline:
		if refID != 0 {
			return nil, Invalid("ref_id", "线下学习的附件在提交记录前上传")
		}
		if p.OrgPath == "" {
			return nil, deny("账号不属于任何组织")
		}
		a.OrgPath = p.OrgPath
	default:
		return nil, Invalid("purpose", "附件用途无效")
	}
	return uc.uploads.Start(ctx, a)
}

// Complete assembles the uploaded file and checks its real type; a file of another type is
// deleted and refused. Safe to retry.
func (uc *Attachments) Complete(ctx context.Context, id int64) (*Attachment, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return uc.uploads.Complete(ctx, p.UserID, id)
}

// Download returns a short-lived URL of an attachment for those who may see its owner: a
// meeting's minutes for its org's members and staff over it; an offline record's files for the
// member and staff over the record's org.
func (uc *Attachments) Download(ctx context.Context, id int64) (*Attachment, string, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, "", err
	}
	a, err := uc.uploads.Files.GetAttachment(ctx, id)
	if err != nil {
		return nil, "", err
	}
	allowed := a.UploadedBy == p.UserID || p.CanManageOrg(a.OrgPath)
	if a.Purpose == PurposeMinutes && !allowed {
		m, err := uc.meetings.GetMeeting(ctx, a.RefID)
		if err != nil {
			return nil, "", err
		}
		_, _, verr := view(p, m)
		allowed = verr == nil
	}
	if !allowed {
		return nil, "", ErrNotFound
	}
	url, err := uc.uploads.URL(ctx, a)
	return a, url, err
}

// Minutes lists the ready minutes of meetings.
func (uc *Attachments) Minutes(ctx context.Context, meetingIDs ...int64) (map[int64][]*Attachment, error) {
	return uc.uploads.ByRef(ctx, PurposeMinutes, meetingIDs)
}

// OfRecords lists the ready files of offline records.
func (uc *Attachments) OfRecords(ctx context.Context, rs []*OfflineRecord) (map[int64][]*Attachment, error) {
	ids := make([]int64, len(rs))
	for i, r := range rs {
		ids[i] = r.ID
	}
	return uc.uploads.ByRef(ctx, PurposeOffline, ids)
}

// Reconcile aborts uploads never completed (attach.Uploads.Reconcile).
func (uc *Attachments) Reconcile(ctx context.Context) error { return uc.uploads.Reconcile(ctx) }
