package biz

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/sheet"
)

// RowError and ImportError are the shared row report of imports (pkg/sheet).
type (
	RowError    = sheet.RowError
	ImportError = sheet.ImportError
)

// ImportResult says what an import did (or, for a dry run, would do).
type ImportResult struct {
	Rows    int
	Created int
	DryRun  bool
}

var orgColumns = []sheet.Column{
	{Key: "code", Header: "组织编码", Required: true, Example: "DW001-ZB01", Note: fmt.Sprintf("全系统唯一，字母、数字、下划线或短横线，最长%d位", MaxOrgCode)},
	{Key: "name", Header: "组织名称", Required: true, Example: "第一党支部", Note: fmt.Sprintf("最长%d字", MaxOrgName)},
	{Key: "type", Header: "组织类型", Required: true, Example: "党支部", Note: "党委、党总支 或 党支部"},
	{Key: "parent_code", Header: "上级组织编码", Aliases: []string{"parent"}, Example: "DW001", Note: "已存在的组织编码或本文件中出现的组织编码；留空表示顶级组织（仅系统管理员）"},
}

var memberColumns = []sheet.Column{
	{Key: "username", Header: "用户名", Required: true, Example: "zhangsan", Note: fmt.Sprintf("登录名，全系统唯一，字母、数字及 _ . @ -，2-%d位", MaxUsername)},
	{Key: "display_name", Header: "姓名", Aliases: []string{"name"}, Required: true, Example: "张三", Note: fmt.Sprintf("最长%d字", MaxDisplayName)},
	{Key: "phone", Header: "手机号", Example: "13800138000", Note: "11位手机号，全系统唯一，可用于登录"},
	{Key: "org_code", Header: "所属组织编码", Example: "DW001-ZB01", Note: "留空则使用导入时选择的默认组织"},
	{Key: "roles", Header: "角色", Example: "党员", Note: "党员、培训管理员、组织管理员，多个用逗号分隔；留空为党员"},
	{Key: "gender", Header: "性别", Example: "男", Note: "男 或 女"},
	{Key: "birth_date", Header: "出生日期", Example: "1990-01-01", Note: "格式 YYYY-MM-DD"},
	{Key: "ethnicity", Header: "民族", Example: "汉族", Note: fmt.Sprintf("最长%d字", MaxEthnicity)},
	{Key: "education", Header: "学历", Example: "本科", Note: fmt.Sprintf("最长%d字", MaxEducation)},
	{Key: "national_id", Header: "身份证号", Example: "11010519491231002X", Note: "18位居民身份证号，加密存储，全系统唯一"},
	{Key: "application_date", Header: "递交入党申请书日期", Aliases: []string{"申请入党日期"}, Example: "2015-03-01", Note: "格式 YYYY-MM-DD"},
	{Key: "joined_date", Header: "入党日期", Example: "2017-07-01", Note: "格式 YYYY-MM-DD"},
	{Key: "full_member_date", Header: "转正日期", Example: "2018-07-01", Note: "格式 YYYY-MM-DD"},
	{Key: "stage", Header: "发展阶段", Example: "正式党员", Note: "入党申请人、入党积极分子、发展对象、预备党员、正式党员；留空为无"},
}

// resolveColumns maps a file's header to the template's columns, reporting every missing
// required column on row 1.
func resolveColumns(header []string, cols []sheet.Column, ie *ImportError) sheet.Columns {
	c, missing := sheet.Resolve(header, cols)
	for _, h := range missing {
		ie.Add(1, h, "缺少必填列“%s”", h)
	}
	return c
}

// OrgTemplate is the downloadable template for org imports.
func OrgTemplate() sheet.Template { return sheet.TemplateOf("组织导入", orgColumns) }

// MemberTemplate is the downloadable template for member imports.
func MemberTemplate() sheet.Template { return sheet.TemplateOf("人员导入", memberColumns) }

var codePattern = regexp.MustCompile(fmt.Sprintf(`^[A-Za-z0-9_-]{1,%d}$`, MaxOrgCode))
var usernamePattern = regexp.MustCompile(fmt.Sprintf(`^[A-Za-z0-9_.@-]{2,%d}$`, MaxUsername))

func parseOrgType(s string) (OrgType, bool) {
	switch strings.ToLower(s) {
	case "党委", "党工委", "committee":
		return OrgCommittee, true
	case "党总支", "general_branch":
		return OrgGeneralBranch, true
	case "党支部", "支部", "branch":
		return OrgBranch, true
	}
	return "", false
}

