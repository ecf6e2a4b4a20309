package simulator

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator/modify"
	"github.com/hooksim/hooksim/simulator/wire"
)

// connect opens a (new) connection: the connect hooks run before the
// greeting, and a hook that does not accept replaces the greeting and
// closes the connection.
func (p *player) connect(ctx context.Context, st *StepResult) {
	p.connected, p.closed, p.closedBy = true, false, ""
	p.iprevDone, p.iprevResult, p.rcptErrors, p.authErrors, p.spfEhlo = false, "", 0, 0, false
	p.helo, p.authAs, p.authAddresses, p.delivered = "", "", nil, 0
	p.resetTx()
	p.tls = nil
	if t := p.sess.Client.TLS; t != nil && (t.Implicit || p.sess.Server.Port == 465) {
		p.tls = t
	}
	out := p.runHooks(ctx, st, wire.StageConnect, nil, "")
	if out.stopped {
		st.Replies = append(st.Replies, out.reply)
		st.Closed, p.closed = true, true
		return
	}
	st.Replies = append(st.Replies, replyGreeting(p.hostname()))
}

func (p *player) hostname() string {
	if h := p.sess.Server.Hostname; h != "" {
		return h
	}
	return DefaultGreetingHostname
}

// ehlo handles HELO and EHLO: the hook runs only when the name changes;
// a hook that does not accept restores the previous name.
func (p *player) ehlo(ctx context.Context, st *StepResult, name string, extended bool) {
	if name != p.helo {
		if p.rejectNonFqdn() && !HasValidLabels(name) {
			st.Replies = append(st.Replies, ReplyInvalidEhlo)
			return
		}
		prev := p.helo
		p.helo = name
		// SPF is checked for the new name before the hooks (ehlo.rs:45-87);
		// with no DNS its result is none, which never refuses.
		p.spfEhlo = authCheckOn(p.sess.Server)
		out := p.runHooks(ctx, st, wire.StageEhlo, nil, "")
		if out.stopped {
			// Stalwart restores the name, forgets the SPF result and drops
			// the sender (only the sender: recipients stay until the next
			// reset).
			p.helo = prev
			p.spfEhlo = false
			p.from = nil
			st.Replies = append(st.Replies, out.reply)
			return
		}
	}
	if p.from != nil {
		p.resetTx()
	}
	if !extended {
		st.Replies = append(st.Replies, replyHelo(p.hostname()))
		return
	}
	caps := ehloCaps{
		host: p.hostname(), tls: p.tls != nil, authenticated: p.authAs != "",
		mechanisms: p.saslMechanisms(), maxSize: p.maxMessageSize(), now: p.now(),
		requireTLS: p.requireTLSOn(), dsn: p.dsnOn(),
	}
	if p.mtPriorityOn() {
		caps.mtPriority = "mixer"
		if v := p.sess.Server.Extensions.MtPriority; v != nil {
			caps.mtPriority = *v
		}
	}
	caps.futureRelease, caps.deliverBy = -1, -1
	if d, on := p.futureRelease(); on {
		caps.futureRelease = d
	}
	if d, on := p.deliverBy(); on {
		caps.deliverBy = d
	}
	st.Replies = append(st.Replies, ehloReply(caps)...)
}

func (p *player) startTLS(st *StepResult) {
	if p.tls != nil {
		st.Replies = append(st.Replies, ReplyAlreadyTLS)
		return
	}
	st.Replies = append(st.Replies, ReplyStartTLS)
	t := p.sess.Client.TLS
	if t == nil {
		t = &sessions.TLS{Version: "TLSv1.3", Cipher: "TLS13_AES_256_GCM_SHA384"}
	}
	p.tls = t
}

