package standalone

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	orgv1 "github.com/vanguard/vanguard/api/org/v1"
	studyhourv1 "github.com/vanguard/vanguard/api/studyhour/v1"
)

// devWorld is a committee (the root) with two branches, staff at each level, and full members
// who can be contacts and introducers.
type devWorld struct {
	l                         *live
	admin                     string
	root, orgA, orgB          string
	staffRoot, staffA, staffB string
	full1, full2, prob        string // ids: two full members and a probationary member of branch A
	mk                        func(org, name, birth, stage string, roles ...string) (token, id string)
}

func newDevWorld(t *testing.T, l *live) *devWorld {
	w := &devWorld{l: l}
	w.admin = l.login("admin", "Admin-pass-2026")
	w.root = l.must(l.call("GET", "/v1/me", w.admin, nil), 200).s("orgId")
	w.orgA = l.must(l.call("POST", "/v1/orgs", w.admin, map[string]any{"parentId": w.root, "name": "第一支部", "code": "A", "type": "BRANCH"}), 200).s("id")
	w.orgB = l.must(l.call("POST", "/v1/orgs", w.admin, map[string]any{"parentId": w.root, "name": "第二支部", "code": "B", "type": "BRANCH"}), 200).s("id")
	w.mk = func(org, name, birth, stage string, roles ...string) (string, string) {
		if len(roles) == 0 {
			roles = []string{"MEMBER"}
		}
		profile := map[string]any{"birthDate": birth}
		if stage != "" {
			profile["stage"] = stage
		}
		id := l.must(l.call("POST", "/v1/accounts", w.admin, map[string]any{"username": name, "displayName": name, "password": "Passw0rd-" + name,
			"roles": roles, "orgId": org, "profile": profile}), 200).s("id")
		return l.login(name, "Passw0rd-"+name), id
	}
	w.staffRoot, _ = w.mk(w.root, "dcommittee", "1980-01-01", "FULL_MEMBER", "STAFF")
	w.staffA, _ = w.mk(w.orgA, "dstaffa", "1985-01-01", "FULL_MEMBER", "STAFF")
	w.staffB, _ = w.mk(w.orgB, "dstaffb", "1985-01-01", "FULL_MEMBER", "STAFF")
	_, w.full1 = w.mk(w.orgA, "dfull1", "1970-01-01", "FULL_MEMBER", "MEMBER")
	_, w.full2 = w.mk(w.orgA, "dfull2", "1971-01-01", "FULL_MEMBER", "MEMBER")
	_, w.prob = w.mk(w.orgA, "dprob", "1990-01-01", "PROBATIONARY", "MEMBER")
	return w
}

// devStep is one step of a journey: who records it, with what.
type devStep struct {
	step, date string
	by         string // "branch" (default), "committee"
	extra      map[string]any
}

// record records a step for the member and returns the reply.
func (w *devWorld) record(token, member string, s devStep) reply {
	body := map[string]any{"step": s.step, "date": s.date}
	for k, v := range s.extra {
		body[k] = v
	}
	return w.l.call("POST", "/v1/members/"+member+"/development/steps", token, body)
}

func (w *devWorld) tokenFor(s devStep) string {
	if s.by == "committee" {
		return w.staffRoot
	}
	return w.staffA
}

// journey is a development with correct dates: application at 21 on 1 March 2022, full
// membership approved in October 2024 (the probation ends on 1 September 2024, a Sunday).
func (w *devWorld) journey() []devStep {
	return []devStep{
		{step: "application", date: "2022-03-01"},
		{step: "talk", date: "2022-03-20"},
		{step: "activist_confirmed", date: "2022-06-01"},
		{step: "activist_filed", date: "2022-06-10"},
		{step: "contacts_assigned", date: "2022-06-15", extra: map[string]any{"people": []string{w.full1}}},
		{step: "activist_training", date: "2023-05-20", extra: map[string]any{"note": "季度考察良好"}},
		{step: "object_confirmed", date: "2023-06-01"},
		{step: "object_filed", date: "2023-06-05"},
		{step: "introducers_assigned", date: "2023-06-10", extra: map[string]any{"people": []string{w.full1, w.full2}}},
		{step: "political_review", date: "2023-07-01", extra: map[string]any{"conclusion": "政治历史清楚，政治审查合格"}},
		{step: "concentrated_training", date: "2023-07-10", extra: map[string]any{"trainingHours": 24, "trainingDays": 3}},
		{step: "branch_review", date: "2023-08-01"},
		{step: "pre_review", date: "2023-08-09", by: "committee"},
		{step: "application_form", date: "2023-08-15"},
		{step: "admission_vote", date: "2023-09-01", extra: map[string]any{"votes": map[string]any{"entitled": 9, "present": 8, "inFavour": 8}}},
		{step: "committee_talk", date: "2023-09-10", by: "committee"},
		{step: "admission_approved", date: "2023-10-10", by: "committee"},
		{step: "admission_filed", date: "2023-10-20"},
		{step: "group_assigned", date: "2023-10-25"},
		{step: "oath", date: "2023-11-01"},
		{step: "probation_education", date: "2024-06-30"},
		{step: "full_application", date: "2024-08-20"},
		{step: "full_vote", date: "2024-09-02", extra: map[string]any{"votes": map[string]any{"entitled": 9, "present": 7, "inFavour": 7}, "outcome": "on_time"}},
		{step: "full_approved", date: "2024-10-15", by: "committee"},
		{step: "papers_filed", date: "2024-11-01"},
	}
}

// refusal is a wrong version of a journey step, tried just before the right one.
type refusal struct {
	s      devStep
	by     string // token: "", "branch", "committee", "other", "member"
	status int
	reason string
	field  string // metadata field or rule expected
}

