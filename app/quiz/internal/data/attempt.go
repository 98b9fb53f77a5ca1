package data

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/vanguard/vanguard/app/quiz/internal/biz"
	"github.com/vanguard/vanguard/app/quiz/internal/data/ent"
	"github.com/vanguard/vanguard/app/quiz/internal/data/ent/answer"
	"github.com/vanguard/vanguard/app/quiz/internal/data/ent/attempt"
	"github.com/vanguard/vanguard/app/quiz/internal/data/ent/predicate"
	"github.com/vanguard/vanguard/pkg/dbx"
)

type attemptRepo struct {
	data  *Data
	snaps *snapshotCache
}

var _ biz.AttemptRepo = (*attemptRepo)(nil)

// NewAttemptRepo returns the ent-backed attempt repository.
func NewAttemptRepo(d *Data) biz.AttemptRepo {
	return &attemptRepo{data: d, snaps: newSnapshotCache(snapshotCacheSize)}
}

// attemptToBiz converts a row; Answers stays nil (only GetAttempt loads them).
func attemptToBiz(a *ent.Attempt) *biz.Attempt {
	return &biz.Attempt{
		ID: a.ID, ExamID: a.ExamID, UserID: a.UserID, UserOrgPath: a.UserOrgPath, Number: a.Number,
		Status: string(a.Status), StartedAt: a.StartedAt, Deadline: a.Deadline, SubmittedAt: a.SubmittedAt,
		Questions: a.Questions, Scores: a.Scores, Score: a.Score, MaxScore: a.MaxScore,
		FocusLosses: a.FocusLosses, GradedAt: a.GradedAt, Notice: a.Notice,
	}
}

