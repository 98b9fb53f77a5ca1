package biz

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vanguard/vanguard/pkg/auth"
)

// ErrTransferPending means the member already has a transfer waiting for the receiving org.
var ErrTransferPending = errors.New("transfer pending")

// ErrTransferDecided means the transfer was accepted, rejected or cancelled already.
var ErrTransferDecided = errors.New("transfer decided")

// Transfer statuses.
const (
	TransferPending   = "pending"
	TransferAccepted  = "accepted"
	TransferRejected  = "rejected"
	TransferCancelled = "cancelled"
)

// Transfer moves a member's membership from one org to another (组织关系转接): staff of the sending
// org start it, staff of the receiving org accept (or reject) it. The member's development
// record, hours and growth file are keyed by the member and follow them.
type Transfer struct {
	ID                 int64
	MemberID           int64
	FromOrgID, ToOrgID int64
	FromPath, ToPath   string
	Status             string
	Note               string
	StartedBy          int64
	StartedAt          time.Time
	DecidedBy          int64
	DecidedAt          *time.Time
	DecisionNote       string
}

// TransferFilter selects transfers: outgoing from or incoming to a subtree.
type TransferFilter struct {
	PathPrefix string
	Incoming   bool
	Status     string // "" any
	Limit      int
}

// TransferRepo stores transfers.
type TransferRepo interface {
	// Create stores a pending transfer; another pending one for the member is ErrTransferPending.
	Create(ctx context.Context, t *Transfer) (*Transfer, error)
	Get(ctx context.Context, id int64) (*Transfer, error)
	// Pending returns the member's pending transfer, or nil.
	Pending(ctx context.Context, memberID int64) (*Transfer, error)
	// Decide moves a pending transfer to status; one no longer pending is ErrTransferDecided.
	Decide(ctx context.Context, id int64, status string, by int64, at time.Time, note string) (*Transfer, error)
	List(ctx context.Context, f TransferFilter) ([]*Transfer, error)
}

// MemberMover is told, in the transaction of a move, that an account changed org, so what is
// kept by org path (development summaries) follows it.
type MemberMover interface {
	MemberMoved(ctx context.Context, a *Account) error
}

// MaxTransferNote bounds a transfer's notes.
const MaxTransferNote = 500

// SetTransfers gives the use case its transfer store and the mover told of each move.
func (uc *AccountUsecase) SetTransfers(repo TransferRepo, mover MemberMover) {
	uc.transfers, uc.mover = repo, mover
}

// StartTransfer starts moving a member to another org, for staff of the member's org (or above).
// A retry (same member, same receiving org) returns the pending transfer.
func (uc *AccountUsecase) StartTransfer(ctx context.Context, memberID, toOrgID int64, toCode, note string) (*Transfer, error) {
	p, err := requireHome(ctx)
	if err != nil {
		return nil, err
	}
	note = strings.TrimSpace(note)
	if utf8.RuneCountInString(note) > MaxTransferNote {
		return nil, Invalid("note", fmt.Sprintf("不能超过 %d 个字", MaxTransferNote))
	}
	var out *Transfer
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		a, err := uc.accounts.Get(ctx, memberID)
		if err != nil {
			return err
		}
		if err := uc.checkManage(p, a); err != nil {
			return err
		}
		for _, r := range a.Roles {
			if r != auth.RoleMember {
				return Invalid("member_id", "持有"+roleLabel(r)+"角色的账号须先撤销角色再转接组织关系")
			}
		}
		if code := strings.TrimSpace(toCode); code != "" {
			byCode, err := uc.orgs.GetByCodes(ctx, []string{code})
			if err != nil {
				return err
			}
			if byCode[code] == nil {
				return Invalid("to_org_code", "没有编码为 "+code+" 的组织")
			}
			toOrgID = byCode[code].ID
		}
		to, err := uc.orgs.Get(ctx, toOrgID)
		if errors.Is(err, ErrOrgNotFound) {
			return Invalid("to_org_id", "接收组织不存在")
		} else if err != nil {
			return err
		}
		if to.ID == a.OrgID {
			return Invalid("to_org_id", "接收组织与所在组织相同")
		}
		if to.Type != OrgBranch {
			return Invalid("to_org_id", "组织关系须转入党支部")
		}
		if cur, err := uc.transfers.Pending(ctx, a.ID); err != nil {
			return err
		} else if cur != nil {
			if cur.ToOrgID == to.ID {
				out = cur
				return nil
			}
			return ErrTransferPending
		}
		from, err := uc.orgs.Get(ctx, a.OrgID)
		if err != nil {
			return err
		}
		out, err = uc.transfers.Create(ctx, &Transfer{MemberID: a.ID, FromOrgID: a.OrgID, FromPath: a.OrgPath, ToOrgID: to.ID, ToPath: to.Path,
			Status: TransferPending, Note: note, StartedBy: p.UserID, StartedAt: uc.audit.clock.Now()})
		if err != nil {
			return err
		}
		return uc.audit.Record(ctx, AuditEntry{Action: "transfer.start", TargetType: "account", TargetID: a.ID, OrgPath: a.OrgPath,
			Summary: fmt.Sprintf("%s 的组织关系由 %s 转出至 %s", a.DisplayName, from.Name, to.Name), After: map[string]any{"transfer": out.ID, "to_org_id": to.ID}})
	})
	return out, err
}

