package simulator

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/simulator/wire"
)

func TestWhichStagesCallTheHook(t *testing.T) {
	t.Parallel()
	h := newFakeHook(t, accept)
	s := script(connect(),
		ehlo("mail.example.net"),
		ehlo("mail.example.net"), // same name: no call
		sessions.Step{Kind: sessions.StepStartTLS},
		ehlo("mail.example.net"), // repeat after STARTTLS: no call
		ehlo("other.example.net"),
		mailFrom("john@example.org"),
		rcptTo("a@example.org"),
		rcptTo("A@EXAMPLE.org"), // duplicate: 250 without a call
		rcptTo("b@example.org"),
		data(testMessage),
		quit())
	res := playWith(t, []*hookconf.Hook{hookAt("h", h.srv.URL, allStages...)}, s)
	want := []string{"connect", "ehlo", "ehlo", "mail", "rcpt", "rcpt", "data"}
	if got := h.calls(); !reflect.DeepEqual(got, want) {
		t.Fatalf("hook called at %v, want %v", got, want)
	}
	if got := res.Steps[8]; got.Reply() != ReplyRcptOK || got.Action != "none" {
		t.Errorf("duplicate RCPT: reply %q action %q", got.Reply(), got.Action)
	}
	if !strings.HasPrefix(res.Steps[10].Reply(), "250 2.0.0 Message queued with id ") {
		t.Errorf("data reply %q", res.Steps[10].Reply())
	}
}

func TestAuthStageIsNeverCalled(t *testing.T) {
	t.Parallel()
	h := newFakeHook(t, accept)
	s := script(connect(), ehlo("mail.example.net"), sessions.Step{Kind: sessions.StepStartTLS},
		sessions.Step{Kind: sessions.StepAuth, Login: "john", Password: "x"}, mailFrom("john@example.org"), quit())
	s.Server.Port = 587
	res := playWith(t, []*hookconf.Hook{hookAt("h", h.srv.URL, wire.StageAuth)}, s)
	if n := len(h.calls()); n != 0 {
		t.Fatalf("a hook configured only for auth was called %d times", n)
	}
	if got := res.Steps[3].Reply(); got != ReplyAuthOK {
		t.Errorf("auth reply %q", got)
	}
	if len(res.Steps[3].Lints) == 0 || res.Steps[3].Lints[0].Code != LintAuthStage {
		t.Errorf("auth step lints %v, want %s", res.Steps[3].Lints, LintAuthStage)
	}
	if l := ConfigLints([]*hookconf.Hook{hookAt("h", h.srv.URL, wire.StageAuth)}); len(l) != 1 || !strings.Contains(l[0].Message, "never called at all") {
		t.Errorf("ConfigLints = %v", l)
	}
}

// anyReply in a table of replies is not checked (multi-line EHLO, queue ids).
const anyReply = "*"

