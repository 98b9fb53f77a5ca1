// Package service adapts the course use cases to the generated gRPC/HTTP interfaces and runs the
// course service's Asynq task handlers.
package service

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"google.golang.org/protobuf/types/known/emptypb"

	v1 "github.com/vanguard/vanguard/api/course/v1"
	"github.com/vanguard/vanguard/app/course/internal/biz"
	"github.com/vanguard/vanguard/pkg/apierr"
	"github.com/vanguard/vanguard/pkg/blob"
)

// apiErrors maps the course service's own domain errors to its API reasons; pkg/apierr adds
// what every service shares (Kratos errors as they are, field and permission errors,
// cancellation, and a 500 that hides its cause for anything else).
var apiErrors = apierr.New(
	apierr.As(func(e *biz.StateError) *kerrors.Error { return v1.ErrorCourseState("%s", e.Msg) }),
	apierr.As(func(e *biz.RejectedError) *kerrors.Error { return v1.ErrorMediaRejected("%s", e.Msg) }),
	apierr.Is(biz.ErrCourseNotFound, v1.ErrorCourseNotFound, "课程不存在"),
	apierr.Is(biz.ErrUploadNotFound, v1.ErrorUploadNotFound, "上传不存在或已失效"),
	apierr.Is(blob.ErrUploadNotFound, v1.ErrorUploadNotFound, "上传不存在或已失效"),
	apierr.Is(biz.ErrOrgNotFound, v1.ErrorOrgNotFound, "组织不存在"),
	apierr.Is(biz.ErrMediaNotReady, v1.ErrorMediaNotReady, "媒体文件尚未就绪"),
	apierr.Is(biz.ErrNewsNotFound, v1.ErrorNewsNotFound, "党建动态不存在"),
	apierr.Is(biz.ErrTopicNotFound, v1.ErrorTopicNotFound, "专题不存在"),
	apierr.Is(biz.ErrPlanNotFound, v1.ErrorStudyPlanNotFound, "学习计划不存在"),
	apierr.Is(biz.ErrTopicInUse, v1.ErrorCourseState, "还有课程属于该专题，不能删除"),
	apierr.Is(biz.ErrAlreadyExists, v1.ErrorAlreadyExists, "名称已被使用"),
)

// toAPIError maps a use case's error to the API's error (nil stays nil).
func toAPIError(err error) error { return apiErrors.Translate(err) }

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// CourseService implements v1.CoursesServer.
type CourseService struct {
	v1.UnimplementedCoursesServer
	courses *biz.CourseUsecase
	media   *biz.MediaUsecase
	plans   *biz.PlanUsecase
	news    *biz.NewsUsecase
}

// NewCourseService wires a CourseService.
func NewCourseService(courses *biz.CourseUsecase, media *biz.MediaUsecase, plans *biz.PlanUsecase, news *biz.NewsUsecase) *CourseService {
	return &CourseService{courses: courses, media: media, plans: plans, news: news}
}

var statusToAPI = map[biz.Status]v1.CourseStatus{biz.StatusDraft: v1.CourseStatus_DRAFT, biz.StatusPublished: v1.CourseStatus_PUBLISHED, biz.StatusArchived: v1.CourseStatus_ARCHIVED}
var kindToAPI = map[biz.Kind]v1.LessonKind{biz.KindVideo: v1.LessonKind_VIDEO, biz.KindAudio: v1.LessonKind_AUDIO, biz.KindDocument: v1.LessonKind_DOCUMENT, biz.KindArticle: v1.LessonKind_ARTICLE}
var mediaToAPI = map[biz.MediaStatus]v1.MediaStatus{biz.MediaNone: v1.MediaStatus_NONE, biz.MediaProcessing: v1.MediaStatus_PROCESSING, biz.MediaReady: v1.MediaStatus_READY, biz.MediaFailed: v1.MediaStatus_FAILED}

