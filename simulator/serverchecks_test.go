package simulator

import (
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator/hookconf"
)

// playYAML parses a session script and plays it against a hook called at
// every stage; it returns the result and the stages the hook saw.
func playYAML(t *testing.T, h *fakeHook, script string) (*SessionResult, []string) {
	t.Helper()
	sess, err := sessions.Parse("t.yaml", []byte(script), nil)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	res := playWith(t, []*hookconf.Hook{hookAt("h", h.srv.URL, allStages...)}, sess)
	return res, h.calls()
}

// stepReplies are the replies of every step, all lines of each.
func stepReplies(res *SessionResult) [][]string {
	var out [][]string
	for _, st := range res.Steps {
		out = append(out, st.Replies)
	}
	return out
}

func TestHasValidLabels(t *testing.T) {
	t.Parallel()
	// mail-auth's HasValidLabels (spf/verify.rs:630-653).
	tests := map[string]bool{
		"mail.example.net":                   true,
		"a..b":                               true, // empty labels are not checked
		".a":                                 true,
		"[192.0.2.1]":                        true,  // dots and digits
		"[IPv6:2001:db8::1]":                 false, // no dot
		"localhost":                          false,
		"-.-":                                false, // no letter or digit
		"_.x":                                true,
		"é.example":                          true,
		"١٢.example":                         true, // Arabic-Indic digits are numeric
		strings.Repeat("a", 63) + ".example": true,
		strings.Repeat("a", 64) + ".example": false,
		"x." + strings.Repeat("b", 64):       false,
		"":                                   false,
	}
	for name, want := range tests {
		if got := HasValidLabels(name); got != want {
			t.Errorf("HasValidLabels(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestEhloChecks: the non-FQDN check (rejectNonFqdn, default on 25 only)
// refuses before the ehlo hook; a HELO/EHLO without a name is a syntax
// error, except EHLO where rejectNonFqdn is off, answered as "EHLO null";
// LHLO is refused on an SMTP listener.
func TestEhloChecks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, server, line string
		reply              string
		ehloHook           bool
		helo               any // what the ehlo hook saw as context.client.helo
	}{
		{"localhost on 25", "{port: 25}", "EHLO localhost", ReplyInvalidEhlo, false, nil},
		{"localhost on 587", "{port: 587}", "EHLO localhost", "250 STARTTLS", true, "localhost"},
		{"rejectNonFqdn off on 25", "{port: 25, ehlo: {rejectNonFqdn: false}}", "EHLO localhost", "250 8BITMIME", true, "localhost"},
		{"rejectNonFqdn on 587", "{port: 587, ehlo: {rejectNonFqdn: true}}", "HELO localhost", ReplyInvalidEhlo, false, nil},
		{"IPv6 literal on 25", "{port: 25}", "EHLO [IPv6:2001:db8::1]", ReplyInvalidEhlo, false, nil},
		{"IPv4 literal on 25", "{port: 25}", "EHLO [192.0.2.1]", "250 8BITMIME", true, "[192.0.2.1]"},
		{"only the first word", "{port: 25}", "EHLO mail.example.net trailing words", "250 8BITMIME", true, "mail.example.net"},
		{"no name on 25", "{port: 25}", "EHLO", ReplyEhloSyntax, false, nil},
		{"two spaces on 25", "{port: 25}", "EHLO  mail.example.net", ReplyEhloSyntax, false, nil},
		{"no name on 587", "{port: 587}", "EHLO", "250 STARTTLS", true, "null"},
		{"256 bytes on 587", "{port: 587}", "EHLO " + strings.Repeat("a", 250) + ".example", "250 STARTTLS", true, "null"},
		{"256 bytes on 25", "{port: 25}", "EHLO " + strings.Repeat("a", 250) + ".example", ReplyEhloSyntax, false, nil},
		{"HELO without a name", "{port: 587}", "HELO", ReplyHeloSyntax, false, nil},
		{"LHLO", "{port: 25}", "LHLO mail.example.net", ReplyEhloExpected, false, nil},
		{"LHLO without a name", "{port: 25}", "LHLO", "501 5.5.2 Syntax error, expected: LHLO domain", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newFakeHook(t, accept)
			res, calls := playYAML(t, h, "server: "+tt.server+"\nsteps:\n  - connect\n  - raw: \""+tt.line+"\"\n  - quit\n")
			replies := res.Steps[1].Replies
			if got := replies[len(replies)-1]; got != tt.reply && !(strings.HasPrefix(tt.reply, "250") && strings.HasPrefix(got, "250")) {
				t.Errorf("reply %q, want %q", replies, tt.reply)
			}
			if len(replies) > 1 && !strings.HasPrefix(tt.reply, "250") {
				t.Errorf("replies %q, want one line", replies)
			}
			called := strings.Contains(strings.Join(calls, ","), "ehlo")
			if called != tt.ehloHook {
				t.Fatalf("ehlo hook called %v, want %v (calls %v)", called, tt.ehloHook, calls)
			}
			if called {
				var req struct {
					Context struct {
						Client struct {
							Helo any `json:"helo"`
						} `json:"client"`
					} `json:"context"`
				}
				if err := json.Unmarshal(h.requests()[1], &req); err != nil {
					t.Fatal(err)
				}
				if req.Context.Client.Helo != tt.helo {
					t.Errorf("helo %v, want %v", req.Context.Client.Helo, tt.helo)
				}
			}
		})
	}
}

// TestEhloRequire: MAIL before EHLO is refused by default; with
// ehlo.require off a submission port lets it through (the mail hook sees
// helo null), but port 25 still refuses because SPF verification of the
// HELO identity is on there by default.
func TestEhloRequire(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		server, reply string
		mailHook      bool
	}{
		{"{port: 465}", ReplyEhloFirst, false},
		{"{port: 465, ehlo: {require: false}}", ReplyMailOK, true},
		{"{port: 25, ehlo: {require: false}}", ReplyEhloFirst, false},
	} {
		h := newFakeHook(t, accept)
		res, calls := playYAML(t, h, "server: "+tt.server+"\nsteps:\n  - connect\n  - auth: john\n  - raw: \"MAIL FROM:<john@example.org>\"\n  - quit\n")
		if got := res.Steps[2].Reply(); got != tt.reply {
			t.Errorf("%s: MAIL %q, want %q (replies %q)", tt.server, got, tt.reply, replies(res))
		}
		if got := strings.Contains(strings.Join(calls, ","), "mail"); got != tt.mailHook {
			t.Errorf("%s: mail hook called %v, want %v", tt.server, got, tt.mailHook)
		}
		if tt.mailHook && !strings.Contains(string(h.requests()[1]), `"helo":null`) {
			t.Errorf("%s: mail request %s, want helo null", tt.server, h.requests()[1])
		}
	}
}

