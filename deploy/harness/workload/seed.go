package workload

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	coursev1 "github.com/vanguard/vanguard/api/course/v1"
	orgv1 "github.com/vanguard/vanguard/api/org/v1"
	quizv1 "github.com/vanguard/vanguard/api/quiz/v1"
)

// Setup concurrency: sign-ins hash passwords (argon2id, CPU-bound on the server), so a few at a
// time keep the server's cores busy; the other setup requests are cheap.
const (
	loginWorkers = 8
	setupWorkers = 32
	// importBatch members go in one import request (the limit is 50,000 rows).
	importBatch = 2000
)

// question is one question of the fixture's bank and how to answer it right.
type question struct {
	marker string // unique text in its stem: finds it in an attempt's (shuffled) questions
	typ    quizv1.QuestionType
	right  []string // the right options' HTML (choice questions), "true"/"false", or the blanks
	wrong  []string // a wrong answer, the same way
}

// questions is the exam paper: five questions of 2 points, no essay (an essay waits for a
// trainer, so its attempt would never get a final grade by itself).
var questions = []struct {
	q     question
	input *quizv1.QuestionInput
}{
	{question{marker: "（第1题）", typ: quizv1.QuestionType_SINGLE, right: []string{"1921年"}, wrong: []string{"1919年"}},
		&quizv1.QuestionInput{Type: quizv1.QuestionType_SINGLE, StemHtml: "<p>（第1题）中国共产党成立于哪一年？</p>",
			Options: opts("1919年", "1921年", "1927年", "1949年"), AnswerKeys: []string{"B"}}},
	{question{marker: "（第2题）", typ: quizv1.QuestionType_MULTIPLE, right: []string{"政治意识", "大局意识", "核心意识", "看齐意识"}, wrong: []string{"政治意识", "市场意识"}},
		&quizv1.QuestionInput{Type: quizv1.QuestionType_MULTIPLE, StemHtml: "<p>（第2题）下列属于“四个意识”的是</p>",
			Options: opts("政治意识", "市场意识", "大局意识", "核心意识", "看齐意识"), AnswerKeys: []string{"A", "C", "D", "E"}}},
	{question{marker: "（第3题）", typ: quizv1.QuestionType_TRUE_FALSE, right: []string{"true"}, wrong: []string{"false"}},
		&quizv1.QuestionInput{Type: quizv1.QuestionType_TRUE_FALSE, StemHtml: "<p>（第3题）党的最高领导机关是党的全国代表大会和它所产生的中央委员会。</p>",
			AnswerKeys: []string{"true"}}},
	{question{marker: "（第4题）", typ: quizv1.QuestionType_FILL_BLANK, right: []string{"1921", "中国共产党"}, wrong: []string{"1927", "共青团"}},
		&quizv1.QuestionInput{Type: quizv1.QuestionType_FILL_BLANK, StemHtml: "<p>（第4题）____年，____成立。</p>",
			Blanks: []*quizv1.Blank{{Accepted: []string{"1921"}}, {Accepted: []string{"中国共产党", "中共"}}}}},
	{question{marker: "（第5题）", typ: quizv1.QuestionType_SINGLE, right: []string{"实事求是"}, wrong: []string{"与时俱进"}},
		&quizv1.QuestionInput{Type: quizv1.QuestionType_SINGLE, StemHtml: "<p>（第5题）党的思想路线的核心是</p>",
			Options: opts("与时俱进", "实事求是", "解放思想", "求真务实"), AnswerKeys: []string{"B"}}},
}

func opts(html ...string) []*quizv1.Option {
	out := make([]*quizv1.Option, len(html))
	for i, h := range html {
		out[i] = &quizv1.Option{Key: string(rune('A' + i)), Html: h}
	}
	return out
}

// lessonBodies are the course's article lessons (about 400–600 characters each: one and a half
// to two minutes of expected reading time, so a long heartbeat run completes them).
var lessonBodies = []struct{ title, body string }{
	{"第一课 坚持党的全面领导", "<p>" + strings.Repeat("坚持党的全面领导是坚持和发展中国特色社会主义的必由之路。", 18) + "</p>"},
	{"第二课 以人民为中心", "<p>" + strings.Repeat("坚持以人民为中心的发展思想，让发展成果更多更公平惠及全体人民。", 16) + "</p>"},
	{"第三课 全面从严治党", "<p>" + strings.Repeat("全面从严治党永远在路上，党的自我革命永远在路上。", 20) + "</p>"},
}

