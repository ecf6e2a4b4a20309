package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// CreateRun inserts r as a new run and returns its ID. An empty Source is
// SourceScript, an empty Outcome OutcomeRunning, a zero Started now.
func (s *Store) CreateRun(ctx context.Context, r *Run) (int64, error) {
	var id int64
	err := s.Update(ctx, func(tx *Tx) error {
		var err error
		id, err = tx.CreateRun(ctx, r)
		return err
	})
	return id, err
}

// execer is a prepared statement, or a *sql.DB or *sql.Tx with the query
// bound.
type execer func(ctx context.Context, args ...any) (sql.Result, error)

// insertRun also names the process recording the run (see process).
const insertRun = `INSERT INTO runs (session_name, session_file, session_hash, script_blobs, source,
	replay_of, replay_mode, hooks, started, ended, outcome, failures, exchanges, error,
	pid, pid_start, pid_ns, boot_id, host)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// createRun inserts r, its script already stored as the blobs listed in
// scriptBlobs (a JSON array of blob ids, "" for none).
func createRun(ctx context.Context, exec execer, r *Run, scriptBlobs string, self process) (int64, error) {
	source, outcome, started := r.Source, r.Outcome, r.Started
	if source == "" {
		source = SourceScript
	}
	if outcome == "" {
		outcome = OutcomeRunning
	}
	if started.IsZero() {
		started = time.Now()
	}
	res, err := exec(ctx, r.SessionName, r.SessionFile, r.SessionHash, scriptBlobs, source,
		nullID(r.ReplayOf), r.ReplayMode, rawJSON(r.Hooks, "[]"), timeValue(started), timeValue(r.Ended), outcome,
		r.Failures, r.Exchanges, r.Error, self.PID, self.Start, self.NS, self.Boot, self.Host)
	if err != nil {
		return 0, fmt.Errorf("store: create run %q: %w", r.SessionName, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("store: create run %q: %w", r.SessionName, err)
	}
	return id, nil
}

// FinishRun records the end of run id. It returns ErrNotFound for an
// unknown run.
func (s *Store) FinishRun(ctx context.Context, id int64, ended time.Time, outcome string, failures, exchanges int, errText string) error {
	return s.Update(ctx, func(tx *Tx) error { return tx.FinishRun(ctx, id, ended, outcome, failures, exchanges, errText) })
}

// updateRunEnd also writes the summary the filters read: the distinct
// stages and outcomes of the run's exchanges, and whether one failed.
const updateRunEnd = `UPDATE runs SET ended = ?, outcome = ?, failures = ?, exchanges = ?, error = ?,
	stages = coalesce((SELECT ',' || group_concat(DISTINCT stage) || ',' FROM exchanges WHERE run_id = runs.id), ''),
	outcomes = coalesce((SELECT ',' || group_concat(DISTINCT outcome) || ',' FROM exchanges WHERE run_id = runs.id), ''),
	errored = EXISTS (SELECT 1 FROM exchanges WHERE run_id = runs.id AND error_class <> ''),
	drift = (SELECT count(*) FROM exchanges e, json_each(CASE WHEN json_valid(e.lints) THEN e.lints ELSE '[]' END) j WHERE e.run_id = runs.id AND json_extract(j.value, '$.code') = 'drift')
	WHERE id = ?`

// updateRunEndSummary is updateRunEnd with the summary bound instead of
// read back: reading it needs two temporary B-trees (DISTINCT) and every
// exchange row of the run, which made finishing a run the costliest
// statement a recording ran.
const updateRunEndSummary = `UPDATE runs SET ended = ?, outcome = ?, failures = ?, exchanges = ?, error = ?,
	stages = ?, outcomes = ?, errored = ?, drift = ? WHERE id = ?`

// summaryList is list as a summary column: ",a,b," ("" when empty).
func summaryList(list []string) string {
	if len(list) == 0 {
		return ""
	}
	return "," + strings.Join(list, ",") + ","
}

func finishRun(ctx context.Context, exec execer, id int64, ended time.Time, outcome string, failures, exchanges int, errText string) error {
	res, err := exec(ctx, timeValue(ended), outcome, failures, exchanges, errText, id)
	if err != nil {
		return fmt.Errorf("store: finish run %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("store: finish run %d: %w", id, ErrNotFound)
	}
	return nil
}

// runColumns are what scanRun reads. A run still marked running has no
// counts or end yet: they are taken from its rows (failures of its steps,
// its exchanges, the end of its last exchange), so that a run being
// recorded, or left behind by a dead recorder, shows what it holds.
const runColumns = `id, session_name, session_file, session_hash, source, replay_of, replay_mode,
	hooks, started, ended, outcome,
	CASE WHEN outcome = 'running' THEN ((SELECT coalesce(sum(s.failures), 0) FROM step_lists s WHERE s.run_id = runs.id) + (SELECT coalesce(sum(json_array_length(s.failures)), 0) FROM steps s WHERE s.run_id = runs.id)) ELSE failures END,
	CASE WHEN outcome = 'running' THEN (SELECT count(*) FROM exchanges e WHERE e.run_id = runs.id) ELSE exchanges END,
	error, pid, pid_start, pid_ns, boot_id, host,
	CASE WHEN outcome = 'running' THEN (SELECT max(e.started + e.duration) FROM exchanges e WHERE e.run_id = runs.id) END,
	CASE WHEN outcome = 'running' THEN EXISTS (SELECT 1 FROM exchanges e WHERE e.run_id = runs.id AND e.error_class <> '') ELSE errored END,
	CASE WHEN outcome = 'running' THEN (SELECT count(*) FROM exchanges e, json_each(CASE WHEN json_valid(e.lints) THEN e.lints ELSE '[]' END) j WHERE e.run_id = runs.id AND json_extract(j.value, '$.code') = 'drift') ELSE drift END`

// driftCount counts a run's drift findings from its exchanges' lints.
const driftCount = `(SELECT count(*) FROM exchanges e, json_each(CASE WHEN json_valid(e.lints) THEN e.lints ELSE '[]' END) j WHERE e.run_id = runs.id AND json_extract(j.value, '$.code') = 'drift')`

// scanRun reads runColumns (plus script and script_blobs when
// withScript, whose blobs the caller reads). A run marked
// running whose recorder is gone (recorderGone) is returned as
// OutcomeInterrupted, as the next writer will store it.
func (s *Store) scanRun(row interface{ Scan(...any) error }, withScript bool, scriptBlobs *string) (Run, error) {
	var (
		r              Run
		replayOf       sql.NullInt64
		started, ended sql.NullInt64
		lastEnd        sql.NullInt64
		hooks          string
		rec            process
	)
	dest := []any{&r.ID, &r.SessionName, &r.SessionFile, &r.SessionHash, &r.Source, &replayOf, &r.ReplayMode,
		&hooks, &started, &ended, &r.Outcome, &r.Failures, &r.Exchanges, &r.Error,
		&rec.PID, &rec.Start, &rec.NS, &rec.Boot, &rec.Host, &lastEnd, &r.HookErrors, &r.Drift}
	if withScript {
		dest = append(dest, &r.Script, scriptBlobs)
	}
	if err := row.Scan(dest...); err != nil {
		return Run{}, err
	}
	r.ReplayOf = replayOf.Int64
	r.Hooks = []byte(hooks)
	r.Started, r.Ended = timeFrom(started), timeFrom(ended)
	if r.Outcome == OutcomeRunning {
		last := r.Started
		if lastEnd.Valid {
			last = timeFrom(lastEnd)
		}
		if s.recorderGone(rec, last, nil) {
			r.Outcome, r.Error, r.Ended = OutcomeInterrupted, interruptedText(rec), last
		}
	}
	return r, nil
}

// GetRun returns run id with its script, or an error wrapping ErrNotFound.
// The script is read from its blobs (runs recorded since migration 0005)
// or from the run's row (before).
func (s *Store) GetRun(ctx context.Context, id int64) (*Run, error) {
	var r Run
	err := s.read(ctx, func(tx *sql.Tx) error {
		var scriptBlobs string
		var err error
		row := tx.QueryRowContext(ctx, `SELECT `+runColumns+`, script, script_blobs FROM runs WHERE id = ?`, id)
		if r, err = s.scanRun(row, true, &scriptBlobs); err != nil {
			return err
		}
		if scriptBlobs != "" {
			br := blobReader{tx: tx}
			if r.Script, err = br.readParts(ctx, scriptBlobs); err != nil {
				return fmt.Errorf("script: %w", err)
			}
		}
		return nil
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, s.check(fmt.Errorf("store: run %d: %w", id, ErrNotFound))
	}
	if err != nil {
		return nil, s.check(fmt.Errorf("store: run %d: %w", id, err))
	}
	return &r, nil
}

// read runs fn in one read transaction on a reader connection, so that
// its queries see one snapshot (a row and the blobs it names).
func (s *Store) read(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.r.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return fn(tx)
}

// where builds the WHERE clause of f; paging adds BeforeID.
func (f RunFilter) where(paging bool) (string, []any) {
	var conds []string
	var args []any
	add := func(c string, a ...any) {
		conds = append(conds, c)
		args = append(args, a...)
	}
	if f.Session != "" {
		add("session_name = ?", f.Session)
	}
	if f.NotSource != "" {
		add("source != ?", f.NotSource)
	}
	if f.Source != "" {
		add("source = ?", f.Source)
	}
	if !f.Since.IsZero() {
		add("started >= ?", f.Since.UnixNano())
	}
	if !f.Until.IsZero() {
		add("started < ?", f.Until.UnixNano())
	}
	if f.Stage != "" {
		add("instr(stages, ',' || ? || ',') > 0", f.Stage)
	}
	if f.Action != "" {
		add("instr(outcomes, ',' || ? || ',') > 0", f.Action)
	}
	if f.Errors {
		add("errored = 1")
	}
	if f.Drift {
		add("(CASE WHEN outcome = 'running' THEN " + driftCount + " ELSE drift END) > 0")
	}
	if paging && f.BeforeID > 0 {
		add("id < ?", f.BeforeID)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// ListRuns returns the runs f selects, newest (highest ID) first, without
// their scripts.
func (s *Store) ListRuns(ctx context.Context, f RunFilter) ([]Run, error) {
	where, args := f.where(true)
	q := `SELECT ` + runColumns + ` FROM runs` + where + ` ORDER BY id DESC`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.check(fmt.Errorf("store: list runs: %w", err))
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		r, err := s.scanRun(rows, false, nil)
		if err != nil {
			return nil, s.check(fmt.Errorf("store: list runs: %w", err))
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, s.check(fmt.Errorf("store: list runs: %w", err))
	}
	return out, nil
}

// CountRuns counts the runs f selects, ignoring Limit and BeforeID.
func (s *Store) CountRuns(ctx context.Context, f RunFilter) (int, error) {
	where, args := f.where(false)
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM runs`+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count runs: %w", err)
	}
	return n, nil
}

