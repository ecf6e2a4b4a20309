package simulator

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator/hookclient"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/simulator/modify"
	"github.com/hooksim/hooksim/simulator/wire"
)

// Simulator plays sessions against a chain of hooks as Stalwart v0.16.18
// would. It holds no per-session state: one Simulator can play many
// sessions, one after another or concurrently.
type Simulator struct {
	Hooks    []*hookconf.Hook
	Client   *hookclient.Client
	Observer Observer  // nil: nobody is told
	QueueIDs *QueueIDs // nil: a generator on the wall clock
	Now      func() time.Time
	// Origin is passed to the Observer with every play (SessionInfo.Origin);
	// the zero value is a session script.
	Origin Origin
	// Throttles, when set, are Stalwart's default inbound throttles
	// across every session played (the RCPT one here; a live server
	// checks the connect one); nil: none, as a script assumes.
	Throttles *Throttles
}

// New returns a simulator for hooks with a fresh HTTP client.
func New(hooks []*hookconf.Hook, obs Observer) *Simulator {
	return &Simulator{Hooks: hooks, Client: hookclient.New(), Observer: obs, QueueIDs: NewQueueIDs(nil, 1), Now: time.Now}
}

// Play runs every step of sess and returns what happened. Expectation
// failures are counted in the result; only a cancelled context ends a
// session early (SessionResult.Err). It drives a Live connection with
// the script's steps.
func (s *Simulator) Play(ctx context.Context, sess *sessions.Session) *SessionResult {
	l := s.Open(ctx, sess)
	for i := range sess.Steps {
		if err := ctx.Err(); err != nil {
			return l.Finish(fmt.Errorf("simulator: session %s stopped at step %d: %w", sess.Name, i+1, err))
		}
		l.Step(ctx, &sess.Steps[i])
	}
	return l.Finish(nil)
}

// Live is one SMTP connection played a step at a time, as its client
// sends commands: Play drives one with a script's steps, a live SMTP
// listener with what a real client sends. Both go through the same
// stage machine, so the same steps give the same hook requests and the
// same replies. A Live is used by one goroutine at a time.
type Live struct {
	p        *player
	finished bool
	script   *liveScript // nil unless KeepScript
}

// Open begins playing a connection described by sess (its client,
// server and hooks settings; its Steps are not played, Step plays
// steps): the Observer's Begin is called now, and Finish must be
// called once the connection is over. The first step is normally a
// connect step.
func (s *Simulator) Open(ctx context.Context, sess *sessions.Session) *Live {
	// Defaults go into the player, never into s: one Simulator may play
	// several sessions at once.
	p := &player{sim: s, sess: sess, now: s.Now, client: s.Client, queueIDs: s.QueueIDs}
	if p.now == nil {
		p.now = time.Now
	}
	if p.queueIDs == nil {
		p.queueIDs = NewQueueIDs(p.now, 1)
	}
	if p.client == nil {
		p.client = hookclient.New()
		p.ownClient = true
	}
	p.res = &SessionResult{Name: sess.Name, File: sess.File, Started: p.now()}
	p.obs = Begin(ctx, s.Observer, &SessionInfo{Name: sess.Name, File: sess.File, Hash: sess.Hash, Started: p.res.Started,
		Hooks: s.Hooks, Session: sess, Origin: s.Origin})
	return &Live{p: p}
}

// Step plays one client step (the step's Line and Implied are kept in
// its result; its index is the number of steps played before) and
// returns what the server did: the replies, in order, the hook exchanges,
// whether the server closed the connection (StepResult.Closed). The
// result is reported to the Observer before Step returns, and is not
// changed afterwards. After Finish, Step does nothing and returns nil.
func (l *Live) Step(ctx context.Context, step *sessions.Step) *StepResult {
	if l.finished {
		return nil
	}
	p := l.p
	if step.Expect != nil {
		p.res.Expectations++
	}
	st := l.record(p.play(ctx, len(p.res.Steps), step))
	l.script.keep(step, st)
	return st
}

// Closed reports whether the connection is closed: the server closed it
// (a QUIT, a hook's rejection at connect, too many errors) or it was
// never opened by a connect step.
func (l *Live) Closed() bool { return l.p.closed || !l.p.connected }

