package data

import (
	"context"
	"time"

	"github.com/vanguard/vanguard/app/org/internal/biz"
	"github.com/vanguard/vanguard/app/org/internal/data/ent"
	"github.com/vanguard/vanguard/app/org/internal/data/ent/attachment"
	"github.com/vanguard/vanguard/pkg/attach"
)

// documentStore keeps the rows of development steps' papers (pkg/attach's Store).
type documentStore struct{ data *Data }

// NewDocumentStore returns the steps' papers' store.
func NewDocumentStore(d *Data) attach.Store { return &documentStore{data: d} }

func fileOf(a *ent.Attachment) *attach.File {
	return &attach.File{ID: a.ID, Purpose: a.Purpose, RefID: a.RefID, OrgPath: a.OrgPath, UploadedBy: a.UploadedBy,
		FileName: a.FileName, Size: a.Size, ContentType: a.ContentType, ObjectKey: a.ObjectKey, UploadID: a.UploadID,
		Status: a.Status, CreatedAt: a.CreatedAt.UTC()}
}

func (s *documentStore) CreateAttachment(ctx context.Context, f *attach.File) (*attach.File, error) {
	row, err := s.data.client(ctx).Attachment.Create().SetPurpose(f.Purpose).SetRefID(f.RefID).SetOrgPath(f.OrgPath).
		SetUploadedBy(f.UploadedBy).SetFileName(f.FileName).SetSize(f.Size).SetContentType(f.ContentType).
		SetObjectKey(f.ObjectKey).SetUploadID(f.UploadID).SetStatus(f.Status).SetCreatedAt(f.CreatedAt.UTC()).Save(ctx)
	if err != nil {
		return nil, mapErr("documentStore.CreateAttachment", err, nil)
	}
	return fileOf(row), nil
}

func (s *documentStore) GetAttachment(ctx context.Context, id int64) (*attach.File, error) {
	row, err := s.data.client(ctx).Attachment.Get(ctx, id)
	if err != nil {
		return nil, mapErr("documentStore.GetAttachment", err, biz.ErrDocumentNotFound)
	}
	return fileOf(row), nil
}

func (s *documentStore) SaveAttachment(ctx context.Context, f *attach.File) error {
	err := s.data.client(ctx).Attachment.UpdateOneID(f.ID).SetStatus(f.Status).SetContentType(f.ContentType).SetRefID(f.RefID).Exec(ctx)
	return mapErr("documentStore.SaveAttachment", err, biz.ErrDocumentNotFound)
}

func (s *documentStore) ListAttachments(ctx context.Context, purpose string, refIDs []int64) ([]*attach.File, error) {
	rows, err := s.data.Reader(ctx).Attachment.Query().Where(attachment.Purpose(purpose), attachment.RefIDIn(refIDs...),
		attachment.Status(attach.Ready)).Order(ent.Asc(attachment.FieldID)).All(ctx)
	if err != nil {
		return nil, mapErr("documentStore.ListAttachments", err, nil)
	}
	out := make([]*attach.File, len(rows))
	for i, row := range rows {
		out[i] = fileOf(row)
	}
	return out, nil
}

// ExpirePending expires each pending row planned before the time in one conditional update, so
// a completion racing the reconciler wins or loses as a whole.
func (s *documentStore) ExpirePending(ctx context.Context, before time.Time, limit int) ([]*attach.File, error) {
	c := s.data.client(ctx)
	rows, err := c.Attachment.Query().Where(attachment.Status(attach.Pending), attachment.CreatedAtLT(before.UTC())).
		Order(ent.Asc(attachment.FieldID)).Limit(limit).All(ctx)
	if err != nil {
		return nil, mapErr("documentStore.ExpirePending", err, nil)
	}
	out := make([]*attach.File, 0, len(rows))
	for _, row := range rows {
		n, err := c.Attachment.Update().Where(attachment.ID(row.ID), attachment.Status(attach.Pending)).SetStatus(attach.Expired).Save(ctx)
		if err != nil {
			return nil, mapErr("documentStore.ExpirePending", err, nil)
		}
		if n == 1 {
			out = append(out, fileOf(row))
		}
	}
	return out, nil
}
