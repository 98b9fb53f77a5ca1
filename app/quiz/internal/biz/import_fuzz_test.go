package biz

import (
	"slices"
	"strings"
	"testing"

	"github.com/vanguard/vanguard/pkg/sheet"
	"github.com/vanguard/vanguard/pkg/sheet/xlsx"
)

// FuzzQuestionRows feeds arbitrary CSV to the question importer's row parsing and validation:
// it must never panic, and every question it accepts must be gradeable (keys among the options,
// one key for single choice, at least one accepted answer per blank, positive points).
func FuzzQuestionRows(f *testing.F) {
	header := "题型,题干,选项A,选项B,选项C,选项D,选项E,选项F,答案,解析,难度,标签,分值\n"
	for _, row := range []string{
		"单选,题,甲,乙,丙,丁,,,B,解析,2,党史,2",
		"多选,题,甲,乙,丙,,,,AC,,,,",
		"判断,题,,,,,,,对,,,,",
		"填空,题,,,,,,,1921;中国共产党|中共,,,,",
		"简答,题,,,,,,,参考答案,,5,,10",
		"单选,题,甲,,,,,,A,,,,",
		"多选,<script>x</script>,甲,乙,,,,,AZ,,9,,-1",
	} {
		f.Add([]byte(header + row + "\n"))
	}
	uc := &AuthoringUsecase{}
	f.Fuzz(func(t *testing.T, data []byte) {
		tb, err := xlsx.Parse("csv", data)
		if err != nil {
			return
		}
		ci, missing := sheet.Resolve(tb.Header, questionColumns)
		if len(missing) > 0 {
			return
		}
		for i, row := range tb.Rows {
			ie := &ImportError{}
			q := questionFromRow(ci, row, i+2, 1, ie)
			if q == nil {
				if ie.Total == 0 {
					t.Fatal("row rejected without a reason")
				}
				continue
			}
			if err := uc.validateQuestion(q); err != nil {
				continue
			}
			if q.Points <= 0 || strings.Contains(q.StemHTML, "<script") {
				t.Fatalf("accepted question with points %v / stem %q", q.Points, q.StemHTML)
			}
			switch q.Type {
			case Single, Multiple:
				for _, k := range q.AnswerKeys {
					if !slices.ContainsFunc(q.Options, func(o Option) bool { return o.Key == k }) {
						t.Fatalf("key %q not among options %v", k, q.Options)
					}
				}
				if q.Type == Single && len(q.AnswerKeys) != 1 {
					t.Fatalf("single choice with keys %v", q.AnswerKeys)
				}
			case FillBlank:
				for _, b := range q.Blanks {
					if len(b) == 0 {
						t.Fatal("blank without accepted answers")
					}
				}
			}
		}
	})
}
