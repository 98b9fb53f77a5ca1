package biz

import (
	"fmt"
	"time"
)

// Date is a calendar date with no time and no zone: the dates of member development (an
// application handed in, a meeting held) are the organisation's calendar dates.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf is the calendar date of t in loc (the organisation's time zone).
func DateOf(t time.Time, loc *time.Location) Date {
	y, m, d := t.In(loc).Date()
	return Date{y, m, d}
}

// ParseDate reads YYYY-MM-DD; it refuses dates that do not exist (2026-02-30).
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	return DateOf(t, time.UTC), nil
}

func (d Date) t() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// String is YYYY-MM-DD.
func (d Date) String() string { return d.t().Format(time.DateOnly) }

// Text is YYYY-MM-DD, or "" for no date (as dates are stored and sent).
func (d Date) Text() string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

// IsZero reports whether d is the zero Date (no date).
func (d Date) IsZero() bool { return d == Date{} }

// Weekday is the day of the week of d.
func (d Date) Weekday() time.Weekday { return d.t().Weekday() }

// AddDays is the date n days after d (before, for n < 0).
func (d Date) AddDays(n int) Date { return DateOf(d.t().AddDate(0, 0, n), time.UTC) }

// AddMonths is the same day n months later, or the last day of that month when it is shorter
// (31 January + 1 month = 28 or 29 February; 29 February + 12 months = 28 February): "within one
// month" of 31 January ends with February, not in March.
func (d Date) AddMonths(n int) Date {
	first := time.Date(d.Year, d.Month+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return Date{first.Year(), first.Month(), min(d.Day, last)}
}

// Before reports whether d is earlier than o; After whether later.
func (d Date) Before(o Date) bool { return d.t().Before(o.t()) }

// After reports whether d is later than o.
func (d Date) After(o Date) bool { return d.t().After(o.t()) }

// DaysUntil is the number of days from d to o (negative when o is earlier).
func (d Date) DaysUntil(o Date) int { return int(o.t().Sub(d.t()).Hours() / 24) }

// Calendar tells working days: Monday to Friday, except the holidays it is given, plus the
// make-up working days (调休) it is given, which fall on weekends.
type Calendar struct {
	holidays, makeups map[Date]bool
}

// NewCalendar builds a calendar; a date cannot be both a holiday and a make-up working day.
func NewCalendar(holidays, makeups []Date) (*Calendar, error) {
	c := &Calendar{holidays: map[Date]bool{}, makeups: map[Date]bool{}}
	for _, d := range holidays {
		c.holidays[d] = true
	}
	for _, d := range makeups {
		if c.holidays[d] {
			return nil, fmt.Errorf("%s is both a holiday and a make-up working day", d)
		}
		c.makeups[d] = true
	}
	return c, nil
}

// Workday reports whether d is a working day.
func (c *Calendar) Workday(d Date) bool {
	switch {
	case c.makeups[d]:
		return true
	case c.holidays[d]:
		return false
	}
	wd := d.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// AddWorkdays is the n-th working day after d (d itself does not count): a notice posted on d
// for 5 working days runs until AddWorkdays(d, 5) inclusive. n must be ≥ 0; 0 returns d.
func (c *Calendar) AddWorkdays(d Date, n int) Date {
	for n > 0 {
		d = d.AddDays(1)
		if c.Workday(d) {
			n--
		}
	}
	return d
}

// WorkdaysBetween counts the working days after from up to and including to (0 when to is not
// after from).
func (c *Calendar) WorkdaysBetween(from, to Date) int {
	n := 0
	for d := from.AddDays(1); !d.After(to); d = d.AddDays(1) {
		if c.Workday(d) {
			n++
		}
	}
	return n
}
