package main

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

// sample is `make bench` output captured on a 2-CPU machine (go test -bench . -benchmem).
const sample = `goos: linux
goarch: amd64
pkg: github.com/vanguard/vanguard/pkg/auth
cpu: AMD EPYC
BenchmarkVerify-2               	    8782	    123311 ns/op	    3536 B/op	      68 allocs/op
BenchmarkMiddleware-2           	    9986	    112421 ns/op	    3632 B/op	      70 allocs/op
BenchmarkMiddlewareBaseline-2   	16072052	        93.82 ns/op	      48 B/op	       1 allocs/op
BenchmarkMiddlewareRejected-2   	  305917	      4346 ns/op	    1520 B/op	      27 allocs/op
PASS
ok  	github.com/vanguard/vanguard/pkg/auth	5.065s
goos: linux
goarch: amd64
pkg: github.com/vanguard/vanguard/app/org/internal/data
cpu: AMD EPYC
BenchmarkSubtreeQuery/sqlite/general_branch-2         	    1370	    731625 ns/op	       100.0 orgs/op	       100.0 total/op	  112097 B/op	    2867 allocs/op
BenchmarkSubtreeQuery/sqlite/committee-2              	     169	   6706287 ns/op	      1000 orgs/op	      1001 total/op	 1027542 B/op	   26261 allocs/op
BenchmarkSubtreeQuery/sqlite/count-2                  	    1665	    629595 ns/op	     10000 orgs/op	    2416 B/op	      53 allocs/op
BenchmarkSubtreeQuery/postgres/general_branch-2       	    1255	    826243 ns/op	       100.0 orgs/op	       100.0 total/op	   99969 B/op	    2668 allocs/op
BenchmarkSubtreeQuery/postgres/committee-2            	     210	   7057017 ns/op	      1000 orgs/op	      1001 total/op	  900211 B/op	   24262 allocs/op
BenchmarkSubtreeQuery/postgres/count-2                	    1137	   1018220 ns/op	     10000 orgs/op	    2640 B/op	      54 allocs/op
BenchmarkImport10k/sqlite-2                           	       1	1473767250 ns/op	     10000 rows/op	      6785 rows/s	169857456 B/op	 1524619 allocs/op
BenchmarkImport10k/postgres-2                         	       2	1485177509 ns/op	     10000 rows/op	      6733 rows/s	244229188 B/op	 1937035 allocs/op
BenchmarkImportOrgs10k/sqlite-2                       	       2	 716602706 ns/op	     10000 rows/op	     13955 rows/s	64755768 B/op	  835544 allocs/op
BenchmarkImportOrgs10k/postgres-2                     	       1	1046560398 ns/op	     10000 rows/op	      9555 rows/s	80237896 B/op	  960908 allocs/op
PASS
ok  	github.com/vanguard/vanguard/app/org/internal/data	21.366s
`

// troubled is output with a benchmark that printed to stdout between its name and its figures,
// a -count 2 repeat, and a failing sub-benchmark.
const troubled = `noise from the code
goos: linux
goarch: amd64
pkg: bt
cpu: AMD EPYC
BenchmarkNoisy-2   	990721954	         1.076 ns/op	         3.000 things/op	       0 B/op	       0 allocs/op
BenchmarkNoisy-2   	noise from the code
1000000000	         1.124 ns/op	         3.000 things/op	       0 B/op	       0 allocs/op
--- FAIL: BenchmarkFail/sqlite
    x_test.go:7: import: boom
--- FAIL: BenchmarkFail
FAIL
exit status 1
FAIL	bt	2.210s
FAIL
`

