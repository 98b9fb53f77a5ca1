package data

import (
	"context"
	entsql "entgo.io/ent/dialect/sql"
	"errors"
	"sort"

	"github.com/vanguard/vanguard/app/course/internal/biz"
	"github.com/vanguard/vanguard/app/course/internal/data/ent"
	"github.com/vanguard/vanguard/app/course/internal/data/ent/chapter"
	"github.com/vanguard/vanguard/app/course/internal/data/ent/course"
	"github.com/vanguard/vanguard/app/course/internal/data/ent/lesson"
	"github.com/vanguard/vanguard/app/course/internal/data/ent/mediagarbage"
	"github.com/vanguard/vanguard/app/course/internal/data/ent/predicate"
	"github.com/vanguard/vanguard/app/course/internal/data/ent/topic"
	"github.com/vanguard/vanguard/app/course/internal/data/ent/upload"
)

type courseRepo struct{ data *Data }

var _ biz.CourseRepo = (*courseRepo)(nil)

// NewCourseRepo returns the ent-backed course repository.
func NewCourseRepo(d *Data) biz.CourseRepo { return &courseRepo{data: d} }

func topicToBiz(t *ent.Topic) *biz.Topic {
	return &biz.Topic{ID: t.ID, Name: t.Name, Position: t.Position}
}

func courseToBiz(c *ent.Course) *biz.Course {
	return &biz.Course{
		ID: c.ID, Title: c.Title, Summary: c.Summary, CoverURL: c.CoverURL, TopicID: c.TopicID, Tags: c.Tags,
		CreditHours: c.CreditHours, OwnerID: c.OwnerID, OrgID: c.OrgID, OrgPath: c.OrgPath, Status: biz.Status(c.Status),
		PublishedAt: c.PublishedAt, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
	}
}

func chapterToBiz(c *ent.Chapter) *biz.Chapter {
	return &biz.Chapter{ID: c.ID, CourseID: c.CourseID, Title: c.Title, Position: c.Position}
}

func lessonToBiz(l *ent.Lesson) *biz.Lesson {
	return &biz.Lesson{
		ID: l.ID, ChapterID: l.ChapterID, CourseID: l.CourseID, Title: l.Title, Kind: biz.Kind(l.Kind), Position: l.Position,
		BodyHTML: l.BodyHTML, MediaStatus: biz.MediaStatus(l.MediaStatus), MediaError: l.MediaError, MediaKey: l.MediaKey,
		MediaContentType: l.MediaContentType, MediaSize: l.MediaSize, DurationSeconds: l.DurationSeconds, PageCount: l.PageCount,
	}
}

func (r *courseRepo) CreateTopic(ctx context.Context, t *biz.Topic) (*biz.Topic, error) {
	out, err := r.data.client(ctx).Topic.Create().SetName(t.Name).SetPosition(t.Position).Save(ctx)
	if err != nil {
		return nil, mapErr("courseRepo.CreateTopic", err, nil)
	}
	return topicToBiz(out), nil
}

func (r *courseRepo) ListTopics(ctx context.Context) ([]*biz.Topic, error) {
	rows, err := r.data.Reader(ctx).Topic.Query().Order(ent.Asc(topic.FieldPosition), ent.Asc(topic.FieldID)).All(ctx)
	if err != nil {
		return nil, mapErr("courseRepo.ListTopics", err, nil)
	}
	out := make([]*biz.Topic, len(rows))
	for i, t := range rows {
		out[i] = topicToBiz(t)
	}
	return out, nil
}

func (r *courseRepo) UpdateTopic(ctx context.Context, t *biz.Topic) (*biz.Topic, error) {
	out, err := r.data.client(ctx).Topic.UpdateOneID(t.ID).SetName(t.Name).SetPosition(t.Position).Save(ctx)
	if err != nil {
		return nil, mapErr("courseRepo.UpdateTopic", err, biz.ErrTopicNotFound)
	}
	return topicToBiz(out), nil
}

