package rebuild

import (
	"bytes"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator/wire"
)

// stageSets are the hook configurations every round trip is tried with.
var stageSets = []struct {
	name   string
	stages []wire.Stage
}{
	{"all", allStages},
	{"data", []wire.Stage{wire.StageData}},
	{"mail+rcpt", []wire.Stage{wire.StageMail, wire.StageRcpt}},
}

// roundTrip plays orig against a hook configured for stages, rebuilds a
// session from the requests (with the hook's answers when responses is
// set), plays that against the same hook and checks that the requests
// are the same byte for byte but the queue id, that StepOf names the
// step that made each, and that the rebuilt session marshals, parses
// back to the same script, and plays the same again.
func roundTrip(t *testing.T, orig *sessions.Session, stages []wire.Stage, answer answerFunc, responses bool) *Result {
	t.Helper()
	want, _ := play(t, orig, stages, answer)
	if len(want) == 0 {
		t.Fatalf("%s made no request: the case tests nothing", orig.Name)
	}
	in := want
	if !responses {
		in = withoutResponses(want)
	}
	res, err := Session(orig.Name, in)
	if err != nil {
		t.Fatalf("Session: %v", err)
	}
	script, merr := sessions.Marshal(res.Session)
	got, played := play(t, res.Session, stages, answer)
	if d := sameRequests(want, got); d != "" {
		t.Errorf("the rebuilt session sends other requests:\n%s\nnotes: %q\nscript:\n%s", d, res.Notes, script)
	}
	if len(res.StepOf) != len(want) {
		t.Fatalf("StepOf has %d entries for %d requests", len(res.StepOf), len(want))
	}
	if exp := stepOfPlay(played); !slices.Equal(res.StepOf, exp) {
		t.Errorf("StepOf = %v, but the replay made the requests at steps %v", res.StepOf, exp)
	}
	if merr != nil {
		t.Fatalf("Marshal: %v", merr)
	}
	back, err := sessions.Parse("rebuilt.yaml", script, nil)
	if err != nil {
		t.Fatalf("the script does not parse: %v\n%s", err, script)
	}
	again, err := sessions.Marshal(back)
	if err != nil {
		t.Fatalf("Marshal(Parse(Marshal(s))): %v", err)
	}
	if !bytes.Equal(script, again) {
		t.Errorf("the script does not parse back to the same script\n--- first\n%s--- again\n%s", script, again)
	}
	if len(back.Steps) != len(res.Session.Steps) {
		t.Errorf("parsed back with %d steps, want %d", len(back.Steps), len(res.Session.Steps))
	}
	got2, _ := play(t, back, stages, answer)
	if d := sameRequests(want, got2); d != "" {
		t.Errorf("the parsed-back script sends other requests:\n%s", d)
	}
	return res
}

// hasInvalidMessage reports a data step whose message is not UTF-8.
func hasInvalidMessage(s *sessions.Session) bool {
	for _, st := range s.Steps {
		if st.Kind.IsMessage() && st.Message != nil && !utf8.Valid(st.Message.Raw) {
			return true
		}
	}
	return false
}

func notesContain(notes []string, sub string) bool {
	return slices.ContainsFunc(notes, func(n string) bool { return strings.Contains(n, sub) })
}

// TestRoundTripBundled is the key test: every bundled session, played
// against an accepting hook for all stages, for data alone and for mail
// and rcpt alone, rebuilt from those requests with and without the
// hook's answers, plays into the same requests.
func TestRoundTripBundled(t *testing.T) {
	t.Parallel()
	all, err := sessions.Bundled()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < 10 {
		t.Fatalf("only %d bundled sessions", len(all))
	}
	for _, s := range all {
		for _, set := range stageSets {
			for _, responses := range []bool{true, false} {
				t.Run(fmt.Sprintf("%s/%s/responses=%v", s.Name, set.name, responses), func(t *testing.T) {
					t.Parallel()
					res := roundTrip(t, s, set.stages, acceptAll, responses)
					wantApprox := slices.Contains(set.stages, wire.StageData) && hasInvalidMessage(s)
					if res.Approximate != wantApprox {
						t.Errorf("Approximate = %v, want %v (notes %q)", res.Approximate, wantApprox, res.Notes)
					}
					if wantApprox && !notesContain(res.Notes, "U+FFFD") {
						t.Errorf("notes do not say the message had invalid UTF-8: %q", res.Notes)
					}
					if !notesContain(res.Notes, "HELO or EHLO") {
						t.Errorf("notes do not say HELO and EHLO look alike: %q", res.Notes)
					}
				})
			}
		}
	}
}

