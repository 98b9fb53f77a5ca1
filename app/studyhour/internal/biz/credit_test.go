package biz

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)

// beat is a heartbeat at offset after t0.
type beat struct {
	after    time.Duration
	position float64
	rate     float64
	hidden   bool
}

// play runs the heartbeats through Judge from a session started at t0 at position 0, and
// returns the session after them with the refusals counted.
func play(t *testing.T, r CreditRules, duration float64, beats []beat) (Session, map[Refusal]int) {
	t.Helper()
	s := Session{Duration: duration, LastAt: t0}
	refused := map[Refusal]int{}
	for _, b := range beats {
		v := r.Judge(s, Heartbeat{At: t0.Add(b.after), Position: b.position, Rate: b.rate, Visible: !b.hidden})
		if v.Refusal != "" {
			refused[v.Refusal]++
			if v.Credit != 0 {
				t.Fatalf("refused (%s) heartbeat credited %v", v.Refusal, v.Credit)
			}
		}
		if got := v.Session.Credited - s.Credited; got != v.Credit {
			t.Fatalf("session credited %v more, verdict says %v", got, v.Credit)
		}
		s = v.Session
	}
	return s, refused
}

// honest is a member watching at rate from the start, a heartbeat every 30 s of server time.
func honest(from, to time.Duration, rate float64, startPos float64) []beat {
	var out []beat
	for at := from + 30*time.Second; at <= to; at += 30 * time.Second {
		out = append(out, beat{after: at, position: startPos + (at-from).Seconds()*rate, rate: rate})
	}
	return out
}

func TestJudgeCreditsServerTimeOnly(t *testing.T) {
	r := DefaultCreditRules
	const duration = 600.0 // a 10-minute video
	tests := []struct {
		name       string
		beats      []beat
		credited   time.Duration
		watched    float64
		complete   bool
		refusals   map[Refusal]int
		creditSlop time.Duration
	}{
		{name: "honest viewing: credited as watched, complete",
			beats: honest(0, 600*time.Second, 1, 0), credited: 600 * time.Second, watched: 600, complete: true, refusals: map[Refusal]int{}},
		{name: "seek to the end after a minute: nothing beyond the minute watched",
			beats:    append(honest(0, 60*time.Second, 1, 0), beat{after: 90 * time.Second, position: 600, rate: 1}),
			credited: 60 * time.Second, watched: 60, refusals: map[Refusal]int{RefusedTooFast: 1}},
		{name: "rate 16: nothing",
			beats: honest(0, 600*time.Second, 16, 0)[:2], credited: 0, watched: 0, refusals: map[Refusal]int{RefusedTooFast: 2}},
		{name: "rate 16 reported as 1: the position outruns server time, nothing",
			beats: []beat{{after: 30 * time.Second, position: 480, rate: 1}, {after: 60 * time.Second, position: 600, rate: 1}}, credited: 0, watched: 0,
			refusals: map[Refusal]int{RefusedTooFast: 2}},
		{name: "rate 2: twice the coverage, server time credited, not complete on credit",
			beats: honest(0, 300*time.Second, 2, 0), credited: 300 * time.Second, watched: 600, refusals: map[Refusal]int{}},
		{name: "heartbeats faster than real time: each credits only the seconds that passed",
			beats:    []beat{{after: 1 * time.Second, position: 1, rate: 1}, {after: 2 * time.Second, position: 2, rate: 1}, {after: 3 * time.Second, position: 3, rate: 1}},
			credited: 3 * time.Second, watched: 3, refusals: map[Refusal]int{}},
		{name: "a replayed heartbeat (same server time) earns nothing",
			beats:    []beat{{after: 30 * time.Second, position: 30, rate: 1}, {after: 30 * time.Second, position: 30, rate: 1}},
			credited: 30 * time.Second, watched: 30, refusals: map[Refusal]int{RefusedReplayed: 1}},
		{name: "paused: visible but still, nothing",
			beats:    append(honest(0, 60*time.Second, 1, 0), beat{after: 90 * time.Second, position: 60, rate: 1}, beat{after: 120 * time.Second, position: 60, rate: 1}),
			credited: 60 * time.Second, watched: 60, refusals: map[Refusal]int{RefusedPaused: 2}},
		{name: "hidden tab: nothing while hidden, and the hidden stretch is not credited after",
			beats: []beat{{after: 30 * time.Second, position: 30, rate: 1}, {after: 60 * time.Second, position: 60, rate: 1, hidden: true},
				{after: 90 * time.Second, position: 90, rate: 1, hidden: true}, {after: 120 * time.Second, position: 120, rate: 1}},
			credited: 60 * time.Second, watched: 60, refusals: map[Refusal]int{RefusedHidden: 2}},
		{name: "back after an hour: one heartbeat credits at most MaxGap, and covers only what that explains",
			beats:    []beat{{after: 30 * time.Second, position: 30, rate: 1}, {after: time.Hour, position: 90, rate: 1}},
			credited: 30*time.Second + 45*time.Second, watched: 75, refusals: map[Refusal]int{}},
		{name: "sought back and re-watched: credited again, coverage not double counted",
			beats:    append(append(honest(0, 120*time.Second, 1, 0), beat{after: 130 * time.Second, position: 0, rate: 1}), honest(130*time.Second, 250*time.Second, 1, 0)...),
			credited: 240 * time.Second, watched: 120, refusals: map[Refusal]int{RefusedPaused: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, refused := play(t, r, duration, tt.beats)
			if d := s.Credited - tt.credited; d < -tt.creditSlop || d > tt.creditSlop {
				t.Errorf("credited %v, want %v", s.Credited, tt.credited)
			}
			if math.Abs(s.Watched.Seconds()-tt.watched) > 1e-9 {
				t.Errorf("watched %.1f s (%v), want %.1f", s.Watched.Seconds(), s.Watched, tt.watched)
			}
			if got := r.Complete(s); got != tt.complete {
				t.Errorf("complete = %v, want %v", got, tt.complete)
			}
			if diff := cmp.Diff(tt.refusals, refused); diff != "" {
				t.Errorf("refusals (-want +got):\n%s", diff)
			}
		})
	}
}

