package biz

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/bizerr"
	"github.com/vanguard/vanguard/pkg/clock"
)

// Sources gathers a member's facts from the services that recorded them (org, studyhour, quiz,
// course), over their gRPC APIs as the growth service.
type Sources interface {
	Gather(ctx context.Context, memberID int64) (Content, error)
}

// Growth is the use case of members' growth files: compiled from the sources, versioned by
// content, read by the member and by staff over the member's org, reviewed by that staff.
type Growth struct {
	files    FileRepo
	records  RecordRepo
	marks    MarkRepo
	sources  Sources
	members  Members
	orgs     Orgs
	audit    AuditLog
	sched    Scheduler
	tx       Transaction
	clock    clock.Clock
	debounce time.Duration
	log      func(err error, memberID int64)
}

// Deps are what the use case works with.
type Deps struct {
	Files   FileRepo
	Records RecordRepo
	Marks   MarkRepo
	Sources Sources
	Members Members
	Orgs    Orgs
	Audit   AuditLog
	Sched   Scheduler
	Tx      Transaction
	Clock   clock.Clock
	// Debounce is how long a compile waits after the first event of a burst (0: Debounce).
	Debounce time.Duration
	// Log reports a compile that could not be queued (the reconciler queues it later).
	Log func(err error, memberID int64)
}

// NewGrowth wires the use case.
func NewGrowth(d Deps) *Growth {
	if d.Clock == nil {
		d.Clock = clock.Real{}
	}
	if d.Debounce <= 0 {
		d.Debounce = Debounce
	}
	if d.Log == nil {
		d.Log = func(error, int64) {}
	}
	return &Growth{files: d.Files, records: d.Records, marks: d.Marks, sources: d.Sources, members: d.Members, orgs: d.Orgs, audit: d.Audit,
		sched: d.Sched, tx: d.Tx, clock: d.Clock, debounce: d.Debounce, log: d.Log}
}

// mark asks for a compile of the member's file after the debounce, in the caller's transaction.
func (uc *Growth) mark(ctx context.Context, memberID int64, trigger string) error {
	_, err := uc.marks.Mark(ctx, memberID, uc.clock.Now().Add(uc.debounce), trigger)
	return err
}

// kick queues the member's pending compile, after the commit that marked it; a failure is left
// to the reconciler.
func (uc *Growth) kick(ctx context.Context, memberID int64) {
	m, err := uc.marks.GetMark(ctx, memberID)
	if err == nil {
		err = uc.sched.Schedule(ctx, memberID, m.Due)
	}
	if err != nil && !errors.Is(err, ErrNotFound) {
		uc.log(err, memberID)
	}
}

// MaxComment bounds a review's comment (characters).
const MaxComment = 2000

// compileAttempts bounds the retries of a compile that lost a race with another.
const compileAttempts = 3

