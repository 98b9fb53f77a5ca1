package data

import (
	"context"
	"fmt"
	"strings"

	"github.com/vanguard/vanguard/app/org/internal/biz"
	"github.com/vanguard/vanguard/app/org/internal/data/ent"
	"github.com/vanguard/vanguard/app/org/internal/data/ent/account"
	"github.com/vanguard/vanguard/app/org/internal/data/ent/predicate"
)

type accountRepo struct{ data *Data }

var _ biz.AccountRepo = (*accountRepo)(nil)

// NewAccountRepo returns the ent-backed account repository.
func NewAccountRepo(d *Data) biz.AccountRepo { return &accountRepo{data: d} }

func accountToBiz(a *ent.Account) *biz.Account {
	b := &biz.Account{
		ID: a.ID, Username: a.Username, DisplayName: a.DisplayName, PasswordHash: a.PasswordHash,
		MustChangePassword: a.MustChangePassword, Roles: a.Roles, OrgID: a.OrgID, OrgPath: a.OrgPath,
		Status: biz.AccountStatus(a.Status), NationalIDEnc: a.NationalIDEnc,
		Profile: biz.Profile{
			Gender: string(a.Gender), BirthDate: a.BirthDate, Ethnicity: a.Ethnicity, Education: a.Education,
			NationalIDMask: a.NationalIDMask, ApplicationDate: a.ApplicationDate, JoinedDate: a.JoinedDate,
			FullMemberDate: a.FullMemberDate, Stage: biz.Stage(a.Stage),
		},
		CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt,
		SessionVersion: a.SessionVersion, SessionsRevokedAt: a.SessionsRevokedAt,
	}
	if b.Profile.Gender == "unspecified" {
		b.Profile.Gender = ""
	}
	if a.Phone != nil {
		b.Phone = *a.Phone
	}
	if a.NationalIDHash != nil {
		b.NationalIDHash = *a.NationalIDHash
	}
	return b
}

func genderOf(g string) account.Gender {
	if g == "" {
		return account.GenderUnspecified
	}
	return account.Gender(g)
}

func (r *accountRepo) Create(ctx context.Context, accounts []*biz.Account) ([]*biz.Account, error) {
	c := r.data.client(ctx)
	out := make([]*biz.Account, 0, len(accounts))
	const chunk = 200
	for start := 0; start < len(accounts); start += chunk {
		end := min(start+chunk, len(accounts))
		builders := make([]*ent.AccountCreate, 0, end-start)
		for _, a := range accounts[start:end] {
			b := c.Account.Create().
				SetUsername(a.Username).SetDisplayName(a.DisplayName).SetPasswordHash(a.PasswordHash).
				SetMustChangePassword(a.MustChangePassword).SetRoles(a.Roles).SetOrgID(a.OrgID).SetOrgPath(a.OrgPath).
				SetStatus(account.Status(a.Status)).SetGender(genderOf(a.Profile.Gender)).SetBirthDate(a.Profile.BirthDate).
				SetEthnicity(a.Profile.Ethnicity).SetEducation(a.Profile.Education).SetNationalIDMask(a.Profile.NationalIDMask).
				SetApplicationDate(a.Profile.ApplicationDate).SetJoinedDate(a.Profile.JoinedDate).
				SetFullMemberDate(a.Profile.FullMemberDate).SetStage(account.Stage(a.Profile.Stage))
			if a.Phone != "" {
				b.SetPhone(a.Phone)
			}
			if a.NationalIDHash != "" {
				b.SetNationalIDHash(a.NationalIDHash).SetNationalIDEnc(a.NationalIDEnc)
			}
			builders = append(builders, b)
		}
		created, err := c.Account.CreateBulk(builders...).Save(ctx)
		if err != nil {
			return nil, mapErr("accountRepo.Create", err, nil)
		}
		for _, a := range created {
			out = append(out, accountToBiz(a))
		}
	}
	return out, nil
}

func (r *accountRepo) Get(ctx context.Context, id int64) (*biz.Account, error) {
	a, err := r.data.Reader(ctx).Account.Get(ctx, id)
	if err != nil {
		return nil, mapErr("accountRepo.Get", err, biz.ErrAccountNotFound)
	}
	return accountToBiz(a), nil
}

func (r *accountRepo) GetMany(ctx context.Context, ids []int64) (map[int64]*biz.Account, error) {
	out := make(map[int64]*biz.Account, len(ids))
	uniq := dedupe(ids)
	for start := 0; start < len(uniq); start += 500 {
		rows, err := r.data.Reader(ctx).Account.Query().Where(account.IDIn(uniq[start:min(start+500, len(uniq))]...)).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("accountRepo.GetMany: %w", err)
		}
		for _, a := range rows {
			out[a.ID] = accountToBiz(a)
		}
	}
	return out, nil
}

func (r *accountRepo) GetByLogin(ctx context.Context, login string) (*biz.Account, error) {
	a, err := r.data.client(ctx).Account.Query().
		Where(account.Or(account.Username(login), account.Phone(login))).
		Order(ent.Asc(account.FieldID)).First(ctx)
	if err != nil {
		return nil, mapErr("accountRepo.GetByLogin", err, biz.ErrAccountNotFound)
	}
	return accountToBiz(a), nil
}

