package store

import "time"

// Sources of a run: what was played.
const (
	SourceScript = "script" // a session script
	SourceSMTP   = "smtp"   // a live SMTP client
	SourceReplay = "replay" // a replay of a recorded run
	SourceProxy  = "proxy"  // a real MTA's requests passed through hooksim proxy
)

// Outcomes of a run.
const (
	OutcomeRunning = "running" // being recorded
	OutcomePassed  = "passed"
	OutcomeFailed  = "failed" // an expectation failed
	OutcomeError   = "error"  // the simulator itself failed
	// OutcomeInterrupted is a run that did not finish: stopped by Ctrl-C
	// or SIGTERM, or whose recording process died (SIGKILL, a full disk,
	// a power cut), which the next process that opens the database for
	// writing marks so, with the counts of the rows it left; readers show
	// it so at once.
	OutcomeInterrupted = "interrupted"
)

// Run is one played session. Times are UTC.
type Run struct {
	ID          int64
	SessionName string
	SessionFile string
	SessionHash string
	// Script is the session as the recorder stored it, for export and
	// re-simulation: a YAML script or a script archive (the script's
	// source with its message files; sessions.ParseArchive reads both);
	// nil when unknown. ListRuns leaves it nil.
	Script []byte
	// ScriptParts, when not nil, is Script to store, given as pieces
	// whose concatenation is the script; each piece is stored once by
	// content (a script archive's message files share the blobs of the
	// messages played). CreateRun stores Script as one piece otherwise;
	// GetRun returns the whole in Script and leaves ScriptParts nil.
	ScriptParts [][]byte
	Source      string // SourceScript (the default), SourceSMTP, SourceReplay or SourceProxy
	ReplayOf    int64  // the run replayed; 0 when none
	ReplayMode  string // "exact" or "resimulate" for replays
	// Hooks is the hook configuration as a JSON array, secrets redacted.
	Hooks     []byte
	Started   time.Time
	Ended     time.Time // zero while running
	Outcome   string
	Failures  int
	Exchanges int
	Error     string
	// HookErrors is whether a hook call failed (an exchange with an
	// ErrorClass): a probe whose hook failed is still OutcomePassed.
	HookErrors bool
	// Drift counts the drift findings of the run's exchanges (lints of
	// code "drift": a request that differs from hooksim's model of
	// Stalwart's, see hooksim proxy).
	Drift int
}

// Step is one client step of a run and what the server answered.
type Step struct {
	RunID       int64
	Index       int
	Kind        string
	Line        int
	Implied     bool
	Command     string
	Message     string
	Replies     []string
	Action      string
	Transaction int
	Closed      bool
	Failures    []string
	Lints       []byte // JSON array
}

// Header is one HTTP header line, in order and case as sent or received.
type Header struct{ Name, Value string }

// Exchange is one request/response pair with a hook, bodies byte for byte.
type Exchange struct {
	RunID           int64
	Seq             int
	StepIndex       int
	Transaction     int
	Stage           string
	HookID          string
	URL             string
	Started         time.Time
	Duration        time.Duration
	RequestHeaders  []Header // Authorization redacted
	RequestBody     []byte
	Status          int // 0 when no response arrived
	ResponseHeaders []Header
	ResponseBody    []byte
	ErrorClass      string // "" when the call succeeded
	ErrorText       string
	Effect          string // "tempfail", "skipped" or ""
	Outcome         string // accept, reject, discard, quarantine or error
	Reply           string // the SMTP reply of the exchange's step
	Lints           []byte // JSON array
	// Parsed is the answer as the simulator parsed it, JSON (recorder's
	// report vocabulary, {"action", "response", "modifications"}); nil
	// when the call or the parse failed, and for rows recorded before
	// schema version 8 (readers parse ResponseBody then).
	Parsed []byte
	// Wire is the exchange as it was on the wire beyond its bodies; nil
	// for exchanges recorded before schema version 3.
	Wire *Wire
}

// Wire is what the HTTP exchange looked like on the connection, kept so
// that it can be shown as it was instead of rebuilt from the parsed
// headers. It follows hookclient.CallResult.
type Wire struct {
	// RequestHead is the first request's head as written: request line
	// and header lines up to and including the blank line, credentials
	// hidden ("authorization: Basic ****"). nil when the request was never
	// sent (the connection failed first).
	RequestHead []byte
	// ResponseHead is the final response's head as received, byte for
	// byte, with any interim 1xx heads before it; when no valid response
	// came (Status 0), the malformed head the hook sent, if any. nil when
	// none arrived.
	ResponseHead []byte
	// BodyRead says how much of the response body was read: "complete",
	// "not-read" (Content-Length over maxResponseSize), "cut" (stopped at
	// maxResponseSize+1 bytes), "broken" (the read failed), or "" when no
	// response arrived.
	BodyRead string
	// Redirects are the redirects followed before the final response, in
	// order; their requests and responses are not kept. nil when none.
	Redirects []Redirect
}

