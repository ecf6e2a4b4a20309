package report

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/hooksim/hooksim/simulator/hookclient"
	"github.com/hooksim/hooksim/simulator/wire"
	"github.com/hooksim/hooksim/store"
)

// StoredRun is a run row in the vocabulary. Hooks are the recorded
// settings (the recorder redacted them: the store never holds a secret),
// or null when none or not valid JSON.
func StoredRun(r *store.Run) Run {
	v := Run{
		ID: r.ID, Session: r.SessionName, File: r.SessionFile, Hash: r.SessionHash, Source: r.Source,
		ReplayOf: r.ReplayOf, ReplayMode: r.ReplayMode, Started: r.Started.UTC(), Outcome: r.Outcome,
		Failures: r.Failures, Exchanges: r.Exchanges, Error: r.Error, Hooks: json.RawMessage("null"),
	}
	if !r.Ended.IsZero() {
		e := r.Ended.UTC()
		v.Ended = &e
	}
	if h := bytes.TrimSpace(r.Hooks); len(h) > 0 && json.Valid(h) {
		v.Hooks = json.RawMessage(h)
	}
	return v
}

// Stored reads run runID from st as one Session, with Run set. It reads
// the store's rows only, and parses each answer that arrived whole (2xx,
// no error) once, for Parsed and Modifications. A missing run is an error
// wrapping store.ErrNotFound.
func Stored(ctx context.Context, st *store.Store, runID int64) (*Session, error) {
	rows, err := st.ReadRun(ctx, runID)
	if err != nil {
		return nil, err
	}
	return FromRows(rows.Run, rows.Steps, rows.Exchanges, rows.Messages)
}

// FromRows is Stored for rows already read. An error is a lint or
// envelope column that is not the JSON the recorder writes.
func FromRows(run *store.Run, steps []store.Step, exs []store.Exchange, msgs []store.Message) (*Session, error) {
	r := StoredRun(run)
	s := &Session{Run: &r, Name: run.SessionName, File: run.SessionFile, Passed: run.Outcome == store.OutcomePassed,
		Failures: []string{}, Started: r.Started, Steps: []Step{}, Transactions: []Transaction{}, Unstepped: []Exchange{}}
	if run.Outcome == store.OutcomeError {
		s.Error = run.Error
	}
	if r.Ended != nil {
		s.DurationMS = MS(r.Ended.Sub(r.Started))
	}
	byStep := map[int][]Exchange{}
	for i := range exs {
		e, err := StoredExchange(&exs[i])
		if err != nil {
			return nil, fmt.Errorf("report: run %d: %w", run.ID, err)
		}
		byStep[e.Step] = append(byStep[e.Step], e)
	}
	for i := range steps {
		row := &steps[i]
		lints, err := storedLints(row.Lints)
		if err != nil {
			return nil, fmt.Errorf("report: run %d: step %d: %w", run.ID, row.Index, err)
		}
		step := Step{Index: row.Index, Kind: row.Kind, Line: row.Line, Implied: row.Implied, Command: row.Command,
			Message: row.Message, Replies: append([]string{}, row.Replies...), Action: row.Action, Transaction: row.Transaction,
			Closed: row.Closed, Exchanges: nonNil(byStep[row.Index]), Lints: lints, Failures: append([]string{}, row.Failures...)}
		if n := len(step.Replies); n > 0 {
			step.Reply = step.Replies[n-1]
		}
		delete(byStep, row.Index)
		s.Failures = append(s.Failures, step.Failures...)
		s.Steps = append(s.Steps, step)
	}
	for i := range exs {
		if ex, ok := byStep[exs[i].StepIndex]; ok {
			s.Unstepped = append(s.Unstepped, ex...)
			delete(byStep, exs[i].StepIndex)
		}
	}
	for i := range msgs {
		tx, err := StoredTransaction(&msgs[i])
		if err != nil {
			return nil, fmt.Errorf("report: run %d: %w", run.ID, err)
		}
		s.Transactions = append(s.Transactions, tx)
	}
	return s, nil
}

