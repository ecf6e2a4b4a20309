package wire

import (
	"fmt"
	"strconv"
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
//     version and cipher; the sasl login never changes or goes;
//   - a transaction starts at a mail request (or, when the hook is not
//     called at mail, with a sender), and ends at data or ehlo (EHLO
//     resets it); within it at rcpt the recipients but the last, and at
//     data (and at ehlo) all of them, are the last recipients of the
//     transaction's earlier rcpt requests, in that order, with some
//     left out (recipients refused after the call), when rcpt requests
//     were seen; a recipient whose sub-address (+tag) Stalwart removed
//     counts as the one the hook saw;
//   - once a mail request was seen, rcpt and data come only inside a
//     transaction a mail request opened, with its sender;
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
	tlsVersion seenAt
	tlsCipher  seenAt
	sasl       seenAt
	queueIDs   map[string]int
	mailAt     int   // the first mail request
	endAt      int   // the request that ended the last transaction
	endStage   Stage // its stage
	tx         txState
}

// txState is the transaction in progress.
type txState struct {
	open   bool
	from   known
	mailAt int      // the mail request that opened it; 0 when none was seen
	rcpts  []seenAt // the last recipient of each rcpt request
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
// version and cipher.
func (t *DriftTracker) compareTLS(c *driftCheck, n int) {
	v, s := c.v, &t.conn
	if !v.tls.set {
		return
	}
	if v.tls.null {
		if s.tls.at > 0 {
			c.add("context.tls", "%s keeps TLS for the rest of a connection once it started (request %d has tls); this request (%d) has none", model, s.tls.at, n)
		}
		return
	}
	if s.tls.at == 0 {
		s.tls = seenAt{at: n}
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
	case StageEhlo:
		if v.envelope && v.toKnown && s.tx.open && len(s.tx.rcpts) > 0 && v.from.set && s.tx.from.set && v.from.v == s.tx.from.v {
			t.followRcpts(c, n, v.to)
		}
		t.endTx(n, StageEhlo)
	case StageMail:
		s.tx = txState{open: true, from: v.from, mailAt: n}
		if s.mailAt == 0 {
			s.mailAt = n
		}
	case StageRcpt, StageData:
		if v.envelope && v.from.set {
			t.place(c, n)
			if v.toKnown && v.stage == StageRcpt && len(v.to) > 0 {
				if len(s.tx.rcpts) > 0 {
					t.followRcpts(c, n, v.to[:len(v.to)-1])
				}
				s.tx.rcpts = append(s.tx.rcpts, seenAt{v.to[len(v.to)-1], n})
			}
			if v.toKnown && v.stage == StageData && len(s.tx.rcpts) > 0 {
				t.followRcpts(c, n, v.to)
			}
		}
		if v.stage == StageData {
			t.endTx(n, StageData)
		}
	}
}

// place puts rcpt or data request n in the transaction in progress, or
// starts one, saying so when a mail request should have started it.
func (t *DriftTracker) place(c *driftCheck, n int) {
	v, s := c.v, &t.conn
	tx := &s.tx
	if tx.open && (tx.mailAt > 0 || tx.from.set && tx.from.v == v.from.v) {
		if tx.mailAt > 0 && tx.from.set && !tx.from.null && tx.from.v != v.from.v {
			c.add("envelope.from.address", "%s keeps a transaction's sender: %s at request %d (mail); this request (%d) has %s (unless a sender rewrite rule changed it after the mail hook)", model, quoteShort(tx.from.v), tx.mailAt, n, quoteShort(v.from.v))
			tx.from = v.from
		}
		return
	}
	if s.mailAt > 0 {
		ended := "no transaction was open"
		if s.endAt > 0 {
			ended = fmt.Sprintf("request %d (%s) ended the last transaction", s.endAt, s.endStage)
		}
		c.add("context.stage", "%s calls the hook at mail at the start of every transaction (request %d shows it is called at mail) and %s; this %s request (%d) follows no mail request of its transaction", model, s.mailAt, ended, v.stage, n)
	}
	*tx = txState{open: true, from: v.from}
}

// endTx ends the transaction in progress at request n.
func (t *DriftTracker) endTx(n int, stage Stage) {
	t.conn.tx = txState{}
	t.conn.endAt, t.conn.endStage = n, stage
}

// followRcpts checks that to (the accepted recipients request n shows)
// is a subsequence of the last recipients of the transaction's rcpt
// requests: Stalwart appends a recipient at RCPT and removes the
// current one when the hook or a later check refuses it.
func (t *DriftTracker) followRcpts(c *driftCheck, n int, to []string) {
	lasts := t.conn.tx.rcpts
	j := 0
	for i, x := range to {
		k := j
		for k < len(lasts) && !rcptMatches(x, lasts[k].v) {
			k++
		}
		if k < len(lasts) {
			j = k + 1
			continue
		}
		c.add("envelope.to["+strconv.Itoa(i)+"].address", "%s keeps in envelope.to the recipients that came last in the transaction's earlier rcpt requests (requests %s), in that order; this request (%d) has %s, which none of them added after the ones before it (Stalwart may also rewrite a recipient after the hook: a catch-all, a mailing list, a rewrite rule)", model, requestList(lasts), n, quoteShort(x))
	}
}

// requestList lists the numbers of the requests in l, the first ten.
func requestList(l []seenAt) string {
	var b strings.Builder
	for i, s := range l {
		if i == 10 {
			b.WriteString(", ...")
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(s.at))
	}
	return b.String()
}

// rcptMatches reports whether recipient x of rcpt_to is the recipient y
// the hook saw at rcpt: the same, or y with its sub-address removed as
// rcpt_resolve does by default (everything from the first '+' to the
// last '@'; crates/common/src/network/mta.rs).
func rcptMatches(x, y string) bool {
	if x == y {
		return true
	}
	plus, at := strings.IndexByte(y, '+'), strings.LastIndexByte(y, '@')
	return plus >= 0 && at >= 0 && x == y[:plus]+"@"+y[at+1:]
}
