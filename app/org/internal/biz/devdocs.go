package biz

import (
	"context"
	"errors"
	"fmt"

	"github.com/vanguard/vanguard/pkg/attach"
	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/blob"
)

// ErrDocumentNotFound means no step paper the caller may see has the id.
var ErrDocumentNotFound = errors.New("document not found")

// PurposeStep is the purpose of a development step's papers (ref_id: the step).
const PurposeStep = "step"

// MaxStepDocuments bounds the papers of one step.
const MaxStepDocuments = 10

// UseDocuments gives the steps papers in the blob store (nil store: none can be uploaded).
func (uc *Development) UseDocuments(store attach.Store, blobs blob.Store) {
	uc.docs = &attach.Uploads{Prefix: "org/", Blobs: blobs, Files: store, Clock: uc.clock, NotFound: ErrDocumentNotFound}
}

// ReconcileDocuments aborts the papers' uploads never completed.
func (uc *Development) ReconcileDocuments(ctx context.Context) error {
	if uc.docs == nil {
		return nil
	}
	return uc.docs.Reconcile(ctx)
}

// mayFileStep tells whether p may add or remove papers of the member's step: staff who may
// record the member's steps or the step's responsible org, never for their own development
// (unless an admin).
func mayFileStep(p *auth.Principal, a *Account, s *DevStep) bool {
	if a.ID == p.UserID && !p.IsAdmin() {
		return false
	}
	return p.CanManageOrg(a.OrgPath) || p.CanManageOrg(s.OrgPath)
}

// maySeeDocuments tells whether p may see the papers of the member's step: whoever may file
// them, and the member, except the political review's papers (政审材料), which stay with staff.
func maySeeDocuments(p *auth.Principal, a *Account, s *DevStep) bool {
	if p.CanManageOrg(a.OrgPath) || p.CanManageOrg(s.OrgPath) {
		return true
	}
	return a.ID == p.UserID && s.Code != StepPoliticalReview
}

// StartDocument plans the upload of a paper of the member's recorded step.
func (uc *Development) StartDocument(ctx context.Context, memberID, stepID int64, fileName string, size int64, contentType string) (*attach.Plan, error) {
	p, err := requireHome(ctx)
	if err != nil {
		return nil, err
	}
	if uc.docs == nil {
		return nil, errors.New("development: no store for papers")
	}
	if _, _, err := attach.Check(fileName, size, contentType); err != nil {
		return nil, err
	}
	a, step, err := uc.stepOf(ctx, p, memberID, stepID)
	if err != nil {
		return nil, err
	}
	if !mayFileStep(p, a, step) {
		return nil, deny("只有党员所在组织及上级组织的管理员能上传发展材料")
	}
	have, err := uc.docs.ByRef(ctx, PurposeStep, []int64{step.ID})
	if err != nil {
		return nil, err
	}
	if len(have[step.ID]) >= MaxStepDocuments {
		return nil, Invalid("step_id", fmt.Sprintf("每个步骤最多 %d 份材料", MaxStepDocuments))
	}
	return uc.docs.Start(ctx, &attach.File{Purpose: PurposeStep, RefID: step.ID, OrgPath: step.OrgPath, UploadedBy: p.UserID,
		FileName: fileName, Size: size, ContentType: contentType})
}

// stepOf returns the member and the member's step, both within what p may see (else not found).
func (uc *Development) stepOf(ctx context.Context, p *auth.Principal, memberID, stepID int64) (*Account, *DevStep, error) {
	a, err := uc.accounts.Get(ctx, memberID)
	if err != nil {
		return nil, nil, err
	}
	step, err := uc.repo.Step(ctx, stepID)
	if errors.Is(err, ErrDocumentNotFound) || (err == nil && step.MemberID != a.ID) {
		if a.ID != p.UserID && !p.CanManageOrg(a.OrgPath) {
			return nil, nil, ErrAccountNotFound
		}
		return nil, nil, Invalid("step_id", "该党员没有这一已登记的步骤")
	} else if err != nil {
		return nil, nil, err
	}
	if !maySeeDocuments(p, a, step) { // whoever may file papers may see them
		return nil, nil, ErrAccountNotFound
	}
	return a, step, nil
}

// document returns a paper with its step and member, for a caller who may see it (else not
// found).
func (uc *Development) document(ctx context.Context, p *auth.Principal, id int64) (*attach.File, *Account, *DevStep, error) {
	if uc.docs == nil {
		return nil, nil, nil, ErrDocumentNotFound
	}
	f, err := uc.docs.Files.GetAttachment(ctx, id)
	if err != nil {
		return nil, nil, nil, err
	}
	step, err := uc.repo.Step(ctx, f.RefID)
	if err != nil {
		return nil, nil, nil, err
	}
	a, err := uc.accounts.Get(ctx, step.MemberID)
	if err != nil {
		return nil, nil, nil, err
	}
	// The uploader completes a pending upload; reading a ready one takes the scope.
	uploading := f.UploadedBy == p.UserID && f.Status == attach.Pending
	if f.Purpose != PurposeStep || (!maySeeDocuments(p, a, step) && !uploading) {
		return nil, nil, nil, ErrDocumentNotFound
	}
	return f, a, step, nil
}

