package biz

import (
	"time"
	"unicode"
)

// Lesson kinds, as course names them.
const (
	KindVideo    = "video"
	KindAudio    = "audio"
	KindDocument = "document"
	KindArticle  = "article"
)

// Media reports whether a kind is played (credited by position) rather than read.
func Media(kind string) bool { return kind == KindVideo || kind == KindAudio }

// ReadingRules size the expected reading time of documents and articles, which is their
// per-lesson cap: a PDF at PerPage a page, an article at CharsPerMinute, never under Min.
type ReadingRules struct {
	PerPage        time.Duration
	CharsPerMinute int
	Min            time.Duration
}

// DefaultReadingRules: a minute a page, 300 characters a minute (a usual Chinese reading
// speed), at least a minute.
var DefaultReadingRules = ReadingRules{PerPage: time.Minute, CharsPerMinute: 300, Min: time.Minute}

// DocumentSeconds is the expected reading time of a PDF of pages pages.
func (r ReadingRules) DocumentSeconds(pages int) float64 {
	return max(r.Min, time.Duration(pages)*r.PerPage).Seconds()
}

// ArticleSeconds is the expected reading time of an article's sanitised HTML: its visible
// characters (markup and spaces left out) at CharsPerMinute.
func (r ReadingRules) ArticleSeconds(html string) float64 {
	n, inTag := 0, false
	for _, c := range html {
		switch {
		case c == '<':
			inTag = true
		case c == '>':
			inTag = false
		case !inTag && !unicode.IsSpace(c):
			n++
		}
	}
	perMinute := max(r.CharsPerMinute, 1)
	return max(r.Min, time.Duration(n)*time.Minute/time.Duration(perMinute)).Seconds()
}

// JudgeReading credits one heartbeat on a document or an article: visible server time since the
// reference point (capped at MaxGap), up to the lesson's expected reading time plus the
// allowance. Reading has no position to check; the credited time fills the coverage, and a PDF's
// pages are recorded as viewed.
func (r CreditRules) JudgeReading(s Session, hb Heartbeat) Verdict {
	elapsed := hb.At.Sub(s.LastAt)
	if elapsed <= 0 {
		return Verdict{Refusal: RefusedReplayed, Session: s}
	}
	next := s
	next.LastAt, next.LastPosition = hb.At, hb.Position
	if !hb.Visible {
		return Verdict{Refusal: RefusedHidden, Session: next}
	}
	credit := min(elapsed, r.MaxGap)
	limit := time.Duration(s.Duration*float64(time.Second)) + r.Allowance
	if room := limit - s.Credited; credit > room {
		credit = max(room, 0)
	}
	if credit <= 0 {
		return Verdict{Refusal: RefusedCapped, Session: next}
	}
	from := s.Credited.Seconds()
	next.Credited += credit
	next.Watched = s.Watched.Add(Span{From: clamp(from, 0, s.Duration), To: clamp(from+credit.Seconds(), 0, s.Duration)})
	return Verdict{Credit: credit, Session: next}
}

// PageSpans adds pages (numbered from 1, within pageCount) to a set of viewed pages, page p
// being the span [p-1, p).
func PageSpans(viewed Spans, pages []int32, pageCount int) Spans {
	for _, p := range pages {
		if p >= 1 && int(p) <= pageCount {
			viewed = viewed.Add(Span{From: float64(p - 1), To: float64(p)})
		}
	}
	return viewed
}
