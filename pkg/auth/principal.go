// Package auth carries the signed-in principal through the context and decides whether a
// principal may act on a resource that belongs to an organisation. It depends on the standard
// library only and returns the shared domain errors of pkg/bizerr, so biz packages use it
// freely; verifying tokens and the Kratos middleware live in pkg/authn.
//
// Every service uses the same rules: admins act everywhere; staff act on their own org subtree;
// trainers and members follow per-service rules built from the same helpers.
package auth

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vanguard/vanguard/pkg/bizerr"
)

// AccessTTL is how long an access token is valid.
const AccessTTL = 15 * time.Minute

// RevocationTTL is how long a revocation must be remembered: after it, every access token it
// covers has expired (access lifetime plus the verifiers' leeway, with a margin for clock skew).
const RevocationTTL = AccessTTL + time.Minute

// Revocation says that the access tokens of UserID signed with a session version below Version
// are invalid. At is when org recorded it (by org's clock). See pkg/authn for how every
// process applies it.
type Revocation struct {
	UserID  int64     `json:"uid"`
	Version int64     `json:"ver"`
	At      time.Time `json:"at"`
}

var serviceName = regexp.MustCompile(`^[a-z][a-z0-9]{1,31}$`)

// ValidServiceName reports whether name can name a service ("quiz", "studyhour" …).
func ValidServiceName(name string) bool { return serviceName.MatchString(name) }

// Role names as they appear in tokens.
const (
	RoleAdmin   = "admin"
	RoleStaff   = "staff"
	RoleTrainer = "trainer"
	RoleMember  = "member"
)

// Principal is the authenticated caller, taken from a verified access token.
type Principal struct {
	UserID   int64
	Username string
	Roles    []string
	OrgID    int64
	// OrgPath is the materialised path of the caller's primary org (home branch), e.g. "/1/4/9/".
	OrgPath string
	// TempPaths are the paths of the temporary branches (临时党支部) the caller belongs to today,
	// besides the home branch: what is assigned to them (and their ancestors) reaches the caller,
	// and their meetings count the caller as a member.
	TempPaths []string
	// TempStaffPaths are the temporary branches the caller serves as staff: the caller manages
	// what is recorded there (their meetings, their assignments), nothing of the members' home
	// branches.
	TempStaffPaths []string
	// TokenID is the jti of the access token, for logs.
	TokenID string
	// SessionVersion is the account's session version the token was signed with; a revocation
	// raises it (see Revocation).
	SessionVersion int64
	// Service is the calling service's name when the token is a service credential (then the
	// user fields are empty and it holds no role); empty for users.
	Service string
}

// IsService reports whether the principal is a service, not a user.
func (p *Principal) IsService() bool { return p != nil && p.Service != "" }

// HasRole reports whether the principal holds role.
func (p *Principal) HasRole(role string) bool {
	return p != nil && slices.Contains(p.Roles, role)
}

// IsStaff reports whether the principal is staff somewhere: of their own org's subtree (the
// staff role) or of a temporary branch. Where they may act is CanManageOrg's answer.
func (p *Principal) IsStaff() bool {
	return p.HasRole(RoleStaff) || (p != nil && len(p.TempStaffPaths) > 0)
}

// IsAdmin reports whether the principal is an admin.
func (p *Principal) IsAdmin() bool { return p.HasRole(RoleAdmin) }

// InSubtree reports whether path lies in the principal's own org subtree (its org or below).
func (p *Principal) InSubtree(path string) bool {
	return p != nil && p.OrgPath != "" && strings.HasPrefix(path, p.OrgPath)
}

// InAncestry reports whether path is one of the principal's orgs (the home branch and today's
// temporary branches) or an ancestor of one; members may read what their ancestors assign to them.
func (p *Principal) InAncestry(path string) bool {
	if p == nil || path == "" {
		return false
	}
	for _, own := range p.MemberPaths() {
		if strings.HasPrefix(own, path) {
			return true
		}
	}
	return false
}

