package workload

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	quizv1 "github.com/vanguard/vanguard/api/quiz/v1"
)

const (
	// stormInFlight bounds the submits in flight at once: beyond it the schedule slips (and the
	// achieved rate shows it) rather than piling up connections.
	stormInFlight = 512
	// submitTimeout ends one send that got no reply; the submit is then sent again.
	submitTimeout = 30 * time.Second
	// pRight is how likely a member answers a question right (most pass, some fail).
	pRight = 0.8
)

// Storm is the exam-end storm: every member starts an attempt on a new exam and saves an answer
// to each question (before the window); then the submits are sent spread evenly over window, at
// most stormInFlight at once, each retried with the same attempt after a network error or a 5xx
// until acknowledged, refused (4xx) or ctx ends. It returns when every acknowledged submit is
// graded (polling quiz's database), or with the result so far and ctx's error when ctx ends.
func Storm(ctx context.Context, e *Env, f *Fixture, window time.Duration) (*StormResult, error) {
	log := e.logger()
	db, err := e.db("quiz")
	if err != nil {
		return nil, fmt.Errorf("workload.Storm: %w", err)
	}
	exam, err := f.takeExam(ctx)
	if err != nil {
		return nil, fmt.Errorf("workload.Storm: %w", err)
	}
	res := &StormResult{ExamID: exam, Members: len(f.Members), Window: window}
	log.printf("storm: exam %d, %d members, submits over %s", exam, len(f.Members), window)

	// Before the window: start and answer (as members do during the exam).
	prep := time.Now()
	attempts := make([]int64, len(f.Members))
	var requests atomic.Int64
	p := newProgress(log, "storm: attempts started and answered", len(f.Members))
	err = parallel(ctx, len(f.Members), setupWorkers, func(ctx context.Context, i int) error {
		m := f.Members[i]
		var a quizv1.AttemptView
		err := retry(ctx, 10, func() error {
			requests.Add(1)
			return m.s.call(ctx, http.MethodPost, fmt.Sprintf("/v1/exams/%d/attempts", exam), &quizv1.IdRequest{Id: exam}, &a)
		})
		if err != nil {
			return fmt.Errorf("member %d starts exam %d: %w", m.ID, exam, err)
		}
		if a.GetStatus() != "in_progress" {
			return fmt.Errorf("member %d: new attempt %d is %q", m.ID, a.GetId(), a.GetStatus())
		}
		rng := rand.New(rand.NewPCG(uint64(m.ID), uint64(exam)))
		for _, q := range a.GetQuestions() {
			ans, err := f.answerFor(rng, q, pRight)
			if err != nil {
				return fmt.Errorf("attempt %d: %w", a.GetId(), err)
			}
			req := &quizv1.SaveAnswerRequest{AttemptId: a.GetId(), QuestionNo: q.GetNo(), Value: ans, Version: 1}
			err = retry(ctx, 10, func() error {
				requests.Add(1)
				return m.s.call(ctx, http.MethodPut, fmt.Sprintf("/v1/attempts/%d/answers/%d", a.GetId(), q.GetNo()), req, nil)
			})
			if err != nil {
				return fmt.Errorf("attempt %d saves question %d: %w", a.GetId(), q.GetNo(), err)
			}
		}
		attempts[i] = a.GetId()
		f.mu.Lock()
		f.submits[a.GetId()] = &Submit{AttemptID: a.GetId(), ExamID: exam, MemberID: m.ID}
		f.mu.Unlock()
		p.tick()
		return nil
	})
	res.Prepare, res.PrepareRequests = time.Since(prep), int(requests.Load())
	if err != nil {
		return res, fmt.Errorf("workload.Storm: prepare: %w", err)
	}

	// The window: submit i is due at start + i·window/n, in a shuffled member order.
	order := rand.New(rand.NewPCG(uint64(exam), 7)).Perm(len(attempts))
	var (
		sem             = make(chan struct{}, stormInFlight)
		wg              sync.WaitGroup
		ok, okE2E       Recorder
		errs            counter
		sent, acked     atomic.Int64
		failed, retries atomic.Int64
		retriedAcked    atomic.Int64
		lastAck         atomic.Int64 // unix nanos
	)
	start := time.Now()
	stopTicker := make(chan struct{})
	go func() {
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-stopTicker:
				return
			case <-t.C:
				log.printf("storm: %d sent, %d acknowledged, %d retries, errors: %s", sent.Load(), acked.Load(), retries.Load(), FormatCounts(errs.snapshot()))
			}
		}
	}()
	n := len(attempts)
