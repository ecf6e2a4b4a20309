package wire

import (
	"fmt"
	"strings"
	"testing"
)

// driftBase is a request as Stalwart v0.16.18 sends it at stage (the
// package's own encoder writes it): a client on port 25 that said EHLO
// and whose PTR name was found at MAIL FROM, one recipient, a two-header
// message with a body.
func driftBase(stage Stage) *Request {
	ptr, helo := "mail.example.net.", "mail.example.net"
	r := &Request{Context: Context{
		Stage:    stage,
		Client:   ClientInfo{IP: "203.0.113.7", Port: 51234, ActiveConnections: 1},
		Server:   ServerInfo{Name: ServerName, Port: 25, IP: "192.0.2.10"},
		Protocol: Protocol{Version: 1},
	}}
	if stage != StageConnect {
		r.Context.Client.HELO = &helo
	}
	switch stage {
	case StageMail, StageRcpt, StageData:
		r.Context.Client.PTR = &ptr
		r.Envelope = &Envelope{From: Address{"alice@example.net"}, To: []Address{}}
	}
	if stage == StageRcpt || stage == StageData {
		r.Envelope.To = []Address{{"bill@example.org"}}
	}
	if stage == StageData {
		r.Context.Queue = &Queue{ID: "4c0e37000000001"}
		r.Message = driftMessage([]Header{{"Subject", " Hello\r\n"}, {"From", " alice@example.net\r\n"}}, "Hi.\r\n")
	}
	return r
}

// driftMessage is a message with a blank CRLF line between headers and
// contents, and its size.
func driftMessage(h []Header, contents string) *Message {
	size := len(contents) + 2
	for _, x := range h {
		size += len(x.Name) + 1 + len(x.Value)
	}
	return &Message{Headers: h, Contents: []byte(contents), Size: size}
}

func driftBody(stage Stage, edit func(*Request)) string {
	r := driftBase(stage)
	if edit != nil {
		edit(r)
	}
	return string(r.Encode())
}

func sp(s string) *string { return &s }

// findingAt returns the findings at path.
func findingAt(lints []Lint, path string) []Lint {
	var out []Lint
	for _, l := range lints {
		if l.Path == path {
			out = append(out, l)
		}
	}
	return out
}

