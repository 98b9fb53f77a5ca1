package biz

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vanguard/vanguard/pkg/blob"
)

const mib = 1 << 20

// draftLesson seeds a draft course of org A owned by "owner" with one lesson of kind.
func (e *testEnv) draftLesson(kind Kind) *Lesson {
	e.t.Helper()
	c := e.seedCourse("媒体课程", "A", "owner", StatusDraft)
	return e.seedLesson(e.seedChapter(c.ID, "第一章").ID, "第一课", kind, nil)
}

// start begins an upload of data for the lesson as the owner.
func (e *testEnv) start(lessonID int64, data []byte, declared string) *UploadPlan {
	e.t.Helper()
	plan, err := e.media.StartUpload(e.as("owner"), lessonID, "lecture.bin", int64(len(data)), declared)
	if err != nil {
		e.t.Fatalf("StartUpload: %v", err)
	}
	return plan
}

func TestStartUploadValidation(t *testing.T) {
	tests := []struct {
		name     string
		kind     Kind
		as       string
		size     int64
		declared string
		status   Status
		want     any
	}{
		{"article lesson", KindArticle, "owner", 100, "video/mp4", StatusDraft, &FieldError{Field: "lesson_id"}},
		{"video declared audio", KindVideo, "owner", 100, "audio/mpeg", StatusDraft, &FieldError{Field: "content_type"}},
		{"video declared octet-stream", KindVideo, "owner", 100, "application/octet-stream", StatusDraft, &FieldError{Field: "content_type"}},
		{"video declared nothing", KindVideo, "owner", 100, "", StatusDraft, &FieldError{Field: "content_type"}},
		{"audio declared video", KindAudio, "owner", 100, "video/mp4", StatusDraft, &FieldError{Field: "content_type"}},
		{"document declared video", KindDocument, "owner", 100, "video/mp4", StatusDraft, &FieldError{Field: "content_type"}},
		{"oversize", KindVideo, "owner", 64*mib + 1, "video/mp4", StatusDraft, &FieldError{Field: "size"}},
		{"published course", KindVideo, "owner", 100, "video/mp4", StatusPublished, &StateError{}},
		{"archived course", KindVideo, "owner", 100, "video/mp4", StatusArchived, &StateError{}},
		{"trainer of the same org", KindVideo, "trainerA2", 100, "video/mp4", StatusDraft, &PermissionError{}},
		{"trainer of another org", KindVideo, "trainerB", 100, "video/mp4", StatusDraft, ErrCourseNotFound},
		{"member", KindVideo, "memberA", 100, "video/mp4", StatusDraft, ErrCourseNotFound},
		{"exactly the maximum", KindVideo, "owner", 64 * mib, "video/mp4", StatusDraft, nil},
		{"parameters and case", KindVideo, "owner", 100, " Video/MP4; codecs=avc1", StatusDraft, nil},
		{"audio m4a", KindAudio, "owner", 100, "audio/x-m4a", StatusDraft, nil},
		{"audio mpeg", KindAudio, "owner", 100, "audio/mpeg", StatusDraft, nil},
		{"document", KindDocument, "staffG", 100, "application/pdf", StatusDraft, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t, func(c *MediaConfig) { c.MaxUploadSize = 64 * mib })
			c := e.seedCourse("课程", "A", "owner", tt.status)
			l := e.seedLesson(e.seedChapter(c.ID, "一").ID, "课", tt.kind, nil)
			before := e.db.snapshot()
			plan, err := e.media.StartUpload(e.as(tt.as), l.ID, "a.mp4", tt.size, tt.declared)
			wantErrKind(t, err, tt.want)
			if tt.want != nil {
				if plan != nil {
					t.Error("plan returned with the error")
				}
				if diff := cmp.Diff(before, e.db.snapshot()); diff != "" {
					t.Errorf("refused upload changed the store:\n%s", diff)
				}
				if ups := e.pendingStoreUploads(); len(ups) != 0 {
					t.Errorf("refused upload left store uploads %+v", ups)
				}
				return
			}
			u := plan.Upload
			if want := strings.ToLower(strings.TrimSpace(strings.SplitN(tt.declared, ";", 2)[0])); u.DeclaredType != want {
				t.Errorf("DeclaredType = %q, want %q", u.DeclaredType, want)
			}
			if u.Status != "pending" || u.LessonID != l.ID || u.CreatedBy != principal(tt.as).UserID || u.Size != tt.size ||
				!u.ExpiresAt.Equal(testT0.Add(24*time.Hour)) {
				t.Errorf("upload = %+v", u)
			}
			if stored := e.db.upload(u.ID); stored == nil || stored.StoreUploadID != u.StoreUploadID {
				t.Errorf("upload not stored: %+v", stored)
			}
			if ups := e.pendingStoreUploads(); len(ups) != 1 || ups[0].Key != u.ObjectKey || ups[0].UploadID != u.StoreUploadID {
				t.Errorf("store uploads = %+v, want the one for %q", ups, u.ObjectKey)
			}
		})
	}
	t.Run("unknown lesson", func(t *testing.T) {
		e := newTestEnv(t)
		_, err := e.media.StartUpload(e.as("admin"), 999, "a.mp4", 10, "video/mp4")
		wantErrKind(t, err, ErrCourseNotFound)
	})
}