// CompleteDocument assembles the uploaded paper and checks its real type; the first completion
// is audited. Safe to retry.
func (uc *Development) CompleteDocument(ctx context.Context, id int64) (*attach.File, error) {
	p, err := requireHome(ctx)
	if err != nil {
		return nil, err
	}
	f, a, step, err := uc.document(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if f.Status == attach.Ready {
		return f, nil
	}
	if f, err = uc.docs.Complete(ctx, p.UserID, id); err != nil {
		return nil, err
	}
	def, _ := StepByCode(step.Code)
	return f, uc.audit.Record(ctx, AuditEntry{
		Action: "development.document", TargetType: "account", TargetID: a.ID, OrgPath: a.OrgPath,
		Summary: fmt.Sprintf("上传 %s 第 %d 步「%s」的材料《%s》", a.DisplayName, def.No, def.Name, f.FileName),
		After:   map[string]any{"document": f.ID, "step": step.ID, "file_name": f.FileName, "size": f.Size, "content_type": f.ContentType},
	})
}

// DocumentURL returns a short-lived download URL of a paper.
func (uc *Development) DocumentURL(ctx context.Context, id int64) (*attach.File, string, error) {
	p, err := requireHome(ctx)
	if err != nil {
		return nil, "", err
	}
	f, _, _, err := uc.document(ctx, p, id)
	if err != nil {
		return nil, "", err
	}
	url, err := uc.docs.URL(ctx, f)
	return f, url, err
}

// RemoveDocument takes a paper off its step, audited; removing it again changes nothing.
func (uc *Development) RemoveDocument(ctx context.Context, id int64) error {
	p, err := requireHome(ctx)
	if err != nil {
		return err
	}
	f, a, step, err := uc.document(ctx, p, id)
	if err != nil {
		return err
	}
	if f.Status == attach.Removed {
		return nil
	}
	if !mayFileStep(p, a, step) {
		return deny("只有党员所在组织及上级组织的管理员能删除发展材料")
	}
	def, _ := StepByCode(step.Code)
	return uc.tx.InTx(ctx, func(ctx context.Context) error {
		if err := uc.docs.Remove(ctx, f); err != nil {
			return err
		}
		return uc.audit.Record(ctx, AuditEntry{
			Action: "development.document.remove", TargetType: "account", TargetID: a.ID, OrgPath: a.OrgPath,
			Summary: fmt.Sprintf("删除 %s 第 %d 步「%s」的材料《%s》", a.DisplayName, def.No, def.Name, f.FileName),
			Before:  map[string]any{"document": f.ID, "step": step.ID, "file_name": f.FileName},
		})
	})
}

// fillDocuments lists the papers of a record's steps that p may see (p nil: every paper).
func (uc *Development) fillDocuments(ctx context.Context, p *auth.Principal, rec *DevRecord) error {
	rec.Documents = map[int64][]*attach.File{}
	if uc.docs == nil || len(rec.Steps) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(rec.Steps))
	for _, s := range rec.Steps {
		if p == nil || maySeeDocuments(p, rec.Member, s) { // nil: the growth service, which sees all
			ids = append(ids, s.ID)
		}
	}
	docs, err := uc.docs.ByRef(ctx, PurposeStep, ids)
	if err != nil {
		return err
	}
	rec.Documents = docs
	return nil
}

// GrowthService is the one service that reads members' dossiers.
const GrowthService = "growth"

// DossierMembers pages over the accounts holding the member role, by id, for the growth service
// (its nightly compile).
func (uc *Development) DossierMembers(ctx context.Context, afterID int64, limit int) ([]int64, error) {
	if err := auth.RequireServiceNamed(ctx, GrowthService, "党员名单"); err != nil {
		return nil, err
	}
	as, _, err := uc.accounts.List(ctx, AccountFilter{Role: auth.RoleMember, AfterID: afterID, Limit: min(max(limit, 1), 1000)})
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(as))
	for i, a := range as {
		ids[i] = a.ID
	}
	return ids, nil
}

// Dossier is what org knows of a member for the growth file.
type Dossier struct {
	Record *DevRecord // every step with its papers
	Temps  []ActiveTemp
}

// UseTempBranches gives dossiers the members' temporary branches
// (AccountUsecase.ActiveTempBranches).
func (uc *Development) UseTempBranches(f func(ctx context.Context, accountID int64) ([]ActiveTemp, error)) {
	uc.temps = f
}

// Dossier returns the member's dossier to the growth service (service credentials); anyone
// else is refused.
func (uc *Development) Dossier(ctx context.Context, memberID int64) (*Dossier, error) {
	if err := auth.RequireServiceNamed(ctx, GrowthService, "党员档案"); err != nil {
		return nil, err
	}
	a, err := uc.accounts.Get(ctx, memberID)
	if err != nil {
		return nil, err
	}
	rec, err := uc.record(ctx, nil, a)
	if err != nil {
		return nil, err
	}
	d := &Dossier{Record: rec}
	if uc.temps != nil {
		if d.Temps, err = uc.temps(ctx, a.ID); err != nil {
			return nil, err
		}
	}
	return d, nil
}
