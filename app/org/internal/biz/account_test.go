package biz

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/bizerr"
)

// addToken stores a live refresh token for the seeded account username.
func (e *testEnv) addToken(t *testing.T, username, family string) {
	t.Helper()
	err := fakeTokenRepo{e.db}.Create(context.Background(), &RefreshToken{
		Hash: "h-" + username + "-" + family, Family: family, AccountID: e.acc[username].ID, ExpiresAt: testT0.Add(time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
}

// revoked reports, per token of username, whether it is revoked.
func (e *testEnv) revoked(username string) []bool {
	var out []bool
	for _, tok := range e.db.tokensOf(e.acc[username].ID) {
		out = append(out, tok.RevokedAt != nil)
	}
	return out
}

func TestAccountCreateScope(t *testing.T) {
	tests := []struct {
		name  string
		as    string
		org   string
		roles []string
		want  any
	}{
		{"staff creates member in own org", "staffA", "A", []string{auth.RoleMember}, nil},
		{"staff creates trainer in child org", "staffA", "A1a", []string{auth.RoleTrainer}, nil},
		{"staff creates staff in child org", "staffA", "A1", []string{auth.RoleStaff}, nil},
		{"staff cannot create staff in own org", "staffA", "A", []string{auth.RoleStaff}, &PermissionError{}},
		{"staff cannot grant admin", "staffA", "A1", []string{auth.RoleAdmin}, &PermissionError{}},
		{"staff cannot grant admin alongside member", "staffA", "A1", []string{auth.RoleMember, auth.RoleAdmin}, &PermissionError{}},
		{"staff cannot create in sibling org", "staffA", "B", []string{auth.RoleMember}, ErrOrgNotFound}, // invisible to staff of A
		{"staff of child cannot create in parent", "staffA1", "A", []string{auth.RoleMember}, &PermissionError{}},
		{"trainer cannot create", "trainerA", "A", []string{auth.RoleMember}, &PermissionError{}},
		{"member cannot create", "memberA", "A", []string{auth.RoleMember}, &PermissionError{}},
		{"admin grants admin anywhere", "admin", "B", []string{auth.RoleAdmin}, nil},
		{"invalid role", "staffA", "A", []string{"boss"}, &FieldError{Field: "roles"}},
		{"no role", "staffA", "A", nil, &FieldError{Field: "roles"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			before := e.state()
			got, err := e.accountUC.Create(e.as(tt.as), NewAccount{
				Username: "newbie", DisplayName: "新人", Password: "abc12345", Roles: tt.roles, OrgID: e.org[tt.org].ID,
			})
			wantErrKind(t, err, tt.want)
			if tt.want != nil {
				if diff := cmp.Diff(before, e.state()); diff != "" {
					t.Errorf("failed create changed the store (-before +after):\n%s", diff)
				}
				return
			}
			if got.OrgID != e.org[tt.org].ID || got.OrgPath != e.org[tt.org].Path {
				t.Errorf("org = %d %q, want %s", got.OrgID, got.OrgPath, tt.org)
			}
			if e.db.accountByUsername("newbie") == nil {
				t.Error("account not stored")
			}
		})
	}
	t.Run("unknown org", func(t *testing.T) {
		e := newTestEnv(t)
		_, err := e.accountUC.Create(e.as("admin"), NewAccount{Username: "x1", DisplayName: "x", Password: "abc12345", Roles: []string{"member"}, OrgID: 999})
		wantErrKind(t, err, ErrOrgNotFound)
	})
	t.Run("unauthenticated", func(t *testing.T) {
		e := newTestEnv(t)
		_, err := e.accountUC.Create(context.Background(), NewAccount{Username: "x1", DisplayName: "x", Password: "abc12345", Roles: []string{"member"}, OrgID: 1})
		if !errors.Is(err, bizerr.ErrUnauthenticated) {
			t.Fatalf("error = %v, want UNAUTHENTICATED", err)
		}
	})
}

func TestAccountCreateStoresProtectedProfile(t *testing.T) {
	e := newTestEnv(t)
	got, err := e.accountUC.Create(e.as("admin"), NewAccount{
		Username: "  zhangsan ", Phone: "13800138000", DisplayName: " 张三 ", Password: "abc12345",
		Roles: []string{auth.RoleMember, auth.RoleStaff, auth.RoleMember}, OrgID: e.org["A1a"].ID,
		Profile: ProfileInput{Gender: "male", BirthDate: "1949-12-31", Ethnicity: " 汉族 ", NationalID: " 11010519491231002x "},
	})
	if err != nil {
		t.Fatal(err)
	}
	stored := e.db.accountByUsername("zhangsan")
	if diff := cmp.Diff(stored, got); diff != "" {
		t.Fatalf("returned differs from stored (-stored +got):\n%s", diff)
	}
	want := &Account{
		ID: got.ID, Username: "zhangsan", Phone: "13800138000", DisplayName: "张三",
		Roles: []string{auth.RoleStaff, auth.RoleMember}, OrgID: e.org["A1a"].ID, OrgPath: e.org["A1a"].Path,
		Status: StatusActive, CreatedAt: testT0, UpdatedAt: testT0,
		Profile:        Profile{Gender: "male", BirthDate: "1949-12-31", Ethnicity: "汉族", NationalIDMask: "1101**********002X", Stage: StageNone},
		NationalIDHash: e.sealer.Hash("11010519491231002X"),
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(Account{}, "PasswordHash", "NationalIDEnc")); diff != "" {
		t.Errorf("created account (-want +got):\n%s", diff)
	}
	if ok, err := cheapArgon2.Verify("abc12345", got.PasswordHash); !ok || err != nil {
		t.Errorf("stored password hash does not verify: %v %v", ok, err)
	}
	if plain, err := e.sealer.Open(got.NationalIDEnc); err != nil || plain != "11010519491231002X" {
		t.Errorf("sealed national ID opens to %q, %v", plain, err)
	}
	recs := e.db.auditRecords()
	if len(recs) != 1 || recs[0].Action != "account.create" || recs[0].TargetID != got.ID {
		t.Fatalf("audit = %+v", recs)
	}
	for _, secretPart := range []string{"11010519491231002X", got.NationalIDHash, got.PasswordHash} {
		if strings.Contains(recs[0].After, secretPart) {
			t.Errorf("audit After leaks %q: %s", secretPart, recs[0].After)
		}
	}
	if !strings.Contains(recs[0].After, "1101**********002X") {
		t.Errorf("audit After lacks the masked ID: %s", recs[0].After)
	}
}

func TestAccountCreateValidation(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*NewAccount)
		field string
	}{
		{"weak password", func(n *NewAccount) { n.Password = "password" }, "password"},
		{"bad phone", func(n *NewAccount) { n.Phone = "12345" }, "phone"},
		{"phone with 12 prefix", func(n *NewAccount) { n.Phone = "12800138000" }, "phone"},
		{"bad gender", func(n *NewAccount) { n.Profile.Gender = "x" }, "profile.gender"},
		{"bad date format", func(n *NewAccount) { n.Profile.BirthDate = "1990/01/01" }, "profile.birth_date"},
		{"date that does not exist", func(n *NewAccount) { n.Profile.JoinedDate = "2001-02-30" }, "profile.joined_date"},
		{"wrong ID check digit", func(n *NewAccount) { n.Profile.NationalID = "110105194912310020" }, "profile.national_id"},
		{"bad stage", func(n *NewAccount) { n.Profile.Stage = "leader" }, "profile.stage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			in := NewAccount{Username: "newbie", DisplayName: "新人", Password: "abc12345", Roles: []string{"member"}, OrgID: e.org["A"].ID}
			tt.edit(&in)
			_, err := e.accountUC.Create(e.as("staffA"), in)
			wantErrKind(t, err, &FieldError{Field: tt.field})
			if e.db.accountByUsername("newbie") != nil {
				t.Error("invalid account was stored")
			}
		})
	}
}

