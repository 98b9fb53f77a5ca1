package biz

import (
	"fmt"
	"strings"
)

// Step codes of member development (《中国共产党发展党员工作细则》), in order.
const (
	StepApplication          = "application"           // 1 递交入党申请书
	StepTalk                 = "talk"                  // 2 派人谈话
	StepActivistConfirmed    = "activist_confirmed"    // 3 推荐和确定入党积极分子
	StepActivistFiled        = "activist_filed"        // 4 报上级党委备案
	StepContactsAssigned     = "contacts_assigned"     // 5 指定培养联系人
	StepActivistTraining     = "activist_training"     // 6 培养教育考察
	StepObjectConfirmed      = "object_confirmed"      // 7 确定发展对象
	StepObjectFiled          = "object_filed"          // 8 报上级党委备案
	StepIntroducersAssigned  = "introducers_assigned"  // 9 确定入党介绍人
	StepPoliticalReview      = "political_review"      // 10 政治审查
	StepConcentratedTraining = "concentrated_training" // 11 集中培训
	StepBranchReview         = "branch_review"         // 12 支部委员会审查
	StepPreReview            = "pre_review"            // 13 上级党委预审
	StepApplicationForm      = "application_form"      // 14 填写入党志愿书
	StepAdmissionVote        = "admission_vote"        // 15 支部大会讨论接收
	StepCommitteeTalk        = "committee_talk"        // 16 上级党委派人谈话
	StepAdmissionApproved    = "admission_approved"    // 17 上级党委审批
	StepAdmissionFiled       = "admission_filed"       // 18 报上级组织部门备案
	StepGroupAssigned        = "group_assigned"        // 19 编入党支部和党小组
	StepOath                 = "oath"                  // 20 入党宣誓
	StepProbationEducation   = "probation_education"   // 21 预备期教育考察
	StepFullApplication      = "full_application"      // 22 提出转正申请
	StepFullVote             = "full_vote"             // 23 支部大会讨论转正
	StepFullApproved         = "full_approved"         // 24 上级党委审批
	StepPapersFiled          = "papers_filed"          // 25 材料归档
)

// Outcomes of the branch meeting on full membership.
const (
	OutcomeOnTime = "on_time" // 按期转正
	OutcomeExtend = "extend"  // 延长预备期
	OutcomeCancel = "cancel"  // 取消预备党员资格
)

// People roles a step names.
const (
	PeopleContact    = "contact"    // 培养联系人
	PeopleIntroducer = "introducer" // 入党介绍人
)

// StepDef is one of the 25 steps: what it is and what recording it needs.
type StepDef struct {
	No        int
	Code      string
	Name      string
	Stage     string // applicant, activist, candidate, admission, probation
	StageName string
	// PeopleRole is set when the step names people (full members), MinPeople..MaxPeople of them.
	PeopleRole           string
	MinPeople, MaxPeople int
	Votes                bool // a branch general meeting's vote
	Training             bool // class hours or days of training
	Conclusion           bool // a written conclusion
	Outcome              bool // on time / extend / cancel
	// HigherOrg: the higher Party committee takes the step; the responsible org is a committee
	// above the member's org, and only its staff may record it.
	HigherOrg bool
	// Becomes is the stage the member reaches with the step ("" none).
	Becomes Stage
}

var devStageNames = map[string]string{
	"applicant": "申请入党", "activist": "入党积极分子的确定和培养教育", "candidate": "发展对象的确定和考察",
	"admission": "预备党员的接收", "probation": "预备党员的教育考察和转正",
}

