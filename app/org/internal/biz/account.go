package biz

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vanguard/vanguard/pkg/auth"
)

// AccountStatus tells whether an account may sign in.
type AccountStatus string

// Account statuses.
const (
	StatusActive   AccountStatus = "active"
	StatusDisabled AccountStatus = "disabled"
)

// Stage is a person's development stage towards full membership.
type Stage string

// Development stages, in order.
const (
	StageNone         Stage = "none"
	StageApplicant    Stage = "applicant"    // 入党申请人
	StageActivist     Stage = "activist"     // 入党积极分子
	StageCandidate    Stage = "candidate"    // 发展对象
	StageProbationary Stage = "probationary" // 预备党员
	StageFullMember   Stage = "full_member"  // 正式党员
)

// Profile is the member data a growth file needs. Dates are "YYYY-MM-DD" or empty.
type Profile struct {
	Gender          string // "", "male", "female"
	BirthDate       string
	Ethnicity       string
	Education       string
	NationalIDMask  string // masked for display; the number itself never leaves biz unencrypted
	ApplicationDate string
	JoinedDate      string
	FullMemberDate  string
	Stage           Stage
}

// Account is a person who signs in.
type Account struct {
	ID                 int64
	Username           string
	Phone              string
	DisplayName        string
	PasswordHash       string
	MustChangePassword bool
	Roles              []string
	OrgID              int64
	OrgPath            string
	Status             AccountStatus
	Profile            Profile
	// NationalIDEnc and NationalIDHash are the sealed number and its keyed hash (for uniqueness).
	NationalIDEnc  []byte
	NationalIDHash string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// SessionVersion goes up each time the account's sessions end; access tokens carry it (see
	// auth.Revocation). SessionsRevokedAt is when it last went up.
	SessionVersion    int64
	SessionsRevokedAt *time.Time
}

// HasRole reports whether the account holds role.
func (a *Account) HasRole(role string) bool { return slices.Contains(a.Roles, role) }

// Principal returns the token principal for a.
func (a *Account) Principal() *auth.Principal {
	return &auth.Principal{UserID: a.ID, Username: a.Username, Roles: a.Roles, OrgID: a.OrgID, OrgPath: a.OrgPath, SessionVersion: a.SessionVersion}
}

// AccountFilter selects accounts for listing.
type AccountFilter struct {
	PathPrefix string // "" = all
	Role       string
	Query      string
	AfterID    int64
	Limit      int
}

// AccountPatch changes selected fields; nil leaves a field unchanged.
type AccountPatch struct {
	DisplayName        *string
	Phone              *string
	OrgID              *int64
	OrgPath            *string
	Status             *AccountStatus
	Roles              []string
	PasswordHash       *string
	MustChangePassword *bool
	Profile            *Profile // non-empty fields replace stored ones
	NationalIDEnc      []byte
	NationalIDHash     *string
}

// AccountRepo stores accounts.
type AccountRepo interface {
	Create(ctx context.Context, accounts []*Account) ([]*Account, error)
	Get(ctx context.Context, id int64) (*Account, error)
	// GetMany returns the accounts with the given ids, keyed by id; missing ids are absent.
	GetMany(ctx context.Context, ids []int64) (map[int64]*Account, error)
	// GetByLogin finds an account by username or phone.
	GetByLogin(ctx context.Context, login string) (*Account, error)
	Update(ctx context.Context, id int64, patch AccountPatch) (*Account, error)
	List(ctx context.Context, f AccountFilter) ([]*Account, int, error)
	CountInOrg(ctx context.Context, orgID int64) (int, error)
	// Taken returns which of the given usernames, phones and national-ID hashes already exist.
	Taken(ctx context.Context, usernames, phones, idHashes []string) (map[string]bool, error)
	// AnyAdmin reports whether at least one account holds the admin role.
	AnyAdmin(ctx context.Context) (bool, error)
}

// IDProtector seals national ID numbers: encryption for storage, a keyed hash for uniqueness.
type IDProtector interface {
	Seal(plain string) ([]byte, error)
	Open(sealed []byte) (string, error)
	Hash(plain string) string
}

// PasswordHasher hashes and checks passwords (argon2id in production).
type PasswordHasher interface {
	Hash(password string) (string, error)
	Verify(password, hash string) (bool, error)
}