func courseToAPI(c *biz.Course) *v1.Course {
	out := &v1.Course{
		Id: c.ID, Title: c.Title, Summary: c.Summary, CoverUrl: c.CoverURL, TopicId: c.TopicID, Tags: c.Tags,
		CreditHours: c.CreditHours, OwnerId: c.OwnerID, OrgId: c.OrgID, Status: statusToAPI[c.Status],
		CreatedAt: ts(c.CreatedAt), UpdatedAt: ts(c.UpdatedAt), DurationSeconds: c.Duration(),
	}
	if c.PublishedAt != nil {
		out.PublishedAt = ts(*c.PublishedAt)
	}
	for _, ch := range c.Chapters {
		out.Chapters = append(out.Chapters, chapterToAPI(ch))
	}
	return out
}

func chapterToAPI(ch *biz.Chapter) *v1.Chapter {
	out := &v1.Chapter{Id: ch.ID, CourseId: ch.CourseID, Title: ch.Title, Position: int32(ch.Position)}
	for _, l := range ch.Lessons {
		out.Lessons = append(out.Lessons, lessonToAPI(l))
	}
	return out
}

// lessonToAPI never exposes the media object key: media is reached only through GetPlayback.
func lessonToAPI(l *biz.Lesson) *v1.Lesson {
	return &v1.Lesson{
		Id: l.ID, ChapterId: l.ChapterID, CourseId: l.CourseID, Title: l.Title, Kind: kindToAPI[l.Kind], Position: int32(l.Position),
		BodyHtml: l.BodyHTML, MediaStatus: mediaToAPI[l.MediaStatus], MediaError: l.MediaError, MediaContentType: l.MediaContentType,
		MediaSize: l.MediaSize, DurationSeconds: l.DurationSeconds, PageCount: int32(l.PageCount),
	}
}

func kindFromAPI(k v1.LessonKind) biz.Kind {
	for b, a := range kindToAPI {
		if a == k {
			return b
		}
	}
	return ""
}

// CreateTopic implements v1.CoursesServer.
func (s *CourseService) CreateTopic(ctx context.Context, req *v1.CreateTopicRequest) (*v1.Topic, error) {
	t, err := s.courses.CreateTopic(ctx, req.Name, int(req.Position))
	if err != nil {
		return nil, toAPIError(err)
	}
	return &v1.Topic{Id: t.ID, Name: t.Name, Position: int32(t.Position)}, nil
}

// UpdateTopic implements v1.CoursesServer.
func (s *CourseService) UpdateTopic(ctx context.Context, req *v1.UpdateTopicRequest) (*v1.Topic, error) {
	var pos *int
	if req.Position != nil {
		p := int(*req.Position)
		pos = &p
	}
	t, err := s.courses.UpdateTopic(ctx, req.GetId(), req.Name, pos)
	if err != nil {
		return nil, toAPIError(err)
	}
	return &v1.Topic{Id: t.ID, Name: t.Name, Position: int32(t.Position)}, nil
}

// DeleteTopic implements v1.CoursesServer.
func (s *CourseService) DeleteTopic(ctx context.Context, req *v1.IdRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, toAPIError(s.courses.DeleteTopic(ctx, req.GetId()))
}

// ListTopics implements v1.CoursesServer.
func (s *CourseService) ListTopics(ctx context.Context, _ *emptypb.Empty) (*v1.ListTopicsReply, error) {
	ts, err := s.courses.ListTopics(ctx)
	if err != nil {
		return nil, toAPIError(err)
	}
	out := &v1.ListTopicsReply{}
	for _, t := range ts {
		out.Topics = append(out.Topics, &v1.Topic{Id: t.ID, Name: t.Name, Position: int32(t.Position)})
	}
	return out, nil
}

