// Command studyhour runs the studyhour service alone (distributed mode): PostgreSQL, Redis for
// the events it subscribes to, and the org, course and quiz services over gRPC.
//
//	studyhour serve   -conf app/studyhour/configs/config.yaml [-role all|api|worker]
//	studyhour migrate -conf app/studyhour/configs/config.yaml
//
// The api role takes heartbeats (scale it with the number of members studying); the worker
// role applies quiz's attempt.graded events (exam credits).
package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	kgrpc "github.com/go-kratos/kratos/v2/transport/grpc"
	"github.com/hibiken/asynq"

	coursev1 "github.com/vanguard/vanguard/api/course/v1"
	orgv1 "github.com/vanguard/vanguard/api/org/v1"
	quizv1 "github.com/vanguard/vanguard/api/quiz/v1"
	"github.com/vanguard/vanguard/app/studyhour"
	"github.com/vanguard/vanguard/pkg/authn"
	"github.com/vanguard/vanguard/pkg/blob"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/kit"
	"github.com/vanguard/vanguard/pkg/obs"
	"github.com/vanguard/vanguard/pkg/queue"
)

type fileConfig struct {
	// BaseConfig holds the sections every service shares: server, database, redis.
	kit.BaseConfig
	Org    kit.OrgLink `json:"org"`
	Course struct {
		GRPCEndpoint string `json:"grpc_endpoint"`
	} `json:"course"`
	Quiz struct {
		GRPCEndpoint string `json:"grpc_endpoint"`
	} `json:"quiz"`
	Ledger struct {
		// Key anchors members' ledger chains: 64 hex digits, from the environment.
		Key string `json:"key"`
	} `json:"ledger"`
	// MinIO keeps meeting minutes and offline records' files.
	MinIO kit.MinIOLink `json:"minio"`
}

// Validate checks the whole configuration right after loading.
func (c *fileConfig) Validate() error {
	errs := []error{c.BaseConfig.Validate(), c.Org.Validate(), c.MinIO.Validate()}
	if c.Course.GRPCEndpoint == "" {
		errs = append(errs, errors.New("course.grpc_endpoint: required (host:port)"))
	}
	if c.Quiz.GRPCEndpoint == "" {
		errs = append(errs, errors.New("quiz.grpc_endpoint: required (host:port)"))
	}
	return errors.Join(errs...)
}

// ledgerKey decodes the ledger key: 32 bytes as 64 hex digits.
func ledgerKey(s string) ([]byte, error) {
	k, err := hex.DecodeString(s)
	if err != nil || len(k) != 32 {
		return nil, errors.New("ledger.key: want 64 hex digits (VANGUARD_LEDGER_KEY; keep it outside the database, e.g. `openssl rand -hex 32`)")
	}
	return k, nil
}

func main() { kit.Main("studyhour", run) }

func run(args []string) error {
	cmd, err := kit.ParseCommand("studyhour", "app/studyhour/configs/config.yaml", args)
	if err != nil {
		return err
	}
	logger := kit.NewLogger("studyhour")
	var fc fileConfig
	if err := kit.LoadConfig(cmd.ConfPath, &fc); err != nil {
		return err
	}
	key := make([]byte, 32) // migrating credits nothing
	if cmd.Name == "serve" {
		if key, err = ledgerKey(fc.Ledger.Key); err != nil {
			return err
		}
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
	courseConn, err := kgrpc.DialInsecure(ctx, kgrpc.WithEndpoint(fc.Course.GRPCEndpoint), kgrpc.WithMiddleware(obs.TracingClient(), authn.Forward()))
	if err != nil {
		return fmt.Errorf("dial course %s: %w", fc.Course.GRPCEndpoint, err)
	}
	defer courseConn.Close()
	var quizEvents quizv1.EventsClient = quizv1.NewEventsClient(courseConn) // replaced when serving
	var store blob.Store                                                    // not needed to migrate
	if cmd.Name == "serve" {
		if store, err = fc.MinIO.Open(ctx); err != nil {
			return err
		}
		if fc.Org.ServiceSecret == "" {
			return errors.New("org.service_secret: required, studyhour acknowledges quiz's events as itself")
		}
		asStudyhour, err := kit.DialAsService(ctx, fc.Quiz.GRPCEndpoint,
			kit.ServiceTokens(orgv1.NewAuthClient(orgConn), studyhour.Name, fc.Org.ServiceSecret))
		if err != nil {
			return err
		}
		defer asStudyhour.Close()
		quizEvents = quizv1.NewEventsClient(asStudyhour)
	}
	m, err := studyhour.New(studyhour.Config{DatabaseDriver: fc.Database.Driver, DatabaseDSN: fc.Database.DSN, Tasks: tasks,
		Courses: coursev1.NewCoursesClient(courseConn), Orgs: orgv1.NewOrgsClient(orgConn), Accounts: orgv1.NewAccountsClient(orgConn), QuizEvents: quizEvents,
		LedgerKey: key, Store: store, Events: kit.EventRoutes, Outbox: fc.Outbox.Relay()}, logger, clock.Real{})
	if err != nil {
		return err
	}
	defer m.Close()
	if cmd.Name == "migrate" {
		if err := m.Migrate(ctx); err != nil {
			return err
		}
		fmt.Println("studyhour: schema is up to date")
		return nil
	}
	return kit.RunService(context.Background(), kit.ServiceSpec{
		Name: studyhour.Name, Role: cmd.Role, Server: fc.Server, JWTPublicKeyFile: fc.Org.JWTPublicKeyFile, Redis: redisOpt,
	}, m, orgConn, logger)
}
