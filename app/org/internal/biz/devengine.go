package biz

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Votes are the counts of a branch general meeting's vote.
type Votes struct {
	Entitled int // full members entitled to vote (应到会有表决权的正式党员)
	Present  int // of them, present
	InFavour int
}

// RuleCheck names a rule and what it says in this case.
type RuleCheck struct {
	Rule    string `json:"rule"`
	Message string `json:"message"`
}

// DevStep is a recorded development step.
type DevStep struct {
	ID              int64
	MemberID        int64
	Code            string
	Seq             int // 2 for the second meeting on full membership after an extension
	Date            Date
	OrgID           int64 // responsible org
	OrgPath         string
	People          []int64
	TrainingHours   float64
	TrainingDays    int
	Votes           Votes
	Outcome         string
	ExtensionMonths int
	Conclusion      string
	Note            string
	// Warnings are rules the step broke that do not refuse it (recorded after a deadline);
	// Overridden the ones an admin overrode to record it, with OverrideReason.
	Warnings       []RuleCheck
	Overridden     []RuleCheck
	OverrideReason string
	RecordedBy     int64
	RecordedAt     time.Time
}

// No is the step's number (1–25).
func (s *DevStep) No() int { return stepIndex[s.Code] + 1 }

// Development statuses.
const (
	DevNone      = "none"
	DevActive    = "active"
	DevCompleted = "completed"
	DevCancelled = "cancelled"
)

// NextStep is what a member's development waits for: the step, the earliest date it may be
// recorded with, its deadline (zero: none), and the rules that set them.
type NextStep struct {
	Step     StepDef
	Seq      int
	Earliest Date
	Deadline Date
	// EarliestRule and DeadlineRule name the rules that set the dates ("" when only the order
	// does).
	EarliestRule, DeadlineRule string
	Rules                      []RuleCheck
}

// Progress is where a member's development stands.
type Progress struct {
	Status        string
	Next          *NextStep // nil when completed or cancelled
	ProbationEnds Date      // zero before the admission vote
}

// devEngine evaluates a member's steps against the rules in force at the member's org.
type devEngine struct {
	rule func(key string) int
	cal  *Calendar
}

func (e devEngine) text(key string) string {
	r, _ := DevRuleByKey(key)
	return r.Text(e.rule(key))
}

// history indexes recorded steps by code (the latest record of each).
type history map[string]*DevStep

func (h history) date(code string) Date {
	if s := h[code]; s != nil {
		return s.Date
	}
	return Date{}
}

// monthsAfter is n months after the step's date, or no date when the step is not recorded.
func (h history) monthsAfter(code string, n int) Date {
	d := h.date(code)
	if d.IsZero() {
		return d
	}
	return d.AddMonths(n)
}

func sortSteps(steps []*DevStep) {
	slices.SortFunc(steps, func(a, b *DevStep) int {
		if d := a.No() - b.No(); d != 0 {
			return d
		}
		return a.Seq - b.Seq
	})
}

// probationEnds is the end of the probation: a year (the rule's months) from the admission vote,
// plus an extension decided by the meeting on full membership.
func (e devEngine) probationEnds(h history) Date {
	vote := h.date(StepAdmissionVote)
	if vote.IsZero() {
		return Date{}
	}
	end := vote.AddMonths(e.rule(RuleProbation))
	for _, s := range h {
		if s.Code == StepFullVote && s.Outcome == OutcomeExtend {
			end = end.AddMonths(s.ExtensionMonths)
		}
	}
	return end
}

// progress computes the member's next step from the recorded steps (in any order).
func (e devEngine) progress(steps []*DevStep) Progress {
	steps = slices.Clone(steps)
	sortSteps(steps)
	h := historyOf(steps)
	if len(steps) == 0 {
		return Progress{Status: DevNone, Next: &NextStep{Step: Steps[0], Seq: 1,
			Rules: []RuleCheck{{RuleMinAge, e.text(RuleMinAge)}}}}
	}
	last := steps[len(steps)-1]
	p := Progress{Status: DevActive, ProbationEnds: e.probationEnds(h)}
	switch {
	case last.Code == StepPapersFiled:
		p.Status = DevCompleted
		return p
	case last.Code == StepFullVote && last.Outcome == OutcomeCancel:
		p.Status = DevCancelled
		return p
	}
	n := &NextStep{Seq: 1, Earliest: last.Date}
	if last.Code == StepFullVote && last.Outcome == OutcomeExtend {
		n.Step, n.Seq = Steps[stepIndex[StepFullVote]], last.Seq+1
	} else {
		n.Step = Steps[last.No()]
	}
	e.window(n, h, p.ProbationEnds)
	p.Next = n
	return p
}