// CreateCourse implements v1.CoursesServer.
func (s *CourseService) CreateCourse(ctx context.Context, req *v1.CreateCourseRequest) (*v1.Course, error) {
	c, err := s.courses.Create(ctx, biz.NewCourse{
		Title: req.Title, Summary: req.Summary, CoverURL: req.CoverUrl, TopicID: req.TopicId, Tags: req.Tags,
		CreditHours: req.CreditHours, OrgID: req.OrgId,
	})
	if err != nil {
		return nil, toAPIError(err)
	}
	return courseToAPI(c), nil
}

// GetCourse implements v1.CoursesServer.
func (s *CourseService) GetCourse(ctx context.Context, req *v1.GetCourseRequest) (*v1.Course, error) {
	c, err := s.courses.Get(ctx, req.Id)
	if err != nil {
		return nil, toAPIError(err)
	}
	return courseToAPI(c), nil
}

// UpdateCourse implements v1.CoursesServer.
func (s *CourseService) UpdateCourse(ctx context.Context, req *v1.UpdateCourseRequest) (*v1.Course, error) {
	patch := biz.CoursePatch{Title: req.Title, Summary: req.Summary, CoverURL: req.CoverUrl, TopicID: req.TopicId, CreditHours: req.CreditHours}
	if req.SetTags {
		tags := req.Tags
		patch.Tags = &tags
	}
	c, err := s.courses.Update(ctx, req.Id, patch)
	if err != nil {
		return nil, toAPIError(err)
	}
	return courseToAPI(c), nil
}

// PublishCourse implements v1.CoursesServer.
func (s *CourseService) PublishCourse(ctx context.Context, req *v1.CourseIdRequest) (*v1.Course, error) {
	c, err := s.courses.Publish(ctx, req.Id)
	if err != nil {
		return nil, toAPIError(err)
	}
	return courseToAPI(c), nil
}

// ArchiveCourse implements v1.CoursesServer.
func (s *CourseService) ArchiveCourse(ctx context.Context, req *v1.CourseIdRequest) (*v1.Course, error) {
	c, err := s.courses.Archive(ctx, req.Id)
	if err != nil {
		return nil, toAPIError(err)
	}
	return courseToAPI(c), nil
}

// DeleteCourse implements v1.CoursesServer.
func (s *CourseService) DeleteCourse(ctx context.Context, req *v1.CourseIdRequest) (*emptypb.Empty, error) {
	if err := s.courses.Delete(ctx, req.Id); err != nil {
		return nil, toAPIError(err)
	}
	return &emptypb.Empty{}, nil
}

// ListCourses implements v1.CoursesServer.
func (s *CourseService) ListCourses(ctx context.Context, req *v1.ListCoursesRequest) (*v1.ListCoursesReply, error) {
	f := biz.CourseFilter{TopicID: req.TopicId, Query: req.Query, Limit: int(req.PageSize)}
	for b, a := range statusToAPI {
		if a == req.Status {
			f.Status = b
		}
	}
	if req.PageToken != "" {
		raw, err := base64.RawURLEncoding.DecodeString(req.PageToken)
		id, perr := strconv.ParseInt(string(raw), 10, 64)
		if err != nil || perr != nil || id <= 0 {
			return nil, toAPIError(biz.Invalid("page_token", "分页标记无效"))
		}
		f.AfterID = id
	}
	cs, err := s.courses.List(ctx, f)
	if err != nil {
		return nil, toAPIError(err)
	}
	out := &v1.ListCoursesReply{}
	for _, c := range cs {
		out.Courses = append(out.Courses, courseToAPI(c))
	}
	limit := int(req.PageSize)
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	if len(cs) == limit {
		out.NextPageToken = base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(cs[len(cs)-1].ID, 10)))
	}
	return out, nil
}

// CreateChapter implements v1.CoursesServer.
func (s *CourseService) CreateChapter(ctx context.Context, req *v1.CreateChapterRequest) (*v1.Chapter, error) {
	ch, err := s.courses.CreateChapter(ctx, req.CourseId, req.Title, int(req.Position))
	if err != nil {
		return nil, toAPIError(err)
	}
	return chapterToAPI(ch), nil
}