// TestDevelopmentJourney records a full 25-step development through HTTP with correct dates,
// and before each guarded step the wrong versions, each refused naming its rule or field.
func TestDevelopmentJourney(t *testing.T) {
	l := startLive(t)
	w := newDevWorld(t, l)
	memberTok, m := w.mk(w.orgA, "dmember", "2000-05-01", "")

	steps := l.must(l.call("GET", "/v1/development/steps", memberTok, nil), 200)
	if steps.s("steps", "24", "code") != "papers_filed" || steps.s("steps", "8", "peopleRole") != "introducer" {
		t.Fatalf("catalogue: %s", steps.raw)
	}
	rec := l.must(l.call("GET", "/v1/members/"+m+"/development", w.staffA, nil), 200)
	if rec.s("status") != "none" || rec.s("next", "code") != "application" {
		t.Fatalf("before anything: %s", rec.raw)
	}

	refusals := map[string][]refusal{
		"application": {
			{s: devStep{step: "application", date: "2099-01-01"}, status: 400, reason: "INVALID_ARGUMENT", field: "date"},
			{s: devStep{step: "talk", date: "2022-03-01"}, status: 409, reason: "DEVELOPMENT_RULE", field: "order"},
			{s: devStep{step: "application", date: "2022-03-01"}, by: "other", status: 404, reason: "ACCOUNT_NOT_FOUND"},
			{s: devStep{step: "application", date: "2022-03-01"}, by: "member", status: 403, reason: "PERMISSION_DENIED"},
		},
		"talk": {{s: devStep{step: "talk", date: "2022-02-28"}, status: 409, reason: "DEVELOPMENT_RULE", field: "order"}},
		"contacts_assigned": {
			{s: devStep{step: "contacts_assigned", date: "2022-06-15", extra: map[string]any{"people": []string{w.prob}}}, status: 400, reason: "INVALID_ARGUMENT", field: "people[0]"},
			{s: devStep{step: "contacts_assigned", date: "2022-06-15", extra: map[string]any{"people": []string{m}}}, status: 400, reason: "INVALID_ARGUMENT", field: "people[0]"},
			{s: devStep{step: "contacts_assigned", date: "2022-06-15"}, status: 400, reason: "INVALID_ARGUMENT", field: "people"},
		},
		"object_confirmed": {{s: devStep{step: "object_confirmed", date: "2023-05-31"}, status: 409, reason: "DEVELOPMENT_RULE", field: "object.after_months"}},
		"introducers_assigned": {
			{s: devStep{step: "introducers_assigned", date: "2023-06-10", extra: map[string]any{"people": []string{w.full1}}}, status: 400, reason: "INVALID_ARGUMENT", field: "people"},
		},
		"political_review": {{s: devStep{step: "political_review", date: "2023-07-01"}, status: 400, reason: "INVALID_ARGUMENT", field: "conclusion"}},
		"concentrated_training": {
			{s: devStep{step: "concentrated_training", date: "2023-07-10", extra: map[string]any{"trainingHours": 20, "trainingDays": 2}}, status: 409, reason: "DEVELOPMENT_RULE", field: "training.min_hours"},
		},
		// 公示 from 2 August: 2, 3, 4, 7, 8 August; the pre-review from the 9th, by the committee.
		"pre_review": {
			{s: devStep{step: "pre_review", date: "2023-08-08"}, by: "committee", status: 409, reason: "DEVELOPMENT_RULE", field: "notice.object_workdays"},
			{s: devStep{step: "pre_review", date: "2023-08-09"}, by: "branch", status: 403, reason: "PERMISSION_DENIED"},
			{s: devStep{step: "pre_review", date: "2023-08-09", extra: map[string]any{"orgId": w.orgA}}, by: "committee", status: 400, reason: "INVALID_ARGUMENT", field: "org_id"},
		},
		"admission_vote": {
			{s: devStep{step: "admission_vote", date: "2023-09-01", extra: map[string]any{"votes": map[string]any{"entitled": 9, "present": 4, "inFavour": 4}}}, status: 409, reason: "DEVELOPMENT_RULE", field: "vote.quorum"},
			{s: devStep{step: "admission_vote", date: "2023-09-01", extra: map[string]any{"votes": map[string]any{"entitled": 9, "present": 8, "inFavour": 4}}}, status: 409, reason: "DEVELOPMENT_RULE", field: "vote.majority_percent"},
		},
		"full_vote": {
			{s: devStep{step: "full_vote", date: "2024-08-30", extra: map[string]any{"votes": map[string]any{"entitled": 9, "present": 7, "inFavour": 7}, "outcome": "on_time"}}, status: 409, reason: "DEVELOPMENT_RULE", field: "probation.months"},
			{s: devStep{step: "full_vote", date: "2024-09-02", extra: map[string]any{"votes": map[string]any{"entitled": 9, "present": 7, "inFavour": 7}, "outcome": "extend", "extensionMonths": 3}}, status: 409, reason: "DEVELOPMENT_RULE", field: "extension.min_months"},
		},
	}
	tokens := map[string]string{"": w.staffA, "branch": w.staffA, "committee": w.staffRoot, "other": w.staffB, "member": memberTok}
	for i, s := range w.journey() {
		for _, bad := range refusals[s.step] {
			r := l.must(w.record(tokens[bad.by], m, bad.s), bad.status, bad.reason)
			if bad.field != "" && r.s("metadata", "field") != bad.field && r.s("metadata", "rule") != bad.field {
				t.Errorf("step %d %s: refusal names %s/%s, want %s: %s", i+1, s.step, r.s("metadata", "field"), r.s("metadata", "rule"), bad.field, r.raw)
			}
			if bad.reason == "DEVELOPMENT_RULE" && r.s("message") == "" {
				t.Errorf("step %d: a rule refusal without words: %s", i+1, r.raw)
			}
		}
		r := l.must(w.record(w.tokenFor(s), m, s), 200)
		if got := len(r.json["steps"].([]any)); got != i+1 {
			t.Fatalf("after step %d: %d steps", i+1, got)
		}
		if i+1 < 25 && r.s("next", "code") != w.journey()[i+1].step {
			t.Fatalf("after %s next is %s", s.step, r.s("next", "code"))
		}
		switch s.step {
		case "talk":
			if len(r.json["steps"].([]any)[1].(map[string]any)["warnings"].([]any)) != 0 {
				t.Errorf("talk within the month warned: %s", r.raw)
			}
		case "activist_confirmed":
			if r.s("stage") != "activist" {
				t.Errorf("stage %s after step 3", r.s("stage"))
			}
		case "activist_training":
			if r.s("next", "earliest") != "2023-06-01" {
				t.Errorf("development object earliest %s, want a year after 2022-06-01", r.s("next", "earliest"))
			}
		case "branch_review":
			if r.s("next", "earliest") != "2023-08-09" {
				t.Errorf("pre-review earliest %s", r.s("next", "earliest"))
			}
		case "admission_vote":
			if r.s("next", "code") != "committee_talk" || r.s("probationEnds") != "2024-09-01" {
				t.Errorf("after the vote: %s", r.raw)
			}
		case "committee_talk":
			if r.s("next", "deadline") != "2023-12-01" {
				t.Errorf("approval deadline %s, want three months after the vote", r.s("next", "deadline"))
			}
		case "admission_approved":
			acc := l.must(l.call("GET", "/v1/accounts/"+m, w.staffA, nil), 200)
			if acc.s("profile", "stage") != "PROBATIONARY" || acc.s("profile", "joinedDate") != "2023-09-01" || acc.s("profile", "applicationDate") != "2022-03-01" {
				t.Errorf("profile after admission: %s", acc.raw)
			}
			if r.s("steps", "16", "orgId") != w.root {
				t.Errorf("approval by org %s, want the committee", r.s("steps", "16", "orgId"))
			}
		case "full_application":
			if r.s("next", "earliest") != "2024-09-01" {
				t.Errorf("full vote earliest %s", r.s("next", "earliest"))
			}
		case "papers_filed":
			if r.s("status") != "completed" || r.s("stage") != "full_member" || r.s("next", "code") != "" {
				t.Errorf("at the end: %s", r.raw)
			}
		}
	}
	acc := l.must(l.call("GET", "/v1/accounts/"+m, w.staffA, nil), 200)
	if acc.s("profile", "fullMemberDate") != "2024-09-01" {
		t.Errorf("full member from %s, want the end of the probation", acc.s("profile", "fullMemberDate"))
	}
	// A retry of the last step changes nothing; other content for a recorded step is refused.
	last := w.journey()[24]
	if r := l.must(w.record(w.staffA, m, last), 200); len(r.json["steps"].([]any)) != 25 {
		t.Errorf("a retry added a step")
	}
	l.must(w.record(w.staffA, m, devStep{step: "oath", date: "2023-11-02"}), 409, "STEP_RECORDED")
	// The member reads their own development; people and orgs are named.
	mine := l.must(l.call("GET", "/v1/my/development", memberTok, nil), 200)
	if mine.s("steps", "8", "people", "1", "displayName") != "dfull2" || mine.s("steps", "12", "orgName") != "中共先锋委员会" {
		t.Errorf("my development: %s", mine.raw)
	}
	// Denials: another branch's staff, another member, a member recording.
	l.must(l.call("GET", "/v1/members/"+m+"/development", w.staffB, nil), 404, "ACCOUNT_NOT_FOUND")
	other, _ := w.mk(w.orgA, "dother", "2001-01-01", "")
	l.must(l.call("GET", "/v1/members/"+m+"/development", other, nil), 404, "ACCOUNT_NOT_FOUND")
	// The audit log has every step.
	logs := l.must(l.call("GET", "/v1/audit-logs?action=development.step&pageSize=100", w.admin, nil), 200)
	if n := len(logs.json["logs"].([]any)); n != 25 {
		t.Errorf("%d audit entries for 25 steps", n)
	}
}