// MemberPaths are the orgs the principal is a member of: the home branch, then today's temporary
// branches.
func (p *Principal) MemberPaths() []string {
	if p == nil || p.OrgPath == "" {
		return nil
	}
	return append([]string{p.OrgPath}, p.TempPaths...)
}

// BelongsTo reports whether the principal is a member of the org at path or of an org below it
// (through the home branch or a temporary branch).
func (p *Principal) BelongsTo(path string) bool {
	if p == nil || path == "" {
		return false
	}
	for _, own := range p.MemberPaths() {
		if strings.HasPrefix(own, path) {
			return true
		}
	}
	return false
}

// CanManageOrg is the one rule every service uses for management actions on a resource owned by
// the org at path: admins may act anywhere, staff only inside their own subtree.
func (p *Principal) CanManageOrg(path string) bool {
	if p == nil {
		return false
	}
	if p.IsAdmin() {
		return true
	}
	for _, t := range p.TempStaffPaths {
		if strings.HasPrefix(path, t) {
			return true
		}
	}
	return p.HasRole(RoleStaff) && p.InSubtree(path)
}

// CanAuthor reports whether the principal may author content at all (courses, question banks):
// admins, staff and trainers. Where it may is decided per resource (its org subtree).
func (p *Principal) CanAuthor() bool {
	return p.IsAdmin() || p.HasRole(RoleStaff) || p.HasRole(RoleTrainer)
}

// AncestorPaths returns the principal's org paths (home and temporary branches) and each of
// their ancestors' paths, from the root down: "/1/4/9/" → ["/1/", "/1/4/", "/1/4/9/"]. Content
// assigned to any of them reaches the principal.
func (p *Principal) AncestorPaths() []string {
	if p == nil {
		return nil
	}
	return AncestorPathsOf(p.MemberPaths()...)
}

// AncestorPathsOf returns every path of paths and each of their ancestors, once each, in order
// of first appearance (each path's chain from the root down).
func AncestorPathsOf(paths ...string) []string {
	var out []string
	for _, p := range paths {
		for _, a := range AncestorPaths(p) {
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	return out
}

// AncestorPaths returns path and each of its ancestors' paths, from the root down.
func AncestorPaths(path string) []string {
	var out []string
	for i := 1; i < len(path); i++ {
		if path[i] == '/' {
			out = append(out, path[:i+1])
		}
	}
	return out
}

// Subject returns the principal's user id as a JWT subject.
func (p *Principal) Subject() string { return strconv.FormatInt(p.UserID, 10) }

type principalKey struct{}

// NewContext returns ctx carrying p.
func NewContext(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal in ctx, if any.
func FromContext(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(*Principal)
	return p, ok && p != nil
}

// Require returns the principal in ctx, or bizerr.ErrUnauthenticated if there is none.
func Require(ctx context.Context) (*Principal, error) {
	p, ok := FromContext(ctx)
	if !ok {
		return nil, bizerr.ErrUnauthenticated
	}
	return p, nil
}

// RequireService returns the calling service's name, or a denial for a user (service operations
// are behind the auth middleware, so a caller without a token never gets here).
func RequireService(ctx context.Context) (string, error) {
	p, ok := FromContext(ctx)
	if !ok {
		return "", bizerr.ErrUnauthenticated
	}
	if !p.IsService() {
		return "", bizerr.Deny("仅限服务调用")
	}
	return p.Service, nil
}

// RequireServiceNamed returns a denial unless the caller is the named service (a service-only
// read meant for one consumer, e.g. the growth service's dossiers); what names the data read.
func RequireServiceNamed(ctx context.Context, name, what string) error {
	svc, err := RequireService(ctx)
	if err != nil {
		return err
	}
	if svc != name {
		return bizerr.Deny("只有 " + name + " 服务能读取" + what)
	}
	return nil
}
