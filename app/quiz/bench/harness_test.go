package bench

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	orgv1 "github.com/vanguard/vanguard/api/org/v1"
	v1 "github.com/vanguard/vanguard/api/quiz/v1"
	"github.com/vanguard/vanguard/app/org"
	"github.com/vanguard/vanguard/app/quiz"
	"github.com/vanguard/vanguard/pkg/audit"
	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/authn"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/dbx"
	"github.com/vanguard/vanguard/pkg/kit"
	"github.com/vanguard/vanguard/pkg/obs"
	"github.com/vanguard/vanguard/pkg/outbox"
	"github.com/vanguard/vanguard/pkg/queue"
	"github.com/vanguard/vanguard/pkg/secret"
	"github.com/vanguard/vanguard/pkg/testdb"
)

// redisDB is the Redis database the benchmarks own (flushed before each scenario).
const redisDB = 13

// httpWorkers is how many HTTP clients the setup phases (and the autosave benchmark) run at once.
const httpWorkers = 64

// explicitBenchtime is the -benchtime given on the command line ("" when none was given).
var explicitBenchtime string

// TestMain runs every scenario once unless -benchtime says otherwise: one iteration of these
// benchmarks is a whole exam, and the default 1s benchtime would make Go repeat the short ones.
func TestMain(m *testing.M) {
	flag.Parse()
	// Kratos servers log their start to the global logger; keep the benchmark output clean.
	log.SetLogger(log.NewFilter(log.DefaultLogger, log.FilterLevel(log.LevelWarn)))
	flag.Visit(func(f *flag.Flag) {
		if f.Name == "test.benchtime" {
			explicitBenchtime = f.Value.String()
		}
	})
	if explicitBenchtime == "" {
		if err := flag.Set("test.benchtime", "1x"); err != nil {
			fmt.Fprintln(os.Stderr, "bench: set -test.benchtime:", err)
			os.Exit(2)
		}
	}
	os.Exit(m.Run())
}

// fullRun reports whether the long scenarios were asked for: VANGUARD_BENCH_FULL=1 or an explicit
// -benchtime of at least 60s.
// driver is the quiz database of the running benchmark: "postgres" (distributed mode) or
// "sqlite" (standalone mode: one database file, one connection, every worker sharing the API's
// module as the standalone process does). Benchmarks run one at a time, so it is set by
// eachDriver around each sub-benchmark; tests use PostgreSQL.
var driver = "postgres"

func benchDriver() string { return driver }

// eachDriver runs f as a sub-benchmark per database: both, or only VANGUARD_BENCH_DB's.
func eachDriver(b *testing.B, f func(b *testing.B)) {
	drivers := []string{"postgres", "sqlite"}
	if d := os.Getenv("VANGUARD_BENCH_DB"); d != "" {
		drivers = []string{d}
	}
	for _, d := range drivers {
		b.Run(d, func(b *testing.B) {
			driver = d
			defer func() { driver = "postgres" }()
			f(b)
		})
	}
}

func fullRun() bool {
	if os.Getenv("VANGUARD_BENCH_FULL") == "1" {
		return true
	}
	if explicitBenchtime == "" || strings.HasSuffix(explicitBenchtime, "x") {
		return false
	}
	d, err := time.ParseDuration(explicitBenchtime)
	return err == nil && d >= 60*time.Second
}

// redisOpt returns the benchmarks' Redis database, flushed; without Redis the benchmark is skipped
// (or fails under VANGUARD_TEST_REQUIRE_SERVICES=1).
func redisOpt(tb testing.TB) asynq.RedisClientOpt {
	tb.Helper()
	opt := asynq.RedisClientOpt{Addr: "127.0.0.1:6379", DB: redisDB}
	c := redis.NewClient(&redis.Options{Addr: opt.Addr, DB: opt.DB})
	defer c.Close()
	if err := c.FlushDB(context.Background()).Err(); err != nil {
		if os.Getenv("VANGUARD_TEST_REQUIRE_SERVICES") == "1" {
			tb.Fatalf("Redis is required but unreachable at %s: %v", opt.Addr, err)
		}
		tb.Skipf("Redis unreachable (%v); run `make deps`", err)
	}
	return opt
}

