package simulator

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator/hookconf"
)

// ptrSeen plays s against a hook at every stage and returns, per call,
// "stage=ptr" (ptr "null" when absent), in order.
func ptrSeen(t *testing.T, s *sessions.Session) ([]string, *SessionResult) {
	t.Helper()
	hook := newFakeHook(t, accept)
	res := playWith(t, []*hookconf.Hook{hookAt("h", hook.srv.URL, allStages...)}, s)
	var out []string
	for _, body := range hook.requests() {
		var req struct {
			Context struct {
				Stage  string `json:"stage"`
				Client struct {
					PTR *string `json:"ptr"`
				} `json:"client"`
			} `json:"context"`
		}
		if err := json.Unmarshal(body, &req); err != nil {
			t.Fatal(err)
		}
		ptr := "null"
		if p := req.Context.Client.PTR; p != nil {
			ptr = *p
		}
		out = append(out, req.Context.Stage+"="+ptr)
	}
	return out, res
}

func rset() sessions.Step { return sessions.Step{Kind: sessions.StepRset} }

// TestPTRFollowsIprev: the PTR name comes from the reverse-IP check at
// the first MAIL FROM, when verification is on (port 25 by default), and
// stays for the rest of the connection: a later EHLO, an RSET, a second
// transaction; a new connection starts without it. Off port 25 it is off
// by default: null throughout (mail.rs:56-85, session.rs reset()).
func TestPTRFollowsIprev(t *testing.T) {
	t.Parallel()
	msg := "From: a@example.org\r\nTo: b@example.org\r\nSubject: x\r\n\r\nhi\r\n"
	steps := func() []sessions.Step {
		return []sessions.Step{connect(), ehlo("one.example.net"), mailFrom("a@example.org"), rcptTo("b@example.org"),
			ehlo("two.example.net"), mailFrom("a@example.org"), rcptTo("b@example.org"), data(msg), rset(),
			mailFrom("c@example.org"), rcptTo("b@example.org"), data(msg), quit(),
			connect(), ehlo("three.example.net"), mailFrom("a@example.org"), quit()}
	}
	const ptr = "mx1.example.net."
	on := []string{"connect=null", "ehlo=null", "mail=" + ptr, "rcpt=" + ptr, "ehlo=" + ptr, "mail=" + ptr, "rcpt=" + ptr, "data=" + ptr,
		"mail=" + ptr, "rcpt=" + ptr, "data=" + ptr, "connect=null", "ehlo=null", "mail=" + ptr}
	off := make([]string, len(on))
	for i, c := range on {
		stage, _, _ := strings.Cut(c, "=")
		off[i] = stage + "=null"
	}
	tests := []struct {
		name   string
		port   uint16
		policy string
		want   []string
	}{
		{"port 25, default relaxed", 25, "", on},
		{"port 587, default disable", 587, "", off},
		{"port 465, default disable", 465, "", off},
		{"port 587, relaxed", 587, "relaxed", on},
		{"port 25, disable", 25, "disable", off},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := script(steps()...)
			s.Client.PTR = "MX1.Example.NET"
			s.Server.Port, s.Server.ReverseIPVerify = tt.port, tt.policy
			if tt.port != 25 {
				s.Client.TLS = &sessions.TLS{Version: "TLSv1.3", Cipher: "TLS13_AES_256_GCM_SHA384", Implicit: tt.port == 465}
				// Submission needs authentication before MAIL.
				var with []sessions.Step
				for _, st := range s.Steps {
					with = append(with, st)
					if st.Kind == sessions.StepEhlo && st.Arg != "two.example.net" {
						if tt.port == 587 {
							with = append(with, sessions.Step{Kind: sessions.StepStartTLS})
						}
						with = append(with, sessions.Step{Kind: sessions.StepAuth, Login: "john", Addresses: []string{"a@example.org", "c@example.org"}})
					}
				}
				s.Steps = with
			}
			got, res := ptrSeen(t, s)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ptr per call\n got %v\nwant %v\nreplies %q", got, tt.want, replies(res))
			}
		})
	}
}

