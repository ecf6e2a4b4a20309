package main

import (
	"encoding/base64"
	"time"
	"unicode/utf8"

	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/simulator/wire"
)

// The --json report. Its schema is documented in docs/report.md; bump
// reportVersion on any incompatible change.
const reportVersion = 1

type report struct {
	Version     int              `json:"version"`
	Generator   string           `json:"generator"`
	Hooks       []map[string]any `json:"hooks"`
	ConfigLints []wire.Lint      `json:"config_lints"`
	Sessions    []sessionReport  `json:"sessions"`
	Summary     summaryReport    `json:"summary"`
}

type summaryReport struct {
	Sessions  int `json:"sessions"`
	Passed    int `json:"passed"`
	Failed    int `json:"failed"`
	Exchanges int `json:"exchanges"`
}

type sessionReport struct {
	Name         string              `json:"name"`
	File         string              `json:"file"`
	Passed       bool                `json:"passed"`
	Failures     []string            `json:"failures"`
	Error        string              `json:"error,omitempty"`
	Started      time.Time           `json:"started"`
	DurationMS   float64             `json:"duration_ms"`
	Steps        []stepReport        `json:"steps"`
	Transactions []transactionReport `json:"transactions"`
}

type stepReport struct {
	Index       int              `json:"index"`
	Kind        string           `json:"kind"`
	Line        int              `json:"line,omitempty"`
	Implied     bool             `json:"implied,omitempty"`
	Command     string           `json:"command"`
	Message     string           `json:"message,omitempty"`
	Replies     []string         `json:"replies"`
	Reply       string           `json:"reply"`
	Action      string           `json:"action"`
	Transaction int              `json:"transaction"`
	Closed      bool             `json:"closed,omitempty"`
	Exchanges   []exchangeReport `json:"exchanges"`
	Lints       []wire.Lint      `json:"lints"`
	Failures    []string         `json:"failures"`
}

type exchangeReport struct {
	Seq        int       `json:"seq"`
	Stage      string    `json:"stage"`
	Hook       string    `json:"hook"`
	URL        string    `json:"url"`
	Started    time.Time `json:"started"`
	DurationMS float64   `json:"duration_ms"`
	// HTTPVersion is the protocol the exchange used: "HTTP/1.1", or
	// "HTTP/2.0" when a TLS hook chose h2 by ALPN; "" when no connection
	// was made.
	HTTPVersion string       `json:"http_version"`
	Request     httpBody     `json:"request"`
	Response    httpResponse `json:"response"`
	Error       *errorReport `json:"error"`
	Effect      string       `json:"effect,omitempty"`
	Outcome     string       `json:"outcome"`
	Lints       []wire.Lint  `json:"lints"`
}

type httpBody struct {
	Headers [][2]string `json:"headers"`
	Body    *string     `json:"body,omitempty"`
	Base64  *string     `json:"body_base64,omitempty"`
}

type httpResponse struct {
	Status int `json:"status"`
	httpBody
}

type errorReport struct {
	Class   string `json:"class"`
	Message string `json:"message"`
}

type transactionReport struct {
	Number         int                    `json:"number"`
	QueueID        string                 `json:"queue_id"`
	Delivered      bool                   `json:"delivered"`
	Reply          string                 `json:"reply"`
	EnvelopeBefore simulator.EnvelopeView `json:"envelope_before"`
	EnvelopeAfter  simulator.EnvelopeView `json:"envelope_after"`
	Original       rawBytes               `json:"original"`
	Final          *rawBytes              `json:"final"`
	// Queued is the message as Stalwart would queue it: its own headers
	// in front of Final; QueuedNotes say what hooksim leaves out of it.
	Queued      *rawBytes `json:"queued"`
	QueuedNotes []string  `json:"queued_notes"`
}

// rawBytes carries bytes as text when they are valid UTF-8, else in base64.
type rawBytes struct {
	Text   *string `json:"text,omitempty"`
	Base64 *string `json:"base64,omitempty"`
}

