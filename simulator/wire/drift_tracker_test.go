package wire

import (
	"strings"
	"testing"
)

// req is a request of the base connection (driftBase) at stage with
// edits applied in order.
func reqAt(stage Stage, edits ...func(*Request)) string {
	return driftBody(stage, func(r *Request) {
		for _, e := range edits {
			e(r)
		}
	})
}

func withTo(addrs ...string) func(*Request) {
	return func(r *Request) {
		r.Envelope.To = []Address{}
		for _, a := range addrs {
			r.Envelope.To = append(r.Envelope.To, Address{a})
		}
	}
}

func withFrom(a string) func(*Request) { return func(r *Request) { r.Envelope.From = Address{a} } }

func withQueueID(id string) func(*Request) { return func(r *Request) { r.Context.Queue.ID = id } }

func withTLS(version, cipher string) func(*Request) {
	return func(r *Request) { r.Context.TLS = &TLSInfo{version, cipher} }
}

func withLogin(l string) func(*Request) { return func(r *Request) { r.Context.SASL = &SASL{l} } }

func withPTR(p *string) func(*Request) { return func(r *Request) { r.Context.Client.PTR = p } }

func withHELO(h *string) func(*Request) { return func(r *Request) { r.Context.Client.HELO = h } }

func withPort(p uint16) func(*Request) { return func(r *Request) { r.Context.Client.Port = p } }

