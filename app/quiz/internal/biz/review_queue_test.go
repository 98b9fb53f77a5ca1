package biz

import (
	"context"
	"testing"
)

// The review queue shows pending essays only to the managers of their exam: a trainer of another
// org, or staff below the owning org, sees none of them; a member is denied; a scored essay
// leaves the queue.
func TestReviewQueueOnlyManagedExams(t *testing.T) {
	e := newTestEnv(t)
	fx := e.newExam(t, []*Question{qSingle(), qEssay(10)}, nil)
	a := e.graded(t, "memberA", fx.exam.ID, map[int]Answer{1: choices("A"), 2: {Text: "回答"}})
	for _, user := range []string{"trainerA", "staffA", "admin"} {
		got, err := e.uc.Attempts.ReviewQueue(e.as(user))
		if err != nil || len(got) != 1 || got[0].ID != a.ID {
			t.Fatalf("ReviewQueue as %s = %v, %v; want attempt %d", user, got, err, a.ID)
		}
	}
	for _, user := range []string{"trainerB", "staffA1"} {
		got, err := e.uc.Attempts.ReviewQueue(e.as(user))
		if err != nil || len(got) != 0 {
			t.Fatalf("ReviewQueue as %s = %v, %v; want nothing (not their exam)", user, got, err)
		}
	}
	_, err := e.uc.Attempts.ReviewQueue(e.as("memberA"))
	wantErrAs[*PermissionError](t, err)
	if _, err := e.uc.Attempts.ReviewQueue(context.Background()); err == nil {
		t.Fatal("ReviewQueue without a caller succeeded")
	}
	if _, _, err := e.uc.Attempts.ScoreEssay(e.as("trainerA"), a.ID, 2, 8, ""); err != nil {
		t.Fatal(err)
	}
	if got, err := e.uc.Attempts.ReviewQueue(e.as("trainerA")); err != nil || len(got) != 0 {
		t.Fatalf("ReviewQueue after scoring = %v, %v; want empty", got, err)
	}
}
