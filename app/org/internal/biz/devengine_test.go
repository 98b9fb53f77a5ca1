package biz

import (
	"strings"
	"testing"
)

// holidayWeek is a National Day week like the State Council's: 1–8 October 2026 off (Thursday to
// Thursday), with Sunday 27 September and Saturday 10 October as make-up working days.
func holidayWeek(t *testing.T) *Calendar {
	t.Helper()
	var hol []Date
	for d := mustDate(t, "2026-10-01"); !d.After(mustDate(t, "2026-10-08")); d = d.AddDays(1) {
		hol = append(hol, d)
	}
	cal, err := NewCalendar(hol, []Date{mustDate(t, "2026-09-27"), mustDate(t, "2026-10-10")})
	if err != nil {
		t.Fatal(err)
	}
	return cal
}

// history builds the recorded steps before code, each dated 2000-01-01 unless dates gives one;
// edit adjusts a step (an outcome, an extension).
func stepsBefore(t *testing.T, code string, dates map[string]string, edit func(*DevStep)) []*DevStep {
	t.Helper()
	var out []*DevStep
	for _, def := range Steps {
		if def.Code == code {
			break
		}
		d := "2000-01-01"
		if v, ok := dates[def.Code]; ok {
			d = v
		}
		s := &DevStep{Code: def.Code, Seq: 1, Date: mustDate(t, d)}
		if def.Code == StepFullVote {
			s.Outcome = OutcomeOnTime
		}
		if edit != nil {
			edit(s)
		}
		out = append(out, s)
	}
	return out
}

func hasRule(cs []RuleCheck, rule string) bool {
	for _, c := range cs {
		if c.Rule == rule {
			return true
		}
	}
	return false
}

