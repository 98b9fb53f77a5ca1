package sheet_test

import (
	"strings"
	"testing"

	"github.com/vanguard/vanguard/pkg/sheet"
)

// Rendering is tested in package sheet/xlsx; this is the check every renderer makes first.
func TestWorkbookValidate(t *testing.T) {
	ok := sheet.Workbook{FileName: "exam-1-stats.xlsx", Sheets: []sheet.Sheet{
		{Name: "概况", Rows: [][]any{{"考试", "党史知识测试"}, {"参考人数", 6}, {"平均分", 7.5}}},
		{Name: "答卷", Rows: [][]any{{"答卷ID", "得分", "待阅卷"}, {int64(42), "", true}, {uint8(7), float32(0.5), nil}}},
		{Name: "空表"},
	}}
	if err := ok.Validate(); err != nil {
		t.Errorf("Validate refused a plain workbook: %v", err)
	}
	tests := []struct {
		name string
		book sheet.Workbook
		want string
	}{
		{"no sheets", sheet.Workbook{FileName: "x.xlsx"}, "no sheets"},
		{"struct cell", sheet.Workbook{Sheets: []sheet.Sheet{{Name: "s", Rows: [][]any{{"a"}, {"b", struct{}{}}}}}}, "row 2 column 2"},
		{"pointer cell", sheet.Workbook{Sheets: []sheet.Sheet{{Name: "s", Rows: [][]any{{new(float64)}}}}}, "*float64"},
		{"slice cell", sheet.Workbook{Sheets: []sheet.Sheet{{Name: "s", Rows: [][]any{{[]string{"a"}}}}}}, "[]string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.book.Validate()
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}
