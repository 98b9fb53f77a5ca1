// Command search runs the search service alone (distributed mode): PostgreSQL for what the index
// should hold and what is pending, Redis for the events it subscribes to and its syncs, the
// index in Meilisearch (or in Bleve on this replica's disk, for a single replica), and the course
// and quiz services' feeds over gRPC.
//
//	search serve   -conf app/search/configs/config.yaml [-role all|api|worker]
//	search migrate -conf app/search/configs/config.yaml
//	search reindex -conf app/search/configs/config.yaml
//
// The api role answers queries; the worker role applies the events, runs the syncs and the
// reindex (POST /v1/search/reindex as an admin, `search reindex`, or by itself on the first
// start). `search reindex` asks the running workers for a rebuild and waits until its
// generation is live; queries keep being answered meanwhile.
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
	"github.com/vanguard/vanguard/app/search"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/kit"
	"github.com/vanguard/vanguard/pkg/queue"
)

type endpoint struct {
	GRPCEndpoint string `json:"grpc_endpoint"`
}

type fileConfig struct {
	// BaseConfig holds the sections every service shares: server, database, redis.
	kit.BaseConfig
	Org    kit.OrgLink `json:"org"`
	Course endpoint    `json:"course"`
	Quiz   endpoint    `json:"quiz"`
	Index  struct {
		Dir string `json:"dir"`
	} `json:"index"`
	Meilisearch struct {
		URL    string `json:"url"`
		APIKey string `json:"api_key"`
		Index  string `json:"index"`
	} `json:"meilisearch"`
}

// Validate checks the whole configuration right after loading.
func (c *fileConfig) Validate() error {
	errs := []error{c.BaseConfig.Validate(), c.Org.Validate()}
	for name, e := range map[string]endpoint{"course": c.Course, "quiz": c.Quiz} {
		if e.GRPCEndpoint == "" {
			errs = append(errs, fmt.Errorf("%s.grpc_endpoint: required (host:port)", name))
		}
	}
	if c.Index.Dir == "" && c.Meilisearch.URL == "" {
		errs = append(errs, errors.New("index.dir: required without meilisearch.url (the directory of the index's generations)"))
	}
	return errors.Join(errs...)
}

func main() { kit.Main("search", run) }

func run(args []string) error {
	cmd, err := kit.ParseCommand("search", "app/search/configs/config.yaml", args, "reindex")
	if err != nil {
		return err
	}
	logger := kit.NewLogger("search")
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
	conns := map[string]grpc.ClientConnInterface{"course": orgConn, "quiz": orgConn}
	if cmd.Name != "migrate" {
		if fc.Org.ServiceSecret == "" {
			return errors.New("org.service_secret: required, search reads course's and quiz's feeds as itself")
		}
		tokens := kit.ServiceTokens(orgv1.NewAuthClient(orgConn), search.Name, fc.Org.ServiceSecret)
		for name, ep := range map[string]string{"course": fc.Course.GRPCEndpoint, "quiz": fc.Quiz.GRPCEndpoint} {
			conn, err := kit.DialAsService(ctx, ep, tokens)
			if err != nil {
				return err
			}
			defer conn.Close()
			conns[name] = conn
		}
	}
	m, err := search.New(search.Config{DatabaseDriver: fc.Database.Driver, DatabaseDSN: fc.Database.DSN, Tasks: tasks, IndexDir: fc.Index.Dir,
		MeiliURL: fc.Meilisearch.URL, MeiliKey: fc.Meilisearch.APIKey, MeiliIndex: fc.Meilisearch.Index,
		CourseFeed: coursev1.NewSearchFeedClient(conns["course"]), QuizFeed: quizv1.NewSearchFeedClient(conns["quiz"]),
		CourseEvents: coursev1.NewEventsClient(conns["course"]), QuizEvents: quizv1.NewEventsClient(conns["quiz"])}, logger, clock.Real{})
	if err != nil {
		return err
	}
	defer m.Close()
	if cmd.Name == "migrate" {
		if err := m.Migrate(ctx); err != nil {
			return err
		}
		fmt.Println("search: schema is up to date")
		return nil
	}
	if cmd.Name == "reindex" {
		return reindex(m)
	}
	return kit.RunService(context.Background(), kit.ServiceSpec{
		Name: search.Name, Role: cmd.Role, Server: fc.Server, JWTPublicKeyFile: fc.Org.JWTPublicKeyFile, Redis: redisOpt,
	}, m, orgConn, logger)
}

// reindex asks the running search workers for a rebuild (in the database, and its task on
// Redis) and waits until a newer generation is live.
func reindex(m *search.Module) error {
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Hour)
	defer cancel()
	before, _, _, err := m.IndexState(ctx)
	if err != nil {
		return err
	}
	if err := m.RequestReindex(ctx); err != nil {
		return err
	}
	fmt.Printf("search: reindex requested (generation %d is live); the workers build the next one\n", before)
	for {
		gen, state, docs, err := m.IndexState(ctx)
		if err != nil {
			return err
		}
		if gen > before && state == "idle" {
			fmt.Printf("search: generation %d is live with %d documents\n", gen, docs)
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("search: the reindex did not finish: %w (state %s)", ctx.Err(), state)
		case <-time.After(2 * time.Second):
		}
	}
}