// The object key lives under the lesson and keeps a sanitised file name.
func TestStartUploadObjectKey(t *testing.T) {
	e := newTestEnv(t)
	l := e.draftLesson(KindVideo)
	seen := map[string]bool{}
	for _, name := range []string{"../../etc/我的 视频 (1).MP4", `C:\tmp\x.mp4`, "lecture.mp4", "lecture.mp4"} {
		plan, err := e.media.StartUpload(e.as("owner"), l.ID, name, 10, "video/mp4")
		if err != nil {
			t.Fatalf("%q: %v", name, err)
		}
		key := plan.Upload.ObjectKey
		if !regexp.MustCompile(`^lessons/` + itoa(l.ID) + `/[0-9a-f]{16}/[A-Za-z0-9._-]+$`).MatchString(key) {
			t.Errorf("%q: key %q", name, key)
		}
		if err := blob.ValidateKey(key); err != nil {
			t.Errorf("%q: %v", name, err)
		}
		if seen[key] {
			t.Errorf("key %q handed out twice", key)
		}
		seen[key] = true
		if plan.Upload.FileName != name {
			t.Errorf("FileName = %q, want the original %q", plan.Upload.FileName, name)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func formatInt(n int64) string { return strconv.FormatInt(n, 10) }

// The plan cuts the declared size into parts of PartSize (the last one smaller), growing the
// part size when the file would need more than 10000 parts.
func TestUploadPlanParts(t *testing.T) {
	const ps = 5 * mib
	tests := []struct {
		name      string
		size      int64
		wantPS    int64
		wantParts int
		wantLast  int64
	}{
		{"tiny", 100, ps, 1, 100},
		{"one full part", ps, ps, 1, ps},
		{"two full parts", 2 * ps, ps, 2, ps},
		{"last part smaller", 2*ps + 2*mib + 5, ps, 3, 2*mib + 5},
		{"exactly 10000 parts", 10000 * ps, ps, 10000, ps},
		{"one byte more grows the part", 10000*ps + 1, ps + 1, 10000, 10000*ps + 1 - 9999*(ps+1)},
		{"far more", 3*10000*ps + 7, (3*10000*ps + 7 + 9999) / 10000, 10000, 3*10000*ps + 7 - 9999*((3*10000*ps+7+9999)/10000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t, func(c *MediaConfig) { c.MaxUploadSize = 1 << 40 })
			l := e.draftLesson(KindVideo)
			plan, err := e.media.StartUpload(e.as("owner"), l.ID, "big.mp4", tt.size, "video/mp4")
			if err != nil {
				t.Fatal(err)
			}
			u := plan.Upload
			if u.PartSize != tt.wantPS || u.PartCount != tt.wantParts || len(plan.Parts) != tt.wantParts {
				t.Fatalf("part size %d × %d (%d URLs), want %d × %d", u.PartSize, u.PartCount, len(plan.Parts), tt.wantPS, tt.wantParts)
			}
			var total int64
			urls := map[string]bool{}
			for i, p := range plan.Parts {
				if p.Number != i+1 {
					t.Fatalf("part %d numbered %d", i+1, p.Number)
				}
				if i < len(plan.Parts)-1 && p.Size != u.PartSize {
					t.Fatalf("part %d has %d bytes, want %d", p.Number, p.Size, u.PartSize)
				}
				if urls[p.URL] || !strings.Contains(p.URL, "partNumber="+formatInt(int64(p.Number))) {
					t.Fatalf("part %d URL %q", p.Number, p.URL)
				}
				urls[p.URL] = true
				total += p.Size
			}
			if last := plan.Parts[len(plan.Parts)-1].Size; last != tt.wantLast || last <= 0 || last > u.PartSize {
				t.Errorf("last part = %d bytes, want %d", last, tt.wantLast)
			}
			if total != tt.size {
				t.Errorf("parts add up to %d, want %d", total, tt.size)
			}
		})
	}
}

// A successful Complete hands the lesson to media:probe once; completing again returns the same
// lesson and changes nothing; the probe then makes the media ready.
func TestCompleteSuccess(t *testing.T) {
	tests := []struct {
		name         string
		kind         Kind
		declared     string
		data         []byte
		wantType     string
		wantDuration int64
		wantPages    int
	}{
		{"video", KindVideo, "video/mp4", mp4File("isom", 1000, 12345, 4096), "video/mp4", 12, 0},
		{"m4a declared audio/mp4", KindAudio, "audio/mp4", mp4File("M4A ", 44100, 44100*75, 512), "audio/x-m4a", 75, 0},
		{"mp3", KindAudio, "audio/mpeg", mp3File(766), "audio/mpeg", mp3Seconds(766), 0},
		{"pdf", KindDocument, "application/pdf", pdfFile(3), "application/pdf", 0, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			l := e.draftLesson(tt.kind)
			plan := e.start(l.ID, tt.data, tt.declared)
			e.uploadAll(plan, tt.data)
			u := plan.Upload

			got, err := e.media.Complete(e.as("owner"), u.ID)
			if err != nil {
				t.Fatalf("Complete: %v", err)
			}
			want := cloneLesson(l)
			want.MediaStatus, want.MediaKey, want.MediaContentType, want.MediaSize = MediaProcessing, u.ObjectKey, tt.wantType, int64(len(tt.data))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("completed lesson (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(want, e.db.lesson(l.ID)); diff != "" {
				t.Errorf("stored lesson (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]probeCall{{l.ID, u.ObjectKey}}, e.queue.probes()); diff != "" {
				t.Errorf("probes (-want +got):\n%s", diff)
			}
			if st := e.db.upload(u.ID).Status; st != "completed" {
				t.Errorf("upload status = %q", st)
			}
			info, err := e.local.Stat(context.Background(), u.ObjectKey)
			if err != nil || info.Size != int64(len(tt.data)) {
				t.Errorf("stored object: %+v, %v", info, err)
			}
			if ups := e.pendingStoreUploads(); len(ups) != 0 {
				t.Errorf("store uploads left: %+v", ups)
			}

			// Completing again (a retried request) returns the lesson and does nothing else.
			before := e.db.snapshot()
			again, err := e.media.Complete(e.as("owner"), u.ID)
			if err != nil {
				t.Fatalf("second Complete: %v", err)
			}
			if diff := cmp.Diff(got, again); diff != "" {
				t.Errorf("second Complete returned another lesson:\n%s", diff)
			}
			if diff := cmp.Diff(before, e.db.snapshot()); diff != "" {
				t.Errorf("second Complete changed the store:\n%s", diff)
			}
			if n := len(e.queue.probes()); n != 1 {
				t.Errorf("probes after the second Complete = %d, want 1", n)
			}
			if keys := e.objectFiles("lessons/" + itoa(l.ID) + "/"); !cmp.Equal(keys, []string{u.ObjectKey}) {
				t.Errorf("objects of the lesson = %q, want just %q", keys, u.ObjectKey)
			}

			// The probe finishes the job.
			if err := e.media.Probe(context.Background(), l.ID, ""); err != nil {
				t.Fatalf("Probe: %v", err)
			}
			ready := e.db.lesson(l.ID)
			if ready.MediaStatus != MediaReady || ready.DurationSeconds != tt.wantDuration || ready.PageCount != tt.wantPages || ready.MediaError != "" {
				t.Errorf("after probe: status %q, %ds, %d pages, error %q; want ready, %ds, %d pages",
					ready.MediaStatus, ready.DurationSeconds, ready.PageCount, ready.MediaError, tt.wantDuration, tt.wantPages)
			}
		})
	}
}

// A new upload replaces the lesson's media: the old object is deleted once the lesson points at
// the new one.
func TestCompleteReplacesMedia(t *testing.T) {
	e := newTestEnv(t)
	l := e.draftLesson(KindVideo)
	first := mp4File("isom", 1000, 5000, 64)
	p1 := e.start(l.ID, first, "video/mp4")
	e.uploadAll(p1, first)
	if _, err := e.media.Complete(e.as("owner"), p1.Upload.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.media.Probe(context.Background(), l.ID, ""); err != nil {
		t.Fatal(err)
	}
	second := mp4File("isom", 1000, 9000, 64)
	p2 := e.start(l.ID, second, "video/mp4")
	e.uploadAll(p2, second)
	got, err := e.media.Complete(e.as("staffA"), p2.Upload.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.MediaKey != p2.Upload.ObjectKey || got.MediaStatus != MediaProcessing || got.DurationSeconds != 0 {
		t.Errorf("lesson = %+v, want processing the new object with the old duration cleared", got)
	}
	if _, err := e.local.Stat(context.Background(), p1.Upload.ObjectKey); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("old object: %v, want deleted", err)
	}
	if keys := e.objectFiles("lessons/" + itoa(l.ID) + "/"); !cmp.Equal(keys, []string{p2.Upload.ObjectKey}) {
		t.Errorf("objects = %q", keys)
	}
	if err := e.media.Probe(context.Background(), l.ID, ""); err != nil {
		t.Fatal(err)
	}
	if d := e.db.lesson(l.ID).DurationSeconds; d != 9 {
		t.Errorf("duration = %d, want 9 (the new file)", d)
	}
}

// A missing part is named; the upload stays open so the part can still be sent.
func TestCompleteMissingPart(t *testing.T) {
	data := mp4File("isom", 1000, 61000, 5*mib+100) // moov lands in part 2
	for _, missing := range []int{1, 2} {
		t.Run("missing part "+formatInt(int64(missing)), func(t *testing.T) {
			e := newTestEnv(t)
			l := e.draftLesson(KindVideo)
			plan := e.start(l.ID, data, "video/mp4")
			if len(plan.Parts) != 2 {
				t.Fatalf("%d parts, want 2", len(plan.Parts))
			}
			cut := plan.Parts[0].Size
			chunks := [][]byte{data[:cut], data[cut:]}
			other := 3 - missing
			e.putPart(plan.Parts[other-1].URL, chunks[other-1])
			before := e.db.snapshot()
			_, err := e.media.Complete(e.as("owner"), plan.Upload.ID)
			wantErrKind(t, err, &FieldError{Field: "parts"})
			if want := "缺少第 " + formatInt(int64(missing)) + " 片"; !strings.Contains(err.Error(), want) {
				t.Errorf("reason %q does not name the missing part (%q)", err, want)
			}
			if diff := cmp.Diff(before, e.db.snapshot()); diff != "" {
				t.Errorf("refused Complete changed the store:\n%s", diff)
			}
			if len(e.queue.probes()) != 0 || len(e.pendingStoreUploads()) != 1 {
				t.Fatalf("probes %v, store uploads %v", e.queue.probes(), e.pendingStoreUploads())
			}

			e.putPart(plan.Parts[missing-1].URL, chunks[missing-1])
			if _, err := e.media.Complete(e.as("owner"), plan.Upload.ID); err != nil {
				t.Fatalf("Complete after the missing part arrived: %v", err)
			}
			if err := e.media.Probe(context.Background(), l.ID, ""); err != nil {
				t.Fatal(err)
			}
			if got := e.db.lesson(l.ID); got.MediaStatus != MediaReady || got.DurationSeconds != 61 {
				t.Errorf("lesson %q %ds, want ready 61s", got.MediaStatus, got.DurationSeconds)
			}
		})
	}
}

// Parts of the wrong size are refused with the sizes named; re-sending the part fixes it.
func TestCompleteWrongSizes(t *testing.T) {
	t.Run("total differs from declared", func(t *testing.T) {
		e := newTestEnv(t)
		l := e.draftLesson(KindVideo)
		data := mp4File("isom", 1000, 3000, 1000)
		plan, err := e.media.StartUpload(e.as("owner"), l.ID, "a.mp4", int64(len(data)), "video/mp4")
		if err != nil {
			t.Fatal(err)
		}
		long := append(append([]byte{}, data...), make([]byte, 20)...)
		e.putPart(plan.Parts[0].URL, long)
		_, err = e.media.Complete(e.as("owner"), plan.Upload.ID)
		wantErrKind(t, err, &FieldError{Field: "parts"})
		if !strings.Contains(err.Error(), "上传总大小 "+formatInt(int64(len(long)))+" 字节与声明的 "+formatInt(int64(len(data)))+" 字节不符") {
			t.Errorf("reason = %q", err)
		}
		if st := e.db.upload(plan.Upload.ID).Status; st != "pending" {
			t.Errorf("status = %q", st)
		}
		e.putPart(plan.Parts[0].URL, data)
		if _, err := e.media.Complete(e.as("owner"), plan.Upload.ID); err != nil {
			t.Fatalf("after re-sending: %v", err)
		}
	})
	t.Run("short middle part", func(t *testing.T) {
		e := newTestEnv(t)
		l := e.draftLesson(KindVideo)
		data := mp4File("isom", 1000, 3000, 5*mib+100)
		plan := e.start(l.ID, data, "video/mp4")
		cut := plan.Parts[0].Size
		e.putPart(plan.Parts[0].URL, data[:cut-1])
		e.putPart(plan.Parts[1].URL, data[cut-1:]) // same total, wrong split
		_, err := e.media.Complete(e.as("owner"), plan.Upload.ID)
		wantErrKind(t, err, &FieldError{Field: "parts"})
		if !strings.Contains(err.Error(), "第 1 片大小为 "+formatInt(cut-1)+" 字节，应为 "+formatInt(cut)+" 字节") {
			t.Errorf("reason = %q", err)
		}
		if len(e.objectFiles("lessons/")) != 0 {
			t.Error("an object was assembled from bad parts")
		}
	})
}

// Bytes that are not what the lesson accepts are rejected and deleted, for good.
func TestCompleteRejectsDisguisedFile(t *testing.T) {
	tests := []struct {
		name     string
		kind     Kind
		declared string
		data     []byte
	}{
		{"exe as video", KindVideo, "video/mp4", exeFile(4096)},
		{"pdf as video", KindVideo, "video/mp4", pdfFile(2)},
		{"mp4 as pdf", KindDocument, "application/pdf", mp4File("isom", 1000, 1000, 64)},
		{"m4a as video", KindVideo, "video/mp4", mp4File("M4A ", 1000, 1000, 64)},
		{"text as mp3", KindAudio, "audio/mpeg", []byte(strings.Repeat("hello world\n", 100))},
		// The right kind of media in a format the lesson does not take.
		{"webm as mp4", KindVideo, "video/mp4", webmFile(2048)},
		{"wav as mp3", KindAudio, "audio/mpeg", wavFile(2048)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			l := e.draftLesson(tt.kind)
			plan := e.start(l.ID, tt.data, tt.declared)
			e.uploadAll(plan, tt.data)
			_, err := e.media.Complete(e.as("owner"), plan.Upload.ID)
			wantErrKind(t, err, &RejectedError{})
			var re *RejectedError
			errors.As(err, &re)
			if !strings.Contains(re.Msg, tt.declared) || !strings.Contains(re.Msg, "已删除") {
				t.Errorf("reason %q should name the declared type and say the file was deleted", re.Msg)
			}
			if _, err := e.local.Stat(context.Background(), plan.Upload.ObjectKey); !errors.Is(err, blob.ErrNotFound) {
				t.Errorf("object after rejection: %v, want deleted", err)
			}
			if files := e.objectFiles("lessons/"); len(files) != 0 {
				t.Errorf("objects left: %q", files)
			}
			if u := e.db.upload(plan.Upload.ID); u.Status != "rejected" || u.Reason != re.Msg {
				t.Errorf("upload = %q / %q, want rejected with the reason", u.Status, u.Reason)
			}
			if diff := cmp.Diff(l, e.db.lesson(l.ID)); diff != "" {
				t.Errorf("rejection changed the lesson:\n%s", diff)
			}
			if len(e.queue.probes()) != 0 {
				t.Errorf("probes = %v", e.queue.probes())
			}

			// Later attempts get the same answer.
			_, err = e.media.Complete(e.as("owner"), plan.Upload.ID)
			var again *RejectedError
			if !errors.As(err, &again) || again.Msg != re.Msg {
				t.Errorf("second Complete = %v, want the same rejection %q", err, re.Msg)
			}
			got, err := e.media.GetUpload(e.as("owner"), plan.Upload.ID)
			if err != nil || got.Upload.Status != "rejected" || len(got.Parts) != 0 {
				t.Errorf("GetUpload after rejection = %+v, %v; want status rejected and no part URLs", got, err)
			}
			if err := e.media.Abort(e.as("owner"), plan.Upload.ID); err != nil || e.db.upload(plan.Upload.ID).Status != "rejected" {
				t.Errorf("Abort after rejection: %v, status %q", err, e.db.upload(plan.Upload.ID).Status)
			}
		})
	}
}

// A crash between assembling the object in the store and recording it: the retried Complete
// finds the object with the declared size and finishes.
func TestCompleteAfterCrash(t *testing.T) {
	assemble := func(e *testEnv, u *Upload) {
		e.t.Helper()
		ctx := context.Background()
		parts, err := e.local.ListParts(ctx, u.ObjectKey, u.StoreUploadID)
		if err != nil {
			e.t.Fatal(err)
		}
		if _, err := e.local.CompleteMultipart(ctx, u.ObjectKey, u.StoreUploadID, parts); err != nil {
			e.t.Fatal(err)
		}
	}
	t.Run("recovers", func(t *testing.T) {
		e := newTestEnv(t)
		l := e.draftLesson(KindVideo)
		data := mp4File("isom", 1000, 42000, 5*mib+10)
		plan := e.start(l.ID, data, "video/mp4")
		e.uploadAll(plan, data)
		u := plan.Upload
		assemble(e, u)
		if st := e.db.upload(u.ID).Status; st != "pending" {
			t.Fatalf("status %q before the retry", st)
		}
		got, err := e.media.Complete(e.as("owner"), u.ID)
		if err != nil {
			t.Fatalf("Complete after the crash: %v", err)
		}
		if got.MediaStatus != MediaProcessing || got.MediaKey != u.ObjectKey || got.MediaSize != int64(len(data)) {
			t.Errorf("lesson = %+v", got)
		}
		info, err := e.local.Stat(context.Background(), u.ObjectKey)
		if err != nil || info.Size != int64(len(data)) {
			t.Errorf("object: %+v, %v", info, err)
		}
		if e.db.upload(u.ID).Status != "completed" {
			t.Errorf("status = %q", e.db.upload(u.ID).Status)
		}
		if diff := cmp.Diff([]probeCall{{l.ID, u.ObjectKey}}, e.queue.probes()); diff != "" {
			t.Errorf("probes:\n%s", diff)
		}
	})
	t.Run("assembled with the wrong size", func(t *testing.T) {
		e := newTestEnv(t)
		l := e.draftLesson(KindVideo)
		data := mp4File("isom", 1000, 42000, 100)
		plan := e.start(l.ID, data, "video/mp4")
		e.putPart(plan.Parts[0].URL, append(append([]byte{}, data...), 0))
		assemble(e, plan.Upload)
		before := e.db.snapshot()
		_, err := e.media.Complete(e.as("owner"), plan.Upload.ID)
		wantErrKind(t, err, ErrUploadNotFound)
		if diff := cmp.Diff(before, e.db.snapshot()); diff != "" {
			t.Errorf("store changed:\n%s", diff)
		}
	})
	t.Run("aborted in the store", func(t *testing.T) {
		e := newTestEnv(t)
		l := e.draftLesson(KindVideo)
		data := mp4File("isom", 1000, 42000, 100)
		plan := e.start(l.ID, data, "video/mp4")
		e.uploadAll(plan, data)
		if err := e.local.AbortMultipart(context.Background(), plan.Upload.ObjectKey, plan.Upload.StoreUploadID); err != nil {
			t.Fatal(err)
		}
		_, err := e.media.Complete(e.as("owner"), plan.Upload.ID)
		wantErrKind(t, err, ErrUploadNotFound)
	})
	t.Run("assembled disguised file is still rejected", func(t *testing.T) {
		e := newTestEnv(t)
		l := e.draftLesson(KindVideo)
		data := exeFile(2048)
		plan := e.start(l.ID, data, "video/mp4")
		e.uploadAll(plan, data)
		assemble(e, plan.Upload)
		_, err := e.media.Complete(e.as("owner"), plan.Upload.ID)
		wantErrKind(t, err, &RejectedError{})
		if _, err := e.local.Stat(context.Background(), plan.Upload.ObjectKey); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("object: %v, want deleted", err)
		}
	})
}

// Media of a course that left the draft state cannot be replaced.
func TestCompleteNeedsDraft(t *testing.T) {
	e := newTestEnv(t)
	l := e.draftLesson(KindVideo)
	data := mp4File("isom", 1000, 1000, 64)
	plan := e.start(l.ID, data, "video/mp4")
	e.uploadAll(plan, data)
	if _, err := e.courses.Archive(e.as("owner"), l.CourseID); err != nil {
		t.Fatal(err)
	}
	before := e.db.snapshot()
	_, err := e.media.Complete(e.as("owner"), plan.Upload.ID)
	wantErrKind(t, err, &StateError{})
	if diff := cmp.Diff(before, e.db.snapshot()); diff != "" {
		t.Errorf("store changed:\n%s", diff)
	}
	if len(e.pendingStoreUploads()) != 1 || len(e.objectFiles("lessons/")) != 0 {
		t.Error("the store upload should be left alone")
	}
}

func TestAbort(t *testing.T) {
	e := newTestEnv(t)
	l := e.draftLesson(KindVideo)
	data := mp4File("isom", 1000, 1000, 64)
	plan := e.start(l.ID, data, "video/mp4")
	e.uploadAll(plan, data)
	for i := range 2 {
		if err := e.media.Abort(e.as("owner"), plan.Upload.ID); err != nil {
			t.Fatalf("Abort #%d: %v", i+1, err)
		}
		if st := e.db.upload(plan.Upload.ID).Status; st != "aborted" {
			t.Fatalf("status after Abort #%d = %q", i+1, st)
		}
		if ups := e.pendingStoreUploads(); len(ups) != 0 {
			t.Fatalf("store uploads after Abort #%d: %+v", i+1, ups)
		}
	}
	_, err := e.media.Complete(e.as("owner"), plan.Upload.ID)
	wantErrKind(t, err, ErrUploadNotFound)
	if got, err := e.media.GetUpload(e.as("owner"), plan.Upload.ID); err != nil || len(got.Parts) != 0 {
		t.Errorf("GetUpload after Abort = %+v, %v; want no part URLs", got, err)
	}
	if rec := e.do(http.MethodPut, plan.Parts[0].URL, data); rec.Code != http.StatusNotFound {
		t.Errorf("PUT to an aborted upload: %d, want 404", rec.Code)
	}

	// Aborting a completed upload changes nothing.
	p2 := e.start(l.ID, data, "video/mp4")
	e.uploadAll(p2, data)
	if _, err := e.media.Complete(e.as("owner"), p2.Upload.ID); err != nil {
		t.Fatal(err)
	}
	before := e.db.snapshot()
	if err := e.media.Abort(e.as("owner"), p2.Upload.ID); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, e.db.snapshot()); diff != "" {
		t.Errorf("Abort of a completed upload changed the store:\n%s", diff)
	}
	if _, err := e.local.Stat(context.Background(), p2.Upload.ObjectKey); err != nil {
		t.Errorf("completed object: %v", err)
	}
}

