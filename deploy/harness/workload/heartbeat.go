package workload

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	studyhourv1 "github.com/vanguard/vanguard/api/studyhour/v1"
)

// heartbeatInFlight bounds the heartbeats in flight at once (each member's are sequential).
const heartbeatInFlight = 512

// Heartbeats has every member open a lesson of the course (a study session, as the lesson page
// does) and send heartbeats as the web app's player does (web/src/member/study.ts): one every
// intervalSeconds the server asked for, in order, each after the previous one answered, with the
// position, rate 1 and the page visible; a lost heartbeat is not resent. The members' first
// heartbeats are spread evenly over one interval, so the ingest is steady. After d every member
// ends their session (as leaving the page does). Each call studies the next lesson of the course.
func Heartbeats(ctx context.Context, e *Env, f *Fixture, d time.Duration) (*Rate, error) {
	log := e.logger()
	f.mu.Lock()
	run := f.heartbeatRuns
	f.heartbeatRuns++
	f.mu.Unlock()
	lesson := f.LessonIDs[run%len(f.LessonIDs)]
	res := &Rate{Members: len(f.Members), Duration: d}

	// Open the sessions.
	sessions := make([]*studyhourv1.StudySession, len(f.Members))
	var open Recorder
	err := parallel(ctx, len(f.Members), setupWorkers, func(ctx context.Context, i int) error {
		var s studyhourv1.StudySession
		err := retry(ctx, 10, func() error {
			t0 := time.Now()
			err := f.Members[i].s.call(ctx, http.MethodPost, "/v1/study-sessions", &studyhourv1.StartSessionRequest{LessonId: lesson}, &s)
			if err == nil {
				open.Add(time.Since(t0))
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("member %d opens lesson %d: %w", f.Members[i].ID, lesson, err)
		}
		sessions[i] = &s
		return nil
	})
	res.SessionOpen = open.Latency()
	if err != nil {
		return res, fmt.Errorf("workload.Heartbeats: %w", err)
	}
	interval := time.Duration(sessions[0].GetIntervalSeconds()) * time.Second
	res.IntervalSeconds = sessions[0].GetIntervalSeconds()
	if interval <= 0 {
		return res, fmt.Errorf("workload.Heartbeats: the server asked for a heartbeat every %s", interval)
	}
	log.printf("heartbeats: %d members on lesson %d, one every %s, for %s", len(f.Members), lesson, interval, d)

	var (
		sem            = make(chan struct{}, heartbeatInFlight)
		lat            Recorder
		refused, errs  counter
		sent, accepted atomic.Int64
		mu             sync.Mutex
		credited       = map[int64]*creditTally{} // member → credited
		wg             sync.WaitGroup
	)
	runCtx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	start := time.Now()
	n := len(f.Members)
	for i, m := range f.Members {
		offset := time.Duration(int64(interval) * int64(i) / int64(n))
		sess := sessions[i]
		wg.Go(func() {
			position := sess.GetProgress().GetPosition()
			next := start.Add(offset + interval)
			last := time.Now()
			for seq := int64(1); ; seq++ {
				select {
				case <-runCtx.Done():
					return
				case <-time.After(time.Until(next)):
				}
				select {
				case <-runCtx.Done():
					return
				case sem <- struct{}{}:
				}
				now := time.Now()
				position += now.Sub(last).Seconds() // playing at rate 1 since the previous one
				last = now
				var r studyhourv1.HeartbeatReply
				t0 := time.Now()
				// A heartbeat in flight when the run ends is let finish (the player's would).
				err := m.s.call(ctx, http.MethodPost, fmt.Sprintf("/v1/study-sessions/%d/heartbeats", sess.GetId()),
					&studyhourv1.HeartbeatRequest{SessionId: sess.GetId(), Seq: seq, Position: position, Rate: 1, Visible: true}, &r)
				<-sem
				sent.Add(1)
				if err != nil {
					errs.add(errorKey(err))
				} else {
					lat.Add(time.Since(t0))
					if r.GetRefusal() != "" {
						refused.add(r.GetRefusal())
					}
					if r.GetCreditedSeconds() > 0 {
						accepted.Add(1)
						mu.Lock()
						if credited[m.ID] == nil {
							credited[m.ID] = &creditTally{}
						}
						credited[m.ID].add(r.GetCreditedSeconds())
						res.CreditedSeconds += r.GetCreditedSeconds()
						mu.Unlock()
					}
				}
				next = next.Add(interval)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)

	// Leave the page: end every session (safe to retry).
	endErr := parallel(ctx, n, setupWorkers, func(ctx context.Context, i int) error {
		return retry(ctx, 10, func() error {
			return f.Members[i].s.call(ctx, http.MethodPost, fmt.Sprintf("/v1/study-sessions/%d:end", sessions[i].GetId()),
				&studyhourv1.SessionRequest{SessionId: sessions[i].GetId()}, nil)
		})
	})

	f.mu.Lock()
	for member, t := range credited {
		k := memberLesson{member, lesson}
		sum := f.lessonCredit[k]
		sum.merge(*t)
		f.lessonCredit[k] = sum
	}
	f.mu.Unlock()
	res.Sent, res.Accepted = int(sent.Load()), int(accepted.Load())
	res.Refused, res.Errors, res.Latency = refused.snapshot(), errs.snapshot(), lat.Latency()
	res.PerSecond, res.SentPerSecond = rate(res.Accepted, elapsed), rate(res.Sent, elapsed)
	log.printf("heartbeats: %d sent (%.1f/s), %d accepted (%.1f/s), %.0f s credited; refused: %s; errors: %s; latency %s",
		res.Sent, res.SentPerSecond, res.Accepted, res.PerSecond, res.CreditedSeconds, FormatCounts(res.Refused), FormatCounts(res.Errors), res.Latency)
	if ctx.Err() != nil {
		return res, fmt.Errorf("workload.Heartbeats: %w", ctx.Err())
	}
	if endErr != nil {
		return res, fmt.Errorf("workload.Heartbeats: end sessions: %w", endErr)
	}
	return res, nil
}