// DataReply is the reply DATA would get now instead of 354 (no sender,
// no recipient, too many messages on this connection), or "" when
// DATA would be answered 354: a live server sends 354 and reads the
// message before it plays the data step (whose first reply is then
// that 354).
func (l *Live) DataReply() string { return l.p.canSendData() }

// AuthReply is the reply AUTH with mechanism mech (lower case) gets
// now before any SASL exchange (AUTH not allowed, already authenticated,
// a mechanism not offered), or "" when the exchange would start: a live
// server then prompts and reads the client's responses itself, and
// plays them as one auth step (sessions.Step.Prompted) or AuthInvalid.
func (l *Live) AuthReply(mech string) string {
	if !slices.Contains(sessions.SaslMechanisms, mech) {
		mech = "unsupported:" + mech
	}
	return l.p.authRefusal(mech)
}

// AuthInvalid records an AUTH with mechanism mech whose SASL exchange
// failed on the client's side, after the prompts it heard: a response
// that is not base64 or not well formed, or "*" (ReplyInvalidChallenge),
// or a line too long (tooLong: ReplySaslLineTooLong). It counts as a
// failed AUTH, as Stalwart counts it: the connection's last one is
// followed by ReplyTooManyAuthErrors and a close.
func (l *Live) AuthInvalid(mech string, heard []string, tooLong bool) *StepResult {
	if l.finished {
		return nil
	}
	p := l.p
	st := &StepResult{Session: p.sess.Name, Index: len(p.res.Steps), Kind: string(sessions.StepAuth),
		Command: "AUTH " + strings.ToUpper(mech), Replies: slices.Clone(heard), Action: "none", Transaction: p.tx}
	reply := ReplyInvalidChallenge
	if tooLong {
		reply = ReplySaslLineTooLong
	}
	p.authFailed(st, reply)
	l.script.stop(fmt.Sprintf("step %d (AUTH %s), whose SASL exchange failed on the client's side", st.Index+1, strings.ToUpper(mech)))
	return l.record(st)
}

// AuthAborted records an AUTH with mechanism mech whose SASL exchange
// the connection ended in (the client left or went silent, the server
// stopped) after the prompts it heard: the step has them and no
// outcome, and does not count as a failed AUTH. nil after Finish.
func (l *Live) AuthAborted(mech string, heard []string) *StepResult {
	if l.finished {
		return nil
	}
	p := l.p
	st := &StepResult{Session: p.sess.Name, Index: len(p.res.Steps), Kind: string(sessions.StepAuth),
		Command: "AUTH " + strings.ToUpper(mech), Replies: slices.Clone(heard), Action: "none", Transaction: p.tx,
		Message: "<SASL exchange cut short: the connection ended>"}
	l.script.stop(fmt.Sprintf("step %d (AUTH %s), whose SASL exchange the connection ended in", st.Index+1, strings.ToUpper(mech)))
	return l.record(st)
}

// record adds a step to the session (one Step played, or one a live
// server made up: DataAborted, AuthInvalid, ChunkAborted) and reports it.
func (l *Live) record(st *StepResult) *StepResult {
	p := l.p
	if st.Closed && !st.NotSent {
		p.closedBy = fmt.Sprintf("the server closed it after %s answered %q", stepName(st), st.Reply())
		if strings.EqualFold(st.Command, "QUIT") {
			p.closedBy = fmt.Sprintf("the client quit at %s", stepName(st))
		}
	}
	p.res.Steps = append(p.res.Steps, st)
	p.res.Failures += len(st.Failures)
	// A million identical lints (a million duplicate modifications)
	// are one lint with a count, capped: on screen, in reports, stored.
	st.Lints = wire.CompactLints(st.Lints)
	p.obs.Step(st)
	return st
}

