package org_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

type rowErr struct {
	Row    int    `json:"row"`
	Column string `json:"column"`
	Reason string `json:"reason"`
}

func rowErrors(t *testing.T, r resp) []rowErr {
	t.Helper()
	var rep struct {
		Errors []rowErr `json:"errors"`
	}
	if err := json.Unmarshal([]byte(r.str("metadata", "errors")), &rep); err != nil {
		t.Fatalf("metadata.errors is not a row report: %v; body %s", err, r.Raw)
	}
	return rep.Errors
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func TestImportMembersAllOrNothing(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		tr := setup(t, e)
		staffG := e.createAccount(tr.admin.access, tr.g, "staffg", "STAFF")
		_ = staffG
		sg := e.login("staffg", "Passw0rd-staffg")
		countAll := func() string {
			return e.expect(e.do("GET", "/v1/accounts", tr.admin.access, nil), 200).str("total")
		}
		before := countAll()

		header := "用户名,姓名,手机号,所属组织编码,角色,性别,出生日期,身份证号,入党日期,发展阶段"
		bad := csvBody(header,
			"li4,李四,13900000001,A,党员,男,1990/7/1,11010519491231002X,2015-07-01,正式党员",
			"wang5,王五,13900000002,B,党员,女,1991-01-02,,,积极分子",
			"zhao6,赵六,13900000003,B,党员,男,1992-01-02,110105194912310021,,发展对象",
			"li4,重名,1390000000x,NOPE,神仙,?,1992-13-40,,,",
		)
		r := e.expect(e.do("POST", "/v1/accounts:import", sg.access, map[string]any{
			"format": "csv", "content": b64(bad), "initialPassword": "Welcome-2026",
		}), 400, "IMPORT_INVALID")
		errs := rowErrors(t, r)
		want := map[string]bool{"4/身份证号": true, "5/用户名": true, "5/手机号": true, "5/所属组织编码": true, "5/角色": true, "5/性别": true, "5/出生日期": true}
		got := map[string]bool{}
		for _, e := range errs {
			got[strings.Join([]string{itoa(e.Row), e.Column}, "/")] = true
		}
		for k := range want {
			if !got[k] {
				t.Errorf("row report misses %s; got %+v", k, errs)
			}
		}
		if len(got) != len(want) {
			t.Errorf("row report has extra entries: %+v", errs)
		}
		if !strings.Contains(r.str("message"), "第4行") {
			t.Errorf("message should point at the first bad row: %s", r.str("message"))
		}
		if countAll() != before {
			t.Fatal("a failed import created accounts")
		}

		// Staff of A cannot import into B, even in a valid file.
		sa := e.login("staffa", "Passw0rd-staffa")
		r = e.expect(e.do("POST", "/v1/accounts:import", sa.access, map[string]any{
			"format": "csv", "content": b64(csvBody(header, "wang5,王五,13900000002,B,党员,女,1991-01-02,,,积极分子")), "initialPassword": "Welcome-2026",
		}), 400, "IMPORT_INVALID")
		if errs := rowErrors(t, r); len(errs) != 1 || errs[0].Column != "所属组织编码" {
			t.Fatalf("cross-org import report = %+v", errs)
		}

		// Dry run of the fixed file reports success and writes nothing.
		good := csvBody(header,
			"li4,李四,13900000001,A,党员,男,1990/7/1,11010519491231002X,2015-07-01,正式党员",
			"wang5,王五,13900000002,B,党员,女,1991-01-02,,,积极分子",
			"zhao6,赵六,13900000003,B,\"党员,培训管理员\",男,36526,,,发展对象",
		)
		r = e.expect(e.do("POST", "/v1/accounts:import", sg.access, map[string]any{
			"format": "csv", "content": b64(good), "initialPassword": "Welcome-2026", "dryRun": true,
		}), 200)
		if r.str("rows") != "3" || countAll() != before {
			t.Fatalf("dry run = %s; accounts %s→%s", r.Raw, before, countAll())
		}
		r = e.expect(e.do("POST", "/v1/accounts:import", sg.access, map[string]any{
			"format": "csv", "content": b64(good), "initialPassword": "Welcome-2026",
		}), 200)
		if r.str("created") != "3" {
			t.Fatalf("import = %s", r.Raw)
		}
		// Retrying the same file creates nothing more: every username now exists.
		e.expect(e.do("POST", "/v1/accounts:import", sg.access, map[string]any{
			"format": "csv", "content": b64(good), "initialPassword": "Welcome-2026",
		}), 400, "IMPORT_INVALID")

		s := e.login("zhao6", "Welcome-2026")
		me := e.expect(e.do("GET", "/v1/me", s.access, nil), 200)
		if me.str("mustChangePassword") != "true" || me.str("profile", "birthDate") != "2000-01-01" || me.str("roles") != `["TRAINER","MEMBER"]` || me.str("orgId") != tr.b {
			t.Fatalf("imported account = %s", me.Raw)
		}

		// The import is in the audit log of G's subtree.
		audit := e.expect(e.do("GET", "/v1/audit-logs?action=account.import", sg.access, nil), 200)
		if !strings.Contains(audit.Raw, "批量导入人员 3 人") {
			t.Fatalf("audit = %s", audit.Raw)
		}
	})
}