// TestCheckRequestPasses: requests Stalwart v0.16.18 can send give no
// finding.
func TestCheckRequestPasses(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		body string
	}{
		{"connect", driftBody(StageConnect, nil)},
		{"ehlo", driftBody(StageEhlo, nil)},
		{"mail", driftBody(StageMail, nil)},
		{"rcpt", driftBody(StageRcpt, nil)},
		{"data", driftBody(StageData, nil)},
		{"ehlo mid-transaction", driftBody(StageEhlo, func(r *Request) {
			r.Envelope = &Envelope{From: Address{"a@x.example"}, To: []Address{{"b@y.example"}}}
		})},
		{"implicit TLS at connect, TLS 1.2", driftBody(StageConnect, func(r *Request) {
			r.Context.TLS = &TLSInfo{"TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"}
		})},
		{"TLS 1.3 and sasl", driftBody(StageData, func(r *Request) {
			r.Context.TLS = &TLSInfo{"TLSv1.3", "TLS13_CHACHA20_POLY1305_SHA256"}
			r.Context.SASL = &SASL{"John"}
		})},
		{"IPv6, mapped server address", driftBody(StageRcpt, func(r *Request) {
			r.Context.Client.IP = "2001:db8::1"
			r.Context.Server.IP = "::ffff:192.0.2.10"
		})},
		{"ptr null, null sender, several recipients", driftBody(StageData, func(r *Request) {
			r.Context.Client.PTR = nil
			r.Envelope = &Envelope{From: Address{""}, To: []Address{{"a@x.example"}, {"b@x.example"}, {"postmaster"}}}
		})},
		{"queue id 0", driftBody(StageData, func(r *Request) { r.Context.Queue.ID = "ffffffffffffffff" })},
		{"no blank line: the last header has no line end", driftBody(StageData, func(r *Request) {
			r.Message = &Message{Headers: []Header{{"Subject", " x\r\n"}, {"From", " a@x.example"}}, Size: 12 + 17}
		})},
		{"empty body", driftBody(StageData, func(r *Request) {
			r.Message = &Message{Headers: []Header{{"Subject", " x\r\n"}}, Size: 12 + 2}
		})},
		{"empty body without the blank line", driftBody(StageData, func(r *Request) {
			r.Message = &Message{Headers: []Header{{"Subject", " x\r\n"}}, Size: 12}
		})},
		{"bare LF blank line", driftBody(StageData, func(r *Request) {
			r.Message = &Message{Headers: []Header{{"Subject", " x\n"}}, Contents: []byte("b\n"), Size: 11 + 1 + 2}
		})},
		{"folded value, name with white space and leading colon", driftBody(StageData, func(r *Request) {
			r.Message = driftMessage([]Header{{"Subject ", " a\r\n b\r\n"}, {":X-A", "1\r\n"}}, "body")
		})},
		{"end-of-input header with a name cut short", driftBody(StageData, func(r *Request) {
			r.Message = &Message{Headers: []Header{{"Subject", " x\r\n"}, {"", ""}}, Size: 12 + 1}
		})},
		// Three invalid bytes became three U+FFFD (9 bytes); each stands for
		// one to three bytes received, so 3..9 bytes: both ends pass.
		{"serde's escapes", driftBody(StageData, func(r *Request) {
			r.Message = driftMessage([]Header{{"Subject", " \x1b\x7f\"\\\t/<&\u00e9\r\n"}}, "\b\f")
		})},
		{"U+FFFD counted low", driftBody(StageData, func(r *Request) {
			r.Message = &Message{Headers: []Header{{"Subject", " x\r\n"}}, Contents: []byte("\xff\xfe\xfd"), Size: 12 + 2 + 3}
		})},
		{"U+FFFD counted high", driftBody(StageData, func(r *Request) {
			r.Message = &Message{Headers: []Header{{"Subject", " x\r\n"}}, Contents: []byte("\xff\xfe\xfd"), Size: 12 + 2 + 9}
		})},
		// mail-parser skips white space before a header and drops a line
		// without a colon; message.size counts them: any size above the
		// count is a message Stalwart can have received.
		{"size two more (\"  Subject:\")", strings.Replace(driftBody(StageData, nil), `"size":48`, `"size":50`, 1)},
		{"size far more (a long line without a colon)", strings.Replace(driftBody(StageData, nil), `"size":48`, `"size":12345`, 1)},
		{"size one more without a blank line", driftBody(StageData, func(r *Request) {
			r.Message = &Message{Headers: []Header{{"Subject", " x"}}, Size: 11}
		})},
		// An EHLO refused mid-transaction leaves the recipients for the
		// next mail request; only DriftTracker can tell whether they are.
		{"recipients at mail", driftBody(StageMail, func(r *Request) { r.Envelope.To = []Address{{"b@x.example"}} })},
		// Behind a PROXY-protocol load balancer: its SSL TLVs, or none.
		{"PROXY protocol without SSL TLV", driftBody(StageMail, func(r *Request) { r.Context.TLS = &TLSInfo{"unknown", "unknown"} })},
		{"PROXY protocol, OpenSSL's TLS 1.2 names", driftBody(StageMail, func(r *Request) {
			r.Context.TLS = &TLSInfo{"TLSv1.2", "ECDHE-ECDSA-CHACHA20-POLY1305"}
		})},
		{"PROXY protocol, OpenSSL's TLS 1.3 names", driftBody(StageRcpt, func(r *Request) {
			r.Context.TLS = &TLSInfo{"TLSv1.3", "TLS_CHACHA20_POLY1305_SHA256"}
		})},
		{"PROXY protocol, an old version", driftBody(StageConnect, func(r *Request) { r.Context.TLS = &TLSInfo{"TLSv1", "AES128-SHA"} })},
		{"PROXY protocol, a cipher without its version", driftBody(StageConnect, func(r *Request) {
			r.Context.TLS = &TLSInfo{"unknown", "ECDHE-RSA-AES256-GCM-SHA384"}
		})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, lints := CheckRequest([]byte(tc.body)); len(lints) > 0 {
				t.Errorf("findings %v in %s", lints, tc.body)
			}
		})
	}
}

// driftCase is a request with one thing changed and the finding it
// must give: its path and words of its message.
type driftCase struct {
	name  string
	stage Stage
	// old and new replace text in the base request's JSON; old must be
	// there. body, when set, is the request instead.
	old, new string
	body     string
	path     string
	words    string
}

func (tc driftCase) request(t *testing.T) string {
	t.Helper()
	if tc.body != "" {
		return tc.body
	}
	base := driftBody(tc.stage, nil)
	if !strings.Contains(base, tc.old) {
		t.Fatalf("%q is not in %s", tc.old, base)
	}
	return strings.Replace(base, tc.old, tc.new, 1)
}

func runDriftCases(t *testing.T, cases []driftCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			body := tc.request(t)
			_, lints := CheckRequest([]byte(body))
			at := findingAt(lints, tc.path)
			if len(at) != 1 {
				t.Fatalf("want one finding at %q, got %v\nrequest %s", tc.path, lints, body)
			}
			l := at[0]
			if l.Code != LintDrift || !strings.Contains(l.Message, tc.words) || !strings.HasPrefix(l.Message, ServerName) && !strings.HasPrefix(l.Message, "hooksim models") {
				t.Errorf("finding %+v, want %q in its message", l, tc.words)
			}
			if strings.Contains(l.Message, "\n") || l.Fix != "" {
				t.Errorf("a finding is one line without a fix: %+v", l)
			}
		})
	}
}