// TestDevelopmentOverrideRulesAndWorklist: an admin's override audited (and refused to staff),
// rules tightened per subtree (never loosened), the holiday calendar moving a notice's end, and
// the staff worklist of overdue and due steps, with denials.
func TestDevelopmentOverrideRulesAndWorklist(t *testing.T) {
	l := startLive(t)
	w := newDevWorld(t, l)
	sh, _ := time.LoadLocation("Asia/Shanghai")
	today := l.clock.Now().In(sh)
	day := func(d time.Time) string { return d.Format(time.DateOnly) }

	// A 16-year-old's application: refused by the age rule, refused to staff with a reason,
	// recorded by an admin's override, and audited with the rule and the reason.
	_, young := w.mk(w.orgA, "dyoung", day(today.AddDate(-16, 0, 0)), "")
	app := devStep{step: "application", date: day(today.AddDate(0, 0, -5))}
	r := l.must(w.record(w.staffA, young, app), 409, "DEVELOPMENT_RULE")
	if r.s("metadata", "rule") != "application.min_age" || !strings.Contains(r.s("message"), "年满 18 岁") {
		t.Errorf("age refusal: %s", r.raw)
	}
	app.extra = map[string]any{"overrideReason": "经省委组织部批复的特殊情况"}
	l.must(w.record(w.staffA, young, app), 403, "PERMISSION_DENIED")
	r = l.must(w.record(w.admin, young, app), 200)
	if r.s("steps", "0", "overridden", "0", "rule") != "application.min_age" || r.s("steps", "0", "overrideReason") != "经省委组织部批复的特殊情况" {
		t.Errorf("override not kept on the step: %s", r.raw)
	}
	logs := l.must(l.call("GET", "/v1/audit-logs?action=development.override", w.admin, nil), 200)
	if n := len(logs.json["logs"].([]any)); n != 1 || !strings.Contains(logs.s("logs", "0", "summary"), "经省委组织部批复的特殊情况") || !strings.Contains(logs.s("logs", "0", "summary"), "年满 18 岁") {
		t.Errorf("override audit: %s", logs.raw)
	}

	// Worklist: the young applicant's talk is due this month (a month from 5 days ago); an
	// application three months old without a talk is overdue; a completed one is not listed.
	_, late := w.mk(w.orgA, "dlate", "1999-01-01", "")
	l.must(w.record(w.staffA, late, devStep{step: "application", date: day(today.AddDate(0, -3, 0))}), 200)
	_, inB := w.mk(w.orgB, "dinb", "1999-01-01", "")
	l.must(w.record(w.staffB, inB, devStep{step: "application", date: day(today.AddDate(0, 0, -2))}), 200)
	wl := l.must(l.call("GET", "/v1/development/worklist?orgId="+w.orgA, w.staffA, nil), 200)
	if wl.s("total") != "2" || wl.s("overdue") != "1" || wl.s("due") != "1" {
		t.Errorf("branch A counts: %s", wl.raw)
	}
	od := l.must(l.call("GET", "/v1/development/worklist?orgId="+w.orgA+"&filter=overdue", w.staffA, nil), 200)
	if len(od.json["entries"].([]any)) != 1 || od.s("entries", "0", "memberId") != late || od.s("entries", "0", "next", "overdue") != "true" {
		t.Errorf("overdue list: %s", od.raw)
	}
	all := l.must(l.call("GET", "/v1/development/worklist?orgId="+w.root+"&pageSize=2", w.staffRoot, nil), 200)
	if all.s("total") != "3" || len(all.json["entries"].([]any)) != 2 || all.s("nextPageToken") == "" || all.s("entries", "0", "memberId") != late {
		t.Errorf("committee worklist page 1: %s", all.raw)
	}
	p2 := l.must(l.call("GET", "/v1/development/worklist?orgId="+w.root+"&pageSize=2&pageToken="+all.s("nextPageToken"), w.staffRoot, nil), 200)
	if len(p2.json["entries"].([]any)) != 1 || p2.s("nextPageToken") != "" {
		t.Errorf("committee worklist page 2: %s", p2.raw)
	}
	l.must(l.call("GET", "/v1/development/worklist?orgId="+w.orgA, w.staffB, nil), 403, "PERMISSION_DENIED")
	memberTok, _ := w.mk(w.orgA, "dplain", "1999-01-01", "", "MEMBER")
	l.must(l.call("GET", "/v1/development/worklist?orgId="+w.orgA, memberTok, nil), 403, "PERMISSION_DENIED")
	l.must(l.call("GET", "/v1/development/worklist?orgId="+w.orgA+"&filter=late", w.staffA, nil), 400, "INVALID_ARGUMENT")

	// Rules: the committee requires six months from application to activist for its subtree;
	// the branch cannot loosen it; a national fixed rule cannot change.
	rules := l.must(l.call("PUT", "/v1/development/rules", w.staffRoot, map[string]any{"orgId": w.root, "key": "activist.after_months", "value": 6}), 200)
	if !strings.Contains(fmt.Sprint(rules.json["rules"]), "递交申请 6 个月后") {
		t.Errorf("rules after setting: %s", rules.raw)
	}
	r = l.must(l.call("PUT", "/v1/development/rules", w.staffA, map[string]any{"orgId": w.orgA, "key": "activist.after_months", "value": 3}), 400, "INVALID_ARGUMENT")
	if !strings.Contains(r.s("message"), "只能从严") || r.s("metadata", "field") != "value" {
		t.Errorf("loosening: %s", r.raw)
	}
	l.must(l.call("PUT", "/v1/development/rules", w.staffA, map[string]any{"orgId": w.orgA, "key": "probation.months", "value": 18}), 400, "INVALID_ARGUMENT")
	l.must(l.call("PUT", "/v1/development/rules", w.staffA, map[string]any{"orgId": w.root, "key": "activist.after_months", "value": 9}), 403, "PERMISSION_DENIED")
	l.must(l.call("PUT", "/v1/development/rules", w.staffB, map[string]any{"orgId": w.orgA, "key": "activist.after_months", "value": 9}), 403, "PERMISSION_DENIED")
	l.must(l.call("PUT", "/v1/development/rules", w.staffA, map[string]any{"orgId": w.orgA, "key": "no.such", "value": 9}), 400, "INVALID_ARGUMENT")
	view := l.must(l.call("GET", "/v1/development/rules?orgId="+w.orgA, w.staffA, nil), 200)
	for _, x := range view.json["rules"].([]any) {
		rule := x.(map[string]any)
		if rule["key"] == "activist.after_months" && (fmt.Sprint(rule["inherited"]) != "6" || fmt.Sprint(rule["effective"]) != "6") {
			t.Errorf("branch view of the committee's rule: %v", rule)
		}
	}
	l.must(w.record(w.staffA, late, devStep{step: "talk", date: day(today.AddDate(0, -2, 0))}), 200)
	r = l.must(w.record(w.staffA, late, devStep{step: "activist_confirmed", date: day(today.AddDate(0, -1, 0))}), 409, "DEVELOPMENT_RULE")
	if r.s("metadata", "rule") != "activist.after_months" || r.s("metadata", "earliest") != day(today.AddDate(0, 3, 0)) {
		t.Errorf("the committee's rule in force: %s", r.raw)
	}

	// The holiday calendar moves a notice's end: a branch committee review on Friday
	// 26 September 2025, the National Day week off with Sunday 28 September and Saturday
	// 11 October worked: the pre-review from 11 October instead of 4 October.
	_, cand := w.mk(w.orgA, "dcand", "1995-01-01", "")
	for _, s := range []devStep{
		{step: "application", date: "2023-01-03"}, {step: "talk", date: "2023-01-10"}, {step: "activist_confirmed", date: "2023-08-01"},
		{step: "activist_filed", date: "2023-08-02"}, {step: "contacts_assigned", date: "2023-08-03", extra: map[string]any{"people": []string{w.full1, w.full2}}},
		{step: "activist_training", date: "2024-08-01"}, {step: "object_confirmed", date: "2024-08-02"}, {step: "object_filed", date: "2024-08-03"},
		{step: "introducers_assigned", date: "2024-08-04", extra: map[string]any{"people": []string{w.full2, w.full1}}},
		{step: "political_review", date: "2025-03-01", extra: map[string]any{"conclusion": "合格"}},
		{step: "concentrated_training", date: "2025-09-01", extra: map[string]any{"trainingDays": 3}},
		{step: "branch_review", date: "2025-09-26"},
	} {
		l.must(w.record(w.staffA, cand, s), 200)
	}
	if e := l.must(l.call("GET", "/v1/members/"+cand+"/development", w.staffA, nil), 200).s("next", "earliest"); e != "2025-10-04" {
		t.Errorf("pre-review earliest without holidays %s", e)
	}
	var days []map[string]any
	for d := 1; d <= 8; d++ {
		days = append(days, map[string]any{"date": fmt.Sprintf("2025-10-%02d", d), "name": "国庆节、中秋节"})
	}
	days = append(days, map[string]any{"date": "2025-09-28", "workday": true, "name": "调休上班"}, map[string]any{"date": "2025-10-11", "workday": true, "name": "调休上班"})
	l.must(l.call("PUT", "/v1/holidays/2025", w.staffRoot, map[string]any{"days": days}), 403, "PERMISSION_DENIED")
	bad := append([]map[string]any{}, days...)
	bad = append(bad, map[string]any{"date": "2025-10-13", "workday": true})
	r = l.must(l.call("PUT", "/v1/holidays/2025", w.admin, map[string]any{"days": bad}), 400, "INVALID_ARGUMENT")
	if r.s("metadata", "field") != "days[10].workday" {
		t.Errorf("a make-up working day on a Monday: %s", r.raw)
	}
	cal := l.must(l.call("PUT", "/v1/holidays/2025", w.admin, map[string]any{"days": days}), 200)
	if len(cal.json["days"].([]any)) != 10 || cal.s("days", "0", "date") != "2025-09-28" {
		t.Errorf("calendar: %s", cal.raw)
	}
	if e := l.must(l.call("GET", "/v1/members/"+cand+"/development", w.staffA, nil), 200).s("next", "earliest"); e != "2025-10-11" {
		t.Errorf("pre-review earliest with the holiday week %s, want 2025-10-11", e)
	}
	// The worklist's summary moved with it.
	found := false
	for _, x := range l.must(l.call("GET", "/v1/development/worklist?orgId="+w.orgA+"&pageSize=200", w.staffA, nil), 200).json["entries"].([]any) {
		e := x.(map[string]any)
		if e["memberId"] == cand {
			found = true
			if n := e["next"].(map[string]any); n["earliest"] != "2025-10-11" || n["code"] != "pre_review" {
				t.Errorf("worklist entry after the calendar changed: %v", n)
			}
		}
	}
	if !found {
		t.Error("candidate missing from the worklist")
	}
	if got := l.must(l.call("GET", "/v1/holidays?year=2025", memberTok, nil), 200); len(got.json["days"].([]any)) != 10 {
		t.Errorf("reading the calendar: %s", got.raw)
	}
}

