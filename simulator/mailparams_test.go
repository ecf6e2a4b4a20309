package simulator

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator/hookconf"
)

// Steps with parameters, raw lines and credentials.
func mailWith(addr, params string) sessions.Step {
	return sessions.Step{Kind: sessions.StepMail, Arg: addr, Params: params}
}
func rcptWith(addr, params string) sessions.Step {
	return sessions.Step{Kind: sessions.StepRcpt, Arg: addr, Params: params}
}
func raw(line string) sessions.Step { return sessions.Step{Kind: sessions.StepRaw, Arg: line} }
func authAs(login string) sessions.Step {
	return sessions.Step{Kind: sessions.StepAuth, Login: login, Password: "secret"}
}

const paramsMessage = "From: a@example.org\r\nTo: b@example.org\r\nSubject: x\r\n\r\nhi\r\n"

// playCounting plays s against a hook at every stage and returns the
// result and how many times the hook was called at each stage.
func playCounting(t *testing.T, s *sessions.Session) (*SessionResult, map[string]int) {
	t.Helper()
	hook := newFakeHook(t, accept)
	res := playWith(t, []*hookconf.Hook{hookAt("h", hook.srv.URL, allStages...)}, s)
	n := map[string]int{}
	for _, c := range hook.calls() {
		n[c]++
	}
	return res, n
}

// queued returns the envelope of each message queued in res.
func queued(res *SessionResult) []string {
	var out []string
	for _, tx := range res.Transactions {
		if tx.Delivered {
			from := "<nil>"
			if tx.EnvelopeOut.From != nil {
				from = *tx.EnvelopeOut.From
			}
			out = append(out, from+" -> "+strings.Join(tx.EnvelopeOut.To, ","))
		}
	}
	return out
}

// submission turns s into an authenticated session on port 465 (implicit
// TLS): AUTH right after the EHLO. Stalwart's dsn, deliverBy, mtPriority
// and futureRelease are on by default only there.
func submission(s *sessions.Session) *sessions.Session {
	s.Server.Port = 465
	s.Client.TLS = &sessions.TLS{Version: "TLSv1.3", Cipher: "TLS13_AES_256_GCM_SHA384", Implicit: true}
	var steps []sessions.Step
	for _, st := range s.Steps {
		steps = append(steps, st)
		if st.Kind == sessions.StepEhlo {
			steps = append(steps, authAs("john"))
		}
	}
	s.Steps = steps
	return s
}

// TestMailParamSyntax: a MAIL line smtp-proto refuses is answered before
// any handler: no mail hook call, no sender (RCPT and DATA get 503),
// nothing queued; not even the EHLO-first check comes before it; and
// during a transaction the sender stays.
func TestMailParamSyntax(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		mail sessions.Step
		want string
	}{
		{"known parameter, bad value", mailWith("a@example.org", "SIZE=abc"), `501 5.5.4 Invalid parameter "SIZE".`},
		{"unknown parameter", mailWith("a@example.org", "FOO=bar"), `504 5.5.4 Unsupported parameter "FOO=BAR".`},
		{"keyword without its value", mailWith("a@example.org", "BODY"), `504 5.5.4 Unsupported parameter "BODY".`},
		{"ENVID too long", mailWith("a@example.org", "ENVID="+strings.Repeat("x", 101)), `501 5.5.4 Invalid parameter "ENVID".`},
		{"garbage after the path", raw("MAIL FROM:<a@example.org>>"), "501 5.5.2 Syntax error, expected: MAIL FROM:<reverse-path> [parameters]"},
		{"address literal", mailWith("a@[192.0.2.1]", ""), "501 5.1.8 Bad sender's system address."},
		{"raw, lower case", raw("mail from:<a@example.org> size=1x"), `501 5.5.4 Invalid parameter "SIZE".`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := script(connect(), ehlo("mail.example.net"), tt.mail, rcptTo("b@example.org"), data(paramsMessage), quit())
			res, calls := playCounting(t, s)
			want := []string{tt.want, ReplyMailFirst, ReplyMailFirst}
			if got := replies(res)[2:5]; !reflect.DeepEqual(got, want) {
				t.Errorf("replies %q, want %q", got, want)
			}
			if calls["mail"] != 0 || calls["rcpt"] != 0 || calls["data"] != 0 {
				t.Errorf("hook calls %v, want none after EHLO", calls)
			}
			if q := queued(res); len(q) != 0 {
				t.Errorf("queued %v", q)
			}
		})
	}
	t.Run("before EHLO", func(t *testing.T) {
		t.Parallel()
		s := script(connect(), raw("MAIL FROM:<a@example.org> SIZE=x"), raw("MAIL FROM:<a@example.org> SIZE=1"), quit())
		res, _ := playCounting(t, s)
		want := []string{`501 5.5.4 Invalid parameter "SIZE".`, ReplyEhloFirst}
		if got := replies(res)[1:3]; !reflect.DeepEqual(got, want) {
			t.Errorf("replies %q, want %q", got, want)
		}
	})
	t.Run("during a transaction", func(t *testing.T) {
		t.Parallel()
		s := script(connect(), ehlo("mail.example.net"), mailFrom("a@example.org"), mailWith("c@example.org", "X=1"),
			rcptTo("b@example.org"), data(paramsMessage), quit())
		res, calls := playCounting(t, s)
		want := []string{ReplyMailOK, `504 5.5.4 Unsupported parameter "X=1".`, ReplyRcptOK}
		if got := replies(res)[2:5]; !reflect.DeepEqual(got, want) {
			t.Errorf("replies %q, want %q", got, want)
		}
		if calls["mail"] != 1 {
			t.Errorf("mail hook calls %d, want 1", calls["mail"])
		}
		if q := queued(res); !reflect.DeepEqual(q, []string{"a@example.org -> b@example.org"}) {
			t.Errorf("queued %v", q)
		}
	})
}

