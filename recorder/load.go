package recorder

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hooksim/hooksim/recorder/report"
	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookclient"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/simulator/wire"
	"github.com/hooksim/hooksim/store"
)

// Loaded is a recorded run rebuilt for show, export and replay.
type Loaded struct {
	Run store.Run
	// Session is the script read back from Run.Script (a script or a
	// script archive: sessions.ParseArchive); nil when the run
	// has none or it does not parse (SessionErr says why).
	Session    *sessions.Session
	SessionErr error
	// Report is the run in the one vocabulary (report.FromRows): its
	// steps with their exchanges, its transactions, the exchanges no step
	// holds (Unstepped), and Run.
	Report *report.Session
	// ExchangeRows are the run's exchange rows as stored, in sequence
	// order: the wire record (heads, redirects) the vocabulary leaves out,
	// for what re-sends or prints the recorded bytes (curl, raw).
	ExchangeRows []store.Exchange
	// Result is the run as the simulator reported it: steps with their
	// exchanges (responses parsed again), and transactions.
	Result *simulator.SessionResult
	// Exchanges are all the run's exchanges in order, the same pointers
	// as in Result's steps, plus any that no step claimed (a run cut
	// short).
	Exchanges []*simulator.Exchange
}

// Load rebuilds run runID from st. A missing run is an error wrapping
// store.ErrNotFound.
func Load(ctx context.Context, st *store.Store, runID int64) (*Loaded, error) {
	rows, err := st.ReadRun(ctx, runID)
	if err != nil {
		return nil, err
	}
	run, steps, exs, msgs := rows.Run, rows.Steps, rows.Exchanges, rows.Messages
	doc, err := report.FromRows(run, steps, exs, msgs)
	if err != nil {
		return nil, err
	}
	l := &Loaded{Run: *run, Report: doc, ExchangeRows: exs}
	if len(run.Script) > 0 {
		s, err := sessions.ParseArchive(run.SessionFile, run.Script)
		if err != nil {
			l.SessionErr = fmt.Errorf("recorder: run %d: session script: %w", runID, err)
		} else {
			l.Session = s
		}
	}
	res := &simulator.SessionResult{
		Name: run.SessionName, File: run.SessionFile, Exchanges: run.Exchanges, Failures: run.Failures,
		Started: run.Started,
	}
	if !run.Ended.IsZero() {
		res.Duration = run.Ended.Sub(run.Started)
	}
	if l.Session != nil {
		for _, st := range l.Session.Steps {
			if st.Expect != nil {
				res.Expectations++
			}
		}
	}
	if run.Outcome == store.OutcomeError {
		res.Err = errors.New(run.Error)
	}
	byStep := map[int][]*simulator.Exchange{}
	for i := range exs {
		ex, err := exchangeFrom(run.SessionName, &exs[i])
		if err != nil {
			return nil, fmt.Errorf("recorder: run %d: %w", runID, err)
		}
		l.Exchanges = append(l.Exchanges, ex)
		byStep[ex.StepIndex] = append(byStep[ex.StepIndex], ex)
	}
	if run.Outcome == store.OutcomeRunning {
		res.Exchanges = len(l.Exchanges)
	}
	closed := false
	for i := range steps {
		sr, err := stepFrom(run.SessionName, &steps[i])
		if err != nil {
			return nil, fmt.Errorf("recorder: run %d: %w", runID, err)
		}
		sr.Exchanges = byStep[sr.Index]
		// Not stored: a step after the connection closed, until the next
		// connect, was not sent (it has no reply).
		if sr.Kind == "connect" {
			closed = false
		}
		sr.NotSent = closed && len(sr.Replies) == 0
		closed = closed || sr.Closed
		res.Steps = append(res.Steps, sr)
	}
	for i := range msgs {
		tx, err := transactionFrom(run.SessionName, &msgs[i])
		if err != nil {
			return nil, fmt.Errorf("recorder: run %d: %w", runID, err)
		}
		res.Transactions = append(res.Transactions, tx)
	}
	l.Result = res
	return l, nil
}

func lintsFrom(b []byte) ([]wire.Lint, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var l []wire.Lint
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("lints: %w", err)
	}
	if len(l) == 0 {
		return nil, nil
	}
	return l, nil
}