// DataAborted records a DATA whose message the client did not finish:
// it went (or the connection broke) after the 354, having sent received
// bytes of it. The step has the 354 the client heard and no hook call:
// Stalwart ends such a session without a data stage. It returns the
// step, reported to the Observer like any other; nil after Finish.
func (l *Live) DataAborted(received int) *StepResult {
	if l.finished {
		return nil
	}
	p := l.p
	st := &StepResult{Session: p.sess.Name, Index: len(p.res.Steps), Kind: string(sessions.StepData), Command: "DATA",
		Replies: []string{ReplyDataGo}, Action: "none", Transaction: p.tx,
		Message: fmt.Sprintf("<message cut short: %d bytes received, then the connection ended>", received)}
	l.script.stop(fmt.Sprintf("step %d (DATA), whose message the client did not finish", st.Index+1))
	return l.record(st)
}

// StepClose is the kind of the step a live server records when it closes
// the connection on its own (ServerClose): it has no command.
const StepClose = "close"

// ServerClose records the server closing the connection on its own with
// reply, which the client was told (a live server's idle, session
// duration, transfer quota and shutdown replies, spawn.rs): a step of
// kind StepClose, without a command, its message saying why. The
// connection is closed after it; nil after Finish.
func (l *Live) ServerClose(reply, why string) *StepResult {
	if l.finished {
		return nil
	}
	p := l.p
	st := &StepResult{Session: p.sess.Name, Index: len(p.res.Steps), Kind: StepClose, Replies: []string{reply},
		Action: "none", Transaction: p.tx, Closed: true, Message: "<" + why + ">"}
	p.closed = true
	return l.record(st)
}

// ChunkAborted records a BDAT command (line, as the client sent it)
// whose chunk of size bytes the client did not finish sending: received
// bytes came, then it went. The step has no reply (the client heard
// none) and nothing is queued.
func (l *Live) ChunkAborted(line string, received, size uint64) *StepResult {
	if l.finished {
		return nil
	}
	p := l.p
	st := &StepResult{Session: p.sess.Name, Index: len(p.res.Steps), Kind: string(sessions.StepRaw), Command: line,
		Action: "none", Transaction: p.tx,
		Message: fmt.Sprintf("<chunk cut short: %d of %d bytes received, then the connection ended>", received, size)}
	l.script.stop(fmt.Sprintf("step %d (%s), whose chunk the client did not finish", st.Index+1, OneLineCommand(line)))
	return l.record(st)
}

// MaxMessageSize is the largest message, in bytes on the wire, the server
// takes (Stalwart's maxMessageSize): a live server need not keep more of
// a message than this to play its data step, which refuses it.
func (l *Live) MaxMessageSize() int64 { return l.p.maxMessageSize() }

// AddLocalDomain makes domain local for the rest of the connection, as if
// the session's Server.LocalDomains named it. The session given to Open
// is not changed.
func (l *Live) AddLocalDomain(domain string) { l.p.addLocalDomain(domain) }

func (p *player) addLocalDomain(domain string) {
	if p.localDomains == nil {
		p.localDomains = slices.Clone(p.sess.Server.LocalDomains)
	}
	if !slices.ContainsFunc(p.localDomains, func(d string) bool { return strings.EqualFold(d, domain) }) {
		p.localDomains = append(p.localDomains, domain)
	}
}

// SASLLinesRead tells the player that the server reads the SASL
// responses of the connection's auth steps itself, as they come, and
// refuses those too long (AuthInvalid): the auth steps' credentials are
// then not written back in base64 to be held to the line limit, which
// could make a response longer than the client's (padding, an
// OAUTHBEARER a= the client left out).
func (l *Live) SASLLinesRead() { l.p.saslRead = true }

// RecipientDomainsLocal makes the domain of every recipient the client
// gives local (AddLocalDomain) as its RCPT is played, as a script with no
// local domains takes those of its rcpt steps (sessions' normaliser): a
// live server whose user named none relays nothing by accident. The
// domain is the recipient's as Stalwart parsed it (lower case, invalid
// UTF-8 replaced), so that the relay check finds it.
func (l *Live) RecipientDomainsLocal() { l.p.anyDomain = true }

// Hostname is the server's name in its replies (Server.Hostname, or
// DefaultGreetingHostname): the {host} of Stalwart's connection-level
// replies (spawn.rs), which a live server writes itself.
func (l *Live) Hostname() string { return l.p.hostname() }

