package wire

import (
	"strings"
	"testing"
)

// breakerRawMessage is the data stage's message field as run_mta_hook
// (crates/smtp/src/inbound/hooks/message.rs) builds it from raw, the
// message as received: headers are the ones given (what mail-parser's
// parse_headers kept, name before the colon, value with its line end),
// contents the bytes after the header block, size len(raw).
func breakerRawMessage(raw string, headers []Header, contents string) *Message {
	return &Message{Headers: headers, Contents: []byte(contents), Size: len(raw)}
}

// Messages Stalwart v0.16.18 accepts and passes to the data stage with
// a message.size larger than what message.headers and message.contents
// show: mail-parser's parse_headers (mail-parser 0.11,
// src/parsers/header.rs) drops a header line without a colon
// (parse_header_name returns None at its '\n') and skips white space
// before the first header name; raw_message().len() counts those bytes
// all the same. queue_message
// only refuses a message without any known header (data.rs: the
// `!h.name.is_other()` filter), so these reach the hook. The drift check
// flags them (drift_message.go even says "only header lines without a
// colon ... could explain that"): a finding on a request a real
// Stalwart sends.
func TestBreakerDriftSizeOfMessagesStalwartAccepts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		raw      string
		headers  []Header
		contents string
	}{
		{"a header line without a colon",
			"From: alice@example.net\r\nSubject: Hello\r\nthis line has no colon\r\nTo: bill@example.org\r\n\r\nHi.",
			[]Header{{"From", " alice@example.net\r\n"}, {"Subject", " Hello\r\n"}, {"To", " bill@example.org\r\n"}}, "Hi."},
		{"the last header line without a colon",
			"From: alice@example.net\r\nSubject: Hello\r\nno colon here\r\n\r\nHi.",
			[]Header{{"From", " alice@example.net\r\n"}, {"Subject", " Hello\r\n"}}, "Hi."},
		{"white space before the first header",
			"  From: alice@example.net\r\nSubject: Hello\r\n\r\nHi.",
			[]Header{{"From", " alice@example.net\r\n"}, {"Subject", " Hello\r\n"}}, "Hi."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			body := driftBody(StageData, func(r *Request) {
				r.Message = breakerRawMessage(tc.raw, tc.headers, tc.contents)
			})
			_, lints := CheckRequest([]byte(body))
			if f := findingAt(lints, "message.size"); len(f) > 0 {
				t.Errorf("drift on a request Stalwart v0.16.18 sends for this message:\n%s", f[0].Message)
			}
		})
	}
}

// After an EHLO with a new name that the ehlo hook (or a Sieve script,
// a milter, a strict SPF check) refuses, handle_ehlo
// (crates/smtp/src/inbound/ehlo.rs) sets mail_from to None and restores
// the HELO name, but does not call reset(): rcpt_to keeps the
// transaction's recipients. The next MAIL FROM is accepted (mail_from is
// None) and the mail hook gets envelope.to with the old recipients;
// handle_rcpt_to appends to them, and the data stage carries them too.
// Every request of this connection is one Stalwart v0.16.18 sends; the
// tracker flags the mail request ("sends envelope.to as [] at mail")
// and the data request (recipients no rcpt request of the transaction
// added).
func TestBreakerDriftStaleRecipientsAfterRefusedEHLO(t *testing.T) {
	t.Parallel()
	env := func(from string, to ...string) func(*Request) {
		return func(r *Request) {
			r.Envelope = &Envelope{From: Address{from}}
			withTo(to...)(r)
		}
	}
	newHelo := withHELO(sp("other.example.net"))
	reqs := []string{
		reqAt(StageConnect),
		reqAt(StageEhlo),
		reqAt(StageMail, env("alice@example.net")),
		reqAt(StageRcpt, env("alice@example.net", "bill@example.org")),
		// EHLO other.example.net mid-transaction: the hook refuses it.
		reqAt(StageEhlo, newHelo, withPTR(sp("mail.example.net.")), env("alice@example.net", "bill@example.org")),
		// The HELO name is back to mail.example.net; rcpt_to kept bill.
		reqAt(StageMail, env("carol@example.net", "bill@example.org")),
		reqAt(StageRcpt, env("carol@example.net", "bill@example.org", "dave@example.org")),
		reqAt(StageData, env("carol@example.net", "bill@example.org", "dave@example.org")),
	}
	var tr DriftTracker
	for i, body := range reqs {
		if _, lints := tr.Check([]byte(body)); len(lints) > 0 {
			for _, l := range lints {
				t.Errorf("request %d: drift on a request Stalwart v0.16.18 sends: %s: %s", i+1, l.Path, l.Message)
			}
		}
	}
}

