package simulator

import (
	"context"
	"time"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator/hookclient"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/simulator/wire"
)

// Observer is told about every play of a session, the way go-smtp's
// Backend.NewSession (emersion/go-smtp backend.go) is told about every
// connection: Begin is called once at the start of a play, before any hook
// is called, and returns the play's handle, which then receives the play's
// events. The recorder and the CLI's transcript implement it; Observers
// combines several.
//
// Goroutines: Begin is called from the goroutine that plays the session,
// and the handle it returns is then used only by that goroutine. Plays may
// run concurrently, so Begin may be called from several goroutines at
// once; each play has its own handle. Every call should return quickly:
// the play waits for it.
type Observer interface {
	// Begin starts observing one play. info describes the session and
	// where it comes from (info.Origin); ctx is the play's context and
	// ends with it. An observer with nothing to do returns NopPlay; a
	// nil handle is taken as NopPlay (see the function Begin).
	Begin(ctx context.Context, info *SessionInfo) Play
}

// Play is the handle of one play of a session, returned by
// Observer.Begin. Its methods are called in the order things happen, from
// the goroutine playing the session: Exchange for every hook call as it
// completes, Step when a client step has its reply (with the exchanges
// it made), Transaction when a message is queued or refused (before its
// step), and Finish once, last. The values passed are the simulator's
// own; an observer may keep them but must not modify them.
type Play interface {
	// Exchange reports one request/response pair with a hook.
	Exchange(ex *Exchange)
	// Step reports a client step and what the server answered; its
	// Exchanges were each reported by Exchange before.
	Step(st *StepResult)
	// Transaction reports a finished DATA or BDAT transaction.
	Transaction(tx *TransactionResult)
	// Finish reports the end of the play; nothing follows it.
	Finish(res *SessionResult)
}

// ObserverFunc adapts a function to Observer, as http.HandlerFunc does a
// handler: a caller that wants each play's handle (to ask a recorder
// for its run ID) wraps the recorder's Begin in one.
type ObserverFunc func(ctx context.Context, info *SessionInfo) Play

// Begin implements Observer by calling f.
func (f ObserverFunc) Begin(ctx context.Context, info *SessionInfo) Play { return f(ctx, info) }

// Begin begins a play on obs and returns its handle: NopPlay when obs is
// nil or returns no handle. Whatever drives an observer by hand (an
// exact replay, show, a live source) begins its plays through it.
func Begin(ctx context.Context, obs Observer, info *SessionInfo) Play {
	if obs == nil {
		return NopPlay{}
	}
	if p := obs.Begin(ctx, info); p != nil {
		return p
	}
	return NopPlay{}
}

// NopPlay is a Play that ignores everything, for an observer with nothing
// to do for a play.
type NopPlay struct{}

// Exchange implements Play.
func (NopPlay) Exchange(*Exchange) {}

// Step implements Play.
func (NopPlay) Step(*StepResult) {}

// Transaction implements Play.
func (NopPlay) Transaction(*TransactionResult) {}

// Finish implements Play.
func (NopPlay) Finish(*SessionResult) {}

// Sources of a session (Origin.Source); they are the store's names.
const (
	SourceScript = "script" // a session script (the default)
	SourceSMTP   = "smtp"   // a live SMTP client
	SourceReplay = "replay" // a replay of a recorded run
	SourceProxy  = "proxy"  // a real MTA's requests passed through hooksim proxy
)

// Origin says where a played session comes from, for a recorder to keep
// with the run.
type Origin struct {
	// Source is SourceScript ("" means it too), SourceSMTP or
	// SourceReplay.
	Source string
	// ReplayOf is the ID of the recorded run a replay replays (0 for
	// other sources); ReplayMode is "exact" or "resimulate".
	ReplayOf   int64
	ReplayMode string
}

// SessionInfo describes a session about to be played.
type SessionInfo struct {
	Name    string
	File    string
	Hash    string
	Started time.Time
	Hooks   []*hookconf.Hook
	// Session is the script being played (normalised), so a recorder can
	// keep it for export and re-simulation; nil when there is none.
	Session *sessions.Session
	// Origin says where the session comes from (Simulator.Origin for a
	// play, the replay's run for an exact replay).
	Origin Origin
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
	// Redacted is set by CallHook once it hid the hook's credentials
	// (hookconf.Hook.Secrets, hookclient.RedactHeaders and RedactHead) in
	// RequestHdrs and in Call's headers and heads: an observer that stores
	// them need not redact them again.
	Redacted bool
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
	// Script is a live connection as a session script (Live.KeepScript):
	// its client and server, `imply: false`, and the steps the client
	// sent, up to the first one a script cannot carry (its Description
	// says which). nil for a played script, or when nothing can be
	// written.
	Script *sessions.Session
	// ScriptYAML is Script as sessions.Marshal wrote it (nil with it).
	ScriptYAML []byte
}

// Passed reports whether every expectation held.
func (r *SessionResult) Passed() bool { return r.Failures == 0 && r.Err == nil }

// Observers fans each play out to several observers: Begin begins the
// play on each, in order, and the handle it returns passes every event to
// their handles in the same order. A nil observer, or a nil handle, is
// skipped (NopPlay).
type Observers []Observer

var _ Observer = Observers(nil)

// Begin implements Observer.
func (o Observers) Begin(ctx context.Context, info *SessionInfo) Play {
	if len(o) == 1 {
		return Begin(ctx, o[0], info)
	}
	ps := make(plays, len(o))
	for i, x := range o {
		ps[i] = Begin(ctx, x, info)
	}
	return ps
}

// plays is the handle of Observers: one handle per observer.
type plays []Play

func (ps plays) Exchange(ex *Exchange) {
	for _, p := range ps {
		p.Exchange(ex)
	}
}

func (ps plays) Step(st *StepResult) {
	for _, p := range ps {
		p.Step(st)
	}
}

func (ps plays) Transaction(tx *TransactionResult) {
	for _, p := range ps {
		p.Transaction(tx)
	}
}

func (ps plays) Finish(res *SessionResult) {
	for _, p := range ps {
		p.Finish(res)
	}
}