// auth authenticates with the step's credentials and mechanism as
// Stalwart's AUTH handling does (session.rs:101-154, auth.rs): no
// mechanism allowed at all: 503; already authenticated: 503; a mechanism
// outside saslMechanisms: 554; LOGIN prompts for the user name and
// password (334); refused credentials: 535, and the maxFailures-th
// failure of the connection is followed by 455 4.3.0 and a close. No hook
// is called: Stalwart accepts "auth" in a hook's stages but never calls
// it there.
func (p *player) auth(st *StepResult, step *sessions.Step) {
	for _, h := range p.sim.Hooks {
		if h.Stages[wire.StageAuth] {
			st.Lints = append(st.Lints, authStageLint(h))
		}
	}
	mech := step.Mechanism
	if mech == "" {
		mech = "plain"
	}
	if !p.authCheck(st, mech) {
		return
	}
	if mech != "login" && step.Prompted {
		// The response comes on its own line, held to the line limit.
		st.Replies = append(st.Replies, ReplyAuthContinue)
		if !p.saslRead && lineTooLong(saslResponse(step)) {
			p.authFailed(st, ReplySaslLineTooLong)
			return
		}
	}
	if mech == "login" {
		// The user name and the password go on SASL lines of their own,
		// each held to the line limit (session.rs:426-447).
		b64 := base64.StdEncoding.EncodeToString
		st.Replies = append(st.Replies, ReplyAuthLoginUser)
		if !p.saslRead && lineTooLong(b64([]byte(step.Login))) {
			p.authFailed(st, ReplySaslLineTooLong)
			return
		}
		st.Replies = append(st.Replies, ReplyAuthLoginPass)
		if !p.saslRead && lineTooLong(b64([]byte(step.Password))) {
			p.authFailed(st, ReplySaslLineTooLong)
			return
		}
	}
	if step.AuthFail {
		p.authFailed(st, ReplyAuthFailed)
		return
	}
	p.authAs, p.authAddresses = step.Login, step.Addresses
	st.Replies = append(st.Replies, ReplyAuthOK)
}

// authCheck runs the checks before a SASL exchange starts; false when
// one of them answered.
func (p *player) authCheck(st *StepResult, mech string) bool {
	if r := p.authRefusal(mech); r != "" {
		st.Replies = append(st.Replies, r)
		return false
	}
	return true
}

// authRefusal is the reply AUTH with mech gets before any SASL exchange
// (session.rs:101-154), or "" when the exchange starts.
func (p *player) authRefusal(mech string) string {
	allowed := p.saslMechanisms()
	switch {
	case len(allowed) == 0:
		return ReplyAuthNotAllowed
	case p.authAs != "":
		return ReplyAlreadyAuth
	case !slices.Contains(allowed, mech):
		return ReplyMechanismNotSupported
	}
	return ""
}

// authFailed answers a failed AUTH and counts it for the connection
// (auth.rs auth_error).
func (p *player) authFailed(st *StepResult, reply string) {
	p.authErrors++
	st.Replies = append(st.Replies, reply)
	if p.authErrors >= p.authMaxFailures() {
		st.Replies = append(st.Replies, ReplyTooManyAuthErrors)
		st.Closed, p.closed = true, true
	}
}

// mail handles a parsed MAIL FROM (mail.rs): the EHLO, transaction and
// authentication checks, the reverse-IP check, the mail hooks, then the
// parameters, which Stalwart checks only after the hooks (so a hook sees,
// and may refuse, a MAIL that a parameter then refuses). Any refusal
// leaves no sender.
func (p *player) mail(ctx context.Context, st *StepResult, from *MailFrom) {
	switch {
	case p.helo == "" && p.ehloRequired():
		st.Replies = append(st.Replies, ReplyEhloFirst)
		return
	case p.from != nil:
		st.Replies = append(st.Replies, ReplyMultipleMail)
		return
	case p.authRequired() && p.authAs == "":
		st.Replies = append(st.Replies, ReplyAuthFirst)
		return
	}
	// The reverse-IP check runs once per connection, at the first MAIL
	// FROM that gets this far, unless verification is off; strict
	// verification refuses every MAIL of a connection that did not pass.
	policy := iprevPolicy(p.sess.Server)
	if !p.iprevDone && policy != "disable" {
		p.iprevDone, p.iprevResult = true, iprevResult(p.sess.Client)
	}
	if policy == "strict" && p.iprevResult != "pass" {
		if p.iprevResult == "temperror" {
			st.Replies = append(st.Replies, ReplyIprevTempFail)
		} else {
			st.Replies = append(st.Replies, ReplyIprevFailed)
		}
		return
	}
	p.tx++
	p.from = &modify.Address{Address: from.Address, Lower: modify.LowercaseAddress(from.Address), Params: from.ParamText()}
	out := p.runHooks(ctx, st, wire.StageMail, nil, "")
	if out.stopped {
		p.from = nil
		st.Replies = append(st.Replies, out.reply)
		return
	}
	// An authenticated client may only send from its own addresses; the
	// check comes after the mail hook (mail.rs:233-272).
	if p.authAs != "" && p.mustMatchSender() && !p.senderAllowed(p.from.Lower) {
		p.from = nil
		st.Replies = append(st.Replies, ReplyNotAllowedSender)
		return
	}
	if r := p.mailParamReply(from); r != "" {
		p.from = nil
		st.Replies = append(st.Replies, r)
		return
	}
	p.rcptDSN = p.dsnOn()
	st.Replies = append(st.Replies, ReplyMailOK)
}