// Redirect is one redirect the hook answered with and the request that
// followed it.
type Redirect struct {
	Status int    `json:"status"` // the 3xx received
	Method string `json:"method"` // the method of the next request
	URL    string `json:"url"`    // the next request's URL, password hidden
}

// Message is one finished transaction of a run.
type Message struct {
	RunID          int64
	Number         int
	QueueID        string
	Delivered      bool
	Reply          string
	Original       []byte
	Final          []byte
	EnvelopeBefore []byte // JSON
	EnvelopeAfter  []byte // JSON
	// Ended is when the transaction ended (the reply to its DATA or last
	// BDAT), UTC; zero for messages recorded before schema version 10.
	Ended time.Time
	// QueuedHead is the header block the server wrote in front of Final
	// when it queued the message (simulator.TransactionResult.Queued
	// without Final): the message as queued is QueuedHead then Final.
	// Empty, not nil, when the server added no header; nil when the
	// message was not queued, and for messages recorded before schema
	// version 10.
	QueuedHead []byte
	// Relay is what became of the message's relay to a downstream server
	// (hooksim smtp --relay); nil when it was not relayed. Written with
	// the message or later by SetRelay.
	Relay *Relay
}

// Relay is the result of relaying a queued message, in its final form
// and to its final envelope, to a downstream SMTP server. It is stored as
// JSON (messages.relay), in these keys.
type Relay struct {
	To string `json:"to"` // the downstream server, host:port
	OK bool   `json:"ok"` // the downstream accepted the message
	// Reply is the downstream's last reply line, or the error that ended
	// the relay (a refused connection, a timeout).
	Reply string    `json:"reply"`
	At    time.Time `json:"at"` // when the relay ended, UTC
}

// MessageFilter selects queued messages for ListMessages. Zero fields
// select everything.
type MessageFilter struct {
	// Source keeps only the messages of runs of this source (SourceSMTP:
	// those hooksim smtp received).
	Source string
	// RunID keeps only the messages of this run (0: every run).
	RunID int64
	// Query keeps only the messages whose envelope sender, one of whose
	// envelope recipients (both as the hooks left them) or whose subject
	// contains it, ignoring case.
	Query string
	// BeforeID pages: only messages whose ID is below it.
	BeforeID int64
	// Limit caps the number of messages listed; 0 lists all.
	Limit int
}

// MessageSummary is one queued message as a mail catcher lists it: no
// body is read beyond the head of the final message, for its subject.
type MessageSummary struct {
	// ID is the message's row id, never reused (schema version 10): the
	// order of the list and its paging cursor.
	ID     int64
	RunID  int64
	Number int    // the transaction's number in its run
	Source string // the run's source
	// Time is when the transaction ended; its run's start for messages
	// recorded before schema version 10.
	Time    time.Time
	QueueID string
	// From and To are the envelope as the hooks left it; From "" is the
	// null sender <>.
	From string
	To   []string
	// Subject is the final message's first Subject field as the web
	// view's message page shows header values (sessions.HeaderFields):
	// folded lines joined by "\n", not decoded from RFC 2047; "" when
	// there is none.
	Subject string
	// Size is the final message's size in bytes.
	Size int64
	// Queued reports that the message as queued (QueuedHead) is kept.
	Queued bool
	Relay  *Relay // nil when not relayed
}

// RunSummary is what a run's exchanges came to, as the run's filter
// columns hold it (stages, outcomes, errored; see RunFilter). FinishRun
// reads it back from the exchanges stored; Tx.FinishRunSummary takes it
// from a writer that wrote every exchange of the run itself.
type RunSummary struct {
	// Stages and Outcomes are the distinct stages and outcomes of the
	// run's exchanges, in the order of the first exchange (by Seq) with
	// each.
	Stages   []string
	Outcomes []string
	// Errored is whether an exchange has an ErrorClass.
	Errored bool
	// Drift counts the exchanges' lints of code "drift".
	Drift int
}

// Batch is what Write stores in one transaction.
type Batch struct {
	Steps     []Step
	Exchanges []Exchange
	Messages  []Message
}

// RunFilter selects runs. Zero fields select everything.
type RunFilter struct {
	Session string // session name, exactly
	// Stage, Action and Errors match finished runs (their summary is
	// written by FinishRun): a run cut short by a crash never matches.
	Stage  string // runs with an exchange at this stage
	Action string // runs with an exchange whose outcome is this action (or "error")
	Source string
	// NotSource leaves out the runs of this source (replay: the originals only).
	NotSource string
	Errors    bool      // only runs with an exchange error
	Drift     bool      // only runs with a drift finding
	Since     time.Time // started at or after
	Until     time.Time // started before
	// Limit caps the number of runs listed; 0 lists all. CountRuns
	// ignores it.
	Limit int
	// BeforeID pages through runs: only IDs below it. CountRuns ignores it.
	BeforeID int64
}