// DeleteTopic deletes only while no course has the topic, in one statement, so a course saved
// with it meanwhile never points at a deleted topic.
func (r *courseRepo) DeleteTopic(ctx context.Context, id int64) error {
	unused := predicate.Topic(func(s *entsql.Selector) {
		c := entsql.Table(course.Table)
		s.Where(entsql.Not(entsql.Exists(entsql.Select(c.C(course.FieldID)).From(c).Where(entsql.ColumnsEQ(c.C(course.FieldTopicID), s.C(topic.FieldID))))))
	})
	n, err := r.data.client(ctx).Topic.Delete().Where(topic.ID(id), unused).Exec(ctx)
	if err != nil {
		return mapErr("courseRepo.DeleteTopic", err, nil)
	}
	if n > 0 {
		return nil
	}
	ok, err := r.data.client(ctx).Topic.Query().Where(topic.ID(id)).Exist(ctx)
	switch {
	case err != nil:
		return mapErr("courseRepo.DeleteTopic", err, nil)
	case !ok:
		return biz.ErrTopicNotFound
	}
	return biz.ErrTopicInUse
}

func (r *courseRepo) TopicExists(ctx context.Context, id int64) (bool, error) {
	ok, err := r.data.Reader(ctx).Topic.Query().Where(topic.ID(id)).Exist(ctx)
	return ok, mapErr("courseRepo.TopicExists", err, nil)
}

func (r *courseRepo) CreateCourse(ctx context.Context, c *biz.Course) (*biz.Course, error) {
	out, err := r.data.client(ctx).Course.Create().
		SetTitle(c.Title).SetSummary(c.Summary).SetCoverURL(c.CoverURL).SetTopicID(c.TopicID).SetTags(c.Tags).
		SetCreditHours(c.CreditHours).SetOwnerID(c.OwnerID).SetOrgID(c.OrgID).SetOrgPath(c.OrgPath).
		SetStatus(course.Status(c.Status)).Save(ctx)
	if err != nil {
		return nil, mapErr("courseRepo.CreateCourse", err, nil)
	}
	return courseToBiz(out), nil
}

func (r *courseRepo) GetCourse(ctx context.Context, id int64, structure bool) (*biz.Course, error) {
	c := r.data.client(ctx)
	row, err := c.Course.Get(ctx, id)
	if err != nil {
		return nil, mapErr("courseRepo.GetCourse", err, biz.ErrCourseNotFound)
	}
	out := courseToBiz(row)
	if !structure {
		return out, nil
	}
	chapters, err := c.Chapter.Query().Where(chapter.CourseID(id)).Order(ent.Asc(chapter.FieldPosition)).All(ctx)
	if err != nil {
		return nil, mapErr("courseRepo.GetCourse: chapters", err, nil)
	}
	lessons, err := c.Lesson.Query().Where(lesson.CourseID(id)).Order(ent.Asc(lesson.FieldPosition)).All(ctx)
	if err != nil {
		return nil, mapErr("courseRepo.GetCourse: lessons", err, nil)
	}
	byChapter := map[int64]*biz.Chapter{}
	for _, ch := range chapters {
		b := chapterToBiz(ch)
		byChapter[ch.ID] = b
		out.Chapters = append(out.Chapters, b)
	}
	for _, l := range lessons {
		if ch := byChapter[l.ChapterID]; ch != nil {
			ch.Lessons = append(ch.Lessons, lessonToBiz(l))
		}
	}
	return out, nil
}

func (r *courseRepo) GetCourses(ctx context.Context, ids []int64) ([]*biz.Course, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := r.data.Reader(ctx).Course.Query().Where(course.IDIn(ids...)).All(ctx)
	if err != nil {
		return nil, mapErr("courseRepo.GetCourses", err, nil)
	}
	out := make([]*biz.Course, len(rows))
	for i, c := range rows {
		out[i] = courseToBiz(c)
	}
	return out, nil
}

