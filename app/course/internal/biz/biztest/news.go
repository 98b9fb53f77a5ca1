package biztest

import (
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/vanguard/vanguard/app/course/internal/biz"
)

var newsCases = []testCase{
	{"create, get, update, delete", testNewsCRUD},
	{"feed order and keyset pages", testNewsFeedOrder},
	{"filters", testNewsFilters},
	{"pages by id", testNewsByID},
}

func newsID(n *biz.NewsPost) int64 { return n.ID }

var ignoreNewsStamps = cmpopts.IgnoreFields(biz.NewsPost{}, "CreatedAt", "UpdatedAt")

// Create stores every field (the publish time in UTC, whole seconds) and Get returns it; Update
// writes the editable fields and keeps the org and author; Delete removes the post; a missing
// post is ErrNewsNotFound.
func testNewsCRUD(f *fx) {
	in := &biz.NewsPost{OrgID: 2, OrgPath: "/1/2/", OrgName: "第一支部", Title: "支部开展主题党日活动", CoverURL: "/blob/news/a.png",
		BodyHTML: "<p>正文</p>", Excerpt: "正文", Pinned: true, PublishAt: t0.Add(1500 * time.Millisecond), CreatedBy: 7}
	n := res(f.r.News.Create(f.ctx, in)).must(f, "News.Create")
	if n.ID <= 0 || n.CreatedAt.IsZero() {
		f.Fatalf("News.Create = id %d created %v", n.ID, n.CreatedAt)
	}
	want := *in
	want.ID, want.PublishAt = n.ID, t0.Add(time.Second)
	f.same("created post", &want, n, ignoreNewsStamps)
	f.same("got post", &want, res(f.r.News.Get(f.ctx, n.ID)).must(f, "News.Get"), ignoreNewsStamps)

	edit := want
	edit.Title, edit.CoverURL, edit.BodyHTML, edit.Excerpt, edit.Pinned, edit.PublishAt = "新标题", "", "<p>新</p>", "新", false, t0.Add(time.Hour)
	edit.OrgID, edit.OrgPath, edit.OrgName, edit.CreatedBy = 99, "/9/", "别处", 99
	res(f.r.News.Update(f.ctx, &edit)).must(f, "News.Update")
	wantEdited := edit
	wantEdited.OrgID, wantEdited.OrgPath, wantEdited.OrgName, wantEdited.CreatedBy = 2, "/1/2/", "第一支部", 7
	f.same("updated post", &wantEdited, res(f.r.News.Get(f.ctx, n.ID)).must(f, "News.Get"), ignoreNewsStamps)

	f.noErr("News.Delete", f.r.News.Delete(f.ctx, n.ID))
	_, err := f.r.News.Get(f.ctx, n.ID)
	f.wantErr("Get after Delete", err, biz.ErrNewsNotFound)
	f.wantErr("Delete missing", f.r.News.Delete(f.ctx, missing), biz.ErrNewsNotFound)
	_, err = f.r.News.Update(f.ctx, &biz.NewsPost{ID: missing, Title: "x", BodyHTML: "x", PublishAt: t0})
	f.wantErr("Update missing", err, biz.ErrNewsNotFound)
}

