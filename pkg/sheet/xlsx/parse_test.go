package xlsx_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/vanguard/vanguard/pkg/sheet"
	"github.com/vanguard/vanguard/pkg/sheet/xlsx"
)

// xlsxOf builds a workbook whose first sheet holds cells (A1-style address -> value); extra
// sheets, if any, come after it.
func xlsxOf(t testing.TB, cells map[string]any, extraSheets ...string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for addr, v := range cells {
		if err := f.SetCellValue("Sheet1", addr, v); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range extraSheets {
		if _, err := f.NewSheet(name); err != nil {
			t.Fatal(err)
		}
		if err := f.SetCellValue(name, "A1", "not the first sheet"); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func wantFormatError(t *testing.T, err error, contains string) {
	t.Helper()
	var fe *sheet.ErrFormat
	if !errors.As(err, &fe) {
		t.Fatalf("error = %v (%T), want *sheet.ErrFormat", err, err)
	}
	if !strings.Contains(fe.Msg, contains) {
		t.Errorf("message %q does not mention %q", fe.Msg, contains)
	}
}

func TestParseXLSX(t *testing.T) {
	data := xlsxOf(t, map[string]any{
		"A1": " 用户名 ", "B1": "姓名", "C1": "手机号",
		"A2": "zhangsan", "B2": "  张三  ", "C2": "13800138000",
		// row 3 left empty on purpose: it must stay so that row numbers match
		"A4": "lisi", "C4": 42,
		"A6": "   ", "B7": "\t", // trailing whitespace-only rows are dropped
	}, "second")
	got, err := xlsx.Parse("xlsx", data)
	if err != nil {
		t.Fatal(err)
	}
	want := &sheet.Table{
		Header: []string{"用户名", "姓名", "手机号"},
		Rows:   [][]string{{"zhangsan", "张三", "13800138000"}, nil, {"lisi", "", "42"}}, // row 3 kept (empty)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}
}

func TestParseCSV(t *testing.T) {
	gb := func(s string) []byte {
		b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name string
		in   []byte
		want *sheet.Table
	}{
		{"plain", []byte("a,b\n1,2\n"), &sheet.Table{Header: []string{"a", "b"}, Rows: [][]string{{"1", "2"}}}},
		{"BOM is not part of the first header",
			[]byte("\xef\xbb\xbf用户名,姓名\r\nzhangsan,张三\r\n"),
			&sheet.Table{Header: []string{"用户名", "姓名"}, Rows: [][]string{{"zhangsan", "张三"}}}},
		{"GB18030 as saved by Chinese Excel",
			gb("用户名,姓名,民族\r\nzhangsan,张三,汉族\r\n"),
			&sheet.Table{Header: []string{"用户名", "姓名", "民族"}, Rows: [][]string{{"zhangsan", "张三", "汉族"}}}},
		{"GB18030 four-byte characters", gb("名\n𠀀\n"), &sheet.Table{Header: []string{"名"}, Rows: [][]string{{"𠀀"}}}},
		{"cells trimmed, ragged rows kept",
			[]byte(" a , b ,c\n 1 ,2\n x,y,z,extra\n"),
			&sheet.Table{Header: []string{"a", "b", "c"}, Rows: [][]string{{"1", "2"}, {"x", "y", "z", "extra"}}}},
		{"quoted fields with commas and newlines",
			[]byte("a,b\n\"x, y\",\"line1\nline2\"\n"),
			&sheet.Table{Header: []string{"a", "b"}, Rows: [][]string{{"x, y", "line1\nline2"}}}},
		{"empty rows in the middle kept, trailing dropped",
			[]byte("a,b\n1,2\n,\n3,4\n,\n  ,  \n\t,\n"),
			&sheet.Table{Header: []string{"a", "b"}, Rows: [][]string{{"1", "2"}, {"", ""}, {"3", "4"}}}},
		{"header only", []byte("a,b\n"), &sheet.Table{Header: []string{"a", "b"}, Rows: [][]string{}}},
		{"lazy quotes", []byte("a,b\nx\"y,z\n"), &sheet.Table{Header: []string{"a", "b"}, Rows: [][]string{{"x\"y", "z"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := xlsx.Parse("csv", tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseCSVBlankLineKeepsRowNumbers documents the package contract "fully empty rows are kept
// as empty so row numbers match": a blank line in a CSV file is a row the user sees.
func TestParseCSVBlankLineKeepsRowNumbers(t *testing.T) {
	got, err := xlsx.Parse("csv", []byte("a\n1\n\n2\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"1"}, {}, {"2"}}
	if diff := cmp.Diff(want, got.Rows); diff != "" {
		if len(got.Rows) == 2 {
			t.Fatalf("REGRESSION (pkg/sheet/xlsx parseCSV: encoding/csv skips blank lines, shifting row numbers): rows = %q", got.Rows)
		}
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

func TestParseLimitsAndErrors(t *testing.T) {
	row := func(n int, cell string) string { return strings.TrimSuffix(strings.Repeat(cell+",", n), ",") }
	manyRows := func(n int) []byte {
		var b strings.Builder
		b.WriteString("h\n")
		for range n {
			b.WriteString("x\n")
		}
		return []byte(b.String())
	}
	tests := []struct {
		name     string
		format   string
		in       []byte
		wantMsg  string // "" = must parse
		wantRows int
	}{
		{"unknown format", "xls", []byte("a,b\n"), "不支持的文件格式", 0},
		{"empty format", "", []byte("a,b\n"), "不支持的文件格式", 0},
		{"upper-case format is unknown", "CSV", []byte("a,b\n"), "不支持的文件格式", 0},
		{"empty csv", "csv", nil, "文件为空", 0},
		{"only BOM", "csv", []byte("\xef\xbb\xbf"), "文件为空", 0},
		{"only blank rows", "csv", []byte(",,\n , \n"), "文件为空", 0},
		{"cell at limit", "csv", []byte("a\n" + strings.Repeat("x", sheet.MaxCell) + "\n"), "", 1},
		{"oversize cell", "csv", []byte("a\n" + strings.Repeat("x", sheet.MaxCell+1) + "\n"), "单元格内容过长", 0},
		{"oversize multibyte cell", "csv", []byte("a\n" + strings.Repeat("长", sheet.MaxCell/3+1) + "\n"), "单元格内容过长", 0},
		{"columns at limit", "csv", []byte(row(sheet.MaxColumns, "h") + "\n"), "", 0},
		{"too many columns", "csv", []byte(row(sheet.MaxColumns+1, "h") + "\n"), "列数过多", 0},
		{"rows at limit", "csv", manyRows(sheet.MaxRows), "", sheet.MaxRows},
		{"too many rows", "csv", manyRows(sheet.MaxRows + 1), "数据行过多", 0},
		{"far too many rows", "csv", manyRows(sheet.MaxRows + 10), "数据行过多", 0},
		{"garbage xlsx", "xlsx", []byte("PK\x03\x04 definitely not a zip"), "无法读取 xlsx", 0},
		{"csv bytes as xlsx", "xlsx", []byte("a,b\n1,2\n"), "无法读取 xlsx", 0},
		{"empty xlsx", "xlsx", nil, "xlsx", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := xlsx.Parse(tt.format, tt.in)
			if tt.wantMsg != "" {
				if got != nil {
					t.Errorf("table %v returned with an error", got)
				}
				wantFormatError(t, err, tt.wantMsg)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Rows) != tt.wantRows {
				t.Errorf("rows = %d, want %d", len(got.Rows), tt.wantRows)
			}
		})
	}
}

func TestParseXLSXLimits(t *testing.T) {
	wide := map[string]any{}
	for c := 1; c <= sheet.MaxColumns+5; c++ {
		addr, _ := excelize.CoordinatesToCellName(c, 1)
		wide[addr] = fmt.Sprintf("h%d", c)
	}
	_, err := xlsx.Parse("xlsx", xlsxOf(t, wide))
	wantFormatError(t, err, "列数过多")

	big := xlsxOf(t, map[string]any{"A1": "h", "A2": strings.Repeat("x", sheet.MaxCell+1)})
	_, err = xlsx.Parse("xlsx", big)
	wantFormatError(t, err, "单元格内容过长")

	_, err = xlsx.Parse("xlsx", xlsxOf(t, map[string]any{}))
	wantFormatError(t, err, "文件为空")
}
