package biz

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/blob"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/htmlsafe"
)

// Status of a course.
type Status string

// Course statuses: drafts are edited freely; published courses are immutable in what members
// study (only safe fields change); archived courses are read-only and leave "my courses".
const (
	StatusDraft     Status = "draft"
	StatusPublished Status = "published"
	StatusArchived  Status = "archived"
)

// Kind of a lesson.
type Kind string

// Lesson kinds.
const (
	KindVideo    Kind = "video"
	KindAudio    Kind = "audio"
	KindDocument Kind = "document"
	KindArticle  Kind = "article"
)

// MediaStatus of a lesson's media.
type MediaStatus string

// Media statuses.
const (
	MediaNone       MediaStatus = "none"
	MediaProcessing MediaStatus = "processing"
	MediaReady      MediaStatus = "ready"
	MediaFailed     MediaStatus = "failed"
)

// Topic is an entry of the managed topic list.
type Topic struct {
	ID       int64
	Name     string
	Position int
}

// Course is a course with, when loaded, its chapters and lessons.
type Course struct {
	ID          int64
	Title       string
	Summary     string
	CoverURL    string
	TopicID     int64
	Tags        []string
	CreditHours float64
	OwnerID     int64
	OrgID       int64
	OrgPath     string
	Status      Status
	PublishedAt *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Chapters    []*Chapter
}

// Duration sums the course's timed lessons.
func (c *Course) Duration() int64 {
	var d int64
	for _, ch := range c.Chapters {
		for _, l := range ch.Lessons {
			d += l.DurationSeconds
		}
	}
	return d
}

// Chapter is an ordered part of a course.
type Chapter struct {
	ID       int64
	CourseID int64
	Title    string
	Position int
	Lessons  []*Lesson
}

// Lesson is an ordered item of a chapter.
type Lesson struct {
	ID               int64
	ChapterID        int64
	CourseID         int64
	Title            string
	Kind             Kind
	Position         int
	BodyHTML         string
	MediaStatus      MediaStatus
	MediaError       string
	MediaKey         string
	MediaContentType string
	MediaSize        int64
	DurationSeconds  int64
	PageCount        int
}

// CoursePatch changes selected course fields; nil leaves a field unchanged.
type CoursePatch struct {
	Title       *string
	Summary     *string
	CoverURL    *string
	TopicID     *int64
	Tags        *[]string
	CreditHours *float64
	Status      *Status
	PublishedAt *time.Time
}

// LessonPatch changes selected lesson fields.
type LessonPatch struct {
	Title    *string
	BodyHTML *string
	Position *int
	// ChapterID moves the lesson to that chapter (at Position, default last), closing the gap
	// in the one it leaves.
	ChapterID        *int64
	MediaStatus      *MediaStatus
	MediaError       *string
	MediaKey         *string
	MediaContentType *string
	MediaSize        *int64
	DurationSeconds  *int64
	PageCount        *int
	// IfProcessingKey makes the update conditional: it applies only while the lesson is
	// processing this media key, else the repo returns ErrMediaChanged.
	IfProcessingKey *string
}

// CourseFilter selects courses for management listings.
type CourseFilter struct {
	// PathPrefix limits to courses owned by orgs in a subtree ("" = all); OrOwnerID also includes
	// courses owned by that user.
	PathPrefix string
	OrOwnerID  int64
	Status     Status
	TopicID    int64
	Query      string
	AfterID    int64
	Limit      int
}

