package biz

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/clock"
)

// AuditEntry is one recorded change. Before and After are any JSON-encodable summary.
type AuditEntry struct {
	ID         int64
	ActorID    int64
	ActorName  string
	Action     string
	TargetType string
	TargetID   int64
	OrgPath    string
	Summary    string
	Before     any
	After      any
	CreatedAt  time.Time
}

// AuditServiceOrg is the Service of the entries org records itself.
const AuditServiceOrg = "org"

// AuditRecord is a stored audit entry with its summaries as JSON text.
type AuditRecord struct {
	ID           int64
	ActorID      int64
	ActorName    string
	ActorOrgPath string
	Action       string
	TargetType   string
	TargetID     int64
	OrgPath      string
	Summary      string
	Before       string
	After        string
	CreatedAt    time.Time
	// Service recorded the entry: AuditServiceOrg, or the service that appended it.
	Service string
	// Key is the idempotency key of an appended entry ("<service>:<op>:<id>"); empty for org's
	// own entries.
	Key string
}

// AuditFilter selects audit records.
type AuditFilter struct {
	PathPrefix string
	ActorID    int64
	Action     string
	BeforeID   int64 // page cursor: entries with smaller ids (newest first)
	Limit      int
}

// AuditRepo stores the audit log.
type AuditRepo interface {
	Add(ctx context.Context, r *AuditRecord) error
	// AddOnce adds, atomically, the records whose Key is not stored yet (every record has a Key)
	// and reports how many were new.
	AddOnce(ctx context.Context, rs []*AuditRecord) (added int, err error)
	List(ctx context.Context, f AuditFilter) ([]*AuditRecord, error)
}

// Auditor writes audit entries inside the caller's transaction, stamped with the principal.
type Auditor struct {
	repo  AuditRepo
	orgs  OrgRepo
	clock clock.Clock
}

// NewAuditor wires an Auditor.
func NewAuditor(repo AuditRepo, orgs OrgRepo, clk clock.Clock) *Auditor {
	return &Auditor{repo: repo, orgs: orgs, clock: clk}
}

// Record stores e with the actor taken from the context.
func (a *Auditor) Record(ctx context.Context, e AuditEntry) error {
	r := &AuditRecord{
		Action: e.Action, TargetType: e.TargetType, TargetID: e.TargetID, OrgPath: e.OrgPath,
		Summary: truncate(e.Summary, MaxAuditSummary), CreatedAt: a.clock.Now(), Service: AuditServiceOrg,
	}
	if p, ok := auth.FromContext(ctx); ok {
		r.ActorID, r.ActorName, r.ActorOrgPath = p.UserID, p.Username, p.OrgPath
	} else {
		r.ActorName = "system"
	}
	for _, s := range []struct {
		v   any
		dst *string
	}{{e.Before, &r.Before}, {e.After, &r.After}} {
		if s.v == nil {
			continue
		}
		b, err := json.Marshal(s.v)
		if err != nil {
			return err
		}
		*s.dst = string(b)
	}
	return a.repo.Add(ctx, r)
}

// List returns audit entries newest first: admins see all, staff their subtree only.
func (a *Auditor) List(ctx context.Context, orgID int64, f AuditFilter) ([]*AuditRecord, error) {
	p, err := requireHome(ctx)
	if err != nil {
		return nil, err
	}
	if !p.IsAdmin() && !p.HasRole(auth.RoleStaff) {
		return nil, deny("无权查看审计日志")
	}
	f.PathPrefix = ""
	if !p.IsAdmin() {
		f.PathPrefix = p.OrgPath
	}
	if orgID != 0 {
		org, err := a.orgs.Get(ctx, orgID)
		if err != nil {
			return nil, err
		}
		if !p.CanManageOrg(org.Path) {
			if canSeeOrg(p, org.Path) {
				return nil, deny("无权查看该组织的审计日志")
			}
			return nil, ErrOrgNotFound
		}
		f.PathPrefix = org.Path
	}
	f.Limit = clampLimit(f.Limit, 50, 500)
	return a.repo.List(ctx, f)
}

// AppendResult says what an Append did.
type AppendResult struct {
	Appended   int // new entries
	Duplicates int // entries whose key had been appended before (or came twice)
}

