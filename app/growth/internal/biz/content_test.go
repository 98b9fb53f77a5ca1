package biz

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func sample() Content {
	return Content{
		Profile: Profile{MemberID: 7, Name: "刘一", Gender: "女", BirthDate: "1998-04-01", OrgName: "第一党支部", OrgPath: "/1/2/",
			Stage: "入党积极分子", AppliedOn: "2025-01-06", Temporaries: []string{"乡村振兴项目临时党支部"}},
		Development: []StepEntry{
			{StepID: 3, No: 3, Seq: 1, Name: "推荐和确定入党积极分子", Date: "2025-03-01", OrgName: "第一党支部"},
			{StepID: 1, No: 1, Seq: 1, Name: "递交入党申请书", Date: "2025-01-06", OrgName: "第一党支部", Documents: 1},
			{StepID: 2, No: 2, Seq: 1, Name: "党组织派人谈话", Date: "2025-01-20", OrgName: "第一党支部"},
		},
		Hours:    []YearHours{{Year: 2026, Seconds: 90000, TargetSeconds: 144000}, {Year: 2025, Seconds: 150000, TargetSeconds: 144000, BySource: map[string]int64{"lesson": 100000, "meeting": 50000}}},
		Courses:  []CourseEntry{{CourseID: 9, Title: "党章学习", CompletedOn: "2025-05-01"}},
		Exams:    []ExamEntry{{ExamID: 4, Title: "党章知识测试", Score: 86, MaxScore: 100, Passed: true, GradedOn: "2025-06-01"}},
		Meetings: []MeetingEntry{{MeetingID: 12, Kind: "theme_day", Topic: "主题党日", Date: "2025-07-01", OrgName: "第一党支部"}},
		Reports:  []ReportEntry{{ReportID: 5, Topic: "集中学习《中国共产党章程》", Status: "accepted", Date: "2025-07-05"}},
		Records:  []RecordEntry{{RecordID: 1, Kind: "evaluation", Title: "2025 年度民主评议", Outcome: "优秀", Date: "2026-01-15"}},
	}
}

// The same facts in any order give the same bytes and hash; any fact changed changes the hash;
// the caller's content is not reordered.
func TestCanonical(t *testing.T) {
	a := sample()
	b := sample()
	slices.Reverse(b.Development)
	slices.Reverse(b.Hours)
	ba, ha, err := Canonical(a)
	if err != nil {
		t.Fatal(err)
	}
	bb, hb, _ := Canonical(b)
	if ha != hb || string(ba) != string(bb) {
		t.Fatalf("reordered facts: %s != %s", ha, hb)
	}
	if a.Development[0].No != 3 {
		t.Errorf("Canonical reordered the caller's content")
	}
	if !strings.Contains(string(ba), `"development":[{"step_id":1,`) {
		t.Errorf("development not in step order: %s", ba)
	}
	for name, change := range map[string]func(*Content){
		"a step's date":      func(c *Content) { c.Development[1].Date = "2025-01-07" },
		"a year's hours":     func(c *Content) { c.Hours[0].Seconds++ },
		"an hour's source":   func(c *Content) { c.Hours[1].BySource["lesson"]++ },
		"a new exam":         func(c *Content) { c.Exams = append(c.Exams, ExamEntry{ExamID: 5, Title: "补考"}) },
		"the stage":          func(c *Content) { c.Profile.Stage = "发展对象" },
		"a removed meeting":  func(c *Content) { c.Meetings = nil },
		"an evaluation":      func(c *Content) { c.Records[0].Outcome = "合格" },
		"a temporary branch": func(c *Content) { c.Profile.Temporaries = nil },
	} {
		c := sample()
		change(&c)
		if _, h, _ := Canonical(c); h == ha {
			t.Errorf("%s changed: same hash", name)
		}
	}
}

func TestDiff(t *testing.T) {
	if d := Diff(sample(), sample()); len(d) != 0 {
		t.Fatalf("no change: %v", d)
	}
	prev, next := sample(), sample()
	slices.Reverse(next.Development) // steps 2, 1, 3: the order the services list them in does not matter
	next.Profile.Stage = "发展对象"
	next.Development = append(next.Development, StepEntry{StepID: 4, No: 4, Seq: 1, Name: "报上级党委备案（积极分子）", Date: "2025-03-05"})
	next.Development[0].Warnings = []string{"逾期登记"}
	next.Hours[1].Seconds = 95400 // 2025
	next.Courses = nil
	next.Exams[0].Passed, next.Exams[0].Score = false, 50
	got := Diff(prev, next)
	if next.Development[0].No != 2 {
		t.Errorf("Diff reordered the caller's content")
	}
	want := []Change{
		{Section: SectionProfile, Op: OpChanged, Key: "stage", Before: "阶段：入党积极分子", After: "阶段：发展对象"},
		{Section: SectionDevelopment, Op: OpChanged, Key: "02-1", Before: "第 2 步「党组织派人谈话」2025-01-20", After: "第 2 步「党组织派人谈话」2025-01-20", Fields: []string{"warnings"}},
		{Section: SectionDevelopment, Op: OpAdded, Key: "04-1", After: "第 4 步「报上级党委备案（积极分子）」2025-03-05"},
		{Section: SectionHours, Op: OpChanged, Key: "2025", Before: "2025 年 41.7 学时", After: "2025 年 26.5 学时", Fields: []string{"seconds"}},
		{Section: SectionCourses, Op: OpRemoved, Key: "00000000000000000009", Before: "《党章学习》2025-05-01 完成"},
		{Section: SectionExams, Op: OpChanged, Key: "00000000000000000004", Before: "《党章知识测试》86/100 分（合格）", After: "《党章知识测试》50/100 分（不合格）", Fields: []string{"passed", "score"}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("diff (-want +got):\n%s", d)
	}
}

// A first compile makes version 1; the same facts again make nothing and leave the review as it
// is; changed facts make the next version with its changes, pending again whether the file was
// returned or approved, the approved version's number kept.
func TestApply(t *testing.T) {
	now := time.Date(2026, 12, 2, 2, 0, 0, 0, time.UTC)
	c := sample()
	f, v1, err := Apply(nil, nil, c, "nightly", now)
	if err != nil || v1 == nil || v1.No != 1 || f.Latest != 1 || f.Status != StatusPending || len(v1.Changes) != 0 || f.OrgPath != "/1/2/" {
		t.Fatalf("first compile: %+v %+v %v", f, v1, err)
	}
	for _, status := range []string{StatusReturned, StatusApproved} {
		f.Status = status
		if status == StatusApproved {
			f.Approved = 1
		}
		reordered := sample()
		slices.Reverse(reordered.Development)
		same, none, err := Apply(f, v1, reordered, "hours.credited", now.Add(time.Hour))
		if err != nil || none != nil || same.Status != status || same.Latest != 1 {
			t.Fatalf("unchanged while %s: %+v %+v %v", status, same, none, err)
		}
	}
	c.Exams[0].Score = 90
	f2, v2, err := Apply(f, v1, c, "attempt.graded", now.Add(2*time.Hour))
	if err != nil || v2 == nil || v2.No != 2 || f2.Latest != 2 || f2.Status != StatusPending || f2.Approved != 1 || f2.Hash == f.Hash {
		t.Fatalf("changed: %+v %+v %v", f2, v2, err)
	}
	if len(v2.Changes) != 1 || v2.Changes[0].Section != SectionExams || v2.Trigger != "attempt.graded" {
		t.Errorf("version 2's changes: %+v", v2.Changes)
	}
}
