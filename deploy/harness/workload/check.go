package workload

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	quizv1 "github.com/vanguard/vanguard/api/quiz/v1"
	studyhourv1 "github.com/vanguard/vanguard/api/studyhour/v1"
)

// settleMax bounds how long Check waits for work in flight: longer than the outbox's
// redelivery of an unacknowledged event (2 minutes), so a delivery lost with Redis still
// arrives within it.
const settleMax = 4 * time.Minute

// Check counts, from the services' databases, what became of everything the fixture's clients
// were told: acknowledged submits stored, graded and announced once; exam credits for every
// passing member and lesson credits for every heartbeat credit, in studyhour's ledger once.
//
// Work may still be in flight (grading after a storm, events after a restart: an undelivered
// event is redelivered after 2 minutes), so Check polls until nothing is missing, or until
// settleMax or ctx's deadline (less a few seconds) passes, and returns the last counts with
// Settled telling which. An error means the databases could not be read at all.
func Check(ctx context.Context, e *Env, f *Fixture) (*Counts, error) {
	log := e.logger()
	start := time.Now()
	deadline := start.Add(settleMax)
	if d, ok := ctx.Deadline(); ok && d.Add(-3*time.Second).Before(deadline) {
		deadline = d.Add(-3 * time.Second)
	}
	var last *Counts
	var lastErr error
	lastLog := time.Now()
	for {
		c, err := count(ctx, e, f)
		if err == nil {
			last, lastErr = c, nil
			if c.settled() || !time.Now().Before(deadline) {
				break
			}
			if time.Since(lastLog) >= 10*time.Second {
				log.printf("check: waiting: %d of %d acknowledged submits graded, %d lost, %d credits lost, %d deliveries pending",
					c.Graded, c.Submitted, c.Lost, c.CreditsLost, c.PendingDeliveries)
				lastLog = time.Now()
			}
		} else {
			lastErr = err
			if ctx.Err() != nil || !time.Now().Before(deadline) {
				break
			}
			log.printf("check: reading the databases: %v", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
		if ctx.Err() != nil {
			break
		}
	}
	if last == nil {
		return nil, fmt.Errorf("workload.Check: %w", lastErr)
	}
	last.Settled, last.Waited = last.settled(), time.Since(start)
	log.printf("check: settled=%v after %s: %d submitted, %d stored, %d lost, %d graded, %d duplicate grades, %d missing grade events; credits %d expected, %d found, %d lost, %d duplicated",
		last.Settled, last.Waited.Round(time.Millisecond), last.Submitted, last.Stored, last.Lost, last.Graded, last.DuplicateGrades, last.MissingGradeEvents,
		last.CreditsExpected, last.CreditsFound, last.CreditsLost, last.CreditsDuplicated)
	return last, nil
}

// settled: nothing the clients were told of is missing (duplicates never go away by waiting).
func (c *Counts) settled() bool {
	return c.Lost == 0 && c.Ungraded == 0 && c.Graded == c.Submitted && c.MissingGradeEvents == 0 && c.CreditsLost == 0 &&
		c.LessonEventsMissing == 0 && c.HoursEventsMissing == 0
}

// count reads every count once.
func count(ctx context.Context, e *Env, f *Fixture) (*Counts, error) {
	c := &Counts{}
	quiz, err := e.db("quiz")
	if err != nil {
		return nil, err
	}
	sh, err := e.db("studyhour")
	if err != nil {
		return nil, err
	}
	since := f.Created.Add(-time.Minute).UnixMilli()

	f.mu.Lock()
	exams := append([]int64(nil), f.exams...)
	submits := make(map[int64]Submit, len(f.submits))
	for id, s := range f.submits {
		submits[id] = *s
	}
	lessonCredit := make(map[memberLesson]creditTally, len(f.lessonCredit))
	for k, v := range f.lessonCredit {
		lessonCredit[k] = v
	}
	f.mu.Unlock()
	members := make(map[int64]bool, len(f.Members))
	for _, m := range f.Members {
		members[m.ID] = true
	}

	// Submissions and grades (quiz).
	isExam := map[int64]bool{}
	attempts := map[int64]*attemptRow{}
	examOf := map[int64]int64{}
	for _, ex := range exams {
		isExam[ex] = true
		rows, err := examAttempts(ctx, quiz, ex)
		if err != nil {
			return nil, err
		}
		for id, a := range rows {
			attempts[id], examOf[id] = a, ex
		}
	}
	for id, s := range submits {
		if s.AckedAt.IsZero() {
			continue
		}
		c.Submitted++
		a := attempts[id]
		if a == nil || (a.status != "submitted" && a.status != "graded") {
			c.Lost++
			continue
		}
		c.Stored++
		if a.status == "graded" && a.scored {
			c.Graded++
		} else {
			c.Ungraded++
		}
	}
	for id, a := range attempts {
		if s, ok := submits[id]; (!ok || s.AckedAt.IsZero()) && (a.status == "submitted" || a.status == "graded") {
			c.UnackedStored++
		}
	}
	gradeEvents := map[int64]int{}
	err = queryRows(ctx, quiz, `SELECT payload FROM outbox_events WHERE topic = 'attempt.graded' AND created_ms >= $1`, []any{since},
		func(r *sql.Rows) error {
			var raw []byte
			if err := r.Scan(&raw); err != nil {
				return err
			}
			var ev quizv1.AttemptGraded
			if err := proto.Unmarshal(raw, &ev); err != nil {
				return fmt.Errorf("decode attempt.graded: %w", err)
			}
			if isExam[ev.GetExamId()] && !ev.GetRegrade() {
				gradeEvents[ev.GetAttemptId()]++
				c.GradeEvents++
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("read quiz's attempt.graded events: %w", err)
	}
	for id, a := range attempts {
		switch n := gradeEvents[id]; {
		case n > 1:
			c.DuplicateGrades++
		case n == 0 && a.status == "graded" && a.scored:
			c.MissingGradeEvents++
		}
	}
	err = quiz.QueryRowContext(ctx, `SELECT count(*) FROM outbox_deliveries d JOIN outbox_events e ON e.id = d.event_id
		WHERE e.topic = 'attempt.graded' AND e.created_ms >= $1 AND d.acked_ms IS NULL`, since).Scan(&c.PendingDeliveries)
	if err != nil {
		return nil, fmt.Errorf("read quiz's deliveries: %w", err)
	}

	// Exam credits (studyhour's ledger): one net credit per passing member and exam.
	creditSeconds := int64(math.Round(f.CreditHours * 3600))
	expected := map[memberLesson]bool{} // (member, exam)
	for id, a := range attempts {
		if a.status == "graded" && a.scored && a.score >= f.PassMark {
			expected[memberLesson{a.member, examOf[id]}] = true
		}
	}
	c.ExamCreditsExpected = len(expected)
	type examLedger struct {
		net             int64
		credits, debits int
	}
	ledger := map[memberLesson]*examLedger{}
	examEntries := map[[2]int64]bool{} // (member, seq) of the exam credits
	for _, ex := range exams {
		err := queryRows(ctx, sh, `SELECT member_id, seq, seconds FROM ledger_entries WHERE source = 'exam' AND ref LIKE $1`,
			[]any{fmt.Sprintf("exam:%d/%%", ex)}, func(r *sql.Rows) error {
				var member, seq, sec int64
				if err := r.Scan(&member, &seq, &sec); err != nil {
					return err
				}
				k := memberLesson{member, ex}
				l := ledger[k]
				if l == nil {
					l = &examLedger{}
					ledger[k] = l
				}
				l.net += sec
				if sec > 0 {
					l.credits++
				} else {
					l.debits++
				}
				examEntries[[2]int64{member, seq}] = true
				return nil
			})
		if err != nil {
			return nil, fmt.Errorf("read studyhour's exam credits: %w", err)
		}
	}
	for k := range expected {
		if l := ledger[k]; l != nil && l.net > 0 {
			c.ExamCreditsFound++
		} else {
			c.ExamCreditsLost++
		}
	}
	for _, l := range ledger {
		if l.net > creditSeconds || l.credits-l.debits > 1 {
			c.ExamCreditsDuplicated++
		}
	}
	hoursEvents := map[[2]int64]int{}
	lessonEvents := map[memberLesson]int{}
	err = queryRows(ctx, sh, `SELECT topic, payload FROM outbox_events WHERE topic IN ('hours.credited', 'lesson.completed') AND created_ms >= $1`, []any{since},
		func(r *sql.Rows) error {
			var topic string
			var raw []byte
			if err := r.Scan(&topic, &raw); err != nil {
				return err
			}
			if topic == "hours.credited" {
				var ev studyhourv1.HoursCredited
				if err := proto.Unmarshal(raw, &ev); err != nil {
					return fmt.Errorf("decode hours.credited: %w", err)
				}
				hoursEvents[[2]int64{ev.GetMemberId(), ev.GetSeq()}]++
				return nil
			}
			var ev studyhourv1.LessonCompleted
			if err := proto.Unmarshal(raw, &ev); err != nil {
				return fmt.Errorf("decode lesson.completed: %w", err)
			}
			lessonEvents[memberLesson{ev.GetMemberId(), ev.GetLessonId()}]++
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("read studyhour's events: %w", err)
	}
	for k := range examEntries {
		switch n := hoursEvents[k]; {
		case n == 0:
			c.HoursEventsMissing++
		case n > 1:
			c.HoursEventsDuplicated++
		}
	}

	// Lesson credits: the replies' credits and the progress' in the ledger, once.
	type lessonState struct {
		ledger, ledgered int64
		progress         bool
		complete         bool
	}
	lessons := map[memberLesson]*lessonState{}
	get := func(k memberLesson) *lessonState {
		if lessons[k] == nil {
			lessons[k] = &lessonState{}
		}
		return lessons[k]
	}
	for _, lesson := range f.LessonIDs {
		err := queryRows(ctx, sh, `SELECT member_id, ledgered_sec, completed_at IS NOT NULL FROM lesson_progresses WHERE lesson_id = $1`, []any{lesson},
			func(r *sql.Rows) error {
				var member, ledgered int64
				var complete bool
				if err := r.Scan(&member, &ledgered, &complete); err != nil {
					return err
				}
				if members[member] {
					s := get(memberLesson{member, lesson})
					s.progress, s.ledgered, s.complete = true, ledgered, complete
				}
				return nil
			})
		if err != nil {
			return nil, fmt.Errorf("read studyhour's lesson progress: %w", err)
		}
		err = queryRows(ctx, sh, `SELECT member_id, seconds FROM ledger_entries WHERE source = 'lesson' AND ref LIKE $1`, []any{"lesson:" + strconv.FormatInt(lesson, 10) + "/%"},
			func(r *sql.Rows) error {
				var member, sec int64
				if err := r.Scan(&member, &sec); err != nil {
					return err
				}
				if members[member] {
					get(memberLesson{member, lesson}).ledger += sec
				}
				return nil
			})
		if err != nil {
			return nil, fmt.Errorf("read studyhour's lesson credits: %w", err)
		}
	}
	for k := range lessonCredit {
		get(k) // studied, even if studyhour holds nothing of it
	}
	lessonExpected, lessonFound := 0, 0
	for k, s := range lessons {
		c.LessonPairs++
		// Whole credited seconds go to the ledger (the fraction waits for the next heartbeat).
		want := lessonCredit[k].wholeSeconds()
		c.LessonSecondsExpected += want
		c.LessonSecondsFound += s.ledger
		if want > 0 {
			lessonExpected++
			if s.ledger >= want {
				lessonFound++
			}
		}
		if s.ledger < want || s.ledger < s.ledgered {
			c.LessonCreditsLost++
		}
		if s.ledger > s.ledgered {
			c.LessonCreditsDuplicated++
		}
		if s.complete {
			c.LessonsCompleted++
			if lessonEvents[k] == 0 {
				c.LessonEventsMissing++
			}
		}
		if lessonEvents[k] > 1 {
			c.LessonEventsDuplicated++
		}
	}
	c.CreditsExpected = c.ExamCreditsExpected + lessonExpected
	c.CreditsFound = c.ExamCreditsFound + lessonFound
	c.CreditsLost = c.ExamCreditsLost + c.LessonCreditsLost
	c.CreditsDuplicated = c.ExamCreditsDuplicated + c.LessonCreditsDuplicated
	return c, nil
}

// String renders the counts on one line.
func (c *Counts) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "submitted=%d stored=%d lost=%d graded=%d ungraded=%d unacked_stored=%d grade_events=%d duplicate_grades=%d missing_grade_events=%d pending_deliveries=%d",
		c.Submitted, c.Stored, c.Lost, c.Graded, c.Ungraded, c.UnackedStored, c.GradeEvents, c.DuplicateGrades, c.MissingGradeEvents, c.PendingDeliveries)
	fmt.Fprintf(&b, " exam_credits expected=%d found=%d lost=%d duplicated=%d", c.ExamCreditsExpected, c.ExamCreditsFound, c.ExamCreditsLost, c.ExamCreditsDuplicated)
	fmt.Fprintf(&b, " lesson pairs=%d seconds expected=%d found=%d lost=%d duplicated=%d completed=%d events missing=%d duplicated=%d",
		c.LessonPairs, c.LessonSecondsExpected, c.LessonSecondsFound, c.LessonCreditsLost, c.LessonCreditsDuplicated, c.LessonsCompleted, c.LessonEventsMissing, c.LessonEventsDuplicated)
	fmt.Fprintf(&b, " hours_events missing=%d duplicated=%d credits expected=%d found=%d lost=%d duplicated=%d settled=%v waited=%s",
		c.HoursEventsMissing, c.HoursEventsDuplicated, c.CreditsExpected, c.CreditsFound, c.CreditsLost, c.CreditsDuplicated, c.Settled, c.Waited.Round(time.Millisecond))
	return b.String()
}