// TestDevelopmentPlan: the committee sets a branch's annual quota (the branch cannot set its
// own); admissions count against it; staff are warned before admitting beyond it and the step
// keeps the warning.
func TestDevelopmentPlan(t *testing.T) {
	l := startLive(t)
	w := newDevWorld(t, l)
	sh, _ := time.LoadLocation("Asia/Shanghai")
	now := l.clock.Now().In(sh)
	year, today := now.Year(), now.Format(time.DateOnly)
	l.must(l.call("PUT", "/v1/development/plans", w.staffA, map[string]any{"orgId": w.orgA, "year": year, "quota": 5}), 403, "PERMISSION_DENIED")
	l.must(l.call("PUT", "/v1/development/plans", w.staffB, map[string]any{"orgId": w.orgA, "year": year, "quota": 5}), 403, "PERMISSION_DENIED")
	l.must(l.call("PUT", "/v1/development/plans", w.staffRoot, map[string]any{"orgId": w.root, "year": year, "quota": 5}), 403, "PERMISSION_DENIED")
	plans := l.must(l.call("PUT", "/v1/development/plans", w.staffRoot, map[string]any{"orgId": w.orgA, "year": year, "quota": 1}), 200)
	planOf := func(r reply, org string) map[string]any {
		for _, x := range r.json["plans"].([]any) {
			if p := x.(map[string]any); p["orgId"] == org {
				return p
			}
		}
		return nil
	}
	if p := planOf(plans, w.orgA); p == nil || fmt.Sprint(p["quota"]) != "1" || p["settable"] != true {
		t.Fatalf("plans after setting: %s", plans.raw)
	}
	l.must(l.call("GET", "/v1/development/plans?orgId="+w.orgA+"&year="+fmt.Sprint(year)+"", w.staffB, nil), 403, "PERMISSION_DENIED")

	vote := devStep{step: "admission_vote", date: today, extra: map[string]any{"votes": map[string]any{"entitled": 9, "present": 8, "inFavour": 8}}}
	admit := func(name string) (string, reply) {
		_, id := w.mk(w.orgA, name, "1995-01-01", "")
		l.must(w.record(w.admin, id, devStep{step: "application_form", date: fmt.Sprintf("%d-01-01", year), extra: map[string]any{"overrideReason": "历史档案补录"}}), 200)
		return id, l.must(l.call("GET", "/v1/members/"+id+"/development", w.staffA, nil), 200)
	}
	first, rec := admit("dplan1")
	if !strings.Contains(rec.raw, "计划 1 名，已接收 0 名，尚余 1 名") {
		t.Errorf("the plan before the first admission: %s", rec.raw)
	}
	stepWarnings := func(r reply, code string) string {
		for _, x := range r.json["steps"].([]any) {
			if s := x.(map[string]any); s["code"] == code {
				return fmt.Sprint(s["warnings"])
			}
		}
		return "missing"
	}
	if r := l.must(w.record(w.staffA, first, vote), 200); stepWarnings(r, "admission_vote") != "[]" {
		t.Errorf("an admission within the plan warned: %s", r.raw)
	}
	second, rec := admit("dplan2")
	if !strings.Contains(rec.raw, fmt.Sprintf("第一支部 %d 年发展党员指导性计划 1 名已用完（已接收 1 名）", year)) {
		t.Errorf("no warning before admitting beyond the plan: %s", rec.raw)
	}
	r := l.must(w.record(w.staffA, second, vote), 200)
	if !strings.Contains(stepWarnings(r, "admission_vote"), "rule:plan.quota") {
		t.Errorf("the admission beyond the plan keeps no warning: %s", r.raw)
	}
	plans = l.must(l.call("GET", "/v1/development/plans?orgId="+w.root+"&year="+fmt.Sprint(year)+"", w.staffRoot, nil), 200)
	row := planOf(plans, w.orgA)
	if row == nil || fmt.Sprint(row["admitted"]) != "2" || row["settable"] != true {
		t.Errorf("the committee's view of branch A: %v", row)
	}
	if other := l.must(l.call("GET", "/v1/development/plans?orgId="+w.orgA+"&year="+fmt.Sprint(year+1)+"", w.staffA, nil), 200); fmt.Sprint(planOf(other, w.orgA)["admitted"]) != "0" {
		t.Errorf("this year's admissions counted next year: %s", other.raw)
	}
}

