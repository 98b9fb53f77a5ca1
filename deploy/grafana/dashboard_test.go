// Package grafana_test checks the Grafana dashboard against what Vanguard really exports: every
// panel queries a data source, and every metric its PromQL names is a series a real standalone
// process (every module, its relays and queues) serves on /metrics. It also builds the
// dashboard's kustomization and checks the ConfigMap the Grafana sidecar loads.
package grafana_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-kratos/kratos/v2/log"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/vanguard/vanguard/app/standalone/standalone"
	"github.com/vanguard/vanguard/pkg/obs"
	"github.com/vanguard/vanguard/pkg/secret"
)

// dashboard is the part of Grafana's dashboard model the checks read.
type dashboard struct {
	UID           string  `json:"uid"`
	Title         string  `json:"title"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []struct {
			Name       string          `json:"name"`
			Type       string          `json:"type"`
			Query      json.RawMessage `json:"query"`
			Definition string          `json:"definition"`
			Datasource *datasource     `json:"datasource"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID         int         `json:"id"`
	Type       string      `json:"type"`
	Title      string      `json:"title"`
	Datasource *datasource `json:"datasource"`
	Targets    []struct {
		RefID      string      `json:"refId"`
		Expr       string      `json:"expr"`
		Datasource *datasource `json:"datasource"`
	} `json:"targets"`
}

type datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

func loadDashboard(t *testing.T) (dashboard, []byte) {
	t.Helper()
	raw, err := os.ReadFile("vanguard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("vanguard.json: %v", err)
	}
	return d, raw
}

// The PromQL vocabulary that is not a metric name: functions, aggregation operators and the
// keywords between them. A name followed by "(" that is none of these is a misspelt function.
var (
	promFunctions = set("abs", "absent", "absent_over_time", "acos", "acosh", "asin", "asinh", "atan", "atanh", "avg_over_time",
		"ceil", "changes", "clamp", "clamp_max", "clamp_min", "cos", "cosh", "count_over_time", "day_of_month", "day_of_week",
		"day_of_year", "days_in_month", "deg", "delta", "deriv", "double_exponential_smoothing", "exp", "floor", "histogram_avg",
		"histogram_count", "histogram_fraction", "histogram_quantile", "histogram_stddev", "histogram_stdvar", "histogram_sum",
		"holt_winters", "hour", "idelta", "increase", "irate", "label_join", "label_replace", "last_over_time", "ln", "log10",
		"log2", "mad_over_time", "max_over_time", "min_over_time", "minute", "month", "pi", "predict_linear",
		"present_over_time", "quantile_over_time", "rad", "rate", "resets", "round", "scalar", "sgn", "sin", "sinh", "sort",
		"sort_by_label", "sort_by_label_desc", "sort_desc", "sqrt", "stddev_over_time", "stdvar_over_time", "sum_over_time",
		"tan", "tanh", "time", "timestamp", "vector", "year")
	promAggregations = set("sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk",
		"quantile", "limitk", "limit_ratio")
	// promLabelLists are followed by a parenthesised list of label names.
	promLabelLists = set("by", "without", "on", "ignoring", "group_left", "group_right")
	promKeywords   = set("bool", "and", "or", "unless", "offset", "atan2", "inf", "nan")
)

func set(words ...string) map[string]bool {
	m := map[string]bool{}
	for _, w := range words {
		m[w] = true
	}
	return m
}

