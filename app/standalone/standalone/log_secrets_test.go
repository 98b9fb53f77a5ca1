package standalone

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	orgv1 "github.com/vanguard/vanguard/api/org/v1"
)

// nationalID returns a valid 18-character ID number (region 110105, the given birth date and a
// sequence number) with its MOD 11-2 check character.
func nationalID(birth string, seq int) string {
	body := fmt.Sprintf("110105%s%03d", birth, seq)
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := range 17 {
		sum += int(body[i]-'0') * weights[i]
	}
	return body + string("10X98765432"[sum%11])
}

// Nothing a caller sends in confidence reaches the process log: the calls that carry passwords,
// tokens, national ID numbers and import files all run against the live process, then the whole
// captured log is searched for each secret in clear.
func TestSecretsStayOutOfTheLog(t *testing.T) {
	l := startLive(t)
	const (
		adminPW     = "Admin-pass-2026"
		memberPW    = "Member-S3cret-7781"
		changedPW   = "Changed-S3cret-5523"
		resetPW     = "Reset-S3cret-9034"
		importPW    = "Import-S3cret-6617"
		wrongPW     = "Wrong-S3cret-4409"
		badImportPW = "BadImport-S3cret-3346"
	)
	nidCreate, nidUpdate := nationalID("19700101", 101), nationalID("19800202", 202)
	nidImport1, nidImport2 := nationalID("19900303", 303), nationalID("19910404", 404)
	nidBadImport := nationalID("19920505", 505)
	secrets := []string{adminPW, memberPW, changedPW, resetPW, importPW, wrongPW, badImportPW,
		nidCreate, nidUpdate, nidImport1, nidImport2, nidBadImport}

	// Sign in; refresh; the old and the new token pair are secrets.
	signIn := l.must(l.call("POST", "/v1/auth/login", "", map[string]any{"username": "admin", "password": adminPW}), 200)
	admin, refresh := signIn.s("accessToken"), signIn.s("refreshToken")
	rootOrg := signIn.s("account", "orgId")
	l.must(l.call("POST", "/v1/auth/login", "", map[string]any{"username": "admin", "password": wrongPW}), 401)
	refreshed := l.must(l.call("POST", "/v1/auth/refresh", "", map[string]any{"refreshToken": refresh}), 200)
	admin2, refresh2 := refreshed.s("accessToken"), refreshed.s("refreshToken")
	secrets = append(secrets, admin, refresh, admin2, refresh2)

	// Create a member with an ID number, update it to another, change its password, reset it.
	member := l.must(l.call("POST", "/v1/accounts", admin2, map[string]any{
		"username": "logm1", "displayName": "日志测试", "password": memberPW, "roles": []string{"MEMBER"}, "orgId": rootOrg,
		"profile": map[string]any{"nationalId": nidCreate, "birthDate": "1970-01-01"},
	}), 200).s("id")
	l.must(l.call("PATCH", "/v1/accounts/"+member, admin2, map[string]any{
		"profile": map[string]any{"nationalId": nidUpdate, "birthDate": "1980-02-02"},
	}), 200)
	memberToken := l.login("logm1", memberPW)
	secrets = append(secrets, memberToken)
	l.must(l.call("POST", "/v1/me/password", memberToken, map[string]any{"oldPassword": wrongPW, "newPassword": changedPW}), 400, "WRONG_PASSWORD")
	l.must(l.call("POST", "/v1/me/password", memberToken, map[string]any{"oldPassword": memberPW, "newPassword": changedPW}), 200)
	l.must(l.call("POST", "/v1/accounts/"+member+"/password", admin2, map[string]any{"newPassword": resetPW}), 200)

	// Import members from a CSV with ID numbers and an initial password; then a refused file.
	header := "用户名,姓名,手机号,所属组织编码,角色,性别,出生日期,身份证号,入党日期,发展阶段"
	good := strings.Join([]string{header,
		"logi1,导入一,13900000011,ROOT,党员,男,1990-03-03," + nidImport1 + ",,正式党员",
		"logi2,导入二,13900000012,ROOT,党员,女,1991-04-04," + nidImport2 + ",,积极分子",
	}, "\n") + "\n"
	l.must(l.call("POST", "/v1/accounts:import", admin2, map[string]any{
		"format": "csv", "content": base64.StdEncoding.EncodeToString([]byte(good)), "initialPassword": importPW,
	}), 200)
	bad := header + "\nlogi3,导入三,1390000001x,NOPE,党员,男,1992-05-05," + nidBadImport + ",,正式党员\n"
	l.must(l.call("POST", "/v1/accounts:import", admin2, map[string]any{
		"format": "csv", "content": base64.StdEncoding.EncodeToString([]byte(bad)), "initialPassword": badImportPW,
	}), 400)
	l.login("logi1", importPW)
	l.must(l.call("POST", "/v1/auth/logout", "", map[string]any{"refreshToken": refresh2}), 200)

	// A service obtains its credentials over gRPC; another service's secret is refused. Both
	// secrets and the token issued are secrets.
	anon, _, _ := l.grpcAs("")
	svcSecret, otherSecret := l.p.ServiceSecret("search"), l.p.ServiceSecret("growth")
	_, err := anon.IssueServiceToken(context.Background(), &orgv1.IssueServiceTokenRequest{Service: "search", Secret: otherSecret})
	wantCode(t, "another service's secret", err, 401)
	issued, err := anon.IssueServiceToken(context.Background(), &orgv1.IssueServiceTokenRequest{Service: "search", Secret: svcSecret})
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, svcSecret, otherSecret, issued.GetAccessToken())

	logs := l.logs.String()
	// The capture works: the access log has a line for each of these operations.
	for _, op := range []string{"Auth/Login", "Auth/Refresh", "Auth/ChangePassword", "Accounts/CreateAccount",
		"Accounts/UpdateAccount", "Accounts/ResetPassword", "Accounts/ImportMembers", "Auth/Logout", "Auth/IssueServiceToken"} {
		if !strings.Contains(logs, op+`"`) {
			t.Fatalf("the captured log has no line for %s; capture broken?\n%s", op, logs)
		}
	}
	for _, s := range secrets {
		if s == "" {
			t.Fatal("a secret is empty: the calls above did not return what they should")
		}
		if strings.Contains(logs, s) {
			i := strings.Index(logs, s)
			start := strings.LastIndexByte(logs[:i], '\n') + 1
			end := i + strings.IndexByte(logs[i:], '\n')
			if end < i {
				end = len(logs)
			}
			t.Errorf("secret %q is in the log:\n%s", s, logs[start:end])
		}
	}
}