var (
	auditKey    = regexp.MustCompile(`^[a-z][a-z0-9]{1,31}:[!-~]+$`)
	auditName   = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$`)
	auditTarget = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	orgPath     = regexp.MustCompile(`^/([0-9]+/)+$`)
)

// MaxAppend is the most entries one Append takes.
const MaxAppend = 100

// Append records staff actions another service reports (api/org/v1 Audit), stamped with the
// calling service from its service token. Each entry's Key must start with "<service>:"; an
// entry whose key is already stored is skipped (a retried append records nothing twice). Bad
// input is refused before anything is written, naming the entry and field; the new entries are
// written in one statement, so an append is all or nothing.
func (a *Auditor) Append(ctx context.Context, entries []*AuditRecord) (*AppendResult, error) {
	svc, err := auth.RequireService(ctx)
	if err != nil {
		return nil, err
	}
	if len(entries) == 0 || len(entries) > MaxAppend {
		return nil, Invalid("entries", "每次须追加 1 至 %d 条审计记录", MaxAppend)
	}
	now := a.clock.Now()
	seen := make(map[string]bool, len(entries))
	res := &AppendResult{}
	var fresh []*AuditRecord
	for i, e := range entries {
		if err := checkAppended(svc, e); err != nil {
			return nil, prefixField(fmt.Sprintf("entries[%d].", i), err)
		}
		if seen[e.Key] {
			res.Duplicates++
			continue
		}
		seen[e.Key] = true
		r := *e
		r.ID, r.Service, r.CreatedAt = 0, svc, now
		fresh = append(fresh, &r)
	}
	added, err := a.repo.AddOnce(ctx, fresh)
	if err != nil {
		return nil, err
	}
	res.Appended, res.Duplicates = added, res.Duplicates+len(fresh)-added
	return res, nil
}

// checkAppended checks an appended entry field by field (the API rules check the same; this
// keeps the biz rule whoever calls it).
func checkAppended(svc string, e *AuditRecord) error {
	chars := utf8.RuneCountInString
	switch {
	case !auditKey.MatchString(e.Key) || len(e.Key) > MaxAuditKey:
		return Invalid("key", "幂等键格式应为 <服务>:<操作>:<编号>，且不超过 %d 个字符", MaxAuditKey)
	case !strings.HasPrefix(e.Key, svc+":"):
		return Invalid("key", "幂等键须以调用服务名 %s: 开头", svc)
	case e.ActorID <= 0:
		return Invalid("actor_id", "须指明操作人")
	case strings.TrimSpace(e.ActorName) == "" || chars(e.ActorName) > MaxUsername:
		return Invalid("actor_name", "操作人用户名不能为空，且不超过 %d 个字符", MaxUsername)
	case !orgPath.MatchString(e.ActorOrgPath) || len(e.ActorOrgPath) > MaxPath:
		return Invalid("actor_org_path", "操作人所属组织路径无效")
	case !auditName.MatchString(e.Action) || len(e.Action) > MaxAuditAction:
		return Invalid("action", "操作名称无效（如 exam.regrade），且不超过 %d 个字符", MaxAuditAction)
	case !auditTarget.MatchString(e.TargetType) || len(e.TargetType) > MaxAuditTargetType:
		return Invalid("target_type", "对象类型无效（如 exam），且不超过 %d 个字符", MaxAuditTargetType)
	case e.TargetID < 0:
		return Invalid("target_id", "对象编号无效")
	case !orgPath.MatchString(e.OrgPath) || len(e.OrgPath) > MaxPath:
		return Invalid("org_path", "对象所属组织路径无效")
	case chars(e.Summary) > MaxAuditSummary:
		return Invalid("summary", "摘要不能超过 %d 个字符", MaxAuditSummary)
	}
	for _, j := range []struct{ name, v string }{{"before", e.Before}, {"after", e.After}} {
		if j.v != "" && (chars(j.v) > MaxAuditJSON || !json.Valid([]byte(j.v))) {
			return Invalid(j.name, "须为不超过 %d 个字符的 JSON", MaxAuditJSON)
		}
	}
	return nil
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// prefixField names the request field of a nested FieldError ("entries[2]." + "key").
func prefixField(prefix string, err error) error {
	if fe, ok := errors.AsType[*FieldError](err); ok {
		return &FieldError{Field: prefix + fe.Field, Reason: fe.Reason}
	}
	return err
}
