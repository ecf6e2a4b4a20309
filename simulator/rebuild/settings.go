package rebuild

import (
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/wire"
)

// tlsVersions are the versions a script takes (sessions/config.go).
var tlsVersions = []string{"TLSv1.2", "TLSv1.3"}

// settle sets the client and the server from the requests' context: the
// first request's addresses, ports and server name, the TLS of the first
// request that has one (implicit when the first request already has it
// and is a connect, or on port 465), and the PTR name.
func (b *builder) settle() {
	first := b.reqs[0]
	c, sv := &b.sess.Client, &b.sess.Server
	c.IP = b.canonIP(first.clientIP, "context.client.ip")
	c.Port = first.clientPort
	sv.IP = b.canonIP(first.serverIP, "context.server.ip")
	sv.Port = first.serverPort
	sv.Hostname = sessions.DefaultServerHostname
	switch name := first.serverName; {
	case name == sessions.DefaultServerName:
	case strings.TrimSpace(name) == "" || hasControl(name):
		b.note("server-name", true, "The server name %q cannot be written in a script: the replay says %s.", name, sessions.DefaultServerName)
	default:
		sv.Name = name
	}
	for _, r := range b.reqs[1:] {
		if r.clientIP != first.clientIP || r.clientPort != first.clientPort || r.serverIP != first.serverIP ||
			r.serverPort != first.serverPort || r.serverName != first.serverName {
			b.note("context-changed", true, "Request %d has another client or server address, port or name than request 1: a script has one of each, request 1's.", r.n)
		}
	}

	var t *tlsInfo
	for _, r := range b.reqs {
		if r.tls != nil {
			t = r.tls
			break
		}
	}
	implicit := first.tls != nil && (first.stage == wire.StageConnect || sv.Port == sessions.ImplicitTLSPort)
	if sv.Port == sessions.ImplicitTLSPort && first.tls == nil {
		b.note("465-plain", true, "Request 1 has no TLS on port %d, which the simulator always takes for implicit TLS: the replay sends TLS from the start.", sessions.ImplicitTLSPort)
		implicit = true
	}
	if t != nil || implicit {
		st := &sessions.TLS{Version: sessions.DefaultTLSVersion, Cipher: sessions.DefaultTLSCipher, Implicit: implicit}
		if t != nil {
			if slices.Contains(tlsVersions, t.version) {
				st.Version = t.version
			} else {
				b.note("tls-version", true, "The TLS version %q is not one a script takes (%s): the replay says %s.", t.version, strings.Join(tlsVersions, ", "), st.Version)
			}
			if t.cipher != "" && !hasControl(t.cipher) && !strings.ContainsRune(t.cipher, ' ') {
				st.Cipher = t.cipher
			} else {
				b.note("tls-cipher", true, "The TLS cipher %q cannot be written in a script: the replay says %s.", t.cipher, st.Cipher)
			}
		}
		c.TLS = st
		for _, r := range b.reqs {
			if r.tls != nil && t != nil && *r.tls != *t {
				b.note("tls-changed", true, "Request %d has another TLS version or cipher than request %d: a script has one TLS, the first.", r.n, b.firstTLS())
			}
		}
	}

	for _, r := range b.reqs {
		if r.ptr == nil {
			continue
		}
		if c.PTR == "" && !b.noted["ptr-bad"] {
			name := strings.TrimSuffix(*r.ptr, ".")
			if !scriptHost(name) {
				b.note("ptr-bad", true, "The PTR name %q cannot be written in a script: the replay sends none.", *r.ptr)
				continue
			}
			c.PTR = name
			if *r.ptr != strings.ToLower(name)+"." {
				b.note("ptr-form", true, "The PTR name %q is not lower case with a trailing dot, as the simulator always sends it.", *r.ptr)
			}
		}
		if c.PTR != "" && *r.ptr != strings.ToLower(c.PTR)+"." && strings.TrimSuffix(*r.ptr, ".") != c.PTR {
			b.note("ptr-changed", true, "Request %d has another PTR name than the first that has one: a script has one, the first.", r.n)
		}
	}
	// The PTR name is sent only when the reverse-IP check runs, which
	// Stalwart does by default on port 25 alone.
	if c.PTR != "" && sv.Port != 25 {
		sv.ReverseIPVerify = "relaxed"
	}
}