// TestNonAccept covers every stage's reply and rollback for reject,
// discard, quarantine and custom replies (PROTOCOL.md §3).
func TestNonAccept(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		stage   string
		answer  string
		steps   func() *sessions.Session
		replies []string
		calls   []string
	}{
		{"connect reject replaces greeting and closes", "connect", `{"action":"reject"}`, standard,
			[]string{ReplyHookReject, "", "", "", "", ""}, []string{"connect"}},
		{"connect custom reply", "connect", `{"action":"reject","response":{"status":554,"enhanced_status":"5.7.1","message":"Go away"}}`, standard,
			[]string{"554 5.7.1 Go away", "", "", "", "", ""}, []string{"connect"}},
		{"ehlo reject restores the name", "ehlo", `{"action":"reject"}`, standard,
			[]string{"220 mx.example.org Stalwart ESMTP at your service", ReplyHookReject, ReplyEhloFirst, ReplyMailFirst, ReplyMailFirst, ReplyBye}, []string{"connect", "ehlo"}},
		{"mail reject clears the sender", "mail", `{"action":"reject","response":{"status":550,"enhanced_status":"5.7.1","message":"Sender blocked"}}`, standard,
			[]string{"220 mx.example.org Stalwart ESMTP at your service", anyReply, "550 5.7.1 Sender blocked", ReplyMailFirst, ReplyMailFirst, ReplyBye}, []string{"connect", "ehlo", "mail"}},
		{"rcpt discard answers 250 and drops the recipient", "rcpt", `{"action":"discard"}`, standard,
			[]string{"220 mx.example.org Stalwart ESMTP at your service", anyReply, ReplyMailOK, ReplyHookDiscard, ReplyRcptFirst, ReplyBye}, []string{"connect", "ehlo", "mail", "rcpt"}},
		{"rcpt reply without enhanced status", "rcpt", `{"action":"reject","response":{"status":450,"message":"Try later"}}`, standard,
			[]string{"220 mx.example.org Stalwart ESMTP at your service", anyReply, ReplyMailOK, "450 Try later", ReplyRcptFirst, ReplyBye}, []string{"connect", "ehlo", "mail", "rcpt"}},
		{"status without message keeps the default", "rcpt", `{"action":"reject","response":{"status":550,"enhanced_status":"5.1.1"}}`, standard,
			[]string{"220 mx.example.org Stalwart ESMTP at your service", anyReply, ReplyMailOK, ReplyHookReject, ReplyRcptFirst, ReplyBye}, []string{"connect", "ehlo", "mail", "rcpt"}},
		{"data quarantine acts as discard", "data", `{"action":"quarantine"}`, standard,
			[]string{"220 mx.example.org Stalwart ESMTP at your service", anyReply, ReplyMailOK, ReplyRcptOK, ReplyHookDiscard, ReplyBye}, []string{"connect", "ehlo", "mail", "rcpt", "data"}},
		{"data reject status sent as given", "data", `{"action":"reject","response":{"status":250,"message":"Fine really"}}`, standard,
			[]string{"220 mx.example.org Stalwart ESMTP at your service", anyReply, ReplyMailOK, ReplyRcptOK, "250 Fine really", ReplyBye}, []string{"connect", "ehlo", "mail", "rcpt", "data"}},
		{"accept ignores the response object", "mail", `{"action":"accept","response":{"status":550,"message":"ignored"}}`, standard,
			[]string{"220 mx.example.org Stalwart ESMTP at your service", anyReply, ReplyMailOK, ReplyRcptOK, anyReply, ReplyBye}, []string{"connect", "ehlo", "mail", "rcpt", "data"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newFakeHook(t, answerAt(tc.stage, tc.answer))
			res := playWith(t, []*hookconf.Hook{hookAt("h", h.srv.URL, allStages...)}, tc.steps())
			got := replies(res)
			if len(got) != len(tc.replies) {
				t.Fatalf("replies %q, want %q", got, tc.replies)
			}
			for i := range got {
				if tc.replies[i] != anyReply && got[i] != tc.replies[i] {
					t.Errorf("step %d: reply %q, want %q", i+1, got[i], tc.replies[i])
				}
			}
			if c := h.calls(); !reflect.DeepEqual(c, tc.calls) {
				t.Errorf("calls %v, want %v", c, tc.calls)
			}
			for _, tx := range res.Transactions {
				if tc.stage == "data" && tx.Delivered {
					t.Errorf("a %s at data must not deliver", tc.answer)
				}
			}
		})
	}
}

func TestModificationsApplyOnlyAtData(t *testing.T) {
	t.Parallel()
	h := newFakeHook(t, func(stage string, _ map[string]any) (int, string) {
		switch stage {
		case "mail":
			return 200, `{"action":"accept","modifications":[{"type":"changeFrom","value":"evil@example.org"}]}`
		case "rcpt":
			return 200, `{"action":"accept","modifications":[{"type":"addRecipient","value":"spy@example.org"},{"type":"addHeader","name":"X-Rcpt","value":"1"}]}`
		case "data":
			return 200, `{"action":"accept","modifications":[{"type":"addHeader","name":"X-Data","value":"yes"},{"type":"addRecipient","value":"<Archive@example.org>"},{"type":"deleteRecipient","value":"bill@example.org"}]}`
		}
		return 200, `{"action":"accept"}`
	})
	res := playWith(t, []*hookconf.Hook{hookAt("h", h.srv.URL, allStages...)}, standard())
	if len(res.Transactions) != 1 {
		t.Fatalf("%d transactions", len(res.Transactions))
	}
	tx := res.Transactions[0]
	if !tx.Delivered {
		t.Fatalf("not delivered: %s", tx.Reply)
	}
	if got := *tx.EnvelopeOut.From; got != "john@example.org" {
		t.Errorf("sender %q: changeFrom at mail must be ignored", got)
	}
	if want := []string{"archive@example.org"}; !reflect.DeepEqual(tx.EnvelopeOut.To, want) {
		t.Errorf("recipients %v, want %v", tx.EnvelopeOut.To, want)
	}
	want := "X-Data: yes\r\n" + strings.TrimSuffix(testMessage, "\r\n")
	if string(tx.Final) != want {
		t.Errorf("final message\n got %q\nwant %q", tx.Final, want)
	}
	lints := map[string]bool{}
	for _, st := range res.Steps {
		for _, l := range st.Lints {
			lints[l.Code] = true
		}
	}
	if !lints[wire.LintModsBeforeData] {
		t.Errorf("no %s lint: %v", wire.LintModsBeforeData, lints)
	}
	// The data request carries the queue id that the reply names.
	reqs := h.requests()
	var last struct {
		Context struct {
			Queue struct{ ID string } `json:"queue"`
		} `json:"context"`
	}
	if err := json.Unmarshal(reqs[len(reqs)-1], &last); err != nil {
		t.Fatal(err)
	}
	if tx.Reply != "250 2.0.0 Message queued with id "+last.Context.Queue.ID+"." || len(last.Context.Queue.ID) != 15 {
		t.Errorf("reply %q, queue.id %q", tx.Reply, last.Context.Queue.ID)
	}
}