// Prune deletes the runs started before olderThan with their steps,
// exchanges and messages, and returns how many runs it deleted. Replays
// of a deleted run keep their rows; their ReplayOf becomes 0. Runs left
// running by a dead recorder are marked interrupted first; when one of
// the runs is still being recorded by a live process, nothing is deleted
// and the error wraps ErrRecording. Run IDs are never reused afterwards.
// The message bodies and script pieces (blobs) no remaining run uses are
// deleted with them.
func (s *Store) Prune(ctx context.Context, olderThan time.Time) (int64, error) {
	var n int64
	err := s.Update(ctx, func(tx *Tx) error {
		rs, err := running(ctx, tx.tx, olderThan)
		if err != nil {
			return err
		}
		alive, err := s.markGone(ctx, tx.tx, rs)
		if err != nil {
			return err
		}
		if len(alive) > 0 {
			return &recordingError{run: alive[0]}
		}
		res, err := tx.tx.ExecContext(ctx, `DELETE FROM runs WHERE started < ?`, olderThan.UnixNano())
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		if _, err := tx.tx.ExecContext(ctx, sweepBlobs); err != nil {
			return fmt.Errorf("delete unused blobs: %w", err)
		}
		// This connection's own deletes leave data_version as it was.
		s.blobs = blobCache{}
		return nil
	})
	if err != nil {
		return 0, s.check(fmt.Errorf("store: prune runs started before %s: %w", olderThan.UTC().Format(time.RFC3339), err))
	}
	return n, nil
}