// TestSaslMechanisms: which mechanisms EHLO offers and AUTH takes, by
// port and TLS (MtaStageAuth.saslMechanisms), and the replies when the
// mechanism is not allowed.
func TestSaslMechanisms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, server, tls, auth string
		ehloAuth                string // the AUTH line of the EHLO reply, "" for none
		replies                 []string
	}{
		{"25", "{port: 25}", "", "john", "", []string{ReplyAuthNotAllowed}},
		{"587 plain text, PLAIN", "{port: 587}", "", "john", "AUTH XOAUTH2 OAUTHBEARER", []string{ReplyMechanismNotSupported}},
		{"587 plain text, XOAUTH2", "{port: 587}", "", "{login: john, mechanism: xoauth2}", "AUTH XOAUTH2 OAUTHBEARER", []string{ReplyAuthOK}},
		{"587 TLS, LOGIN", "{port: 587}", "true", "{login: john, mechanism: LOGIN}", "AUTH PLAIN LOGIN XOAUTH2 OAUTHBEARER", []string{ReplyAuthLoginUser, ReplyAuthLoginPass, ReplyAuthOK}},
		{"25 with plain and login", "{port: 25, auth: {saslMechanisms: [login, plain]}}", "", "john", "AUTH PLAIN LOGIN", []string{ReplyAuthOK}},
		{"587 TLS with none", "{port: 587, auth: {saslMechanisms: []}}", "true", "john", "", []string{ReplyAuthNotAllowed}},
		{"465 with oauthbearer only", "{port: 465, auth: {saslMechanisms: [oauthbearer]}}", "", "john", "AUTH OAUTHBEARER", []string{ReplyMechanismNotSupported}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newFakeHook(t, accept)
			steps := "  - ehlo: laptop.example.net\n"
			if tt.tls != "" && !strings.Contains(tt.server, "465") {
				steps += "  - starttls\n  - ehlo: laptop.example.net\n"
			}
			res, _ := playYAML(t, h, "server: "+tt.server+"\nsteps:\n  - connect\n"+steps+"  - auth: "+tt.auth+"\n  - quit\n")
			ehloStep := res.Steps[len(res.Steps)-3]
			gotAuth := ""
			for _, l := range ehloStep.Replies {
				if strings.HasPrefix(l[4:], "AUTH") {
					gotAuth = l[4:]
				}
			}
			if gotAuth != tt.ehloAuth {
				t.Errorf("EHLO offers %q, want %q (%q)", gotAuth, tt.ehloAuth, ehloStep.Replies)
			}
			if got := res.Steps[len(res.Steps)-2].Replies; !reflect.DeepEqual(got, tt.replies) {
				t.Errorf("AUTH %q, want %q", got, tt.replies)
			}
		})
	}
}