func (r *courseRepo) UpdateCourse(ctx context.Context, id int64, p biz.CoursePatch) (*biz.Course, error) {
	u := r.data.client(ctx).Course.UpdateOneID(id)
	if p.Title != nil {
		u.SetTitle(*p.Title)
	}
	if p.Summary != nil {
		u.SetSummary(*p.Summary)
	}
	if p.CoverURL != nil {
		u.SetCoverURL(*p.CoverURL)
	}
	if p.TopicID != nil {
		u.SetTopicID(*p.TopicID)
	}
	if p.Tags != nil {
		u.SetTags(*p.Tags)
	}
	if p.CreditHours != nil {
		u.SetCreditHours(*p.CreditHours)
	}
	if p.Status != nil {
		u.SetStatus(course.Status(*p.Status))
	}
	if p.PublishedAt != nil {
		u.SetPublishedAt(*p.PublishedAt)
	}
	out, err := u.Save(ctx)
	if err != nil {
		return nil, mapErr("courseRepo.UpdateCourse", err, biz.ErrCourseNotFound)
	}
	return courseToBiz(out), nil
}

func (r *courseRepo) DeleteCourse(ctx context.Context, id int64) error {
	c := r.data.client(ctx)
	lessonIDs, err := c.Lesson.Query().Where(lesson.CourseID(id)).IDs(ctx)
	if err != nil {
		return mapErr("courseRepo.DeleteCourse", err, nil)
	}
	if _, err := c.Upload.Delete().Where(upload.LessonIDIn(lessonIDs...)).Exec(ctx); err != nil {
		return mapErr("courseRepo.DeleteCourse: uploads", err, nil)
	}
	if _, err := c.Lesson.Delete().Where(lesson.CourseID(id)).Exec(ctx); err != nil {
		return mapErr("courseRepo.DeleteCourse: lessons", err, nil)
	}
	if _, err := c.Chapter.Delete().Where(chapter.CourseID(id)).Exec(ctx); err != nil {
		return mapErr("courseRepo.DeleteCourse: chapters", err, nil)
	}
	return mapErr("courseRepo.DeleteCourse", c.Course.DeleteOneID(id).Exec(ctx), biz.ErrCourseNotFound)
}

func (r *courseRepo) ListCourses(ctx context.Context, f biz.CourseFilter) ([]*biz.Course, error) {
	q := r.data.Reader(ctx).Course.Query()
	if f.PathPrefix != "" {
		in := course.And(course.OrgPathGTE(f.PathPrefix), course.OrgPathLT(f.PathPrefix+"\x7f"))
		if f.OrOwnerID != 0 {
			in = course.Or(in, course.OwnerID(f.OrOwnerID))
		}
		q = q.Where(in)
	}
	if f.Status != "" {
		q = q.Where(course.StatusEQ(course.Status(f.Status)))
	}
	if f.TopicID != 0 {
		q = q.Where(course.TopicID(f.TopicID))
	}
	if f.Query != "" {
		q = q.Where(course.TitleContains(f.Query))
	}
	if f.AfterID > 0 {
		q = q.Where(course.IDGT(f.AfterID))
	}
	rows, err := q.Order(ent.Asc(course.FieldID)).Limit(f.Limit).All(ctx)
	if err != nil {
		return nil, mapErr("courseRepo.ListCourses", err, nil)
	}
	out := make([]*biz.Course, len(rows))
	for i, c := range rows {
		out[i] = courseToBiz(c)
	}
	return out, nil
}

// positions: inserting at position p (1-based; 0 or past the end appends) shifts later items.
func insertPosition(count, want int) int {
	if want <= 0 || want > count+1 {
		return count + 1
	}
	return want
}

func (r *courseRepo) CreateChapter(ctx context.Context, ch *biz.Chapter) (*biz.Chapter, error) {
	var out *biz.Chapter
	err := r.data.InTx(ctx, func(ctx context.Context) error {
		c := r.data.client(ctx)
		n, err := c.Chapter.Query().Where(chapter.CourseID(ch.CourseID)).Count(ctx)
		if err != nil {
			return err
		}
		pos := insertPosition(n, ch.Position)
		if _, err := c.Chapter.Update().Where(chapter.CourseID(ch.CourseID), chapter.PositionGTE(pos)).AddPosition(1).Save(ctx); err != nil {
			return err
		}
		row, err := c.Chapter.Create().SetCourseID(ch.CourseID).SetTitle(ch.Title).SetPosition(pos).Save(ctx)
		if err != nil {
			return err
		}
		out = chapterToBiz(row)
		return nil
	})
	return out, mapErr("courseRepo.CreateChapter", err, nil)
}

