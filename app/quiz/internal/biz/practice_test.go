package biz

import (
	"fmt"
	"slices"
	"testing"
)

// Practice questions come in the drawn (shuffled) order, not the repository's id order.
func TestPracticeKeepsTheShuffledOrder(t *testing.T) {
	e := newTestEnv(t)
	ctx := e.as("trainerA")
	bank, err := e.uc.Authoring.CreateBank(ctx, "练习题库", 0, false)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i := range 4 {
		q := qSingle()
		q.BankID, q.StemHTML = bank.ID, fmt.Sprintf("<p>练习第%d题</p>", i+1)
		created, err := e.uc.Authoring.CreateQuestion(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, created.ID)
	}
	e.uc.Practice.shuffle = reverseShuffle
	_, qs, err := e.uc.Practice.Practice(e.as("memberA"), 4)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for i, q := range qs {
		if q.No != i+1 {
			t.Errorf("question %d numbered %d", i+1, q.No)
		}
		got = append(got, q.QuestionID)
	}
	want := slices.Clone(ids)
	slices.Reverse(want)
	if !slices.Equal(got, want) {
		t.Fatalf("practice order = %v, want the drawn order %v", got, want)
	}
}