// Steps is the catalogue of the 25 steps, in order.
var Steps = func() []StepDef {
	s := []StepDef{
		{Code: StepApplication, Name: "递交入党申请书", Stage: "applicant", Becomes: StageApplicant},
		{Code: StepTalk, Name: "党组织派人谈话", Stage: "applicant"},
		{Code: StepActivistConfirmed, Name: "推荐和确定入党积极分子", Stage: "activist", Becomes: StageActivist},
		{Code: StepActivistFiled, Name: "报上级党委备案（积极分子）", Stage: "activist"},
		{Code: StepContactsAssigned, Name: "指定培养联系人", Stage: "activist", PeopleRole: PeopleContact, MinPeople: 1, MaxPeople: 2},
		{Code: StepActivistTraining, Name: "培养教育和考察", Stage: "activist"},
		{Code: StepObjectConfirmed, Name: "确定发展对象", Stage: "candidate", Becomes: StageCandidate},
		{Code: StepObjectFiled, Name: "报上级党委备案（发展对象）", Stage: "candidate"},
		{Code: StepIntroducersAssigned, Name: "确定入党介绍人", Stage: "candidate", PeopleRole: PeopleIntroducer, MinPeople: 2, MaxPeople: 2},
		{Code: StepPoliticalReview, Name: "进行政治审查", Stage: "candidate", Conclusion: true},
		{Code: StepConcentratedTraining, Name: "开展集中培训", Stage: "candidate", Training: true},
		{Code: StepBranchReview, Name: "支部委员会审查", Stage: "admission"},
		{Code: StepPreReview, Name: "上级党委预审", Stage: "admission", HigherOrg: true},
		{Code: StepApplicationForm, Name: "填写入党志愿书", Stage: "admission"},
		{Code: StepAdmissionVote, Name: "支部大会讨论接收", Stage: "admission", Votes: true},
		{Code: StepCommitteeTalk, Name: "上级党委派人谈话", Stage: "admission", HigherOrg: true},
		{Code: StepAdmissionApproved, Name: "上级党委审批", Stage: "admission", HigherOrg: true, Becomes: StageProbationary},
		{Code: StepAdmissionFiled, Name: "报上级组织部门备案", Stage: "admission"},
		{Code: StepGroupAssigned, Name: "编入党支部和党小组", Stage: "probation"},
		{Code: StepOath, Name: "入党宣誓", Stage: "probation"},
		{Code: StepProbationEducation, Name: "预备期教育考察", Stage: "probation"},
		{Code: StepFullApplication, Name: "提出转正申请", Stage: "probation"},
		{Code: StepFullVote, Name: "支部大会讨论转正", Stage: "probation", Votes: true, Outcome: true},
		{Code: StepFullApproved, Name: "上级党委审批转正", Stage: "probation", HigherOrg: true, Becomes: StageFullMember},
		{Code: StepPapersFiled, Name: "材料归档", Stage: "probation"},
	}
	for i := range s {
		s[i].No = i + 1
		s[i].StageName = devStageNames[s[i].Stage]
	}
	return s
}()

var stepIndex = func() map[string]int {
	m := map[string]int{}
	for i, s := range Steps {
		m[s.Code] = i
	}
	return m
}()

// StepByCode returns the step with code.
func StepByCode(code string) (StepDef, bool) {
	i, ok := stepIndex[code]
	if !ok {
		return StepDef{}, false
	}
	return Steps[i], true
}

// Rule keys of member development. Each is a number an org subtree may tighten within bounds.
const (
	RuleMinAge           = "application.min_age"           // years at application
	RuleTalkWithin       = "talk.within_months"            // talk after the application
	RuleActivistAfter    = "activist.after_months"         // application → activist
	RuleObjectAfter      = "object.after_months"           // activist → development object
	RuleTrainingHours    = "training.min_hours"            // concentrated training
	RuleNoticeObject     = "notice.object_workdays"        // 公示 of a development object
	RuleNoticeFull       = "notice.full_workdays"          // 公示 before full membership
	RuleApprovalWithin   = "approval.within_months"        // committee approval after a vote
	RuleProbation        = "probation.months"              // probation from the admission vote
	RuleExtensionMin     = "extension.min_months"          // an extended probation, at least
	RuleExtensionMax     = "extension.max_months"          // and at most
	RuleVoteMajority     = "vote.majority_percent"         // in favour, of those entitled
	RuleOrder            = "order"                         // steps in their order
	RuleNotFuture        = "date.not_future"               // no date after today
	RuleProbationWithin  = "probation_education.within"    // education during the probation
	RuleFullApplyBy      = "full_application.by"           // apply by the end of probation
	RuleExtensionOnce    = "extension.once"                // one extension only
	RuleVoteQuorum       = "vote.quorum"                   // more than half present
	RuleMinAgeBirthKnown = "application.birth_date_needed" // age needs the birth date
)

