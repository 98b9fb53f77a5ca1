package standalone

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	coursev1 "github.com/vanguard/vanguard/api/course/v1"
	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/authn"
)

// newsTitles returns the titles of a page of posts, in order.
func newsTitles(t *testing.T, r reply) []string {
	t.Helper()
	var page struct {
		Posts []struct {
			Title    string `json:"title"`
			BodyHTML string `json:"bodyHtml"`
			Excerpt  string `json:"excerpt"`
		} `json:"posts"`
	}
	if err := json.Unmarshal([]byte(r.raw), &page); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range page.Posts {
		if p.BodyHTML != "" {
			t.Errorf("a list carries the body of %q", p.Title)
		}
		out = append(out, p.Title)
	}
	return out
}

// News posts (党建工作动态): staff write them for their subtree; members read those of their org
// and its ancestors, pinned first, then newest, once published; every other reader is refused.
func TestNewsPosts(t *testing.T) {
	l := startLive(t)
	admin := l.login("admin", "Admin-pass-2026")
	root := l.must(l.call("GET", "/v1/me", admin, nil), 200).s("orgId")
	mkOrg := func(parent, code, name, typ string) string {
		return l.must(l.call("POST", "/v1/orgs", admin, map[string]any{"parentId": parent, "name": name, "code": code, "type": typ}), 200).s("id")
	}
	mkUser := func(org, name string, roles ...string) string {
		l.must(l.call("POST", "/v1/accounts", admin, map[string]any{"username": name, "displayName": name, "password": "Passw0rd-" + name, "roles": roles, "orgId": org}), 200)
		return l.login(name, "Passw0rd-"+name)
	}
	g := mkOrg(root, "G", "机关党总支", "GENERAL_BRANCH")
	a := mkOrg(g, "A", "第一党支部", "BRANCH")
	b := mkOrg(root, "B", "第二党支部", "BRANCH")
	staffG := mkUser(g, "staffg", "STAFF")
	staffB := mkUser(b, "staffb", "STAFF")
	trainerG := mkUser(g, "trainerg", "TRAINER")
	memberA := mkUser(a, "membera", "MEMBER")
	memberB := mkUser(b, "memberb", "MEMBER")
	memberG := mkUser(g, "memberg", "MEMBER")

	post := func(token string, body map[string]any) reply {
		return l.call("POST", "/v1/news", token, body)
	}
	at := func(d time.Duration) string { return l.clock.Now().Add(d).Format(time.RFC3339) }

	// Staff write for their own subtree (their org by default, or a branch below); an admin
	// anywhere. The body is sanitised and its plain text becomes the excerpt.
	l.must(post(admin, map[string]any{"title": "全省通知", "bodyHtml": "<p>通知</p>", "pinned": true, "publishAt": at(-72 * time.Hour)}), 200)
	gPost := l.must(post(staffG, map[string]any{"title": "总支动态", "publishAt": at(-2 * time.Hour),
		"bodyHtml": `<p onclick="steal()">总支<b>召开</b>大会</p><script>alert(1)</script><p>第二段 &amp; 更多</p>`}), 200)
	if gPost.s("orgId") != g || gPost.s("orgName") != "机关党总支" || gPost.s("pinned") != "false" {
		t.Fatalf("post for the caller's org = %s", gPost.raw)
	}
	if body := gPost.s("bodyHtml"); strings.Contains(body, "script") || strings.Contains(body, "onclick") || !strings.Contains(body, "<b>召开</b>") {
		t.Fatalf("body not sanitised: %s", body)
	}
	if gPost.s("excerpt") != "总支召开大会 第二段 & 更多" {
		t.Fatalf("excerpt = %q", gPost.s("excerpt"))
	}
	aPost := l.must(post(staffG, map[string]any{"orgId": a, "title": "支部动态", "bodyHtml": "<p>支部</p>", "publishAt": at(-time.Hour)}), 200)
	l.must(post(staffG, map[string]any{"title": "预告", "bodyHtml": "<p>明天</p>", "publishAt": at(time.Hour)}), 200)
	bPost := l.must(post(staffB, map[string]any{"title": "B支部动态", "bodyHtml": "<p>B</p>"}), 200)

	// Wrong role, wrong org, bad input: refused, naming the field, and nothing is stored.
	l.must(post(trainerG, map[string]any{"title": "x", "bodyHtml": "<p>x</p>"}), 403, "PERMISSION_DENIED")
	l.must(post(memberA, map[string]any{"title": "x", "bodyHtml": "<p>x</p>"}), 403, "PERMISSION_DENIED")
	l.must(post(staffB, map[string]any{"orgId": g, "title": "x", "bodyHtml": "<p>x</p>"}), 404, "ORG_NOT_FOUND")
	l.must(post("", map[string]any{"title": "x", "bodyHtml": "<p>x</p>"}), 401)
	for field, body := range map[string]map[string]any{
		"title":      {"title": "   ", "bodyHtml": "<p>x</p>"},
		"body_html":  {"title": "x", "bodyHtml": "<script>alert(1)</script>"},
		"cover_url":  {"title": "x", "bodyHtml": "<p>x</p>", "coverUrl": "javascript:alert(1)"},
		"publish_at": {"title": "x", "bodyHtml": "<p>x</p>", "publishAt": "明天"},
	} {
		r := l.must(post(staffG, body), 400, "INVALID_ARGUMENT")
		if r.s("metadata", "field") != field {
			t.Errorf("bad %s refused naming %q: %s", field, r.s("metadata", "field"), r.raw)
		}
	}
	if got := newsTitles(t, l.must(l.call("GET", "/v1/news?orgId="+g, staffG, nil), 200)); strings.Join(got, ",") != "预告,支部动态,总支动态" {
		t.Fatalf("staff list of G's subtree = %v", got)
	}

	// Members read their org's and ancestors' published posts: pinned first, then newest.
	feed := func(token string) string {
		return strings.Join(newsTitles(t, l.must(l.call("GET", "/v1/my/news", token, nil), 200)), ",")
	}
	if got := feed(memberA); got != "全省通知,支部动态,总支动态" {
		t.Fatalf("member A's feed = %s", got)
	}
	if got := feed(memberG); got != "全省通知,总支动态" {
		t.Fatalf("member G's feed (no posts of branches below) = %s", got)
	}
	if got := feed(memberB); got != "全省通知,B支部动态" {
		t.Fatalf("member B's feed = %s", got)
	}
	read := l.must(l.call("GET", "/v1/news/"+gPost.s("id"), memberA, nil), 200)
	if !strings.Contains(read.s("bodyHtml"), "召开") {
		t.Fatalf("member reads a post without its body: %s", read.raw)
	}
	l.must(l.call("GET", "/v1/news/"+bPost.s("id"), memberA, nil), 404, "NEWS_NOT_FOUND")
	l.must(l.call("GET", "/v1/news/"+aPost.s("id"), memberG, nil), 404, "NEWS_NOT_FOUND")
	l.must(l.call("GET", "/v1/news/"+gPost.s("id"), staffB, nil), 404, "NEWS_NOT_FOUND")
	l.must(l.call("GET", "/v1/news?orgId="+g, memberG, nil), 403, "PERMISSION_DENIED")
	l.must(l.call("GET", "/v1/news?orgId="+g, staffB, nil), 404, "ORG_NOT_FOUND")

	// Pages of one follow each other without repeats.
	var paged []string
	token := ""
	for range 5 {
		r := l.must(l.call("GET", "/v1/my/news?pageSize=1&pageToken="+token, memberA, nil), 200)
		paged = append(paged, newsTitles(t, r)...)
		if token = r.s("nextPageToken"); token == "" {
			break
		}
	}
	if strings.Join(paged, ",") != "全省通知,支部动态,总支动态" {
		t.Fatalf("paged feed = %v", paged)
	}
	l.must(l.call("GET", "/v1/my/news?pageToken=bm90LWEtdG9rZW4", memberA, nil), 400, "INVALID_ARGUMENT")

	// Editing: the writer's staff (and staff above) may; a reader is denied; others see nothing.
	l.must(l.call("PATCH", "/v1/news/"+gPost.s("id"), memberA, map[string]any{"title": "改"}), 403, "PERMISSION_DENIED")
	l.must(l.call("PATCH", "/v1/news/"+gPost.s("id"), staffB, map[string]any{"title": "改"}), 404, "NEWS_NOT_FOUND")
	l.must(l.call("DELETE", "/v1/news/"+gPost.s("id"), staffB, nil), 404, "NEWS_NOT_FOUND")
	edited := l.must(l.call("PATCH", "/v1/news/"+aPost.s("id"), staffG, map[string]any{"title": "支部动态（更新）", "pinned": true}), 200)
	if edited.s("pinned") != "true" || !strings.Contains(edited.s("bodyHtml"), "支部") {
		t.Fatalf("edited post = %s", edited.raw)
	}
	if got := feed(memberA); got != "支部动态（更新）,全省通知,总支动态" {
		t.Fatalf("feed after pinning the newer post = %s", got)
	}

	// The scheduled post shows once its time has come; a deleted one is gone.
	l.clock.Advance(90 * time.Minute)
	memberA, staffG = l.login("membera", "Passw0rd-membera"), l.login("staffg", "Passw0rd-staffg")
	if got := feed(memberA); got != "支部动态（更新）,全省通知,预告,总支动态" {
		t.Fatalf("feed after the scheduled time = %s", got)
	}
	l.must(l.call("DELETE", "/v1/news/"+gPost.s("id"), staffG, nil), 200)
	l.must(l.call("GET", "/v1/news/"+gPost.s("id"), memberA, nil), 404, "NEWS_NOT_FOUND")
	if got := feed(memberA); got != "支部动态（更新）,全省通知,预告" {
		t.Fatalf("feed after the delete = %s", got)
	}

	// Expired and forged tokens are refused.
	l.clock.Advance(auth.AccessTTL + 5*time.Minute)
	l.must(l.call("GET", "/v1/my/news", memberA, nil), 401)
	key, err := authn.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	forged, _, err := authn.NewSigner(key, l.clock).Sign(&auth.Principal{UserID: 1, OrgID: 1, OrgPath: "/1/", Roles: []string{auth.RoleAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	l.must(l.call("GET", "/v1/my/news", forged, nil), 401)
	l.must(l.call("POST", "/v1/news", forged, map[string]any{"title": "x", "bodyHtml": "<p>x</p>"}), 401)

	// Every change is announced for search, with the org path that may read it and plain text.
	evs, err := l.p.Course.Outbox().List(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var topics []string
	for _, ev := range evs {
		switch ev.Topic {
		case "news.published", "news.updated":
			var m coursev1.NewsPublished
			if ev.Topic == "news.updated" {
				var u coursev1.NewsUpdated
				if err := ev.Decode(&u); err != nil {
					t.Fatal(err)
				}
				m.Post = u.Post
			} else if err := ev.Decode(&m); err != nil {
				t.Fatal(err)
			}
			if m.Post.GetTitle() == "总支动态" && (m.Post.GetText() != "总支召开大会 第二段 & 更多" || !strings.HasSuffix(m.Post.GetOrgPath(), "/"+g+"/")) {
				t.Errorf("news event = %v", m.Post)
			}
		case "news.deleted":
			var d coursev1.NewsDeleted
			if err := ev.Decode(&d); err != nil || d.GetOrgPath() == "" {
				t.Errorf("news.deleted = %v %v", &d, err)
			}
		default:
			continue
		}
		topics = append(topics, ev.Topic)
	}
	want := "news.published,news.published,news.published,news.published,news.published,news.updated,news.deleted"
	if strings.Join(topics, ",") != want {
		t.Fatalf("news events = %v, want %s", topics, want)
	}
}
