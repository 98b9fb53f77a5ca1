package data

import (
	"context"
	"time"

	"github.com/vanguard/vanguard/app/studyhour/internal/biz"
	"github.com/vanguard/vanguard/app/studyhour/internal/data/ent"
	"github.com/vanguard/vanguard/app/studyhour/internal/data/ent/attachment"
)

type attachmentStore struct{ data *Data }

// NewAttachmentStore returns the attachments' store.
func NewAttachmentStore(d *Data) biz.AttachmentStore { return &attachmentStore{data: d} }

func attachmentOf(a *ent.Attachment) *biz.Attachment {
	return &biz.Attachment{ID: a.ID, Purpose: a.Purpose, RefID: a.RefID, OrgPath: a.OrgPath, UploadedBy: a.UploadedBy, FileName: a.FileName,
		Size: a.Size, ContentType: a.ContentType, ObjectKey: a.ObjectKey, UploadID: a.UploadID, Status: a.Status, CreatedAt: a.CreatedAt.UTC()}
}

func (s *attachmentStore) CreateAttachment(ctx context.Context, a *biz.Attachment) (*biz.Attachment, error) {
	row, err := s.data.client(ctx).Attachment.Create().SetPurpose(a.Purpose).SetRefID(a.RefID).SetOrgPath(a.OrgPath).SetUploadedBy(a.UploadedBy).
		SetFileName(a.FileName).SetSize(a.Size).SetContentType(a.ContentType).SetObjectKey(a.ObjectKey).SetUploadID(a.UploadID).
		SetStatus(a.Status).SetCreatedAt(a.CreatedAt.UTC()).Save(ctx)
	if err != nil {
		return nil, mapErr("attachmentStore.CreateAttachment", err, nil)
	}
	return attachmentOf(row), nil
}

func (s *attachmentStore) GetAttachment(ctx context.Context, id int64) (*biz.Attachment, error) {
	row, err := s.data.client(ctx).Attachment.Get(ctx, id)
	if err != nil {
		return nil, mapErr("attachmentStore.GetAttachment", err, biz.ErrNotFound)
	}
	return attachmentOf(row), nil
}

func (s *attachmentStore) SaveAttachment(ctx context.Context, a *biz.Attachment) error {
	err := s.data.client(ctx).Attachment.UpdateOneID(a.ID).SetStatus(a.Status).SetContentType(a.ContentType).SetRefID(a.RefID).Exec(ctx)
	return mapErr("attachmentStore.SaveAttachment", err, biz.ErrNotFound)
}

func (s *attachmentStore) ListAttachments(ctx context.Context, purpose string, refIDs []int64) ([]*biz.Attachment, error) {
	rows, err := s.data.client(ctx).Attachment.Query().Where(attachment.Purpose(purpose), attachment.RefIDIn(refIDs...),
		attachment.Status(biz.AttachmentReady)).Order(ent.Asc(attachment.FieldID)).All(ctx)
	if err != nil {
		return nil, mapErr("attachmentStore.ListAttachments", err, nil)
	}
	out := make([]*biz.Attachment, len(rows))
	for i, row := range rows {
		out[i] = attachmentOf(row)
	}
	return out, nil
}

// LinkAttachments links only unlinked, ready attachments of the uploader, in one statement.
func (s *attachmentStore) LinkAttachments(ctx context.Context, purpose string, ids []int64, uploader, refID int64) (int, error) {
	n, err := s.data.client(ctx).Attachment.Update().Where(attachment.IDIn(ids...), attachment.Purpose(purpose), attachment.UploadedBy(uploader),
		attachment.RefID(0), attachment.Status(biz.AttachmentReady)).SetRefID(refID).Save(ctx)
	return n, mapErr("attachmentStore.LinkAttachments", err, nil)
}

// ExpirePending marks the pending rows planned before the time as expired, each only while it is
// still pending (a completion racing the reconciler wins or loses as a whole).
func (s *attachmentStore) ExpirePending(ctx context.Context, before time.Time, limit int) ([]*biz.Attachment, error) {
	c := s.data.client(ctx)
	rows, err := c.Attachment.Query().Where(attachment.Status(biz.AttachmentPending), attachment.CreatedAtLT(before.UTC())).
		Order(ent.Asc(attachment.FieldID)).Limit(limit).All(ctx)
	if err != nil {
		return nil, mapErr("attachmentStore.ExpirePending", err, nil)
	}
	var out []*biz.Attachment
	for _, row := range rows {
		n, err := c.Attachment.Update().Where(attachment.ID(row.ID), attachment.Status(biz.AttachmentPending)).
			SetStatus(biz.AttachmentExpired).Save(ctx)
		if err != nil {
			return nil, mapErr("attachmentStore.ExpirePending", err, nil)
		}
		if n == 1 {
			out = append(out, attachmentOf(row))
		}
	}
	return out, nil
}
