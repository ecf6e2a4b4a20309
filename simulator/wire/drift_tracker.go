package wire

import (
	"fmt"
	"strings"
)

// DriftTracker holds the requests of one SMTP connection against each
// other, in arrival order, on top of CheckRequest. The zero value is
// ready; a DriftTracker is used by one goroutine at a time.
//
// A real Stalwart tells the hook nothing about connections, so the
// caller keeps one tracker per connection as it sees them (by client
// address and port, say); a connect request starts a new connection in
// the tracker, forgetting the previous one. The hook sees only the
// stages it is configured for, so every rule holds whatever stages are
// missing; they assume the hook's enable expression does not skip some
// calls of a stage and not others. The rules, from Stalwart v0.16.18's
// session code (crates/smtp/src/inbound):
//
//   - client.ip and port, server.name, ip and port never change;
//   - ptr (the reverse-IP check, once per connection) never changes once
//     it is not null; the HELO name is never null again once it is set;
//   - once a request has tls, every later one has it, with the same
//     version and cipher, but for one change from what a PROXY-protocol
//     load balancer reported to rustls' own names (a STARTTLS on a
//     proxied plain connection); the sasl login never changes or goes;
//   - a transaction starts at a mail request (or, when the hook is not
//     called at mail, with a sender), and ends at data or ehlo (an EHLO
//     resets it, or, refused mid-transaction, clears only the sender);
//   - once a mail request was seen, rcpt and data come only inside a
//     transaction a mail request opened, with its sender;
//   - rcpt_to (envelope.to) only grows within a transaction: at rcpt the
//     recipients but the last, and at data and ehlo all of them, start
//     with those the transaction's earlier requests showed, in that
//     order, the current recipient of a rcpt request excepted (refused,
//     or replaced after the hook by a rewrite, a catch-all, a mailing
//     list's members: so new addresses may follow);
//   - at mail, envelope.to is [] or what the transaction before left: an
//     EHLO refused mid-transaction keeps the recipients (handle_ehlo
//     sets mail_from to None without reset()), so the next mail request
//     carries them; after a connect or data request, or an ehlo request
//     that showed the envelope, nothing else;
//   - every data request has its own queue id.
//
// Findings name the earlier request they disagree with by its 1-based
// number among the requests given to this tracker.
type DriftTracker struct {
	n    int
	conn connState
}

// seenAt is a value and the number of the request it came in; at 0
// means none yet.
type seenAt struct {
	v  string
	at int
}

// connState is what the tracker keeps about the current connection.
type connState struct {
	ident      [len(identPaths)]seenAt
	ptr        seenAt
	helo       seenAt
	tls        seenAt // at: the first request with tls
	plainAt    int    // the first request without tls, before any with it
	tlsVersion seenAt
	tlsCipher  seenAt
	sasl       seenAt
	queueIDs   map[string]int
	mailAt     int   // the first mail request
	endAt      int   // the request that ended the last transaction
	endStage   Stage // its stage
	tx         txState
	rcpts      rcptState
}

// txState is the transaction in progress.
type txState struct {
	open   bool
	from   known
	mailAt int // the mail request that opened it; 0 when none was seen
}

// Check checks one request body, the next of the connection: the
// findings of CheckRequest and those of the rules across requests, with
// Code LintDrift, compacted. It returns the stage as CheckRequest does.
// It never fails and never panics.
func (t *DriftTracker) Check(body []byte) (Stage, []Lint) {
	v, lints := checkRequest(body)
	t.n++
	if v.stage == StageConnect || t.n == 1 {
		t.conn = connState{}
	}
	c := &driftCheck{v: v, lints: lints}
	t.compare(c, t.n)
	return v.stage, CompactLints(c.lints)
}