// UpdateChapter implements v1.CoursesServer.
func (s *CourseService) UpdateChapter(ctx context.Context, req *v1.UpdateChapterRequest) (*v1.Chapter, error) {
	var pos *int
	if req.Position != nil {
		p := int(*req.Position)
		pos = &p
	}
	ch, err := s.courses.UpdateChapter(ctx, req.Id, req.Title, pos)
	if err != nil {
		return nil, toAPIError(err)
	}
	return chapterToAPI(ch), nil
}

// DeleteChapter implements v1.CoursesServer.
func (s *CourseService) DeleteChapter(ctx context.Context, req *v1.IdRequest) (*emptypb.Empty, error) {
	if err := s.courses.DeleteChapter(ctx, req.Id); err != nil {
		return nil, toAPIError(err)
	}
	return &emptypb.Empty{}, nil
}

// CreateLesson implements v1.CoursesServer.
func (s *CourseService) CreateLesson(ctx context.Context, req *v1.CreateLessonRequest) (*v1.Lesson, error) {
	l, err := s.courses.CreateLesson(ctx, req.ChapterId, req.Title, kindFromAPI(req.Kind), req.BodyHtml, int(req.Position))
	if err != nil {
		return nil, toAPIError(err)
	}
	return lessonToAPI(l), nil
}

// GetLesson implements v1.CoursesServer.
func (s *CourseService) GetLesson(ctx context.Context, req *v1.IdRequest) (*v1.Lesson, error) {
	l, err := s.courses.GetLesson(ctx, req.GetId())
	if err != nil {
		return nil, toAPIError(err)
	}
	return lessonToAPI(l), nil
}

// UpdateLesson implements v1.CoursesServer.
func (s *CourseService) UpdateLesson(ctx context.Context, req *v1.UpdateLessonRequest) (*v1.Lesson, error) {
	var pos *int
	if req.Position != nil {
		p := int(*req.Position)
		pos = &p
	}
	l, err := s.courses.UpdateLesson(ctx, req.Id, req.Title, req.BodyHtml, pos, req.ChapterId)
	if err != nil {
		return nil, toAPIError(err)
	}
	return lessonToAPI(l), nil
}

// DeleteLesson implements v1.CoursesServer.
func (s *CourseService) DeleteLesson(ctx context.Context, req *v1.IdRequest) (*emptypb.Empty, error) {
	if err := s.courses.DeleteLesson(ctx, req.Id); err != nil {
		return nil, toAPIError(err)
	}
	return &emptypb.Empty{}, nil
}

func planToAPI(p *biz.UploadPlan) *v1.UploadPlan {
	u := p.Upload
	out := &v1.UploadPlan{UploadId: u.ID, LessonId: u.LessonID, PartSize: u.PartSize, ExpiresAt: ts(u.ExpiresAt), Status: u.Status}
	for _, part := range p.Parts {
		out.Parts = append(out.Parts, &v1.UploadPart{Number: int32(part.Number), Url: part.URL, Size: part.Size})
	}
	return out
}

// StartUpload implements v1.CoursesServer.
func (s *CourseService) StartUpload(ctx context.Context, req *v1.StartUploadRequest) (*v1.UploadPlan, error) {
	p, err := s.media.StartUpload(ctx, req.LessonId, req.FileName, req.Size, req.ContentType)
	if err != nil {
		return nil, toAPIError(err)
	}
	return planToAPI(p), nil
}

// GetUpload implements v1.CoursesServer.
func (s *CourseService) GetUpload(ctx context.Context, req *v1.IdRequest) (*v1.UploadPlan, error) {
	p, err := s.media.GetUpload(ctx, req.Id)
	if err != nil {
		return nil, toAPIError(err)
	}
	return planToAPI(p), nil
}

