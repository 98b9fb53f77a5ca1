package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

// procSpec is how to run one supervised process: a service role, the gateway or a piece of
// infrastructure (postgres, redis, minio).
type procSpec struct {
	name string // "quiz-worker-1", "postgres"
	bin  string
	args []string
	env  []string
	dir  string
	// cred, when set, runs the process as another user (postgres refuses to run as root).
	cred *syscall.Credential
	// ready probes the process once; nil means ready. Polled until it passes or the deadline.
	ready func(ctx context.Context) error
	// stopSignal asks the process to stop (SIGTERM; postgres: SIGINT, its fast shutdown).
	stopSignal syscall.Signal
	// deathSignal is sent by the kernel when the harness dies without cleaning up (a panic in
	// another goroutine, kill -9 of the harness), so no child outlives it.
	deathSignal syscall.Signal
}

// process is one supervised process and its history: it can be killed, stopped and started
// again any number of times; the CPU time of every incarnation that ended is kept.
type process struct {
	spec    procSpec
	logPath string

	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{} // closed when the current incarnation has been reaped
	pastCPU time.Duration // user+sys of incarnations already reaped (incl. their reaped children)
	starts  int
}

// errNotRunning is returned by kill/stop of a process that is not running.
var errNotRunning = errors.New("not running")

// spawner starts every child from one goroutine locked to its OS thread for the life of the
// harness: the kernel sends a child its parent-death signal when the *thread* that forked it
// exits, and the Go runtime may retire other threads at any time.
var spawner struct {
	once sync.Once
	reqs chan spawnReq
}

type spawnReq struct {
	cmd  *exec.Cmd
	done chan error
}

func spawn(cmd *exec.Cmd) error {
	spawner.once.Do(func() {
		spawner.reqs = make(chan spawnReq)
		go func() {
			runtime.LockOSThread() // never unlocked: this thread lives as long as the harness
			for r := range spawner.reqs {
				r.done <- r.cmd.Start()
			}
		}()
	})
	done := make(chan error, 1)
	spawner.reqs <- spawnReq{cmd: cmd, done: done}
	return <-done
}

// running reports whether the current incarnation is alive (started and not yet reaped).
func (p *process) running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return false
	}
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// start starts a new incarnation; its output is appended to the process's log file.
func (p *process) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		select {
		case <-p.exited:
		default:
			return fmt.Errorf("%s: already running (pid %d)", p.spec.name, p.cmd.Process.Pid)
		}
	}
	f, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("%s: log file: %w", p.spec.name, err)
	}
	defer f.Close() // the child has its own descriptor
	p.starts++
	fmt.Fprintf(f, "=== harness: start #%d of %s at %s ===\n", p.starts, p.spec.name, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(p.spec.bin, p.spec.args...)
	cmd.Env = p.spec.env
	cmd.Dir = p.spec.dir
	cmd.Stdout, cmd.Stderr = f, f
	death := p.spec.deathSignal
	if death == 0 {
		death = syscall.SIGKILL
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: death, Credential: p.spec.cred}
	if err := spawn(cmd); err != nil {
		return fmt.Errorf("%s: start %s: %w", p.spec.name, p.spec.bin, err)
	}
	exited := make(chan struct{})
	p.cmd, p.exited = cmd, exited
	go func() {
		_ = cmd.Wait()
		p.mu.Lock()
		if st := cmd.ProcessState; st != nil {
			// wait4's rusage covers the process and the children it reaped (postgres backends).
			p.pastCPU += st.UserTime() + st.SystemTime()
		}
		p.mu.Unlock()
		close(exited)
	}()
	return nil
}

// signal sends sig to the current incarnation (to its whole process group when group is set)
// and returns the channel closed when it has been reaped.
func (p *process) signal(sig syscall.Signal, group bool) (<-chan struct{}, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return nil, errNotRunning
	}
	select {
	case <-p.exited:
		return p.exited, errNotRunning
	default:
	}
	pid := p.cmd.Process.Pid
	if group {
		pid = -pid // Setpgid: the group id is the child's pid
	}
	if err := syscall.Kill(pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return nil, fmt.Errorf("%s: kill(%d, %v): %w", p.spec.name, pid, sig, err)
	}
	return p.exited, nil
}