func TestAccountUpdate(t *testing.T) {
	str := func(s string) *string { return &s }
	status := func(s AccountStatus) *AccountStatus { return &s }
	tests := []struct {
		name   string
		as     string
		target string
		in     func(e *testEnv) UpdateInput
		want   any
		check  func(t *testing.T, e *testEnv, got *Account)
	}{
		{
			name: "staff moves member into child org", as: "staffA", target: "memberA",
			in: func(e *testEnv) UpdateInput { id := e.org["A1a"].ID; return UpdateInput{OrgID: &id} },
			check: func(t *testing.T, e *testEnv, got *Account) {
				if got.OrgID != e.org["A1a"].ID || got.OrgPath != e.org["A1a"].Path {
					t.Errorf("moved to %d %q, want A1a", got.OrgID, got.OrgPath)
				}
			},
		},
		{
			name: "staff cannot move member to sibling org", as: "staffA", target: "memberA",
			in:   func(e *testEnv) UpdateInput { id := e.org["B"].ID; return UpdateInput{OrgID: &id} },
			want: ErrOrgNotFound, // B is invisible to staff of A
		},
		{
			name: "staff cannot move member to parent org", as: "staffA", target: "memberA",
			in:   func(e *testEnv) UpdateInput { id := e.org["ROOT"].ID; return UpdateInput{OrgID: &id} },
			want: &PermissionError{},
		},
		{
			name: "staff cannot pull child staff into own org", as: "staffA", target: "staffA1",
			in:   func(e *testEnv) UpdateInput { id := e.org["A"].ID; return UpdateInput{OrgID: &id} },
			want: &PermissionError{},
		},
		{
			name: "move to unknown org", as: "staffA", target: "memberA",
			in:   func(e *testEnv) UpdateInput { id := int64(999); return UpdateInput{OrgID: &id} },
			want: ErrOrgNotFound,
		},
		{
			name: "staff of sibling cannot see account", as: "staffB", target: "memberA",
			in:   func(e *testEnv) UpdateInput { return UpdateInput{DisplayName: str("x")} },
			want: ErrAccountNotFound,
		},
		{
			name: "staff cannot edit itself", as: "staffA", target: "staffA",
			in:   func(e *testEnv) UpdateInput { return UpdateInput{DisplayName: str("x")} },
			want: &PermissionError{},
		},
		{
			name: "staff edits child staff", as: "staffA", target: "staffA1",
			in: func(e *testEnv) UpdateInput {
				return UpdateInput{DisplayName: str(" 新名字 "), Phone: str("13700000000")}
			},
			check: func(t *testing.T, e *testEnv, got *Account) {
				if got.DisplayName != "新名字" || got.Phone != "13700000000" {
					t.Errorf("got %q %q", got.DisplayName, got.Phone)
				}
			},
		},
		{
			name: "blank display name", as: "staffA", target: "memberA",
			in:   func(e *testEnv) UpdateInput { return UpdateInput{DisplayName: str("  ")} },
			want: &FieldError{Field: "display_name"},
		},
		{
			name: "bad status", as: "staffA", target: "memberA",
			in:   func(e *testEnv) UpdateInput { return UpdateInput{Status: status("gone")} },
			want: &FieldError{Field: "status"},
		},
		{
			name: "disable revokes sessions", as: "staffA", target: "memberA",
			in: func(e *testEnv) UpdateInput { return UpdateInput{Status: status(StatusDisabled)} },
			check: func(t *testing.T, e *testEnv, got *Account) {
				if got.Status != StatusDisabled {
					t.Errorf("status = %q", got.Status)
				}
				if diff := cmp.Diff([]bool{true}, e.revoked("memberA")); diff != "" {
					t.Errorf("tokens revoked (-want +got):\n%s", diff)
				}
			},
		},
		{
			name: "profile national ID is sealed and masked", as: "staffA", target: "memberA",
			in: func(e *testEnv) UpdateInput {
				return UpdateInput{Profile: &ProfileInput{NationalID: "440308199001010017", Stage: StageActivist}}
			},
			check: func(t *testing.T, e *testEnv, got *Account) {
				if got.Profile.NationalIDMask != "4403**********0017" || got.NationalIDHash != e.sealer.Hash("440308199001010017") || got.Profile.Stage != StageActivist {
					t.Errorf("profile = %+v hash %q", got.Profile, got.NationalIDHash)
				}
				if plain, _ := e.sealer.Open(got.NationalIDEnc); plain != "440308199001010017" {
					t.Errorf("sealed ID opens to %q", plain)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			e.addToken(t, "memberA", "fam1")
			before := e.state()
			got, err := e.accountUC.Update(e.as(tt.as), e.acc[tt.target].ID, tt.in(e))
			wantErrKind(t, err, tt.want)
			if tt.want != nil {
				if diff := cmp.Diff(before, e.state()); diff != "" {
					t.Errorf("failed update changed the store (-before +after):\n%s", diff)
				}
				return
			}
			if diff := cmp.Diff(e.db.accountByUsername(tt.target), got); diff != "" {
				t.Errorf("returned differs from stored (-stored +got):\n%s", diff)
			}
			if tt.check != nil {
				tt.check(t, e, got)
			}
			recs := e.db.auditRecords()
			if len(recs) != 1 || recs[0].Action != "account.update" || recs[0].Before == "" || recs[0].After == "" {
				t.Errorf("audit = %+v, want one account.update with before and after", recs)
			}
		})
	}
}

// An account without roles (legacy data) must not be movable out of scope just because there
// is no role to check.
func TestAccountUpdateMoveWithoutRolesNeedsScope(t *testing.T) {
	e := newTestEnv(t)
	a := e.addAccount(t, "legacy", "", "A")
	before := e.state()
	dest := e.org["B"].ID
	_, err := e.accountUC.Update(e.as("staffA"), a.ID, UpdateInput{OrgID: &dest})
	wantErrKind(t, err, ErrOrgNotFound)
	if diff := cmp.Diff(before, e.state()); diff != "" {
		t.Errorf("denied move changed the store (-before +after):\n%s", diff)
	}
}

func TestAccountSetRoles(t *testing.T) {
	tests := []struct {
		name   string
		as     string
		target string
		roles  []string
		want   any
		after  []string // expected stored roles on success
	}{
		{"admin adds trainer", "admin", "memberA", []string{auth.RoleMember, auth.RoleTrainer, auth.RoleMember}, nil, []string{auth.RoleTrainer, auth.RoleMember}},
		{"staff grants staff in child org", "staffA", "memberA1a", []string{auth.RoleStaff}, nil, []string{auth.RoleStaff}},
		{"staff revokes staff in child org", "staffA", "staffA1", []string{auth.RoleMember}, nil, []string{auth.RoleMember}},
		{"staff cannot grant admin", "staffA", "memberA", []string{auth.RoleAdmin, auth.RoleMember}, &PermissionError{}, nil},
		{"staff cannot grant staff in own org", "staffA", "memberA", []string{auth.RoleStaff}, &PermissionError{}, nil},
		{"staff cannot change itself", "staffA", "staffA", []string{auth.RoleMember}, &PermissionError{}, nil},
		{"staff of child cannot see parent's member", "staffA1", "memberA", []string{auth.RoleTrainer}, ErrAccountNotFound, nil},
		{"trainer cannot change roles", "trainerA", "memberA", []string{auth.RoleTrainer}, ErrAccountNotFound, nil},
		{"no roles", "admin", "memberA", nil, &FieldError{Field: "roles"}, nil},
		{"unknown role", "admin", "memberA", []string{"boss"}, &FieldError{Field: "roles"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			e.addToken(t, tt.target, "fam1")
			e.addToken(t, tt.target, "fam2")
			before := e.state()
			beforeRoles := e.acc[tt.target].Roles
			got, err := e.accountUC.SetRoles(e.as(tt.as), e.acc[tt.target].ID, tt.roles)
			wantErrKind(t, err, tt.want)
			if tt.want != nil {
				if diff := cmp.Diff(before, e.state()); diff != "" {
					t.Errorf("failed SetRoles changed the store (-before +after):\n%s", diff)
				}
				return
			}
			if diff := cmp.Diff(tt.after, got.Roles); diff != "" {
				t.Errorf("returned roles (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.after, e.db.accountByUsername(tt.target).Roles); diff != "" {
				t.Errorf("stored roles (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]bool{true, true}, e.revoked(tt.target)); diff != "" {
				t.Errorf("sessions revoked (-want +got):\n%s", diff)
			}
			recs := e.db.auditRecords()
			if len(recs) != 1 {
				t.Fatalf("audit records = %d, want 1", len(recs))
			}
			var gotBefore, gotAfter []string
			if err := json.Unmarshal([]byte(recs[0].Before), &gotBefore); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(recs[0].After), &gotAfter); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(beforeRoles, gotBefore); diff != "" {
				t.Errorf("audit Before roles (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.after, gotAfter); diff != "" {
				t.Errorf("audit After roles (-want +got):\n%s", diff)
			}
			r := recs[0]
			if r.Action != "account.roles" || r.TargetID != e.acc[tt.target].ID || r.ActorID != e.acc[tt.as].ID ||
				!strings.Contains(r.Summary, strings.Join(beforeRoles, ",")+" → "+strings.Join(tt.after, ",")) {
				t.Errorf("audit record = %+v", r)
			}
		})
	}
}

func TestAccountGet(t *testing.T) {
	tests := []struct {
		as, target string
		want       error
	}{
		{"memberA", "memberA", nil},
		{"staffA", "memberA1a", nil},
		{"staffA", "staffA1", nil},
		{"admin", "memberB", nil},
		{"staffB", "memberA", ErrAccountNotFound},
		{"staffA1", "memberA", ErrAccountNotFound},
		{"memberA", "staffA", ErrAccountNotFound},
		{"trainerA", "memberA", ErrAccountNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.as+"->"+tt.target, func(t *testing.T) {
			e := newTestEnv(t)
			got, err := e.accountUC.Get(e.as(tt.as), e.acc[tt.target].ID)
			if !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
			if err == nil && got.Username != tt.target {
				t.Errorf("got %q", got.Username)
			}
		})
	}
}

func TestAccountResetPassword(t *testing.T) {
	e := newTestEnv(t)
	e.addToken(t, "memberA1a", "fam")
	if err := e.accountUC.ResetPassword(e.as("staffA"), e.acc["memberA1a"].ID, "short1"); !errors.As(err, new(*FieldError)) {
		t.Fatalf("weak password: error = %v, want FieldError", err)
	}
	if err := e.accountUC.ResetPassword(e.as("staffB"), e.acc["memberA1a"].ID, "newpass123"); !errors.Is(err, ErrAccountNotFound) {
		t.Fatalf("out of scope: error = %v, want ErrAccountNotFound", err)
	}
	if err := e.accountUC.ResetPassword(e.as("staffA"), e.acc["memberA1a"].ID, "newpass123"); err != nil {
		t.Fatal(err)
	}
	a := e.db.accountByUsername("memberA1a")
	if ok, _ := cheapArgon2.Verify("newpass123", a.PasswordHash); !ok || !a.MustChangePassword {
		t.Errorf("after reset: verifies=%v must-change=%v", ok, a.MustChangePassword)
	}
	if diff := cmp.Diff([]bool{true}, e.revoked("memberA1a")); diff != "" {
		t.Errorf("sessions revoked (-want +got):\n%s", diff)
	}
	if recs := e.db.auditRecords(); len(recs) != 1 || recs[0].Action != "account.reset_password" {
		t.Errorf("audit = %+v", recs)
	}
}

func TestAccountList(t *testing.T) {
	e := newTestEnv(t)
	names := func(as []*Account) []string {
		var out []string
		for _, a := range as {
			out = append(out, a.Username)
		}
		return out
	}
	tests := []struct {
		name    string
		as      string
		org     string
		want    []string
		wantErr any
	}{
		{"staff lists own subtree", "staffA", "", []string{"staffA", "trainerA", "memberA", "staffA1", "memberA1a"}, nil},
		{"staff lists child org", "staffA", "A1", []string{"staffA1", "memberA1a"}, nil},
		{"staff cannot list parent it can see", "staffA", "ROOT", nil, &PermissionError{}},
		{"staff cannot list sibling", "staffA", "B", nil, ErrOrgNotFound},
		{"trainer may not list", "trainerA", "", nil, &PermissionError{}},
		{"admin lists sibling", "admin", "B", []string{"staffB", "memberB"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var orgID int64
			if tt.org != "" {
				orgID = e.org[tt.org].ID
			}
			got, _, err := e.accountUC.List(e.as(tt.as), orgID, AccountFilter{PathPrefix: "/"})
			wantErrKind(t, err, tt.wantErr)
			if diff := cmp.Diff(tt.want, names(got)); diff != "" {
				t.Errorf("listed (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBootstrap(t *testing.T) {
	e := newBareEnv(t)
	ctx := context.Background()
	if _, err := e.accountUC.Bootstrap(ctx, "weak"); !errors.As(err, new(*FieldError)) {
		t.Fatalf("weak password: error = %v, want FieldError", err)
	}
	if e.db.accountCount() != 0 || e.db.orgByCode("ROOT") != nil {
		t.Fatal("failed bootstrap left data behind")
	}
	res, err := e.accountUC.Bootstrap(ctx, "admin12345")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&BootstrapResult{Created: true, Username: "admin"}, res); diff != "" {
		t.Errorf("first bootstrap (-want +got):\n%s", diff)
	}
	root := e.db.orgByCode("ROOT")
	admin := e.db.accountByUsername("admin")
	if root == nil || admin == nil || admin.OrgID != root.ID || !admin.HasRole(auth.RoleAdmin) {
		t.Fatalf("root %+v admin %+v", root, admin)
	}
	if ok, _ := cheapArgon2.Verify("admin12345", admin.PasswordHash); !ok {
		t.Error("admin password does not verify")
	}
	before := e.state()
	res, err = e.accountUC.Bootstrap(ctx, "other12345")
	if err != nil || res.Created {
		t.Fatalf("second bootstrap = %+v, %v; want no-op", res, err)
	}
	if diff := cmp.Diff(before, e.state()); diff != "" {
		t.Errorf("second bootstrap changed the store (-before +after):\n%s", diff)
	}
}

func TestValidNationalID(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"11010519491231002X", true},
		{"440308199001010017", true},
		{"310115198506151236", true},
		{"110105200002290021", true}, // 2000-02-29 exists
		{"320102198808085676", true},
		{"11010519491231002x", false}, // callers upper-case first
		{"110105194912310020", false}, // wrong check digit (should be X)
		{"440308199001010018", false}, // wrong check digit
		{"110105194902310026", false}, // correct check digit, but 1949-02-31 does not exist
		{"110105190002290025", false}, // correct check digit, but 1900 is not a leap year
		{"11010519491231002", false},  // 17 characters
		{"11010519491231002XX", false},
		{"110105491231002", false}, // old 15-digit format
		{"1101051949123100AX", false},
		{"", false},
		{"１１０１０５１９４９１２３１００２Ｘ", false}, // full-width digits
	}
	for _, tt := range tests {
		if got := ValidNationalID(tt.id); got != tt.want {
			t.Errorf("ValidNationalID(%q) = %v, want %v", tt.id, got, tt.want)
		}
	}
}

func TestMaskNationalID(t *testing.T) {
	tests := []struct{ in, want string }{
		{"11010519491231002X", "1101**********002X"},
		{"440308199001010017", "4403**********0017"},
		{"1234567", "*******"},
		{"", ""},
	}
	for _, tt := range tests {
		got := MaskNationalID(tt.in)
		if got != tt.want {
			t.Errorf("MaskNationalID(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if len(tt.in) == 18 && strings.Contains(got, tt.in[4:14]) {
			t.Errorf("mask %q reveals the birth date", got)
		}
	}
}

func TestValidatePassword(t *testing.T) {
	tests := []struct {
		pw string
		ok bool
	}{
		{"abc12345", true},
		{"ABCDEFG1", true},
		{"密码密码密码a1", true}, // 8 runes, letters and digits
		{strings.Repeat("a", 127) + "1", true},
		{"abc1234", false}, // 7
		{strings.Repeat("a", 128) + "1", false},
		{"abcdefgh", false},
		{"12345678", false},
		{"密码密码密码密码1", false}, // Chinese characters are not letters here
		{"", false},
	}
	for _, tt := range tests {
		err := ValidatePassword("pw_field", tt.pw)
		if (err == nil) != tt.ok {
			t.Errorf("ValidatePassword(%q) = %v, want ok=%v", tt.pw, err, tt.ok)
			continue
		}
		var fe *FieldError
		if err != nil && (!errors.As(err, &fe) || fe.Field != "pw_field") {
			t.Errorf("ValidatePassword(%q) error %v, want FieldError on pw_field", tt.pw, err)
		}
	}
}
