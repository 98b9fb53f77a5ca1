package biz

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/blob"
	"github.com/vanguard/vanguard/pkg/media"
)

// Upload is one multipart upload of a lesson's media.
type Upload struct {
	ID            int64
	LessonID      int64
	CreatedBy     int64
	ObjectKey     string
	StoreUploadID string
	FileName      string
	Size          int64
	DeclaredType  string
	PartSize      int64
	PartCount     int
	Status        string // pending, completed, aborted, rejected
	Reason        string
	ExpiresAt     time.Time
	CreatedAt     time.Time
}

// UploadRepo stores uploads.
type UploadRepo interface {
	Create(ctx context.Context, u *Upload) (*Upload, error)
	Get(ctx context.Context, id int64) (*Upload, error)
	SetStatus(ctx context.Context, id int64, status, reason string) error
	// Expired lists pending uploads whose expiry passed.
	Expired(ctx context.Context, now time.Time, limit int) ([]*Upload, error)
}

// MediaConfig limits uploads.
type MediaConfig struct {
	MaxUploadSize int64         // default 4 GiB
	UploadTTL     time.Duration // how long an upload may stay unfinished; default 24 h
	PartURLTTL    time.Duration // lifetime of presigned part URLs; default 1 h
	PlaybackTTL   time.Duration // lifetime of playback URLs; default 10 min (≤ 15 min)
	PartSize      int64         // default 16 MiB
}

func (c *MediaConfig) defaults() {
	if c.MaxUploadSize <= 0 {
		c.MaxUploadSize = 4 << 30
	}
	if c.UploadTTL <= 0 {
		c.UploadTTL = 24 * time.Hour
	}
	if c.PartURLTTL <= 0 {
		c.PartURLTTL = time.Hour
	}
	if c.PlaybackTTL <= 0 || c.PlaybackTTL > 15*time.Minute {
		c.PlaybackTTL = 10 * time.Minute
	}
	if c.PartSize < 5<<20 {
		c.PartSize = 16 << 20
	}
}

// allowedTypes are the content types an upload may declare per lesson kind.
var allowedTypes = map[Kind][]string{
	KindVideo:    {"video/mp4"},
	KindAudio:    {"audio/mpeg", "audio/mp4", "audio/x-m4a"},
	KindDocument: {"application/pdf"},
}

// sniffedTypes are the real types accepted per lesson kind: an audio-only MP4 whose brand is
// isom/mp42 sniffs as video/mp4, and plays fine as audio.
var sniffedTypes = map[Kind][]string{
	KindVideo:    allowedTypes[KindVideo],
	KindAudio:    append(slices.Clone(allowedTypes[KindAudio]), "video/mp4"),
	KindDocument: allowedTypes[KindDocument],
}

// MediaUsecase runs lecture media: uploads, the media:probe work and playback.
type MediaUsecase struct {
	cfg     MediaConfig
	courses *CourseUsecase
	repo    CourseRepo
	uploads UploadRepo
	store   blob.Store
	queue   TaskQueue
	tx      Transaction
}

// NewMediaUsecase wires a MediaUsecase.
func NewMediaUsecase(cfg MediaConfig, courses *CourseUsecase, repo CourseRepo, uploads UploadRepo, store blob.Store, queue TaskQueue, tx Transaction) *MediaUsecase {
	cfg.defaults()
	return &MediaUsecase{cfg: cfg, courses: courses, repo: repo, uploads: uploads, store: store, queue: queue, tx: tx}
}

// PlanPart is one part of an upload plan.
type PlanPart struct {
	Number int
	URL    string
	Size   int64
}

// UploadPlan is what the browser needs to upload: part URLs and sizes.
type UploadPlan struct {
	Upload *Upload
	Parts  []PlanPart
}

func objectKey(lessonID int64, fileName string) string {
	return blob.NewKey(fmt.Sprintf("lessons/%d", lessonID), fileName, "media")
}

// lessonForEdit loads a lesson and checks p may change the media of its (draft) course.
func (uc *MediaUsecase) lessonForEdit(ctx context.Context, p *auth.Principal, lessonID int64) (*Lesson, error) {
	l, err := uc.repo.GetLesson(ctx, lessonID)
	if err != nil {
		return nil, err
	}
	if _, err := uc.courses.editable(ctx, p, l.CourseID, true); err != nil {
		return nil, err
	}
	return l, nil
}