// firstTLS is the number of the first request with TLS.
func (b *builder) firstTLS() int {
	for _, r := range b.reqs {
		if r.tls != nil {
			return r.n
		}
	}
	return 0
}

// canonIP is an address as a script writes it (netip's form); a note
// when that is not how Stalwart wrote it.
func (b *builder) canonIP(s, field string) string {
	a, err := netip.ParseAddr(s)
	if err != nil { // decode checked it
		return s
	}
	if a.String() != s {
		b.note("ip-"+field, true, "%s %q is written %q in a script, and so in the replayed requests.", field, s, a.String())
	}
	return a.String()
}

// finishSettings sets the server settings the steps need to play as
// Stalwart answered: local domains, AUTH and EHLO rules, limits.
func (b *builder) finishSettings() {
	sv := &b.sess.Server
	b.localDomains()
	if b.nonFqdn && sv.Port == 25 {
		sv.Ehlo.RejectNonFqdn = new(false)
	}
	if b.mailNoHelo > 0 {
		if sv.Port == 25 {
			b.note("mail-no-helo", true, "Step %d is a MAIL FROM without HELO/EHLO before it on port 25, which the simulator refuses (Stalwart needs the name for SPF there).", b.mailNoHelo)
		} else {
			sv.Ehlo.Require = new(false)
		}
	}
	if b.mailNoAuth && sv.Port != 25 {
		sv.Auth.Require = new(false)
	}
	if b.needPlain {
		sv.Auth.SaslMechanisms = []string{"plain"}
	}
	b.mustMatchSender()
	if b.maxTo > simulator.DefaultMaxRecipients {
		sv.MaxRecipients = b.maxTo
	}
	if b.messages > simulator.DefaultMaxMessages {
		sv.MaxMessages = b.messages
	}
	if b.maxWire >= simulator.DefaultMaxMessageSize {
		sv.MaxMessageSize = b.maxWire + 1
	}
	if b.maxReceived > simulator.DefaultMaxReceivedHeaders {
		sv.MaxReceivedHeaders = b.maxReceived
	}
}

// localDomains picks the server's local domains so that every
// unauthenticated recipient Stalwart kept is local, and one it dropped
// after the rcpt request is not (unless the hook refused it, or another
// recipient of its domain was kept): Stalwart checks relaying after the
// hook, so the simulator then refuses it as relaying, as Stalwart may
// have. Authenticated recipients are never checked.
func (b *builder) localDomains() {
	var must, mustNot, any []string
	add := func(list *[]string, d string) {
		if !slices.Contains(*list, d) {
			*list = append(*list, d)
		}
	}
	for _, r := range b.rcpts {
		d := domainOf(r.addr)
		switch {
		case r.auth, !r.kept && refused(r.action):
			add(&any, d)
		case r.kept:
			add(&must, d)
		default:
			add(&mustNot, d)
		}
	}
	var local []string
	for _, d := range must {
		if !scriptDomain(d) {
			b.note("domain-"+d, true, "The domain %q cannot be a local domain in a script: the simulator refuses its recipients as relaying.", d)
			continue
		}
		add(&local, strings.ToLower(d))
	}
	for _, d := range any {
		if scriptDomain(d) && !slices.Contains(mustNot, d) {
			add(&local, strings.ToLower(d))
		}
	}
	relayed := 0
	var left []string
	for _, r := range b.rcpts {
		d := domainOf(r.addr)
		if r.auth || r.kept || refused(r.action) {
			continue
		}
		if slices.Contains(must, d) {
			if r.action == wire.ActionAccept {
				b.note("kept-"+r.addr, true, "Recipient %s (request %d) was dropped after the hook accepted it, though other recipients of %s were kept: the replay keeps it.", r.addr, r.n, d)
			}
			continue
		}
		relayed++
		add(&left, r.addr)
	}
	if len(left) > 0 {
		b.note("relay", false, "Recipients dropped after their rcpt request with no refusal from the hook known (%s) have their domains left out of the local domains: unauthenticated, the simulator refuses them as relaying, as Stalwart may have; if the hook refused them, it will again.",
			strings.Join(left, ", "))
	}
	if relayed >= simulator.DefaultMaxRcptFailures {
		b.sess.Server.Rcpt.MaxFailures = relayed + 1
	}
	if len(local) == 0 && len(b.rcpts) > 0 {
		// No local domain would make sessions.Parse take every rcpt
		// step's: name one no recipient has.
		for _, d := range []string{"localhost", "local.invalid"} {
			if !slices.Contains(mustNot, d) {
				local = []string{d}
				break
			}
		}
	}
	b.sess.Server.LocalDomains = local
}

