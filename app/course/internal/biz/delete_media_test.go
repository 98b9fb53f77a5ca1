package biz

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vanguard/vanguard/pkg/blob"
)

// deleteFixture is a draft course with two chapters of lessons carrying media (and an article
// without), a second draft and a published course whose media must survive every delete here.
type deleteFixture struct {
	draft, other, published *Course
	// The draft: l1 and l2 (and an article) in ch1, l3 in ch2, with media k1, k2, k3.
	ch1, ch2   *Chapter
	l1, l2, l3 *Lesson
	k1, k2, k3 string
	// The published course's only chapter and lesson, and the media of each other course.
	pubCh            *Chapter
	pubLesson        *Lesson
	otherKey, pubKey string
}

// withMedia stores a video for the lesson and points the lesson at it.
func (e *testEnv) withMedia(l *Lesson) string {
	e.t.Helper()
	key := e.seedMedia(l.ID, mp4File("isom", 1000, 60000, 16), "video/mp4")
	if _, err := (fakeCourseRepo{e.db}).UpdateLesson(e.t.Context(), l.ID, LessonPatch{MediaKey: &key, MediaStatus: ptr(MediaReady)}); err != nil {
		e.t.Fatal(err)
	}
	return key
}

func (e *testEnv) seedDeleteFixture() *deleteFixture {
	e.t.Helper()
	f := &deleteFixture{}
	f.draft = e.seedCourse("草稿课程", "A", "owner", StatusDraft)
	f.ch1 = e.seedChapter(f.draft.ID, "第一章")
	f.ch2 = e.seedChapter(f.draft.ID, "第二章")
	f.l1 = e.seedLesson(f.ch1.ID, "视频一", KindVideo, nil)
	f.l2 = e.seedLesson(f.ch1.ID, "视频二", KindVideo, nil)
	e.seedLesson(f.ch1.ID, "文章", KindArticle, nil)
	f.l3 = e.seedLesson(f.ch2.ID, "视频三", KindVideo, nil)
	f.k1, f.k2, f.k3 = e.withMedia(f.l1), e.withMedia(f.l2), e.withMedia(f.l3)
	f.other = e.seedCourse("另一草稿", "A", "owner", StatusDraft)
	f.otherKey = e.withMedia(e.seedLesson(e.seedChapter(f.other.ID, "第一章").ID, "视频", KindVideo, nil))
	f.published = e.seedCourse("已发布课程", "A", "owner", StatusPublished)
	f.pubCh = e.seedChapter(f.published.ID, "第一章")
	f.pubLesson = e.seedLesson(f.pubCh.ID, "视频", KindVideo, nil)
	f.pubKey = e.withMedia(f.pubLesson)
	return f
}

// storedKeys lists the media objects in the store, sorted.
func (e *testEnv) storedKeys() []string {
	keys := e.objectFiles("lessons/")
	slices.Sort(keys)
	return keys
}

func without(keys []string, gone ...string) []string {
	return slices.DeleteFunc(slices.Clone(keys), func(k string) bool { return slices.Contains(gone, k) })
}

// Deleting a draft course, chapter or lesson removes its lessons' media objects from the store
// (and nothing else); the service layer has nothing left to clean up.
func TestDeleteRemovesMedia(t *testing.T) {
	tests := []struct {
		name string
		del  func(e *testEnv, f *deleteFixture) error
		gone func(f *deleteFixture) []string
	}{
		{"course", func(e *testEnv, f *deleteFixture) error { return e.courses.Delete(e.as("owner"), f.draft.ID) },
			func(f *deleteFixture) []string { return []string{f.k1, f.k2, f.k3} }},
		{"chapter", func(e *testEnv, f *deleteFixture) error { return e.courses.DeleteChapter(e.as("owner"), f.ch1.ID) },
			func(f *deleteFixture) []string { return []string{f.k1, f.k2} }},
		{"lesson", func(e *testEnv, f *deleteFixture) error { return e.courses.DeleteLesson(e.as("staffA"), f.l3.ID) },
			func(f *deleteFixture) []string { return []string{f.k3} }},
		{"lesson without media", func(e *testEnv, f *deleteFixture) error {
			l := e.seedLesson(f.ch2.ID, "文章二", KindArticle, nil)
			return e.courses.DeleteLesson(e.as("owner"), l.ID)
		}, func(*deleteFixture) []string { return nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			f := e.seedDeleteFixture()
			before := e.storedKeys()
			if len(before) != 5 {
				t.Fatalf("fixture stores %v, want 5 objects", before)
			}
			if err := tt.del(e, f); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(without(before, tt.gone(f)...), e.storedKeys()); diff != "" {
				t.Errorf("objects left (-want +got):\n%s", diff)
			}
		})
	}
}

