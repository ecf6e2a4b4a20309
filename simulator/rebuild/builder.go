package rebuild

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/wire"
)

// builder walks the requests in order and writes the steps that bring
// the simulator, playing them, to each request: it keeps the state the
// simulator will be in (simulator.go player) and adds the steps the
// requests imply but did not capture (an EHLO, a STARTTLS, an AUTH, a
// MAIL and its RCPTs), then the step that makes the request.
type builder struct {
	reqs   []*captured
	sess   *sessions.Session
	steps  []sessions.Step
	stepOf []int
	notes  []string
	noted  map[string]bool
	approx bool

	// seen are the stages the capture has requests for (the hook's
	// stages, it seems); without are the stages of steps added without
	// a request.
	seen    map[wire.Stage]bool
	without map[wire.Stage]bool

	// The connection as the simulator will play it.
	connected bool
	closed    bool // a connect hook refused: the simulator closed it
	helo      string
	tls       bool
	auth      string
	authAt    int // index of the connection's auth step, -1 when none
	from      *string
	// fromMail: from was set by a captured mail request, so a later
	// request of the transaction with another sender shows a rewrite
	// rule's doing (mail.rs rewrites after the mail hook), not a new
	// transaction.
	fromMail  bool
	to        []string
	iprevDone bool

	// What the server settings must allow, gathered on the way.
	rcpts       []rcptRecord
	senders     map[int][]string // auth step index: senders accepted after it
	messages    int
	maxTo       int
	maxWire     int64
	maxReceived int
	needPlain   bool // an AUTH where Stalwart's default offers no PLAIN
	mailNoAuth  bool // a MAIL without AUTH
	mailNoHelo  int  // request number of a MAIL without HELO (0: none)
	nonFqdn     bool // a HELO name rejectNonFqdn refuses
	helos       bool // some step gives a HELO name
	logins      []string
}

// rcptRecord is one RCPT step and what became of it.
type rcptRecord struct {
	n      int // request number, 0 for a step added without one
	addr   string
	auth   bool // the client was authenticated (no relay check)
	kept   bool // the recipient stayed in the envelope
	action wire.Action
}

func newBuilder(name string, reqs []*captured) *builder {
	b := &builder{
		reqs:    reqs,
		sess:    &sessions.Session{Name: cleanName(name), NoImply: true},
		stepOf:  make([]int, len(reqs)),
		noted:   map[string]bool{},
		seen:    map[wire.Stage]bool{},
		without: map[wire.Stage]bool{},
		senders: map[int][]string{},
		authAt:  -1,
	}
	for i := range b.stepOf {
		b.stepOf[i] = -1
	}
	for _, r := range reqs {
		b.seen[r.stage] = true
	}
	return b
}

// note adds a sentence to the notes once per key; approx marks the result
// approximate.
func (b *builder) note(key string, approx bool, format string, args ...any) {
	if approx {
		b.approx = true
	}
	if b.noted[key] {
		return
	}
	b.noted[key] = true
	b.notes = append(b.notes, fmt.Sprintf(format, args...))
}

// run writes every step.
func (b *builder) run() {
	b.settle()
	for i := range b.reqs {
		b.request(i)
		b.check(b.reqs[i])
	}
	b.add(sessions.Step{Kind: sessions.StepQuit}, -1, "")
	b.finishSettings()
	b.generalNotes()
}

// add appends a step; req is the index of the request it makes (-1:
// none), stage the hook stage it reaches when it makes a hook call ("":
// none). A step added without a request at a stage the capture has
// requests for will make a call Stalwart did not.
func (b *builder) add(st sessions.Step, req int, stage wire.Stage) {
	idx := len(b.steps)
	b.steps = append(b.steps, st)
	if req >= 0 {
		b.stepOf[req] = idx
		return
	}
	if stage == "" {
		return
	}
	b.without[stage] = true
	if b.seen[stage] {
		b.note("extra-"+string(stage), true, "Step %d (%s) is not in the capture, but the %s stage has other requests: played, it calls the hook where Stalwart did not (or where the hook's enable expression skipped it).",
			idx+1, describe(st), stage)
	}
}