// A lesson never credits more than its duration plus the allowance, however often it is
// re-watched.
func TestJudgeCapsALesson(t *testing.T) {
	r := DefaultCreditRules
	var beats []beat
	for round := 0; round < 3; round++ {
		start := time.Duration(round) * 70 * time.Second
		beats = append(beats, honest(start, start+60*time.Second, 1, 0)...)
		beats = append(beats, beat{after: start + 65*time.Second, position: 0, rate: 1}) // back to the start
	}
	s, refused := play(t, r, 60, beats)
	if want := 60*time.Second + r.Allowance; s.Credited > want {
		t.Fatalf("credited %v, over the cap %v", s.Credited, want)
	}
	small := r
	small.Allowance = 30 * time.Second
	s, refused = play(t, small, 60, beats)
	if s.Credited != 90*time.Second || refused[RefusedCapped] == 0 {
		t.Fatalf("with a 30 s allowance: credited %v, refusals %v; want 90s and some capped", s.Credited, refused)
	}
}

func TestSpansMerge(t *testing.T) {
	var ss Spans
	for _, s := range []Span{{10, 20}, {30, 40}, {15, 32}, {50, 50}, {40, 45}, {0, 5}} {
		ss = ss.Add(s)
	}
	if diff := cmp.Diff(Spans{{0, 5}, {10, 45}}, ss); diff != "" {
		t.Fatalf("spans (-want +got):\n%s", diff)
	}
	if ss.Seconds() != 40 {
		t.Fatalf("seconds = %v", ss.Seconds())
	}
	// Add never changes the set it is given.
	before := Spans{{0, 10}}
	_ = before.Add(Span{5, 20})
	if diff := cmp.Diff(Spans{{0, 10}}, before); diff != "" {
		t.Fatalf("Add changed its receiver: %s", diff)
	}
}

// Whatever a client sends, the credit never exceeds the server time that passed, the lesson's
// cap, or what the watched media explains at the highest rate; the watched spans stay inside
// the lesson.
func TestJudgeInvariantsUnderRandomClients(t *testing.T) {
	r := DefaultCreditRules
	for seed := int64(1); seed <= 200; seed++ {
		rng := rand.New(rand.NewPCG(uint64(seed), 0))
		duration := float64(60 + rng.IntN(3600))
		s := Session{Duration: duration, LastAt: t0}
		at := t0
		for i := 0; i < 200; i++ {
			at = at.Add(time.Duration(rng.IntN(120_000)-5_000) * time.Millisecond) // sometimes back in time
			hb := Heartbeat{At: at, Position: rng.Float64()*duration*1.2 - 10, Rate: []float64{0, 0.5, 1, 1.5, 2, 3, 16}[rng.IntN(7)], Visible: rng.IntN(5) > 0}
			v := r.Judge(s, hb)
			if v.Credit < 0 || v.Credit > r.MaxGap {
				t.Fatalf("seed %d: one heartbeat credited %v", seed, v.Credit)
			}
			if el := hb.At.Sub(s.LastAt); v.Credit > max(el, 0) {
				t.Fatalf("seed %d: credited %v for %v of server time", seed, v.Credit, el)
			}
			s = v.Session
		}
		if limit := time.Duration(duration*float64(time.Second)) + r.Allowance; s.Credited > limit {
			t.Fatalf("seed %d: credited %v over the cap %v", seed, s.Credited, limit)
		}
		for _, sp := range s.Watched {
			if sp.From < 0 || sp.To > duration || sp.To <= sp.From {
				t.Fatalf("seed %d: watched span %v outside [0, %v]", seed, sp, duration)
			}
		}
		if s.Watched.Seconds() > r.MaxRate*s.Credited.Seconds()+1e-6 {
			t.Fatalf("seed %d: watched %.1f s, more than %v credited explains at rate %v", seed, s.Watched.Seconds(), s.Credited, r.MaxRate)
		}
	}
}