// StoredTransaction is a message row in the vocabulary. Queued is null
// and QueuedNotes empty: the message as queued is not stored. An error is
// an envelope column that is not the JSON the recorder writes.
func StoredTransaction(m *store.Message) (Transaction, error) {
	tx := Transaction{Number: m.Number, QueueID: m.QueueID, Delivered: m.Delivered, Reply: m.Reply,
		Original: bytesOrNil(nonNil(m.Original)), Final: bytesOrNil(m.Final), QueuedNotes: []string{}}
	if err := storedEnvelope(m.EnvelopeBefore, &tx.EnvelopeBefore); err != nil {
		return tx, fmt.Errorf("message %d: envelope before: %w", m.Number, err)
	}
	if err := storedEnvelope(m.EnvelopeAfter, &tx.EnvelopeAfter); err != nil {
		return tx, fmt.Errorf("message %d: envelope after: %w", m.Number, err)
	}
	return tx, nil
}

// StoredExchange is an exchange row in the vocabulary. The HTTP version
// is told from the recorded request head (an HTTP/2 HEADERS rendering or
// an HTTP/1.1 request line); "" when none was kept. An error is a lint
// column that is not a JSON array of lints.
func StoredExchange(e *store.Exchange) (Exchange, error) {
	lints, err := storedLints(e.Lints)
	if err != nil {
		return Exchange{}, fmt.Errorf("exchange %d: %w", e.Seq, err)
	}
	v := Exchange{Seq: e.Seq, Step: e.StepIndex, Transaction: e.Transaction, Stage: e.Stage, Hook: e.HookID, URL: e.URL,
		Started: e.Started.UTC(), DurationMS: MS(e.Duration),
		Request:  newBody(storedPairs(e.RequestHeaders), e.RequestBody),
		Response: Response{Status: e.Status, Body: newBody(storedPairs(e.ResponseHeaders), e.ResponseBody)},
		Effect:   e.Effect, Outcome: e.Outcome, Reply: e.Reply, Modifications: []string{}, Lints: lints}
	if w := e.Wire; w != nil && len(w.RequestHead) > 0 {
		v.HTTPVersion = hookclient.ProtoHTTP11
		if hookclient.IsH2Head(w.RequestHead) {
			v.HTTPVersion = hookclient.ProtoHTTP2
		}
	}
	if e.ErrorClass != "" {
		v.Error = &Error{Class: e.ErrorClass, Message: e.ErrorText}
	} else if e.Status >= 200 && e.Status < 300 {
		// The answer is not stored parsed: read it as Stalwart did.
		if resp, err := wire.ParseResponse(e.ResponseBody); err == nil {
			v.Parsed = ParsedOf(resp)
			v.Modifications = ModificationLines(resp.Modifications)
		}
	}
	return v, nil
}

func storedPairs(h []store.Header) [][2]string {
	out := make([][2]string, len(h))
	for i, f := range h {
		out[i] = [2]string{f.Name, f.Value}
	}
	return out
}

// storedLints decodes a lint column (a JSON array; empty is none).
func storedLints(b []byte) ([]Lint, error) {
	out := []Lint{}
	if len(bytes.TrimSpace(b)) == 0 {
		return out, nil
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("lints: %w", err)
	}
	return nonNil(out), nil
}

// storedEnvelope decodes an envelope column ({"from": ..., "to": [...]}).
func storedEnvelope(b []byte, dst *Envelope) error {
	if len(bytes.TrimSpace(b)) > 0 {
		if err := json.Unmarshal(b, dst); err != nil {
			return err
		}
	}
	dst.To = nonNil(dst.To)
	return nil
}

// WithoutBodies returns s without its bytes: request and response bodies
// and the transactions' messages are left out (headers, statuses and
// everything else stay). The web's run page and events use it; the whole
// document is one request away.
func (s Session) WithoutBodies() Session {
	steps := make([]Step, len(s.Steps))
	for i, st := range s.Steps {
		st.Exchanges = withoutBodies(st.Exchanges)
		steps[i] = st
	}
	s.Steps = steps
	s.Unstepped = withoutBodies(s.Unstepped)
	txs := make([]Transaction, len(s.Transactions))
	for i, tx := range s.Transactions {
		tx.Original, tx.Final, tx.Queued = nil, nil, nil
		txs[i] = tx
	}
	s.Transactions = txs
	return s
}

func withoutBodies(exs []Exchange) []Exchange {
	out := make([]Exchange, len(exs))
	for i, e := range exs {
		out[i] = e.WithoutBodies()
	}
	return out
}

// WithoutBodies returns e without its request and response bodies.
func (e Exchange) WithoutBodies() Exchange {
	e.Request.Text, e.Request.Base64 = nil, nil
	e.Response.Text, e.Response.Base64 = nil, nil
	return e
}