// describe is a step for a note.
func describe(st sessions.Step) string {
	switch st.Kind {
	case sessions.StepEhlo:
		return "EHLO " + st.Arg
	case sessions.StepMail:
		return "MAIL FROM:<" + st.Arg + ">"
	case sessions.StepRcpt:
		return "RCPT TO:<" + st.Arg + ">"
	case sessions.StepRaw:
		return st.Arg
	}
	return strings.ToUpper(string(st.Kind))
}

// request writes the steps that lead to request i and the one that makes it.
func (b *builder) request(i int) {
	r := b.reqs[i]
	if r.stage == wire.StageConnect {
		b.connect(i)
		return
	}
	if !b.connected || b.closed {
		if b.closed {
			b.note("closed", true, "Request %d comes after a connect hook refused the connection, without a connect request of its own: the script opens a new connection for it.", r.n)
		}
		b.connect(-1)
	}
	if r.stage != wire.StageEhlo {
		b.catchUpHelo(r)
	}
	b.catchUpTLS(r)
	b.catchUpAuth(r)
	switch r.stage {
	case wire.StageMail:
		if b.from != nil {
			b.rset()
		}
		b.mail(i)
	case wire.StageRcpt:
		b.ensureTx(r, r.env.from, r.env.to[:len(r.env.to)-1])
		b.rcpt(i)
	case wire.StageData:
		b.ensureTx(r, r.env.from, r.env.to)
		b.data(i)
	case wire.StageEhlo:
		if r.env != nil {
			b.ensureTx(r, r.env.from, r.env.to)
		}
		b.catchUpPTR(r)
		b.ehlo(i)
	}
}

// connect opens a connection: a connect step, the state of a new one.
func (b *builder) connect(i int) {
	if b.connected && i > 0 {
		b.note("reconnect", false, "Request %d is a connect: the requests are from more than one connection, and the script opens a new one there.", i+1)
	}
	b.connected, b.closed = true, false
	b.helo, b.auth, b.authAt, b.from, b.to, b.iprevDone = "", "", -1, nil, nil, false
	t := b.sess.Client.TLS
	b.tls = t != nil && (t.Implicit || b.sess.Server.Port == sessions.ImplicitTLSPort)
	b.add(sessions.Step{Kind: sessions.StepConnect}, i, wire.StageConnect)
	if i >= 0 && refused(b.reqs[i].action) {
		b.closed = true
	}
}

// catchUpHelo gives the connection the HELO name of r, which comes from
// an EHLO without a hook call of its own in the capture.
func (b *builder) catchUpHelo(r *captured) {
	if r.helo == nil {
		if b.helo != "" {
			b.note("helo-gone", true, "Request %d has no HELO name, though the script gave one before it.", r.n)
		}
		return
	}
	if *r.helo == b.helo {
		return
	}
	b.ehloStep(*r.helo, -1)
	b.helo = *r.helo
	if b.from != nil {
		b.from, b.to = nil, nil
	}
}

// catchUpTLS starts TLS before the first request that has it: STARTTLS
// (after the EHLO, when there was one), then the same EHLO again as a
// client does, which makes no hook call.
func (b *builder) catchUpTLS(r *captured) {
	switch {
	case r.tls != nil && !b.tls:
		b.add(sessions.Step{Kind: sessions.StepStartTLS}, -1, "")
		b.tls = true
		if b.helo != "" && r.stage != wire.StageEhlo && b.from == nil {
			if st, ok := heloStep(b.helo); ok {
				b.add(st, -1, "") // the same name: no hook call
			}
		}
	case r.tls == nil && b.tls:
		b.note("tls-gone", true, "Request %d has no TLS, though an earlier one of the same connection had it: the replay sends TLS.", r.n)
	}
}