dispatch:
	for k, i := range order {
		due := start.Add(time.Duration(int64(window) * int64(k) / int64(n)))
		if d := time.Until(due); d > 0 {
			select {
			case <-ctx.Done():
				break dispatch
			case <-time.After(d):
			}
		}
		select {
		case <-ctx.Done():
			break dispatch
		case sem <- struct{}{}:
		}
		sent.Add(1)
		m, attempt := f.Members[i], attempts[i]
		wg.Go(func() {
			defer func() { <-sem }()
			first := time.Now()
			sends, status, lat, err := submit(ctx, m, attempt, &errs)
			f.mu.Lock()
			s := f.submits[attempt]
			s.Sends += sends
			if err == nil {
				s.AckedAt, s.Status = time.Now(), status
			}
			f.mu.Unlock()
			retries.Add(int64(sends - 1))
			if err != nil {
				failed.Add(1)
				return
			}
			acked.Add(1)
			if sends > 1 {
				retriedAcked.Add(1)
			}
			ok.Add(lat)
			okE2E.Add(time.Since(first))
			now := time.Now().UnixNano()
			for {
				cur := lastAck.Load()
				if now <= cur || lastAck.CompareAndSwap(cur, now) {
					break
				}
			}
		})
	}
	wg.Wait()
	close(stopTicker)
	res.Sent, res.Submitted, res.Failed = int(sent.Load()), int(acked.Load()), int(failed.Load())
	res.Retries, res.RetriedAcked = int(retries.Load()), int(retriedAcked.Load())
	res.Errors, res.Latency, res.EndToEnd = errs.snapshot(), ok.Latency(), okE2E.Latency()
	last := time.Unix(0, lastAck.Load())
	if res.Submitted > 0 {
		res.SendSpan = last.Sub(start)
		res.SubmitRate = rate(res.Submitted, res.SendSpan)
	}
	log.printf("storm: window over: %d sent, %d acknowledged (%.1f/s), %d failed, %d retries; latency %s; errors: %s",
		res.Sent, res.Submitted, res.SubmitRate, res.Failed, res.Retries, res.Latency, FormatCounts(res.Errors))
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("workload.Storm: during the window: %w", err)
	}

	// Wait until every acknowledged submit is graded.
	err = waitGraded(ctx, db, f, exam, res, last, log)
	return res, err
}

// takeExam returns Seed's exam for the first storm and a new exam for each later one (each
// member has one attempt per exam).
func (f *Fixture) takeExam(ctx context.Context) (int64, error) {
	f.mu.Lock()
	exam := f.spare
	f.spare = 0
	runs := len(f.exams)
	f.mu.Unlock()
	if exam == 0 {
		var err error
		if exam, err = f.newExam(ctx, fmt.Sprintf("党章党规知识测试（第%d场）", runs+1)); err != nil {
			return 0, err
		}
	}
	f.mu.Lock()
	f.exams = append(f.exams, exam)
	f.mu.Unlock()
	return exam, nil
}

// submit sends one attempt's submit until it is acknowledged: a network error, a timeout or a
// 5xx sends it again (the same attempt: submit is idempotent, a retry returns the same result),
// backing off from 200 ms to 5 s; a 4xx or ctx's end gives up. It returns the number of sends,
// the acknowledged status and the latency of the acknowledged send.
func submit(ctx context.Context, m *Member, attempt int64, errs *counter) (int, string, time.Duration, error) {
	backoff := 200 * time.Millisecond
	path := fmt.Sprintf("/v1/attempts/%d:submit", attempt)
	for sends := 1; ; sends++ {
		var a quizv1.AttemptView
		sendCtx, cancel := context.WithTimeout(ctx, submitTimeout)
		t0 := time.Now()
		err := m.s.call(sendCtx, http.MethodPost, path, &quizv1.IdRequest{Id: attempt}, &a)
		lat := time.Since(t0)
		cancel()
		if err == nil {
			if st := a.GetStatus(); st != "submitted" && st != "graded" {
				err = fmt.Errorf("attempt %d after submit: status %q", attempt, st)
				errs.add("status " + st)
				return sends, "", 0, err
			}
			return sends, a.GetStatus(), lat, nil
		}
		if ctx.Err() != nil {
			errs.add("canceled")
			return sends, "", 0, ctx.Err()
		}
		errs.add(errorKey(err))
		if !retryable(err) {
			return sends, "", 0, err
		}
		select {
		case <-ctx.Done():
			return sends, "", 0, ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// waitGraded polls quiz's database until every acknowledged attempt of exam is graded, then
// fills in the drain and the grading lag.
func waitGraded(ctx context.Context, db *sql.DB, f *Fixture, exam int64, res *StormResult, lastAck time.Time, log *logger) error {
	acked := map[int64]bool{}
	f.mu.Lock()
	for id, s := range f.submits {
		if s.ExamID == exam && !s.AckedAt.IsZero() {
			acked[id] = true
		}
	}
	f.mu.Unlock()
	lastLog := time.Now()
	for {
		n, err := gradedCount(ctx, db, exam)
		if err == nil && n >= len(acked) {
			rows, err := examAttempts(ctx, db, exam)
			if err != nil {
				return fmt.Errorf("workload.Storm: %w", err)
			}
			graded := 0
			var lastGrade time.Time
			var lags []time.Duration
			for id, a := range rows {
				if a.status != "graded" {
					continue
				}
				if acked[id] && a.scored {
					graded++
				}
				if a.graded.After(lastGrade) {
					lastGrade = a.graded.Time
				}
				if !a.graded.IsZero() && !a.submitted.IsZero() {
					lags = append(lags, a.graded.Sub(a.submitted.Time))
				}
			}
			res.Graded = graded
			if graded == len(acked) {
				res.AllGraded = true
				res.GradingLag = LatencyOf(lags)
				if !lastAck.IsZero() && lastGrade.After(lastAck) {
					res.Drain = lastGrade.Sub(lastAck)
				}
				log.printf("storm: all %d acknowledged submits graded; drain %s, grading lag %s", graded, res.Drain.Round(time.Millisecond), res.GradingLag)
				return nil
			}
		}
		if err != nil && ctx.Err() == nil {
			log.printf("storm: polling quiz's database: %v", err)
		}
		if time.Since(lastLog) >= 5*time.Second {
			log.printf("storm: %d of %d acknowledged submits graded", n, len(acked))
			lastLog = time.Now()
		}
		select {
		case <-ctx.Done():
			res.Graded = n
			return fmt.Errorf("workload.Storm: waiting for grades (%d of %d graded): %w", n, len(acked), ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}
