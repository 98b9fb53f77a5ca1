package sheet

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// MaxReportedErrors caps a row report so a broken 50,000-row file gives a readable answer.
const MaxReportedErrors = 1000

// RowError is one problem found in an import file. Row is the spreadsheet row number as the
// user sees it (the header is row 1); Column is the header name.
type RowError struct {
	Row    int    `json:"row"`
	Column string `json:"column"`
	Reason string `json:"reason"`
}

// ImportError is returned when an import file has invalid rows and nothing was written.
type ImportError struct {
	Errors []RowError
	// Total counts every problem found; Errors holds at most MaxReportedErrors of them.
	Total int
}

func (e *ImportError) Error() string { return fmt.Sprintf("import has %d invalid cells", e.Total) }

// Add records one problem; reason is a format string.
func (e *ImportError) Add(row int, column, reason string, args ...any) {
	e.Total++
	if len(e.Errors) < MaxReportedErrors {
		e.Errors = append(e.Errors, RowError{Row: row, Column: column, Reason: fmt.Sprintf(reason, args...)})
	}
}

// Message is the user-facing summary: nothing was imported, the first problem, and the count.
func (e *ImportError) Message() string {
	msg := "导入文件有错误，未导入任何数据"
	if len(e.Errors) > 0 {
		first := e.Errors[0]
		msg += fmt.Sprintf("：第%d行“%s”%s", first.Row, first.Column, first.Reason)
		if e.Total > 1 {
			msg += fmt.Sprintf("，共 %d 处错误", e.Total)
		}
	}
	return msg
}

// Metadata is the machine-readable report carried by the API error: "errors" holds
// {"errors":[{"row","column","reason"}…]} and "error_count" the total.
func (e *ImportError) Metadata() map[string]string {
	b, _ := json.Marshal(struct {
		Errors []RowError `json:"errors"`
	}{e.Errors})
	return map[string]string{"errors": string(b), "error_count": strconv.Itoa(e.Total)}
}