// TestMembershipTransfer: staff of the sending branch start a transfer, staff of the receiving
// branch accept it; the member's development follows them, each side's log has it, and every
// wrong hand is refused.
func TestMembershipTransfer(t *testing.T) {
	l := startLive(t)
	w := newDevWorld(t, l)
	memberTok, m := w.mk(w.orgA, "dmoving", "1996-01-01", "")
	l.must(w.record(w.staffA, m, devStep{step: "application", date: "2026-01-05"}), 200)
	l.must(w.record(w.staffA, m, devStep{step: "talk", date: "2026-01-20"}), 200)

	l.must(l.call("POST", "/v1/transfers", w.staffB, map[string]any{"memberId": m, "toOrgId": w.orgB}), 404, "ACCOUNT_NOT_FOUND")
	l.must(l.call("POST", "/v1/transfers", memberTok, map[string]any{"memberId": m, "toOrgId": w.orgB}), 403, "PERMISSION_DENIED")
	r := l.must(l.call("POST", "/v1/transfers", w.staffA, map[string]any{"memberId": m, "toOrgId": w.root}), 400, "INVALID_ARGUMENT")
	if r.s("metadata", "field") != "to_org_id" {
		t.Errorf("a transfer into a committee: %s", r.raw)
	}
	l.must(l.call("POST", "/v1/transfers", w.staffA, map[string]any{"memberId": m, "toOrgId": w.orgA}), 400, "INVALID_ARGUMENT")
	_, staffBID := w.mk(w.orgA, "dstaffc", "1980-01-01", "FULL_MEMBER", "STAFF")
	l.must(l.call("POST", "/v1/transfers", w.admin, map[string]any{"memberId": staffBID, "toOrgId": w.orgB}), 400, "INVALID_ARGUMENT")

	tr := l.must(l.call("POST", "/v1/transfers", w.staffA, map[string]any{"memberId": m, "toOrgId": w.orgB, "note": "工作调动"}), 200)
	id := tr.s("id")
	if tr.s("status") != "pending" || tr.s("toOrgName") != "第二支部" || tr.s("memberName") != "dmoving" {
		t.Fatalf("started: %s", tr.raw)
	}
	if again := l.must(l.call("POST", "/v1/transfers", w.staffA, map[string]any{"memberId": m, "toOrgId": w.orgB}), 200); again.s("id") != id {
		t.Errorf("a retry started another transfer: %s", again.raw)
	}
	l.must(l.call("POST", "/v1/orgs", w.admin, map[string]any{"parentId": w.root, "name": "第三支部", "code": "C", "type": "BRANCH"}), 200)
	l.must(l.call("POST", "/v1/transfers", w.staffA, map[string]any{"memberId": m, "toOrgCode": "C"}), 409, "TRANSFER_PENDING")
	r = l.must(l.call("POST", "/v1/transfers", w.staffA, map[string]any{"memberId": m, "toOrgCode": "NOPE"}), 400, "INVALID_ARGUMENT")
	if r.s("metadata", "field") != "to_org_code" {
		t.Errorf("an unknown code: %s", r.raw)
	}

	decide := func(tok, status, note string) reply {
		return l.call("POST", "/v1/transfers/"+id+":decide", tok, map[string]any{"status": status, "note": note})
	}
	l.must(decide(w.staffA, "accepted", ""), 403, "PERMISSION_DENIED")
	l.must(decide(w.staffB, "cancelled", ""), 403, "PERMISSION_DENIED")
	l.must(decide(memberTok, "accepted", ""), 404, "TRANSFER_NOT_FOUND")
	r = l.must(decide(w.staffB, "rejected", ""), 400, "INVALID_ARGUMENT")
	if r.s("metadata", "field") != "note" {
		t.Errorf("a return without a reason: %s", r.raw)
	}
	in := l.must(l.call("GET", "/v1/transfers?orgId="+w.orgB+"&direction=in&status=pending", w.staffB, nil), 200)
	out := l.must(l.call("GET", "/v1/transfers?orgId="+w.orgA, w.staffA, nil), 200)
	if in.s("transfers", "0", "id") != id || out.s("transfers", "0", "id") != id {
		t.Errorf("lists: in %s, out %s", in.raw, out.raw)
	}
	l.must(l.call("GET", "/v1/transfers?orgId="+w.orgA, w.staffB, nil), 404, "ORG_NOT_FOUND")

	acc := l.must(decide(w.staffB, "accepted", "欢迎"), 200)
	if acc.s("status") != "accepted" || acc.s("decidedAt") == "" {
		t.Errorf("accepted: %s", acc.raw)
	}
	l.must(decide(w.staffB, "accepted", ""), 409, "TRANSFER_DECIDED")
	if org := l.must(l.call("GET", "/v1/accounts/"+m, w.admin, nil), 200).s("orgId"); org != w.orgB {
		t.Errorf("the member is in org %s, want branch B", org)
	}
	// The development record followed: branch B's staff read it with branch A's steps, and see
	// the member in their worklist; branch A's no longer do.
	rec := l.must(l.call("GET", "/v1/members/"+m+"/development", w.staffB, nil), 200)
	if len(rec.json["steps"].([]any)) != 2 || rec.s("steps", "0", "orgName") != "第一支部" || rec.s("orgName") != "第二支部" {
		t.Errorf("record after the transfer: %s", rec.raw)
	}
	l.must(l.call("GET", "/v1/members/"+m+"/development", w.staffA, nil), 404, "ACCOUNT_NOT_FOUND")
	if wl := l.must(l.call("GET", "/v1/development/worklist?orgId="+w.orgB+"&filter=all", w.staffB, nil), 200); wl.s("total") != "1" || wl.s("entries", "0", "memberId") != m {
		t.Errorf("branch B's worklist: %s", wl.raw)
	}
	if wl := l.must(l.call("GET", "/v1/development/worklist?orgId="+w.orgA+"&filter=all", w.staffA, nil), 200); wl.s("total") != "0" {
		t.Errorf("branch A's worklist still has the member: %s", wl.raw)
	}
	// Both sides' logs.
	for _, side := range []struct{ org, tok string }{{w.orgA, w.staffA}, {w.orgB, w.staffB}} {
		logs := l.must(l.call("GET", "/v1/audit-logs?orgId="+side.org+"&action=transfer.accepted", side.tok, nil), 200)
		if n := len(logs.json["logs"].([]any)); n != 1 {
			t.Errorf("org %s has %d acceptance entries: %s", side.org, n, logs.raw)
		}
	}
	// The member signs in again and reads their own record under the new branch.
	again := l.login("dmoving", "Passw0rd-dmoving")
	if me := l.must(l.call("GET", "/v1/my/development", again, nil), 200); me.s("orgId") != w.orgB || len(me.json["steps"].([]any)) != 2 {
		t.Errorf("my development after the transfer: %s", me.raw)
	}
}

