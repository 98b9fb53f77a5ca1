package biz

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
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
	files   FileRepo
	sources Sources
	clock   clock.Clock
}

// NewGrowth wires the use case.
func NewGrowth(files FileRepo, sources Sources, clk clock.Clock) *Growth {
	if clk == nil {
		clk = clock.Real{}
	}
	return &Growth{files: files, sources: sources, clock: clk}
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
		c, err := uc.sources.Gather(ctx, memberID)
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

// FileView is a version of a member's file as a reader sees it.
type FileView struct {
	File    *File
	Version *Version
	Content Content
}

// mayRead tells whether p may read the member's file: the member, and staff over the member's
// org when it was compiled.
func mayRead(p *auth.Principal, f *File) bool {
	return p.UserID == f.MemberID || p.CanManageOrg(f.OrgPath)
}

// Get returns version no (0: the latest) of the member's file, for the member and staff over the
// member's org; anyone else learns nothing (ErrNotFound).
func (uc *Growth) Get(ctx context.Context, memberID int64, no int) (*FileView, error) {
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
	return view, nil
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
	if err := uc.files.AddReview(ctx, r, now); err != nil {
		return nil, err
	}
	return uc.files.GetFile(ctx, memberID)
}