// kill sends SIGKILL to the process group and waits until the process has been reaped.
func (p *process) kill() error {
	exited, err := p.signal(syscall.SIGKILL, true)
	if err != nil {
		return err
	}
	select {
	case <-exited:
		return nil
	case <-time.After(30 * time.Second):
		return fmt.Errorf("%s: still not reaped 30 s after SIGKILL", p.spec.name)
	}
}

// stop asks the process to stop with its stop signal and waits up to grace, then kills its
// group. It returns errNotRunning when there was nothing to stop.
func (p *process) stop(grace time.Duration) error {
	sig := p.spec.stopSignal
	if sig == 0 {
		sig = syscall.SIGTERM
	}
	exited, err := p.signal(sig, false)
	if err != nil {
		return err
	}
	select {
	case <-exited:
		return nil
	case <-time.After(grace):
	}
	if err := p.kill(); err != nil && !errors.Is(err, errNotRunning) {
		return err
	}
	return fmt.Errorf("%s: did not stop within %v of %v; killed", p.spec.name, grace, sig)
}

// waitReady polls the readiness probe until it passes, the process exits, or ctx ends; the
// error names the process and carries the last lines of its log.
func (p *process) waitReady(ctx context.Context) error {
	p.mu.Lock()
	exited := p.exited
	p.mu.Unlock()
	if exited == nil {
		return fmt.Errorf("%s: never started", p.spec.name)
	}
	var last error
	for {
		select {
		case <-exited:
			return fmt.Errorf("%s exited before it was ready; last log lines (%s):\n%s", p.spec.name, p.logPath, p.tail(25))
		default:
		}
		if p.spec.ready == nil {
			return nil
		}
		probe, cancel := context.WithTimeout(ctx, 3*time.Second)
		last = p.spec.ready(probe)
		cancel()
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready: %w (last probe: %v); last log lines (%s):\n%s", p.spec.name, ctx.Err(), last, p.logPath, p.tail(25))
		case <-exited:
		case <-time.After(150 * time.Millisecond):
		}
	}
}

// tail returns the last n lines of the process's log.
func (p *process) tail(n int) string { return tailFile(p.logPath, n) }

func tailFile(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	defer f.Close()
	const window = 64 << 10
	if fi, err := f.Stat(); err == nil && fi.Size() > window {
		_, _ = f.Seek(fi.Size()-window, io.SeekStart)
	}
	b, _ := io.ReadAll(f)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "  " + strings.Join(lines, "\n  ")
}

// pid returns the live incarnation's pid, or 0.
func (p *process) pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || p.cmd.Process == nil {
		return 0
	}
	select {
	case <-p.exited:
		return 0
	default:
		return p.cmd.Process.Pid
	}
}

// runOnce runs a short command (initdb, migrate, keygen) to completion and returns its standard
// output. Its standard error, and its standard output unless secretOut (a key is printed), are
// appended to logPath.
func runOnce(ctx context.Context, logPath string, secretOut bool, cred *syscall.Credential, dir string, env []string, bin string, args ...string) ([]byte, error) {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fmt.Fprintf(f, "=== harness: %s %s at %s ===\n", bin, strings.Join(args, " "), time.Now().Format(time.RFC3339Nano))
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env, cmd.Dir = env, dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL, Credential: cred}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	if err = spawn(cmd); err == nil {
		err = cmd.Wait()
	}
	if !secretOut {
		_, _ = f.Write(out.Bytes())
	}
	if err != nil {
		return out.Bytes(), fmt.Errorf("%s %s: %w; log %s:\n%s", bin, strings.Join(args, " "), err, logPath, tailFile(logPath, 15))
	}
	return out.Bytes(), nil
}