// catchUpAuth authenticates before the first request that has a login.
func (b *builder) catchUpAuth(r *captured) {
	switch {
	case r.login != nil && b.auth == "":
		b.authStep(*r.login)
	case r.login != nil && b.auth != *r.login:
		b.note("auth-changed", true, "Request %d is authenticated as %q, an earlier one as %q: Stalwart allows one AUTH per connection, and the replay keeps the first.", r.n, *r.login, b.auth)
	case r.login == nil && b.auth != "":
		b.note("auth-gone", true, "Request %d is not authenticated, though an earlier one of the same connection was: the replay stays authenticated.", r.n)
	}
}

// authStep writes an AUTH with the login and the placeholder password.
func (b *builder) authStep(login string) {
	if strings.TrimSpace(login) == "" || hasControl(login) {
		b.note("auth-bad", true, "The login %q cannot be written in a script (blank, or control characters): the script does not authenticate.", login)
		b.auth = login
		return
	}
	if b.sess.Server.Port == 25 || !b.tls {
		b.needPlain = true
	}
	b.authAt = len(b.steps)
	b.auth = login
	if !slices.Contains(b.logins, login) {
		b.logins = append(b.logins, login)
	}
	b.add(sessions.Step{Kind: sessions.StepAuth, Login: login, Password: PlaceholderPassword}, -1, "")
}

// rset ends the open transaction.
func (b *builder) rset() {
	b.add(sessions.Step{Kind: sessions.StepRset}, -1, "")
	b.from, b.to = nil, nil
}

// mailStep writes MAIL FROM for from; req is its request (-1: none).
func (b *builder) mailStep(from string, req int) {
	st, ok := addressStep(sessions.StepMail, from)
	if !ok {
		b.note("addr-"+from, true, "The sender %q cannot be sent so that the simulator reads it back as Stalwart did.", from)
	}
	if b.helo == "" && b.mailNoHelo == 0 {
		b.mailNoHelo = len(b.steps) + 1
	}
	if b.auth == "" {
		b.mailNoAuth = true
	}
	b.add(st, req, wire.StageMail)
	// The reverse-IP check runs at the first MAIL FROM that gets past
	// the EHLO and AUTH checks, which the settings let it.
	b.iprevDone = true
}

// mail writes the MAIL of mail request i.
func (b *builder) mail(i int) {
	r := b.reqs[i]
	from := r.env.from
	b.mailStep(from, i)
	if refused(r.action) {
		b.from = nil
		return
	}
	b.from = &from
	b.fromMail = true
	b.keepSender(from)
}

// keepSender remembers a sender accepted while authenticated, which
// mustMatchSender must then allow.
func (b *builder) keepSender(from string) {
	if b.authAt >= 0 && !slices.Contains(b.senders[b.authAt], from) {
		b.senders[b.authAt] = append(b.senders[b.authAt], from)
	}
}

// ensureTx makes the open transaction have sender from and recipients
// to (in order) before request r: a MAIL and the RCPTs not captured.
func (b *builder) ensureTx(r *captured, from string, to []string) {
	if b.from != nil && *b.from != from && b.fromMail {
		// Stalwart's sender rewrite (session.mail.rewrite) ran after the
		// mail hook: the transaction goes on with the rewritten sender,
		// which the simulator does not reproduce.
		b.note("sender-rewrite-"+*b.from, true, "Stalwart changed the sender %s to %q after the mail hook (a sender rewrite rule); the script sends MAIL FROM as the client did, so its later requests show %s.", *b.from, from, *b.from)
		from = *b.from
	}
	if b.from == nil || *b.from != from {
		b.fromMail = false
		if b.from != nil {
			b.rset()
		}
		b.mailStep(from, -1)
		f := from
		b.from = &f
		b.keepSender(from)
	}
	for _, x := range to {
		if slices.Contains(b.to, x) {
			continue
		}
		b.rcptStep(x, -1)
		b.to = append(b.to, x)
		b.rcpts = append(b.rcpts, rcptRecord{addr: x, auth: b.auth != "", kept: true})
	}
	if !slices.Equal(b.to, to) {
		b.note("to-order", true, "The recipients of request %d (%s) are not those the script's RCPT steps leave, in that order (%s).",
			r.n, strings.Join(to, ", "), strings.Join(b.to, ", "))
	}
}