func newRawBytes(b []byte) rawBytes {
	s := string(b)
	if utf8.ValidString(s) {
		return rawBytes{Text: &s}
	}
	e := base64.StdEncoding.EncodeToString(b)
	return rawBytes{Base64: &e}
}

func newHTTPBody(headers []hookconf.HeaderField, body []byte) httpBody {
	hb := httpBody{Headers: [][2]string{}}
	for _, h := range headers {
		hb.Headers = append(hb.Headers, [2]string{h.Name, h.Value})
	}
	rb := newRawBytes(body)
	hb.Body, hb.Base64 = rb.Text, rb.Base64
	return hb
}

func buildReport(hooks []*hookconf.Hook, results []*simulator.SessionResult) *report {
	rep := &report{Version: reportVersion, Generator: "hooksim", Hooks: []map[string]any{}, ConfigLints: simulator.ConfigLints(hooks)}
	if rep.ConfigLints == nil {
		rep.ConfigLints = []wire.Lint{}
	}
	for _, h := range hooks {
		rep.Hooks = append(rep.Hooks, h.Redacted())
	}
	for _, r := range results {
		sr := sessionReport{Name: r.Name, File: r.File, Passed: r.Passed(), Failures: []string{},
			Started: r.Started, DurationMS: ms(r.Duration), Steps: []stepReport{}, Transactions: []transactionReport{}}
		if r.Err != nil {
			sr.Error = r.Err.Error()
		}
		for _, st := range r.Steps {
			sr.Failures = append(sr.Failures, st.Failures...)
			sr.Steps = append(sr.Steps, buildStepReport(st))
		}
		for _, tx := range r.Transactions {
			tr := transactionReport{Number: tx.Number, QueueID: tx.QueueID, Delivered: tx.Delivered, Reply: tx.Reply,
				EnvelopeBefore: tx.EnvelopeIn, EnvelopeAfter: tx.EnvelopeOut, Original: newRawBytes(tx.Original)}
			if tx.Final != nil {
				f := newRawBytes(tx.Final)
				tr.Final = &f
			}
			if tx.Queued != nil {
				q := newRawBytes(tx.Queued)
				tr.Queued = &q
			}
			tr.QueuedNotes = append([]string{}, tx.QueuedNotes...)
			sr.Transactions = append(sr.Transactions, tr)
		}
		rep.Sessions = append(rep.Sessions, sr)
		rep.Summary.Sessions++
		if sr.Passed {
			rep.Summary.Passed++
		} else {
			rep.Summary.Failed++
		}
		rep.Summary.Exchanges += r.Exchanges
	}
	if rep.Sessions == nil {
		rep.Sessions = []sessionReport{}
	}
	return rep
}

func buildStepReport(st *simulator.StepResult) stepReport {
	s := stepReport{Index: st.Index, Kind: st.Kind, Line: st.Line, Implied: st.Implied, Command: st.Command, Message: st.Message,
		Replies: append([]string{}, st.Replies...), Reply: st.Reply(), Action: st.Action, Transaction: st.Transaction,
		Closed: st.Closed, Exchanges: []exchangeReport{}, Lints: append([]wire.Lint{}, st.Lints...),
		Failures: append([]string{}, st.Failures...)}
	for _, ex := range st.Exchanges {
		er := exchangeReport{Seq: ex.Seq, Stage: string(ex.Stage), Hook: ex.HookID, URL: ex.URL, Started: ex.Started,
			DurationMS: ms(ex.Call.Duration), HTTPVersion: ex.Call.Proto, Request: newHTTPBody(ex.RequestHdrs, ex.Request),
			Response: httpResponse{Status: ex.Call.Status, httpBody: newHTTPBody(ex.Call.ResponseHeaders, ex.Call.Body)},
			Effect:   ex.Effect, Outcome: ex.Outcome, Lints: append([]wire.Lint{}, ex.Lints...)}
		if ex.Err != nil {
			er.Error = &errorReport{Class: string(ex.Err.Class), Message: ex.Err.Message}
		}
		s.Exchanges = append(s.Exchanges, er)
	}
	return s
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