// SetTLS records the TLS the client negotiated after STARTTLS (version
// and cipher as Stalwart names them: "TLSv1.3",
// "TLS13_AES_256_GCM_SHA384"), which the hooks' requests carry from then
// on; a live server calls it once its handshake is done.
func (l *Live) SetTLS(t *sessions.TLS) { l.p.tls = t }

// Finish ends the connection and returns the session's result, which
// err (nil for a connection that ended normally; a cancelled context's
// error for one that was stopped) goes into as SessionResult.Err. It
// reports the result to the Observer. Calling it again returns the same
// result.
func (l *Live) Finish(err error) *SessionResult {
	p := l.p
	if l.finished {
		return p.res
	}
	l.finished = true
	if err != nil && p.res.Err == nil {
		p.res.Err = err
	}
	p.res.Duration = p.now().Sub(p.res.Started)
	if l.script != nil {
		domains := p.localDomains
		if domains == nil {
			domains = p.sess.Server.LocalDomains
		}
		p.res.Script, p.res.ScriptYAML = l.script.build(p.sess, p.tls, domains, p.res.Started.UTC().Format(time.RFC3339))
	}
	p.obs.Finish(p.res)
	if p.ownClient {
		p.client.Close()
	}
	return p.res
}

// player is the state of one SMTP connection being played.
type player struct {
	sim      *Simulator
	sess     *sessions.Session
	obs      Play // this play's handle from the Simulator's Observer
	res      *SessionResult
	now      func() time.Time
	client   *hookclient.Client
	queueIDs *QueueIDs
	// ownClient is set when the player made its client, which Finish
	// closes.
	ownClient bool
	// saslRead: a live server read the SASL responses and held them to
	// the line limit itself (SASLLinesRead).
	saslRead bool
	// txMessages is the number of the last transaction a message was
	// made for (newTx).
	txMessages int
	// anyDomain: every recipient's domain is local (RecipientDomainsLocal).
	anyDomain bool
	// bdatBuf is the message BDAT commands played one by one (raw steps
	// with their chunks) have carried so far (bdatLine).
	bdatBuf []byte
	// localDomains replaces sess.Server.LocalDomains once a live server
	// added one (Live.AddLocalDomain); nil until then.
	localDomains []string

	connected bool
	closed    bool
	// closedBy says where the connection was closed ("the server closed
	// it after step 1 (connect) answered ..."), for the steps after it.
	closedBy string
	// iprevDone is set once the reverse-IP check ran on this connection
	// (at the first MAIL FROM); iprevResult is its outcome. Neither RSET
	// nor EHLO clears them.
	iprevDone   bool
	iprevResult string
	rcptErrors  int // failed RCPTs on this connection (RSET keeps them)
	authErrors  int // failed AUTHs on this connection
	// authAddresses are the addresses of the authenticated account (nil:
	// those whose local part is the login), for mustMatchSender.
	authAddresses []string
	tls           *sessions.TLS // nil: plain TCP
	helo          string
	authAs        string
	from          *modify.Address
	to            []modify.Address
	tx            int // transaction number
	delivered     int // messages accepted in this connection
	seq           int // exchanges so far

	// spfEhlo is set when Stalwart checked SPF for the current HELO name
	// (at an EHLO that changed it, on port 25) and the EHLO hooks kept
	// it: Authentication-Results then has an spf clause for smtp.helo.
	spfEhlo bool

	// rcptDSN is the dsn setting as evaluated at the last successful
	// MAIL FROM, which RCPT's NOTIFY=/ORCPT= check uses (params.rs:135).
	rcptDSN bool
	// priority is the MT-PRIORITY kept at MAIL FROM until a reset
	// (mail.rs:341, session.rs reset()); enable expressions see it.
	priority int
}