// CourseRepo stores courses, chapters, lessons and topics.
type CourseRepo interface {
	CreateTopic(ctx context.Context, t *Topic) (*Topic, error)
	ListTopics(ctx context.Context) ([]*Topic, error)
	TopicExists(ctx context.Context, id int64) (bool, error)
	// UpdateTopic writes a topic's name and position (ErrTopicNotFound if missing; a taken name
	// is ErrAlreadyExists).
	UpdateTopic(ctx context.Context, t *Topic) (*Topic, error)
	// DeleteTopic deletes a topic only while no course has it, checked in the same statement
	// (ErrTopicInUse; ErrTopicNotFound if missing).
	DeleteTopic(ctx context.Context, id int64) error

	CreateCourse(ctx context.Context, c *Course) (*Course, error)
	// GetCourse loads a course; with structure, also its chapters and lessons in order.
	GetCourse(ctx context.Context, id int64, structure bool) (*Course, error)
	GetCourses(ctx context.Context, ids []int64) ([]*Course, error)
	UpdateCourse(ctx context.Context, id int64, p CoursePatch) (*Course, error)
	DeleteCourse(ctx context.Context, id int64) error
	ListCourses(ctx context.Context, f CourseFilter) ([]*Course, error)

	// CreateChapter inserts at position (0: append), shifting later chapters.
	CreateChapter(ctx context.Context, ch *Chapter) (*Chapter, error)
	GetChapter(ctx context.Context, id int64) (*Chapter, error)
	UpdateChapter(ctx context.Context, id int64, title *string, position *int) (*Chapter, error)
	DeleteChapter(ctx context.Context, id int64) error

	// CreateLesson inserts at position (0: append) within its chapter.
	CreateLesson(ctx context.Context, l *Lesson) (*Lesson, error)
	GetLesson(ctx context.Context, id int64) (*Lesson, error)
	UpdateLesson(ctx context.Context, id int64, p LessonPatch) (*Lesson, error)
	DeleteLesson(ctx context.Context, id int64) error
	// LessonsByMediaStatus lists lessons in a media status (for the reconciler).
	LessonsByMediaStatus(ctx context.Context, s MediaStatus, limit int) ([]*Lesson, error)
	// MediaKeys lists the media object keys of a course's lessons (for deletion).
	MediaKeys(ctx context.Context, courseID int64) ([]string, error)
	// AddGarbage records store objects no row points at any more, in the transaction that
	// orphaned them, until DropGarbage; a key already recorded stays recorded once, and empty
	// keys are ignored.
	AddGarbage(ctx context.Context, keys []string) error
	// Garbage lists up to limit recorded keys, oldest first.
	Garbage(ctx context.Context, limit int) ([]string, error)
	// DropGarbage forgets keys whose objects are gone; unknown keys are ignored.
	DropGarbage(ctx context.Context, keys []string) error
}

// CourseUsecase manages courses.
type CourseUsecase struct {
	events      Publisher
	repo        CourseRepo
	assignments AssignmentRepo
	orgs        OrgDirectory
	// store holds the lessons' media objects; deleting a course, chapter or lesson removes them.
	store blob.Store
	tx    Transaction
	clock clock.Clock
}

// NewCourseUsecase wires a CourseUsecase; store is the object store holding lesson media.
func NewCourseUsecase(repo CourseRepo, assignments AssignmentRepo, orgs OrgDirectory, events Publisher, store blob.Store, tx Transaction, clk clock.Clock) *CourseUsecase {
	return &CourseUsecase{repo: repo, assignments: assignments, orgs: orgs, events: events, store: store, tx: tx, clock: clk}
}

// mediaDeleteTimeout bounds the clean-up of orphaned media, so a store that stopped answering
// cannot hold a request open.
const mediaDeleteTimeout = 30 * time.Second

// deleteMedia deletes orphaned media objects that a committed transaction recorded as garbage
// (AddGarbage), and forgets the ones the store has deleted. It survives the caller's
// cancellation; what the store refuses stays recorded for the reconciler's next pass, so an
// object is never left behind for good and nothing ever points at a deleted one.
func (uc *CourseUsecase) deleteMedia(ctx context.Context, keys []string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), mediaDeleteTimeout)
	defer cancel()
	var gone []string
	var failed error
	for _, k := range keys {
		if k == "" {
			continue
		}
		if err := uc.store.Delete(ctx, k); err != nil && !errors.Is(err, blob.ErrNotFound) {
			failed = errors.Join(failed, fmt.Errorf("delete media %s: %w", k, err))
			continue
		}
		gone = append(gone, k)
	}
	if len(gone) > 0 {
		if err := uc.repo.DropGarbage(ctx, gone); err != nil {
			failed = errors.Join(failed, err)
		}
	}
	return failed
}

