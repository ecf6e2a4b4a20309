package simulator

import (
	"bytes"
	"strings"
	"testing"

	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/simulator/modify"
	"github.com/hooksim/hooksim/simulator/wire"
)

// stepOf returns the step of res at stage kind ("rcpt", "data", ...).
func stepOf(t *testing.T, res *SessionResult, kind string) *StepResult {
	t.Helper()
	for _, st := range res.Steps {
		if st.Kind == kind {
			return st
		}
	}
	t.Fatalf("no %s step in %d steps", kind, len(res.Steps))
	return nil
}

// lintIn returns the first lint with code in ls.
func lintIn(ls []wire.Lint, code string) (wire.Lint, bool) {
	for _, l := range ls {
		if l.Code == code {
			return l, true
		}
	}
	return wire.Lint{}, false
}

func mustContain(t *testing.T, what, s string, parts []string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(s, p) {
			t.Errorf("%s %q lacks %q", what, s, p)
		}
	}
}

// TestBodyLintsOverLoopback: each lint computed from the body, reported on
// the exchange of a real loopback hook, with the reply the client really
// gets and, at data, the message really queued.
func TestBodyLintsOverLoopback(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		stage     string
		answer    string
		code      string
		why       []string
		reply     string // the reply at the hook's step
		nextReply string // the reply of the step after it, "" to skip
		queued    string // a part of the queued message, "" to skip
	}{
		{"header injection", "data", `{"action":"accept","modifications":[{"type":"addHeader","name":"X-Spam","value":"yes\r\nBcc: victim@example.org"}]}`,
			wire.LintHeaderLineBreak, []string{`"Bcc: victim@example.org" becomes a header line of its own`}, "", "", "X-Spam: yes\r\nBcc: victim@example.org\r\nFrom: John"},
		{"bare LF", "data", `{"action":"accept","modifications":[{"type":"insertHeader","index":1,"name":"X-A","value":"one\ntwo"}]}`,
			wire.LintHeaderLineBreak, []string{"bare LF"}, "", "", "X-A: one\ntwo\r\n"},
		{"name with a colon", "data", `{"action":"accept","modifications":[{"type":"addHeader","name":"X-A:B","value":"v"}]}`,
			wire.LintHeaderName, []string{`"X-A:B" has a colon`}, "", "", "X-A:B: v\r\n"},
		{"line too long", "data", `{"action":"accept","modifications":[{"type":"addHeader","name":"X-Long","value":"` + strings.Repeat("x", 1000) + `"}]}`,
			wire.LintHeaderLineLength, []string{"1008 octets"}, "", "", "X-Long: xxx"},
		{"non-ASCII value", "data", `{"action":"accept","modifications":[{"type":"changeHeader","index":1,"name":"Subject","value":" Grüße"}]}`,
			wire.LintHeaderNonASCII, []string{"not RFC 2047-encoded"}, "", "", "Subject: Grüße\r\n"},
		{"451 without message", "rcpt", `{"action":"reject","response":{"status":451,"enhanced_status":"4.7.1"}}`,
			wire.LintPartialReply, []string{"a 451 meant as a soft reject becomes a permanent 503 5.5.3"}, ReplyHookReject, ReplyRcptFirst, ""},
		{"discard at rcpt", "rcpt", `{"action":"discard"}`,
			wire.LintDiscardBeforeData, []string{"silently dropped from the envelope"}, ReplyHookDiscard, ReplyRcptFirst, ""},
		{"discard at mail", "mail", `{"action":"discard"}`,
			wire.LintDiscardBeforeData, []string{"as if the sender were accepted", ReplyMailFirst}, ReplyHookDiscard, ReplyMailFirst, ""},
		{"discard at ehlo", "ehlo", `{"action":"discard"}`,
			wire.LintDiscardBeforeData, []string{"the new HELO name is not taken"}, ReplyHookDiscard, ReplyEhloFirst, ""},
		{"IETF draft body", "rcpt", `{"set":[{"path":"/action","value":"reject"},{"path":"/response","value":{"code":550,"enhancedCode":"5.1.1","message":"No such user"}}]}`,
			wire.LintDraftBody, []string{"draft-degennaro-mta-hooks-01", `no "action"`}, ReplyHookTempFail, ReplyRcptFirst, ""},
		// serde's other forms: Stalwart takes them, and so does hooksim.
		{"body and modification arrays", "data", `["accept",null,[["addHeader","X-Spam","yes"]]]`,
			wire.LintArrayForm, []string{"the body is a JSON array", "(action, response, modifications)"}, "", "", "X-Spam: yes\r\nFrom: John"},
		{"response array", "rcpt", `{"action":"reject","response":[550,"5.1.1","No such user"]}`,
			wire.LintArrayForm, []string{"(status, enhanced_status, message, disconnect)"}, "550 5.1.1 No such user", ReplyRcptFirst, ""},
		{"action object", "mail", `{"action":{"reject":null}}`,
			wire.LintActionObject, []string{"the enum variant reject"}, ReplyHookReject, ReplyMailFirst, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newFakeHook(t, answerAt(tc.stage, tc.answer))
			res := playWith(t, []*hookconf.Hook{hookAt("h", h.srv.URL, allStages...)}, standard())
			st := stepOf(t, res, tc.stage)
			if len(st.Exchanges) != 1 {
				t.Fatalf("%d exchanges at %s", len(st.Exchanges), tc.stage)
			}
			l, ok := lintIn(st.Exchanges[0].Lints, tc.code)
			if !ok {
				t.Fatalf("no %s lint on the exchange: %v", tc.code, st.Exchanges[0].Lints)
			}
			mustContain(t, "message", l.Message, tc.why)
			if l.Fix == "" {
				t.Errorf("%s has no fix", l.Code)
			}
			if tc.reply != "" && st.Reply() != tc.reply {
				t.Errorf("reply %q, want %q", st.Reply(), tc.reply)
			}
			if tc.nextReply != "" {
				if next := res.Steps[st.Index+1]; next.Reply() != tc.nextReply {
					t.Errorf("next step %s: reply %q, want %q", next.Kind, next.Reply(), tc.nextReply)
				}
			}
			if tc.queued != "" {
				if len(res.Transactions) != 1 || !res.Transactions[0].Delivered {
					t.Fatalf("not delivered: %+v", res.Transactions)
				}
				if final := string(res.Transactions[0].Final); !strings.Contains(final, tc.queued) {
					t.Errorf("queued message %q lacks %q", final, tc.queued)
				}
				// modify's header-crlf note says the same as the exchange's lint: not twice.
				if _, dup := lintIn(st.Lints, modify.NoteHeaderCRLF); dup {
					t.Errorf("header-crlf note repeated on the step: %v", st.Lints)
				}
			}
		})
	}
}

