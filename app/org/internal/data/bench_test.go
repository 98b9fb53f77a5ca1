package data

// Benchmarks of the org service's data layer at 10,000 rows, on SQLite and on PostgreSQL. Run
// with `make bench`; they report figures only and assert no timings. The import benchmarks use
// the real biz use cases on the real repos, wired as app/org/org.go wires them.

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/vanguard/vanguard/app/org/internal/biz"
	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/secret"
	"github.com/vanguard/vanguard/pkg/sheet"
	"github.com/vanguard/vanguard/pkg/testdb"
)

// The benchmark tree: 10 committees × 10 general branches × 98–99 branches = 10,000 orgs. The
// first 90 general branches hold 99 branches, the last 10 (all under the last committee) 98.
const (
	benchCommittees  = 10
	benchGenerals    = 10 // per committee
	benchOrgTotal    = 10_000
	benchMemberTotal = 10_000
	benchBranches    = benchOrgTotal - benchCommittees - benchCommittees*benchGenerals
)

// benchBranchesOf returns how many branches general branch g (0-based, over the whole tree) holds.
func benchBranchesOf(g int) int {
	n := benchCommittees * benchGenerals
	per, extra := benchBranches/n, benchBranches%n
	if g < extra {
		return per + 1
	}
	return per
}

// benchDBs runs fn as the sub-benchmarks "sqlite" and "postgres"; newDSN gives a fresh database
// each time it is called (PostgreSQL fails rather than skips under VANGUARD_TEST_REQUIRE_SERVICES=1).
func benchDBs(b *testing.B, fn func(b *testing.B, driver string, newDSN func() string)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, "sqlite", func() string { return testdb.SQLite(b) }) })
	b.Run("postgres", func(b *testing.B) { fn(b, "postgres", func() string { return testdb.Postgres(b) }) })
}

// benchOpen opens and migrates a database; the caller closes it.
func benchOpen(b *testing.B, driver, dsn string) *Data {
	b.Helper()
	d, err := Open(driver, dsn)
	if err != nil {
		b.Fatalf("open %s: %v", driver, err)
	}
	if err := d.Migrate(context.Background()); err != nil {
		d.Close()
		b.Fatalf("migrate %s: %v", driver, err)
	}
	return d
}

// benchBuildTree creates the 10,000-org tree with the repo's Create, one batch per level (the
// branches one batch per committee), and returns the committees and general branches.
func benchBuildTree(b *testing.B, ctx context.Context, repo biz.OrgRepo) (committees, generals []*biz.Org) {
	b.Helper()
	var in []biz.NewOrg
	for c := range benchCommittees {
		in = append(in, biz.NewOrg{Name: fmt.Sprintf("第%d党委", c+1), Code: fmt.Sprintf("C%02d", c), Type: biz.OrgCommittee})
	}
	committees, err := repo.Create(ctx, in)
	if err != nil {
		b.Fatalf("create committees: %v", err)
	}
	in = in[:0]
	for c, co := range committees {
		for g := range benchGenerals {
			in = append(in, biz.NewOrg{ParentID: co.ID, Name: fmt.Sprintf("第%d党总支", g+1), Code: fmt.Sprintf("C%02dG%02d", c, g), Type: biz.OrgGeneralBranch})
		}
	}
	generals, err = repo.Create(ctx, in)
	if err != nil {
		b.Fatalf("create general branches: %v", err)
	}
	for c := range benchCommittees {
		in = in[:0]
		for g := c * benchGenerals; g < (c+1)*benchGenerals; g++ {
			for k := range benchBranchesOf(g) {
				in = append(in, biz.NewOrg{ParentID: generals[g].ID, Name: fmt.Sprintf("第%d党支部", k+1), Code: fmt.Sprintf("%sB%02d", generals[g].Code, k), Type: biz.OrgBranch})
			}
		}
		if _, err := repo.Create(ctx, in); err != nil {
			b.Fatalf("create branches of committee %d: %v", c, err)
		}
	}
	if n, err := repo.Count(ctx); err != nil || n != benchOrgTotal {
		b.Fatalf("tree has %d orgs (err %v), want %d", n, err, benchOrgTotal)
	}
	return committees, generals
}

