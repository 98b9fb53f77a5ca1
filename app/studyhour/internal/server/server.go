// Package server registers the studyhour service on Kratos HTTP and gRPC servers and its event
// inbox on the Asynq transport server.
package server

import (
	"net/http"

	kgrpc "github.com/go-kratos/kratos/v2/transport/grpc"
	khttp "github.com/go-kratos/kratos/v2/transport/http"

	v1 "github.com/vanguard/vanguard/api/studyhour/v1"
	"github.com/vanguard/vanguard/app/studyhour/internal/service"
)

// RegisterHTTP mounts the studyhour API and its OpenAPI document.
func RegisterHTTP(srv *khttp.Server, s *service.StudyHourService) {
	v1.RegisterStudyHoursHTTPServer(srv, s)
	srv.HandleFunc("/openapi/studyhour.yaml", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
		_, _ = w.Write(v1.OpenAPI)
	})
}

// RegisterGRPC registers the studyhour API.
func RegisterGRPC(srv *kgrpc.Server, s *service.StudyHourService) {
	v1.RegisterStudyHoursServer(srv, s)
}