// TestNon2xxStatusOverLoopback: a hook that answers a non-2xx status gets
// the non-2xx-status lint, whatever its body, and the client hears 451
// 4.3.5 with tempFailOnError and the stage's normal reply without (the
// hook is skipped), never the body's reject.
func TestNon2xxStatusOverLoopback(t *testing.T) {
	t.Parallel()
	reject := `{"action":"reject","response":{"status":550,"enhanced_status":"5.1.1","message":"No such user"}}`
	tests := []struct {
		name     string
		status   int
		body     string
		tempFail bool
		reply    string
		why, fix []string
	}{
		{"403 with a reject body, tempFailOnError", 403, reject, true, ReplyHookTempFail,
			[]string{"HTTP 403 is a hook error whatever the body", "never a permanent refusal", `the reject in this body is never read (with HTTP 200 the client would hear "550 5.1.1 No such user")`},
			[]string{"send this same body with HTTP 200"}},
		{"403 with a reject body, no tempFailOnError", 403, reject, false, ReplyRcptOK,
			[]string{"the hook is skipped with false"}, []string{"HTTP 200"}},
		{"550 with an empty body", 550, "", true, ReplyHookTempFail,
			[]string{"HTTP 550"}, []string{`to refuse, answer HTTP 200 with {"action":"reject"`}},
		{"500 with an accept body", 500, `{"action":"accept"}`, false, ReplyRcptOK,
			nil, []string{"send this same body with HTTP 200"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newFakeHook(t, func(stage string, _ map[string]any) (int, string) {
				if stage == "rcpt" {
					return tc.status, tc.body
				}
				return 200, `{"action":"accept"}`
			})
			hook := hookAt("h", h.srv.URL, wire.StageRcpt)
			hook.TempFailOnError = tc.tempFail
			res := playWith(t, []*hookconf.Hook{hook}, standard())
			st := stepOf(t, res, "rcpt")
			if st.Reply() != tc.reply {
				t.Errorf("reply %q, want %q", st.Reply(), tc.reply)
			}
			ex := st.Exchanges[0]
			l, ok := lintIn(ex.Lints, LintHTTPStatus)
			if !ok {
				t.Fatalf("no %s lint: %v", LintHTTPStatus, ex.Lints)
			}
			mustContain(t, "message", l.Message, tc.why)
			mustContain(t, "fix", l.Fix, tc.fix)
			if len(ex.Lints) != 1 {
				t.Errorf("the body of a non-2xx answer is never read, so it gets no lints of its own: %v", ex.Lints)
			}
			if strings.Contains(tc.body, "reject") && tc.tempFail == false && st.Reply() == "550 5.1.1 No such user" {
				t.Errorf("the body's reject was applied")
			}
		})
	}
}

