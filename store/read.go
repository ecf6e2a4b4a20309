package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
)

// Steps returns the steps of run runID in order.
func (s *Store) Steps(ctx context.Context, runID int64) ([]Step, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT steps FROM step_lists WHERE run_id = ? ORDER BY first_idx`, runID)
	if err != nil {
		return nil, s.check(fmt.Errorf("store: steps of run %d: %w", runID, err))
	}
	defer rows.Close()
	var out []Step
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return nil, s.check(fmt.Errorf("store: steps of run %d: %w", runID, err))
		}
		if out, err = decodeSteps(out, runID, data); err != nil {
			return nil, s.check(fmt.Errorf("store: steps of run %d: %w", runID, err))
		}
	}
	if err := rows.Err(); err != nil {
		return nil, s.check(fmt.Errorf("store: steps of run %d: %w", runID, err))
	}
	rows.Close()
	if out, err = s.legacySteps(ctx, runID, out); err != nil {
		return nil, s.check(fmt.Errorf("store: steps of run %d: %w", runID, err))
	}
	slices.SortStableFunc(out, func(a, b Step) int { return cmp.Compare(a.Index, b.Index) })
	return out, nil
}

// legacySteps appends the steps of run runID in the steps table, one row
// each: those a hooksim from before schema version 9, still running when
// the database was upgraded, wrote after the upgrade (migration 0009).
func (s *Store) legacySteps(ctx context.Context, runID int64, out []Step) ([]Step, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT idx, kind, line, implied, command, message, replies, action, txn,
		closed, failures, lints FROM steps WHERE run_id = ? ORDER BY idx`, runID)
	if err != nil {
		return out, err
	}
	defer rows.Close()
	for rows.Next() {
		st := Step{RunID: runID}
		var replies, failures, lints string
		if err := rows.Scan(&st.Index, &st.Kind, &st.Line, &st.Implied, &st.Command, &st.Message, &replies,
			&st.Action, &st.Transaction, &st.Closed, &failures, &lints); err != nil {
			return out, err
		}
		if st.Replies, err = stringsFrom(replies); err != nil {
			return out, fmt.Errorf("step %d: replies: %w", st.Index, err)
		}
		if st.Failures, err = stringsFrom(failures); err != nil {
			return out, fmt.Errorf("step %d: failures: %w", st.Index, err)
		}
		st.Lints = []byte(lints)
		out = append(out, st)
	}
	return out, rows.Err()
}

const exchangeColumns = `seq, step_idx, txn, stage, hook_id, url, started, duration, request_headers,
	request_body, status, response_headers, response_body, error_class, error_text, effect, outcome, reply, lints,
	request_head IS NOT NULL, request_head, response_head, body_read, redirects, request_blob, response_blob, parsed`

// bodyBlobs name the blobs holding an exchange's request and response
// bodies when they are not in its row (bodies over ChunkSize).
type bodyBlobs struct{ request, response sql.NullInt64 }

// scanExchange reads exchangeColumns; blobs receives the blobs of the
// bodies not in the row, which the caller reads (blobReader.bodies).
func scanExchange(row interface{ Scan(...any) error }, runID int64, blobs *bodyBlobs) (Exchange, error) {
	e := Exchange{RunID: runID}
	var (
		started, dur       int64
		reqH, respH        string
		lints              string
		hasWire            bool
		reqHead, respHead  []byte
		bodyRead, redirect string
		parsed             sql.NullString
	)
	if err := row.Scan(&e.Seq, &e.StepIndex, &e.Transaction, &e.Stage, &e.HookID, &e.URL, &started, &dur, &reqH,
		&e.RequestBody, &e.Status, &respH, &e.ResponseBody, &e.ErrorClass, &e.ErrorText, &e.Effect, &e.Outcome,
		&e.Reply, &lints, &hasWire, &reqHead, &respHead, &bodyRead, &redirect, &blobs.request, &blobs.response, &parsed); err != nil {
		return Exchange{}, err
	}
	if hasWire {
		w := &Wire{RequestHead: nilIfEmpty(reqHead), ResponseHead: nilIfEmpty(respHead), BodyRead: bodyRead}
		var err error
		if w.Redirects, err = redirectsFrom(redirect); err != nil {
			return Exchange{}, fmt.Errorf("redirects: %w", err)
		}
		e.Wire = w
	}
	e.Started = timeFrom(sql.NullInt64{Int64: started, Valid: true})
	e.Duration = durationFrom(dur)
	var err error
	if e.RequestHeaders, err = headersOfColumn(reqH, nilIfEmpty(reqHead)); err != nil {
		return Exchange{}, fmt.Errorf("request headers: %w", err)
	}
	if e.ResponseHeaders, err = headersOfColumn(respH, nilIfEmpty(respHead)); err != nil {
		return Exchange{}, fmt.Errorf("response headers: %w", err)
	}
	e.RequestBody, e.ResponseBody = blob(e.RequestBody), blob(e.ResponseBody)
	e.Lints = []byte(lints)
	if parsed.Valid {
		e.Parsed = []byte(parsed.String)
	}
	return e, nil
}