// Only editors of the course may act on an upload; everyone else is told it does not exist.
func TestUploadAccess(t *testing.T) {
	tests := []struct {
		as   string
		want any
	}{
		{"owner", nil},
		{"staffA", nil},
		{"staffG", nil},
		{"admin", nil},
		{"trainerA2", ErrUploadNotFound},
		{"trainerG", ErrUploadNotFound},
		{"trainerB", ErrUploadNotFound},
		{"staffB", ErrUploadNotFound},
		{"memberA", ErrUploadNotFound},
		{"exOwner", ErrUploadNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.as, func(t *testing.T) {
			e := newTestEnv(t)
			l := e.draftLesson(KindVideo)
			data := mp4File("isom", 1000, 1000, 64)
			plan := e.start(l.ID, data, "video/mp4")
			e.uploadAll(plan, data)
			ctx := e.as(tt.as)
			before := e.db.snapshot()

			got, err := e.media.GetUpload(ctx, plan.Upload.ID)
			wantErrKind(t, err, tt.want)
			if tt.want == nil && len(got.Parts) != 1 {
				t.Errorf("GetUpload: %d parts", len(got.Parts))
			}
			if tt.want != nil {
				_, err = e.media.Complete(ctx, plan.Upload.ID)
				wantErrKind(t, err, tt.want)
				wantErrKind(t, e.media.Abort(ctx, plan.Upload.ID), tt.want)
				if diff := cmp.Diff(before, e.db.snapshot()); diff != "" {
					t.Errorf("refused calls changed the store:\n%s", diff)
				}
				if len(e.pendingStoreUploads()) != 1 || len(e.queue.probes()) != 0 {
					t.Error("refused calls touched the store upload or the queue")
				}
				return
			}
			if _, err := e.media.Complete(ctx, plan.Upload.ID); err != nil {
				t.Errorf("Complete: %v", err)
			}
		})
	}
	t.Run("unknown upload", func(t *testing.T) {
		e := newTestEnv(t)
		_, err := e.media.GetUpload(e.as("admin"), 999)
		wantErrKind(t, err, ErrUploadNotFound)
		_, err = e.media.Complete(e.as("admin"), 999)
		wantErrKind(t, err, ErrUploadNotFound)
		wantErrKind(t, e.media.Abort(e.as("admin"), 999), ErrUploadNotFound)
	})
}

