package workload

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	coursev1 "github.com/vanguard/vanguard/api/course/v1"
	searchv1 "github.com/vanguard/vanguard/api/search/v1"
)

const (
	// searchers: members querying at once (Env.Searchers sets another count), each sending its
	// next query when the last answered.
	searchers = 8
	// lagPoll: how often a change is looked for in search; lagWait: how long at most.
	lagPoll = 100 * time.Millisecond
	lagWait = 2 * time.Minute
)

// searchTerms are what the members search for: terms of the fixture's course and of the courses
// published during the run.
var searchTerms = []string{"党史", "党的二十大", "全面从严治党", "以人民为中心", "党的全面领导", "专题学习", "自我革命", "学习贯彻"}

// SearchWhileIndexing has searchers members query /v1/search in a loop while the admin
// publishes new courses (create, a lesson, publish, assign to the branch) and changes the
// summary of published ones, one change after the other, for d. Each change carries a unique
// word; a tracker per change polls search as a member until the word finds the course, which
// is the change's index lag. It returns once every tracker has found its change or given up
// (lagWait).
func SearchWhileIndexing(ctx context.Context, e *Env, f *Fixture, d time.Duration) (*SearchResult, error) {
	log := e.logger()
	res := &SearchResult{Duration: d, Searchers: min(cmp.Or(e.Searchers, searchers), len(f.Members))}
	var (
		qlat             Recorder
		qerrs, cerrs     counter
		queries          atomic.Int64
		published, upd   int
		trackers, search sync.WaitGroup
	)
	runCtx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	start := time.Now()
	for i := range res.Searchers {
		m := f.Members[i]
		search.Go(func() {
			for k := i; runCtx.Err() == nil; k++ {
				t0 := time.Now()
				_, err := searchAs(runCtx, m, searchTerms[k%len(searchTerms)])
				if runCtx.Err() != nil {
					return // cut off by the end of the run: not counted
				}
				if err != nil {
					qerrs.add(errorKey(err))
					continue
				}
				qlat.Add(time.Since(t0))
				queries.Add(1)
			}
		})
	}

	// One poller looks for every change not yet found, one query at a time: the measurement
	// adds at most one query in flight, whatever the lag. (A poller per change, each every
	// lagPoll, offered 10 queries/s per outstanding change: at 300 outstanding, a load far above
	// the searchers', which then lengthened the lag it measured.)
	lags := newLagPoller(f.Members[len(f.Members)-1], lagWait)
	trackers.Go(func() { lags.run(ctx, runCtx, log) })
	track := lags.add
	var mine []int64
	lastChange := map[int64]time.Time{} // each course's last change: what its entry's synced_at follows
	for k := 0; runCtx.Err() == nil; k++ {
		word := fmt.Sprintf("vgs%s%d", f.Run, k)
		if k%3 == 2 && len(mine) > 0 {
			// Change a published course's summary (course.updated).
			course := mine[k%len(mine)]
			summary := "更新摘要 " + word
			err := f.callRetry(runCtx, http.MethodPatch, fmt.Sprintf("/v1/courses/%d", course), &coursev1.UpdateCourseRequest{Id: course, Summary: &summary}, nil)
			if err != nil {
				if runCtx.Err() == nil {
					cerrs.add(errorKey(err))
				}
				continue
			}
			upd++
			lastChange[course] = time.Now()
			track(course, word, lastChange[course])
			continue
		}
		course, _, err := f.publishCourse(runCtx, "专题学习 "+word, "压测课程", nil)
		if err != nil {
			if runCtx.Err() == nil {
				cerrs.add(errorKey(err))
			}
			continue
		}
		published++
		mine = append(mine, course)
		lastChange[course] = time.Now()
		track(course, word, lastChange[course])
	}
	search.Wait()
	elapsed := time.Since(start)
	trackers.Wait()
	res.Queries, res.QueriesPerSecond, res.QueryLatency, res.QueryErrors = int(queries.Load()), rate(int(queries.Load()), elapsed), qlat.Latency(), qerrs.snapshot()
	res.Published, res.Updated, res.ChangeErrors = published, upd, cerrs.snapshot()
	res.Found, res.NotFound, res.IndexLag = lags.found, lags.notFound, lags.lag.Latency()
	res.LagQueries, res.LagResolution = lags.queries, lags.slowestRound
	if db, err := e.db("search"); err == nil {
		written, err := writtenLags(ctx, db, lastChange)
		if err != nil {
			return res, fmt.Errorf("workload.SearchWhileIndexing: %w", err)
		}
		res.WriteLag = written.Latency()
	}
	log.printf("search: %d queries (%.1f/s) %s, errors: %s; %d published, %d updated, %d found, %d not found; index lag %s (%d polling queries, resolution %s); written %s",
		res.Queries, res.QueriesPerSecond, res.QueryLatency, FormatCounts(res.QueryErrors), res.Published, res.Updated, res.Found, res.NotFound, res.IndexLag,
		res.LagQueries, res.LagResolution.Round(time.Millisecond), res.WriteLag)
	if ctx.Err() != nil {
		return res, fmt.Errorf("workload.SearchWhileIndexing: %w", ctx.Err())
	}
	return res, nil
}

