package biz

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/clock"
)

// Config configures crediting.
type Config struct {
	Rules   CreditRules
	Reading ReadingRules
	// DailyCap caps a member's lesson credit per calendar day (0: DefaultDailyCap).
	DailyCap time.Duration
	// Location is the time zone of calendar days (nil: Asia/Shanghai, else UTC).
	Location *time.Location
	// LedgerKey anchors each member's chain head (HMAC); required.
	LedgerKey []byte
	// Heartbeats, when set, is told every heartbeat's outcome (the service's metrics).
	Heartbeats HeartbeatObserver
}

// HeartbeatObserver watches heartbeats for monitoring (the service's metrics).
type HeartbeatObserver interface {
	// Heartbeat is told each heartbeat's outcome once it is final: credited (refusal ""),
	// refused for refusal (one of AllRefusals, counted in the member's tally), or failed,
	// answered with an error that counted no refusal (bad input, an ended session, a database
	// failure).
	Heartbeat(refusal Refusal, failed bool)
}

// DefaultDailyCap is 8 hours of lessons a day.
const DefaultDailyCap = 8 * time.Hour

func (c *Config) defaults() {
	if c.Rules == (CreditRules{}) {
		c.Rules = DefaultCreditRules
	}
	if c.Reading == (ReadingRules{}) {
		c.Reading = DefaultReadingRules
	}
	if c.DailyCap <= 0 {
		c.DailyCap = DefaultDailyCap
	}
	if c.Location == nil {
		if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
			c.Location = loc
		} else {
			c.Location = time.UTC
		}
	}
}

// Study is the studyhour use case: sessions and heartbeats, the ledger, exam credits, summaries.
type Study struct {
	cfg      Config
	store    Store
	courses  Courses
	accounts Accounts
	events   Publisher
	tx       Transaction
	clock    clock.Clock
}

// NewStudy wires the use case.
func NewStudy(cfg Config, store Store, courses Courses, accounts Accounts, events Publisher, tx Transaction, clk clock.Clock) (*Study, error) {
	if len(cfg.LedgerKey) < 16 {
		return nil, errors.New("studyhour: a ledger key of at least 16 bytes is required")
	}
	cfg.defaults()
	if clk == nil {
		clk = clock.Real{}
	}
	return &Study{cfg: cfg, store: store, courses: courses, accounts: accounts, events: events, tx: tx, clock: clk}, nil
}

// Rules are the crediting rules in force.
func (uc *Study) Rules() CreditRules { return uc.cfg.Rules }

func (uc *Study) day(t time.Time) string { return t.In(uc.cfg.Location).Format(time.DateOnly) }

// Start opens a session on a lesson the caller may study and makes it the member's earning
// session.
func (uc *Study) Start(ctx context.Context, lessonID int64) (*StudySession, *Progress, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, nil, err
	}
	l, err := uc.courses.Lesson(ctx, lessonID)
	if err != nil {
		return nil, nil, err
	}
	duration, pages := l.Duration, 0
	switch l.Kind {
	case KindVideo, KindAudio:
		if !l.Ready || l.Duration <= 0 {
			return nil, nil, ErrLessonNotReady
		}
	case KindDocument:
		if !l.Ready || l.PageCount <= 0 {
			return nil, nil, ErrLessonNotReady
		}
		pages = l.PageCount
		duration = uc.cfg.Reading.DocumentSeconds(pages)
	default:
		duration = uc.cfg.Reading.ArticleSeconds(l.BodyHTML)
	}
	var sess *StudySession
	var prog *Progress
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		now := uc.clock.Now()
		m, err := uc.store.LockMember(ctx, p.UserID)
		if err != nil {
			return err
		}
		prog, err = uc.store.GetProgress(ctx, p.UserID, lessonID)
		if errors.Is(err, ErrNotFound) {
			prog = &Progress{MemberID: p.UserID, LessonID: lessonID, CourseID: l.CourseID, Watched: Spans{}, Pages: Spans{}}
		} else if err != nil {
			return err
		}
		// The lesson as course describes it now (a replaced video has a new duration).
		prog.Kind, prog.Duration, prog.PageCount, prog.UpdatedAt = l.Kind, duration, pages, now
		if prog, err = uc.store.SaveProgress(ctx, prog); err != nil {
			return err
		}
		sess, err = uc.store.CreateSession(ctx, &StudySession{MemberID: p.UserID, LessonID: lessonID, CourseID: l.CourseID,
			StartedAt: now, LastAt: now, LastPosition: prog.Position})
		if err != nil {
			return err
		}
		until := now.Add(uc.cfg.Rules.MaxGap)
		m.ActiveSession, m.ActiveUntil = sess.ID, &until
		return uc.store.SaveMember(ctx, m)
	})
	if err != nil {
		return nil, nil, err
	}
	return sess, prog, nil
}