// NewAccount is what staff give to create an account.
type NewAccount struct {
	Username    string
	Phone       string
	DisplayName string
	Password    string
	Roles       []string
	OrgID       int64
	Profile     ProfileInput
}

// ProfileInput is a profile as entered, including the plain national ID number.
type ProfileInput struct {
	Gender          string
	BirthDate       string
	Ethnicity       string
	Education       string
	NationalID      string
	ApplicationDate string
	JoinedDate      string
	FullMemberDate  string
	Stage           Stage
}

// AccountUsecase manages accounts under the caller's scope.
type AccountUsecase struct {
	accounts AccountRepo
	orgs     OrgRepo
	tokens   TokenRepo
	ids      IDProtector
	hasher   PasswordHasher
	audit    *Auditor
	tx       Transaction
	// revocations broadcasts ended sessions; see SetRevocationPublisher.
	revocations RevocationPublisher
	// transfers and mover: see SetTransfers.
	transfers TransferRepo
	mover     MemberMover
	// temps: see UseTempMembers.
	temps TempMemberRepo
	// events: see UseEvents.
	events Publisher
}

// NewAccountUsecase wires an AccountUsecase.
func NewAccountUsecase(accounts AccountRepo, orgs OrgRepo, tokens TokenRepo, ids IDProtector, hasher PasswordHasher, audit *Auditor, tx Transaction) *AccountUsecase {
	return &AccountUsecase{accounts: accounts, orgs: orgs, tokens: tokens, ids: ids, hasher: hasher, audit: audit, tx: tx, events: noEvents{}}
}

var (
	phonePattern = regexp.MustCompile(`^1[3-9][0-9]{9}$`)
	datePattern  = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
)

// canGrant reports whether p may give role to an account in the org at path: admins any role;
// staff member and trainer in their subtree, staff only strictly below their own org.
func canGrant(p *auth.Principal, role, path string) bool {
	if p.IsAdmin() {
		return true
	}
	if !p.CanManageOrg(path) {
		return false
	}
	switch role {
	case auth.RoleMember, auth.RoleTrainer:
		return true
	case auth.RoleStaff:
		return path != p.OrgPath
	}
	return false
}

// canManageAccount reports whether p may change a: admins any; staff accounts in their subtree
// that are neither admins nor staff of the same or a higher org, and never themselves.
func canManageAccount(p *auth.Principal, a *Account) bool {
	if p.IsAdmin() {
		return true
	}
	if !p.CanManageOrg(a.OrgPath) || a.ID == p.UserID || a.HasRole(auth.RoleAdmin) {
		return false
	}
	return !a.HasRole(auth.RoleStaff) || a.OrgPath != p.OrgPath
}

// validRole reports whether r is a known role.
// roleLabel is a role's name as users read it.
func roleLabel(r string) string {
	switch r {
	case auth.RoleAdmin:
		return "系统管理员"
	case auth.RoleStaff:
		return "组织管理员"
	case auth.RoleTrainer:
		return "培训管理员"
	case auth.RoleMember:
		return "党员"
	}
	return r
}

func validRole(r string) bool {
	return r == auth.RoleAdmin || r == auth.RoleStaff || r == auth.RoleTrainer || r == auth.RoleMember
}

// normaliseRoles removes duplicates and sorts roles into a canonical order.
func normaliseRoles(roles []string) []string {
	out := make([]string, 0, len(roles))
	for _, r := range []string{auth.RoleAdmin, auth.RoleStaff, auth.RoleTrainer, auth.RoleMember} {
		if slices.Contains(roles, r) {
			out = append(out, r)
		}
	}
	return out
}

// validateUsername checks the username rule. Usernames may not look like mobile numbers: sign-in
// accepts a username or a phone number, and one must never be mistaken for the other.
func validateUsername(u string) error {
	if !usernamePattern.MatchString(u) {
		return Invalid("username", "应为2-%d位字母、数字或 _ . @ -", MaxUsername)
	}
	if phonePattern.MatchString(u) {
		return Invalid("username", "不能是手机号格式，手机号请填在手机号一栏")
	}
	return nil
}