// writtenLags reads, from search's database, when each course's documents were last written
// (index_entries.synced_at: the engine's batch had returned, so they were searchable) and
// measures it from the course's last change: exact, where the poller's figure is only as fine
// as its rounds. A course whose entry predates its last change is not counted (Found says
// whether every change was seen).
func writtenLags(ctx context.Context, db *sql.DB, lastChange map[int64]time.Time) (*Recorder, error) {
	rows, err := db.QueryContext(ctx, `SELECT item, synced_at FROM index_entries WHERE item LIKE 'course:%'`)
	if err != nil {
		return nil, fmt.Errorf("read the courses' index entries: %w", err)
	}
	defer rows.Close()
	var r Recorder
	for rows.Next() {
		var item string
		var synced dbTime
		if err := rows.Scan(&item, &synced); err != nil {
			return nil, fmt.Errorf("read the courses' index entries: %w", err)
		}
		var course int64
		if _, err := fmt.Sscanf(item, "course:%d", &course); err != nil {
			continue
		}
		if changed, ok := lastChange[course]; ok && !synced.Before(changed) {
			r.Add(synced.Sub(changed))
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the courses' index entries: %w", err)
	}
	return &r, nil
}

// lagPoller finds each change in search: from the change to the first answer that holds it.
type lagPoller struct {
	m    *Member
	wait time.Duration

	mu      sync.Mutex
	pending []change
	// Set by run only, read after it returned.
	lag             Recorder
	found, notFound int
	queries         int
	slowestRound    time.Duration
}

type change struct {
	want, word string
	changed    time.Time
}

func newLagPoller(m *Member, wait time.Duration) *lagPoller { return &lagPoller{m: m, wait: wait} }

func (p *lagPoller) add(course int64, word string, changed time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pending = append(p.pending, change{want: fmt.Sprintf("course:%d", course), word: word, changed: changed})
}

// run polls, in rounds at most lagPoll apart, each change not yet found, until changes stop
// coming (changing ends) and none is pending; a change not found within wait is given up.
// slowestRound is the resolution of the lags: the most time between two looks at a change.
func (p *lagPoller) run(ctx, changing context.Context, log *logger) {
	for {
		round := time.Now()
		p.mu.Lock()
		look := slices.Clone(p.pending)
		p.mu.Unlock()
		if len(look) == 0 && changing.Err() != nil {
			return
		}
		done := map[string]bool{}
		for _, c := range look {
			r, err := searchAs(ctx, p.m, c.word)
			if ctx.Err() != nil {
				return
			}
			p.queries++
			if err == nil && slices.ContainsFunc(r.GetHits(), func(h *searchv1.SearchHit) bool { return h.GetId() == c.want }) {
				p.found++
				p.lag.Add(time.Since(c.changed))
				done[c.word] = true
			} else if time.Since(c.changed) > p.wait {
				p.notFound++
				log.printf("search: %s (changed %s ago) not found by its new word %s: %v", c.want, time.Since(c.changed).Round(time.Millisecond), c.word, err)
				done[c.word] = true
			}
		}
		p.mu.Lock()
		p.pending = slices.DeleteFunc(p.pending, func(c change) bool { return done[c.word] })
		p.mu.Unlock()
		p.slowestRound = max(p.slowestRound, time.Since(round))
		select {
		case <-ctx.Done():
			return
		case <-time.After(lagPoll - time.Since(round)):
		}
	}
}

// searchAs queries /v1/search as the member (the first 50 hits).
func searchAs(ctx context.Context, m *Member, q string) (*searchv1.SearchReply, error) {
	v := url.Values{"q": {truncateRunes(q, 64)}, "pageSize": {"50"}}
	var r searchv1.SearchReply
	err := m.s.call(ctx, http.MethodGet, "/v1/search?"+v.Encode(), nil, &r)
	return &r, err
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// waitSearchable polls search as m every lagPoll until q finds the course, and returns the time
// since changed; it gives up after wait or when ctx ends.
func waitSearchable(ctx context.Context, m *Member, course int64, q string, changed time.Time, wait time.Duration) (time.Duration, error) {
	want := fmt.Sprintf("course:%d", course)
	deadline := time.Now().Add(wait)
	var last error
	for {
		r, err := searchAs(ctx, m, q)
		if err == nil {
			for _, h := range r.GetHits() {
				if h.GetId() == want {
					return time.Since(changed), nil
				}
			}
			last = fmt.Errorf("%d hits, none is %s", len(r.GetHits()), want)
		} else {
			last = err
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("not found after %s: %w", wait, last)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(lagPoll):
		}
	}
}

// CaughtUp publishes a course titled marker (a lesson, publish, assigned to the branch) and
// polls /v1/search as a member until the marker finds it. It returns the time from the first
// request to the course being found: after a fault, how long until a change made through the
// API reaches search again. It gives up when ctx ends.
func CaughtUp(ctx context.Context, e *Env, f *Fixture, marker string) (time.Duration, error) {
	log := e.logger()
	start := time.Now()
	title := truncateRunes(marker, 100)
	course, _, err := f.publishCourse(ctx, title, "索引追平检查", nil)
	if err != nil {
		return 0, fmt.Errorf("workload.CaughtUp: %w", err)
	}
	visible := time.Now()
	if _, err := waitSearchable(ctx, f.Members[0], course, title, visible, 24*time.Hour); err != nil {
		return 0, fmt.Errorf("workload.CaughtUp: course %d: %w", course, err)
	}
	took := time.Since(start)
	log.printf("caught up: course %d found %s after its assignment, %s after the first request", course, time.Since(visible).Round(time.Millisecond), took.Round(time.Millisecond))
	return took, nil
}