// TestAuthFailures: the maxFailures-th failed AUTH of a connection (3 by
// default) is answered, followed by 455 4.3.0, and the connection closes.
func TestAuthFailures(t *testing.T) {
	t.Parallel()
	bad := "  - auth: {login: john, password: x, fail: true}\n"
	for _, tt := range []struct {
		server string
		want   [][]string
	}{
		{"{port: 587}", [][]string{{ReplyAuthFailed}, {ReplyAuthFailed}, {ReplyAuthFailed, ReplyTooManyAuthErrors}, nil}},
		{"{port: 587, auth: {maxFailures: 1}}", [][]string{{ReplyAuthFailed, ReplyTooManyAuthErrors}, nil, nil, nil}},
	} {
		h := newFakeHook(t, accept)
		res, _ := playYAML(t, h, "server: "+tt.server+"\nclient: {tls: true}\nsteps:\n  - connect\n  - ehlo: laptop.example.net\n  - starttls\n"+bad+bad+bad+"  - auth: john\n")
		got := stepReplies(res)[3:7]
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: AUTH replies %q, want %q", tt.server, got, tt.want)
		}
		last := res.Steps[len(res.Steps)-1]
		if !last.NotSent {
			t.Errorf("%s: the step after the closing failure was sent", tt.server)
		}
	}
}

// TestMustMatchSender: an authenticated client may send only from its
// login or its account's addresses; the check runs after the mail hook
// and drops the sender (mail.rs:233-272).
func TestMustMatchSender(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, server, auth, from string
		reply                    string
	}{
		{"own address", "{port: 587}", "john", "John@Example.org", ReplyMailOK},
		{"another account's", "{port: 587}", "john", "ceo@example.org", ReplyNotAllowedSender},
		{"null sender", "{port: 587}", "john", "<>", ReplyNotAllowedSender},
		{"the login itself", "{port: 587}", "john@example.org", "john@example.org", ReplyMailOK},
		{"listed address", "{port: 587}", "{login: john, addresses: [sales@example.org]}", "sales@example.org", ReplyMailOK},
		{"listed addresses only", "{port: 587}", "{login: john, addresses: [sales@example.org]}", "john@example.org", ReplyNotAllowedSender},
		{"check off", "{port: 587, auth: {mustMatchSender: false}}", "john", "ceo@example.org", ReplyMailOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newFakeHook(t, accept)
			res, calls := playYAML(t, h, "server: "+tt.server+"\nclient: {tls: true}\nsteps:\n  - connect\n  - ehlo: laptop.example.net\n  - starttls\n  - auth: "+tt.auth+
				"\n  - mail: \""+tt.from+"\"\n  - rcpt: friend@example.com\n  - quit\n")
			if got := res.Steps[4].Reply(); got != tt.reply {
				t.Fatalf("MAIL %q, want %q", got, tt.reply)
			}
			if !strings.Contains(strings.Join(calls, ","), "mail") {
				t.Errorf("the mail hook was not called (calls %v): the check comes after it", calls)
			}
			wantRcpt := ReplyRcptOK
			if tt.reply != ReplyMailOK {
				wantRcpt = ReplyMailFirst
			}
			if got := res.Steps[5].Reply(); got != wantRcpt {
				t.Errorf("RCPT after it %q, want %q", got, wantRcpt)
			}
		})
	}
}

