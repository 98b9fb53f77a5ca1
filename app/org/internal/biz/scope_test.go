package biz

import (
	"testing"

	"github.com/vanguard/vanguard/pkg/auth"
)

// Principals and paths of a small tree:
//
//	/1/ root ── /1/2/ A ── /1/2/4/ A1 (child of A)
//	        ├── /1/3/ B (sibling of A)
//	        └── /1/20/ C (prefix trap: "/1/2/" is a string prefix of "/1/20/" only without the slash)
var (
	pAdmin   = &auth.Principal{UserID: 1, Roles: []string{auth.RoleAdmin}, OrgPath: "/1/2/4/"}
	pStaffA  = &auth.Principal{UserID: 2, Roles: []string{auth.RoleStaff}, OrgPath: "/1/2/"}
	pStaffP  = &auth.Principal{UserID: 3, Roles: []string{auth.RoleStaff}, OrgPath: "/1/"}
	pStaffB  = &auth.Principal{UserID: 4, Roles: []string{auth.RoleStaff}, OrgPath: "/1/3/"}
	pStaffA1 = &auth.Principal{UserID: 5, Roles: []string{auth.RoleStaff}, OrgPath: "/1/2/4/"}
	pTrainer = &auth.Principal{UserID: 6, Roles: []string{auth.RoleTrainer}, OrgPath: "/1/2/"}
	pMember  = &auth.Principal{UserID: 7, Roles: []string{auth.RoleMember}, OrgPath: "/1/2/"}
)

const (
	pathRoot = "/1/"
	pathA    = "/1/2/"
	pathA1   = "/1/2/4/"
	pathB    = "/1/3/"
	pathC    = "/1/20/"
)

func TestCanGrant(t *testing.T) {
	tests := []struct {
		name string
		p    *auth.Principal
		role string
		path string
		want bool
	}{
		{"admin grants admin anywhere", pAdmin, auth.RoleAdmin, pathB, true},
		{"admin grants staff in own org", pAdmin, auth.RoleStaff, pathA1, true},
		{"staff of parent grants staff in child", pStaffP, auth.RoleStaff, pathA, true},
		{"staff of parent grants member in child", pStaffP, auth.RoleMember, pathA, true},
		{"staff grants member in own org", pStaffA, auth.RoleMember, pathA, true},
		{"staff grants trainer in own org", pStaffA, auth.RoleTrainer, pathA, true},
		{"staff cannot grant staff in own org", pStaffA, auth.RoleStaff, pathA, false},
		{"staff grants staff in child org", pStaffA, auth.RoleStaff, pathA1, true},
		{"staff cannot grant admin even below", pStaffA, auth.RoleAdmin, pathA1, false},
		{"staff cannot grant unknown role", pStaffA, "root", pathA1, false},
		{"staff of sibling cannot grant member", pStaffB, auth.RoleMember, pathA, false},
		{"staff of child cannot grant in parent", pStaffA1, auth.RoleMember, pathA, false},
		{"staff cannot grant in parent", pStaffA, auth.RoleMember, pathRoot, false},
		{"prefix trap /1/2/ vs /1/20/", pStaffA, auth.RoleMember, pathC, false},
		{"trainer cannot grant member", pTrainer, auth.RoleMember, pathA, false},
		{"member cannot grant member", pMember, auth.RoleMember, pathA, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := canGrant(tt.p, tt.role, tt.path); got != tt.want {
				t.Errorf("canGrant(%v, %q, %q) = %v, want %v", tt.p.Roles, tt.role, tt.path, got, tt.want)
			}
		})
	}
}