func fields(h []store.Header) []hookconf.HeaderField {
	out := make([]hookconf.HeaderField, len(h))
	for i, f := range h {
		out[i] = hookconf.HeaderField{Name: f.Name, Value: f.Value}
	}
	return out
}

// exchangeFrom rebuilds an exchange; a 2xx answer without an error is
// parsed again into Response.
func exchangeFrom(session string, e *store.Exchange) (*simulator.Exchange, error) {
	lints, err := lintsFrom(e.Lints)
	if err != nil {
		return nil, fmt.Errorf("exchange %d: %w", e.Seq, err)
	}
	ex := &simulator.Exchange{
		Session: session, Seq: e.Seq, StepIndex: e.StepIndex, Transaction: e.Transaction, Stage: wire.Stage(e.Stage),
		HookID: e.HookID, URL: e.URL, Started: e.Started, Request: e.RequestBody, RequestHdrs: fields(e.RequestHeaders),
		Call: hookclient.CallResult{
			URL: e.URL, RequestHeaders: fields(e.RequestHeaders), Status: e.Status,
			ResponseHeaders: fields(e.ResponseHeaders), Body: e.ResponseBody, Duration: e.Duration,
		},
		Outcome: e.Outcome, Effect: e.Effect, Lints: lints,
	}
	if w := e.Wire; w != nil {
		ex.Call.RequestHead, ex.Call.ResponseHead = w.RequestHead, w.ResponseHead
		if len(w.RequestHead) > 0 {
			// The protocol is not stored: the request head tells it.
			ex.Call.Proto = hookclient.ProtoHTTP11
			if hookclient.IsH2Head(w.RequestHead) {
				ex.Call.Proto = hookclient.ProtoHTTP2
			}
		}
		ex.Call.BodyRead = hookclient.BodyRead(w.BodyRead)
		for _, r := range w.Redirects {
			ex.Call.Redirects = append(ex.Call.Redirects, hookclient.Redirect{Status: r.Status, Method: r.Method, URL: r.URL})
		}
		if n := len(w.Redirects); n > 0 {
			ex.Call.URL = w.Redirects[n-1].URL
		}
	}
	if e.ErrorClass != "" {
		ex.Err = &hookclient.HookError{Class: hookclient.ErrorClass(e.ErrorClass), Message: e.ErrorText}
		// Only transport and status failures are the call's own; a parse
		// failure came after a complete answer.
		if ex.Err.Class != hookclient.ErrParse {
			ex.Call.Err = ex.Err
		}
		return ex, nil
	}
	if e.Status >= 200 && e.Status < 300 {
		if resp, err := wire.ParseResponse(e.ResponseBody); err == nil {
			ex.Response = resp
		} else {
			ex.Err = &hookclient.HookError{Class: hookclient.ErrParse, Message: "Failed to parse Hook response: " + err.Error()}
		}
	}
	return ex, nil
}

func stepFrom(session string, s *store.Step) (*simulator.StepResult, error) {
	lints, err := lintsFrom(s.Lints)
	if err != nil {
		return nil, fmt.Errorf("step %d: %w", s.Index, err)
	}
	failures := s.Failures
	if len(failures) == 0 {
		failures = nil
	}
	return &simulator.StepResult{
		Session: session, Index: s.Index, Kind: s.Kind, Command: s.Command, Message: s.Message, Replies: s.Replies,
		Action: s.Action, Transaction: s.Transaction, Closed: s.Closed, Failures: failures, Lints: lints,
		Line: s.Line, Implied: s.Implied,
	}, nil
}

func transactionFrom(session string, m *store.Message) (*simulator.TransactionResult, error) {
	tx := &simulator.TransactionResult{
		Session: session, Number: m.Number, QueueID: m.QueueID, Delivered: m.Delivered,
		Original: m.Original, Final: m.Final, Reply: m.Reply,
	}
	if err := json.Unmarshal(m.EnvelopeBefore, &tx.EnvelopeIn); err != nil {
		return nil, fmt.Errorf("message %d: envelope before: %w", m.Number, err)
	}
	if err := json.Unmarshal(m.EnvelopeAfter, &tx.EnvelopeOut); err != nil {
		return nil, fmt.Errorf("message %d: envelope after: %w", m.Number, err)
	}
	return tx, nil
}