func (p *player) play(ctx context.Context, i int, step *sessions.Step) *StepResult {
	st := &StepResult{Session: p.sess.Name, Index: i, Kind: string(step.Kind), Line: step.Line, Implied: step.Implied}
	var tx *TransactionResult
	switch {
	case step.Kind == sessions.StepConnect:
		p.connect(ctx, st)
	case p.closed || !p.connected:
		// A client cannot send anything on a closed connection: the step
		// is marked NotSent, which is no failure in itself (a hook that
		// refuses at connect closes it on purpose); a step that expected
		// something fails, saying where the connection was closed.
		st.Command, st.Action, st.NotSent = commandLine(step), "none", true
		if step.Expect != nil {
			msg := fmt.Sprintf("%s: not sent, so its expectations cannot hold: the connection is closed", stepName(st))
			if p.closedBy != "" {
				msg += " (" + p.closedBy + ")"
			}
			st.Failures = append(st.Failures, msg)
		}
		return st
	default:
		tx = p.command(ctx, st, step)
	}
	if st.Action == "" {
		st.Action = "none"
		if n := len(st.Exchanges); n > 0 {
			st.Action = st.Exchanges[n-1].Outcome
		}
	}
	st.Transaction = p.tx
	if step.Expect != nil {
		checkExpect(st, step, tx, p.envelopeView(), func() string { return p.noHookHint(step) })
	}
	return st
}

func (p *player) command(ctx context.Context, st *StepResult, step *sessions.Step) *TransactionResult {
	st.Command = commandLine(step)
	if lineTooLong(wireLine(step)) {
		// smtp-proto drops the line, Stalwart answers once its LF has
		// come; nothing else happens (session.rs:356-359, 462-474).
		st.Replies = append(st.Replies, ReplyLineTooLong)
		return nil
	}
	switch step.Kind {
	case sessions.StepHelo:
		p.heloLine(ctx, st, "HELO", step.Arg, step.Arg != "")
	case sessions.StepEhlo:
		p.heloLine(ctx, st, "EHLO", step.Arg, step.Arg != "")
	case sessions.StepStartTLS:
		p.startTLS(st)
	case sessions.StepAuth:
		p.auth(st, step)
	case sessions.StepMail:
		p.mailLine(ctx, st, st.Command)
	case sessions.StepRcpt:
		p.rcptLine(ctx, st, st.Command)
	case sessions.StepData:
		return p.data(ctx, st, step.Message)
	case sessions.StepBdat:
		return p.bdat(ctx, st, step)
	case sessions.StepRset:
		p.resetTx()
		st.Replies = append(st.Replies, ReplyOK)
	case sessions.StepNoop:
		st.Replies = append(st.Replies, ReplyOK)
	case sessions.StepQuit:
		st.Replies = append(st.Replies, ReplyBye)
		st.Closed, p.closed = true, true
	case sessions.StepRaw:
		return p.raw(ctx, st, step)
	default:
		st.Replies = append(st.Replies, ReplyInvalidCommand)
	}
	return nil
}

