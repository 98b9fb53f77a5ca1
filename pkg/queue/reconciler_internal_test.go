package queue

import (
	"testing"
	"time"
)

func TestJitterStaysWithinTenPercent(t *testing.T) {
	for _, d := range []time.Duration{time.Minute, 40 * time.Millisecond, 7 * time.Nanosecond, 1} {
		lo, hi := d-d/10, d+d/10
		seenLow, seenHigh := false, false
		for range 2000 {
			got := jitter(d)
			if got < lo || got > hi {
				t.Fatalf("jitter(%v) = %v, outside [%v, %v]", d, got, lo, hi)
			}
			seenLow = seenLow || got < d
			seenHigh = seenHigh || got > d
		}
		if d >= 40*time.Millisecond && (!seenLow || !seenHigh) {
			t.Errorf("jitter(%v) never went both below and above d", d)
		}
	}
}