// TestDriftTrackerPasses: connections Stalwart v0.16.18 can make, seen
// with all stages or some, give no finding.
func TestDriftTrackerPasses(t *testing.T) {
	t.Parallel()
	tls13 := withTLS("TLSv1.3", "TLS13_AES_256_GCM_SHA384")
	envAt := func(addrs ...string) func(*Request) {
		return func(r *Request) {
			r.Envelope = &Envelope{From: Address{"alice@example.net"}}
			withTo(addrs...)(r)
		}
	}
	for _, tc := range []struct {
		name string
		reqs []string
	}{
		{"every stage, two transactions", []string{
			reqAt(StageConnect), reqAt(StageEhlo), reqAt(StageMail), reqAt(StageRcpt, withTo("a@x.example")),
			reqAt(StageRcpt, withTo("a@x.example", "b@x.example")), reqAt(StageData, withTo("a@x.example", "b@x.example")),
			reqAt(StageEhlo, withHELO(sp("new.example.net")), withPTR(sp("mail.example.net."))),
			reqAt(StageMail, withHELO(sp("new.example.net"))), reqAt(StageRcpt, withTo("c@x.example"), withHELO(sp("new.example.net"))),
			reqAt(StageData, withTo("c@x.example"), withQueueID("4c0e37000000201"), withHELO(sp("new.example.net"))),
		}},
		{"data only, one sender", []string{reqAt(StageData), reqAt(StageData, withQueueID("4c0e37000000201")), reqAt(StageData, withQueueID("4c0e37000000401"))}},
		{"a refused recipient drops out", []string{
			reqAt(StageRcpt, withTo("a@x.example")), reqAt(StageRcpt, withTo("a@x.example", "nobody@x.example")),
			reqAt(StageRcpt, withTo("a@x.example", "b@x.example")), reqAt(StageData, withTo("a@x.example", "b@x.example")),
		}},
		{"every recipient refused after the first", []string{
			reqAt(StageRcpt, withTo("a@x.example")), reqAt(StageRcpt, withTo("a@x.example", "b@x.example")), reqAt(StageData, withTo("a@x.example")),
		}},
		{"a sub-address removed after the hook", []string{
			reqAt(StageRcpt, withTo("bill+news@example.org")), reqAt(StageRcpt, withTo("bill@example.org", "ann@example.org")),
			reqAt(StageData, withTo("bill@example.org", "ann@example.org")),
		}},
		{"an unseen RSET and MAIL: rcpt and data without mail", []string{
			reqAt(StageRcpt, withTo("a@x.example")), reqAt(StageRcpt, withTo("b@x.example")), reqAt(StageData, withTo("b@x.example")),
			reqAt(StageRcpt, withTo("c@x.example")), reqAt(StageData, withTo("c@x.example"), withQueueID("4c0e37000000201")),
		}},
		{"STARTTLS then AUTH", []string{
			reqAt(StageConnect), reqAt(StageEhlo), reqAt(StageEhlo, tls13, withHELO(sp("other.example.net"))),
			reqAt(StageMail, tls13, withLogin("john"), withHELO(sp("other.example.net"))),
			reqAt(StageData, tls13, withLogin("john"), withHELO(sp("other.example.net"))),
		}},
		{"EHLO in a transaction", []string{
			reqAt(StageMail), reqAt(StageRcpt, withTo("a@x.example")), reqAt(StageRcpt, withTo("a@x.example", "b@x.example")),
			reqAt(StageEhlo, envAt("a@x.example"), withPTR(sp("mail.example.net."))), reqAt(StageMail), reqAt(StageRcpt, withTo("c@x.example")),
		}},
		// rcpt.rs replaces the current recipient after the hook: a
		// rewrite rule, RcptResolution::Rewrite (a catch-all), Expand (a
		// mailing list's members, none already there).
		{"recipients replaced after the rcpt hook", []string{
			reqAt(StageMail), reqAt(StageRcpt, withTo("a@x.example")), reqAt(StageRcpt, withTo("catchall@x.example", "list@x.example")),
			reqAt(StageRcpt, withTo("catchall@x.example", "m1@y.example", "m2@y.example", "b@x.example")),
			reqAt(StageData, withTo("catchall@x.example", "m1@y.example", "m2@y.example", "b2@x.example", "b3@x.example")),
		}},
		// An EHLO refused mid-transaction clears the sender, not rcpt_to
		// (ehlo.rs): the next transaction starts with those recipients,
		// whether the hook saw the EHLO or not, and whether the mail
		// hook refuses a MAIL FROM or not (it keeps them too).
		{"recipients left by an EHLO the hook refused", []string{
			reqAt(StageConnect), reqAt(StageEhlo), reqAt(StageMail), reqAt(StageRcpt, withTo("a@x.example")),
			reqAt(StageEhlo, envAt("a@x.example"), withPTR(sp("mail.example.net.")), withHELO(sp("refused.example.net"))),
			reqAt(StageMail, withFrom("carol@example.net"), withTo("a@x.example")),
			reqAt(StageMail, withFrom("dave@example.net"), withTo("a@x.example")),
			reqAt(StageData, withFrom("dave@example.net"), withTo("a@x.example")),
		}},
		{"recipients left by an EHLO refused before the hook", []string{
			reqAt(StageConnect), reqAt(StageMail), reqAt(StageRcpt, withTo("a@x.example")), reqAt(StageRcpt, withTo("a@x.example", "list@x.example")),
			reqAt(StageMail, withFrom("carol@example.net"), withTo("a@x.example", "m1@x.example", "m2@x.example")),
			reqAt(StageRcpt, withFrom("carol@example.net"), withTo("a@x.example", "m1@x.example", "m2@x.example", "b@x.example")),
		}},
		{"recipients left by an EHLO, then an RSET", []string{
			reqAt(StageMail), reqAt(StageRcpt, withTo("a@x.example")),
			reqAt(StageEhlo, envAt("a@x.example"), withPTR(sp("mail.example.net."))),
			reqAt(StageMail, withTo()), reqAt(StageMail, withTo()),
		}},
		{"recipients left, hooks only at mail", []string{
			reqAt(StageMail), reqAt(StageMail, withFrom("carol@example.net"), withTo("a@x.example")),
		}},
		{"STARTTLS behind a PROXY-protocol balancer", []string{
			reqAt(StageConnect, withTLS("unknown", "unknown")), reqAt(StageEhlo, withTLS("unknown", "unknown")),
			reqAt(StageEhlo, withHELO(sp("other.example.net")), withTLS("TLSv1.3", "TLS13_AES_128_GCM_SHA256")),
			reqAt(StageMail, withHELO(sp("other.example.net")), withTLS("TLSv1.3", "TLS13_AES_128_GCM_SHA256")),
		}},
		{"a new connection", []string{
			reqAt(StageConnect), reqAt(StageEhlo), reqAt(StageData, withLogin("john"), withTLS("TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")),
			reqAt(StageConnect, withPort(40000)), reqAt(StageEhlo, withPort(40000)), reqAt(StageRcpt, withPort(40000), withPTR(sp("other.example."))),
		}},
		{"ptr found at MAIL, after an EHLO", []string{reqAt(StageConnect), reqAt(StageEhlo), reqAt(StageMail), reqAt(StageEhlo, withPTR(sp("mail.example.net.")))}},
	} {
		var tr DriftTracker
		for i, body := range tc.reqs {
			if _, lints := tr.Check([]byte(body)); len(lints) > 0 {
				t.Errorf("%s: request %d: %v\n%s", tc.name, i+1, lints, body)
			}
		}
	}
}

