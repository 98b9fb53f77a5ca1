package biz

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vanguard/vanguard/pkg/auth"
)

// Rule keys an org subtree may tighten: the yearly hours targets per role (seconds) and the
// meetings required per period of each kind.
const (
	RuleTargetMember = "target.member"
	RuleTargetStaff  = "target.staff"
	ruleMeetings     = "meetings."
)

// Target roles: members, and staff (基层党组织书记和班子成员).
const (
	RoleMember = "member"
	RoleStaff  = "staff"
)

// NationalTargets are the national defaults of concentrated study a year: 32 学时 for members
// and 56 for the secretaries and committee members of grass-roots organisations
// (全国党员教育培训工作规划).
var NationalTargets = map[string]time.Duration{RoleMember: 32 * time.Hour, RoleStaff: 56 * time.Hour}

// RuleKeys lists every key in display order.
func RuleKeys() []string {
	keys := []string{RuleTargetMember, RuleTargetStaff}
	for _, r := range NationalRules {
		keys = append(keys, ruleMeetings+r.Kind)
	}
	return keys
}

// TargetKey is the rule key of a role's target.
func TargetKey(role string) string {
	if role == RoleStaff {
		return RuleTargetStaff
	}
	return RuleTargetMember
}

// national returns a key's national value (seconds for targets, a count for meetings).
func national(key string) (int64, bool) {
	switch key {
	case RuleTargetMember:
		return int64(NationalTargets[RoleMember] / time.Second), true
	case RuleTargetStaff:
		return int64(NationalTargets[RoleStaff] / time.Second), true
	}
	for _, r := range NationalRules {
		if key == ruleMeetings+r.Kind {
			return int64(r.Min), true
		}
	}
	return 0, false
}

// OrgRule is a value an org set for its subtree.
type OrgRule struct {
	OrgID   int64
	OrgPath string
	Key     string
	Value   int64
	SetBy   int64
	SetAt   time.Time
}

// RuleStore keeps the rules orgs set.
type RuleStore interface {
	// Rules returns the rules set at any of the paths.
	Rules(ctx context.Context, paths []string) ([]OrgRule, error)
	// SaveRule sets (Value > 0) or clears (Value 0) the org's rule.
	SaveRule(ctx context.Context, r OrgRule) error
}

// RuleSet answers the effective value of a key at a path from the national default and the rules
// of the path's ancestors: the strictest (largest) wins, so a subtree can only tighten.
type RuleSet []OrgRule

// Effective is the value in force at path.
func (rs RuleSet) Effective(path, key string) int64 {
	v, _ := national(key)
	for _, r := range rs {
		if r.Key == key && strings.HasPrefix(path, r.OrgPath) && r.Value > v {
			v = r.Value
		}
	}
	return v
}

// inherited is the value in force at path from above it (its ancestors and the national default).
func (rs RuleSet) inherited(path, key string) int64 {
	v, _ := national(key)
	for _, r := range rs {
		if r.Key == key && r.OrgPath != path && strings.HasPrefix(path, r.OrgPath) && r.Value > v {
			v = r.Value
		}
	}
	return v
}

// frequencies returns the meeting rules in force at path.
func (rs RuleSet) frequencies(path string) []FrequencyRule {
	out := slices.Clone(NationalRules)
	for i := range out {
		out[i].Min = int(rs.Effective(path, ruleMeetings+out[i].Kind))
	}
	return out
}

// RuleView is one key as an org sees it.
type RuleView struct {
	Key       string
	National  int64
	Inherited int64 // in force from above the org
	Here      int64 // set by the org itself (0: not set)
	Effective int64
}

// Rules is the use case of the rules orgs set for their subtrees.
type Rules struct {
	study *Study
	orgs  Orgs
}

// NewRules wires the use case on the study use case (its store and accounts).
func NewRules(study *Study, orgs Orgs) *Rules {
	return &Rules{study: study, orgs: orgs}
}

