package biz

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vanguard/vanguard/pkg/auth"
)

// MaxNoteRunes bounds a note of the study notebook.
const MaxNoteRunes = 5000

// Note is a member's note on a lesson or a study plan item (党员学习笔记本): private, unless
// shared with the member's branch.
type Note struct {
	ID, MemberID         int64
	AuthorName           string
	OrgPath              string // the member's org when the note was last saved
	LessonID, PlanItemID int64
	Content              string
	Shared               bool
	CreatedAt, UpdatedAt time.Time
}

// NoteFilter selects notes: a member's own (MemberID), or those shared in an org (OrgPath), on a
// lesson or plan item (0: any).
type NoteFilter struct {
	MemberID             int64
	OrgPath              string
	LessonID, PlanItemID int64
}

// NoteStore keeps notes.
type NoteStore interface {
	SaveNote(ctx context.Context, n *Note) (*Note, error)
	// GetNote returns a note; ErrNotFound if missing.
	GetNote(ctx context.Context, id int64) (*Note, error)
	DeleteNote(ctx context.Context, id int64) error
	// ListNotes lists notes newest first; with OrgPath only the shared ones.
	ListNotes(ctx context.Context, f NoteFilter, limit int) ([]*Note, error)
}

// Notes is the study notebook use case.
type Notes struct {
	study *Study
	store NoteStore
	plans Plans
	orgs  Orgs
}

// NewNotes wires the use case.
func NewNotes(study *Study, store NoteStore, plans Plans, orgs Orgs) *Notes {
	return &Notes{study: study, store: store, plans: plans, orgs: orgs}
}

// NoteInput is a note as the member writes it.
type NoteInput struct {
	LessonID, PlanItemID int64
	Content              string
	Shared               bool
}

// Save writes a new note (id 0) or replaces one of the caller's. The note is on a lesson the
// caller may study or on an item of a study plan of the caller's org or above, never both.
func (uc *Notes) Save(ctx context.Context, id int64, in NoteInput) (*Note, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	in.Content = strings.TrimSpace(in.Content)
	switch {
	case (in.LessonID > 0) == (in.PlanItemID > 0):
		return nil, Invalid("lesson_id", "笔记应关联一个课时或一个学习计划条目")
	case in.Content == "" || utf8.RuneCountInString(in.Content) > MaxNoteRunes:
		return nil, Invalid("content", "笔记内容不能为空，最长5000字")
	case p.OrgPath == "":
		return nil, deny("账号不属于任何组织")
	}
	now := uc.study.clock.Now().UTC()
	n := &Note{MemberID: p.UserID, CreatedAt: now}
	if id > 0 {
		if n, err = uc.own(ctx, p, id); err != nil {
			return nil, err
		}
		if n.LessonID != in.LessonID || n.PlanItemID != in.PlanItemID {
			return nil, Invalid("lesson_id", "笔记关联的内容不能修改")
		}
	} else if in.LessonID > 0 {
		if _, err := uc.study.courses.Lesson(ctx, in.LessonID); errors.Is(err, ErrNotFound) {
			return nil, Invalid("lesson_id", "课时不存在或无权学习")
		} else if err != nil {
			return nil, err
		}
	} else if _, err := uc.plans.PlanItem(ctx, p.OrgPath, in.PlanItemID); errors.Is(err, ErrNotFound) {
		return nil, Invalid("plan_item_id", "学习计划条目不存在或不属于本组织及上级组织")
	} else if err != nil {
		return nil, err
	}
	me, err := uc.study.accounts.Person(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	n.AuthorName, n.OrgPath, n.LessonID, n.PlanItemID = me.Name, p.OrgPath, in.LessonID, in.PlanItemID
	n.Content, n.Shared, n.UpdatedAt = in.Content, in.Shared, now
	var out *Note
	err = uc.study.tx.InTx(ctx, func(ctx context.Context) error {
		if out, err = uc.store.SaveNote(ctx, n); err != nil {
			return err
		}
		return uc.study.events.Publish(ctx, NoteSaved{Note: *out})
	})
	return out, err
}

// own returns the caller's note; anyone else's is ErrNotFound (notes are private).
func (uc *Notes) own(ctx context.Context, p *auth.Principal, id int64) (*Note, error) {
	n, err := uc.store.GetNote(ctx, id)
	if err != nil {
		return nil, err
	}
	if n.MemberID != p.UserID {
		return nil, ErrNotFound
	}
	return n, nil
}

// Delete removes one of the caller's notes. Safe to retry.
func (uc *Notes) Delete(ctx context.Context, id int64) error {
	p, err := auth.Require(ctx)
	if err != nil {
		return err
	}
	n, err := uc.store.GetNote(ctx, id)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil // deleted already
	case err != nil:
		return err
	case n.MemberID != p.UserID:
		return ErrNotFound
	}
	return uc.study.tx.InTx(ctx, func(ctx context.Context) error {
		if err := uc.store.DeleteNote(ctx, id); err != nil {
			return err
		}
		return uc.study.events.Publish(ctx, NoteSaved{Note: *n, Deleted: true})
	})
}

// Mine lists the caller's notes, on a lesson or plan item (0: all).
func (uc *Notes) Mine(ctx context.Context, lessonID, planItemID int64) ([]*Note, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return uc.store.ListNotes(ctx, NoteFilter{MemberID: p.UserID, LessonID: lessonID, PlanItemID: planItemID}, 200)
}

// Shared lists the notes shared in an org (0: the caller's own), for its members and staff over
// it.
func (uc *Notes) Shared(ctx context.Context, orgID, lessonID, planItemID int64) ([]*Note, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	path := p.OrgPath
	if orgID > 0 {
		org, err := uc.orgs.Org(ctx, orgID)
		if err != nil {
			return nil, err
		}
		if org.Path != p.OrgPath && !p.CanManageOrg(org.Path) {
			return nil, ErrNotFound
		}
		path = org.Path
	}
	if path == "" {
		return nil, nil
	}
	return uc.store.ListNotes(ctx, NoteFilter{OrgPath: path, LessonID: lessonID, PlanItemID: planItemID}, 200)
}

// NoteSaved: a note was written, changed or deleted.
type NoteSaved struct {
	Note    Note
	Deleted bool
}

func (NoteSaved) isEvent() {}