// Compile gathers the member's facts and stores a new version if they changed (Apply). A compile
// that loses a race with another (ErrStale) gathers again: the later facts win, and no version is
// stored twice. It returns the file and the new version (nil when nothing changed).
func (uc *Growth) Compile(ctx context.Context, memberID int64, trigger string) (*File, *Version, error) {
	for attempt := 1; ; attempt++ {
		c, err := uc.gather(ctx, memberID)
		if err != nil {
			return nil, nil, err
		}
		f, err := uc.files.GetFile(ctx, memberID)
		var latest *Version
		switch {
		case errors.Is(err, ErrNotFound):
			f = nil
		case err != nil:
			return nil, nil, err
		default:
			if latest, err = uc.files.GetVersion(ctx, memberID, f.Latest); err != nil {
				return nil, nil, err
			}
		}
		next, v, err := Apply(f, latest, c, trigger, uc.clock.Now())
		if err != nil || v == nil {
			return next, nil, err
		}
		prev := 0
		if f != nil {
			prev = f.Latest
		}
		err = uc.files.PutVersion(ctx, next, v, prev)
		if errors.Is(err, ErrStale) && attempt < compileAttempts {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		return next, v, nil
	}
}

// gather assembles the member's content: the services' facts and staff's records.
func (uc *Growth) gather(ctx context.Context, memberID int64) (Content, error) {
	c, err := uc.sources.Gather(ctx, memberID)
	if err != nil {
		return c, err
	}
	rs, err := uc.records.ListRecords(ctx, memberID)
	if err != nil {
		return c, err
	}
	c.Records = recordsOf(rs)
	return c, nil
}

// nonce makes the key of an action each of which is an entry of its own (an export, a compile
// on demand).
func nonce() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// FileView is a version of a member's file as a reader sees it.
type FileView struct {
	File    *File
	Version *Version
	Content Content
	// Reviews are staff's reviews of the file, newest first.
	Reviews []*Review
}

// mayRead tells whether p may read the member's file: the member, and staff over the member's
// org when it was compiled.
func mayRead(p *auth.Principal, f *File) bool {
	return p.UserID == f.MemberID || p.CanManageOrg(f.OrgPath)
}

// Get returns version no (0: the latest) of the member's file, for the member and staff over the
// member's org; anyone else learns nothing (ErrNotFound). Staff's reads are audited (one entry per
// reader, version and minute: a reload does not flood the log).
func (uc *Growth) Get(ctx context.Context, memberID int64, no int) (*FileView, error) {
	return uc.read(ctx, memberID, no, "")
}

// Export formats of a file.
const (
	FormatHTML = "html"
	FormatJSON = "json"
	FormatPDF  = "pdf"
)

// Export returns version no (0: the latest) of the member's file for an export in format, to the
// same readers as Get; staff's exports are audited, each one.
func (uc *Growth) Export(ctx context.Context, memberID int64, no int, format string) (*FileView, error) {
	switch format {
	case FormatHTML, FormatJSON, FormatPDF:
	default:
		return nil, bizerr.Invalid("format", "导出格式应为 html、json 或 pdf")
	}
	return uc.read(ctx, memberID, no, format)
}

func (uc *Growth) read(ctx context.Context, memberID int64, no int, export string) (*FileView, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if no < 0 {
		return nil, bizerr.Invalid("version", "版本号不能为负")
	}
	f, err := uc.files.GetFile(ctx, memberID)
	if err != nil {
		return nil, err
	}
	if !mayRead(p, f) {
		return nil, ErrNotFound
	}
	if no == 0 {
		no = f.Latest
	}
	v, err := uc.files.GetVersion(ctx, memberID, no)
	if err != nil {
		return nil, err
	}
	view := &FileView{File: f, Version: v}
	if err := json.Unmarshal(v.Content, &view.Content); err != nil {
		return nil, err
	}
	if view.Reviews, err = uc.files.ListReviews(ctx, memberID); err != nil {
		return nil, err
	}
	if p.UserID != memberID {
		now := uc.clock.Now()
		e := uc.entry(p, fmt.Sprintf("growth:view:%d:%d:%d:%d", memberID, p.UserID, no, now.Unix()/60), "growth.view", memberID, f.OrgPath,
			fmt.Sprintf("查看党员 %s 的成长档案第 %d 版", view.Content.Profile.Name, no), nil)
		if export != "" {
			e.Key = fmt.Sprintf("growth:export:%d:%d:%d:%s", memberID, p.UserID, no, nonce())
			e.Action = "growth.export"
			e.Summary = fmt.Sprintf("导出党员 %s 的成长档案第 %d 版（%s）", view.Content.Profile.Name, no, export)
		}
		if err := uc.audit.Record(ctx, e); err != nil {
			return nil, err
		}
	}
	return view, nil
}

// Versions lists the member's versions newest first (without content), to the readers of Get.
func (uc *Growth) Versions(ctx context.Context, memberID int64) ([]*Version, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	f, err := uc.files.GetFile(ctx, memberID)
	if err != nil {
		return nil, err
	}
	if !mayRead(p, f) {
		return nil, ErrNotFound
	}
	return uc.files.ListVersions(ctx, memberID)
}

// DiffVersions lists what changed from version from to version to of the member's file, to the
// readers of Get.
func (uc *Growth) DiffVersions(ctx context.Context, memberID int64, from, to int) ([]Change, error) {
	if from <= 0 {
		return nil, bizerr.Invalid("from", "请选择要比较的版本")
	}
	if to <= 0 {
		return nil, bizerr.Invalid("to", "请选择要比较的版本")
	}
	a, err := uc.Get(ctx, memberID, from)
	if err != nil {
		return nil, err
	}
	b, err := uc.Get(ctx, memberID, to)
	if err != nil {
		return nil, err
	}
	return Diff(a.Content, b.Content), nil
}

// MaxPage bounds a page of files.
const MaxPage = 100

// FilePage is a page of files with the cursor of the next.
type FilePage struct {
	Files []*File
	// Next is the cursor of the next page (nil: none).
	Next *FileFilter
}

// ListFiles lists the files of an org's subtree for its staff, of a status ("" any), oldest
// change first (the review queue), in keyset pages.
func (uc *Growth) ListFiles(ctx context.Context, orgID int64, f FileFilter) (*FilePage, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	switch f.Status {
	case "", StatusPending, StatusApproved, StatusReturned:
	default:
		return nil, bizerr.Invalid("status", "状态应为 pending、approved 或 returned")
	}
	orgPath := p.OrgPath
	if orgID > 0 {
		if orgPath, err = uc.orgs.OrgPath(ctx, orgID); err != nil {
			return nil, err
		}
	}
	if !p.CanManageOrg(orgPath) {
		return nil, bizerr.Deny("只有组织的管理员能查看其成长档案")
	}
	if f.Limit <= 0 || f.Limit > MaxPage {
		f.Limit = MaxPage
	}
	f.PathPrefix = orgPath
	want := f.Limit
	f.Limit++
	files, err := uc.files.ListFiles(ctx, f)
	if err != nil {
		return nil, err
	}
	out := &FilePage{Files: files}
	if len(files) > want {
		out.Files = files[:want]
		last := out.Files[want-1]
		next := f
		next.Limit, next.AfterUpdate, next.AfterMember = want, last.UpdatedAt, last.MemberID
		out.Next = &next
	}
	return out, nil
}

// CompileNow compiles the member's file at once for staff over the member's org (audited) and
// returns it with the new version (nil when nothing changed).
func (uc *Growth) CompileNow(ctx context.Context, memberID int64) (*File, *Version, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, nil, err
	}
	path, err := uc.staffOver(ctx, p, memberID, "生成")
	if err != nil {
		return nil, nil, err
	}
	f, v, err := uc.Compile(ctx, memberID, TriggerStaff)
	if err != nil {
		return nil, nil, err
	}
	no := f.Latest
	if err := uc.audit.Record(ctx, uc.entry(p, fmt.Sprintf("growth:compile:%d:%d:%s", memberID, p.UserID, nonce()),
		"growth.compile", memberID, path, fmt.Sprintf("重新生成党员 %d 的成长档案（第 %d 版）", memberID, no), nil)); err != nil {
		return nil, nil, err
	}
	return f, v, nil
}

