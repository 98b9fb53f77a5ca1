package data

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/vanguard/vanguard/app/course/internal/biz"
	"github.com/vanguard/vanguard/pkg/testdb"
)

// Limits count characters: limit-long Chinese is stored, one more is the invalid-argument error
// naming the field (a 400), not an internal error.
func TestTextLimitsCountCharacters(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		ctx := context.Background()
		repo := NewCourseRepo(open(t, driver, dsn))
		if _, err := repo.CreateTopic(ctx, &biz.Topic{Name: strings.Repeat("党", biz.MaxTopicName)}); err != nil {
			t.Fatalf("%d-character topic: %v", biz.MaxTopicName, err)
		}
		_, err := repo.CreateTopic(ctx, &biz.Topic{Name: strings.Repeat("史", biz.MaxTopicName+1)})
		var fe *biz.FieldError
		if !errors.As(err, &fe) || fe.Field != "name" {
			t.Fatalf("%d-character topic = %v, want a field error naming name", biz.MaxTopicName+1, err)
		}
		c := &biz.Course{Title: strings.Repeat("课", biz.MaxTitle), Summary: strings.Repeat("简", biz.MaxSummary), OwnerID: 1, OrgID: 1, OrgPath: "/1/", Status: biz.StatusDraft}
		if _, err := repo.CreateCourse(ctx, c); err != nil {
			t.Fatalf("limit-long course: %v", err)
		}
		c.Summary += "简"
		if _, err := repo.CreateCourse(ctx, c); !errors.As(err, &fe) || fe.Field != "summary" {
			t.Fatalf("summary of %d characters = %v, want a field error naming summary", biz.MaxSummary+1, err)
		}
	})
}
