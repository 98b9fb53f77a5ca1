package data

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"slices"
	"strings"
	"time"

	"github.com/meilisearch/meilisearch-go"

	"github.com/vanguard/vanguard/app/search/internal/biz"
)

// Meilisearch specifics; the field names are Bleve's (fTitle … fReach).
const (
	meiliPrimaryKey    = "id"
	meiliLocale        = "cmn" // Mandarin: charabia segments Han text with jieba
	meiliMaxTotalHits  = 10000 // hits reachable by paging (Meilisearch's default is 1000)
	meiliCropLength    = 40    // words around the match in a body snippet
	meiliOneTypo       = 5     // Meilisearch's defaults: a word needs 5 characters for one typo,
	meiliTwoTypos      = 9     // 9 for two, so Chinese words (2–4 characters) match exactly
	meiliPollInterval  = 50 * time.Millisecond
	meiliTaskTimeout   = 30 * time.Second
	meiliMaxKeyBytes   = 511 // Meilisearch's limit on a document id
	meiliMaxIndexBytes = 400 // and on an index uid
	// The highlight tags are private-use code points, which Upsert strips from the text, so that
	// Meilisearch's _formatted text (not HTML-escaped) can be escaped before they become <mark>.
	meiliPreTag, meiliPostTag = "\uE000", "\uE001"
)

// MeiliConfig says where the Meilisearch index lives.
type MeiliConfig struct {
	// URL is the server's base URL (http://127.0.0.1:7700).
	URL string
	// APIKey is a key allowed to manage the index, its settings and documents (the master key in
	// development); empty when the server has none.
	APIKey string
	// Index is the index uid: letters, digits, - and _.
	Index string
	// TaskTimeout bounds each write, from sending it to Meilisearch finishing its task (0: 30 s).
	TaskTimeout time.Duration
}

// Meili is the Engine on a Meilisearch index, for the distributed mode. It keeps Bleve's
// semantics where Meilisearch allows:
//
//   - Text: title, summary and body are searched in that order of weight, as Mandarin (the
//     localizedAttributes setting and the query's locales), which Meilisearch segments with jieba
//     and splits further into the dictionary's two- and three-character words, so a sub-word
//     (农业 in 中国农业发展银行) is found. The matching strategy is "all": a document must hold every
//     word of the query. Meilisearch's default ("last") also returns documents holding only the
//     first words whenever fewer than a page hold them all, and counts them in the total and the
//     facets, so 发展党员 would find every document that mentions 党员; the contract wants exact
//     sets. Typos are tolerated in words of 5 characters or more (Meilisearch's defaults), which
//     leaves Chinese words exact: one typo in a two-character word would match most of the
//     vocabulary (党员 ~ 党委, 党建, 团员).
//   - Prefix queries (search-as-you-type) search titles only (attributesToSearchOn); Meilisearch
//     matches the query's last word as a prefix of a word (农 finds 农业, 农业发 finds 农业发展),
//     the others whole.
//   - Ranking: the sort rule comes first, so a date sort (and the empty query) lists newest first
//     whatever the relevance; without a sort, relevance ranks and the newest wins a tie.
//   - Scope, kinds, topic and tags are one filter expression (meiliFilter), every value a
//     double-quoted, escaped string. Meilisearch compares strings case-insensitively, Bleve does
//     not: a tag "Go" also matches "go".
//   - Totals are exact: every search pages with page/hitsPerPage, which Meilisearch counts
//     exhaustively (offset/limit only estimates); see meiliPage for offsets that are not a
//     multiple of the limit. Hits beyond meiliMaxTotalHits cannot be paged to.
//   - Document ids map "<kind>:<id>" to "<kind>-<id>" (Meilisearch allows letters, digits, - and
//     _), so the kind holds letters, digits and _, and the id letters, digits, - and _; other
//     ids are refused.
//
// Writes wait until Meilisearch has applied them (its tasks are asynchronous), so a search right
// after an Upsert sees it, as with Bleve.
type Meili struct {
	client      meilisearch.ServiceManager
	index       meilisearch.IndexManager
	uid         string
	taskTimeout time.Duration
}

var _ biz.Engine = (*Meili)(nil)

