package sheet

import "strings"

// Column describes one column of an import template: its header (Chinese, as users see it),
// accepted aliases (e.g. the English key), whether it must be present, and the example value and
// note shown in the downloadable template.
type Column struct {
	Key      string
	Header   string
	Aliases  []string
	Required bool
	Example  string
	Note     string
}

// Columns maps column keys to their positions in one file's header row.
type Columns struct {
	pos     map[string]int
	headers map[string]string
}

// Resolve finds each column in a header row (case-insensitively, by header, key or alias) and
// returns the headers of required columns that are missing.
func Resolve(header []string, cols []Column) (Columns, []string) {
	c := Columns{pos: map[string]int{}, headers: map[string]string{}}
	seen := map[string]int{}
	for i, h := range header {
		seen[strings.ToLower(strings.TrimSpace(h))] = i
	}
	var missing []string
	for _, col := range cols {
		c.headers[col.Key] = col.Header
		c.pos[col.Key] = -1
		for _, name := range append([]string{col.Header, col.Key}, col.Aliases...) {
			if i, ok := seen[strings.ToLower(name)]; ok {
				c.pos[col.Key] = i
				break
			}
		}
		if c.pos[col.Key] < 0 && col.Required {
			missing = append(missing, col.Header)
		}
	}
	return c, missing
}

// Get returns row's cell in the column with key ("" when absent or short).
func (c Columns) Get(row []string, key string) string {
	i, ok := c.pos[key]
	if !ok {
		return ""
	}
	return Cell(row, i)
}

// Header returns the display header of the column with key.
func (c Columns) Header(key string) string { return c.headers[key] }

// TemplateOf builds the downloadable template for cols.
func TemplateOf(name string, cols []Column) Template {
	t := Template{Name: name}
	for _, c := range cols {
		note := "选填。" + c.Note
		if c.Required {
			note = "必填。" + c.Note
		}
		t.Header = append(t.Header, c.Header)
		t.Example = append(t.Example, c.Example)
		t.Notes = append(t.Notes, note)
	}
	return t
}

// ExampleRow returns an example row in the order of cols, from values by column key (missing
// keys are empty), for Template.MoreExamples.
func ExampleRow(cols []Column, values map[string]string) []string {
	row := make([]string, len(cols))
	for i, c := range cols {
		row[i] = values[c.Key]
	}
	return row
}