// TestRuleEngine checks every rule on both sides of its boundary: the date or count just
// refused and the one just allowed, with the national rule set and with a subtree's tightening.
func TestRuleEngine(t *testing.T) {
	cal := holidayWeek(t)
	const path = "/1/2/"
	local := DevRuleSet{
		{OrgPath: "/1/", Key: RuleActivistAfter, Value: 6},
		{OrgPath: "/1/2/", Key: RuleTrainingHours, Value: 40},
		{OrgPath: "/1/", Key: RuleVoteMajority, Value: 66},
		{OrgPath: "/1/", Key: RuleMinAge, Value: 20},
		{OrgPath: "/9/", Key: RuleObjectAfter, Value: 24}, // another subtree: no effect here
		{OrgPath: "/1/", Key: RuleApprovalWithin, Value: 2},
	}
	extend := func(months int) func(*DevStep) {
		return func(s *DevStep) {
			if s.Code == StepFullVote {
				s.Outcome, s.ExtensionMonths = OutcomeExtend, months
			}
		}
	}
	cases := []struct {
		name     string
		rules    DevRuleSet
		steps    []*DevStep
		in       stepInput
		violates string // "" allowed
		warns    string // "" none
		earliest string // the next step's earliest date, when checked
		deadline string
	}{
		// Age at application, from the birth date.
		{name: "17 the day before the 18th birthday", in: stepInput{step: Steps[0], date: mustDate(t, "2026-12-01"), birthDate: mustDate(t, "2008-12-02")}, violates: RuleMinAge},
		{name: "18 on the birthday", in: stepInput{step: Steps[0], date: mustDate(t, "2026-12-02"), birthDate: mustDate(t, "2008-12-02")}},
		{name: "no birth date", in: stepInput{step: Steps[0], date: mustDate(t, "2026-12-02")}, violates: RuleMinAgeBirthKnown},
		{name: "local age 20: 19 refused", rules: local, in: stepInput{step: Steps[0], date: mustDate(t, "2026-12-02"), birthDate: mustDate(t, "2007-01-01")}, violates: RuleMinAge},
		{name: "local age 20: 20 allowed", rules: local, in: stepInput{step: Steps[0], date: mustDate(t, "2026-12-02"), birthDate: mustDate(t, "2006-12-02")}},
		// Talk within one month of the application (month end clamps).
		{name: "talk on the last day", steps: stepsBefore(t, StepTalk, map[string]string{StepApplication: "2026-01-31"}, nil),
			in: stepInput{step: Steps[1], date: mustDate(t, "2026-02-28")}, deadline: "2026-02-28"},
		{name: "talk a day late is kept with a warning", steps: stepsBefore(t, StepTalk, map[string]string{StepApplication: "2026-01-31"}, nil),
			in: stepInput{step: Steps[1], date: mustDate(t, "2026-03-01")}, warns: RuleTalkWithin},
		{name: "talk before the application", steps: stepsBefore(t, StepTalk, map[string]string{StepApplication: "2026-01-31"}, nil),
			in: stepInput{step: Steps[1], date: mustDate(t, "2026-01-30")}, violates: RuleOrder},
		// Application → activist: no national minimum, a local six months.
		{name: "activist the next day (national)", steps: stepsBefore(t, StepActivistConfirmed, map[string]string{StepApplication: "2026-01-31", StepTalk: "2026-02-01"}, nil),
			in: stepInput{step: Steps[2], date: mustDate(t, "2026-02-02")}},
		{name: "local 6 months: a day short", rules: local, steps: stepsBefore(t, StepActivistConfirmed, map[string]string{StepApplication: "2026-01-31", StepTalk: "2026-02-01"}, nil),
			in: stepInput{step: Steps[2], date: mustDate(t, "2026-07-30")}, violates: RuleActivistAfter, earliest: "2026-07-31"},
		{name: "local 6 months: on the day", rules: local, steps: stepsBefore(t, StepActivistConfirmed, map[string]string{StepApplication: "2026-01-31", StepTalk: "2026-02-01"}, nil),
			in: stepInput{step: Steps[2], date: mustDate(t, "2026-07-31")}},
		// Activist → development object: at least a year.
		{name: "object a day before the year", steps: stepsBefore(t, StepObjectConfirmed, map[string]string{StepActivistConfirmed: "2025-03-15"}, nil),
			in: stepInput{step: Steps[6], date: mustDate(t, "2026-03-14")}, violates: RuleObjectAfter, earliest: "2026-03-15"},
		{name: "object after the year", steps: stepsBefore(t, StepObjectConfirmed, map[string]string{StepActivistConfirmed: "2025-03-15"}, nil),
			in: stepInput{step: Steps[6], date: mustDate(t, "2026-03-15")}},
		{name: "leap day activist: a year ends on 28 February", steps: stepsBefore(t, StepObjectConfirmed, map[string]string{StepActivistConfirmed: "2024-02-29"}, nil),
			in: stepInput{step: Steps[6], date: mustDate(t, "2025-02-28")}, earliest: "2025-02-28"},
		// Concentrated training: 24 class hours or 3 days; locally 40 hours or 5 days.
		{name: "23.5 hours in 2 days", steps: stepsBefore(t, StepConcentratedTraining, nil, nil),
			in: stepInput{step: Steps[10], date: mustDate(t, "2026-01-01"), training: [2]float64{23.5, 2}}, violates: RuleTrainingHours},
		{name: "24 hours", steps: stepsBefore(t, StepConcentratedTraining, nil, nil),
			in: stepInput{step: Steps[10], date: mustDate(t, "2026-01-01"), training: [2]float64{24, 0}}},
		{name: "3 days", steps: stepsBefore(t, StepConcentratedTraining, nil, nil),
			in: stepInput{step: Steps[10], date: mustDate(t, "2026-01-01"), training: [2]float64{0, 3}}},
		{name: "local 40 hours: 4 days refused", rules: local, steps: stepsBefore(t, StepConcentratedTraining, nil, nil),
			in: stepInput{step: Steps[10], date: mustDate(t, "2026-01-01"), training: [2]float64{32, 4}}, violates: RuleTrainingHours},
		{name: "local 40 hours: 5 days", rules: local, steps: stepsBefore(t, StepConcentratedTraining, nil, nil),
			in: stepInput{step: Steps[10], date: mustDate(t, "2026-01-01"), training: [2]float64{0, 5}}},
		// 公示 of five working days after the branch committee's review, across the holiday week
		// and its make-up Sunday: 27, 28, 29, 30 September and 9 October; pre-review from 10 October.
		{name: "pre-review on the notice's last day", steps: stepsBefore(t, StepPreReview, map[string]string{StepBranchReview: "2026-09-25"}, nil),
			in: stepInput{step: Steps[12], date: mustDate(t, "2026-10-09")}, violates: RuleNoticeObject, earliest: "2026-10-10"},
		{name: "pre-review the day after the notice", steps: stepsBefore(t, StepPreReview, map[string]string{StepBranchReview: "2026-09-25"}, nil),
			in: stepInput{step: Steps[12], date: mustDate(t, "2026-10-10")}},
		// Branch meeting votes: more than half present, more than half (locally 66%) in favour.
		{name: "half present", steps: stepsBefore(t, StepAdmissionVote, nil, nil),
			in: stepInput{step: Steps[14], date: mustDate(t, "2026-01-01"), votes: Votes{10, 5, 5}}, violates: RuleVoteQuorum},
		{name: "half in favour", steps: stepsBefore(t, StepAdmissionVote, nil, nil),
			in: stepInput{step: Steps[14], date: mustDate(t, "2026-01-01"), votes: Votes{10, 9, 5}}, violates: RuleVoteMajority},
		{name: "6 of 10 in favour", steps: stepsBefore(t, StepAdmissionVote, nil, nil),
			in: stepInput{step: Steps[14], date: mustDate(t, "2026-01-01"), votes: Votes{10, 6, 6}}},
		{name: "local 66%: 6 of 10 refused", rules: local, steps: stepsBefore(t, StepAdmissionVote, nil, nil),
			in: stepInput{step: Steps[14], date: mustDate(t, "2026-01-01"), votes: Votes{10, 8, 6}}, violates: RuleVoteMajority},
		{name: "local 66%: 7 of 10", rules: local, steps: stepsBefore(t, StepAdmissionVote, nil, nil),
			in: stepInput{step: Steps[14], date: mustDate(t, "2026-01-01"), votes: Votes{10, 8, 7}}},
		// Approval within 3 months (locally 2) of the vote.
		{name: "approved on the last day", steps: stepsBefore(t, StepAdmissionApproved, map[string]string{StepAdmissionVote: "2026-01-15"}, nil),
			in: stepInput{step: Steps[16], date: mustDate(t, "2026-04-15")}, deadline: "2026-04-15"},
		{name: "approved a day late", steps: stepsBefore(t, StepAdmissionApproved, map[string]string{StepAdmissionVote: "2026-01-15"}, nil),
			in: stepInput{step: Steps[16], date: mustDate(t, "2026-04-16")}, warns: RuleApprovalWithin},
		{name: "local 2 months", rules: local, steps: stepsBefore(t, StepAdmissionApproved, map[string]string{StepAdmissionVote: "2026-01-15"}, nil),
			in: stepInput{step: Steps[16], date: mustDate(t, "2026-03-16")}, warns: RuleApprovalWithin, deadline: "2026-03-15"},
		// Probation: education within it; the full-membership vote not before it ends (a year
		// from the admission vote) nor before the five-working-day notice after the application.
		{name: "education on the probation's last day", steps: stepsBefore(t, StepProbationEducation, map[string]string{StepAdmissionVote: "2025-03-10"}, nil),
			in: stepInput{step: Steps[20], date: mustDate(t, "2026-03-10")}, deadline: "2026-03-10"},
		{name: "full vote before the probation ends", steps: stepsBefore(t, StepFullVote, map[string]string{StepAdmissionVote: "2025-03-10", StepFullApplication: "2026-02-20"}, nil),
			in: stepInput{step: Steps[22], date: mustDate(t, "2026-03-09"), votes: Votes{10, 8, 8}, outcome: OutcomeOnTime}, violates: RuleProbation, earliest: "2026-03-10"},
		{name: "full vote the day the probation ends", steps: stepsBefore(t, StepFullVote, map[string]string{StepAdmissionVote: "2025-03-10", StepFullApplication: "2026-02-20"}, nil),
			in: stepInput{step: Steps[22], date: mustDate(t, "2026-03-10"), votes: Votes{10, 8, 8}, outcome: OutcomeOnTime}},
		{name: "full vote during the notice", steps: stepsBefore(t, StepFullVote, map[string]string{StepAdmissionVote: "2025-03-10", StepFullApplication: "2026-03-09"}, nil),
			in: stepInput{step: Steps[22], date: mustDate(t, "2026-03-16"), votes: Votes{10, 8, 8}, outcome: OutcomeOnTime}, violates: RuleNoticeFull, earliest: "2026-03-17"},
		{name: "full vote after the notice", steps: stepsBefore(t, StepFullVote, map[string]string{StepAdmissionVote: "2025-03-10", StepFullApplication: "2026-03-09"}, nil),
			in: stepInput{step: Steps[22], date: mustDate(t, "2026-03-17"), votes: Votes{10, 8, 8}, outcome: OutcomeOnTime}},
		// Extension: 6 to 12 months, once.
		{name: "extend 5 months", steps: stepsBefore(t, StepFullVote, map[string]string{StepAdmissionVote: "2025-03-10"}, nil),
			in: stepInput{step: Steps[22], seq: 1, date: mustDate(t, "2026-03-20"), votes: Votes{10, 8, 8}, outcome: OutcomeExtend, extension: 5}, violates: RuleExtensionMin},
		{name: "extend 6 months", steps: stepsBefore(t, StepFullVote, map[string]string{StepAdmissionVote: "2025-03-10"}, nil),
			in: stepInput{step: Steps[22], seq: 1, date: mustDate(t, "2026-03-20"), votes: Votes{10, 8, 8}, outcome: OutcomeExtend, extension: 6}},
		{name: "extend 12 months", steps: stepsBefore(t, StepFullVote, map[string]string{StepAdmissionVote: "2025-03-10"}, nil),
			in: stepInput{step: Steps[22], seq: 1, date: mustDate(t, "2026-03-20"), votes: Votes{10, 8, 8}, outcome: OutcomeExtend, extension: 12}},
		{name: "extend 13 months", steps: stepsBefore(t, StepFullVote, map[string]string{StepAdmissionVote: "2025-03-10"}, nil),
			in: stepInput{step: Steps[22], seq: 1, date: mustDate(t, "2026-03-20"), votes: Votes{10, 8, 8}, outcome: OutcomeExtend, extension: 13}, violates: RuleExtensionMin},
		{name: "second meeting before the extension ends", steps: stepsBefore(t, StepFullApproved, map[string]string{StepAdmissionVote: "2025-03-10", StepFullVote: "2026-03-20"}, extend(6)),
			in: stepInput{step: Steps[22], seq: 2, date: mustDate(t, "2026-09-09"), votes: Votes{10, 8, 8}, outcome: OutcomeOnTime}, violates: RuleProbation, earliest: "2026-09-10"},
		{name: "second meeting when the extension ends", steps: stepsBefore(t, StepFullApproved, map[string]string{StepAdmissionVote: "2025-03-10", StepFullVote: "2026-03-20"}, extend(6)),
			in: stepInput{step: Steps[22], seq: 2, date: mustDate(t, "2026-09-10"), votes: Votes{10, 8, 8}, outcome: OutcomeOnTime}},
		{name: "a second extension", steps: stepsBefore(t, StepFullApproved, map[string]string{StepAdmissionVote: "2025-03-10", StepFullVote: "2026-03-20"}, extend(6)),
			in: stepInput{step: Steps[22], seq: 2, date: mustDate(t, "2026-09-10"), votes: Votes{10, 8, 8}, outcome: OutcomeExtend, extension: 6}, violates: RuleExtensionOnce},
		// Approval of full membership within 3 months of the meeting.
		{name: "full approval a day late", steps: stepsBefore(t, StepFullApproved, map[string]string{StepAdmissionVote: "2025-03-10", StepFullVote: "2026-03-20"}, nil),
			in: stepInput{step: Steps[23], date: mustDate(t, "2026-06-21")}, warns: RuleApprovalWithin, deadline: "2026-06-20"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := engineAt(c.rules, cal, path)
			p := e.progress(c.steps)
			n := p.Next
			if n == nil || n.Step.Code != c.in.step.Code || (c.in.seq > 0 && n.Seq != c.in.seq) {
				t.Fatalf("next = %+v, want %s", n, c.in.step.Code)
			}
			if c.in.seq == 0 {
				c.in.seq = n.Seq
			}
			v, w, err := e.check(n, c.in)
			if err != nil {
				t.Fatal(err)
			}
			if c.violates == "" && len(v) > 0 {
				t.Errorf("refused: %v", v)
			}
			if c.violates != "" && !hasRule(v, c.violates) {
				t.Errorf("violations %v, want %s", v, c.violates)
			}
			if c.warns == "" && len(w) > 0 {
				t.Errorf("warnings %v", w)
			}
			if c.warns != "" && !hasRule(w, c.warns) {
				t.Errorf("warnings %v, want %s", w, c.warns)
			}
			if c.earliest != "" && n.Earliest.String() != c.earliest {
				t.Errorf("earliest %s, want %s", n.Earliest, c.earliest)
			}
			if c.deadline != "" && n.Deadline.String() != c.deadline {
				t.Errorf("deadline %s, want %s", n.Deadline, c.deadline)
			}
			for _, r := range append(v, w...) {
				if r.Message == "" || strings.Contains(r.Message, "%!") {
					t.Errorf("rule %s has no proper words: %q", r.Rule, r.Message)
				}
			}
		})
	}
}

