package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"time"
)

// Tx is a write transaction of Update: several runs created, rows
// written and runs finished, committed together.
type Tx struct {
	tx   *sql.Tx
	conn *sql.Conn // the writer connection tx runs on
	s    *Store
	// blobByHash and blobBySlice are the blobs putBlob stored or found in
	// this transaction, by content and by the slice it was given.
	blobByHash  map[[sha256.Size]byte]int64
	blobBySlice map[blobKey]int64
	// blobCacheChecked is set once the store's blob cache was checked
	// against other connections' commits in this transaction.
	blobCacheChecked bool
}

const (
	insertExchange = `INSERT INTO exchanges (run_id, seq, step_idx, txn, stage, hook_id, url, started, duration,
	request_headers, request_body, status, response_headers, response_body, error_class, error_text, effect,
	outcome, reply, lints, request_head, response_head, body_read, redirects, request_blob, response_blob, parsed)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	insertMessage = `INSERT INTO messages (run_id, number, queue_id, delivered, reply, original_blob, final_blob,
	envelope_before, envelope_after, ended, queued_head, relay) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
)

// stmtKind names the writer's prepared statements.
type stmtKind int

const (
	stmtRun stmtKind = iota
	stmtFinish
	stmtStepList
	stmtExchange
	stmtMessage
	stmtFinishSummary
	stmtBlobFind
	stmtBlobInsert
	stmtChunkInsert
	stmtDataVersion
	stmtRunScript
	numStmts
)

var stmtSQL = [numStmts]string{insertRun, updateRunEnd, insertStepList, insertExchange, insertMessage, updateRunEndSummary,
	findBlob, insertBlob, insertChunk, "PRAGMA data_version", updateRunScript}

// updateRunScript gives a run its script once it is known (SetRunScript).
const updateRunScript = `UPDATE runs SET script_blobs = ? WHERE id = ?`

