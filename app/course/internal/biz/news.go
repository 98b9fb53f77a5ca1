package biz

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/htmlsafe"
)

// ErrNewsNotFound is a news post that does not exist or that the caller may not read.
var ErrNewsNotFound = errors.New("news post not found")

// NewsPost is a news post (党建工作动态) of an org, read by the members of its subtree.
type NewsPost struct {
	ID      int64
	OrgID   int64
	OrgPath string
	// OrgName is the posting org's name when the post was written.
	OrgName  string
	Title    string
	CoverURL string
	BodyHTML string
	Excerpt  string
	Pinned   bool
	// PublishAt is when members start to see the post (UTC, whole seconds).
	PublishAt time.Time
	CreatedBy int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// NewsCursor is the position after the last post of a page in feed order (pinned first, then
// newest publish time, then highest id).
type NewsCursor struct {
	Pinned    bool
	PublishAt time.Time
	ID        int64
}

// NewsFilter selects posts in feed order.
type NewsFilter struct {
	// Paths: posts of exactly these orgs (a member's org and ancestors).
	Paths []string
	// Under: posts of this org path's subtree (those who manage it); used when Paths is empty.
	Under string
	// PublishedBy: only posts published at or before it (zero: scheduled ones too).
	PublishedBy time.Time
	After       *NewsCursor
	Limit       int
	// WithBody loads body_html (lists leave it out: they show the excerpt).
	WithBody bool
}

// NewsRepo stores news posts.
type NewsRepo interface {
	Create(ctx context.Context, p *NewsPost) (*NewsPost, error)
	Get(ctx context.Context, id int64) (*NewsPost, error)
	// Update writes every editable field of p.
	Update(ctx context.Context, p *NewsPost) (*NewsPost, error)
	Delete(ctx context.Context, id int64) error
	List(ctx context.Context, f NewsFilter) ([]*NewsPost, error)
	// ListByID pages through every post by id, after afterID, with bodies (the search feed).
	ListByID(ctx context.Context, afterID int64, limit int) ([]*NewsPost, error)
}

// NewsEventKind says what happened to a news post.
type NewsEventKind string

// What can happen to a news post, as announced to subscribers.
const (
	NewsPublishedEvent NewsEventKind = "published"
	NewsUpdatedEvent   NewsEventKind = "updated"
	NewsDeletedEvent   NewsEventKind = "deleted"
)

// NewsChanged announces a news post written, edited or deleted.
type NewsChanged struct {
	Kind NewsEventKind
	Post NewsPost
}

func (NewsChanged) isDomainEvent() {}

// NewsUsecase manages news posts.
type NewsUsecase struct {
	news   NewsRepo
	orgs   OrgDirectory
	events Publisher
	tx     Transaction
	clock  clock.Clock
}

// NewNewsUsecase wires a NewsUsecase.
func NewNewsUsecase(news NewsRepo, orgs OrgDirectory, events Publisher, tx Transaction, clk clock.Clock) *NewsUsecase {
	return &NewsUsecase{news: news, orgs: orgs, events: events, tx: tx, clock: clk}
}

// NewsInput is what a writer enters; nil fields of an update stay as they are.
type NewsInput struct {
	Title, CoverURL, BodyHTML, PublishAt *string
	Pinned                               *bool
}

// DefaultNewsPage and MaxNewsPage bound a page of posts.
const (
	DefaultNewsPage = 20
	MaxNewsPage     = 100
)

// Create publishes a post for the subtree of orgID (0: the caller's org), which the caller must
// manage: staff of that subtree, or an admin.
func (uc *NewsUsecase) Create(ctx context.Context, orgID int64, in NewsInput) (*NewsPost, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if orgID == 0 {
		orgID = p.OrgID
	}
	org, err := uc.orgs.GetOrg(ctx, orgID)
	if err != nil {
		return nil, err
	}
	if !p.CanManageOrg(org.Path) {
		return nil, deny("只有本组织及上级组织的管理人员可以发布党建动态")
	}
	post := &NewsPost{OrgID: org.ID, OrgPath: org.Path, OrgName: org.Name, CreatedBy: p.UserID, PublishAt: uc.now()}
	if err := uc.apply(post, in, true); err != nil {
		return nil, err
	}
	var out *NewsPost
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		if out, err = uc.news.Create(ctx, post); err != nil {
			return err
		}
		return uc.events.Publish(ctx, NewsChanged{Kind: NewsPublishedEvent, Post: *out})
	})
	return out, err
}

// Get returns a post to those who manage its org, and to members of its org's subtree once it
// is published; anyone else is told it does not exist.
func (uc *NewsUsecase) Get(ctx context.Context, id int64) (*NewsPost, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	post, err := uc.news.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if p.CanManageOrg(post.OrgPath) || (p.InAncestry(post.OrgPath) && !post.PublishAt.After(uc.now())) {
		return post, nil
	}
	return nil, ErrNewsNotFound
}

