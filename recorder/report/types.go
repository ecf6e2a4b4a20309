package report

import (
	"encoding/json"
	"time"
)

// Report is a document of one or more played sessions: `hooksim run
// --json` (every session of the run) and `hooksim export --as json` (one
// recorded run, with Sessions[0].Run set).
type Report struct {
	Version   int    `json:"version"`   // Version
	Generator string `json:"generator"` // Generator
	// Hooks are the MtaHook settings played against, as JSON objects
	// with every secret "****".
	Hooks       []json.RawMessage `json:"hooks"`
	ConfigLints []Lint            `json:"config_lints"`
	Sessions    []Session         `json:"sessions"`
	Summary     Summary           `json:"summary"`
}

// Summary counts a Report's sessions and hook exchanges.
type Summary struct {
	Sessions  int `json:"sessions"`
	Passed    int `json:"passed"`
	Failed    int `json:"failed"`
	Exchanges int `json:"exchanges"`
}

// Session is one played session: its SMTP steps with their hook
// exchanges, and its transactions. It is also the answer of the web API's
// GET /api/v1/runs/{id}, with Run set.
type Session struct {
	// Run is the recorded run this session is; nil (left out) for a play
	// that was not recorded.
	Run      *Run     `json:"run,omitempty"`
	Name     string   `json:"name"`
	File     string   `json:"file"`
	Passed   bool     `json:"passed"`   // every expectation held
	Failures []string `json:"failures"` // one sentence per failed expectation
	// Error is set only when the simulator itself stopped (cancelled).
	Error        string        `json:"error,omitempty"`
	Started      time.Time     `json:"started"`
	DurationMS   float64       `json:"duration_ms"` // milliseconds; 0 while running
	Steps        []Step        `json:"steps"`
	Transactions []Transaction `json:"transactions"`
	// Unstepped are exchanges no step holds: those of the step a run is
	// still playing, or of one a killed run never finished. Empty for a
	// finished play.
	Unstepped []Exchange `json:"unstepped"`
}

// Run is a recorded run as the store keeps it: `hooksim runs --json`
// lists them, the web API's runs list and events carry them.
type Run struct {
	ID         int64      `json:"id"`
	Session    string     `json:"session"`
	File       string     `json:"file"`
	Hash       string     `json:"hash"`        // SHA-256 of the script, hex
	Source     string     `json:"source"`      // "script", "smtp", "replay" or "proxy"
	ReplayOf   int64      `json:"replay_of"`   // the run replayed; 0 when none
	ReplayMode string     `json:"replay_mode"` // "exact" or "resimulate" for replays, else ""
	Started    time.Time  `json:"started"`     // RFC 3339, UTC
	Ended      *time.Time `json:"ended"`       // null while running
	// Outcome is "running", "passed", "failed", "error" or "interrupted"
	// (the recording process died before the run finished).
	Outcome   string `json:"outcome"`
	Failures  int    `json:"failures"`
	Exchanges int    `json:"exchanges"`
	Error     string `json:"error"`
	// HookErrors is true when a hook call failed (refused, timeout, a
	// bad answer...): a probe whose hook failed is still "passed".
	HookErrors bool `json:"hook_errors"`
	// Drift counts the drift findings of the run's exchanges: requests
	// a real Stalwart sent (hooksim proxy) that differ from hooksim's
	// model of its requests.
	Drift int `json:"drift"`
	// Hooks are the MtaHook settings the run used, secrets "****"; null
	// when none were recorded.
	Hooks json.RawMessage `json:"hooks"`
}

// Step is one client step and what the server answered.
type Step struct {
	Index       int        `json:"index"`
	Kind        string     `json:"kind"`    // connect, ehlo, mail, rcpt, data, ...
	Line        int        `json:"line"`    // line in the script; 0 when none
	Implied     bool       `json:"implied"` // added by hooksim, not written in the script
	Command     string     `json:"command"` // the client's line(s); "" for connect
	Message     string     `json:"message"` // data steps: what was sent after DATA
	Replies     []string   `json:"replies"` // every reply line, without CRLF
	Reply       string     `json:"reply"`   // the last reply line
	Action      string     `json:"action"`  // last hook outcome at this step, "error", or "none"
	Transaction int        `json:"transaction"`
	Closed      bool       `json:"closed"` // the server closed the connection after it
	Exchanges   []Exchange `json:"exchanges"`
	Lints       []Lint     `json:"lints"`
	Failures    []string   `json:"failures"`
}

