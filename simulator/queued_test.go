package simulator

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/simulator/wire"
)

// The queue id playWith's clock gives the first message of a session, in
// the upper case of Received (the reply has it in lower case).
const firstID = "4C0E37000000001"

// noMessageID is testMessage without its Message-ID: Stalwart adds one.
const noMessageID = "From: John <john@example.org>\r\nTo: Bill <bill@example.org>\r\nSubject: Saying Hello\r\n\r\nThis is a message just to say hello.\r\n"

// received25 is the Received header of standard(): port 25, plain TCP,
// not authenticated, the PTR name found at MAIL FROM.
const received25 = "Received: from mail.example.net (mail.example.net [10.0.0.1])\r\n" +
	"\tby mx.example.org (Stalwart SMTP) with ESMTP id " + firstID + ";\r\n" +
	"\tWed, 25 Nov 2026 12:00:00 +0000\r\n"

// authResults25 is standard()'s Authentication-Results: SPF none for the
// HELO name and the sender as typed, iprev pass, DMARC none.
const authResults25 = "Authentication-Results: mx.example.org;\r\n" +
	"\tspf=none (mx.example.org: no SPF records found for postmaster@mail.example.net) smtp.helo=mail.example.net;\r\n" +
	"\tspf=none (mx.example.org: no SPF records found for John@Example.org) smtp.mailfrom=John@Example.org;\r\n" +
	"\tiprev=pass policy.iprev=10.0.0.1;\r\n" +
	"\tdmarc=none header.from=example.org policy.dmarc=none\r\n"

// receivedSPF25 is standard()'s Received-SPF: the sender lower-cased.
const receivedSPF25 = "Received-SPF: none (mx.example.org: no SPF records found for john@example.org)\r\n" +
	"\treceiver=mx.example.org; client-ip=10.0.0.1; envelope-from=\"john@example.org\"; helo=mail.example.net;\r\n"

// server25 is every header Stalwart writes for standard() (testMessage has
// a Message-ID but no Date).
const server25 = received25 + authResults25 + receivedSPF25 +
	"Return-Path: <John@example.org>\r\n" +
	"Date: Wed, 25 Nov 2026 12:00:00 +0000\r\n"

// testBody is testMessage without its CRLF before the final dot, as queued.
var testBody = strings.TrimSuffix(testMessage, "\r\n")

// heloOf is context.client.helo of a request.
func heloOf(req map[string]any) string {
	c, _ := req["context"].(map[string]any)
	cl, _ := c["client"].(map[string]any)
	helo, _ := cl["helo"].(string)
	return helo
}

func withServer(s *sessions.Session, f func(*sessions.Server)) *sessions.Session {
	f(&s.Server)
	return s
}

func on(v bool) *bool { return &v }

// submission587 is an authenticated submission on port 587 after STARTTLS.
func submission587(msg string) *sessions.Session {
	s := script(connect(), ehlo("laptop.example.net"), sessions.Step{Kind: sessions.StepStartTLS}, ehlo("laptop.example.net"),
		sessions.Step{Kind: sessions.StepAuth, Login: "john", Password: "x"}, mailFrom("john@example.org"), rcptTo("bill@example.com"), data(msg), quit())
	s.Server.Port = 587
	return s
}