func TestChainAccumulatesAndReplaceContentsWins(t *testing.T) {
	t.Parallel()
	first := newFakeHook(t, func(string, map[string]any) (int, string) {
		return 200, `{"action":"accept","modifications":[{"type":"replaceContents","value":"first body"},{"type":"addHeader","name":"X-First","value":"1"}]}`
	})
	second := newFakeHook(t, func(string, map[string]any) (int, string) {
		return 200, `{"action":"accept","modifications":[{"type":"replaceContents","value":"second "},{"type":"replaceContents","value":"body"},{"type":"addHeader","name":"X-Second","value":"2"}]}`
	})
	third := newFakeHook(t, func(string, map[string]any) (int, string) {
		return 200, `{"action":"accept","modifications":[{"type":"addHeader","name":"X-Third","value":"3"}]}`
	})
	hooks := []*hookconf.Hook{hookAt("one", first.srv.URL, wire.StageData), hookAt("two", second.srv.URL, wire.StageData), hookAt("three", third.srv.URL, wire.StageData)}
	res := playWith(t, hooks, standard())
	final := string(res.Transactions[0].Final)
	if !strings.HasSuffix(final, "\r\n\r\nsecond body") {
		t.Errorf("body: the last hook's replaceContents must replace the earlier ones, got %q", final)
	}
	if !strings.HasPrefix(final, "X-First: 1\r\nX-Second: 2\r\nX-Third: 3\r\nFrom:") {
		t.Errorf("headers: %q", final)
	}
}

func TestChainStopsAtFirstNonAccept(t *testing.T) {
	t.Parallel()
	first := newFakeHook(t, func(string, map[string]any) (int, string) { return 200, `{"action":"discard"}` })
	second := newFakeHook(t, accept)
	hooks := []*hookconf.Hook{hookAt("one", first.srv.URL, wire.StageData), hookAt("two", second.srv.URL, wire.StageData)}
	res := playWith(t, hooks, standard())
	if n := len(second.calls()); n != 0 {
		t.Errorf("second hook called %d times after a discard", n)
	}
	if got := res.Steps[4].Reply(); got != ReplyHookDiscard {
		t.Errorf("reply %q", got)
	}
}

func TestEnableExpression(t *testing.T) {
	t.Parallel()
	h := newFakeHook(t, accept)
	off := hookAt("off", h.srv.URL, allStages...)
	off.Enable = hookconf.ConstExpression(false)
	playWith(t, []*hookconf.Hook{off}, standard())
	if n := len(h.calls()); n != 0 {
		t.Errorf("disabled hook called %d times", n)
	}
}

func TestSMTPReplies(t *testing.T) {
	t.Parallel()
	s := script(connect(),
		mailFrom("a@example.org"), // before EHLO
		sessions.Step{Kind: sessions.StepHelo, Arg: "mail.example.net"},
		rcptTo("b@example.org"), // before MAIL
		sessions.Step{Kind: sessions.StepData},
		mailFrom("a@example.org"),
		mailFrom("a@example.org"),              // twice
		sessions.Step{Kind: sessions.StepData}, // before RCPT
		rcptTo("x@elsewhere.test"),             // relay
		sessions.Step{Kind: sessions.StepAuth}, // port 25
		sessions.Step{Kind: sessions.StepRaw, Arg: "VRFY x"},
		sessions.Step{Kind: sessions.StepRaw, Arg: "MAIL TO:<x>"},
		sessions.Step{Kind: sessions.StepRset},
		sessions.Step{Kind: sessions.StepNoop},
		sessions.Step{Kind: sessions.StepStartTLS},
		sessions.Step{Kind: sessions.StepStartTLS},
		ehlo("nodots"),
		quit(),
		sessions.Step{Kind: sessions.StepNoop}, // after QUIT
		sessions.Step{Kind: sessions.StepNoop, Expect: &sessions.Expect{Reply: "250 2.0.0 OK"}}, // after QUIT, expecting a reply
	)
	res := playWith(t, nil, s)
	want := []string{
		"220 mx.example.org Stalwart ESMTP at your service",
		ReplyEhloFirst,
		"250 mx.example.org you had me at HELO",
		ReplyMailFirst,
		ReplyMailFirst,
		ReplyMailOK,
		ReplyMultipleMail,
		ReplyRcptFirst,
		ReplyRelayDenied,
		ReplyAuthNotAllowed,
		ReplyVrfyDisabled,
		ReplyMailSyntax,
		ReplyOK,
		ReplyOK,
		ReplyStartTLS,
		ReplyAlreadyTLS,
		ReplyInvalidEhlo,
		ReplyBye,
		"",
		"",
	}
	if got := replies(res); !reflect.DeepEqual(got, want) {
		t.Errorf("replies\n got %q\nwant %q", got, want)
	}
	// A step after QUIT is not sent: no failure by itself, but what it
	// expected cannot hold.
	if st := res.Steps[18]; !st.NotSent || len(st.Failures) != 0 {
		t.Errorf("a step after QUIT: not sent %v, failures %v", st.NotSent, st.Failures)
	}
	if st := res.Steps[19]; !st.NotSent || len(st.Failures) != 1 || !strings.Contains(st.Failures[0], "not sent, so its expectations cannot hold: the connection is closed (the client quit at step 18 (quit))") {
		t.Errorf("an expectation after QUIT: not sent %v, failures %q", st.NotSent, st.Failures)
	}
}

