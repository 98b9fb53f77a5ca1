package data

import (
	"context"
	"slices"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/vanguard/vanguard/app/studyhour/internal/biz"
	"github.com/vanguard/vanguard/app/studyhour/internal/data/ent"
	"github.com/vanguard/vanguard/app/studyhour/internal/data/ent/hoursmonth"
	"github.com/vanguard/vanguard/app/studyhour/internal/data/ent/memberstate"
	"github.com/vanguard/vanguard/app/studyhour/internal/data/ent/orgrule"
	"github.com/vanguard/vanguard/app/studyhour/internal/data/ent/refusalcount"
)

func (r *store) Rules(ctx context.Context, paths []string) ([]biz.OrgRule, error) {
	if len(paths) == 0 {
		return nil, nil
	}
	var out []biz.OrgRule
	for chunk := range slices.Chunk(paths, inChunk) {
		rows, err := r.data.client(ctx).OrgRule.Query().Where(orgrule.OrgPathIn(chunk...)).All(ctx)
		if err != nil {
			return nil, mapErr("store.Rules", err, nil)
		}
		for _, row := range rows {
			out = append(out, biz.OrgRule{OrgID: row.OrgID, OrgPath: row.OrgPath, Key: row.Key, Value: row.Value, SetBy: row.SetBy, SetAt: row.SetAt})
		}
	}
	return out, nil
}

func (r *store) SaveRule(ctx context.Context, rule biz.OrgRule) error {
	c := r.data.client(ctx)
	if rule.Value == 0 {
		_, err := c.OrgRule.Delete().Where(orgrule.OrgPath(rule.OrgPath), orgrule.Key(rule.Key)).Exec(ctx)
		return mapErr("store.SaveRule", err, nil)
	}
	err := c.OrgRule.Create().SetOrgID(rule.OrgID).SetOrgPath(rule.OrgPath).SetKey(rule.Key).SetValue(rule.Value).
		SetSetBy(rule.SetBy).SetSetAt(rule.SetAt.UTC()).
		OnConflict(entsql.ConflictColumns(orgrule.FieldOrgPath, orgrule.FieldKey)).
		Update(func(u *ent.OrgRuleUpsert) { u.UpdateValue().UpdateSetBy().UpdateSetAt() }).Exec(ctx)
	return mapErr("store.SaveRule", err, nil)
}

// inChunk bounds an IN list (SQLite allows 32,766 variables, PostgreSQL 65,535).
const inChunk = 5000

// YearTotals reads each member's year from their chain head (one row per member) when it is the
// latest year they were credited in, and sums the month rows only for members credited in a
// later year since (a report of a past year).
func (r *store) YearTotals(ctx context.Context, memberIDs []int64, year int) (map[int64]int64, error) {
	c := r.data.client(ctx)
	out := make(map[int64]int64, len(memberIDs))
	var later []int64
	for chunk := range slices.Chunk(memberIDs, inChunk) {
		rows, err := c.MemberState.Query().Where(memberstate.MemberIDIn(chunk...), memberstate.YearGTE(year)).
			Select(memberstate.FieldMemberID, memberstate.FieldYear, memberstate.FieldYearSeconds).All(ctx)
		if err != nil {
			return nil, mapErr("store.YearTotals", err, nil)
		}
		for _, row := range rows {
			if row.Year == year {
				out[row.MemberID] = row.YearSeconds
			} else {
				later = append(later, row.MemberID)
			}
		}
	}
	for chunk := range slices.Chunk(later, inChunk) {
		var rows []struct {
			MemberID int64 `json:"member_id"`
			Sum      int64 `json:"sum"`
		}
		err := c.HoursMonth.Query().Where(hoursmonth.Year(year), hoursmonth.MemberIDIn(chunk...)).
			GroupBy(hoursmonth.FieldMemberID).Aggregate(ent.Sum(hoursmonth.FieldSeconds)).Scan(ctx, &rows)
		if err != nil {
			return nil, mapErr("store.YearTotals", err, nil)
		}
		for _, row := range rows {
			out[row.MemberID] = row.Sum
		}
	}
	return out, nil
}

func (r *store) RefusalTotals(ctx context.Context, memberIDs []int64) (map[int64]int64, error) {
	out := map[int64]int64{}
	for chunk := range slices.Chunk(memberIDs, inChunk) {
		var rows []struct {
			MemberID int64 `json:"member_id"`
			Sum      int64 `json:"sum"`
		}
		err := r.data.client(ctx).RefusalCount.Query().Where(refusalcount.MemberIDIn(chunk...)).
			GroupBy(refusalcount.FieldMemberID).Aggregate(ent.Sum(refusalcount.FieldCount)).Scan(ctx, &rows)
		if err != nil {
			return nil, mapErr("store.RefusalTotals", err, nil)
		}
		for _, row := range rows {
			out[row.MemberID] = row.Sum
		}
	}
	return out, nil
}
