// Package miniotest runs a real MinIO server, as a separate process, for tests of code that
// talks S3. MinIO is AGPL, so it is never linked into our binaries: the server binary is built
// once by deploy/scripts/minio.sh into ~/.cache/vanguard/bin (or named by $VANGUARD_MINIO_BIN)
// and started here on free loopback ports with a throw-away data directory.
//
// Share one server per test binary by adding
//
//	func TestMain(m *testing.M) { os.Exit(miniotest.Run(m)) }
//
// then every Start returns the same server, stopped after the last test; without it each Start
// runs a server of its own for that test. Give each test a fresh bucket (BucketName).
package miniotest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Credentials of the test servers (MINIO_ROOT_USER / MINIO_ROOT_PASSWORD).
const (
	AccessKey = "vanguard-test"
	SecretKey = "vanguard-test-secret"
)

// Environment variables read by Start.
const (
	// EnvBinary names a MinIO server binary to use instead of the cached one.
	EnvBinary = "VANGUARD_MINIO_BIN"
	// EnvRequire set to 1 (as `make test` does) turns "no MinIO binary" from a skip into a
	// build through deploy/scripts/minio.sh, and a failure if that does not work.
	EnvRequire = "VANGUARD_TEST_REQUIRE_SERVICES"
)

// startTimeout bounds the wait for /minio/health/live.
const startTimeout = 60 * time.Second

var shared struct {
	mu      sync.Mutex
	enabled bool // Run is in charge
	once    sync.Once
	srv     *server
	err     error
}

var build struct {
	once sync.Once
	err  error
}

// Run runs the tests of m with one MinIO server shared by every Start (started by the first
// one, if any) and stops it afterwards. Call it from TestMain: os.Exit(miniotest.Run(m)).
func Run(m *testing.M) int {
	shared.mu.Lock()
	shared.enabled = true
	shared.mu.Unlock()
	code := m.Run()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.srv != nil {
		shared.srv.stop()
		os.RemoveAll(shared.srv.dataDir)
	}
	return code
}

// Start returns the endpoint (host:port) and credentials of a running MinIO server: the shared
// one under Run, else a server for this test alone, stopped (SIGTERM, then kill) when the test
// ends. Without a binary it skips the test, unless VANGUARD_TEST_REQUIRE_SERVICES=1, when it
// builds one first.
func Start(t testing.TB) (endpoint, accessKey, secretKey string) {
	t.Helper()
	bin := binary(t)
	shared.mu.Lock()
	enabled := shared.enabled
	shared.mu.Unlock()
	if enabled {
		shared.once.Do(func() {
			dir, err := os.MkdirTemp("", "vanguard-minio-")
			if err != nil {
				shared.err = err
				return
			}
			srv, err := startServer(bin, dir)
			shared.mu.Lock()
			shared.srv, shared.err = srv, err
			shared.mu.Unlock()
			if err != nil {
				os.RemoveAll(dir)
			}
		})
		if shared.err != nil {
			t.Fatalf("miniotest: %v", shared.err)
		}
		return shared.srv.endpoint, AccessKey, SecretKey
	}
	srv, err := startServer(bin, t.TempDir())
	if err != nil {
		t.Fatalf("miniotest: %v", err)
	}
	t.Cleanup(srv.stop)
	return srv.endpoint, AccessKey, SecretKey
}

var bucketSeq atomic.Int64

var notBucketChars = regexp.MustCompile(`[^a-z0-9]+`)

// BucketName returns a bucket name no other call in this process returns, derived from the test
// name so that MinIO's data directory is readable when debugging.
func BucketName(t testing.TB) string {
	name := strings.Trim(notBucketChars.ReplaceAllString(strings.ToLower(t.Name()), "-"), "-")
	if len(name) > 40 {
		name = strings.Trim(name[len(name)-40:], "-")
	}
	return fmt.Sprintf("t%d-%s", bucketSeq.Add(1), name)
}