// TestRcptMaxFailures: rcpt.maxFailures sets how many failed RCPTs a
// connection may have before the disconnecting reply.
func TestRcptMaxFailures(t *testing.T) {
	t.Parallel()
	h := newFakeHook(t, accept)
	res, _ := playYAML(t, h, "server: {local_domains: [example.org], rcpt: {maxFailures: 2}}\nsteps:\n  - mail: a@example.net\n  - rcpt: x@elsewhere.example\n  - rcpt: y@elsewhere.example\n  - rcpt: b@example.org\n")
	want := []string{ReplyRelayDenied, ReplyTooManyRcptErrors, ""}
	got := []string{res.Steps[3].Reply(), res.Steps[4].Reply(), res.Steps[5].Reply()}
	if !reflect.DeepEqual(got, want) || !res.Steps[5].NotSent {
		t.Errorf("replies %q, want %q (then closed)", got, want)
	}
}

// TestRawAuth: a raw AUTH line goes through the same checks as an auth
// step; a PLAIN, XOAUTH2 or OAUTHBEARER initial response authenticates.
func TestRawAuth(t *testing.T) {
	t.Parallel()
	b64 := base64.StdEncoding.EncodeToString
	tests := []struct {
		line    string
		replies []string
		as      string // the login MAIL then runs as ("" if not authenticated)
	}{
		{"AUTH PLAIN " + b64([]byte("\x00john\x00s3cret")), []string{ReplyAuthOK}, "john"},
		{"AUTH XOAUTH2 " + b64([]byte("user=john@example.org\x01auth=Bearer tok\x01\x01")), []string{ReplyAuthOK}, "john@example.org"},
		{"AUTH OAUTHBEARER " + b64([]byte("n,a=john,\x01auth=Bearer tok\x01\x01")), []string{ReplyAuthOK}, "john"},
		{"AUTH PLAIN " + b64([]byte("\x00john\x00s3cret\x00extra")), []string{ReplyAuthOK}, "john"}, // fields after the password are ignored
		{"AUTH\tPLAIN " + b64([]byte("\x00john\x00s3cret")), []string{ReplyAuthOK}, "john"},         // any whitespace after the verb
		{"AUTH \tPLAIN", []string{ReplyAuthSyntax}, ""},                                             // no mechanism right after the separator
		{"AUTH PLAIN not-base64!", []string{ReplyInvalidChallenge}, ""},
		{"AUTH PLAIN " + b64([]byte("john")), []string{ReplyInvalidChallenge}, ""},
		{"AUTH", []string{ReplyAuthSyntax}, ""},
		{"AUTH CRAM-MD5", []string{ReplyMechanismNotSupported}, ""},
		{"AUTH FOO", []string{ReplyMechanismNotSupported}, ""},
	}
	for _, tt := range tests {
		h := newFakeHook(t, accept)
		res, _ := playYAML(t, h, "server: {port: 465}\nsteps:\n  - connect\n  - ehlo: laptop.example.net\n  - raw: \""+tt.line+"\"\n  - raw: \"MAIL FROM:<john@example.org>\"\n  - quit\n")
		if got := res.Steps[2].Replies; !reflect.DeepEqual(got, tt.replies) {
			t.Errorf("%s: %q, want %q", tt.line, got, tt.replies)
		}
		wantMail := ReplyAuthFirst
		if tt.as != "" {
			wantMail = ReplyMailOK
		}
		if got := res.Steps[3].Reply(); got != wantMail {
			t.Errorf("%s: MAIL %q, want %q", tt.line, got, wantMail)
		}
	}
}