func TestImportFromDownloadedXLSXTemplate(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		tr := setup(t, e)
		res, err := http.Get(e.srv.URL + "/v1/import-templates/members.xlsx")
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("template download: %v %v", err, res)
		}
		data, _ := io.ReadAll(res.Body)
		res.Body.Close()
		f, err := excelize.OpenReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		sheet := f.GetSheetList()[0]
		header, _ := f.GetRows(sheet)
		if len(header) < 2 || header[0][0] != "用户名" {
			t.Fatalf("template rows = %v", header)
		}
		rows := [][]any{
			{"sun7", "孙七", "13700000007", "A", "党员", "男", "1988-08-08", "汉族", "本科", "", "2010-01-01", "", "", "入党申请人"},
			{"zhou8", "周八", "", "", "", "女", "", "", "", "", "", "", "", ""},
		}
		for i, row := range rows {
			cell, _ := excelize.CoordinatesToCellName(1, i+2)
			if err := f.SetSheetRow(sheet, cell, &row); err != nil {
				t.Fatal(err)
			}
		}
		var buf bytes.Buffer
		if err := f.Write(&buf); err != nil {
			t.Fatal(err)
		}
		r := e.expect(e.do("POST", "/v1/accounts:import", tr.admin.access, map[string]any{
			"format": "xlsx", "content": b64(buf.Bytes()), "initialPassword": "Welcome-2026", "defaultOrgId": tr.b,
		}), 200)
		if r.str("created") != "2" {
			t.Fatalf("xlsx import = %s", r.Raw)
		}
		zhou := e.login("zhou8", "Welcome-2026")
		if me := e.expect(e.do("GET", "/v1/me", zhou.access, nil), 200); me.str("orgId") != tr.b {
			t.Fatalf("row without org code should land in the default org: %s", me.Raw)
		}
		// A file that is not a spreadsheet is a 400 naming the content field.
		e.expect(e.do("POST", "/v1/accounts:import", tr.admin.access, map[string]any{
			"format": "xlsx", "content": b64([]byte("MZ\x90\x00 not a zip")), "initialPassword": "Welcome-2026",
		}), 400, "INVALID_ARGUMENT")
	})
}

func TestImportOrgs(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		tr := setup(t, e)
		count := func() string { return e.expect(e.do("GET", "/v1/orgs", tr.admin.access, nil), 200).str("total") }
		header := "组织编码,组织名称,组织类型,上级组织编码"
		// Children may come before their parents in the file.
		good := csvBody(header,
			"C2-B1,机关第一党支部,党支部,C2-G1",
			"C2,机关党委,党委,",
			"C2-G1,机关党总支,党总支,C2",
			"G-C,第三党支部,党支部,G",
		)
		cycle := csvBody(header,
			"X1,甲,党委,X2",
			"X2,乙,党委,X1",
			"X3,丙,党支部,A",
		)
		r := e.expect(e.do("POST", "/v1/orgs:import", tr.admin.access, map[string]any{"format": "csv", "content": b64(cycle)}), 400, "IMPORT_INVALID")
		errs := rowErrors(t, r)
		var cycles, hierarchy int
		for _, e := range errs {
			if strings.Contains(e.Reason, "循环") {
				cycles++
			}
			if e.Row == 4 && e.Column == "组织类型" {
				hierarchy++
			}
		}
		if cycles != 2 || hierarchy != 1 {
			t.Fatalf("report = %+v", errs)
		}
		if count() != "4" {
			t.Fatal("failed org import changed the tree")
		}
		// Staff of G may import below G only.
		e.createAccount(tr.admin.access, tr.g, "staffg", "STAFF")
		sg := e.login("staffg", "Passw0rd-staffg")
		r = e.expect(e.do("POST", "/v1/orgs:import", sg.access, map[string]any{"format": "csv", "content": b64(good)}), 400, "IMPORT_INVALID")
		if errs := rowErrors(t, r); len(errs) != 1 || errs[0].Row != 3 || errs[0].Column != "上级组织编码" {
			t.Fatalf("staff import of a root = %+v", errs)
		}
		r = e.expect(e.do("POST", "/v1/orgs:import", tr.admin.access, map[string]any{"format": "csv", "content": b64(good)}), 200)
		if r.str("created") != "4" || count() != "8" {
			t.Fatalf("import = %s, total %s", r.Raw, count())
		}
		list := e.expect(e.do("GET", "/v1/orgs?pageSize=100", tr.admin.access, nil), 200)
		var body struct {
			Orgs []struct {
				ID, Code, Path, ParentID string
				Depth                    int
			}
		}
		_ = json.Unmarshal([]byte(list.Raw), &body)
		byCode := map[string]int{}
		for i, o := range body.Orgs {
			byCode[o.Code] = i
		}
		leaf := body.Orgs[byCode["C2-B1"]]
		mid := body.Orgs[byCode["C2-G1"]]
		top := body.Orgs[byCode["C2"]]
		if leaf.Depth != 2 || !strings.HasPrefix(leaf.Path, mid.Path) || !strings.HasPrefix(mid.Path, top.Path) || top.Depth != 0 {
			t.Fatalf("imported paths wrong: top %+v mid %+v leaf %+v", top, mid, leaf)
		}
		if body.Orgs[byCode["G-C"]].ParentID != tr.g {
			t.Fatalf("G-C parent = %s, want %s", body.Orgs[byCode["G-C"]].ParentID, tr.g)
		}
	})
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