// env is one distributed deployment: the org service (PostgreSQL, HTTP + gRPC), the quiz API
// (PostgreSQL, HTTP router on an httptest server), a task client on Redis, and a direct
// connection to the quiz database for polling and checks.
type env struct {
	tb      testing.TB
	ctx     context.Context
	logger  log.Logger
	redis   asynq.RedisClientOpt
	signer  *authn.Signer
	orgConn *grpc.ClientConn
	tasks   *queue.Client
	quizDSN string
	// routes are the event routes the quiz modules relay to (none: events are only stored).
	routes  outbox.Routes
	api     *quiz.Module
	quizURL string
	orgURL  string
	db      *sql.DB
	http    *http.Client

	adminToken string
	branchID   int64
	branchPath string
}

func newEnv(tb testing.TB) *env {
	tb.Helper()
	e := &env{tb: tb, ctx: context.Background()}
	e.redis = redisOpt(tb)
	// Production logs at info level; the output is discarded so only its cost remains.
	e.logger = log.NewFilter(obs.NewLogger(io.Discard, "bench"), log.FilterLevel(log.LevelInfo))
	clk := clock.Real{}
	e.http = &http.Client{Transport: &http.Transport{
		MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, IdleConnTimeout: 90 * time.Second,
	}, Timeout: 2 * time.Minute}
	tb.Cleanup(e.http.CloseIdleConnections)

	// org service
	key, err := authn.GenerateKey()
	e.must(err)
	keyPEM, err := authn.MarshalPrivateKeyPEM(key)
	e.must(err)
	om, err := org.New(org.Config{DatabaseDriver: "postgres", DatabaseDSN: testdb.Postgres(tb), SigningKeyPEM: keyPEM,
		IDKey: bytes.Repeat([]byte{7}, 32), Argon2: secret.Argon2Params{MemoryKiB: 256, Iterations: 1, Parallelism: 1}}, e.logger, clk)
	e.must(err)
	tb.Cleanup(func() { om.Close() })
	e.must(om.Migrate(e.ctx))
	_, err = om.Bootstrap(e.ctx, "Admin-pass-2026")
	e.must(err)
	e.signer = om.Signer()
	ohs, ogs, err := kit.NewServers(kit.Options{HTTPAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0",
		Verifier: authn.NewVerifier(clk, om.Signer().PublicKey()), PublicOperations: om.PublicOperations(),
		Logger: e.logger, Metrics: obs.NewMetrics()})
	e.must(err)
	om.RegisterHTTP(ohs)
	om.RegisterGRPC(ogs)
	orgHTTP := httptest.NewServer(ohs)
	tb.Cleanup(orgHTTP.Close)
	e.orgURL = orgHTTP.URL
	grpcURL, err := ogs.Endpoint()
	e.must(err)
	go func() { _ = ogs.Start(e.ctx) }()
	tb.Cleanup(func() { _ = ogs.Stop(e.ctx) })

	// quiz API
	e.tasks, err = queue.NewClient(e.redis)
	e.must(err)
	tb.Cleanup(func() { e.tasks.Close() })
	e.orgConn, err = kit.DialOrg(e.ctx, grpcURL.Host)
	e.must(err)
	tb.Cleanup(func() { e.orgConn.Close() })
	if benchDriver() == "sqlite" {
		e.quizDSN = testdb.SQLite(tb)
	} else {
		e.quizDSN = testdb.Postgres(tb)
	}
	e.api = e.newQuiz()
	e.must(e.api.Migrate(e.ctx))
	tokenKey, err := kit.TokenKey(e.ctx, "", orgv1.NewAuthClient(e.orgConn))
	e.must(err)
	qhs, _, err := kit.NewServers(kit.Options{HTTPAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0",
		Verifier: authn.NewVerifier(clk, tokenKey), Logger: e.logger, Metrics: obs.NewMetrics(), Ready: e.api.Ready})
	e.must(err)
	e.api.RegisterHTTP(qhs)
	quizHTTP := httptest.NewServer(qhs)
	tb.Cleanup(quizHTTP.Close)
	e.quizURL = quizHTTP.URL

	e.db, _, err = dbx.Open(benchDriver(), e.quizDSN)
	e.must(err)
	tb.Cleanup(func() { e.db.Close() })

	// The bootstrap admin signs in through the org API and creates the branch of the exam.
	var tp orgv1.TokenPair
	e.must(e.call(e.orgURL, "POST", "/v1/auth/login", "", &orgv1.LoginRequest{Username: "admin", Password: "Admin-pass-2026"}, &tp))
	e.adminToken = tp.AccessToken
	var branch orgv1.Org
	e.must(e.call(e.orgURL, "POST", "/v1/orgs", e.adminToken,
		&orgv1.CreateOrgRequest{ParentId: tp.GetAccount().GetOrgId(), Name: "第一党支部", Code: "B001", Type: orgv1.OrgType_BRANCH}, &branch))
	e.branchID, e.branchPath = branch.Id, branch.Path
	return e
}

