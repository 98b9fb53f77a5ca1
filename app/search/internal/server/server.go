// Package server registers the search service on Kratos HTTP and gRPC servers.
package server

import (
	"net/http"

	kgrpc "github.com/go-kratos/kratos/v2/transport/grpc"
	khttp "github.com/go-kratos/kratos/v2/transport/http"

	v1 "github.com/vanguard/vanguard/api/search/v1"
	"github.com/vanguard/vanguard/app/search/internal/service"
)

// RegisterHTTP mounts the search API and its OpenAPI document.
func RegisterHTTP(srv *khttp.Server, s *service.SearchService) {
	v1.RegisterSearchHTTPServer(srv, s)
	srv.HandleFunc("/openapi/search.yaml", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
		_, _ = w.Write(v1.OpenAPI)
	})
}

// RegisterGRPC registers the search API.
func RegisterGRPC(srv *kgrpc.Server, s *service.SearchService) {
	v1.RegisterSearchServer(srv, s)
}