// manageable loads a post the caller manages. A reader who may see it but not change it is
// denied; anyone else is told it does not exist.
func (uc *NewsUsecase) manageable(ctx context.Context, id int64) (*NewsPost, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	post, err := uc.news.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if p.CanManageOrg(post.OrgPath) {
		return post, nil
	}
	if p.InAncestry(post.OrgPath) && !post.PublishAt.After(uc.now()) {
		return nil, deny("只有发布组织的管理人员可以修改党建动态")
	}
	return nil, ErrNewsNotFound
}

// Update edits a post the caller manages.
func (uc *NewsUsecase) Update(ctx context.Context, id int64, in NewsInput) (*NewsPost, error) {
	post, err := uc.manageable(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := uc.apply(post, in, false); err != nil {
		return nil, err
	}
	var out *NewsPost
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		if out, err = uc.news.Update(ctx, post); err != nil {
			return err
		}
		return uc.events.Publish(ctx, NewsChanged{Kind: NewsUpdatedEvent, Post: *out})
	})
	return out, err
}

// Delete removes a post the caller manages.
func (uc *NewsUsecase) Delete(ctx context.Context, id int64) error {
	post, err := uc.manageable(ctx, id)
	if err != nil {
		return err
	}
	return uc.tx.InTx(ctx, func(ctx context.Context) error {
		if err := uc.news.Delete(ctx, id); err != nil {
			return err
		}
		return uc.events.Publish(ctx, NewsChanged{Kind: NewsDeletedEvent, Post: NewsPost{ID: post.ID, OrgID: post.OrgID, OrgPath: post.OrgPath}})
	})
}

// List returns the posts of the subtree of orgID (0: the caller's org), scheduled ones included,
// for those who manage it.
func (uc *NewsUsecase) List(ctx context.Context, orgID int64, after *NewsCursor, limit int) ([]*NewsPost, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if orgID == 0 {
		orgID = p.OrgID
	}
	org, err := uc.orgs.GetOrg(ctx, orgID)
	if err != nil {
		return nil, err
	}
	if !p.CanManageOrg(org.Path) {
		return nil, deny("只有本组织及上级组织的管理人员可以管理党建动态")
	}
	return uc.news.List(ctx, NewsFilter{Under: org.Path, After: after, Limit: NewsPageLimit(limit)})
}

// Mine returns the published posts of the caller's org and its ancestors.
func (uc *NewsUsecase) Mine(ctx context.Context, after *NewsCursor, limit int) ([]*NewsPost, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	paths := p.AncestorPaths()
	if len(paths) == 0 {
		return nil, nil
	}
	return uc.news.List(ctx, NewsFilter{Paths: paths, PublishedBy: uc.now(), After: after, Limit: NewsPageLimit(limit)})
}

// NewsPageLimit is the page size a request for n posts gets.
func NewsPageLimit(n int) int {
	if n <= 0 {
		return DefaultNewsPage
	}
	return min(n, MaxNewsPage)
}

func (uc *NewsUsecase) now() time.Time { return uc.clock.Now().UTC().Truncate(time.Second) }

// apply checks and copies in onto post; create requires a title and a body.
func (uc *NewsUsecase) apply(post *NewsPost, in NewsInput, create bool) error {
	if in.Title != nil || create {
		t := ""
		if in.Title != nil {
			t = trim(*in.Title)
		}
		if t == "" {
			return Invalid("title", "标题不能为空")
		}
		post.Title = t
	}
	if in.CoverURL != nil {
		c := trim(*in.CoverURL)
		if err := checkCoverURL(c); err != nil {
			return err
		}
		post.CoverURL = c
	}
	if in.BodyHTML != nil || create {
		body := ""
		if in.BodyHTML != nil {
			body = htmlsafe.Article(*in.BodyHTML)
		}
		if htmlsafe.Text(body) == "" && !hasImage(body) {
			return Invalid("body_html", "正文不能为空")
		}
		post.BodyHTML, post.Excerpt = body, htmlsafe.Excerpt(body, MaxExcerpt)
	}
	if in.Pinned != nil {
		post.Pinned = *in.Pinned
	}
	if in.PublishAt != nil && trim(*in.PublishAt) != "" {
		at, err := time.Parse(time.RFC3339, trim(*in.PublishAt))
		if err != nil {
			return Invalid("publish_at", "发布时间格式应为 RFC 3339，例如 2026-07-01T09:00:00+08:00")
		}
		post.PublishAt = at.UTC().Truncate(time.Second)
	}
	return nil
}

// hasImage reports whether sanitised HTML shows an image (a post may be a picture alone); the
// sanitiser writes tag names in lower case.
func hasImage(html string) bool { return strings.Contains(html, "<img") }
