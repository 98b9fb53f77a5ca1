package cluster

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// freePorts returns n loopback ports that could be bound just now. They are taken from below
// Linux's ephemeral range (32768–60999), so an outgoing connection's source port cannot take
// one while a process is down between a kill and its restart.
func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for port := 20000 + rand.IntN(10000); len(ports) < n && port < 32768; port++ {
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		ls = append(ls, l)
		ports = append(ports, port)
	}
	if len(ports) < n {
		return nil, fmt.Errorf("cluster: found only %d of %d free loopback ports", len(ports), n)
	}
	return ports, nil
}

// pgBinDir finds PostgreSQL's server binaries: $VANGUARD_PG_BIN, else the newest
// /usr/lib/postgresql/*/bin holding initdb.
func pgBinDir() (string, error) {
	if d := os.Getenv("VANGUARD_PG_BIN"); d != "" {
		return d, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[i])))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[j])))
		return vi > vj
	})
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("cluster: no PostgreSQL server binaries (initdb) in /usr/lib/postgresql/*/bin; set VANGUARD_PG_BIN")
}

// postgresUser returns the credential postgres runs under: PostgreSQL refuses to run as root,
// so as root the cluster runs initdb and the server as the "postgres" user; otherwise as itself.
func postgresUser() (*syscall.Credential, int, int, error) {
	if os.Geteuid() != 0 {
		return nil, os.Getuid(), os.Getgid(), nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, 0, 0, fmt.Errorf("cluster: running as root needs a postgres user to run PostgreSQL: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, uid, gid, nil
}

// startPostgres creates a private PostgreSQL cluster with initdb (trust auth, its own port and
// socket directory, fsync on) and one database per service.
func (c *Cluster) startPostgres(ctx context.Context) error {
	began := time.Now()
	bin, err := pgBinDir()
	if err != nil {
		return err
	}
	cred, uid, gid, err := postgresUser()
	if err != nil {
		return err
	}
	base := filepath.Join(c.Dir, "pg")
	data, sock := filepath.Join(base, "data"), filepath.Join(base, "sock")
	for _, d := range []string{base, data, sock} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
		if err := os.Chown(d, uid, gid); err != nil {
			return err
		}
	}
	env := []string{"LANG=C.UTF-8", "LC_ALL=C.UTF-8", "PATH=" + bin + ":/usr/bin:/bin"}
	// --no-sync only skips initdb's final flush of the fresh files; the server runs with fsync on.
	if _, err := runOnce(ctx, filepath.Join(c.Dir, "logs", "initdb.log"), false, cred, base, env,
		filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "--encoding=UTF8",
		"--locale=C.UTF-8", "--no-sync", "--no-instructions"); err != nil {
		return err
	}
	ports, err := freePorts(1)
	if err != nil {
		return err
	}
	c.PGPort = ports[0]
	admin := c.DSN("postgres")
	p := c.add(procSpec{
		name: "postgres", bin: filepath.Join(bin, "postgres"), dir: base, env: env, cred: cred,
		args: []string{"-D", data, "-p", strconv.Itoa(c.PGPort),
			"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=" + sock,
			"-c", "fsync=on", "-c", "synchronous_commit=on", "-c", "max_connections=600",
			"-c", "shared_buffers=256MB", "-c", "logging_collector=off", "-c", "log_min_messages=warning"},
		ready:       sqlReady(admin),
		stopSignal:  syscall.SIGINT,  // fast shutdown: what pg_ctl stop/restart -m fast sends
		deathSignal: syscall.SIGQUIT, // immediate shutdown, taking the backends down with it
	}, false)
	if err := c.startReady(ctx, p); err != nil {
		return err
	}
	db, err := sql.Open("pgx", admin)
	if err != nil {
		return err
	}
	defer db.Close()
	for _, s := range Services {
		if _, err := db.ExecContext(ctx, "CREATE DATABASE "+s); err != nil {
			return fmt.Errorf("cluster: create database %s: %w", s, err)
		}
	}
	c.logf("postgres ready on 127.0.0.1:%d in %.1fs (initdb %s, databases %v)", c.PGPort, time.Since(began).Seconds(), data, Services)
	return nil
}

// sqlReady probes a PostgreSQL database: ready when a fresh connection answers SELECT 1.
func sqlReady(dsn string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			return err
		}
		defer db.Close()
		var one int
		return db.QueryRowContext(ctx, "SELECT 1").Scan(&one)
	}
}

// RestartPostgres restarts the private PostgreSQL as `pg_ctl restart -m fast` does: SIGINT to
// the postmaster (fast shutdown: open transactions are rolled back, every connection is closed),
// wait until it has exited, start it again on the same port and data, and wait until it accepts
// connections. The services' pools see their connections break and must reconnect.
func (c *Cluster) RestartPostgres(ctx context.Context) error {
	p, err := c.proc("postgres")
	if err != nil {
		return err
	}
	began := time.Now()
	if err := p.stop(60 * time.Second); err != nil && !errors.Is(err, errNotRunning) {
		return fmt.Errorf("cluster: restart postgres: %w", err)
	}
	down := time.Since(began)
	if c.closing.Load() {
		return errors.New("cluster: not restarting postgres: the cluster is closing")
	}
	if err := c.startReady(ctx, p); err != nil {
		return err
	}
	c.logf("postgres restarted (fast shutdown %.1fs, back in %.1fs)", down.Seconds(), time.Since(began).Seconds())
	return nil
}