// TestMailExtensionChecks: the parameters Stalwart checks after the mail
// hook (mail.rs:274-464), with its defaults (on only when authenticated;
// requireTls on) and with server.extensions: the hook is called once
// whatever the outcome; a refusal leaves no sender (the next RCPT gets
// 503) and nothing is queued; an accepted MAIL goes on to queue.
func TestMailExtensionChecks(t *testing.T) {
	t.Parallel()
	yes, no := true, false
	hour, off := time.Hour, time.Duration(0)
	mixer, none := "mixer", ""
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC).Unix() // playWith's clock
	tests := []struct {
		name   string
		params string
		ext    sessions.Extensions
		authed bool
		want   string // "" is 250 2.1.0 OK
	}{
		{"ENVID, DSN off by default", "ENVID=abc", sessions.Extensions{}, false, "501 5.5.4 DSN extension has been disabled."},
		{"ENVID, authenticated", "ENVID=abc", sessions.Extensions{}, true, ""},
		{"ENVID, dsn: true", "ENVID=abc", sessions.Extensions{DSN: &yes}, false, ""},
		{"ENVID, authenticated, dsn: false", "ENVID=abc", sessions.Extensions{DSN: &no}, true, "501 5.5.4 DSN extension has been disabled."},
		{"RET without ENVID needs no DSN", "RET=FULL", sessions.Extensions{}, false, ""},
		{"REQUIRETLS, on by default", "REQUIRETLS", sessions.Extensions{}, false, ""},
		{"REQUIRETLS, requireTls: false", "REQUIRETLS", sessions.Extensions{RequireTLS: &no}, true, "501 5.5.4 REQUIRETLS has been disabled."},
		{"BY, off by default", "BY=60;R", sessions.Extensions{}, false, "501 5.5.4 DELIVERBY extension has been disabled."},
		{"BY, authenticated (15d)", "BY=1296000;R", sessions.Extensions{}, true, ""},
		{"BY, authenticated, over 15d", "BY=1296001;R", sessions.Extensions{}, true, "501 5.5.4 BY parameter exceeds maximum of 1296000 seconds."},
		{"BY, deliverBy: 1h, over", "BY=7200;R", sessions.Extensions{DeliverBy: &hour}, false, "501 5.5.4 BY parameter exceeds maximum of 3600 seconds."},
		{"BY=0 with R", "BY=0;R", sessions.Extensions{DeliverBy: &hour}, false, "501 5.5.4 BY parameter exceeds maximum of 3600 seconds."},
		{"BY negative with N", "BY=-10;N", sessions.Extensions{DeliverBy: &hour}, false, ""},
		{"BY, deliverBy: false", "BY=10;N", sessions.Extensions{DeliverBy: &off}, true, "501 5.5.4 DELIVERBY extension has been disabled."},
		{"MT-PRIORITY, off by default", "MT-PRIORITY=3", sessions.Extensions{}, false, "501 5.5.4 MT-PRIORITY extension has been disabled."},
		{"MT-PRIORITY=0 is never checked", "MT-PRIORITY=0", sessions.Extensions{}, false, ""},
		{"MT-PRIORITY, mixer", "MT-PRIORITY=-6", sessions.Extensions{MtPriority: &mixer}, false, ""},
		{"MT-PRIORITY out of range", "MT-PRIORITY=6", sessions.Extensions{MtPriority: &mixer}, false, "501 5.5.4 Invalid priority value."},
		{"MT-PRIORITY, mtPriority: false", "MT-PRIORITY=1", sessions.Extensions{MtPriority: &none}, true, "501 5.5.4 MT-PRIORITY extension has been disabled."},
		{"HOLDFOR, off by default", "HOLDFOR=60", sessions.Extensions{}, false, "501 5.5.4 FUTURERELEASE extension has been disabled."},
		{"HOLDFOR and HOLDUNTIL, before the setting", "HOLDFOR=60 HOLDUNTIL=1", sessions.Extensions{}, false, "501 5.5.4 Only one of HOLDFOR or HOLDUNTIL may be specified."},
		{"HOLDFOR, authenticated (7d)", "HOLDFOR=604800", sessions.Extensions{}, true, ""},
		{"HOLDFOR over", "HOLDFOR=7200", sessions.Extensions{FutureRelease: &hour}, false, "501 5.5.4 Requested hold time exceeds maximum of 3600 seconds."},
		{"HOLDUNTIL now", fmt.Sprintf("HOLDUNTIL=%d", now), sessions.Extensions{FutureRelease: &hour}, false, "501 5.5.4 HOLDUNTIL must be a date and time in the future."},
		{"HOLDUNTIL over", fmt.Sprintf("HOLDUNTIL=%d", now+7200), sessions.Extensions{FutureRelease: &hour}, false, "501 5.5.4 Requested release time exceeds maximum of 2026-11-25T13:00:00Z."},
		{"HOLDUNTIL within", fmt.Sprintf("HOLDUNTIL=%d", now+3600), sessions.Extensions{FutureRelease: &hour}, false, ""},
		{"REQUIRETLS is checked first", "ENVID=x BY=1;R REQUIRETLS", sessions.Extensions{RequireTLS: &no}, false, "501 5.5.4 REQUIRETLS has been disabled."},
		{"SIZE before HOLDFOR and ENVID", "ENVID=x HOLDFOR=1 SIZE=104857601", sessions.Extensions{}, false, "552 5.3.4 Message too big for system."},
		{"HOLDFOR before ENVID", "ENVID=x HOLDFOR=1", sessions.Extensions{}, false, "501 5.5.4 FUTURERELEASE extension has been disabled."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := script(connect(), ehlo("mail.example.net"), mailWith("john@example.org", tt.params), rcptTo("b@example.org"), data(paramsMessage), quit())
			at := 2
			if tt.authed {
				s, at = submission(s), 3
			}
			s.Server.Extensions = tt.ext
			res, calls := playCounting(t, s)
			got := replies(res)[at : at+3]
			want := []string{tt.want, ReplyMailFirst, ReplyMailFirst}
			wantQueued := 0
			if tt.want == "" {
				want = []string{ReplyMailOK, ReplyRcptOK, got[2]}
				wantQueued = 1
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("replies %q, want %q", got, want)
			}
			if calls["mail"] != 1 {
				t.Errorf("mail hook calls %d, want 1 (the parameters are checked after it)", calls["mail"])
			}
			if q := queued(res); len(q) != wantQueued {
				t.Errorf("queued %v, want %d message(s)", q, wantQueued)
			}
		})
	}
}

