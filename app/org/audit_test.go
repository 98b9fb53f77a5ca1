package org_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestAuditLogScope(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		tr := setup(t, e)
		sa := e.login("staffa", "Passw0rd-staffa")
		sb := e.login("staffb", "Passw0rd-staffb")
		e.expect(e.do("PATCH", "/v1/accounts/"+tr.m1, sa.access, map[string]any{"displayName": "新名字"}), 200)
		e.expect(e.do("PUT", "/v1/accounts/"+tr.m2+"/roles", sb.access, map[string]any{"roles": []string{"TRAINER", "MEMBER"}}), 200)

		type entry struct {
			ActorName, Action, OrgPath, Summary, Before, After string
		}
		list := func(tok, query string) []entry {
			r := e.expect(e.do("GET", "/v1/audit-logs"+query, tok, nil), 200)
			var body struct{ Logs []entry }
			if err := json.Unmarshal([]byte(r.Raw), &body); err != nil {
				t.Fatal(err)
			}
			return body.Logs
		}
		// Staff of A sees A's entries only (creation of A's accounts and its own update), newest first.
		a := list(sa.access, "")
		if len(a) == 0 || a[0].Action != "account.update" || a[0].ActorName != "staffa" {
			t.Fatalf("staff A audit = %+v", a)
		}
		for _, x := range a {
			if strings.Contains(x.Summary, "m2") || x.Action == "account.roles" {
				t.Fatalf("staff A sees an entry outside its subtree: %+v", x)
			}
		}
		if !strings.Contains(a[0].Before, "用户m1") || !strings.Contains(a[0].After, "新名字") {
			t.Fatalf("update entry lacks before/after: %+v", a[0])
		}
		// The role change in B is recorded with before and after roles.
		b := list(sb.access, "?action=account.roles")
		if len(b) != 1 || b[0].Before != `["member"]` || b[0].After != `["trainer","member"]` {
			t.Fatalf("role change entry = %+v", b)
		}
		// Admin sees everything, including the bootstrap.
		all := list(tr.admin.access, "?pageSize=500")
		var sawBootstrap bool
		for _, x := range all {
			sawBootstrap = sawBootstrap || x.Action == "system.bootstrap"
		}
		if !sawBootstrap || len(all) <= len(a) {
			t.Fatalf("admin audit = %d entries, bootstrap %v", len(all), sawBootstrap)
		}
		// Password hashes and full ID numbers never reach the audit log.
		raw := e.expect(e.do("GET", "/v1/audit-logs?pageSize=500", tr.admin.access, nil), 200).Raw
		if strings.Contains(raw, "argon2") {
			t.Fatal("audit log contains a password hash")
		}
	})
}

func TestOpenAPIAndTemplates(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		for path, want := range map[string]string{
			"/openapi/org.yaml":                "/v1/auth/login",
			"/v1/import-templates/members.csv": "用户名,姓名",
			"/v1/import-templates/orgs.csv":    "组织编码,组织名称,组织类型,上级组织编码",
			"/healthz":                         "ok",
			"/readyz":                          "ready",
			"/v1/import-templates/secrets.csv": "404",
		} {
			res, err := http.Get(e.srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if !strings.Contains(string(body), want) {
				t.Errorf("GET %s = %d %q, want it to contain %q", path, res.StatusCode, string(body[:min(len(body), 200)]), want)
			}
		}
	})
}
