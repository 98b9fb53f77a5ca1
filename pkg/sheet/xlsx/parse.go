// Package xlsx reads and writes the files behind package sheet's plain values with a spreadsheet
// library, so that domain packages never depend on one: Parse reads an uploaded table from .xlsx
// (first worksheet) or .csv (UTF-8, with or without BOM, or GB18030 as saved by Chinese Excel),
// WriteTemplate renders an import template as a workbook, and Write and Bytes render a
// sheet.Workbook offered for download.
package xlsx

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/vanguard/vanguard/pkg/sheet"
)

// Parse reads a table in the given format ("xlsx" or "csv"). Cells are trimmed; fully empty rows
// are kept as empty so row numbers match what the user sees, and trailing empty rows are dropped.
// A file that is not a readable table, or exceeds sheet's limits, is a *sheet.ErrFormat.
func Parse(format string, content []byte) (*sheet.Table, error) {
	var rows [][]string
	var err error
	switch format {
	case "xlsx":
		rows, err = parseXLSX(content)
	case "csv":
		rows, err = parseCSV(content)
	default:
		return nil, &sheet.ErrFormat{Msg: "不支持的文件格式，仅支持 xlsx 或 csv"}
	}
	if err != nil {
		return nil, err
	}
	for len(rows) > 0 && emptyRow(rows[len(rows)-1]) {
		rows = rows[:len(rows)-1]
	}
	if len(rows) == 0 {
		return nil, &sheet.ErrFormat{Msg: "文件为空，缺少表头"}
	}
	if len(rows)-1 > sheet.MaxRows {
		return nil, &sheet.ErrFormat{Msg: fmt.Sprintf("数据行过多：最多 %d 行", sheet.MaxRows)}
	}
	t := &sheet.Table{Header: rows[0], Rows: rows[1:]}
	if len(t.Header) > sheet.MaxColumns {
		return nil, &sheet.ErrFormat{Msg: fmt.Sprintf("列数过多：最多 %d 列", sheet.MaxColumns)}
	}
	for i, h := range t.Header {
		t.Header[i] = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
	}
	for _, r := range t.Rows {
		for j, c := range r {
			if len(c) > sheet.MaxCell {
				return nil, &sheet.ErrFormat{Msg: fmt.Sprintf("单元格内容过长：最多 %d 字节", sheet.MaxCell)}
			}
			r[j] = strings.TrimSpace(c)
		}
	}
	return t, nil
}

func emptyRow(r []string) bool {
	for _, c := range r {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func parseXLSX(content []byte) (rows [][]string, err error) {
	defer func() {
		// excelize has panicked on malformed archives in the past; a bad upload must never take
		// the server down.
		if r := recover(); r != nil {
			rows, err = nil, &sheet.ErrFormat{Msg: "无法读取 xlsx 文件"}
		}
	}()
	f, err := excelize.OpenReader(bytes.NewReader(content), excelize.Options{
		UnzipSizeLimit:    200 << 20,
		UnzipXMLSizeLimit: 100 << 20,
	})
	if err != nil {
		return nil, &sheet.ErrFormat{Msg: "无法读取 xlsx 文件"}
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, &sheet.ErrFormat{Msg: "xlsx 文件中没有工作表"}
	}
	it, err := f.Rows(sheets[0])
	if err != nil {
		return nil, &sheet.ErrFormat{Msg: "无法读取 xlsx 工作表"}
	}
	defer it.Close()
	for it.Next() {
		if len(rows) > sheet.MaxRows+1 {
			return nil, &sheet.ErrFormat{Msg: fmt.Sprintf("数据行过多：最多 %d 行", sheet.MaxRows)}
		}
		cols, err := it.Columns()
		if err != nil {
			return nil, &sheet.ErrFormat{Msg: "无法读取 xlsx 工作表"}
		}
		if len(cols) > sheet.MaxColumns {
			cols = cols[:sheet.MaxColumns+1]
		}
		rows = append(rows, cols)
	}
	if it.Error() != nil {
		return nil, &sheet.ErrFormat{Msg: "无法读取 xlsx 工作表"}
	}
	return rows, nil
}

func parseCSV(content []byte) ([][]string, error) {
	content = bytes.TrimPrefix(content, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(content) {
		decoded, err := simplifiedchinese.GB18030.NewDecoder().Bytes(content)
		if err != nil {
			return nil, &sheet.ErrFormat{Msg: "CSV 文件编码无法识别，请保存为 UTF-8"}
		}
		content = decoded
	}
	r := csv.NewReader(bytes.NewReader(content))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	var rows [][]string
	// encoding/csv skips blank lines; a blank line is still a row to the user, so count the lines
	// between records and keep an empty row for each to keep row numbers right.
	linesDone, offset := 0, int64(0)
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, &sheet.ErrFormat{Msg: fmt.Sprintf("CSV 第 %d 行格式错误", pe.Line)}
			}
			return nil, &sheet.ErrFormat{Msg: "无法读取 CSV 文件"}
		}
		start, _ := r.FieldPos(0)
		for i := linesDone + 1; i < start; i++ {
			rows = append(rows, []string{})
		}
		end := r.InputOffset()
		linesDone += bytes.Count(content[offset:end], []byte("\n"))
		offset = end
		if len(rows) > sheet.MaxRows+1 {
			return nil, &sheet.ErrFormat{Msg: fmt.Sprintf("数据行过多：最多 %d 行", sheet.MaxRows)}
		}
		rows = append(rows, rec)
	}
	return rows, nil
}