// rcptStep writes RCPT TO for addr; req is its request (-1: none).
func (b *builder) rcptStep(addr string, req int) {
	st, ok := addressStep(sessions.StepRcpt, addr)
	if !ok {
		b.note("addr-"+addr, true, "The recipient %q cannot be sent so that the simulator reads it back as Stalwart did.", addr)
	}
	b.add(st, req, wire.StageRcpt)
}

// rcpt writes the RCPT of rcpt request i and keeps its recipient when
// the requests after it say Stalwart did.
func (b *builder) rcpt(i int) {
	r := b.reqs[i]
	x := r.env.to[len(r.env.to)-1]
	kept := b.rcptKept(i)
	if y, ok := b.rewrittenAs(i, x); ok {
		// Stalwart rewrote the recipient after the rcpt hook (rcpt.rs:
		// rcpt_resolve's sub-addressing); the simulator does not, so the
		// script sends what Stalwart kept, for the later stages to see it.
		b.note("rewrite-"+x, true, "Stalwart kept RCPT %s as %s after the rcpt hook (sub-addressing); the script sends %s, so its rcpt request shows that address, not the one the client sent.", x, y, y)
		x, kept = y, true
	}
	b.rcptStep(x, i)
	b.rcpts = append(b.rcpts, rcptRecord{n: r.n, addr: x, auth: b.auth != "", kept: kept, action: r.action})
	if kept {
		b.to = append(b.to, x)
	}
}

// rewrittenAs reports a recipient x of rcpt request i that the next
// request of the transaction lists without its sub-address ("+tag"), as
// Stalwart's sub-addressing keeps it, and that address.
func (b *builder) rewrittenAs(i int, x string) (string, bool) {
	r := b.reqs[i]
	if refused(r.action) {
		return "", false
	}
	local, domain, ok := strings.Cut(x, "@")
	base, _, tagged := strings.Cut(local, "+")
	if !ok || !tagged || base == "" {
		return "", false
	}
	y := base + "@" + domain
	j := b.next(i)
	if !continuesTx(j, r.env.from) {
		return "", false
	}
	prior := priorRecipients(j)
	if slices.Contains(prior, x) || !slices.Contains(prior, y) || slices.Contains(b.to, y) {
		return "", false
	}
	return y, true
}

// rcptKept tells whether rcpt request i's recipient stayed in the
// envelope: not when the hook refused it; else, when the next request
// continues the transaction (same sender, recipients only taken from
// this one's), whether it lists the recipient; else (unknown) yes.
func (b *builder) rcptKept(i int) bool {
	r := b.reqs[i]
	if refused(r.action) {
		return false
	}
	x := r.env.to[len(r.env.to)-1]
	if j := b.next(i); continuesTx(j, r.env.from) {
		prior := priorRecipients(j)
		if subset(prior, r.env.to) {
			return slices.Contains(prior, x)
		}
	}
	return true
}

// next is the request after i, nil after the last.
func (b *builder) next(i int) *captured {
	if i+1 < len(b.reqs) {
		return b.reqs[i+1]
	}
	return nil
}

// continuesTx reports a request j made within a transaction whose sender
// is from: rcpt, data, or an EHLO in the middle of it.
func continuesTx(j *captured, from string) bool {
	return j != nil && j.env != nil && j.env.from == from &&
		(j.stage == wire.StageRcpt || j.stage == wire.StageData || j.stage == wire.StageEhlo)
}

// priorRecipients are the recipients accepted before request j: all of
// envelope.to, but the last at the rcpt stage (the one being tried).
func priorRecipients(j *captured) []string {
	if j.stage == wire.StageRcpt {
		return j.env.to[:len(j.env.to)-1]
	}
	return j.env.to
}