// OpenMeili connects to the index cfg names, creating it (primary key "id") when missing, and
// applies the settings the searches rely on; it returns once Meilisearch has applied them.
func OpenMeili(ctx context.Context, cfg MeiliConfig) (*Meili, error) {
	if cfg.URL == "" {
		return nil, errors.New("search: meilisearch url missing")
	}
	if len(cfg.Index) > meiliMaxIndexBytes || !meiliKeyChars(cfg.Index, true) {
		return nil, fmt.Errorf("search: meilisearch index %q: want 1 to %d letters, digits, - or _", cfg.Index, meiliMaxIndexBytes)
	}
	m := newMeili(cfg)
	client := m.client
	if err := m.ensureIndex(ctx); err != nil {
		client.Close()
		return nil, err
	}
	if err := m.run(ctx, "settings", func(ctx context.Context) (*meilisearch.TaskInfo, error) {
		return m.index.UpdateSettings(ctx, meiliSettings())
	}); err != nil {
		client.Close()
		return nil, err
	}
	return m, nil
}

// newMeili is the adapter's client for the index cfg names, without a request yet.
func newMeili(cfg MeiliConfig) *Meili {
	var opts []meilisearch.Option
	if cfg.APIKey != "" {
		opts = append(opts, meilisearch.WithAPIKey(cfg.APIKey))
	}
	// The SDK appends "/indexes/…" to the URL as given.
	client := meilisearch.New(strings.TrimRight(cfg.URL, "/"), opts...)
	m := &Meili{client: client, index: client.Index(cfg.Index), uid: cfg.Index, taskTimeout: cfg.TaskTimeout}
	if m.taskTimeout <= 0 {
		m.taskTimeout = meiliTaskTimeout
	}
	return m
}

// dropMeili deletes the index cfg names and waits for Meilisearch to have done it; a missing
// index is no error.
func dropMeili(ctx context.Context, cfg MeiliConfig) error {
	m := newMeili(cfg)
	defer m.client.Close()
	err := m.run(ctx, "delete the index", func(ctx context.Context) (*meilisearch.TaskInfo, error) {
		return m.client.DeleteIndex(ctx, cfg.Index)
	})
	var te *meiliTaskError
	if errors.As(err, &te) && te.code == meilisearch.APIErrCodeIndexNotFound {
		return nil
	}
	return err
}

// ensureIndex creates the index when missing; another replica creating it at the same time is
// no error.
func (m *Meili) ensureIndex(ctx context.Context) error {
	info, err := m.index.FetchInfo(ctx)
	switch {
	case err == nil && info.PrimaryKey == meiliPrimaryKey:
		return nil
	case err == nil && info.PrimaryKey == "":
		return m.run(ctx, "set the primary key", func(ctx context.Context) (*meilisearch.TaskInfo, error) {
			return m.index.UpdateIndex(ctx, &meilisearch.UpdateIndexRequestParams{PrimaryKey: meiliPrimaryKey})
		})
	case err == nil:
		return fmt.Errorf("search: meilisearch index %s has the primary key %q, not %q", m.uid, info.PrimaryKey, meiliPrimaryKey)
	case meiliCode(err) != meilisearch.APIErrCodeIndexNotFound:
		return fmt.Errorf("search: meilisearch index %s: %w", m.uid, err)
	}
	err = m.run(ctx, "create the index", func(ctx context.Context) (*meilisearch.TaskInfo, error) {
		return m.client.CreateIndex(ctx, &meilisearch.IndexConfig{Uid: m.uid, PrimaryKey: meiliPrimaryKey})
	})
	if meiliCode(err) == meilisearch.APIErrCodeIndexAlreadyExists {
		return nil
	}
	return err
}

// meiliSettings are the index settings (PATCH /indexes/{uid}/settings).
func meiliSettings() *meilisearch.Settings {
	return &meilisearch.Settings{
		// Meilisearch's built-in rules with sort moved first (see Meili), then the newest first.
		RankingRules:         []string{"sort", "words", "typo", "proximity", "attribute", "exactness", fUpdated + ":desc"},
		SearchableAttributes: []string{fTitle, fSummary, fBody},
		// Hits come back without what decides the scope.
		DisplayedAttributes:  []string{meiliPrimaryKey, fKind, fTitle, fSummary, fBody, fTopic, fTags, fOwner, fParent, fUpdated},
		FilterableAttributes: []string{fKind, fTopic, fTags, fPaths, fOwnerTree, fReach, fStaff},
		SortableAttributes:   []string{fUpdated},
		TypoTolerance: &meilisearch.TypoTolerance{
			Enabled:             true,
			MinWordSizeForTypos: meilisearch.MinWordSizeForTypos{OneTypo: meiliOneTypo, TwoTypos: meiliTwoTypos},
			DisableOnWords:      []string{},
			DisableOnAttributes: []string{},
		},
		LocalizedAttributes: []*meilisearch.LocalizedAttributes{{AttributePatterns: []string{fTitle, fSummary, fBody}, Locales: []string{meiliLocale}}},
		// The most frequent values, as Bleve's facets.
		Faceting: &meilisearch.Faceting{
			MaxValuesPerFacet: maxFacetValues,
			SortFacetValuesBy: map[string]meilisearch.SortFacetType{"*": meilisearch.SortFacetTypeCount},
		},
		Pagination: &meilisearch.Pagination{MaxTotalHits: meiliMaxTotalHits},
	}
}