// Seed creates, as the admin: a branch under the root org, members imported into it and each
// signed in, a bank of five questions with a paper and an exam on it targeted at the branch
// (open now, results at once, 1 study hour for passing), and a published course of three
// article lessons assigned to the branch.
func Seed(ctx context.Context, e *Env, members int) (*Fixture, error) {
	if members < 1 {
		return nil, fmt.Errorf("workload.Seed: members = %d, want at least 1", members)
	}
	log := e.logger()
	f := &Fixture{Run: runTag(), api: e.api(), Created: time.Now(), PassMark: 6, CreditHours: 1,
		submits: map[int64]*Submit{}, lessonCredit: map[memberLesson]creditTally{}}
	var err error
	if f.admin, err = login(ctx, f.api, e.AdminUser, e.AdminPassword); err != nil {
		return nil, fmt.Errorf("workload.Seed: admin sign-in: %w", err)
	}
	var me orgv1.Account
	if err := f.admin.call(ctx, http.MethodGet, "/v1/me", nil, &me); err != nil {
		return nil, fmt.Errorf("workload.Seed: %w", err)
	}
	f.RootOrgID = me.GetOrgId()
	var branch orgv1.Org
	if err := f.admin.call(ctx, http.MethodPost, "/v1/orgs", &orgv1.CreateOrgRequest{ParentId: f.RootOrgID,
		Name: "压测第" + f.Run + "党支部", Code: "BENCH-" + f.Run, Type: orgv1.OrgType_BRANCH}, &branch); err != nil {
		return nil, fmt.Errorf("workload.Seed: create branch: %w", err)
	}
	f.BranchID, f.BranchPath = branch.GetId(), branch.GetPath()
	log.printf("seed %s: branch %d (%s)", f.Run, f.BranchID, f.BranchPath)

	if err := f.importMembers(ctx, log, members); err != nil {
		return nil, fmt.Errorf("workload.Seed: %w", err)
	}
	if err := f.createPaper(ctx); err != nil {
		return nil, fmt.Errorf("workload.Seed: %w", err)
	}
	if f.spare, err = f.newExam(ctx, "党章党规知识测试"); err != nil {
		return nil, fmt.Errorf("workload.Seed: %w", err)
	}
	if err := f.createCourse(ctx); err != nil {
		return nil, fmt.Errorf("workload.Seed: %w", err)
	}
	log.printf("seed %s: %d members signed in, exam %d, course %d with lessons %v (%.1fs)",
		f.Run, len(f.Members), f.spare, f.CourseID, f.LessonIDs, time.Since(f.Created).Seconds())
	return f, nil
}

// runTag is 6 random hex digits.
func runTag() string {
	var b [3]byte
	_, _ = crand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// importMembers imports the members through the bulk import (CSV, the branch as default org,
// one initial password hashed once per batch) and signs each in.
func (f *Fixture) importMembers(ctx context.Context, log *logger, n int) error {
	password := "Vg-" + runTag() + runTag() + "-init"
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("m%s-%05d", f.Run, i+1)
	}
	start := time.Now()
	for from := 0; from < n; from += importBatch {
		to := min(from+importBatch, n)
		var csv strings.Builder
		csv.WriteString("用户名,姓名,角色\n")
		for i := from; i < to; i++ {
			fmt.Fprintf(&csv, "%s,党员%05d,党员\n", names[i], i+1)
		}
		var rep orgv1.ImportReply
		err := f.admin.call(ctx, http.MethodPost, "/v1/accounts:import", &orgv1.ImportRequest{Format: "csv",
			Content: []byte(csv.String()), DefaultOrgId: f.BranchID, InitialPassword: password}, &rep)
		if err != nil {
			return fmt.Errorf("import members %d–%d: %w", from+1, to, err)
		}
		if int(rep.GetCreated()) != to-from {
			return fmt.Errorf("import members %d–%d: created %d", from+1, to, rep.GetCreated())
		}
	}
	log.printf("seed %s: imported %d members (%.1fs)", f.Run, n, time.Since(start).Seconds())
	f.Members = make([]*Member, n)
	p := newProgress(log, "seed "+f.Run+": sign-ins", n)
	err := parallel(ctx, n, loginWorkers, func(ctx context.Context, i int) error {
		s, err := login(ctx, f.api, names[i], password)
		if err != nil {
			return fmt.Errorf("sign in %s: %w", names[i], err)
		}
		f.Members[i] = &Member{ID: s.ID, Username: names[i], s: s}
		p.tick()
		return nil
	})
	return err
}

