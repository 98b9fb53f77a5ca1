package data

import (
	"context"
	"time"
	"unicode/utf8"

	"github.com/vanguard/vanguard/app/org/internal/biz"
	"github.com/vanguard/vanguard/app/org/internal/data/ent"
	"github.com/vanguard/vanguard/app/org/internal/data/ent/account"
	"github.com/vanguard/vanguard/app/org/internal/data/ent/refreshtoken"
	"github.com/vanguard/vanguard/pkg/auth"
)

type tokenRepo struct{ data *Data }

var _ biz.TokenRepo = (*tokenRepo)(nil)

// NewTokenRepo returns the ent-backed refresh token repository.
func NewTokenRepo(d *Data) biz.TokenRepo { return &tokenRepo{data: d} }

func (r *tokenRepo) Create(ctx context.Context, t *biz.RefreshToken) error {
	_, err := r.data.client(ctx).RefreshToken.Create().
		SetTokenHash(t.Hash).SetFamily(t.Family).SetAccountID(t.AccountID).SetExpiresAt(t.ExpiresAt).Save(ctx)
	return mapErr("tokenRepo.Create", err, nil)
}

func (r *tokenRepo) GetForUpdate(ctx context.Context, hash string) (*biz.RefreshToken, error) {
	q := r.data.client(ctx).RefreshToken.Query().Where(refreshtoken.TokenHash(hash))
	if r.data.Dialect() != "sqlite3" {
		q = q.ForUpdate()
	}
	t, err := q.Only(ctx)
	if err != nil {
		return nil, mapErr("tokenRepo.GetForUpdate", err, biz.ErrRefreshTokenNotFound)
	}
	return &biz.RefreshToken{ID: t.ID, Hash: t.TokenHash, Family: t.Family, AccountID: t.AccountID, ExpiresAt: t.ExpiresAt, UsedAt: t.UsedAt, RevokedAt: t.RevokedAt}, nil
}

func (r *tokenRepo) MarkUsed(ctx context.Context, id int64, at time.Time) (bool, error) {
	n, err := r.data.client(ctx).RefreshToken.Update().
		Where(refreshtoken.ID(id), refreshtoken.UsedAtIsNil(), refreshtoken.RevokedAtIsNil()).
		SetUsedAt(at).Save(ctx)
	return n == 1, mapErr("tokenRepo.MarkUsed", err, nil)
}

func (r *tokenRepo) RevokeFamily(ctx context.Context, family string, at time.Time) error {
	_, err := r.data.client(ctx).RefreshToken.Update().
		Where(refreshtoken.Family(family), refreshtoken.RevokedAtIsNil()).SetRevokedAt(at).Save(ctx)
	return mapErr("tokenRepo.RevokeFamily", err, nil)
}

func (r *tokenRepo) RevokeAccount(ctx context.Context, accountID int64, at time.Time) (auth.Revocation, error) {
	c := r.data.client(ctx)
	if _, err := c.RefreshToken.Update().
		Where(refreshtoken.AccountID(accountID), refreshtoken.RevokedAtIsNil()).SetRevokedAt(at).Save(ctx); err != nil {
		return auth.Revocation{}, mapErr("tokenRepo.RevokeAccount", err, nil)
	}
	// One UPDATE raises the version, so concurrent revocations each get their own.
	a, err := c.Account.UpdateOneID(accountID).AddSessionVersion(1).SetSessionsRevokedAt(at).Save(ctx)
	if err != nil {
		return auth.Revocation{}, mapErr("tokenRepo.RevokeAccount", err, biz.ErrAccountNotFound)
	}
	return auth.Revocation{UserID: a.ID, Version: a.SessionVersion, At: at}, nil
}

func (r *tokenRepo) RevocationsSince(ctx context.Context, t time.Time) ([]auth.Revocation, error) {
	rows, err := r.data.client(ctx).Account.Query().
		Where(account.SessionsRevokedAtGTE(t)).
		Select(account.FieldID, account.FieldSessionVersion, account.FieldSessionsRevokedAt).All(ctx)
	if err != nil {
		return nil, mapErr("tokenRepo.RevocationsSince", err, nil)
	}
	out := make([]auth.Revocation, 0, len(rows))
	for _, a := range rows {
		out = append(out, auth.Revocation{UserID: a.ID, Version: a.SessionVersion, At: *a.SessionsRevokedAt})
	}
	return out, nil
}

type failureRepo struct{ data *Data }

var _ biz.LoginFailureRepo = (*failureRepo)(nil)

// NewLoginFailureRepo returns the ent-backed failed-login counter.
func NewLoginFailureRepo(d *Data) biz.LoginFailureRepo { return &failureRepo{data: d} }

func (r *failureRepo) Add(ctx context.Context, username string, at time.Time) error {
	_, err := r.data.client(ctx).LoginFailure.Create().SetUsername(truncate(username, biz.MaxUsername)).SetAt(at).Save(ctx)
	return mapErr("failureRepo.Add", err, nil)
}

func (r *failureRepo) Since(ctx context.Context, username string, t time.Time) (int, time.Time, error) {
	rows, err := r.data.client(ctx).LoginFailure.Query().
		Where(loginFailureWhere(truncate(username, biz.MaxUsername), t)...).
		Order(ent.Asc("at")).All(ctx)
	if err != nil {
		return 0, time.Time{}, mapErr("failureRepo.Since", err, nil)
	}
	if len(rows) == 0 {
		return 0, time.Time{}, nil
	}
	return len(rows), rows[0].At, nil
}

func (r *failureRepo) Clear(ctx context.Context, username string) error {
	_, err := r.data.client(ctx).LoginFailure.Delete().Where(loginFailureWhere(truncate(username, biz.MaxUsername), time.Time{})[0]).Exec(ctx)
	return mapErr("failureRepo.Clear", err, nil)
}

// truncate keeps the first n characters of s (never a part of one: PostgreSQL refuses text that
// is not UTF-8).
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
