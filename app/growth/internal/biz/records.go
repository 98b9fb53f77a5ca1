package biz

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/bizerr"
)

// StaffRecord is an award, an evaluation or a discipline staff recorded for a member's file.
type StaffRecord struct {
	ID             int64
	MemberID       int64
	OrgPath        string // the member's org when recorded: staff over it manage the record
	Kind           string
	Title          string
	Outcome        string
	Date           string
	Note           string
	RecordedBy     int64
	RecordedByName string
	CreatedAt      time.Time
	RemovedAt      *time.Time
}

// Kinds of staff records, with their names in the file.
var RecordKinds = map[string]string{
	"award":      "表彰奖励",
	"evaluation": "民主评议",
	"discipline": "纪律处分",
	"other":      "其他",
}

// Limits of a staff record (characters).
const (
	MaxRecordTitle   = 100
	MaxRecordOutcome = 100
	MaxRecordNote    = 500
)

// RecordRepo keeps staff records.
type RecordRepo interface {
	AddRecord(ctx context.Context, r *StaffRecord) (*StaffRecord, error)
	// GetRecord returns a record (removed ones too); ErrNotFound if missing.
	GetRecord(ctx context.Context, id int64) (*StaffRecord, error)
	// RemoveRecord marks a record removed at t; false if it was removed already.
	RemoveRecord(ctx context.Context, id int64, t time.Time) (bool, error)
	// ListRecords lists the member's records not removed, oldest first.
	ListRecords(ctx context.Context, memberID int64) ([]*StaffRecord, error)
}

// Members tells growth where a member belongs now (org's dossier, as the growth service).
type Members interface {
	// OrgPath returns the member's home org path; ErrNotFound for an unknown member.
	OrgPath(ctx context.Context, memberID int64) (string, error)
}

// Orgs resolves an org the caller may see (org's API with the caller's token): ErrNotFound when
// missing or hidden.
type Orgs interface {
	OrgPath(ctx context.Context, orgID int64) (string, error)
}

// AuditEntry is a staff action on a growth file for org's audit log (views, reviews, exports,
// records, compiles on demand).
type AuditEntry struct {
	Key          string
	ActorID      int64
	ActorName    string
	ActorOrgPath string
	Action       string
	TargetType   string
	TargetID     int64
	OrgPath      string
	Summary      string
	After        any
}

// AuditLog records staff actions in the transaction they happen in (pkg/audit/spool delivers
// them to org).
type AuditLog interface {
	Record(ctx context.Context, entries ...AuditEntry) error
}

// staffOver checks that p is staff over the member's current org (never the member themself) and
// returns that org's path; anyone else learns nothing of the member (ErrNotFound).
func (uc *Growth) staffOver(ctx context.Context, p *auth.Principal, memberID int64, what string) (string, error) {
	path, err := uc.members.OrgPath(ctx, memberID)
	if err != nil {
		return "", err
	}
	if !p.CanManageOrg(path) {
		if p.UserID == memberID {
			return "", bizerr.Deny("党员不能" + what + "自己的成长档案")
		}
		return "", ErrNotFound
	}
	if p.UserID == memberID {
		return "", bizerr.Deny("不能" + what + "自己的成长档案")
	}
	return path, nil
}

