// Command benchtable reads `go test -bench` output on stdin and prints it as an aligned table:
// benchmark, iterations, time per op (ns and a readable unit), B/op, allocs/op and any custom
// metrics (b.ReportMetric), followed by derived figures:
//
//   - for every pair X / XBaseline in a package: "<pkg> x overhead = X − XBaseline ns/op (×ratio)",
//     e.g. the auth middleware's per-request cost of token verification;
//   - for every benchmark run on both databases (…/sqlite… and …/postgres…): the time ratio.
//
// It only reports figures; it never judges timings. `make bench` runs it:
//
//	go test -run '^$' -bench . -benchmem ./... | tee bin/bench.out | go run ./deploy/benchtable -progress
//
// With -progress the benchmark, ok and FAIL lines are echoed to stderr as they arrive, so a long
// run shows where it is. The exit status is 1 if the input has a failure or no benchmark result.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

func main() {
	progress := flag.Bool("progress", false, "echo benchmark, ok and FAIL lines to stderr as they arrive")
	flag.Parse()
	var echo io.Writer
	if *progress {
		echo = os.Stderr
	}
	rep, err := parse(os.Stdin, echo)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(2)
	}
	render(os.Stdout, rep)
	if len(rep.Failures) > 0 || len(rep.Results) == 0 {
		os.Exit(1)
	}
}

// Result is one benchmark line, or the mean of several lines with the same name (-count > 1).
type Result struct {
	Pkg        string
	Name       string // full name as printed, e.g. "BenchmarkVerify-8"
	Runs       int
	Iterations int64
	NsPerOp    float64
	BytesPerOp float64 // NaN without -benchmem
	AllocsOp   float64 // NaN without -benchmem
	Metrics    []Metric
}

// Metric is a custom (or MB/s) figure of a benchmark.
type Metric struct {
	Value float64
	Unit  string
}

// Report is everything read from the input.
type Report struct {
	Env      []string // goos, goarch, cpu lines
	Results  []*Result
	Failures []string // FAIL, --- FAIL and panic lines, with the log lines under them
	Skips    []string // --- SKIP lines, with the reasons under them
}

var procSuffix = regexp.MustCompile(`-[0-9]+$`)

// parse reads go test output. Lines that are not results are skipped, except failures, which are
// kept for the report. A result split from its name by output the benchmark printed is rejoined.
func parse(r io.Reader, echo io.Writer) (*Report, error) {
	rep := &Report{}
	byKey := map[string]*Result{}
	seenEnv := map[string]bool{}
	var pkg, pending string
	var detail *[]string // where indented lines after --- FAIL / --- SKIP go
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1024*1024), 16*1024*1024)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), " \t\r")
		trimmed := strings.TrimSpace(line)
		if strings.TrimLeft(line, " \t") == line {
			detail = nil // only indented lines continue a failure or skip
		}
		switch {
		case strings.HasPrefix(line, "pkg: "):
			pkg = strings.TrimSpace(strings.TrimPrefix(line, "pkg: "))
			continue
		case strings.HasPrefix(line, "goos: "), strings.HasPrefix(line, "goarch: "), strings.HasPrefix(line, "cpu: "):
			if !seenEnv[line] {
				seenEnv[line] = true
				rep.Env = append(rep.Env, line)
			}
			continue
		case strings.HasPrefix(trimmed, "FAIL"), strings.Contains(line, "--- FAIL:"), strings.HasPrefix(trimmed, "panic:"):
			// A failing benchmark prints "BenchmarkX-8   \t--- FAIL: BenchmarkX-8" on one line.
			if i := strings.Index(trimmed, "--- FAIL:"); i > 0 {
				trimmed = trimmed[i:]
			}
			rep.Failures = append(rep.Failures, trimmed)
			detail, pending = &rep.Failures, ""
			echoLine(echo, trimmed)
			continue
		case strings.Contains(line, "--- SKIP:"):
			trimmed = trimmed[strings.Index(trimmed, "--- SKIP:"):]
			rep.Skips = append(rep.Skips, trimmed)
			detail, pending = &rep.Skips, ""
			echoLine(echo, trimmed)
			continue
		case detail != nil && pending == "" && strings.TrimLeft(line, " \t") != line:
			// The indented log lines under a --- FAIL or --- SKIP say why.
			if _, ok := parseFields(strings.Fields(line)); !ok {
				*detail = append(*detail, "  "+trimmed)
				echoLine(echo, "  "+trimmed)
				continue
			}
		case strings.HasPrefix(line, "ok "):
			echoLine(echo, line)
			continue
		}
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		name := ""
		if strings.HasPrefix(fields[0], "Benchmark") {
			name, fields = fields[0], fields[1:]
		} else if pending != "" {
			name = pending
		} else {
			continue
		}
		res, ok := parseFields(fields)
		if !ok {
			// A name whose figures come on a later line (or a parent of sub-benchmarks).
			if fields0 := strings.Fields(line); strings.HasPrefix(fields0[0], "Benchmark") {
				pending = fields0[0]
			}
			continue
		}
		pending = ""
		echoLine(echo, line)
		res.Pkg, res.Name, res.Runs = pkg, name, 1
		key := pkg + "\x00" + name
		if prev := byKey[key]; prev != nil {
			merge(prev, res)
			continue
		}
		byKey[key] = res
		rep.Results = append(rep.Results, res)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return rep, nil
}

