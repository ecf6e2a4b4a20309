package simulator

import (
	"context"
	"time"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator/hookclient"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/simulator/wire"
)

// Observer receives what a simulation produces, in order: the session's
// start, every hook exchange, every step, every finished transaction and
// the session's end. The recorder implements it; calls come from the
// goroutine playing the session and should return quickly.
type Observer interface {
	SessionStarted(ctx context.Context, s *SessionInfo)
	Exchange(ctx context.Context, ex *Exchange)
	Step(ctx context.Context, st *StepResult)
	Transaction(ctx context.Context, tx *TransactionResult)
	SessionFinished(ctx context.Context, res *SessionResult)
}

// SessionInfo describes a session about to be played.
type SessionInfo struct {
	Name    string
	File    string
	Hash    string
	Started time.Time
	Hooks   []*hookconf.Hook
	// Session is the script being played (normalised), so a recorder can
	// keep it for export and re-simulation.
	Session *sessions.Session
}

// Exchange is one request/response pair with one hook, kept byte for byte.
type Exchange struct {
	Session     string
	Seq         int // 1-based, in the session
	StepIndex   int // index into the session's steps
	Transaction int // 1-based transaction number; 0 before the first MAIL
	Stage       wire.Stage
	HookID      string
	URL         string
	Started     time.Time
	Request     []byte                 // the body as sent
	RequestHdrs []hookconf.HeaderField // as sent, Authorization redacted
	Call        hookclient.CallResult  // status, headers, body, duration, transport error
	Response    *wire.Response         // nil when the call or the parse failed
	Err         *hookclient.HookError  // transport or parse failure
	// Outcome is what the MTA made of this exchange: accept, reject,
	// discard, quarantine, or "error".
	Outcome string
	// Effect says what the error did: "tempfail" (chain stopped, 451),
	// "skipped" (tempFailOnError false), or "" when there was no error.
	Effect string
	Lints  []wire.Lint
}

// StepResult is one client step and what the server answered.
type StepResult struct {
	Session     string
	Index       int
	Kind        string
	Command     string   // the line(s) the client sent, without CRLF
	Message     string   // data steps: what was sent after DATA, e.g. "<message, 812 bytes, from spam.eml>"
	Replies     []string // every reply line the server sent, without CRLF
	Exchanges   []*Exchange
	Action      string // last hook outcome at this step; "none" when no hook ran
	Transaction int
	Closed      bool // the server closed the connection after this step
	NotSent     bool // the connection was closed: the client could not send this step
	Failures    []string
	Lints       []wire.Lint
	Line        int // line in the script
	Implied     bool
}

// Reply is the final reply line of the step ("" when none).
func (s *StepResult) Reply() string {
	if len(s.Replies) == 0 {
		return ""
	}
	return s.Replies[len(s.Replies)-1]
}

// TransactionResult is one finished DATA transaction.
type TransactionResult struct {
	Session     string
	Number      int
	QueueID     string // hex, "" when no queue id was assigned
	Delivered   bool   // queued (true) or dropped/refused
	Original    []byte // the message as received
	Final       []byte // the message as the hooks left it (nil when not delivered)
	EnvelopeIn  EnvelopeView
	EnvelopeOut EnvelopeView
	Reply       string

	// Queued is the message as Stalwart stores it in its queue: the
	// headers the server writes (Received, Authentication-Results,
	// Received-SPF, Return-Path, a missing Date and Message-ID, as the
	// session's port and server settings say) in front of Final. nil when
	// not delivered. See queued.go.
	Queued []byte
	// QueuedNotes say what Stalwart would add to Queued that hooksim
	// leaves out (spam filter headers, DKIM results and signatures).
	QueuedNotes []string
}

// EnvelopeView is an envelope for reports.
type EnvelopeView struct {
	From *string  `json:"from"` // nil: no sender; "": null sender
	To   []string `json:"to"`
}

// SessionResult is the end of a session.
type SessionResult struct {
	Name         string
	File         string
	Steps        []*StepResult
	Transactions []*TransactionResult
	Exchanges    int
	Failures     int // expectations that failed
	// Expectations counts the steps that had an expectation to check.
	Expectations int
	Started      time.Time
	Duration     time.Duration
	Err          error // a failure of the simulator itself (cancelled context)
}

// Passed reports whether every expectation held.
func (r *SessionResult) Passed() bool { return r.Failures == 0 && r.Err == nil }

// Observers fans each call out to several observers in order.
type Observers []Observer

var _ Observer = Observers(nil)

// SessionStarted implements Observer.
func (o Observers) SessionStarted(ctx context.Context, s *SessionInfo) {
	for _, x := range o {
		x.SessionStarted(ctx, s)
	}
}

// Exchange implements Observer.
func (o Observers) Exchange(ctx context.Context, ex *Exchange) {
	for _, x := range o {
		x.Exchange(ctx, ex)
	}
}

// Step implements Observer.
func (o Observers) Step(ctx context.Context, st *StepResult) {
	for _, x := range o {
		x.Step(ctx, st)
	}
}

// Transaction implements Observer.
func (o Observers) Transaction(ctx context.Context, tx *TransactionResult) {
	for _, x := range o {
		x.Transaction(ctx, tx)
	}
}

// SessionFinished implements Observer.
func (o Observers) SessionFinished(ctx context.Context, res *SessionResult) {
	for _, x := range o {
		x.SessionFinished(ctx, res)
	}
}
