package workload

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	growthv1 "github.com/vanguard/vanguard/api/growth/v1"
)

// beijing is the time zone of growth's nightly schedule (its day and its 02:00).
var beijing = func() *time.Location {
	if l, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return l
	}
	return time.FixedZone("CST", 8*3600)
}()

// nightlyHour is growth's NightlyHour: the day's full compile starts after 02:00 Beijing time.
const nightlyHour = 2

// NightlyGrowth runs growth's full compile of every member's file and waits until each of the
// fixture's members is compiled (a file, and no compile pending, in growth's database).
//
// Growth has no API or setting that starts the nightly compile: a reconciler pass starts it once
// a day after 02:00 Beijing time, claiming the day in growth's nightly_runs table (on a fresh
// cluster, that happens at the first pass, before Seed made any member). So NightlyGrowth
// re-arms today's run as an operator would — it deletes today's claim row through
// Env.DB("growth") — and waits for the next reconciler pass to claim it and mark every member
// (Method "nightly"; up to the reconcile interval, a minute by default, reported as ClaimWait).
// Before 02:00 Beijing time, or when the row cannot be deleted, it compiles each member through
// the staff API instead, POST /v1/members/{id}/growth-file:compile (Method "compile-api").
func NightlyGrowth(ctx context.Context, e *Env, f *Fixture) (*GrowthResult, error) {
	log := e.logger()
	db, err := e.db("growth")
	if err != nil {
		return nil, fmt.Errorf("workload.NightlyGrowth: %w", err)
	}
	res := &GrowthResult{Members: len(f.Members)}
	now := time.Now().In(beijing)
	day := now.Format(time.DateOnly)
	versionsBefore, err := countVersions(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("workload.NightlyGrowth: %w", err)
	}
	rearmed := false
	if e.CompileThroughAPI {
		log.printf("growth: compiling through the API, as asked")
	} else if now.Hour() >= nightlyHour {
		if _, err := db.ExecContext(ctx, `DELETE FROM nightly_runs WHERE day = $1`, day); err != nil {
			log.printf("growth: cannot re-arm the nightly run of %s (%v); compiling through the API", day, err)
		} else {
			rearmed = true
		}
	} else {
		log.printf("growth: before %02d:00 Beijing time the nightly does not run; compiling through the API", nightlyHour)
	}
	var start time.Time
	if rearmed {
		res.Method = "nightly"
		log.printf("growth: re-armed the nightly run of %s; waiting for a reconciler pass to claim it", day)
		armed := time.Now()
		for {
			var members int
			var started dbTime
			err := db.QueryRowContext(ctx, `SELECT members, started_at FROM nightly_runs WHERE day = $1`, day).Scan(&members, &started)
			if err == nil {
				res.Marked = members
				start = time.Now()
				res.ClaimWait = start.Sub(armed)
				log.printf("growth: nightly run claimed after %s, %d members marked", res.ClaimWait.Round(time.Millisecond), members)
				break
			}
			if err != sql.ErrNoRows {
				return res, fmt.Errorf("workload.NightlyGrowth: read the nightly claim: %w", err)
			}
			select {
			case <-ctx.Done():
				return res, fmt.Errorf("workload.NightlyGrowth: waiting for the nightly claim: %w", ctx.Err())
			case <-time.After(200 * time.Millisecond):
			}
		}
	} else {
		res.Method = "compile-api"
		start = time.Now()
		var errs counter
		var done atomic.Int64
		p := newProgress(log, "growth: compiles", len(f.Members))
		_ = parallel(ctx, len(f.Members), setupWorkers/2, func(ctx context.Context, i int) error {
			id := f.Members[i].ID
			err := retry(ctx, 10, func() error {
				return f.admin.call(ctx, http.MethodPost, fmt.Sprintf("/v1/members/%d/growth-file:compile", id), &growthv1.MemberRequest{MemberId: id}, nil)
			})
			if err != nil {
				errs.add(errorKey(err))
			}
			done.Add(1)
			p.tick()
			return nil
		})
		res.Errors = errs.snapshot()
	}

	// Wait until every member of the fixture has a file and no pending compile.
	lastLog := time.Now()
	for {
		compiled, err := compiledMembers(ctx, db, f)
		if err == nil {
			res.Compiled = compiled
			if compiled == len(f.Members) {
				break
			}
		} else if ctx.Err() == nil {
			log.printf("growth: polling growth's database: %v", err)
		}
		if time.Since(lastLog) >= 5*time.Second {
			log.printf("growth: %d of %d members compiled", compiled, len(f.Members))
			lastLog = time.Now()
		}
		select {
		case <-ctx.Done():
			res.Wall = time.Since(start)
			return res, fmt.Errorf("workload.NightlyGrowth: %d of %d compiled: %w", res.Compiled, len(f.Members), ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
	res.Wall = time.Since(start)
	n := res.Marked
	if n == 0 {
		n = len(f.Members)
	}
	res.MembersPerSecond = rate(n, res.Wall)
	after, err := countVersions(ctx, db)
	if err == nil {
		res.Versions = after - versionsBefore
	}
	log.printf("growth: %s: %d members compiled in %s (%.1f members/s), %d new versions", res.Method, res.Compiled, res.Wall.Round(time.Millisecond), res.MembersPerSecond, res.Versions)
	return res, nil
}

func countVersions(ctx context.Context, db *sql.DB) (int, error) {
	var n int
	err := db.QueryRowContext(ctx, `SELECT count(*) FROM file_versions`).Scan(&n)
	return n, err
}

// compiledMembers counts the fixture's members that have a file and no pending compile mark.
func compiledMembers(ctx context.Context, db *sql.DB, f *Fixture) (int, error) {
	mine := make(map[int64]bool, len(f.Members))
	for _, m := range f.Members {
		mine[m.ID] = true
	}
	files := map[int64]bool{}
	err := queryRows(ctx, db, `SELECT member_id FROM growth_files`, nil, func(r *sql.Rows) error {
		var id int64
		if err := r.Scan(&id); err != nil {
			return err
		}
		if mine[id] {
			files[id] = true
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	err = queryRows(ctx, db, `SELECT member_id FROM compile_marks`, nil, func(r *sql.Rows) error {
		var id int64
		if err := r.Scan(&id); err != nil {
			return err
		}
		delete(files, id)
		return nil
	})
	return len(files), err
}
