package biz

import (
	"testing"
	"time"
)

func mustDate(t *testing.T, s string) Date {
	t.Helper()
	d, err := ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDateArithmetic(t *testing.T) {
	for _, c := range []struct {
		from   string
		months int
		want   string
	}{
		{"2026-01-15", 1, "2026-02-15"},
		{"2026-01-31", 1, "2026-02-28"}, // February is shorter: its last day
		{"2028-01-31", 1, "2028-02-29"}, // a leap year
		{"2028-02-29", 12, "2029-02-28"},
		{"2026-11-30", 3, "2027-02-28"}, // across a year
		{"2026-03-31", -1, "2026-02-28"},
		{"2026-05-10", 12, "2027-05-10"},
	} {
		if got := mustDate(t, c.from).AddMonths(c.months).String(); got != c.want {
			t.Errorf("%s + %d months = %s, want %s", c.from, c.months, got, c.want)
		}
	}
	if got := mustDate(t, "2026-12-31").AddDays(1).String(); got != "2027-01-01" {
		t.Errorf("31 December + 1 day = %s", got)
	}
	if n := mustDate(t, "2026-01-01").DaysUntil(mustDate(t, "2027-01-01")); n != 365 {
		t.Errorf("days in 2026 = %d", n)
	}
	for _, bad := range []string{"2026-02-30", "2026-13-01", "26-01-01", "2026/01/01", ""} {
		if _, err := ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) accepted", bad)
		}
	}
	// A calendar date is the organisation's: 23:30 on 31 December in Beijing is 15:30 UTC.
	cst := time.FixedZone("CST", 8*3600)
	at := time.Date(2026, 12, 31, 15, 30, 0, 0, time.UTC)
	if got := DateOf(at, cst).String(); got != "2026-12-31" {
		t.Errorf("in Beijing = %s", got)
	}
	if got := DateOf(at.Add(time.Hour), cst).String(); got != "2027-01-01" {
		t.Errorf("an hour later in Beijing = %s", got)
	}
}

// A calendar configured like a National Day week: 1–8 October off, the Sunday before
// (27 September) and the Saturday after (10 October) worked instead.
func TestWorkdaysAcrossAHolidayAndMakeUpDays(t *testing.T) {
	var holidays []Date
	for d := mustDate(t, "2026-10-01"); !d.After(mustDate(t, "2026-10-08")); d = d.AddDays(1) {
		holidays = append(holidays, d)
	}
	cal, err := NewCalendar(holidays, []Date{mustDate(t, "2026-09-27"), mustDate(t, "2026-10-10")})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		day  string
		work bool
	}{
		{"2026-09-25", true},  // Friday
		{"2026-09-26", false}, // Saturday
		{"2026-09-27", true},  // Sunday, made up
		{"2026-09-30", true},  // Wednesday
		{"2026-10-01", false}, // Thursday, holiday
		{"2026-10-08", false}, // Thursday, last holiday
		{"2026-10-09", true},  // Friday
		{"2026-10-10", true},  // Saturday, made up
		{"2026-10-11", false}, // Sunday
	} {
		if got := cal.Workday(mustDate(t, c.day)); got != c.work {
			t.Errorf("Workday(%s) = %v", c.day, got)
		}
	}
	for _, c := range []struct {
		from string
		n    int
		want string
	}{
		{"2026-09-14", 5, "2026-09-21"}, // a plain week: Monday + 5 = the next Monday
		{"2026-09-21", 5, "2026-09-27"}, // …but this Sunday is made up
		{"2026-09-25", 1, "2026-09-27"}, // the make-up Sunday counts
		{"2026-09-25", 4, "2026-09-30"}, // 27 (made up), 28, 29, 30 September
		{"2026-09-30", 1, "2026-10-09"}, // across the holiday
		{"2026-09-30", 2, "2026-10-10"}, // the make-up Saturday
		{"2026-09-30", 3, "2026-10-12"}, // Sunday is off again
		{"2026-10-03", 0, "2026-10-03"},
	} {
		if got := cal.AddWorkdays(mustDate(t, c.from), c.n).String(); got != c.want {
			t.Errorf("%s + %d working days = %s, want %s", c.from, c.n, got, c.want)
		}
	}
	if n := cal.WorkdaysBetween(mustDate(t, "2026-09-25"), mustDate(t, "2026-10-12")); n != 7 { // 27, 28, 29, 30 Sep; 9, 10, 12 Oct
		t.Errorf("working days 25 Sep – 12 Oct = %d, want 7", n)
	}
	if n := cal.WorkdaysBetween(mustDate(t, "2026-10-12"), mustDate(t, "2026-09-25")); n != 0 {
		t.Errorf("a backwards span = %d", n)
	}
	if _, err := NewCalendar([]Date{mustDate(t, "2026-10-10")}, []Date{mustDate(t, "2026-10-10")}); err == nil {
		t.Error("a date both off and worked was accepted")
	}
}