func isIdentStart(c byte) bool {
	return c == '_' || c == ':' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdent(c byte) bool { return isIdentStart(c) || (c >= '0' && c <= '9') }

// skipTo returns the index just past the first close at or after i (the end if none).
func skipTo(s string, i int, close byte) int {
	for i < len(s) {
		switch s[i] {
		case '"', '\'', '`':
			i = skipString(s, i)
			continue
		case close:
			return i + 1
		}
		i++
	}
	return i
}

// skipString returns the index just past the string literal starting at i.
func skipString(s string, i int) int {
	q := s[i]
	for i++; i < len(s); i++ {
		if s[i] == '\\' && q != '`' {
			i++
			continue
		}
		if s[i] == q {
			return i + 1
		}
	}
	return i
}

// metricNames returns the metric names a PromQL expression (with Grafana's $variables) selects,
// in order; an unknown function is an error. Label matchers ({…}), ranges ([…]), label lists
// (by (…), on (…) …), strings, numbers, durations and variables are skipped.
func metricNames(expr string) ([]string, error) {
	var names []string
	s := expr
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\'' || c == '`':
			i = skipString(s, i)
		case c == '{':
			i = skipTo(s, i+1, '}')
		case c == '[':
			i = skipTo(s, i+1, ']')
		case c == '$': // $service, $__rate_interval, ${datasource}
			i++
			if i < len(s) && s[i] == '{' {
				i = skipTo(s, i+1, '}')
				continue
			}
			for i < len(s) && isIdent(s[i]) {
				i++
			}
		case (c >= '0' && c <= '9') || (c == '.' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9'):
			for i < len(s) && (isIdent(s[i]) || s[i] == '.' || ((s[i] == '+' || s[i] == '-') && (s[i-1] == 'e' || s[i-1] == 'E'))) {
				i++
			}
		case isIdentStart(c):
			j := i
			for j < len(s) && isIdent(s[j]) {
				j++
			}
			word := s[i:j]
			k := j
			for k < len(s) && (s[k] == ' ' || s[k] == '\t' || s[k] == '\n') {
				k++
			}
			call := k < len(s) && s[k] == '('
			lower := strings.ToLower(word)
			switch {
			case promLabelLists[lower]:
				if call {
					j = skipTo(s, k+1, ')')
				}
			case promAggregations[lower], promKeywords[lower]:
			case call && promFunctions[word]:
			case call:
				return nil, fmt.Errorf("unknown PromQL function %q in %s", word, expr)
			default:
				names = append(names, word)
			}
			i = j
		default:
			i++
		}
	}
	return names, nil
}

// The extractor on the shapes the dashboard uses, and on the mistakes it must catch.
func TestMetricNames(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want []string
		err  bool
	}{
		{`sum by (job, operation) (rate(vanguard_requests_total{job=~"$service", code=~"5.."}[$__rate_interval]))`, []string{"vanguard_requests_total"}, false},
		{`histogram_quantile(0.95, sum by (le) (rate(vanguard_grading_lag_seconds_bucket{job=~"$service"}[5m])))`, []string{"vanguard_grading_lag_seconds_bucket"}, false},
		{`(a_total or b_total * 0) / on (job) group_left (instance) c_seconds offset 1h > bool 1e3`, []string{"a_total", "b_total", "c_seconds"}, false},
		{`max without(pod)(up) + 0.5 + 2.5e-3 + sum_over_time(x:rate5m[1h:1m])`, []string{"up", "x:rate5m"}, false},
		{`label_replace(m{a="}{"}, "b", "$1", "a", "(.*)")`, []string{"m"}, false},
		{`rat(vanguard_requests_total[5m])`, nil, true},
	} {
		got, err := metricNames(tc.expr)
		if (err != nil) != tc.err || !slices.Equal(got, tc.want) {
			t.Errorf("metricNames(%s) = %v, %v; want %v (error %v)", tc.expr, got, err, tc.want, tc.err)
		}
	}
}