// GetUpload re-issues fresh part URLs, so an upload can resume after its URLs expired.
func TestGetUploadRefreshesURLs(t *testing.T) {
	e := newTestEnv(t)
	l := e.draftLesson(KindVideo)
	data := mp4File("isom", 1000, 1000, 5*mib+10)
	plan := e.start(l.ID, data, "video/mp4")
	e.putPart(plan.Parts[0].URL, data[:plan.Parts[0].Size])
	e.clk.Advance(time.Hour + time.Minute)
	if rec := e.do(http.MethodPut, plan.Parts[1].URL, data[plan.Parts[0].Size:]); rec.Code != http.StatusForbidden {
		t.Fatalf("PUT with an expired URL: %d, want 403", rec.Code)
	}
	fresh, err := e.media.GetUpload(e.as("owner"), plan.Upload.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(plan.Upload, fresh.Upload); diff != "" {
		t.Errorf("upload changed:\n%s", diff)
	}
	e.putPart(fresh.Parts[1].URL, data[plan.Parts[0].Size:])
	if _, err := e.media.Complete(e.as("owner"), plan.Upload.ID); err != nil {
		t.Fatal(err)
	}
}

// Probe reads durations and page counts, fails damaged files for good (no retry), and leaves
// lessons that are not processing alone.
func TestProbe(t *testing.T) {
	tests := []struct {
		name         string
		contentType  string
		data         []byte // nil: no object
		wantStatus   MediaStatus
		wantDuration int64
		wantPages    int
		wantReason   string
	}{
		{"mp4", "video/mp4", mp4File("isom", 1000, 12345, 2048), MediaReady, 12, 0, ""},
		{"mp4 rounds half up", "video/mp4", mp4File("isom", 600, 5*600+300, 16), MediaReady, 6, 0, ""},
		{"m4a", "audio/x-m4a", mp4File("M4A ", 44100, 44100*3600, 16), MediaReady, 3600, 0, ""},
		{"audio/mp4", "audio/mp4", mp4File("mp42", 90000, 90000*30, 16), MediaReady, 30, 0, ""},
		{"mp3", "audio/mpeg", mp3File(383), MediaReady, mp3Seconds(383), 0, ""},
		{"pdf", "application/pdf", pdfFile(3), MediaReady, 0, 3, ""},
		{"pdf without a page tree", "application/pdf", []byte("%PDF-1.7\n%%EOF\n"), MediaReady, 0, 0, ""},
		{"mp4 without moov", "video/mp4", mp4File("isom", 0, 0, 2048), MediaFailed, 0, 0, "无法读取音视频时长"},
		{"truncated mp4", "video/mp4", mp4File("isom", 1000, 1000, 2048)[:2000], MediaFailed, 0, 0, "无法读取音视频时长"},
		{"mp3 of zeros", "audio/mpeg", make([]byte, 4096), MediaFailed, 0, 0, "无法读取音频时长"},
		{"object missing", "video/mp4", nil, MediaFailed, 0, 0, "媒体文件不存在"},
		{"unsupported type", "video/quicktime", mp4File("qt  ", 1000, 1000, 16), MediaFailed, 0, 0, "不支持的媒体类型"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			l := e.draftLesson(KindVideo)
			key := "lessons/" + itoa(l.ID) + "/0123456789abcdef/missing.mp4"
			if tt.data != nil {
				key = e.seedMedia(l.ID, tt.data, tt.contentType)
			}
			if _, err := (fakeCourseRepo{e.db}).UpdateLesson(context.Background(), l.ID, LessonPatch{
				MediaStatus: ptr(MediaProcessing), MediaKey: &key, MediaContentType: &tt.contentType,
				MediaSize: ptr(int64(len(tt.data))), DurationSeconds: ptr(int64(99)), PageCount: ptr(99), MediaError: ptr("stale"),
			}); err != nil {
				t.Fatal(err)
			}
			if err := e.media.Probe(context.Background(), l.ID, ""); err != nil {
				t.Fatalf("Probe returned %v; a bad file must not be retried", err)
			}
			got := e.db.lesson(l.ID)
			if got.MediaStatus != tt.wantStatus || got.DurationSeconds != tt.wantDuration || got.PageCount != tt.wantPages {
				t.Errorf("lesson: %q, %ds, %d pages; want %q, %ds, %d pages",
					got.MediaStatus, got.DurationSeconds, got.PageCount, tt.wantStatus, tt.wantDuration, tt.wantPages)
			}
			if tt.wantReason == "" && got.MediaError != "" || !strings.Contains(got.MediaError, tt.wantReason) {
				t.Errorf("MediaError = %q, want %q", got.MediaError, tt.wantReason)
			}
			if got.MediaKey != key {
				t.Errorf("MediaKey changed to %q", got.MediaKey)
			}
			// A playable lesson is announced once (lesson.media_ready); a failed one is not.
			var ready []LessonMediaReady
			for _, ev := range e.db.events() {
				if r, ok := ev.(LessonMediaReady); ok {
					ready = append(ready, r)
				}
			}
			if tt.wantStatus == MediaReady {
				want := []LessonMediaReady{{LessonID: l.ID, CourseID: l.CourseID, Kind: l.Kind, DurationSeconds: tt.wantDuration, Pages: tt.wantPages}}
				if diff := cmp.Diff(want, ready); diff != "" {
					t.Errorf("media ready events (-want +got):\n%s", diff)
				}
			} else if len(ready) != 0 {
				t.Errorf("a failed probe announced %+v", ready)
			}

			// A second run (a duplicate task) is a no-op and reads nothing.
			before := e.db.snapshot()
			reads := e.store.getRanges
			if err := e.media.Probe(context.Background(), l.ID, ""); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(before, e.db.snapshot()); diff != "" {
				t.Errorf("second Probe changed the store:\n%s", diff)
			}
			if e.store.getRanges != reads {
				t.Errorf("second Probe read the object")
			}
		})
	}
}