// canEdit: the owner (while still a trainer, staff or admin) or staff/admins over the owning org.
func canEdit(p *auth.Principal, c *Course) bool {
	return (p.UserID == c.OwnerID && p.CanAuthor()) || p.CanManageOrg(c.OrgPath)
}

// canManageView: editors and trainers/staff inside the owning org's subtree see the management
// view of a course (drafts, assignments).
func canManageView(p *auth.Principal, c *Course) bool {
	return canEdit(p, c) || ((p.HasRole(auth.RoleTrainer) || p.HasRole(auth.RoleStaff)) && p.InSubtree(c.OrgPath))
}

// viewable returns the course if p may see it (management view, or published and assigned to
// one of p's orgs), else ErrCourseNotFound — never revealing that it exists.
func (uc *CourseUsecase) viewable(ctx context.Context, p *auth.Principal, c *Course) error {
	if canManageView(p, c) {
		return nil
	}
	if c.Status == StatusPublished {
		ok, err := uc.assignments.AppliesTo(ctx, c.ID, p.AncestorPaths())
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
	}
	return ErrCourseNotFound
}

// editable loads a course for a change by p: ErrCourseNotFound if p cannot even see it, a denial
// if p sees but may not edit, a StateError if structural changes are asked of a non-draft.
func (uc *CourseUsecase) editable(ctx context.Context, p *auth.Principal, courseID int64, structural bool) (*Course, error) {
	c, err := uc.repo.GetCourse(ctx, courseID, false)
	if err != nil {
		return nil, err
	}
	if !canEdit(p, c) {
		if err := uc.viewable(ctx, p, c); err != nil {
			return nil, err
		}
		return nil, deny("无权修改该课程")
	}
	if structural && c.Status != StatusDraft {
		return nil, &StateError{Msg: "课程已发布或归档，不能再修改章节和课时；请新建课程版本"}
	}
	return c, nil
}

// CreateTopic adds a topic to the managed list (admins only).
func (uc *CourseUsecase) CreateTopic(ctx context.Context, name string, position int) (*Topic, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if !p.IsAdmin() {
		return nil, deny("只有系统管理员可以维护专题列表")
	}
	name = trim(name)
	if name == "" {
		return nil, Invalid("name", "专题名称不能为空")
	}
	return uc.repo.CreateTopic(ctx, &Topic{Name: name, Position: position})
}

