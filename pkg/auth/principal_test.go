package auth_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/bizerr"
)

func TestRequire(t *testing.T) {
	if _, err := auth.Require(context.Background()); !errors.Is(err, bizerr.ErrUnauthenticated) {
		t.Errorf("Require(empty ctx) = %v, want ErrUnauthenticated", err)
	}
	if _, ok := auth.FromContext(auth.NewContext(context.Background(), nil)); ok {
		t.Error("nil principal reported as present")
	}
	alice := &auth.Principal{UserID: 42, Roles: []string{auth.RoleMember}, OrgPath: "/1/"}
	p, err := auth.Require(auth.NewContext(context.Background(), alice))
	if err != nil || p != alice {
		t.Errorf("Require = %v, %v", p, err)
	}
	if got := alice.Subject(); got != "42" {
		t.Errorf("Subject = %q", got)
	}
}

func TestRequireService(t *testing.T) {
	if _, err := auth.RequireService(context.Background()); !errors.Is(err, bizerr.ErrUnauthenticated) {
		t.Errorf("no principal: %v", err)
	}
	user := auth.NewContext(context.Background(), &auth.Principal{UserID: 1, Roles: []string{auth.RoleAdmin}, OrgPath: "/1/"})
	if _, err := auth.RequireService(user); !errors.As(err, new(*bizerr.PermissionError)) {
		t.Errorf("a user (even an admin) passed as a service: %v", err)
	}
	svc := auth.NewContext(context.Background(), &auth.Principal{Service: "quiz"})
	if name, err := auth.RequireService(svc); err != nil || name != "quiz" {
		t.Errorf("service = %q, %v", name, err)
	}
	if _, err := auth.Require(svc); err != nil {
		t.Errorf("Require(service) = %v", err)
	}
}

func TestRequireServiceNamed(t *testing.T) {
	growth := auth.NewContext(context.Background(), &auth.Principal{Service: "growth"})
	if err := auth.RequireServiceNamed(growth, "growth", "党员档案"); err != nil {
		t.Errorf("growth itself: %v", err)
	}
	search := auth.NewContext(context.Background(), &auth.Principal{Service: "search"})
	user := auth.NewContext(context.Background(), &auth.Principal{UserID: 1, Roles: []string{auth.RoleAdmin}, OrgPath: "/1/"})
	for name, ctx := range map[string]context.Context{"another service": search, "an admin": user} {
		if err := auth.RequireServiceNamed(ctx, "growth", "党员档案"); !errors.As(err, new(*bizerr.PermissionError)) {
			t.Errorf("%s passed as growth: %v", name, err)
		}
	}
}

func TestAncestorPathsAndAuthoring(t *testing.T) {
	if got := auth.AncestorPaths("/1/4/9/"); !slices.Equal(got, []string{"/1/", "/1/4/", "/1/4/9/"}) {
		t.Errorf("AncestorPaths = %v", got)
	}
	var nobody *auth.Principal
	if nobody.AncestorPaths() != nil || nobody.CanAuthor() {
		t.Error("nil principal has paths or may author")
	}
	for role, want := range map[string]bool{auth.RoleAdmin: true, auth.RoleStaff: true, auth.RoleTrainer: true, auth.RoleMember: false} {
		if got := (&auth.Principal{Roles: []string{role}}).CanAuthor(); got != want {
			t.Errorf("CanAuthor(%s) = %v", role, got)
		}
	}
	for name, want := range map[string]bool{"quiz": true, "studyhour": true, "q": false, "Quiz": false, "quiz-1": false, "": false} {
		if auth.ValidServiceName(name) != want {
			t.Errorf("ValidServiceName(%q) != %v", name, want)
		}
	}
}

func TestScopeHelpers(t *testing.T) {
	staff := &auth.Principal{UserID: 1, Roles: []string{auth.RoleStaff}, OrgPath: "/1/"}
	staff4 := &auth.Principal{UserID: 2, Roles: []string{auth.RoleStaff}, OrgPath: "/1/4/"}
	admin := &auth.Principal{UserID: 3, Roles: []string{auth.RoleAdmin}, OrgPath: "/1/4/"}
	member := &auth.Principal{UserID: 4, Roles: []string{auth.RoleMember}, OrgPath: "/1/4/"}
	trainer := &auth.Principal{UserID: 5, Roles: []string{auth.RoleTrainer}, OrgPath: "/1/"}
	noPath := &auth.Principal{UserID: 6, Roles: []string{auth.RoleStaff}}
	var nobody *auth.Principal
	tests := []struct {
		name                    string
		p                       *auth.Principal
		path                    string
		subtree, ancestry, mgmt bool
	}{
		{"own org", staff, "/1/", true, true, true},
		{"child", staff, "/1/4/", true, false, true},
		{"grandchild", staff, "/1/4/9/", true, false, true},
		{"prefix trap /1/ vs /10/", staff, "/10/", false, false, false},
		{"prefix trap /1/ vs /10/3/", staff, "/10/3/", false, false, false},
		{"prefix trap /1/4/ vs /1/40/", staff4, "/1/40/", false, false, false},
		{"parent of /1/4/", staff4, "/1/", false, true, false},
		{"sibling", staff4, "/1/5/", false, false, false},
		{"ancestry prefix trap /10/3/ vs /1/", &auth.Principal{Roles: []string{auth.RoleStaff}, OrgPath: "/10/3/"}, "/1/", false, false, false},
		{"admin manages everywhere", admin, "/2/", false, false, true},
		{"member never manages", member, "/1/4/", true, true, false},
		{"member ancestry", member, "/1/", false, true, false},
		{"trainer never manages", trainer, "/1/4/", true, false, false},
		{"principal without org path", noPath, "/1/", false, false, false},
		{"nil principal", nobody, "/1/", false, false, false},
		{"empty path", staff4, "", false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := [3]bool{tt.p.InSubtree(tt.path), tt.p.InAncestry(tt.path), tt.p.CanManageOrg(tt.path)}
			want := [3]bool{tt.subtree, tt.ancestry, tt.mgmt}
			if got != want {
				t.Errorf("InSubtree/InAncestry/CanManageOrg(%q) = %v, want %v", tt.path, got, want)
			}
		})
	}
	if nobody.HasRole(auth.RoleAdmin) || nobody.IsAdmin() || !admin.IsAdmin() || staff.IsAdmin() {
		t.Error("HasRole/IsAdmin wrong")
	}
}
