package workload

import (
	"math/rand/v2"
	"testing"
	"time"
)

// serverLedger is studyhour's arithmetic for one lesson (app/studyhour/internal/biz/study.go
// Heartbeat, with data/store.go storing credited time as whole milliseconds): each heartbeat adds
// its credit to the stored milliseconds, writes the new whole seconds to the ledger, and stores
// the milliseconds truncated.
func serverLedger(credits []time.Duration) int64 {
	var storedMs int64
	var ledgered int64
	for _, c := range credits {
		credited := time.Duration(storedMs)*time.Millisecond + c
		if whole := int64(credited / time.Second); whole > ledgered {
			ledgered = whole
		}
		storedMs = credited.Milliseconds()
	}
	return ledgered
}

// TestCreditTallyMatchesTheLedger: the whole seconds a tally expects are exactly what the server
// writes, for credits near whole seconds (a heartbeat capped at 45 s, then ~30 s apart with a
// few milliseconds of jitter), where summing the replies' credits at full precision is a second
// off about one time in twenty.
func TestCreditTallyMatchesTheLedger(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	naiveOff := 0
	for i := range 20000 {
		n := 1 + rng.IntN(6)
		credits := make([]time.Duration, n)
		var tally creditTally
		var naive time.Duration
		for j := range credits {
			c := 30*time.Second + time.Duration(rng.IntN(8000)-4000)*time.Microsecond
			if j == 0 {
				c = 45 * time.Second
			}
			credits[j] = c
			// The reply carries the credit as seconds (a double), as protojson writes it.
			tally.add(c.Seconds())
			naive += c
		}
		if got, want := tally.wholeSeconds(), serverLedger(credits); got != want {
			t.Fatalf("case %d: credits %v: tally expects %d s, the server writes %d s", i, credits, got, want)
		}
		if int64(naive/time.Second) != serverLedger(credits) {
			naiveOff++
		}
	}
	// The case the tally exists for really occurs in this sample.
	if naiveOff == 0 {
		t.Fatal("no case where the plain sum differs from the ledger: the test does not test the tally")
	}
	t.Logf("the plain sum of the credits was off by a second in %d of 20000 cases", naiveOff)
}

// TestCreditTallyMerge: a later run on the same lesson continues the tally; its last credit's
// sub-millisecond part replaces the earlier one's.
func TestCreditTallyMerge(t *testing.T) {
	credits := []time.Duration{45 * time.Second, 30*time.Second + 999*time.Microsecond + 900*time.Nanosecond, 29*time.Second + 999*time.Millisecond + 500*time.Microsecond}
	var first, second creditTally
	first.add(credits[0].Seconds())
	first.add(credits[1].Seconds())
	second.add(credits[2].Seconds())
	first.merge(second)
	if got, want := first.wholeSeconds(), serverLedger(credits); got != want {
		t.Fatalf("merged tally expects %d s, the server writes %d s", got, want)
	}
}
