package data

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/vanguard/vanguard/app/studyhour/internal/biz"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/testdb"
)

// counters reads family name from reg as label value → count (one label per family).
func counters(t *testing.T, reg *prometheus.Registry, name string) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != name || mf.GetType() != dto.MetricType_COUNTER {
			continue
		}
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) != 1 {
				t.Fatalf("%s has labels %v, want one", name, m.GetLabel())
			}
			out[m.GetLabel()[0].GetValue()] = m.GetCounter().GetValue()
		}
	}
	return out
}

// Every heartbeat is counted by its outcome, every refusal by its reason (the same reasons the
// member's tally in the database holds), from a set of series that exists at 0 before the first
// heartbeat.
func TestHeartbeatMetrics(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		d := open(t, driver, dsn)
		clk := clock.NewFake(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC))
		beats := NewHeartbeatMetrics()
		reg := prometheus.NewRegistry()
		reg.MustRegister(beats.Collectors()...)
		zero := map[string]float64{}
		for _, r := range biz.AllRefusals {
			zero[string(r)] = 0
		}
		if diff := cmp.Diff(zero, counters(t, reg, "vanguard_heartbeat_refusals_total")); diff != "" {
			t.Fatalf("refusal series before any heartbeat (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(map[string]float64{"credited": 0, "refused": 0, "failed": 0}, counters(t, reg, "vanguard_heartbeats_total")); diff != "" {
			t.Fatalf("heartbeat series before any heartbeat (-want +got):\n%s", diff)
		}

		uc, _ := newStudy(t, d, clk, biz.Config{Heartbeats: beats})
		ctx := member(7)
		sess, _, err := uc.Start(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		beat := func(seq int64, position float64, visible bool) (biz.Refusal, error) {
			t.Helper()
			res, err := uc.Heartbeat(ctx, biz.Beat{SessionID: sess.ID, Seq: seq, Position: position, Rate: 1, Visible: visible})
			if err != nil {
				return "", err
			}
			return res.Refusal, nil
		}
		for _, step := range []struct {
			advance  time.Duration
			seq      int64
			position float64
			visible  bool
			want     biz.Refusal
		}{
			{30 * time.Second, 1, 30, true, ""},
			{30 * time.Second, 2, 60, false, biz.RefusedHidden},
			{30 * time.Second, 2, 90, true, biz.RefusedReplayed},
			{30 * time.Second, 3, 3000, true, biz.RefusedTooFast},
			{30 * time.Second, 4, 3000, true, biz.RefusedPaused},
		} {
			clk.Advance(step.advance)
			if got, err := beat(step.seq, step.position, step.visible); err != nil || got != step.want {
				t.Fatalf("beat %d at %v = %q, %v; want %q", step.seq, step.position, got, err, step.want)
			}
		}
		// Another member's session: answered as missing, counted as forged.
		if _, err := uc.Heartbeat(member(8), biz.Beat{SessionID: sess.ID, Seq: 9, Position: 10, Rate: 1, Visible: true}); !errors.Is(err, biz.ErrNotFound) {
			t.Fatalf("someone else's session = %v, want ErrNotFound", err)
		}
		// Bad input and an ended session fail without a refusal.
		if _, err := beat(5, math.NaN(), true); err == nil {
			t.Fatal("a NaN position was accepted")
		}
		if _, err := uc.End(ctx, sess.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := beat(6, 3010, true); !errors.Is(err, biz.ErrSessionEnded) {
			t.Fatalf("heartbeat on an ended session = %v", err)
		}

		want := map[string]float64{}
		for r := range zero {
			want[r] = 0
		}
		want["hidden"], want["replayed"], want["too_fast"], want["paused"], want["forged"] = 1, 1, 1, 1, 1
		if diff := cmp.Diff(want, counters(t, reg, "vanguard_heartbeat_refusals_total")); diff != "" {
			t.Fatalf("refusals by reason (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(map[string]float64{"credited": 1, "refused": 5, "failed": 2}, counters(t, reg, "vanguard_heartbeats_total")); diff != "" {
			t.Fatalf("heartbeats by result (-want +got):\n%s", diff)
		}
		// The metrics count what the members' tallies in the database count.
		stored := map[string]float64{}
		for _, id := range []int64{7, 8} {
			tally, err := NewStore(d).Refusals(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range tally {
				stored[string(r.Reason)] += float64(r.Count)
			}
		}
		for r, n := range counters(t, reg, "vanguard_heartbeat_refusals_total") {
			if n != stored[r] {
				t.Errorf("refusals %s: metric %v, database tally %v", r, n, stored[r])
			}
		}
	})
}
