package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestParseStat reads the CPU fields past a command name holding spaces and parentheses.
func TestParseStat(t *testing.T) {
	line := "4242 (quiz (worker) 1) S 17 4242 4242 0 -1 4194560 100 0 0 0 250 130 7 3 20 0 9 0 123 0 0"
	st, ok := parseStat(line)
	if !ok {
		t.Fatal("parseStat refused a valid line")
	}
	if st.ppid != 17 {
		t.Errorf("ppid = %d, want 17", st.ppid)
	}
	if want := 3900 * time.Millisecond; st.cpu != want { // (250+130+7+3) ticks of 10 ms
		t.Errorf("cpu = %v, want %v", st.cpu, want)
	}
	if _, ok := parseStat("4242 (truncated"); ok {
		t.Error("parseStat accepted a line without fields")
	}
}

// TestClusterLifecycle starts the whole private cluster (PostgreSQL by initdb, Redis, MinIO,
// every service process, the gateway), checks that every process is ready and the gateway
// answers, kills and restarts a quiz worker, restarts Redis and PostgreSQL and checks the
// services are back, then closes it and checks no child process is left. It needs the machine's
// PostgreSQL binaries, redis-server and the MinIO binary, takes a few minutes on two cores, and
// runs only with VANGUARD_HARNESS=1 (so `make test` skips it):
//
//	VANGUARD_HARNESS=1 go test -count=1 -run TestClusterLifecycle -v ./deploy/harness/cluster/
func TestClusterLifecycle(t *testing.T) {
	if testing.Short() || os.Getenv("VANGUARD_HARNESS") == "" {
		t.Skip("starts a whole distributed cluster (minutes); set VANGUARD_HARNESS=1 to run it")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	c, err := Start(ctx, Options{QuizWorkers: 2, Log: testLog{t}})
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			c.Close()
		}
	}()
	if c.PGPort == 5432 || strings.HasSuffix(c.RedisAddr, ":6379") {
		t.Fatalf("cluster uses a shared server: postgres %d, redis %s", c.PGPort, c.RedisAddr)
	}

	wantProcs := []string{"org-api", "course-api", "course-worker", "quiz-api", "quiz-worker-1", "quiz-worker-2",
		"studyhour-api", "studyhour-worker", "growth-api", "growth-worker", "search-api", "gateway"}
	if got := c.Procs(); strings.Join(got, ",") != strings.Join(wantProcs, ",") {
		t.Fatalf("Procs() = %v, want %v", got, wantProcs)
	}
	for _, name := range wantProcs[:len(wantProcs)-1] {
		if err := httpReady("http://" + c.addrs[name].http + "/readyz")(ctx); err != nil {
			t.Errorf("%s not ready: %v", name, err)
		}
	}
	status, body := get(t, c.GatewayURL+"/v1/auth/public-key")
	if status != http.StatusOK || !strings.Contains(body, "PUBLIC KEY") {
		t.Fatalf("GET /v1/auth/public-key through the gateway = %d %.200s", status, body)
	}
	if token := login(t, c); token == "" {
		t.Fatal("admin login through the gateway returned no access token")
	}

	// A worker killed with SIGKILL is gone, and Start brings it back on the same address.
	w := "quiz-worker-1"
	p, _ := c.proc(w)
	oldPID := p.pid()
	time.Sleep(500 * time.Millisecond) // let it use some CPU to count
	if err := c.Kill(w); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(oldPID, 0); !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("pid %d of %s still exists after Kill: %v", oldPID, w, err)
	}
	if err := httpReady("http://" + c.addrs[w].http + "/readyz")(ctx); err == nil {
		t.Fatalf("%s answers /readyz after Kill", w)
	}
	cpuAfterKill := c.CPU()[w]
	if cpuAfterKill <= 0 {
		t.Errorf("CPU()[%s] = %v after Kill: the killed incarnation's time was not kept", w, cpuAfterKill)
	}
	if err := c.Start(w); err != nil {
		t.Fatal(err)
	}
	if newPID := p.pid(); newPID == 0 || newPID == oldPID {
		t.Fatalf("%s pid after Start = %d (before %d)", w, newPID, oldPID)
	}
	if err := httpReady("http://" + c.addrs[w].http + "/readyz")(ctx); err != nil {
		t.Fatalf("%s not ready after Start: %v", w, err)
	}
	if got := c.CPU()[w]; got < cpuAfterKill {
		t.Errorf("CPU()[%s] fell from %v to %v after a restart", w, cpuAfterKill, got)
	}
	cpu := c.CPU()
	for _, name := range append(wantProcs, "postgres", "redis", "minio") {
		if cpu[name] <= 0 {
			t.Errorf("CPU()[%s] = %v, want > 0", name, cpu[name])
		}
	}

	// Redis comes back empty on the same port, and the workers reconnect to it: each asynq
	// server registers itself again in asynq:servers.
	rc := redis.NewClient(&redis.Options{Addr: c.RedisAddr})
	defer rc.Close()
	if err := rc.Set(ctx, "harness:sentinel", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.RestartRedis(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := rc.Exists(ctx, "harness:sentinel").Result(); err != nil || n != 0 {
		t.Fatalf("after RestartRedis the sentinel key exists=%d (err %v): Redis kept data", n, err)
	}
	waitFor(t, 30*time.Second, "the asynq workers to register again in the restarted Redis", func() error {
		n, err := rc.ZCard(ctx, "asynq:servers").Result()
		if err != nil {
			return err
		}
		if n < 7 { // course, quiz ×2, studyhour, growth workers; search and org (role all)
			return errors.New("only " + itoa(n) + " asynq servers registered")
		}
		return nil
	})

	// PostgreSQL restarts (a new postmaster) and the services and the harness's pools recover.
	var startedBefore time.Time
	if err := c.DB("quiz").QueryRowContext(ctx, "SELECT pg_postmaster_start_time()").Scan(&startedBefore); err != nil {
		t.Fatal(err)
	}
	if err := c.RestartPostgres(ctx); err != nil {
		t.Fatal(err)
	}
	var startedAfter time.Time
	waitFor(t, 30*time.Second, "the harness's quiz pool to reconnect", func() error {
		return c.DB("quiz").QueryRowContext(ctx, "SELECT pg_postmaster_start_time()").Scan(&startedAfter)
	})
	if !startedAfter.After(startedBefore) {
		t.Fatalf("postmaster start time %v not after %v: PostgreSQL did not restart", startedAfter, startedBefore)
	}
	waitFor(t, 60*time.Second, "admin login through the gateway after the PostgreSQL restart", func() error {
		if _, err := tryLogin(c); err != nil {
			return err
		}
		return nil
	})
	for _, name := range wantProcs[:len(wantProcs)-1] {
		waitFor(t, 30*time.Second, name+" ready after the PostgreSQL restart", func() error {
			return httpReady("http://" + c.addrs[name].http + "/readyz")(ctx)
		})
	}

	// Close leaves no process behind: every child, every postgres backend, and the directory.
	pids := descendants(os.Getpid())
	if len(pids) < len(wantProcs)+3 {
		t.Fatalf("found %d descendant processes, want at least %d", len(pids), len(wantProcs)+3)
	}
	dir := c.Dir
	c.Close()
	closed = true
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			st, _ := os.ReadFile("/proc/" + itoa(int64(pid)) + "/cmdline")
			t.Errorf("pid %d (%s) still exists after Close", pid, bytes.ReplaceAll(st, []byte{0}, []byte{' '}))
		}
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s still exists after Close: %v", dir, err)
	}
}

// descendants lists every live process below pid.
func descendants(pid int) []int {
	table := readProcessTable()
	var out []int
	var walk func(int)
	walk = func(p int) {
		for _, ch := range table.children[p] {
			out = append(out, ch)
			walk(ch)
		}
	}
	walk(pid)
	return out
}

func waitFor(t *testing.T, d time.Duration, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s: %v", d, what, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func login(t *testing.T, c *Cluster) string {
	t.Helper()
	token, err := tryLogin(c)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func tryLogin(c *Cluster) (string, error) {
	body, _ := json.Marshal(map[string]string{"username": c.AdminUser, "password": c.AdminPassword})
	res, err := http.Post(c.GatewayURL+"/v1/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		return "", errors.New("POST /v1/auth/login: " + res.Status)
	}
	var out struct {
		AccessToken string `json:"accessToken"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return "", err
	}
	return out.AccessToken, nil
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// testLog sends the cluster's progress lines to the test log.
type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