// Update runs fn in one write transaction: everything fn wrote is
// committed when it returns nil, nothing when it returns an error.
func (s *Store) Update(ctx context.Context, fn func(tx *Tx) error) (err error) {
	if s.readOnly {
		return fmt.Errorf("store: write to %s: %w (hooksim could not write the file or its directory)", s.path, ErrReadOnly)
	}
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer conn.Close()
	sqlTx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	tx := &Tx{tx: sqlTx, conn: conn, s: s}
	defer func() {
		if err != nil {
			sqlTx.Rollback()
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	s.blobs.keep(tx.blobByHash)
	return nil
}

// Write stores b in one transaction: all of it or nothing.
func (s *Store) Write(ctx context.Context, b Batch) error {
	return s.Update(ctx, func(tx *Tx) error { return tx.Write(ctx, b) })
}

// CreateRun is Store.CreateRun inside the transaction. The ID is only
// valid once the transaction commits.
func (t *Tx) CreateRun(ctx context.Context, r *Run) (id int64, err error) {
	parts := r.ScriptParts
	if parts == nil && r.Script != nil {
		parts = [][]byte{r.Script}
	}
	err = t.raw(func(d *driverConn) error {
		scriptBlobs, err := t.putBlobs(ctx, d, parts)
		if err != nil {
			return fmt.Errorf("store: create run %q: script: %w", r.SessionName, err)
		}
		id, err = createRun(ctx, d.execer(stmtRun), r, scriptBlobs, t.s.self)
		return err
	})
	return id, err
}

// SetRunScript stores parts as run id's script, replacing any it had:
// for a run whose script is only known at its end, a live SMTP
// connection's (simulator.SessionResult.Script). It returns ErrNotFound
// for an unknown run.
func (t *Tx) SetRunScript(ctx context.Context, id int64, parts [][]byte) error {
	return t.raw(func(d *driverConn) error {
		scriptBlobs, err := t.putBlobs(ctx, d, parts)
		if err != nil {
			return fmt.Errorf("store: script of run %d: %w", id, err)
		}
		res, err := d.exec(ctx, stmtRunScript, scriptBlobs, id)
		if err != nil {
			return fmt.Errorf("store: script of run %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("store: script of run %d: %w", id, ErrNotFound)
		}
		return nil
	})
}

// FinishRun is Store.FinishRun inside the transaction.
func (t *Tx) FinishRun(ctx context.Context, id int64, ended time.Time, outcome string, failures, exchanges int, errText string) error {
	return t.raw(func(d *driverConn) error {
		return finishRun(ctx, d.execer(stmtFinish), id, ended, outcome, failures, exchanges, errText)
	})
}

// FinishRunSummary is FinishRun with the run's summary (the filters'
// columns) given by the caller instead of read back from the exchanges
// stored, for a writer that wrote every exchange of the run itself and
// knows it; the cheaper statement. It returns ErrNotFound for an unknown
// run.
func (t *Tx) FinishRunSummary(ctx context.Context, id int64, ended time.Time, outcome string, failures, exchanges int, errText string, sum *RunSummary) error {
	if sum == nil {
		sum = &RunSummary{}
	}
	return t.raw(func(d *driverConn) error {
		res, err := d.exec(ctx, stmtFinishSummary, timeValue(ended), outcome, failures, exchanges, errText,
			summaryList(sum.Stages), summaryList(sum.Outcomes), boolInt(sum.Errored), sum.Drift, id)
		if err != nil {
			return fmt.Errorf("store: finish run %d: %w", id, err)
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return fmt.Errorf("store: finish run %d: %w", id, ErrNotFound)
		}
		return nil
	})
}

// Write inserts b's rows. Their runs must exist.
func (t *Tx) Write(ctx context.Context, b Batch) error {
	return t.raw(func(d *driverConn) error {
		if err := t.writeSteps(ctx, d, b.Steps); err != nil {
			return err
		}
		for i := range b.Exchanges {
			if err := t.writeExchange(ctx, d, &b.Exchanges[i]); err != nil {
				return err
			}
		}
		for i := range b.Messages {
			if err := t.writeMessage(ctx, d, &b.Messages[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

func (t *Tx) writeExchange(ctx context.Context, d *driverConn, e *Exchange) error {
	var err error
	d.json.reset()
	var reqHead, respHead any // NULL: no wire record
	bodyRead, redirects := "", "[]"
	var reqH, respH string
	if w := e.Wire; w != nil {
		reqH, respH = d.json.headersColumn(e.RequestHeaders, w.RequestHead), d.json.headersColumn(e.ResponseHeaders, w.ResponseHead)
		reqHead, respHead, bodyRead = blob(w.RequestHead), blob(w.ResponseHead), w.BodyRead
		if redirects, err = redirectsJSON(w.Redirects); err != nil {
			return fmt.Errorf("store: insert exchange %d of run %d: %w", e.Seq, e.RunID, err)
		}
	} else {
		reqH, respH = d.json.headers(e.RequestHeaders), d.json.headers(e.ResponseHeaders)
	}
	// A body over ChunkSize goes to a blob, in chunks, so that SQLite
	// never copies the whole of it at once.
	reqBody, reqBlob, err := t.bodyBlob(ctx, d, e.RequestBody)
	if err != nil {
		return fmt.Errorf("store: insert exchange %d of run %d: request body: %w", e.Seq, e.RunID, err)
	}
	respBody, respBlob, err := t.bodyBlob(ctx, d, e.ResponseBody)
	if err != nil {
		return fmt.Errorf("store: insert exchange %d of run %d: response body: %w", e.Seq, e.RunID, err)
	}
	if err := d.insert(ctx, stmtExchange, e.RunID, e.Seq, e.StepIndex, e.Transaction, e.Stage, e.HookID, e.URL,
		e.Started.UnixNano(), int64(e.Duration), reqH, reqBody, e.Status, respH, respBody,
		e.ErrorClass, e.ErrorText, e.Effect, e.Outcome, e.Reply, rawJSON(e.Lints, "[]"),
		reqHead, respHead, bodyRead, redirects, reqBlob, respBlob, textOrNull(e.Parsed)); err != nil {
		return fmt.Errorf("store: insert exchange %d of run %d: %w", e.Seq, e.RunID, err)
	}
	return nil
}

// bodyBlob is how an exchange's body is stored: in the row (the bytes,
// blob NULL) up to ChunkSize, else as a blob (the row's column empty,
// blob its id).
func (t *Tx) bodyBlob(ctx context.Context, d *driverConn, body []byte) (inRow []byte, blobID any, err error) {
	if len(body) <= ChunkSize {
		return blob(body), nil, nil
	}
	id, err := t.putBlob(ctx, d, body)
	if err != nil {
		return nil, nil, err
	}
	return []byte{}, id, nil
}

// writeMessage stores the message's original and final bodies as blobs
// (once each by content: an unchanged final is the original's blob) and
// the message row naming them.
func (t *Tx) writeMessage(ctx context.Context, d *driverConn, m *Message) error {
	var original, final any // NULL: no body
	for _, b := range []struct {
		body []byte
		id   *any
	}{{m.Original, &original}, {m.Final, &final}} {
		if b.body == nil {
			continue
		}
		id, err := t.putBlob(ctx, d, b.body)
		if err != nil {
			return fmt.Errorf("store: insert message %d of run %d: %w", m.Number, m.RunID, err)
		}
		*b.id = id
	}
	relay, err := relayJSON(m.Relay)
	if err != nil {
		return fmt.Errorf("store: insert message %d of run %d: %w", m.Number, m.RunID, err)
	}
	var queuedHead any // NULL: not kept
	if m.QueuedHead != nil {
		queuedHead = blob(m.QueuedHead)
	}
	if err := d.insert(ctx, stmtMessage, m.RunID, m.Number, m.QueueID, boolInt(m.Delivered), m.Reply,
		original, final, rawJSON(m.EnvelopeBefore, "null"), rawJSON(m.EnvelopeAfter, "null"),
		timeValue(m.Ended), queuedHead, relay); err != nil {
		return fmt.Errorf("store: insert message %d of run %d: %w", m.Number, m.RunID, err)
	}
	return nil
}
