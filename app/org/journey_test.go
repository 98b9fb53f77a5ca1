package org_test

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/authn"
)

// tree is the org tree most journeys start from:
//
//	ROOT (committee) ─ G (general branch) ─┬─ A (branch): staffA, m1
//	                                        └─ B (branch): staffB, m2
type tree struct {
	admin                  session
	root, g, a, b          string
	staffA, staffB, m1, m2 string
}

func setup(t *testing.T, e *env) tree {
	t.Helper()
	var tr tree
	tr.admin = e.login("admin", adminPassword)
	me := e.expect(e.do("GET", "/v1/me", tr.admin.access, nil), 200)
	tr.root = me.str("orgId")
	tr.g = e.createOrg(tr.admin.access, tr.root, "第一党总支", "G", "GENERAL_BRANCH")
	tr.a = e.createOrg(tr.admin.access, tr.g, "第一党支部", "A", "BRANCH")
	tr.b = e.createOrg(tr.admin.access, tr.g, "第二党支部", "B", "BRANCH")
	tr.staffA = e.createAccount(tr.admin.access, tr.a, "staffa", "STAFF", "MEMBER")
	tr.staffB = e.createAccount(tr.admin.access, tr.b, "staffb", "STAFF", "MEMBER")
	tr.m1 = e.createAccount(tr.admin.access, tr.a, "m1", "MEMBER")
	tr.m2 = e.createAccount(tr.admin.access, tr.b, "m2", "MEMBER")
	return tr
}

func TestJourneyAdminStaffMember(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		tr := setup(t, e)

		// Admin sees the whole tree, ordered by path.
		list := e.expect(e.do("GET", "/v1/orgs", tr.admin.access, nil), 200)
		if list.str("total") != "4" {
			t.Fatalf("admin sees %s orgs, want 4: %s", list.str("total"), list.Raw)
		}

		// Staff of branch A creates a member in A with a profile; the ID number comes back masked.
		staffA := e.login("staffa", "Passw0rd-staffa")
		const nid = "11010519491231002X"
		created := e.expect(e.do("POST", "/v1/accounts", staffA.access, map[string]any{
			"username": "zhangsan", "displayName": "张三", "password": "Zhangsan-2026", "phone": "13800138000",
			"roles": []string{"MEMBER"}, "orgId": tr.a,
			"profile": map[string]any{"gender": "MALE", "birthDate": "1949-12-31", "nationalId": nid, "stage": "ACTIVIST", "ethnicity": "汉族"},
		}), 200)
		if got := created.str("profile", "nationalId"); got != "1101**********002X" {
			t.Fatalf("national ID in response = %q, want masked", got)
		}
		if strings.Contains(created.Raw, nid) {
			t.Fatal("full national ID number leaked in create response")
		}
		accounts := e.expect(e.do("GET", "/v1/accounts?orgId="+tr.a, staffA.access, nil), 200)
		if strings.Contains(accounts.Raw, nid) || !strings.Contains(accounts.Raw, "zhangsan") {
			t.Fatalf("listing must show zhangsan with masked ID: %s", accounts.Raw)
		}
		if accounts.str("total") != "3" { // staffa, m1, zhangsan
			t.Fatalf("A has %s accounts, want 3", accounts.str("total"))
		}

		// The new member signs in (by phone) and reads /v1/me.
		zs := e.login("13800138000", "Zhangsan-2026")
		me := e.expect(e.do("GET", "/v1/me", zs.access, nil), 200)
		if me.str("username") != "zhangsan" || me.str("orgId") != tr.a || me.str("profile", "stage") != "ACTIVIST" {
			t.Fatalf("me = %s", me.Raw)
		}

		// Staff of the general branch manages both branches.
		staffG := e.createAccount(tr.admin.access, tr.g, "staffg", "STAFF")
		sg := e.login("staffg", "Passw0rd-staffg")
		e.expect(e.do("GET", "/v1/accounts/"+tr.m2, sg.access, nil), 200)
		e.expect(e.do("PATCH", "/v1/orgs/"+tr.b, sg.access, map[string]any{"name": "第二党支部（改）"}), 200)
		// …and may make staff below its own org, but not in its own org.
		e.expect(e.do("PUT", "/v1/accounts/"+tr.m2+"/roles", sg.access, map[string]any{"roles": []string{"STAFF", "MEMBER"}}), 200)
		e.expect(e.do("POST", "/v1/accounts", sg.access, map[string]any{
			"username": "peer", "displayName": "同级", "password": "Passw0rd-peer", "roles": []string{"STAFF"}, "orgId": tr.g,
		}), 403, "PERMISSION_DENIED")
		_ = staffG

		// Disabling an account ends its sessions and blocks sign-in.
		e.expect(e.do("PATCH", "/v1/accounts/"+created.str("id"), staffA.access, map[string]any{"status": "DISABLED"}), 200)
		e.expect(e.do("POST", "/v1/auth/refresh", "", map[string]any{"refreshToken": zs.refresh}), 401)
		e.expect(e.do("POST", "/v1/auth/login", "", map[string]any{"username": "zhangsan", "password": "Zhangsan-2026"}), 403, "ACCOUNT_DISABLED")

		// Empty orgs can be deleted; non-empty ones cannot.
		e.expect(e.do("DELETE", "/v1/orgs/"+tr.a, tr.admin.access, nil), 409, "ORG_NOT_EMPTY")
		empty := e.createOrg(tr.admin.access, tr.g, "临时支部", "TMP", "BRANCH")
		e.expect(e.do("DELETE", "/v1/orgs/"+empty, tr.admin.access, nil), 200)
		e.expect(e.do("GET", "/v1/orgs/"+empty, tr.admin.access, nil), 404, "ORG_NOT_FOUND")
	})
}

