package wire

import (
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// reqView is what one request says, for the rules across the requests of
// a connection (DriftTracker). A field is known only when the request
// has it with the right JSON type.
type reqView struct {
	stage Stage
	// ident are client.ip, client.port, server.name, server.ip and
	// server.port, in identPaths' order, as written.
	ident      [len(identPaths)]known
	ptr, helo  known // null: set with null true
	sasl       known // the login; set with null true when sasl is absent
	tls        known // set with null true when tls is absent; else version and cipher below
	tlsVersion known
	tlsCipher  known
	queueID    known
	envelope   bool  // the request has an envelope
	from       known // envelope.from.address
	to         []string
	toKnown    bool // to holds every recipient's address
}

// known is a value read from a request: set when the request has it
// with the right type, null when that value is null (or absent, for an
// optional object).
type known struct {
	set, null bool
	v         string
}

func knownText(s string) known { return known{set: true, v: s} }

// knownNull is a value known to be null (or an optional object known to be absent).
func knownNull() known { return known{set: true, null: true} }

// identPaths are the fields one connection never changes.
var identPaths = [...]string{"context.client.ip", "context.client.port", "context.server.name", "context.server.ip", "context.server.port"}

// context checks the context object and returns the stage.
func (c *driftCheck) context(n *node) Stage {
	m := c.object(n, "context", contextModel)
	stage := Stage("")
	if s := m["stage"]; s != nil {
		stage = c.stage(s)
	}
	if cl := m["client"]; cl != nil && c.isKind(cl, "context.client", "an object", kindObject) {
		c.client(cl, stage)
	}
	c.v.sasl = knownNull()
	if s := m["sasl"]; s != nil && c.isKind(s, "context.sasl", "an object", kindObject) {
		c.v.sasl = known{}
		if stage == StageConnect {
			c.add("context.sasl", "%s sends no sasl at connect (AUTH comes later); this request has it", model)
		}
		if l := c.object(s, "context.sasl", saslModel)["login"]; l != nil && c.isKind(l, "context.sasl.login", "a string", kindString) {
			if l.Text == "" {
				c.add("context.sasl.login", "%s sends sasl only for an authenticated client, with its login name; this request has an empty login", model)
			}
			c.v.sasl = knownText(l.Text)
		}
	}
	c.v.tls = knownNull()
	if t := m["tls"]; t != nil && c.isKind(t, "context.tls", "an object", kindObject) {
		c.v.tls = known{set: true}
		c.tls(t)
	}
	if s := m["server"]; s != nil && c.isKind(s, "context.server", "an object", kindObject) {
		c.server(s)
	}
	q := m["queue"]
	if q != nil && c.isKind(q, "context.queue", "an object", kindObject) {
		if id := c.object(q, "context.queue", queueModel)["id"]; id != nil && c.isKind(id, "context.queue.id", "a string", kindString) {
			c.queueID(id.Text)
		}
	}
	switch {
	case stage == StageData && q == nil:
		c.add("context.queue", "%s sends context.queue at the data stage; this request has none", model)
	case stage != StageData && stage != "" && stage != StageAuth && q != nil:
		c.add("context.queue", "%s sends context.queue only at the data stage; this request has it at %s", model, stage)
	}
	if p := m["protocol"]; p != nil && c.isKind(p, "context.protocol", "an object", kindObject) {
		if v := c.object(p, "context.protocol", protocolModel)["version"]; v != nil && (v.Kind != kindNumber || v.Text != "1") {
			c.add("context.protocol.version", "%s sends protocol.version as the number 1; this request has %s", model, describeValue(v))
		}
	}
	return stage
}

// stage reads context.stage.
func (c *driftCheck) stage(n *node) Stage {
	const names = `one of "connect", "ehlo", "mail", "rcpt", "data"`
	if !c.isKind(n, "context.stage", names, kindString) {
		return ""
	}
	s := Stage(n.Text)
	switch {
	case s == StageAuth:
		c.add("context.stage", `%s never calls a hook at the auth stage (no code path does); this request has stage "auth"`, model)
		return s
	case s.Valid():
		return s
	case Stage(strings.ToLower(n.Text)).Valid():
		c.add("context.stage", "%s sends context.stage in lower case (%q); this request has %q", model, strings.ToLower(n.Text), n.Text)
		return Stage(strings.ToLower(n.Text))
	}
	c.add("context.stage", "%s sends context.stage as %s; this request has %s", model, names, quoteShort(n.Text))
	return ""
}

// client checks context.client at stage.
func (c *driftCheck) client(n *node, stage Stage) {
	m := c.object(n, "context.client", clientModel)
	if ip := m["ip"]; ip != nil && c.isKind(ip, "context.client.ip", "a string", kindString) {
		c.ip("context.client.ip", ip.Text, true)
		c.v.ident[0] = knownText(ip.Text)
	}
	if p := m["port"]; p != nil && c.port("context.client.port", p) {
		c.v.ident[1] = knownText(p.Text)
	}
	if p := m["ptr"]; p != nil && c.isKind(p, "context.client.ptr", "null or a string", kindNull, kindString) {
		c.v.ptr = knownNull()
		if p.Kind == kindString {
			c.v.ptr = knownText(p.Text)
			if stage == StageConnect {
				c.add("context.client.ptr", "%s sends ptr null at connect (the reverse-IP check runs at the first MAIL FROM); this request has %s", model, quoteShort(p.Text))
			} else if p.Text == "" || hasUpper(p.Text) || !strings.HasSuffix(p.Text, ".") {
				c.add("context.client.ptr", `%s sends the PTR name lower-cased with the trailing dot of a DNS name ("mail.example.net."); this request has %s`, model, quoteShort(p.Text))
			}
		}
	}
	if h := m["helo"]; h != nil && c.isKind(h, "context.client.helo", "null or a string", kindNull, kindString) {
		c.v.helo = knownNull()
		switch {
		case h.Kind == kindNull && stage == StageEhlo:
			c.add("context.client.helo", "%s sends the new HELO name at the ehlo stage; this request has null", model)
		case h.Kind == kindString && stage == StageConnect:
			c.add("context.client.helo", "%s sends helo null at connect (before HELO/EHLO); this request has %s", model, quoteShort(h.Text))
		case h.Kind == kindString && h.Text == "":
			c.add("context.client.helo", `%s sends helo null when there is no HELO name, never ""; this request has ""`, model)
		}
		if h.Kind == kindString {
			c.v.helo = knownText(h.Text)
		}
	}
	if a := m["activeConnections"]; a != nil && (a.Kind != kindNumber || a.Text != "1") {
		c.add("context.client.activeConnections", "%s sends activeConnections as the number 1, always; this request has %s", model, describeValue(a))
	}
}

// tls checks context.tls against tls_version_and_cipher
// (crates/common/src/network/stream.rs). On a TLS stream Stalwart sends
// rustls' names: "TLSv1.2" or "TLSv1.3" and the suite as rustls spells it
// (TLS13_AES_256_GCM_SHA384, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256). On a
// listener with PROXY protocol the stream is a ProxiedStream, and until a
// STARTTLS it sends what the load balancer put in its SSL TLVs
// (PP2_SUBTYPE_SSL_VERSION, PP2_SUBTYPE_SSL_CIPHER: HAProxy's OpenSSL
// names, "TLSv1.2" with "ECDHE-RSA-AES128-GCM-SHA256", "TLSv1.3" with
// "TLS_AES_256_GCM_SHA384"), "unknown" for what it left out, and
// "unknown" for both when it sent no SSL TLV, on a plain connection too.
// So a version is a rustls name or an OpenSSL one (SSL_get_version's
// spelling, or "unknown"); a cipher is a rustls suite that fits the
// version, or, with a version a balancer can report, an OpenSSL name or
// "unknown". The documentation's "1.3" is neither.
func (c *driftCheck) tls(n *node) {
	m := c.object(n, "context.tls", tlsModel)
	version, haveVersion := "", false
	if v := m["version"]; v != nil && c.isKind(v, "context.tls.version", "a string", kindString) {
		version, haveVersion = v.Text, true
		c.v.tlsVersion = knownText(v.Text)
		if !rustlsVersion(v.Text) && !balancerVersion(v.Text) {
			c.add("context.tls.version", `%s sends tls.version as rustls names it (behind a PROXY-protocol load balancer, as the balancer reports it in OpenSSL's spelling, or "unknown"): "TLSv1.2" or "TLSv1.3"; this request has %s`, model, quoteShort(v.Text))
		}
	}
	if v := m["cipher"]; v != nil && c.isKind(v, "context.tls.cipher", "a string", kindString) {
		c.v.tlsCipher = knownText(v.Text)
		if haveVersion && !cipherFits(version, v.Text) {
			c.add("context.tls.cipher", "%s sends tls.cipher as rustls names the suite (TLS13_AES_256_GCM_SHA384 with TLSv1.3, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 with TLSv1.2), or behind a PROXY-protocol load balancer as the balancer reports it (an OpenSSL name, ECDHE-RSA-AES128-GCM-SHA256, or \"unknown\", with the balancer's version: \"TLSv1.2\", \"unknown\"); this request has %s with %s", model, quoteShort(v.Text), quoteShort(version))
		}
	}
}

var (
	tls13Suite = regexp.MustCompile(`^TLS13_[A-Z0-9_]+$`)
	tls12Suite = regexp.MustCompile(`^TLS_ECDHE_(RSA|ECDSA)_WITH_[A-Z0-9_]+$`)
	// opensslVersion is SSL_get_version's spelling (OpenSSL and the
	// libraries that copy it, as HAProxy's send-proxy-v2-ssl sends it).
	opensslVersion = regexp.MustCompile(`^(SSLv[23]|TLSv1(\.[0-3])?|DTLSv1(\.[0-3])?)$`)
	// opensslCipher is an OpenSSL cipher name: "ECDHE-RSA-AES128-GCM-SHA256"
	// (TLS 1.2 and older), "TLS_AES_256_GCM_SHA384" (TLS 1.3).
	opensslCipher = regexp.MustCompile(`^([A-Z0-9]+(-[A-Z0-9]+)*|TLS_[A-Z0-9]+(_[A-Z0-9]+)*)$`)
)

// rustlsVersion reports whether v is a version rustls negotiates, as
// tls_version_and_cipher spells it.
func rustlsVersion(v string) bool { return v == "TLSv1.2" || v == "TLSv1.3" }

// balancerVersion reports whether v is a version a PROXY-protocol load
// balancer reports (OpenSSL's spelling), or the "unknown" Stalwart sends
// when it reports none.
func balancerVersion(v string) bool { return v == "unknown" || opensslVersion.MatchString(v) }

// rustlsSuite reports whether suite is a rustls suite name that fits
// version: rustls negotiates TLS13_* suites with TLS 1.3 and only ECDHE
// suites with TLS 1.2, and no other version. With a version that is
// already a finding (neither rustls' nor a balancer's) either form fits.
func rustlsSuite(version, suite string) bool {
	switch {
	case version == "TLSv1.3":
		return tls13Suite.MatchString(suite)
	case version == "TLSv1.2":
		return tls12Suite.MatchString(suite)
	case balancerVersion(version):
		return false
	}
	return tls13Suite.MatchString(suite) || tls12Suite.MatchString(suite)
}

// cipherFits reports whether suite can come with version in one tls
// object: a rustls suite name that fits it, or, when version is one a
// load balancer reports, an OpenSSL name or "unknown" (not a rustls name
// but with a version a balancer reports: TLS13_* only ever comes from
// rustls, which pairs it with TLSv1.3).
func cipherFits(version, suite string) bool {
	if rustlsSuite(version, suite) {
		return true
	}
	if !balancerVersion(version) || tls13Suite.MatchString(suite) || tls12Suite.MatchString(suite) {
		return false
	}
	return suite == "unknown" || opensslCipher.MatchString(suite)
}

// directTLS reports whether version and cipher are rustls' own, as
// Stalwart sends them for a TLS stream it terminates (after a STARTTLS
// behind a PROXY-protocol balancer among others).
func directTLS(version, cipher string) bool {
	return rustlsVersion(version) && rustlsSuite(version, cipher)
}

// otherVersion is another Stalwart's daemon name.
var otherVersion = regexp.MustCompile(`^Stalwart v[0-9]+\.[0-9]+\.[0-9]+$`)

// server checks context.server: DAEMON_NAME, the local port and address.
func (c *driftCheck) server(n *node) {
	m := c.object(n, "context.server", serverModel)
	if v := m["name"]; v != nil && c.isKind(v, "context.server.name", `the string "`+ServerName+`"`, kindString) {
		c.v.ident[2] = knownText(v.Text)
		switch {
		case v.Text == ServerName:
		case otherVersion.MatchString(v.Text):
			c.add("context.server.name", "hooksim models %s; this server says %s, and the rest of the request is checked against %s", model, quoteShort(v.Text), model)
		default:
			c.add("context.server.name", "%s sends server.name as %q (its daemon name, never the host name); this request has %s", model, ServerName, quoteShort(v.Text))
		}
	}
	if p := m["port"]; p != nil && c.port("context.server.port", p) {
		c.v.ident[4] = knownText(p.Text)
	}
	if ip := m["ip"]; ip != nil && c.isKind(ip, "context.server.ip", "a string", kindString) {
		c.ip("context.server.ip", ip.Text, false)
		c.v.ident[3] = knownText(ip.Text)
	}
}

// port checks a port number: an integer 0..65535 as serde writes a u16.
func (c *driftCheck) port(path string, n *node) bool {
	if n.Kind == kindNumber && isU16(n.Text) {
		return true
	}
	c.add(path, "%s sends %s as an integer 0..65535; this request has %s", model, path, describeValue(n))
	return false
}

// ip checks an address as Rust's IpAddr Display writes it (IPv6
// compressed as RFC 5952 says, lower case). A client address is never
// IPv4-mapped: build_session in crates/common/src/network/listen.rs
// unmaps it; the local address is kept as the socket gives it.
func (c *driftCheck) ip(path, s string, client bool) {
	a, err := netip.ParseAddr(s)
	switch {
	case err != nil || a.Zone() != "":
		c.add(path, "%s sends %s as an IP address (192.0.2.1, 2001:db8::1); this request has %s", model, path, quoteShort(s))
	case client && a.Is4In6():
		c.add(path, "%s sends an IPv4 client's address as IPv4 (it unmaps ::ffff:a.b.c.d), %q; this request has %q", model, a.Unmap().String(), s)
	case a.String() != s:
		c.add(path, "%s writes %s in canonical form (%q); this request has %q", model, path, a.String(), s)
	}
}

// hasUpper reports whether s has a letter that lower-casing changes.
func hasUpper(s string) bool {
	for _, r := range s {
		if unicode.ToLower(r) != r {
			return true
		}
	}
	return false
}

// Queue ids are Stalwart's snowflake ids (crates/utils/src/snowflake.rs):
// the milliseconds since its epoch above 21 bits of sequence and node.
const (
	snowflakeEpochMS = 1632280000 * 1000
	snowflakeShift   = 21
)

// releaseV01618 is when v0.16.18 was tagged (2026-08-17): a queue id
// from before then was not made by it with a right clock.
var releaseV01618 = time.Date(2026, 8, 17, 0, 0, 0, 0, time.UTC)

// queueID checks context.queue.id: format!("{:x}", id) of a snowflake id.
func (c *driftCheck) queueID(id string) {
	c.v.queueID = knownText(id)
	n, err := strconv.ParseUint(id, 16, 64)
	if err != nil || id != strconv.FormatUint(n, 16) {
		c.add("context.queue.id", "%s sends queue.id in lower-case hex without leading zeros (15 digits for today's dates); this request has %s", model, quoteShort(id))
		return
	}
	ms := int64(n >> snowflakeShift)
	if at := time.UnixMilli(snowflakeEpochMS + ms).UTC(); at.Before(releaseV01618) {
		c.add("context.queue.id", "%s sends queue.id as a snowflake id whose high bits count the milliseconds since 2021-09-22 (15 hex digits today); %q dates from %s, before v0.16.18 was released", model, id, at.Format("2006-01-02 15:04:05 UTC"))
	}
}