// TestCheckRequestShape: JSON, keys, repeats, order, types.
func TestCheckRequestShape(t *testing.T) {
	t.Parallel()
	runDriftCases(t, []driftCase{
		{name: "not JSON", body: `{"context":`, path: "", words: "this request is not JSON: unexpected end of file"},
		{name: "invalid UTF-8", body: "{\"context\":\"\xff\"}", path: "", words: "not JSON: invalid UTF-8"},
		{name: "an array", body: `[1]`, path: "", words: "this request is an array of 1"},
		{name: "a string", body: `"x"`, path: "", words: `this request is the string "x"`},
		{name: "white space", stage: StageRcpt, old: `{"context":{`, new: "{\n  \"context\": {", path: "", words: "compact JSON (serde_json: no white space between tokens); this request has 4 bytes of white space"},
		{name: "Go's HTML escape", stage: StageRcpt, old: `"alice@example.net"`, new: `"alice\u003c@example.net"`, path: "", words: `only quotes, backslashes and control characters (\n, \u001b), as serde_json does; this request has "\\u003c"`},
		{name: "escaped solidus", stage: StageRcpt, old: `"alice@example.net"`, new: `"alice\/x@example.net"`, path: "", words: `this request has "\\/"`},
		{name: "long form of a short escape", stage: StageRcpt, old: `"alice@example.net"`, new: `"alice\u000a@example.net"`, path: "", words: `"\\u000a"`},
		{name: "upper-case hex", stage: StageRcpt, old: `"alice@example.net"`, new: `"alice\u001B@example.net"`, path: "", words: `"\\u001B"`},
		{name: "unknown top-level key", stage: StageRcpt, old: `}}`, new: `}},"action":"accept"`, path: "action", words: `sends no "action" in the request`},
		{name: "unknown client key", stage: StageRcpt, old: `"activeConnections":1`, new: `"activeConnections":1,"asn":5`, path: "context.client.asn", words: `sends no "asn" in context.client (its keys are ip, port, ptr, helo, activeConnections)`},
		{name: "docs' ehlo for helo", stage: StageRcpt, old: `"helo":`, new: `"ehlo":`, path: "context.client.ehlo", words: `sends the HELO name as "helo"; this request has "ehlo"`},
		{name: "snake case", stage: StageRcpt, old: `"activeConnections"`, new: `"active_connections"`, path: "context.client.active_connections", words: `as "activeConnections"; this request has "active_connections"`},
		{name: "other case of an optional object", stage: StageRcpt, old: `,"server"`, new: `,"TLS":{"version":"TLSv1.3","cipher":"TLS13_AES_128_GCM_SHA256"},"server"`, path: "context.TLS", words: `sends context.tls as "tls"; this request has "TLS"`},
		{name: "missing key", stage: StageRcpt, old: `"helo":"mail.example.net",`, new: ``, path: "context.client.helo", words: "always sends context.client.helo (null before HELO/EHLO); this request has none"},
		{name: "missing context", body: `{}`, path: "context", words: "always sends context"},
		{name: "repeated key", stage: StageRcpt, old: `"port":51234`, new: `"port":51234,"port":51234`, path: "context.client.port", words: `sends each key once; this request has "port" 2 times in context.client`},
		{name: "key order", stage: StageRcpt, old: `"ip":"203.0.113.7","port":51234`, new: `"port":51234,"ip":"203.0.113.7"`, path: "context.client", words: "in the order ip, port, ptr, helo, activeConnections; this request has port, ip, ptr"},
		{name: "top-level order", stage: StageData, body: reorderTop(driftBody(StageData, nil)), path: "", words: "keys of the request in the order context, envelope, message; this request has context, message, envelope"},
		{name: "context not an object", body: `{"context":[]}`, path: "context", words: "sends context as an object; this request has an array of 0"},
		{name: "client not an object", stage: StageConnect, old: `"client":{"ip":"203.0.113.7","port":51234,"ptr":null,"helo":null,"activeConnections":1}`, new: `"client":null`, path: "context.client", words: "as an object; this request has null"},
	})
}

// reorderTop moves message before envelope in a data request.
func reorderTop(body string) string {
	env := body[strings.Index(body, `,"envelope"`):strings.Index(body, `,"message"`)]
	msg := body[strings.Index(body, `,"message"`) : len(body)-1]
	return body[:strings.Index(body, `,"envelope"`)] + msg + env + "}"
}