// ImportOrgs validates every row of an org file and, if all are valid, creates the orgs in one
// transaction (parents before children). Any invalid row means nothing is written and an
// *ImportError lists every problem.
func (uc *OrgUsecase) ImportOrgs(ctx context.Context, t *sheet.Table, dryRun bool) (*ImportResult, error) {
	p, err := requireHome(ctx)
	if err != nil {
		return nil, err
	}
	if !p.IsAdmin() && !p.HasRole(auth.RoleStaff) {
		return nil, deny("无权导入组织")
	}
	ie := &ImportError{}
	ci := resolveColumns(t.Header, orgColumns, ie)
	if ie.Total > 0 {
		return nil, ie
	}
	type orgRow struct {
		row               int
		code, name, pcode string
		typ               OrgType
	}
	rows := make([]*orgRow, 0, len(t.Rows))
	inFile := map[string]*orgRow{}
	var codes []string
	for i, r := range t.Rows {
		n := i + 2
		or := &orgRow{row: n, code: ci.Get(r, "code"), name: ci.Get(r, "name"), pcode: ci.Get(r, "parent_code")}
		switch {
		case or.code == "":
			ie.Add(n, "组织编码", "不能为空")
		case !codePattern.MatchString(or.code):
			ie.Add(n, "组织编码", "只能包含字母、数字、下划线或短横线，最长%d位", MaxOrgCode)
		case inFile[or.code] != nil:
			ie.Add(n, "组织编码", "与第%d行重复", inFile[or.code].row)
		default:
			inFile[or.code] = or
		}
		if or.name == "" {
			ie.Add(n, "组织名称", "不能为空")
		} else if utf8.RuneCountInString(or.name) > MaxOrgName {
			ie.Add(n, "组织名称", "最长%d字", MaxOrgName)
		}
		typ, ok := parseOrgType(ci.Get(r, "type"))
		if !ok {
			ie.Add(n, "组织类型", "应为 党委、党总支 或 党支部")
		}
		or.typ = typ
		rows = append(rows, or)
		codes = append(codes, or.code)
		if or.pcode != "" {
			codes = append(codes, or.pcode)
		}
	}
	var created int
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		existing, err := uc.orgs.GetByCodes(ctx, codes)
		if err != nil {
			return err
		}
		// Resolve parents and levels; a chain of in-file parents is walked with a visited set so a
		// cycle is reported instead of looping.
		level := map[*orgRow]int{}
		var levelOf func(or *orgRow, seen map[*orgRow]bool) int
		levelOf = func(or *orgRow, seen map[*orgRow]bool) int {
			if l, ok := level[or]; ok {
				return l
			}
			if seen[or] {
				return -1
			}
			seen[or] = true
			l := 0
			if parent := inFile[or.pcode]; parent != nil && existing[or.pcode] == nil {
				pl := levelOf(parent, seen)
				if pl < 0 {
					return -1
				}
				l = pl + 1
			}
			level[or] = l
			return l
		}
		maxLevel := 0
		for _, or := range rows {
			if or.code != "" && existing[or.code] != nil && inFile[or.code] == or {
				ie.Add(or.row, "组织编码", "组织编码 %s 已存在", or.code)
			}
			var parentType OrgType
			switch {
			case or.pcode == "":
				if !p.IsAdmin() {
					ie.Add(or.row, "上级组织编码", "只有系统管理员可以创建顶级组织")
				}
			case existing[or.pcode] != nil:
				parent := existing[or.pcode]
				if !p.CanManageOrg(parent.Path) {
					ie.Add(or.row, "上级组织编码", "无权在组织 %s 下创建下级组织", or.pcode)
				}
				parentType = parent.Type
			case inFile[or.pcode] != nil:
				parentType = inFile[or.pcode].typ
			default:
				ie.Add(or.row, "上级组织编码", "上级组织 %s 不存在", or.pcode)
			}
			if parentType != "" && or.typ != "" && !parentType.CanContain(or.typ) {
				ie.Add(or.row, "组织类型", "%s下不能设立%s", parentType.Label(), or.typ.Label())
			}
			if inFile[or.code] == or {
				l := levelOf(or, map[*orgRow]bool{})
				if l < 0 {
					ie.Add(or.row, "上级组织编码", "上级关系存在循环")
				}
				maxLevel = max(maxLevel, l)
			}
		}
		if ie.Total > 0 {
			return ie
		}
		if dryRun {
			return nil
		}
		ids := map[string]int64{}
		for code, o := range existing {
			ids[code] = o.ID
		}
		for l := 0; l <= maxLevel; l++ {
			var batch []NewOrg
			for _, or := range rows {
				if level[or] == l {
					batch = append(batch, NewOrg{ParentID: ids[or.pcode], Name: or.name, Code: or.code, Type: or.typ})
				}
			}
			out, err := uc.orgs.Create(ctx, batch)
			if err != nil {
				return err
			}
			for _, o := range out {
				ids[o.Code] = o.ID
			}
			created += len(out)
		}
		scope := p.OrgPath
		if p.IsAdmin() {
			scope = "/"
		}
		return uc.audit.Record(ctx, AuditEntry{
			Action: "org.import", TargetType: "org", OrgPath: scope,
			Summary: fmt.Sprintf("批量导入组织 %d 个", created),
		})
	})
	if err != nil {
		return nil, err
	}
	return &ImportResult{Rows: len(rows), Created: created, DryRun: dryRun}, nil
}

