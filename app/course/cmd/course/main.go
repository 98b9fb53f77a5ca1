// Command course runs the course service alone (distributed mode): PostgreSQL, Redis for its
// Asynq queue, MinIO for lecture media, and the org service over gRPC.
//
//	course serve   -conf app/course/configs/config.yaml [-role all|api|worker]
//	course migrate -conf app/course/configs/config.yaml
//
// The api role serves HTTP and gRPC; the worker role runs the media:probe handler and the
// reconciler; both scale separately.
package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	orgv1 "github.com/vanguard/vanguard/api/org/v1"
	"github.com/vanguard/vanguard/app/course"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/kit"
	"github.com/vanguard/vanguard/pkg/queue"
)

type fileConfig struct {
	// BaseConfig holds the sections every service shares: server, database, redis.
	kit.BaseConfig
	MinIO kit.MinIOLink `json:"minio"`
	Org   kit.OrgLink   `json:"org"`
	Media struct {
		MaxUploadMiB int64 `json:"max_upload_mib"`
	} `json:"media"`
}

// Validate checks the whole configuration right after loading.
func (c *fileConfig) Validate() error {
	var errs []error
	errs = append(errs, c.BaseConfig.Validate(), c.Org.Validate(), c.MinIO.Validate())
	if c.Media.MaxUploadMiB < 0 {
		errs = append(errs, fmt.Errorf("media.max_upload_mib: must not be negative, got %d", c.Media.MaxUploadMiB))
	}
	return errors.Join(errs...)
}

func main() { kit.Main("course", run) }

func run(args []string) error {
	cmd, err := kit.ParseCommand("course", "app/course/configs/config.yaml", args)
	if err != nil {
		return err
	}
	logger := kit.NewLogger("course")
	var fc fileConfig
	if err := kit.LoadConfig(cmd.ConfPath, &fc); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	store, err := fc.MinIO.Open(ctx)
	if err != nil {
		return err
	}
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
	m, err := course.New(course.Config{
		DatabaseDriver: fc.Database.Driver, DatabaseDSN: fc.Database.DSN, Store: store, Tasks: tasks,
		Orgs: orgv1.NewOrgsClient(orgConn), Media: course.MediaConfig{MaxUploadSize: fc.Media.MaxUploadMiB << 20},
		Events: kit.EventRoutes, Outbox: fc.Outbox.Relay(),
	}, logger, clock.Real{})
	if err != nil {
		return err
	}
	defer m.Close()
	if cmd.Name == "migrate" {
		if err := m.Migrate(ctx); err != nil {
			return err
		}
		fmt.Println("course: schema is up to date")
		return nil
	}

	return kit.RunService(context.Background(), kit.ServiceSpec{
		Name: course.Name, Role: cmd.Role, Server: fc.Server, JWTPublicKeyFile: fc.Org.JWTPublicKeyFile, Redis: redisOpt,
	}, m, orgConn, logger)
}