// rcpt adds a parsed recipient: NOTIFY=/ORCPT= are refused while DSN is
// off; a duplicate is acknowledged without a hook call; otherwise the
// hooks see it appended, and a hook that does not accept removes it
// again. Stalwart checks relaying after the hooks.
func (p *player) rcpt(ctx context.Context, st *StepResult, to *RcptTo) {
	if p.from == nil {
		st.Replies = append(st.Replies, ReplyMailFirst)
		return
	}
	if len(p.to) >= p.maxRecipients() {
		st.Replies = append(st.Replies, ReplyTooManyRcpts)
		return
	}
	if reply := p.rcptDSNReply(to); reply != "" {
		st.Replies = append(st.Replies, reply)
		return
	}
	r := modify.Address{Address: to.Address, Lower: modify.LowercaseAddress(to.Address), Params: to.ParamText()}
	for _, have := range p.to {
		if have.Lower == r.Lower {
			st.Replies = append(st.Replies, ReplyRcptOK)
			return
		}
	}
	p.to = append(p.to, r)
	out := p.runHooks(ctx, st, wire.StageRcpt, nil, "")
	if out.stopped {
		p.to = p.to[:len(p.to)-1]
		st.Replies = append(st.Replies, out.reply)
		return
	}
	if p.anyDomain {
		if _, domain, ok := strings.Cut(r.Lower, "@"); ok && domain != "" {
			p.addLocalDomain(domain)
		}
	}
	if p.authAs == "" && !p.isLocal(r.Lower) {
		p.to = p.to[:len(p.to)-1]
		// Failed RCPTs count for the whole connection; the N-th gets the
		// disconnecting reply instead (rcpt.rs:413-456).
		p.rcptErrors++
		if p.rcptErrors >= p.rcptMaxFailures() {
			st.Replies = append(st.Replies, ReplyTooManyRcptErrors)
			st.Closed, p.closed = true, true
			return
		}
		st.Replies = append(st.Replies, ReplyRelayDenied)
		return
	}
	// The throttles come after the relay check (rcpt.rs:266-351).
	if t := p.sim.Throttles; t != nil && !t.Rcpt(domainOf(p.from.Lower), r.Lower, p.now()) {
		p.to = p.to[:len(p.to)-1]
		st.Replies = append(st.Replies, ReplyRateLimit)
		return
	}
	st.Replies = append(st.Replies, ReplyRcptOK)
}

// domainOf is the domain of an address, "" when it has none.
func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[i+1:]
	}
	return ""
}

func (p *player) isLocal(addr string) bool {
	_, domain, _ := strings.Cut(addr, "@")
	domains := p.sess.Server.LocalDomains
	if p.localDomains != nil {
		domains = p.localDomains
	}
	for _, d := range domains {
		if strings.EqualFold(d, domain) {
			return true
		}
	}
	return false
}

func (p *player) canSendData() string {
	switch {
	case p.from == nil:
		return ReplyMailFirst
	case len(p.to) == 0:
		return ReplyRcptFirst
	case p.delivered >= p.maxMessages():
		return ReplyTooManyMessages
	}
	return ""
}

// data sends DATA and the message, runs the data hooks and applies their
// modifications. The transaction is reset whatever the outcome.
func (p *player) data(ctx context.Context, st *StepResult, m *sessions.Message) *TransactionResult {
	if r := p.canSendData(); r != "" {
		st.Replies = append(st.Replies, r)
		return nil
	}
	st.Replies = append(st.Replies, ReplyDataGo)

	raw, src := []byte{}, "inline"
	if m != nil {
		raw, src = m.Raw, m.Source
	}
	st.Message = fmt.Sprintf("<message, %d bytes, from %s>", len(raw), src)
	// Stalwart checks the size as it reads (session.rs:363): what it kept
	// plus the bytes just read, dot-stuffed and with the terminator, must
	// stay below maxMessageSize. hooksim sends the message in one go, so
	// that is its size on the wire. Too big: the data is read and
	// discarded and the transaction stays (no reset: MAIL and RCPT kept).
	if wireSize(raw) >= p.maxMessageSize() {
		return p.finish(ctx, st, p.newTx(trimFinalCRLF(raw)), ReplyTooBig)
	}
	defer p.resetTx()
	// Stalwart keeps the message without the CRLF before the final dot.
	return p.queue(ctx, st, trimFinalCRLF(raw))
}