// later moves the earliest date to d when d is later, naming the rule.
func (n *NextStep) later(d Date, rule, text string) {
	if d.IsZero() { // from a step not recorded (an admin skipped it)
		return
	}
	n.Rules = append(n.Rules, RuleCheck{rule, text})
	if d.After(n.Earliest) {
		n.Earliest, n.EarliestRule = d, rule
	}
}

func (n *NextStep) due(d Date, rule, text string) {
	if d.IsZero() {
		return
	}
	n.Rules = append(n.Rules, RuleCheck{rule, text})
	if n.Deadline.IsZero() || d.Before(n.Deadline) {
		n.Deadline, n.DeadlineRule = d, rule
	}
}

// window sets the next step's earliest date and deadline from the rules that bear on it.
func (e devEngine) window(n *NextStep, h history, probationEnds Date) {
	switch n.Step.Code {
	case StepTalk:
		n.due(h.monthsAfter(StepApplication, e.rule(RuleTalkWithin)), RuleTalkWithin, e.text(RuleTalkWithin))
	case StepActivistConfirmed:
		if m := e.rule(RuleActivistAfter); m > 0 {
			n.later(h.monthsAfter(StepApplication, m), RuleActivistAfter, e.text(RuleActivistAfter))
		}
	case StepObjectConfirmed:
		n.later(h.monthsAfter(StepActivistConfirmed, e.rule(RuleObjectAfter)), RuleObjectAfter, e.text(RuleObjectAfter))
	case StepConcentratedTraining:
		n.Rules = append(n.Rules, RuleCheck{RuleTrainingHours, e.text(RuleTrainingHours)})
	case StepPreReview:
		n.later(e.noticeEnds(h.date(StepBranchReview), e.rule(RuleNoticeObject)), RuleNoticeObject, e.text(RuleNoticeObject))
	case StepAdmissionVote:
		n.Rules = append(n.Rules, RuleCheck{RuleVoteMajority, e.text(RuleVoteMajority)})
	case StepAdmissionApproved:
		n.due(h.monthsAfter(StepAdmissionVote, e.rule(RuleApprovalWithin)), RuleApprovalWithin, e.text(RuleApprovalWithin))
	case StepProbationEducation:
		n.due(probationEnds, RuleProbationWithin, "预备期教育考察须在预备期内（"+probationEnds.String()+" 前）进行")
	case StepFullApplication:
		n.due(probationEnds, RuleFullApplyBy, "预备期满（"+probationEnds.String()+"）前提出转正申请")
	case StepFullVote:
		n.later(probationEnds, RuleProbation, e.text(RuleProbation)+"，预备期满于 "+probationEnds.String())
		if n.Seq == 1 {
			n.later(e.noticeEnds(h.date(StepFullApplication), e.rule(RuleNoticeFull)), RuleNoticeFull, e.text(RuleNoticeFull))
		}
		n.Rules = append(n.Rules, RuleCheck{RuleVoteMajority, e.text(RuleVoteMajority)})
	case StepFullApproved:
		n.due(h.monthsAfter(StepFullVote, e.rule(RuleApprovalWithin)), RuleApprovalWithin, e.text(RuleApprovalWithin))
	}
}

// noticeEnds is the first day after a public notice of n working days that starts the day after
// from: the day after its last working day.
func (e devEngine) noticeEnds(from Date, n int) Date {
	if from.IsZero() {
		return from
	}
	return e.cal.AddWorkdays(from, n).AddDays(1)
}

// RuleViolation is a step refused by a timing, order or count rule; an admin may override it.
type RuleViolation struct {
	Checks   []RuleCheck
	Earliest Date
	Deadline Date
}

func (e *RuleViolation) Error() string {
	msg := ""
	for i, c := range e.Checks {
		if i > 0 {
			msg += "；"
		}
		msg += c.Message
	}
	return msg
}

// Rule is the first rule broken.
func (e *RuleViolation) Rule() string {
	if len(e.Checks) == 0 {
		return ""
	}
	return e.Checks[0].Rule
}

// stepInput is a step as given, before checks.
type stepInput struct {
	step      StepDef
	seq       int
	date      Date
	birthDate Date
	training  [2]float64 // hours, days
	votes     Votes
	outcome   string
	extension int
}