// AddRecord records an award, evaluation or discipline for the member (staff over the member's
// org); it enters the file with the next compile, which it asks for.
func (uc *Growth) AddRecord(ctx context.Context, r StaffRecord) (*StaffRecord, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	r.Title, r.Outcome, r.Note = strings.TrimSpace(r.Title), strings.TrimSpace(r.Outcome), strings.TrimSpace(r.Note)
	switch {
	case RecordKinds[r.Kind] == "":
		return nil, bizerr.Invalid("kind", "类别应为 award、evaluation、discipline 或 other")
	case r.Title == "":
		return nil, bizerr.Invalid("title", "请填写名称")
	case utf8.RuneCountInString(r.Title) > MaxRecordTitle:
		return nil, bizerr.Invalid("title", "名称最长 %d 字", MaxRecordTitle)
	case utf8.RuneCountInString(r.Outcome) > MaxRecordOutcome:
		return nil, bizerr.Invalid("outcome", "结果最长 %d 字", MaxRecordOutcome)
	case utf8.RuneCountInString(r.Note) > MaxRecordNote:
		return nil, bizerr.Invalid("note", "备注最长 %d 字", MaxRecordNote)
	}
	day, err := time.ParseInLocation(time.DateOnly, r.Date, china)
	if err != nil {
		return nil, bizerr.Invalid("date", "日期格式应为 YYYY-MM-DD")
	}
	if day.After(uc.clock.Now().In(china)) {
		return nil, bizerr.Invalid("date", "日期不能晚于今天")
	}
	path, err := uc.staffOver(ctx, p, r.MemberID, "记录")
	if err != nil {
		return nil, err
	}
	now := uc.clock.Now()
	r.ID, r.OrgPath, r.RecordedBy, r.RecordedByName, r.CreatedAt, r.RemovedAt = 0, path, p.UserID, p.Username, now, nil
	var out *StaffRecord
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		if out, err = uc.records.AddRecord(ctx, &r); err != nil {
			return err
		}
		if err := uc.audit.Record(ctx, uc.entry(p, fmt.Sprintf("growth:record:%d", out.ID), "growth.record", out.MemberID, path,
			fmt.Sprintf("为党员 %d 记录%s「%s」", out.MemberID, RecordKinds[out.Kind], out.Title), out)); err != nil {
			return err
		}
		return uc.mark(ctx, out.MemberID, "record")
	})
	if err != nil {
		return nil, err
	}
	uc.kick(ctx, out.MemberID)
	return out, nil
}

// RemoveRecord removes a record (staff over the member's org when it was recorded, or now).
func (uc *Growth) RemoveRecord(ctx context.Context, id int64) error {
	p, err := auth.Require(ctx)
	if err != nil {
		return err
	}
	r, err := uc.records.GetRecord(ctx, id)
	if err != nil {
		return err
	}
	if r.RemovedAt != nil {
		return nil // removed already: a retry
	}
	if !p.CanManageOrg(r.OrgPath) {
		if _, err := uc.staffOver(ctx, p, r.MemberID, "修改"); err != nil {
			return err
		}
	}
	if p.UserID == r.MemberID {
		return bizerr.Deny("不能修改自己的成长档案")
	}
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		removed, err := uc.records.RemoveRecord(ctx, id, uc.clock.Now())
		if err != nil || !removed {
			return err
		}
		if err := uc.audit.Record(ctx, uc.entry(p, fmt.Sprintf("growth:record.remove:%d", id), "growth.record.remove", r.MemberID,
			r.OrgPath, fmt.Sprintf("删除党员 %d 的%s「%s」", r.MemberID, RecordKinds[r.Kind], r.Title), nil)); err != nil {
			return err
		}
		return uc.mark(ctx, r.MemberID, "record")
	})
	if err != nil {
		return err
	}
	uc.kick(ctx, r.MemberID)
	return nil
}

// ListRecords lists the member's records for staff over the member's org.
func (uc *Growth) ListRecords(ctx context.Context, memberID int64) ([]*StaffRecord, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := uc.staffOver(ctx, p, memberID, "查看"); err != nil {
		return nil, err
	}
	return uc.records.ListRecords(ctx, memberID)
}

func (uc *Growth) entry(p *auth.Principal, key, action string, memberID int64, orgPath, summary string, after any) AuditEntry {
	return AuditEntry{Key: key, ActorID: p.UserID, ActorName: p.Username, ActorOrgPath: p.OrgPath, Action: action,
		TargetType: "growth_file", TargetID: memberID, OrgPath: orgPath, Summary: summary, After: after}
}

// recordsOf are the member's records as the file shows them.
func recordsOf(rs []*StaffRecord) []RecordEntry {
	out := make([]RecordEntry, len(rs))
	for i, r := range rs {
		out[i] = RecordEntry{RecordID: r.ID, Kind: RecordKinds[r.Kind], Title: r.Title, Outcome: r.Outcome, Date: r.Date}
	}
	return out
}