// UpdateTopic renames or moves a topic (admins only).
func (uc *CourseUsecase) UpdateTopic(ctx context.Context, id int64, name *string, position *int) (*Topic, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if !p.IsAdmin() {
		return nil, deny("只有系统管理员可以维护专题列表")
	}
	var cur *Topic
	topics, err := uc.repo.ListTopics(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range topics {
		if t.ID == id {
			cur = t
		}
	}
	if cur == nil {
		return nil, ErrTopicNotFound
	}
	if name != nil {
		if cur.Name = trim(*name); cur.Name == "" {
			return nil, Invalid("name", "专题名称不能为空")
		}
	}
	if position != nil {
		cur.Position = *position
	}
	return uc.repo.UpdateTopic(ctx, cur)
}

// DeleteTopic removes a topic no course uses (admins only).
func (uc *CourseUsecase) DeleteTopic(ctx context.Context, id int64) error {
	p, err := auth.Require(ctx)
	if err != nil {
		return err
	}
	if !p.IsAdmin() {
		return deny("只有系统管理员可以维护专题列表")
	}
	return uc.repo.DeleteTopic(ctx, id)
}

// ListTopics returns the topic list in order.
func (uc *CourseUsecase) ListTopics(ctx context.Context) ([]*Topic, error) {
	if _, err := auth.Require(ctx); err != nil {
		return nil, err
	}
	return uc.repo.ListTopics(ctx)
}

// NewCourse is what an author gives to create a course.
type NewCourse struct {
	Title       string
	Summary     string
	CoverURL    string
	TopicID     int64
	Tags        []string
	CreditHours float64
	OrgID       int64 // 0: the author's own org
}

func normaliseTags(tags []string) []string {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		if t = trim(t); t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// Create adds a draft course owned by the caller and an org the caller belongs to or manages.
func (uc *CourseUsecase) Create(ctx context.Context, in NewCourse) (*Course, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if !p.CanAuthor() {
		return nil, deny("只有培训管理员、组织管理员可以创建课程")
	}
	in.Title = trim(in.Title)
	if in.Title == "" || utf8.RuneCountInString(in.Title) > MaxTitle {
		return nil, Invalid("title", "课程名称不能为空，最长%d字", MaxTitle)
	}
	if !(in.CreditHours >= 0 && in.CreditHours <= 100) {
		return nil, Invalid("credit_hours", "学时应在 0 到 100 之间")
	}
	in.CoverURL = trim(in.CoverURL)
	if err := checkCoverURL(in.CoverURL); err != nil {
		return nil, err
	}
	if err := uc.checkTopic(ctx, in.TopicID); err != nil {
		return nil, err
	}
	orgID, orgPath := p.OrgID, p.OrgPath
	if in.OrgID != 0 && in.OrgID != p.OrgID {
		org, err := uc.orgs.GetOrg(ctx, in.OrgID)
		if err != nil {
			return nil, err
		}
		if !p.CanManageOrg(org.Path) && !(p.HasRole(auth.RoleTrainer) && p.InSubtree(org.Path)) {
			return nil, deny("无权为该组织创建课程")
		}
		orgID, orgPath = org.ID, org.Path
	}
	return uc.repo.CreateCourse(ctx, &Course{
		Title: in.Title, Summary: trim(in.Summary), CoverURL: in.CoverURL, TopicID: in.TopicID,
		Tags: normaliseTags(in.Tags), CreditHours: in.CreditHours, OwnerID: p.UserID,
		OrgID: orgID, OrgPath: orgPath, Status: StatusDraft,
	})
}

func (uc *CourseUsecase) checkTopic(ctx context.Context, id int64) error {
	if id == 0 {
		return nil
	}
	ok, err := uc.repo.TopicExists(ctx, id)
	if err != nil {
		return err
	}
	if !ok {
		return Invalid("topic_id", "专题不存在")
	}
	return nil
}

// Get returns a course with its structure if the caller may see it. Members see article bodies
// and media facts, never media keys.
func (uc *CourseUsecase) Get(ctx context.Context, id int64) (*Course, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	c, err := uc.repo.GetCourse(ctx, id, true)
	if err != nil {
		return nil, err
	}
	if err := uc.viewable(ctx, p, c); err != nil {
		return nil, err
	}
	return c, nil
}

// GetLesson returns one lesson to those who may see its course (its managers, or members it is
// assigned to once published); anyone else is told the course does not exist.
func (uc *CourseUsecase) GetLesson(ctx context.Context, id int64) (*Lesson, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	l, err := uc.repo.GetLesson(ctx, id)
	if err != nil {
		return nil, err
	}
	c, err := uc.repo.GetCourse(ctx, l.CourseID, false)
	if err != nil {
		return nil, err
	}
	if err := uc.viewable(ctx, p, c); err != nil {
		return nil, err
	}
	return l, nil
}

// Update edits a course: drafts freely; published courses only in summary, cover, tags and topic.
func (uc *CourseUsecase) Update(ctx context.Context, id int64, patch CoursePatch) (*Course, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if patch.Title != nil {
		t := trim(*patch.Title)
		if t == "" || utf8.RuneCountInString(t) > MaxTitle {
			return nil, Invalid("title", "课程名称不能为空，最长%d字", MaxTitle)
		}
		patch.Title = &t
	}
	if patch.Tags != nil {
		tags := normaliseTags(*patch.Tags)
		patch.Tags = &tags
	}
	for _, f := range []*string{patch.Summary, patch.CoverURL} {
		if f != nil {
			*f = trim(*f)
		}
	}
	if patch.CoverURL != nil {
		if err := checkCoverURL(*patch.CoverURL); err != nil {
			return nil, err
		}
	}
	if patch.CreditHours != nil && !(*patch.CreditHours >= 0 && *patch.CreditHours <= 100) {
		return nil, Invalid("credit_hours", "学时应在 0 到 100 之间")
	}
	patch.Status, patch.PublishedAt = nil, nil
	var out *Course
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		c, err := uc.editable(ctx, p, id, false)
		if err != nil {
			return err
		}
		if c.Status == StatusArchived {
			return &StateError{Msg: "课程已归档，不能修改"}
		}
		if c.Status == StatusPublished && (patch.Title != nil || patch.CreditHours != nil) {
			return &StateError{Msg: "课程已发布，名称和学时不能修改（学员已按此学习）"}
		}
		if patch.TopicID != nil {
			if err := uc.checkTopic(ctx, *patch.TopicID); err != nil {
				return err
			}
		}
		if _, err = uc.repo.UpdateCourse(ctx, id, patch); err != nil {
			return err
		}
		if out, err = uc.repo.GetCourse(ctx, id, true); err != nil {
			return err
		}
		if out.Status == StatusPublished {
			return uc.courseChanged(ctx, CourseUpdatedEvent, out)
		}
		return nil
	})
	return out, err
}

