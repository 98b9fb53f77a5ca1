package biz

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vanguard/vanguard/pkg/auth"
)

// OrgType is the level of an organisation.
type OrgType string

// Organisation levels, from top to bottom.
const (
	OrgCommittee     OrgType = "committee"      // 党委 / 党工委
	OrgGeneralBranch OrgType = "general_branch" // 党总支
	OrgBranch        OrgType = "branch"         // 党支部
)

// Valid reports whether t is a known level.
func (t OrgType) Valid() bool {
	return t == OrgCommittee || t == OrgGeneralBranch || t == OrgBranch
}

// Label is the Chinese name of the level.
func (t OrgType) Label() string {
	switch t {
	case OrgCommittee:
		return "党委"
	case OrgGeneralBranch:
		return "党总支"
	case OrgBranch:
		return "党支部"
	}
	return string(t)
}

// CanContain reports whether an org of type t may have a child of type child: committees hold
// committees, general branches and branches; general branches hold branches; branches hold none.
func (t OrgType) CanContain(child OrgType) bool {
	switch t {
	case OrgCommittee:
		return true
	case OrgGeneralBranch:
		return child == OrgBranch
	}
	return false
}

// Org is one organisation in the tree.
type Org struct {
	ID       int64
	ParentID int64
	Name     string
	Code     string
	Type     OrgType
	// Path is the materialised path of ids ("/1/4/9/"); every descendant's path starts with it.
	Path  string
	Depth int
	// A temporary branch (临时党支部), for a project, from StartsOn to EndsOn (YYYY-MM-DD,
	// inclusive): its members keep their home branch and belong to it besides.
	Temporary        bool
	StartsOn, EndsOn string
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// ActiveOn reports whether a temporary branch runs on day (YYYY-MM-DD); other orgs always do.
func (o *Org) ActiveOn(day string) bool {
	return !o.Temporary || (o.StartsOn <= day && day <= o.EndsOn)
}

// NewOrg is what is needed to create an org; the repo assigns id, path and depth.
type NewOrg struct {
	ParentID int64
	Name     string
	Code     string
	Type     OrgType
	// Temporary branches have dates; see Org.
	Temporary        bool
	StartsOn, EndsOn string
}

// OrgRepo stores the organisation tree.
type OrgRepo interface {
	// Create inserts orgs whose parents already exist (ParentID 0: root) and returns them with ids
	// and paths, in input order.
	Create(ctx context.Context, orgs []NewOrg) ([]*Org, error)
	Get(ctx context.Context, id int64) (*Org, error)
	// GetByCodes returns the orgs with the given codes, keyed by code; missing codes are absent.
	GetByCodes(ctx context.Context, codes []string) (map[string]*Org, error)
	// GetMany returns the orgs with the given ids, keyed by id; missing ids are absent.
	GetMany(ctx context.Context, ids []int64) (map[int64]*Org, error)
	Update(ctx context.Context, id int64, name, code *string) (*Org, error)
	Delete(ctx context.Context, id int64) error
	CountChildren(ctx context.Context, id int64) (int, error)
	// ListSubtree lists orgs whose path starts with pathPrefix ("" = all), ordered by path, after
	// the given path, at most limit; total counts the whole subtree.
	ListSubtree(ctx context.Context, pathPrefix, afterPath string, limit int) (orgs []*Org, total int, err error)
	// Count returns the number of orgs.
	Count(ctx context.Context) (int, error)
}

// OrgUsecase manages the organisation tree under the caller's scope.
type OrgUsecase struct {
	orgs     OrgRepo
	accounts AccountRepo
	audit    *Auditor
	tx       Transaction
}

// NewOrgUsecase wires an OrgUsecase.
func NewOrgUsecase(orgs OrgRepo, accounts AccountRepo, audit *Auditor, tx Transaction) *OrgUsecase {
	return &OrgUsecase{orgs: orgs, accounts: accounts, audit: audit, tx: tx}
}

// Create adds an org under parentID (0: a new root, admins only).
func (uc *OrgUsecase) Create(ctx context.Context, in NewOrg) (*Org, error) {
	p, err := requireHome(ctx)
	if err != nil {
		return nil, err
	}
	in.Name = strings.TrimSpace(in.Name)
	in.Code = strings.TrimSpace(in.Code)
	if err := validateOrgFields(&in.Name, &in.Code); err != nil {
		return nil, err
	}
	if !in.Type.Valid() {
		return nil, Invalid("type", "组织类型无效")
	}
	if err := validateTemporary(&in); err != nil {
		return nil, err
	}
	var created *Org
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		if in.ParentID == 0 {
			if !p.IsAdmin() {
				return deny("只有系统管理员可以创建顶级组织")
			}
		} else {
			parent, err := uc.orgs.Get(ctx, in.ParentID)
			if err != nil {
				return err
			}
			if !p.CanManageOrg(parent.Path) {
				if canSeeOrg(p, parent.Path) {
					return deny("无权在该组织下创建下级组织")
				}
				return ErrOrgNotFound
			}
			if !parent.Type.CanContain(in.Type) {
				return &HierarchyError{Msg: parent.Type.Label() + "下不能设立" + in.Type.Label()}
			}
		}
		orgs, err := uc.orgs.Create(ctx, []NewOrg{in})
		if err != nil {
			return err
		}
		created = orgs[0]
		return uc.audit.Record(ctx, AuditEntry{
			Action: "org.create", TargetType: "org", TargetID: created.ID, OrgPath: created.Path,
			Summary: "创建组织 " + created.Name + "（" + created.Code + "）", After: created,
		})
	})
	return created, err
}

