// Package attachtest is the contract every attach.Store meets, run by each service's data tests
// on SQLite and PostgreSQL.
package attachtest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/vanguard/vanguard/pkg/attach"
)

var t0 = time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)

func file(purpose string, ref int64, name string, created time.Time) *attach.File {
	return &attach.File{Purpose: purpose, RefID: ref, OrgPath: "/1/2/", UploadedBy: 3, FileName: name, Size: 77,
		ContentType: "application/pdf", ObjectKey: "svc/" + purpose + "/" + name, UploadID: "up-" + name, Status: attach.Pending, CreatedAt: created}
}

// Run checks the store: rows round-trip; a missing row is notFound; saving moves status, type and
// reference; only ready rows of the purpose and references are listed, oldest first; expiring
// takes pending rows planned before the time, each once even when two reconcilers race.
func Run(t *testing.T, newStore func(t *testing.T) attach.Store, notFound error) {
	ctx := context.Background()
	t.Run("RoundTripAndSave", func(t *testing.T) {
		s := newStore(t)
		in := file("step", 7, "申请书.pdf", t0)
		got, err := s.CreateAttachment(ctx, in)
		if err != nil || got.ID == 0 {
			t.Fatalf("CreateAttachment = %+v, %v", got, err)
		}
		back, err := s.GetAttachment(ctx, got.ID)
		in.ID = got.ID
		if err != nil || *back != *in {
			t.Fatalf("GetAttachment = %+v, %v; want %+v", back, err, in)
		}
		if _, err := s.GetAttachment(ctx, got.ID+1000); !errors.Is(err, notFound) {
			t.Fatalf("a missing row = %v", err)
		}
		back.Status, back.ContentType, back.RefID = attach.Ready, "image/png", 8
		if err := s.SaveAttachment(ctx, back); err != nil {
			t.Fatal(err)
		}
		if again, _ := s.GetAttachment(ctx, got.ID); *again != *back {
			t.Fatalf("after SaveAttachment = %+v, want %+v", again, back)
		}
	})
	t.Run("ListReady", func(t *testing.T) {
		s := newStore(t)
		var ids []int64
		for i, f := range []*attach.File{file("step", 1, "a", t0), file("step", 2, "b", t0), file("step", 1, "c", t0),
			file("minutes", 1, "d", t0), file("step", 3, "e", t0), file("step", 1, "pending", t0)} {
			got, err := s.CreateAttachment(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, got.ID)
			if i < 5 {
				got.Status = attach.Ready
				if err := s.SaveAttachment(ctx, got); err != nil {
					t.Fatal(err)
				}
			}
		}
		list, err := s.ListAttachments(ctx, "step", []int64{1, 2})
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, f := range list {
			got = append(got, f.ID)
		}
		if want := []int64{ids[0], ids[1], ids[2]}; len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
			t.Fatalf("ListAttachments(step, 1, 2) = %v, want %v (ready, of the purpose and references, oldest first)", got, want)
		}
	})
	t.Run("ExpirePending", func(t *testing.T) {
		s := newStore(t)
		old, _ := s.CreateAttachment(ctx, file("step", 1, "old", t0))
		fresh, _ := s.CreateAttachment(ctx, file("step", 1, "fresh", t0.Add(2*time.Hour)))
		done, _ := s.CreateAttachment(ctx, file("step", 1, "done", t0))
		done.Status = attach.Ready
		if err := s.SaveAttachment(ctx, done); err != nil {
			t.Fatal(err)
		}
		// Two reconcilers race: the old pending row expires once.
		var mu sync.Mutex
		var expired []int64
		var wg sync.WaitGroup
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				fs, err := s.ExpirePending(ctx, t0.Add(time.Hour), 10)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				for _, f := range fs {
					expired = append(expired, f.ID)
				}
				mu.Unlock()
			}()
		}
		wg.Wait()
		if len(expired) != 1 || expired[0] != old.ID {
			t.Fatalf("expired %v, want only %d", expired, old.ID)
		}
		for id, want := range map[int64]string{old.ID: attach.Expired, fresh.ID: attach.Pending, done.ID: attach.Ready} {
			if f, _ := s.GetAttachment(ctx, id); f.Status != want {
				t.Errorf("row %d is %s, want %s", id, f.Status, want)
			}
		}
	})
}
