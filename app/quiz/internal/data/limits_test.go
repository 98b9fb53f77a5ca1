package data

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/vanguard/vanguard/app/quiz/internal/biz"
	"github.com/vanguard/vanguard/pkg/testdb"
)

// Limits count characters: limit-long Chinese is stored, one more is the invalid-argument error
// naming the field (a 400), not an internal error.
func TestTextLimitsCountCharacters(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		ctx := context.Background()
		d := open(t, driver, dsn)
		banks := NewBankRepo(d)
		if _, err := banks.CreateBank(ctx, &biz.Bank{OrgID: 1, OrgPath: "/1/", Name: strings.Repeat("题", biz.MaxBankName), CreatedBy: 7}); err != nil {
			t.Fatalf("%d-character bank name: %v", biz.MaxBankName, err)
		}
		_, err := banks.CreateBank(ctx, &biz.Bank{OrgID: 1, OrgPath: "/1/", Name: strings.Repeat("题", biz.MaxBankName+1), CreatedBy: 7})
		var fe *biz.FieldError
		if !errors.As(err, &fe) || fe.Field != "name" {
			t.Fatalf("%d-character bank name = %v, want a field error naming name", biz.MaxBankName+1, err)
		}
		papers := NewPaperRepo(d)
		if _, err := papers.CreatePaper(ctx, &biz.Paper{OrgPath: "/1/", Title: strings.Repeat("卷", biz.MaxTitle), CreatedBy: 7}); err != nil {
			t.Fatalf("%d-character paper title: %v", biz.MaxTitle, err)
		}
		if _, err := papers.CreatePaper(ctx, &biz.Paper{OrgPath: "/1/", Title: strings.Repeat("卷", biz.MaxTitle+1), CreatedBy: 7}); !errors.As(err, &fe) || fe.Field != "title" {
			t.Fatalf("%d-character paper title = %v, want a field error naming title", biz.MaxTitle+1, err)
		}
	})
}
