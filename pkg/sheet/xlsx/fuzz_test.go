package xlsx_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/vanguard/vanguard/pkg/sheet"
	"github.com/vanguard/vanguard/pkg/sheet/xlsx"
)

// FuzzParse feeds arbitrary bytes to Parse as both formats: it must never panic, and any table it
// returns must respect the limits and the trimming contract.
func FuzzParse(f *testing.F) {
	f.Add(xlsxOf(f, map[string]any{"A1": "用户名", "B1": " 姓名 ", "A2": "zhangsan", "B2": "张三", "A4": 42}))
	f.Add(xlsxOf(f, map[string]any{"A1": "h"}, "second"))
	var tpl bytes.Buffer
	if err := xlsx.WriteTemplate(&tpl, testTemplate); err != nil {
		f.Fatal(err)
	}
	f.Add(tpl.Bytes())
	for _, s := range []string{
		"\xef\xbb\xbf用户名,姓名\r\nzhangsan,张三\r\n",
		"a,b\n\"x, y\",\"multi\nline\"\n,\n\n",
		" a , b \n 1 , 2 \n  ,  \n",
		"a\"b,\"c\nd",
		"",
		"\xff\xfe\x00a\x00,\x00b",
	} {
		f.Add([]byte(s))
	}
	gb, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte("用户名,姓名\n张三,李四\n"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(gb)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, format := range []string{"csv", "xlsx"} {
			tb, err := xlsx.Parse(format, data)
			if err != nil {
				if tb != nil {
					t.Fatalf("%s: table returned with error %v", format, err)
				}
				if _, ok := errors.AsType[*sheet.ErrFormat](err); !ok {
					t.Fatalf("%s: error %v is %T, want *sheet.ErrFormat", format, err, err)
				}
				continue
			}
			if len(tb.Header) > sheet.MaxColumns {
				t.Fatalf("%s: %d header columns > MaxColumns", format, len(tb.Header))
			}
			if len(tb.Rows) > sheet.MaxRows {
				t.Fatalf("%s: %d rows > MaxRows", format, len(tb.Rows))
			}
			for i, h := range tb.Header {
				if h != strings.TrimSpace(h) {
					t.Fatalf("%s: header cell %d %q not trimmed", format, i, h)
				}
			}
			for r, row := range tb.Rows {
				for c, cell := range row {
					if cell != strings.TrimSpace(cell) {
						t.Fatalf("%s: cell (%d,%d) %q not trimmed", format, r+2, c+1, cell)
					}
					if len(cell) > sheet.MaxCell {
						t.Fatalf("%s: cell (%d,%d) has %d bytes > MaxCell", format, r+2, c+1, len(cell))
					}
				}
			}
			if n := len(tb.Rows); n > 0 && strings.Join(tb.Rows[n-1], "") == "" {
				t.Fatalf("%s: trailing empty row %d kept", format, n+1)
			}
		}
	})
}
