// Package biz holds the growth service's use cases: the electronic growth file (发展党员电子成长
// 档案 / 全程纪实) of each member, compiled from what the other services recorded, versioned by
// its content, reviewed and signed off by staff.
package biz

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Content is what one compile assembles for a member: the sections of a 全程纪实表. It holds
// only what the member did and what staff recorded, as the owning services report it; a compile
// that gathers the same facts gives the same content, byte for byte (Canonical), whatever order
// the services listed them in.
type Content struct {
	Profile     Profile        `json:"profile"`
	Development []StepEntry    `json:"development"`
	Hours       []YearHours    `json:"hours"`
	Courses     []CourseEntry  `json:"courses"`
	Exams       []ExamEntry    `json:"exams"`
	Meetings    []MeetingEntry `json:"meetings"`
	Reports     []ReportEntry  `json:"reports"`
	// Records are awards and evaluations staff recorded (e.g. 民主评议 outcomes).
	Records []RecordEntry `json:"records"`
}

// Profile is the member as org knows them.
type Profile struct {
	MemberID    int64    `json:"member_id"`
	Name        string   `json:"name"`
	Gender      string   `json:"gender,omitempty"`
	BirthDate   string   `json:"birth_date,omitempty"`
	OrgName     string   `json:"org_name"`
	OrgPath     string   `json:"org_path"`
	Stage       string   `json:"stage"`
	AppliedOn   string   `json:"applied_on,omitempty"`
	JoinedOn    string   `json:"joined_on,omitempty"`
	FullOn      string   `json:"full_on,omitempty"`
	Temporaries []string `json:"temporaries,omitempty"` // temporary branches the member belongs to
}