// Publish makes a draft visible to assigned members. Every lesson must be complete: media ready,
// articles non-empty; and there must be at least one lesson.
func (uc *CourseUsecase) Publish(ctx context.Context, id int64) (*Course, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	var out *Course
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		c, err := uc.editable(ctx, p, id, false)
		if err != nil {
			return err
		}
		switch c.Status {
		case StatusPublished: // idempotent
			out, err = uc.repo.GetCourse(ctx, id, true)
			return err
		case StatusArchived:
			return &StateError{Msg: "课程已归档，不能发布"}
		}
		full, err := uc.repo.GetCourse(ctx, id, true)
		if err != nil {
			return err
		}
		lessons := 0
		for _, ch := range full.Chapters {
			for _, l := range ch.Lessons {
				lessons++
				if l.Kind == KindArticle && trim(l.BodyHTML) == "" {
					return &StateError{Msg: "课时“" + l.Title + "”内容为空，不能发布"}
				}
				if l.Kind != KindArticle && l.MediaStatus != MediaReady {
					return &StateError{Msg: "课时“" + l.Title + "”的媒体文件尚未就绪，不能发布"}
				}
			}
		}
		if lessons == 0 {
			return &StateError{Msg: "课程没有任何课时，不能发布"}
		}
		st, now := StatusPublished, uc.clock.Now()
		if _, err = uc.repo.UpdateCourse(ctx, id, CoursePatch{Status: &st, PublishedAt: &now}); err != nil {
			return err
		}
		if out, err = uc.repo.GetCourse(ctx, id, true); err != nil {
			return err
		}
		return uc.courseChanged(ctx, CoursePublishedEvent, out)
	})
	return out, err
}

// Archive takes a course out of use; members no longer see it in "my courses".
func (uc *CourseUsecase) Archive(ctx context.Context, id int64) (*Course, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	var out *Course
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		c, err := uc.editable(ctx, p, id, false)
		if err != nil {
			return err
		}
		st := StatusArchived
		if _, err = uc.repo.UpdateCourse(ctx, id, CoursePatch{Status: &st}); err != nil {
			return err
		}
		if out, err = uc.repo.GetCourse(ctx, id, true); err != nil {
			return err
		}
		if c.Status == StatusArchived {
			return nil // already archived: nothing new to announce
		}
		return uc.courseChanged(ctx, CourseArchivedEvent, out)
	})
	return out, err
}