// TestRcptDSN: NOTIFY= and ORCPT= while DSN is off are refused before the
// duplicate check and the rcpt hook (rcpt.rs:60-70): no hook call, the
// recipient is not added, the refusal does not count as a failed RCPT,
// and the message goes to the others.
func TestRcptDSN(t *testing.T) {
	t.Parallel()
	const refused = "501 5.5.4 DSN extension has been disabled."
	s := script(connect(), ehlo("mail.example.net"), mailFrom("a@example.org"),
		rcptWith("b@example.org", "NOTIFY=SUCCESS,FAILURE"), rcptTo("c@example.org"),
		rcptWith("c@example.org", "NOTIFY=NEVER"), // not the duplicate's 250: DSN comes first
		rcptWith("d@example.org", "ORCPT=rfc822;d+40example.org"),
		rcptWith("e@example.org", "NOTIFY=DELAY"), rcptWith("f@example.org", "NOTIFY=DELAY"),
		rcptWith("g@example.org", "NOTIFY=DELAY"), // a 5th refusal: no disconnection
		rcptWith("h@example.org", "CONNEG"),
		data(paramsMessage), quit())
	res, calls := playCounting(t, s)
	want := []string{refused, ReplyRcptOK, refused, refused, refused, refused, refused, ReplyRcptOK}
	if got := replies(res)[3:11]; !reflect.DeepEqual(got, want) {
		t.Errorf("replies %q, want %q", got, want)
	}
	if calls["rcpt"] != 2 {
		t.Errorf("rcpt hook calls %d, want 2 (c and h)", calls["rcpt"])
	}
	if q := queued(res); !reflect.DeepEqual(q, []string{"a@example.org -> c@example.org,h@example.org"}) {
		t.Errorf("queued %v", q)
	}

	t.Run("dsn on", func(t *testing.T) {
		t.Parallel()
		yes := true
		s := script(connect(), ehlo("mail.example.net"), mailFrom("a@example.org"),
			rcptWith("b@example.org", "NOTIFY=SUCCESS ORCPT=rfc822;b+40example.org"), data(paramsMessage), quit())
		s.Server.Extensions.DSN = &yes
		res, calls := playCounting(t, s)
		if got := res.Steps[3].Reply(); got != ReplyRcptOK || calls["rcpt"] != 1 {
			t.Errorf("RCPT %q, rcpt hook calls %d", got, calls["rcpt"])
		}
		if q := queued(res); !reflect.DeepEqual(q, []string{"a@example.org -> b@example.org"}) {
			t.Errorf("queued %v", q)
		}
	})
	t.Run("authenticated", func(t *testing.T) {
		t.Parallel()
		s := submission(script(connect(), ehlo("mail.example.net"), mailFrom("john@example.org"),
			rcptWith("b@example.org", "NOTIFY=NEVER"), quit()))
		res, _ := playCounting(t, s)
		if got := res.Steps[4].Reply(); got != ReplyRcptOK {
			t.Errorf("RCPT %q, want %q", got, ReplyRcptOK)
		}
	})
	t.Run("a bad NOTIFY is a parse error", func(t *testing.T) {
		t.Parallel()
		s := script(connect(), ehlo("mail.example.net"), mailFrom("a@example.org"), rcptWith("b@example.org", "NOTIFY=SUCCESS,NEVER"), quit())
		res, calls := playCounting(t, s)
		if got := res.Steps[3].Reply(); got != `501 5.5.4 Invalid parameter "NOTIFY".` || calls["rcpt"] != 0 {
			t.Errorf("RCPT %q, rcpt hook calls %d", got, calls["rcpt"])
		}
	})
}

