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
			reqAt(StageEhlo, envAt("b@x.example"), withPTR(sp("mail.example.net."))), reqAt(StageMail), reqAt(StageRcpt, withTo("c@x.example")),
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
		{"a recipient no rcpt added", []string{reqAt(StageRcpt, withTo("a@x.example")), reqAt(StageRcpt, withTo("b@x.example", "c@x.example"))}, 2, "envelope.to[0].address",
			`came last in the transaction's earlier rcpt requests (requests 1), in that order; this request (2) has "b@x.example"`},
		{"recipients out of order", []string{reqAt(StageRcpt, withTo("a@x.example")), reqAt(StageRcpt, withTo("a@x.example", "b@x.example")), reqAt(StageData, withTo("b@x.example", "a@x.example"))},
			3, "envelope.to[1].address", `(requests 1, 2), in that order; this request (3) has "a@x.example"`},
		{"rcpt after data without mail", []string{reqAt(StageMail), reqAt(StageRcpt), reqAt(StageData), reqAt(StageRcpt, withTo("c@x.example"))}, 4, "context.stage",
			"at mail at the start of every transaction (request 1 shows it is called at mail) and request 3 (data) ended the last transaction; this rcpt request (4) follows no mail request"},
		{"data after ehlo without mail", []string{reqAt(StageMail), reqAt(StageEhlo, withPTR(sp("mail.example.net."))), reqAt(StageData)}, 3, "context.stage", "request 2 (ehlo) ended the last transaction"},
		{"sender changes in a transaction", []string{reqAt(StageMail), reqAt(StageRcpt, withFrom("bob@example.net"))}, 2, "envelope.from.address",
			`keeps a transaction's sender: "alice@example.net" at request 1 (mail); this request (2) has "bob@example.net"`},
		{"ehlo's envelope", []string{reqAt(StageRcpt, withTo("a@x.example")), reqAt(StageEhlo, withPTR(sp("mail.example.net.")), func(r *Request) {
			r.Envelope = &Envelope{From: Address{"alice@example.net"}, To: []Address{{"z@x.example"}}}
		})}, 2, "envelope.to[0].address", `has "z@x.example"`},
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