// binary finds the MinIO server binary, building it when services are required, or skips.
func binary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(EnvBinary); p != "" {
		if err := isExecutable(p); err != nil {
			t.Fatalf("miniotest: %s=%s: %v", EnvBinary, p, err)
		}
		return p
	}
	cached, err := CachedBinary()
	if err != nil {
		t.Fatalf("miniotest: %v", err)
	}
	if isExecutable(cached) == nil {
		return cached
	}
	if os.Getenv(EnvRequire) != "1" {
		t.Skipf("miniotest: no MinIO server binary at %s and %s is not set; run deploy/scripts/minio.sh "+
			"to build it once (~10-15 min), or set %s=1 to have the tests build it", cached, EnvBinary, EnvRequire)
	}
	build.once.Do(func() { build.err = runBuildScript() })
	if build.err != nil {
		t.Fatalf("miniotest: building MinIO: %v", build.err)
	}
	if err := isExecutable(cached); err != nil {
		t.Fatalf("miniotest: deploy/scripts/minio.sh finished but %s: %v", cached, err)
	}
	return cached
}

// CachedBinary is where deploy/scripts/minio.sh puts the MinIO server: ~/.cache/vanguard/bin/minio.
func CachedBinary() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("locating the MinIO cache: %w", err)
	}
	return filepath.Join(home, ".cache", "vanguard", "bin", "minio"), nil
}

func isExecutable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return errors.New("not an executable file")
	}
	return nil
}

// runBuildScript runs deploy/scripts/minio.sh from the repository holding the working
// directory; the script takes a lock, so parallel test binaries build once.
func runBuildScript() error {
	dir, err := os.Getwd()
	if err != nil {
		return err
	}
	for {
		script := filepath.Join(dir, "deploy", "scripts", "minio.sh")
		if _, err := os.Stat(script); err == nil {
			cmd := exec.Command(script)
			cmd.Dir = dir
			cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
			return cmd.Run()
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return errors.New("deploy/scripts/minio.sh not found above the working directory")
		}
		dir = parent
	}
}

// server is one running MinIO process.
type server struct {
	cmd      *exec.Cmd
	endpoint string
	dataDir  string
	exited   chan struct{}
	log      *lockedBuffer
}

// startServer starts MinIO on free loopback ports; a port taken between probing and binding
// makes MinIO exit, so it tries a few times.
func startServer(bin, dataDir string) (*server, error) {
	var lastErr error
	for range 3 {
		srv, err := startOnce(bin, dataDir)
		if err == nil {
			return srv, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func startOnce(bin, dataDir string) (*server, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	endpoint := fmt.Sprintf("127.0.0.1:%d", ports[0])
	cmd := exec.Command(bin, "server", dataDir,
		"--address", endpoint,
		"--console-address", fmt.Sprintf("127.0.0.1:%d", ports[1]),
		"--quiet")
	cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+AccessKey,
		"MINIO_ROOT_PASSWORD="+SecretKey,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
		"MINIO_CI_CD=1",
	)
	log := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	srv := &server{cmd: cmd, endpoint: endpoint, dataDir: dataDir, exited: make(chan struct{}), log: log}
	go func() {
		_ = cmd.Wait()
		close(srv.exited)
	}()
	if err := srv.waitLive(); err != nil {
		srv.stop()
		return nil, fmt.Errorf("%w\nMinIO output:\n%s", err, srv.log.tail(4000))
	}
	return srv, nil
}

func (s *server) waitLive() error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return fmt.Errorf("MinIO on %s exited during start-up (%v)", s.endpoint, s.cmd.ProcessState)
		default:
		}
		resp, err := client.Get("http://" + s.endpoint + "/minio/health/live")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("MinIO on %s not live after %v", s.endpoint, startTimeout)
}

// stop sends SIGTERM and kills the process if it has not exited within 10 seconds.
func (s *server) stop() {
	select {
	case <-s.exited:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("finding a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// lockedBuffer collects the server's output for failure messages.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends the server's output, dropping what came before once it passes 1 MiB.
func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 1<<20 { // keep memory bounded for a long run
		b.buf.Reset()
	}
	return b.buf.Write(p)
}

func (b *lockedBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.String()
	if len(s) > n {
		s = s[len(s)-n:]
	}
	return s
}