// TestPriorityVariable: a valid MT-PRIORITY is kept from the MAIL check
// on, even when a later check refuses that MAIL, until a reset; an enable
// expression sees it as `priority` (mail.rs:341, session.rs:485-494).
func TestPriorityVariable(t *testing.T) {
	t.Parallel()
	hook := newFakeHook(t, accept)
	h := hookAt("p", hook.srv.URL, allStages...)
	var err error
	if h.Enable, err = hookconf.ParseExpression("priority == 3"); err != nil {
		t.Fatal(err)
	}
	s := submission(script(connect(), ehlo("mail.example.net"),
		mailWith("john@example.org", "MT-PRIORITY=3"), rcptTo("b@example.org"), rset(), // 1: rcpt with priority 3
		mailFrom("john@example.org"), rcptTo("b@example.org"), rset(), // 2: none
		mailWith("john@example.org", "MT-PRIORITY=3 SIZE=104857601"),   // refused, priority kept
		mailFrom("john@example.org"), rcptTo("b@example.org"), quit())) // 3: rcpt with priority 3
	res := playWith(t, []*hookconf.Hook{h}, s)
	if got := res.Steps[9].Reply(); got != ReplyTooBig {
		t.Fatalf("MAIL with SIZE over the limit: %q", got)
	}
	// The mail hook runs before the priority is set: it never sees 3.
	want := []string{"rcpt", "mail", "rcpt"}
	if got := hook.calls(); !reflect.DeepEqual(got, want) {
		t.Errorf("hook called at %v, want %v", got, want)
	}
}

