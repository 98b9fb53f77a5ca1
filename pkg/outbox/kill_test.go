package outbox_test

import (
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/hibiken/asynq"

	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/embedredis"
	"github.com/vanguard/vanguard/pkg/outbox"
)

// killEvents is how many events the killed process must eventually deliver.
const killEvents = 300

// The process is killed with SIGKILL three times while it writes events, relays them and its
// two subscribers apply them — with the embedded Redis inside the process, so every kill also
// loses whatever was queued. After the last restart every event reaches every subscriber
// exactly once. (Before this package, killing the standalone process during an exam-end storm lost 23 of 150
// attempt.graded events.)
func TestKillBetweenRelayAndConsumption(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	start := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillChildProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), "OUTBOX_KILL_DIR="+dir)
		cmd.Stdout, cmd.Stderr = nil, nil
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	producer := openStore(t, "sqlite", filepath.Join(dir, "producer.db"))
	a := openStore(t, "sqlite", filepath.Join(dir, "a.db"))
	b := openStore(t, "sqlite", filepath.Join(dir, "b.db"))
	ctx := context.Background()
	// Kill until at least three kills landed mid-flight (events written but not yet
	// acknowledged by both subscribers), at most eight times.
	kills, midFlight := 0, 0
	for midFlight < 3 && kills < 8 {
		cmd := start()
		// Kill at a random moment once the process has written something new.
		before := producer.client.OutboxEvent.Query().CountX(ctx)
		deadline := time.Now().Add(60 * time.Second)
		for producer.client.OutboxEvent.Query().CountX(ctx) <= before && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(time.Duration(50+rand.IntN(400)) * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		kills++
		o, _ := outbox.New("quiz", producer.db, twoSubscribers, &recordingQueue{}, clock.Real{}, outbox.Config{})
		s, _ := o.Stats(ctx)
		if s.Unacked > 0 || s.NotFannedOut > 0 {
			midFlight++
		}
		t.Logf("kill %d: %+v, suba applied %d, subb applied %d", kills, s, len(a.effects(t, "suba")), len(b.effects(t, "subb")))
	}
	if midFlight < 3 {
		t.Fatalf("only %d of %d kills landed with events in flight", midFlight, kills)
	}
	cmd := start()
	defer func() { _ = cmd.Process.Signal(syscall.SIGKILL); _ = cmd.Wait() }()
	o, _ := outbox.New("quiz", producer.db, twoSubscribers, &recordingQueue{}, clock.Real{}, outbox.Config{})
	waitFor(t, 90*time.Second, "every event written and acknowledged by both subscribers", func() bool {
		s, err := o.Stats(ctx)
		return err == nil && s.Events == killEvents && s.NotFannedOut == 0 && s.Deliveries == 2*killEvents && s.Unacked == 0
	})
	ids, err := producer.client.OutboxEvent.Query().IDs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	exactlyOnce(t, "suba", a.effects(t, "suba"), ids)
	exactlyOnce(t, "subb", b.effects(t, "subb"), ids)
}

// TestKillChildProcess is the process TestKillBetweenRelayAndConsumption kills: it does nothing
// unless OUTBOX_KILL_DIR is set.
func TestKillChildProcess(t *testing.T) {
	dir := os.Getenv("OUTBOX_KILL_DIR")
	if dir == "" {
		t.Skip("run by TestKillBetweenRelayAndConsumption")
	}
	ctx := context.Background()
	producer := openStore(t, "sqlite", filepath.Join(dir, "producer.db"))
	a := openStore(t, "sqlite", filepath.Join(dir, "a.db"))
	b := openStore(t, "sqlite", filepath.Join(dir, "b.db"))
	redisSrv, err := embedredis.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	opt := asynq.RedisClientOpt{Addr: redisSrv.Addr()}
	o, err := outbox.New("quiz", producer.db, twoSubscribers, newQueue(t, opt), clock.Real{}, outbox.Config{BatchSize: 20})
	if err != nil {
		t.Fatal(err)
	}
	relay := outbox.NewRelay(o, log.DefaultLogger)
	_ = relay.Start(ctx)
	rig := newSubscriberRig(t, opt, map[string]*store{"suba": a, "subb": b}, outbox.LocalAcker(o), "quiz")
	rig.start(t)
	// Write events one per transaction, continuing from what earlier lives wrote.
	for {
		n := producer.client.OutboxEvent.Query().CountX(ctx)
		if n >= killEvents {
			break
		}
		if err := producer.db.InTx(ctx, func(ctx context.Context) error { return o.Add(ctx, graded(int64(n))) }); err != nil {
			t.Fatal(err)
		}
		time.Sleep(15 * time.Millisecond)
	}
	select {} // until killed
}
