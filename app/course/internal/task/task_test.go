package task

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"
)

// options collects the queue and task id a constructor set.
type options struct{ Queue, TaskID string }

func optionsOf(opts []asynq.Option) options {
	var o options
	for _, opt := range opts {
		switch opt.Type() {
		case asynq.QueueOpt:
			o.Queue = opt.Value().(string)
		case asynq.TaskIDOpt:
			o.TaskID = opt.Value().(string)
		}
	}
	return o
}

func TestNewProbe(t *testing.T) {
	tests := []struct {
		name     string
		lessonID int64
		key      string
		want     options
	}{
		{"media object", 7, "lessons/7/0a1b2c3d4e5f6a7b/lecture.mp4", options{Queue: "course", TaskID: "media:probe:7:0a1b2c3d4e5f6a7b"}},
		{"a new upload gets its own id", 7, "lessons/7/ffeeddccbbaa9988/lecture.mp4", options{Queue: "course", TaskID: "media:probe:7:ffeeddccbbaa9988"}},
		{"whatever the lesson holds", 7, "", options{Queue: "course", TaskID: "media:probe:7"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk, opts, err := NewProbe(tt.lessonID, tt.key)
			if err != nil {
				t.Fatal(err)
			}
			if tk.Type() != TypeProbe {
				t.Errorf("type = %q, want %q", tk.Type(), TypeProbe)
			}
			if diff := cmp.Diff(tt.want, optionsOf(opts)); diff != "" {
				t.Errorf("options (-want +got):\n%s", diff)
			}
			got, err := DecodeProbe(tk)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(ProbePayload{LessonID: tt.lessonID, MediaKey: tt.key}, got); diff != "" {
				t.Errorf("decoded payload (-want +got):\n%s", diff)
			}
		})
	}
	for _, bad := range []int64{0, -1} {
		if tk, opts, err := NewProbe(bad, "lessons/1/ab/x.mp4"); err == nil || tk != nil || opts != nil {
			t.Errorf("lesson id %d: got task %v, options %v, error %v; want only an error", bad, tk, opts, err)
		}
	}
}

func TestDecodeProbeRefusesMalformedPayloads(t *testing.T) {
	for name, payload := range map[string]string{
		"not JSON":      "probe 7",
		"empty":         "",
		"missing id":    `{"media_key":"lessons/7/ab/x.mp4"}`,
		"zero id":       `{"lesson_id":0}`,
		"negative id":   `{"lesson_id":-7}`,
		"id not number": `{"lesson_id":"7"}`,
	} {
		t.Run(name, func(t *testing.T) {
			p, err := DecodeProbe(asynq.NewTask(TypeProbe, []byte(payload)))
			if !errors.Is(err, asynq.SkipRetry) || p != (ProbePayload{}) {
				t.Fatalf("DecodeProbe(%q) = %+v, %v; want nothing and an error wrapping asynq.SkipRetry", payload, p, err)
			}
		})
	}
}