// Beat is a heartbeat as the player sends it.
type Beat struct {
	SessionID int64
	Seq       int64
	Position  float64
	Rate      float64
	Visible   bool
	Pages     []int32
}

// BeatResult is what a heartbeat earned (Refusal says why nothing) and the lesson's progress.
type BeatResult struct {
	Credit   time.Duration
	Refusal  Refusal
	Progress *Progress
}

// Heartbeat judges one heartbeat under the member's lock: only the member's own, live session,
// each heartbeat number once, only the session that currently earns, within the daily cap;
// whole credited seconds go to the ledger. Every refusal is counted, and every outcome told to
// the heartbeat observer.
func (uc *Study) Heartbeat(ctx context.Context, b Beat) (*BeatResult, error) {
	res, refused, err := uc.heartbeat(ctx, b)
	if uc.cfg.Heartbeats != nil {
		uc.cfg.Heartbeats.Heartbeat(refused, err != nil && refused == "")
	}
	return res, err
}

// heartbeat is Heartbeat; it also returns the refusal it counted (a forged heartbeat's comes
// with ErrNotFound).
func (uc *Study) heartbeat(ctx context.Context, b Beat) (*BeatResult, Refusal, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, "", err
	}
	if math.IsNaN(b.Position) || math.IsInf(b.Position, 0) || b.Position < 0 {
		return nil, "", Invalid("position", "播放位置无效")
	}
	if math.IsNaN(b.Rate) || math.IsInf(b.Rate, 0) || b.Rate <= 0 {
		return nil, "", Invalid("rate", "播放速度无效")
	}
	var res *BeatResult
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		// The member's lock first: every credit of a member is serialised here.
		m, err := uc.store.LockMember(ctx, p.UserID)
		if err != nil {
			return err
		}
		now := uc.clock.Now()
		s, err := uc.store.GetSession(ctx, b.SessionID)
		if errors.Is(err, ErrNotFound) || (err == nil && s.MemberID != p.UserID) {
			// Someone else's session (or none): counted against the caller below, and answered
			// as missing so ids cannot be probed.
			return errForged
		}
		if err != nil {
			return err
		}
		if s.EndedAt != nil {
			return ErrSessionEnded
		}
		prog, err := uc.store.GetProgress(ctx, p.UserID, s.LessonID)
		if err != nil {
			return err
		}
		res = &BeatResult{Progress: prog}
		refuse := func(why Refusal) error {
			res.Refusal = why
			return uc.store.CountRefusal(ctx, p.UserID, why, now)
		}
		if b.Seq <= s.LastSeq {
			return refuse(RefusedReplayed)
		}
		s.LastSeq = b.Seq
		if m.ActiveSession != s.ID && m.ActiveUntil != nil && now.Before(*m.ActiveUntil) {
			// Another tab or device earns now: this one only moves its reference point, so the
			// stretch is never credited later either.
			s.LastAt, s.LastPosition = now, b.Position
			if err := uc.store.SaveSession(ctx, s); err != nil {
				return err
			}
			return refuse(RefusedParallel)
		}
		cur := Session{Duration: prog.Duration, LastAt: s.LastAt, LastPosition: s.LastPosition, Watched: prog.Watched, Credited: prog.Credited}
		hb := Heartbeat{At: now, Position: b.Position, Rate: b.Rate, Visible: b.Visible}
		var v Verdict
		if Media(prog.Kind) {
			v = uc.cfg.Rules.Judge(cur, hb)
		} else {
			hb.Rate = 1
			v = uc.cfg.Rules.JudgeReading(cur, hb)
			prog.Pages = PageSpans(prog.Pages, b.Pages, prog.PageCount)
		}
		today := uc.day(now)
		if m.Day != today {
			m.Day, m.DayCredited = today, 0
		}
		if v.Credit > 0 {
			if room := uc.cfg.DailyCap - m.DayCredited; v.Credit > room {
				if room <= 0 {
					v = Verdict{Refusal: RefusedDailyCap, Session: cur}
					v.Session.LastAt, v.Session.LastPosition = now, b.Position
				} else {
					v.Session.Credited -= v.Credit - room
					v.Credit = room
				}
			}
		}
		s.LastAt, s.LastPosition = v.Session.LastAt, b.Position
		s.Credited += v.Credit
		until := now.Add(uc.cfg.Rules.MaxGap)
		m.ActiveSession, m.ActiveUntil = s.ID, &until
		m.DayCredited += v.Credit
		prog.Watched, prog.Credited, prog.Position, prog.UpdatedAt = v.Session.Watched, v.Session.Credited, b.Position, now
		if prog.Watched == nil {
			prog.Watched = Spans{}
		}
		res.Credit = v.Credit
		var evs []Event
		if prog.CompletedAt == nil && uc.complete(prog) {
			prog.CompletedAt = &now
			evs = append(evs, LessonCompleted{MemberID: p.UserID, LessonID: prog.LessonID, CourseID: prog.CourseID, At: now, Credited: prog.Credited})
		}
		// Whole credited seconds go to the ledger; the fraction waits for the next heartbeat.
		if whole := int64(prog.Credited / time.Second); whole > prog.LedgeredSec {
			e := Entry{MemberID: p.UserID, Source: SourceLesson, Seconds: whole - prog.LedgeredSec, Day: today,
				Ref: fmt.Sprintf("lesson:%d/session:%d", s.LessonID, s.ID), RecordedAt: now}
			if _, err := uc.append(ctx, m, e); err != nil {
				return err
			}
			prog.LedgeredSec = whole
		}
		if err := uc.store.SaveSession(ctx, s); err != nil {
			return err
		}
		if res.Progress, err = uc.store.SaveProgress(ctx, prog); err != nil {
			return err
		}
		if err := uc.store.SaveMember(ctx, m); err != nil {
			return err
		}
		if len(evs) > 0 {
			if err := uc.events.Publish(ctx, evs...); err != nil {
				return err
			}
		}
		if v.Refusal != "" {
			return refuse(v.Refusal)
		}
		return nil
	})
	if errors.Is(err, errForged) {
		// Counted on its own: the transaction above rolled back with the error.
		if cerr := uc.store.CountRefusal(ctx, p.UserID, RefusedForged, uc.clock.Now()); cerr != nil {
			return nil, "", cerr
		}
		return nil, RefusedForged, ErrNotFound
	}
	if err != nil {
		return nil, "", err
	}
	return res, res.Refusal, nil
}