// check returns the rules a next step (n) as given breaks (violations refuse it, warnings are
// kept with it) and the bad input that no override can fix.
func (e devEngine) check(n *NextStep, in stepInput) (violations, warnings []RuleCheck, err error) {
	if in.date.Before(n.Earliest) {
		rule, msg := n.EarliestRule, ""
		if rule == "" {
			rule, msg = RuleOrder, fmt.Sprintf("日期不能早于上一步骤（%s）", n.Earliest)
		} else {
			msg = fmt.Sprintf("%s：最早 %s", e.textOf(n, rule), n.Earliest)
		}
		violations = append(violations, RuleCheck{rule, msg})
	}
	if !n.Deadline.IsZero() && in.date.After(n.Deadline) {
		warnings = append(warnings, RuleCheck{n.DeadlineRule, fmt.Sprintf("%s：期限 %s，逾期 %d 天", e.textOf(n, n.DeadlineRule), n.Deadline, n.Deadline.DaysUntil(in.date))})
	}
	switch {
	case in.step.Code == StepApplication:
		min := e.rule(RuleMinAge)
		if in.birthDate.IsZero() {
			violations = append(violations, RuleCheck{RuleMinAgeBirthKnown, "未登记出生日期，无法核对是否年满 " + fmt.Sprint(min) + " 岁"})
		} else if age(in.birthDate, in.date) < min {
			violations = append(violations, RuleCheck{RuleMinAge, fmt.Sprintf("%s：申请时 %d 岁", e.text(RuleMinAge), age(in.birthDate, in.date))})
		}
	case in.step.Training:
		hours, days := in.training[0], in.training[1]
		if hours <= 0 && days <= 0 {
			return nil, nil, Invalid("training_hours", "请填写培训学时或天数")
		}
		min := e.rule(RuleTrainingHours)
		if hours < float64(min) && days < math.Ceil(float64(min)/8) {
			violations = append(violations, RuleCheck{RuleTrainingHours, fmt.Sprintf("%s：实际 %g 学时、%g 天", e.text(RuleTrainingHours), hours, days)})
		}
	}
	if in.step.Votes {
		v := in.votes
		switch {
		case v.Entitled <= 0:
			return nil, nil, Invalid("votes.entitled", "请填写应到会有表决权的正式党员人数")
		case v.Present > v.Entitled:
			return nil, nil, Invalid("votes.present", "实到人数不能多于应到人数")
		case v.InFavour > v.Present:
			return nil, nil, Invalid("votes.in_favour", "赞成人数不能多于实到人数")
		}
		if v.Present*2 <= v.Entitled {
			violations = append(violations, RuleCheck{RuleVoteQuorum, fmt.Sprintf("有表决权的到会人数须超过应到会人数的半数：应到 %d，实到 %d", v.Entitled, v.Present)})
		}
		pct := e.rule(RuleVoteMajority)
		if v.InFavour*100 <= v.Entitled*pct {
			violations = append(violations, RuleCheck{RuleVoteMajority, fmt.Sprintf("%s：应到 %d，赞成 %d", e.text(RuleVoteMajority), v.Entitled, v.InFavour)})
		}
	}
	if in.step.Outcome {
		switch in.outcome {
		case OutcomeOnTime, OutcomeCancel:
			if in.extension != 0 {
				return nil, nil, Invalid("extension_months", "只有延长预备期时填写延长月数")
			}
		case OutcomeExtend:
			lo, hi := e.rule(RuleExtensionMin), e.rule(RuleExtensionMax)
			if in.extension < lo || in.extension > hi {
				violations = append(violations, RuleCheck{RuleExtensionMin, fmt.Sprintf("延长预备期为 %d–%d 个月，填写的是 %d 个月", lo, hi, in.extension)})
			}
			if in.seq > 1 {
				violations = append(violations, RuleCheck{RuleExtensionOnce, "预备期只能延长一次，延长期满须作出按期转正或取消资格的决定"})
			}
		default:
			return nil, nil, Invalid("outcome", "请选择讨论结果：按期转正、延长预备期或取消预备党员资格")
		}
	}
	return violations, warnings, nil
}

// textOf finds the words of rule among the next step's rules.
func (e devEngine) textOf(n *NextStep, rule string) string {
	for _, r := range n.Rules {
		if r.Rule == rule {
			return r.Message
		}
	}
	return rule
}

// age is the whole years from birth to on.
func age(birth, on Date) int {
	a := on.Year - birth.Year
	if on.Month < birth.Month || (on.Month == birth.Month && on.Day < birth.Day) {
		a--
	}
	return a
}