// TestTemporaryBranches: a temporary branch (临时党支部) with dates under the committee; its members
// keep their home branch and their tokens carry the temporary one, so a course assigned to it
// reaches them and its meeting counts them; its staff act on what is recorded there only, not
// on the members' home records; leaving it ends the member's sessions; after its end date new
// tokens no longer carry it.
func TestTemporaryBranches(t *testing.T) {
	l := startLive(t)
	w := newDevWorld(t, l)
	sh, _ := time.LoadLocation("Asia/Shanghai")
	now := l.clock.Now().In(sh)
	day := func(d time.Time) string { return d.Format(time.DateOnly) }
	mkOrg := func(tok string, body map[string]any) reply {
		b := map[string]any{"parentId": w.root, "name": "乡村振兴项目临时党支部", "code": fmt.Sprintf("T%d", len(body)), "type": "BRANCH"}
		for k, v := range body {
			b[k] = v
		}
		return l.call("POST", "/v1/orgs", tok, b)
	}
	for _, bad := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"temporary": true}, "starts_on"},
		{map[string]any{"temporary": true, "type": "GENERAL_BRANCH", "startsOn": day(now), "endsOn": day(now)}, "type"},
		{map[string]any{"temporary": true, "startsOn": day(now), "endsOn": day(now.AddDate(0, 0, -1))}, "ends_on"},
		{map[string]any{"startsOn": day(now)}, "starts_on"},
	} {
		if r := l.must(mkOrg(w.staffRoot, bad.body), 400, "INVALID_ARGUMENT"); r.s("metadata", "field") != bad.field {
			t.Errorf("%v: %s", bad.body, r.raw)
		}
	}
	temp := l.must(mkOrg(w.staffRoot, map[string]any{"temporary": true, "startsOn": day(now.AddDate(0, 0, -10)), "endsOn": day(now.AddDate(0, 0, 30)), "code": "TMP"}), 200)
	tid, tpath := temp.s("id"), temp.s("path")
	if temp.s("temporary") != "true" {
		t.Fatalf("temporary branch: %s", temp.raw)
	}

	mTok, m := w.mk(w.orgA, "tmember", "1990-01-01", "")
	nTok, n := w.mk(w.orgB, "tmember2", "1990-01-01", "")
	oTok, o := w.mk(w.orgA, "toutsider", "1990-01-01", "")
	_, s := w.mk(w.orgA, "tsecretary", "1980-01-01", "FULL_MEMBER")
	members := []any{map[string]any{"accountId": m}, map[string]any{"accountId": n}, map[string]any{"accountId": s, "staff": true}}
	l.must(l.call("PUT", "/v1/orgs/"+tid+"/temp-members", w.staffA, map[string]any{"members": members}), 404, "ORG_NOT_FOUND")
	l.must(l.call("PUT", "/v1/orgs/"+w.orgA+"/temp-members", w.staffRoot, map[string]any{"members": members}), 400, "INVALID_ARGUMENT")
	got := l.must(l.call("PUT", "/v1/orgs/"+tid+"/temp-members", w.staffRoot, map[string]any{"members": members}), 200)
	l.must(l.call("GET", "/v1/orgs/"+tid+"/temp-members", w.staffB, nil), 404, "ORG_NOT_FOUND")
	l.must(l.call("GET", "/v1/orgs/"+tid+"/temp-members", mTok, nil), 404, "ORG_NOT_FOUND")
	if len(got.json["members"].([]any)) != 3 || got.s("members", "0", "homeOrgId") != w.orgA {
		t.Fatalf("members: %s", got.raw)
	}
	// New tokens carry the temporary branch; the account's org stays the home branch.
	mTok, nTok = l.login("tmember", "Passw0rd-tmember"), l.login("tmember2", "Passw0rd-tmember2")
	sTok := l.login("tsecretary", "Passw0rd-tsecretary")
	me := l.must(l.call("GET", "/v1/accounts/"+m, mTok, nil), 200)
	if me.s("orgId") != w.orgA || me.s("tempOrgPaths", "0") != tpath {
		t.Errorf("the member's account: %s", me.raw)
	}
	// Each sees their temporary branches on /v1/me, and whether they serve as its staff.
	for _, c := range []struct {
		tok, staff string
	}{{mTok, "false"}, {sTok, "true"}} {
		if me := l.must(l.call("GET", "/v1/me", c.tok, nil), 200); me.s("tempBranches", "0", "orgId") != tid || me.s("tempBranches", "0", "staff") != c.staff || me.s("tempBranches", "1") != "" {
			t.Errorf("/v1/me (staff %s): %s", c.staff, me.raw)
		}
	}
	if in := l.must(l.call("POST", "/v1/auth/login", "", map[string]any{"username": "tsecretary", "password": "Passw0rd-tsecretary"}), 200); in.s("account", "tempBranches", "0", "staff") != "true" {
		t.Errorf("the sign-in reply lacks the temporary branch: %s", in.raw)
	}
	if me := l.must(l.call("GET", "/v1/me", oTok, nil), 200); me.s("tempBranches", "0") != "" {
		t.Errorf("/v1/me of someone outside the branch: %s", me.raw)
	}

	// A course assigned to the temporary branch reaches its members, not the home branch's others.
	course := l.must(l.call("POST", "/v1/courses", w.staffRoot, map[string]any{"title": "乡村振兴专题"}), 200).s("id")
	ch := l.must(l.call("POST", "/v1/courses/"+course+"/chapters", w.staffRoot, map[string]any{"title": "一"}), 200).s("id")
	l.must(l.call("POST", "/v1/chapters/"+ch+"/lessons", w.staffRoot, map[string]any{"title": "导读", "kind": "ARTICLE", "bodyHtml": "<p>乡村振兴</p>"}), 200)
	l.must(l.call("POST", "/v1/courses/"+course+":publish", w.staffRoot, map[string]any{}), 200)
	// The committee makes it an elective of the temporary branch; the branch's staff make it
	// required there, and may not assign it to a home branch.
	l.must(l.call("POST", "/v1/courses/"+course+"/assignments", w.staffRoot, map[string]any{"orgIds": []string{tid}, "required": false}), 200)
	l.must(l.call("POST", "/v1/courses/"+course+"/assignments", sTok, map[string]any{"orgIds": []string{w.orgA}, "required": true}), 403, "PERMISSION_DENIED")
	l.must(l.call("POST", "/v1/courses/"+course+"/assignments", sTok, map[string]any{"orgIds": []string{tid}, "required": true, "dueDate": "2099-12-31"}), 200)
	for _, c := range []struct {
		tok  string
		want bool
	}{{mTok, true}, {nTok, true}, {oTok, false}} {
		mine := l.must(l.call("GET", "/v1/my/courses", c.tok, nil), 200)
		if has := strings.Contains(mine.raw, "乡村振兴专题"); has != c.want {
			t.Errorf("my courses (want the course: %v): %s", c.want, mine.raw)
		}
	}

	// Its staff follow the course's assignments within their branch only.
	orgC := l.must(l.call("POST", "/v1/orgs", w.admin, map[string]any{"parentId": w.root, "name": "第三支部", "code": "C", "type": "BRANCH"}), 200).s("id")
	l.must(l.call("POST", "/v1/courses/"+course+"/assignments", w.staffRoot, map[string]any{"orgIds": []string{orgC}, "required": false}), 200)
	if as := l.must(l.call("GET", "/v1/courses/"+course+"/assignments", sTok, nil), 200); len(as.json["assignments"].([]any)) != 1 || as.s("assignments", "0", "orgId") != tid {
		t.Errorf("the temporary branch's staff see the assignments: %s", as.raw)
	}
	// Assigning again (a retry) answers with the same view, not every org's assignments.
	if as := l.must(l.call("POST", "/v1/courses/"+course+"/assignments", sTok, map[string]any{"orgIds": []string{tid}, "required": true, "dueDate": "2099-12-31"}), 200); len(as.json["assignments"].([]any)) != 1 || as.s("assignments", "0", "orgId") != tid {
		t.Errorf("the assigning reply to the temporary branch's staff: %s", as.raw)
	}

	// The temporary branch's meeting: its staff hold it and record its members, from two home
	// branches; someone outside it is refused.
	start := l.clock.Now()
	mt := l.must(l.call("POST", "/v1/meetings", sTok, map[string]any{"orgId": tid, "kind": "THEME_DAY", "topic": "项目主题党日",
		"startsAt": start.Format(time.RFC3339), "endsAt": start.Add(time.Hour).Format(time.RFC3339), "hours": 1, "host": "临时党支部书记"}), 200).s("id")
	att := func(ids ...string) reply {
		var es []any
		for _, id := range ids {
			es = append(es, map[string]any{"memberId": id, "status": "PRESENT"})
		}
		return l.call("PUT", "/v1/meetings/"+mt+"/attendance", sTok, map[string]any{"entries": es})
	}
	if r := l.must(att(o), 400, "INVALID_ARGUMENT"); r.s("metadata", "field") != "entries[0].member_id" {
		t.Errorf("an outsider recorded: %s", r.raw)
	}
	l.must(att(m, n), 200)
	if seen := l.must(l.call("GET", "/v1/meetings/"+mt, nTok, nil), 200); seen.s("attendance", "0", "status") != "PRESENT" {
		t.Errorf("the member of branch B sees the temporary branch's meeting: %s", seen.raw)
	}
	l.must(l.call("GET", "/v1/meetings/"+mt, oTok, nil), 404, "NOT_FOUND")
	// Its staff do not reach the members' home records.
	l.must(l.call("GET", "/v1/members/"+m+"/development", sTok, nil), 404, "ACCOUNT_NOT_FOUND")
	l.must(w.record(sTok, m, devStep{step: "application", date: day(now)}), 404, "ACCOUNT_NOT_FOUND")
	if r := l.call("GET", "/v1/members/"+m+"/hours", sTok, nil); r.status != 403 && r.status != 404 {
		t.Errorf("the temporary branch's staff read a member's hours: %d %s", r.status, r.raw)
	}
	l.must(l.call("PATCH", "/v1/orgs/"+w.orgA, sTok, map[string]any{"name": "改名"}), 403, "PERMISSION_DENIED")
	// Nor do they manage the branch itself or mint accounts in it.
	for _, r := range []reply{
		l.call("POST", "/v1/accounts", sTok, map[string]any{"username": "tminted", "displayName": "新账号", "password": "Passw0rd-minted", "roles": []string{"STAFF"}, "orgId": tid}),
		l.call("DELETE", "/v1/orgs/"+tid, sTok, nil),
		l.call("PATCH", "/v1/orgs/"+tid, sTok, map[string]any{"name": "改名"}),
		l.call("PUT", "/v1/development/rules", sTok, map[string]any{"orgId": tid, "key": "notice.object_workdays", "value": 7}),
	} {
		if r.status != 403 && r.status != 404 {
			t.Errorf("the temporary branch's staff managed it: %d %s", r.status, r.raw)
		}
	}

	// Leaving the branch ends the member's sessions at once.
	l.must(l.call("PUT", "/v1/orgs/"+tid+"/temp-members", w.staffRoot, map[string]any{"members": members[1:]}), 200)
	deadline := time.Now().Add(5 * time.Second)
	for l.call("GET", "/v1/my/courses", mTok, nil).status != 401 {
		if time.Now().After(deadline) {
			t.Fatal("the member's token outlived leaving the temporary branch")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// After the end date, new tokens no longer carry it.
	l.clock.Advance(31 * 24 * time.Hour)
	nTok = l.login("tmember2", "Passw0rd-tmember2")
	if mine := l.must(l.call("GET", "/v1/my/courses", nTok, nil), 200); strings.Contains(mine.raw, "乡村振兴专题") {
		t.Errorf("the ended temporary branch still reaches its member: %s", mine.raw)
	}
}

// TestDevelopmentDocuments: the papers of a recorded step go to the blob store through a
// presigned URL, are checked by their real type, listed on the record, downloadable by staff
// over the member and by the member (never the political review's), removable by staff, and
// every upload and removal is audited.
func TestDevelopmentDocuments(t *testing.T) {
	l := startLive(t)
	w := newDevWorld(t, l)
	sh, _ := time.LoadLocation("Asia/Shanghai")
	applied := l.clock.Now().In(sh).AddDate(0, 0, -5).Format(time.DateOnly)
	memberTok, member := w.mk(w.orgA, "ddocs", "1999-01-01", "")
	otherTok, _ := w.mk(w.orgA, "ddocs2", "1999-01-01", "")
	rec := l.must(w.record(w.staffA, member, devStep{step: "application", date: applied}), 200)
	appStep := rec.s("steps", "0", "id")
	pdf := []byte("%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
	startPath := func(step string) string { return "/v1/members/" + member + "/development/steps/" + step + "/documents" }
	upload := func(token, step, name, ctype string, data []byte) reply {
		return l.uploadFile(token, startPath(step), map[string]any{}, "document", "/v1/development/documents/", name, ctype, data)
	}
	start := func(token, step string) reply {
		return l.call("POST", startPath(step), token, map[string]any{"fileName": "申请书.pdf", "size": len(pdf), "contentType": "application/pdf"})
	}

	// Who may upload: staff over the member; not another branch's staff, not the member, not a
	// step of someone else.
	l.must(start(w.staffB, appStep), 404, "ACCOUNT_NOT_FOUND")
	l.must(start(memberTok, appStep), 403, "PERMISSION_DENIED")
	l.must(start(otherTok, appStep), 404, "ACCOUNT_NOT_FOUND")
	if r := l.must(l.call("POST", "/v1/members/"+w.full1+"/development/steps/"+appStep+"/documents", w.staffA,
		map[string]any{"fileName": "a.pdf", "size": 10, "contentType": "application/pdf"}), 400, "INVALID_ARGUMENT"); r.s("metadata", "field") != "step_id" {
		t.Errorf("another member's step: %s", r.raw)
	}
	if r := l.must(l.call("POST", startPath(appStep), w.staffA, map[string]any{"fileName": "a.exe", "size": 10, "contentType": "application/x-msdownload"}), 400, "INVALID_ARGUMENT"); r.s("metadata", "field") != "content_type" {
		t.Errorf("an executable: %s", r.raw)
	}
	// A file that says PDF but is not one is refused on completion.
	if r := l.must(upload(w.staffA, appStep, "申请书.pdf", "application/pdf", []byte("MZ\x90\x00 not a pdf")), 400, "INVALID_ARGUMENT"); r.s("metadata", "field") != "content_type" {
		t.Errorf("a fake PDF: %s", r.raw)
	}
	doc := l.must(upload(w.staffA, appStep, "入党申请书.pdf", "application/pdf", pdf), 200)
	if doc.s("status") != "ready" || doc.s("stepId") != appStep {
		t.Fatalf("document: %s", doc.raw)
	}
	// Completing again changes nothing (and is not audited twice).
	l.must(l.call("POST", "/v1/development/documents/"+doc.s("id")+":complete", w.staffA, map[string]any{}), 200)

	got := l.must(l.call("GET", "/v1/members/"+member+"/development", w.staffRoot, nil), 200)
	if got.s("steps", "0", "documents", "0", "fileName") != "入党申请书.pdf" || got.s("steps", "0", "documents", "0", "uploadedByName") != "dstaffa" {
		t.Errorf("the record's papers: %s", got.raw)
	}
	// The member and staff over the branch download it; nobody else learns it exists.
	for _, tok := range []string{memberTok, w.staffA, w.staffRoot} {
		dl := l.must(l.call("GET", "/v1/development/documents/"+doc.s("id"), tok, nil), 200)
		if body := l.fetch(dl.s("url")); !bytes.Equal(body, pdf) {
			t.Errorf("downloaded %q", body)
		}
	}
	for _, tok := range []string{w.staffB, otherTok} {
		l.must(l.call("GET", "/v1/development/documents/"+doc.s("id"), tok, nil), 404, "DOCUMENT_NOT_FOUND")
	}

	// The political review's papers stay with staff: the member neither sees them on the record
	// nor downloads them.
	review := l.must(w.record(w.admin, member, devStep{step: "political_review", date: applied,
		extra: map[string]any{"conclusion": "政治审查合格", "overrideReason": "补录历史材料"}}), 200)
	var reviewStep string
	for i := range review.json["steps"].([]any) {
		if review.s("steps", fmt.Sprint(i), "code") == "political_review" {
			reviewStep = review.s("steps", fmt.Sprint(i), "id")
		}
	}
	secret := l.must(upload(w.staffA, reviewStep, "政审结论.pdf", "application/pdf", pdf), 200)
	mine := l.must(l.call("GET", "/v1/my/development", memberTok, nil), 200)
	if strings.Contains(mine.raw, "政审结论") || strings.Contains(mine.raw, "政治审查合格") || !strings.Contains(mine.raw, "入党申请书.pdf") {
		t.Errorf("the member's record: %s", mine.raw)
	}
	l.must(l.call("GET", "/v1/development/documents/"+secret.s("id"), memberTok, nil), 404, "DOCUMENT_NOT_FOUND")
	if staffView := l.must(l.call("GET", "/v1/members/"+member+"/development", w.staffA, nil), 200); !strings.Contains(staffView.raw, "政审结论.pdf") || !strings.Contains(staffView.raw, "政治审查合格") {
		t.Errorf("staff's record lacks the review's paper: %s", staffView.raw)
	}

	// Removing: not by the member, not by another branch; by staff, audited, then gone.
	l.must(l.call("DELETE", "/v1/development/documents/"+doc.s("id"), memberTok, nil), 403, "PERMISSION_DENIED")
	l.must(l.call("DELETE", "/v1/development/documents/"+doc.s("id"), w.staffB, nil), 404, "DOCUMENT_NOT_FOUND")
	l.must(l.call("DELETE", "/v1/development/documents/"+doc.s("id"), w.staffA, nil), 200)
	l.must(l.call("GET", "/v1/development/documents/"+doc.s("id"), w.staffA, nil), 404, "DOCUMENT_NOT_FOUND")
	if after := l.must(l.call("GET", "/v1/members/"+member+"/development", w.staffA, nil), 200); strings.Contains(after.raw, "入党申请书.pdf") {
		t.Errorf("a removed paper still listed: %s", after.raw)
	}
	ups := l.must(l.call("GET", "/v1/audit-logs?action=development.document", w.admin, nil), 200)
	if n := len(ups.json["logs"].([]any)); n != 2 || !strings.Contains(ups.raw, "入党申请书.pdf") || !strings.Contains(ups.raw, "政审结论.pdf") {
		t.Errorf("upload audit (want 2): %s", ups.raw)
	}
	rm := l.must(l.call("GET", "/v1/audit-logs?action=development.document.remove", w.admin, nil), 200)
	if n := len(rm.json["logs"].([]any)); n != 1 || !strings.Contains(rm.s("logs", "0", "summary"), "入党申请书.pdf") {
		t.Errorf("removal audit: %s", rm.raw)
	}

	// An upload never finished is aborted by the reconciler once it expires.
	plan := l.must(start(w.staffA, appStep), 200)
	l.expireUpload("org/")
	staffA := l.login("dstaffa", "Passw0rd-dstaffa")
	if r := l.must(l.call("POST", "/v1/development/documents/"+plan.s("document", "id")+":complete", staffA, map[string]any{}), 400, "INVALID_ARGUMENT"); !strings.Contains(r.s("message"), "超时") {
		t.Errorf("completing an expired upload: %s", r.raw)
	}
}

// TestDevelopmentEvents: a recorded step and an accepted transfer are announced through org's
// outbox in their own transaction; a refused step announces nothing.
func TestDevelopmentEvents(t *testing.T) {
	l := startLive(t)
	w := newDevWorld(t, l)
	sh, _ := time.LoadLocation("Asia/Shanghai")
	today := l.clock.Now().In(sh)
	applied := today.AddDate(0, 0, -3).Format(time.DateOnly)
	_, m := w.mk(w.orgA, "devents", "1999-01-01", "")
	l.must(w.record(w.staffA, m, devStep{step: "application", date: applied}), 200)
	l.must(w.record(w.staffA, m, devStep{step: "application", date: applied}), 200) // a retry: nothing new
	l.must(w.record(w.staffA, m, devStep{step: "activist_confirmed", date: applied}), 409, "DEVELOPMENT_RULE")
	tr := l.must(l.call("POST", "/v1/transfers", w.staffA, map[string]any{"memberId": m, "toOrgId": w.orgB}), 200).s("id")
	l.must(l.call("POST", "/v1/transfers/"+tr+":decide", w.staffB, map[string]any{"status": "accepted"}), 200)

	evs, err := l.p.Org.Outbox().List(context.Background(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[0].Topic != "development.step_recorded" || evs[1].Topic != "member.transferred" {
		t.Fatalf("org's events: %+v", evs)
	}
	var step orgv1.DevelopmentStepRecorded
	if err := evs[0].Decode(&step); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(step.MemberId) != m || step.Code != "application" || step.No != 1 || step.Date != applied || fmt.Sprint(step.OrgId) != w.orgA ||
		step.MemberOrgPath != step.OrgPath || step.StepId == 0 || step.Overridden {
		t.Errorf("step event: %v", &step)
	}
	var moved orgv1.MemberTransferred
	if err := evs[1].Decode(&moved); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(moved.MemberId) != m || fmt.Sprint(moved.TransferId) != tr || fmt.Sprint(moved.FromOrgId) != w.orgA || fmt.Sprint(moved.ToOrgId) != w.orgB ||
		moved.FromOrgPath != step.OrgPath || moved.ToOrgPath == "" {
		t.Errorf("transfer event: %v", &moved)
	}
}

// TestMemberDossier: the growth service reads a member's dossier over gRPC with its service
// credentials (every step and paper, without phone or national ID); a user's token, another
// service and an unknown member are refused.
func TestMemberDossier(t *testing.T) {
	l := startLive(t)
	w := newDevWorld(t, l)
	ctx := context.Background()
	sh, _ := time.LoadLocation("Asia/Shanghai")
	applied := l.clock.Now().In(sh).AddDate(0, 0, -3).Format(time.DateOnly)
	_, m := w.mk(w.orgA, "ddossier", "1999-01-01", "")
	l.must(w.record(w.staffA, m, devStep{step: "application", date: applied}), 200)
	review := l.must(w.record(w.admin, m, devStep{step: "political_review", date: applied,
		extra: map[string]any{"conclusion": "政治审查合格", "overrideReason": "补录"}}), 200)
	pdf := []byte("%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
	step := review.s("steps", "1", "id")
	l.must(l.uploadFile(w.staffA, "/v1/members/"+m+"/development/steps/"+step+"/documents", map[string]any{}, "document",
		"/v1/development/documents/", "政审结论.pdf", "application/pdf", pdf), 200)
	id, _ := strconv.ParseInt(m, 10, 64)
	req := &orgv1.GetMemberDossierRequest{MemberId: id}

	growth := orgv1.NewDossiersClient(l.grpcConn(l.serviceToken("growth")))
	d, err := growth.GetMemberDossier(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	dev := d.GetDevelopment()
	if d.GetAccount().GetDisplayName() != "ddossier" || d.GetOrgName() != "第一支部" || d.GetAccount().GetPhone() != "" || d.GetAccount().GetProfile().GetNationalId() != "" ||
		len(dev.GetSteps()) != 2 || dev.GetSteps()[1].GetDocuments()[0].GetFileName() != "政审结论.pdf" || dev.GetSteps()[1].GetConclusion() != "政治审查合格" {
		t.Errorf("dossier: %v", d)
	}
	_, err = orgv1.NewDossiersClient(l.grpcConn(l.serviceToken("search"))).GetMemberDossier(ctx, req)
	wantCode(t, "another service", err, 403)
	_, err = orgv1.NewDossiersClient(l.grpcConn(w.admin)).GetMemberDossier(ctx, req)
	wantCode(t, "an admin's token", err, 403)
	_, err = growth.GetMemberDossier(ctx, &orgv1.GetMemberDossierRequest{MemberId: 999999})
	wantCode(t, "an unknown member", err, 404)
}

// TestMemberStudy: the growth service reads a member's study record from studyhour over gRPC
// with its service credentials (years of hours against their target, meetings attended without
// their check-in codes, study reports); a user's token, another service and a bad year range are
// refused.
func TestMemberStudy(t *testing.T) {
	l := startLive(t)
	w := newDevWorld(t, l)
	ctx := context.Background()
	_, m := w.mk(w.orgA, "dstudy", "1999-01-01", "")
	start := l.clock.Now().Add(-2 * time.Hour)
	mt := l.must(l.call("POST", "/v1/meetings", w.staffA, map[string]any{"orgId": w.orgA, "kind": "THEME_DAY", "topic": "主题党日：重温入党誓词",
		"startsAt": start.Format(time.RFC3339), "endsAt": start.Add(time.Hour).Format(time.RFC3339), "hours": 1}), 200).s("id")
	l.must(l.call("PUT", "/v1/meetings/"+mt+"/attendance", w.staffA, map[string]any{"entries": []any{map[string]any{"memberId": m, "status": "PRESENT"}}}), 200)
	path := l.must(l.call("GET", "/v1/accounts/"+m, w.admin, nil), 200).s("orgPath")
	id, _ := strconv.ParseInt(m, 10, 64)
	sh, _ := time.LoadLocation("Asia/Shanghai")
	year := int32(l.clock.Now().In(sh).Year())
	req := &studyhourv1.GetMemberStudyRequest{MemberId: id, OrgPath: path, FromYear: year - 1, ToYear: year}

	growth := studyhourv1.NewDossiersClient(l.grpcConn(l.serviceToken("growth")))
	st, err := growth.GetMemberStudy(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.GetYears()) != 2 || st.GetYears()[1].GetYear() != year || st.GetYears()[1].GetTotalSeconds() != 3600 ||
		st.GetYears()[1].GetTargetSeconds() == 0 || st.GetYears()[0].GetTotalSeconds() != 0 {
		t.Errorf("years: %v", st.GetYears())
	}
	if len(st.GetMeetings()) != 1 || st.GetMeetings()[0].GetTopic() != "主题党日：重温入党誓词" || st.GetMeetings()[0].GetCheckinCode() != "" ||
		len(st.GetMeetings()[0].GetAttendance()) != 0 {
		t.Errorf("meetings: %v", st.GetMeetings())
	}
	_, err = studyhourv1.NewDossiersClient(l.grpcConn(l.serviceToken("search"))).GetMemberStudy(ctx, req)
	wantCode(t, "another service", err, 403)
	_, err = studyhourv1.NewDossiersClient(l.grpcConn(w.admin)).GetMemberStudy(ctx, req)
	wantCode(t, "an admin's token", err, 403)
	_, err = growth.GetMemberStudy(ctx, &studyhourv1.GetMemberStudyRequest{MemberId: id, OrgPath: path, FromYear: year, ToYear: year - 1})
	wantCode(t, "a year range backwards", err, 400)
}