// TestCheckRequestContext: the values of context.
func TestCheckRequestContext(t *testing.T) {
	t.Parallel()
	runDriftCases(t, []driftCase{
		{name: "upper-case stage", stage: StageData, old: `"stage":"data"`, new: `"stage":"DATA"`, path: "context.stage", words: `sends context.stage in lower case ("data"); this request has "DATA"`},
		{name: "auth stage", stage: StageMail, old: `"stage":"mail"`, new: `"stage":"auth"`, path: "context.stage", words: "never calls a hook at the auth stage"},
		{name: "unknown stage", stage: StageMail, old: `"stage":"mail"`, new: `"stage":"vrfy"`, path: "context.stage", words: `this request has "vrfy"`},
		{name: "stage a number", stage: StageMail, old: `"stage":"mail"`, new: `"stage":3`, path: "context.stage", words: "this request has the number 3"},
		{name: "client ip not an address", stage: StageMail, old: `"ip":"203.0.113.7"`, new: `"ip":"mail.example.net"`, path: "context.client.ip", words: `as an IP address (192.0.2.1, 2001:db8::1); this request has "mail.example.net"`},
		{name: "client ip with a zone", stage: StageMail, old: `"ip":"203.0.113.7"`, new: `"ip":"fe80::1%eth0"`, path: "context.client.ip", words: "as an IP address"},
		{name: "client ip upper case", stage: StageMail, old: `"ip":"203.0.113.7"`, new: `"ip":"2001:DB8:0:0::1"`, path: "context.client.ip", words: `in canonical form ("2001:db8::1"); this request has "2001:DB8:0:0::1"`},
		{name: "client ip mapped", stage: StageMail, old: `"ip":"203.0.113.7"`, new: `"ip":"::ffff:203.0.113.7"`, path: "context.client.ip", words: `as IPv4 (it unmaps ::ffff:a.b.c.d), "203.0.113.7"`},
		{name: "client port a string", stage: StageMail, old: `"port":51234`, new: `"port":"51234"`, path: "context.client.port", words: `as an integer 0..65535; this request has the string "51234"`},
		{name: "client port too big", stage: StageMail, old: `"port":51234`, new: `"port":70000`, path: "context.client.port", words: "the number 70000"},
		{name: "client port fraction", stage: StageMail, old: `"port":51234`, new: `"port":51234.0`, path: "context.client.port", words: "the number 51234.0"},
		{name: "ptr at connect", stage: StageConnect, old: `"ptr":null`, new: `"ptr":"mail.example.net."`, path: "context.client.ptr", words: "ptr null at connect"},
		{name: "ptr without the dot", stage: StageMail, old: `"ptr":"mail.example.net."`, new: `"ptr":"mail.example.net"`, path: "context.client.ptr", words: `lower-cased with the trailing dot of a DNS name ("mail.example.net."); this request has "mail.example.net"`},
		{name: "ptr upper case", stage: StageMail, old: `"ptr":"mail.example.net."`, new: `"ptr":"Mail.Example.net."`, path: "context.client.ptr", words: `this request has "Mail.Example.net."`},
		{name: "ptr a number", stage: StageMail, old: `"ptr":"mail.example.net."`, new: `"ptr":7`, path: "context.client.ptr", words: "as null or a string; this request has the number 7"},
		{name: "helo at connect", stage: StageConnect, old: `"helo":null`, new: `"helo":"x.example"`, path: "context.client.helo", words: "helo null at connect"},
		{name: "helo null at ehlo", stage: StageEhlo, old: `"helo":"mail.example.net"`, new: `"helo":null`, path: "context.client.helo", words: "the new HELO name at the ehlo stage; this request has null"},
		{name: "helo empty", stage: StageMail, old: `"helo":"mail.example.net"`, new: `"helo":""`, path: "context.client.helo", words: `never ""`},
		{name: "activeConnections 2", stage: StageMail, old: `"activeConnections":1`, new: `"activeConnections":2`, path: "context.client.activeConnections", words: "as the number 1, always; this request has the number 2"},
		{name: "sasl at connect", stage: StageConnect, old: `,"server"`, new: `,"sasl":{"login":"john"},"server"`, path: "context.sasl", words: "no sasl at connect"},
		{name: "sasl.method", stage: StageMail, old: `,"server"`, new: `,"sasl":{"login":"john","method":"plain"},"server"`, path: "context.sasl.method", words: "never sends sasl.method"},
		{name: "sasl empty login", stage: StageMail, old: `,"server"`, new: `,"sasl":{"login":""},"server"`, path: "context.sasl.login", words: "an empty login"},
		{name: "tls docs' version", stage: StageMail, old: `,"server"`, new: `,"tls":{"version":"1.3","cipher":"TLS13_AES_256_GCM_SHA384"},"server"`, path: "context.tls.version", words: `"TLSv1.2" or "TLSv1.3"; this request has "1.3"`},
		{name: "tls cipherBits", stage: StageMail, old: `,"server"`, new: `,"tls":{"version":"TLSv1.3","cipher":"TLS13_AES_256_GCM_SHA384","cipherBits":256},"server"`, path: "context.tls.cipherBits", words: "never sends tls.cipherBits"},
		{name: "tls certIssuer null", stage: StageMail, old: `,"server"`, new: `,"tls":{"version":"TLSv1.3","cipher":"TLS13_AES_256_GCM_SHA384","certIssuer":null},"server"`, path: "context.tls.certIssuer", words: "this request has certIssuer: null"},
		{name: "tls version with a space", stage: StageMail, old: `,"server"`, new: `,"tls":{"version":"TLS 1.3","cipher":"TLS13_AES_256_GCM_SHA384"},"server"`, path: "context.tls.version", words: `OpenSSL's spelling, or "unknown"): "TLSv1.2" or "TLSv1.3"; this request has "TLS 1.3"`},
		{name: "tls 1.2 with a 1.3 suite", stage: StageMail, old: `,"server"`, new: `,"tls":{"version":"TLSv1.2","cipher":"TLS13_AES_256_GCM_SHA384"},"server"`, path: "context.tls.cipher", words: "rustls names the suite"},
		{name: "tls 1.3 with a rustls 1.2 suite", stage: StageMail, old: `,"server"`, new: `,"tls":{"version":"TLSv1.3","cipher":"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},"server"`, path: "context.tls.cipher", words: `this request has "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" with "TLSv1.3"`},
		{name: "tls rustls suite with a balancer's version", stage: StageMail, old: `,"server"`, new: `,"tls":{"version":"unknown","cipher":"TLS13_AES_128_GCM_SHA256"},"server"`, path: "context.tls.cipher", words: `this request has "TLS13_AES_128_GCM_SHA256" with "unknown"`},
		{name: "tls OpenSSL name with the docs' version", stage: StageMail, old: `,"server"`, new: `,"tls":{"version":"1.2","cipher":"ECDHE-RSA-AES128-GCM-SHA256"},"server"`, path: "context.tls.cipher", words: `with the balancer's version`},
		{name: "tls cipher not a suite name", stage: StageMail, old: `,"server"`, new: `,"tls":{"version":"TLSv1.2","cipher":"aes128 gcm"},"server"`, path: "context.tls.cipher", words: `this request has "aes128 gcm" with "TLSv1.2"`},
		{name: "server name docs'", stage: StageMail, old: `"name":"Stalwart v0.16.18"`, new: `"name":"Stalwart"`, path: "context.server.name", words: `as "Stalwart v0.16.18" (its daemon name, never the host name); this request has "Stalwart"`},
		{name: "server name host", stage: StageMail, old: `"name":"Stalwart v0.16.18"`, new: `"name":"mx.example.org"`, path: "context.server.name", words: `this request has "mx.example.org"`},
		{name: "another version", stage: StageMail, old: `"name":"Stalwart v0.16.18"`, new: `"name":"Stalwart v0.17.2"`, path: "context.server.name", words: `hooksim models Stalwart v0.16.18; this server says "Stalwart v0.17.2"`},
		{name: "server ip", stage: StageMail, old: `"ip":"192.0.2.10"`, new: `"ip":"localhost"`, path: "context.server.ip", words: `this request has "localhost"`},
		{name: "server port negative", stage: StageMail, old: `"port":25`, new: `"port":-25`, path: "context.server.port", words: "the number -25"},
		{name: "queue missing at data", stage: StageData, old: `"queue":{"id":"4c0e37000000001"},`, new: ``, path: "context.queue", words: "at the data stage; this request has none"},
		{name: "queue at rcpt", stage: StageRcpt, old: `,"protocol"`, new: `,"queue":{"id":"4c0e37000000001"},"protocol"`, path: "context.queue", words: "only at the data stage; this request has it at rcpt"},
		{name: "queue id docs'", stage: StageData, old: `"4c0e37000000001"`, new: `"1234567890"`, path: "context.queue.id", words: `"1234567890" dates from 2021-09-22 03:07:17 UTC, before v0.16.18 was released`},
		{name: "queue id upper case", stage: StageData, old: `"4c0e37000000001"`, new: `"4C0E37000000001"`, path: "context.queue.id", words: "in lower-case hex without leading zeros"},
		{name: "queue id padded", stage: StageData, old: `"4c0e37000000001"`, new: `"04c0e37000000001"`, path: "context.queue.id", words: `this request has "04c0e37000000001"`},
		{name: "queue id too long", stage: StageData, old: `"4c0e37000000001"`, new: `"14c0e37000000001a"`, path: "context.queue.id", words: "without leading zeros"},
		{name: "queue id a number", stage: StageData, old: `"4c0e37000000001"`, new: `5`, path: "context.queue.id", words: "as a string; this request has the number 5"},
		{name: "protocol version docs'", stage: StageMail, old: `"version":1`, new: `"version":"1.0"`, path: "context.protocol.version", words: `sends protocol.version as the number 1; this request has the string "1.0"`},
		{name: "protocol version 1.0", stage: StageMail, old: `"version":1`, new: `"version":1.0`, path: "context.protocol.version", words: "this request has the number 1.0"},
	})
}

