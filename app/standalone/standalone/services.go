package standalone

import (
	"context"
	"path/filepath"

	"github.com/go-kratos/kratos/v2/log"
	"google.golang.org/grpc"

	coursev1 "github.com/vanguard/vanguard/api/course/v1"
	orgv1 "github.com/vanguard/vanguard/api/org/v1"
	quizv1 "github.com/vanguard/vanguard/api/quiz/v1"
	studyhourv1 "github.com/vanguard/vanguard/api/studyhour/v1"
	"github.com/vanguard/vanguard/app/course"
	"github.com/vanguard/vanguard/app/growth"
	"github.com/vanguard/vanguard/app/quiz"
	"github.com/vanguard/vanguard/app/search"
	"github.com/vanguard/vanguard/app/studyhour"
	"github.com/vanguard/vanguard/pkg/audit"
	"github.com/vanguard/vanguard/pkg/blob"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/htmlpdf"
	"github.com/vanguard/vanguard/pkg/kit"
	"github.com/vanguard/vanguard/pkg/outbox"
	"github.com/vanguard/vanguard/pkg/queue"
)

// Deps is what the standalone process gives each service module it builds after org.
type Deps struct {
	Config Config
	// Database returns the driver and DSN of the named service's own database.
	Database func(svc string) (driver, dsn string, err error)
	// Tasks enqueues on the process's Asynq (embedded or configured Redis).
	Tasks *queue.Client
	// OrgConn reaches org's gRPC API and forwards the caller's token.
	OrgConn *grpc.ClientConn
	// DialAsService reaches the process's gRPC API calling as the named service (service
	// credentials), for work done as the service itself, such as appending to org's audit log.
	// The process closes the connection.
	DialAsService func(ctx context.Context, name string) (*grpc.ClientConn, error)
	// Secret loads (or creates, on first start) a named key of the data dir's secrets.
	Secret func(name string) ([]byte, error)
	// Store is the local media store.
	Store  blob.Store
	Events outbox.Routes
	Clock  clock.Clock
	Logger log.Logger
}

// service is one entry of the list: a name (its data directory) and how to build its module.
type service struct {
	name  string
	build func(ctx context.Context, d Deps) (kit.Module, error)
}

// services are the modules the process runs beside org, in build order. Adding a service to the
// standalone process is one entry here.
var services = []service{
	{course.Name, newCourse},
	{quiz.Name, newQuiz},
	{studyhour.Name, newStudyhour},
	{growth.Name, newGrowth},
	{search.Name, newSearch},
}

func serviceNames() []string {
	names := make([]string, len(services))
	for i, s := range services {
		names[i] = s.name
	}
	return names
}

func newCourse(_ context.Context, d Deps) (kit.Module, error) {
	driver, dsn, err := d.Database(course.Name)
	if err != nil {
		return nil, err
	}
	return course.New(course.Config{
		DatabaseDriver: driver, DatabaseDSN: dsn, Store: d.Store, Tasks: d.Tasks,
		Orgs: orgv1.NewOrgsClient(d.OrgConn), Media: d.Config.Media, Events: d.Events,
	}, d.Logger, d.Clock)
}

func newQuiz(ctx context.Context, d Deps) (kit.Module, error) {
	driver, dsn, err := d.Database(quiz.Name)
	if err != nil {
		return nil, err
	}
	asQuiz, err := d.DialAsService(ctx, quiz.Name)
	if err != nil {
		return nil, err
	}
	return quiz.New(quiz.Config{
		DatabaseDriver: driver, DatabaseDSN: dsn, Tasks: d.Tasks,
		Orgs: orgv1.NewOrgsClient(d.OrgConn), Accounts: orgv1.NewAccountsClient(d.OrgConn), Events: d.Events,
		Audit: audit.NewClient(asQuiz), Directory: orgv1.NewDirectoryClient(asQuiz),
	}, d.Logger, d.Clock)
}

func newStudyhour(ctx context.Context, d Deps) (kit.Module, error) {
	driver, dsn, err := d.Database(studyhour.Name)
	if err != nil {
		return nil, err
	}
	asStudyhour, err := d.DialAsService(ctx, studyhour.Name)
	if err != nil {
		return nil, err
	}
	key, err := d.Secret("ledger.key")
	if err != nil {
		return nil, err
	}
	return studyhour.New(studyhour.Config{
		DatabaseDriver: driver, DatabaseDSN: dsn, Tasks: d.Tasks,
		Courses: coursev1.NewCoursesClient(d.OrgConn), Orgs: orgv1.NewOrgsClient(d.OrgConn), Accounts: orgv1.NewAccountsClient(d.OrgConn),
		QuizEvents: quizv1.NewEventsClient(asStudyhour), LedgerKey: key, Store: d.Store, Rules: d.Config.StudyRules, Events: d.Events,
	}, d.Logger, d.Clock)
}

func newGrowth(ctx context.Context, d Deps) (kit.Module, error) {
	driver, dsn, err := d.Database(growth.Name)
	if err != nil {
		return nil, err
	}
	asGrowth, err := d.DialAsService(ctx, growth.Name)
	if err != nil {
		return nil, err
	}
	cfg := growth.Config{
		DatabaseDriver: driver, DatabaseDSN: dsn, Tasks: d.Tasks, Orgs: orgv1.NewOrgsClient(d.OrgConn),
		OrgDossiers: orgv1.NewDossiersClient(asGrowth), StudyhourDossiers: studyhourv1.NewDossiersClient(asGrowth),
		QuizDossiers: quizv1.NewDossiersClient(asGrowth), CourseDossiers: coursev1.NewDossiersClient(asGrowth),
		OrgEvents: orgv1.NewEventsClient(asGrowth), StudyhourEvents: studyhourv1.NewEventsClient(asGrowth),
		QuizEvents: quizv1.NewEventsClient(asGrowth), Audit: audit.NewClient(asGrowth), Debounce: d.Config.GrowthDebounce,
	}
	if p := htmlpdf.New(htmlpdf.Find(), 2); p != nil {
		cfg.PDF = p.Print
	}
	return growth.New(cfg, d.Logger, d.Clock)
}

func newSearch(ctx context.Context, d Deps) (kit.Module, error) {
	driver, dsn, err := d.Database(search.Name)
	if err != nil {
		return nil, err
	}
	asSearch, err := d.DialAsService(ctx, search.Name)
	if err != nil {
		return nil, err
	}
	return search.New(search.Config{
		DatabaseDriver: driver, DatabaseDSN: dsn, Tasks: d.Tasks, IndexDir: filepath.Join(d.Config.DataDir, search.Name, "index"),
		CourseFeed: coursev1.NewSearchFeedClient(asSearch), QuizFeed: quizv1.NewSearchFeedClient(asSearch),
		CourseEvents: coursev1.NewEventsClient(asSearch), QuizEvents: quizv1.NewEventsClient(asSearch),
	}, d.Logger, d.Clock)
}

// moduleOf returns the module of type T in ms (nil if there is none), for typed access in tests
// and tools.
func moduleOf[T kit.Module](ms kit.Modules) T {
	for _, m := range ms {
		if t, ok := m.(T); ok {
			return t
		}
	}
	var zero T
	return zero
}