func (r *courseRepo) GetChapter(ctx context.Context, id int64) (*biz.Chapter, error) {
	row, err := r.data.Reader(ctx).Chapter.Get(ctx, id)
	if err != nil {
		return nil, mapErr("courseRepo.GetChapter", err, biz.ErrCourseNotFound)
	}
	return chapterToBiz(row), nil
}

func (r *courseRepo) UpdateChapter(ctx context.Context, id int64, title *string, position *int) (*biz.Chapter, error) {
	var out *biz.Chapter
	err := r.data.InTx(ctx, func(ctx context.Context) error {
		c := r.data.client(ctx)
		row, err := c.Chapter.Get(ctx, id)
		if err != nil {
			return err
		}
		u := c.Chapter.UpdateOneID(id)
		if title != nil {
			u.SetTitle(*title)
		}
		if position != nil && *position != row.Position {
			siblings, err := c.Chapter.Query().Where(chapter.CourseID(row.CourseID)).Order(ent.Asc(chapter.FieldPosition)).IDs(ctx)
			if err != nil {
				return err
			}
			if err := reorder(siblings, id, *position, func(sid int64, pos int) error {
				return c.Chapter.UpdateOneID(sid).SetPosition(pos).Exec(ctx)
			}); err != nil {
				return err
			}
		}
		saved, err := u.Save(ctx)
		if err != nil {
			return err
		}
		out = chapterToBiz(saved)
		return nil
	})
	return out, mapErr("courseRepo.UpdateChapter", err, biz.ErrCourseNotFound)
}

// reorder moves id to position (1-based, clamped) among ids and renumbers 1..n.
func reorder(ids []int64, id int64, position int, set func(id int64, pos int) error) error {
	rest := make([]int64, 0, len(ids))
	for _, x := range ids {
		if x != id {
			rest = append(rest, x)
		}
	}
	position = max(1, min(position, len(rest)+1))
	ordered := append(append(append([]int64{}, rest[:position-1]...), id), rest[position-1:]...)
	for i, x := range ordered {
		if err := set(x, i+1); err != nil {
			return err
		}
	}
	return nil
}

func (r *courseRepo) DeleteChapter(ctx context.Context, id int64) error {
	return r.data.InTx(ctx, func(ctx context.Context) error {
		c := r.data.client(ctx)
		row, err := c.Chapter.Get(ctx, id)
		if err != nil {
			return mapErr("courseRepo.DeleteChapter", err, biz.ErrCourseNotFound)
		}
		if _, err := c.Lesson.Delete().Where(lesson.ChapterID(id)).Exec(ctx); err != nil {
			return mapErr("courseRepo.DeleteChapter: lessons", err, nil)
		}
		if err := c.Chapter.DeleteOneID(id).Exec(ctx); err != nil {
			return mapErr("courseRepo.DeleteChapter", err, biz.ErrCourseNotFound)
		}
		_, err = c.Chapter.Update().Where(chapter.CourseID(row.CourseID), chapter.PositionGT(row.Position)).AddPosition(-1).Save(ctx)
		return mapErr("courseRepo.DeleteChapter: renumber", err, nil)
	})
}