// TestCheckRequestEnvelope: the envelope at each stage.
func TestCheckRequestEnvelope(t *testing.T) {
	t.Parallel()
	env := `"envelope":{"from":{"address":"alice@example.net"},"to":[]}`
	runDriftCases(t, []driftCase{
		{name: "envelope at connect", body: strings.TrimSuffix(driftBody(StageConnect, nil), "}") + "," + env + "}", path: "envelope", words: "no envelope at connect"},
		{name: "no envelope at mail", stage: StageMail, old: "," + env, new: "", path: "envelope", words: "envelope at mail, rcpt and data; this request has none at mail"},
		{name: "no recipient at rcpt", stage: StageRcpt, old: `[{"address":"bill@example.org"}]`, new: `[]`, path: "envelope.to", words: "at least one recipient at rcpt"},
		{name: "no recipient at data", stage: StageData, old: `[{"address":"bill@example.org"}]`, new: `[]`, path: "envelope.to", words: "at least one recipient at data"},
		{name: "to not an array", stage: StageData, old: `[{"address":"bill@example.org"}]`, new: `{"address":"bill@example.org"}`, path: "envelope.to", words: "as an array; this request has an object"},
		{name: "recipient not an object", stage: StageData, old: `[{"address":"bill@example.org"}]`, new: `["bill@example.org"]`, path: "envelope.to[0]", words: `this request has the string "bill@example.org"`},
		{name: "upper-case sender", stage: StageRcpt, old: `"alice@example.net"`, new: `"Alice@example.net"`, path: "envelope.from.address", words: `the sender lower-cased; this request has "Alice@example.net"`},
		{name: "upper-case recipient", stage: StageRcpt, old: `"bill@example.org"`, new: `"bill@EXAMPLE.org"`, path: "envelope.to[0].address", words: "recipients lower-cased"},
		{name: "recipient twice", stage: StageRcpt, old: `[{"address":"bill@example.org"}]`, new: `[{"address":"bill@example.org"},{"address":"bill@example.org"}]`, path: "envelope.to[1].address", words: "never sends a recipient twice"},
		{name: "sender parameters", stage: StageRcpt, old: `{"address":"alice@example.net"}`, new: `{"address":"alice@example.net","parameters":{"size":12345}}`, path: "envelope.from.parameters", words: "the sender's parameters (no SIZE, BODY, ENVID...); this request has a parameters object"},
		{name: "recipient parameters null", stage: StageRcpt, old: `{"address":"bill@example.org"}`, new: `{"address":"bill@example.org","parameters":null}`, path: "envelope.to[0].parameters", words: `a recipient's parameters (no NOTIFY, ORCPT...); this request has "parameters": null`},
		{name: "missing address", stage: StageRcpt, old: `{"address":"bill@example.org"}`, new: `{}`, path: "envelope.to[0].address", words: "always sends envelope.to[0].address"},
	})
}