// Review approves or returns (with a comment) the latest version of the member's file: staff over
// the member's org only, never their own file; a version that is no longer the latest is
// ErrStale (the reviewer reads the new one first).
func (uc *Growth) Review(ctx context.Context, memberID int64, versionNo int, approve bool, comment string) (*File, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	comment = strings.TrimSpace(comment)
	switch {
	case utf8.RuneCountInString(comment) > MaxComment:
		return nil, bizerr.Invalid("comment", "意见最长 %d 字", MaxComment)
	case !approve && comment == "":
		return nil, bizerr.Invalid("comment", "退回时请写明意见")
	}
	f, err := uc.files.GetFile(ctx, memberID)
	if err != nil {
		return nil, err
	}
	if !mayRead(p, f) {
		return nil, ErrNotFound
	}
	if !p.CanManageOrg(f.OrgPath) || memberID == p.UserID {
		return nil, bizerr.Deny("只有党员所在组织及上级组织的管理员能审核成长档案，且不能审核自己的档案")
	}
	if f.Status == StatusApproved && f.Approved == versionNo {
		return nil, ErrLocked
	}
	decision := StatusReturned
	if approve {
		decision = StatusApproved
	}
	now := uc.clock.Now()
	r := &Review{MemberID: memberID, VersionNo: versionNo, Decision: decision, Comment: comment, ReviewerID: p.UserID,
		ReviewerName: p.Username, CreatedAt: now}
	verb := map[bool]string{true: "通过", false: "退回"}[approve]
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		if err := uc.files.AddReview(ctx, r, now); err != nil {
			return err
		}
		return uc.audit.Record(ctx, uc.entry(p, fmt.Sprintf("growth:review:%d:%d:%d", memberID, r.ID, versionNo), "growth.review", memberID,
			f.OrgPath, fmt.Sprintf("审核%s党员 %d 的成长档案第 %d 版", verb, memberID, versionNo), map[string]any{"decision": decision, "comment": comment}))
	})
	if err != nil {
		return nil, err
	}
	return uc.files.GetFile(ctx, memberID)
}