// compare adds the findings of request n against the earlier ones.
func (t *DriftTracker) compare(c *driftCheck, n int) {
	v, s := c.v, &t.conn
	for i, p := range identPaths {
		k := v.ident[i]
		if !k.set {
			continue
		}
		if s.ident[i].at == 0 {
			s.ident[i] = seenAt{k.v, n}
			continue
		}
		if k.v != s.ident[i].v {
			show := quoteShort
			if strings.HasSuffix(p, ".port") {
				show = func(s string) string { return s }
			}
			c.add(p, "%s sends the same %s in every request of a connection: %s in request %d; this request (%d) has %s", model, p, show(s.ident[i].v), s.ident[i].at, n, show(k.v))
		}
	}
	if v.ptr.set {
		switch {
		case s.ptr.at > 0 && (v.ptr.null || v.ptr.v != s.ptr.v):
			c.add("context.client.ptr", "%s looks the PTR name up once per connection and keeps it: %s since request %d; this request (%d) has %s", model, quoteShort(s.ptr.v), s.ptr.at, n, showKnown(v.ptr))
		case s.ptr.at == 0 && !v.ptr.null:
			s.ptr = seenAt{v.ptr.v, n}
		}
	}
	if v.helo.set {
		switch {
		case s.helo.at > 0 && v.helo.null:
			c.add("context.client.helo", "%s keeps the HELO name for the rest of the connection (request %d has %s); this request (%d) has null", model, s.helo.at, quoteShort(s.helo.v), n)
		case s.helo.at == 0 && !v.helo.null:
			s.helo = seenAt{v.helo.v, n}
		}
	}
	t.compareTLS(c, n)
	if v.sasl.set {
		switch {
		case s.sasl.at > 0 && v.sasl.null:
			c.add("context.sasl", "%s keeps the login for the rest of a connection once AUTH succeeded (request %d has %s); this request (%d) has no sasl", model, s.sasl.at, quoteShort(s.sasl.v), n)
		case s.sasl.at > 0 && v.sasl.v != s.sasl.v:
			c.add("context.sasl.login", "%s keeps the login for the rest of a connection (a second AUTH gets 503): %s in request %d; this request (%d) has %s", model, quoteShort(s.sasl.v), s.sasl.at, n, quoteShort(v.sasl.v))
		case s.sasl.at == 0 && !v.sasl.null:
			s.sasl = seenAt{v.sasl.v, n}
		}
	}
	if v.stage == StageData && v.queueID.set {
		if at, ok := s.queueIDs[v.queueID.v]; ok {
			c.add("context.queue.id", "%s gives every message its own queue id; request %d of this connection has %s too", model, at, quoteShort(v.queueID.v))
		} else {
			if s.queueIDs == nil {
				s.queueIDs = map[string]int{}
			}
			s.queueIDs[v.queueID.v] = n
		}
	}
	t.transaction(c, n)
}

// showKnown renders a null-or-string value for a message.
func showKnown(k known) string {
	if k.null {
		return "null"
	}
	return quoteShort(k.v)
}

// compareTLS: a connection's TLS, once started, stays, with the same
// version and cipher. Behind a PROXY-protocol load balancer the stream
// reports the balancer's values ("unknown" without its SSL TLVs) until a
// STARTTLS makes it a TLS stream of Stalwart's own (into_tls in
// crates/smtp/src/inbound/spawn.rs keeps the session): from then on
// rustls' names, so that one change is no finding.
func (t *DriftTracker) compareTLS(c *driftCheck, n int) {
	v, s := c.v, &t.conn
	if !v.tls.set {
		return
	}
	if v.tls.null {
		if s.tls.at > 0 {
			c.add("context.tls", "%s keeps TLS for the rest of a connection once it started (request %d has tls); this request (%d) has none", model, s.tls.at, n)
		} else if s.plainAt == 0 {
			s.plainAt = n
		}
		return
	}
	if s.tls.at == 0 {
		s.tls = seenAt{at: n}
		// A plain connection gets TLS only by STARTTLS, a TLS stream of
		// Stalwart's own (rustls' names); a PROXY-protocol stream has
		// the balancer's values from the connect stage on.
		if s.plainAt > 0 && v.tlsVersion.set && v.tlsCipher.set && !directTLS(v.tlsVersion.v, v.tlsCipher.v) {
			c.add("context.tls", "%s starts TLS on a plain connection only by STARTTLS, which gives rustls' names (TLSv1.3, TLS13_AES_256_GCM_SHA384); request %d had no tls, and this request (%d) has %s/%s, a load balancer's values, which it would have sent from the connect stage on", model, s.plainAt, n, quoteShort(v.tlsVersion.v), quoteShort(v.tlsCipher.v))
		}
	}
	if v.tlsVersion.set && v.tlsCipher.set && s.tlsVersion.at > 0 && s.tlsCipher.at > 0 &&
		!directTLS(s.tlsVersion.v, s.tlsCipher.v) && directTLS(v.tlsVersion.v, v.tlsCipher.v) {
		s.tlsVersion, s.tlsCipher = seenAt{v.tlsVersion.v, n}, seenAt{v.tlsCipher.v, n}
		return
	}
	for _, f := range []struct {
		path string
		got  known
		seen *seenAt
	}{{"context.tls.version", v.tlsVersion, &s.tlsVersion}, {"context.tls.cipher", v.tlsCipher, &s.tlsCipher}} {
		switch {
		case !f.got.set:
		case f.seen.at == 0:
			*f.seen = seenAt{f.got.v, n}
		case f.got.v != f.seen.v:
			c.add(f.path, "%s keeps a connection's TLS %s: %s in request %d; this request (%d) has %s", model, f.path[len("context.tls."):], quoteShort(f.seen.v), f.seen.at, n, quoteShort(f.got.v))
		}
	}
}