// TestEhloFollowsExtensions: the EHLO reply lists what server.extensions
// turns on or off, with its limits, whether or not the client
// authenticated.
func TestEhloFollowsExtensions(t *testing.T) {
	t.Parallel()
	h := newFakeHook(t, accept)
	res, _ := playYAML(t, h, "server: {port: 25, extensions: {dsn: true, requireTls: false, mtPriority: nsep, deliverBy: 1h, futureRelease: 2h}}\nsteps:\n  - connect\n  - ehlo: mail.example.net\n  - quit\n")
	// playWith's clock: 2026-11-25T12:00:00Z = 1795608000.
	want := []string{"250-mx.example.org you had me at EHLO", "250-STARTTLS", "250-SMTPUTF8", "250-SIZE 104857600", "250-PIPELINING", "250-NO-SOLICITING",
		"250-MT-PRIORITY NSEP", "250-FUTURERELEASE 7200 1795615200", "250-ENHANCEDSTATUSCODES", "250-DSN", "250-DELIVERBY 3600", "250-CHUNKING", "250-BINARYMIME", "250 8BITMIME"}
	if got := res.Steps[1].Replies; !reflect.DeepEqual(got, want) {
		t.Errorf("EHLO\n got %q\nwant %q", got, want)
	}
	res, _ = playYAML(t, h, "server: {port: 465, extensions: {dsn: false, deliverBy: false, mtPriority: false, futureRelease: false}}\nsteps:\n  - connect\n  - auth: {login: john, addresses: [john@example.org]}\n  - ehlo: laptop.example.net\n  - quit\n")
	want = []string{"250-mx.example.org you had me at EHLO", "250-VRFY", "250-EXPN", "250-SMTPUTF8", "250-SIZE 104857600", "250-REQUIRETLS", "250-PIPELINING", "250-NO-SOLICITING",
		"250-ENHANCEDSTATUSCODES", "250-CHUNKING", "250-BINARYMIME", "250 8BITMIME"}
	if got := res.Steps[2].Replies; !reflect.DeepEqual(got, want) {
		t.Errorf("EHLO after AUTH\n got %q\nwant %q", got, want)
	}
	// Limits under a second (a number without a unit is milliseconds) are
	// 0 seconds: smtp-proto writes a bare DELIVERBY and FUTURERELEASE 0.
	res, _ = playYAML(t, h, "server: {port: 25, extensions: {deliverBy: 500, futureRelease: 999ms}}\nsteps:\n  - connect\n  - ehlo: mail.example.net\n  - quit\n")
	got := strings.Join(res.Steps[1].Replies, "|")
	if !strings.Contains(got, "|250-FUTURERELEASE 0 1795608000|") || !strings.Contains(got, "|250-DELIVERBY|") {
		t.Errorf("EHLO with limits under a second: %q", res.Steps[1].Replies)
	}
}

