// Package task declares the course service's Asynq tasks: types, queue, payloads and
// constructors, shared by the data layer (which enqueues) and the service layer (which handles).
package task

import (
	"encoding/json"
	"fmt"
	"path"

	"github.com/hibiken/asynq"

	"github.com/vanguard/vanguard/pkg/queue"
)

// Task types and the queue of the course service.
const (
	TypeProbe = "media:probe"
	Queue     = "course"
)

// ProbePayload is the JSON payload of a media:probe task.
type ProbePayload struct {
	LessonID int64  `json:"lesson_id"`
	MediaKey string `json:"media_key"`
}

// NewProbe builds media:probe for a lesson's media object. Its task id names the lesson and the
// object's upload directory ("media:probe:<lesson>:<nonce>"), so the same object is never probed
// twice at once while a new upload of the lesson gets a task of its own. An empty mediaKey
// probes whatever the lesson points at.
func NewProbe(lessonID int64, mediaKey string) (*asynq.Task, []asynq.Option, error) {
	if lessonID <= 0 {
		return nil, nil, fmt.Errorf("%s: lesson id %d must be positive", TypeProbe, lessonID)
	}
	b, err := json.Marshal(ProbePayload{LessonID: lessonID, MediaKey: mediaKey})
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", TypeProbe, err)
	}
	id := queue.TaskID(TypeProbe, lessonID)
	if mediaKey != "" {
		id += ":" + path.Base(path.Dir(mediaKey))
	}
	return asynq.NewTask(TypeProbe, b), []asynq.Option{asynq.Queue(Queue), asynq.TaskID(id), asynq.MaxRetry(8)}, nil
}

// DecodeProbe decodes a media:probe payload; a malformed one (not JSON, no positive lesson id)
// is wrapped with asynq.SkipRetry, since no retry can fix it.
func DecodeProbe(t *asynq.Task) (ProbePayload, error) {
	var p ProbePayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.LessonID <= 0 {
		return ProbePayload{}, fmt.Errorf("decode %s payload %q: %w", t.Type(), t.Payload(), asynq.SkipRetry)
	}
	return p, nil
}