// TestLineTooLong: a command line with 4096 bytes or more before its LF
// (so 4095 before the CRLF) is answered 554 5.3.4 whatever it is, with no
// hook call and no effect; the connection stays open. One byte shorter
// is parsed as usual.
func TestLineTooLong(t *testing.T) {
	t.Parallel()
	const tooLong = "554 5.3.4 Line is too long."
	pad := func(prefix string, n int) string { return prefix + strings.Repeat("x", n-len(prefix)) }
	t.Run("boundary", func(t *testing.T) {
		t.Parallel()
		s := script(connect(), raw(pad("NOOP ", 4094)), raw(pad("NOOP ", 4095)), raw(pad("NOOP ", 9000)), raw("NOOP"), quit())
		res, _ := playCounting(t, s)
		want := []string{ReplyOK, tooLong, tooLong, ReplyOK}
		if got := replies(res)[1:5]; !reflect.DeepEqual(got, want) {
			t.Errorf("replies %q, want %q", got, want)
		}
	})
	t.Run("mail step with long parameters", func(t *testing.T) {
		t.Parallel()
		long := mailWith("a@example.org", strings.TrimPrefix(pad("MAIL FROM:<a@example.org> ENVID=", 4095), "MAIL FROM:<a@example.org> "))
		if n := len(wireLine(&long)); n != 4095 {
			t.Fatalf("the MAIL line has %d bytes, want 4095", n)
		}
		s := script(connect(), ehlo("mail.example.net"), long, rcptTo("b@example.org"), quit())
		res, calls := playCounting(t, s)
		want := []string{tooLong, ReplyMailFirst}
		if got := replies(res)[2:4]; !reflect.DeepEqual(got, want) || calls["mail"] != 0 {
			t.Errorf("replies %q (want %q), mail hook calls %d", got, want, calls["mail"])
		}
	})
	t.Run("inside a transaction", func(t *testing.T) {
		t.Parallel()
		s := script(connect(), ehlo("mail.example.net"), mailFrom("a@example.org"),
			raw(pad("MAIL FROM:<c@example.org> SIZE=1 ", 4095)), // not "Multiple MAIL": never parsed
			raw(pad("RCPT TO:<c@example.org> ", 4095)), rcptTo("b@example.org"), data(paramsMessage), quit())
		res, calls := playCounting(t, s)
		want := []string{ReplyMailOK, tooLong, tooLong, ReplyRcptOK}
		if got := replies(res)[2:6]; !reflect.DeepEqual(got, want) {
			t.Errorf("replies %q, want %q", got, want)
		}
		if calls["mail"] != 1 || calls["rcpt"] != 1 {
			t.Errorf("hook calls %v, want one mail and one rcpt", calls)
		}
		if q := queued(res); !reflect.DeepEqual(q, []string{"a@example.org -> b@example.org"}) {
			t.Errorf("queued %v", q)
		}
		for _, st := range res.Steps[:len(res.Steps)-1] {
			if st.Closed {
				t.Errorf("%s closed the connection", stepName(st))
			}
		}
	})
	t.Run("ehlo with a long name", func(t *testing.T) {
		t.Parallel()
		s := script(connect(), ehlo(pad("", 4090)), mailFrom("a@example.org"), quit())
		res, calls := playCounting(t, s)
		want := []string{tooLong, ReplyEhloFirst}
		if got := replies(res)[1:3]; !reflect.DeepEqual(got, want) || calls["ehlo"] != 0 {
			t.Errorf("replies %q (want %q), ehlo hook calls %d", got, want, calls["ehlo"])
		}
	})
	t.Run("auth with a long password", func(t *testing.T) {
		t.Parallel()
		s := submission(script(connect(), ehlo("mail.example.net"), mailFrom("john@example.org"), quit()))
		s.Steps[2].Password = strings.Repeat("p", 3060) // base64 of 3066 bytes: 4088, plus "AUTH PLAIN "
		res, _ := playCounting(t, s)
		want := []string{tooLong, ReplyAuthFirst}
		if got := replies(res)[2:4]; !reflect.DeepEqual(got, want) {
			t.Errorf("replies %q, want %q", got, want)
		}
	})
}
