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
		Failures: r.Failures, Exchanges: r.Exchanges, Error: r.Error, HookErrors: r.HookErrors, Drift: r.Drift, Hooks: json.RawMessage("null"),
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
// the store's rows only: Parsed is the answer as the recorder stored it
// (rows recorded before schema version 8 have their 2xx answer parsed). A missing run is an error
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
	s := storedHead(run, steps)
	g := groupExchanges(steps, exs)
	for i := range steps {
		step, err := storedStep(run.ID, &steps[i], g.byStep[steps[i].Index], NewBytes)
		if err != nil {
			return nil, err
		}
		s.Steps = append(s.Steps, step)
	}
	for _, row := range g.unstepped {
		e, err := storedExchange(row, NewBytes)
		if err != nil {
			return nil, fmt.Errorf("report: run %d: %w", run.ID, err)
		}
		s.Unstepped = append(s.Unstepped, e)
	}
	for i := range msgs {
		tx, err := storedTransaction(&msgs[i], NewBytes)
		if err != nil {
			return nil, fmt.Errorf("report: run %d: %w", run.ID, err)
		}
		s.Transactions = append(s.Transactions, tx)
	}
	return s, nil
}

// storedHead is the Session of run without its steps, transactions and
// unstepped exchanges (empty lists); its Failures are every step's.
func storedHead(run *store.Run, steps []store.Step) *Session {
	r := StoredRun(run)
	s := &Session{Run: &r, Name: run.SessionName, File: run.SessionFile, Passed: run.Outcome == store.OutcomePassed,
		Failures: []string{}, Started: r.Started, Steps: []Step{}, Transactions: []Transaction{}, Unstepped: []Exchange{}}
	if run.Outcome == store.OutcomeError {
		s.Error = run.Error
	}
	if r.Ended != nil {
		s.DurationMS = MS(r.Ended.Sub(r.Started))
	}
	for i := range steps {
		s.Failures = append(s.Failures, steps[i].Failures...)
	}
	return s
}

// exchangeGroups are a run's exchange rows by the step that holds them,
// and those no step row holds (unstepped), in order: grouped by step
// index, each group where its first exchange is.
type exchangeGroups struct {
	byStep    map[int][]*store.Exchange
	unstepped []*store.Exchange
}

func groupExchanges(steps []store.Step, exs []store.Exchange) exchangeGroups {
	g := exchangeGroups{byStep: map[int][]*store.Exchange{}}
	for i := range exs {
		g.byStep[exs[i].StepIndex] = append(g.byStep[exs[i].StepIndex], &exs[i])
	}
	stepped := make(map[int]bool, len(steps))
	for i := range steps {
		stepped[steps[i].Index] = true
	}
	done := map[int]bool{}
	for i := range exs {
		if k := exs[i].StepIndex; !stepped[k] && !done[k] {
			g.unstepped = append(g.unstepped, g.byStep[k]...)
			done[k] = true
		}
	}
	return g
}

// storedStep is a step row of run runID with its exchange rows, their
// bodies made by bytesOf.
func storedStep(runID int64, row *store.Step, exs []*store.Exchange, bytesOf bytesFunc) (Step, error) {
	lints, err := storedLints(row.Lints)
	if err != nil {
		return Step{}, fmt.Errorf("report: run %d: step %d: %w", runID, row.Index, err)
	}
	step := Step{Index: row.Index, Kind: row.Kind, Line: row.Line, Implied: row.Implied, Command: row.Command,
		Message: row.Message, Replies: append([]string{}, row.Replies...), Action: row.Action, Transaction: row.Transaction,
		Closed: row.Closed, Exchanges: []Exchange{}, Lints: lints, Failures: append([]string{}, row.Failures...)}
	if n := len(step.Replies); n > 0 {
		step.Reply = step.Replies[n-1]
	}
	for _, e := range exs {
		v, err := storedExchange(e, bytesOf)
		if err != nil {
			return Step{}, fmt.Errorf("report: run %d: %w", runID, err)
		}
		step.Exchanges = append(step.Exchanges, v)
	}
	return step, nil
}

// StoredTransaction is a message row in the vocabulary. Queued is null
// and QueuedNotes empty: the message as queued is not stored. An error is
// an envelope column that is not the JSON the recorder writes.
func StoredTransaction(m *store.Message) (Transaction, error) { return storedTransaction(m, NewBytes) }

func storedTransaction(m *store.Message, bytesOf bytesFunc) (Transaction, error) {
	tx := Transaction{Number: m.Number, QueueID: m.QueueID, Delivered: m.Delivered, Reply: m.Reply,
		Original: bytesOf.orNil(nonNil(m.Original)), Final: bytesOf.orNil(m.Final), QueuedNotes: []string{}}
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
func StoredExchange(e *store.Exchange) (Exchange, error) { return storedExchange(e, NewBytes) }

func storedExchange(e *store.Exchange, bytesOf bytesFunc) (Exchange, error) {
	lints, err := storedLints(e.Lints)
	if err != nil {
		return Exchange{}, fmt.Errorf("exchange %d: %w", e.Seq, err)
	}
	v := Exchange{Seq: e.Seq, Step: e.StepIndex, Transaction: e.Transaction, Stage: e.Stage, Hook: e.HookID, URL: e.URL,
		Started: e.Started.UTC(), DurationMS: MS(e.Duration),
		Request:  bytesOf.body(storedPairs(e.RequestHeaders), e.RequestBody),
		Response: Response{Status: e.Status, Body: bytesOf.body(storedPairs(e.ResponseHeaders), e.ResponseBody)},
		Effect:   e.Effect, Outcome: e.Outcome, Reply: e.Reply, Modifications: []string{}, Lints: lints}
	if w := e.Wire; w != nil && len(w.RequestHead) > 0 {
		v.HTTPVersion = hookclient.ProtoHTTP11
		if hookclient.IsH2Head(w.RequestHead) {
			v.HTTPVersion = hookclient.ProtoHTTP2
		}
	}
	switch {
	case len(e.Parsed) > 0:
		// What the simulator made of the answer, as recorded.
		if err := json.Unmarshal(e.Parsed, &v.Parsed); err != nil {
			return Exchange{}, fmt.Errorf("exchange %d: parsed answer: %w", e.Seq, err)
		}
	case e.ErrorClass != "":
	case e.Status >= 200 && e.Status < 300:
		// Recorded before the parse was stored (schema version 8): read
		// the answer as Stalwart does.
		if resp, err := wire.ParseResponse(e.ResponseBody); err == nil {
			v.Parsed = ParsedOf(resp)
		}
	}
	if e.ErrorClass != "" {
		v.Error = &Error{Class: e.ErrorClass, Message: e.ErrorText}
	}
	if v.Parsed != nil {
		v.Parsed.Modifications = nonNil(v.Parsed.Modifications)
		v.Modifications = ModificationLines(v.Parsed.Modifications)
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