// newTx starts the transaction result of a message.
func (p *player) newTx(raw []byte) *TransactionResult {
	// A message sent again after its transaction's first was refused
	// for its size (Stalwart keeps MAIL and RCPT then, session.rs:453-461)
	// is a message of its own: it gets the next number, so that every
	// message of a session has one of its own.
	if p.txMessages == p.tx {
		p.tx++
	}
	p.txMessages = p.tx
	tx := &TransactionResult{Session: p.sess.Name, Number: p.tx, Original: raw}
	tx.EnvelopeIn = p.envelopeView()
	tx.EnvelopeOut = tx.EnvelopeIn
	return tx
}

// finish ends a transaction with reply.
func (p *player) finish(ctx context.Context, st *StepResult, tx *TransactionResult, reply string) *TransactionResult {
	st.Replies = append(st.Replies, reply)
	tx.Reply = reply
	p.res.Transactions = append(p.res.Transactions, tx)
	p.obs.Transaction(tx)
	return tx
}

// queue is Stalwart's queue_message for a message received whole (by
// DATA or the last BDAT chunk): parse, loop check, data hooks, the
// modifications, the queued reply (data.rs).
func (p *player) queue(ctx context.Context, st *StepResult, raw []byte) *TransactionResult {
	tx := p.newTx(raw)
	finish := func(reply string) *TransactionResult { return p.finish(ctx, st, tx, reply) }
	msg := modify.Split(raw)
	if !msg.Parsable() {
		return finish(ReplyParseFailed)
	}
	if receivedCount(msg) > maxReceivedHeaders(p.sess.Server) {
		return finish(ReplyLoopDetected)
	}
	id := p.queueIDs.Next()
	tx.QueueID = Hex(id)
	out := p.runHooks(ctx, st, wire.StageData, msg, tx.QueueID)
	if out.stopped {
		return finish(out.reply)
	}
	// The message as the hooks left it is written once, straight after
	// the server's headers in the queued form (queuedMessage); Final is
	// that tail of it. A 30 MiB message is not built a second time.
	final, sender := modify.Result{}, p.from
	if len(out.mods) > 0 {
		res := modify.Edit(msg, modify.Envelope{From: p.from, To: p.to}, out.mods)
		final = res
		sender = res.Envelope.From
		tx.EnvelopeOut = envelopeView(res.Envelope)
		for _, n := range res.Notes {
			if n.Code == modify.NoteHeaderCRLF {
				// The exchange's header-name-invalid and
				// header-value-line-break lints already say it, with a fix.
				continue
			}
			st.Lints = append(st.Lints, wire.Lint{Code: n.Code, Path: modPath(out.modSource, n.Mod), Message: n.Text})
		}
	}
	var n int
	tx.Queued, n, tx.QueuedNotes = p.queuedMessage(msg, &final, sender, id)
	// The queued message ends with the final one: share its bytes rather
	// than keep a second copy of a large message.
	tx.Final = tx.Queued[n:len(tx.Queued):len(tx.Queued)]
	tx.Delivered = true
	p.delivered++
	return finish(ReplyQueued(tx.QueueID))
}

func trimFinalCRLF(b []byte) []byte {
	if n := len(b); n >= 2 && b[n-2] == '\r' && b[n-1] == '\n' {
		return b[:n-2]
	}
	if n := len(b); n >= 1 && b[n-1] == '\n' {
		return b[:n-1]
	}
	return b
}

// iprevPolicy is the server's reverseIpVerify policy: as configured, else
// Stalwart's default, relaxed on port 25 and disable on every other
// (SenderAuth.reverseIpVerify in the registry defaults).
func iprevPolicy(sv sessions.Server) string {
	switch {
	case sv.ReverseIPVerify != "":
		return sv.ReverseIPVerify
	case sv.Port == 25:
		return "relaxed"
	}
	return "disable"
}

// iprevResult is the outcome of the reverse-IP check for the client: as
// the script says, else pass with a PTR name and permerror without.
func iprevResult(c sessions.Client) string {
	switch {
	case c.IPRev != "":
		return c.IPRev
	case c.PTR != "":
		return "pass"
	}
	return "permerror"
}