// meiliTaskError is a task Meilisearch did not complete.
type meiliTaskError struct {
	what    string
	uid     int64
	status  meilisearch.TaskStatus
	code    meilisearch.APIErrCode
	message string
}

func (e *meiliTaskError) Error() string {
	return fmt.Sprintf("search: meilisearch %s: task %d %s: %s (%s)", e.what, e.uid, e.status, e.message, e.code)
}

// meiliCode is the Meilisearch error code of err, from a refused request or a failed task.
func meiliCode(err error) meilisearch.APIErrCode {
	var api *meilisearch.Error
	if errors.As(err, &api) {
		return api.APIError.Code
	}
	var task *meiliTaskError
	if errors.As(err, &task) {
		return task.code
	}
	return ""
}

// run sends a write and waits for its task to succeed, within the task timeout.
func (m *Meili) run(ctx context.Context, what string, send func(context.Context) (*meilisearch.TaskInfo, error)) error {
	ctx, cancel := context.WithTimeout(ctx, m.taskTimeout)
	defer cancel()
	info, err := send(ctx)
	if err != nil {
		return fmt.Errorf("search: meilisearch %s: %w", what, err)
	}
	task, err := m.client.WaitForTask(ctx, info.TaskUID, meiliPollInterval)
	if err != nil {
		return fmt.Errorf("search: meilisearch %s: waiting for task %d: %w", what, info.TaskUID, err)
	}
	if task.Status != meilisearch.TaskStatusSucceeded {
		return &meiliTaskError{what: what, uid: info.TaskUID, status: task.Status, code: task.Error.Code, message: task.Error.Message}
	}
	return nil
}

// meiliKeyChars reports whether s is a non-empty run of ASCII letters, digits, _ and (when dash)
// -: what Meilisearch allows in document ids and index uids.
func meiliKeyChars(s string, dash bool) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '-' && dash:
		default:
			return false
		}
	}
	return true
}

// meiliID maps a document id "<kind>:<id>" to its Meilisearch id "<kind>-<id>"; bizID maps it
// back, so the kind may not hold a dash.
func meiliID(id string) (string, error) {
	kind, local, ok := strings.Cut(id, ":")
	if !ok || len(id) > meiliMaxKeyBytes || !meiliKeyChars(kind, false) || !meiliKeyChars(local, true) {
		return "", fmt.Errorf("search: document id %q: want <kind>:<id>, the kind of letters, digits and _, the id of letters, digits, - and _", id)
	}
	return kind + "-" + local, nil
}

// bizID is the document id of a Meilisearch id.
func bizID(key string) (string, error) {
	kind, local, ok := strings.Cut(key, "-")
	if !ok || kind == "" || local == "" {
		return "", fmt.Errorf("search: meilisearch returned the document id %q, not <kind>-<id>", key)
	}
	return kind + ":" + local, nil
}

// meiliDoc is a document as the index stores it.
type meiliDoc struct {
	ID        string   `json:"id"`
	Kind      string   `json:"kind"`
	Title     string   `json:"title"`
	Summary   string   `json:"summary"`
	Body      string   `json:"body"`
	Topic     string   `json:"topic"`
	Tags      []string `json:"tags"`
	Paths     []string `json:"paths"`
	Owner     string   `json:"owner"`
	OwnerTree []string `json:"owner_tree"`
	Reach     []string `json:"reach"`
	Staff     bool     `json:"staff"`
	Parent    string   `json:"parent"`
	Updated   int64    `json:"updated"` // Unix seconds
}

var stripTags = strings.NewReplacer(meiliPreTag, "", meiliPostTag, "")

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func meiliDocOf(key string, d biz.Document) meiliDoc {
	return meiliDoc{
		ID: key, Kind: d.Kind, Title: stripTags.Replace(d.Title), Summary: stripTags.Replace(d.Summary), Body: stripTags.Replace(d.Body),
		Topic: d.Topic, Tags: nonNil(d.Tags), Paths: nonNil(d.Paths), Owner: d.Owner, OwnerTree: ownerTree(d.Owner),
		Reach: nonNil(d.Reach), Staff: d.Staff, Parent: d.Parent, Updated: d.UpdatedAt.Unix(),
	}
}