func echoLine(w io.Writer, line string) {
	if w != nil {
		fmt.Fprintln(w, line)
	}
}

// parseFields parses "N v1 unit1 v2 unit2 …"; it needs the iteration count and ns/op.
func parseFields(f []string) (*Result, bool) {
	if len(f) < 3 || len(f)%2 != 1 {
		return nil, false
	}
	n, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil || n <= 0 {
		return nil, false
	}
	res := &Result{Iterations: n, NsPerOp: math.NaN(), BytesPerOp: math.NaN(), AllocsOp: math.NaN()}
	for i := 1; i+1 < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return nil, false
		}
		switch unit := f[i+1]; unit {
		case "ns/op":
			res.NsPerOp = v
		case "B/op":
			res.BytesPerOp = v
		case "allocs/op":
			res.AllocsOp = v
		default:
			res.Metrics = append(res.Metrics, Metric{Value: v, Unit: unit})
		}
	}
	if math.IsNaN(res.NsPerOp) {
		return nil, false
	}
	return res, true
}

// merge folds r into the running mean acc.
func merge(acc, r *Result) {
	n := float64(acc.Runs)
	mean := func(a, b float64) float64 { return (a*n + b) / (n + 1) }
	acc.Iterations = int64(mean(float64(acc.Iterations), float64(r.Iterations)))
	acc.NsPerOp = mean(acc.NsPerOp, r.NsPerOp)
	acc.BytesPerOp = mean(acc.BytesPerOp, r.BytesPerOp)
	acc.AllocsOp = mean(acc.AllocsOp, r.AllocsOp)
	for _, m := range r.Metrics {
		found := false
		for i := range acc.Metrics {
			if acc.Metrics[i].Unit == m.Unit {
				acc.Metrics[i].Value = mean(acc.Metrics[i].Value, m.Value)
				found = true
			}
		}
		if !found {
			acc.Metrics = append(acc.Metrics, m)
		}
	}
	acc.Runs++
}

// shortNames maps full names to display names: without "Benchmark" and, when every result
// carries the same -GOMAXPROCS suffix, without it. It also returns that suffix's number.
func shortNames(results []*Result) (map[*Result]string, string) {
	suffix := ""
	for i, r := range results {
		s := procSuffix.FindString(r.Name)
		if i == 0 {
			suffix = s
		}
		if s != suffix {
			suffix = ""
			break
		}
	}
	out := make(map[*Result]string, len(results))
	for _, r := range results {
		out[r] = strings.TrimPrefix(strings.TrimSuffix(r.Name, suffix), "Benchmark")
	}
	return out, strings.TrimPrefix(suffix, "-")
}

func render(w io.Writer, rep *Report) {
	names, procs := shortNames(rep.Results)
	env := append([]string(nil), rep.Env...)
	if procs != "" {
		env = append(env, "GOMAXPROCS: "+procs)
	}
	if len(env) > 0 {
		fmt.Fprintln(w, strings.Join(env, "   "))
		fmt.Fprintln(w)
	}
	t := &table{header: []string{"benchmark", "iterations", "time/op", "ns/op", "B/op", "allocs/op", "metrics"}}
	pkg := "\x00"
	for _, r := range rep.Results {
		if r.Pkg != pkg {
			pkg = r.Pkg
			t.rows = append(t.rows, []string{pkgLabel(pkg)})
		}
		var metrics []string
		for _, m := range r.Metrics {
			metrics = append(metrics, formatNumber(m.Value)+" "+m.Unit)
		}
		if r.Runs > 1 {
			metrics = append(metrics, fmt.Sprintf("(mean of %d runs)", r.Runs))
		}
		t.rows = append(t.rows, []string{"  " + names[r], groupThousands(r.Iterations),
			formatDuration(r.NsPerOp), formatNumber(r.NsPerOp), formatNumber(r.BytesPerOp), formatNumber(r.AllocsOp),
			strings.Join(metrics, ", ")})
	}
	t.write(w)
	if derived := derive(rep.Results, names); len(derived) > 0 {
		fmt.Fprintln(w)
		for _, d := range derived {
			fmt.Fprintln(w, d)
		}
	}
	if len(rep.Failures) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "failures:")
		for _, f := range rep.Failures {
			fmt.Fprintln(w, "  "+f)
		}
	}
	if len(rep.Skips) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "skipped:")
		for _, f := range rep.Skips {
			fmt.Fprintln(w, "  "+f)
		}
	}
	if len(rep.Results) == 0 {
		fmt.Fprintln(w, "no benchmark results in the input")
	}
}

