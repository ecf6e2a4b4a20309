package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// TailExchange is an exchange found by ExchangesAfter, with its row ID
// (the cursor for the next call). Bodies are left out: Parsed holds the
// modifications a summary shows. Only a row recorded before schema
// version 8 (Parsed nil) carries its response body, to be parsed.
type TailExchange struct {
	RowID int64
	Exchange
}

// ExchangesAfter returns at most limit exchanges whose row ID is above
// afterRow, oldest first, without their request bodies. Rows are numbered
// in the order they were committed, by this process or another, so a
// caller that tails the database keeps the last RowID as its cursor.
func (s *Store) ExchangesAfter(ctx context.Context, afterRow int64, limit int) ([]TailExchange, error) {
	return s.exchangesAfter(ctx, s.r, afterRow, limit)
}

// tailQueryer is a *sql.DB or a *sql.Conn.
type tailQueryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (s *Store) exchangesAfter(ctx context.Context, db tailQueryer, afterRow int64, limit int) ([]TailExchange, error) {
	if limit <= 0 {
		limit = 1000
	}
	rows, err := db.QueryContext(ctx, `SELECT id, run_id, seq, step_idx, txn, stage, hook_id, url, started, duration,
		status, CASE WHEN parsed IS NULL THEN response_body ELSE x'' END, error_class, error_text, effect,
		outcome, reply, lints, CASE WHEN parsed IS NULL THEN response_blob END, parsed
		FROM exchanges WHERE id > ? ORDER BY id LIMIT ?`, afterRow, limit)
	if err != nil {
		return nil, s.check(fmt.Errorf("store: exchanges after row %d: %w", afterRow, err))
	}
	defer rows.Close()
	var out []TailExchange
	var inBlobs []int // indexes in out of responses stored as blobs
	var blobIDs []sql.NullInt64
	for rows.Next() {
		var (
			e            TailExchange
			started, dur int64
			lints        string
			respBlob     sql.NullInt64
			parsed       sql.NullString
		)
		if err := rows.Scan(&e.RowID, &e.RunID, &e.Seq, &e.StepIndex, &e.Transaction, &e.Stage, &e.HookID, &e.URL,
			&started, &dur, &e.Status, &e.ResponseBody, &e.ErrorClass, &e.ErrorText, &e.Effect, &e.Outcome,
			&e.Reply, &lints, &respBlob, &parsed); err != nil {
			return nil, s.check(fmt.Errorf("store: exchanges after row %d: %w", afterRow, err))
		}
		e.Started = timeFrom(sql.NullInt64{Int64: started, Valid: true})
		e.Duration = durationFrom(dur)
		e.ResponseBody = blob(e.ResponseBody)
		e.Lints = []byte(lints)
		if parsed.Valid {
			e.Parsed = []byte(parsed.String)
		}
		if respBlob.Valid {
			inBlobs, blobIDs = append(inBlobs, len(out)), append(blobIDs, respBlob)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, s.check(fmt.Errorf("store: exchanges after row %d: %w", afterRow, err))
	}
	rows.Close()
	if len(inBlobs) > 0 {
		// Blobs never change once written: reading them beside db's
		// snapshot reads the same bytes.
		err := s.read(ctx, func(tx *sql.Tx) error {
			br := blobReader{tx: tx}
			for k, i := range inBlobs {
				if err := br.bodies(ctx, &out[i].Exchange, bodyBlobs{response: blobIDs[k]}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, s.check(fmt.Errorf("store: exchanges after row %d: %w", afterRow, err))
		}
	}
	return out, nil
}

// RunsAfter returns the runs whose ID is above afterID, oldest first, at
// most limit of them, plus those of the runs listed in open (runs a
// caller saw running and watches for their end), without their scripts.
func (s *Store) RunsAfter(ctx context.Context, afterID int64, open []int64, limit int) ([]Run, error) {
	return s.runsAfter(ctx, s.r, afterID, open, limit)
}

func (s *Store) runsAfter(ctx context.Context, db tailQueryer, afterID int64, open []int64, limit int) ([]Run, error) {
	if limit <= 0 {
		limit = 1000
	}
	q := `SELECT ` + runColumns + ` FROM runs WHERE id > ?`
	args := []any{afterID}
	if len(open) > 0 {
		q += ` OR id IN (` + strings.TrimSuffix(strings.Repeat("?,", len(open)), ",") + `)`
		for _, id := range open {
			args = append(args, id)
		}
	}
	q += ` ORDER BY id LIMIT ?`
	args = append(args, limit+len(open))
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.check(fmt.Errorf("store: runs after %d: %w", afterID, err))
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		r, err := s.scanRun(rows, false, nil)
		if err != nil {
			return nil, s.check(fmt.Errorf("store: runs after %d: %w", afterID, err))
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, s.check(fmt.Errorf("store: runs after %d: %w", afterID, err))
	}
	return out, nil
}

// Cursors returns the highest run ID and exchange row ID in the
// database (0 when empty): where a tail that only wants what comes next
// starts.
func (s *Store) Cursors(ctx context.Context) (lastRun, lastExchangeRow int64, err error) {
	err = s.r.QueryRowContext(ctx, `SELECT coalesce((SELECT max(id) FROM runs), 0),
		coalesce((SELECT max(id) FROM exchanges), 0)`).Scan(&lastRun, &lastExchangeRow)
	if err != nil {
		return 0, 0, fmt.Errorf("store: cursors: %w", err)
	}
	return lastRun, lastExchangeRow, nil
}

// Tail reads, in one consistent snapshot, what RunsAfter(afterRun, open,
// limit) and ExchangesAfter(afterRow, limit) would: a run's last
// exchanges and its end, committed together, are either both seen or
// both not.
func (s *Store) Tail(ctx context.Context, afterRun int64, open []int64, afterRow int64, limit int) ([]Run, []TailExchange, error) {
	conn, err := s.r.Conn(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("store: tail: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		return nil, nil, fmt.Errorf("store: tail: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "COMMIT")
	runs, err := s.runsAfter(ctx, conn, afterRun, open, limit)
	if err != nil {
		return nil, nil, err
	}
	exs, err := s.exchangesAfter(ctx, conn, afterRow, limit)
	if err != nil {
		return nil, nil, err
	}
	return runs, exs, nil
}

// StepMarks returns, for each of runs that has steps recorded, the index
// of the first step of its newest row of steps (step_lists.first_idx): it
// moves whenever steps of the run are committed, so that a tail sees a
// running run's new steps even when they made no hook exchange (a NOOP,
// a refused command). Runs without steps are left out.
func (s *Store) StepMarks(ctx context.Context, runs []int64) (map[int64]int64, error) {
	marks := make(map[int64]int64, len(runs))
	if len(runs) == 0 {
		return marks, nil
	}
	args := make([]any, len(runs))
	for i, id := range runs {
		args[i] = id
	}
	rows, err := s.r.QueryContext(ctx, `SELECT run_id, max(first_idx) FROM step_lists WHERE run_id IN (`+
		strings.TrimSuffix(strings.Repeat("?,", len(runs)), ",")+`) GROUP BY run_id`, args...)
	if err != nil {
		return nil, s.check(fmt.Errorf("store: step marks: %w", err))
	}
	defer rows.Close()
	for rows.Next() {
		var id, mark int64
		if err := rows.Scan(&id, &mark); err != nil {
			return nil, s.check(fmt.Errorf("store: step marks: %w", err))
		}
		marks[id] = mark
	}
	return marks, rows.Err()
}

// SearchRuns is ListRuns with one more condition: the session name
// contains q, ignoring ASCII case. An empty q is ListRuns.
func (s *Store) SearchRuns(ctx context.Context, f RunFilter, q string) ([]Run, error) {
	if q == "" {
		return s.ListRuns(ctx, f)
	}
	where, args := f.where(true)
	cond := `instr(lower(session_name), lower(?)) > 0`
	if where == "" {
		where = " WHERE " + cond
	} else {
		where += " AND " + cond
	}
	args = append(args, q)
	query := `SELECT ` + runColumns + ` FROM runs` + where + ` ORDER BY id DESC`
	if f.Limit > 0 {
		query += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, s.check(fmt.Errorf("store: search runs %q: %w", q, err))
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		r, err := s.scanRun(rows, false, nil)
		if err != nil {
			return nil, s.check(fmt.Errorf("store: search runs %q: %w", q, err))
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, s.check(fmt.Errorf("store: search runs %q: %w", q, err))
	}
	return out, nil
}