// TestStrictIprev: strict verification refuses MAIL FROM before any hook
// when the check did not pass, with Stalwart's exact replies; a pass goes
// on; fail still sends the name it found.
func TestStrictIprev(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ptr, iprev, reply string
		mailHook          bool
	}{
		{"mail.example.net", "", ReplyMailOK, true},
		{"mail.example.net", "pass", ReplyMailOK, true},
		{"mail.example.net", "fail", ReplyIprevFailed, false},
		{"", "", ReplyIprevFailed, false},
		{"", "permerror", ReplyIprevFailed, false},
		{"", "none", ReplyIprevFailed, false},
		{"", "temperror", ReplyIprevTempFail, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%s", tt.ptr, tt.iprev), func(t *testing.T) {
			t.Parallel()
			s := script(connect(), ehlo("mail.example.net"), mailFrom("a@example.org"), mailFrom("a@example.org"), quit())
			s.Client.PTR, s.Client.IPRev, s.Server.ReverseIPVerify = tt.ptr, tt.iprev, "strict"
			got, res := ptrSeen(t, s)
			if r := res.Steps[2].Reply(); r != tt.reply {
				t.Errorf("MAIL: %q, want %q", r, tt.reply)
			}
			if tt.reply != ReplyMailOK {
				if r := res.Steps[3].Reply(); r != tt.reply {
					t.Errorf("second MAIL: %q, want %q (strict refuses every MAIL of the connection)", r, tt.reply)
				}
			}
			called := false
			for _, c := range got {
				if strings.HasPrefix(c, "mail=") {
					called = true
				}
			}
			if called != tt.mailHook {
				t.Errorf("mail hook called %v, want %v (%v)", called, tt.mailHook, got)
			}
		})
	}
	// Relaxed never refuses; fail still carries the name it found.
	s := script(connect(), ehlo("mail.example.net"), mailFrom("a@example.org"), quit())
	s.Client.IPRev = "fail"
	got, res := ptrSeen(t, s)
	if res.Steps[2].Reply() != ReplyMailOK || got[2] != "mail=mail.example.net." {
		t.Errorf("relaxed with fail: %q, %v", res.Steps[2].Reply(), got)
	}
}

// TestServerName: context.server.name is the version hooksim reproduces
// unless the session names another.
func TestServerName(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"", "Stalwart v0.16.19"} {
		hook := newFakeHook(t, accept)
		s := script(connect(), quit())
		s.Server.Name = name
		playWith(t, []*hookconf.Hook{hookAt("h", hook.srv.URL, allStages...)}, s)
		var req struct {
			Context struct {
				Server struct{ Name string } `json:"server"`
			} `json:"context"`
		}
		if err := json.Unmarshal(hook.requests()[0], &req); err != nil {
			t.Fatal(err)
		}
		want := name
		if want == "" {
			want = "Stalwart v0.16.18"
		}
		if req.Context.Server.Name != want {
			t.Errorf("server.name %q, want %q", req.Context.Server.Name, want)
		}
	}
}

// TestReceivedLoop: more Received headers than maxReceivedHeaders (50 by
// default) is refused after parsing with 450 4.4.6, before the queue id
// and any hook; nothing is queued (data.rs:88-103). Exactly the limit passes.
func TestReceivedLoop(t *testing.T) {
	t.Parallel()
	msg := func(n int) string {
		return strings.Repeat("Received: from a by b; Mon, 2 Mar 2026 10:00:00 +0000\r\n", n) +
			"From: a@example.org\r\nTo: b@example.org\r\nSubject: x\r\n\r\nhi\r\n"
	}
	tests := []struct {
		n, max int
		reply  string
	}{
		{50, 0, ""},
		{51, 0, ReplyLoopDetected},
		{3, 3, ""},
		{4, 3, ReplyLoopDetected},
	}
	for _, tt := range tests {
		hook := newFakeHook(t, accept)
		s := script(connect(), ehlo("mail.example.net"), mailFrom("a@example.org"), rcptTo("b@example.org"), data(msg(tt.n)), quit())
		s.Server.MaxReceivedHeaders = tt.max
		res := playWith(t, []*hookconf.Hook{hookAt("h", hook.srv.URL, allStages...)}, s)
		got, calls := res.Steps[4].Reply(), hook.calls()
		dataCalled := len(calls) > 0 && calls[len(calls)-1] == "data"
		if tt.reply == "" {
			if !strings.HasPrefix(got, "250 2.0.0 Message queued") || !dataCalled {
				t.Errorf("%d Received (max %d): %q, data hook %v", tt.n, tt.max, got, dataCalled)
			}
			continue
		}
		tx := res.Transactions[0]
		if got != tt.reply || dataCalled || tx.Delivered || tx.QueueID != "" {
			t.Errorf("%d Received (max %d): %q, data hook %v, delivered %v, queue id %q", tt.n, tt.max, got, dataCalled, tx.Delivered, tx.QueueID)
		}
	}
}