// createPaper creates the bank, its questions and a fixed paper of all of them.
func (f *Fixture) createPaper(ctx context.Context) error {
	var bank quizv1.Bank
	if err := f.admin.call(ctx, http.MethodPost, "/v1/banks", &quizv1.CreateBankRequest{Name: "压测题库" + f.Run}, &bank); err != nil {
		return fmt.Errorf("create bank: %w", err)
	}
	f.BankID = bank.GetId()
	paper := &quizv1.CreatePaperRequest{Title: "压测试卷" + f.Run}
	for _, q := range questions {
		in := proto.CloneOf(q.input)
		in.BankId, in.DefaultPoints = bank.GetId(), 2
		var out quizv1.Question
		if err := f.admin.call(ctx, http.MethodPost, fmt.Sprintf("/v1/banks/%d/questions", bank.GetId()), in, &out); err != nil {
			return fmt.Errorf("create question: %w", err)
		}
		paper.Items = append(paper.Items, &quizv1.PaperItem{QuestionId: out.GetId()})
		f.questions = append(f.questions, q.q)
	}
	var p quizv1.Paper
	if err := f.admin.call(ctx, http.MethodPost, "/v1/papers", paper, &p); err != nil {
		return fmt.Errorf("create paper: %w", err)
	}
	f.PaperID = p.GetId()
	return nil
}

// newExam creates an exam on the fixture's paper for the branch: open from a minute ago for 12
// hours, 10 hours per attempt, one attempt, questions and options shuffled, results at once,
// pass mark 6 of 10, 1 study hour for passing.
func (f *Fixture) newExam(ctx context.Context, title string) (int64, error) {
	now := time.Now()
	var ex quizv1.Exam
	err := f.admin.call(ctx, http.MethodPost, "/v1/exams", &quizv1.CreateExamRequest{
		PaperId: f.PaperID, Title: title, OpensAt: now.Add(-time.Minute).Format(time.RFC3339),
		ClosesAt: now.Add(12 * time.Hour).Format(time.RFC3339), DurationMinutes: 600, AttemptsAllowed: 1,
		GradingMethod: quizv1.GradingMethod_HIGHEST, PassMark: f.PassMark, ShuffleQuestions: true, ShuffleOptions: true,
		ResultsPolicy: quizv1.ResultsPolicy_IMMEDIATE, TargetOrgIds: []int64{f.BranchID}, CreditHours: f.CreditHours,
	}, &ex)
	if err != nil {
		return 0, fmt.Errorf("create exam: %w", err)
	}
	if int(ex.GetQuestionCount()) != len(questions) {
		return 0, fmt.Errorf("exam %d has %d questions, want %d", ex.GetId(), ex.GetQuestionCount(), len(questions))
	}
	return ex.GetId(), nil
}

// createCourse creates the course of article lessons, publishes it and assigns it to the
// branch (required).
func (f *Fixture) createCourse(ctx context.Context) error {
	var lessons []*coursev1.CreateLessonRequest
	for _, l := range lessonBodies {
		lessons = append(lessons, &coursev1.CreateLessonRequest{Title: l.title, Kind: coursev1.LessonKind_ARTICLE, BodyHtml: l.body})
	}
	c, ids, err := f.publishCourse(ctx, "学习贯彻党的二十大精神（"+f.Run+"）", "压测课程", lessons)
	if err != nil {
		return err
	}
	f.CourseID, f.LessonIDs = c, ids
	return nil
}