// BenchmarkSubtreeQuery lists subtrees of a 10,000-org tree with ListSubtree (one range scan on
// the path index plus a count) and counts all orgs.
func BenchmarkSubtreeQuery(b *testing.B) {
	benchDBs(b, func(b *testing.B, driver string, newDSN func() string) {
		ctx := context.Background()
		d := benchOpen(b, driver, newDSN())
		defer d.Close()
		repo := NewOrgRepo(d)
		start := time.Now()
		committees, generals := benchBuildTree(b, ctx, repo)
		b.Logf("%s: built %d orgs in %s", driver, benchOrgTotal, time.Since(start).Round(time.Millisecond))
		// A committee whose general branches all hold 99 branches: 1 + 10 + 990 = 1,001 orgs, so
		// the first page of 1,000 is full.
		committee := committees[benchCommittees/2]
		general := generals[(benchCommittees/2)*benchGenerals+benchGenerals/2]

		subtree := func(name, prefix string, limit, wantRows, wantTotal int) {
			b.Run(name, func(b *testing.B) {
				var rows, total int
				b.ReportAllocs()
				for b.Loop() {
					list, n, err := repo.ListSubtree(ctx, prefix, "", limit)
					if err != nil {
						b.Fatal(err)
					}
					rows, total = len(list), n
				}
				if rows != wantRows || total != wantTotal {
					b.Fatalf("ListSubtree(%s) = %d rows, total %d; want %d, %d", prefix, rows, total, wantRows, wantTotal)
				}
				b.ReportMetric(float64(rows), "orgs/op")
				b.ReportMetric(float64(total), "total/op")
			})
		}
		perGeneral := benchBranchesOf((benchCommittees/2)*benchGenerals + benchGenerals/2)
		subtree("general_branch", general.Path, 1000, 1+perGeneral, 1+perGeneral)
		subtree("committee", committee.Path, 1000, 1000, 1+benchGenerals*(1+perGeneral))
		b.Run("count", func(b *testing.B) {
			var n int
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if n, err = repo.Count(ctx); err != nil {
					b.Fatal(err)
				}
			}
			if n != benchOrgTotal {
				b.Fatalf("Count = %d, want %d", n, benchOrgTotal)
			}
			b.ReportMetric(float64(n), "orgs/op")
		})
	})
}

// benchUsecases wires the org and account use cases on d exactly as app/org/org.go does.
type benchUsecases struct {
	orgs     *biz.OrgUsecase
	accounts *biz.AccountUsecase
	orgRepo  biz.OrgRepo
}

var benchIDKey = []byte("0123456789abcdef0123456789abcdef")

func benchWire(b *testing.B, d *Data) benchUsecases {
	b.Helper()
	sealer, err := secret.NewSealer(benchIDKey)
	if err != nil {
		b.Fatal(err)
	}
	clk := clock.Real{}
	hasher := secret.Argon2{P: secret.DefaultArgon2}
	orgs, accounts := NewOrgRepo(d), NewAccountRepo(d)
	tokens := NewTokenRepo(d)
	auditor := biz.NewAuditor(NewAuditRepo(d), orgs, clk)
	return benchUsecases{
		orgs:     biz.NewOrgUsecase(orgs, accounts, auditor, d),
		accounts: biz.NewAccountUsecase(accounts, orgs, tokens, sealer, hasher, auditor, d),
		orgRepo:  orgs,
	}
}

// benchAdmin creates the root org and returns a context carrying an admin principal of it, as
// the auth middleware would after the bootstrap admin signs in.
func benchAdmin(b *testing.B, repo biz.OrgRepo) (context.Context, *biz.Org) {
	b.Helper()
	ctx := context.Background()
	roots, err := repo.Create(ctx, []biz.NewOrg{{Name: "中共先锋委员会", Code: "ROOT", Type: biz.OrgCommittee}})
	if err != nil {
		b.Fatalf("create root: %v", err)
	}
	root := roots[0]
	return auth.NewContext(ctx, &auth.Principal{
		UserID: 1, Username: "admin", Roles: []string{auth.RoleAdmin}, OrgID: root.ID, OrgPath: root.Path,
	}), root
}

// benchNationalID returns a valid 18-digit resident ID number for person i (i < 10,000 gives
// distinct birth dates, hence distinct numbers), and the birth date in it.
func benchNationalID(i int) (id, birth string) {
	born := time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i)
	body := "110105" + born.Format("20060102") + fmt.Sprintf("%03d", i%1000)
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for k := range 17 {
		sum += int(body[k]-'0') * weights[k]
	}
	return body + string("10X98765432"[sum%11]), born.Format("2006-01-02")
}

// benchMemberOrgs is how many branches the member import spreads its rows over.
const benchMemberOrgs = 100

// benchMemberTable is a 10,000-row member file with every template column filled: unique
// usernames, phones and national IDs, spread over the branches B000..B099 by org code.
func benchMemberTable(b *testing.B) *sheet.Table {
	b.Helper()
	t := &sheet.Table{Header: biz.MemberTemplate().Header}
	stages := []string{"正式党员", "预备党员", "发展对象", "入党积极分子", "入党申请人"}
	for i := range benchMemberTotal {
		nid, birth := benchNationalID(i)
		if !biz.ValidNationalID(nid) {
			b.Fatalf("generated national ID %s is invalid", nid)
		}
		gender := "男"
		if i%2 == 1 {
			gender = "女"
		}
		t.Rows = append(t.Rows, []string{
			fmt.Sprintf("member%05d", i), fmt.Sprintf("党员%05d", i), fmt.Sprintf("139%08d", i),
			fmt.Sprintf("B%03d", i%benchMemberOrgs), "党员", gender, birth, "汉族", "本科", nid,
			"2015-03-01", "2017-07-01", "2018-07-01", stages[i%len(stages)],
		})
	}
	if len(t.Header) != len(t.Rows[0]) {
		b.Fatalf("member template has %d columns, benchmark rows %d: update benchMemberTable", len(t.Header), len(t.Rows[0]))
	}
	return t
}