func TestParseSample(t *testing.T) {
	rep, err := parse(strings.NewReader(sample), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 14 || len(rep.Failures) != 0 {
		t.Fatalf("got %d results, %d failures; want 14, 0", len(rep.Results), len(rep.Failures))
	}
	byName := map[string]*Result{}
	for _, r := range rep.Results {
		byName[r.Name] = r
	}
	v := byName["BenchmarkVerify-2"]
	if v == nil || v.Pkg != "github.com/vanguard/vanguard/pkg/auth" || v.Iterations != 8782 || v.NsPerOp != 123311 ||
		v.BytesPerOp != 3536 || v.AllocsOp != 68 || len(v.Metrics) != 0 {
		t.Fatalf("Verify = %+v", v)
	}
	c := byName["BenchmarkSubtreeQuery/sqlite/committee-2"]
	want := []Metric{{1000, "orgs/op"}, {1001, "total/op"}}
	if c == nil || c.Pkg != "github.com/vanguard/vanguard/app/org/internal/data" || len(c.Metrics) != 2 ||
		c.Metrics[0] != want[0] || c.Metrics[1] != want[1] || c.BytesPerOp != 1027542 {
		t.Fatalf("committee = %+v", c)
	}
	if r := byName["BenchmarkImport10k/postgres-2"]; r == nil || r.Iterations != 2 || r.Metrics[1] != (Metric{6733, "rows/s"}) {
		t.Fatalf("import = %+v", r)
	}
}

func TestRenderSample(t *testing.T) {
	rep, err := parse(strings.NewReader(sample), nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	render(&buf, rep)
	out := buf.String()
	for _, want := range []string{
		"goos: linux   goarch: amd64   cpu: AMD EPYC   GOMAXPROCS: 2",
		"github.com/vanguard/vanguard/pkg/auth\n",
		"  Verify ",
		"  SubtreeQuery/sqlite/committee ",
		"1,000 orgs/op, 1,001 total/op",
		"10,000 rows/op, 6,785 rows/s",
		"1.47 s",
		"6.71 ms",
		"93.8 ns",
		// 112421 − 93.82 = 112327.18; 112421 / 93.82 = 1198.3
		"auth middleware overhead = Middleware − MiddlewareBaseline = 112,327 ns/op = 112 µs per request (×1,198 of the baseline's 93.8 ns)",
		"SubtreeQuery/{sqlite,postgres}/committee: postgres 7.06 ms vs sqlite 6.71 ms (postgres ×1.05)",
		"ImportOrgs10k/{sqlite,postgres}: postgres 1.05 s vs sqlite 717 ms (postgres ×1.46)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "-2 ") || strings.Contains(out, "failures:") {
		t.Errorf("output keeps the GOMAXPROCS suffix or reports failures:\n%s", out)
	}
	// Every table row is aligned: the ns/op column of each benchmark row ends at the same rune.
	var ends []int
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "  ") || !strings.Contains(line, " ns") && !strings.Contains(line, " µs") &&
			!strings.Contains(line, " ms") && !strings.Contains(line, " s ") {
			continue
		}
		// Fields: name, iterations, time value, time unit, ns/op, …; find where the fifth ends.
		runes, field, end := []rune(line), 0, -1
		for i := range runes {
			if runes[i] != ' ' && (i+1 == len(runes) || runes[i+1] == ' ') {
				if field++; field == 5 {
					end = i
					break
				}
			}
		}
		ends = append(ends, end)
	}
	if len(ends) != 14 {
		t.Fatalf("found %d table rows, want 14:\n%s", len(ends), out)
	}
	for _, e := range ends[1:] {
		if e != ends[0] {
			t.Fatalf("ns/op column not aligned (%v):\n%s", ends, out)
		}
	}
}

func TestTroubledOutput(t *testing.T) {
	var echo bytes.Buffer
	rep, err := parse(strings.NewReader(troubled), &echo)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 1 {
		t.Fatalf("results = %+v", rep.Results)
	}
	r := rep.Results[0]
	if r.Runs != 2 || math.Abs(r.NsPerOp-1.1) > 1e-9 || r.Metrics[0] != (Metric{3, "things/op"}) {
		t.Fatalf("merged noisy result = %+v", r)
	}
	wantFail := []string{"--- FAIL: BenchmarkFail/sqlite", "  x_test.go:7: import: boom", "--- FAIL: BenchmarkFail", "FAIL", "FAIL\tbt\t2.210s", "FAIL"}
	if strings.Join(rep.Failures, "|") != strings.Join(wantFail, "|") {
		t.Fatalf("failures = %q, want %q", rep.Failures, wantFail)
	}
	if !strings.Contains(echo.String(), "import: boom") {
		t.Fatalf("progress echo lacks the failure: %q", echo.String())
	}
	var buf bytes.Buffer
	render(&buf, rep)
	if out := buf.String(); !strings.Contains(out, "Noisy") || !strings.Contains(out, "(mean of 2 runs)") ||
		!strings.Contains(out, "failures:\n  --- FAIL: BenchmarkFail/sqlite\n    x_test.go:7: import: boom") {
		t.Fatalf("render:\n%s", out)
	}
}

func TestEmptyInput(t *testing.T) {
	rep, err := parse(strings.NewReader("PASS\nok  \tx\t0.1s\n"), nil)
	if err != nil || len(rep.Results) != 0 {
		t.Fatalf("rep = %+v err %v", rep, err)
	}
	var buf bytes.Buffer
	render(&buf, rep)
	if !strings.Contains(buf.String(), "no benchmark results") {
		t.Fatalf("render = %q", buf.String())
	}
}

func TestFormat(t *testing.T) {
	for _, c := range []struct {
		got, want string
	}{
		{formatDuration(93.82), "93.8 ns"},
		{formatDuration(4346), "4.35 µs"},
		{formatDuration(123311), "123 µs"},
		{formatDuration(1473767250), "1.47 s"},
		{formatDuration(-2500), "-2.50 µs"},
		{formatDuration(math.NaN()), "-"},
		{formatNumber(1473767250), "1,473,767,250"},
		{formatNumber(100), "100"},
		{formatNumber(93.82), "93.8"},
		{formatNumber(-112327.18), "-112,327"},
		{formatNumber(math.NaN()), "-"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