// A refused delete (not a draft, not the caller's, no caller, gone) removes no object.
func TestRefusedDeleteRemovesNoMedia(t *testing.T) {
	e := newTestEnv(t)
	f := e.seedDeleteFixture()
	before := e.storedKeys()
	anon := context.Background()
	tests := []struct {
		name string
		err  error
		want any // for wantErrKind; nil means any error
	}{
		{"published course", e.courses.Delete(e.as("owner"), f.published.ID), &StateError{}},
		{"published chapter", e.courses.DeleteChapter(e.as("owner"), f.pubCh.ID), &StateError{}},
		{"published lesson", e.courses.DeleteLesson(e.as("admin"), f.pubLesson.ID), &StateError{}},
		{"course of another org", e.courses.Delete(e.as("trainerB"), f.draft.ID), ErrCourseNotFound},
		{"chapter of another org", e.courses.DeleteChapter(e.as("staffB"), f.ch1.ID), ErrCourseNotFound},
		{"lesson of another org", e.courses.DeleteLesson(e.as("trainerB"), f.l1.ID), ErrCourseNotFound},
		{"course not the caller's", e.courses.Delete(e.as("trainerA2"), f.draft.ID), &PermissionError{}},
		{"lesson by a member", e.courses.DeleteLesson(e.as("memberA"), f.l2.ID), nil},
		{"no caller", e.courses.Delete(anon, f.draft.ID), nil},
		{"unknown course", e.courses.Delete(e.as("admin"), 424242), ErrCourseNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err == nil {
				t.Fatal("delete succeeded")
			}
			if tt.want != nil {
				wantErrKind(t, tt.err, tt.want)
			}
		})
	}
	if diff := cmp.Diff(before, e.storedKeys()); diff != "" {
		t.Errorf("refused deletes removed objects (-before +after):\n%s", diff)
	}
}

// commitFailingTx runs the transaction and then fails to commit it, rolling back like fakeTx.
type commitFailingTx struct{ fakeTx }

var errCommit = errors.New("commit failed")

func (tx commitFailingTx) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	before := tx.db.snapshot()
	if err := tx.fakeTx.InTx(ctx, fn); err != nil {
		return err
	}
	tx.db.mu.Lock()
	tx.db.st = before
	tx.db.mu.Unlock()
	return errCommit
}

// cancelAfterCommitTx commits and then cancels the request, as a client hanging up would.
type cancelAfterCommitTx struct {
	fakeTx
	cancel context.CancelFunc
}

func (tx cancelAfterCommitTx) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	err := tx.fakeTx.InTx(ctx, fn)
	tx.cancel()
	return err
}

// recordingStore refuses a cancelled context (as a network store would) and can fail deletes.
type recordingStore struct {
	blob.Store
	mu      sync.Mutex
	fail    bool
	deletes []string
}

func (s *recordingStore) Delete(ctx context.Context, key string) error {
	s.mu.Lock()
	s.deletes = append(s.deletes, key)
	fail := s.fail
	s.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	if fail {
		return errStoreDown
	}
	return s.Store.Delete(ctx, key)
}

// The objects go only after the transaction commits, the clean-up outlives the request's
// cancellation, and a store failing to delete does not fail the delete (the rows are gone).
func TestDeleteMediaAfterCommit(t *testing.T) {
	e := newTestEnv(t)
	f := e.seedDeleteFixture()
	before := e.storedKeys()
	withTx := func(store blob.Store, tx Transaction) *CourseUsecase {
		return NewCourseUsecase(fakeCourseRepo{e.db}, fakeAssignmentRepo{e.db}, e.courses.orgs, fakePublisher{e.db}, store, tx, e.clk)
	}

	rec := &recordingStore{Store: e.local}
	err := withTx(rec, commitFailingTx{fakeTx{e.db}}).Delete(e.as("owner"), f.draft.ID)
	wantErrKind(t, err, errCommit)
	if len(rec.deletes) != 0 || e.db.course(f.draft.ID) == nil {
		t.Fatalf("failed commit: deletes %v, course row kept %v", rec.deletes, e.db.course(f.draft.ID) != nil)
	}
	if diff := cmp.Diff(before, e.storedKeys()); diff != "" {
		t.Errorf("a rolled-back delete removed objects (-before +after):\n%s", diff)
	}

	ctx, cancel := context.WithCancel(e.as("owner"))
	defer cancel()
	if err := withTx(rec, cancelAfterCommitTx{fakeTx{e.db}, cancel}).DeleteChapter(ctx, f.ch1.ID); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(without(before, f.k1, f.k2), e.storedKeys()); diff != "" {
		t.Errorf("after a cancelled request (-want +got):\n%s", diff)
	}

	if g := e.db.snapshot().Garbage; len(g) != 0 {
		t.Errorf("deleted objects still recorded as garbage: %v", g)
	}

	rec.fail = true
	if err := withTx(rec, fakeTx{e.db}).DeleteLesson(e.as("owner"), f.l3.ID); err != nil {
		t.Fatalf("a store failure failed the delete: %v", err)
	}
	if e.db.lesson(f.l3.ID) != nil || !slices.Contains(rec.deletes, f.k3) {
		t.Errorf("lesson row kept %v; deletes tried %v", e.db.lesson(f.l3.ID) != nil, rec.deletes)
	}
	// The object the store refused to delete is not forgotten: it stays recorded, survives a
	// failing reconciler pass, and the first pass with the store back deletes it.
	if g := e.db.snapshot().Garbage; !slices.Equal(g, []string{f.k3}) {
		t.Fatalf("garbage after a failed delete = %v, want [%s]", g, f.k3)
	}
	media := NewMediaUsecase(e.cfg, withTx(rec, fakeTx{e.db}), fakeCourseRepo{e.db}, fakeUploadRepo{e.db}, rec, e.queue, fakeTx{e.db})
	if err := media.Reconcile(context.Background()); !errors.Is(err, errStoreDown) {
		t.Fatalf("reconcile with the store down = %v, want the store's error", err)
	}
	if g := e.db.snapshot().Garbage; !slices.Equal(g, []string{f.k3}) || !slices.Contains(e.storedKeys(), f.k3) {
		t.Fatalf("after a failed pass: garbage %v, stored %v", g, e.storedKeys())
	}
	rec.fail = false
	if err := media.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	if g := e.db.snapshot().Garbage; len(g) != 0 || slices.Contains(e.storedKeys(), f.k3) {
		t.Errorf("after the store came back: garbage %v, stored %v", g, e.storedKeys())
	}
}