// startRedis starts a private Redis without persistence.
func (c *Cluster) startRedis(ctx context.Context) error {
	began := time.Now()
	ports, err := freePorts(1)
	if err != nil {
		return err
	}
	c.RedisAddr = fmt.Sprintf("127.0.0.1:%d", ports[0])
	dir := filepath.Join(c.Dir, "redis")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	bin := "/usr/bin/redis-server"
	if _, err := os.Stat(bin); err != nil {
		if bin, err = exec.LookPath("redis-server"); err != nil {
			return errors.New("cluster: no redis-server binary")
		}
	}
	p := c.add(procSpec{
		name: "redis", bin: bin, dir: dir, env: c.baseEnv(),
		args: []string{"--port", strconv.Itoa(ports[0]), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
			"--dir", dir, "--daemonize", "no", "--maxclients", "10000"},
		ready: redisReady(c.RedisAddr),
	}, false)
	if err := c.startReady(ctx, p); err != nil {
		return err
	}
	c.logf("redis ready on %s in %.1fs (no persistence)", c.RedisAddr, time.Since(began).Seconds())
	return nil
}

func redisReady(addr string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		rc := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
		defer rc.Close()
		return rc.Ping(ctx).Err()
	}
}

// RestartRedis stops the private Redis and starts it again on the same port. It keeps no data
// (no RDB, no AOF), so every queued, scheduled and retrying task is lost: the services must
// rebuild their work from their databases (reconcilers, outbox re-delivery).
func (c *Cluster) RestartRedis(ctx context.Context) error {
	p, err := c.proc("redis")
	if err != nil {
		return err
	}
	began := time.Now()
	if err := p.stop(30 * time.Second); err != nil && !errors.Is(err, errNotRunning) {
		return fmt.Errorf("cluster: restart redis: %w", err)
	}
	_ = os.Remove(filepath.Join(c.Dir, "redis", "dump.rdb")) // none is written; make sure
	if c.closing.Load() {
		return errors.New("cluster: not restarting redis: the cluster is closing")
	}
	if err := c.startReady(ctx, p); err != nil {
		return err
	}
	rc := redis.NewClient(&redis.Options{Addr: c.RedisAddr})
	defer rc.Close()
	n, err := rc.DBSize(ctx).Result()
	if err != nil {
		return err
	}
	c.logf("redis restarted empty in %.1fs (%d keys after start)", time.Since(began).Seconds(), n)
	return nil
}

// minioBinary finds the MinIO server: $VANGUARD_MINIO_BIN, else ~/.cache/vanguard/bin/minio,
// built (or waited for, when a build is running) by deploy/scripts/minio.sh.
func (c *Cluster) minioBinary(ctx context.Context) (string, error) {
	if p := os.Getenv("VANGUARD_MINIO_BIN"); p != "" {
		return p, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	cached := filepath.Join(home, ".cache", "vanguard", "bin", "minio")
	if fi, err := os.Stat(cached); err == nil && fi.Mode()&0o111 != 0 {
		return cached, nil
	}
	c.logf("no MinIO server at %s yet: running deploy/scripts/minio.sh (waits for a build in progress, or builds it: ~10-15 min)", cached)
	if _, err := runOnce(ctx, filepath.Join(c.Dir, "logs", "minio-build.log"), false, nil, c.repo, os.Environ(),
		filepath.Join(c.repo, "deploy", "scripts", "minio.sh")); err != nil {
		return "", err
	}
	return cached, nil
}

// startMinIO starts a private MinIO server with random root credentials.
func (c *Cluster) startMinIO(ctx context.Context) error {
	bin, err := c.minioBinary(ctx)
	if err != nil {
		return err
	}
	began := time.Now()
	ports, err := freePorts(2)
	if err != nil {
		return err
	}
	c.minioAddr = fmt.Sprintf("127.0.0.1:%d", ports[0])
	c.minioUser = "vg" + fmt.Sprintf("%x", randomKey(6))
	c.minioPass = fmt.Sprintf("%x", randomKey(16))
	dir := filepath.Join(c.Dir, "minio")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	env := append(c.baseEnv(), "MINIO_ROOT_USER="+c.minioUser, "MINIO_ROOT_PASSWORD="+c.minioPass,
		"MINIO_BROWSER=off", "MINIO_UPDATE=off", "MINIO_CI_CD=1")
	p := c.add(procSpec{
		name: "minio", bin: bin, dir: dir, env: env,
		args:  []string{"server", dir, "--address", c.minioAddr, "--console-address", fmt.Sprintf("127.0.0.1:%d", ports[1]), "--quiet"},
		ready: httpReady("http://" + c.minioAddr + "/minio/health/live"),
	}, false)
	if err := c.startReady(ctx, p); err != nil {
		return err
	}
	c.logf("minio ready on %s in %.1fs", c.minioAddr, time.Since(began).Seconds())
	return nil
}