// DecideTransfer accepts or rejects a pending transfer, for staff of the receiving org; cancel
// is for staff of the sending org. Accepting moves the account (its sessions end, as its org is
// in its tokens) and what follows it, and is audited on both sides.
func (uc *AccountUsecase) DecideTransfer(ctx context.Context, id int64, status, note string) (*Transfer, error) {
	p, err := requireHome(ctx)
	if err != nil {
		return nil, err
	}
	note = strings.TrimSpace(note)
	switch {
	case status != TransferAccepted && status != TransferRejected && status != TransferCancelled:
		return nil, Invalid("status", "未知的处理结果")
	case utf8.RuneCountInString(note) > MaxTransferNote:
		return nil, Invalid("note", fmt.Sprintf("不能超过 %d 个字", MaxTransferNote))
	case status == TransferRejected && note == "":
		return nil, Invalid("note", "请填写退回原因")
	}
	var out *Transfer
	var rev *auth.Revocation
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		t, err := uc.transfers.Get(ctx, id)
		if err != nil {
			return err
		}
		side := t.ToPath
		if status == TransferCancelled {
			side = t.FromPath
		}
		if !p.CanManageOrg(side) {
			if p.CanManageOrg(t.FromPath) || p.CanManageOrg(t.ToPath) {
				if status == TransferCancelled {
					return deny("只有转出组织能撤回转接")
				}
				return deny("只有接收组织能办理接收或退回")
			}
			return ErrTransferNotFound
		}
		a, err := uc.accounts.Get(ctx, t.MemberID)
		if err != nil {
			return err
		}
		now := uc.audit.clock.Now()
		if out, err = uc.transfers.Decide(ctx, t.ID, status, p.UserID, now, note); err != nil {
			return err
		}
		verb := map[string]string{TransferAccepted: "接收", TransferRejected: "退回", TransferCancelled: "撤回"}[status]
		summary := fmt.Sprintf("%s 组织关系转接（%d）：%s", a.DisplayName, t.ID, verb)
		if status == TransferAccepted {
			if a.OrgID != t.FromOrgID {
				return ErrTransferDecided // moved meanwhile by other means
			}
			r, err := uc.tokens.RevokeAccount(ctx, a.ID, now)
			if err != nil {
				return err
			}
			rev = &r
			moved, err := uc.accounts.Update(ctx, a.ID, AccountPatch{OrgID: &t.ToOrgID, OrgPath: &t.ToPath})
			if err != nil {
				return err
			}
			if uc.mover != nil {
				if err := uc.mover.MemberMoved(ctx, moved); err != nil {
					return err
				}
			}
			if err := uc.events.Publish(ctx, MemberTransferred{Transfer: t, At: now}); err != nil {
				return err
			}
		}
		// Both sides' logs hold every decision.
		for _, path := range []string{t.FromPath, t.ToPath} {
			if err := uc.audit.Record(ctx, AuditEntry{Action: "transfer." + status, TargetType: "account", TargetID: a.ID, OrgPath: path,
				Summary: summary, After: map[string]any{"transfer": t.ID, "from_org_id": t.FromOrgID, "to_org_id": t.ToOrgID, "note": note}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil && rev != nil {
		publishRevocation(ctx, uc.revocations, *rev)
	}
	return out, err
}

// ErrTransferNotFound means no transfer the caller may see has the id.
var ErrTransferNotFound = errors.New("transfer not found")

// ListTransfers lists the transfers out of (or, incoming, into) the org's subtree, for staff over
// it, newest first.
func (uc *AccountUsecase) ListTransfers(ctx context.Context, orgID int64, incoming bool, status string) ([]*Transfer, error) {
	p, err := requireHome(ctx)
	if err != nil {
		return nil, err
	}
	org, err := uc.orgs.Get(ctx, orgID)
	if err != nil {
		return nil, err
	}
	if !p.CanManageOrg(org.Path) {
		if canSeeOrg(p, org.Path) {
			return nil, deny("只有本组织及上级组织的管理员能查看组织关系转接")
		}
		return nil, ErrOrgNotFound
	}
	return uc.transfers.List(ctx, TransferFilter{PathPrefix: org.Path, Incoming: incoming, Status: status, Limit: 200})
}

// TransferNames returns the display names of the transfers' members and orgs.
func (uc *AccountUsecase) TransferNames(ctx context.Context, ts []*Transfer) (people, orgs map[int64]string, err error) {
	var ids, orgIDs []int64
	for _, t := range ts {
		ids = append(ids, t.MemberID)
		orgIDs = append(orgIDs, t.FromOrgID, t.ToOrgID)
	}
	as, err := uc.accounts.GetMany(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	os, err := uc.orgs.GetMany(ctx, orgIDs)
	if err != nil {
		return nil, nil, err
	}
	people, orgs = map[int64]string{}, map[int64]string{}
	for id, a := range as {
		people[id] = a.DisplayName
	}
	for id, o := range os {
		orgs[id] = o.Name
	}
	return people, orgs, nil
}
