package biz

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/blob"
	"github.com/vanguard/vanguard/pkg/media"
)

// Attachment purposes: a meeting's minutes (会议记录), the evidence of an offline study record.
const (
	PurposeMinutes = "minutes"
	PurposeOffline = "offline"
)

// Attachment statuses.
const (
	AttachmentPending = "pending"
	AttachmentReady   = "ready"
	// AttachmentExpired: planned but never completed within AttachmentTTL; its upload is aborted.
	AttachmentExpired = "expired"
)

// Attachment limits.
const (
	MaxAttachmentSize = 20 << 20
	// MaxRecordAttachments bounds the files of one offline record.
	MaxRecordAttachments = 5
	attachmentURLTTL     = 10 * time.Minute
	attachmentPutTTL     = time.Hour
	// AttachmentTTL is how long a planned upload may stay unfinished before the reconciler
	// aborts it (well past its presigned URL's hour).
	AttachmentTTL = 24 * time.Hour
)

// AttachmentTypes are the files accepted, by their real (sniffed) type.
var AttachmentTypes = []string{"application/pdf", "image/jpeg", "image/png",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document"}

// Attachment is a file in the blob store belonging to a meeting (minutes) or an offline record.
type Attachment struct {
	ID          int64
	Purpose     string
	RefID       int64 // the meeting, or the offline record once filed (0 before)
	OrgPath     string
	UploadedBy  int64
	FileName    string
	Size        int64
	ContentType string
	ObjectKey   string
	UploadID    string
	Status      string
	CreatedAt   time.Time
}

// AttachmentStore keeps attachments' records.
type AttachmentStore interface {
	CreateAttachment(ctx context.Context, a *Attachment) (*Attachment, error)
	// GetAttachment returns an attachment; ErrNotFound if missing.
	GetAttachment(ctx context.Context, id int64) (*Attachment, error)
	// SaveAttachment writes status, content type and reference.
	SaveAttachment(ctx context.Context, a *Attachment) error
	// ExpirePending marks attachments still pending that were planned before the time expired,
	// and returns them.
	ExpirePending(ctx context.Context, before time.Time, limit int) ([]*Attachment, error)
	// ListAttachments lists the ready attachments of purpose for the references, oldest first.
	ListAttachments(ctx context.Context, purpose string, refIDs []int64) ([]*Attachment, error)
	// LinkAttachments sets the reference of the uploader's ready, unlinked attachments of purpose
	// with the ids; it returns how many it linked.
	LinkAttachments(ctx context.Context, purpose string, ids []int64, uploader, refID int64) (int, error)
}

// Attachments is the use case of meeting minutes and offline records' files: the browser uploads
// straight to the blob store through a presigned URL; the server checks the real type on
// completion and hands out short-lived download URLs only to those who may see the owner.
type Attachments struct {
	study    *Study
	store    AttachmentStore
	blobs    blob.Store
	meetings MeetingStore
	records  OfflineStore
}

// NewAttachments wires the use case.
func NewAttachments(study *Study, store AttachmentStore, blobs blob.Store, meetings MeetingStore, records OfflineStore) *Attachments {
	return &Attachments{study: study, store: store, blobs: blobs, meetings: meetings, records: records}
}

// UploadPlan is where the browser PUTs the file's bytes.
type UploadPlan struct {
	Attachment *Attachment
	URL        string
}

// Start plans an upload: minutes of a meeting the caller manages (refID the meeting), or a file
// for the caller's next offline record (refID 0).
func (uc *Attachments) Start(ctx context.Context, purpose string, refID int64, fileName string, size int64, contentType string) (*UploadPlan, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	fileName = strings.TrimSpace(fileName)
	contentType = strings.ToLower(strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0]))
	switch {
	case fileName == "" || utf8.RuneCountInString(fileName) > 200:
		return nil, Invalid("file_name", "文件名不能为空，最长200字")
	case size <= 0 || size > MaxAttachmentSize:
		return nil, Invalid("size", "文件大小应在 20 MiB 以内")
	case !slices.Contains(AttachmentTypes, contentType):
		return nil, Invalid("content_type", "只接受 PDF、JPG、PNG 或 Word（.docx）文件")
	}
	a := &Attachment{Purpose: purpose, UploadedBy: p.UserID, FileName: fileName, Size: size, ContentType: contentType,
		Status: AttachmentPending, CreatedAt: uc.study.clock.Now().UTC()}
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
	a.ObjectKey = blob.NewKey("studyhour/"+purpose, fileName, "file")
	if a.UploadID, err = uc.blobs.CreateMultipart(ctx, a.ObjectKey, contentType); err != nil {
		return nil, err
	}
	if a, err = uc.store.CreateAttachment(ctx, a); err != nil {
		return nil, err
	}
	url, err := uc.blobs.PresignPart(ctx, a.ObjectKey, a.UploadID, 1, attachmentPutTTL)
	if err != nil {
		return nil, err
	}
	return &UploadPlan{Attachment: a, URL: url}, nil
}

