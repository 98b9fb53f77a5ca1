package biz

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"time"
)

// Sources of credited study time.
const (
	SourceLesson     = "lesson"
	SourceExam       = "exam"
	SourceMeeting    = "meeting"
	SourceOffline    = "offline"
	SourceAdjustment = "adjustment"
)

// Entry is one immutable line of a member's study-hour ledger. Corrections are new entries
// (negative Seconds reverse a credit), never edits. Each entry carries the hash of the one
// before it, so the member's entries form a chain: changing, removing or reordering any of them
// breaks the chain at that point.
type Entry struct {
	MemberID   int64
	Seq        int64 // 1, 2, … per member; (MemberID, Seq) is unique in the store
	Source     string
	Seconds    int64  // credited time; negative for a reversal
	Day        string // YYYY-MM-DD the time counts for
	Ref        string // what earned it, e.g. "lesson:12/session:34", "exam:5/attempt:9"
	ApprovedBy int64  // 0 for automatic credits
	RecordedAt time.Time
	PrevHash   []byte // Hash of entry Seq-1; empty for Seq 1
	Hash       []byte // Digest of this entry
}

// Digest is the SHA-256 of the entry's fields and PrevHash in a canonical, unambiguous encoding
// (fixed-width integers, length-prefixed strings), Hash itself excluded.
func (e Entry) Digest() []byte {
	var b bytes.Buffer
	num := func(v int64) { _ = binary.Write(&b, binary.BigEndian, v) }
	str := func(s string) { num(int64(len(s))); b.WriteString(s) }
	b.WriteString("vanguard-ledger-v1")
	num(e.MemberID)
	num(e.Seq)
	str(e.Source)
	num(e.Seconds)
	str(e.Day)
	str(e.Ref)
	num(e.ApprovedBy)
	num(e.RecordedAt.UTC().UnixMicro())
	str(string(e.PrevHash))
	sum := sha256.Sum256(b.Bytes())
	return sum[:]
}

// Link makes e the entry after head (nil: the member's first), setting Seq, PrevHash and Hash.
func Link(head *Entry, e Entry) Entry {
	e.Seq, e.PrevHash = 1, nil
	if head != nil {
		e.Seq, e.PrevHash = head.Seq+1, bytes.Clone(head.Hash)
	}
	e.Hash = e.Digest()
	return e
}

// BrokenLink names the first entry of a chain that does not hold.
type BrokenLink struct {
	Seq    int64
	Reason string // user-facing (Chinese)
}

func (b *BrokenLink) String() string {
	return fmt.Sprintf("ledger broken at entry %d: %s", b.Seq, b.Reason)
}

// Verify walks one member's entries in Seq order and returns the first broken link (nil when
// the chain holds): a sequence gap (a removed entry), a PrevHash that is not the previous
// entry's hash, or a Hash that does not match the entry's content.
func Verify(entries []Entry) *BrokenLink {
	var prev *Entry
	for i := range entries {
		e := &entries[i]
		want := int64(1)
		if prev != nil {
			want = prev.Seq + 1
		}
		switch {
		case e.Seq != want:
			return &BrokenLink{Seq: want, Reason: fmt.Sprintf("第 %d 条记录缺失（其后是第 %d 条）", want, e.Seq)}
		case prev == nil && len(e.PrevHash) != 0, prev != nil && !bytes.Equal(e.PrevHash, prev.Hash):
			return &BrokenLink{Seq: e.Seq, Reason: "与前一条记录的哈希不衔接"}
		case !bytes.Equal(e.Hash, e.Digest()):
			return &BrokenLink{Seq: e.Seq, Reason: "记录内容被改动"}
		}
		prev = e
	}
	return nil
}

// Anchor is the HMAC-SHA256, under the server's key, of a member's chain head (member, seq,
// hash). Stored beside the head and checked on verification, it stops someone with database
// access but without the key from rewriting entries and simply rebuilding the chain.
func Anchor(key []byte, head Entry) []byte {
	m := hmac.New(sha256.New, key)
	_ = binary.Write(m, binary.BigEndian, head.MemberID)
	_ = binary.Write(m, binary.BigEndian, head.Seq)
	m.Write(head.Hash)
	return m.Sum(nil)
}

// VerifyAnchored is Verify plus the anchor of the last entry: a chain rebuilt without the key
// (or cut short after its head was anchored) fails at its head.
func VerifyAnchored(key []byte, entries []Entry, anchor []byte) *BrokenLink {
	if b := Verify(entries); b != nil {
		return b
	}
	if len(entries) == 0 {
		if len(anchor) != 0 {
			return &BrokenLink{Seq: 1, Reason: "记录已被删除"}
		}
		return nil
	}
	head := entries[len(entries)-1]
	if !hmac.Equal(Anchor(key, head), anchor) {
		return &BrokenLink{Seq: head.Seq, Reason: "链尾与服务器密钥锚定值不符（链被重建或截断）"}
	}
	return nil
}
