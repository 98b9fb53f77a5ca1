package standalone

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/vanguard/vanguard/pkg/dbx"
	"github.com/vanguard/vanguard/pkg/obs"
	"github.com/vanguard/vanguard/pkg/testdb"
)

// readClients is how many clients load a read path at once (wrk's 64 connections).
const readClients = 64

// loadResult is one path under load.
type loadResult struct {
	perSec   float64
	p50, p99 time.Duration
}

// load sends n GET requests to url with token from readClients keep-alive clients and fails on
// any answer but 200.
func load(b *testing.B, url, token string, n int) loadResult {
	b.Helper()
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: readClients, MaxIdleConnsPerHost: readClients}}
	defer client.CloseIdleConnections()
	lat := make([]time.Duration, n)
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		failed error
	)
	next := make(chan int, n)
	for i := range n {
		next <- i
	}
	close(next)
	start := time.Now()
	for range readClients {
		wg.Go(func() {
			for i := range next {
				req, _ := http.NewRequest("GET", url, nil)
				if token != "" {
					req.Header.Set("Authorization", "Bearer "+token)
				}
				t := time.Now()
				res, err := client.Do(req)
				if err == nil {
					_, _ = io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != 200 {
						err = fmt.Errorf("GET %s = %d", url, res.StatusCode)
					}
				}
				lat[i] = time.Since(t)
				if err != nil {
					mu.Lock()
					failed = err
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if failed != nil {
		b.Fatal(failed)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return loadResult{perSec: float64(n) / elapsed.Seconds(), p50: lat[n/2], p99: lat[n*99/100]}
}

// BenchmarkReadPaths loads GET /v1/me and GET /v1/my/courses of the standalone process (the
// whole middleware chain) on SQLite and on PostgreSQL (every service in its own database),
// beside two baselines served and loaded the same way in the same run: a bare net/http JSON
// handler without a database, and a bare handler running /v1/me's query (the account by id) on
// the same database. Reported: requests/s and the ratios.
func BenchmarkReadPaths(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { readPaths(b, "") })
	b.Run("postgres", func(b *testing.B) {
		dsn := testdb.Postgres(b)
		buf := make([]byte, 5)
		_, _ = rand.Read(buf)
		prefix := "vg_bench_" + hex.EncodeToString(buf)
		b.Cleanup(func() {
			pg, err := sql.Open("pgx", dsn)
			if err != nil {
				return
			}
			defer pg.Close()
			for _, svc := range []string{"org", "course", "quiz"} {
				_, _ = pg.Exec("DROP DATABASE IF EXISTS " + prefix + "_" + svc + " WITH (FORCE)")
			}
		})
		readPaths(b, dsn, prefix)
	})
}

// readPaths is BenchmarkReadPaths on SQLite (pgURL empty) or on PostgreSQL databases named with
// prefix on the server of pgURL.
func readPaths(b *testing.B, pgURL string, prefix ...string) {
	dir := filepath.Join(b.TempDir(), "data")
	cfg := testConfig(dir)
	cfg.AdminPassword = "Admin-pass-2026"
	if pgURL != "" {
		cfg.PostgresURL, cfg.DatabasePrefix = pgURL, prefix[0]
		cfg.RedisAddr = "redis://127.0.0.1:6379/14"
	}
	p, err := Build(context.Background(), cfg, log.NewFilter(obs.NewLogger(io.Discard, "bench")))
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	api := httptest.NewServer(p.HTTP)
	defer api.Close()
	res, err := http.Post(api.URL+"/v1/auth/login", "application/json", strings.NewReader(`{"username":"admin","password":"Admin-pass-2026"}`))
	if err != nil {
		b.Fatal(err)
	}
	var tokens struct{ AccessToken string }
	err = json.NewDecoder(res.Body).Decode(&tokens)
	res.Body.Close()
	if err != nil || res.StatusCode != 200 {
		b.Fatalf("login = %d, %v", res.StatusCode, err)
	}
	token := tokens.AccessToken

	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"id": "1", "username": "admin", "displayName": "管理员", "roles": []string{"ADMIN"}})
	}))
	defer bare.Close()
	driver, orgDSN := "sqlite", filepath.Join(dir, "org", "org.db")
	query := `SELECT id, username, display_name FROM accounts WHERE id = ?`
	if pgURL != "" {
		driver, orgDSN, err = "postgres", "", nil
		if orgDSN, err = dbx.PostgresDatabase(context.Background(), pgURL, prefix[0]+"_org"); err != nil {
			b.Fatal(err)
		}
		query = `SELECT id, username, display_name FROM accounts WHERE id = $1`
	}
	// The baseline reads the way the service does: SQLite's read-only pool, PostgreSQL's pool.
	db, err := dbx.OpenReader(driver, orgDSN)
	if db == nil && err == nil {
		db, _, err = dbx.Open(driver, orgDSN)
	}
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	bareDB := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var id int64
		var username, name string
		if err := db.QueryRowContext(r.Context(), query, 1).Scan(&id, &username, &name); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"id": fmt.Sprint(id), "username": username, "displayName": name})
	}))
	defer bareDB.Close()

	const n = 20000
	var meR, coursesR, bareR, bareDBR loadResult
	for range b.N {
		meR = load(b, api.URL+"/v1/me", token, n)
		coursesR = load(b, api.URL+"/v1/my/courses", token, n)
		bareR = load(b, bare.URL, "", n)
		bareDBR = load(b, bareDB.URL, "", n)
	}
	b.ReportMetric(meR.perSec, "me_per_s")
	b.ReportMetric(float64(meR.p99.Microseconds())/1000, "me_p99_ms")
	b.ReportMetric(coursesR.perSec, "my_courses_per_s")
	b.ReportMetric(bareR.perSec, "bare_per_s")
	b.ReportMetric(bareDBR.perSec, "bare_query_per_s")
	b.ReportMetric(meR.perSec/bareR.perSec, "me/bare")
	b.ReportMetric(coursesR.perSec/bareR.perSec, "my_courses/bare")
	b.ReportMetric(meR.perSec/bareDBR.perSec, "me/bare_query")
}