// mapFiles serves message files to sessions.Parse.
func mapFiles(files map[string]string) func(string) ([]byte, error) {
	return func(p string) ([]byte, error) {
		for name, data := range files {
			if strings.HasSuffix(p, name) {
				return []byte(data), nil
			}
		}
		return nil, fs.ErrNotExist
	}
}

const msgHello = "From: Alice <alice@example.net>\nTo: Bill <bill@example.org>\nSubject: Hello\n\nHello Bill.\n"

// custom are sessions the bundled ones do not cover, each with the hook
// that answers them and what the rebuild must say.
var custom = []struct {
	name   string
	script string
	files  map[string]string
	answer answerFunc
	stages [][]wire.Stage // nil: stageSets
	check  func(t *testing.T, res *Result, stages []wire.Stage)
}{
	{
		name:   "recipient-rejected",
		answer: rejectRcpt("nobody@example.org"),
		script: `
client: {ip: 203.0.113.80, port: 53100, ptr: lists.example.net}
server: {local_domains: [example.org]}
steps:
  - ehlo: lists.example.net
  - mail: calendar@lists.example.net
  - rcpt: [alice@example.org, bob@example.org, alice@example.org, nobody@example.org, carol@example.org]
  - data: m.eml
`,
		files: map[string]string{"m.eml": msgHello},
		check: func(t *testing.T, res *Result, stages []wire.Stage) {
			if !slices.Contains(stages, wire.StageRcpt) {
				return
			}
			if !slices.Equal(res.Session.Server.LocalDomains, []string{"example.org"}) {
				t.Errorf("local domains %v, want [example.org]", res.Session.Server.LocalDomains)
			}
			if n := countSteps(res.Session, sessions.StepRcpt); n != 4 {
				t.Errorf("%d rcpt steps, want 4 (the duplicate makes no request)", n)
			}
		},
	},
	{
		name:   "relay-denied",
		answer: acceptAll,
		script: `
client: {ip: 203.0.113.81, port: 53101}
server: {local_domains: [example.org]}
steps:
  - ehlo: mx.sender.example
  - mail: someone@sender.example
  - rcpt: [bill@example.org, out@elsewhere.example, carol@example.org]
  - data: m.eml
`,
		files: map[string]string{"m.eml": msgHello},
		check: func(t *testing.T, res *Result, stages []wire.Stage) {
			if slices.Contains(res.Session.Server.LocalDomains, "elsewhere.example") {
				t.Errorf("local domains %v hold the relayed domain", res.Session.Server.LocalDomains)
			}
			if slices.Contains(stages, wire.StageRcpt) && slices.Contains(stages, wire.StageData) && !notesContain(res.Notes, "out@elsewhere.example") {
				t.Errorf("notes do not name the relayed recipient: %q", res.Notes)
			}
		},
	},
	{
		name:   "helo-change-mid-transaction",
		answer: acceptAll,
		script: `
client: {ip: 203.0.113.82, port: 53102, ptr: a.example.net}
imply: false
steps:
  - connect
  - ehlo: a.example.net
  - mail: x@a.example.net
  - rcpt: y@example.org
  - ehlo: b.example.net
  - mail: x@a.example.net
  - rcpt: z@example.org
  - data: m.eml
  - ehlo: c.example.net
  - quit
`,
		files: map[string]string{"m.eml": msgHello},
		check: func(t *testing.T, res *Result, stages []wire.Stage) {
			if n := countSteps(res.Session, sessions.StepEhlo); len(stages) == len(allStages) && n != 3 {
				t.Errorf("%d ehlo steps, want 3", n)
			}
		},
	},
	{
		name:   "helo-refused",
		answer: rejectHelo("bad.example.net"),
		script: `
client: {ip: 203.0.113.83, port: 53103}
steps:
  - ehlo: good.example.net
  - ehlo: bad.example.net
  - mail: x@good.example.net
  - rcpt: y@example.org
  - data: m.eml
`,
		files:  map[string]string{"m.eml": msgHello},
		stages: [][]wire.Stage{allStages, {wire.StageEhlo, wire.StageData}},
	},
	{
		name:   "auth-port-25",
		answer: acceptAll,
		script: `
client: {ip: 198.51.100.5, port: 40000}
server: {port: 25, auth: {saslMechanisms: [plain]}, local_domains: [example.org]}
steps:
  - ehlo: laptop.example.net
  - auth: {login: john, password: pw}
  - mail: john@example.org
  - rcpt: [out@outside.example, bill@example.org]
  - data: m.eml
`,
		files: map[string]string{"m.eml": msgHello},
		check: func(t *testing.T, res *Result, stages []wire.Stage) {
			if !notesContain(res.Notes, PlaceholderPassword) {
				t.Errorf("notes do not name the placeholder password: %q", res.Notes)
			}
			if countSteps(res.Session, sessions.StepAuth) != 1 {
				t.Errorf("want one auth step")
			}
			if !slices.Equal(res.Session.Server.Auth.SaslMechanisms, []string{"plain"}) {
				t.Errorf("saslMechanisms %v, want [plain] (port 25 offers none)", res.Session.Server.Auth.SaslMechanisms)
			}
		},
	},
	{
		name:   "auth-other-senders",
		answer: acceptAll,
		script: `
client: {ip: 198.51.100.6, port: 40001, tls: {version: TLSv1.2, cipher: TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}}
server: {port: 587, local_domains: [example.org], auth: {mustMatchSender: false}}
steps:
  - ehlo: laptop.example.net
  - starttls
  - ehlo: laptop.example.net
  - auth: {login: john, password: pw}
  - mail: alice@example.org
  - rcpt: friend@example.com
  - data: m.eml
  - mail: "<>"
  - rcpt: friend@example.com
  - data: m.eml
`,
		files: map[string]string{"m.eml": msgHello},
		check: func(t *testing.T, res *Result, stages []wire.Stage) {
			if mm := res.Session.Server.Auth.MustMatchSender; mm == nil || *mm {
				t.Errorf("mustMatchSender not turned off for the null sender")
			}
		},
	},
	{
		name:   "auth-addresses",
		answer: acceptAll,
		script: `
client: {ip: 198.51.100.7, port: 40002, tls: {version: TLSv1.3, cipher: TLS13_AES_128_GCM_SHA256}}
server: {port: 587, local_domains: [example.org]}
steps:
  - ehlo: laptop.example.net
  - starttls
  - auth: {login: john, password: pw, addresses: [sales@example.org]}
  - mail: sales@example.org
  - rcpt: friend@example.com
  - data: m.eml
`,
		files: map[string]string{"m.eml": msgHello},
		check: func(t *testing.T, res *Result, stages []wire.Stage) {
			for _, st := range res.Session.Steps {
				if st.Kind == sessions.StepAuth && !slices.Contains(st.Addresses, "sales@example.org") {
					t.Errorf("auth step addresses %v lack the sender", st.Addresses)
				}
			}
		},
	},
	{
		name:   "non-fqdn-helo",
		answer: acceptAll,
		script: `
client: {ip: 192.0.2.77, port: 40003}
server: {ehlo: {rejectNonFqdn: false}}
steps:
  - ehlo: localhost
  - mail: root@localhost.example
  - rcpt: bill@example.org
  - data: m.eml
`,
		files: map[string]string{"m.eml": msgHello},
	},
	{
		name:   "messages-without-body",
		answer: acceptAll,
		script: `
client: {ip: 192.0.2.78, port: 40004}
steps:
  - ehlo: mx.example.net
  - mail: a@example.net
  - rcpt: b@example.org
  - data: {inline: "Subject: no line end"}
  - mail: a@example.net
  - rcpt: b@example.org
  - data: {inline: "Subject: no blank line\n\n"}
  - mail: a@example.net
  - rcpt: b@example.org
  - data: {inline: "Subject: a blank line\n\n\n"}
  - mail: a@example.net
  - rcpt: b@example.org
  - data: {inline: "Subject: bare LF\nFrom: a@example.net\n\nbody\n", raw: true}
`,
	},
	{
		name:   "invalid-utf8",
		answer: acceptAll,
		script: `
client: {ip: 192.0.2.79, port: 40005}
steps:
  - ehlo: mx.example.net
  - mail: a@example.net
  - rcpt: b@example.org
  - data: {file: latin.eml, raw: true}
`,
		files: map[string]string{"latin.eml": "From: a@example.net\r\nSubject: caf\xe9 cr\xe8me\r\n\r\nUn caf\xe9 \xe0\xa0 et \xf0\x90\x80 fin\xff\xfe.\r\n"},
		check: func(t *testing.T, res *Result, stages []wire.Stage) {
			if !slices.Contains(stages, wire.StageData) {
				return
			}
			if !res.Approximate || !notesContain(res.Notes, "7 replacement characters") {
				t.Errorf("Approximate %v, notes %q: want the 7 replacement characters said", res.Approximate, res.Notes)
			}
		},
	},
	{
		name:   "ptr-port-587",
		answer: acceptAll,
		script: `
client: {ip: 192.0.2.80, port: 40006, ptr: Host.Example.Net}
server: {port: 587, reverseIpVerify: relaxed, auth: {require: false}, local_domains: [example.org]}
steps:
  - ehlo: a.example.net
  - mail: x@example.net
  - rcpt: y@example.org
  - data: m.eml
  - ehlo: b.example.net
`,
		files:  map[string]string{"m.eml": msgHello},
		stages: [][]wire.Stage{allStages, {wire.StageData}, {wire.StageEhlo}},
		check: func(t *testing.T, res *Result, stages []wire.Stage) {
			if res.Session.Client.PTR != "host.example.net" || res.Session.Server.ReverseIPVerify != "relaxed" {
				t.Errorf("client.ptr %q, reverseIpVerify %q", res.Session.Client.PTR, res.Session.Server.ReverseIPVerify)
			}
		},
	},
	{
		name:   "other-server-version",
		answer: acceptAll,
		script: `
client: {ip: "2001:db8::25", port: 40007}
server: {name: Stalwart v0.15.4, ip: "2001:db8::10"}
steps:
  - ehlo: mx.example.net
  - mail: a@example.net
  - rcpt: b@example.org
  - data: m.eml
`,
		files: map[string]string{"m.eml": msgHello},
		check: func(t *testing.T, res *Result, stages []wire.Stage) {
			if res.Session.Server.Name != "Stalwart v0.15.4" {
				t.Errorf("server name %q", res.Session.Server.Name)
			}
		},
	},
	{
		name:   "connect-refused",
		answer: rejectAt("connect"),
		script: `
steps:
  - connect
  - ehlo: mx.example.net
`,
		stages: [][]wire.Stage{allStages},
	},
	{
		name:   "mail-refused",
		answer: rejectAt("mail"),
		script: `
steps:
  - ehlo: mx.example.net
  - mail: a@blocked.example
  - rcpt: b@example.org
  - mail: a@blocked.example
`,
		stages: [][]wire.Stage{allStages, {wire.StageMail}},
	},
}