// ValidatePassword checks the password policy: 8–128 characters with letters and digits.
func ValidatePassword(field, pw string) error {
	n := utf8.RuneCountInString(pw)
	if n < 8 || n > 128 {
		return Invalid(field, "密码长度须为8到128个字符")
	}
	var letter, digit bool
	for _, r := range pw {
		switch {
		case r >= '0' && r <= '9':
			digit = true
		case (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'):
			letter = true
		}
	}
	if !letter || !digit {
		return Invalid(field, "密码须同时包含字母和数字")
	}
	return nil
}

// validateProfile checks an entered profile and returns field errors keyed by field name.
func validateProfile(in *ProfileInput) error {
	switch in.Gender {
	case "", "male", "female":
	default:
		return Invalid("profile.gender", "性别无效")
	}
	for _, d := range []struct{ field, v string }{
		{"profile.birth_date", in.BirthDate}, {"profile.application_date", in.ApplicationDate},
		{"profile.joined_date", in.JoinedDate}, {"profile.full_member_date", in.FullMemberDate},
	} {
		if d.v == "" {
			continue
		}
		if !datePattern.MatchString(d.v) {
			return Invalid(d.field, "日期格式应为YYYY-MM-DD")
		}
		if _, err := time.Parse("2006-01-02", d.v); err != nil {
			return Invalid(d.field, "日期不存在")
		}
	}
	for _, f := range []struct {
		field, v string
		max      int
	}{{"profile.ethnicity", in.Ethnicity, MaxEthnicity}, {"profile.education", in.Education, MaxEducation}} {
		if utf8.RuneCountInString(strings.TrimSpace(f.v)) > f.max {
			return Invalid(f.field, "最长%d字", f.max)
		}
	}
	if in.NationalID != "" {
		in.NationalID = strings.ToUpper(strings.TrimSpace(in.NationalID))
		if !ValidNationalID(in.NationalID) {
			return Invalid("profile.national_id", "身份证号码无效（18位，校验位不符）")
		}
	}
	switch in.Stage {
	case "", StageNone, StageApplicant, StageActivist, StageCandidate, StageProbationary, StageFullMember:
	default:
		return Invalid("profile.stage", "发展阶段无效")
	}
	return nil
}

// ValidNationalID checks an 18-character PRC resident ID number: digits, a valid birth date and
// the ISO 7064 MOD 11-2 check character.
func ValidNationalID(id string) bool {
	if len(id) != 18 {
		return false
	}
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 17; i++ {
		c := id[i]
		if c < '0' || c > '9' {
			return false
		}
		sum += int(c-'0') * weights[i]
	}
	if _, err := time.Parse("20060102", id[6:14]); err != nil {
		return false
	}
	return id[17] == "10X98765432"[sum%11]
}

// MaskNationalID keeps the region prefix and the last four characters.
func MaskNationalID(id string) string {
	if len(id) < 8 {
		return strings.Repeat("*", len(id))
	}
	return id[:4] + strings.Repeat("*", len(id)-8) + id[len(id)-4:]
}

// buildAccount validates a NewAccount against org and returns the account to store (password
// hashing is left to the caller so imports can hash once).
func (uc *AccountUsecase) buildAccount(in NewAccount, org *Org, passwordHash string, mustChange bool) (*Account, error) {
	in.Username = strings.TrimSpace(in.Username)
	in.DisplayName = strings.TrimSpace(in.DisplayName)
	in.Phone = strings.TrimSpace(in.Phone)
	if err := validateUsername(in.Username); err != nil {
		return nil, err
	}
	if in.DisplayName == "" || utf8.RuneCountInString(in.DisplayName) > MaxDisplayName {
		return nil, Invalid("display_name", "姓名不能为空，最长%d字", MaxDisplayName)
	}
	if in.Phone != "" && !phonePattern.MatchString(in.Phone) {
		return nil, Invalid("phone", "手机号应为11位中国大陆手机号")
	}
	if len(in.Roles) == 0 {
		return nil, Invalid("roles", "至少需要一个角色")
	}
	for _, r := range in.Roles {
		if !validRole(r) {
			return nil, Invalid("roles", "角色 %q 无效", r)
		}
	}
	if err := validateProfile(&in.Profile); err != nil {
		return nil, err
	}
	a := &Account{
		Username: in.Username, Phone: in.Phone, DisplayName: in.DisplayName,
		PasswordHash: passwordHash, MustChangePassword: mustChange,
		Roles: normaliseRoles(in.Roles), OrgID: org.ID, OrgPath: org.Path, Status: StatusActive,
		Profile: Profile{
			Gender: in.Profile.Gender, BirthDate: in.Profile.BirthDate, Ethnicity: strings.TrimSpace(in.Profile.Ethnicity),
			Education: strings.TrimSpace(in.Profile.Education), ApplicationDate: in.Profile.ApplicationDate,
			JoinedDate: in.Profile.JoinedDate, FullMemberDate: in.Profile.FullMemberDate, Stage: in.Profile.Stage,
		},
	}
	if a.Profile.Stage == "" {
		a.Profile.Stage = StageNone
	}
	if in.Profile.NationalID != "" {
		sealed, err := uc.ids.Seal(in.Profile.NationalID)
		if err != nil {
			return nil, err
		}
		a.NationalIDEnc = sealed
		a.NationalIDHash = uc.ids.Hash(in.Profile.NationalID)
		a.Profile.NationalIDMask = MaskNationalID(in.Profile.NationalID)
	}
	return a, nil
}

// Create adds one account in an org the caller manages, with roles the caller may grant.
func (uc *AccountUsecase) Create(ctx context.Context, in NewAccount) (*Account, error) {
	p, err := requireHome(ctx)
	if err != nil {
		return nil, err
	}
	if err := ValidatePassword("password", in.Password); err != nil {
		return nil, err
	}
	var created *Account
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		org, err := uc.orgs.Get(ctx, in.OrgID)
		if err != nil {
			return err
		}
		if !p.CanManageOrg(org.Path) {
			if canSeeOrg(p, org.Path) {
				return deny("无权在该组织中创建账号")
			}
			return ErrOrgNotFound
		}
		for _, r := range in.Roles {
			if validRole(r) && !canGrant(p, r, org.Path) {
				return deny("无权授予「" + roleLabel(r) + "」角色")
			}
		}
		hash, err := uc.hasher.Hash(in.Password)
		if err != nil {
			return err
		}
		a, err := uc.buildAccount(in, org, hash, false)
		if err != nil {
			return err
		}
		out, err := uc.accounts.Create(ctx, []*Account{a})
		if err != nil {
			return err
		}
		created = out[0]
		return uc.audit.Record(ctx, AuditEntry{
			Action: "account.create", TargetType: "account", TargetID: created.ID, OrgPath: created.OrgPath,
			Summary: "创建账号 " + created.Username + "（" + created.DisplayName + "）", After: auditView(created),
		})
	})
	return created, err
}