// TestQueuedMessage plays one transaction per rule against a real hook on
// loopback and compares the message as queued, byte for byte: the
// server's headers (data.rs:485-796) in front of the message as the hooks
// left it.
func TestQueuedMessage(t *testing.T) {
	t.Parallel()
	dataAnswer := func(body string) answerFunc { return answerAt("data", body) }
	tests := []struct {
		name      string
		session   *sessions.Session
		answer    answerFunc
		wantCalls []string // stages the hook was called at
		wantReply string
		want      string // the queued message; "" when nothing is queued
		wantNotes []string
	}{
		{
			name:      "port 25, plain, not authenticated, PTR found",
			session:   standard(),
			answer:    accept,
			wantCalls: []string{"connect", "ehlo", "mail", "rcpt", "data"},
			want:      server25 + testBody,
			wantNotes: []string{"spam filter"},
		},
		{
			name:      "no PTR name: unknown in Received, iprev permerror",
			session:   func() *sessions.Session { s := standard(); s.Client.PTR = ""; return s }(),
			answer:    accept,
			wantCalls: []string{"connect", "ehlo", "mail", "rcpt", "data"},
			want: "Received: from mail.example.net (unknown [10.0.0.1])\r\n" +
				"\tby mx.example.org (Stalwart SMTP) with ESMTP id " + firstID + ";\r\n" +
				"\tWed, 25 Nov 2026 12:00:00 +0000\r\n" +
				strings.Replace(authResults25, "iprev=pass", "iprev=permerror (dns record not found)", 1) +
				receivedSPF25 + "Return-Path: <John@example.org>\r\nDate: Wed, 25 Nov 2026 12:00:00 +0000\r\n" + testBody,
		},
		{
			name: "PTR name that does not confirm: iprev fail, the name still in Received",
			session: func() *sessions.Session {
				s := standard()
				s.Client.PTR = "Host.Example.NET."
				s.Client.IPRev = "fail"
				return s
			}(),
			answer:    accept,
			wantCalls: []string{"connect", "ehlo", "mail", "rcpt", "data"},
			want: strings.Replace(received25, "(mail.example.net [", "(host.example.net [", 1) +
				strings.Replace(authResults25, "iprev=pass", "iprev=fail (policy not aligned)", 1) +
				receivedSPF25 + "Return-Path: <John@example.org>\r\nDate: Wed, 25 Nov 2026 12:00:00 +0000\r\n" + testBody,
		},
		{
			name:      "reverseIpVerify disable: no iprev clause, unknown in Received",
			session:   withServer(standard(), func(sv *sessions.Server) { sv.ReverseIPVerify = "disable" }),
			answer:    accept,
			wantCalls: []string{"connect", "ehlo", "mail", "rcpt", "data"},
			want: strings.Replace(received25, "(mail.example.net [", "(unknown [", 1) +
				strings.Replace(authResults25, "\tiprev=pass policy.iprev=10.0.0.1;\r\n", "", 1) +
				receivedSPF25 + "Return-Path: <John@example.org>\r\nDate: Wed, 25 Nov 2026 12:00:00 +0000\r\n" + testBody,
		},
		{
			name: "IPv6 client: policy.iprev quoted, client-ip as is",
			session: func() *sessions.Session {
				s := standard()
				s.Client.IP = "2001:db8::25"
				return s
			}(),
			answer:    accept,
			wantCalls: []string{"connect", "ehlo", "mail", "rcpt", "data"},
			want: strings.Replace(received25, "[10.0.0.1]", "[2001:db8::25]", 1) +
				strings.Replace(authResults25, "policy.iprev=10.0.0.1", `policy.iprev="2001:db8::25"`, 1) +
				strings.Replace(receivedSPF25, "client-ip=10.0.0.1", "client-ip=2001:db8::25", 1) +
				"Return-Path: <John@example.org>\r\nDate: Wed, 25 Nov 2026 12:00:00 +0000\r\n" + testBody,
		},
		{
			name: "STARTTLS on port 25: TLS in Received, ESMTPS",
			session: script(connect(), ehlo("mail.example.net"), sessions.Step{Kind: sessions.StepStartTLS}, ehlo("mail.example.net"),
				mailFrom("John@Example.org"), rcptTo("Bill@example.org"), data(testMessage), quit()),
			answer: accept,
			// The EHLO after STARTTLS repeats the name: no hook call.
			wantCalls: []string{"connect", "ehlo", "mail", "rcpt", "data"},
			want: "Received: from mail.example.net (mail.example.net [10.0.0.1])\r\n" +
				"\t(using TLSv1.3 with cipher TLS13_AES_256_GCM_SHA384)\r\n" +
				"\tby mx.example.org (Stalwart SMTP) with ESMTPS id " + firstID + ";\r\n" +
				"\tWed, 25 Nov 2026 12:00:00 +0000\r\n" +
				authResults25 + receivedSPF25 + "Return-Path: <John@example.org>\r\nDate: Wed, 25 Nov 2026 12:00:00 +0000\r\n" + testBody,
		},
		{
			name:      "587 authenticated, defaults: no header added (every add*Header is local_port == 25)",
			session:   submission587(noMessageID),
			answer:    accept,
			wantCalls: []string{"connect", "ehlo", "mail", "rcpt", "data"},
			want:      strings.TrimSuffix(noMessageID, "\r\n"),
			wantNotes: []string{"DKIM key of the sender's domain (example.org)"},
		},
		{
			name: "587 authenticated with every add*Header on: ESMTPSA, no PTR looked up, Auth-Results none",
			session: withServer(submission587(noMessageID), func(sv *sessions.Server) {
				sv.AddHeaders = sessions.AddHeaders{Received: on(true), AuthResults: on(true), ReceivedSPF: on(true),
					ReturnPath: on(true), Date: on(true), MessageID: on(true)}
			}),
			answer:    accept,
			wantCalls: []string{"connect", "ehlo", "mail", "rcpt", "data"},
			// No SPF, iprev or DMARC off port 25, so no Received-SPF either.
			want: "Received: from laptop.example.net (unknown [10.0.0.1])\r\n" +
				"\t(using TLSv1.3 with cipher TLS13_AES_256_GCM_SHA384)\r\n" +
				"\tby mx.example.org (Stalwart SMTP) with ESMTPSA id " + firstID + ";\r\n" +
				"\tWed, 25 Nov 2026 12:00:00 +0000\r\n" +
				"Authentication-Results: mx.example.org; none\r\n" +
				"Return-Path: <john@example.org>\r\n" +
				"Date: Wed, 25 Nov 2026 12:00:00 +0000\r\n" +
				"Message-ID: <18eb47f663d98000.a96f7503b131be38.a7702e11e7557b58@mx.example.org>\r\n" +
				strings.TrimSuffix(noMessageID, "\r\n"),
			wantNotes: []string{"DKIM key"},
		},
		{
			name: "port 25 with settings off: only Received-SPF and Message-ID",
			session: withServer(script(connect(), ehlo("mail.example.net"), mailFrom("john@example.org"), rcptTo("bill@example.org"), data(noMessageID), quit()),
				func(sv *sessions.Server) {
					sv.AddHeaders = sessions.AddHeaders{Received: on(false), AuthResults: on(false), ReturnPath: on(false), Date: on(false)}
				}),
			answer:    accept,
			wantCalls: []string{"connect", "ehlo", "mail", "rcpt", "data"},
			want: receivedSPF25 +
				"Message-ID: <18eb47f663d98000.a96f7503b131be38.a7702e11e7557b58@mx.example.org>\r\n" +
				strings.TrimSuffix(noMessageID, "\r\n"),
		},
		{
			name: "null sender: Return-Path <>, postmaster@HELO for SPF",
			session: script(connect(), ehlo("mail.example.net"), mailFrom(""), rcptTo("bill@example.org"),
				data("From: MAILER-DAEMON@example.net\r\nSubject: bounce\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\nMessage-ID: <b@example.net>\r\n\r\nbounced\r\n"), quit()),
			answer:    accept,
			wantCalls: []string{"connect", "ehlo", "mail", "rcpt", "data"},
			want: received25 +
				"Authentication-Results: mx.example.org;\r\n" +
				"\tspf=none (mx.example.org: no SPF records found for postmaster@mail.example.net) smtp.helo=mail.example.net;\r\n" +
				"\tspf=none (mx.example.org: no SPF records found for postmaster@mail.example.net) smtp.mailfrom=<>;\r\n" +
				"\tiprev=pass policy.iprev=10.0.0.1;\r\n" +
				"\tdmarc=none header.from=example.net policy.dmarc=none\r\n" +
				"Received-SPF: none (mx.example.org: no SPF records found for postmaster@mail.example.net)\r\n" +
				"\treceiver=mx.example.org; client-ip=10.0.0.1; envelope-from=\"postmaster@mail.example.net\"; helo=mail.example.net;\r\n" +
				"Return-Path: <>\r\n" +
				"From: MAILER-DAEMON@example.net\r\nSubject: bounce\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\nMessage-ID: <b@example.net>\r\n\r\nbounced",
		},
		{
			name: "From with two domains: DMARC exempt, header.from empty",
			session: script(connect(), ehlo("mail.example.net"), mailFrom("a@example.org"), rcptTo("bill@example.org"),
				data("From: a@example.org, b@example.com\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\nMessage-ID: <m@x>\r\n\r\nhi\r\n"), quit()),
			answer:    accept,
			wantCalls: []string{"connect", "ehlo", "mail", "rcpt", "data"},
			want: received25 +
				"Authentication-Results: mx.example.org;\r\n" +
				"\tspf=none (mx.example.org: no SPF records found for postmaster@mail.example.net) smtp.helo=mail.example.net;\r\n" +
				"\tspf=none (mx.example.org: no SPF records found for a@example.org) smtp.mailfrom=a@example.org;\r\n" +
				"\tiprev=pass policy.iprev=10.0.0.1;\r\n" +
				"\tdmarc=none header.from= policy.dmarc=none\r\n" +
				"Received-SPF: none (mx.example.org: no SPF records found for a@example.org)\r\n" +
				"\treceiver=mx.example.org; client-ip=10.0.0.1; envelope-from=\"a@example.org\"; helo=mail.example.net;\r\n" +
				"Return-Path: <a@example.org>\r\n" +
				"From: a@example.org, b@example.com\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\nMessage-ID: <m@x>\r\n\r\nhi",
		},
		{
			name: "an EHLO the hook refuses drops the SPF result of the HELO name",
			session: script(connect(), ehlo("mail.example.net"), ehlo("other.example.net"),
				mailFrom("John@Example.org"), rcptTo("Bill@example.org"), data(testMessage), quit()),
			answer: func(stage string, req map[string]any) (int, string) {
				if stage == "ehlo" && heloOf(req) == "other.example.net" {
					return 200, `{"action":"reject"}`
				}
				return 200, `{"action":"accept"}`
			},
			wantCalls: []string{"connect", "ehlo", "ehlo", "mail", "rcpt", "data"},
			want: received25 +
				strings.Replace(authResults25, "\tspf=none (mx.example.org: no SPF records found for postmaster@mail.example.net) smtp.helo=mail.example.net;\r\n", "", 1) +
				receivedSPF25 + "Return-Path: <John@example.org>\r\nDate: Wed, 25 Nov 2026 12:00:00 +0000\r\n" + testBody,
		},
		{
			name:    "hook addHeader: its headers land after the server's",
			session: standard(),
			answer: dataAnswer(`{"action":"accept","modifications":[{"type":"addHeader","name":"X-Spam-Score","value":"6.0"},` +
				`{"type":"addHeader","name":"X-Spam-Flag","value":"YES"}]}`),
			wantCalls: []string{"connect", "ehlo", "mail", "rcpt", "data"},
			want:      server25 + "X-Spam-Score: 6.0\r\nX-Spam-Flag: YES\r\n" + testBody,
		},
		{
			name:    "hook rewrites the header block: changeHeader, deleteHeader Message-ID; Stalwart adds none (the message as received had one)",
			session: standard(),
			answer: dataAnswer(`{"action":"accept","modifications":[{"type":"changeHeader","index":1,"name":"Subject","value":" [SPAM] Saying Hello"},` +
				`{"type":"deleteHeader","index":1,"name":"Message-ID"},{"type":"addHeader","name":"X-Spam-Flag","value":"YES"}]}`),
			wantCalls: []string{"connect", "ehlo", "mail", "rcpt", "data"},
			want: server25 + "X-Spam-Flag: YES\r\nFrom: John <john@example.org>\r\nTo: Bill <bill@example.org>\r\nSubject: [SPAM] Saying Hello\r\n" +
				"\r\nThis is a message just to say hello.",
		},
		{
			name:      "hook adds a Date: Stalwart still adds its own (it looks at the message as received)",
			session:   standard(),
			answer:    dataAnswer(`{"action":"accept","modifications":[{"type":"addHeader","name":"Date","value":"Mon, 23 Nov 2026 08:00:00 +0100"}]}`),
			wantCalls: []string{"connect", "ehlo", "mail", "rcpt", "data"},
			want:      server25 + "Date: Mon, 23 Nov 2026 08:00:00 +0100\r\n" + testBody,
		},
		{
			name:      "hook changeFrom: Return-Path has the new sender, SPF the one of MAIL FROM",
			session:   standard(),
			answer:    dataAnswer(`{"action":"accept","modifications":[{"type":"changeFrom","value":"<Bounces+1@Lists.Example.NET>"}]}`),
			wantCalls: []string{"connect", "ehlo", "mail", "rcpt", "data"},
			want: received25 + authResults25 + receivedSPF25 + "Return-Path: <Bounces+1@lists.example.net>\r\n" +
				"Date: Wed, 25 Nov 2026 12:00:00 +0000\r\n" + testBody,
		},
		{
			name: "BDAT: the same headers, in front of the message with its final CRLF",
			session: script(connect(), ehlo("mail.example.net"), mailFrom("John@Example.org"), rcptTo("Bill@example.org"),
				sessions.Step{Kind: sessions.StepBdat, Chunks: []int{40}, Message: &sessions.Message{Raw: []byte(testMessage), Source: "inline"}}, quit()),
			answer:    accept,
			wantCalls: []string{"connect", "ehlo", "mail", "rcpt", "data"},
			want:      server25 + testMessage,
		},
		{
			name:      "hook rejects: nothing queued",
			session:   standard(),
			answer:    dataAnswer(`{"action":"reject"}`),
			wantCalls: []string{"connect", "ehlo", "mail", "rcpt", "data"},
			wantReply: "503 5.5.3 Message rejected.",
		},
		{
			name:      "hook discards: the client hears 250, nothing queued",
			session:   standard(),
			answer:    dataAnswer(`{"action":"discard"}`),
			wantCalls: []string{"connect", "ehlo", "mail", "rcpt", "data"},
			wantReply: "250 2.0.0 Message queued for delivery.",
		},
		{
			name: "message Stalwart cannot parse: no data hook call, nothing queued",
			session: script(connect(), ehlo("mail.example.net"), mailFrom("john@example.org"), rcptTo("bill@example.org"),
				data("X-Only: other headers\r\n\r\nbody\r\n"), quit()),
			answer:    accept,
			wantCalls: []string{"connect", "ehlo", "mail", "rcpt"},
			wantReply: ReplyParseFailed,
		},
		{
			name: "DKIM-signed message: the dkim= result is left out, and a note says so",
			session: script(connect(), ehlo("mail.example.net"), mailFrom("john@example.org"), rcptTo("bill@example.org"),
				data("DKIM-Signature: v=1; a=rsa-sha256; d=example.org; s=s1; bh=x; b=y\r\n"+testMessage), quit()),
			answer:    accept,
			wantCalls: []string{"connect", "ehlo", "mail", "rcpt", "data"},
			want: received25 + strings.ReplaceAll(authResults25, "John@Example.org", "john@example.org") + receivedSPF25 +
				"Return-Path: <john@example.org>\r\nDate: Wed, 25 Nov 2026 12:00:00 +0000\r\n" +
				"DKIM-Signature: v=1; a=rsa-sha256; d=example.org; s=s1; bh=x; b=y\r\n" + testBody,
			wantNotes: []string{"1 DKIM signature header:", "spam filter"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			hook := newFakeHook(t, tt.answer)
			res := playWith(t, []*hookconf.Hook{hookAt("h", hook.srv.URL, allStages...)}, tt.session)
			if got := hook.calls(); !slices.Equal(got, tt.wantCalls) {
				t.Errorf("hook called at %v, want %v", got, tt.wantCalls)
			}
			if len(res.Transactions) != 1 {
				t.Fatalf("%d transactions, want 1 (replies %q)", len(res.Transactions), replies(res))
			}
			tx := res.Transactions[0]
			if tt.want == "" {
				if tx.Queued != nil || tx.Delivered || tx.Reply != tt.wantReply {
					t.Errorf("reply %q, delivered %v, queued %q; want %q and nothing queued", tx.Reply, tx.Delivered, tx.Queued, tt.wantReply)
				}
				return
			}
			if tx.Reply != "250 2.0.0 Message queued with id "+strings.ToLower(firstID)+"." {
				t.Errorf("reply %q", tx.Reply)
			}
			if got := string(tx.Queued); got != tt.want {
				t.Errorf("queued message:\n got %q\nwant %q", got, tt.want)
			}
			if !strings.HasSuffix(string(tx.Queued), string(tx.Final)) {
				t.Errorf("the queued message does not end with the final one:\n%q\n%q", tx.Queued, tx.Final)
			}
			for _, n := range tt.wantNotes {
				if !slices.ContainsFunc(tx.QueuedNotes, func(s string) bool { return strings.Contains(s, n) }) {
					t.Errorf("notes %q lack %q", tx.QueuedNotes, n)
				}
			}
		})
	}
}