func TestDenials(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		tr := setup(t, e)
		staffA := e.login("staffa", "Passw0rd-staffa")
		m1 := e.login("m1", "Passw0rd-m1")

		cases := []struct {
			name, method, path string
			tok                string
			body               any
			status             int
			reason             string
		}{
			// Staff of A acting in sibling B.
			{"staff A creates member in B", "POST", "/v1/accounts", staffA.access, map[string]any{"username": "x1", "displayName": "x", "password": "Passw0rd-x", "roles": []string{"MEMBER"}, "orgId": tr.b}, 404, "ORG_NOT_FOUND"},
			{"staff A reads org B", "GET", "/v1/orgs/" + tr.b, staffA.access, nil, 404, "ORG_NOT_FOUND"},
			{"staff A renames org B", "PATCH", "/v1/orgs/" + tr.b, staffA.access, map[string]any{"name": "x"}, 404, "ORG_NOT_FOUND"},
			{"staff A creates org under B", "POST", "/v1/orgs", staffA.access, map[string]any{"parentId": tr.b, "name": "x", "code": "X1", "type": "BRANCH"}, 404, "ORG_NOT_FOUND"},
			{"staff A reads member of B", "GET", "/v1/accounts/" + tr.m2, staffA.access, nil, 404, "ACCOUNT_NOT_FOUND"},
			{"staff A edits member of B", "PATCH", "/v1/accounts/" + tr.m2, staffA.access, map[string]any{"displayName": "x"}, 404, "ACCOUNT_NOT_FOUND"},
			{"staff A resets password in B", "POST", "/v1/accounts/" + tr.m2 + "/password", staffA.access, map[string]any{"newPassword": "Passw0rd-new"}, 404, "ACCOUNT_NOT_FOUND"},
			{"staff A lists accounts of B", "GET", "/v1/accounts?orgId=" + tr.b, staffA.access, nil, 404, "ORG_NOT_FOUND"},
			{"staff A moves m1 to B", "PATCH", "/v1/accounts/" + tr.m1, staffA.access, map[string]any{"orgId": tr.b}, 404, "ORG_NOT_FOUND"},
			{"staff A creates member in parent G", "POST", "/v1/accounts", staffA.access, map[string]any{"username": "x10", "displayName": "x", "password": "Passw0rd-x", "roles": []string{"MEMBER"}, "orgId": tr.g}, 403, "PERMISSION_DENIED"},
			{"blank display name", "POST", "/v1/accounts", tr.admin.access, map[string]any{"username": "x11", "displayName": "   ", "password": "Passw0rd-x", "roles": []string{"MEMBER"}, "orgId": tr.a}, 400, "INVALID_ARGUMENT"},
			{"username shaped like a phone", "POST", "/v1/accounts", tr.admin.access, map[string]any{"username": "13912345678", "displayName": "x", "password": "Passw0rd-x", "roles": []string{"MEMBER"}, "orgId": tr.a}, 400, "INVALID_ARGUMENT"},
			{"blank org name", "PATCH", "/v1/orgs/" + tr.a, tr.admin.access, map[string]any{"name": "  "}, 400, "INVALID_ARGUMENT"},
			{"staff A lists audit of B", "GET", "/v1/audit-logs?orgId=" + tr.b, staffA.access, nil, 404, "ORG_NOT_FOUND"},
			{"staff A grants admin", "PUT", "/v1/accounts/" + tr.m1 + "/roles", staffA.access, map[string]any{"roles": []string{"ADMIN"}}, 403, "PERMISSION_DENIED"},
			{"staff A grants staff in own org", "PUT", "/v1/accounts/" + tr.m1 + "/roles", staffA.access, map[string]any{"roles": []string{"STAFF"}}, 403, "PERMISSION_DENIED"},
			{"staff A changes own roles", "PUT", "/v1/accounts/" + tr.staffA + "/roles", staffA.access, map[string]any{"roles": []string{"STAFF", "TRAINER"}}, 403, "PERMISSION_DENIED"},
			{"staff A creates a root org", "POST", "/v1/orgs", staffA.access, map[string]any{"name": "x", "code": "X2", "type": "COMMITTEE"}, 403, "PERMISSION_DENIED"},
			{"staff A deletes own org", "DELETE", "/v1/orgs/" + tr.a, staffA.access, nil, 403, "PERMISSION_DENIED"},
			// Member acting as staff.
			{"member creates account", "POST", "/v1/accounts", m1.access, map[string]any{"username": "x3", "displayName": "x", "password": "Passw0rd-x", "roles": []string{"MEMBER"}, "orgId": tr.a}, 403, "PERMISSION_DENIED"},
			{"member lists accounts", "GET", "/v1/accounts", m1.access, nil, 403, "PERMISSION_DENIED"},
			{"member lists orgs", "GET", "/v1/orgs", m1.access, nil, 403, "PERMISSION_DENIED"},
			{"member reads staff account", "GET", "/v1/accounts/" + tr.staffA, m1.access, nil, 404, "ACCOUNT_NOT_FOUND"},
			{"member reads another member", "GET", "/v1/accounts/" + tr.m2, m1.access, nil, 404, "ACCOUNT_NOT_FOUND"},
			{"member edits itself", "PATCH", "/v1/accounts/" + tr.m1, m1.access, map[string]any{"status": "ACTIVE"}, 403, "PERMISSION_DENIED"},
			{"member grants itself staff", "PUT", "/v1/accounts/" + tr.m1 + "/roles", m1.access, map[string]any{"roles": []string{"STAFF"}}, 403, "PERMISSION_DENIED"},
			{"member creates org", "POST", "/v1/orgs", m1.access, map[string]any{"parentId": tr.a, "name": "x", "code": "X4", "type": "BRANCH"}, 403, "PERMISSION_DENIED"},
			{"member imports members", "POST", "/v1/accounts:import", m1.access, map[string]any{"format": "csv", "content": base64.StdEncoding.EncodeToString(csvBody("用户名,姓名", "x5,x")), "initialPassword": "Passw0rd-x"}, 403, "PERMISSION_DENIED"},
			{"member reads audit log", "GET", "/v1/audit-logs", m1.access, nil, 403, "PERMISSION_DENIED"},
			// No or bad token.
			{"no token", "GET", "/v1/me", "", nil, 401, "UNAUTHENTICATED"},
			{"garbage token", "GET", "/v1/me", "not-a-jwt", nil, 401, "UNAUTHENTICATED"},
			// Bad input: 400 naming the field, nothing changed.
			{"bad org type", "POST", "/v1/orgs", tr.admin.access, map[string]any{"parentId": tr.a, "name": "x", "code": "X6", "type": "ORG_TYPE_UNSPECIFIED"}, 400, "INVALID_ARGUMENT"},
			{"bad code", "POST", "/v1/orgs", tr.admin.access, map[string]any{"parentId": tr.a, "name": "x", "code": "has space", "type": "BRANCH"}, 400, "INVALID_ARGUMENT"},
			{"branch under branch", "POST", "/v1/orgs", tr.admin.access, map[string]any{"parentId": tr.a, "name": "x", "code": "X7", "type": "BRANCH"}, 400, "INVALID_HIERARCHY"},
			{"bad national ID", "POST", "/v1/accounts", tr.admin.access, map[string]any{"username": "x8", "displayName": "x", "password": "Passw0rd-x", "roles": []string{"MEMBER"}, "orgId": tr.a, "profile": map[string]any{"nationalId": "110105194912310021"}}, 400, "INVALID_ARGUMENT"},
			{"weak password", "POST", "/v1/accounts", tr.admin.access, map[string]any{"username": "x9", "displayName": "x", "password": "onlyletters", "roles": []string{"MEMBER"}, "orgId": tr.a}, 400, "INVALID_ARGUMENT"},
			{"duplicate username", "POST", "/v1/accounts", tr.admin.access, map[string]any{"username": "m1", "displayName": "x", "password": "Passw0rd-x", "roles": []string{"MEMBER"}, "orgId": tr.a}, 409, "ALREADY_EXISTS"},
			{"duplicate org code", "POST", "/v1/orgs", tr.admin.access, map[string]any{"parentId": tr.g, "name": "x", "code": "A", "type": "BRANCH"}, 409, "ALREADY_EXISTS"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := e.do(c.method, c.path, c.tok, c.body)
				if r.Status != c.status || r.str("reason") != c.reason {
					t.Fatalf("%s %s = %d %s, want %d %s; body %s", c.method, c.path, r.Status, r.str("reason"), c.status, c.reason, r.Raw)
				}
				if c.status == 400 && r.str("metadata", "field") == "" && r.str("reason") == "INVALID_ARGUMENT" {
					t.Fatalf("400 does not name the field: %s", r.Raw)
				}
			})
		}
		// Nothing the denied or invalid calls tried exists.
		all := e.expect(e.do("GET", "/v1/accounts?pageSize=500", tr.admin.access, nil), 200)
		for _, u := range []string{"x1", "x3", "x5", "x8", "x9", "x10", "x11", "13912345678"} {
			if strings.Contains(all.Raw, `"username":"`+u+`"`) {
				t.Fatalf("denied create of %s left an account", u)
			}
		}
		if e.expect(e.do("GET", "/v1/orgs", tr.admin.access, nil), 200).str("total") != "4" {
			t.Fatal("denied org creates changed the tree")
		}
		if got := e.expect(e.do("GET", "/v1/accounts/"+tr.m1, tr.admin.access, nil), 200).str("roles"); got != `["MEMBER"]` {
			t.Fatalf("m1 roles = %s after denied role changes", got)
		}
	})
}