// Get returns an account the caller may see: itself, or any account in a subtree it manages.
// Anything else is ErrAccountNotFound so ids of other people do not leak.
func (uc *AccountUsecase) Get(ctx context.Context, id int64) (*Account, error) {
	p, err := requireHome(ctx)
	if err != nil {
		return nil, err
	}
	a, err := uc.accounts.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if a.ID != p.UserID && !p.CanManageOrg(a.OrgPath) {
		// Staff of a temporary branch see its members (to record their attendance there).
		full, _ := auth.FromContext(ctx)
		if ok, err := uc.inManagedTempBranch(ctx, full, a.ID); err != nil || !ok {
			if err == nil {
				err = ErrAccountNotFound
			}
			return nil, err
		}
	}
	return a, nil
}

// inManagedTempBranch reports whether the account belongs to a temporary branch p manages.
func (uc *AccountUsecase) inManagedTempBranch(ctx context.Context, p *auth.Principal, accountID int64) (bool, error) {
	if uc.temps == nil {
		return false, nil
	}
	ms, err := uc.temps.OfAccount(ctx, accountID)
	if err != nil {
		return false, err
	}
	for _, m := range ms {
		if p.CanManageOrg(m.OrgPath) {
			return true, nil
		}
	}
	return false, nil
}

// UpdateInput carries the fields of an account update; nil leaves a field unchanged.
type UpdateInput struct {
	DisplayName *string
	Phone       *string
	OrgID       *int64
	Status      *AccountStatus
	Profile     *ProfileInput
}

