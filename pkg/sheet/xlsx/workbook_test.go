package xlsx_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/vanguard/vanguard/pkg/sheet"
	"github.com/vanguard/vanguard/pkg/sheet/xlsx"
)

func TestBytes(t *testing.T) {
	book := sheet.Workbook{FileName: "exam-1-stats.xlsx", Sheets: []sheet.Sheet{
		{Name: "概况", Rows: [][]any{{"考试", "党史知识测试"}, {"参考人数", 6}, {"平均分", 7.5}}},
		{Name: "答卷", Rows: [][]any{{"答卷ID", "得分", "待阅卷"}, {int64(42), "", true}, {uint8(7), float32(0.5), nil}}},
		{Name: "空表"},
	}}
	content, err := xlsx.Bytes(book)
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if diff := cmp.Diff([]string{"概况", "答卷", "空表"}, f.GetSheetList()); diff != "" {
		t.Errorf("sheets (-want +got):\n%s", diff)
	}
	want := map[string][][]string{
		"概况": {{"考试", "党史知识测试"}, {"参考人数", "6"}, {"平均分", "7.5"}},
		"答卷": {{"答卷ID", "得分", "待阅卷"}, {"42", "", "TRUE"}, {"7", "0.5"}},
		"空表": {},
	}
	for name, rows := range want {
		got, err := f.GetRows(name)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(rows, got); diff != "" {
			t.Errorf("sheet %s (-want +got):\n%s", name, diff)
		}
	}
	// Numbers and booleans are typed cells, not text, so the spreadsheet can compute with them
	// (a number cell carries no type attribute: it is the default).
	for _, c := range []struct {
		sheet, cell string
		want        excelize.CellType
	}{
		{"概况", "B2", excelize.CellTypeUnset},
		{"答卷", "B3", excelize.CellTypeUnset},
		{"答卷", "C2", excelize.CellTypeBool},
		{"答卷", "A1", excelize.CellTypeSharedString},
	} {
		got, err := f.GetCellType(c.sheet, c.cell)
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("%s!%s type = %v, want %v", c.sheet, c.cell, got, c.want)
		}
	}
	// The same workbook renders to the same bytes: downloads are reproducible.
	again, err := xlsx.Bytes(book)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(content, again) {
		t.Error("rendering the same workbook twice gave different bytes")
	}
}

func TestWriteRefuses(t *testing.T) {
	tests := []struct {
		name string
		book sheet.Workbook
		want string
	}{
		{"no sheets", sheet.Workbook{FileName: "x.xlsx"}, "no sheets"},
		{"struct cell", sheet.Workbook{Sheets: []sheet.Sheet{{Name: "s", Rows: [][]any{{"a"}, {"b", struct{}{}}}}}}, "row 2 column 2"},
		{"pointer cell", sheet.Workbook{Sheets: []sheet.Sheet{{Name: "s", Rows: [][]any{{new(float64)}}}}}, "*float64"},
		{"bad sheet name", sheet.Workbook{Sheets: []sheet.Sheet{{Name: "a/b"}}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := xlsx.Bytes(tt.book)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
	ok := sheet.Workbook{Sheets: []sheet.Sheet{{Name: "s", Rows: [][]any{{"a"}}}}}
	if err := xlsx.Write(failWriter{}, ok); err == nil {
		t.Error("Write ignored a writer error")
	}
}