// raw plays a verbatim command line by mapping it onto the typed steps.
func (p *player) raw(ctx context.Context, st *StepResult, step *sessions.Step) *TransactionResult {
	line := strings.TrimRight(step.Arg, "\r\n")
	verb, rest, hasArg, ok := splitCommand(line)
	if !ok {
		st.Replies = append(st.Replies, ReplyInvalidCommand)
		return nil
	}
	// smtp-proto's syntax error for a verb that needs an argument (parser.rs).
	needs := func(syntax string, max int) bool {
		if v := strings.Trim(rest, " "); hasArg && v != "" && len(v) <= max {
			return true
		}
		st.Replies = append(st.Replies, "501 5.5.2 Syntax error, expected: "+syntax)
		return false
	}
	switch verb {
	case "MAIL":
		p.mailLine(ctx, st, line)
	case "RCPT":
		p.rcptLine(ctx, st, line)
	case "HELO", "EHLO", "LHLO":
		p.heloLine(ctx, st, verb, rest, hasArg)
	case "AUTH":
		p.authLine(st, rest, hasArg)
	case "RSET":
		p.resetTx()
		st.Replies = append(st.Replies, ReplyOK)
	case "NOOP":
		st.Replies = append(st.Replies, ReplyOK)
	case "VRFY", "EXPN":
		// smtp-proto's string(): the value ends at a blank outside
		// quotes (parser.rs:143-153, 186-197).
		if v := smtpString(rest); hasArg && len(v) >= 1 && len(v) <= maxAddressLen {
			st.Replies = append(st.Replies, map[string]string{"VRFY": ReplyVrfyDisabled, "EXPN": ReplyExpnDisabled}[verb])
		} else {
			st.Replies = append(st.Replies, "501 5.5.2 Syntax error, expected: "+verb+" string")
		}
	case "HELP":
		st.Replies = append(st.Replies, ReplyHelp)
	case "QUIT":
		st.Replies = append(st.Replies, ReplyBye)
		st.Closed, p.closed = true, true
	case "STARTTLS":
		p.startTLS(st)
	case "ETRN":
		if v := smtpString(rest); hasArg && v != "" {
			st.Replies = append(st.Replies, ReplyNotImplemented)
		} else {
			st.Replies = append(st.Replies, "501 5.5.2 Syntax error, expected: ETRN name")
		}
	case "ATRN", "BURL":
		syntax := map[string]string{"ATRN": "ATRN domain[,domain]", "BURL": "BURL absolute-uri [LAST]"}[verb]
		if needs(syntax, len(rest)) {
			st.Replies = append(st.Replies, ReplyNotImplemented)
		}
	case "DATA":
		if r := p.canSendData(); r != "" {
			st.Replies = append(st.Replies, r)
			return nil
		}
		st.Replies = append(st.Replies, ReplyDataGo)
		p.cannotGoOn(st, "after a raw DATA the server reads the message, which a raw step cannot send; use a data step")
	case "BDAT":
		if !hasArg {
			st.Replies = append(st.Replies, ReplyBdatSyntax)
			return nil
		}
		return p.bdatLine(ctx, st, rest, step.Message)
	default:
		st.Replies = append(st.Replies, ReplyInvalidCommand)
	}
	return nil
}

// CommandVerb is the verb of a command line as Stalwart reads it
// (splitCommand): upper case, "" when the line has none it would take.
func CommandVerb(line string) string {
	verb, _ := SplitCommand(line)
	return verb
}

// SplitCommand is a command line's verb, upper case ("" when Stalwart
// would take none), and the text after the one separator that follows
// it (splitCommand).
func SplitCommand(line string) (verb, rest string) {
	verb, rest, _, ok := splitCommand(line)
	if !ok {
		return "", ""
	}
	return verb, rest
}

// splitCommand reads a command line's verb as smtp-proto's
// Request::parse does (parser.rs:19-25): leading spaces skipped, letters
// upper-cased, and the verb must be followed by ASCII whitespace (a
// space, a tab, a form feed) or the end of the line, else the command is
// unknown (ok false). rest is the text after that one separator byte;
// hasArg is false when the verb ends the line.
// smtpString is the value smtp-proto's string() reads from rest
// (request/parser.rs:501-542): leading blanks skipped, it ends at a
// blank outside quotes or at the line's end; quotes are dropped, and
// inside them a backslash escapes a quote or a backslash; CRs are
// dropped; invalid UTF-8 is replaced as String::from_utf8_lossy does.
func smtpString(rest string) string {
	var out []byte
	inQuote := false
	var last byte
	for i := 0; i < len(rest); i++ {
		ch := rest[i]
		switch {
		case ch == ' ' && !inQuote:
			if len(out) > 0 {
				return string(out)
			}
		case ch == '\n':
			return wire.LossyString(out)
		case ch == '"' && (!inQuote || last != '\\'):
			inQuote = !inQuote
		case ch == '\\' && inQuote:
			if last == '\\' {
				out = append(out, ch)
				last = 0
				continue
			}
		case ch == '\r':
		default:
			out = append(out, ch)
		}
		last = ch
	}
	return wire.LossyString(out)
}

func splitCommand(line string) (verb, rest string, hasArg, ok bool) {
	pp := newProtoParser(line)
	verb, err := pp.hashed(8)
	if err != nil || !isSpace(pp.stop) {
		return verb, "", false, false
	}
	if pp.stop == '\n' || pp.i >= len(line) {
		return verb, "", false, true
	}
	return verb, line[pp.i:], true, true
}

func (p *player) resetTx() {
	p.from = nil
	p.to = nil
	p.priority = 0
	p.bdatBuf = nil
}