func TestTokenAttacks(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		tr := setup(t, e)
		m1 := e.login("m1", "Passw0rd-m1")
		e.expect(e.do("GET", "/v1/me", m1.access, nil), 200)

		// Signed with another key (a forged token with admin claims).
		other, _ := authn.GenerateKey()
		forged, _, err := authn.NewSigner(other, e.clock).Sign(&auth.Principal{UserID: 1, Username: "admin", Roles: []string{"admin"}, OrgID: 1, OrgPath: "/1/"})
		if err != nil {
			t.Fatal(err)
		}
		e.expect(e.do("GET", "/v1/me", forged, nil), 401, "UNAUTHENTICATED")
		e.expect(e.do("GET", "/v1/accounts", forged, nil), 401, "UNAUTHENTICATED")

		// Tampered claims: m1's own token with roles raised to admin, signature kept.
		parts := strings.Split(m1.access, ".")
		payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
		var claims map[string]any
		_ = json.Unmarshal(payload, &claims)
		claims["roles"] = []string{"admin"}
		claims["opath"] = "/"
		raised, _ := json.Marshal(claims)
		tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(raised) + "." + parts[2]
		e.expect(e.do("GET", "/v1/accounts", tampered, nil), 401, "UNAUTHENTICATED")

		// alg=none with the same claims.
		none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + base64.RawURLEncoding.EncodeToString(raised) + "."
		e.expect(e.do("GET", "/v1/accounts", none, nil), 401, "UNAUTHENTICATED")

		// Expired: 15 minutes later the access token is refused, the refresh token still works.
		e.clock.Advance(16 * time.Minute)
		e.expect(e.do("GET", "/v1/me", m1.access, nil), 401, "TOKEN_EXPIRED")
		r := e.expect(e.do("POST", "/v1/auth/refresh", "", map[string]any{"refreshToken": m1.refresh}), 200)
		rotated := session{access: r.str("accessToken"), refresh: r.str("refreshToken")}
		if rotated.refresh == m1.refresh {
			t.Fatal("refresh token did not rotate")
		}
		e.expect(e.do("GET", "/v1/me", rotated.access, nil), 200)

		// Reuse of the old refresh token revokes the family: the rotated one dies too.
		e.expect(e.do("POST", "/v1/auth/refresh", "", map[string]any{"refreshToken": m1.refresh}), 401, "INVALID_REFRESH_TOKEN")
		e.expect(e.do("POST", "/v1/auth/refresh", "", map[string]any{"refreshToken": rotated.refresh}), 401, "INVALID_REFRESH_TOKEN")

		// Logout revokes; a second logout is harmless.
		s := e.login("m1", "Passw0rd-m1")
		e.expect(e.do("POST", "/v1/auth/logout", "", map[string]any{"refreshToken": s.refresh}), 200)
		e.expect(e.do("POST", "/v1/auth/logout", "", map[string]any{"refreshToken": s.refresh}), 200)
		e.expect(e.do("POST", "/v1/auth/refresh", "", map[string]any{"refreshToken": s.refresh}), 401, "INVALID_REFRESH_TOKEN")

		// Changing the password ends other sessions and requires the old one.
		s = e.login("m1", "Passw0rd-m1")
		e.expect(e.do("POST", "/v1/me/password", s.access, map[string]any{"oldPassword": "wrong-1", "newPassword": "Newpass-2026"}), 400, "WRONG_PASSWORD")
		e.expect(e.do("POST", "/v1/me/password", s.access, map[string]any{"oldPassword": "Passw0rd-m1", "newPassword": "Newpass-2026"}), 200)
		e.expect(e.do("POST", "/v1/auth/refresh", "", map[string]any{"refreshToken": s.refresh}), 401, "INVALID_REFRESH_TOKEN")
		e.expect(e.do("POST", "/v1/auth/login", "", map[string]any{"username": "m1", "password": "Passw0rd-m1"}), 401, "INVALID_CREDENTIALS")
		e.login("m1", "Newpass-2026")

		// The public key endpoint serves the key that verifies tokens.
		pk := e.expect(e.do("GET", "/v1/auth/public-key", "", nil), 200)
		pub, err := authn.ParsePublicKeyPEM([]byte(pk.str("publicKeyPem")))
		if err != nil {
			t.Fatal(err)
		}
		v := authn.NewVerifier(e.clock, pub)
		if p, err := v.Verify(rotated.access); err != nil || p.Username != "m1" || p.OrgID == 0 {
			t.Fatalf("published key does not verify a fresh token: %v %+v", err, p)
		}
		if _, err := v.Verify(forged); err == nil {
			t.Fatal("published key verifies a token signed with another key")
		}
		_ = tr
	})
}

