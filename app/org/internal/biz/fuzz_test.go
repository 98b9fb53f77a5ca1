package biz

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/vanguard/vanguard/pkg/sheet/xlsx"
)

// FuzzImportMembers feeds arbitrary bytes through the CSV parser into a real (non-dry-run)
// import as staff of A (default org A1) and checks the all-or-nothing contract.
func FuzzImportMembers(f *testing.F) {
	seeds := []string{
		shortMemberHeader + "\nu1,甲,13800138000,A1a,党员,男,1990-01-01,11010519491231002X,2001/7/1,正式党员\nu2,乙,,,,,,,,\n",
		memberHeader + "\nzhangsan,张三,13800138000,A1a,党员,男,36526,汉族,本科,11010519491231002x,2001/7/1,2002.07.01,20030701,正式党员\n",
		"\xef\xbb\xbf用户名,姓名\r\nab,甲\r\nAB,乙\r\n",
		"username,name,roles\nu1,甲,staff\nu2,乙,组织管理员\n",
		"用户名,姓名,所属组织编码\nu1,甲,B\nu2,乙,NOPE\n",
		"用户名,姓名,身份证号\nu1,甲,110105194902310026\nu2,乙,440308199001010017\nu3,丙,440308199001010017\n",
		"用户名,姓名,手机号\nstaffA,甲,13900000001\n",
		"用户名,姓名\n\"unterminated,甲\n",
		"手机号\n13800138000\n",
		"用户名,姓名\n,,,,\n  ,  \n",
		"",
		"\x00\xff\xfe",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	gb, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte("用户名,姓名,所属组织编码\nu1,张三,A1a\n"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(gb)
	f.Fuzz(func(t *testing.T, data []byte) {
		tb, err := xlsx.Parse("csv", data)
		if err != nil {
			return
		}
		e := newTestEnv(t)
		before := e.state()
		staff := e.acc["staffA"].Principal()
		res, err := e.accountUC.ImportMembers(e.as("staffA"), tb, e.org["A1"].ID, initialPassword, false)
		after := e.state()
		if err != nil {
			if diff := cmp.Diff(before, after); diff != "" {
				t.Fatalf("import failed (%v) but changed the store (-before +after):\n%s", err, diff)
			}
			var ie *ImportError
			if errors.As(err, &ie) {
				if ie.Total == 0 || len(ie.Errors) == 0 || len(ie.Errors) > ie.Total {
					t.Fatalf("malformed ImportError: %+v", ie)
				}
				for _, re := range ie.Errors {
					if re.Row < 1 || re.Row > len(tb.Rows)+1 || re.Column == "" || re.Reason == "" {
						t.Fatalf("bad row error %+v for %d data rows", re, len(tb.Rows))
					}
				}
			}
			return
		}
		if res.Created != len(tb.Rows) || res.Rows != len(tb.Rows) || res.DryRun {
			t.Fatalf("result %+v for %d data rows", res, len(tb.Rows))
		}
		var created []*Account
		for id, a := range after.Accounts {
			if before.Accounts[id] == nil {
				created = append(created, a)
			}
		}
		if len(created) != res.Created {
			t.Fatalf("%d accounts stored, result says %d", len(created), res.Created)
		}
		for _, a := range created {
			if !usernamePattern.MatchString(a.Username) {
				t.Errorf("created username %q breaks the username rule", a.Username)
			}
			if a.Username != strings.TrimSpace(a.Username) || a.DisplayName == "" {
				t.Errorf("created account %+v has untrimmed username or empty name", a)
			}
			if !staff.CanManageOrg(a.OrgPath) {
				t.Errorf("created account %q in org %q outside the importer's scope", a.Username, a.OrgPath)
			}
			for _, r := range a.Roles {
				if !canGrant(staff, r, a.OrgPath) {
					t.Errorf("created account %q with role %q the importer may not grant", a.Username, r)
				}
			}
			if !a.MustChangePassword || a.Status != StatusActive || a.PasswordHash == "" {
				t.Errorf("created account %q: must-change %v status %q", a.Username, a.MustChangePassword, a.Status)
			}
			if a.Phone != "" && !phonePattern.MatchString(a.Phone) {
				t.Errorf("created account %q with phone %q", a.Username, a.Phone)
			}
		}
	})
}