// Upsert implements biz.Engine: one task (documents with an existing id replace it), so the
// documents appear together. An id that does not map to a Meilisearch id fails the whole call.
func (m *Meili) Upsert(ctx context.Context, docs ...biz.Document) error {
	if len(docs) == 0 {
		return nil
	}
	out := make([]meiliDoc, 0, len(docs))
	for _, d := range docs {
		key, err := meiliID(d.ID)
		if err != nil {
			return err
		}
		out = append(out, meiliDocOf(key, d))
	}
	return m.run(ctx, "upsert", func(ctx context.Context) (*meilisearch.TaskInfo, error) {
		return m.index.AddDocuments(ctx, out, nil)
	})
}

// Delete implements biz.Engine. An id that cannot have been indexed is an error, as in Upsert.
func (m *Meili) Delete(ctx context.Context, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	keys := make([]string, 0, len(ids))
	for _, id := range ids {
		key, err := meiliID(id)
		if err != nil {
			return err
		}
		keys = append(keys, key)
	}
	return m.run(ctx, "delete", func(ctx context.Context) (*meilisearch.TaskInfo, error) {
		return m.index.DeleteDocuments(ctx, keys, nil)
	})
}

// Count implements biz.Engine.
func (m *Meili) Count(ctx context.Context) (int, error) {
	stats, err := m.index.GetStats(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("search: meilisearch stats: %w", err)
	}
	return int(stats.NumberOfDocuments), nil
}

// Close implements biz.Engine: it drops the idle connections.
func (m *Meili) Close() error {
	m.client.Close()
	return nil
}

// meiliQuote is s as a double-quoted string of Meilisearch's filter expressions: a backslash
// escapes the quote and itself (the server unescapes \" first, then \\).
func meiliQuote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}