// TestChainDropsModificationsOverLoopback: at data, hook-1 accepts with a
// header and hook-2 stops the chain: the message is not queued and the
// lint names both hooks; when hook-2 fails with tempFailOnError false, or
// hook-1 returned no modification, there is no lint.
func TestChainDropsModificationsOverLoopback(t *testing.T) {
	t.Parallel()
	withHeader := `{"action":"accept","modifications":[{"type":"addHeader","name":"X-Score","value":"1"}]}`
	tests := []struct {
		name       string
		first      string
		status     int // hook-2's HTTP status
		second     string
		tempFail   bool
		reply      string
		lint       bool
		why, fix   []string
		keepsScore bool // the queued message carries hook-1's header
	}{
		{"reject", withHeader, 200, `{"action":"reject"}`, true, ReplyHookReject, true,
			[]string{"hook-2 answered reject after hook-1 (1 modification) accepted", "not queued", "none of those modifications is applied"}, []string{"let it accept with an addHeader"}, false},
		{"quarantine", withHeader, 200, `{"action":"quarantine"}`, true, ReplyHookDiscard, true,
			[]string{"hook-2 answered quarantine"}, []string{"to keep the message with hook-1's changes, let hook-2 accept"}, false},
		{"discard with a custom reply", withHeader, 200, `{"action":"discard","response":{"status":250,"message":"Thanks"}}`, true, "250 Thanks", true,
			[]string{`the client hears "250 Thanks"`}, nil, false},
		{"error with tempFailOnError", withHeader, 500, `{"action":"accept"}`, true, ReplyHookTempFail, true,
			[]string{"hook-2 failed (tempFailOnError true) after hook-1 (1 modification) accepted"}, []string{"set tempFailOnError false on it"}, false},
		{"error without tempFailOnError keeps hook-1's header", withHeader, 500, `{"action":"accept"}`, false, "", false, nil, nil, true},
		{"nothing to drop", `{"action":"accept"}`, 200, `{"action":"reject"}`, true, ReplyHookReject, false, nil, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h1 := newFakeHook(t, func(string, map[string]any) (int, string) { return 200, tc.first })
			h2 := newFakeHook(t, func(string, map[string]any) (int, string) { return tc.status, tc.second })
			second := hookAt("hook-2", h2.srv.URL, wire.StageData)
			second.TempFailOnError = tc.tempFail
			res := playWith(t, []*hookconf.Hook{hookAt("hook-1", h1.srv.URL, wire.StageData), second}, standard())
			st := stepOf(t, res, "data")
			if tc.reply != "" && st.Reply() != tc.reply {
				t.Errorf("reply %q, want %q", st.Reply(), tc.reply)
			}
			l, ok := lintIn(st.Lints, LintChainDropsMods)
			if ok != tc.lint {
				t.Fatalf("lint %v, want %v: %v", ok, tc.lint, st.Lints)
			}
			if ok {
				if !strings.HasPrefix(l.Path, "hook-2") {
					t.Errorf("path %q does not name hook-2", l.Path)
				}
				mustContain(t, "message", l.Message, tc.why)
				mustContain(t, "fix", l.Fix, tc.fix)
			}
			tx := res.Transactions[0]
			if tc.keepsScore != (tx.Delivered && bytes.Contains(tx.Final, []byte("X-Score: 1\r\n"))) {
				t.Errorf("delivered %v, final %q: hook-1's header kept should be %v", tx.Delivered, tx.Final, tc.keepsScore)
			}
		})
	}
}

