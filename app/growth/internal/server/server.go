// Package server registers the growth service on Kratos HTTP and gRPC servers.
package server

import (
	"net/http"

	kgrpc "github.com/go-kratos/kratos/v2/transport/grpc"
	khttp "github.com/go-kratos/kratos/v2/transport/http"

	v1 "github.com/vanguard/vanguard/api/growth/v1"
	"github.com/vanguard/vanguard/app/growth/internal/service"
)

// RegisterHTTP mounts the growth API and its OpenAPI document.
func RegisterHTTP(srv *khttp.Server, s *service.GrowthService) {
	v1.RegisterGrowthHTTPServer(srv, s)
	srv.HandleFunc("/openapi/growth.yaml", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
		_, _ = w.Write(v1.OpenAPI)
	})
}

// RegisterGRPC registers the growth API.
func RegisterGRPC(srv *kgrpc.Server, s *service.GrowthService) {
	v1.RegisterGrowthServer(srv, s)
}