func (p *player) envelopeView() EnvelopeView {
	return envelopeView(modify.Envelope{From: p.from, To: p.to})
}

func envelopeView(e modify.Envelope) EnvelopeView {
	v := EnvelopeView{To: []string{}}
	if e.From != nil {
		f := e.From.Lower
		v.From = &f
	}
	for _, t := range e.To {
		v.To = append(v.To, t.Lower)
	}
	return v
}

// commandLine renders the line a client sends for step.
func commandLine(step *sessions.Step) string {
	switch step.Kind {
	case sessions.StepConnect:
		return ""
	case sessions.StepHelo:
		return "HELO " + step.Arg
	case sessions.StepEhlo:
		return "EHLO " + step.Arg
	case sessions.StepStartTLS:
		return "STARTTLS"
	case sessions.StepAuth:
		switch {
		case step.Mechanism == "login":
			return "AUTH LOGIN"
		case step.Prompted && step.Mechanism == "":
			return "AUTH PLAIN"
		case step.Prompted:
			return "AUTH " + strings.ToUpper(step.Mechanism)
		case step.Mechanism == "":
			return "AUTH PLAIN ****"
		}
		return "AUTH " + strings.ToUpper(step.Mechanism) + " ****"
	case sessions.StepMail:
		return strings.TrimSpace("MAIL FROM:<" + step.Arg + "> " + step.Params)
	case sessions.StepRcpt:
		return strings.TrimSpace("RCPT TO:<" + step.Arg + "> " + step.Params)
	case sessions.StepData:
		return "DATA"
	case sessions.StepBdat:
		return strings.Join(bdatCommands(step), "\n")
	case sessions.StepRaw:
		return step.Arg
	default:
		return strings.ToUpper(string(step.Kind))
	}
}

// noHookHint explains an action "none" where the script expects a hook
// to act: no hook is configured for the stage of step ("" otherwise).
func (p *player) noHookHint(step *sessions.Step) string {
	stage, ok := stepStage[step.Kind]
	if !ok {
		return ""
	}
	for _, h := range p.sim.Hooks {
		if h.Stages[stage] {
			return ""
		}
	}
	return fmt.Sprintf(" (no hook is configured for the %s stage: --stages all, or stages in the script's hooks)", stage)
}

// stepStage is the hook stage a step kind reaches.
var stepStage = map[sessions.StepKind]wire.Stage{
	sessions.StepConnect: wire.StageConnect, sessions.StepHelo: wire.StageEhlo, sessions.StepEhlo: wire.StageEhlo,
	sessions.StepMail: wire.StageMail, sessions.StepRcpt: wire.StageRcpt, sessions.StepData: wire.StageData,
	sessions.StepBdat: wire.StageData,
}

// StepName names a step for a person: "step 5 (data, line 12)".
func StepName(st *StepResult) string { return stepName(st) }

func stepName(st *StepResult) string {
	if st.Line > 0 {
		return fmt.Sprintf("step %d (%s, line %d)", st.Index+1, st.Kind, st.Line)
	}
	return fmt.Sprintf("step %d (%s)", st.Index+1, st.Kind)
}

// ConfigLints lists what a hook configuration relies on that Stalwart does
// not do, such as a hook configured only for the auth stage.
func ConfigLints(hooks []*hookconf.Hook) []wire.Lint {
	var out []wire.Lint
	for _, h := range hooks {
		if !h.Stages[wire.StageAuth] {
			continue
		}
		only := true
		for st, on := range h.Stages {
			if on && st != wire.StageAuth {
				only = false
			}
		}
		l := authStageLint(h)
		if only {
			l.Message += ": this hook is never called at all"
		}
		out = append(out, l)
	}
	return out
}

// authStageLint says that Stalwart never calls a hook at the auth stage.
func authStageLint(h *hookconf.Hook) wire.Lint {
	return wire.Lint{Code: LintAuthStage, Message: "hook " + h.ID + " is configured for the auth stage, but Stalwart never calls a hook at auth"}
}

// Lint codes the simulator adds to those of the wire package.
const (
	LintAuthStage = "auth-stage-never-called"
)