func TestBruteForceLockout(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		setup(t, e)
		for i := 0; i < 10; i++ {
			e.expect(e.do("POST", "/v1/auth/login", "", map[string]any{"username": "m1", "password": "guess-" + strconv.Itoa(i)}), 401, "INVALID_CREDENTIALS")
			e.clock.Advance(30 * time.Second)
		}
		// 11th attempt, even with the right password: 429 with Retry-After.
		r := e.expect(e.do("POST", "/v1/auth/login", "", map[string]any{"username": "m1", "password": "Passw0rd-m1"}), 429, "TOO_MANY_ATTEMPTS")
		ra, err := strconv.Atoi(r.Header.Get("Retry-After"))
		// First failure was 5 minutes ago: 10 minutes remain.
		if err != nil || ra < 590 || ra > 610 {
			t.Fatalf("Retry-After = %q, want about 600", r.Header.Get("Retry-After"))
		}
		// Unknown usernames are limited the same way (no enumeration through the limiter).
		for i := 0; i < 10; i++ {
			e.do("POST", "/v1/auth/login", "", map[string]any{"username": "ghost", "password": "x"})
		}
		e.expect(e.do("POST", "/v1/auth/login", "", map[string]any{"username": "ghost", "password": "x"}), 429, "TOO_MANY_ATTEMPTS")
		// Another account is not affected.
		e.login("m2", "Passw0rd-m2")
		// Once the window has passed, the right password works again.
		e.clock.Advance(time.Duration(ra+1) * time.Second)
		e.login("m1", "Passw0rd-m1")
	})
}