// TestRawLinesThatNeedMore: a raw DATA, BDAT n or open AUTH leaves the
// server waiting for data a raw step cannot send: the step fails saying
// so and the rest of the connection is not sent (a new connect plays
// again); BDAT 0 is played; a malformed BDAT gets the syntax reply.
func TestRawLinesThatNeedMore(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, server, line string
		replies            []string
		stops              bool
	}{
		{"DATA", "{port: 25}", "DATA", []string{ReplyDataGo}, true},
		{"BDAT with data", "{port: 25}", "BDAT 10 LAST", nil, true},
		{"BDAT 0", "{port: 25}", "BDAT 0", []string{ReplyChunkOK}, false},
		{"BDAT 0 LAST", "{port: 25}", "BDAT 0 last", []string{ReplyParseFailed}, false},
		{"BDAT syntax", "{port: 25}", "BDAT x", []string{ReplyBdatSyntax}, false},
		// smtp-proto skips to the end of the line after LAST (parser.rs, BDAT: seek_lf).
		{"BDAT extra word", "{port: 25}", "BDAT 0 LAST now", []string{ReplyParseFailed}, false},
		{"BDAT other word", "{port: 25}", "BDAT 0 NOW", []string{ReplyBdatSyntax}, false},
		{"AUTH LOGIN", "{port: 465}", "AUTH LOGIN", []string{ReplyAuthLoginUser}, true},
		{"AUTH LOGIN with the user", "{port: 465}", "AUTH LOGIN am9obg==", []string{ReplyAuthLoginPass}, true},
		{"AUTH PLAIN without a response", "{port: 465}", "AUTH PLAIN", []string{"334 "}, true},
		{"AUTH PLAIN, two spaces", "{port: 465}", "AUTH PLAIN  AGpvaG4Ac2VjcmV0", []string{"334 "}, true}, // the response read is empty
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newFakeHook(t, accept)
			auth := ""
			if strings.Contains(tt.server, "465") {
				auth = "  - auth: {login: john, mechanism: xoauth2}\n"
			}
			if strings.HasPrefix(tt.line, "AUTH") {
				auth = ""
			}
			script := "server: " + tt.server + "\nsteps:\n  - connect\n  - ehlo: mail.example.net\n" + auth
			if !strings.HasPrefix(tt.line, "AUTH") {
				script += "  - mail: john@example.org\n  - rcpt: bill@example.org\n"
			}
			script += "  - raw: \"" + tt.line + "\"\n  - noop\n  - connect\n  - noop\n"
			res, _ := playYAML(t, h, script)
			n := len(res.Steps)
			raw, next, again := res.Steps[n-5], res.Steps[n-4], res.Steps[n-2]
			if !reflect.DeepEqual(raw.Replies, tt.replies) {
				t.Errorf("replies %q, want %q", raw.Replies, tt.replies)
			}
			if got := len(raw.Failures) > 0 && next.NotSent; got != tt.stops {
				t.Errorf("stops %v (failures %q, next not sent %v), want %v", got, raw.Failures, next.NotSent, tt.stops)
			}
			if !tt.stops && (len(raw.Failures) > 0 || next.Reply() != ReplyOK) {
				t.Errorf("failures %q, next %q", raw.Failures, next.Reply())
			}
			if again.NotSent || again.Reply() != ReplyOK {
				t.Errorf("after a new connect: not sent %v, reply %q", again.NotSent, again.Reply())
			}
		})
	}
}

// TestRawVerbs: raw lines are read as smtp-proto reads a command: leading
// spaces skipped, any ASCII whitespace after the verb, the syntax error
// of a verb that needs an argument, 500 for a verb run into other text.
func TestRawVerbs(t *testing.T) {
	t.Parallel()
	tests := []struct{ line, reply string }{
		{"EHLO\tmail.example.net", "250 8BITMIME"},
		{"  ehlo mail.example.net", "250 8BITMIME"},
		{"EHLO\fmail.example.net", "250 8BITMIME"},
		{"RSET\tx", ReplyOK},
		{"NOOP", ReplyOK},
		{"NOOPX", ReplyInvalidCommand},
		{"NOOP:", ReplyInvalidCommand},
		{"VRFY", "501 5.5.2 Syntax error, expected: VRFY string"},
		{"VRFY   ", "501 5.5.2 Syntax error, expected: VRFY string"},
		{"VRFY bob", ReplyVrfyDisabled},
		{"EXPN", "501 5.5.2 Syntax error, expected: EXPN string"},
		{"ETRN", "501 5.5.2 Syntax error, expected: ETRN name"},
		{"ETRN example.org", ReplyNotImplemented},
		{"ATRN", "501 5.5.2 Syntax error, expected: ATRN domain[,domain]"},
		{"BURL", "501 5.5.2 Syntax error, expected: BURL absolute-uri [LAST]"},
		{"BDAT", ReplyBdatSyntax},
		{"BDAT 0 LAST", ReplyMailFirst},
		{"HELP me", ReplyHelp},
		{"QUIT\t", ReplyBye},
	}
	for _, tt := range tests {
		h := newFakeHook(t, accept)
		yamlLine := strings.NewReplacer("\t", `\t`, "\f", `\f`).Replace(tt.line)
		res, _ := playYAML(t, h, "steps:\n  - connect\n  - raw: \""+yamlLine+"\"\n")
		if got := res.Steps[1].Reply(); got != tt.reply {
			t.Errorf("%q: %q, want %q", tt.line, got, tt.reply)
		}
	}
}

