// Package biz holds the studyhour service's domain. This file is its core rule: how a study
// session's heartbeats earn credited time. It is pure (no clock, no store): the use cases hand
// it the session as stored and the heartbeat with the server's receive time, and store what it
// returns. Everything a client reports is a claim; only server time is credited.
package biz

import (
	"math"
	"sort"
	"time"
)

// Refusal is why a heartbeat earned nothing; staff see them counted per member.
type Refusal string

// Refusals. A heartbeat refused for one reason still moves the session on (its time and
// position become the reference for the next), so a refused stretch is never credited later.
const (
	// Hidden: the page was not visible (another tab, the phone locked).
	RefusedHidden Refusal = "hidden"
	// TooFast: the position ran ahead of server time × the highest allowed rate (a seek to the
	// end, a script posting positions), or the reported rate is above it.
	RefusedTooFast Refusal = "too_fast"
	// Replayed: no server time passed since the last accepted heartbeat (a resend or a replay).
	RefusedReplayed Refusal = "replayed"
	// Paused: visible, but the position did not move.
	RefusedPaused Refusal = "paused"
	// Capped: the lesson's credit already reached its duration plus the allowance.
	RefusedCapped Refusal = "capped"
)

// CreditRules are the crediting parameters (configurable; DefaultCreditRules are the national
// platform's usual ones).
type CreditRules struct {
	// Interval is how often the player sends a heartbeat.
	Interval time.Duration
	// MaxGap caps what one heartbeat can credit, whatever time passed since the previous one
	// (a laptop that slept for an hour earns one interval and a half, not an hour).
	MaxGap time.Duration
	// MaxRate is the highest playback rate that earns credit.
	MaxRate float64
	// Slack is the media time allowed beyond elapsed × rate for clock jitter and buffering.
	Slack time.Duration
	// Allowance is what a lesson may credit beyond its duration (re-watching a passage).
	Allowance time.Duration
	// CompleteCoverage and CompleteCredit: a lesson is complete when its watched intervals
	// cover this share of its duration and the credited time reaches that share of it.
	CompleteCoverage, CompleteCredit float64
}

// DefaultCreditRules: a heartbeat every 30 s credits at most 45 s, rates up to 2×, 2 s of slack,
// 5 minutes of allowance, complete at 95 % covered and 80 % credited.
var DefaultCreditRules = CreditRules{
	Interval: 30 * time.Second, MaxGap: 45 * time.Second, MaxRate: 2, Slack: 2 * time.Second,
	Allowance: 5 * time.Minute, CompleteCoverage: 0.95, CompleteCredit: 0.80,
}

// Span is a half-open stretch [From, To) of a lesson's media, in seconds.
type Span struct{ From, To float64 }

// Spans is a sorted set of disjoint spans: what of a lesson has been watched.
type Spans []Span

// Add returns the set with s merged in (overlapping and touching spans join).
func (ss Spans) Add(s Span) Spans {
	if s.To <= s.From {
		return ss
	}
	out := append(Spans{}, ss...)
	out = append(out, s)
	sort.Slice(out, func(i, j int) bool { return out[i].From < out[j].From })
	merged := out[:1]
	for _, x := range out[1:] {
		last := &merged[len(merged)-1]
		if x.From <= last.To {
			last.To = math.Max(last.To, x.To)
			continue
		}
		merged = append(merged, x)
	}
	return merged
}

// Seconds is the media time the set covers.
func (ss Spans) Seconds() float64 {
	t := 0.0
	for _, s := range ss {
		t += s.To - s.From
	}
	return t
}

// Session is what crediting needs of a study session as stored.
type Session struct {
	// Duration of the lesson's media (seconds).
	Duration float64
	// LastAt is the server time of the session's start or of its last heartbeat; LastPosition
	// the position then.
	LastAt       time.Time
	LastPosition float64
	Watched      Spans
	Credited     time.Duration
}

// Heartbeat is the player's report, with the server's time of receipt.
type Heartbeat struct {
	At       time.Time // server receive time: the only clock that counts
	Position float64   // media seconds, as the player reports
	Rate     float64   // playback rate, as the player reports
	Visible  bool      // Page Visibility API
}

// Verdict is what one heartbeat earned, and the session after it.
type Verdict struct {
	Credit  time.Duration
	Refusal Refusal // "" when credited
	Session Session
}

// Judge credits one heartbeat: at most the server time since the session's reference point
// (capped at MaxGap), only while visible, only at a reported rate ≤ MaxRate, and only when the
// position moved forward no further than elapsed × MaxRate + Slack; the credit is the media time
// moved at the reported rate, never more than the server time elapsed, and never past the
// lesson's cap. What the credit explains at that rate joins the watched spans (so coverage is
// never more than MaxRate × credited time). Every heartbeat, credited or not, becomes the next
// one's reference point.
func (r CreditRules) Judge(s Session, hb Heartbeat) Verdict {
	elapsed := hb.At.Sub(s.LastAt)
	if elapsed <= 0 {
		return Verdict{Refusal: RefusedReplayed, Session: s}
	}
	moved := hb.Position - s.LastPosition
	next := s
	next.LastAt, next.LastPosition = hb.At, clamp(hb.Position, 0, s.Duration)
	refuse := func(why Refusal) Verdict { return Verdict{Refusal: why, Session: next} }
	switch {
	case !hb.Visible:
		return refuse(RefusedHidden)
	case hb.Rate > r.MaxRate || hb.Rate <= 0 || math.IsNaN(hb.Rate):
		return refuse(RefusedTooFast)
	case moved > elapsed.Seconds()*r.MaxRate+r.Slack.Seconds():
		return refuse(RefusedTooFast)
	case moved <= 0:
		// Paused, or sought back: the next heartbeat, from here, may earn again.
		return refuse(RefusedPaused)
	}
	credit := min(elapsed, r.MaxGap, time.Duration(moved/hb.Rate*float64(time.Second)))
	limit := time.Duration(s.Duration*float64(time.Second)) + r.Allowance
	if room := limit - s.Credited; credit > room {
		credit = max(room, 0)
	}
	if credit <= 0 {
		return refuse(RefusedCapped)
	}
	next.Credited += credit
	// Only what the credited time explains at the reported rate counts as watched: a client
	// that waits long between heartbeats cannot claim more media than it is credited for.
	from := clamp(s.LastPosition, 0, s.Duration)
	next.Watched = s.Watched.Add(Span{From: from, To: clamp(math.Min(hb.Position, from+credit.Seconds()*hb.Rate), 0, s.Duration)})
	return Verdict{Credit: credit, Session: next}
}

// Complete reports whether a session's lesson counts as studied: the watched spans cover
// CompleteCoverage of its duration and the credited time reaches CompleteCredit of it.
func (r CreditRules) Complete(s Session) bool {
	if s.Duration <= 0 {
		return false
	}
	return s.Watched.Seconds() >= r.CompleteCoverage*s.Duration && s.Credited.Seconds() >= r.CompleteCredit*s.Duration
}

func clamp(x, lo, hi float64) float64 { return math.Max(lo, math.Min(x, hi)) }