func meiliList(values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = meiliQuote(v)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

// meiliFilter is the filter expression of q (Meilisearch's syntax,
// https://www.meilisearch.com/docs/capabilities/filtering_sorting_faceting/advanced/filter_expression_syntax):
// the scope as biz.Scope defines it,
//
//	(paths IN [...] AND staff = false) OR (owner_tree IN [...] AND reach = "authors") OR (owner_tree IN [...] AND reach = "managers")
//
// without its empty parts, AND the kinds, the topic and each tag. It is "" when the scope reaches
// nothing.
func meiliFilter(q biz.Query) string {
	var may []string
	if len(q.Scope.Paths) > 0 {
		may = append(may, "("+fPaths+" IN "+meiliList(q.Scope.Paths)+" AND "+fStaff+" = false)")
	}
	for _, r := range []struct {
		subtrees []string
		reach    string
	}{{q.Scope.Authors, biz.ReachAuthors}, {q.Scope.Managers, biz.ReachManagers}} {
		if len(r.subtrees) > 0 {
			may = append(may, "("+fOwnerTree+" IN "+meiliList(r.subtrees)+" AND "+fReach+" = "+meiliQuote(r.reach)+")")
		}
	}
	if len(may) == 0 {
		return ""
	}
	visible := may[0]
	if len(may) > 1 {
		visible = "(" + strings.Join(may, " OR ") + ")"
	}
	all := []string{visible}
	if len(q.Kinds) > 0 {
		all = append(all, fKind+" IN "+meiliList(q.Kinds))
	}
	if q.Topic != "" {
		all = append(all, fTopic+" = "+meiliQuote(q.Topic))
	}
	for _, t := range q.Tags {
		all = append(all, fTags+" = "+meiliQuote(t))
	}
	return strings.Join(all, " AND ")
}

// meiliPage is the page (from 1) and page size whose page holds the hits [offset, offset+limit),
// and where in it they start. Meilisearch counts the total exactly only when paging by page and
// hitsPerPage, so an offset that is not a multiple of the limit asks for the smallest page size
// (at most offset+limit) whose one page covers the window, and the window is cut out of it.
// Beyond meiliMaxTotalHits, where Meilisearch returns no hits, the page is simply offset/limit+1.
func meiliPage(offset, limit int) (page, size, skip int) {
	if offset%limit == 0 || offset >= meiliMaxTotalHits {
		return offset/limit + 1, limit, offset % limit
	}
	size = limit
	for offset/size != (offset+limit-1)/size {
		size++
	}
	return offset/size + 1, size, offset % size
}

// meiliHit is a hit as Meilisearch returns it.
type meiliHit struct {
	meiliDoc
	Formatted map[string]json.RawMessage `json:"_formatted"`
	Score     float64                    `json:"_rankingScore"`
}

// Search implements biz.Engine.
func (m *Meili) Search(ctx context.Context, q biz.Query) (*biz.Result, error) {
	filter := meiliFilter(q)
	if filter == "" {
		return nil, biz.ErrEmptyScope
	}
	limit := q.Limit
	if limit <= 0 {
		limit = biz.DefaultLimit
	}
	limit = min(limit, biz.MaxLimit)
	page, size, skip := meiliPage(max(q.Offset, 0), limit)
	hitsPerPage := int64(size)
	text := strings.TrimSpace(q.Text)
	req := &meilisearch.SearchRequest{
		Filter:           filter,
		Facets:           []string{fKind, fTopic, fTags},
		Page:             int64(page),
		HitsPerPage:      &hitsPerPage,
		MatchingStrategy: meilisearch.All, // see Meili
		ShowRankingScore: true,
		Locales:          []string{meiliLocale},
	}
	switch {
	case text != "" && q.Prefix: // titles only; Meilisearch matches the last word as a prefix
		req.AttributesToSearchOn = []string{fTitle}
		req.AttributesToHighlight = []string{fTitle}
		req.HighlightPreTag, req.HighlightPostTag = meiliPreTag, meiliPostTag
	case text != "":
		req.AttributesToHighlight = []string{fTitle, fSummary, fBody}
		req.HighlightPreTag, req.HighlightPostTag = meiliPreTag, meiliPostTag
		req.AttributesToCrop = []string{fBody}
		req.CropLength = meiliCropLength
	}
	if text == "" || q.Sort == biz.SortDate {
		req.Sort = []string{fUpdated + ":desc"}
	}
	ctx, cancel := context.WithTimeout(ctx, searchTimeout)
	defer cancel()
	res, err := m.index.Search(ctx, text, req)
	if meiliCode(err) == meilisearch.APIErrCodeIndexNotFound {
		return nil, biz.EngineClosed(err) // a reindex dropped it
	}
	if err != nil {
		return nil, fmt.Errorf("search: meilisearch: %w", err)
	}
	out := &biz.Result{Total: int(res.TotalHits), Facets: map[string][]biz.Facet{}}
	window := res.Hits[min(skip, len(res.Hits)):min(skip+limit, len(res.Hits))]
	for _, raw := range window {
		var h meiliHit
		if err := raw.Decode(&h); err != nil {
			return nil, fmt.Errorf("search: meilisearch hit: %w", err)
		}
		hit, err := hitOfMeili(h)
		if err != nil {
			return nil, err
		}
		out.Hits = append(out.Hits, hit)
	}
	var dist map[string]map[string]int
	if len(res.FacetDistribution) > 0 {
		if err := json.Unmarshal(res.FacetDistribution, &dist); err != nil {
			return nil, fmt.Errorf("search: meilisearch facets: %w", err)
		}
	}
	for _, name := range []string{fKind, fTopic, fTags} {
		var vals []biz.Facet
		for v, n := range dist[name] {
			vals = append(vals, biz.Facet{Value: v, Count: n})
		}
		slices.SortFunc(vals, func(a, b biz.Facet) int {
			return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Value, b.Value))
		})
		out.Facets[name] = vals
	}
	return out, nil
}

func hitOfMeili(h meiliHit) (biz.Hit, error) {
	id, err := bizID(h.ID)
	if err != nil {
		return biz.Hit{}, err
	}
	d := biz.Document{ID: id, Kind: h.Kind, Title: h.Title, Summary: h.Summary, Topic: h.Topic, Tags: h.Tags,
		Parent: h.Parent, Owner: h.Owner, UpdatedAt: time.Unix(h.Updated, 0).UTC()}
	if len(d.Tags) == 0 {
		d.Tags = nil // as Bleve
	}
	hit := biz.Hit{Doc: d, Score: h.Score}
	for _, f := range []string{fTitle, fSummary, fBody} {
		var s string
		if err := json.Unmarshal(h.Formatted[f], &s); err != nil || !strings.Contains(s, meiliPreTag) {
			continue // not highlighted, or no match in it
		}
		if hit.Snippets == nil {
			hit.Snippets = map[string][]string{}
		}
		hit.Snippets[f] = []string{meiliMarkup(s)}
	}
	return hit, nil
}

// meiliMarkup is Meilisearch's highlighted text HTML-escaped, its matches in <mark></mark>.
func meiliMarkup(s string) string {
	return strings.NewReplacer(meiliPreTag, "<mark>", meiliPostTag, "</mark>").Replace(html.EscapeString(s))
}