// TestCheckRequestMessage: the message at data.
func TestCheckRequestMessage(t *testing.T) {
	t.Parallel()
	msg := `,"message":{"headers":[["Subject"," Hello\r\n"],["From"," alice@example.net\r\n"]],"contents":"Hi.\r\n","size":48}`
	if !strings.Contains(driftBody(StageData, nil), msg) {
		t.Fatalf("the base message is not %s", msg)
	}
	runDriftCases(t, []driftCase{
		{name: "message at rcpt", body: strings.TrimSuffix(driftBody(StageRcpt, nil), "}") + `,"message":{"headers":[],"contents":"","size":0}}`, path: "message", words: "only at the data stage; this request has one at rcpt"},
		{name: "no message at data", stage: StageData, old: `,"message":{`, new: `,"x":{`, path: "message", words: "message at the data stage; this request has none"},
		{name: "serverHeaders", stage: StageData, old: `"contents"`, new: `"serverHeaders":[["Received","from x"]],"contents"`, path: "message.serverHeaders", words: "never sends message.serverHeaders"},
		{name: "no header", stage: StageData, body: driftBody(StageData, func(r *Request) { r.Message = &Message{Contents: []byte("x"), Size: 1} }), path: "message.headers", words: "at least one header"},
		{name: "header an object", stage: StageData, old: `["Subject"," Hello\r\n"]`, new: `{"Subject":" Hello\r\n"}`, path: "message.headers[0]", words: "a [name, value] array of two strings; this request has an object"},
		{name: "header of three", stage: StageData, old: `["Subject"," Hello\r\n"]`, new: `["Subject"," Hello\r\n","x"]`, path: "message.headers[0]", words: "this request has an array of 3"},
		{name: "header value a number", stage: StageData, old: `["Subject"," Hello\r\n"]`, new: `["Subject",5]`, path: "message.headers[0]", words: "whose name or value is not a string"},
		{name: "name with a colon", stage: StageData, old: `["Subject"," Hello\r\n"]`, new: `["Sub:ject"," Hello\r\n"]`, path: "message.headers[0]", words: `the bytes before its colon (not empty, no white space first, no colon or line break in it); this request has "Sub:ject"`},
		{name: "name with white space first", stage: StageData, old: `["Subject"," Hello\r\n"]`, new: `[" Subject"," Hello\r\n"]`, path: "message.headers[0]", words: "before its colon"},
		{name: "empty name", stage: StageData, old: `["Subject"," Hello\r\n"]`, new: `[""," Hello\r\n"]`, path: "message.headers[0]", words: "before its colon"},
		{name: "docs' value without line end", stage: StageData, old: `" Hello\r\n"`, new: `"Hello"`, path: "message.headers[0]", words: `its line end ("\r\n") included; this request has a value without one`},
		{name: "last value without line end and a body", stage: StageData, old: `" alice@example.net\r\n"`, new: `" alice@example.net"`, path: "message.headers[1]", words: "when the message has a body"},
		{name: "contents a number", stage: StageData, old: `"contents":"Hi.\r\n"`, new: `"contents":5`, path: "message.contents", words: "as a string; this request has the number 5"},
		{name: "size a string", stage: StageData, old: `"size":48`, new: `"size":"48"`, path: "message.size", words: `as an integer (bytes); this request has the string "48"`},
		{name: "size too small", stage: StageData, old: `"size":48`, new: `"size":46`, path: "message.size", words: "at least 47 here (headers, blank line and contents); this request has 46"},
		{name: "size with U+FFFD too small", body: driftBody(StageData, func(r *Request) {
			r.Message = &Message{Headers: []Header{{"Subject", " x\r\n"}}, Contents: []byte("\xff\xfe\xfd"), Size: 12 + 1 + 2}
		}), path: "message.size", words: "at least 16 here (headers, blank line and contents, each U+FFFD standing for 1 to 3 bytes received); this request has 15"},
		{name: "no blank line: too small", body: driftBody(StageData, func(r *Request) {
			r.Message = &Message{Headers: []Header{{"Subject", " x"}}, Size: 9}
		}), path: "message.size", words: "at least 10 here (headers, blank line and contents); this request has 9"},
		{name: "body without its blank line counted", body: driftBody(StageData, func(r *Request) {
			r.Message = &Message{Headers: []Header{{"Subject", " x\r\n"}}, Contents: []byte("b"), Size: 12 + 1}
		}), path: "message.size", words: "at least 14 here"},
	})
}