var errForged = errors.New("forged heartbeat")

// complete: a played lesson by Rules.Complete; a reading by credited time, and a PDF also by
// the share of its pages viewed.
func (uc *Study) complete(p *Progress) bool {
	r := uc.cfg.Rules
	if Media(p.Kind) {
		return r.Complete(Session{Duration: p.Duration, Watched: p.Watched, Credited: p.Credited})
	}
	if p.Credited.Seconds() < r.CompleteCredit*p.Duration {
		return false
	}
	return p.PageCount == 0 || p.Pages.Seconds() >= r.CompleteCoverage*float64(p.PageCount)
}

// append links e after the member's chain head, stores it, and moves the head and its anchor
// (m is locked by the caller and saved by it).
func (uc *Study) append(ctx context.Context, m *MemberState, e Entry) (Entry, error) {
	var head *Entry
	if m.HeadSeq > 0 {
		head = &Entry{Seq: m.HeadSeq, Hash: m.HeadHash}
	}
	e.MemberID = m.MemberID
	e.RecordedAt = e.RecordedAt.Truncate(time.Microsecond)
	e = Link(head, e)
	at := e.RecordedAt.In(uc.cfg.Location)
	if d, err := time.ParseInLocation(time.DateOnly, e.Day, uc.cfg.Location); err == nil {
		at = d
	}
	if err := uc.store.AppendEntry(ctx, e, at.Month(), at.Year()); err != nil {
		return Entry{}, err
	}
	m.HeadSeq, m.HeadHash, m.Anchor = e.Seq, e.Hash, Anchor(uc.cfg.LedgerKey, e)
	switch y := at.Year(); {
	case y > m.Year:
		m.Year, m.YearSeconds = y, e.Seconds
	case y == m.Year:
		m.YearSeconds += e.Seconds
	}
	return e, nil
}

// End closes the caller's session (idempotent) and frees the member's earning slot if it held
// it.
func (uc *Study) End(ctx context.Context, sessionID int64) (*Progress, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	var prog *Progress
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		m, err := uc.store.LockMember(ctx, p.UserID)
		if err != nil {
			return err
		}
		s, err := uc.store.GetSession(ctx, sessionID)
		if err != nil {
			return err
		}
		if s.MemberID != p.UserID {
			return ErrNotFound
		}
		if s.EndedAt == nil {
			now := uc.clock.Now()
			s.EndedAt = &now
			if err := uc.store.SaveSession(ctx, s); err != nil {
				return err
			}
			if m.ActiveSession == s.ID {
				m.ActiveSession, m.ActiveUntil = 0, nil
				if err := uc.store.SaveMember(ctx, m); err != nil {
					return err
				}
			}
		}
		prog, err = uc.store.GetProgress(ctx, p.UserID, s.LessonID)
		return err
	})
	return prog, err
}