func (e *env) must(err error) {
	e.tb.Helper()
	if err != nil {
		e.tb.Fatal(err)
	}
}

// newQuiz wires a quiz module on the quiz database: the API process's, or a worker process's
// (each with its own connection pool, as separate binaries would have).
func (e *env) newQuiz() *quiz.Module {
	if benchDriver() == "sqlite" && e.api != nil {
		return e.api // one process, one database connection
	}
	m, err := quiz.New(quiz.Config{DatabaseDriver: benchDriver(), DatabaseDSN: e.quizDSN, Tasks: e.tasks,
		Orgs: orgv1.NewOrgsClient(e.orgConn), Accounts: orgv1.NewAccountsClient(e.orgConn), Events: e.routes,
		Audit: audit.Discard}, e.logger, clock.Real{})
	e.must(err)
	e.tb.Cleanup(func() { m.Close() })
	return m
}

// workers are quiz worker servers (quiz:grade, quiz:autosubmit), each on its own quiz module
// like a separate worker process.
type workers struct {
	servers []*queue.Server
	once    sync.Once
}

// newWorkers wires n worker servers of the given concurrency without starting them.
func (e *env) newWorkers(n, concurrency int) *workers {
	w := &workers{}
	for range n {
		m := e.newQuiz()
		srv, err := queue.NewServer(e.redis, queue.Config{Queues: map[string]int{quiz.Queue: 1}, Concurrency: concurrency}, e.logger)
		e.must(err)
		m.RegisterTasks(srv)
		w.servers = append(w.servers, srv)
	}
	e.tb.Cleanup(w.stop)
	return w
}

func (w *workers) start() {
	for _, s := range w.servers {
		go func() { _ = s.Start(context.Background()) }()
	}
}

// stop waits for running handlers; it may be called more than once.
func (w *workers) stop() {
	w.once.Do(func() {
		for _, s := range w.servers {
			_ = s.Stop(context.Background())
		}
	})
}

// httpError is a non-200 reply.
type httpError struct {
	Status int
	Body   string
}

func (h *httpError) Error() string { return fmt.Sprintf("HTTP %d: %s", h.Status, h.Body) }

// call sends one JSON request to base+path and decodes a 200 reply into out (may be nil).
func (e *env) call(base, method, path, token string, in, out proto.Message) error {
	var raw []byte
	if err := e.callJSON(base, method, path, token, in, &raw); err != nil {
		return err
	}
	if out != nil {
		if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(raw, out); err != nil {
			return fmt.Errorf("%s %s: decode: %w", method, path, err)
		}
	}
	return nil
}