// CompleteUpload implements v1.CoursesServer.
func (s *CourseService) CompleteUpload(ctx context.Context, req *v1.IdRequest) (*v1.Lesson, error) {
	l, err := s.media.Complete(ctx, req.Id)
	if err != nil {
		return nil, toAPIError(err)
	}
	return lessonToAPI(l), nil
}

// AbortUpload implements v1.CoursesServer.
func (s *CourseService) AbortUpload(ctx context.Context, req *v1.IdRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, toAPIError(s.media.Abort(ctx, req.Id))
}

// GetPlayback implements v1.CoursesServer.
func (s *CourseService) GetPlayback(ctx context.Context, req *v1.IdRequest) (*v1.Playback, error) {
	p, err := s.media.Playback(ctx, req.Id)
	if err != nil {
		return nil, toAPIError(err)
	}
	return &v1.Playback{Url: p.URL, ExpiresAt: ts(p.ExpiresAt), ContentType: p.ContentType,
		DurationSeconds: p.Lesson.DurationSeconds, PageCount: int32(p.Lesson.PageCount)}, nil
}

func assignmentsToAPI(as []*biz.Assignment) *v1.ListAssignmentsReply {
	out := &v1.ListAssignmentsReply{}
	for _, a := range as {
		out.Assignments = append(out.Assignments, &v1.Assignment{Id: a.ID, CourseId: a.CourseID, OrgId: a.OrgID, OrgPath: a.OrgPath,
			Required: a.Required, DueDate: a.DueDate, AssignedBy: a.AssignedBy, CreatedAt: ts(a.CreatedAt)})
	}
	return out
}

// AssignCourse implements v1.CoursesServer.
func (s *CourseService) AssignCourse(ctx context.Context, req *v1.AssignCourseRequest) (*v1.ListAssignmentsReply, error) {
	as, err := s.courses.Assign(ctx, req.CourseId, req.OrgIds, req.Required, req.DueDate)
	if err != nil {
		return nil, toAPIError(err)
	}
	return assignmentsToAPI(as), nil
}

// ListAssignments implements v1.CoursesServer.
func (s *CourseService) ListAssignments(ctx context.Context, req *v1.CourseIdRequest) (*v1.ListAssignmentsReply, error) {
	as, err := s.courses.ListAssignments(ctx, req.Id)
	if err != nil {
		return nil, toAPIError(err)
	}
	return assignmentsToAPI(as), nil
}

// DeleteAssignment implements v1.CoursesServer.
func (s *CourseService) DeleteAssignment(ctx context.Context, req *v1.IdRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, toAPIError(s.courses.Unassign(ctx, req.Id))
}

// ListMyCourses implements v1.CoursesServer.
func (s *CourseService) ListMyCourses(ctx context.Context, _ *emptypb.Empty) (*v1.ListMyCoursesReply, error) {
	mine, err := s.courses.MyCourses(ctx)
	if err != nil {
		return nil, toAPIError(err)
	}
	out := &v1.ListMyCoursesReply{}
	for _, m := range mine {
		out.Courses = append(out.Courses, &v1.MyCourse{Course: courseToAPI(m.Course), Required: m.Required, DueDate: m.DueDate})
	}
	return out, nil
}

func studyPlanToAPI(p *biz.StudyPlan) *v1.StudyPlan {
	out := &v1.StudyPlan{Id: p.ID, OrgId: p.OrgID, Year: int32(p.Year), Title: p.Title}
	for _, it := range p.Items {
		out.Items = append(out.Items, itemToAPI(it))
	}
	return out
}

func itemToAPI(it *biz.PlanItem) *v1.StudyPlanItem {
	return &v1.StudyPlanItem{Id: it.ID, Title: it.Title, TopicId: it.TopicID, StartsOn: it.StartsOn, EndsOn: it.EndsOn, CourseIds: it.CourseIDs}
}