func TestProbeLeavesOtherLessonsAlone(t *testing.T) {
	for _, st := range []MediaStatus{MediaNone, MediaReady, MediaFailed} {
		e := newTestEnv(t)
		l := e.draftLesson(KindVideo)
		key := e.seedMedia(l.ID, mp4File("isom", 1000, 7000, 16), "video/mp4")
		if _, err := (fakeCourseRepo{e.db}).UpdateLesson(context.Background(), l.ID, LessonPatch{
			MediaStatus: &st, MediaKey: &key, MediaContentType: ptr("video/mp4"), DurationSeconds: ptr(int64(3)),
		}); err != nil {
			t.Fatal(err)
		}
		before := e.db.snapshot()
		if err := e.media.Probe(context.Background(), l.ID, ""); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
		if diff := cmp.Diff(before, e.db.snapshot()); diff != "" {
			t.Errorf("Probe of a %s lesson changed the store:\n%s", st, diff)
		}
	}
	e := newTestEnv(t)
	if err := e.media.Probe(context.Background(), 999, ""); err != nil {
		t.Errorf("Probe of a deleted lesson: %v, want nil (nothing to retry)", err)
	}
}

// When the store does not answer, Probe returns the error (the task is retried) and the lesson
// stays processing.
func TestProbeStoreFailureIsRetried(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		data        []byte
		wantAfter   func(*Lesson) bool
	}{
		{"mp4", "video/mp4", mp4File("isom", 1000, 8000, 64), func(l *Lesson) bool { return l.DurationSeconds == 8 }},
		{"pdf", "application/pdf", pdfFile(3), func(l *Lesson) bool { return l.PageCount == 3 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			l := e.draftLesson(KindVideo)
			key := e.seedMedia(l.ID, tt.data, tt.contentType)
			if _, err := (fakeCourseRepo{e.db}).UpdateLesson(context.Background(), l.ID, LessonPatch{
				MediaStatus: ptr(MediaProcessing), MediaKey: &key, MediaContentType: &tt.contentType,
			}); err != nil {
				t.Fatal(err)
			}
			e.store.setFailGetRange(true)
			before := e.db.snapshot()
			err := e.media.Probe(context.Background(), l.ID, "")
			if !errors.Is(err, errStoreDown) {
				t.Fatalf("Probe = %v, want the store error (retry)", err)
			}
			if diff := cmp.Diff(before, e.db.snapshot()); diff != "" {
				t.Errorf("failed Probe changed the store:\n%s", diff)
			}
			e.store.setFailGetRange(false)
			if err := e.media.Probe(context.Background(), l.ID, ""); err != nil {
				t.Fatal(err)
			}
			if got := e.db.lesson(l.ID); got.MediaStatus != MediaReady || !tt.wantAfter(got) {
				t.Errorf("after the retry: %+v", got)
			}
		})
	}
}