// TestEnvelopeLowercase: the hook sees MAIL and RCPT addresses as
// Stalwart's address_lcase (to_lowercase_address(true)): Rust's
// per-character lower case and an IDNA domain, so the same mailbox
// written with a Unicode and an ASCII domain is one recipient.
func TestEnvelopeLowercase(t *testing.T) {
	t.Parallel()
	h := newFakeHook(t, accept)
	res, calls := playYAML(t, h, "server: {local_domains: [xn--bcher-kva.example]}\nsteps:\n  - connect\n  - ehlo: mail.example.net\n  - raw: \"MAIL FROM:<İnfo@Bücher.example>\"\n  - raw: \"RCPT TO:<x@Bücher.example>\"\n  - raw: \"RCPT TO:<x@xn--bcher-kva.example>\"\n")
	if got := strings.Join(calls, ","); got != "connect,ehlo,mail,rcpt" {
		t.Errorf("hook calls %s: the second RCPT is a duplicate (no call)", got)
	}
	if got := res.Steps[4].Reply(); got != ReplyRcptOK {
		t.Errorf("duplicate RCPT: %q", got)
	}
	reqs := h.requests()
	var req struct {
		Envelope struct {
			From struct{ Address string }   `json:"from"`
			To   []struct{ Address string } `json:"to"`
		} `json:"envelope"`
	}
	if err := json.Unmarshal(reqs[3], &req); err != nil {
		t.Fatal(err)
	}
	if req.Envelope.From.Address != "i\u0307nfo@xn--bcher-kva.example" || len(req.Envelope.To) != 1 || req.Envelope.To[0].Address != "x@xn--bcher-kva.example" {
		t.Errorf("envelope %+v", req.Envelope)
	}
}

// TestAuthLongLines: the line limit applies to the line each mechanism
// sends: PLAIN's and XOAUTH2's initial responses on the AUTH line
// (554 5.3.4, not an AUTH failure), LOGIN's user name and password on
// SASL lines of their own (500 5.5.6, an AUTH failure).
func TestAuthLongLines(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("p", 3100) // 4136 bytes in base64
	tests := []struct {
		mech    string
		replies []string
	}{
		{"plain", []string{ReplyLineTooLong}},
		{"xoauth2", []string{ReplyLineTooLong}},
		{"login", []string{ReplyAuthLoginUser, ReplyAuthLoginPass, ReplySaslLineTooLong}},
	}
	for _, tt := range tests {
		h := newFakeHook(t, accept)
		res, _ := playYAML(t, h, "server: {port: 465}\nsteps:\n  - connect\n  - ehlo: laptop.example.net\n  - auth: {login: john, password: "+long+", mechanism: "+tt.mech+"}\n  - auth: {login: john, password: short, mechanism: "+tt.mech+"}\n")
		if got := res.Steps[2].Replies; !reflect.DeepEqual(got, tt.replies) {
			t.Errorf("%s: %q, want %q", tt.mech, got, tt.replies)
		}
		if got := res.Steps[3].Reply(); got != ReplyAuthOK {
			t.Errorf("%s: the next AUTH: %q", tt.mech, got)
		}
	}
}
