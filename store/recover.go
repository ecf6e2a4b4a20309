package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ErrRecording is returned (wrapped) by Prune when a run it would delete
// is still being recorded by a live process.
var ErrRecording = errors.New("store: run still being recorded")

// recordingError is a prune that would delete a run still being recorded.
type recordingError struct {
	run runningRun
}

func (e *recordingError) Error() string {
	return fmt.Sprintf("run #%d (started %s) is still being recorded by %s; nothing deleted (prune again once it has finished)",
		e.run.id, e.run.started.Local().Format(time.RFC3339), e.run.rec)
}

func (e *recordingError) Is(target error) bool { return target == ErrRecording }

// interruptedText is the error stored with an interrupted run.
func interruptedText(rec process) string {
	return fmt.Sprintf("interrupted: the recording process (%s) ended before the run finished", rec)
}

// markInterrupted finishes a run left running by a dead recorder with
// the counts of what it left: the failures of its steps, its exchanges,
// and as its end the end of its last exchange (its start when it has
// none), with the summary the filters read.
const markInterrupted = `UPDATE runs SET outcome = 'interrupted', error = ?,
	failures = ((SELECT coalesce(sum(s.failures), 0) FROM step_lists s WHERE s.run_id = runs.id) + (SELECT coalesce(sum(json_array_length(s.failures)), 0) FROM steps s WHERE s.run_id = runs.id)),
	exchanges = (SELECT count(*) FROM exchanges e WHERE e.run_id = runs.id),
	ended = coalesce((SELECT max(e.started + e.duration) FROM exchanges e WHERE e.run_id = runs.id), runs.started),
	stages = coalesce((SELECT ',' || group_concat(DISTINCT stage) || ',' FROM exchanges WHERE run_id = runs.id), ''),
	outcomes = coalesce((SELECT ',' || group_concat(DISTINCT outcome) || ',' FROM exchanges WHERE run_id = runs.id), ''),
	errored = EXISTS (SELECT 1 FROM exchanges WHERE run_id = runs.id AND error_class <> ''),
	drift = (SELECT count(*) FROM exchanges e, json_each(CASE WHEN json_valid(e.lints) THEN e.lints ELSE '[]' END) j WHERE e.run_id = runs.id AND json_extract(j.value, '$.code') = 'drift')
	WHERE id = ? AND outcome = 'running'`

// runningRun is a run marked running and its recorder.
type runningRun struct {
	id      int64
	started time.Time
	last    time.Time // the end of its last exchange, or started when none
	rec     process
}

// running lists the runs marked running (started before before, when it
// is not zero) inside tx.
func running(ctx context.Context, tx *sql.Tx, before time.Time) ([]runningRun, error) {
	q := `SELECT id, started, pid, pid_start, pid_ns, boot_id, host,
		coalesce((SELECT max(e.started + e.duration) FROM exchanges e WHERE e.run_id = runs.id), started)
		FROM runs WHERE outcome = 'running'`
	var args []any
	if !before.IsZero() {
		q += ` AND started < ?`
		args = append(args, before.UnixNano())
	}
	rows, err := tx.QueryContext(ctx, q+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("running runs: %w", err)
	}
	defer rows.Close()
	var out []runningRun
	for rows.Next() {
		var r runningRun
		var started, last int64
		if err := rows.Scan(&r.id, &started, &r.rec.PID, &r.rec.Start, &r.rec.NS, &r.rec.Boot, &r.rec.Host, &last); err != nil {
			return nil, fmt.Errorf("running runs: %w", err)
		}
		r.started = timeFrom(sql.NullInt64{Int64: started, Valid: true})
		r.last = timeFrom(sql.NullInt64{Int64: last, Valid: true})
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("running runs: %w", err)
	}
	return out, nil
}

// markGone marks the runs in rs whose recorder is gone (recorderGone) as
// interrupted and returns the others (still being recorded, or, for a
// run of a hooksim from before schema version 4, perhaps).
func (s *Store) markGone(ctx context.Context, tx *sql.Tx, rs []runningRun) (alive []runningRun, err error) {
	var others *openers
	for _, r := range rs {
		if !s.recorderGone(r.rec, r.last, &others) {
			alive = append(alive, r)
			continue
		}
		if _, err := tx.ExecContext(ctx, markInterrupted, interruptedText(r.rec), r.id); err != nil {
			return nil, fmt.Errorf("mark run %d interrupted: %w", r.id, err)
		}
	}
	return alive, nil
}

// RecoverInterrupted marks every run left running by a recorder that is
// gone (see OutcomeInterrupted) as interrupted, with the counts of the
// rows it left, and returns how many it marked. Open does it; a live
// recorder's runs are never touched.
func (s *Store) RecoverInterrupted(ctx context.Context) (int, error) {
	if s.readOnly {
		return 0, nil
	}
	var any bool
	if err := s.w.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM runs WHERE outcome = 'running')`).Scan(&any); err != nil {
		return 0, fmt.Errorf("store: recover interrupted runs: %w", err)
	}
	if !any {
		return 0, nil
	}
	n := 0
	err := s.Update(ctx, func(tx *Tx) error {
		rs, err := running(ctx, tx.tx, time.Time{})
		if err != nil {
			return err
		}
		alive, err := s.markGone(ctx, tx.tx, rs)
		n = len(rs) - len(alive)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: recover interrupted runs: %w", err)
	}
	return n, nil
}