// On a listener with PROXY protocol (proxy_networks), the stream is a
// ProxiedStream whose tls_version_and_cipher (crates/common/src/
// network/stream.rs) returns the load balancer's PP2_SUBTYPE_SSL_VERSION
// and PP2_SUBTYPE_SSL_CIPHER (HAProxy's send-proxy-v2-ssl: OpenSSL
// names, "ECDHE-RSA-AES128-GCM-SHA256", "TLS_AES_256_GCM_SHA384"), or
// "unknown" for both when the balancer sent no SSL TLV, and then every
// request of a plain connection has a tls object. Stalwart v0.16.18
// sends these for every connection behind such a balancer; the drift
// check flags each of them (and docs/proxy.md lists the "unknown" case
// among the things "Stalwart's code does").
func TestBreakerDriftProxyProtocolTLS(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, version, cipher string }{
		{"no SSL TLV", "unknown", "unknown"},
		{"HAProxy TLS 1.2", "TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256"},
		{"HAProxy TLS 1.3", "TLSv1.3", "TLS_AES_256_GCM_SHA384"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var tr DriftTracker
			for _, st := range []Stage{StageConnect, StageEhlo, StageMail} {
				_, lints := tr.Check([]byte(reqAt(st, withTLS(tc.version, tc.cipher))))
				for _, l := range lints {
					t.Errorf("%s: drift on a request Stalwart v0.16.18 sends behind a PROXY-protocol balancer: %s: %s", st, l.Path, l.Message)
				}
			}
		})
	}
}

// A recipient that is a mailing list (or a catch-all, or a masked
// address) is replaced after the rcpt hook: handle_rcpt_to
// (crates/smtp/src/inbound/rcpt.rs) pops it and pushes the list's
// members (RcptResolution::Expand) or the rewritten address
// (RcptResolution::Rewrite), with a default configuration. The next
// rcpt request and the data request carry addresses no rcpt request
// showed. The tracker reports each as drift (its message even names a
// mailing list as a cause): findings on requests a real Stalwart sends.
func TestBreakerDriftMailingListExpanded(t *testing.T) {
	t.Parallel()
	env := func(to ...string) func(*Request) {
		return func(r *Request) {
			r.Envelope = &Envelope{From: Address{"alice@example.net"}}
			withTo(to...)(r)
		}
	}
	reqs := []string{
		reqAt(StageMail, env()),
		reqAt(StageRcpt, env("team@example.org")),
		reqAt(StageRcpt, env("ann@example.org", "bob@example.org", "zoe@example.org")),
		reqAt(StageData, env("ann@example.org", "bob@example.org", "zoe@example.org")),
	}
	var tr DriftTracker
	for i, body := range reqs {
		_, lints := tr.Check([]byte(body))
		for _, l := range lints {
			t.Errorf("request %d: drift on a request Stalwart v0.16.18 sends: %s: %s", i+1, l.Path, strings.SplitN(l.Message, ";", 2)[0])
		}
	}
}

// A hook's httpHeaders (MtaHook.httpHeaders) go out as configured:
// build_http_headers (crates/utils/src/http.rs) inserts them after
// content-type, replacing a default in place. A User-Agent or a
// Content-Type with a charset in httpHeaders is a request Stalwart
// v0.16.18 sends; CheckRequestHeaders says so in its message ("unless
// the hook's httpHeaders ...") and still reports it as drift, on every
// request of every connection.
func TestBreakerDriftHeadersFromHTTPHeaders(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		fields []Header
	}{
		{"user-agent", []Header{{"content-type", "application/json"}, {"user-agent", "stalwart-hook/1"}, {"accept", "*/*"}, {"host", "h:9000"}, {"content-length", "10"}}},
		{"content-type with charset", []Header{{"content-type", "application/json; charset=utf-8"}, {"accept", "*/*"}, {"host", "h:9000"}, {"content-length", "10"}}},
	} {
		if lints := CheckRequestHeaders("HTTP/1.1", tc.fields); len(lints) > 0 {
			t.Errorf("%s: drift on headers a hook configured with httpHeaders gets from Stalwart v0.16.18: %s", tc.name, lints[0].Message)
		}
	}
}