func attemptsToBiz(rows []*ent.Attempt) []*biz.Attempt {
	out := make([]*biz.Attempt, len(rows))
	for i, a := range rows {
		out[i] = attemptToBiz(a)
	}
	return out
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func (r *attemptRepo) CreateAttempt(ctx context.Context, a *biz.Attempt) (*biz.Attempt, error) {
	status := a.Status
	if status == "" {
		status = biz.AttemptInProgress
	}
	hash, err := snapshotHash(a.Questions)
	if err != nil {
		return nil, err
	}
	row, err := r.data.client(ctx).Attempt.Create().SetExamID(a.ExamID).SetUserID(a.UserID).
		SetUserOrgPath(a.UserOrgPath).SetNumber(a.Number).SetStatus(attempt.Status(status)).
		SetStartedAt(a.StartedAt.UTC()).SetDeadline(a.Deadline.UTC()).SetNillableSubmittedAt(utcPtr(a.SubmittedAt)).
		SetQuestions(a.Questions).SetQuestionsHash(hash).SetGradingKeys(biz.GradingKeys(a.Questions)).SetScores(a.Scores).SetNillableScore(a.Score).SetMaxScore(a.MaxScore).
		SetFocusLosses(a.FocusLosses).SetNillableGradedAt(utcPtr(a.GradedAt)).SetNotice(a.Notice).Save(ctx)
	if err != nil {
		return nil, mapErr("attemptRepo.CreateAttempt", err, nil)
	}
	out := attemptToBiz(row)
	out.Answers = map[int]biz.Answer{}
	return out, nil
}

func (r *attemptRepo) GetAttempt(ctx context.Context, id int64) (*biz.Attempt, error) {
	return r.getAttempt(ctx, "attemptRepo.GetAttempt", r.data.client(ctx).Attempt.Query().Where(attempt.ID(id)))
}

// getAttempt loads the one attempt q finds, with its snapshot and answers.
func (r *attemptRepo) getAttempt(ctx context.Context, op string, q *ent.AttemptQuery) (*biz.Attempt, error) {
	as, err := r.loadAttempts(ctx, q)
	if err != nil {
		return nil, mapErr(op, err, nil)
	}
	if len(as) == 0 {
		return nil, biz.ErrNotFound
	}
	return r.withAnswers(ctx, as[0])
}

// GetAttemptLocked reads the attempt row FOR UPDATE (PostgreSQL; SQLite serialises writers).
func (r *attemptRepo) GetAttemptLocked(ctx context.Context, id int64) (*biz.Attempt, error) {
	c := r.data.client(ctx)
	q := c.Attempt.Query().Where(attempt.ID(id))
	if r.data.Dialect() != "sqlite3" {
		q = q.ForUpdate()
	}
	return r.getAttempt(ctx, "attemptRepo.GetAttemptLocked", q)
}

// withAnswers loads out's answers.
func (r *attemptRepo) withAnswers(ctx context.Context, out *biz.Attempt) (*biz.Attempt, error) {
	answers, err := r.data.client(ctx).Answer.Query().Where(answer.AttemptID(out.ID)).All(ctx)
	if err != nil {
		return nil, mapErr("attemptRepo: answers", err, nil)
	}
	out.Answers = make(map[int]biz.Answer, len(answers))
	for _, an := range answers {
		out.Answers[an.QuestionNo] = biz.Answer{Choices: an.Choices, Text: an.Text, Version: an.Version}
	}
	return out, nil
}

// ExamStamp is "<count>:<latest changed_at>" of the exam's attempts: one aggregate over the
// exam_id index (the latest change as the database prints it, so no driver time parsing).
func (r *attemptRepo) ExamStamp(ctx context.Context, examID int64) (string, error) {
	rows, err := r.data.client(ctx).QueryContext(ctx,
		`SELECT count(*), COALESCE(CAST(max("changed_at") AS TEXT), '') FROM "attempts" WHERE "exam_id" = $1`, examID)
	if err != nil {
		return "", mapErr("attemptRepo.ExamStamp", err, nil)
	}
	defer rows.Close()
	var (
		n      int64
		latest string
	)
	if rows.Next() {
		if err := rows.Scan(&n, &latest); err != nil {
			return "", fmt.Errorf("attemptRepo.ExamStamp: %w", err)
		}
	}
	return fmt.Sprintf("%d:%s", n, latest), mapErr("attemptRepo.ExamStamp", rows.Err(), nil)
}

// ExamAnswers reads the answers of an exam's attempts with one join.
func (r *attemptRepo) ExamAnswers(ctx context.Context, examID int64) (map[int64]map[int]biz.Answer, error) {
	rows, err := r.data.client(ctx).Answer.Query().Where(predicate.Answer(func(s *entsql.Selector) {
		t := entsql.Table(attempt.Table)
		s.Where(entsql.In(s.C(answer.FieldAttemptID), entsql.Select(t.C(attempt.FieldID)).From(t).Where(entsql.EQ(t.C(attempt.FieldExamID), examID))))
	})).All(ctx)
	if err != nil {
		return nil, mapErr("attemptRepo.ExamAnswers", err, nil)
	}
	out := map[int64]map[int]biz.Answer{}
	for _, an := range rows {
		m := out[an.AttemptID]
		if m == nil {
			m = map[int]biz.Answer{}
			out[an.AttemptID] = m
		}
		m[an.QuestionNo] = biz.Answer{Choices: an.Choices, Text: an.Text, Version: an.Version}
	}
	return out, nil
}

// PageAttempts reads a page of summaries by primary key (the exam_id index narrows it).
func (r *attemptRepo) PageAttempts(ctx context.Context, examID, afterID int64, limit int) ([]*biz.Attempt, error) {
	rows, err := r.data.client(ctx).Attempt.Query().
		Where(attempt.ExamID(examID), attempt.IDGT(afterID)).
		Order(ent.Asc(attempt.FieldID)).Limit(limit).Select(attemptColumns...).All(ctx)
	if err != nil {
		return nil, mapErr("attemptRepo.PageAttempts", err, nil)
	}
	return attemptsToBiz(rows), nil
}

func (r *attemptRepo) CountByStatus(ctx context.Context, examIDs []int64) (map[int64]biz.StatusCounts, error) {
	out := map[int64]biz.StatusCounts{}
	if len(examIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		ExamID int64  `json:"exam_id"`
		Status string `json:"status"`
		Count  int    `json:"count"`
	}
	err := r.data.client(ctx).Attempt.Query().Where(attempt.ExamIDIn(examIDs...)).
		GroupBy(attempt.FieldExamID, attempt.FieldStatus).Aggregate(ent.Count()).Scan(ctx, &rows)
	if err != nil {
		return nil, mapErr("attemptRepo.CountByStatus", err, nil)
	}
	for _, row := range rows {
		c := out[row.ExamID]
		switch row.Status {
		case biz.AttemptInProgress:
			c.InProgress += row.Count
		case biz.AttemptSubmitted:
			c.Submitted += row.Count
		case biz.AttemptGraded:
			c.Graded += row.Count
		}
		out[row.ExamID] = c
	}
	return out, nil
}

// PendingReview filters in the database on the scores JSON: jsonb containment on PostgreSQL,
// json_each on SQLite.
func (r *attemptRepo) PendingReview(ctx context.Context, examIDs []int64, limit int) ([]*biz.Attempt, error) {
	pending := predicate.Attempt(func(s *entsql.Selector) {
		if r.data.Dialect() == "sqlite3" {
			s.Where(entsql.P(func(b *entsql.Builder) {
				b.WriteString("EXISTS (SELECT 1 FROM json_each(").Ident(s.C(attempt.FieldScores)).
					WriteString(") WHERE json_extract(value, '$.pending_review') = 1)")
			}))
			return
		}
		s.Where(entsql.P(func(b *entsql.Builder) {
			b.Ident(s.C(attempt.FieldScores)).WriteString(` @> '[{"pending_review": true}]'::jsonb`)
		}))
	})
	rows, err := r.data.client(ctx).Attempt.Query().
		Where(attempt.ExamIDIn(examIDs...), attempt.StatusEQ(attempt.StatusGraded), pending).
		Order(ent.Asc(attempt.FieldSubmittedAt), ent.Asc(attempt.FieldID)).Limit(limit).Select(attemptColumns...).All(ctx)
	if err != nil {
		return nil, mapErr("attemptRepo.PendingReview", err, nil)
	}
	return attemptsToBiz(rows), nil
}

func (r *attemptRepo) ListAttempts(ctx context.Context, examID, userID int64) ([]*biz.Attempt, error) {
	q := r.data.client(ctx).Attempt.Query().Where(attempt.ExamID(examID))
	if userID > 0 {
		q = q.Where(attempt.UserID(userID))
	}
	out, err := r.loadAttempts(ctx, q.Order(ent.Asc(attempt.FieldUserID), ent.Asc(attempt.FieldNumber)))
	if err != nil {
		return nil, mapErr("attemptRepo.ListAttempts", err, nil)
	}
	return out, nil
}

// AttemptsOfUser reads summaries, as PageAttempts does: no snapshot is read, decoded or put in
// the snapshot cache (a nightly growth compile would otherwise fill it with every member's).
func (r *attemptRepo) AttemptsOfUser(ctx context.Context, userID int64) ([]*biz.Attempt, error) {
	rows, err := r.data.client(ctx).Attempt.Query().Where(attempt.UserID(userID)).
		Order(ent.Asc(attempt.FieldExamID), ent.Asc(attempt.FieldNumber)).Select(attemptColumns...).All(ctx)
	if err != nil {
		return nil, mapErr("attemptRepo.AttemptsOfUser", err, nil)
	}
	return attemptsToBiz(rows), nil
}

// SaveAnswer is one statement, atomic on both databases:
//
//	INSERT INTO answers (...) VALUES (...)
//	ON CONFLICT (attempt_id, question_no) DO UPDATE SET choices = excluded.choices, ...
//	WHERE answers.version < excluded.version
//	RETURNING version
//
// A row comes back when this save inserted or won; otherwise the stored (newer or equal) version
// is read back.
func (r *attemptRepo) SaveAnswer(ctx context.Context, attemptID int64, no int, a biz.Answer) (int64, bool, error) {
	choices, err := json.Marshal(a.Choices)
	if err != nil {
		return 0, false, fmt.Errorf("attemptRepo.SaveAnswer: %w", err)
	}
	query, args, err := entsql.Dialect(r.data.Dialect()).Insert(answer.Table).
		Columns(answer.FieldAttemptID, answer.FieldQuestionNo, answer.FieldChoices, answer.FieldText,
			answer.FieldVersion, answer.FieldUpdatedAt).
		Values(attemptID, no, json.RawMessage(choices), a.Text, a.Version, time.Now().UTC()).
		OnConflict(
			entsql.ConflictColumns(answer.FieldAttemptID, answer.FieldQuestionNo),
			entsql.ResolveWith(func(u *entsql.UpdateSet) {
				for _, col := range []string{answer.FieldChoices, answer.FieldText, answer.FieldVersion, answer.FieldUpdatedAt} {
					u.SetExcluded(col)
				}
			}),
			entsql.UpdateWhere(entsql.P(func(b *entsql.Builder) {
				// The predicate's identifiers are qualified with the table ("answers"."version").
				b.Ident(answer.FieldVersion).WriteOp(entsql.OpLT).
					WriteString(b.Quote("excluded")).WriteByte('.').WriteString(b.Quote(answer.FieldVersion))
			})),
		).
		Returning(answer.FieldVersion).QueryErr()
	if err != nil {
		return 0, false, fmt.Errorf("attemptRepo.SaveAnswer: build: %w", err)
	}
	c := r.data.client(ctx)
	rows, err := c.QueryContext(ctx, query, args...)
	if err != nil {
		return 0, false, mapErr("attemptRepo.SaveAnswer", err, nil)
	}
	var (
		stored int64
		won    bool
	)
	if rows.Next() {
		if err := rows.Scan(&stored); err != nil {
			rows.Close()
			return 0, false, fmt.Errorf("attemptRepo.SaveAnswer: scan: %w", err)
		}
		won = true
	}
	if err := rows.Close(); err != nil {
		return 0, false, fmt.Errorf("attemptRepo.SaveAnswer: %w", err)
	}
	if err := rows.Err(); err != nil {
		return 0, false, mapErr("attemptRepo.SaveAnswer", err, nil)
	}
	if won {
		return stored, true, nil
	}
	row, err := c.Answer.Query().Where(answer.AttemptID(attemptID), answer.QuestionNo(no)).Only(ctx)
	if err != nil {
		return 0, false, mapErr("attemptRepo.SaveAnswer: reload", err, nil)
	}
	return row.Version, false, nil
}

// saveOpenPostgres is SaveOpenAnswer in one statement on PostgreSQL: the attempt row is read
// FOR SHARE (a concurrent Finish, an UPDATE, waits for this save, or this save waits and then
// finds the attempt closed), the upsert happens only if that row qualifies, and the previous
// version is read from the statement's snapshot for a stale save's answer.
const saveOpenPostgres = `WITH a AS (
  SELECT "deadline" FROM "attempts"
  WHERE "id" = $1::bigint AND "user_id" = $2::bigint AND "status" = 'in_progress' AND "deadline" >= $3::timestamptz
  FOR SHARE
), ins AS (
  INSERT INTO "answers" ("attempt_id", "question_no", "choices", "text", "version", "updated_at")
  SELECT $1::bigint, $4::bigint, $5::jsonb, $6::text, $7::bigint, $8::timestamptz FROM a
  ON CONFLICT ("attempt_id", "question_no") DO UPDATE SET "choices" = excluded."choices", "text" = excluded."text",
    "version" = excluded."version", "updated_at" = excluded."updated_at"
  WHERE "answers"."version" < excluded."version"
  RETURNING "version"
)
SELECT a."deadline", (SELECT "version" FROM ins), (SELECT "version" FROM "answers" WHERE "attempt_id" = $1::bigint AND "question_no" = $4::bigint)
FROM a`

// SaveOpenAnswer checks and saves in one statement on PostgreSQL; on SQLite (one writer, so
// nothing commits in between) a read of the attempt and the upsert in one transaction.
func (r *attemptRepo) SaveOpenAnswer(ctx context.Context, attemptID, userID int64, no int, a biz.Answer, at time.Time) (biz.SaveResult, error) {
	if r.data.Dialect() == "sqlite3" {
		var res biz.SaveResult
		err := r.data.InTx(ctx, func(ctx context.Context) error {
			row, err := r.data.client(ctx).Attempt.Query().
				Where(attempt.ID(attemptID), attempt.UserID(userID), attempt.StatusEQ(attempt.StatusInProgress), attempt.DeadlineGTE(at.UTC())).
				Select(attempt.FieldDeadline).Only(ctx)
			if ent.IsNotFound(err) {
				return nil
			}
			if err != nil {
				return mapErr("attemptRepo.SaveOpenAnswer", err, nil)
			}
			res.Open, res.Deadline = true, row.Deadline
			res.Stored, res.Won, err = r.SaveAnswer(ctx, attemptID, no, a)
			return err
		})
		return res, err
	}
	choices, err := json.Marshal(a.Choices)
	if err != nil {
		return biz.SaveResult{}, fmt.Errorf("attemptRepo.SaveOpenAnswer: %w", err)
	}
	rows, err := r.data.client(ctx).QueryContext(ctx, saveOpenPostgres,
		attemptID, userID, at.UTC(), no, string(choices), a.Text, a.Version, time.Now().UTC())
	if err != nil {
		return biz.SaveResult{}, mapErr("attemptRepo.SaveOpenAnswer", err, nil)
	}
	defer rows.Close()
	var res biz.SaveResult
	if rows.Next() {
		var inserted, previous sql.NullInt64
		if err := rows.Scan(&res.Deadline, &inserted, &previous); err != nil {
			return biz.SaveResult{}, fmt.Errorf("attemptRepo.SaveOpenAnswer: scan: %w", err)
		}
		res.Open, res.Won = true, inserted.Valid
		res.Stored = previous.Int64
		if inserted.Valid {
			res.Stored = inserted.Int64
		}
	}
	if err := rows.Close(); err != nil {
		return biz.SaveResult{}, mapErr("attemptRepo.SaveOpenAnswer", err, nil)
	}
	return res, mapErr("attemptRepo.SaveOpenAnswer", rows.Err(), nil)
}

// Lock takes the row lock with a no-op UPDATE (SQLite serialises writers on its one connection).
func (r *attemptRepo) Lock(ctx context.Context, id int64) error {
	n, err := r.data.client(ctx).Attempt.Update().Where(attempt.ID(id)).AddFocusLosses(0).Save(ctx)
	if err != nil {
		return mapErr("attemptRepo.Lock", err, nil)
	}
	if n != 1 {
		return fmt.Errorf("attemptRepo.Lock: attempt %d: %w", id, biz.ErrNotFound)
	}
	return nil
}

// SetDeadline changes an attempt's deadline.
func (r *attemptRepo) SetDeadline(ctx context.Context, id int64, deadline time.Time) error {
	err := r.data.client(ctx).Attempt.UpdateOneID(id).SetDeadline(deadline.UTC()).Exec(ctx)
	return mapErr("attemptRepo.SetDeadline", err, biz.ErrNotFound)
}

// UpdateQuestions replaces an attempt's snapshot.
func (r *attemptRepo) UpdateQuestions(ctx context.Context, id int64, qs []biz.SnapQuestion) error {
	hash, err := snapshotHash(qs)
	if err != nil {
		return err
	}
	err = r.data.client(ctx).Attempt.UpdateOneID(id).SetQuestions(qs).SetQuestionsHash(hash).SetGradingKeys(biz.GradingKeys(qs)).Exec(ctx)
	return mapErr("attemptRepo.UpdateQuestions", err, biz.ErrNotFound)
}

// Finish is a conditional UPDATE ... WHERE id = ? AND status = fromStatus.
func (r *attemptRepo) Finish(ctx context.Context, a *biz.Attempt, fromStatus string) error {
	u := r.data.client(ctx).Attempt.Update().
		Where(attempt.ID(a.ID), attempt.StatusEQ(attempt.Status(fromStatus))).
		SetStatus(attempt.Status(a.Status)).SetScores(a.Scores).SetNotice(a.Notice)
	if a.SubmittedAt != nil {
		u.SetSubmittedAt(a.SubmittedAt.UTC())
	} else {
		u.ClearSubmittedAt()
	}
	if a.Score != nil {
		u.SetScore(*a.Score)
	} else {
		u.ClearScore()
	}
	if a.GradedAt != nil {
		u.SetGradedAt(a.GradedAt.UTC())
	} else {
		u.ClearGradedAt()
	}
	n, err := u.Save(ctx)
	if err != nil {
		return mapErr("attemptRepo.Finish", err, nil)
	}
	if n != 1 {
		return fmt.Errorf("attemptRepo.Finish: attempt %d is not %s: %w", a.ID, fromStatus, biz.ErrConflict)
	}
	return nil
}

func (r *attemptRepo) AddFocusLoss(ctx context.Context, id int64) error {
	n, err := r.data.client(ctx).Attempt.Update().Where(attempt.ID(id)).AddFocusLosses(1).Save(ctx)
	if err != nil {
		return mapErr("attemptRepo.AddFocusLoss", err, nil)
	}
	if n == 0 {
		return biz.ErrNotFound
	}
	return nil
}

func (r *attemptRepo) Overdue(ctx context.Context, t time.Time, limit int) ([]*biz.Attempt, error) {
	q := r.data.client(ctx).Attempt.Query().
		Where(attempt.StatusEQ(attempt.StatusInProgress), attempt.DeadlineLT(t.UTC())).
		Order(ent.Asc(attempt.FieldDeadline), ent.Asc(attempt.FieldID))
	if limit > 0 {
		q = q.Limit(limit)
	}
	// The pass finalises them by id: no snapshot is read.
	rows, err := q.Select(attemptColumns...).All(ctx)
	if err != nil {
		return nil, mapErr("attemptRepo.Overdue", err, nil)
	}
	return attemptsToBiz(rows), nil
}

// OpenDeadlines pages over in-progress attempts by primary key.
func (r *attemptRepo) OpenDeadlines(ctx context.Context, afterID int64, limit int) ([]biz.AttemptDeadline, error) {
	rows, err := r.data.client(ctx).Attempt.Query().
		Where(attempt.StatusEQ(attempt.StatusInProgress), attempt.IDGT(afterID)).
		Order(ent.Asc(attempt.FieldID)).Limit(limit).
		Select(attempt.FieldID, attempt.FieldDeadline).All(ctx)
	if err != nil {
		return nil, mapErr("attemptRepo.OpenDeadlines", err, nil)
	}
	out := make([]biz.AttemptDeadline, len(rows))
	for i, a := range rows {
		out[i] = biz.AttemptDeadline{ID: a.ID, Deadline: a.Deadline}
	}
	return out, nil
}

// ClaimSubmitted locks ids first (SELECT id … FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite's
// one connection serialises the graders): the attempt asked for, then the oldest others along
// the (status, id) index, so a claim reads twenty index entries, not every submitted attempt
// with its columns sorted. Then one read of the claimed rows (keys, not snapshots) and one of
// their answers.
func (r *attemptRepo) ClaimSubmitted(ctx context.Context, id int64, limit int) ([]*biz.Attempt, error) {
	c := r.data.client(ctx)
	lock := func(q *ent.AttemptQuery) *ent.AttemptQuery {
		if r.data.Dialect() == "sqlite3" {
			return q
		}
		return q.ForUpdate(entsql.WithLockAction(entsql.SkipLocked))
	}
	ids, err := lock(c.Attempt.Query().Where(attempt.ID(id), attempt.StatusEQ(attempt.StatusSubmitted))).IDs(ctx)
	if err != nil {
		return nil, mapErr("attemptRepo.ClaimSubmitted", err, nil)
	}
	if n := limit - len(ids); n > 0 {
		more, err := lock(c.Attempt.Query().Where(attempt.StatusEQ(attempt.StatusSubmitted), attempt.IDNEQ(id)).
			Order(ent.Asc(attempt.FieldID)).Limit(n)).IDs(ctx)
		if err != nil {
			return nil, mapErr("attemptRepo.ClaimSubmitted", err, nil)
		}
		ids = append(ids, more...)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	out, err := r.loadKeys(ctx, c.Attempt.Query().Where(attempt.IDIn(ids...)))
	if err != nil {
		return nil, mapErr("attemptRepo.ClaimSubmitted", err, nil)
	}
	slices.SortFunc(out, func(a, b *biz.Attempt) int { // the one asked for first, then by id
		return cmp.Or(cmp.Compare(b2i(a.ID != id), b2i(b.ID != id)), cmp.Compare(a.ID, b.ID))
	})
	if len(out) == 0 {
		return out, nil
	}
	for _, a := range out {
		a.Answers = map[int]biz.Answer{}
	}
	answers, err := c.Answer.Query().Where(answer.AttemptIDIn(ids...)).All(ctx)
	if err != nil {
		return nil, mapErr("attemptRepo.ClaimSubmitted: answers", err, nil)
	}
	byID := make(map[int64]*biz.Attempt, len(out))
	for _, a := range out {
		byID[a.ID] = a
	}
	for _, an := range answers {
		byID[an.AttemptID].Answers[an.QuestionNo] = biz.Answer{Choices: an.Choices, Text: an.Text, Version: an.Version}
	}
	return out, nil
}

// Status reads one column.
func (r *attemptRepo) Status(ctx context.Context, id int64) (string, error) {
	st, err := r.data.client(ctx).Attempt.Query().Where(attempt.ID(id)).Select(attempt.FieldStatus).String(ctx)
	if err != nil {
		return "", mapErr("attemptRepo.Status", err, biz.ErrNotFound)
	}
	return st, nil
}

func (r *attemptRepo) Submitted(ctx context.Context, limit int) ([]int64, error) {
	q := r.data.client(ctx).Attempt.Query().Where(attempt.StatusEQ(attempt.StatusSubmitted)).Order(ent.Asc(attempt.FieldID))
	if limit > 0 {
		q = q.Limit(limit)
	}
	ids, err := q.IDs(ctx)
	if err != nil {
		return nil, mapErr("attemptRepo.Submitted", err, nil)
	}
	return ids, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// FinishGraded is one UPDATE … FROM (VALUES …) … RETURNING id for the whole batch, conditional
// on each row still being submitted.
func (r *attemptRepo) FinishGraded(ctx context.Context, as []*biz.Attempt) (map[int64]bool, error) {
	done := make(map[int64]bool, len(as))
	if len(as) == 0 {
		return done, nil
	}
	pg := r.data.Dialect() != "sqlite3"
	args := make([]any, 0, 4*len(as)+1)
	args = append(args, attempt.UpdateDefaultChangedAt())
	var q strings.Builder
	if pg {
		q.WriteString(`UPDATE "attempts" AS a SET "status" = 'graded', "scores" = v.column2::jsonb, "score" = v.column3,
  "graded_at" = v.column4, "changed_at" = ?::timestamptz FROM (VALUES `)
	} else {
		q.WriteString(`UPDATE "attempts" SET "status" = 'graded', "scores" = v.column2, "score" = v.column3,
  "graded_at" = v.column4, "changed_at" = ? FROM (VALUES `)
	}
	for i, a := range as {
		if a.Status != biz.AttemptGraded || a.GradedAt == nil {
			return nil, fmt.Errorf("attemptRepo.FinishGraded: attempt %d is not graded", a.ID)
		}
		scores, err := json.Marshal(a.Scores)
		if err != nil {
			return nil, fmt.Errorf("attemptRepo.FinishGraded: %w", err)
		}
		if i > 0 {
			q.WriteString(", ")
		}
		var score any
		if a.Score != nil {
			score = *a.Score
		}
		if pg {
			q.WriteString("(?::bigint, ?::text, ?::double precision, ?::timestamptz)")
			args = append(args, a.ID, string(scores), score, a.GradedAt.UTC())
		} else {
			q.WriteString("(?, ?, ?, ?)") // JSON as ent writes it
			args = append(args, a.ID, scores, score, a.GradedAt.UTC())
		}
	}
	if pg {
		q.WriteString(`) AS v WHERE a."id" = v.column1 AND a."status" = 'submitted' RETURNING a."id"`)
	} else {
		q.WriteString(`) AS v WHERE "attempts"."id" = v.column1 AND "attempts"."status" = 'submitted' RETURNING "attempts"."id"`)
	}
	rows, err := r.data.client(ctx).QueryContext(ctx, dbx.Rebind(r.data.Dialect(), q.String()), args...)
	if err != nil {
		return nil, mapErr("attemptRepo.FinishGraded", err, nil)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("attemptRepo.FinishGraded: scan: %w", err)
		}
		done[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, mapErr("attemptRepo.FinishGraded", err, nil)
	}
	return done, nil
}