// domainOf is what the simulator's relay check takes for an address's
// domain: everything after the first @ (simulator isLocal).
func domainOf(addr string) string {
	_, d, _ := strings.Cut(addr, "@")
	return d
}

// mustMatchSender lets every sender Stalwart accepted from an
// authenticated client pass Stalwart's mustMatchSender check in the
// simulator (the login, or an address whose local part is the login):
// the auth step lists the others as the account's addresses, or, when
// one cannot be listed (the null sender), the check is turned off.
func (b *builder) mustMatchSender() {
	for _, at := range slices.Sorted(maps.Keys(b.senders)) {
		senders := b.senders[at]
		login := strings.ToLower(b.steps[at].Login)
		var extra []string
		listable := true
		for _, s := range senders {
			local, _, ok := strings.Cut(s, "@")
			if s == login || (ok && local == login) {
				continue
			}
			extra = append(extra, s)
		}
		if len(extra) == 0 {
			continue
		}
		var addrs []string
		for _, s := range senders {
			if s == login {
				continue
			}
			if strings.ToLower(s) != s || strings.Count(s, "@") != 1 || strings.HasPrefix(s, "@") || strings.HasSuffix(s, "@") ||
				hasControl(s) || strings.ContainsAny(s, " <>") {
				listable = false
				break
			}
			addrs = append(addrs, s)
		}
		if listable {
			b.steps[at].Addresses = addrs
			b.note("addresses-"+login, false, "The account %q sent from %s: the auth step lists the senders Stalwart accepted as its addresses.", b.steps[at].Login, strings.Join(extra, ", "))
			continue
		}
		f := false
		b.sess.Server.Auth.MustMatchSender = &f
		b.note("must-match", false, "The account %q sent from an address a script cannot list as its own (the null sender, say): the server's mustMatchSender is off.", b.steps[at].Login)
	}
}

// generalNotes adds the notes every rebuild of such a capture has.
func (b *builder) generalNotes() {
	var lead []string
	if b.helos {
		lead = append(lead, "Stalwart's requests do not say whether the client said HELO or EHLO: the script says EHLO.")
	}
	for _, l := range b.logins {
		lead = append(lead, "The password of "+quote(l)+" is not in the requests: the script's AUTH uses the placeholder "+quote(PlaceholderPassword)+", which the simulator accepts.")
	}
	var missing []string
	for _, st := range []wire.Stage{wire.StageConnect, wire.StageEhlo, wire.StageMail, wire.StageRcpt, wire.StageData} {
		if b.without[st] && !b.seen[st] {
			missing = append(missing, string(st))
		}
	}
	if len(missing) > 0 {
		lead = append(lead, "The capture has no "+joinOr(missing)+" requests (the hook is not configured for "+pluralWord(len(missing), "that stage", "those stages")+", or they came before an earlier transaction of the same connection, which hooksim proxy records as a run of its own): those steps come from the other requests' context and envelope.")
	}
	b.notes = append(lead, b.notes...)
}

// quote is a Go-quoted string, for names in notes.
func quote(s string) string { return strconv.Quote(s) }

// joinOr joins words as "a, b or c".
func joinOr(words []string) string {
	if len(words) == 1 {
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// pluralWord picks the singular or plural phrase for n.
func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
