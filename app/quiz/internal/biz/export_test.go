package biz

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/vanguard/vanguard/pkg/sheet"
	"github.com/vanguard/vanguard/pkg/sheet/xlsx"
)

// The statistics export is plain rows (pkg/sheet/xlsx renders them): five sheets, numbers kept as
// numbers, an ungraded attempt's score left empty.
func TestExportStatsLayout(t *testing.T) {
	f := newStatsFixture(t, GradeHighest)
	book, err := f.uc.Stats.ExportStats(f.as("trainerA"), f.exam.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("exam-%d-stats.xlsx", f.exam.ID); book.FileName != want {
		t.Errorf("file name = %q, want %q", book.FileName, want)
	}
	var names []string
	byName := map[string][][]any{}
	for _, sh := range book.Sheets {
		names = append(names, sh.Name)
		byName[sh.Name] = sh.Rows
	}
	if diff := cmp.Diff([]string{"概况", "分数分布", "各组织及格率", "试题分析", "答卷"}, names); diff != "" {
		t.Fatalf("sheets (-want +got):\n%s", diff)
	}
	summary := [][]any{
		{"考试", "党史知识测试"}, {"参考人数", 6}, {"作答次数", 7}, {"已评分", 5},
		{"平均分", 7.0}, {"满分", 10.0}, {"及格分", 6.0}, {"及格率", 0.5},
	}
	if diff := cmp.Diff(summary, byName["概况"]); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	if got := byName["分数分布"]; len(got) != 11 || got[9][0] != "80%–90%" || got[9][1] != 2 {
		t.Errorf("distribution = %v", got)
	}
	if got := byName["各组织及格率"]; len(got) != 3 || got[1][0] != "/1/2/" || got[1][3] != 0.3333 {
		t.Errorf("by org = %v", got)
	}
	if got := byName["试题分析"]; len(got) != 4 || got[1][0] != f.questions[0].ID || got[1][5] != "发展经济" {
		t.Errorf("questions = %v", got)
	}
	attempts := byName["答卷"]
	if diff := cmp.Diff([]any{"答卷ID", "用户ID", "第几次", "状态", "得分", "满分", "切屏次数", "待阅卷"}, attempts[0]); diff != "" {
		t.Errorf("attempts header (-want +got):\n%s", diff)
	}
	if len(attempts) != 8 {
		t.Fatalf("attempt rows = %d, want 7 and the header", len(attempts)-1)
	}
	scores := map[string][]any{}
	for _, row := range attempts[1:] {
		scores[row[3].(string)] = append(scores[row[3].(string)], row[4])
	}
	if diff := cmp.Diff(map[string][]any{AttemptGraded: {8.0, 2.0, 10.0, 2.0, 8.0}, AttemptInProgress: {""}, AttemptSubmitted: {""}}, scores); diff != "" {
		t.Errorf("scores by status (-want +got):\n%s", diff)
	}
	if _, err := xlsx.Bytes(*book); err != nil {
		t.Errorf("pkg/sheet/xlsx cannot render the export: %v", err)
	}

	_, err = f.uc.Stats.ExportStats(f.as("memberA"), f.exam.ID)
	wantErrAs[*PermissionError](t, err)
	_, err = f.uc.Stats.ExportStats(f.as("trainerB"), f.exam.ID)
	wantErrIs(t, err, ErrNotFound)
}

// An exported bank is in the import template's layout: its rows import into another bank as
// the same questions.
func TestExportQuestionsReimports(t *testing.T) {
	e := newTestEnv(t)
	essay := qEssay(5)
	essay.Explanation, essay.Difficulty, essay.Tags = "见党章", 4, []string{"党章", "修养"}
	fx := e.newExam(t, []*Question{qSingle(), qMultiple(), qTrueFalse(), qFill(), essay}, nil)
	ctx := e.as("trainerA")
	from := fx.questions[0].BankID
	book, err := e.uc.Authoring.ExportQuestions(ctx, from)
	if err != nil {
		t.Fatal(err)
	}
	if len(book.Sheets) != 1 || book.Sheets[0].Name != "题目" {
		t.Fatalf("sheets = %+v", book.Sheets)
	}
	// Every cell is text, as a user's edited file read back by xlsx.Parse would be.
	tb := &sheet.Table{}
	for i, row := range book.Sheets[0].Rows {
		cells := make([]string, len(row))
		for j, c := range row {
			s, ok := c.(string)
			if !ok {
				t.Fatalf("row %d cell %d is %T, want string", i+1, j+1, c)
			}
			cells[j] = s
		}
		if i == 0 {
			tb.Header = cells
		} else {
			tb.Rows = append(tb.Rows, cells)
		}
	}
	if diff := cmp.Diff(QuestionTemplate().Header, tb.Header); diff != "" {
		t.Errorf("header is not the template's (-want +got):\n%s", diff)
	}
	to, err := e.uc.Authoring.CreateBank(ctx, "副本", 0, false)
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.uc.Authoring.ImportQuestions(ctx, to.ID, tb, false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != len(fx.questions) {
		t.Fatalf("imported %d questions, want %d", res.Created, len(fx.questions))
	}
	list := func(bank int64) []*Question {
		qs, err := e.uc.Authoring.banks.ListQuestions(ctx, bank)
		if err != nil {
			t.Fatal(err)
		}
		return qs
	}
	ignore := cmpopts.IgnoreFields(Question{}, "ID", "BankID", "Version")
	if diff := cmp.Diff(list(from), list(to.ID), ignore, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("round trip (-exported +imported):\n%s", diff)
	}

	_, err = e.uc.Authoring.ExportQuestions(e.as("trainerB"), from)
	if err == nil {
		t.Error("another org's trainer exported the bank")
	}
}

// The downloadable template, as CSV and as a workbook, holds one example of each question type
// and imports as it is: five questions, one per type, with the answers its examples show.
func TestQuestionTemplateImportsAsItIs(t *testing.T) {
	for _, format := range []string{"csv", "xlsx"} {
		t.Run(format, func(t *testing.T) {
			e := newTestEnv(t)
			ctx := e.as("trainerA")
			var buf bytes.Buffer
			tpl := QuestionTemplate()
			if format == "csv" {
				if err := tpl.WriteCSV(&buf); err != nil {
					t.Fatal(err)
				}
			} else if err := xlsx.WriteTemplate(&buf, tpl); err != nil {
				t.Fatal(err)
			}
			tb, err := xlsx.Parse(format, buf.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			bank, err := e.uc.Authoring.CreateBank(ctx, "模板", 0, false)
			if err != nil {
				t.Fatal(err)
			}
			res, err := e.uc.Authoring.ImportQuestions(ctx, bank.ID, tb, false)
			if err != nil {
				t.Fatalf("the template does not import: %v", err)
			}
			qs, err := e.uc.Authoring.banks.ListQuestions(ctx, bank.ID)
			if err != nil {
				t.Fatal(err)
			}
			got := map[QType]*Question{}
			for _, q := range qs {
				got[q.Type] = q
			}
			if res.Created != 5 || len(got) != 5 {
				t.Fatalf("imported %d questions of %d types, want one of each of 5", res.Created, len(got))
			}
			if k := got[Multiple].AnswerKeys; strings.Join(k, "") != "ABD" {
				t.Errorf("multiple-choice keys = %v", k)
			}
			if k := got[TrueFalse].AnswerKeys; len(k) != 1 || k[0] != "true" {
				t.Errorf("true/false key = %v", k)
			}
			if b := got[FillBlank].Blanks; len(b) != 2 || strings.Join(b[1], "|") != "中国共产党|中共" {
				t.Errorf("blanks = %v", b)
			}
			if got[Essay].Reference == "" || got[Essay].Points != 10 {
				t.Errorf("essay = %+v", got[Essay])
			}
		})
	}
}