// Exchanges returns the exchanges of run runID in sequence.
func (s *Store) Exchanges(ctx context.Context, runID int64) ([]Exchange, error) {
	var out []Exchange
	err := s.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+exchangeColumns+` FROM exchanges WHERE run_id = ? ORDER BY seq`, runID)
		if err != nil {
			return err
		}
		defer rows.Close()
		var blobs []bodyBlobs
		for rows.Next() {
			var b bodyBlobs
			e, err := scanExchange(rows, runID, &b)
			if err != nil {
				return err
			}
			out, blobs = append(out, e), append(blobs, b)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		br := blobReader{tx: tx}
		for i := range out {
			if err := br.bodies(ctx, &out[i], blobs[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, s.check(fmt.Errorf("store: exchanges of run %d: %w", runID, err))
	}
	return out, nil
}

// Exchange returns exchange seq of run runID, or an error wrapping
// ErrNotFound.
func (s *Store) Exchange(ctx context.Context, runID int64, seq int) (*Exchange, error) {
	var e Exchange
	err := s.read(ctx, func(tx *sql.Tx) error {
		row := tx.QueryRowContext(ctx, `SELECT `+exchangeColumns+` FROM exchanges WHERE run_id = ? AND seq = ?`, runID, seq)
		var b bodyBlobs
		var err error
		if e, err = scanExchange(row, runID, &b); err != nil {
			return err
		}
		br := blobReader{tx: tx}
		return br.bodies(ctx, &e, b)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, s.check(fmt.Errorf("store: exchange %d of run %d: %w", seq, runID, ErrNotFound))
	}
	if err != nil {
		return nil, s.check(fmt.Errorf("store: exchange %d of run %d: %w", seq, runID, err))
	}
	return &e, nil
}

// Messages returns the transactions of run runID in order. Bodies are
// read from their blobs (messages recorded since migration 0005) or from
// the row (before); the original and final of a message the hooks left
// unchanged may share one slice, which callers must not change.
func (s *Store) Messages(ctx context.Context, runID int64) ([]Message, error) {
	var out []Message
	err := s.read(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = readMessages(ctx, tx, runID, `run_id = ? ORDER BY number`, runID)
		return err
	})
	if err != nil {
		return nil, s.check(fmt.Errorf("store: messages of run %d: %w", runID, err))
	}
	return out, nil
}

// Message returns transaction number of run runID as Messages does, or
// an error wrapping ErrNotFound when the run has no such transaction
// (or there is no such run): one message of a long SMTP session without
// reading the bodies of the others.
func (s *Store) Message(ctx context.Context, runID int64, number int) (*Message, error) {
	var out []Message
	err := s.read(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = readMessages(ctx, tx, runID, `run_id = ? AND number = ?`, runID, number)
		return err
	})
	if err == nil && len(out) == 0 {
		err = ErrNotFound
	}
	if err != nil {
		return nil, s.check(fmt.Errorf("store: message %d of run %d: %w", number, runID, err))
	}
	return &out[0], nil
}

// readMessages reads the messages of run runID that where (a condition
// and its order, with args) selects, bodies included.
func readMessages(ctx context.Context, tx *sql.Tx, runID int64, where string, args ...any) ([]Message, error) {
	rows, err := tx.QueryContext(ctx, `SELECT number, queue_id, delivered, reply, original, final,
		original_blob, final_blob, envelope_before, envelope_after, ended, queued_head, relay
		FROM messages WHERE `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	type refs struct{ original, final sql.NullInt64 }
	var (
		out []Message
		ids []refs
	)
	for rows.Next() {
		m := Message{RunID: runID}
		var (
			before, after, relay string
			ended                sql.NullInt64
			r                    refs
		)
		if err := rows.Scan(&m.Number, &m.QueueID, &m.Delivered, &m.Reply, &m.Original, &m.Final,
			&r.original, &r.final, &before, &after, &ended, &m.QueuedHead, &relay); err != nil {
			return nil, err
		}
		m.EnvelopeBefore, m.EnvelopeAfter = []byte(before), []byte(after)
		m.Ended = timeFrom(ended)
		if m.Relay, err = relayFrom(relay); err != nil {
			return nil, fmt.Errorf("message %d: %w", m.Number, err)
		}
		out = append(out, m)
		ids = append(ids, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	br := blobReader{tx: tx}
	for i := range out {
		m := &out[i]
		if ids[i].original.Valid {
			if m.Original, err = br.read(ctx, ids[i].original); err != nil {
				return nil, fmt.Errorf("message %d: original: %w", m.Number, err)
			}
		}
		if ids[i].final.Valid {
			if m.Final, err = br.read(ctx, ids[i].final); err != nil {
				return nil, fmt.Errorf("message %d: final: %w", m.Number, err)
			}
		}
	}
	return out, nil
}

// RunRows are all the rows of one run.
type RunRows struct {
	Run       *Run
	Steps     []Step
	Exchanges []Exchange
	Messages  []Message
}

// ReadRun reads run id with its steps, exchanges and messages, each in
// order. A missing run is an error wrapping ErrNotFound.
func (s *Store) ReadRun(ctx context.Context, id int64) (*RunRows, error) {
	run, err := s.GetRun(ctx, id)
	if err != nil {
		return nil, err
	}
	r := &RunRows{Run: run}
	if r.Steps, err = s.Steps(ctx, id); err != nil {
		return nil, err
	}
	if r.Exchanges, err = s.Exchanges(ctx, id); err != nil {
		return nil, err
	}
	if r.Messages, err = s.Messages(ctx, id); err != nil {
		return nil, err
	}
	return r, nil
}