// publishCourse creates a course with one chapter of the given lessons (one short article when
// none), publishes it and assigns it to the branch; it returns the course and lesson ids.
func (f *Fixture) publishCourse(ctx context.Context, title, summary string, lessons []*coursev1.CreateLessonRequest) (int64, []int64, error) {
	var c coursev1.Course
	if err := f.callRetry(ctx, http.MethodPost, "/v1/courses", &coursev1.CreateCourseRequest{Title: title, Summary: summary, CreditHours: 1}, &c); err != nil {
		return 0, nil, fmt.Errorf("create course: %w", err)
	}
	var ch coursev1.Chapter
	if err := f.callRetry(ctx, http.MethodPost, fmt.Sprintf("/v1/courses/%d/chapters", c.GetId()), &coursev1.CreateChapterRequest{CourseId: c.GetId(), Title: "第一章"}, &ch); err != nil {
		return 0, nil, fmt.Errorf("create chapter: %w", err)
	}
	if len(lessons) == 0 {
		lessons = []*coursev1.CreateLessonRequest{{Title: "导读", Kind: coursev1.LessonKind_ARTICLE, BodyHtml: "<p>学习党章，遵守党章，贯彻党章，维护党章。</p>"}}
	}
	var ids []int64
	for _, l := range lessons {
		l.ChapterId = ch.GetId()
		var out coursev1.Lesson
		if err := f.callRetry(ctx, http.MethodPost, fmt.Sprintf("/v1/chapters/%d/lessons", ch.GetId()), l, &out); err != nil {
			return 0, nil, fmt.Errorf("create lesson: %w", err)
		}
		ids = append(ids, out.GetId())
	}
	if err := f.callRetry(ctx, http.MethodPost, fmt.Sprintf("/v1/courses/%d:publish", c.GetId()), &coursev1.CourseIdRequest{Id: c.GetId()}, nil); err != nil {
		return 0, nil, fmt.Errorf("publish course: %w", err)
	}
	if err := f.callRetry(ctx, http.MethodPost, fmt.Sprintf("/v1/courses/%d/assignments", c.GetId()),
		&coursev1.AssignCourseRequest{CourseId: c.GetId(), OrgIds: []int64{f.BranchID}, Required: true}, nil); err != nil {
		return 0, nil, fmt.Errorf("assign course: %w", err)
	}
	f.mu.Lock()
	f.courses = append(f.courses, c.GetId())
	f.mu.Unlock()
	return c.GetId(), ids, nil
}

// callRetry is an admin call retried on network errors and 5xx for about 40 s (a service
// restarting): for requests that are safe to repeat — publish and assign are idempotent, and a
// course, chapter or lesson created twice when a reply was lost is only an extra one.
func (f *Fixture) callRetry(ctx context.Context, method, path string, in, out proto.Message) error {
	return retry(ctx, 24, func() error { return f.admin.call(ctx, method, path, in, out) })
}

// answerFor answers the attempt's question v: right with probability pRight.
func (f *Fixture) answerFor(rng *rand.Rand, v *quizv1.QuestionView, pRight float64) (*quizv1.AnswerValue, error) {
	var q *question
	for i := range f.questions {
		if strings.Contains(v.GetStemHtml(), f.questions[i].marker) {
			q = &f.questions[i]
		}
	}
	if q == nil {
		return nil, fmt.Errorf("question %d of the attempt is not one of the fixture's", v.GetNo())
	}
	pick := q.right
	if rng.Float64() >= pRight {
		pick = q.wrong
	}
	switch q.typ {
	case quizv1.QuestionType_SINGLE, quizv1.QuestionType_MULTIPLE:
		// Options are shuffled per attempt: find the keys by their text.
		var keys []string
		for _, o := range v.GetOptions() {
			for _, h := range pick {
				if strings.Contains(o.GetHtml(), h) {
					keys = append(keys, o.GetKey())
				}
			}
		}
		if len(keys) != len(pick) {
			return nil, fmt.Errorf("question %d: found %d of %d options", v.GetNo(), len(keys), len(pick))
		}
		return &quizv1.AnswerValue{Choices: keys}, nil
	default:
		return &quizv1.AnswerValue{Choices: pick}, nil
	}
}
