// Package sheet reads and writes the simple tables used by bulk imports: a header row followed by
// data rows, from .xlsx (first worksheet) or .csv (UTF-8, with or without BOM, or GB18030 as saved
// by Chinese Excel).
package sheet

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
)

// Limits protect the server from hostile files.
const (
	MaxRows    = 50000
	MaxColumns = 64
	MaxCell    = 1024
)

// Table is a parsed sheet. Rows exclude the header; Rows[i] is spreadsheet row i+2.
type Table struct {
	Header []string
	Rows   [][]string
}

// ErrFormat is returned for a file that is not a readable table; the message is user-facing.
type ErrFormat struct{ Msg string }

func (e *ErrFormat) Error() string { return e.Msg }

// Parse reads a table in the given format ("xlsx" or "csv"). Cells are trimmed; fully empty rows
// are kept as empty so row numbers match what the user sees, and trailing empty rows are dropped.
func Parse(format string, content []byte) (*Table, error) {
	var rows [][]string
	var err error
	switch format {
	case "xlsx":
		rows, err = parseXLSX(content)
	case "csv":
		rows, err = parseCSV(content)
	default:
		return nil, &ErrFormat{Msg: "不支持的文件格式，仅支持 xlsx 或 csv"}
	}
	if err != nil {
		return nil, err
	}
	for len(rows) > 0 && emptyRow(rows[len(rows)-1]) {
		rows = rows[:len(rows)-1]
	}
	if len(rows) == 0 {
		return nil, &ErrFormat{Msg: "文件为空，缺少表头"}
	}
	if len(rows)-1 > MaxRows {
		return nil, &ErrFormat{Msg: fmt.Sprintf("数据行过多：最多 %d 行", MaxRows)}
	}
	t := &Table{Header: rows[0], Rows: rows[1:]}
	if len(t.Header) > MaxColumns {
		return nil, &ErrFormat{Msg: fmt.Sprintf("列数过多：最多 %d 列", MaxColumns)}
	}
	for i, h := range t.Header {
		t.Header[i] = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
	}
	for _, r := range t.Rows {
		for j, c := range r {
			if len(c) > MaxCell {
				return nil, &ErrFormat{Msg: fmt.Sprintf("单元格内容过长：最多 %d 字节", MaxCell)}
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
			rows, err = nil, &ErrFormat{Msg: "无法读取 xlsx 文件"}
		}
	}()
	f, err := excelize.OpenReader(bytes.NewReader(content), excelize.Options{
		UnzipSizeLimit:    200 << 20,
		UnzipXMLSizeLimit: 100 << 20,
	})
	if err != nil {
		return nil, &ErrFormat{Msg: "无法读取 xlsx 文件"}
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, &ErrFormat{Msg: "xlsx 文件中没有工作表"}
	}
	it, err := f.Rows(sheets[0])
	if err != nil {
		return nil, &ErrFormat{Msg: "无法读取 xlsx 工作表"}
	}
	defer it.Close()
	for it.Next() {
		if len(rows) > MaxRows+1 {
			return nil, &ErrFormat{Msg: fmt.Sprintf("数据行过多：最多 %d 行", MaxRows)}
		}
		cols, err := it.Columns()
		if err != nil {
			return nil, &ErrFormat{Msg: "无法读取 xlsx 工作表"}
		}
		if len(cols) > MaxColumns {
			cols = cols[:MaxColumns+1]
		}
		rows = append(rows, cols)
	}
	if it.Error() != nil {
		return nil, &ErrFormat{Msg: "无法读取 xlsx 工作表"}
	}
	return rows, nil
}

func parseCSV(content []byte) ([][]string, error) {
	content = bytes.TrimPrefix(content, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(content) {
		decoded, err := simplifiedchinese.GB18030.NewDecoder().Bytes(content)
		if err != nil {
			return nil, &ErrFormat{Msg: "CSV 文件编码无法识别，请保存为 UTF-8"}
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
				return nil, &ErrFormat{Msg: fmt.Sprintf("CSV 第 %d 行格式错误", pe.Line)}
			}
			return nil, &ErrFormat{Msg: "无法读取 CSV 文件"}
		}
		start, _ := r.FieldPos(0)
		for i := linesDone + 1; i < start; i++ {
			rows = append(rows, []string{})
		}
		end := r.InputOffset()
		linesDone += bytes.Count(content[offset:end], []byte("\n"))
		offset = end
		if len(rows) > MaxRows+1 {
			return nil, &ErrFormat{Msg: fmt.Sprintf("数据行过多：最多 %d 行", MaxRows)}
		}
		rows = append(rows, rec)
	}
	return rows, nil
}

// Cell returns row's value in column index i, or "" when the row is shorter.
func Cell(row []string, i int) string {
	if i < 0 || i >= len(row) {
		return ""
	}
	return row[i]
}

// Template is a downloadable import template: header, one example row and notes per column.
type Template struct {
	Name    string
	Header  []string
	Example []string
	Notes   []string
}

// WriteXLSX renders a template as a workbook: the data sheet with header and example row, and a
// second sheet "填写说明" explaining every column.
func (t Template) WriteXLSX(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	const data = "Sheet1"
	if err := f.SetSheetName(data, t.Name); err != nil {
		return err
	}
	if err := f.SetSheetRow(t.Name, "A1", &t.Header); err != nil {
		return err
	}
	if err := f.SetSheetRow(t.Name, "A2", &t.Example); err != nil {
		return err
	}
	// Text format for every column so IDs and phone numbers are not turned into numbers.
	style, err := f.NewStyle(&excelize.Style{NumFmt: 49})
	if err != nil {
		return err
	}
	last, _ := excelize.ColumnNumberToName(len(t.Header))
	if err := f.SetColStyle(t.Name, "A:"+last, style); err != nil {
		return err
	}
	if _, err := f.NewSheet("填写说明"); err != nil {
		return err
	}
	for i, h := range t.Header {
		row := []any{h, t.Notes[i]}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("填写说明", cell, &row); err != nil {
			return err
		}
	}
	return f.Write(w)
}

// WriteCSV renders a template as UTF-8 CSV with a BOM (so Excel opens it correctly).
func (t Template) WriteCSV(w io.Writer) error {
	if _, err := w.Write([]byte("\xef\xbb\xbf")); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(t.Header); err != nil {
		return err
	}
	if err := cw.Write(t.Example); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}
