package report

import (
	"encoding/json"
	"fmt"

	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookconf"
)

// Live is the document of sessions just played against hooks: what
// `hooksim run --json` writes. Secrets in hooks are redacted
// (hookconf.Hook.Redacted); request headers are as the simulator kept
// them (Authorization redacted). An error is a hook setting that does not
// encode as JSON.
func Live(hooks []*hookconf.Hook, results []*simulator.SessionResult) (*Report, error) {
	rep := &Report{Version: Version, Generator: Generator, Hooks: []json.RawMessage{},
		ConfigLints: LintsOf(simulator.ConfigLints(hooks)), Sessions: []Session{}}
	for _, h := range hooks {
		b, err := json.Marshal(h.Redacted())
		if err != nil {
			return nil, fmt.Errorf("report: hook %s: %w", h.ID, err)
		}
		rep.Hooks = append(rep.Hooks, b)
	}
	for _, r := range results {
		rep.Add(LiveSession(r))
	}
	return rep, nil
}

// Add appends s to r's sessions and counts it in r.Summary.
func (r *Report) Add(s Session) {
	r.Sessions = append(r.Sessions, s)
	r.Summary.Sessions++
	if s.Passed {
		r.Summary.Passed++
	} else {
		r.Summary.Failed++
	}
	n := len(s.Unstepped)
	for _, st := range s.Steps {
		n += len(st.Exchanges)
	}
	r.Summary.Exchanges += n
}

// LiveSession is one played session in the vocabulary (Run nil).
func LiveSession(r *simulator.SessionResult) Session { return liveSession(r, NewBytes) }

// liveSession is LiveSession with bytesOf making the Bytes of every
// request, response and message (NewBytes, or a Writer's placeholder for
// a large one).
func liveSession(r *simulator.SessionResult, bytesOf bytesFunc) Session {
	s := Session{Name: r.Name, File: r.File, Passed: r.Passed(), Failures: []string{}, Started: r.Started,
		DurationMS: MS(r.Duration), Steps: []Step{}, Transactions: []Transaction{}, Unstepped: []Exchange{}}
	if r.Err != nil {
		s.Error = r.Err.Error()
	}
	for _, st := range r.Steps {
		s.Failures = append(s.Failures, st.Failures...)
		s.Steps = append(s.Steps, liveStep(st, bytesOf))
	}
	for _, tx := range r.Transactions {
		s.Transactions = append(s.Transactions, liveTransaction(tx, bytesOf))
	}
	return s
}

func envelope(e simulator.EnvelopeView) Envelope {
	return Envelope{From: e.From, To: append([]string{}, e.To...)}
}

func liveStep(st *simulator.StepResult, bytesOf bytesFunc) Step {
	s := Step{Index: st.Index, Kind: st.Kind, Line: st.Line, Implied: st.Implied, Command: st.Command, Message: st.Message,
		Replies: append([]string{}, st.Replies...), Reply: st.Reply(), Action: st.Action, Transaction: st.Transaction,
		Closed: st.Closed, Exchanges: []Exchange{}, Lints: LintsOf(st.Lints), Failures: append([]string{}, st.Failures...)}
	for _, ex := range st.Exchanges {
		s.Exchanges = append(s.Exchanges, liveExchange(ex, s.Reply, bytesOf))
	}
	return s
}

// LiveExchange is ex in the vocabulary; reply is the SMTP reply of its
// step. The answer is not parsed again: the simulator's parse is used.
func LiveExchange(ex *simulator.Exchange, reply string) Exchange {
	return liveExchange(ex, reply, NewBytes)
}

func liveExchange(ex *simulator.Exchange, reply string, bytesOf bytesFunc) Exchange {
	e := Exchange{Seq: ex.Seq, Step: ex.StepIndex, Transaction: ex.Transaction, Stage: string(ex.Stage), Hook: ex.HookID,
		URL: ex.URL, Started: ex.Started, DurationMS: MS(ex.Call.Duration), HTTPVersion: ex.Call.Proto,
		Request:  bytesOf.body(HeaderPairs(ex.RequestHdrs), ex.Request),
		Response: Response{Status: ex.Call.Status, Body: bytesOf.body(HeaderPairs(ex.Call.ResponseHeaders), ex.Call.Body)},
		Effect:   ex.Effect, Outcome: ex.Outcome, Reply: reply, Parsed: ParsedOf(ex.Response), Modifications: []string{},
		Lints: LintsOf(ex.Lints)}
	if ex.Err != nil {
		e.Error = &Error{Class: string(ex.Err.Class), Message: ex.Err.Message}
	}
	if e.Parsed != nil {
		e.Modifications = ModificationLines(e.Parsed.Modifications)
	}
	return e
}

// HeaderPairs is h as [name, value] pairs, in order; never nil.
func HeaderPairs(h []hookconf.HeaderField) [][2]string {
	out := make([][2]string, len(h))
	for i, f := range h {
		out[i] = [2]string{f.Name, f.Value}
	}
	return out
}

// JSON is r as `hooksim export --as json` and the web API's export
// as=json write it: indented by two spaces, with a final newline. Both
// call it, so the two are the same bytes.
func (r *Report) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	return append(b, '\n'), nil
}

// Recorded is the Report of one recorded run (`hooksim export --as json`,
// the web API's export as=json): s with its run's hooks. ConfigLints are
// empty: a recorded run's settings were linted when it was played.
func Recorded(s *Session) *Report {
	rep := &Report{Version: Version, Generator: Generator, Hooks: []json.RawMessage{}, ConfigLints: []Lint{}, Sessions: []Session{}}
	if s.Run != nil {
		var hooks []json.RawMessage
		if err := json.Unmarshal(s.Run.Hooks, &hooks); err == nil && hooks != nil {
			rep.Hooks = hooks
		}
	}
	rep.Add(*s)
	return rep
}
