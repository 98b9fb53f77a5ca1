package xlsx

import (
	"bytes"
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"

	"github.com/vanguard/vanguard/pkg/sheet"
)

// WriteTemplate renders an import template as a workbook: the data sheet with header and example
// row, and a second sheet "填写说明" explaining every column.
func WriteTemplate(w io.Writer, t sheet.Template) error {
	f := excelize.NewFile()
	defer f.Close()
	const data = "Sheet1"
	if err := f.SetSheetName(data, t.Name); err != nil {
		return err
	}
	if err := f.SetSheetRow(t.Name, "A1", &t.Header); err != nil {
		return err
	}
	for i, ex := range t.Examples() {
		if err := f.SetSheetRow(t.Name, fmt.Sprintf("A%d", i+2), &ex); err != nil {
			return err
		}
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

// Write renders the workbook as an .xlsx file. It refuses a workbook that b.Validate refuses
// (no sheets, or a cell of a type Sheet does not list), so nothing is silently written as text.
func Write(w io.Writer, b sheet.Workbook) error {
	if err := b.Validate(); err != nil {
		return err
	}
	f := excelize.NewFile()
	defer f.Close()
	for i, sh := range b.Sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", sh.Name); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(sh.Name); err != nil {
			return err
		}
		for r, row := range sh.Rows {
			cell, err := excelize.CoordinatesToCellName(1, r+1)
			if err != nil {
				return err
			}
			if err := f.SetSheetRow(sh.Name, cell, &row); err != nil {
				return err
			}
		}
	}
	return f.Write(w)
}

// Bytes returns the workbook rendered by Write.
func Bytes(b sheet.Workbook) ([]byte, error) {
	var buf bytes.Buffer
	if err := Write(&buf, b); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
