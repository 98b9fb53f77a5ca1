package sheet

import "fmt"

// ContentTypeXLSX is the media type a downloaded .xlsx file is served with.
const ContentTypeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// Workbook is a spreadsheet a use case offers for download, as plain values: the file name it is
// offered under and its worksheets in order. Use cases build it; package sheet/xlsx renders it,
// so no domain package needs a spreadsheet library.
type Workbook struct {
	FileName string
	Sheets   []Sheet
}

// Sheet is one worksheet of a Workbook: its tab name and its rows from row 1 down, each starting
// in column A. A cell is a string, an integer or floating-point number, a bool, or nil for an
// empty cell; numbers and booleans are stored as such so the spreadsheet can compute with them.
type Sheet struct {
	Name string
	Rows [][]any
}

// Validate refuses a workbook without sheets and a cell of any type other than those Sheet
// lists, so that nothing is silently rendered as text. Renderers call it before writing.
func (b Workbook) Validate() error {
	if len(b.Sheets) == 0 {
		return fmt.Errorf("sheet: workbook %q has no sheets", b.FileName)
	}
	for _, sh := range b.Sheets {
		for r, row := range sh.Rows {
			for c, v := range row {
				if !plainCell(v) {
					return fmt.Errorf("sheet: %s row %d column %d: unsupported cell type %T", sh.Name, r+1, c+1, v)
				}
			}
		}
	}
	return nil
}

func plainCell(v any) bool {
	switch v.(type) {
	case nil, string, bool, float32, float64,
		int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return true
	}
	return false
}