// CreateStudyPlan implements v1.CoursesServer.
func (s *CourseService) CreateStudyPlan(ctx context.Context, req *v1.CreateStudyPlanRequest) (*v1.StudyPlan, error) {
	plan := &biz.StudyPlan{OrgID: req.OrgId, Year: int(req.Year), Title: req.Title, Items: itemsFromAPI(req.Items, false)}
	out, err := s.plans.Create(ctx, plan)
	if err != nil {
		return nil, toAPIError(err)
	}
	return studyPlanToAPI(out), nil
}

func itemsFromAPI(in []*v1.StudyPlanItemInput, withIDs bool) []*biz.PlanItem {
	out := make([]*biz.PlanItem, 0, len(in))
	for _, it := range in {
		item := &biz.PlanItem{Title: it.Title, TopicID: it.TopicId, StartsOn: it.StartsOn, EndsOn: it.EndsOn, CourseIDs: it.CourseIds}
		if withIDs {
			item.ID = it.Id
		}
		out = append(out, item)
	}
	return out
}

// UpdateStudyPlan implements v1.CoursesServer.
func (s *CourseService) UpdateStudyPlan(ctx context.Context, req *v1.UpdateStudyPlanRequest) (*v1.StudyPlan, error) {
	out, err := s.plans.Update(ctx, &biz.StudyPlan{ID: req.Id, Year: int(req.Year), Title: req.Title, Items: itemsFromAPI(req.Items, true)})
	if err != nil {
		return nil, toAPIError(err)
	}
	return studyPlanToAPI(out), nil
}

// DeleteStudyPlan implements v1.CoursesServer.
func (s *CourseService) DeleteStudyPlan(ctx context.Context, req *v1.IdRequest) (*emptypb.Empty, error) {
	if err := s.plans.Delete(ctx, req.GetId()); err != nil {
		return nil, toAPIError(err)
	}
	return &emptypb.Empty{}, nil
}

// ListStudyPlans implements v1.CoursesServer.
func (s *CourseService) ListStudyPlans(ctx context.Context, req *v1.ListStudyPlansRequest) (*v1.ListStudyPlansReply, error) {
	plans, err := s.plans.List(ctx, req.OrgId, int(req.Year))
	if err != nil {
		return nil, toAPIError(err)
	}
	out := &v1.ListStudyPlansReply{}
	for _, p := range plans {
		out.Plans = append(out.Plans, studyPlanToAPI(p))
	}
	return out, nil
}

// ListMyPlanItems implements v1.CoursesServer.
func (s *CourseService) ListMyPlanItems(ctx context.Context, req *v1.ListMyPlanItemsRequest) (*v1.ListMyPlanItemsReply, error) {
	items, err := s.plans.MyItems(ctx, req.Month)
	if err != nil {
		return nil, toAPIError(err)
	}
	out := &v1.ListMyPlanItemsReply{}
	for _, it := range items {
		out.Items = append(out.Items, &v1.MyPlanItem{Item: itemToAPI(it.Item), PlanId: it.PlanID, OrgId: it.OrgID, PlanTitle: it.PlanTitle})
	}
	return out, nil
}

func newsToAPI(n *biz.NewsPost) *v1.NewsPost {
	return &v1.NewsPost{Id: n.ID, OrgId: n.OrgID, OrgName: n.OrgName, Title: n.Title, CoverUrl: n.CoverURL, BodyHtml: n.BodyHTML,
		Excerpt: n.Excerpt, Pinned: n.Pinned, PublishAt: ts(n.PublishAt), CreatedBy: n.CreatedBy, CreatedAt: ts(n.CreatedAt), UpdatedAt: ts(n.UpdatedAt)}
}

