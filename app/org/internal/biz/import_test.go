package biz

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/sheet"
	"github.com/vanguard/vanguard/pkg/sheet/xlsx"
)

// csvTable parses lines as a CSV upload, the way the service does.
func csvTable(t testing.TB, lines ...string) *sheet.Table {
	t.Helper()
	tb, err := xlsx.Parse("csv", []byte(strings.Join(lines, "\r\n")+"\r\n"))
	if err != nil {
		t.Fatalf("xlsx.Parse: %v", err)
	}
	return tb
}

func importErrorOf(t *testing.T, err error) *ImportError {
	t.Helper()
	var ie *ImportError
	if !errors.As(err, &ie) {
		t.Fatalf("error = %v (%T), want *ImportError", err, err)
	}
	return ie
}

const orgHeader = "组织编码,组织名称,组织类型,上级组织编码"

// orgShape is what matters about an imported org: where it hangs and what it is.
type orgShape struct {
	Parent string
	Name   string
	Type   OrgType
	Depth  int
}

func (e *testEnv) shapeOf(t *testing.T, code string) orgShape {
	t.Helper()
	o := e.db.orgByCode(code)
	if o == nil {
		t.Fatalf("org %s not stored", code)
	}
	s := orgShape{Name: o.Name, Type: o.Type, Depth: o.Depth}
	wantPath := "/" + itoa(o.ID) + "/"
	if o.ParentID != 0 {
		e.db.mu.Lock()
		p := e.db.st.Orgs[o.ParentID]
		e.db.mu.Unlock()
		s.Parent = p.Code
		wantPath = p.Path + itoa(o.ID) + "/"
	}
	if o.Path != wantPath {
		t.Errorf("org %s path = %q, want %q", code, o.Path, wantPath)
	}
	return s
}

func TestImportOrgsCreatesTreeParentsFirst(t *testing.T) {
	e := newTestEnv(t)
	tb := csvTable(t, orgHeader,
		"Z-BR1,第一支部,党支部,Z-GB", // row 2: grandchild of an in-file org
		"Z-GB,机关总支,党总支,Z-COM", // row 3
		"Z-COM,机关党委,党委,A",     // row 4: under an existing org
		" Z-NEW , 新党委 ,党工委,",  // row 5: a new root (admin only), cells trimmed
		"Z-BR2,第二支部,支部,A1",    // row 6: under an existing general branch
	)
	res, err := e.orgUC.ImportOrgs(e.as("admin"), tb, false)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&ImportResult{Rows: 5, Created: 5}, res); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	// Parents are created before children: one batch per level, file order within a level.
	wantBatches := [][]string{{"Z-COM", "Z-NEW", "Z-BR2"}, {"Z-GB"}, {"Z-BR1"}}
	if diff := cmp.Diff(wantBatches, e.db.orgBatches); diff != "" {
		t.Errorf("create batches (-want +got):\n%s", diff)
	}
	want := map[string]orgShape{
		"Z-BR1": {Parent: "Z-GB", Name: "第一支部", Type: OrgBranch, Depth: 4},
		"Z-GB":  {Parent: "Z-COM", Name: "机关总支", Type: OrgGeneralBranch, Depth: 3},
		"Z-COM": {Parent: "A", Name: "机关党委", Type: OrgCommittee, Depth: 2},
		"Z-NEW": {Parent: "", Name: "新党委", Type: OrgCommittee, Depth: 0},
		"Z-BR2": {Parent: "A1", Name: "第二支部", Type: OrgBranch, Depth: 3},
	}
	got := map[string]orgShape{}
	for code := range want {
		got[code] = e.shapeOf(t, code)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("imported tree (-want +got):\n%s", diff)
	}
	recs := e.db.auditRecords()
	if len(recs) != 1 || recs[0].Action != "org.import" || recs[0].OrgPath != "/" || recs[0].Summary != "批量导入组织 5 个" {
		t.Errorf("audit = %+v", recs)
	}
}

