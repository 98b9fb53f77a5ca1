// Package server registers the org service on Kratos HTTP and gRPC servers.
package server

import (
	"net/http"

	kgrpc "github.com/go-kratos/kratos/v2/transport/grpc"
	khttp "github.com/go-kratos/kratos/v2/transport/http"

	v1 "github.com/vanguard/vanguard/api/org/v1"
	"github.com/vanguard/vanguard/app/org/internal/biz"
	"github.com/vanguard/vanguard/app/org/internal/service"
	"github.com/vanguard/vanguard/pkg/sheet"
	"github.com/vanguard/vanguard/pkg/sheet/xlsx"
)

// Services are the org service's API implementations.
type Services struct {
	Auth     *service.AuthService
	Orgs     *service.OrgService
	Accounts *service.AccountService
	// Audit is the service-only Audit API (gRPC only).
	Audit *service.AuditService
	// Directory is the service-only name lookup (gRPC only).
	Directory *service.DirectoryService
	// Development is member development (steps, rules, worklist, holidays).
	Development *service.DevelopmentService
	// Transfers is the transfer of membership between orgs.
	Transfers *service.TransferService
	// Events is the service-only acknowledgement of org's events (gRPC only).
	Events *service.EventsService
	// Dossiers is the growth service's read of members (gRPC only).
	Dossiers *service.DossierService
}

// RegisterHTTP mounts the org API, the OpenAPI document and the import templates on srv.
func RegisterHTTP(srv *khttp.Server, s *Services, openapi []byte) {
	v1.RegisterAuthHTTPServer(srv, s.Auth)
	v1.RegisterOrgsHTTPServer(srv, s.Orgs)
	v1.RegisterAccountsHTTPServer(srv, s.Accounts)
	v1.RegisterDevelopmentHTTPServer(srv, s.Development)
	v1.RegisterTransfersHTTPServer(srv, s.Transfers)
	srv.HandleFunc("/openapi/org.yaml", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
		_, _ = w.Write(openapi)
	})
	templates := map[string]sheet.Template{
		"orgs": biz.OrgTemplate(), "members": biz.MemberTemplate(),
	}
	// Templates hold no data, so they are public: GET /v1/import-templates/{orgs|members}.{xlsx|csv}
	srv.HandlePrefix("/v1/import-templates/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.URL.Path[len("/v1/import-templates/"):]
		for kind, t := range templates {
			switch name {
			case kind + ".xlsx":
				w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
				w.Header().Set("Content-Disposition", `attachment; filename="`+kind+`-template.xlsx"`)
				_ = xlsx.WriteTemplate(w, t)
				return
			case kind + ".csv":
				w.Header().Set("Content-Type", "text/csv; charset=utf-8")
				w.Header().Set("Content-Disposition", `attachment; filename="`+kind+`-template.csv"`)
				_ = t.WriteCSV(w)
				return
			}
		}
		http.NotFound(w, r)
	}))
}

// RegisterGRPC registers the org API, with the service-only Audit API, on srv.
func RegisterGRPC(srv *kgrpc.Server, s *Services) {
	v1.RegisterAuthServer(srv, s.Auth)
	v1.RegisterOrgsServer(srv, s.Orgs)
	v1.RegisterAccountsServer(srv, s.Accounts)
	v1.RegisterAuditServer(srv, s.Audit)
	v1.RegisterDirectoryServer(srv, s.Directory)
	v1.RegisterDevelopmentServer(srv, s.Development)
	v1.RegisterTransfersServer(srv, s.Transfers)
	v1.RegisterEventsServer(srv, s.Events)
	v1.RegisterDossiersServer(srv, s.Dossiers)
}