func parseRoles(s string) ([]string, bool) {
	if strings.TrimSpace(s) == "" {
		return []string{auth.RoleMember}, true
	}
	var out []string
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(",，、;；/ ", r) }) {
		switch strings.ToLower(part) {
		case "党员", "学员", "member":
			out = append(out, auth.RoleMember)
		case "培训管理员", "讲师", "trainer":
			out = append(out, auth.RoleTrainer)
		case "组织管理员", "管理员", "staff":
			out = append(out, auth.RoleStaff)
		default:
			return nil, false
		}
	}
	return normaliseRoles(out), len(out) > 0
}

func parseGender(s string) (string, bool) {
	switch strings.ToLower(s) {
	case "":
		return "", true
	case "男", "male", "m":
		return "male", true
	case "女", "female", "f":
		return "female", true
	}
	return "", false
}

var stageNames = map[string]Stage{
	"": StageNone, "无": StageNone, "入党申请人": StageApplicant, "申请人": StageApplicant,
	"入党积极分子": StageActivist, "积极分子": StageActivist, "发展对象": StageCandidate,
	"预备党员": StageProbationary, "正式党员": StageFullMember, "党员": StageFullMember,
}

// normaliseDate accepts YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD, YYYYMMDD and Excel's date serial
// numbers, and returns YYYY-MM-DD.
func normaliseDate(s string) (string, bool) {
	if s == "" {
		return "", true
	}
	for _, layout := range []string{"2006-01-02", "2006/01/02", "2006.01.02", "20060102", "2006-1-2", "2006/1/2", "2006.1.2"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format("2006-01-02"), true
		}
	}
	if n, err := strconv.Atoi(s); err == nil && n > 0 && n < 80000 {
		return time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n).Format("2006-01-02"), true
	}
	return "", false
}

