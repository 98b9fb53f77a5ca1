package biz

import (
	"context"

	"github.com/vanguard/vanguard/pkg/auth"
)

// BootstrapResult says what Bootstrap did on this start.
type BootstrapResult struct {
	// Created is true when this start created the admin account (first start).
	Created  bool
	Username string
}

// Bootstrap makes sure the system can be administered: on the very first start (no admin yet)
// it creates the root organisation and the "admin" account with the given password. Later
// starts change nothing. It runs as the system, outside any principal's scope.
func (uc *AccountUsecase) Bootstrap(ctx context.Context, password string) (*BootstrapResult, error) {
	res := &BootstrapResult{Username: "admin"}
	err := uc.tx.InTx(ctx, func(ctx context.Context) error {
		ok, err := uc.accounts.AnyAdmin(ctx)
		if err != nil || ok {
			return err
		}
		if err := ValidatePassword("VANGUARD_ADMIN_PASSWORD", password); err != nil {
			return err
		}
		roots, err := uc.orgs.GetByCodes(ctx, []string{"ROOT"})
		if err != nil {
			return err
		}
		root := roots["ROOT"]
		if root == nil {
			created, err := uc.orgs.Create(ctx, []NewOrg{{Name: "中共先锋委员会", Code: "ROOT", Type: OrgCommittee}})
			if err != nil {
				return err
			}
			root = created[0]
		}
		hash, err := uc.hasher.Hash(password)
		if err != nil {
			return err
		}
		out, err := uc.accounts.Create(ctx, []*Account{{
			Username: "admin", DisplayName: "系统管理员", PasswordHash: hash, Roles: []string{auth.RoleAdmin},
			OrgID: root.ID, OrgPath: root.Path, Status: StatusActive, Profile: Profile{Stage: StageNone},
		}})
		if err != nil {
			return err
		}
		res.Created = true
		return uc.audit.Record(ctx, AuditEntry{
			Action: "system.bootstrap", TargetType: "account", TargetID: out[0].ID, OrgPath: root.Path,
			Summary: "初始化系统：创建根组织和管理员账号",
		})
	})
	return res, err
}