func (r *accountRepo) Update(ctx context.Context, id int64, p biz.AccountPatch) (*biz.Account, error) {
	u := r.data.client(ctx).Account.UpdateOneID(id)
	if p.DisplayName != nil {
		u.SetDisplayName(*p.DisplayName)
	}
	if p.Phone != nil {
		if *p.Phone == "" {
			u.ClearPhone()
		} else {
			u.SetPhone(*p.Phone)
		}
	}
	if p.OrgID != nil {
		u.SetOrgID(*p.OrgID).SetOrgPath(*p.OrgPath)
	}
	if p.Status != nil {
		u.SetStatus(account.Status(*p.Status))
	}
	if p.Roles != nil {
		u.SetRoles(p.Roles)
	}
	if p.PasswordHash != nil {
		u.SetPasswordHash(*p.PasswordHash)
	}
	if p.MustChangePassword != nil {
		u.SetMustChangePassword(*p.MustChangePassword)
	}
	if pr := p.Profile; pr != nil {
		if pr.Gender != "" {
			u.SetGender(account.Gender(pr.Gender))
		}
		set := func(v string, f func(string) *ent.AccountUpdateOne) {
			if v != "" {
				f(v)
			}
		}
		set(pr.BirthDate, u.SetBirthDate)
		set(pr.Ethnicity, u.SetEthnicity)
		set(pr.Education, u.SetEducation)
		set(pr.ApplicationDate, u.SetApplicationDate)
		set(pr.JoinedDate, u.SetJoinedDate)
		set(pr.FullMemberDate, u.SetFullMemberDate)
		set(pr.NationalIDMask, u.SetNationalIDMask)
		if pr.Stage != "" {
			u.SetStage(account.Stage(pr.Stage))
		}
	}
	if p.NationalIDHash != nil {
		u.SetNationalIDHash(*p.NationalIDHash).SetNationalIDEnc(p.NationalIDEnc)
	}
	a, err := u.Save(ctx)
	if err != nil {
		return nil, mapErr("accountRepo.Update", err, biz.ErrAccountNotFound)
	}
	return accountToBiz(a), nil
}

func (r *accountRepo) List(ctx context.Context, f biz.AccountFilter) ([]*biz.Account, int, error) {
	q := r.data.client(ctx).Account.Query()
	if f.PathPrefix != "" {
		q = q.Where(predicate.Account(pathPrefix(account.FieldOrgPath, f.PathPrefix)))
	}
	if f.Query != "" {
		// Case-insensitive on both databases (LIKE folds ASCII on SQLite, not on PostgreSQL).
		q = q.Where(account.Or(account.UsernameContainsFold(f.Query), account.DisplayNameContainsFold(f.Query), account.PhoneContainsFold(f.Query)))
	}
	if f.Role != "" {
		// Roles are a JSON array of plain role names; the quoted name cannot match another role.
		q = q.Where(predicate.Account(func(s *entsqlSelector) {
			s.Where(likeRole(s, f.Role))
		}))
	}
	total, err := q.Clone().Count(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("accountRepo.List: count: %w", err)
	}
	if f.AfterID > 0 {
		q = q.Where(account.IDGT(f.AfterID))
	}
	rows, err := q.Order(ent.Asc(account.FieldID)).Limit(f.Limit).All(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("accountRepo.List: %w", err)
	}
	out := make([]*biz.Account, len(rows))
	for i, a := range rows {
		out[i] = accountToBiz(a)
	}
	return out, total, nil
}

func (r *accountRepo) CountInOrg(ctx context.Context, orgID int64) (int, error) {
	n, err := r.data.client(ctx).Account.Query().Where(account.OrgID(orgID)).Count(ctx)
	return n, mapErr("accountRepo.CountInOrg", err, nil)
}

// Taken returns keys "u:<lower username>", "p:<phone>" and "n:<id hash>" for values in use.
func (r *accountRepo) Taken(ctx context.Context, usernames, phones, idHashes []string) (map[string]bool, error) {
	out := map[string]bool{}
	c := r.data.client(ctx)
	lookup := func(values []string, pred func([]string) predicate.Account, key func(*ent.Account) string) error {
		values = dedupe(values)
		for start := 0; start < len(values); start += 500 {
			end := min(start+500, len(values))
			rows, err := c.Account.Query().Where(pred(values[start:end])).All(ctx)
			if err != nil {
				return fmt.Errorf("accountRepo.Taken: %w", err)
			}
			for _, a := range rows {
				out[key(a)] = true
			}
		}
		return nil
	}
	// Usernames match in any case, both ways: "ALICE" finds a stored "alice" and "alice" a
	// stored "Alice".
	lower := make([]string, len(usernames))
	for i, u := range usernames {
		lower[i] = strings.ToLower(u)
	}
	if err := lookup(lower, usernameFoldIn,
		func(a *ent.Account) string { return "u:" + strings.ToLower(a.Username) }); err != nil {
		return nil, err
	}
	if err := lookup(phones, func(v []string) predicate.Account { return account.PhoneIn(v...) },
		func(a *ent.Account) string { return "p:" + deref(a.Phone) }); err != nil {
		return nil, err
	}
	if err := lookup(idHashes, func(v []string) predicate.Account { return account.NationalIDHashIn(v...) },
		func(a *ent.Account) string { return "n:" + deref(a.NationalIDHash) }); err != nil {
		return nil, err
	}
	return out, nil
}

func (r *accountRepo) AnyAdmin(ctx context.Context) (bool, error) {
	ok, err := r.data.client(ctx).Account.Query().Where(predicate.Account(func(s *entsqlSelector) {
		s.Where(likeRole(s, "admin"))
	})).Exist(ctx)
	return ok, mapErr("accountRepo.AnyAdmin", err, nil)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