// table aligns cells by their width in runes: the first and last columns (names, metrics) to
// the left, the figures between them to the right. A row with one cell is a section heading
// and does not widen the first column.
type table struct {
	header []string
	rows   [][]string
}

func (t *table) write(w io.Writer) {
	width := make([]int, len(t.header))
	measure := func(row []string) {
		for i, c := range row {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	measure(t.header)
	for _, r := range t.rows {
		if len(r) > 1 {
			measure(r)
		}
	}
	line := func(row []string) {
		var b strings.Builder
		for i, c := range row {
			pad := strings.Repeat(" ", max(0, width[i]-utf8.RuneCountInString(c)))
			switch {
			case len(row) == 1 || i == len(t.header)-1:
				b.WriteString(c)
			case i == 0:
				b.WriteString(c + pad)
			default:
				b.WriteString(pad + c)
			}
			if i < len(row)-1 {
				b.WriteString("  ")
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	line(t.header)
	total := 0
	for _, n := range width {
		total += n + 2
	}
	fmt.Fprintln(w, strings.Repeat("─", total-2))
	for _, r := range t.rows {
		line(r)
	}
}

func pkgLabel(pkg string) string {
	if pkg == "" {
		return "(unknown package)"
	}
	return pkg
}

// derive computes the overhead of X over XBaseline and the PostgreSQL/SQLite time ratio.
func derive(results []*Result, names map[*Result]string) []string {
	var out []string
	byName := map[string]*Result{}
	for _, r := range results {
		byName[r.Pkg+"\x00"+names[r]] = r
	}
	for _, r := range results {
		base := byName[r.Pkg+"\x00"+names[r]+"Baseline"]
		if base == nil || strings.Contains(names[r], "/") {
			continue
		}
		label := strings.ToLower(names[r])
		if p := path.Base(r.Pkg); p != "." && p != "" {
			label = p + " " + label
		}
		diff := r.NsPerOp - base.NsPerOp
		ratio := "n/a"
		if base.NsPerOp > 0 {
			ratio = "×" + formatNumber(r.NsPerOp/base.NsPerOp)
		}
		out = append(out, fmt.Sprintf("%s overhead = %s − %s = %s ns/op = %s per request (%s of the baseline's %s)",
			label, names[r], names[base], formatNumber(diff), formatDuration(diff), ratio, formatDuration(base.NsPerOp)))
	}
	var dbLines []string
	for _, r := range results {
		name := names[r]
		if !hasSegment(name, "sqlite") {
			continue
		}
		pgName := replaceSegment(name, "sqlite", "postgres")
		pg := byName[r.Pkg+"\x00"+pgName]
		if pg == nil || r.NsPerOp <= 0 {
			continue
		}
		dbLines = append(dbLines, fmt.Sprintf("%s: postgres %s vs sqlite %s (postgres ×%s)",
			replaceSegment(name, "sqlite", "{sqlite,postgres}"), formatDuration(pg.NsPerOp), formatDuration(r.NsPerOp),
			formatNumber(pg.NsPerOp/r.NsPerOp)))
	}
	sort.Strings(dbLines)
	return append(out, dbLines...)
}

func hasSegment(name, seg string) bool {
	for _, s := range strings.Split(name, "/") {
		if s == seg {
			return true
		}
	}
	return false
}

func replaceSegment(name, seg, with string) string {
	parts := strings.Split(name, "/")
	for i, s := range parts {
		if s == seg {
			parts[i] = with
		}
	}
	return strings.Join(parts, "/")
}

// formatDuration prints ns as ns, µs, ms or s with three significant digits.
func formatDuration(ns float64) string {
	if math.IsNaN(ns) {
		return "-"
	}
	sign := ""
	if ns < 0 {
		sign, ns = "-", -ns
	}
	switch {
	case ns >= 1e9:
		return sign + sig3(ns/1e9) + " s"
	case ns >= 1e6:
		return sign + sig3(ns/1e6) + " ms"
	case ns >= 1e3:
		return sign + sig3(ns/1e3) + " µs"
	}
	return sign + sig3(ns) + " ns"
}

func sig3(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// formatNumber prints integers with thousands separators and fractions with up to three
// significant decimals; NaN (a figure the input did not have) is "-".
func formatNumber(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	if math.Abs(v) >= 1000 || v == math.Trunc(v) {
		return groupThousands(int64(math.Round(v)))
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

func groupThousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
