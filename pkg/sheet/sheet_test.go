package sheet_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/vanguard/vanguard/pkg/sheet"
)

// Parsing and .xlsx rendering are tested in package sheet/xlsx.

func TestCell(t *testing.T) {
	row := []string{"a", "b"}
	tests := []struct {
		i    int
		want string
	}{{0, "a"}, {1, "b"}, {2, ""}, {-1, ""}, {100, ""}}
	for _, tt := range tests {
		if got := sheet.Cell(row, tt.i); got != tt.want {
			t.Errorf("Cell(%d) = %q, want %q", tt.i, got, tt.want)
		}
	}
	if got := sheet.Cell(nil, 0); got != "" {
		t.Errorf("Cell(nil, 0) = %q", got)
	}
}

var testTemplate = sheet.Template{
	Name:    "人员导入",
	Header:  []string{"用户名", "手机号", "身份证号", "编号", "入党日期"},
	Example: []string{"zhangsan", "13800138000", "11010519491231002X", "0012", "2017-07-01"},
	Notes:   []string{"必填。登录名", "选填。11位手机号", "选填。18位", "选填。保留前导零", "选填。YYYY-MM-DD"},
}

func TestTemplateWriteCSV(t *testing.T) {
	var buf bytes.Buffer
	tpl := testTemplate
	tpl.Example = append([]string(nil), tpl.Example...)
	tpl.Example[0] = "with, comma"
	if err := tpl.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	// A UTF-8 BOM so Excel opens it correctly, the header, the example row quoted where needed;
	// no notes (CSV has no second sheet).
	want := "\xef\xbb\xbf" +
		"用户名,手机号,身份证号,编号,入党日期\n" +
		"\"with, comma\",13800138000,11010519491231002X,0012,2017-07-01\n"
	if got := buf.String(); got != want {
		t.Errorf("WriteCSV =\n%q\nwant\n%q", got, want)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestTemplateWriteCSVError(t *testing.T) {
	if err := testTemplate.WriteCSV(failWriter{}); err == nil {
		t.Error("WriteCSV ignored a writer error")
	}
}