// callJSON sends one JSON request to base+path; a 200 reply is stored in *out if out is a
// *[]byte, else decoded into it with encoding/json.
func (e *env) callJSON(base, method, path, token string, in proto.Message, out any) error {
	var body io.Reader = strings.NewReader("{}")
	if in != nil {
		b, err := protojson.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	} else if method == "GET" {
		body = nil
	}
	req, err := http.NewRequestWithContext(e.ctx, method, base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := e.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return fmt.Errorf("%s %s: read: %w", method, path, err)
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %w", method, path, &httpError{Status: res.StatusCode, Body: string(raw)})
	}
	switch o := out.(type) {
	case nil:
	case *[]byte:
		*o = raw
	default:
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("%s %s: decode: %w", method, path, err)
		}
	}
	return nil
}

// quizCall is call on the quiz API.
func (e *env) quizCall(method, path, token string, in, out proto.Message) error {
	return e.call(e.quizURL, method, path, token, in, out)
}

// createExam creates, as the admin, a bank of nq questions without essays (40% single choice,
// 20% multiple choice, 20% true/false, 20% fill-in-the-blank, 2 points each), a fixed paper of
// all of them and an exam on it targeted at the branch: open now for 3 hours, 120 minutes per
// attempt, questions and options shuffled, results released at once.
func (e *env) createExam(nq int) int64 {
	e.tb.Helper()
	var bank v1.Bank
	e.must(e.quizCall("POST", "/v1/banks", e.adminToken, &v1.CreateBankRequest{Name: "党章党规题库"}, &bank))
	ids := make([]int64, nq)
	err := parallel(nq, 8, func(i int) error {
		q := &v1.QuestionInput{BankId: bank.Id, DefaultPoints: 2, StemHtml: fmt.Sprintf("<p>第%d题：关于党的基本知识的题目</p>", i+1)}
		opts := func(n int) []*v1.Option {
			var out []*v1.Option
			for k := range n {
				out = append(out, &v1.Option{Key: string(rune('A' + k)), Html: fmt.Sprintf("选项%c：第%d题的备选答案", 'A'+k, i+1)})
			}
			return out
		}
		switch i % 5 {
		case 0, 1:
			q.Type, q.Options, q.AnswerKeys = v1.QuestionType_SINGLE, opts(4), []string{string(rune('A' + i%4))}
		case 2:
			q.Type, q.Options, q.AnswerKeys = v1.QuestionType_MULTIPLE, opts(5), []string{"A", "C", string(rune('D' + i%2))}
		case 3:
			q.Type, q.AnswerKeys = v1.QuestionType_TRUE_FALSE, []string{[]string{"true", "false"}[i%2]}
		case 4:
			q.Type = v1.QuestionType_FILL_BLANK
			q.StemHtml = fmt.Sprintf("<p>第%d题：____年，____成立。</p>", i+1)
			q.Blanks = []*v1.Blank{{Accepted: []string{"1921"}}, {Accepted: []string{"中国共产党", "中共"}}}
		}
		var out v1.Question
		if err := e.quizCall("POST", fmt.Sprintf("/v1/banks/%d/questions", bank.Id), e.adminToken, q, &out); err != nil {
			return err
		}
		ids[i] = out.Id
		return nil
	})
	e.must(err)
	paper := &v1.CreatePaperRequest{Title: "党章党规知识测试卷"}
	for _, id := range ids {
		paper.Items = append(paper.Items, &v1.PaperItem{QuestionId: id})
	}
	var p v1.Paper
	e.must(e.quizCall("POST", "/v1/papers", e.adminToken, paper, &p))
	now := time.Now()
	var ex v1.Exam
	e.must(e.quizCall("POST", "/v1/exams", e.adminToken, &v1.CreateExamRequest{
		PaperId: p.Id, Title: "党章党规知识测试", OpensAt: now.Add(-time.Minute).Format(time.RFC3339),
		ClosesAt: now.Add(3 * time.Hour).Format(time.RFC3339), DurationMinutes: 120, AttemptsAllowed: 1,
		GradingMethod: v1.GradingMethod_HIGHEST, PassMark: float64(nq) * 2 * 0.6, ShuffleQuestions: true, ShuffleOptions: true,
		ResultsPolicy: v1.ResultsPolicy_IMMEDIATE, PartialCredit: true, TargetOrgIds: []int64{e.branchID},
	}, &ex))
	if int(ex.QuestionCount) != nq {
		e.tb.Fatalf("exam has %d questions, want %d", ex.QuestionCount, nq)
	}
	return ex.Id
}

