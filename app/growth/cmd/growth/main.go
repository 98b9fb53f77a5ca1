// Command growth runs the growth service alone (distributed mode): PostgreSQL, Redis for the
// events it subscribes to and its compiles, and the org, course, quiz and studyhour services
// over gRPC.
//
//	growth serve   -conf app/growth/configs/config.yaml [-role all|api|worker]
//	growth migrate -conf app/growth/configs/config.yaml
//
// The api role serves the files and their reviews; the worker role applies the events and runs
// the compiles (scale it with the members whose files change).
package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"google.golang.org/grpc"

	coursev1 "github.com/vanguard/vanguard/api/course/v1"
	orgv1 "github.com/vanguard/vanguard/api/org/v1"
	quizv1 "github.com/vanguard/vanguard/api/quiz/v1"
	studyhourv1 "github.com/vanguard/vanguard/api/studyhour/v1"
	"github.com/vanguard/vanguard/app/growth"
	"github.com/vanguard/vanguard/pkg/audit"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/htmlpdf"
	"github.com/vanguard/vanguard/pkg/kit"
	"github.com/vanguard/vanguard/pkg/queue"
)

type endpoint struct {
	GRPCEndpoint string `json:"grpc_endpoint"`
}

type fileConfig struct {
	// BaseConfig holds the sections every service shares: server, database, redis.
	kit.BaseConfig
	Org       kit.OrgLink `json:"org"`
	Course    endpoint    `json:"course"`
	Quiz      endpoint    `json:"quiz"`
	Studyhour endpoint    `json:"studyhour"`
	PDF       struct {
		Chromium string `json:"chromium"`
	} `json:"pdf"`
}

// Validate checks the whole configuration right after loading.
func (c *fileConfig) Validate() error {
	errs := []error{c.BaseConfig.Validate(), c.Org.Validate()}
	for name, e := range map[string]endpoint{"course": c.Course, "quiz": c.Quiz, "studyhour": c.Studyhour} {
		if e.GRPCEndpoint == "" {
			errs = append(errs, fmt.Errorf("%s.grpc_endpoint: required (host:port)", name))
		}
	}
	return errors.Join(errs...)
}

func main() { kit.Main("growth", run) }

func run(args []string) error {
	cmd, err := kit.ParseCommand("growth", "app/growth/configs/config.yaml", args)
	if err != nil {
		return err
	}
	logger := kit.NewLogger("growth")
	var fc fileConfig
	if err := kit.LoadConfig(cmd.ConfPath, &fc); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	redisOpt := asynq.RedisClientOpt{Addr: fc.Redis.Addr, DB: fc.Redis.DB}
	tasks, err := queue.NewClient(redisOpt)
	if err != nil {
		return err
	}
	defer tasks.Close()
	orgConn, err := kit.DialOrg(ctx, fc.Org.GRPCEndpoint)
	if err != nil {
		return err
	}
	defer orgConn.Close()
	// Migrating reads nothing from the others: every client then uses org's connection.
	conns := map[string]grpc.ClientConnInterface{"org": orgConn, "course": orgConn, "quiz": orgConn, "studyhour": orgConn}
	if cmd.Name == "serve" {
		if fc.Org.ServiceSecret == "" {
			return errors.New("org.service_secret: required, growth reads the other services' dossiers as itself")
		}
		tokens := kit.ServiceTokens(orgv1.NewAuthClient(orgConn), growth.Name, fc.Org.ServiceSecret)
		for name, ep := range map[string]string{"org": fc.Org.GRPCEndpoint, "course": fc.Course.GRPCEndpoint,
			"quiz": fc.Quiz.GRPCEndpoint, "studyhour": fc.Studyhour.GRPCEndpoint} {
			conn, err := kit.DialAsService(ctx, ep, tokens)
			if err != nil {
				return err
			}
			defer conn.Close()
			conns[name] = conn
		}
	}
	cfg := growth.Config{DatabaseDriver: fc.Database.Driver, DatabaseDSN: fc.Database.DSN, Tasks: tasks, Orgs: orgv1.NewOrgsClient(orgConn),
		OrgDossiers: orgv1.NewDossiersClient(conns["org"]), StudyhourDossiers: studyhourv1.NewDossiersClient(conns["studyhour"]),
		QuizDossiers: quizv1.NewDossiersClient(conns["quiz"]), CourseDossiers: coursev1.NewDossiersClient(conns["course"]),
		OrgEvents: orgv1.NewEventsClient(conns["org"]), StudyhourEvents: studyhourv1.NewEventsClient(conns["studyhour"]),
		QuizEvents: quizv1.NewEventsClient(conns["quiz"]), Audit: audit.NewClient(conns["org"])}
	bin := fc.PDF.Chromium
	if bin == "" {
		bin = htmlpdf.Find()
	}
	if p := htmlpdf.New(bin, 2); p != nil {
		cfg.PDF = p.Print
	}
	m, err := growth.New(cfg, logger, clock.Real{})
	if err != nil {
		return err
	}
	defer m.Close()
	if cmd.Name == "migrate" {
		if err := m.Migrate(ctx); err != nil {
			return err
		}
		fmt.Println("growth: schema is up to date")
		return nil
	}
	return kit.RunService(context.Background(), kit.ServiceSpec{
		Name: growth.Name, Role: cmd.Role, Server: fc.Server, JWTPublicKeyFile: fc.Org.JWTPublicKeyFile, Redis: redisOpt,
	}, m, orgConn, logger)
}
