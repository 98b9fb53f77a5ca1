package biz

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vanguard/vanguard/pkg/auth"
)

// Offline record statuses.
const (
	RecordPending  = "pending"
	RecordApproved = "approved"
	RecordRejected = "rejected"
)

// ErrRecordDecided: the record was approved or rejected already, the other way.
var ErrRecordDecided = errors.New("record decided")

// OfflineRecord is a member's offline study filed for approval.
type OfflineRecord struct {
	ID, MemberID int64
	OrgPath      string
	Title        string
	Description  string
	Hours        float64
	Day          string
	Status       string
	ReviewerID   int64
	ReviewReason string
	ReviewedAt   *time.Time
	CreatedAt    time.Time
}

// OfflineStore keeps offline records.
type OfflineStore interface {
	CreateRecord(ctx context.Context, r *OfflineRecord) (*OfflineRecord, error)
	// GetRecord returns a record; ErrNotFound if missing.
	GetRecord(ctx context.Context, id int64) (*OfflineRecord, error)
	// DecideRecord moves a pending record to its decision; false when it was no longer pending.
	DecideRecord(ctx context.Context, r *OfflineRecord) (bool, error)
	// ListRecords lists a member's records (memberID > 0) or those of the orgs under pathPrefix,
	// of one status ("" all), pending first, then newest.
	ListRecords(ctx context.Context, memberID int64, pathPrefix, status string) ([]*OfflineRecord, error)
}

// Offline is the offline-study use case: members file, staff of their org decide, an approval
// credits the hours through the ledger.
type Offline struct {
	study *Study
	store OfflineStore
	orgs  Orgs
	files AttachmentStore
}

// NewOffline wires the use case.
func NewOffline(study *Study, store OfflineStore, orgs Orgs, files AttachmentStore) *Offline {
	return &Offline{study: study, store: store, orgs: orgs, files: files}
}

// Submit files the caller's offline study with the files the caller uploaded for it
// (attachments of purpose offline, not yet used by another record).
func (uc *Offline) Submit(ctx context.Context, title, description string, hours float64, day string, attachments []int64) (*OfflineRecord, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	title, description = strings.TrimSpace(title), strings.TrimSpace(description)
	loc := uc.study.cfg.Location
	d, derr := time.ParseInLocation(time.DateOnly, day, loc)
	switch {
	case title == "" || utf8.RuneCountInString(title) > 200:
		return nil, Invalid("title", "标题不能为空，最长200字")
	case utf8.RuneCountInString(description) > 2000:
		return nil, Invalid("description", "说明最长2000字")
	case math.IsNaN(hours) || hours < 0.5 || hours > 40:
		return nil, Invalid("hours", "学时应在 0.5–40 之间")
	case derr != nil:
		return nil, Invalid("day", "日期格式应为 YYYY-MM-DD")
	case d.After(uc.study.clock.Now().In(loc)):
		return nil, Invalid("day", "日期不能晚于今天")
	case p.OrgPath == "":
		return nil, deny("账号不属于任何组织")
	}
	slices.Sort(attachments)
	attachments = slices.Compact(attachments)
	if len(attachments) > MaxRecordAttachments {
		return nil, Invalid("attachment_ids", fmt.Sprintf("最多 %d 个附件", MaxRecordAttachments))
	}
	var out *OfflineRecord
	err = uc.study.tx.InTx(ctx, func(ctx context.Context) error {
		var err error
		out, err = uc.store.CreateRecord(ctx, &OfflineRecord{MemberID: p.UserID, OrgPath: p.OrgPath, Title: title, Description: description,
			Hours: hours, Day: day, Status: RecordPending, CreatedAt: uc.study.clock.Now().UTC()})
		if err != nil || len(attachments) == 0 {
			return err
		}
		n, err := uc.files.LinkAttachments(ctx, PurposeOffline, attachments, p.UserID, out.ID)
		if err == nil && n != len(attachments) {
			return Invalid("attachment_ids", "附件不存在、未上传完成或已用于其他记录")
		}
		return err
	})
	return out, err
}

// Mine lists the caller's records.
func (uc *Offline) Mine(ctx context.Context) ([]*OfflineRecord, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return uc.store.ListRecords(ctx, p.UserID, "", "")
}

// List lists the records of an org's subtree for staff over it.
func (uc *Offline) List(ctx context.Context, orgID int64, status string) ([]*OfflineRecord, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	org, err := uc.orgs.Org(ctx, orgID)
	if err != nil {
		return nil, err
	}
	if !p.CanManageOrg(org.Path) {
		return nil, deny("只有本组织的管理员能审核线下学习记录")
	}
	return uc.store.ListRecords(ctx, 0, org.Path, status)
}

// Decide approves (crediting the hours, approver recorded) or rejects (reason required) a
// pending record, for staff over the member's org. The same decision again returns the record
// as it is; the other decision is ErrRecordDecided.
func (uc *Offline) Decide(ctx context.Context, id int64, approve bool, reason string) (*OfflineRecord, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	if !approve && reason == "" {
		return nil, Invalid("reason", "驳回须填写原因")
	}
	if utf8.RuneCountInString(reason) > 500 {
		return nil, Invalid("reason", "原因最长500字")
	}
	r, err := uc.store.GetRecord(ctx, id)
	if err != nil {
		return nil, err
	}
	if !p.CanManageOrg(r.OrgPath) {
		if r.MemberID == p.UserID {
			return nil, deny("不能审核自己的记录")
		}
		return nil, ErrNotFound
	}
	if r.MemberID == p.UserID {
		return nil, deny("不能审核自己的记录")
	}
	want := RecordRejected
	if approve {
		want = RecordApproved
	}
	if r.Status != RecordPending {
		if r.Status == want {
			return r, nil
		}
		return nil, ErrRecordDecided
	}
	now := uc.study.clock.Now()
	r.Status, r.ReviewerID, r.ReviewReason, r.ReviewedAt = want, p.UserID, reason, &now
	err = uc.study.tx.InTx(ctx, func(ctx context.Context) error {
		ok, err := uc.store.DecideRecord(ctx, r)
		if err != nil {
			return err
		}
		if !ok {
			return ErrRecordDecided // decided meanwhile
		}
		if !approve {
			return nil
		}
		m, err := uc.study.store.LockMember(ctx, r.MemberID)
		if err != nil {
			return err
		}
		e, err := uc.study.append(ctx, m, Entry{Source: SourceOffline, Seconds: int64(math.Round(r.Hours * 3600)), Day: r.Day,
			Ref: fmt.Sprintf("offline:%d", r.ID), ApprovedBy: p.UserID, RecordedAt: now})
		if err != nil {
			return err
		}
		if err := uc.study.store.SaveMember(ctx, m); err != nil {
			return err
		}
		return uc.study.events.Publish(ctx, HoursCredited{Entry: e})
	})
	if errors.Is(err, ErrRecordDecided) {
		cur, gerr := uc.store.GetRecord(ctx, id)
		if gerr == nil && cur.Status == want {
			return cur, nil
		}
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}