// benchOrgTable is a 10,000-row org file under the existing ROOT: 10 committees (parent ROOT),
// 100 general branches and 9,890 branches, parents listed before children.
func benchOrgTable() *sheet.Table {
	t := &sheet.Table{Header: []string{"组织编码", "组织名称", "组织类型", "上级组织编码"}}
	for c := range benchCommittees {
		t.Rows = append(t.Rows, []string{fmt.Sprintf("C%02d", c), fmt.Sprintf("第%d党委", c+1), "党委", "ROOT"})
	}
	for c := range benchCommittees {
		for g := range benchGenerals {
			t.Rows = append(t.Rows, []string{fmt.Sprintf("C%02dG%02d", c, g), fmt.Sprintf("第%d党总支", g+1), "党总支", fmt.Sprintf("C%02d", c)})
		}
	}
	for c := range benchCommittees {
		for g := range benchGenerals {
			gc := fmt.Sprintf("C%02dG%02d", c, g)
			for k := range benchBranchesOf(c*benchGenerals + g) {
				t.Rows = append(t.Rows, []string{fmt.Sprintf("%sB%02d", gc, k), fmt.Sprintf("第%d党支部", k+1), "党支部", gc})
			}
		}
	}
	return t
}

// benchImport runs import once per iteration on a fresh, migrated database; setup (database,
// migration, prep) is outside the timer, only the import call is timed. It reports rows/s.
func benchImport(b *testing.B, driver string, newDSN func() string, rows int,
	prep func(b *testing.B, uc benchUsecases) context.Context,
	run func(ctx context.Context, uc benchUsecases) (*biz.ImportResult, error)) {
	b.ReportAllocs()
	for range b.N {
		b.StopTimer()
		d := benchOpen(b, driver, newDSN())
		uc := benchWire(b, d)
		ctx := prep(b, uc)
		b.StartTimer()
		res, err := run(ctx, uc)
		b.StopTimer()
		if err != nil {
			d.Close()
			if ie, ok := errors.AsType[*biz.ImportError](err); ok && len(ie.Errors) > 0 {
				b.Fatalf("import: %v; first: %+v", err, ie.Errors[0])
			}
			b.Fatalf("import: %v", err)
		}
		if res.Created != rows {
			d.Close()
			b.Fatalf("import created %d of %d rows", res.Created, rows)
		}
		d.Close()
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(rows), "rows/op")
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkImport10k imports 10,000 member rows through AccountUsecase.ImportMembers (one
// Argon2 hash, 10,000 sealed national IDs, uniqueness lookups, bulk insert, audit record).
func BenchmarkImport10k(b *testing.B) {
	table := benchMemberTable(b)
	benchDBs(b, func(b *testing.B, driver string, newDSN func() string) {
		benchImport(b, driver, newDSN, benchMemberTotal,
			func(b *testing.B, uc benchUsecases) context.Context {
				ctx, root := benchAdmin(b, uc.orgRepo)
				in := make([]biz.NewOrg, 0, benchMemberOrgs)
				for k := range benchMemberOrgs {
					in = append(in, biz.NewOrg{ParentID: root.ID, Name: fmt.Sprintf("第%d党支部", k+1), Code: fmt.Sprintf("B%03d", k), Type: biz.OrgBranch})
				}
				if _, err := uc.orgRepo.Create(ctx, in); err != nil {
					b.Fatalf("create branches: %v", err)
				}
				return ctx
			},
			func(ctx context.Context, uc benchUsecases) (*biz.ImportResult, error) {
				return uc.accounts.ImportMembers(ctx, table, 0, "Welcome2024", false)
			})
	})
}

// BenchmarkImportOrgs10k imports 10,000 orgs (3 levels below ROOT, by parent code) through
// OrgUsecase.ImportOrgs.
func BenchmarkImportOrgs10k(b *testing.B) {
	table := benchOrgTable()
	if len(table.Rows) != benchOrgTotal {
		b.Fatalf("org table has %d rows, want %d", len(table.Rows), benchOrgTotal)
	}
	benchDBs(b, func(b *testing.B, driver string, newDSN func() string) {
		benchImport(b, driver, newDSN, benchOrgTotal,
			func(b *testing.B, uc benchUsecases) context.Context {
				ctx, _ := benchAdmin(b, uc.orgRepo)
				return ctx
			},
			func(ctx context.Context, uc benchUsecases) (*biz.ImportResult, error) {
				return uc.orgs.ImportOrgs(ctx, table, false)
			})
	})
}
