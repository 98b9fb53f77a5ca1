package service

import (
	"context"

	"github.com/hibiken/asynq"

	"github.com/vanguard/vanguard/app/course/internal/biz"
	"github.com/vanguard/vanguard/app/course/internal/task"
)

// MediaTasks runs the course service's Asynq handlers.
type MediaTasks struct{ media *biz.MediaUsecase }

// NewMediaTasks wires the task handlers.
func NewMediaTasks(media *biz.MediaUsecase) *MediaTasks { return &MediaTasks{media: media} }

// Probe handles media:probe. A malformed payload is archived at once (asynq.SkipRetry); a
// failure of the store is returned and retried.
func (t *MediaTasks) Probe(ctx context.Context, tk *asynq.Task) error {
	p, err := task.DecodeProbe(tk)
	if err != nil {
		return err
	}
	return t.media.Probe(ctx, p.LessonID, p.MediaKey)
}