// TestCheckRequestStage: the stage CheckRequest returns.
func TestCheckRequestStage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		body string
		want Stage
	}{
		{driftBody(StageConnect, nil), StageConnect},
		{driftBody(StageData, nil), StageData},
		{strings.Replace(driftBody(StageRcpt, nil), `"rcpt"`, `"RCPT"`, 1), StageRcpt},
		{strings.Replace(driftBody(StageRcpt, nil), `"rcpt"`, `"auth"`, 1), StageAuth},
		{strings.Replace(driftBody(StageRcpt, nil), `"rcpt"`, `"vrfy"`, 1), ""},
		{strings.Replace(driftBody(StageRcpt, nil), `"rcpt"`, `5`, 1), ""},
		{`{"context":{}}`, ""},
		{`nonsense`, ""},
	} {
		if got, _ := CheckRequest([]byte(tc.body)); got != tc.want {
			t.Errorf("stage %q, want %q in %s", got, tc.want, tc.body)
		}
	}
}

// TestCheckRequestCompacts: forty upper-case recipients are one finding
// with a count, at the first one's path.
func TestCheckRequestCompacts(t *testing.T) {
	t.Parallel()
	body := driftBody(StageData, func(r *Request) {
		r.Envelope.To = nil
		for i := range 40 {
			r.Envelope.To = append(r.Envelope.To, Address{fmt.Sprintf("User%d@example.org", i)})
		}
	})
	_, lints := CheckRequest([]byte(body))
	if len(lints) != 1 || lints[0].Count != 40 || lints[0].Path != "envelope.to[0].address" {
		t.Errorf("findings %+v", lints)
	}
}