// Exchange is one hook call: the request as sent and the answer as
// received, byte for byte, and what Stalwart made of it.
type Exchange struct {
	Seq         int       `json:"seq"`         // 1-based, in the session
	Step        int       `json:"step"`        // index of the step that made the call
	Transaction int       `json:"transaction"` // 0 before the first MAIL
	Stage       string    `json:"stage"`
	Hook        string    `json:"hook"`
	URL         string    `json:"url"`
	Started     time.Time `json:"started"`
	DurationMS  float64   `json:"duration_ms"`
	// HTTPVersion is "HTTP/1.1", or "HTTP/2.0" when a TLS hook chose h2
	// by ALPN; "" when no connection was made.
	HTTPVersion string   `json:"http_version"`
	Request     Body     `json:"request"`
	Response    Response `json:"response"`
	Error       *Error   `json:"error"`
	// Effect is "tempfail" (451 sent, chain stopped), "skipped"
	// (tempFailOnError false), or "".
	Effect  string `json:"effect"`
	Outcome string `json:"outcome"` // accept, reject, discard, quarantine or error
	Reply   string `json:"reply"`   // the SMTP reply of the exchange's step
	// Parsed is the answer as Stalwart parsed it; null when the call or
	// the parse failed.
	Parsed *Parsed `json:"parsed"`
	// Modifications are Parsed's modifications one per line, as a person
	// reads them (`addHeader X-Spam: "yes"`).
	Modifications []string `json:"modifications"`
	Lints         []Lint   `json:"lints"`
}

// Body is an HTTP request's headers, in wire order, and its body: Text
// when valid UTF-8, else Base64. Both are left out in a document built
// without bodies (Session.WithoutBodies).
type Body struct {
	Headers [][2]string `json:"headers"`
	Text    *string     `json:"body,omitempty"`
	Base64  *string     `json:"body_base64,omitempty"`
}

// Response is the hook's answer: its HTTP status (0 when none came),
// headers and body.
type Response struct {
	Status int `json:"status"`
	Body
}

// Error is a failed hook call: its class (refused, timeout, tls, status,
// parse, ...) and message.
type Error struct {
	Class   string `json:"class"`
	Message string `json:"message"`
}

// Lint is a place where the hook relies on something Stalwart's code
// does differently than expected.
type Lint struct {
	Code    string `json:"code"`
	Path    string `json:"path,omitempty"` // JSON path in the response, when there is one
	Message string `json:"message"`
	Fix     string `json:"fix,omitempty"` // what to send instead; left out when nothing
	// Count is how many times the lint was reported, when more than once
	// (identical lints are counted, not repeated; wire.CompactLints).
	Count int `json:"count,omitempty"`
}

// Parsed is a hook's answer as Stalwart's serde types read it
// (PROTOCOL.md §2).
type Parsed struct {
	Action        string         `json:"action"`
	Response      *Reply         `json:"response"`
	Modifications []Modification `json:"modifications"`
}

// Reply is the answer's "response" object; absent fields are null.
type Reply struct {
	Status         *uint16 `json:"status"`
	EnhancedStatus *string `json:"enhanced_status"`
	Message        *string `json:"message"`
	Disconnect     bool    `json:"disconnect"`
}

// Modification is one parsed modification.
type Modification struct {
	Type       string             `json:"type"`
	Name       string             `json:"name,omitempty"`
	Value      string             `json:"value"`
	Index      uint32             `json:"index"`
	Parameters map[string]*string `json:"parameters,omitempty"`
}

// Transaction is one MAIL FROM to the end of DATA, and the message.
type Transaction struct {
	Number         int      `json:"number"`
	QueueID        string   `json:"queue_id"`
	Delivered      bool     `json:"delivered"`
	Reply          string   `json:"reply"`
	EnvelopeBefore Envelope `json:"envelope_before"`
	EnvelopeAfter  Envelope `json:"envelope_after"`
	// Original is the message as received; null only in a document built
	// without bodies.
	Original *Bytes `json:"original"`
	// Final is the message as the hooks left it; null when not delivered.
	Final *Bytes `json:"final"`
	// Queued is the message as Stalwart would queue it (its own headers
	// in front of Final); null when not delivered, and in a recorded run
	// (not stored). QueuedNotes say what hooksim leaves out of it.
	Queued      *Bytes   `json:"queued"`
	QueuedNotes []string `json:"queued_notes"`
}

// Envelope is a transaction's sender and recipients. From is null when
// there is no sender, "" for the null sender <>.
type Envelope struct {
	From *string  `json:"from"`
	To   []string `json:"to"`
}

// Bytes are bytes as Text when valid UTF-8, else as Base64.
type Bytes struct {
	Text   *string `json:"text,omitempty"`
	Base64 *string `json:"base64,omitempty"`
}