func (r *courseRepo) CreateLesson(ctx context.Context, l *biz.Lesson) (*biz.Lesson, error) {
	var out *biz.Lesson
	err := r.data.InTx(ctx, func(ctx context.Context) error {
		c := r.data.client(ctx)
		n, err := c.Lesson.Query().Where(lesson.ChapterID(l.ChapterID)).Count(ctx)
		if err != nil {
			return err
		}
		pos := insertPosition(n, l.Position)
		if _, err := c.Lesson.Update().Where(lesson.ChapterID(l.ChapterID), lesson.PositionGTE(pos)).AddPosition(1).Save(ctx); err != nil {
			return err
		}
		row, err := c.Lesson.Create().SetChapterID(l.ChapterID).SetCourseID(l.CourseID).SetTitle(l.Title).
			SetKind(lesson.Kind(l.Kind)).SetPosition(pos).SetBodyHTML(l.BodyHTML).
			SetMediaStatus(lesson.MediaStatus(l.MediaStatus)).Save(ctx)
		if err != nil {
			return err
		}
		out = lessonToBiz(row)
		return nil
	})
	return out, mapErr("courseRepo.CreateLesson", err, nil)
}

func (r *courseRepo) GetLesson(ctx context.Context, id int64) (*biz.Lesson, error) {
	row, err := r.data.Reader(ctx).Lesson.Get(ctx, id)
	if err != nil {
		return nil, mapErr("courseRepo.GetLesson", err, biz.ErrCourseNotFound)
	}
	return lessonToBiz(row), nil
}

func (r *courseRepo) UpdateLesson(ctx context.Context, id int64, p biz.LessonPatch) (*biz.Lesson, error) {
	var out *biz.Lesson
	err := r.data.InTx(ctx, func(ctx context.Context) error {
		c := r.data.client(ctx)
		row, err := c.Lesson.Get(ctx, id)
		if err != nil {
			return err
		}
		u := c.Lesson.UpdateOneID(id)
		if p.IfProcessingKey != nil {
			u.Where(lesson.MediaKey(*p.IfProcessingKey), lesson.MediaStatusEQ(lesson.MediaStatusProcessing))
		}
		if p.Title != nil {
			u.SetTitle(*p.Title)
		}
		if p.BodyHTML != nil {
			u.SetBodyHTML(*p.BodyHTML)
		}
		if p.MediaStatus != nil {
			u.SetMediaStatus(lesson.MediaStatus(*p.MediaStatus))
		}
		if p.MediaError != nil {
			u.SetMediaError(*p.MediaError)
		}
		if p.MediaKey != nil {
			u.SetMediaKey(*p.MediaKey)
		}
		if p.MediaContentType != nil {
			u.SetMediaContentType(*p.MediaContentType)
		}
		if p.MediaSize != nil {
			u.SetMediaSize(*p.MediaSize)
		}
		if p.DurationSeconds != nil {
			u.SetDurationSeconds(*p.DurationSeconds)
		}
		if p.PageCount != nil {
			u.SetPageCount(*p.PageCount)
		}
		if p.ChapterID != nil && *p.ChapterID != row.ChapterID {
			// Leave the old chapter (closing the gap), join the new one at the position asked.
			_, err := c.Lesson.Update().Where(lesson.ChapterID(row.ChapterID), lesson.PositionGT(row.Position)).AddPosition(-1).Save(ctx)
			if err != nil {
				return err
			}
			siblings, err := c.Lesson.Query().Where(lesson.ChapterID(*p.ChapterID)).Order(ent.Asc(lesson.FieldPosition)).IDs(ctx)
			if err != nil {
				return err
			}
			pos := len(siblings) + 1
			if p.Position != nil {
				pos = *p.Position
			}
			if err := reorder(append(siblings, id), id, pos, func(sid int64, pos int) error {
				return c.Lesson.UpdateOneID(sid).SetPosition(pos).Exec(ctx)
			}); err != nil {
				return err
			}
			u.SetChapterID(*p.ChapterID)
		} else if p.Position != nil && *p.Position != row.Position {
			siblings, err := c.Lesson.Query().Where(lesson.ChapterID(row.ChapterID)).Order(ent.Asc(lesson.FieldPosition)).IDs(ctx)
			if err != nil {
				return err
			}
			if err := reorder(siblings, id, *p.Position, func(sid int64, pos int) error {
				return c.Lesson.UpdateOneID(sid).SetPosition(pos).Exec(ctx)
			}); err != nil {
				return err
			}
		}
		saved, err := u.Save(ctx)
		if ent.IsNotFound(err) && p.IfProcessingKey != nil {
			return biz.ErrMediaChanged
		}
		if err != nil {
			return err
		}
		out = lessonToBiz(saved)
		return nil
	})
	if errors.Is(err, biz.ErrMediaChanged) {
		return nil, err
	}
	return out, mapErr("courseRepo.UpdateLesson", err, biz.ErrCourseNotFound)
}