// TestServerLimits: maxMessageSize (advertised in EHLO, checked at MAIL
// SIZE= after the mail hook and at the end of DATA before any hook),
// maxRecipients and maxMessages set under server: take effect.
func TestServerLimits(t *testing.T) {
	t.Parallel()
	msg := "From: a@example.org\r\nTo: b@example.org\r\nSubject: x\r\n\r\n" + strings.Repeat("x", 200) + "\r\n"
	hook := newFakeHook(t, accept)
	s := script(connect(), ehlo("mail.example.net"),
		sessions.Step{Kind: sessions.StepMail, Arg: "a@example.org", Params: "SIZE=300"},
		mailFrom("a@example.org"), rcptTo("b@example.org"), rcptTo("c@example.org"), rcptTo("d@example.org"), data(msg), quit())
	s.Server.MaxMessageSize, s.Server.MaxRecipients = 250, 2
	s.Server.LocalDomains = []string{"example.org"}
	res := playWith(t, []*hookconf.Hook{hookAt("h", hook.srv.URL, allStages...)}, s)
	if ehloLines := res.Steps[1].Replies; !slices.Contains(ehloLines, "250-SIZE 250") {
		t.Errorf("EHLO does not advertise SIZE 250: %q", ehloLines)
	}
	want := []string{ReplyTooBig, ReplyMailOK, ReplyRcptOK, ReplyRcptOK, ReplyTooManyRcpts, ReplyTooBig}
	if got := replies(res)[2:8]; !reflect.DeepEqual(got, want) {
		t.Errorf("replies %q, want %q", got, want)
	}
	calls := hook.calls()
	if n := strings.Count(strings.Join(calls, " "), "data"); n != 0 {
		t.Errorf("the data hook was called for a message over the limit: %v", calls)
	}
	if n := strings.Count(strings.Join(calls, " "), "mail"); n != 2 {
		t.Errorf("mail hook calls %d, want 2 (SIZE= is checked after it): %v", n, calls)
	}
	// maxMessages: the second DATA of the session is refused.
	small := "From: a@example.org\r\nTo: b@example.org\r\nSubject: x\r\n\r\nhi\r\n"
	s = script(connect(), ehlo("mail.example.net"), mailFrom("a@example.org"), rcptTo("b@example.org"), data(small),
		mailFrom("a@example.org"), rcptTo("b@example.org"), data(small), quit())
	s.Server.MaxMessages = 1
	res = playWith(t, nil, s)
	if got := res.Steps[7].Reply(); got != ReplyTooManyMessages {
		t.Errorf("second DATA: %q, want %q", got, ReplyTooManyMessages)
	}
}

// TestIprevErrorKeepsPTR: mail-auth keeps the PTR names whenever the PTR
// lookup found some, so a forward lookup that fails for now (temperror)
// still gives the hook the name; without a name, null.
func TestIprevErrorKeepsPTR(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ ptr, iprev, want string }{
		{"mail.example.net", "temperror", "mail=mail.example.net."},
		{"mail.example.net", "permerror", "mail=mail.example.net."},
		{"", "temperror", "mail=null"},
	} {
		s := script(connect(), ehlo("mail.example.net"), mailFrom("a@example.org"), quit())
		s.Client.PTR, s.Client.IPRev = tt.ptr, tt.iprev
		got, _ := ptrSeen(t, s)
		if len(got) != 3 || got[2] != tt.want {
			t.Errorf("ptr %q, iprev %s: %v, want %s", tt.ptr, tt.iprev, got, tt.want)
		}
	}
}
