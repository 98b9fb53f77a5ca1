// Package server registers the quiz service on Kratos HTTP and gRPC servers and its task
// handlers on the Asynq transport server.
package server

import (
	"net/http"

	kgrpc "github.com/go-kratos/kratos/v2/transport/grpc"
	khttp "github.com/go-kratos/kratos/v2/transport/http"

	v1 "github.com/vanguard/vanguard/api/quiz/v1"
	"github.com/vanguard/vanguard/app/quiz/internal/biz"
	"github.com/vanguard/vanguard/app/quiz/internal/service"
	"github.com/vanguard/vanguard/app/quiz/internal/task"
	"github.com/vanguard/vanguard/pkg/queue"
	"github.com/vanguard/vanguard/pkg/sheet/xlsx"
)

// RegisterHTTP mounts the quiz API and its OpenAPI document.
func RegisterHTTP(srv *khttp.Server, s *service.QuizService) {
	v1.RegisterQuizHTTPServer(srv, s)
	srv.HandleFunc("/openapi/quiz.yaml", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
		_, _ = w.Write(v1.OpenAPI)
	})
	// The question import template holds no data, so it is public.
	tpl := biz.QuestionTemplate()
	srv.HandleFunc("/v1/quiz/import-template.xlsx", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", `attachment; filename="questions-template.xlsx"`)
		_ = xlsx.WriteTemplate(w, tpl)
	})
	srv.HandleFunc("/v1/quiz/import-template.csv", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="questions-template.csv"`)
		_ = tpl.WriteCSV(w)
	})
}

// RegisterGRPC registers the quiz API.
func RegisterGRPC(srv *kgrpc.Server, s *service.QuizService) { v1.RegisterQuizServer(srv, s) }

// RegisterTasks registers the quiz task handlers.
func RegisterTasks(srv *queue.Server, t *service.Tasks) {
	srv.HandleFunc(task.TypeGrade, t.Grade)
	srv.HandleFunc(task.TypeAutosubmit, t.Autosubmit)
}