// TestQueuedSecondMessage: the second message of a connection gets the
// next queue id in Received, and the SPF result of the new MAIL FROM.
func TestQueuedSecondMessage(t *testing.T) {
	t.Parallel()
	hook := newFakeHook(t, accept)
	s := script(connect(), ehlo("mail.example.net"), mailFrom("John@Example.org"), rcptTo("Bill@example.org"), data(testMessage),
		mailFrom("carol@example.org"), rcptTo("Bill@example.org"), data(testMessage), quit())
	res := playWith(t, []*hookconf.Hook{hookAt("h", hook.srv.URL, wire.StageData)}, s)
	if len(res.Transactions) != 2 {
		t.Fatalf("replies %q", replies(res))
	}
	got := string(res.Transactions[1].Queued)
	for _, want := range []string{"with ESMTP id 4C0E37000000201;\r\n", "smtp.mailfrom=carol@example.org;\r\n",
		"envelope-from=\"carol@example.org\"", "\r\nReturn-Path: <carol@example.org>\r\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("second queued message lacks %q:\n%s", want, got)
		}
	}
	if res.Transactions[1].Reply != "250 2.0.0 Message queued with id 4c0e37000000201." {
		t.Errorf("reply %q", res.Transactions[1].Reply)
	}
}

// TestQueuedHeadersExpectation: queued_headers checks the message as
// queued (the server's headers included) with the forms of headers, and
// fails with a message that says which form it checked.
func TestQueuedHeadersExpectation(t *testing.T) {
	t.Parallel()
	count := func(n int) *int { return &n }
	tagged := `{"action":"accept","modifications":[{"type":"addHeader","name":"X-Spam-Flag","value":"YES"}]}`
	tests := []struct {
		name   string
		answer string // the data hook's answer
		expect sessions.Expect
		fail   string // "" when it must pass
	}{
		{"Received once in the queued form", tagged,
			sessions.Expect{QueuedHeaders: []sessions.ExpectHeader{{Name: "Received", Count: count(1)}}}, ""},
		{"and none in the final form", tagged,
			sessions.Expect{Headers: []sessions.ExpectHeader{{Name: "Received", Absent: true}},
				QueuedHeaders: []sessions.ExpectHeader{{Name: "received", Matches: regexp.MustCompile(`^from mail\.example\.net \(mail\.example\.net \[10\.0\.0\.1\]\)\s+by mx\.example\.org \(Stalwart SMTP\) with ESMTP id [0-9A-F]+;`)}}}, ""},
		{"the hook's header is in the queued form too", tagged,
			sessions.Expect{QueuedHeaders: []sessions.ExpectHeader{{Name: "X-Spam-Flag", Values: []string{"YES"}},
				{Name: "Return-Path", Values: []string{"<John@example.org>"}}, {Name: "Message-ID", Count: count(1)}}}, ""},
		{"wrong count", tagged,
			sessions.Expect{QueuedHeaders: []sessions.ExpectHeader{{Name: "Received", Count: count(2)}}},
			`step 5 (data): queued message: header Received occurs once ("from mail.example.net (mail.example.net [10.0.0.1])\tby mx.example.org (Stalwart SMTP) with ESMTP id 4C0E37000000001;\tWed, 25 Nov 2026 12:00:00 +0000"), want 2`},
		{"a server header expected absent", tagged,
			sessions.Expect{QueuedHeaders: []sessions.ExpectHeader{{Name: "Return-Path", Absent: true}}},
			`step 5 (data): queued message: header Return-Path is present ("<John@example.org>"), want it absent`},
		{"nothing queued", `{"action":"reject"}`,
			sessions.Expect{QueuedHeaders: []sessions.ExpectHeader{{Name: "Received", Count: count(1)}}},
			`step 5 (data): no queued message to check queued_headers against (reply "503 5.5.3 Message rejected.")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			hook := newFakeHook(t, answerAt("data", tt.answer))
			s := standard()
			e := tt.expect
			s.Steps[4].Expect = &e
			msgs := failures(playWith(t, []*hookconf.Hook{hookAt("h", hook.srv.URL, wire.StageData)}, s))
			switch {
			case tt.fail == "" && len(msgs) > 0:
				t.Errorf("want a pass, got %q", msgs)
			case tt.fail != "" && (len(msgs) != 1 || msgs[0] != tt.fail):
				t.Errorf("failures %q, want exactly %q", msgs, tt.fail)
			}
		})
	}
}