// Stricter directions of a rule.
const (
	StricterHigher = "higher"
	StricterLower  = "lower"
	StricterFixed  = "fixed"
)

// DevRule is a timing rule as data: its national value, which way is stricter and the bounds of
// values an org may set.
type DevRule struct {
	Key      string
	Name     string // what it says, in Chinese, with %d for the value
	Unit     string
	National int
	Stricter string
	Min, Max int
}

// DevRules is the national rule set (《中国共产党发展党员工作细则》), in display order.
var DevRules = []DevRule{
	{RuleMinAge, "年满 %d 岁方可申请入党", "岁", 18, StricterHigher, 18, 40},
	{RuleTalkWithin, "收到入党申请书后 %d 个月内派人谈话", "个月", 1, StricterLower, 1, 1},
	{RuleActivistAfter, "递交申请 %d 个月后方可确定为入党积极分子", "个月", 0, StricterHigher, 0, 36},
	{RuleObjectAfter, "经过 %d 个月以上培养教育考察方可列为发展对象", "个月", 12, StricterHigher, 12, 60},
	{RuleTrainingHours, "集中培训不少于 %d 学时（或按每天 8 学时折算的天数）", "学时", 24, StricterHigher, 24, 200},
	{RuleNoticeObject, "发展对象公示 %d 个工作日后方可报上级党委预审", "个工作日", 5, StricterHigher, 5, 30},
	{RuleNoticeFull, "转正公示 %d 个工作日后方可召开支部大会讨论转正", "个工作日", 5, StricterHigher, 5, 30},
	{RuleApprovalWithin, "支部大会通过后，上级党委须在 %d 个月内审批", "个月", 3, StricterLower, 1, 3},
	{RuleProbation, "预备期为 %d 个月，自支部大会通过之日算起", "个月", 12, StricterFixed, 12, 12},
	{RuleExtensionMin, "延长预备期不少于 %d 个月", "个月", 6, StricterFixed, 6, 6},
	{RuleExtensionMax, "延长预备期最长不超过 %d 个月", "个月", 12, StricterFixed, 12, 12},
	{RuleVoteMajority, "赞成人数须超过应到会有表决权正式党员的 %d%%", "%", 50, StricterHigher, 50, 90},
}

var devRuleIndex = func() map[string]int {
	m := map[string]int{}
	for i, r := range DevRules {
		m[r.Key] = i
	}
	return m
}()

// DevRuleByKey returns the rule with key.
func DevRuleByKey(key string) (DevRule, bool) {
	i, ok := devRuleIndex[key]
	if !ok {
		return DevRule{}, false
	}
	return DevRules[i], true
}

// stricter reports whether a is stricter than b under r.
func (r DevRule) stricter(a, b int) bool {
	switch r.Stricter {
	case StricterHigher:
		return a > b
	case StricterLower:
		return a < b
	}
	return false
}

// Text is the rule in words with value v.
func (r DevRule) Text(v int) string { return fmt.Sprintf(r.Name, v) }

// DevRuleSetting is a value an org set for its subtree.
type DevRuleSetting struct {
	OrgID   int64
	OrgPath string
	Key     string
	Value   int
	SetBy   int64
}

// DevRuleSet answers the value in force at a path: the national value tightened by the settings
// of the path's ancestors (and the org itself); the strictest wins.
type DevRuleSet []DevRuleSetting

// Effective is the value of key in force at path.
func (rs DevRuleSet) Effective(path, key string) int {
	r, _ := DevRuleByKey(key)
	v := r.National
	for _, s := range rs {
		if s.Key == key && strings.HasPrefix(path, s.OrgPath) && r.stricter(s.Value, v) {
			v = s.Value
		}
	}
	return v
}

// inherited is the value in force at path from above it.
func (rs DevRuleSet) inherited(path, key string) int {
	r, _ := DevRuleByKey(key)
	v := r.National
	for _, s := range rs {
		if s.Key == key && s.OrgPath != path && strings.HasPrefix(path, s.OrgPath) && r.stricter(s.Value, v) {
			v = s.Value
		}
	}
	return v
}