// newsPage answers a page of posts with the token of the next one (when the page is full).
func newsPage(posts []*biz.NewsPost, limit int) *v1.ListNewsPostsReply {
	out := &v1.ListNewsPostsReply{}
	for _, n := range posts {
		out.Posts = append(out.Posts, newsToAPI(n))
	}
	if len(posts) > 0 && len(posts) == limit {
		last := posts[len(posts)-1]
		pinned := "0"
		if last.Pinned {
			pinned = "1"
		}
		raw := pinned + "." + strconv.FormatInt(last.PublishAt.Unix(), 10) + "." + strconv.FormatInt(last.ID, 10)
		out.NextPageToken = base64.RawURLEncoding.EncodeToString([]byte(raw))
	}
	return out
}

// newsCursor decodes a page token of newsPage.
func newsCursor(token string) (*biz.NewsCursor, error) {
	if token == "" {
		return nil, nil
	}
	bad := toAPIError(biz.Invalid("page_token", "分页标记无效"))
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return nil, bad
	}
	parts := strings.Split(string(raw), ".")
	if len(parts) != 3 || (parts[0] != "0" && parts[0] != "1") {
		return nil, bad
	}
	at, err1 := strconv.ParseInt(parts[1], 10, 64)
	id, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || id <= 0 {
		return nil, bad
	}
	return &biz.NewsCursor{Pinned: parts[0] == "1", PublishAt: time.Unix(at, 0).UTC(), ID: id}, nil
}

// CreateNewsPost implements v1.CoursesServer.
func (s *CourseService) CreateNewsPost(ctx context.Context, req *v1.CreateNewsPostRequest) (*v1.NewsPost, error) {
	n, err := s.news.Create(ctx, req.OrgId, biz.NewsInput{Title: &req.Title, CoverURL: &req.CoverUrl, BodyHTML: &req.BodyHtml,
		Pinned: &req.Pinned, PublishAt: &req.PublishAt})
	if err != nil {
		return nil, toAPIError(err)
	}
	return newsToAPI(n), nil
}

// GetNewsPost implements v1.CoursesServer.
func (s *CourseService) GetNewsPost(ctx context.Context, req *v1.IdRequest) (*v1.NewsPost, error) {
	n, err := s.news.Get(ctx, req.Id)
	if err != nil {
		return nil, toAPIError(err)
	}
	return newsToAPI(n), nil
}

// UpdateNewsPost implements v1.CoursesServer.
func (s *CourseService) UpdateNewsPost(ctx context.Context, req *v1.UpdateNewsPostRequest) (*v1.NewsPost, error) {
	n, err := s.news.Update(ctx, req.Id, biz.NewsInput{Title: req.Title, CoverURL: req.CoverUrl, BodyHTML: req.BodyHtml,
		Pinned: req.Pinned, PublishAt: req.PublishAt})
	if err != nil {
		return nil, toAPIError(err)
	}
	return newsToAPI(n), nil
}

// DeleteNewsPost implements v1.CoursesServer.
func (s *CourseService) DeleteNewsPost(ctx context.Context, req *v1.IdRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, toAPIError(s.news.Delete(ctx, req.Id))
}

// ListNewsPosts implements v1.CoursesServer.
func (s *CourseService) ListNewsPosts(ctx context.Context, req *v1.ListNewsPostsRequest) (*v1.ListNewsPostsReply, error) {
	after, err := newsCursor(req.PageToken)
	if err != nil {
		return nil, err
	}
	posts, err := s.news.List(ctx, req.OrgId, after, int(req.PageSize))
	if err != nil {
		return nil, toAPIError(err)
	}
	return newsPage(posts, biz.NewsPageLimit(int(req.PageSize))), nil
}

// ListMyNews implements v1.CoursesServer.
func (s *CourseService) ListMyNews(ctx context.Context, req *v1.ListMyNewsRequest) (*v1.ListNewsPostsReply, error) {
	after, err := newsCursor(req.PageToken)
	if err != nil {
		return nil, err
	}
	posts, err := s.news.Mine(ctx, after, int(req.PageSize))
	if err != nil {
		return nil, toAPIError(err)
	}
	return newsPage(posts, biz.NewsPageLimit(int(req.PageSize))), nil
}