// TestHeaderChangesCancelOverLoopback: an insert (or add) and a delete of
// the same header in one data-stage answer are linted only when the real
// apply code queues the same message as without both.
func TestHeaderChangesCancelOverLoopback(t *testing.T) {
	t.Parallel()
	tagged := "From: a@example.org\r\nX-Tag: one\r\nX-Tag: two\r\nX-Tag: three\r\nSubject: hi\r\n\r\nbody\r\n"
	tight := "From: a@example.org\r\nSubject:hi\r\n\r\nbody\r\n" // no space after the colon
	tests := []struct {
		name    string
		message string
		mods    string
		lint    bool
		path    string
		same    bool // the queued message is the message as received
	}{
		{"insert then delete #1", testMessage,
			`[{"type":"insertHeader","index":1,"name":"X-A","value":"1"},{"type":"deleteHeader","index":1,"name":"X-A"}]`, true, "h modifications[1]", true},
		{"add then delete #1", testMessage,
			`[{"type":"addHeader","name":"X-A","value":"1"},{"type":"deleteHeader","index":1,"name":"x-a"}]`, true, "h modifications[1]", true},
		{"insert before the first of three, delete #1", tagged,
			`[{"type":"insertHeader","index":1,"name":"X-Tag","value":"zero"},{"type":"deleteHeader","index":1,"name":"X-Tag"}]`, true, "h modifications[1]", true},
		{"insert then an emptying changeHeader", testMessage,
			`[{"type":"insertHeader","index":0,"name":"X-A","value":"1"},{"type":"changeHeader","index":1,"name":"X-A","value":""}]`, true, "h modifications[1]", true},
		{"other changes around the pair", testMessage,
			`[{"type":"addHeader","name":"X-Keep","value":"k"},{"type":"insertHeader","index":1,"name":"X-A","value":"1"},{"type":"deleteHeader","index":1,"name":"X-A"}]`, true, "h modifications[2]", false},
		{"insert #2 of three, delete #1 deletes a received one", tagged,
			`[{"type":"insertHeader","index":2,"name":"X-Tag","value":"new"},{"type":"deleteHeader","index":1,"name":"X-Tag"}]`, false, "", false},
		{"the rewrite changes the received header block", tight,
			`[{"type":"insertHeader","index":1,"name":"X-A","value":"1"},{"type":"deleteHeader","index":1,"name":"X-A"}]`, false, "", false},
		{"delete of another name", testMessage,
			`[{"type":"insertHeader","index":1,"name":"X-A","value":"1"},{"type":"deleteHeader","index":1,"name":"Subject"}]`, false, "", false},
		{"delete before the insert", testMessage,
			`[{"type":"deleteHeader","index":1,"name":"X-A"},{"type":"insertHeader","index":1,"name":"X-A","value":"1"}]`, false, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newFakeHook(t, func(string, map[string]any) (int, string) {
				return 200, `{"action":"accept","modifications":` + tc.mods + `}`
			})
			s := script(connect(), ehlo("mail.example.net"), mailFrom("a@example.org"), rcptTo("bill@example.org"), data(tc.message), quit())
			res := playWith(t, []*hookconf.Hook{hookAt("h", h.srv.URL, wire.StageData)}, s)
			st := stepOf(t, res, "data")
			l, ok := lintIn(st.Lints, LintHeaderCancel)
			if ok != tc.lint {
				t.Fatalf("lint %v, want %v: %v", ok, tc.lint, st.Lints)
			}
			if ok {
				if l.Path != tc.path {
					t.Errorf("path %q, want %q", l.Path, tc.path)
				}
				mustContain(t, "message", l.Message, []string{"cancel out"})
				if l.Fix == "" {
					t.Error("no fix")
				}
			}
			tx := res.Transactions[0]
			if !tx.Delivered {
				t.Fatalf("not delivered: %s", tx.Reply)
			}
			if same := bytes.Equal(tx.Final, tx.Original); same != tc.same {
				t.Errorf("queued message unchanged %v, want %v:\n%q\n%q", same, tc.same, tx.Original, tx.Final)
			}
		})
	}
}

// TestNormalReply: what each stage answers when no hook stops it.
func TestNormalReply(t *testing.T) {
	t.Parallel()
	tests := []struct {
		stage wire.Stage
		want  string
	}{
		{wire.StageConnect, "220 <host> Stalwart ESMTP at your service"},
		{wire.StageEhlo, "250-<host> you had me at EHLO (then the capabilities)"},
		{wire.StageMail, ReplyMailOK},
		{wire.StageRcpt, ReplyRcptOK},
		{wire.StageData, "250 2.0.0 Message queued with id <queue-id>."},
	}
	for _, tc := range tests {
		if got := NormalReply(tc.stage); got != tc.want {
			t.Errorf("NormalReply(%s) = %q, want %q", tc.stage, got, tc.want)
		}
	}
}