// TestDriftTrackerFindings: each rule across requests, broken once: one
// finding at the request that breaks it, at its path, none elsewhere.
func TestDriftTrackerFindings(t *testing.T) {
	t.Parallel()
	tls12 := withTLS("TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
	for _, tc := range []struct {
		name        string
		reqs        []string
		at          int // 1-based
		path, words string
	}{
		{"client port", []string{reqAt(StageConnect), reqAt(StageEhlo, withPort(1))}, 2, "context.client.port",
			"the same context.client.port in every request of a connection: 51234 in request 1; this request (2) has 1"},
		{"client ip", []string{reqAt(StageMail), reqAt(StageRcpt, func(r *Request) { r.Context.Client.IP = "203.0.113.8" })}, 2, "context.client.ip",
			`"203.0.113.7" in request 1; this request (2) has "203.0.113.8"`},
		{"server ip", []string{reqAt(StageMail), reqAt(StageRcpt, func(r *Request) { r.Context.Server.IP = "192.0.2.11" })}, 2, "context.server.ip", "request 1"},
		{"server port", []string{reqAt(StageMail), reqAt(StageMail, func(r *Request) { r.Context.Server.Port = 587 })}, 2, "context.server.port", "25 in request 1; this request (2) has 587"},
		{"ptr changes", []string{reqAt(StageConnect), reqAt(StageMail), reqAt(StageRcpt, withPTR(sp("other.example.")))}, 3, "context.client.ptr",
			`looks the PTR name up once per connection and keeps it: "mail.example.net." since request 2; this request (3) has "other.example."`},
		{"ptr goes", []string{reqAt(StageMail), reqAt(StageRcpt, withPTR(nil))}, 2, "context.client.ptr", "this request (2) has null"},
		{"helo goes", []string{reqAt(StageEhlo), reqAt(StageMail, withHELO(nil))}, 2, "context.client.helo", `keeps the HELO name for the rest of the connection (request 1 has "mail.example.net"); this request (2) has null`},
		{"tls goes", []string{reqAt(StageMail, tls12), reqAt(StageRcpt)}, 2, "context.tls", "keeps TLS for the rest of a connection once it started (request 1 has tls); this request (2) has none"},
		{"tls cipher changes", []string{reqAt(StageMail, tls12), reqAt(StageRcpt, withTLS("TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"))}, 2, "context.tls.cipher", "TLS cipher"},
		{"sasl goes", []string{reqAt(StageMail, withLogin("john")), reqAt(StageRcpt)}, 2, "context.sasl", `once AUTH succeeded (request 1 has "john"); this request (2) has no sasl`},
		{"login changes", []string{reqAt(StageMail, withLogin("john")), reqAt(StageRcpt, withLogin("mary"))}, 2, "context.sasl.login", `(a second AUTH gets 503): "john" in request 1; this request (2) has "mary"`},
		{"queue id again", []string{reqAt(StageData), reqAt(StageData)}, 2, "context.queue.id", `gives every message its own queue id; request 1 of this connection has "4c0e37000000001" too`},
		{"an accepted recipient gone", []string{reqAt(StageRcpt, withTo("a@x.example")), reqAt(StageRcpt, withTo("a@x.example", "b@x.example")), reqAt(StageRcpt, withTo("c@x.example", "d@x.example"))},
			3, "envelope.to", `of the transaction's earlier requests (requests 1, 2), in that order; this request (3) has no "a@x.example"`},
		{"accepted recipients gone at data", []string{reqAt(StageMail), reqAt(StageRcpt, withTo("a@x.example")), reqAt(StageRcpt, withTo("a@x.example", "b@x.example")),
			reqAt(StageRcpt, withTo("a@x.example", "b@x.example", "c@x.example")), reqAt(StageData, withTo("c@x.example"))},
			5, "envelope.to", `(requests 2, 3, 4), in that order; this request (5) has no "a@x.example" (and 1 more)`},
		{"an accepted recipient after a new one", []string{reqAt(StageMail), reqAt(StageRcpt, withTo("a@x.example")), reqAt(StageRcpt, withTo("a@x.example", "b@x.example")),
			reqAt(StageRcpt, withTo("m@x.example", "a@x.example", "c@x.example"))},
			4, "envelope.to[1].address", `this request (4) has "a@x.example" after "m@x.example"`},
		{"recipients out of order", []string{reqAt(StageRcpt, withTo("a@x.example")), reqAt(StageRcpt, withTo("a@x.example", "b@x.example")), reqAt(StageData, withTo("b@x.example", "a@x.example"))},
			3, "envelope.to[1].address", `(requests 1, 2), in that order; this request (3) has "a@x.example"`},
		{"rcpt after data without mail", []string{reqAt(StageMail), reqAt(StageRcpt), reqAt(StageData), reqAt(StageRcpt, withTo("c@x.example"))}, 4, "context.stage",
			"at mail at the start of every transaction (request 1 shows it is called at mail) and request 3 (data) ended the last transaction; this rcpt request (4) follows no mail request"},
		{"data after ehlo without mail", []string{reqAt(StageMail), reqAt(StageEhlo, withPTR(sp("mail.example.net."))), reqAt(StageData)}, 3, "context.stage", "request 2 (ehlo) ended the last transaction"},
		{"ehlo's envelope", []string{reqAt(StageRcpt, withTo("a@x.example")), reqAt(StageRcpt, withTo("a@x.example", "b@x.example")), reqAt(StageEhlo, withPTR(sp("mail.example.net.")), func(r *Request) {
			r.Envelope = &Envelope{From: Address{"alice@example.net"}, To: []Address{{"z@x.example"}}}
		})}, 3, "envelope.to", `has no "a@x.example"`},
		{"ehlo's envelope without an earlier recipient", []string{reqAt(StageMail), reqAt(StageRcpt, withTo("a@x.example")), reqAt(StageRcpt, withTo("a@x.example", "b@x.example")),
			reqAt(StageEhlo, withPTR(sp("mail.example.net.")), func(r *Request) {
				r.Envelope = &Envelope{From: Address{"alice@example.net"}, To: []Address{{"b@x.example"}}}
			})}, 4, "envelope.to", `has no "a@x.example"`},
		{"recipients at mail after connect", []string{reqAt(StageConnect), reqAt(StageMail, withTo("a@x.example"))}, 2, "envelope.to",
			"as [] at mail unless an EHLO refused mid-transaction left the recipients of the transaction before (handle_ehlo clears the sender, not rcpt_to); request 1 (connect) left none and no mail request came since; this request (2) has 1 recipients"},
		{"recipients at mail after data", []string{reqAt(StageMail), reqAt(StageRcpt), reqAt(StageData), reqAt(StageMail, withTo("bill@example.org"))}, 4, "envelope.to",
			"request 3 (data) left none"},
		{"recipients at mail an ehlo did not show", []string{reqAt(StageMail), reqAt(StageRcpt, withTo("a@x.example")), reqAt(StageEhlo, withPTR(sp("mail.example.net.")), func(r *Request) {
			r.Envelope = &Envelope{From: Address{"alice@example.net"}, To: []Address{{"a@x.example"}}}
		}), reqAt(StageMail, withTo("a@x.example", "b@x.example"))}, 4, "envelope.to[1].address",
			`holds the recipients of request 3 (ehlo) and no other; this request (4) has "b@x.example", which it did not have`},
		{"recipients at mail without one of the transaction before", []string{reqAt(StageMail), reqAt(StageRcpt, withTo("a@x.example")), reqAt(StageRcpt, withTo("a@x.example", "b@x.example")),
			reqAt(StageMail, withFrom("carol@example.net"), withTo("b@x.example"))}, 4, "envelope.to",
			`sends at mail the recipients an EHLO refused mid-transaction left (handle_ehlo clears the sender, not rcpt_to), or none after a reset: envelope.to starts with the recipients of the transaction before (requests 2, 3), in that order; this request (4) has no "a@x.example"`},
		{"tls back to a balancer's", []string{reqAt(StageEhlo, withTLS("TLSv1.3", "TLS13_AES_128_GCM_SHA256")), reqAt(StageMail, withTLS("TLSv1.3", "TLS_AES_128_GCM_SHA256"))}, 2, "context.tls.cipher",
			`keeps a connection's TLS cipher: "TLS13_AES_128_GCM_SHA256" in request 1; this request (2) has "TLS_AES_128_GCM_SHA256"`},
		{"tls changes after STARTTLS behind a balancer", []string{reqAt(StageConnect, withTLS("unknown", "unknown")), reqAt(StageEhlo, withTLS("TLSv1.3", "TLS13_AES_128_GCM_SHA256")),
			reqAt(StageMail, withTLS("TLSv1.3", "TLS13_AES_256_GCM_SHA384"))}, 3, "context.tls.cipher",
			`keeps a connection's TLS cipher: "TLS13_AES_128_GCM_SHA256" in request 2; this request (3) has "TLS13_AES_256_GCM_SHA384"`},
	} {
		var tr DriftTracker
		for i, body := range tc.reqs {
			_, lints := tr.Check([]byte(body))
			if i+1 != tc.at {
				if len(lints) > 0 {
					t.Errorf("%s: request %d: %v", tc.name, i+1, lints)
				}
				continue
			}
			if len(lints) != 1 || lints[0].Path != tc.path || lints[0].Code != LintDrift || !strings.Contains(lints[0].Message, tc.words) {
				t.Errorf("%s: request %d: want one finding at %s with %q, got %v", tc.name, i+1, tc.path, tc.words, lints)
			}
		}
	}
}

// TestDriftTrackerTLSVersion: a new TLS version is a finding, and so
// is the new cipher it comes with.
func TestDriftTrackerTLSVersion(t *testing.T) {
	t.Parallel()
	var tr DriftTracker
	tr.Check([]byte(reqAt(StageMail, withTLS("TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"))))
	_, lints := tr.Check([]byte(reqAt(StageRcpt, withTLS("TLSv1.3", "TLS13_AES_128_GCM_SHA256"))))
	v, c := findingAt(lints, "context.tls.version"), findingAt(lints, "context.tls.cipher")
	if len(lints) != 2 || len(v) != 1 || len(c) != 1 ||
		!strings.Contains(v[0].Message, `keeps a connection's TLS version: "TLSv1.2" in request 1; this request (2) has "TLSv1.3"`) {
		t.Errorf("findings %v", lints)
	}
}

// TestDriftTrackerKeepsCheckRequest: the tracker reports what
// CheckRequest finds in a request as well, and its stage.
func TestDriftTrackerKeepsCheckRequest(t *testing.T) {
	t.Parallel()
	var tr DriftTracker
	body := strings.Replace(reqAt(StageData), `"data"`, `"DATA"`, 1)
	stage, lints := tr.Check([]byte(body))
	_, want := CheckRequest([]byte(body))
	if stage != StageData || len(lints) != 1 || lints[0] != want[0] {
		t.Errorf("stage %q, findings %v, want %v", stage, lints, want)
	}
	if _, lints := tr.Check([]byte("not json")); len(lints) != 1 || lints[0].Path != "" {
		t.Errorf("findings %v", lints)
	}
}