// MyProgress returns the caller's progress on lessons.
func (uc *Study) MyProgress(ctx context.Context, lessonIDs []int64) ([]*Progress, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return uc.store.ListProgress(ctx, p.UserID, lessonIDs)
}

// Summary is a member's year.
type Summary struct {
	MemberID         int64
	Year             int
	Total, Target    time.Duration
	BySource         map[string]int64
	ByMonth          [12]int64
	CompletedLessons int
	Refusals         []RefusalTally
}

// MyHours summarises the caller's year (0: this year).
func (uc *Study) MyHours(ctx context.Context, year int) (*Summary, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return uc.summary(ctx, Person{ID: p.UserID, OrgPath: p.OrgPath, Staff: p.HasRole(auth.RoleStaff)}, year)
}

// MemberHours summarises a member's year for the member or staff over the member's org.
func (uc *Study) MemberHours(ctx context.Context, memberID int64, year int) (*Summary, error) {
	person, err := uc.mayRead(ctx, memberID)
	if err != nil {
		return nil, err
	}
	return uc.summary(ctx, *person, year)
}

func (uc *Study) summary(ctx context.Context, person Person, year int) (*Summary, error) {
	if year == 0 {
		year = uc.clock.Now().In(uc.cfg.Location).Year()
	}
	if year < 2000 || year > 2200 {
		return nil, Invalid("year", "年份应在 2000–2200 之间")
	}
	memberID := person.ID
	sums, err := uc.store.MonthSums(ctx, memberID, year)
	if err != nil {
		return nil, err
	}
	rules, err := uc.ruleSet(ctx, person.OrgPath)
	if err != nil {
		return nil, err
	}
	target := time.Duration(rules.Effective(person.OrgPath, TargetKey(person.Role()))) * time.Second
	out := &Summary{MemberID: memberID, Year: year, Target: target, BySource: map[string]int64{}}
	for _, s := range sums {
		out.BySource[s.Source] += s.Seconds
		if s.Month >= 1 && s.Month <= 12 {
			out.ByMonth[s.Month-1] += s.Seconds
		}
		out.Total += time.Duration(s.Seconds) * time.Second
	}
	from := time.Date(year, 1, 1, 0, 0, 0, 0, uc.cfg.Location)
	if out.CompletedLessons, err = uc.store.CountCompleted(ctx, memberID, from, from.AddDate(1, 0, 0)); err != nil {
		return nil, err
	}
	if out.Refusals, err = uc.store.Refusals(ctx, memberID); err != nil {
		return nil, err
	}
	return out, nil
}

// mayRead: the member, or staff and admins whom org lets see the member's account (their org
// subtree). It returns the member's account.
func (uc *Study) mayRead(ctx context.Context, memberID int64) (*Person, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if p.UserID != memberID && !p.IsAdmin() && !p.HasRole(auth.RoleStaff) {
		return nil, deny("只有组织管理员能查看他人的学时")
	}
	who, err := uc.accounts.Person(ctx, memberID)
	if err != nil {
		return nil, err
	}
	// Staff of a temporary branch see its members' accounts, not their home branch's records.
	if p.UserID != memberID && !p.CanManageOrg(who.OrgPath) {
		return nil, ErrNotFound
	}
	return who, nil
}

// Ledger lists a member's entries, newest first, before seq (0: from the newest).
func (uc *Study) Ledger(ctx context.Context, memberID, beforeSeq int64, limit int) ([]Entry, error) {
	if _, err := uc.mayRead(ctx, memberID); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	return uc.store.ListEntries(ctx, memberID, beforeSeq, limit)
}

// Verification is the result of checking a member's chain.
type Verification struct {
	Entries int
	Broken  *BrokenLink
}

// Verify checks a member's chain and its anchor under the server's key.
func (uc *Study) Verify(ctx context.Context, memberID int64) (*Verification, error) {
	if _, err := uc.mayRead(ctx, memberID); err != nil {
		return nil, err
	}
	entries, err := uc.store.ChainEntries(ctx, memberID)
	if err != nil {
		return nil, err
	}
	m, err := uc.store.GetMember(ctx, memberID)
	if err != nil {
		return nil, err
	}
	return &Verification{Entries: len(entries), Broken: VerifyAnchored(uc.cfg.LedgerKey, entries, m.Anchor)}, nil
}
