package wire

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestLossyString(t *testing.T) {
	t.Parallel()
	// Expected values follow Rust's String::from_utf8_lossy: one U+FFFD per
	// maximal subpart of an ill-formed sequence.
	tests := []struct{ in, want string }{
		{"plain ascii", "plain ascii"},
		{"caf\xc3\xa9", "café"},
		{"\xe2\x82A", "\uFFFDA"},               // truncated 3-byte sequence: one
		{"\xff\xfe", "\uFFFD\uFFFD"},           // two invalid bytes: two
		{"\xf0\x9f\x98", "\uFFFD"},             // truncated 4-byte sequence: one
		{"\xed\xa0\x80", "\uFFFD\uFFFD\uFFFD"}, // encoded surrogate: three
		{"\xc0\x80", "\uFFFD\uFFFD"},           // overlong: two
		{"\xe0\x80\x80", "\uFFFD\uFFFD\uFFFD"},
		{"\xf4\x90\x80\x80", "\uFFFD\uFFFD\uFFFD\uFFFD"}, // above U+10FFFF
		{"a\xf0\x9f\x98\x80b\x80", "a😀b\uFFFD"},
		{"\xe9t\xe9", "\uFFFDt\uFFFD"}, // Latin-1 text
	}
	for _, tc := range tests {
		if got := LossyString([]byte(tc.in)); got != tc.want {
			t.Errorf("LossyString(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestAppendJSONString(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", `""`},
		{"Saying Hello\r\n", `"Saying Hello\r\n"`},
		{`<a&b> "q" \ /`, `"<a&b> \"q\" \\ /"`}, // no HTML escaping, slash left alone
		{"\b\f\t\x00\x1f\x7f", `"\b\f\t\u0000\u001f` + "\x7f" + `"`},
		{"\u2028\u2029é😀", "\"\u2028\u2029é😀\""}, // serde_json leaves these raw
		{"bad\xffbyte", "\"bad\uFFFDbyte\""},
	}
	for _, tc := range tests {
		got := string(appendJSONString(nil, tc.in))
		if got != tc.want {
			t.Errorf("appendJSONString(%q) = %s, want %s", tc.in, got, tc.want)
		}
		var back string
		if err := json.Unmarshal([]byte(got), &back); err != nil {
			t.Errorf("%s does not parse back: %v", got, err)
		}
	}
}

func TestRequestEncode(t *testing.T) {
	t.Parallel()
	helo, ptrName := "mail.example.net", "mail.example.net."
	tests := []struct {
		name string
		req  Request
		want string
	}{
		{"connect", Request{Context: Context{Stage: StageConnect,
			Client:   ClientInfo{IP: "10.0.0.1", Port: 51234, ActiveConnections: 1},
			Server:   ServerInfo{Name: ServerName, Port: 25, IP: "192.0.2.10"},
			Protocol: Protocol{Version: 1}}},
			`{"context":{"stage":"connect","client":{"ip":"10.0.0.1","port":51234,"ptr":null,"helo":null,"activeConnections":1},"server":{"name":"Stalwart v0.16.18","port":25,"ip":"192.0.2.10"},"protocol":{"version":1}}}`},
		{"data", Request{
			Context: Context{Stage: StageData,
				Client:   ClientInfo{IP: "::1", Port: 1, PTR: &ptrName, HELO: &helo, ActiveConnections: 1},
				SASL:     &SASL{Login: "john"},
				TLS:      &TLSInfo{Version: "TLSv1.3", Cipher: "TLS13_AES_256_GCM_SHA384"},
				Server:   ServerInfo{Name: ServerName, Port: 587, IP: "::1"},
				Queue:    &Queue{ID: "1a2b3c"},
				Protocol: Protocol{Version: 1}},
			Envelope: &Envelope{From: Address{Address: ""}, To: []Address{{Address: "a@b.c"}, {Address: "d@e.f"}}},
			Message: &Message{Headers: []Header{{Name: "Subject", Value: " Hi\r\n"}, {Name: "X", Value: " a\r\n b\r\n"}},
				Contents: []byte("body"), Size: 30}},
			`{"context":{"stage":"data","client":{"ip":"::1","port":1,"ptr":"mail.example.net.","helo":"mail.example.net","activeConnections":1},"sasl":{"login":"john"},"tls":{"version":"TLSv1.3","cipher":"TLS13_AES_256_GCM_SHA384"},"server":{"name":"Stalwart v0.16.18","port":587,"ip":"::1"},"queue":{"id":"1a2b3c"},"protocol":{"version":1}},"envelope":{"from":{"address":""},"to":[{"address":"a@b.c"},{"address":"d@e.f"}]},"message":{"headers":[["Subject"," Hi\r\n"],["X"," a\r\n b\r\n"]],"contents":"body","size":30}}`},
		{"mail stage empty to", Request{
			Context:  Context{Stage: StageMail, Client: ClientInfo{IP: "10.0.0.1", Port: 2, HELO: &helo, ActiveConnections: 1}, Server: ServerInfo{Name: ServerName, Port: 25, IP: "10.0.0.2"}, Protocol: Protocol{Version: 1}},
			Envelope: &Envelope{From: Address{Address: "john@example.org"}, To: []Address{}}},
			`{"context":{"stage":"mail","client":{"ip":"10.0.0.1","port":2,"ptr":null,"helo":"mail.example.net","activeConnections":1},"server":{"name":"Stalwart v0.16.18","port":25,"ip":"10.0.0.2"},"protocol":{"version":1}},"envelope":{"from":{"address":"john@example.org"},"to":[]}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := string(tc.req.Encode())
			if got != tc.want {
				t.Errorf("Encode\n got %s\nwant %s", got, tc.want)
			}
			if !json.Valid([]byte(got)) {
				t.Errorf("not valid JSON")
			}
		})
	}
}

func TestLintResponse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		body  string
		stage Stage
		want  []string // codes, in order
	}{
		{"clean accept", `{"action":"accept"}`, StageData, nil},
		{"clean reject", `{"action":"reject","response":{"status":550,"enhanced_status":"5.7.1","message":"no"}}`, StageMail, nil},
		{"camel enhanced", `{"action":"reject","response":{"status":550,"enhancedStatus":"5.7.1","message":"no"}}`, StageMail, []string{LintEnhancedStatusCamel}},
		{"docs types", `{"action":"accept","modifications":[{"type":"addRcpt","value":"a@b"},{"type":"deleteRcpt","value":"a@b"}]}`, StageData, []string{LintDocsModType, LintDocsModType}},
		{"wrong case type", `{"action":"accept","modifications":[{"type":"ADDHEADER","name":"a","value":"b"}]}`, StageData, []string{LintModType}},
		{"mods at rcpt", `{"action":"accept","modifications":[{"type":"addRecipient","value":"a@b"}]}`, StageRcpt, []string{LintModsBeforeData}},
		{"accept with response", `{"action":"accept","response":{"status":250,"message":"ok"}}`, StageData, []string{LintAcceptResponse}},
		{"disconnect", `{"action":"reject","response":{"status":550,"message":"no","disconnect":true}}`, StageConnect, []string{LintDisconnect}},
		{"quarantine", `{"action":"quarantine"}`, StageData, []string{LintQuarantine}},
		{"only status", `{"action":"reject","response":{"status":550}}`, StageData, []string{LintPartialReply}},
		{"only message", `{"action":"discard","response":{"message":"bye"}}`, StageData, []string{LintPartialReply}},
		{"reject with 250", `{"action":"reject","response":{"status":250,"message":"fine"}}`, StageData, []string{LintReplyStatus}},
		// A status serde cannot read fails the response: no lint about how it is sent.
		{"reject with -0", `{"action":"reject","response":{"status":-0,"message":"x"}}`, StageData, nil},
		{"reject with 7e2", `{"action":"reject","response":{"status":7e2,"message":"x"}}`, StageData, nil},
		{"unknown keys", `{"action":"accept","actoin":"x","response":{"stauts":1}}`, StageData, []string{LintUnknownKey, LintUnknownKey, LintAcceptResponse}},
		{"docs parameters", `{"action":"accept","modifications":[{"type":"changeFrom","value":"a@b","parameters":{"size":54321}}]}`, StageData, []string{LintDocsParameters}},
		{"not json", `nope`, StageData, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			lints := LintResponse([]byte(tc.body), tc.stage)
			var got []string
			for _, l := range lints {
				got = append(got, l.Code)
				if l.Message == "" {
					t.Errorf("lint %s without message", l.Code)
				}
			}
			if len(got) != len(tc.want) {
				t.Fatalf("lints %v, want %v (%v)", got, tc.want, lints)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("lints %v, want %v", got, tc.want)
				}
			}
		})
	}
	l := LintResponse([]byte(`{"action":"accept","actoin":"x"}`), StageData)
	if len(l) != 1 || l[0].Message != `Stalwart ignores this key (did you mean "action"?)` {
		t.Errorf("typo suggestion: %v", l)
	}
}

// TestJSONLossy checks that a message body is written as LossyString and
// serde_json's escaping would write it, and that its size is known
// before it is written, for bytes of every kind.
func TestJSONLossy(t *testing.T) {
	t.Parallel()
	tests := []string{
		"", "plain", "line\r\nnext\r\n", "\"q\" \\ \b\f\t\x00\x1f\x7f", "é€😀\u2028\u2029",
		"bad \xff\xfe end", "truncated \xe2\x82", "\xe2\x82\xac\xe2", "surrogate \xed\xa0\x80", "overlong \xc0\xaf \xf0\x80\x80\x80",
		"too high \xf4\x90\x80\x80", strings.Repeat("ab\xc3", 1000),
	}
	for _, in := range tests {
		want := string(appendJSONString(nil, LossyString([]byte(in))))
		if got := string(appendJSONLossy(nil, []byte(in))); got != want {
			t.Errorf("appendJSONLossy(%q) = %q, want %q", in, got, want)
		}
		if got := jsonLossyLen([]byte(in)); got != len(want) {
			t.Errorf("jsonLossyLen(%q) = %d, want %d", in, got, len(want))
		}
	}
}

// TestEncodeAllocatesOnce checks that the size hint covers the encoded
// request, however its strings escape, so that a message is copied into
// the body once.
func TestEncodeAllocatesOnce(t *testing.T) {
	t.Parallel()
	nasty := strings.Repeat("\x01\"", 300)
	helo := nasty
	tests := []Request{
		{Context: Context{Stage: StageConnect}},
		{Context: Context{Stage: StageData, Client: ClientInfo{IP: nasty, HELO: &helo, PTR: &helo}, SASL: &SASL{Login: nasty},
			TLS: &TLSInfo{Version: nasty, Cipher: nasty}, Server: ServerInfo{Name: nasty, IP: nasty}, Queue: &Queue{ID: nasty}},
			Envelope: &Envelope{From: Address{Address: nasty}, To: []Address{{Address: nasty}, {Address: ""}, {Address: nasty}}},
			Message:  &Message{Headers: []Header{{Name: nasty, Value: nasty}, {}}, Contents: []byte(nasty + "\xff\r\n"), Size: 9}},
	}
	for i, r := range tests {
		b := r.Encode()
		if len(b) > r.sizeHint() {
			t.Errorf("request %d: encoded %d bytes, over its size hint %d", i, len(b), r.sizeHint())
		}
	}
}