// member is a member of the branch with an access token signed by the org service's key (the
// quiz service only verifies tokens, so no account rows are needed) and their attempt.
type member struct {
	userID    int64
	token     string
	attempt   int64
	questions []*v1.QuestionView
}

// members returns n members of the branch with fresh tokens.
func (e *env) members(n int) []*member {
	ms := make([]*member, n)
	for i := range ms {
		ms[i] = &member{userID: int64(100000 + i)}
	}
	e.resign(ms)
	return ms
}

// resign issues fresh access tokens (they live 15 minutes; a long setup outlives them).
func (e *env) resign(ms []*member) {
	for _, m := range ms {
		tok, _, err := e.signer.Sign(&auth.Principal{UserID: m.userID, Username: fmt.Sprintf("m%06d", m.userID),
			Roles: []string{auth.RoleMember}, OrgID: e.branchID, OrgPath: e.branchPath})
		e.must(err)
		m.token = tok
	}
}

// startAttempts starts every member's attempt through the HTTP API.
func (e *env) startAttempts(exam int64, ms []*member) {
	e.tb.Helper()
	e.must(parallel(len(ms), httpWorkers, func(i int) error {
		var a v1.AttemptView
		if err := e.quizCall("POST", fmt.Sprintf("/v1/exams/%d/attempts", exam), ms[i].token, nil, &a); err != nil {
			return err
		}
		if a.Status != "in_progress" {
			return fmt.Errorf("attempt %d: status %q", a.Id, a.Status)
		}
		ms[i].attempt, ms[i].questions = a.Id, a.Questions
		return nil
	}))
}

// answerFor makes a plausible answer to q: a random option (or set of options), or the blanks
// filled right about two times in three.
func answerFor(rng *rand.Rand, q *v1.QuestionView) *v1.AnswerValue {
	keys := make([]string, len(q.Options))
	for i, o := range q.Options {
		keys[i] = o.Key
	}
	switch q.Type {
	case v1.QuestionType_SINGLE, v1.QuestionType_TRUE_FALSE:
		return &v1.AnswerValue{Choices: []string{keys[rng.IntN(len(keys))]}}
	case v1.QuestionType_MULTIPLE:
		var pick []string
		for _, k := range keys {
			if rng.IntN(2) == 0 {
				pick = append(pick, k)
			}
		}
		if len(pick) == 0 {
			pick = keys[:1]
		}
		return &v1.AnswerValue{Choices: pick}
	case v1.QuestionType_FILL_BLANK:
		fills := []string{"1921", "中共"}[:min(2, int(q.BlankCount))]
		if rng.IntN(3) == 0 {
			fills = []string{"1927", "共青团"}[:len(fills)]
		}
		return &v1.AnswerValue{Choices: fills}
	}
	return &v1.AnswerValue{Text: "学史明理、学史增信、学史崇德、学史力行"}
}

// saveAnswer autosaves one answer over HTTP.
func (e *env) saveAnswer(m *member, q *v1.QuestionView, ans *v1.AnswerValue, version int64) error {
	var r v1.SaveAnswerReply
	if err := e.quizCall("PUT", fmt.Sprintf("/v1/attempts/%d/answers/%d", m.attempt, q.No), m.token,
		&v1.SaveAnswerRequest{AttemptId: m.attempt, QuestionNo: q.No, Value: ans, Version: version}, &r); err != nil {
		return err
	}
	if r.Version != version {
		return fmt.Errorf("attempt %d question %d: stored version %d, sent %d", m.attempt, q.No, r.Version, version)
	}
	return nil
}

