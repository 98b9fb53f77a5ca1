package biz

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
)

// Change is one difference between two versions of a file: an entry added to or removed from a
// section, or changed in it (with the fields that changed).
type Change struct {
	Section string   `json:"section"`
	Op      string   `json:"op"` // added, removed, changed
	Key     string   `json:"key"`
	Before  string   `json:"before,omitempty"`
	After   string   `json:"after,omitempty"`
	Fields  []string `json:"fields,omitempty"`
}

// Change operations.
const (
	OpAdded   = "added"
	OpRemoved = "removed"
	OpChanged = "changed"
)

// Diff lists what changed from prev to next, section by section in the file's order and by key
// within a section.
func Diff(prev, next Content) []Change {
	prev, next = normalised(prev), normalised(next)
	var out []Change
	out = append(out, diffProfile(prev.Profile, next.Profile)...)
	out = append(out, diffList(SectionDevelopment, prev.Development, next.Development)...)
	out = append(out, diffList(SectionHours, prev.Hours, next.Hours)...)
	out = append(out, diffList(SectionCourses, prev.Courses, next.Courses)...)
	out = append(out, diffList(SectionExams, prev.Exams, next.Exams)...)
	out = append(out, diffList(SectionMeetings, prev.Meetings, next.Meetings)...)
	out = append(out, diffList(SectionReports, prev.Reports, next.Reports)...)
	out = append(out, diffList(SectionRecords, prev.Records, next.Records)...)
	return out
}

// profileFields are the profile's fields as the file shows them.
var profileFields = []struct {
	name, label string
	get         func(Profile) string
}{
	{"name", "姓名", func(p Profile) string { return p.Name }},
	{"gender", "性别", func(p Profile) string { return p.Gender }},
	{"birth_date", "出生日期", func(p Profile) string { return p.BirthDate }},
	{"org_name", "所在组织", func(p Profile) string { return p.OrgName }},
	{"stage", "阶段", func(p Profile) string { return p.Stage }},
	{"applied_on", "申请入党日期", func(p Profile) string { return p.AppliedOn }},
	{"joined_on", "入党日期", func(p Profile) string { return p.JoinedOn }},
	{"full_on", "转正日期", func(p Profile) string { return p.FullOn }},
	{"temporaries", "临时党支部", func(p Profile) string { return strings.Join(p.Temporaries, "、") }},
}

func diffProfile(a, b Profile) []Change {
	var out []Change
	for _, f := range profileFields {
		if x, y := f.get(a), f.get(b); x != y {
			out = append(out, Change{Section: SectionProfile, Op: OpChanged, Key: f.name, Before: f.label + "：" + x, After: f.label + "：" + y})
		}
	}
	return out
}

// diffList compares two sections ordered by key (normalise).
func diffList[T item](section string, a, b []T) []Change {
	var out []Change
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && a[i].key() < b[j].key()):
			out = append(out, Change{Section: section, Op: OpRemoved, Key: a[i].key(), Before: a[i].text()})
			i++
		case i == len(a) || b[j].key() < a[i].key():
			out = append(out, Change{Section: section, Op: OpAdded, Key: b[j].key(), After: b[j].text()})
			j++
		default:
			if fields := changedFields(a[i], b[j]); len(fields) > 0 {
				out = append(out, Change{Section: section, Op: OpChanged, Key: a[i].key(), Before: a[i].text(), After: b[j].text(), Fields: fields})
			}
			i++
			j++
		}
	}
	return out
}

// changedFields names the JSON fields whose values differ between two entries.
func changedFields(a, b any) []string {
	var x, y map[string]any
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	_ = json.Unmarshal(ja, &x)
	_ = json.Unmarshal(jb, &y)
	var out []string
	for k, v := range x {
		if w, ok := y[k]; !ok || !reflect.DeepEqual(v, w) {
			out = append(out, k)
		}
	}
	for k := range y {
		if _, ok := x[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}