// List orders pinned posts first, then by publish time (newest first), then by id (highest
// first); a cursor continues after the post it names, so pages neither repeat nor skip; lists
// leave the body out unless asked for it.
func testNewsFeedOrder(f *fx) {
	mk := func(pinned bool, at time.Duration) *biz.NewsPost {
		f.Helper()
		return res(f.r.News.Create(f.ctx, &biz.NewsPost{OrgID: 2, OrgPath: "/1/2/", Title: "动态", BodyHTML: "<p>正文</p>", Excerpt: "正文",
			Pinned: pinned, PublishAt: t0.Add(at), CreatedBy: 1})).must(f, "News.Create")
	}
	old := mk(false, 0)
	pinnedOld := mk(true, -48*time.Hour)
	newer := mk(false, time.Hour)
	sameTime := mk(false, time.Hour)
	pinnedNew := mk(true, 0)
	want := []int64{pinnedNew.ID, pinnedOld.ID, sameTime.ID, newer.ID, old.ID}

	all := res(f.r.News.List(f.ctx, biz.NewsFilter{Paths: []string{"/1/2/"}, Limit: 10})).must(f, "News.List")
	f.same("feed order", want, idsOf(all, newsID))
	for _, n := range all {
		if n.BodyHTML != "" || n.Excerpt != "正文" {
			f.Errorf("listed post %d has body %q excerpt %q", n.ID, n.BodyHTML, n.Excerpt)
		}
	}
	withBody := res(f.r.News.List(f.ctx, biz.NewsFilter{Paths: []string{"/1/2/"}, Limit: 1, WithBody: true})).must(f, "News.List")
	if len(withBody) != 1 || withBody[0].BodyHTML != "<p>正文</p>" {
		f.Errorf("WithBody list = %+v", withBody)
	}

	var paged []int64
	var after *biz.NewsCursor
	for range 5 {
		page := res(f.r.News.List(f.ctx, biz.NewsFilter{Under: "/1/", After: after, Limit: 2})).must(f, "News.List page")
		if len(page) == 0 {
			break
		}
		paged = append(paged, idsOf(page, newsID)...)
		last := page[len(page)-1]
		after = &biz.NewsCursor{Pinned: last.Pinned, PublishAt: last.PublishAt, ID: last.ID}
	}
	f.same("pages of two", want, paged)
}

// List selects by exact org paths, or else by subtree prefix (neither: nothing), and by
// publish time when PublishedBy is set (a post published exactly then is included).
func testNewsFilters(f *fx) {
	mk := func(path string, at time.Duration) int64 {
		f.Helper()
		return res(f.r.News.Create(f.ctx, &biz.NewsPost{OrgID: 1, OrgPath: path, Title: "动态", BodyHTML: "<p>x</p>",
			PublishAt: t0.Add(at), CreatedBy: 1})).must(f, "News.Create").ID
	}
	root := mk("/1/", -time.Hour)
	g := mk("/1/2/", -2*time.Hour)
	branch := mk("/1/2/3/", -3*time.Hour)
	scheduled := mk("/1/2/", time.Hour)
	other := mk("/10/", -4*time.Hour)
	list := func(flt biz.NewsFilter) []int64 {
		f.Helper()
		flt.Limit = 20
		return idsOf(res(f.r.News.List(f.ctx, flt)).must(f, "News.List"), newsID)
	}
	f.same("ancestry of /1/2/", []int64{scheduled, root, g}, list(biz.NewsFilter{Paths: []string{"/1/", "/1/2/"}}))
	f.same("ancestry, published by t0", []int64{root, g}, list(biz.NewsFilter{Paths: []string{"/1/", "/1/2/"}, PublishedBy: t0}))
	f.same("published exactly then", []int64{root, g, branch}, list(biz.NewsFilter{Under: "/1/", PublishedBy: t0.Add(-time.Hour)}))
	f.same("subtree of /1/2/", []int64{scheduled, g, branch}, list(biz.NewsFilter{Under: "/1/2/"}))
	f.same("subtree of /10/", []int64{other}, list(biz.NewsFilter{Under: "/10/"}))
	f.same("neither", []int64(nil), list(biz.NewsFilter{}))
}

// ListByID pages through every post by id, whatever its org or publish time, with its body.
func testNewsByID(f *fx) {
	var want []int64
	for i, path := range []string{"/1/", "/10/", "/1/2/"} {
		n := res(f.r.News.Create(f.ctx, &biz.NewsPost{OrgID: 1, OrgPath: path, Title: "动态", BodyHTML: "<p>正文</p>",
			PublishAt: t0.Add(time.Duration(i-1) * time.Hour), CreatedBy: 1})).must(f, "News.Create")
		want = append(want, n.ID)
	}
	var got []int64
	after := int64(0)
	for range 5 {
		page := res(f.r.News.ListByID(f.ctx, after, 2)).must(f, "News.ListByID")
		if len(page) == 0 {
			break
		}
		for _, n := range page {
			if n.BodyHTML != "<p>正文</p>" {
				f.Errorf("post %d listed without its body: %q", n.ID, n.BodyHTML)
			}
			got = append(got, n.ID)
		}
		after = page[len(page)-1].ID
	}
	f.same("pages by id", want, got)
}