// answerAll gives every member's attempt an answer to each of its questions. Over HTTP (one
// member per worker at a time, questions in order) it is the real autosave path, but at about
// 2 ms of CPU per save it would take minutes for 100,000 answers on a 2-CPU machine, so the
// benchmarks write the very rows SaveAnswer writes (same answers, version 1) straight into the
// quiz database unless VANGUARD_BENCH_HTTP_SETUP=1 asks for HTTP.
func (e *env) answerAll(ms []*member, viaHTTP bool) {
	e.tb.Helper()
	if viaHTTP {
		e.must(parallel(len(ms), httpWorkers, func(i int) error {
			rng := rand.New(rand.NewPCG(uint64(i), 1))
			for _, q := range ms[i].questions {
				if err := e.saveAnswer(ms[i], q, answerFor(rng, q), 1); err != nil {
					return err
				}
			}
			return nil
		}))
		return
	}
	const batch = 1000
	var (
		sb   strings.Builder
		args []any
		rows int
	)
	flush := func() {
		if rows == 0 {
			return
		}
		_, err := e.db.ExecContext(e.ctx, "INSERT INTO answers (attempt_id, question_no, choices, text, version, updated_at) VALUES "+sb.String(), args...)
		e.must(err)
		sb.Reset()
		args, rows = args[:0], 0
	}
	now := time.Now().UTC()
	for i, m := range ms {
		rng := rand.New(rand.NewPCG(uint64(i), 1))
		for _, q := range m.questions {
			ans := answerFor(rng, q)
			choices, err := json.Marshal(ans.Choices)
			e.must(err)
			if rows > 0 {
				sb.WriteByte(',')
			}
			k := len(args)
			cast := "::jsonb"
			if benchDriver() == "sqlite" {
				cast = ""
			}
			fmt.Fprintf(&sb, "($%d,$%d,$%d%s,$%d,$%d,$%d)", k+1, k+2, k+3, cast, k+4, k+5, k+6)
			args = append(args, m.attempt, q.No, string(choices), ans.Text, int64(1), now)
			if rows++; rows == batch {
				flush()
			}
		}
	}
	flush()
}

// httpSetup reports whether VANGUARD_BENCH_HTTP_SETUP=1 asks for the answers of the storm and
// throughput setups to go through the HTTP autosave API.
func httpSetup() bool { return os.Getenv("VANGUARD_BENCH_HTTP_SETUP") == "1" }

// submit submits one attempt over HTTP. Only the status of the reply is decoded.
func (e *env) submit(m *member) error {
	var a struct {
		Status string `json:"status"`
	}
	if err := e.callJSON(e.quizURL, "POST", fmt.Sprintf("/v1/attempts/%d:submit", m.attempt), m.token, nil, &a); err != nil {
		return err
	}
	if a.Status != "submitted" && a.Status != "graded" {
		return fmt.Errorf("attempt %d after submit: status %q", m.attempt, a.Status)
	}
	return nil
}

// graded counts the exam's graded attempts.
// graded counts the graded attempts of exam. Every scenario's database holds that one exam, so
// the count runs on the (status, id) index alone: polled every few milliseconds while graders
// work, a count that read each attempt row took a third of the CPU on SQLite.
func (e *env) graded(exam int64) (int, error) {
	var n, exams int
	if err := e.db.QueryRowContext(e.ctx, `SELECT count(*) FROM attempts WHERE status = 'graded'`).Scan(&n); err != nil {
		return 0, err
	}
	if err := e.db.QueryRowContext(e.ctx, `SELECT count(*) FROM exams WHERE id <> $1`, exam).Scan(&exams); err != nil || exams > 0 {
		return 0, cmp.Or(err, fmt.Errorf("the bench database holds %d exams beside %d", exams, exam))
	}
	return n, nil
}

// waitGraded polls the quiz database every interval until want attempts of the exam are graded
// or the deadline passes; it returns the graded count and when it was reached.
func (e *env) waitGraded(exam int64, want int, interval time.Duration, deadline time.Time) (int, time.Time) {
	for {
		n, err := e.graded(exam)
		e.must(err)
		now := time.Now()
		if n >= want || now.After(deadline) {
			return n, now
		}
		time.Sleep(interval)
	}
}

