package biz

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"
)

var ledgerKey = []byte("server-side ledger key, 32 bytes!")

// chain builds member 7's ledger of n lesson credits.
func chain(n int) []Entry { return chainFor(7, n) }

func chainFor(member int64, n int) []Entry {
	var out []Entry
	for i := range n {
		var head *Entry
		if len(out) > 0 {
			head = &out[len(out)-1]
		}
		out = append(out, Link(head, Entry{MemberID: member, Source: SourceLesson, Seconds: int64(30 * (i + 1)), Day: "2026-12-02",
			Ref: fmt.Sprintf("lesson:12/session:%d", i), RecordedAt: t0.Add(time.Duration(i) * time.Minute)}))
	}
	return out
}

func TestLedgerChainHolds(t *testing.T) {
	es := chain(5)
	for i, e := range es {
		if e.Seq != int64(i+1) || len(e.Hash) != 32 || (i > 0 && !bytes.Equal(e.PrevHash, es[i-1].Hash)) || (i == 0 && e.PrevHash != nil) {
			t.Fatalf("entry %d = seq %d prev %x hash %x", i, e.Seq, e.PrevHash, e.Hash)
		}
	}
	if b := Verify(es); b != nil {
		t.Fatalf("a fresh chain is broken: %v", b)
	}
	if b := VerifyAnchored(ledgerKey, es, Anchor(ledgerKey, es[4])); b != nil {
		t.Fatalf("a fresh anchored chain is broken: %v", b)
	}
	if b := VerifyAnchored(ledgerKey, nil, nil); b != nil {
		t.Fatalf("an empty ledger is broken: %v", b)
	}
}

// Verification names the first broken link for each kind of tampering.
func TestLedgerVerifyNamesTheFirstBrokenLink(t *testing.T) {
	tests := []struct {
		name   string
		tamper func([]Entry) []Entry
		seq    int64
	}{
		{"seconds changed", func(es []Entry) []Entry { es[2].Seconds = 99999; return es }, 3},
		{"day changed", func(es []Entry) []Entry { es[3].Day = "2025-12-31"; return es }, 4},
		{"approver changed", func(es []Entry) []Entry { es[1].ApprovedBy = 1; return es }, 2},
		{"recorded time changed", func(es []Entry) []Entry { es[4].RecordedAt = es[4].RecordedAt.Add(time.Microsecond); return es }, 5},
		{"a middle entry removed", func(es []Entry) []Entry { return slices.Delete(es, 2, 3) }, 3},
		{"the first entry removed", func(es []Entry) []Entry { return es[1:] }, 1},
		{"two entries swapped", func(es []Entry) []Entry { es[1], es[2] = es[2], es[1]; return es }, 2},
		{"changed and re-hashed alone", func(es []Entry) []Entry { es[2].Seconds = 1; es[2].Hash = es[2].Digest(); return es }, 4},
		{"another member's entry spliced in", func(es []Entry) []Entry { es[2] = chainFor(8, 5)[2]; return es }, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := Verify(tt.tamper(chain(5)))
			if b == nil || b.Seq != tt.seq {
				t.Fatalf("Verify = %v, want broken at %d", b, tt.seq)
			}
		})
	}
}

// Someone with the database but not the key rewrites an entry and rebuilds every hash after
// it: the chain holds again, but not against its anchor. Cutting the last entry fails too.
func TestLedgerAnchorStopsARebuiltChain(t *testing.T) {
	es := chain(5)
	anchor := Anchor(ledgerKey, es[4])

	forged := slices.Clone(es)
	forged[1].Seconds = 36000
	for i := 1; i < len(forged); i++ {
		forged[i] = Link(&forged[i-1], forged[i])
	}
	if b := Verify(forged); b != nil {
		t.Fatalf("the rebuilt chain should hold by itself: %v", b)
	}
	if b := VerifyAnchored(ledgerKey, forged, anchor); b == nil || b.Seq != 5 {
		t.Fatalf("VerifyAnchored(rebuilt) = %v, want broken at the head 5", b)
	}
	if b := VerifyAnchored(ledgerKey, es[:4], anchor); b == nil || b.Seq != 4 {
		t.Fatalf("VerifyAnchored(cut short) = %v, want broken at 4", b)
	}
	if b := VerifyAnchored([]byte("another key"), es, anchor); b == nil {
		t.Fatal("an anchor made with another key verified")
	}
	if b := VerifyAnchored(ledgerKey, nil, anchor); b == nil {
		t.Fatal("an anchored ledger with every entry removed verified")
	}
}

// The encoding leaves no room for two different entries with one digest by moving bytes
// between fields.
func TestLedgerDigestIsUnambiguous(t *testing.T) {
	a := Entry{MemberID: 7, Seq: 1, Source: "lesson", Ref: "ab", Day: "c"}
	b := Entry{MemberID: 7, Seq: 1, Source: "lesson", Ref: "a", Day: "bc"}
	if bytes.Equal(a.Digest(), b.Digest()) {
		t.Fatal("moving a byte between Ref and Day kept the digest")
	}
	c := a
	c.RecordedAt = time.Date(2026, 12, 2, 17, 0, 0, 0, time.FixedZone("CST", 8*3600))
	d := a
	d.RecordedAt = time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	if !bytes.Equal(c.Digest(), d.Digest()) {
		t.Fatal("the same instant in two time zones hashed differently")
	}
}
