package biz

import (
	"context"

	"github.com/vanguard/vanguard/pkg/auth"
)

// MaxLookup bounds one directory lookup (user ids, org ids each).
const MaxLookup = 1000

// Person is what another service may show of an account: its display name and organisation,
// nothing to contact or identify the person by.
type Person struct {
	UserID      int64
	DisplayName string
	OrgID       int64
	OrgName     string
}

// Directory answers other services' name lookups (service credentials only; see
// api/org/v1/directory.proto for why no user reaches it).
type Directory struct {
	orgs     OrgRepo
	accounts AccountRepo
}

// NewDirectory wires a Directory.
func NewDirectory(orgs OrgRepo, accounts AccountRepo) *Directory {
	return &Directory{orgs: orgs, accounts: accounts}
}

// Lookup returns the people and orgs found among the given ids (unknown ids are left out),
// each person with the name of their org.
func (d *Directory) Lookup(ctx context.Context, userIDs, orgIDs []int64) ([]Person, []*Org, error) {
	if _, err := auth.RequireService(ctx); err != nil {
		return nil, nil, err
	}
	if len(userIDs) > MaxLookup {
		return nil, nil, Invalid("user_ids", "每次最多查询 %d 个账号", MaxLookup)
	}
	if len(orgIDs) > MaxLookup {
		return nil, nil, Invalid("org_ids", "每次最多查询 %d 个组织", MaxLookup)
	}
	accounts, err := d.accounts.GetMany(ctx, userIDs)
	if err != nil {
		return nil, nil, err
	}
	want := append([]int64(nil), orgIDs...)
	for _, a := range accounts {
		want = append(want, a.OrgID)
	}
	orgs, err := d.orgs.GetMany(ctx, want)
	if err != nil {
		return nil, nil, err
	}
	var people []Person
	for _, id := range userIDs {
		a := accounts[id]
		if a == nil {
			continue
		}
		p := Person{UserID: a.ID, DisplayName: a.DisplayName, OrgID: a.OrgID}
		if o := orgs[a.OrgID]; o != nil {
			p.OrgName = o.Name
		}
		people = append(people, p)
		delete(accounts, id) // a repeated id is answered once
	}
	var out []*Org
	for _, id := range orgIDs {
		if o := orgs[id]; o != nil {
			out = append(out, o)
			delete(orgs, id)
		}
	}
	return people, out, nil
}
