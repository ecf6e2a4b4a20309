package wire

import (
	"fmt"
	"strconv"
	"strings"
)

// rcptState is what a DriftTracker knows of Stalwart's rcpt_to, the list
// envelope.to shows (crates/smtp/src/inbound/rcpt.rs and ehlo.rs). Within
// a transaction rcpt_to only grows: handle_rcpt_to pushes the new
// recipient, and after the rcpt hook it may pop that one (refused: a
// Sieve script, an unknown mailbox, relaying, greylisting, a rate limit,
// a duplicate after a rewrite) or replace it (a rewrite rule,
// RcptResolution::Rewrite for a catch-all or a sub-address,
// RcptResolution::Expand for a mailing list's members, none of them
// already in the list); the recipients before it stay, in order. Only
// reset() clears it: RSET, data, an accepted EHLO mid-transaction. An
// EHLO refused mid-transaction (by the hook, a Sieve script, a milter,
// strict SPF) sets mail_from to None and leaves rcpt_to, so the next
// MAIL FROM's mail request, and the rest of that transaction, carry the
// old recipients. Not modelled: a Sieve script at mail that sets
// envelope.to (apply_envelope_modification replaces the last recipient,
// or adds one to an empty list, before the mail hook), which no default
// configuration has.
type rcptState struct {
	kind rcptKind
	// list: rcptOpen, the recipients known to lead rcpt_to, in order;
	// rcptClosed, all of them.
	list []string
	// rcptOpen: the requests of the transaction that showed list, and
	// the mail request that opened it (0 when none was seen).
	shown  []int
	mailAt int
	// rcptClosed: the request after which rcpt_to is list (or empty
	// after a reset), and its stage.
	at    int
	stage Stage
}

// rcptKind says how much a rcptState knows.
type rcptKind int

const (
	// rcptUnknown: nothing is known of rcpt_to.
	rcptUnknown rcptKind = iota
	// rcptOpen: rcpt_to starts with list; recipients may follow it that
	// no request showed (the current one's replacements, RCPTs without a
	// hook call).
	rcptOpen
	// rcptClosed: no transaction is open and rcpt_to is list, or empty
	// after a reset no request shows (RSET); until the next MAIL FROM,
	// whose mail request is the next one this state is read at, no
	// recipient can be added.
	rcptClosed
)

// The rules the findings about envelope.to state.
const (
	ruleRcptsInTx = "keeps the recipients a transaction accepted, in order, until it ends; only the current one of a rcpt request may go after the hook (refused, or replaced by a rewrite, a catch-all, a mailing list's members), and new ones come after the others"
	ruleRcptsMail = "sends at mail the recipients an EHLO refused mid-transaction left (handle_ehlo clears the sender, not rcpt_to), or none after a reset"
)

// rcptRcpts checks prior, the recipients rcpt request n shows before its
// current one, and keeps them as the transaction's. In a transaction no
// mail request opened, an empty prior may be a new transaction (an RSET
// and a MAIL FROM the hook did not see).
func (t *DriftTracker) rcptRcpts(c *driftCheck, n int, prior []string) {
	r := &t.conn.rcpts
	t.checkRcpts(c, n, prior, r.mailAt == 0)
	if r.kind != rcptOpen {
		*r = rcptState{kind: rcptOpen, mailAt: t.conn.tx.mailAt}
	}
	if r.mailAt == 0 && len(prior) == 0 {
		r.shown = nil
	}
	r.list = append([]string(nil), prior...)
	r.shown = append(r.shown, n)
}

// checkRcpts checks to, the recipients request n (rcpt, data or ehlo)
// shows as the transaction's, against those it is known to start with.
// With lenient, an empty to is no finding (a transaction the hook did
// not see begin).
func (t *DriftTracker) checkRcpts(c *driftCheck, n int, to []string, lenient bool) {
	r := &t.conn.rcpts
	if r.kind != rcptOpen || len(r.list) == 0 || lenient && len(to) == 0 {
		return
	}
	src := "the transaction's earlier requests (" + requestNumbers(r.shown) + ")"
	t.compareRcpts(c, n, to, r.list, ruleRcptsInTx, src, false)
}

// mailRcpts checks to, the recipients mail request n shows (not none),
// against what the requests before it left in rcpt_to.
func (t *DriftTracker) mailRcpts(c *driftCheck, n int, to []string) {
	r := &t.conn.rcpts
	switch {
	case r.kind == rcptClosed && len(r.list) == 0:
		c.add("envelope.to", "%s sends envelope.to as [] at mail unless an EHLO refused mid-transaction left the recipients of the transaction before (handle_ehlo clears the sender, not rcpt_to); request %d (%s) left none and no mail request came since; this request (%d) has %d recipients", model, r.at, r.stage, n, len(to))
	case r.kind == rcptClosed:
		t.compareRcpts(c, n, to, r.list, ruleRcptsMail, fmt.Sprintf("request %d (%s)", r.at, r.stage), true)
	case r.kind == rcptOpen && r.mailAt > 0 && len(r.list) > 0:
		// A transaction a mail request opened, left without data or an
		// ehlo request: the mail hook refused it, or an EHLO was refused
		// before the hook (or without one), or an RSET cleared it.
		t.compareRcpts(c, n, to, r.list, ruleRcptsMail, "the transaction before ("+requestNumbers(r.shown)+")", false)
	}
}

// compareRcpts adds the findings of request n whose envelope.to is to
// when rcpt_to starts with want (all of it, in order), and with exact
// holds nothing else: a recipient of want missing, one out of order or
// after one want does not have, and with exact one want does not have.
// rule says what Stalwart does; src names the requests want comes from.
func (t *DriftTracker) compareRcpts(c *driftCheck, n int, to, want []string, rule, src string, exact bool) {
	pos := make(map[string]int, len(want))
	for i, x := range want {
		if _, ok := pos[x]; !ok {
			pos[x] = i
		}
	}
	present := make([]bool, len(want))
	last, added := -1, ""
	for i, x := range to {
		path := "envelope.to[" + strconv.Itoa(i) + "].address"
		p, ok := pos[x]
		switch {
		case !ok:
			if exact {
				c.add(path, "%s %s: envelope.to holds the recipients of %s and no other; this request (%d) has %s, which it did not have", model, rule, src, n, quoteShort(x))
			} else if added == "" {
				added = x
			}
			continue
		case present[p]:
			continue // a repeat: CheckRequest says so
		}
		present[p] = true
		after := ""
		switch {
		case added != "":
			after = added
		case p < last:
			after = want[last]
		}
		if after != "" {
			c.add(path, "%s %s: envelope.to starts with the recipients of %s, in that order; this request (%d) has %s after %s", model, rule, src, n, quoteShort(x), quoteShort(after))
		}
		last = max(last, p)
	}
	var missing []string
	for i, ok := range present {
		if !ok {
			missing = append(missing, want[i])
		}
	}
	if len(missing) > 0 {
		more := ""
		if len(missing) > 1 {
			more = fmt.Sprintf(" (and %d more)", len(missing)-1)
		}
		c.add("envelope.to", "%s %s: envelope.to starts with the recipients of %s, in that order; this request (%d) has no %s%s", model, rule, src, n, quoteShort(missing[0]), more)
	}
}

// requestNumbers names the requests l for a message: "request 3",
// "requests 1, 2", the first ten.
func requestNumbers(l []int) string {
	var b strings.Builder
	b.WriteString("request")
	if len(l) > 1 {
		b.WriteString("s")
	}
	for i, at := range l {
		if i == 10 {
			b.WriteString(", ...")
			break
		}
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(" " + strconv.Itoa(at))
	}
	return b.String()
}
