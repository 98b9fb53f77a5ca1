package standalone

import (
	"bufio"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// scrape reads the process's /metrics (text format) as series → value, the series written as
// the exposition writes it (`name{label="v",...}`), and each family's type by name.
func (l *live) scrape(url string) (map[string]float64, map[string]string) {
	l.t.Helper()
	status, body := l.rawRequest("GET", url, nil, nil)
	if status != 200 {
		l.t.Fatalf("GET %s = %d %.200s", url, status, body)
	}
	values, types := map[string]float64{}, map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if f := strings.Fields(line); len(f) == 4 && f[0] == "#" && f[1] == "TYPE" {
			types[f[2]] = f[3]
			continue
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			l.t.Fatalf("unparsable sample %q", line)
		}
		values[line[:i]] = v
	}
	return values, types
}

// After a member studies (one heartbeat credited, two refused for different reasons) and takes an
// exam the worker grades, the process's /metrics exports the grading lag, the heartbeats and
// refusals by reason, every producer's relay lag and backlog, and the queues' depth.
func TestMetricsAfterStudyAndGrading(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := startLiveConfig(t, true, func(c *Config) { c.MetricsListener = lis })
	metricsURL := "http://" + lis.Addr().String() + "/metrics"
	w := newStudyWorld(t, l)

	// Before anything: every family is there, at 0.
	before, types := l.scrape(metricsURL)
	for name, typ := range map[string]string{
		"vanguard_grading_lag_seconds": "histogram", "vanguard_heartbeats_total": "counter", "vanguard_heartbeat_refusals_total": "counter",
		"vanguard_outbox_relay_lag_seconds": "histogram", "vanguard_outbox_pending": "gauge", "vanguard_outbox_oldest_pending_seconds": "gauge",
		"asynq_queue_size": "gauge", "asynq_queue_latency_seconds": "gauge",
	} {
		if types[name] != typ {
			t.Errorf("/metrics: %s is %q, want a %s", name, types[name], typ)
		}
	}
	for _, producer := range []string{"org", "course", "quiz", "studyhour"} {
		for _, series := range []string{`vanguard_outbox_relay_lag_seconds_count{producer="` + producer + `"}`, `vanguard_outbox_pending{producer="` + producer + `"}`} {
			if _, ok := before[series]; !ok {
				t.Errorf("/metrics lacks %s", series)
			}
		}
	}
	if v, ok := before[`vanguard_grading_lag_seconds_count`]; !ok || v != 0 {
		t.Fatalf("grading lag count before any exam = %v (present %v)", v, ok)
	}
	if t.Failed() {
		t.FailNow()
	}

	// Study: one credited heartbeat, a seek (too_fast) and a hidden page.
	tok, _ := w.mkUser(w.orgA, "metricsmember", "MEMBER")
	p := w.open(tok, w.video)
	for _, b := range []struct {
		position float64
		visible  bool
		want     string
	}{{30, true, ""}, {595, true, "too_fast"}, {600, false, "hidden"}} {
		l.clock.Advance(30 * time.Second)
		if _, why := p.beat(b.position, 1, b.visible); why != b.want {
			t.Fatalf("heartbeat at %v: refusal %q, want %q", b.position, why, b.want)
		}
	}

	// An exam: the member submits, the worker grades, quiz's relay hands attempt.graded over.
	trainer, _ := w.mkUser(w.orgA, "metricstrainer", "TRAINER")
	bank := l.must(l.call("POST", "/v1/banks", trainer, map[string]any{"name": "党章题库"}), 200).s("id")
	q := l.must(l.call("POST", "/v1/banks/"+bank+"/questions", trainer, map[string]any{"bankId": bank, "type": "TRUE_FALSE", "defaultPoints": 2,
		"stemHtml": "党的最高领导机关是党的全国代表大会和它所产生的中央委员会。", "answerKeys": []string{"true"}}), 200).s("id")
	paper := l.must(l.call("POST", "/v1/papers", trainer, map[string]any{"title": "试卷", "items": []map[string]any{{"questionId": q}}}), 200).s("id")
	now := l.clock.Now()
	exam := l.must(l.call("POST", "/v1/exams", trainer, map[string]any{
		"paperId": paper, "title": "党章知识测试", "opensAt": now.Add(-time.Minute).Format(time.RFC3339), "closesAt": now.Add(time.Hour).Format(time.RFC3339),
		"durationMinutes": 30, "attemptsAllowed": 1, "resultsPolicy": "IMMEDIATE", "passMark": 1, "targetOrgIds": []string{w.orgA},
	}), 200).s("id")
	att := l.must(l.call("POST", "/v1/exams/"+exam+"/attempts", tok, map[string]any{}), 200).s("id")
	l.must(l.call("PUT", "/v1/attempts/"+att+"/answers/1", tok, map[string]any{"value": map[string]any{"choices": []string{"true"}}, "version": 1}), 200)
	l.must(l.call("POST", "/v1/attempts/"+att+":submit", tok, map[string]any{}), 200)
	waitStatus(t, l, trainer, exam, "graded")

	var after map[string]float64
	deadline := time.Now().Add(10 * time.Second)
	for {
		after, _ = l.scrape(metricsURL)
		// attempt.graded goes to two subscribers (studyhour, growth): two deliveries.
		if after[`vanguard_outbox_relay_lag_seconds_count{producer="quiz"}`] >= 2 && after[`vanguard_outbox_pending{producer="quiz"}`] == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("quiz's relay never handed attempt.graded over: lag count %v, pending %v",
				after[`vanguard_outbox_relay_lag_seconds_count{producer="quiz"}`], after[`vanguard_outbox_pending{producer="quiz"}`])
		}
		time.Sleep(50 * time.Millisecond)
	}
	for series, want := range map[string]float64{
		`vanguard_grading_lag_seconds_count`:                      1,
		`vanguard_heartbeats_total{result="credited"}`:            1,
		`vanguard_heartbeats_total{result="refused"}`:             2,
		`vanguard_heartbeats_total{result="failed"}`:              0,
		`vanguard_heartbeat_refusals_total{reason="too_fast"}`:    1,
		`vanguard_heartbeat_refusals_total{reason="hidden"}`:      1,
		`vanguard_heartbeat_refusals_total{reason="parallel"}`:    0,
		`vanguard_outbox_oldest_pending_seconds{producer="quiz"}`: 0,
	} {
		if got, ok := after[series]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", series, got, ok, want)
		}
	}
	// The lag is measured on the process's clock, which the test holds still while grading.
	if sum := after[`vanguard_grading_lag_seconds_sum`]; sum < 0 || sum > 1 {
		t.Errorf("grading lag sum = %v s on a clock held still", sum)
	}
	// Course's events (the course published, assigned) went through its own relay.
	if after[`vanguard_outbox_relay_lag_seconds_count{producer="course"}`] < 1 {
		t.Errorf("course's relay lag count = %v, want its events observed", after[`vanguard_outbox_relay_lag_seconds_count{producer="course"}`])
	}
	if _, ok := after[`asynq_queue_size{queue="quiz"}`]; !ok {
		t.Error("/metrics lacks the quiz queue's depth")
	}
}