// Reconcile re-enqueues the probe of every processing lesson and cleans up expired uploads.
func TestReconcile(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	repo := fakeCourseRepo{e.db}
	lp1, lr, lp2 := e.draftLesson(KindVideo), e.draftLesson(KindVideo), e.draftLesson(KindAudio)
	for _, x := range []struct {
		l   *Lesson
		st  MediaStatus
		key string
	}{{lp1, MediaProcessing, "lessons/a/k1/x"}, {lr, MediaReady, "lessons/b/k2/x"}, {lp2, MediaProcessing, "lessons/c/k3/x"}} {
		if _, err := repo.UpdateLesson(ctx, x.l.ID, LessonPatch{MediaStatus: &x.st, MediaKey: &x.key}); err != nil {
			t.Fatal(err)
		}
	}
	data := mp4File("isom", 1000, 1000, 64)
	old := e.start(lr.ID, data, "video/mp4") // expires at T0+24h
	e.putPart(old.Parts[0].URL, data)
	gone := e.start(lr.ID, data, "video/mp4") // its store upload vanished already
	if err := e.local.AbortMultipart(ctx, gone.Upload.ObjectKey, gone.Upload.StoreUploadID); err != nil {
		t.Fatal(err)
	}
	done := e.start(lr.ID, data, "video/mp4")
	e.uploadAll(done, data)
	if _, err := e.media.Complete(e.as("owner"), done.Upload.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.media.Probe(ctx, lr.ID, ""); err != nil || e.db.lesson(lr.ID).MediaStatus != MediaReady {
		t.Fatalf("probe of the completed upload: %v", err)
	}
	e.clk.Advance(20 * time.Hour)
	young := e.start(lr.ID, data, "video/mp4") // expires at T0+44h
	e.clk.Advance(4*time.Hour + time.Second)
	e.queue.reset()

	if err := e.media.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	wantProbes := []probeCall{{lp1.ID, "lessons/a/k1/x"}, {lp2.ID, "lessons/c/k3/x"}}
	if diff := cmp.Diff(wantProbes, e.queue.probes()); diff != "" {
		t.Errorf("probes (-want +got):\n%s", diff)
	}
	for _, x := range []struct {
		name   string
		plan   *UploadPlan
		status string
	}{{"old", old, "aborted"}, {"gone", gone, "aborted"}, {"done", done, "completed"}, {"young", young, "pending"}} {
		u := e.db.upload(x.plan.Upload.ID)
		if u.Status != x.status {
			t.Errorf("%s upload: status %q, want %q", x.name, u.Status, x.status)
		}
		if x.status == "aborted" && u.Reason == "" {
			t.Errorf("%s upload aborted without a reason", x.name)
		}
	}
	ups := e.pendingStoreUploads()
	if len(ups) != 1 || ups[0].UploadID != young.Upload.StoreUploadID {
		t.Errorf("store uploads = %+v, want only the young one", ups)
	}
	if _, err := e.local.Stat(ctx, done.Upload.ObjectKey); err != nil {
		t.Errorf("completed object: %v", err)
	}

	// A second pass only re-enqueues.
	before := e.db.snapshot()
	if err := e.media.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, e.db.snapshot()); diff != "" {
		t.Errorf("second pass changed the store:\n%s", diff)
	}
	if n := len(e.queue.probes()); n != 4 {
		t.Errorf("probes after two passes = %d, want 4", n)
	}

	// An enqueue failure is reported (the reconciler runs again later).
	e.queue.err = errors.New("queue down")
	if err := e.media.Reconcile(ctx); err == nil {
		t.Error("Reconcile hid the queue failure")
	}
}