// transaction applies the rules of transactions to request n.
func (t *DriftTracker) transaction(c *driftCheck, n int) {
	v, s := c.v, &t.conn
	switch v.stage {
	case StageConnect:
		s.rcpts = rcptState{kind: rcptClosed, at: n, stage: StageConnect}
	case StageEhlo:
		if v.envelope {
			// EHLO mid-transaction: the hook sees the sender and rcpt_to.
			if v.toKnown && s.tx.open && v.from.set && s.tx.from.set && v.from.v == s.tx.from.v {
				t.checkRcpts(c, n, v.to, s.rcpts.mailAt == 0)
			}
			s.rcpts = rcptState{}
			if v.toKnown {
				s.rcpts = rcptState{kind: rcptClosed, list: v.to, at: n, stage: StageEhlo}
			}
		}
		t.endTx(n, StageEhlo)
	case StageMail:
		if v.envelope && v.toKnown && len(v.to) > 0 {
			t.mailRcpts(c, n, v.to)
		}
		s.tx = txState{open: true, from: v.from, mailAt: n}
		s.rcpts = rcptState{}
		if v.envelope && v.toKnown {
			s.rcpts = rcptState{kind: rcptOpen, list: v.to, mailAt: n}
			if len(v.to) > 0 {
				s.rcpts.shown = []int{n}
			}
		}
		if s.mailAt == 0 {
			s.mailAt = n
		}
	case StageRcpt, StageData:
		if v.envelope && v.from.set {
			if t.place(c, n) {
				s.rcpts = rcptState{}
			}
			switch {
			case !v.toKnown || len(v.to) == 0:
				s.rcpts = rcptState{}
			case v.stage == StageRcpt:
				t.rcptRcpts(c, n, v.to[:len(v.to)-1])
			default:
				t.checkRcpts(c, n, v.to, false)
			}
		}
		if v.stage == StageData {
			t.endTx(n, StageData)
			s.rcpts = rcptState{kind: rcptClosed, at: n, stage: StageData}
		}
	}
}

// place puts rcpt or data request n in the transaction in progress, or
// starts one, saying so when a mail request should have started it. It
// reports whether it started one.
func (t *DriftTracker) place(c *driftCheck, n int) bool {
	v, s := c.v, &t.conn
	tx := &s.tx
	if tx.open && (tx.mailAt > 0 || tx.from.set && tx.from.v == v.from.v) {
		// A sender rewrite rule (session.mail.rewrite, mail.rs) may
		// change the sender after the mail hook: the rest of the
		// transaction carries the rewritten one. No finding.
		if tx.from.v != v.from.v {
			tx.from = v.from
		}
		return false
	}
	if s.mailAt > 0 {
		ended := "no transaction was open"
		if s.endAt > 0 {
			ended = fmt.Sprintf("request %d (%s) ended the last transaction", s.endAt, s.endStage)
		}
		c.add("context.stage", "%s calls the hook at mail at the start of every transaction (request %d shows it is called at mail) and %s; this %s request (%d) follows no mail request of its transaction", model, s.mailAt, ended, v.stage, n)
	}
	*tx = txState{open: true, from: v.from}
	return true
}

// endTx ends the transaction in progress at request n.
func (t *DriftTracker) endTx(n int, stage Stage) {
	t.conn.tx = txState{}
	t.conn.endAt, t.conn.endStage = n, stage
}