// Get returns an org the caller may see: admins any, staff and trainers their subtree, everyone
// their own org and its ancestors. Others get ErrOrgNotFound so existence does not leak.
func (uc *OrgUsecase) Get(ctx context.Context, id int64) (*Org, error) {
	p, err := requireHome(ctx)
	if err != nil {
		return nil, err
	}
	o, err := uc.orgs.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if !canSeeOrg(p, o.Path) {
		return nil, ErrOrgNotFound
	}
	return o, nil
}

// validateOrgFields checks a trimmed name and code (nil: not being set).
func validateOrgFields(name, code *string) error {
	if name != nil && (*name == "" || utf8.RuneCountInString(*name) > MaxOrgName) {
		return Invalid("name", "组织名称不能为空，最长%d字", MaxOrgName)
	}
	if code != nil && !codePattern.MatchString(*code) {
		return Invalid("code", "组织编码只能包含字母、数字、下划线或短横线，最长%d位", MaxOrgCode)
	}
	return nil
}

func canSeeOrg(p *auth.Principal, path string) bool {
	if p.IsAdmin() || p.InAncestry(path) {
		return true
	}
	return (p.HasRole(auth.RoleStaff) || p.HasRole(auth.RoleTrainer)) && p.InSubtree(path)
}

// Update renames an org or changes its code.
func (uc *OrgUsecase) Update(ctx context.Context, id int64, name, code *string) (*Org, error) {
	p, err := requireHome(ctx)
	if err != nil {
		return nil, err
	}
	if name != nil {
		n := strings.TrimSpace(*name)
		name = &n
	}
	if code != nil {
		c := strings.TrimSpace(*code)
		code = &c
	}
	if err := validateOrgFields(name, code); err != nil {
		return nil, err
	}
	var updated *Org
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		before, err := uc.orgs.Get(ctx, id)
		if err != nil {
			return err
		}
		if !p.CanManageOrg(before.Path) {
			if canSeeOrg(p, before.Path) {
				return deny("无权修改该组织")
			}
			return ErrOrgNotFound
		}
		updated, err = uc.orgs.Update(ctx, id, name, code)
		if err != nil {
			return err
		}
		return uc.audit.Record(ctx, AuditEntry{
			Action: "org.update", TargetType: "org", TargetID: id, OrgPath: updated.Path,
			Summary: "修改组织 " + updated.Name, Before: before, After: updated,
		})
	})
	return updated, err
}

// Delete removes an empty org (no children, no accounts). Staff cannot delete their own org.
func (uc *OrgUsecase) Delete(ctx context.Context, id int64) error {
	p, err := requireHome(ctx)
	if err != nil {
		return err
	}
	return uc.tx.InTx(ctx, func(ctx context.Context) error {
		o, err := uc.orgs.Get(ctx, id)
		if err != nil {
			return err
		}
		if !p.CanManageOrg(o.Path) || (!p.IsAdmin() && o.Path == p.OrgPath) {
			if canSeeOrg(p, o.Path) {
				return deny("无权删除该组织")
			}
			return ErrOrgNotFound
		}
		n, err := uc.orgs.CountChildren(ctx, id)
		if err != nil {
			return err
		}
		m, err := uc.accounts.CountInOrg(ctx, id)
		if err != nil {
			return err
		}
		if n > 0 || m > 0 {
			return ErrOrgNotEmpty
		}
		if err := uc.orgs.Delete(ctx, id); err != nil {
			return err
		}
		return uc.audit.Record(ctx, AuditEntry{
			Action: "org.delete", TargetType: "org", TargetID: id, OrgPath: o.Path,
			Summary: "删除组织 " + o.Name + "（" + o.Code + "）", Before: o,
		})
	})
}

// List returns a page of the subtree under rootID (0: the caller's scope), ordered by path.
func (uc *OrgUsecase) List(ctx context.Context, rootID int64, after string, limit int) ([]*Org, int, error) {
	p, err := requireHome(ctx)
	if err != nil {
		return nil, 0, err
	}
	if !p.IsAdmin() && !p.HasRole(auth.RoleStaff) && !p.HasRole(auth.RoleTrainer) {
		return nil, 0, deny("无权查看组织列表")
	}
	prefix := ""
	if !p.IsAdmin() {
		prefix = p.OrgPath
	}
	if rootID != 0 {
		root, err := uc.orgs.Get(ctx, rootID)
		if err != nil {
			return nil, 0, err
		}
		if !p.IsAdmin() && !p.InSubtree(root.Path) {
			return nil, 0, ErrOrgNotFound
		}
		prefix = root.Path
	}
	return uc.orgs.ListSubtree(ctx, prefix, after, clampLimit(limit, 100, 1000))
}

func clampLimit(limit, def, max int) int {
	if limit <= 0 {
		return def
	}
	if limit > max {
		return max
	}
	return limit
}

// validateTemporary checks a temporary branch's kind, parent and dates; other orgs have no dates.
func validateTemporary(in *NewOrg) error {
	if !in.Temporary {
		if in.StartsOn != "" || in.EndsOn != "" {
			return Invalid("starts_on", "只有临时党支部有起止日期")
		}
		return nil
	}
	switch {
	case in.Type != OrgBranch:
		return Invalid("type", "临时党支部的类型须为党支部")
	case in.ParentID == 0:
		return Invalid("parent_id", "临时党支部须设在上级党组织之下")
	}
	if _, err := ParseDate(in.StartsOn); err != nil {
		return Invalid("starts_on", "日期格式应为 YYYY-MM-DD")
	}
	if _, err := ParseDate(in.EndsOn); err != nil {
		return Invalid("ends_on", "日期格式应为 YYYY-MM-DD")
	}
	if in.EndsOn < in.StartsOn {
		return Invalid("ends_on", "结束日期不能早于开始日期")
	}
	return nil
}