// exportedSeries builds a real standalone process (every module on SQLite, the embedded Redis),
// sends one request through its middleware, scrapes its /metrics and returns every series name
// it exports: each family's name, and a histogram's _bucket, _sum and _count, a summary's _sum
// and _count.
func exportedSeries(t *testing.T) map[string]bool {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p, err := standalone.Build(context.Background(), standalone.Config{
		HTTPAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0", DataDir: t.TempDir(), AdminPassword: "Admin-pass-2026",
		Argon2: secret.Argon2Params{MemoryKiB: 256, Iterations: 1, Parallelism: 1}, MetricsListener: lis,
	}, log.NewFilter(obs.NewLogger(io.Discard, "test")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	go func() { _ = p.Metrics.Start(context.Background()) }()
	t.Cleanup(func() { _ = p.Metrics.Stop(context.Background()) })
	api := httptest.NewServer(p.HTTP)
	defer api.Close()
	res, err := http.Post(api.URL+"/v1/auth/login", "application/json", strings.NewReader(`{"username":"admin","password":"Admin-pass-2026"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("login = %d", res.StatusCode)
	}
	res, err = http.Get("http://" + lis.Addr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics = %d", res.StatusCode)
	}
	series := map[string]bool{}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 4 || f[0] != "#" || f[1] != "TYPE" {
			continue
		}
		name := f[2]
		series[name] = true
		switch f[3] {
		case "histogram":
			series[name+"_bucket"], series[name+"_sum"], series[name+"_count"] = true, true, true
		case "summary":
			series[name+"_sum"], series[name+"_count"] = true, true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return series
}

// unknownMetrics lists, per panel, each metric name the dashboard queries that exported lacks
// (the templating queries included), and each expression that does not parse.
func unknownMetrics(d dashboard, exported map[string]bool) []string {
	var bad []string
	check := func(where, expr string) {
		names, err := metricNames(expr)
		if err != nil {
			bad = append(bad, where+": "+err.Error())
		}
		for _, n := range names {
			if !exported[n] {
				bad = append(bad, fmt.Sprintf("%s: %s is not a metric Vanguard exports", where, n))
			}
		}
	}
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			check(fmt.Sprintf("panel %d %q target %s", p.ID, p.Title, tg.RefID), tg.Expr)
		}
	}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		// label_values(metric, label): the metric is the first argument.
		def := strings.TrimSpace(v.Definition)
		if inner, ok := strings.CutPrefix(def, "label_values("); ok {
			check("variable "+v.Name, strings.TrimSpace(strings.SplitN(inner, ",", 2)[0]))
		} else {
			check("variable "+v.Name, def)
		}
	}
	return bad
}

// The dashboard: a current schema, a service variable from Vanguard's request metric, every
// panel on the chosen Prometheus data source with at least one query, and every metric its
// queries name exported by a real Vanguard process. A misspelt metric name fails the check.
func TestDashboardQueriesExportedMetrics(t *testing.T) {
	d, _ := loadDashboard(t)
	if d.SchemaVersion < 39 || d.UID == "" || d.Title == "" {
		t.Fatalf("dashboard schemaVersion %d uid %q title %q: want schemaVersion >= 39, a uid and a title", d.SchemaVersion, d.UID, d.Title)
	}
	vars := map[string]string{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v.Type + " " + v.Definition
	}
	if vars["datasource"] != "datasource " || vars["service"] != "query label_values(vanguard_requests_total, job)" {
		t.Fatalf("template variables = %q, want a Prometheus datasource variable and service from label_values(vanguard_requests_total, job)", vars)
	}
	if len(d.Panels) == 0 {
		t.Fatal("no panels")
	}
	titles := map[string]bool{}
	for _, p := range d.Panels {
		if titles[p.Title] {
			t.Errorf("two panels are titled %q", p.Title)
		}
		titles[p.Title] = true
		if p.Datasource == nil || p.Datasource.Type != "prometheus" || p.Datasource.UID != "${datasource}" {
			t.Errorf("panel %d %q: datasource %+v, want prometheus ${datasource}", p.ID, p.Title, p.Datasource)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %d %q has no query", p.ID, p.Title)
		}
		for _, tg := range p.Targets {
			if strings.TrimSpace(tg.Expr) == "" || tg.RefID == "" || (tg.Datasource != nil && *tg.Datasource != *p.Datasource) {
				t.Errorf("panel %d %q: target %+v needs an expression, a refId and the panel's datasource", p.ID, p.Title, tg)
			}
			if !strings.Contains(tg.Expr, `job=~"$service"`) {
				t.Errorf("panel %d %q: %s ignores the service variable", p.ID, p.Title, tg.Expr)
			}
		}
	}

	exported := exportedSeries(t)
	// The new families this dashboard exists for, so a scrape missing them fails here too.
	for _, name := range []string{"vanguard_requests_total", "vanguard_request_duration_seconds_bucket", "asynq_queue_size",
		"asynq_queue_latency_seconds", "vanguard_grading_lag_seconds_bucket", "vanguard_heartbeat_refusals_total",
		"vanguard_heartbeats_total", "vanguard_outbox_relay_lag_seconds_bucket", "vanguard_outbox_pending",
		"vanguard_outbox_oldest_pending_seconds", "process_cpu_seconds_total", "process_resident_memory_bytes"} {
		if !exported[name] {
			t.Errorf("the standalone process does not export %s", name)
		}
	}
	for _, problem := range unknownMetrics(d, exported) {
		t.Error(problem)
	}

	// The check itself: the same dashboard with one metric misspelt is refused.
	misspelt := d
	misspelt.Panels = slices.Clone(d.Panels)
	p := misspelt.Panels[0]
	p.Targets = slices.Clone(p.Targets)
	p.Targets[0].Expr = strings.Replace(p.Targets[0].Expr, "vanguard_requests_total", "vanguard_request_total", 1)
	misspelt.Panels[0] = p
	if bad := unknownMetrics(misspelt, exported); len(bad) != 1 || !strings.Contains(bad[0], "vanguard_request_total") {
		t.Fatalf("a misspelt metric gives %q, want exactly it reported", bad)
	}
}

// The kustomization renders one ConfigMap, labelled for the Grafana sidecar, holding the
// dashboard file unchanged; listed in the production overlay's resources, as the
// kustomization's comment suggests, it builds and lands in Vanguard's namespace.
func TestDashboardConfigMap(t *testing.T) {
	_, raw := loadDashboard(t)
	build := func(fs filesys.FileSystem, dir string) map[string]*corev1.ConfigMap {
		t.Helper()
		res, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fs, dir)
		if err != nil {
			t.Fatalf("kustomize build %s: %v", dir, err)
		}
		out := map[string]*corev1.ConfigMap{}
		for _, r := range res.Resources() {
			if r.GetKind() != "ConfigMap" {
				continue
			}
			y, err := r.AsYAML()
			if err != nil {
				t.Fatal(err)
			}
			var cm corev1.ConfigMap
			if err := yaml.UnmarshalStrict(y, &cm); err != nil {
				t.Fatalf("ConfigMap %s: %v", r.GetName(), err)
			}
			out[cm.Name] = &cm
		}
		return out
	}
	cms := build(filesys.MakeFsOnDisk(), ".")
	cm := cms["vanguard-grafana-dashboard"]
	if len(cms) != 1 || cm == nil {
		t.Fatalf("deploy/grafana renders %d ConfigMaps (%v), want vanguard-grafana-dashboard", len(cms), cms)
	}
	if cm.Labels["grafana_dashboard"] != "1" || cm.Data["vanguard.json"] != string(raw) || len(cm.Data) != 1 {
		t.Fatalf("ConfigMap labels %v, data keys %d, dashboard intact %v", cm.Labels, len(cm.Data), cm.Data["vanguard.json"] == string(raw))
	}

	// The production overlay with "- ../../../grafana" added to its resources, in memory (the
	// overlay on disk stays as it is).
	mem := filesys.MakeFsInMemory()
	for root, name := range map[string]string{"../kubernetes": "kubernetes", ".": "grafana"} {
		err := filepath.WalkDir(root, func(path string, e os.DirEntry, err error) error {
			if err != nil || e.IsDir() || (!strings.HasSuffix(path, ".yaml") && !strings.HasSuffix(path, ".json")) {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(root, path)
			if err != nil {
				return err
			}
			dst := "/deploy/" + name + "/" + filepath.ToSlash(rel)
			if err := mem.MkdirAll(filepath.Dir(dst)); err != nil {
				return err
			}
			return mem.WriteFile(dst, data)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	const overlay = "/deploy/kubernetes/overlays/production/kustomization.yaml"
	k, err := mem.ReadFile(overlay)
	if err != nil {
		t.Fatal(err)
	}
	withDashboard := strings.Replace(string(k), "  - ../../base\n", "  - ../../base\n  - ../../../grafana\n", 1)
	if withDashboard == string(k) {
		t.Fatalf("the production overlay lists no \"  - ../../base\" resource to add the dashboard after:\n%s", k)
	}
	if err := mem.WriteFile(overlay, []byte(withDashboard)); err != nil {
		t.Fatal(err)
	}
	composed := build(mem, "/deploy/kubernetes/overlays/production")
	if c := composed["vanguard-grafana-dashboard"]; c == nil || c.Namespace != "vanguard" || c.Labels["grafana_dashboard"] != "1" || c.Data["vanguard.json"] != string(raw) {
		t.Fatalf("the dashboard through the production overlay: %+v", c)
	}
	if len(composed) < 2 {
		t.Fatalf("the overlay with the dashboard renders ConfigMaps %v: its own are lost", slices.Collect(maps.Keys(composed)))
	}
}