// A probe of a replaced object must not write its facts onto the lesson, and the new object's
// own probe must still run.
func TestProbeOfReplacedObjectIsIgnored(t *testing.T) {
	e := newTestEnv(t)
	l := e.draftLesson(KindDocument)
	complete := func(data []byte) string {
		p := e.start(l.ID, data, "application/pdf")
		e.uploadAll(p, data)
		if _, err := e.media.Complete(e.as("owner"), p.Upload.ID); err != nil {
			t.Fatal(err)
		}
		return p.Upload.ObjectKey
	}
	oldKey := complete(pdfFile(3))
	newKey := complete(pdfFile(7))
	// The old task arrives late: it names the object it was for and leaves the lesson alone.
	if err := e.media.Probe(context.Background(), l.ID, oldKey); err != nil {
		t.Fatal(err)
	}
	if got := e.db.lesson(l.ID); got.MediaStatus != MediaProcessing || got.MediaKey != newKey {
		t.Fatalf("stale probe changed the lesson: %+v", got)
	}
	if err := e.media.Probe(context.Background(), l.ID, newKey); err != nil {
		t.Fatal(err)
	}
	if got := e.db.lesson(l.ID); got.MediaStatus != MediaReady || got.PageCount != 7 {
		t.Fatalf("new object's probe = %+v", got)
	}
}