// ruleSet returns the rules that bear on the paths (theirs and their ancestors').
func (uc *Study) ruleSet(ctx context.Context, paths ...string) (RuleSet, error) {
	rs, err := uc.store.Rules(ctx, auth.AncestorPathsOf(paths...))
	return RuleSet(rs), err
}

// managed returns the org if the caller manages it.
func (uc *Rules) managed(ctx context.Context, orgID int64, what string) (*Org, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	org, err := uc.orgs.Org(ctx, orgID)
	if err != nil {
		return nil, err
	}
	if !p.CanManageOrg(org.Path) {
		return nil, deny("只有本组织及上级组织的管理员能" + what)
	}
	return org, nil
}

// List returns every key as it stands for the org, for staff over it.
func (uc *Rules) List(ctx context.Context, orgID int64) ([]RuleView, error) {
	org, err := uc.managed(ctx, orgID, "查看学习要求")
	if err != nil {
		return nil, err
	}
	rs, err := uc.study.ruleSet(ctx, org.Path)
	if err != nil {
		return nil, err
	}
	out := make([]RuleView, 0, len(RuleKeys()))
	for _, k := range RuleKeys() {
		v := RuleView{Key: k, Inherited: rs.inherited(org.Path, k), Effective: rs.Effective(org.Path, k)}
		v.National, _ = national(k)
		for _, r := range rs {
			if r.Key == k && r.OrgPath == org.Path {
				v.Here = r.Value
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// MaxTargetHours bounds a yearly target; MaxMeetingsPerPeriod a meeting frequency.
const (
	MaxTargetHours       = 500
	MaxMeetingsPerPeriod = 10
)

// Set sets (value > 0) or clears (0) the org's value of key for its subtree, for staff over the
// org. A value below what is in force from above is refused: a subtree may only tighten.
// Targets are in seconds, meeting frequencies a count per period.
func (uc *Rules) Set(ctx context.Context, orgID int64, key string, value int64) ([]RuleView, error) {
	if _, ok := national(key); !ok {
		return nil, Invalid("key", "未知的规则")
	}
	isTarget := strings.HasPrefix(key, "target.")
	switch {
	case value < 0:
		return nil, Invalid("value", "不能为负数")
	case isTarget && value > MaxTargetHours*3600:
		return nil, Invalid("value", fmt.Sprintf("年度学时目标不能超过 %d 学时", MaxTargetHours))
	case isTarget && value%60 != 0:
		return nil, Invalid("value", "年度学时目标应为整分钟")
	case !isTarget && value > MaxMeetingsPerPeriod:
		return nil, Invalid("value", fmt.Sprintf("每期会议次数不能超过 %d", MaxMeetingsPerPeriod))
	}
	p, _ := auth.FromContext(ctx)
	org, err := uc.managed(ctx, orgID, "设置学习要求")
	if err != nil {
		return nil, err
	}
	rs, err := uc.study.ruleSet(ctx, org.Path)
	if err != nil {
		return nil, err
	}
	if inh := rs.inherited(org.Path, key); value > 0 && value < inh {
		if isTarget {
			return nil, Invalid("value", fmt.Sprintf("只能从严：不能低于上级要求的 %s 学时", hoursText(inh)))
		}
		return nil, Invalid("value", fmt.Sprintf("只能从严：不能少于上级要求的每期 %d 次", inh))
	}
	if err := uc.study.store.SaveRule(ctx, OrgRule{OrgID: org.ID, OrgPath: org.Path, Key: key, Value: value, SetBy: p.UserID,
		SetAt: uc.study.clock.Now().UTC()}); err != nil {
		return nil, err
	}
	return uc.List(ctx, orgID)
}

// hoursText prints seconds as hours with at most one decimal.
func hoursText(sec int64) string {
	return strings.TrimSuffix(fmt.Sprintf("%.1f", float64(sec)/3600), ".0")
}
