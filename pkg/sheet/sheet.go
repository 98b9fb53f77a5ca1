// Package sheet holds the plain values of the simple tables used by bulk imports and downloads
// (a header row followed by data rows; import templates; workbooks offered for download) and the
// pure functions on them. It depends on the standard library only, so domain packages can use it
// freely; reading uploaded .xlsx/.csv files and writing .xlsx files is done by package
// sheet/xlsx.
package sheet

import (
	"encoding/csv"
	"io"
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

// Cell returns row's value in column index i, or "" when the row is shorter.
func Cell(row []string, i int) string {
	if i < 0 || i >= len(row) {
		return ""
	}
	return row[i]
}

// Template is a downloadable import template: header, example rows and notes per column.
// WriteCSV renders it as CSV; package sheet/xlsx renders it as a workbook; both write the same
// example rows.
type Template struct {
	Name    string
	Header  []string
	Example []string
	// MoreExamples are further example rows (e.g. one per question type), in column order.
	MoreExamples [][]string
	Notes        []string
}

// Examples returns every example row: Example, then MoreExamples.
func (t Template) Examples() [][]string { return append([][]string{t.Example}, t.MoreExamples...) }

// WriteCSV renders a template as UTF-8 CSV with a BOM (so Excel opens it correctly).
func (t Template) WriteCSV(w io.Writer) error {
	if _, err := w.Write([]byte("\xef\xbb\xbf")); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(t.Header); err != nil {
		return err
	}
	if err := cw.WriteAll(t.Examples()); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}