// Complete assembles the uploaded file and checks its real type; a file of another type is
// deleted and refused. Safe to retry.
func (uc *Attachments) Complete(ctx context.Context, id int64) (*Attachment, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	a, err := uc.store.GetAttachment(ctx, id)
	if err != nil {
		return nil, err
	}
	if a.UploadedBy != p.UserID {
		return nil, ErrNotFound
	}
	switch a.Status {
	case AttachmentReady:
		return a, nil
	case AttachmentExpired:
		return nil, Invalid("id", "上传已超时，请重新上传")
	}
	parts, err := uc.blobs.ListParts(ctx, a.ObjectKey, a.UploadID)
	if errors.Is(err, blob.ErrUploadNotFound) {
		parts = nil
	} else if err != nil {
		return nil, err
	}
	if len(parts) == 1 {
		if parts[0].Size != a.Size {
			return nil, Invalid("size", "上传的文件大小与声明的不一致")
		}
		if _, err := uc.blobs.CompleteMultipart(ctx, a.ObjectKey, a.UploadID, parts); err != nil {
			return nil, err
		}
	} else if _, err := uc.blobs.Stat(ctx, a.ObjectKey); err != nil { // completed by a retry that failed later
		if errors.Is(err, blob.ErrNotFound) {
			return nil, Invalid("id", "文件尚未上传")
		}
		return nil, err
	}
	rc, err := uc.blobs.GetRange(ctx, a.ObjectKey, 0, media.SniffLen)
	if err != nil {
		return nil, err
	}
	head, err := io.ReadAll(io.LimitReader(rc, media.SniffLen))
	rc.Close()
	if err != nil {
		return nil, err
	}
	real := media.Sniff(head)
	if !slices.Contains(AttachmentTypes, real) {
		_ = uc.blobs.Delete(ctx, a.ObjectKey)
		return nil, Invalid("content_type", "文件内容不是 PDF、JPG、PNG 或 Word（.docx）文件")
	}
	a.ContentType, a.Status = real, AttachmentReady
	if err := uc.store.SaveAttachment(ctx, a); err != nil {
		return nil, err
	}
	return a, nil
}

// Download returns a short-lived URL of an attachment for those who may see its owner: a
// meeting's minutes for its org's members and staff over it; an offline record's files for the
// member and staff over the record's org.
func (uc *Attachments) Download(ctx context.Context, id int64) (*Attachment, string, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, "", err
	}
	a, err := uc.store.GetAttachment(ctx, id)
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
	if !allowed || a.Status != AttachmentReady {
		return nil, "", ErrNotFound
	}
	url, err := uc.blobs.PresignGet(ctx, a.ObjectKey, attachmentURLTTL)
	return a, url, err
}

// Minutes lists the ready minutes of meetings.
func (uc *Attachments) Minutes(ctx context.Context, meetingIDs ...int64) (map[int64][]*Attachment, error) {
	return uc.byRef(ctx, PurposeMinutes, meetingIDs)
}

// OfRecords lists the ready files of offline records.
func (uc *Attachments) OfRecords(ctx context.Context, rs []*OfflineRecord) (map[int64][]*Attachment, error) {
	ids := make([]int64, len(rs))
	for i, r := range rs {
		ids[i] = r.ID
	}
	return uc.byRef(ctx, PurposeOffline, ids)
}

func (uc *Attachments) byRef(ctx context.Context, purpose string, ids []int64) (map[int64][]*Attachment, error) {
	out := map[int64][]*Attachment{}
	if len(ids) == 0 {
		return out, nil
	}
	as, err := uc.store.ListAttachments(ctx, purpose, ids)
	if err != nil {
		return nil, err
	}
	for _, a := range as {
		out[a.RefID] = append(out[a.RefID], a)
	}
	return out, nil
}

// Reconcile aborts the uploads of attachments planned more than AttachmentTTL ago and never
// completed: the row first (the database is the truth: completing now answers that the upload
// timed out), then the store; and sweeps the store's unfinished uploads under studyhour/ that no
// row accounts for any more (a crash between the two).
func (uc *Attachments) Reconcile(ctx context.Context) error {
	if uc.blobs == nil {
		return nil
	}
	now := uc.study.clock.Now()
	expired, err := uc.store.ExpirePending(ctx, now.Add(-AttachmentTTL), 500)
	if err != nil {
		return err
	}
	for _, a := range expired {
		if err := uc.blobs.AbortMultipart(ctx, a.ObjectKey, a.UploadID); err != nil {
			return err
		}
	}
	stale, err := uc.blobs.ListUploads(ctx, "studyhour/", now.Add(-AttachmentTTL-time.Hour))
	if err != nil {
		return err
	}
	for _, up := range stale {
		if err := uc.blobs.AbortMultipart(ctx, up.Key, up.UploadID); err != nil && !errors.Is(err, blob.ErrUploadNotFound) {
			return err
		}
	}
	return nil
}
