package xlsx_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/vanguard/vanguard/pkg/sheet"
	"github.com/vanguard/vanguard/pkg/sheet/xlsx"
)

var testTemplate = sheet.Template{
	Name:    "人员导入",
	Header:  []string{"用户名", "手机号", "身份证号", "编号", "入党日期"},
	Example: []string{"zhangsan", "13800138000", "11010519491231002X", "0012", "2017-07-01"},
	Notes:   []string{"必填。登录名", "选填。11位手机号", "选填。18位", "选填。保留前导零", "选填。YYYY-MM-DD"},
}

func TestTemplateXLSXRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	if err := xlsx.WriteTemplate(&buf, testTemplate); err != nil {
		t.Fatal(err)
	}
	got, err := xlsx.Parse("xlsx", buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	want := &sheet.Table{Header: testTemplate.Header, Rows: [][]string{testTemplate.Example}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if diff := cmp.Diff([]string{testTemplate.Name, "填写说明"}, f.GetSheetList()); diff != "" {
		t.Errorf("sheets (-want +got):\n%s", diff)
	}
	notes, err := f.GetRows("填写说明")
	if err != nil {
		t.Fatal(err)
	}
	var wantNotes [][]string
	for i, h := range testTemplate.Header {
		wantNotes = append(wantNotes, []string{h, testTemplate.Notes[i]})
	}
	if diff := cmp.Diff(wantNotes, notes); diff != "" {
		t.Errorf("notes sheet (-want +got):\n%s", diff)
	}
	// Every data column is formatted as text so IDs and phone numbers stay strings when edited.
	style, err := f.GetCellStyle(testTemplate.Name, "C5")
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(style)
	if err != nil {
		t.Fatal(err)
	}
	if st.NumFmt != 49 {
		t.Errorf("column C number format = %d, want 49 (text)", st.NumFmt)
	}
}

func TestTemplateCSVRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	tpl := testTemplate
	tpl.Example = append([]string(nil), tpl.Example...)
	tpl.Example[0] = "with, comma"
	if err := tpl.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("\xef\xbb\xbf")) {
		t.Error("CSV template lacks the UTF-8 BOM Excel needs")
	}
	got, err := xlsx.Parse("csv", buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	want := &sheet.Table{Header: tpl.Header, Rows: [][]string{tpl.Example}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteTemplateError(t *testing.T) {
	if err := xlsx.WriteTemplate(failWriter{}, testTemplate); err == nil {
		t.Error("WriteTemplate ignored a writer error")
	}
}