// StartUpload checks role, size and type and returns a multipart plan of presigned part URLs.
func (uc *MediaUsecase) StartUpload(ctx context.Context, lessonID int64, fileName string, size int64, declared string) (*UploadPlan, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	l, err := uc.lessonForEdit(ctx, p, lessonID)
	if err != nil {
		return nil, err
	}
	allowed, ok := allowedTypes[l.Kind]
	if !ok {
		return nil, Invalid("lesson_id", "图文课时不需要上传媒体文件")
	}
	declared = strings.ToLower(trim(strings.SplitN(declared, ";", 2)[0]))
	if !slices.Contains(allowed, declared) {
		return nil, Invalid("content_type", "该课时只接受 %s 类型的文件", strings.Join(allowed, "、"))
	}
	if size <= 0 {
		return nil, Invalid("size", "文件大小无效")
	}
	if size > uc.cfg.MaxUploadSize {
		return nil, Invalid("size", "文件过大：最大 %d MiB", uc.cfg.MaxUploadSize>>20)
	}
	partSize := max(uc.cfg.PartSize, (size+9999)/10000)
	parts := int((size + partSize - 1) / partSize)
	key := objectKey(lessonID, fileName)
	storeID, err := uc.store.CreateMultipart(ctx, key, declared)
	if err != nil {
		return nil, err
	}
	now := uc.courses.clock.Now()
	u, err := uc.uploads.Create(ctx, &Upload{
		LessonID: lessonID, CreatedBy: p.UserID, ObjectKey: key, StoreUploadID: storeID, FileName: fileName,
		Size: size, DeclaredType: declared, PartSize: partSize, PartCount: parts, Status: "pending",
		ExpiresAt: now.Add(uc.cfg.UploadTTL),
	})
	if err != nil {
		_ = uc.store.AbortMultipart(ctx, key, storeID)
		return nil, err
	}
	return uc.plan(ctx, u)
}

func (uc *MediaUsecase) plan(ctx context.Context, u *Upload) (*UploadPlan, error) {
	plan := &UploadPlan{Upload: u}
	if u.Status != "pending" {
		return plan, nil
	}
	for i := 1; i <= u.PartCount; i++ {
		url, err := uc.store.PresignPart(ctx, u.ObjectKey, u.StoreUploadID, i, uc.cfg.PartURLTTL)
		if err != nil {
			return nil, err
		}
		size := u.PartSize
		if i == u.PartCount {
			size = u.Size - int64(u.PartCount-1)*u.PartSize
		}
		plan.Parts = append(plan.Parts, PlanPart{Number: i, URL: url, Size: size})
	}
	return plan, nil
}

// uploadForEdit loads an upload the caller may act on, with its lesson and course; others get
// ErrUploadNotFound.
func (uc *MediaUsecase) uploadForEdit(ctx context.Context, id int64) (*Upload, *Lesson, *Course, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	u, err := uc.uploads.Get(ctx, id)
	if err != nil {
		return nil, nil, nil, err
	}
	l, err := uc.repo.GetLesson(ctx, u.LessonID)
	if errors.Is(err, ErrCourseNotFound) {
		return nil, nil, nil, ErrUploadNotFound
	}
	if err != nil {
		return nil, nil, nil, err
	}
	c, err := uc.repo.GetCourse(ctx, l.CourseID, false)
	if err != nil {
		return nil, nil, nil, err
	}
	if !canEdit(p, c) {
		return nil, nil, nil, ErrUploadNotFound
	}
	return u, l, c, nil
}

// GetUpload re-issues the plan of an upload (fresh part URLs) so an interrupted upload resumes.
func (uc *MediaUsecase) GetUpload(ctx context.Context, id int64) (*UploadPlan, error) {
	u, _, _, err := uc.uploadForEdit(ctx, id)
	if err != nil {
		return nil, err
	}
	plan, err := uc.plan(ctx, u)
	if errors.Is(err, blob.ErrUploadNotFound) {
		// The reconciler (or a concurrent abort/complete) ended the upload between our read
		// and the presign: report its final state.
		if again, gerr := uc.uploads.Get(ctx, id); gerr == nil && again.Status != "pending" {
			return &UploadPlan{Upload: again}, nil
		}
	}
	return plan, err
}