func TestImportOrgsByStaffAndAliases(t *testing.T) {
	e := newTestEnv(t)
	tb := csvTable(t, "CODE,Name,type,Parent",
		"A-GB,总支,general_branch,A",
		"A-BR,支部,branch,A-GB",
		"A1-BR,支部,BRANCH,A1",
	)
	res, err := e.orgUC.ImportOrgs(e.as("staffA"), tb, false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 3 {
		t.Errorf("created %d, want 3", res.Created)
	}
	if s := e.shapeOf(t, "A-BR"); s.Parent != "A-GB" || s.Type != OrgBranch {
		t.Errorf("A-BR = %+v", s)
	}
	if recs := e.db.auditRecords(); len(recs) != 1 || recs[0].OrgPath != e.org["A"].Path || recs[0].ActorID != e.acc["staffA"].ID {
		t.Errorf("audit = %+v, want scoped to staff's org", recs)
	}
}

func TestImportOrgsRejectsInvalidFiles(t *testing.T) {
	long := strings.Repeat("名", 101)
	tests := []struct {
		name  string
		as    string
		lines []string
		want  []RowError
	}{
		{"one bad type among valid rows", "admin", []string{orgHeader,
			"N1,一,党委,A", "N2,二,党小组,N1", "N3,三,党支部,N1"},
			[]RowError{{Row: 3, Column: "组织类型", Reason: "应为 党委、党总支 或 党支部"}}},
		{"empty and malformed codes", "admin", []string{orgHeader,
			",一,党委,A", "a b,二,党委,A", "编码,三,党委,A", strings.Repeat("x", 65) + ",四,党委,A"},
			[]RowError{
				{Row: 2, Column: "组织编码", Reason: "不能为空"},
				{Row: 3, Column: "组织编码", Reason: "只能包含字母、数字、下划线或短横线，最长64位"},
				{Row: 4, Column: "组织编码", Reason: "只能包含字母、数字、下划线或短横线，最长64位"},
				{Row: 5, Column: "组织编码", Reason: "只能包含字母、数字、下划线或短横线，最长64位"},
			}},
		{"names", "admin", []string{orgHeader, "N1,,党委,A", "N2," + long + ",党委,A"},
			[]RowError{{Row: 2, Column: "组织名称", Reason: "不能为空"}, {Row: 3, Column: "组织名称", Reason: "最长100字"}}},
		{"duplicate code in file", "admin", []string{orgHeader, "N1,一,党委,A", "N2,二,党委,A", "N1,三,党委,A"},
			[]RowError{{Row: 4, Column: "组织编码", Reason: "与第2行重复"}}},
		{"code already exists", "admin", []string{orgHeader, "A1,一,党委,A"},
			[]RowError{{Row: 2, Column: "组织编码", Reason: "组织编码 A1 已存在"}}},
		{"unknown parent", "admin", []string{orgHeader, "N1,一,党委,NOPE"},
			[]RowError{{Row: 2, Column: "上级组织编码", Reason: "上级组织 NOPE 不存在"}}},
		{"branch under existing branch", "admin", []string{orgHeader, "N1,一,党支部,A2"},
			[]RowError{{Row: 2, Column: "组织类型", Reason: "党支部下不能设立党支部"}}},
		{"committee under in-file general branch", "admin", []string{orgHeader, "N2,二,党委,N1", "N1,一,党总支,A"},
			[]RowError{{Row: 2, Column: "组织类型", Reason: "党总支下不能设立党委"}}},
		{"two-org cycle", "admin", []string{orgHeader, "X,一,党委,Y", "Y,二,党委,X"},
			[]RowError{{Row: 2, Column: "上级组织编码", Reason: "上级关系存在循环"}, {Row: 3, Column: "上级组织编码", Reason: "上级关系存在循环"}}},
		{"self parent", "admin", []string{orgHeader, "X,一,党委,X"},
			[]RowError{{Row: 2, Column: "上级组织编码", Reason: "上级关系存在循环"}}},
		{"three-org cycle next to a valid chain", "admin", []string{orgHeader,
			"OK1,一,党委,A", "X,二,党委,Z", "Y,三,党委,X", "Z,四,党委,Y", "OK2,五,党支部,OK1"},
			[]RowError{{Row: 3, Column: "上级组织编码", Reason: "上级关系存在循环"}, {Row: 4, Column: "上级组织编码", Reason: "上级关系存在循环"}, {Row: 5, Column: "上级组织编码", Reason: "上级关系存在循环"}}},
		{"staff cannot import roots", "staffA", []string{orgHeader, "N1,一,党委,"},
			[]RowError{{Row: 2, Column: "上级组织编码", Reason: "只有系统管理员可以创建顶级组织"}}},
		{"staff cannot import under sibling", "staffA", []string{orgHeader, "N1,一,党委,A", "N2,二,党委,B"},
			[]RowError{{Row: 3, Column: "上级组织编码", Reason: "无权在组织 B 下创建下级组织"}}},
		{"staff cannot import under parent", "staffA1", []string{orgHeader, "N1,一,党支部,A"},
			[]RowError{{Row: 2, Column: "上级组织编码", Reason: "无权在组织 A 下创建下级组织"}}},
		{"missing required column", "admin", []string{"组织编码,组织名称,上级组织编码", "N1,一,A"},
			[]RowError{{Row: 1, Column: "组织类型", Reason: "缺少必填列“组织类型”"}}},
		{"missing every required column", "admin", []string{"上级组织编码,备注", "A,x"},
			[]RowError{{Row: 1, Column: "组织编码", Reason: "缺少必填列“组织编码”"}, {Row: 1, Column: "组织名称", Reason: "缺少必填列“组织名称”"}, {Row: 1, Column: "组织类型", Reason: "缺少必填列“组织类型”"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, dryRun := range []bool{false, true} {
				e := newTestEnv(t)
				before := e.state()
				res, err := e.orgUC.ImportOrgs(e.as(tt.as), csvTable(t, tt.lines...), dryRun)
				ie := importErrorOf(t, err)
				if res != nil {
					t.Errorf("result = %+v alongside an error", res)
				}
				if diff := cmp.Diff(tt.want, ie.Errors); diff != "" {
					t.Errorf("dryRun=%v row errors (-want +got):\n%s", dryRun, diff)
				}
				if ie.Total != len(tt.want) {
					t.Errorf("Total = %d, want %d", ie.Total, len(tt.want))
				}
				if diff := cmp.Diff(before, e.state()); diff != "" {
					t.Errorf("rejected import changed the store (-before +after):\n%s", diff)
				}
				if len(e.db.orgBatches) != 0 {
					t.Errorf("rejected import called OrgRepo.Create: %v", e.db.orgBatches)
				}
			}
		})
	}
}

func TestImportOrgsDenied(t *testing.T) {
	e := newTestEnv(t)
	for _, who := range []string{"memberA", "trainerA"} {
		_, err := e.orgUC.ImportOrgs(e.as(who), csvTable(t, orgHeader, "N1,一,党委,A"), false)
		if !errors.As(err, new(*PermissionError)) {
			t.Errorf("%s: error = %v, want *PermissionError", who, err)
		}
	}
}

func TestImportOrgsDryRunWritesNothing(t *testing.T) {
	e := newTestEnv(t)
	before := e.state()
	tb := csvTable(t, orgHeader, "N2,二,党支部,N1", "N1,一,党总支,A")
	res, err := e.orgUC.ImportOrgs(e.as("staffA"), tb, true)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&ImportResult{Rows: 2, Created: 0, DryRun: true}, res); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(before, e.state()); diff != "" {
		t.Errorf("dry run changed the store (-before +after):\n%s", diff)
	}
	if len(e.db.orgBatches) != 0 {
		t.Errorf("dry run called OrgRepo.Create: %v", e.db.orgBatches)
	}
}

func TestImportOrgsAllOrNothingOnRepoFailure(t *testing.T) {
	e := newTestEnv(t)
	e.db.failOrgCreateCall = 2 // the first level succeeds, the second fails
	before := e.state()
	tb := csvTable(t, orgHeader, "N1,一,党委,A", "N2,二,党支部,N1")
	if _, err := e.orgUC.ImportOrgs(e.as("admin"), tb, false); err == nil {
		t.Fatal("import succeeded despite a repo failure")
	}
	if len(e.db.orgBatches) != 2 {
		t.Fatalf("create calls = %v, want 2", e.db.orgBatches)
	}
	if diff := cmp.Diff(before, e.state()); diff != "" {
		t.Errorf("first level survived a failed import (-before +after):\n%s", diff)
	}
}

func TestImportOrgsCapsReportedErrors(t *testing.T) {
	e := newTestEnv(t)
	lines := []string{orgHeader}
	n := sheet.MaxReportedErrors + 200
	for i := range n {
		lines = append(lines, fmt.Sprintf("C%d,名称,坏类型,A", i))
	}
	_, err := e.orgUC.ImportOrgs(e.as("admin"), csvTable(t, lines...), false)
	ie := importErrorOf(t, err)
	if ie.Total != n || len(ie.Errors) != sheet.MaxReportedErrors {
		t.Fatalf("Total %d, reported %d; want %d, %d", ie.Total, len(ie.Errors), n, sheet.MaxReportedErrors)
	}
	if last := ie.Errors[len(ie.Errors)-1]; last.Row != sheet.MaxReportedErrors+1 {
		t.Errorf("last reported row = %d, want %d (first errors kept)", last.Row, sheet.MaxReportedErrors+1)
	}
}

// ---- members ----

const memberHeader = "用户名,姓名,手机号,所属组织编码,角色,性别,出生日期,民族,学历,身份证号,递交入党申请书日期,入党日期,转正日期,发展阶段"

const initialPassword = "Init1234"

func TestImportMembersCreatesAccounts(t *testing.T) {
	e := newTestEnv(t)
	tb := csvTable(t, memberHeader,
		"zhangsan,张三,13800138000,A1a,党员,男,36526,汉族,本科,11010519491231002x,2001/7/1,2002.07.01,20030701,正式党员",
		"lisi,李四,,,培训管理员、党员,女,1990-1-2,,,,,,,积极分子",
		"wangwu,王五,13800138001,A2,组织管理员,,,,,440308199001010017,,,,",
		"Zhao.Liu@x,赵六,,A,,m,1985/06/15,,,,,,,",
	)
	res, err := e.accountUC.ImportMembers(e.as("staffA"), tb, e.org["A1"].ID, initialPassword, false)
	if err != nil {
		var ie *ImportError
		if errors.As(err, &ie) {
			t.Fatalf("import errors: %+v", ie.Errors)
		}
		t.Fatal(err)
	}
	if diff := cmp.Diff(&ImportResult{Rows: 4, Created: 4}, res); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	in := func(code string) (int64, string) { return e.org[code].ID, e.org[code].Path }
	acc := func(username, name, phone, org string, roles []string, p Profile, idHash string) *Account {
		id, path := in(org)
		return &Account{Username: username, DisplayName: name, Phone: phone, OrgID: id, OrgPath: path, Roles: roles,
			Status: StatusActive, MustChangePassword: true, Profile: p, NationalIDHash: idHash}
	}
	want := []*Account{
		acc("zhangsan", "张三", "13800138000", "A1a", []string{auth.RoleMember}, Profile{
			Gender: "male", BirthDate: "2000-01-01", Ethnicity: "汉族", Education: "本科", NationalIDMask: "1101**********002X",
			ApplicationDate: "2001-07-01", JoinedDate: "2002-07-01", FullMemberDate: "2003-07-01", Stage: StageFullMember,
		}, e.sealer.Hash("11010519491231002X")),
		acc("lisi", "李四", "", "A1", []string{auth.RoleTrainer, auth.RoleMember}, Profile{
			Gender: "female", BirthDate: "1990-01-02", Stage: StageActivist,
		}, ""),
		acc("wangwu", "王五", "13800138001", "A2", []string{auth.RoleStaff}, Profile{
			NationalIDMask: "4403**********0017", Stage: StageNone,
		}, e.sealer.Hash("440308199001010017")),
		acc("Zhao.Liu@x", "赵六", "", "A", []string{auth.RoleMember}, Profile{Gender: "male", BirthDate: "1985-06-15", Stage: StageNone}, ""),
	}
	var got []*Account
	for _, w := range want {
		a := e.db.accountByUsername(w.Username)
		if a == nil {
			t.Fatalf("account %s not created", w.Username)
		}
		got = append(got, a)
	}
	opts := cmpopts.IgnoreFields(Account{}, "ID", "PasswordHash", "NationalIDEnc", "CreatedAt", "UpdatedAt")
	if diff := cmp.Diff(want, got, opts); diff != "" {
		t.Errorf("created accounts (-want +got):\n%s", diff)
	}
	for _, a := range got {
		if a.PasswordHash != got[0].PasswordHash {
			t.Error("initial password was not hashed once for all accounts")
		}
		if a.NationalIDHash != "" {
			if _, err := e.sealer.Open(a.NationalIDEnc); err != nil {
				t.Errorf("%s: sealed ID does not open: %v", a.Username, err)
			}
		}
	}
	if plain, _ := e.sealer.Open(got[0].NationalIDEnc); plain != "11010519491231002X" {
		t.Errorf("sealed ID opens to %q, want upper-cased number", plain)
	}
	if ok, err := cheapArgon2.Verify(initialPassword, got[0].PasswordHash); !ok || err != nil {
		t.Errorf("initial password does not verify: %v %v", ok, err)
	}
	if n := e.hasher.count(); n != 1 {
		t.Errorf("password hashed %d times, want once", n)
	}
	recs := e.db.auditRecords()
	if len(recs) != 1 || recs[0].Action != "account.import" || recs[0].OrgPath != e.org["A1"].Path || recs[0].Summary != "批量导入人员 4 人" {
		t.Errorf("audit = %+v", recs)
	}
	// Imported accounts can sign in with the initial password.
	if _, err := e.authUC.Login(context.Background(), "13800138000", initialPassword); err != nil {
		t.Errorf("imported account cannot sign in: %v", err)
	}
}

func TestImportMembersHeaderAliases(t *testing.T) {
	e := newTestEnv(t)
	tb := csvTable(t, "USERNAME,name,Phone,申请入党日期,STAGE", "u1,甲,13800138000,2015-03-01,入党申请人")
	if _, err := e.accountUC.ImportMembers(e.as("staffA"), tb, e.org["A"].ID, initialPassword, false); err != nil {
		t.Fatal(err)
	}
	a := e.db.accountByUsername("u1")
	if a == nil || a.DisplayName != "甲" || a.Phone != "13800138000" || a.Profile.ApplicationDate != "2015-03-01" || a.Profile.Stage != StageApplicant {
		t.Errorf("imported = %+v", a)
	}
}

func TestNormaliseDate(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"", "", true},
		{"2001-07-01", "2001-07-01", true},
		{"2001-7-1", "2001-07-01", true},
		{"2001/7/1", "2001-07-01", true},
		{"2001/07/01", "2001-07-01", true},
		{"2001.7.1", "2001-07-01", true},
		{"20010701", "2001-07-01", true},
		{"36526", "2000-01-01", true}, // Excel serial
		{"61", "1900-03-01", true},
		{"45658", "2025-01-01", true},
		{"2001-13-01", "", false},
		{"2001-02-30", "", false},
		{"1/7/2001", "", false},
		{"0", "", false},
		{"-5", "", false},
		{"80000", "", false},
		{"36526.5", "", false},
		{"昨天", "", false},
	}
	for _, tt := range tests {
		got, ok := normaliseDate(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("normaliseDate(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

const shortMemberHeader = "用户名,姓名,手机号,所属组织编码,角色,性别,出生日期,身份证号,入党日期,发展阶段"

func TestImportMembersRejectsInvalidFiles(t *testing.T) {
	withID := func(e *testEnv) {
		h := e.sealer.Hash("440308199001010017")
		if _, err := (fakeAccountRepo{e.db}).Update(context.Background(), e.acc["memberA"].ID, AccountPatch{NationalIDHash: &h, NationalIDEnc: []byte{1}}); err != nil {
			panic(err)
		}
	}
	tests := []struct {
		name       string
		setup      func(e *testEnv)
		defaultOrg string
		lines      []string
		want       []RowError
	}{
		{"one bad row among valid rows", nil, "A", []string{shortMemberHeader,
			"u1,甲,13800138000,,,,,,,", "u2,乙,1380013800,,,,,,,", "u3,丙,,,,,,,,"},
			[]RowError{{Row: 3, Column: "手机号", Reason: "应为11位中国大陆手机号"}}},
		{"bad usernames", nil, "A", []string{shortMemberHeader, "a,甲,,,,,,,,", "张三,乙,,,,,,,,", ",丙,,,,,,,,", "a b,丁,,,,,,,,"},
			[]RowError{
				{Row: 2, Column: "用户名", Reason: "应为2-64位字母、数字或 _ . @ -"}, {Row: 3, Column: "用户名", Reason: "应为2-64位字母、数字或 _ . @ -"},
				{Row: 4, Column: "用户名", Reason: "应为2-64位字母、数字或 _ . @ -"}, {Row: 5, Column: "用户名", Reason: "应为2-64位字母、数字或 _ . @ -"},
			}},
		{"missing and long display name", nil, "A", []string{shortMemberHeader, "u1,,,,,,,,,", "u2," + strings.Repeat("名", 65) + ",,,,,,,,"},
			[]RowError{{Row: 2, Column: "姓名", Reason: "不能为空，最长64字"}, {Row: 3, Column: "姓名", Reason: "不能为空，最长64字"}}},
		{"duplicate username in file, any case", nil, "A", []string{shortMemberHeader, "zhangsan,甲,,,,,,,,", "u2,乙,,,,,,,,", "ZhangSan,丙,,,,,,,,"},
			[]RowError{{Row: 4, Column: "用户名", Reason: "与第2行重复"}}},
		{"duplicate phone in file", nil, "A", []string{shortMemberHeader, "u1,甲,13800138000,,,,,,,", "u2,乙,13800138000,,,,,,,"},
			[]RowError{{Row: 3, Column: "手机号", Reason: "与第2行重复"}}},
		{"duplicate national ID in file, x and X", nil, "A", []string{shortMemberHeader,
			"u1,甲,,,,,,11010519491231002X,,", "u2,乙,,,,,,11010519491231002x,,"},
			[]RowError{{Row: 3, Column: "身份证号", Reason: "与第2行重复"}}},
		{"username taken, any case", nil, "A", []string{shortMemberHeader, "STAFFA,甲,,,,,,,,"},
			[]RowError{{Row: 2, Column: "用户名", Reason: "用户名 STAFFA 已存在"}}},
		{"phone taken", nil, "A", []string{shortMemberHeader, "u1,甲,13900000001,,,,,,,"},
			[]RowError{{Row: 2, Column: "手机号", Reason: "手机号已被其他账号使用"}}},
		{"national ID registered", withID, "A", []string{shortMemberHeader, "u1,甲,,,,,,440308199001010017,,"},
			[]RowError{{Row: 2, Column: "身份证号", Reason: "该身份证号已登记"}}},
		{"invalid national ID", nil, "A", []string{shortMemberHeader, "u1,甲,,,,,,110105194902310026,,", "u2,乙,,,,,,11010519491231002,,"},
			[]RowError{{Row: 2, Column: "身份证号", Reason: "身份证号码无效（18位，校验位不符）"}, {Row: 3, Column: "身份证号", Reason: "身份证号码无效（18位，校验位不符）"}}},
		{"org codes", nil, "", []string{shortMemberHeader, "u1,甲,,NOPE,,,,,,", "u2,乙,,B,,,,,,", "u3,丙,,,,,,,,", "u4,丁,,ROOT,,,,,,"},
			[]RowError{
				{Row: 2, Column: "所属组织编码", Reason: "组织 NOPE 不存在"}, {Row: 3, Column: "所属组织编码", Reason: "无权向组织 B 导入人员"},
				{Row: 4, Column: "所属组织编码", Reason: "不能为空（未选择默认组织）"}, {Row: 5, Column: "所属组织编码", Reason: "无权向组织 ROOT 导入人员"},
			}},
		{"roles", nil, "A", []string{shortMemberHeader, "u1,甲,,,组织管理员,,,,,", "u2,乙,,,书记,,,,,", "u3,丙,,A1,staff,,,,,"},
			[]RowError{{Row: 2, Column: "角色", Reason: "无权授予「组织管理员」角色"}, {Row: 3, Column: "角色", Reason: "应为 党员、培训管理员 或 组织管理员"}}},
		{"gender, dates and stage", nil, "A", []string{shortMemberHeader, "u1,甲,,,,未知,2001-13-01,,1/7/2001,领导"},
			[]RowError{
				{Row: 2, Column: "性别", Reason: "应为 男 或 女"}, {Row: 2, Column: "出生日期", Reason: "日期格式应为 YYYY-MM-DD"},
				{Row: 2, Column: "入党日期", Reason: "日期格式应为 YYYY-MM-DD"},
				{Row: 2, Column: "发展阶段", Reason: "应为 入党申请人、入党积极分子、发展对象、预备党员 或 正式党员"},
			}},
		{"missing required columns", nil, "A", []string{"手机号,角色", "13800138000,党员"},
			[]RowError{{Row: 1, Column: "用户名", Reason: "缺少必填列“用户名”"}, {Row: 1, Column: "姓名", Reason: "缺少必填列“姓名”"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, dryRun := range []bool{false, true} {
				e := newTestEnv(t)
				if tt.setup != nil {
					tt.setup(e)
				}
				var def int64
				if tt.defaultOrg != "" {
					def = e.org[tt.defaultOrg].ID
				}
				before := e.state()
				res, err := e.accountUC.ImportMembers(e.as("staffA"), csvTable(t, tt.lines...), def, initialPassword, dryRun)
				ie := importErrorOf(t, err)
				if res != nil {
					t.Errorf("result %+v alongside an error", res)
				}
				if diff := cmp.Diff(tt.want, ie.Errors); diff != "" {
					t.Errorf("dryRun=%v row errors (-want +got):\n%s", dryRun, diff)
				}
				if ie.Total != len(tt.want) {
					t.Errorf("Total = %d, want %d", ie.Total, len(tt.want))
				}
				if diff := cmp.Diff(before, e.state()); diff != "" {
					t.Errorf("rejected import changed the store (-before +after):\n%s", diff)
				}
			}
		})
	}
}

func TestImportMembersRequestErrors(t *testing.T) {
	tb := func(t *testing.T) *sheet.Table { return csvTable(t, shortMemberHeader, "u1,甲,,,,,,,,") }
	tests := []struct {
		name       string
		as         string
		defaultOrg string
		defaultID  int64
		password   string
		want       any
	}{
		{"member may not import", "memberA", "A", 0, initialPassword, &PermissionError{}},
		{"trainer may not import", "trainerA", "A", 0, initialPassword, &PermissionError{}},
		{"weak initial password", "staffA", "A", 0, "12345678", &FieldError{Field: "initial_password"}},
		{"default org out of scope", "staffA", "B", 0, initialPassword, &PermissionError{}},
		{"default org missing", "staffA", "", 999, initialPassword, &FieldError{Field: "default_org_id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			def := tt.defaultID
			if tt.defaultOrg != "" {
				def = e.org[tt.defaultOrg].ID
			}
			before := e.state()
			_, err := e.accountUC.ImportMembers(e.as(tt.as), tb(t), def, tt.password, false)
			wantErrKind(t, err, tt.want)
			if diff := cmp.Diff(before, e.state()); diff != "" {
				t.Errorf("refused import changed the store (-before +after):\n%s", diff)
			}
		})
	}
}

func TestImportMembersDryRunWritesNothing(t *testing.T) {
	e := newTestEnv(t)
	before := e.state()
	tb := csvTable(t, shortMemberHeader, "u1,甲,13800138000,A1,,,,,,", "u2,乙,,,,,,,,")
	res, err := e.accountUC.ImportMembers(e.as("staffA"), tb, e.org["A"].ID, initialPassword, true)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&ImportResult{Rows: 2, Created: 0, DryRun: true}, res); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(before, e.state()); diff != "" {
		t.Errorf("dry run changed the store (-before +after):\n%s", diff)
	}
	if n := e.hasher.count(); n != 0 {
		t.Errorf("dry run hashed the password %d times", n)
	}
}

func TestImportMembersAllOrNothingOnRepoFailure(t *testing.T) {
	e := newTestEnv(t)
	e.db.failAccountCreate = errors.New("disk full")
	before := e.state()
	tb := csvTable(t, shortMemberHeader, "u1,甲,,,,,,,,")
	if _, err := e.accountUC.ImportMembers(e.as("staffA"), tb, e.org["A"].ID, initialPassword, false); err == nil || err.Error() != "disk full" {
		t.Fatalf("error = %v, want the repo's error", err)
	}
	if diff := cmp.Diff(before, e.state()); diff != "" {
		t.Errorf("failed import changed the store (-before +after):\n%s", diff)
	}
}

func TestTemplatesMatchColumns(t *testing.T) {
	for _, tc := range []struct {
		tpl  sheet.Template
		cols []sheet.Column
	}{{OrgTemplate(), orgColumns}, {MemberTemplate(), memberColumns}} {
		if len(tc.tpl.Header) != len(tc.cols) || len(tc.tpl.Example) != len(tc.cols) || len(tc.tpl.Notes) != len(tc.cols) {
			t.Fatalf("template %s has mismatched lengths", tc.tpl.Name)
		}
		for i, c := range tc.cols {
			prefix := "选填。"
			if c.Required {
				prefix = "必填。"
			}
			if tc.tpl.Header[i] != c.Header || !strings.HasPrefix(tc.tpl.Notes[i], prefix) {
				t.Errorf("%s column %d = %q / %q", tc.tpl.Name, i, tc.tpl.Header[i], tc.tpl.Notes[i])
			}
		}
	}
	// The member template's example row is itself importable.
	e := newTestEnv(t)
	tpl := MemberTemplate()
	tb := &sheet.Table{Header: tpl.Header, Rows: [][]string{tpl.Example}}
	e.addOrg(t, "DW001-ZB01", "A", OrgBranch)
	if _, err := e.accountUC.ImportMembers(e.as("staffA"), tb, 0, initialPassword, true); err != nil {
		t.Errorf("template example does not import: %v", err)
	}
}