func (r *courseRepo) DeleteLesson(ctx context.Context, id int64) error {
	return r.data.InTx(ctx, func(ctx context.Context) error {
		c := r.data.client(ctx)
		row, err := c.Lesson.Get(ctx, id)
		if err != nil {
			return mapErr("courseRepo.DeleteLesson", err, biz.ErrCourseNotFound)
		}
		if _, err := c.Upload.Delete().Where(upload.LessonID(id)).Exec(ctx); err != nil {
			return mapErr("courseRepo.DeleteLesson: uploads", err, nil)
		}
		if err := c.Lesson.DeleteOneID(id).Exec(ctx); err != nil {
			return mapErr("courseRepo.DeleteLesson", err, biz.ErrCourseNotFound)
		}
		_, err = c.Lesson.Update().Where(lesson.ChapterID(row.ChapterID), lesson.PositionGT(row.Position)).AddPosition(-1).Save(ctx)
		return mapErr("courseRepo.DeleteLesson: renumber", err, nil)
	})
}

func (r *courseRepo) LessonsByMediaStatus(ctx context.Context, s biz.MediaStatus, limit int) ([]*biz.Lesson, error) {
	rows, err := r.data.Reader(ctx).Lesson.Query().Where(lesson.MediaStatusEQ(lesson.MediaStatus(s))).
		Order(ent.Asc(lesson.FieldID)).Limit(limit).All(ctx)
	if err != nil {
		return nil, mapErr("courseRepo.LessonsByMediaStatus", err, nil)
	}
	out := make([]*biz.Lesson, len(rows))
	for i, l := range rows {
		out[i] = lessonToBiz(l)
	}
	return out, nil
}

func (r *courseRepo) MediaKeys(ctx context.Context, courseID int64) ([]string, error) {
	keys, err := r.data.Reader(ctx).Lesson.Query().Where(lesson.CourseID(courseID), lesson.MediaKeyNEQ("")).
		Select(lesson.FieldMediaKey).Strings(ctx)
	if err != nil {
		return nil, mapErr("courseRepo.MediaKeys", err, nil)
	}
	sort.Strings(keys)
	return keys, nil
}

// AddGarbage inserts the keys, ignoring ones already recorded (ON CONFLICT DO NOTHING).
func (r *courseRepo) AddGarbage(ctx context.Context, keys []string) error {
	var builders []*ent.MediaGarbageCreate
	c := r.data.client(ctx)
	seen := map[string]bool{}
	for _, k := range keys {
		if k != "" && !seen[k] {
			seen[k] = true
			builders = append(builders, c.MediaGarbage.Create().SetObjectKey(k))
		}
	}
	if len(builders) == 0 {
		return nil
	}
	err := c.MediaGarbage.CreateBulk(builders...).OnConflictColumns(mediagarbage.FieldObjectKey).DoNothing().Exec(ctx)
	return mapErr("courseRepo.AddGarbage", err, nil)
}

// Garbage lists the oldest recorded keys (insertion order: ids increase).
func (r *courseRepo) Garbage(ctx context.Context, limit int) ([]string, error) {
	keys, err := r.data.Reader(ctx).MediaGarbage.Query().Order(ent.Asc(mediagarbage.FieldID)).Limit(limit).
		Select(mediagarbage.FieldObjectKey).Strings(ctx)
	if err != nil {
		return nil, mapErr("courseRepo.Garbage", err, nil)
	}
	return keys, nil
}

// DropGarbage deletes the rows of keys.
func (r *courseRepo) DropGarbage(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	_, err := r.data.client(ctx).MediaGarbage.Delete().Where(mediagarbage.ObjectKeyIn(keys...)).Exec(ctx)
	return mapErr("courseRepo.DropGarbage", err, nil)
}
