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
	"strings"
	"time"

	"github.com/hibiken/asynq"

	orgv1 "github.com/vanguard/vanguard/api/org/v1"
	"github.com/vanguard/vanguard/app/course"
	"github.com/vanguard/vanguard/pkg/blob/minioblob"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/kit"
	"github.com/vanguard/vanguard/pkg/queue"
)

type fileConfig struct {
	// BaseConfig holds the sections every service shares: server, database, redis.
	kit.BaseConfig
	MinIO struct {
		Endpoint  string `json:"endpoint"`
		AccessKey string `json:"access_key"`
		SecretKey string `json:"secret_key"`
		Bucket    string `json:"bucket"`
		Secure    bool   `json:"secure"`
	} `json:"minio"`
	Org   kit.OrgLink `json:"org"`
	Media struct {
		MaxUploadMiB int64 `json:"max_upload_mib"`
	} `json:"media"`
}

// Validate checks the whole configuration right after loading.
func (c *fileConfig) Validate() error {
	var errs []error
	errs = append(errs, c.BaseConfig.Validate(), c.Org.Validate())
	if c.MinIO.Endpoint == "" || strings.Contains(c.MinIO.Endpoint, "/") {
		errs = append(errs, fmt.Errorf("minio.endpoint: want host:port, got %q", c.MinIO.Endpoint))
	}
	if c.MinIO.Bucket == "" {
		errs = append(errs, errors.New("minio.bucket: required"))
	}
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
	if fc.MinIO.AccessKey == "" || fc.MinIO.SecretKey == "" {
		return errors.New("set VANGUARD_MINIO_ACCESS_KEY and VANGUARD_MINIO_SECRET_KEY")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	store, err := minioblob.New(minioblob.Config{
		Endpoint: fc.MinIO.Endpoint, AccessKey: fc.MinIO.AccessKey, SecretKey: fc.MinIO.SecretKey,
		Bucket: fc.MinIO.Bucket, Secure: fc.MinIO.Secure,
	})
	if err != nil {
		return err
	}
	if err := store.EnsureBucket(ctx); err != nil {
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