func TestCanManageAccount(t *testing.T) {
	acc := func(id int64, path string, roles ...string) *Account {
		return &Account{ID: id, OrgPath: path, Roles: roles}
	}
	tests := []struct {
		name string
		p    *auth.Principal
		a    *Account
		want bool
	}{
		{"admin manages admin", pAdmin, acc(100, pathB, auth.RoleAdmin), true},
		{"admin manages self", pAdmin, acc(pAdmin.UserID, pathA1, auth.RoleAdmin), true},
		{"staff manages member in own org", pStaffA, acc(100, pathA, auth.RoleMember), true},
		{"staff manages trainer in own org", pStaffA, acc(100, pathA, auth.RoleTrainer), true},
		{"staff manages member in child org", pStaffA, acc(100, pathA1, auth.RoleMember), true},
		{"staff manages staff of child org", pStaffA, acc(100, pathA1, auth.RoleStaff), true},
		{"staff of parent manages staff of child", pStaffP, acc(100, pathA, auth.RoleStaff, auth.RoleMember), true},
		{"staff cannot manage staff of same org", pStaffA, acc(100, pathA, auth.RoleStaff), false},
		{"staff cannot manage admin below", pStaffA, acc(100, pathA1, auth.RoleAdmin), false},
		{"staff cannot manage self", pStaffA, acc(pStaffA.UserID, pathA, auth.RoleStaff), false},
		{"staff cannot manage self even if stored roles changed", pStaffA, acc(pStaffA.UserID, pathA, auth.RoleMember), false},
		{"staff of sibling cannot manage member", pStaffB, acc(100, pathA, auth.RoleMember), false},
		{"staff of child cannot manage member of parent", pStaffA1, acc(100, pathA, auth.RoleMember), false},
		{"staff cannot manage member in parent org", pStaffA, acc(100, pathRoot, auth.RoleMember), false},
		{"prefix trap /1/2/ vs /1/20/", pStaffA, acc(100, pathC, auth.RoleMember), false},
		{"trainer cannot manage member", pTrainer, acc(100, pathA, auth.RoleMember), false},
		{"member cannot manage member", pMember, acc(100, pathA, auth.RoleMember), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := canManageAccount(tt.p, tt.a); got != tt.want {
				t.Errorf("canManageAccount(%v@%s, %v@%s) = %v, want %v", tt.p.Roles, tt.p.OrgPath, tt.a.Roles, tt.a.OrgPath, got, tt.want)
			}
		})
	}
}

func TestCanSeeOrg(t *testing.T) {
	pMemberA1 := &auth.Principal{UserID: 8, Roles: []string{auth.RoleMember}, OrgPath: pathA1}
	tests := []struct {
		name string
		p    *auth.Principal
		path string
		want bool
	}{
		{"admin sees sibling tree", pAdmin, pathB, true},
		{"admin sees root", pAdmin, pathRoot, true},
		{"staff sees own org", pStaffA, pathA, true},
		{"staff sees child", pStaffA, pathA1, true},
		{"staff sees parent (ancestry)", pStaffA, pathRoot, true},
		{"staff does not see sibling", pStaffA, pathB, false},
		{"staff does not see /1/20/ (prefix trap)", pStaffA, pathC, false},
		{"staff of child sees parent", pStaffA1, pathA, true},
		{"staff of child does not see parent's sibling", pStaffA1, pathB, false},
		{"staff of sibling does not see A", pStaffB, pathA, false},
		{"trainer sees child", pTrainer, pathA1, true},
		{"trainer does not see sibling", pTrainer, pathB, false},
		{"member sees own org", pMember, pathA, true},
		{"member sees ancestor", pMember, pathRoot, true},
		{"member does not see child", pMember, pathA1, false},
		{"member does not see sibling", pMember, pathB, false},
		{"member of child sees every ancestor", pMemberA1, pathRoot, true},
		{"member of child does not see parent's other child", pMemberA1, "/1/2/6/", false},
		{"empty path is never visible to non-admins", pStaffA, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := canSeeOrg(tt.p, tt.path); got != tt.want {
				t.Errorf("canSeeOrg(%v@%s, %q) = %v, want %v", tt.p.Roles, tt.p.OrgPath, tt.path, got, tt.want)
			}
		})
	}
}

func TestOrgTypeCanContain(t *testing.T) {
	tests := []struct {
		parent, child OrgType
		want          bool
	}{
		{OrgCommittee, OrgCommittee, true},
		{OrgCommittee, OrgGeneralBranch, true},
		{OrgCommittee, OrgBranch, true},
		{OrgGeneralBranch, OrgCommittee, false},
		{OrgGeneralBranch, OrgGeneralBranch, false},
		{OrgGeneralBranch, OrgBranch, true},
		{OrgBranch, OrgCommittee, false},
		{OrgBranch, OrgGeneralBranch, false},
		{OrgBranch, OrgBranch, false},
		{OrgType("bogus"), OrgBranch, false},
	}
	for _, tt := range tests {
		t.Run(string(tt.parent)+"/"+string(tt.child), func(t *testing.T) {
			if got := tt.parent.CanContain(tt.child); got != tt.want {
				t.Errorf("%s.CanContain(%s) = %v, want %v", tt.parent, tt.child, got, tt.want)
			}
		})
	}
}

func TestOrgTypeValidAndLabel(t *testing.T) {
	tests := []struct {
		t     OrgType
		valid bool
		label string
	}{
		{OrgCommittee, true, "党委"},
		{OrgGeneralBranch, true, "党总支"},
		{OrgBranch, true, "党支部"},
		{"", false, ""},
		{"party", false, "party"},
	}
	for _, tt := range tests {
		if got := tt.t.Valid(); got != tt.valid {
			t.Errorf("%q.Valid() = %v, want %v", tt.t, got, tt.valid)
		}
		if got := tt.t.Label(); got != tt.label {
			t.Errorf("%q.Label() = %q, want %q", tt.t, got, tt.label)
		}
	}
}