func TestEhloReply(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		port      uint16
		tls, auth bool
		want      []string
	}{
		{"port 25 plain", 25, false, false, []string{"250-mx.example.org you had me at EHLO", "250-STARTTLS", "250-SMTPUTF8", "250-SIZE 104857600", "250-REQUIRETLS", "250-PIPELINING", "250-NO-SOLICITING", "250-ENHANCEDSTATUSCODES", "250-CHUNKING", "250-BINARYMIME", "250 8BITMIME"}},
		{"submission over TLS", 587, true, false, []string{"250-mx.example.org you had me at EHLO", "250-SMTPUTF8", "250-SIZE 104857600", "250-REQUIRETLS", "250-PIPELINING", "250-NO-SOLICITING", "250-ENHANCEDSTATUSCODES", "250-CHUNKING", "250-BINARYMIME", "250-AUTH PLAIN LOGIN XOAUTH2 OAUTHBEARER", "250 8BITMIME"}},
		{"submission without TLS", 587, false, false, []string{"250-mx.example.org you had me at EHLO", "250-STARTTLS", "250-SMTPUTF8", "250-SIZE 104857600", "250-REQUIRETLS", "250-PIPELINING", "250-NO-SOLICITING", "250-ENHANCEDSTATUSCODES", "250-CHUNKING", "250-BINARYMIME", "250-AUTH XOAUTH2 OAUTHBEARER", "250 8BITMIME"}},
		// Authenticated: VRFY, EXPN, MT-PRIORITY, FUTURERELEASE (7 days from
		// now), DSN and DELIVERBY (15 days) by the MtaExtensions defaults.
		{"submission authenticated", 587, true, true, []string{"250-mx.example.org you had me at EHLO", "250-VRFY", "250-EXPN", "250-SMTPUTF8", "250-SIZE 104857600", "250-REQUIRETLS", "250-PIPELINING", "250-NO-SOLICITING", "250-MT-PRIORITY MIXER", "250-FUTURERELEASE 604800 1800604800", "250-ENHANCEDSTATUSCODES", "250-DSN", "250-DELIVERBY 1296000", "250-CHUNKING", "250-BINARYMIME", "250 8BITMIME"}},
	}
	for _, tc := range tests {
		s := script(connect(), ehlo("laptop.example.net"))
		s.Server.Port = tc.port
		if tc.tls {
			s.Client.TLS = &sessions.TLS{Version: "TLSv1.3", Cipher: "TLS13_AES_256_GCM_SHA384", Implicit: true}
		}
		if tc.auth {
			s.Steps = append(s.Steps, sessions.Step{Kind: sessions.StepAuth, Login: "john"}, sessions.Step{Kind: sessions.StepEhlo, Arg: "laptop.example.net"})
		}
		sim := New(nil, nil)
		sim.Now = func() time.Time { return time.Unix(1800000000, 0) }
		res := sim.Play(context.Background(), s)
		if got := res.Steps[len(res.Steps)-1].Replies; !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}

func TestUnparsableMessage(t *testing.T) {
	t.Parallel()
	h := newFakeHook(t, accept)
	s := script(connect(), ehlo("mail.example.net"), mailFrom("a@example.org"), rcptTo("b@example.org"), data("just some text without headers\r\n"), quit())
	res := playWith(t, []*hookconf.Hook{hookAt("h", h.srv.URL, wire.StageData)}, s)
	if got := res.Steps[4].Reply(); got != ReplyParseFailed {
		t.Errorf("reply %q, want %q", got, ReplyParseFailed)
	}
	if n := len(h.calls()); n != 0 {
		t.Errorf("the data hook was called for an unparsable message")
	}
}
