package apierr_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/vanguard/vanguard/pkg/testdb"
)

// Errors of a database that does not answer — nothing listening, a session the server ends as
// it shuts down, the dead connection after it — are 503 UNAVAILABLE with Retry-After, not 500;
// a query the database answers with an error stays a 500. All errors here come from a real
// PostgreSQL and a real closed port.
func TestUnreachableDatabaseIs503(t *testing.T) {
	ctx := context.Background()
	closed, _ := sql.Open("pgx", "postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	defer closed.Close()
	refused := closed.PingContext(ctx)

	db, err := sql.Open("pgx", testdb.Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// The server ends this session as a shutdown does (SQLSTATE 57P01), then the connection is dead.
	_, terminated := conn.ExecContext(ctx, "SELECT pg_terminate_backend(pg_backend_pid())")
	_, dead := conn.ExecContext(ctx, "SELECT 1")
	_, missing := db.ExecContext(ctx, "SELECT * FROM no_such_table")

	for name, c := range map[string]struct {
		err  error
		code int32
	}{
		"nothing listening": {refused, 503}, "session terminated": {terminated, 503}, "dead connection": {dead, 503},
		"a query error": {missing, 500},
	} {
		if c.err == nil {
			t.Fatalf("%s: no error", name)
		}
		ke, _ := translator.Translate(c.err).(*kerrors.Error)
		if ke == nil || ke.Code != c.code || !errors.Is(ke, c.err) {
			t.Errorf("%s (%v): got %v, want %d with the cause kept", name, c.err, ke, c.code)
			continue
		}
		if c.code == 503 && (ke.Reason != "UNAVAILABLE" || ke.Metadata["retry_after"] != "1") {
			t.Errorf("%s: %s %v, want UNAVAILABLE with retry_after 1", name, ke.Reason, ke.Metadata)
		}
	}
}