// subset reports whether every element of a is in b.
func subset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// data writes the data step of data request i with its rebuilt message.
func (b *builder) data(i int) {
	r := b.reqs[i]
	m := rebuildMessage(r.n, r.msg)
	for k, n := range m.notes {
		b.note(fmt.Sprintf("msg-%d-%d", r.n, k), true, "%s", n)
	}
	if !m.exact {
		b.approx = true
	}
	raw := make([]byte, 0, len(m.raw)+2)
	raw = append(append(raw, m.raw...), '\r', '\n')
	if _, _, err := sessions.ParseMIME(raw, true); err != nil {
		b.note(fmt.Sprintf("mime-%d", r.n), false, "The message of request %d cannot be written in a script (%v): the session plays, but sessions.Marshal refuses it.", r.n, err)
	}
	b.add(sessions.Step{Kind: sessions.StepData, Message: &sessions.Message{Raw: raw, Source: "inline"}}, i, wire.StageData)
	b.messages++
	b.maxTo = max(b.maxTo, len(r.env.to))
	b.maxWire = max(b.maxWire, wireSize(raw))
	b.maxReceived = max(b.maxReceived, receivedCount(r.msg.headers))
	b.from, b.to = nil, nil
}

// ehloStep writes an EHLO giving name; req is its request (-1: none).
func (b *builder) ehloStep(name string, req int) {
	st, ok := heloStep(name)
	if !ok {
		b.note("helo-"+name, true, "The HELO name %q cannot be sent so that the simulator stores it as Stalwart did.", name)
	}
	if !simulator.HasValidLabels(name) {
		b.nonFqdn = true
	}
	b.helos = true
	b.add(st, req, wire.StageEhlo)
}

// ehlo writes the EHLO of ehlo request i: the name changes unless the
// hook refused it, which the next request tells when it carries the
// previous name again.
func (b *builder) ehlo(i int) {
	r := b.reqs[i]
	name := "null"
	if r.helo != nil {
		name = *r.helo
	} else {
		b.note("ehlo-null", true, "Request %d is at the ehlo stage without a HELO name: the script says EHLO null.", r.n)
	}
	prev := b.helo
	b.ehloStep(name, i)
	accepted := !refused(r.action)
	if j := b.next(i); accepted && j != nil && j.stage != wire.StageEhlo && j.stage != wire.StageConnect {
		jhelo := ""
		if j.helo != nil {
			jhelo = *j.helo
		}
		accepted = !(jhelo == prev && prev != name)
	}
	if !accepted {
		b.from = nil // Stalwart drops the sender (only the sender)
		return
	}
	b.helo = name
	if b.from != nil {
		b.from, b.to = nil, nil
	}
}

// catchUpPTR runs the reverse-IP check before an EHLO request that
// carries the PTR name when no MAIL FROM came before it in the script:
// a MAIL FROM:<> and an RSET, which Stalwart's first MAIL FROM (not in
// the capture) stands for.
func (b *builder) catchUpPTR(r *captured) {
	if r.ptr == nil || b.iprevDone || b.sess.Client.PTR == "" {
		return
	}
	b.mailStep("", -1)
	b.rset()
	b.note("ptr-mail", false, "Request %d carries the PTR name, which Stalwart finds at the first MAIL FROM: the script sends MAIL FROM:<> and RSET before it.", r.n)
}

// check compares what the simulator will send for r with what Stalwart
// sent, for the parts the steps cannot choose.
func (b *builder) check(r *captured) {
	wantPTR := b.iprevDone && b.sess.Client.PTR != ""
	if r.stage == wire.StageConnect {
		wantPTR = false
	}
	if (r.ptr != nil) != wantPTR && (r.ptr == nil || b.sess.Client.PTR != "") {
		b.note("ptr-when", true, "Request %d %s the PTR name, which the simulator sends from the first MAIL FROM on: the replay differs there.",
			r.n, map[bool]string{true: "carries", false: "does not carry"}[r.ptr != nil])
	}
}
