// Command quiz runs the quiz service alone (distributed mode): PostgreSQL, Redis for grading and
// autosubmit tasks, and the org service over gRPC.
//
//	quiz serve   -conf app/quiz/configs/config.yaml [-role all|api|worker]
//	quiz migrate -conf app/quiz/configs/config.yaml
//
// At the exam-end peak, scale the worker role (quiz:grade) separately from the API role.
package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	orgv1 "github.com/vanguard/vanguard/api/org/v1"
	"github.com/vanguard/vanguard/app/quiz"
	"github.com/vanguard/vanguard/pkg/audit"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/kit"
	"github.com/vanguard/vanguard/pkg/queue"
)

type fileConfig struct {
	// BaseConfig holds the sections every service shares: server, database, redis.
	kit.BaseConfig
	Org kit.OrgLink `json:"org"`
}

// Validate checks the whole configuration right after loading.
func (c *fileConfig) Validate() error { return errors.Join(c.BaseConfig.Validate(), c.Org.Validate()) }

func main() { kit.Main("quiz", run) }

func run(args []string) error {
	cmd, err := kit.ParseCommand("quiz", "app/quiz/configs/config.yaml", args)
	if err != nil {
		return err
	}
	logger := kit.NewLogger("quiz")
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
	// Migrating audits nothing, so only serving needs the service secret.
	var auditLog audit.Appender = audit.Discard
	var directory orgv1.DirectoryClient
	if cmd.Name == "serve" {
		asQuiz, err := kit.DialOrgAsService(ctx, fc.Org, quiz.Name, orgConn)
		if err != nil {
			return err
		}
		defer asQuiz.Close()
		auditLog = audit.NewClient(asQuiz)
		directory = orgv1.NewDirectoryClient(asQuiz)
	}
	m, err := quiz.New(quiz.Config{DatabaseDriver: fc.Database.Driver, DatabaseDSN: fc.Database.DSN, Tasks: tasks,
		Orgs: orgv1.NewOrgsClient(orgConn), Accounts: orgv1.NewAccountsClient(orgConn), Events: kit.EventRoutes, Outbox: fc.Outbox.Relay(),
		Audit: auditLog, Directory: directory}, logger, clock.Real{})
	if err != nil {
		return err
	}
	defer m.Close()
	if cmd.Name == "migrate" {
		if err := m.Migrate(ctx); err != nil {
			return err
		}
		fmt.Println("quiz: schema is up to date")
		return nil
	}
	return kit.RunService(context.Background(), kit.ServiceSpec{
		Name: "quiz", Role: cmd.Role, Server: fc.Server, JWTPublicKeyFile: fc.Org.JWTPublicKeyFile, Redis: redisOpt,
	}, m, orgConn, logger)
}