// Delete removes a draft course and, once the transaction has committed, its lessons' media
// objects (recorded as garbage with the delete, so a failing store only delays them). A refused
// delete removes nothing.
func (uc *CourseUsecase) Delete(ctx context.Context, id int64) error {
	p, err := auth.Require(ctx)
	if err != nil {
		return err
	}
	var keys []string
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		c, err := uc.editable(ctx, p, id, true)
		if err != nil {
			return err
		}
		if keys, err = uc.repo.MediaKeys(ctx, id); err != nil {
			return err
		}
		if err := uc.repo.AddGarbage(ctx, keys); err != nil {
			return err
		}
		if err := uc.repo.DeleteCourse(ctx, id); err != nil {
			return err
		}
		return uc.courseChanged(ctx, CourseDeletedEvent, c)
	})
	if err != nil {
		return err
	}
	_ = uc.deleteMedia(ctx, keys) // what fails stays recorded for the reconciler
	return nil
}

// List returns courses the caller manages: admins all, staff their subtree, trainers their
// subtree plus their own.
func (uc *CourseUsecase) List(ctx context.Context, f CourseFilter) ([]*Course, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if !p.CanAuthor() {
		return nil, deny("无权查看课程管理列表")
	}
	f.PathPrefix, f.OrOwnerID = "", 0
	if !p.IsAdmin() {
		f.PathPrefix, f.OrOwnerID = p.OrgPath, p.UserID
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	return uc.repo.ListCourses(ctx, f)
}

// CreateChapter adds a chapter to a draft course.
func (uc *CourseUsecase) CreateChapter(ctx context.Context, courseID int64, title string, position int) (*Chapter, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	title = trim(title)
	if title == "" {
		return nil, Invalid("title", "章节名称不能为空")
	}
	var out *Chapter
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		if _, err := uc.editable(ctx, p, courseID, true); err != nil {
			return err
		}
		out, err = uc.repo.CreateChapter(ctx, &Chapter{CourseID: courseID, Title: title, Position: position})
		return err
	})
	return out, err
}

// UpdateChapter renames or moves a chapter of a draft course.
func (uc *CourseUsecase) UpdateChapter(ctx context.Context, id int64, title *string, position *int) (*Chapter, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if title != nil {
		t := trim(*title)
		if t == "" {
			return nil, Invalid("title", "章节名称不能为空")
		}
		title = &t
	}
	var out *Chapter
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		ch, err := uc.repo.GetChapter(ctx, id)
		if err != nil {
			return err
		}
		if _, err := uc.editable(ctx, p, ch.CourseID, true); err != nil {
			return err
		}
		out, err = uc.repo.UpdateChapter(ctx, id, title, position)
		return err
	})
	return out, err
}

// DeleteChapter removes a chapter (and its lessons) from a draft course and, once the
// transaction has committed, the lessons' media objects (best effort). A refused delete removes
// nothing.
func (uc *CourseUsecase) DeleteChapter(ctx context.Context, id int64) error {
	p, err := auth.Require(ctx)
	if err != nil {
		return err
	}
	var keys []string
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		ch, err := uc.repo.GetChapter(ctx, id)
		if err != nil {
			return err
		}
		if _, err := uc.editable(ctx, p, ch.CourseID, true); err != nil {
			return err
		}
		full, err := uc.repo.GetCourse(ctx, ch.CourseID, true)
		if err != nil {
			return err
		}
		for _, c := range full.Chapters {
			if c.ID == id {
				for _, l := range c.Lessons {
					if l.MediaKey != "" {
						keys = append(keys, l.MediaKey)
					}
				}
			}
		}
		if err := uc.repo.AddGarbage(ctx, keys); err != nil {
			return err
		}
		return uc.repo.DeleteChapter(ctx, id)
	})
	if err != nil {
		return err
	}
	_ = uc.deleteMedia(ctx, keys) // what fails stays recorded for the reconciler
	return nil
}