// ImportMembers validates every row of a member file and, if all are valid, creates the
// accounts in one transaction with initialPassword (hashed once), flagged must-change.
func (uc *AccountUsecase) ImportMembers(ctx context.Context, t *sheet.Table, defaultOrgID int64, initialPassword string, dryRun bool) (*ImportResult, error) {
	p, err := requireHome(ctx)
	if err != nil {
		return nil, err
	}
	if !p.IsAdmin() && !p.HasRole(auth.RoleStaff) {
		return nil, deny("无权导入人员")
	}
	if err := ValidatePassword("initial_password", initialPassword); err != nil {
		return nil, err
	}
	ie := &ImportError{}
	ci := resolveColumns(t.Header, memberColumns, ie)
	if ie.Total > 0 {
		return nil, ie
	}
	var created int
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		var defaultOrg *Org
		if defaultOrgID != 0 {
			o, err := uc.orgs.Get(ctx, defaultOrgID)
			if errors.Is(err, ErrOrgNotFound) {
				return Invalid("default_org_id", "默认组织不存在")
			}
			if err != nil {
				return err
			}
			if !p.CanManageOrg(o.Path) {
				return deny("无权向默认组织导入人员")
			}
			defaultOrg = o
		}
		var orgCodes, usernames, phones, hashes []string
		for _, r := range t.Rows {
			if c := ci.Get(r, "org_code"); c != "" {
				orgCodes = append(orgCodes, c)
			}
			usernames = append(usernames, ci.Get(r, "username"))
			if ph := ci.Get(r, "phone"); ph != "" {
				phones = append(phones, ph)
			}
			if id := strings.ToUpper(ci.Get(r, "national_id")); id != "" {
				hashes = append(hashes, uc.ids.Hash(id))
			}
		}
		orgs, err := uc.orgs.GetByCodes(ctx, orgCodes)
		if err != nil {
			return err
		}
		taken, err := uc.accounts.Taken(ctx, usernames, phones, hashes)
		if err != nil {
			return err
		}
		hash := ""
		if !dryRun {
			if hash, err = uc.hasher.Hash(initialPassword); err != nil {
				return err
			}
		}
		seenUser, seenPhone, seenID := map[string]int{}, map[string]int{}, map[string]int{}
		accounts := make([]*Account, 0, len(t.Rows))
		for i, r := range t.Rows {
			n := i + 2
			errsBefore := ie.Total
			username := ci.Get(r, "username")
			badName, _ := errors.AsType[*FieldError](validateUsername(username))
			switch {
			case badName != nil:
				ie.Add(n, "用户名", "%s", badName.Reason)
			case seenUser[strings.ToLower(username)] != 0:
				ie.Add(n, "用户名", "与第%d行重复", seenUser[strings.ToLower(username)])
			case taken["u:"+strings.ToLower(username)]:
				ie.Add(n, "用户名", "用户名 %s 已存在", username)
			default:
				seenUser[strings.ToLower(username)] = n
			}
			name := ci.Get(r, "display_name")
			if name == "" || utf8.RuneCountInString(name) > MaxDisplayName {
				ie.Add(n, "姓名", "不能为空，最长%d字", MaxDisplayName)
			}
			for _, c := range []struct {
				key string
				max int
			}{{"ethnicity", MaxEthnicity}, {"education", MaxEducation}} {
				if utf8.RuneCountInString(ci.Get(r, c.key)) > c.max {
					ie.Add(n, ci.Header(c.key), "最长%d字", c.max)
				}
			}
			phone := ci.Get(r, "phone")
			if phone != "" {
				switch {
				case !phonePattern.MatchString(phone):
					ie.Add(n, "手机号", "应为11位中国大陆手机号")
				case seenPhone[phone] != 0:
					ie.Add(n, "手机号", "与第%d行重复", seenPhone[phone])
				case taken["p:"+phone]:
					ie.Add(n, "手机号", "手机号已被其他账号使用")
				default:
					seenPhone[phone] = n
				}
			}
			org := defaultOrg
			if code := ci.Get(r, "org_code"); code != "" {
				org = orgs[code]
				if org == nil {
					ie.Add(n, "所属组织编码", "组织 %s 不存在", code)
				} else if !p.CanManageOrg(org.Path) {
					ie.Add(n, "所属组织编码", "无权向组织 %s 导入人员", code)
					org = nil
				}
			} else if org == nil {
				ie.Add(n, "所属组织编码", "不能为空（未选择默认组织）")
			}
			roles, ok := parseRoles(ci.Get(r, "roles"))
			if !ok {
				ie.Add(n, "角色", "应为 党员、培训管理员 或 组织管理员")
			} else if org != nil {
				for _, role := range roles {
					if !canGrant(p, role, org.Path) {
						ie.Add(n, "角色", "无权授予「%s」角色", roleLabel(role))
					}
				}
			}
			gender, ok := parseGender(ci.Get(r, "gender"))
			if !ok {
				ie.Add(n, "性别", "应为 男 或 女")
			}
			var dates [4]string
			for j, key := range []string{"birth_date", "application_date", "joined_date", "full_member_date"} {
				d, ok := normaliseDate(ci.Get(r, key))
				if !ok {
					ie.Add(n, ci.Header(key), "日期格式应为 YYYY-MM-DD")
				}
				dates[j] = d
			}
			nid := strings.ToUpper(ci.Get(r, "national_id"))
			if nid != "" {
				h := uc.ids.Hash(nid)
				switch {
				case !ValidNationalID(nid):
					ie.Add(n, "身份证号", "身份证号码无效（18位，校验位不符）")
				case seenID[h] != 0:
					ie.Add(n, "身份证号", "与第%d行重复", seenID[h])
				case taken["n:"+h]:
					ie.Add(n, "身份证号", "该身份证号已登记")
				default:
					seenID[h] = n
				}
			}
			stage, ok := stageNames[ci.Get(r, "stage")]
			if !ok {
				ie.Add(n, "发展阶段", "应为 入党申请人、入党积极分子、发展对象、预备党员 或 正式党员")
			}
			if ie.Total > errsBefore || dryRun {
				continue
			}
			a, err := uc.buildAccount(NewAccount{
				Username: username, Phone: phone, DisplayName: name, Roles: roles,
				Profile: ProfileInput{
					Gender: gender, BirthDate: dates[0], Ethnicity: ci.Get(r, "ethnicity"), Education: ci.Get(r, "education"),
					NationalID: nid, ApplicationDate: dates[1], JoinedDate: dates[2], FullMemberDate: dates[3], Stage: stage,
				},
			}, org, hash, true)
			if err != nil {
				if fe, ok := errors.AsType[*FieldError](err); ok {
					ie.Add(n, fe.Field, "%s", fe.Reason)
					continue
				}
				return err
			}
			accounts = append(accounts, a)
		}
		if ie.Total > 0 {
			return ie
		}
		if dryRun {
			return nil
		}
		out, err := uc.accounts.Create(ctx, accounts)
		if err != nil {
			return err
		}
		created = len(out)
		scope := p.OrgPath
		if defaultOrg != nil {
			scope = defaultOrg.Path
		}
		return uc.audit.Record(ctx, AuditEntry{
			Action: "account.import", TargetType: "account", OrgPath: scope,
			Summary: fmt.Sprintf("批量导入人员 %d 人", created),
		})
	})
	if err != nil {
		return nil, err
	}
	return &ImportResult{Rows: len(t.Rows), Created: created, DryRun: dryRun}, nil
}