// gradeCheck is the correctness check after grading: each attempt of the exam must be graded
// and have exactly one "attempt.graded" outbox event.
type gradeCheck struct {
	Attempts, Graded, Lost, Duplicates, MissingEvents, NoScore int
}

func (e *env) checkGrades(exam int64, want int) gradeCheck {
	e.tb.Helper()
	var c gradeCheck
	rows, err := e.db.QueryContext(e.ctx, `SELECT id, status, score IS NOT NULL FROM attempts WHERE exam_id = $1`, exam)
	e.must(err)
	status := map[int64]string{}
	for rows.Next() {
		var (
			id     int64
			st     string
			scored bool
		)
		e.must(rows.Scan(&id, &st, &scored))
		status[id] = st
		if st == "graded" && !scored {
			c.NoScore++
		}
	}
	e.must(rows.Err())
	rows.Close()
	events := map[int64]int{}
	rows, err = e.db.QueryContext(e.ctx, `SELECT payload FROM outbox_events WHERE topic = 'attempt.graded'`)
	e.must(err)
	for rows.Next() {
		var raw []byte
		e.must(rows.Scan(&raw))
		var ev v1.AttemptGraded
		e.must(proto.Unmarshal(raw, &ev))
		if ev.GetExamId() == exam {
			events[ev.GetAttemptId()]++
		}
	}
	e.must(rows.Err())
	rows.Close()
	c.Attempts = len(status)
	for id, st := range status {
		if st == "graded" {
			c.Graded++
		}
		switch n := events[id]; {
		case n > 1:
			c.Duplicates++
		case n == 0 && st == "graded":
			c.MissingEvents++
		}
	}
	c.Lost = want - c.Graded
	return c
}

// assertExactlyOnce fails unless every one of want attempts was graded exactly once.
func (c gradeCheck) assert(tb testing.TB, want int) {
	tb.Helper()
	if c.Attempts != want || c.Lost != 0 || c.Duplicates != 0 || c.MissingEvents != 0 || c.NoScore != 0 {
		tb.Fatalf("grading not exactly once: %+v (want %d attempts)", c, want)
	}
}

// taskFailures reads the failed-task count of today on the quiz queue (failed handler runs,
// retried or not).
func (e *env) taskFailures() int {
	insp := asynq.NewInspector(e.redis)
	defer insp.Close()
	info, err := insp.GetQueueInfo(quiz.Queue)
	if err != nil {
		return -1
	}
	return info.Failed
}

// parallel runs fn(0..n-1) on workers goroutines and returns the first error (the remaining
// items are skipped once one fails).
func parallel(n, workers int, fn func(i int) error) error {
	var (
		next   atomic.Int64
		failed atomic.Bool
		mu     sync.Mutex
		first  error
		wg     sync.WaitGroup
	)
	for range min(workers, n) {
		wg.Go(func() {
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					failed.Store(true)
				}
			}
		})
	}
	wg.Wait()
	return first
}

// latencies collects request durations from many goroutines.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

// pct returns the p-th percentile (0 < p ≤ 100, nearest rank) in milliseconds.
func (l *latencies) pct(p float64) float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		return 0
	}
	s := slices.Clone(l.d)
	slices.Sort(s)
	k := int(float64(len(s))*p/100+0.999999) - 1
	k = max(0, min(k, len(s)-1))
	return float64(s[k]) / float64(time.Millisecond)
}

// errs collects errors from many goroutines, keeping a few samples.
type errs struct {
	mu      sync.Mutex
	n       int
	samples []string
}

func (e *errs) add(err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.n++
	if len(e.samples) < 5 {
		e.samples = append(e.samples, err.Error())
	}
}

func (e *errs) fail(tb testing.TB, what string) {
	tb.Helper()
	if e.n > 0 {
		tb.Fatalf("%d %s failed, e.g.:\n%s", e.n, what, strings.Join(e.samples, "\n"))
	}
}
