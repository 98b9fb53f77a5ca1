package standalone

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"
)

// TestSearchOpensEveryHit is a property test of search's scope: for random principals (members,
// trainers and staff of random orgs of a tree, and an admin) over a random world (courses
// assigned to random orgs, news posted at random orgs, banks of random orgs), every hit of every
// page is something its owner lets that principal open: course's GET /v1/courses/{id} and
// /v1/lessons/{id}, GET /v1/news/{id}, quiz's bank questions. The seed is logged.
func TestSearchOpensEveryHit(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed>>1))
	l := startLive(t)
	admin := l.login("admin", "Admin-pass-2026")
	root := l.must(l.call("GET", "/v1/me", admin, nil), 200).s("orgId")
	orgs := []string{root}
	var generals []string
	for i := range 6 { // a tree: two general branches under the root, branches under either or the root
		parent, typ := root, "GENERAL_BRANCH"
		if i >= 2 {
			parent, typ = append(generals, root)[rng.IntN(3)], "BRANCH"
		}
		id := l.must(l.call("POST", "/v1/orgs", admin, map[string]any{"parentId": parent, "name": fmt.Sprintf("组织%d", i),
			"code": fmt.Sprintf("P%d", i), "type": typ}), 200).s("id")
		if i < 2 {
			generals = append(generals, id)
		}
		orgs = append(orgs, id)
	}
	pick := func() string { return orgs[rng.IntN(len(orgs))] }
	n := 0
	user := func(org, role string) string {
		n++
		name := fmt.Sprintf("p%d%s", n, role[:1])
		l.must(l.call("POST", "/v1/accounts", admin, map[string]any{"username": name, "displayName": name, "password": "Passw0rd-" + name,
			"roles": []string{role}, "orgId": org}), 200)
		return l.login(name, "Passw0rd-"+name)
	}
	// Authors: a trainer in each of three random orgs writes courses and a bank there.
	want := map[string]bool{}
	for i := range 3 {
		trainer := user(pick(), "TRAINER")
		for j := range 2 {
			c := l.must(l.call("POST", "/v1/courses", trainer, map[string]any{"title": fmt.Sprintf("学习专题%d-%d", i, j)}), 200).s("id")
			ch := l.must(l.call("POST", "/v1/courses/"+c+"/chapters", trainer, map[string]any{"title": "第一章"}), 200).s("id")
			ls := l.must(l.call("POST", "/v1/chapters/"+ch+"/lessons", trainer, map[string]any{"title": "学习课时", "kind": "ARTICLE",
				"bodyHtml": "<p>认真学习党章。</p>"}), 200).s("id")
			l.must(l.call("POST", "/v1/courses/"+c+":publish", trainer, map[string]any{}), 200)
			var to []string
			for range 1 + rng.IntN(2) {
				to = append(to, pick())
			}
			l.must(l.call("POST", "/v1/courses/"+c+"/assignments", admin, map[string]any{"orgIds": to, "required": false}), 200)
			want["course:"+c], want["lesson:"+ls] = true, true
		}
		bank := l.must(l.call("POST", "/v1/banks", trainer, map[string]any{"name": fmt.Sprintf("学习题库%d", i)}), 200).s("id")
		q := l.must(l.call("POST", "/v1/banks/"+bank+"/questions", trainer, map[string]any{"bankId": bank, "type": "TRUE_FALSE",
			"stemHtml": "学习党章是党员的义务。", "answerKeys": []string{"true"}, "defaultPoints": 1}), 200).s("id")
		want["question:"+q] = true
	}
	for i := range 4 {
		p := l.must(l.call("POST", "/v1/news", admin, map[string]any{"orgId": pick(), "title": fmt.Sprintf("学习通知%d", i),
			"bodyHtml": "<p>组织学习。</p>", "publishAt": l.clock.Now().Add(-time.Minute).Format(time.RFC3339)}), 200).s("id")
		want["news:"+p] = true
	}
	// The admin finds everything once the index caught up.
	l.waitSearch(admin, "学习", "everything for the admin", func(ids []string) bool {
		r := l.search(admin, "学习", "pageSize", "50")
		got := idsOf(r, "hits")
		for id := range want {
			if !slices.Contains(got, id) {
				return false
			}
		}
		return true
	}, "pageSize", "50")

	principals := map[string]string{"admin": admin}
	for range 10 {
		role := []string{"MEMBER", "MEMBER", "MEMBER", "TRAINER", "STAFF"}[rng.IntN(5)]
		org := pick()
		principals[role+"@"+org+"#"+strconv.Itoa(n+1)] = user(org, role)
	}
	checked := 0
	for who, token := range principals {
		for page := 1; ; page++ {
			r := l.must(l.search(token, "学习", "pageSize", "50", "page", strconv.Itoa(page)), 200)
			for i := 0; r.s("hits", strconv.Itoa(i), "id") != ""; i++ {
				h := func(f string) string { return r.s("hits", strconv.Itoa(i), f) }
				var open reply
				switch h("kind") {
				case "course":
					open = l.call("GET", "/v1/courses/"+h("refId"), token, nil)
				case "lesson":
					open = l.call("GET", "/v1/lessons/"+h("refId"), token, nil)
				case "news":
					open = l.call("GET", "/v1/news/"+h("refId"), token, nil)
				case "question":
					open = l.call("GET", "/v1/banks/"+h("bankId")+"/questions", token, nil)
					if open.status == 200 && !slices.Contains(idsOf(open, "questions"), h("refId")) {
						open.status = 404
					}
				}
				if open.status != 200 {
					t.Errorf("%s found %s (%s) but its owner answers %d: %s", who, h("id"), h("title"), open.status, open.raw)
				}
				checked++
			}
			total, _ := strconv.Atoi(r.s("total"))
			if page*50 >= total {
				break
			}
		}
	}
	if checked == 0 {
		t.Fatal("no hit was checked")
	}
	t.Logf("%d hits of %d principals opened", checked, len(principals))
}