// Complete verifies every part arrived, assembles the object, checks that its real content type
// (sniffed from the first bytes) is what the lesson accepts, and hands the lesson to media:probe.
// A retry after success returns the lesson again; a retry after a crash mid-way finishes the job.
func (uc *MediaUsecase) Complete(ctx context.Context, id int64) (*Lesson, error) {
	u, l, c, err := uc.uploadForEdit(ctx, id)
	if err != nil {
		return nil, err
	}
	switch u.Status {
	case "completed":
		return l, nil
	case "rejected":
		return nil, &RejectedError{Msg: u.Reason}
	case "aborted":
		return nil, ErrUploadNotFound
	}
	if c.Status != StatusDraft {
		return nil, &StateError{Msg: "课程已发布或归档，不能更换媒体文件"}
	}
	parts, err := uc.store.ListParts(ctx, u.ObjectKey, u.StoreUploadID)
	switch {
	case errors.Is(err, blob.ErrUploadNotFound):
		// Assembled before a crash? Then the object is there with the declared size.
		info, serr := uc.store.Stat(ctx, u.ObjectKey)
		if serr != nil || info.Size != u.Size {
			return nil, ErrUploadNotFound
		}
	case err != nil:
		return nil, err
	default:
		if err := checkParts(u, parts); err != nil {
			return nil, err
		}
		if _, err := uc.store.CompleteMultipart(ctx, u.ObjectKey, u.StoreUploadID, parts); err != nil {
			return nil, err
		}
	}
	detected, err := uc.sniff(ctx, u.ObjectKey)
	if err != nil {
		return nil, err
	}
	kind := l.Kind
	if !slices.Contains(sniffedTypes[kind], detected) {
		reason := fmt.Sprintf("文件内容（%s）与声明的类型（%s）不符，已删除", detected, u.DeclaredType)
		if err := uc.store.Delete(ctx, u.ObjectKey); err != nil && !errors.Is(err, blob.ErrNotFound) {
			return nil, err
		}
		if err := uc.uploads.SetStatus(ctx, u.ID, "rejected", reason); err != nil {
			return nil, err
		}
		return nil, &RejectedError{Msg: reason}
	}
	var out *Lesson
	oldKey := l.MediaKey
	replaced := oldKey != "" && oldKey != u.ObjectKey
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		if err := uc.uploads.SetStatus(ctx, u.ID, "completed", ""); err != nil {
			return err
		}
		if replaced {
			if err := uc.repo.AddGarbage(ctx, []string{oldKey}); err != nil {
				return err
			}
		}
		st, empty, zero, zeroI := MediaProcessing, "", int64(0), 0
		out, err = uc.repo.UpdateLesson(ctx, l.ID, LessonPatch{
			MediaStatus: &st, MediaError: &empty, MediaKey: &u.ObjectKey, MediaContentType: &detected,
			MediaSize: &u.Size, DurationSeconds: &zero, PageCount: &zeroI,
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	if replaced {
		_ = uc.courses.deleteMedia(ctx, []string{oldKey}) // what fails stays recorded for the reconciler
	}
	// The lesson row says "processing"; if this enqueue is lost the reconciler enqueues again.
	_ = uc.queue.EnqueueProbe(ctx, l.ID, u.ObjectKey)
	return out, nil
}

func checkParts(u *Upload, parts []blob.Part) error {
	if len(parts) > u.PartCount {
		var extra []string
		for _, p := range parts {
			if p.Number > u.PartCount {
				extra = append(extra, fmt.Sprint(p.Number))
			}
		}
		return Invalid("parts", "多出了计划之外的分片：第 %s 片", strings.Join(extra, "、"))
	}
	if len(parts) != u.PartCount {
		var missing []string
		have := map[int]bool{}
		for _, p := range parts {
			have[p.Number] = true
		}
		for i := 1; i <= u.PartCount && len(missing) < 10; i++ {
			if !have[i] {
				missing = append(missing, fmt.Sprint(i))
			}
		}
		return Invalid("parts", "分片不完整：缺少第 %s 片", strings.Join(missing, "、"))
	}
	var total int64
	for i, p := range parts {
		if p.Number != i+1 {
			return Invalid("parts", "分片编号不连续")
		}
		if i < len(parts)-1 && p.Size != u.PartSize {
			return Invalid("parts", "第 %d 片大小为 %d 字节，应为 %d 字节", p.Number, p.Size, u.PartSize)
		}
		total += p.Size
	}
	if total != u.Size {
		return Invalid("parts", "上传总大小 %d 字节与声明的 %d 字节不符", total, u.Size)
	}
	return nil
}

// sniff reads the first bytes of an object and returns its real MIME type (without parameters).
func (uc *MediaUsecase) sniff(ctx context.Context, key string) (string, error) {
	rc, err := uc.store.GetRange(ctx, key, 0, media.SniffLen)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	head, err := io.ReadAll(io.LimitReader(rc, media.SniffLen))
	if err != nil {
		return "", err
	}
	// The MP4 family: an audio-only M4A is "audio/x-m4a", a video "video/mp4".
	return media.Sniff(head), nil
}

// Abort cancels an unfinished upload. Safe to retry.
func (uc *MediaUsecase) Abort(ctx context.Context, id int64) error {
	u, _, _, err := uc.uploadForEdit(ctx, id)
	if err != nil {
		return err
	}
	if u.Status != "pending" {
		return nil
	}
	if err := uc.uploads.SetStatus(ctx, u.ID, "aborted", ""); err != nil {
		return err
	}
	return uc.discard(ctx, u)
}

// discard removes what an abandoned upload left in the store: the multipart upload, and the
// object itself if a crash assembled it without the lesson ever pointing at it.
func (uc *MediaUsecase) discard(ctx context.Context, u *Upload) error {
	if err := uc.store.AbortMultipart(ctx, u.ObjectKey, u.StoreUploadID); err != nil && !errors.Is(err, blob.ErrUploadNotFound) {
		return err
	}
	l, err := uc.repo.GetLesson(ctx, u.LessonID)
	if err != nil && !errors.Is(err, ErrCourseNotFound) {
		return err
	}
	if l == nil || l.MediaKey != u.ObjectKey {
		if err := uc.store.Delete(ctx, u.ObjectKey); err != nil && !errors.Is(err, blob.ErrNotFound) {
			return err
		}
	}
	return nil
}

// Playback is a short-lived media URL for a viewer.
type Playback struct {
	URL         string
	ExpiresAt   time.Time
	ContentType string
	Lesson      *Lesson
}

// Playback returns a presigned URL (≤ 15 min) to a lesson's media for a caller who may view the
// course. Anyone else gets ErrCourseNotFound and no URL.
func (uc *MediaUsecase) Playback(ctx context.Context, lessonID int64) (*Playback, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	l, err := uc.repo.GetLesson(ctx, lessonID)
	if err != nil {
		return nil, err
	}
	c, err := uc.repo.GetCourse(ctx, l.CourseID, false)
	if err != nil {
		return nil, err
	}
	if err := uc.courses.viewable(ctx, p, c); err != nil {
		return nil, err
	}
	if l.MediaStatus != MediaReady || l.MediaKey == "" {
		return nil, ErrMediaNotReady
	}
	url, err := uc.store.PresignGet(ctx, l.MediaKey, uc.cfg.PlaybackTTL)
	if err != nil {
		return nil, err
	}
	return &Playback{URL: url, ExpiresAt: uc.courses.clock.Now().Add(uc.cfg.PlaybackTTL), ContentType: l.MediaContentType, Lesson: l}, nil
}

// Probe is the media:probe work for one lesson: read duration (MP4/M4A/MP3) or page count (PDF)
// and mark the media ready, or failed with a reason when the file cannot be read. Lessons not in
// "processing" are left alone, so running it twice is harmless. A returned error means a
// transient failure (the store did not answer) and the task is retried.
func (uc *MediaUsecase) Probe(ctx context.Context, lessonID int64, mediaKey string) error {
	l, err := uc.repo.GetLesson(ctx, lessonID)
	if errors.Is(err, ErrCourseNotFound) {
		return nil // lesson deleted meanwhile
	}
	if err != nil {
		return err
	}
	if l.MediaStatus != MediaProcessing || (mediaKey != "" && l.MediaKey != mediaKey) {
		return nil // done already, or a newer upload replaced this object (its own task probes it)
	}
	info, err := uc.store.Stat(ctx, l.MediaKey)
	if errors.Is(err, blob.ErrNotFound) {
		return uc.finishProbe(ctx, l, 0, 0, "媒体文件不存在")
	}
	if err != nil {
		return err
	}
	ra := &storeReaderAt{ctx: ctx, store: uc.store, key: l.MediaKey}
	var (
		dur    time.Duration
		pages  int
		reason string
	)
	switch l.MediaContentType {
	case "video/mp4", "audio/mp4", "audio/x-m4a":
		if dur, err = media.MP4Duration(ra, info.Size); err != nil {
			reason = "无法读取音视频时长：文件可能已损坏或格式不受支持"
		}
	case "audio/mpeg":
		if dur, err = uc.mp3Duration(ctx, l.MediaKey, info.Size); err != nil {
			if !errors.Is(err, media.ErrUnrecognised) {
				return err // the store or the temporary file failed: retry
			}
			reason = "无法读取音频时长：文件可能已损坏"
		}
	case "application/pdf":
		if info.Size <= 64<<20 {
			data, rerr := readAll(ctx, uc.store, l.MediaKey)
			if rerr != nil {
				return rerr
			}
			pages, _ = media.PDFPages(data) // unknown page count is not a failure
		}
	default:
		reason = "不支持的媒体类型 " + l.MediaContentType
	}
	if ra.err != nil {
		return ra.err // the store failed: retry
	}
	return uc.finishProbe(ctx, l, dur, pages, reason)
}

func (uc *MediaUsecase) finishProbe(ctx context.Context, l *Lesson, dur time.Duration, pages int, reason string) error {
	st := MediaReady
	if reason != "" {
		st = MediaFailed
	}
	secs := int64(dur.Round(time.Second) / time.Second)
	err := uc.tx.InTx(ctx, func(ctx context.Context) error {
		// Only if the lesson still waits for this very object: a replacement uploaded meanwhile
		// must not get the old file's facts.
		if _, err := uc.repo.UpdateLesson(ctx, l.ID, LessonPatch{MediaStatus: &st, MediaError: &reason, DurationSeconds: &secs, PageCount: &pages,
			IfProcessingKey: &l.MediaKey}); err != nil {
			return err
		}
		if st != MediaReady {
			return nil
		}
		return uc.courses.events.Publish(ctx, LessonMediaReady{LessonID: l.ID, CourseID: l.CourseID, Kind: l.Kind, DurationSeconds: secs, Pages: pages})
	})
	if errors.Is(err, ErrMediaChanged) {
		return nil
	}
	return err
}

// mp3Duration copies the object to a temporary file (frame walking reads every header) and reads
// its duration there.
func (uc *MediaUsecase) mp3Duration(ctx context.Context, key string, size int64) (time.Duration, error) {
	rc, err := uc.store.GetRange(ctx, key, 0, -1)
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	f, err := os.CreateTemp("", "vanguard-probe-*.mp3")
	if err != nil {
		return 0, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if _, err := io.Copy(f, rc); err != nil {
		return 0, err
	}
	return media.MP3Duration(f, size)
}

func readAll(ctx context.Context, store blob.Store, key string) ([]byte, error) {
	rc, err := store.GetRange(ctx, key, 0, -1)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// storeReaderAt reads ranges of an object; the MP4 reader needs only a few small reads (box
// headers and mvhd), wherever moov sits.
type storeReaderAt struct {
	ctx   context.Context
	store blob.Store
	key   string
	err   error
}

func (r *storeReaderAt) ReadAt(p []byte, off int64) (int, error) {
	rc, err := r.store.GetRange(r.ctx, r.key, off, int64(len(p)))
	if err != nil {
		r.err = err
		return 0, err
	}
	defer rc.Close()
	n, err := io.ReadFull(rc, p)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = io.EOF
	}
	return n, err
}

// Reconcile is one pass of the course service's reconciler: lessons still "processing" get their
// media:probe task again (deduplicated by task id), uploads left unfinished past their expiry are
// marked aborted and aborted in the store, orphaned media the store failed to delete is deleted
// again, and store uploads older than any upload may live are swept.
func (uc *MediaUsecase) Reconcile(ctx context.Context) error {
	lessons, err := uc.repo.LessonsByMediaStatus(ctx, MediaProcessing, 1000)
	if err != nil {
		return err
	}
	for _, l := range lessons {
		if err := uc.queue.EnqueueProbe(ctx, l.ID, l.MediaKey); err != nil {
			return err
		}
	}
	now := uc.courses.clock.Now()
	expired, err := uc.uploads.Expired(ctx, now, 500)
	if err != nil {
		return err
	}
	for _, u := range expired {
		// The row first (the database is the truth: clients now see "aborted"), then the store.
		if err := uc.uploads.SetStatus(ctx, u.ID, "aborted", "上传超时未完成，已清理"); err != nil {
			return err
		}
		if err := uc.discard(ctx, u); err != nil {
			return err
		}
	}
	// Orphaned media whose deletion failed when it was orphaned.
	garbage, err := uc.repo.Garbage(ctx, 500)
	if err != nil {
		return err
	}
	if err := uc.courses.deleteMedia(ctx, garbage); err != nil {
		return err
	}
	// Store-side uploads no row accounts for any more (a crash between the two steps above, or
	// before a row was written) are swept once well past any upload's lifetime.
	stale, err := uc.store.ListUploads(ctx, "lessons/", now.Add(-uc.cfg.UploadTTL-time.Hour))
	if err != nil {
		return err
	}
	for _, up := range stale {
		if err := uc.store.AbortMultipart(ctx, up.Key, up.UploadID); err != nil && !errors.Is(err, blob.ErrUploadNotFound) {
			return err
		}
	}
	return nil
}