// receivedCount counts the message's top-level Received headers, as
// mail-auth's received_headers_count does.
func receivedCount(msg *modify.Message) int {
	n := 0
	for _, h := range msg.Headers {
		if strings.EqualFold(string(h.Name), "Received") {
			n++
		}
	}
	return n
}

// maxReceivedHeaders is the session's maxReceivedHeaders, else Stalwart's default.
func maxReceivedHeaders(sv sessions.Server) int {
	if sv.MaxReceivedHeaders > 0 {
		return sv.MaxReceivedHeaders
	}
	return DefaultMaxReceivedHeaders
}

// The session's limits under server:, else Stalwart's defaults
// (MtaStageData.maxMessageSize, MtaStageRcpt.maxRecipients,
// MtaStageData.maxMessages).
func (p *player) maxMessageSize() int64 {
	if v := p.sess.Server.MaxMessageSize; v > 0 {
		return v
	}
	return DefaultMaxMessageSize
}

func (p *player) maxRecipients() int {
	if v := p.sess.Server.MaxRecipients; v > 0 {
		return v
	}
	return DefaultMaxRecipients
}

func (p *player) maxMessages() int {
	if v := p.sess.Server.MaxMessages; v > 0 {
		return v
	}
	return DefaultMaxMessages
}

// bdatChunks splits a bdat step's message into its chunks: the sizes the
// script gives, then the rest, sent with LAST (possibly empty).
func bdatChunks(step *sessions.Step) [][]byte {
	var raw []byte
	if step.Message != nil {
		raw = step.Message.Raw
	}
	var out [][]byte
	for _, n := range step.Chunks {
		n = min(n, len(raw))
		out = append(out, raw[:n])
		raw = raw[n:]
	}
	return append(out, raw)
}

// bdatCommands are the command lines of a bdat step: "BDAT n" for each
// chunk, "BDAT n LAST" for the last.
func bdatCommands(step *sessions.Step) []string {
	chunks := bdatChunks(step)
	out := make([]string, len(chunks))
	for i, c := range chunks {
		out[i] = "BDAT " + strconv.Itoa(len(c))
		if i == len(chunks)-1 {
			out[i] += " LAST"
		}
	}
	return out
}

// bdat sends a message in BDAT chunks as Stalwart receives them
// (session.rs:67-100, 399-425): each chunk is refused, read and
// discarded, when MAIL or RCPT is missing or too many messages were sent,
// or when it would bring the message to maxMessageSize (552); a chunk
// before the last is answered "250 2.6.0 Chunk accepted."; the last one
// queues the message as received, its final CRLF included (no dot
// terminator to strip), with one data hook call for the whole message.
func (p *player) bdat(ctx context.Context, st *StepResult, step *sessions.Step) *TransactionResult {
	chunks := bdatChunks(step)
	src := "inline"
	if step.Message != nil {
		src = step.Message.Source
	}
	total := 0
	for _, c := range chunks {
		total += len(c)
	}
	n := fmt.Sprintf("%d chunks", len(chunks))
	if len(chunks) == 1 {
		n = "one chunk"
	}
	st.Message = fmt.Sprintf("<message, %d bytes in %s, from %s>", total, n, src)
	var buf []byte
	for i, c := range chunks {
		last := i == len(chunks)-1
		// A refused chunk is read and discarded, and so is what the
		// earlier chunks carried (session.rs:452-456 empties the message);
		// MAIL and RCPT stay.
		if r := p.canSendData(); r != "" {
			st.Replies, buf = append(st.Replies, r), nil
			continue
		}
		if int64(len(c))+int64(len(buf)) >= p.maxMessageSize() {
			st.Replies, buf = append(st.Replies, ReplyTooBig), nil
			continue
		}
		buf = append(buf, c...)
		if !last {
			st.Replies = append(st.Replies, ReplyChunkOK)
			continue
		}
		defer p.resetTx()
		return p.queue(ctx, st, buf)
	}
	return nil
}

// wireSize is the size of a DATA message on the wire: its bytes (ending
// in CRLF), one more for each line that starts with a dot (dot-stuffing),
// and the ".\r\n" of the terminator.
func wireSize(raw []byte) int64 {
	n := int64(len(raw)) + 3
	if len(raw) > 0 && raw[0] == '.' {
		n++
	}
	n += int64(bytes.Count(raw, []byte("\n.")))
	return n
}
