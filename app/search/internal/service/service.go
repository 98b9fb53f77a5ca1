// Package service adapts the search use cases to the generated gRPC/HTTP interfaces.
package service

import (
	"context"
	"strconv"
	"strings"
	"time"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"google.golang.org/protobuf/types/known/emptypb"

	v1 "github.com/vanguard/vanguard/api/search/v1"
	"github.com/vanguard/vanguard/app/search/internal/biz"
	"github.com/vanguard/vanguard/pkg/apierr"
	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/bizerr"
)

// apiErrors maps search's domain errors to its API reasons (pkg/apierr adds the shared ones).
var apiErrors = apierr.New(
	func(err error) *kerrors.Error {
		if biz.IsUnavailable(err) {
			return v1.ErrorUnavailable("%s", "搜索索引正在建立，请稍后再试")
		}
		if biz.IsEngineClosed(err) {
			// Swapped out under the query twice in a row, or the process is stopping.
			return v1.ErrorUnavailable("%s", "搜索索引正在切换，请稍后再试")
		}
		return nil
	},
)

func toAPIError(err error) error { return apiErrors.Translate(err) }

// SearchService implements v1.SearchServer.
type SearchService struct {
	v1.UnimplementedSearchServer
	searcher *biz.Searcher
	indexer  *biz.Indexer
	index    *biz.Index
	engine   string
}

// New wires the service.
func New(s *biz.Searcher, ix *biz.Indexer, index *biz.Index, engine string) *SearchService {
	return &SearchService{searcher: s, indexer: ix, index: index, engine: engine}
}

// refOf splits a document id ("lesson:42") into its kind's id.
func refOf(id string) int64 {
	_, n, _ := strings.Cut(id, ":")
	v, _ := strconv.ParseInt(n, 10, 64)
	return v
}

// parents are a hit's course (a lesson's) and bank (a question's).
func parents(parent string) (course, bank int64) {
	switch kind, _, _ := strings.Cut(parent, ":"); kind {
	case biz.KindCourse:
		return refOf(parent), 0
	case "bank":
		return 0, refOf(parent)
	}
	return 0, 0
}

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// Search implements v1.SearchServer.
func (s *SearchService) Search(ctx context.Context, req *v1.SearchRequest) (*v1.SearchReply, error) {
	r := biz.Request{Text: req.GetQ(), Kinds: req.GetKinds(), Topic: req.GetTopic(), Tags: req.GetTags(), Sort: req.GetSort(),
		Page: int(req.GetPage()), PageSize: int(req.GetPageSize())}
	res, err := s.searcher.Search(ctx, &r)
	if err != nil {
		return nil, toAPIError(err)
	}
	out := &v1.SearchReply{Total: int32(res.Total), Page: int32(r.Page), PageSize: int32(r.PageSize)}
	for _, h := range res.Hits {
		course, bank := parents(h.Doc.Parent)
		out.Hits = append(out.Hits, &v1.SearchHit{Id: h.Doc.ID, Kind: h.Doc.Kind, RefId: refOf(h.Doc.ID), Title: h.Doc.Title,
			TitleHtml: biz.TitleHTML(h), SnippetHtml: biz.SnippetHTML(h), Topic: h.Doc.Topic, Tags: h.Doc.Tags,
			CourseId: course, BankId: bank, UpdatedAt: ts(h.Doc.UpdatedAt)})
	}
	for _, name := range []string{"kind", "topic", "tags"} {
		f := &v1.Facet{Name: name}
		for _, v := range res.Facets[name] {
			f.Values = append(f.Values, &v1.FacetValue{Value: v.Value, Count: int32(v.Count)})
		}
		out.Facets = append(out.Facets, f)
	}
	return out, nil
}

// Suggest implements v1.SearchServer.
func (s *SearchService) Suggest(ctx context.Context, req *v1.SuggestRequest) (*v1.SuggestReply, error) {
	hits, err := s.searcher.Suggest(ctx, req.GetQ())
	if err != nil {
		return nil, toAPIError(err)
	}
	out := &v1.SuggestReply{}
	for _, h := range hits {
		course, bank := parents(h.Doc.Parent)
		out.Suggestions = append(out.Suggestions, &v1.Suggestion{Id: h.Doc.ID, Kind: h.Doc.Kind, RefId: refOf(h.Doc.ID), Title: h.Doc.Title,
			CourseId: course, BankId: bank})
	}
	return out, nil
}

func requireAdmin(ctx context.Context) error {
	p, err := auth.Require(ctx)
	if err != nil {
		return err
	}
	if !p.IsAdmin() {
		return bizerr.Deny("只有管理员可以管理搜索索引")
	}
	return nil
}

func (s *SearchService) status(ctx context.Context, st *biz.State) (*v1.IndexStatus, error) {
	out := &v1.IndexStatus{Engine: s.engine, Generation: st.Generation, Reindex: st.Reindex, ReindexedAt: ts(st.ReindexedAt)}
	if e, err := s.index.Live(); err == nil {
		if n, err := e.Count(ctx); err == nil {
			out.Documents = int32(n)
		}
	}
	n, err := s.indexer.Pending(ctx)
	if err != nil {
		return nil, toAPIError(err)
	}
	out.Pending = int32(n)
	return out, nil
}

// GetIndexStatus implements v1.SearchServer.
func (s *SearchService) GetIndexStatus(ctx context.Context, _ *emptypb.Empty) (*v1.IndexStatus, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, toAPIError(err)
	}
	st, err := s.indexer.State(ctx)
	if err != nil {
		return nil, toAPIError(err)
	}
	return s.status(ctx, st)
}

// Reindex implements v1.SearchServer.
func (s *SearchService) Reindex(ctx context.Context, _ *emptypb.Empty) (*v1.IndexStatus, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, toAPIError(err)
	}
	st, err := s.indexer.RequestReindex(ctx)
	if err != nil {
		return nil, toAPIError(err)
	}
	return s.status(ctx, st)
}