// TestProgressStates covers the ends of development and the probation's end with an extension.
func TestProgressStates(t *testing.T) {
	e := engineAt(nil, holidayWeek(t), "/1/")
	if p := e.progress(nil); p.Status != DevNone || p.Next.Step.Code != StepApplication {
		t.Errorf("nothing recorded: %+v", p)
	}
	all := stepsBefore(t, "", map[string]string{StepAdmissionVote: "2025-03-10"}, nil)
	if len(all) != 25 {
		t.Fatalf("steps = %d", len(all))
	}
	if p := e.progress(all); p.Status != DevCompleted || p.Next != nil || p.ProbationEnds.String() != "2026-03-10" {
		t.Errorf("all 25: %+v", p)
	}
	cancelled := stepsBefore(t, StepFullApproved, nil, func(s *DevStep) {
		if s.Code == StepFullVote {
			s.Outcome = OutcomeCancel
		}
	})
	if p := e.progress(cancelled); p.Status != DevCancelled || p.Next != nil {
		t.Errorf("cancelled: %+v", p)
	}
	ext := stepsBefore(t, StepFullApproved, map[string]string{StepAdmissionVote: "2025-03-10"}, func(s *DevStep) {
		if s.Code == StepFullVote {
			s.Outcome, s.ExtensionMonths = OutcomeExtend, 8
		}
	})
	if p := e.progress(ext); p.ProbationEnds.String() != "2026-11-10" || p.Next.Step.Code != StepFullVote || p.Next.Seq != 2 {
		t.Errorf("extended: %+v", p)
	}
	// A step an admin recorded without the one its rule counts from: no date comes of it.
	skipped := []*DevStep{{Code: StepCommitteeTalk, Seq: 1, Date: mustDate(t, "2026-05-01")}}
	if p := e.progress(skipped); p.Next.Step.Code != StepAdmissionApproved || !p.Next.Deadline.IsZero() || p.Next.Earliest.String() != "2026-05-01" {
		t.Errorf("after a skipped vote: %+v", p.Next)
	}
	// After the second meeting decides on time, approval follows.
	ext = append(ext, &DevStep{Code: StepFullVote, Seq: 2, Date: mustDate(t, "2026-11-12"), Outcome: OutcomeOnTime})
	if p := e.progress(ext); p.Next.Step.Code != StepFullApproved || p.Next.Deadline.String() != "2027-02-12" {
		t.Errorf("after the second meeting: %+v", p.Next)
	}
}

// TestRuleSettings: the strictest value along the path wins, in each rule's direction, and the
// national value stands where nothing is set.
func TestRuleSettings(t *testing.T) {
	rs := DevRuleSet{
		{OrgPath: "/1/", Key: RuleObjectAfter, Value: 18},
		{OrgPath: "/1/2/", Key: RuleObjectAfter, Value: 15}, // looser than above: the 18 stands
		{OrgPath: "/1/", Key: RuleApprovalWithin, Value: 2},
		{OrgPath: "/1/2/", Key: RuleApprovalWithin, Value: 1},
	}
	for _, c := range []struct {
		path, key string
		want      int
	}{
		{"/1/2/3/", RuleObjectAfter, 18},
		{"/4/", RuleObjectAfter, 12},
		{"/1/", RuleApprovalWithin, 2},
		{"/1/2/", RuleApprovalWithin, 1},
		{"/1/2/", RuleNoticeObject, 5},
	} {
		if got := rs.Effective(c.path, c.key); got != c.want {
			t.Errorf("%s at %s = %d, want %d", c.key, c.path, got, c.want)
		}
	}
	if got := rs.inherited("/1/2/", RuleApprovalWithin); got != 2 {
		t.Errorf("inherited = %d", got)
	}
}