// Update changes an account the caller manages; moving it needs scope over the target org too.
func (uc *AccountUsecase) Update(ctx context.Context, id int64, in UpdateInput) (*Account, error) {
	p, err := requireHome(ctx)
	if err != nil {
		return nil, err
	}
	var patch AccountPatch
	if in.DisplayName != nil {
		v := strings.TrimSpace(*in.DisplayName)
		if v == "" {
			return nil, Invalid("display_name", "姓名不能为空")
		}
		patch.DisplayName = &v
	}
	if in.Phone != nil {
		v := strings.TrimSpace(*in.Phone)
		if v != "" && !phonePattern.MatchString(v) {
			return nil, Invalid("phone", "手机号应为11位中国大陆手机号")
		}
		patch.Phone = &v
	}
	if in.Status != nil {
		if *in.Status != StatusActive && *in.Status != StatusDisabled {
			return nil, Invalid("status", "账号状态无效")
		}
		patch.Status = in.Status
	}
	if in.Profile != nil {
		if err := validateProfile(in.Profile); err != nil {
			return nil, err
		}
		patch.Profile = &Profile{
			Gender: in.Profile.Gender, BirthDate: in.Profile.BirthDate, Ethnicity: in.Profile.Ethnicity,
			Education: in.Profile.Education, ApplicationDate: in.Profile.ApplicationDate,
			JoinedDate: in.Profile.JoinedDate, FullMemberDate: in.Profile.FullMemberDate, Stage: in.Profile.Stage,
		}
		if in.Profile.NationalID != "" {
			sealed, err := uc.ids.Seal(in.Profile.NationalID)
			if err != nil {
				return nil, err
			}
			h := uc.ids.Hash(in.Profile.NationalID)
			patch.NationalIDEnc, patch.NationalIDHash = sealed, &h
			patch.Profile.NationalIDMask = MaskNationalID(in.Profile.NationalID)
		}
	}
	var updated *Account
	var rev *auth.Revocation
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		before, err := uc.accounts.Get(ctx, id)
		if err != nil {
			return err
		}
		if err := uc.checkManage(p, before); err != nil {
			return err
		}
		if in.OrgID != nil && *in.OrgID != before.OrgID {
			org, err := uc.orgs.Get(ctx, *in.OrgID)
			if err != nil {
				return err
			}
			if !p.CanManageOrg(org.Path) {
				if canSeeOrg(p, org.Path) {
					return deny("无权将账号调入该组织")
				}
				return ErrOrgNotFound
			}
			for _, r := range before.Roles {
				if !canGrant(p, r, org.Path) {
					return deny("无权将持有角色 " + r + " 的账号调入该组织")
				}
			}
			patch.OrgID, patch.OrgPath = &org.ID, &org.Path
		}
		// A disabled account loses its sessions; so does a move to another org, whose id and
		// path are in the access token. (Before the update, which returns the new version.)
		if (in.Status != nil && *in.Status == StatusDisabled) || patch.OrgID != nil {
			r, err := uc.tokens.RevokeAccount(ctx, id, uc.audit.clock.Now())
			if err != nil {
				return err
			}
			rev = &r
		}
		updated, err = uc.accounts.Update(ctx, id, patch)
		if err != nil {
			return err
		}
		if patch.OrgID != nil && uc.mover != nil {
			if err := uc.mover.MemberMoved(ctx, updated); err != nil {
				return err
			}
		}
		return uc.audit.Record(ctx, AuditEntry{
			Action: "account.update", TargetType: "account", TargetID: id, OrgPath: updated.OrgPath,
			Summary: "修改账号 " + updated.Username, Before: auditView(before), After: auditView(updated),
		})
	})
	if err == nil && rev != nil {
		publishRevocation(ctx, uc.revocations, *rev)
	}
	return updated, err
}

// checkManage returns nil if p may change a, a denial if p can see a but not change it, and
// ErrAccountNotFound if p may not even see it.
func (uc *AccountUsecase) checkManage(p *auth.Principal, a *Account) error {
	if canManageAccount(p, a) {
		return nil
	}
	if a.ID == p.UserID || p.CanManageOrg(a.OrgPath) {
		return deny("无权修改该账号")
	}
	return ErrAccountNotFound
}