// TestCheckRequestDocsExample holds the shape of the public
// documentation's example request (made valid JSON: its "To" header
// has a value) against the model: each of its differences is one
// finding at its path.
func TestCheckRequestDocsExample(t *testing.T) {
	t.Parallel()
	body := `{"context": {"stage": "DATA",
	  "sasl": {"login": "user", "method": "plain"},
	  "client": {"ip": "192.168.1.1", "port": 34567, "ptr": "mail.example.com", "ehlo": "mail.example.com", "activeConnections": 1},
	  "tls": {"version": "1.3", "cipher": "TLS_AES_256_GCM_SHA384", "cipherBits": 256, "certIssuer": "Let's Encrypt", "certSubject": "mail.example.com"},
	  "server": {"name": "Stalwart", "port": 25, "ip": "192.168.2.2"},
	  "queue": {"id": "1234567890"},
	  "protocol": {"version": "1.0"}},
	 "envelope": {"from": {"address": "john@example.com", "parameters": {"size": 12345}},
	  "to": [{"address": "bill@example.com", "parameters": {"orcpt": "rfc822; bill@example.com"}},
	         {"address": "jane@example.com", "parameters": null}]},
	 "message": {"headers": [["From", "John Doe <john@example.com>"], ["To", "Bill <bill@example.com>"], ["Subject", "Hello, World!"]],
	  "serverHeaders": [["Received", "from mail.example.com (mail.example.com [192.168.1.1]) by mail.foobar.com (Stalwart) with ESMTPS id 1234567890"]],
	  "contents": "Hello, World!\r\n", "size": 12345}}`
	stage, lints := CheckRequest([]byte(body))
	if stage != StageData {
		t.Errorf("stage %q", stage)
	}
	for _, path := range []string{"context.client.ehlo", "message.serverHeaders", "context.protocol.version", "context.sasl.method",
		"envelope.from.parameters", "envelope.to[0].parameters", "envelope.to[1].parameters", "context.stage", "context.tls.version",
		"context.tls.cipherBits", "context.tls.certIssuer", "context.tls.certSubject", "context.server.name", "context.queue.id"} {
		if n := len(findingAt(lints, path)); n != 1 {
			t.Errorf("%d findings at %s, want 1", n, path)
		}
	}
	if len(findingAt(lints, "context.client.helo")) != 0 {
		t.Error("the ehlo key is also reported as a missing helo")
	}
	// And what else differs: the key order of context, the PTR name, the
	// cipher's name, the header values without line ends. Not the size:
	// 12345 is more than the headers and contents count, and mail-parser
	// skips header lines without a colon and white space before a header
	// that message.size counts (drift_message.go), so a larger size is no
	// finding.
	for _, path := range []string{"context", "context.client.ptr", "context.tls.cipher", "message.headers[0]"} {
		if len(findingAt(lints, path)) == 0 {
			t.Errorf("no finding at %s in %v", path, lints)
		}
	}
	for _, l := range lints {
		if l.Code != LintDrift || l.Message == "" {
			t.Errorf("finding %+v", l)
		}
	}
}

// TestHeaderNameFits: the names mail-parser's scan can give.
func TestHeaderNameFits(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		quirk bool
		want  bool
	}{
		{"Subject", false, true},
		{"Subject ", false, true},
		{"X-A\tB", false, true},
		{"::X", false, true},
		{"Sub:ject", false, false},
		{" Subject", false, false},
		{"\tSubject", false, false},
		{"Sub\nject", false, false},
		{"", false, false},
		{"", true, true},
		{":", false, false},
		{":", true, true},
		{"a:b", true, false},
	} {
		if got := headerNameFits(tc.name, tc.quirk); got != tc.want {
			t.Errorf("headerNameFits(%q, %v) = %v, want %v", tc.name, tc.quirk, got, tc.want)
		}
	}
}

// TestRenameOf: which absent key an unknown one stands for.
func TestRenameOf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		key    string
		absent []string
		want   string
	}{
		{"ehlo", []string{"helo"}, "helo"},
		{"ehlo", []string{"ptr"}, ""},
		{"ACTIVE_CONNECTIONS", []string{"activeConnections"}, "activeConnections"},
		{"Context", []string{"context", "envelope"}, "context"},
		{"serverheaders", nil, ""},
		{"cipherSuite", []string{"version"}, ""},
		{strings.Repeat("x", 100), []string{"x"}, ""},
	} {
		if got := renameOf(tc.key, tc.absent); got != tc.want {
			t.Errorf("renameOf(%q, %v) = %q, want %q", tc.key, tc.absent, got, tc.want)
		}
	}
}