// CreateLesson adds a lesson to a chapter of a draft course. Article HTML is sanitised.
func (uc *CourseUsecase) CreateLesson(ctx context.Context, chapterID int64, title string, kind Kind, bodyHTML string, position int) (*Lesson, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	title = trim(title)
	if title == "" {
		return nil, Invalid("title", "课时名称不能为空")
	}
	switch kind {
	case KindVideo, KindAudio, KindDocument:
		if bodyHTML != "" {
			return nil, Invalid("body_html", "只有图文课时可以填写正文")
		}
	case KindArticle:
		bodyHTML = htmlsafe.Article(bodyHTML)
	default:
		return nil, Invalid("kind", "课时类型无效")
	}
	var out *Lesson
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		ch, err := uc.repo.GetChapter(ctx, chapterID)
		if err != nil {
			return err
		}
		if _, err := uc.editable(ctx, p, ch.CourseID, true); err != nil {
			return err
		}
		out, err = uc.repo.CreateLesson(ctx, &Lesson{
			ChapterID: chapterID, CourseID: ch.CourseID, Title: title, Kind: kind, Position: position,
			BodyHTML: bodyHTML, MediaStatus: MediaNone,
		})
		return err
	})
	return out, err
}

// UpdateLesson edits a lesson of a draft course.
func (uc *CourseUsecase) UpdateLesson(ctx context.Context, id int64, title, bodyHTML *string, position *int, chapterID *int64) (*Lesson, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	var out *Lesson
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		l, err := uc.repo.GetLesson(ctx, id)
		if err != nil {
			return err
		}
		if _, err := uc.editable(ctx, p, l.CourseID, true); err != nil {
			return err
		}
		patch := LessonPatch{Position: position}
		if chapterID != nil && *chapterID != l.ChapterID {
			ch, err := uc.repo.GetChapter(ctx, *chapterID)
			if errors.Is(err, ErrCourseNotFound) || (err == nil && ch.CourseID != l.CourseID) {
				return Invalid("chapter_id", "只能移到本课程的章节")
			}
			if err != nil {
				return err
			}
			patch.ChapterID = chapterID
		}
		if title != nil {
			t := trim(*title)
			if t == "" {
				return Invalid("title", "课时名称不能为空")
			}
			patch.Title = &t
		}
		if bodyHTML != nil {
			if l.Kind != KindArticle {
				return Invalid("body_html", "只有图文课时可以填写正文")
			}
			clean := htmlsafe.Article(*bodyHTML)
			patch.BodyHTML = &clean
		}
		out, err = uc.repo.UpdateLesson(ctx, id, patch)
		return err
	})
	return out, err
}

// DeleteLesson removes a lesson of a draft course and, once the transaction has committed, its
// media object (recorded as garbage with the delete). A refused delete removes nothing.
func (uc *CourseUsecase) DeleteLesson(ctx context.Context, id int64) error {
	p, err := auth.Require(ctx)
	if err != nil {
		return err
	}
	var key string
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		l, err := uc.repo.GetLesson(ctx, id)
		if err != nil {
			return err
		}
		if _, err := uc.editable(ctx, p, l.CourseID, true); err != nil {
			return err
		}
		key = l.MediaKey
		if err := uc.repo.AddGarbage(ctx, []string{key}); err != nil {
			return err
		}
		return uc.repo.DeleteLesson(ctx, id)
	})
	if err != nil {
		return err
	}
	_ = uc.deleteMedia(ctx, []string{key}) // what fails stays recorded for the reconciler
	return nil
}

// GrowthService is the one service that reads course outlines for members' growth files.
const GrowthService = "growth"

// MaxOutlines bounds the courses of one Outlines call.
const MaxOutlines = 500

// Outlines returns the courses among ids that exist, with their chapters and lessons, to the
// growth service (service credentials): it tells a completed course from the lessons studyhour
// recorded complete. A deleted course is left out.
func (uc *CourseUsecase) Outlines(ctx context.Context, ids []int64) ([]*Course, error) {
	if err := auth.RequireServiceNamed(ctx, GrowthService, "课程大纲"); err != nil {
		return nil, err
	}
	if len(ids) > MaxOutlines {
		return nil, Invalid("course_ids", "一次最多读取 %d 门课程", MaxOutlines)
	}
	out := make([]*Course, 0, len(ids))
	for _, id := range slices.Compact(slices.Sorted(slices.Values(ids))) {
		c, err := uc.repo.GetCourse(ctx, id, true)
		if errors.Is(err, ErrCourseNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}
