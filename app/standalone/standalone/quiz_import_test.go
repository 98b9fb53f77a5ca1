package standalone

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

func TestQuizImportExport(t *testing.T) {
	l := startLive(t)
	w := newQuizWorld(t, l)
	bank := l.must(l.call("POST", "/v1/banks", w.trainer, map[string]any{"name": "导入题库"}), 200).s("id")
	count := func(b string) int {
		r := l.must(l.call("GET", "/v1/banks/"+b+"/questions", w.trainer, nil), 200)
		return strings.Count(r.raw, `"version"`)
	}

	// Fill the downloaded template.
	res, err := http.Get(l.url + "/v1/quiz/import-template.xlsx")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("template: %v %v", err, res)
	}
	tpl, _ := io.ReadAll(res.Body)
	res.Body.Close()
	f, err := excelize.OpenReader(bytes.NewReader(tpl))
	if err != nil {
		t.Fatal(err)
	}
	sheet := f.GetSheetList()[0]
	rows := [][]any{
		{"单选", "党的根本宗旨是", "全心全意为人民服务", "发展经济", "", "", "", "", "A", "宗旨", "1", "党章", "2"},
		{"多选", "“两个确立”包括", "确立习近平同志党中央的核心、全党的核心地位", "确立习近平新时代中国特色社会主义思想的指导地位", "确立市场经济", "", "", "", "AB", "", "3", "党章,理论", "4"},
		{"判断", "预备党员的预备期为一年。", "", "", "", "", "", "", "对", "", "", "", ""},
		{"填空", "党的____是党的最高领导机关。", "", "", "", "", "", "", "全国代表大会|全国代表大会和它所产生的中央委员会", "", "", "", "2"},
		{"简答", "简述入党誓词的主要内容。", "", "", "", "", "", "", "参考答案……", "", "4", "", "10"},
		{"单选", "坏题：答案不是选项", "甲", "乙", "", "", "", "", "C", "", "", "", ""},
		{"论述题X", "坏题型", "", "", "", "", "", "", "", "", "9", "", "-3"},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := f.SetSheetRow(sheet, cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	_ = f.Write(&buf)
	bad := l.must(l.call("POST", "/v1/banks/"+bank+"/questions:import", w.trainer, map[string]any{"format": "xlsx", "content": base64.StdEncoding.EncodeToString(buf.Bytes())}), 400, "IMPORT_INVALID")
	var rep struct {
		Errors []struct {
			Row    int
			Column string
		}
	}
	if err := json.Unmarshal([]byte(bad.s("metadata", "errors")), &rep); err != nil {
		t.Fatalf("report: %v %s", err, bad.raw)
	}
	got := map[string]bool{}
	for _, e := range rep.Errors {
		got[itoa(e.Row/10)+itoa(e.Row%10)+"/"+e.Column] = true
	}
	for _, want := range []string{"07/答案", "08/题型", "08/难度", "08/分值"} {
		if !got[want] {
			t.Errorf("report lacks %s: %+v", want, rep.Errors)
		}
	}
	if count(bank) != 0 {
		t.Fatal("a failed import created questions")
	}
	// Another org's member cannot import; a trainer of this bank can, once the file is fixed.
	l.must(l.call("POST", "/v1/banks/"+bank+"/questions:import", w.m1, map[string]any{"format": "xlsx", "content": base64.StdEncoding.EncodeToString(buf.Bytes())}), 404, "NOT_FOUND")
	_ = f.RemoveRow(sheet, 8)
	_ = f.RemoveRow(sheet, 7)
	buf.Reset()
	_ = f.Write(&buf)
	ok := l.must(l.call("POST", "/v1/banks/"+bank+"/questions:import", w.trainer, map[string]any{"format": "xlsx", "content": base64.StdEncoding.EncodeToString(buf.Bytes())}), 200)
	if ok.s("created") != "5" || count(bank) != 5 {
		t.Fatalf("import = %s, bank has %d", ok.raw, count(bank))
	}

	// Export and re-import into a fresh bank: the same questions come back.
	exp := l.must(l.call("GET", "/v1/banks/"+bank+"/questions:export", w.trainer, nil), 200)
	content, _ := base64.StdEncoding.DecodeString(exp.s("content"))
	other := l.must(l.call("POST", "/v1/banks", w.trainer, map[string]any{"name": "副本"}), 200).s("id")
	l.must(l.call("POST", "/v1/banks/"+other+"/questions:import", w.trainer, map[string]any{"format": "xlsx", "content": base64.StdEncoding.EncodeToString(content)}), 200)
	a := l.must(l.call("GET", "/v1/banks/"+bank+"/questions", w.trainer, nil), 200)
	b := l.must(l.call("GET", "/v1/banks/"+other+"/questions", w.trainer, nil), 200)
	strip := func(raw string) string {
		var v struct{ Questions []map[string]any }
		_ = json.Unmarshal([]byte(raw), &v)
		for _, q := range v.Questions {
			delete(q, "id")
			delete(q, "bankId")
		}
		out, _ := json.Marshal(v.Questions)
		return string(out)
	}
	if strip(a.raw) != strip(b.raw) {
		t.Fatalf("export/import round trip differs:\n%s\n%s", strip(a.raw), strip(b.raw))
	}
	l.must(l.call("GET", "/v1/banks/"+bank+"/questions:export", w.m1, nil), 404, "NOT_FOUND")
}
