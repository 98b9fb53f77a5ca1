package task

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"
)

// options collects the queue, task id and process time a constructor set.
type options struct {
	Queue, TaskID string
	ProcessAt     time.Time
}

func optionsOf(opts []asynq.Option) options {
	var o options
	for _, opt := range opts {
		switch opt.Type() {
		case asynq.QueueOpt:
			o.Queue = opt.Value().(string)
		case asynq.TaskIDOpt:
			o.TaskID = opt.Value().(string)
		case asynq.ProcessAtOpt:
			o.ProcessAt = opt.Value().(time.Time)
		}
	}
	return o
}

func TestConstructors(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 0, 30, 0, time.UTC)
	tests := []struct {
		name     string
		build    func(id int64) (*asynq.Task, []asynq.Option, error)
		wantType string
		wantOpts options
	}{
		{"grade", NewGrade, TypeGrade, options{Queue: "quiz", TaskID: "quiz:grade:42"}},
		{"autosubmit", func(id int64) (*asynq.Task, []asynq.Option, error) { return NewAutosubmit(id, at) },
			TypeAutosubmit, options{Queue: "quiz", TaskID: "quiz:autosubmit:42@1772359230", ProcessAt: at}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk, opts, err := tt.build(42)
			if err != nil {
				t.Fatal(err)
			}
			if tk.Type() != tt.wantType {
				t.Errorf("type = %q, want %q", tk.Type(), tt.wantType)
			}
			if diff := cmp.Diff(tt.wantOpts, optionsOf(opts)); diff != "" {
				t.Errorf("options (-want +got):\n%s", diff)
			}
			if id, err := AttemptID(tk); err != nil || id != 42 {
				t.Errorf("AttemptID(built task) = %d, %v; want 42", id, err)
			}
			for _, bad := range []int64{0, -1} {
				if tk, opts, err := tt.build(bad); err == nil || tk != nil || opts != nil {
					t.Errorf("attempt id %d: got task %v, options %v, error %v; want only an error", bad, tk, opts, err)
				}
			}
		})
	}
}

func TestAttemptIDRefusesMalformedPayloads(t *testing.T) {
	for name, payload := range map[string]string{
		"not JSON":      "grade 42",
		"empty":         "",
		"missing id":    `{}`,
		"zero id":       `{"attempt_id":0}`,
		"negative id":   `{"attempt_id":-7}`,
		"id not number": `{"attempt_id":"42"}`,
	} {
		t.Run(name, func(t *testing.T) {
			id, err := AttemptID(asynq.NewTask(TypeGrade, []byte(payload)))
			if !errors.Is(err, asynq.SkipRetry) || id != 0 {
				t.Fatalf("AttemptID(%q) = %d, %v; want 0 and an error wrapping asynq.SkipRetry", payload, id, err)
			}
		})
	}
}
