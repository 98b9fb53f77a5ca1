package workload

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// dbTime scans a timestamp from PostgreSQL (time.Time) or SQLite (time.Time, or the text ent
// wrote when the driver does not know the column's type); NULL leaves it zero.
type dbTime struct{ time.Time }

var sqliteLayouts = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02T15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999Z07:00",
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04:05",
}

func (t *dbTime) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		t.Time = time.Time{}
		return nil
	case time.Time:
		t.Time = x
		return nil
	case string:
		return t.parse(x)
	case []byte:
		return t.parse(string(x))
	}
	return fmt.Errorf("workload: cannot scan %T as a time", v)
}

func (t *dbTime) parse(s string) error {
	for _, l := range sqliteLayouts {
		if v, err := time.Parse(l, s); err == nil {
			t.Time = v
			return nil
		}
	}
	return fmt.Errorf("workload: unreadable time %q", s)
}

// queryRows runs q and calls scan for each row.
func queryRows(ctx context.Context, db *sql.DB, q string, args []any, scan func(*sql.Rows) error) error {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// attemptRow is an attempt as quiz stores it.
type attemptRow struct {
	id, member int64
	status     string
	scored     bool
	score      float64
	submitted  dbTime
	graded     dbTime
}

// examAttempts reads every attempt of an exam.
func examAttempts(ctx context.Context, db *sql.DB, exam int64) (map[int64]*attemptRow, error) {
	out := map[int64]*attemptRow{}
	err := queryRows(ctx, db, `SELECT id, user_id, status, score, submitted_at, graded_at FROM attempts WHERE exam_id = $1`, []any{exam},
		func(r *sql.Rows) error {
			a := &attemptRow{}
			var score sql.NullFloat64
			if err := r.Scan(&a.id, &a.member, &a.status, &score, &a.submitted, &a.graded); err != nil {
				return err
			}
			a.scored, a.score = score.Valid, score.Float64
			out[a.id] = a
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("read attempts of exam %d: %w", exam, err)
	}
	return out, nil
}

// gradedCount counts an exam's graded attempts (the cheap poll while grading runs).
func gradedCount(ctx context.Context, db *sql.DB, exam int64) (int, error) {
	var n int
	err := db.QueryRowContext(ctx, `SELECT count(*) FROM attempts WHERE exam_id = $1 AND status = 'graded'`, exam).Scan(&n)
	return n, err
}