// countSteps counts the steps of a kind.
func countSteps(s *sessions.Session, kind sessions.StepKind) int {
	n := 0
	for _, st := range s.Steps {
		if st.Kind == kind {
			n++
		}
	}
	return n
}

// TestRoundTripCustom round-trips the sessions the bundled ones leave
// out: a recipient the hook rejects, one refused as relaying, EHLO
// changes, AUTH on port 25, other senders of an account, messages
// without a body, invalid UTF-8, a PTR on another port, another server
// version, refusals at connect and mail.
func TestRoundTripCustom(t *testing.T) {
	t.Parallel()
	for _, c := range custom {
		orig, err := sessions.Parse(c.name+".yaml", []byte(c.script), mapFiles(c.files))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		sets := c.stages
		if sets == nil {
			for _, s := range stageSets {
				sets = append(sets, s.stages)
			}
		}
		for _, stages := range sets {
			for _, responses := range []bool{true, false} {
				t.Run(fmt.Sprintf("%s/%v/responses=%v", c.name, stages, responses), func(t *testing.T) {
					t.Parallel()
					res := roundTrip(t, orig, stages, c.answer, responses)
					if c.check != nil {
						c.check(t, res, stages)
					}
				})
			}
		}
	}
}

// TestManyMessages: more messages and recipients than Stalwart's
// defaults allow on one connection raise the rebuilt session's limits.
func TestManyMessages(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("client: {ip: 192.0.2.90, port: 40100}\nserver: {maxMessages: 20, maxRecipients: 200, local_domains: [example.org]}\nsteps:\n  - ehlo: mx.example.net\n")
	for i := range 12 {
		fmt.Fprintf(&b, "  - mail: a%d@example.net\n  - rcpt: b@example.org\n  - data: m.eml\n", i)
	}
	b.WriteString("  - mail: a@example.net\n  - rcpt: [")
	for i := range 120 {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "r%d@example.org", i)
	}
	b.WriteString("]\n  - data: m.eml\n")
	orig, err := sessions.Parse("many.yaml", []byte(b.String()), mapFiles(map[string]string{"m.eml": msgHello}))
	if err != nil {
		t.Fatal(err)
	}
	for _, stages := range [][]wire.Stage{allStages, {wire.StageData}} {
		res := roundTrip(t, orig, stages, acceptAll, false)
		if sv := res.Session.Server; sv.MaxMessages != 13 || sv.MaxRecipients != 120 {
			t.Errorf("stages %v: maxMessages %d, maxRecipients %d; want 13 and 120", stages, sv.MaxMessages, sv.MaxRecipients)
		}
	}
}
