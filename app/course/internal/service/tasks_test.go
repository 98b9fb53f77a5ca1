package service

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/vanguard/vanguard/app/course/internal/biz"
	"github.com/vanguard/vanguard/app/course/internal/data"
	"github.com/vanguard/vanguard/app/course/internal/task"
	"github.com/vanguard/vanguard/pkg/blob"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/outbox"
	"github.com/vanguard/vanguard/pkg/testdb"
)

// probeEnv is the media use cases on real ent over SQLite and the local blob store; only the
// remote org service and the Asynq queue are faked.
type probeEnv struct {
	tasks  *MediaTasks
	repo   *countingLessons
	store  blob.Store
	outbox *outbox.Outbox
	course *biz.Course
	ch     *biz.Chapter
}

func newProbeEnv(t *testing.T) *probeEnv {
	t.Helper()
	ctx := context.Background()
	d, err := data.Open("sqlite", testdb.SQLite(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	ob, err := outbox.New("course", d.OutboxDB(), nil, nopEnqueuer{}, clk, outbox.Config{})
	if err != nil {
		t.Fatal(err)
	}
	store, err := blob.NewLocal(blob.LocalConfig{Root: t.TempDir(), BaseURL: "http://127.0.0.1:8000/blob",
		SigningKey: bytes.Repeat([]byte("k"), 32), Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	repo := &countingLessons{CourseRepo: data.NewCourseRepo(d)}
	courses := biz.NewCourseUsecase(repo, data.NewAssignmentRepo(d), fakeOrgs{}, data.NewPublisher(ob), store, d, clk)
	media := biz.NewMediaUsecase(biz.MediaConfig{}, courses, repo, data.NewUploadRepo(d), store, nopProbes{}, d)
	e := &probeEnv{tasks: NewMediaTasks(media), repo: repo, store: store, outbox: ob}
	if e.course, err = repo.CreateCourse(ctx, &biz.Course{Title: "党史专题", OwnerID: 1, OrgID: 2, OrgPath: "/1/2/", Status: biz.StatusDraft}); err != nil {
		t.Fatal(err)
	}
	if e.ch, err = repo.CreateChapter(ctx, &biz.Chapter{CourseID: e.course.ID, Title: "第一章"}); err != nil {
		t.Fatal(err)
	}
	return e
}

// processingLesson is a lesson whose upload completed: its media object (content, unless nil)
// is in the store and it waits for media:probe.
func (e *probeEnv) processingLesson(t *testing.T, kind biz.Kind, contentType string, content []byte) *biz.Lesson {
	t.Helper()
	ctx := context.Background()
	l, err := e.repo.CreateLesson(ctx, &biz.Lesson{ChapterID: e.ch.ID, CourseID: e.course.ID, Title: "课时", Kind: kind, MediaStatus: biz.MediaNone})
	if err != nil {
		t.Fatal(err)
	}
	key := fmt.Sprintf("lessons/%d/0a1b2c3d4e5f6a7b/media", l.ID)
	if content != nil {
		if _, err := e.store.Put(ctx, key, bytes.NewReader(content), int64(len(content)), contentType); err != nil {
			t.Fatal(err)
		}
	}
	st, size := biz.MediaProcessing, int64(len(content))
	l, err = e.repo.UpdateLesson(ctx, l.ID, biz.LessonPatch{MediaStatus: &st, MediaKey: &key, MediaContentType: &contentType, MediaSize: &size})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestProbeHandlerRefusesMalformedPayloads(t *testing.T) {
	e := newProbeEnv(t)
	l := e.processingLesson(t, biz.KindVideo, "video/mp4", mp4File(1000, 12_000))
	for name, payload := range map[string]string{
		"not JSON":      "probe lesson",
		"empty":         "",
		"missing id":    fmt.Sprintf(`{"media_key":%q}`, l.MediaKey),
		"zero id":       `{"lesson_id":0}`,
		"negative id":   `{"lesson_id":-1}`,
		"id not number": fmt.Sprintf(`{"lesson_id":"%d"}`, l.ID),
	} {
		t.Run(name, func(t *testing.T) {
			before := e.repo.gets.Load()
			err := asynq.HandlerFunc(e.tasks.Probe).ProcessTask(context.Background(), asynq.NewTask(task.TypeProbe, []byte(payload)))
			if !errors.Is(err, asynq.SkipRetry) {
				t.Fatalf("error = %v, want one wrapping asynq.SkipRetry", err)
			}
			if n := e.repo.gets.Load() - before; n != 0 {
				t.Fatalf("the handler read %d lessons; a malformed payload must not reach biz", n)
			}
		})
	}
	if got, _ := e.repo.GetLesson(context.Background(), l.ID); got.MediaStatus != biz.MediaProcessing {
		t.Fatalf("lesson after malformed tasks: %q, want still processing", got.MediaStatus)
	}
}

func TestProbeHandlerFinishesLessonMedia(t *testing.T) {
	tests := []struct {
		name        string
		kind        biz.Kind
		contentType string
		content     []byte
		want        biz.MediaStatus
		wantSeconds int64
		wantError   string
		wantEvents  int
	}{
		{"readable video", biz.KindVideo, "video/mp4", mp4File(1000, 12_400), biz.MediaReady, 12, "", 1},
		{"damaged video", biz.KindVideo, "video/mp4", mp4File(0, 0), biz.MediaFailed, 0, "无法读取音视频时长：文件可能已损坏或格式不受支持", 0},
		{"object gone", biz.KindVideo, "video/mp4", nil, biz.MediaFailed, 0, "媒体文件不存在", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newProbeEnv(t)
			ctx := context.Background()
			l := e.processingLesson(t, tt.kind, tt.contentType, tt.content)
			tk, _, err := task.NewProbe(l.ID, l.MediaKey)
			if err != nil {
				t.Fatal(err)
			}
			if err := asynq.HandlerFunc(e.tasks.Probe).ProcessTask(ctx, tk); err != nil {
				t.Fatalf("probe: %v", err)
			}
			got, err := e.repo.GetLesson(ctx, l.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.MediaStatus != tt.want || got.DurationSeconds != tt.wantSeconds || got.MediaError != tt.wantError {
				t.Fatalf("lesson after media:probe: status %q, %d s, error %q; want %q, %d s, error %q",
					got.MediaStatus, got.DurationSeconds, got.MediaError, tt.want, tt.wantSeconds, tt.wantError)
			}
			events, err := e.outbox.List(ctx, 0, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(events) != tt.wantEvents {
				t.Fatalf("outbox holds %d events, want %d (lesson.media_ready only when ready)", len(events), tt.wantEvents)
			}
			// A retry of the same task finds the lesson no longer processing and changes nothing.
			if err := asynq.HandlerFunc(e.tasks.Probe).ProcessTask(ctx, tk); err != nil {
				t.Fatalf("probe again: %v", err)
			}
			if events, _ := e.outbox.List(ctx, 0, 10); len(events) != tt.wantEvents {
				t.Fatalf("a second probe left %d events, want %d", len(events), tt.wantEvents)
			}
		})
	}
}

// mp4Box builds an ISO-BMFF box.
func mp4Box(typ string, payload ...[]byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(8+len(bytes.Join(payload, nil))))
	return append(append(b, typ...), bytes.Join(payload, nil)...)
}

// mp4File is a tiny MP4 of duration/timescale seconds: ftyp, a small mdat, then moov/mvhd
// (left out when timescale is 0: a damaged file).
func mp4File(timescale, duration uint32) []byte {
	out := append(mp4Box("ftyp", []byte("isom"), binary.BigEndian.AppendUint32(nil, 0x200), []byte("isomiso2")), mp4Box("mdat", make([]byte, 256))...)
	if timescale == 0 {
		return out
	}
	mvhd := make([]byte, 100) // version 0
	binary.BigEndian.PutUint32(mvhd[12:], timescale)
	binary.BigEndian.PutUint32(mvhd[16:], duration)
	return append(out, mp4Box("moov", mp4Box("mvhd", mvhd))...)
}

// countingLessons counts GetLesson calls: media:probe's first step in biz.
type countingLessons struct {
	biz.CourseRepo
	gets atomic.Int64
}

func (c *countingLessons) GetLesson(ctx context.Context, id int64) (*biz.Lesson, error) {
	c.gets.Add(1)
	return c.CourseRepo.GetLesson(ctx, id)
}

// nopProbes stands in for the Asynq queue biz enqueues media:probe on.
type nopProbes struct{}

func (nopProbes) EnqueueProbe(context.Context, int64, string) error { return nil }

// nopEnqueuer stands in for the Asynq client the outbox relays through.
type nopEnqueuer struct{}

func (nopEnqueuer) Enqueue(context.Context, *asynq.Task, ...asynq.Option) error { return nil }

// fakeOrgs stands in for the org service.
type fakeOrgs struct{}

func (fakeOrgs) GetOrg(context.Context, int64) (*biz.OrgInfo, error) { return nil, biz.ErrOrgNotFound }