// StepEntry is a recorded development step with its rule checks.
type StepEntry struct {
	StepID   int64    `json:"step_id"`
	No       int      `json:"no"`
	Seq      int      `json:"seq"`
	Name     string   `json:"name"`
	Date     string   `json:"date"`
	OrgName  string   `json:"org_name"`
	People   []string `json:"people,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
	// Overridden: the rules an admin recorded it past, with the reason.
	Overridden []string `json:"overridden,omitempty"`
	Documents  int      `json:"documents,omitempty"`
}

// YearHours is a year of study hours against the year's target.
type YearHours struct {
	Year          int   `json:"year"`
	Seconds       int64 `json:"seconds"`
	TargetSeconds int64 `json:"target_seconds"`
	// BySource splits the year's seconds by where they were earned (lesson, exam, meeting,
	// offline, adjustment).
	BySource map[string]int64 `json:"by_source,omitempty"`
}

// CourseEntry is a course the member completed.
type CourseEntry struct {
	CourseID    int64  `json:"course_id"`
	Title       string `json:"title"`
	CompletedOn string `json:"completed_on"`
}

// ExamEntry is a released exam result (an unreleased one never enters the file).
type ExamEntry struct {
	ExamID   int64   `json:"exam_id"`
	Title    string  `json:"title"`
	Score    float64 `json:"score"`
	MaxScore float64 `json:"max_score"`
	Passed   bool    `json:"passed"`
	GradedOn string  `json:"graded_on"`
}

// MeetingEntry is an organisational meeting the member attended (三会一课, 主题党日 …).
type MeetingEntry struct {
	MeetingID int64  `json:"meeting_id"`
	Kind      string `json:"kind"`
	Topic     string `json:"topic"`
	Date      string `json:"date"`
	OrgName   string `json:"org_name"`
}

// ReportEntry is a study report (一学一报) the member filed.
type ReportEntry struct {
	ReportID int64  `json:"report_id"`
	Topic    string `json:"topic"`
	Status   string `json:"status"`
	Date     string `json:"date"`
}

// RecordEntry is an award or an evaluation staff recorded.
type RecordEntry struct {
	RecordID int64  `json:"record_id"`
	Kind     string `json:"kind"`
	Title    string `json:"title"`
	Outcome  string `json:"outcome,omitempty"`
	Date     string `json:"date"`
}

// Section names, in the file's order.
const (
	SectionProfile     = "profile"
	SectionDevelopment = "development"
	SectionHours       = "hours"
	SectionCourses     = "courses"
	SectionExams       = "exams"
	SectionMeetings    = "meetings"
	SectionReports     = "reports"
	SectionRecords     = "records"
)

// SectionTitles are the sections' headings in the file.
var SectionTitles = map[string]string{
	SectionProfile: "基本情况", SectionDevelopment: "发展历程", SectionHours: "学习时长", SectionCourses: "课程学习",
	SectionExams: "考试成绩", SectionMeetings: "组织生活", SectionReports: "一学一报", SectionRecords: "奖惩与评议",
}

// item is an entry of a list section: its key within the section and its text in a diff.
type item interface {
	key() string
	text() string
}

func (e StepEntry) key() string    { return fmt.Sprintf("%02d-%d", e.No, e.Seq) }
func (e StepEntry) text() string   { return fmt.Sprintf("第 %d 步「%s」%s", e.No, e.Name, e.Date) }
func (e YearHours) key() string    { return fmt.Sprintf("%04d", e.Year) }
func (e YearHours) text() string   { return fmt.Sprintf("%d 年 %s", e.Year, hoursText(e.Seconds)) }
func (e CourseEntry) key() string  { return fmt.Sprintf("%020d", e.CourseID) }
func (e CourseEntry) text() string { return fmt.Sprintf("《%s》%s 完成", e.Title, e.CompletedOn) }
func (e ExamEntry) key() string    { return fmt.Sprintf("%020d", e.ExamID) }
func (e ExamEntry) text() string {
	return fmt.Sprintf("《%s》%g/%g 分（%s）", e.Title, e.Score, e.MaxScore, map[bool]string{true: "合格", false: "不合格"}[e.Passed])
}
func (e MeetingEntry) key() string  { return e.Date + fmt.Sprintf("-%020d", e.MeetingID) }
func (e MeetingEntry) text() string { return fmt.Sprintf("%s %s", e.Date, e.Topic) }
func (e ReportEntry) key() string   { return e.Date + fmt.Sprintf("-%020d", e.ReportID) }
func (e ReportEntry) text() string  { return fmt.Sprintf("%s %s（%s）", e.Date, e.Topic, e.Status) }
func (e RecordEntry) key() string   { return e.Date + fmt.Sprintf("-%020d", e.RecordID) }
func (e RecordEntry) text() string {
	return strings.TrimSpace(fmt.Sprintf("%s %s %s", e.Date, e.Title, e.Outcome))
}

func hoursText(seconds int64) string {
	return fmt.Sprintf("%.1f 学时", float64(seconds)/3600) // one 学时 is an hour, as studyhour counts it
}

func sortByKey[T item](s []T) {
	slices.SortStableFunc(s, func(a, b T) int { return cmp.Compare(a.key(), b.key()) })
}

// normalised returns a copy of c with every list section ordered by its key, so the same facts
// give the same content (c itself is left as it is).
func normalised(c Content) Content {
	c.Development = slices.Clone(c.Development)
	c.Hours = slices.Clone(c.Hours)
	c.Courses = slices.Clone(c.Courses)
	c.Exams = slices.Clone(c.Exams)
	c.Meetings = slices.Clone(c.Meetings)
	c.Reports = slices.Clone(c.Reports)
	c.Records = slices.Clone(c.Records)
	c.Profile.Temporaries = slices.Clone(c.Profile.Temporaries)
	sortByKey(c.Development)
	sortByKey(c.Hours)
	sortByKey(c.Courses)
	sortByKey(c.Exams)
	sortByKey(c.Meetings)
	sortByKey(c.Reports)
	sortByKey(c.Records)
	slices.Sort(c.Profile.Temporaries)
	return c
}

// Canonical returns the content's canonical bytes (its sections ordered by key, as JSON) and
// their SHA-256 in hex: equal facts give equal bytes and hash.
func Canonical(c Content) ([]byte, string, error) {
	b, err := json.Marshal(normalised(c))
	if err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(b)
	return b, hex.EncodeToString(sum[:]), nil
}