// SetRoles replaces an account's roles; a role change is always audited.
func (uc *AccountUsecase) SetRoles(ctx context.Context, id int64, roles []string) (*Account, error) {
	p, err := requireHome(ctx)
	if err != nil {
		return nil, err
	}
	if len(roles) == 0 {
		return nil, Invalid("roles", "至少需要一个角色")
	}
	for _, r := range roles {
		if !validRole(r) {
			return nil, Invalid("roles", "角色 %q 无效", r)
		}
	}
	roles = normaliseRoles(roles)
	var updated *Account
	var rev auth.Revocation
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		before, err := uc.accounts.Get(ctx, id)
		if err != nil {
			return err
		}
		if err := uc.checkManage(p, before); err != nil {
			return err
		}
		for _, r := range roles {
			if !before.HasRole(r) && !canGrant(p, r, before.OrgPath) {
				return deny("无权授予「" + roleLabel(r) + "」角色")
			}
		}
		for _, r := range before.Roles {
			if !slices.Contains(roles, r) && !canGrant(p, r, before.OrgPath) {
				return deny("无权撤销「" + roleLabel(r) + "」角色")
			}
		}
		// Roles live in access tokens: end the account's sessions so new roles apply at once.
		if rev, err = uc.tokens.RevokeAccount(ctx, id, uc.audit.clock.Now()); err != nil {
			return err
		}
		updated, err = uc.accounts.Update(ctx, id, AccountPatch{Roles: roles})
		if err != nil {
			return err
		}
		return uc.audit.Record(ctx, AuditEntry{
			Action: "account.roles", TargetType: "account", TargetID: id, OrgPath: updated.OrgPath,
			Summary: "变更角色 " + updated.Username + "：" + strings.Join(before.Roles, ",") + " → " + strings.Join(roles, ","),
			Before:  before.Roles, After: roles,
		})
	})
	if err == nil {
		publishRevocation(ctx, uc.revocations, rev)
	}
	return updated, err
}

// ResetPassword sets a password chosen by staff; the account must change it at next sign-in and
// all its sessions end.
func (uc *AccountUsecase) ResetPassword(ctx context.Context, id int64, password string) error {
	p, err := requireHome(ctx)
	if err != nil {
		return err
	}
	if err := ValidatePassword("new_password", password); err != nil {
		return err
	}
	var rev auth.Revocation
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		a, err := uc.accounts.Get(ctx, id)
		if err != nil {
			return err
		}
		if err := uc.checkManage(p, a); err != nil {
			return err
		}
		hash, err := uc.hasher.Hash(password)
		if err != nil {
			return err
		}
		must := true
		if _, err := uc.accounts.Update(ctx, id, AccountPatch{PasswordHash: &hash, MustChangePassword: &must}); err != nil {
			return err
		}
		if rev, err = uc.tokens.RevokeAccount(ctx, id, uc.audit.clock.Now()); err != nil {
			return err
		}
		return uc.audit.Record(ctx, AuditEntry{
			Action: "account.reset_password", TargetType: "account", TargetID: id, OrgPath: a.OrgPath,
			Summary: "重置密码 " + a.Username,
		})
	})
	if err == nil {
		publishRevocation(ctx, uc.revocations, rev)
	}
	return err
}

// List returns accounts in orgID's subtree (0: the caller's scope); staff and admins only.
func (uc *AccountUsecase) List(ctx context.Context, orgID int64, f AccountFilter) ([]*Account, int, error) {
	p, err := requireHome(ctx)
	if err != nil {
		return nil, 0, err
	}
	if !p.IsAdmin() && !p.HasRole(auth.RoleStaff) {
		return nil, 0, deny("无权查看账号列表")
	}
	f.PathPrefix = ""
	if !p.IsAdmin() {
		f.PathPrefix = p.OrgPath
	}
	if orgID != 0 {
		org, err := uc.orgs.Get(ctx, orgID)
		if err != nil {
			return nil, 0, err
		}
		if !p.CanManageOrg(org.Path) {
			if canSeeOrg(p, org.Path) {
				return nil, 0, deny("无权查看该组织的账号")
			}
			return nil, 0, ErrOrgNotFound
		}
		f.PathPrefix = org.Path
	}
	f.Limit = clampLimit(f.Limit, 50, 500)
	return uc.accounts.List(ctx, f)
}

// auditView is what the audit log keeps of an account: no hashes, only the masked ID number.
func auditView(a *Account) map[string]any {
	return map[string]any{
		"id": a.ID, "username": a.Username, "display_name": a.DisplayName, "phone": a.Phone,
		"roles": a.Roles, "org_id": a.OrgID, "status": a.Status, "stage": a.Profile.Stage,
		"national_id": a.Profile.NationalIDMask,
	}
}
