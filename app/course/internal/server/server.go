// Package server registers the course service on Kratos HTTP and gRPC servers and its task
// handlers on the Asynq transport server.
package server

import (
	"net/http"

	kgrpc "github.com/go-kratos/kratos/v2/transport/grpc"
	khttp "github.com/go-kratos/kratos/v2/transport/http"

	v1 "github.com/vanguard/vanguard/api/course/v1"
	"github.com/vanguard/vanguard/app/course/internal/service"
	"github.com/vanguard/vanguard/app/course/internal/task"
	"github.com/vanguard/vanguard/pkg/queue"
)

// RegisterHTTP mounts the course API and its OpenAPI document.
func RegisterHTTP(srv *khttp.Server, s *service.CourseService) {
	v1.RegisterCoursesHTTPServer(srv, s)
	srv.HandleFunc("/openapi/course.yaml", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
		_, _ = w.Write(v1.OpenAPI)
	})
}

// RegisterGRPC registers the course API.
func RegisterGRPC(srv *kgrpc.Server, s *service.CourseService) { v1.RegisterCoursesServer(srv, s) }

// RegisterTasks registers the course service's Asynq handlers.
func RegisterTasks(srv *queue.Server, t *service.MediaTasks) {
	srv.HandleFunc(task.TypeProbe, t.Probe)
}
