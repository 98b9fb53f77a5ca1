// Package biz is the search service's domain: the documents users find (published courses and
// lessons, news posts, and questions for trainers and staff), the scope a caller may see, and
// the Engine that indexes and queries them — Bleve on disk in the standalone binary,
// Meilisearch in the distributed mode. Both adapters pass the one contract suite in
// enginetest.
package biz

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Kinds of documents.
const (
	KindCourse   = "course"
	KindLesson   = "lesson"
	KindNews     = "news"
	KindQuestion = "question"
)

// Document is what the index holds of one thing a user may open.
type Document struct {
	// ID is "<kind>:<id>" (lesson:42), unique across kinds.
	ID   string
	Kind string
	// Title, Summary and Body are searched, in that order of weight; Body is a lesson's article
	// text, a post's text, or a question's stem and options.
	Title   string
	Summary string
	Body    string
	Topic   string
	Tags    []string
	// Paths are the org paths whose members may open the document (a course assigned to
	// /1/4/ reaches the members of /1/4/ and of every org below it, by the scope's Paths).
	Paths []string
	// Owner is the org path that owns the document (a course's, a post's, a bank's). Reach says
	// who finds it through the owner, whatever it is assigned to: authors (ReachAuthors) or
	// managers (ReachManagers) over the owner, by the scope's Authors and Managers.
	Owner string
	Reach []string
	// Staff documents (questions) are never found through Paths, only through Reach.
	Staff bool
	// Parent is the course of a lesson ("course:7"), for the link and for grouping.
	Parent    string
	UpdatedAt time.Time
}

// Who finds a document through its owner (Document.Reach), mirroring the owners' own rules:
// course lets trainers and staff of the owning subtree (authors) and those who manage it
// (staff, temporary branches' staff, admins) see a course; course lets only managers see a news
// post; quiz lets only authors (trainers, staff, admins) see a bank's questions.
const (
	ReachAuthors  = "authors"
	ReachManagers = "managers"
)

// AllOrgs, as a subtree of Scope.Authors or Scope.Managers, is every org (admins).
const AllOrgs = "/"

// Scope is what a caller may find, built from their principal by the service; the engine
// applies it to every query (the hits, their total and the facet counts alike). A document is
// in scope when one of its Paths is one of Paths and it is not a staff document, or when its
// Owner lies in one of Authors and it reaches authors, or in one of Managers and it reaches
// managers.
type Scope struct {
	// Paths: the caller's orgs and their ancestors.
	Paths []string
	// Authors: the subtrees where the caller authors (trainers' and staff's own org; AllOrgs).
	Authors []string
	// Managers: the subtrees the caller manages (staff's own org, the temporary branches they
	// serve; AllOrgs).
	Managers []string
}

// Empty reports whether the scope reaches nothing.
func (s Scope) Empty() bool { return len(s.Paths)+len(s.Authors)+len(s.Managers) == 0 }

// Sort orders.
const (
	SortRelevance = ""
	SortDate      = "date" // newest first
)

// Query is one search.
type Query struct {
	// Text is what the user typed; empty lists everything in scope (newest first).
	Text string
	// Kinds, Topic and Tags narrow the results (empty: any); all tags must match.
	Kinds []string
	Topic string
	Tags  []string
	Sort  string
	// Prefix: Text is what a user has typed so far (search-as-you-type): titles holding it, its
	// last word possibly unfinished, match; only titles are searched.
	Prefix bool
	// Offset and Limit page the hits (Limit 0: DefaultLimit).
	Offset, Limit int
	Scope         Scope
}

// DefaultLimit is a page's size when the query names none; MaxLimit bounds it.
const (
	DefaultLimit = 10
	MaxLimit     = 50
)

// Hit is one document found, without its body, with the fragments that matched.
type Hit struct {
	Doc   Document
	Score float64
	// Snippets are fragments of the matching fields ("title", "summary", "body") with the
	// matches wrapped in <mark></mark>; the rest of the text is HTML-escaped.
	Snippets map[string][]string
}

// Facet is one value of a facet with the number of documents in scope having it.
type Facet struct {
	Value string
	Count int
}

// Result is a page of hits, how many there are in all, and the facets ("kind", "topic",
// "tags") of all of them.
type Result struct {
	Total  int
	Hits   []Hit
	Facets map[string][]Facet
}

// ErrEmptyScope: a query with nothing in scope (no paths, no subtrees) finds nothing, and says so
// rather than searching everything.
var ErrEmptyScope = errors.New("search: empty scope")

// errEngineClosed: the engine's generation was swapped out and closed (or dropped) while the
// query ran; the live index answers it.
var errEngineClosed = errors.New("search: index generation closed")

// EngineClosed is how an engine reports that it was closed, or its index dropped, under a query
// (cause: the engine's own error).
func EngineClosed(cause error) error { return fmt.Errorf("%w: %w", errEngineClosed, cause) }

// IsEngineClosed reports whether err is an engine's EngineClosed.
func IsEngineClosed(err error) bool { return errors.Is(err, errEngineClosed) }

// Engine indexes documents and searches them.
type Engine interface {
	// Upsert indexes the documents, replacing any with the same ID.
	Upsert(ctx context.Context, docs ...Document) error
	// Delete removes the documents with these IDs (missing ones are no error).
	Delete(ctx context.Context, ids ...string) error
	// Search runs q within q.Scope (ErrEmptyScope when it is empty; EngineClosed when the
	// engine was closed, or its index dropped, under it).
	Search(ctx context.Context, q Query) (*Result, error)
	// Count is how many documents the index holds.
	Count(ctx context.Context) (int, error)
	Close() error
}
