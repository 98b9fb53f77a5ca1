package data

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/vanguard/vanguard/app/growth/internal/biz"
	"github.com/vanguard/vanguard/pkg/testdb"
)

func open(t testing.TB, driver, dsn string) *Data {
	t.Helper()
	d, err := Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if err := d.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return d
}

func content(member int64, path string, score float64) biz.Content {
	return biz.Content{
		Profile: biz.Profile{MemberID: member, Name: "刘一", OrgName: "第一党支部", OrgPath: path, Stage: "入党积极分子"},
		Exams:   []biz.ExamEntry{{ExamID: 4, Title: "党章知识测试", Score: score, MaxScore: 100, Passed: score >= 60, GradedOn: "2026-06-01"}},
	}
}

// TestFiles runs the files' repository on SQLite and PostgreSQL: versions stored with their
// file, a concurrent compile refused as stale and leaving nothing, reviews only of the latest
// version, the review queue of a subtree in pages.
func TestFiles(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		ctx := context.Background()
		r := NewFileRepo(open(t, driver, dsn))
		t0 := time.Date(2026, 12, 2, 2, 0, 0, 0, time.UTC)
		if _, err := r.GetFile(ctx, 7); !errors.Is(err, biz.ErrNotFound) {
			t.Fatalf("GetFile of nobody = %v", err)
		}
		f1, v1, _ := biz.Apply(nil, nil, content(7, "/1/2/", 86), "nightly", t0)
		if err := r.PutVersion(ctx, f1, v1, 0); err != nil {
			t.Fatal(err)
		}
		if err := r.PutVersion(ctx, f1, v1, 0); !errors.Is(err, biz.ErrStale) {
			t.Fatalf("the first version twice = %v", err)
		}
		got, err := r.GetFile(ctx, 7)
		if err != nil || got.Latest != 1 || got.Hash != v1.Hash || got.Status != biz.StatusPending || !got.UpdatedAt.Equal(t0) {
			t.Fatalf("file after v1 = %+v, %v", got, err)
		}
		f2, v2, _ := biz.Apply(got, v1, content(7, "/1/2/", 50), "attempt.graded", t0.Add(time.Hour))
		// Two compiles race from version 1: the first stores version 2, the second is stale.
		if err := r.PutVersion(ctx, f2, v2, 1); err != nil {
			t.Fatal(err)
		}
		if err := r.PutVersion(ctx, f2, v2, 1); !errors.Is(err, biz.ErrStale) {
			t.Fatalf("a second version 2 = %v", err)
		}
		// A version built on a file that moved on is refused, and not kept.
		f3, v3, _ := biz.Apply(f2, v2, content(7, "/1/2/", 70), "staff", t0.Add(2*time.Hour))
		if err := r.PutVersion(ctx, f3, v3, 1); !errors.Is(err, biz.ErrStale) {
			t.Fatalf("a version on a stale file = %v", err)
		}
		if _, err := r.GetVersion(ctx, 7, 3); !errors.Is(err, biz.ErrNotFound) {
			t.Fatalf("the refused version was kept: %v", err)
		}
		back, err := r.GetVersion(ctx, 7, 2)
		if err != nil || string(back.Content) != string(v2.Content) || len(back.Changes) != 1 || back.Changes[0].Section != biz.SectionExams || back.Trigger != "attempt.graded" {
			t.Fatalf("version 2 = %+v, %v", back, err)
		}
		list, err := r.ListVersions(ctx, 7)
		if err != nil || len(list) != 2 || list[0].No != 2 || list[1].No != 1 || list[0].Content != nil || len(list[0].Changes) != 1 {
			t.Fatalf("versions = %+v, %v", list, err)
		}

		// Reviews: only of the latest version.
		rv := &biz.Review{MemberID: 7, VersionNo: 1, Decision: biz.StatusApproved, ReviewerID: 3, ReviewerName: "孙八", CreatedAt: t0}
		if err := r.AddReview(ctx, rv, t0.Add(3*time.Hour)); !errors.Is(err, biz.ErrStale) {
			t.Fatalf("approving version 1 = %v", err)
		}
		rv.VersionNo, rv.Decision, rv.Comment = 2, biz.StatusReturned, "考试成绩未附补考记录"
		if err := r.AddReview(ctx, rv, t0.Add(3*time.Hour)); err != nil || rv.ID == 0 {
			t.Fatalf("returning version 2 = %v", err)
		}
		rv2 := &biz.Review{MemberID: 7, VersionNo: 2, Decision: biz.StatusApproved, ReviewerID: 3, ReviewerName: "孙八", CreatedAt: t0.Add(4 * time.Hour)}
		if err := r.AddReview(ctx, rv2, t0.Add(4*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if got, _ := r.GetFile(ctx, 7); got.Status != biz.StatusApproved || got.Approved != 2 {
			t.Fatalf("file after approval = %+v", got)
		}
		rs, err := r.ListReviews(ctx, 7)
		if err != nil || len(rs) != 2 || rs[0].Decision != biz.StatusApproved || rs[1].Comment != "考试成绩未附补考记录" {
			t.Fatalf("reviews = %+v, %v", rs, err)
		}

		// The queue: pending files under a prefix, oldest first, in pages; /1/20/ is not under /1/2/.
		for i, path := range []string{"/1/2/", "/1/2/5/", "/1/20/", "/1/2/"} {
			f, v, _ := biz.Apply(nil, nil, content(int64(100+i), path, 80), "nightly", t0.Add(time.Duration(i)*time.Minute))
			if err := r.PutVersion(ctx, f, v, 0); err != nil {
				t.Fatal(err)
			}
		}
		page, err := r.ListFiles(ctx, biz.FileFilter{PathPrefix: "/1/2/", Status: biz.StatusPending, Limit: 2})
		if err != nil || len(page) != 2 || page[0].MemberID != 100 || page[1].MemberID != 101 {
			t.Fatalf("page 1 = %+v, %v", page, err)
		}
		page, err = r.ListFiles(ctx, biz.FileFilter{PathPrefix: "/1/2/", Status: biz.StatusPending, Limit: 2, AfterUpdate: page[1].UpdatedAt, AfterMember: page[1].MemberID})
		if err != nil || len(page) != 1 || page[0].MemberID != 103 {
			t.Fatalf("page 2 = %+v, %v", page, err)
		}
	})
}
