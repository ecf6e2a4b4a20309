package examplehook

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/hooksim/hooksim/simulator/wire"
)

const cleanMessage = `From: John <john@example.org>
To: Bill <bill@foobar.org>
Subject: Lunch on Friday?
Date: Mon, 24 Nov 2025 10:00:00 +0000
Message-ID: <lunch-1@example.org>

Hi Bill, shall we meet at noon?
`

func TestStages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		stage      wire.Stage
		env        *wire.Envelope
		msg        *wire.Message
		wantAction wire.Action
		wantReply  string // "<status> <enhanced> <message>" for rejects
		wantScore  string // X-Spam-Score for accepted data
		wantLog    string
	}{
		{name: "connect", stage: wire.StageConnect, wantAction: wire.ActionAccept,
			wantLog: "stage=connect action=accept"},
		{name: "ehlo", stage: wire.StageEhlo, wantAction: wire.ActionAccept,
			wantLog: "stage=ehlo action=accept"},
		{name: "auth-unknown-stage", stage: wire.StageAuth, wantAction: wire.ActionAccept,
			wantLog: "stage=auth action=accept"},
		{name: "mail-accept", stage: wire.StageMail, env: newEnvelope("john@example.org"),
			wantAction: wire.ActionAccept, wantLog: "stage=mail action=accept"},
		{name: "mail-null-sender", stage: wire.StageMail, env: newEnvelope(""),
			wantAction: wire.ActionAccept},
		{name: "mail-blocked", stage: wire.StageMail, env: newEnvelope("spammer@blocked.example"),
			wantAction: wire.ActionReject, wantReply: "550 5.7.1 Sender blocked by policy",
			wantLog: `stage=mail action=reject reason="sender domain blocked.example is blocked"`},
		{name: "mail-subdomain-of-blocked", stage: wire.StageMail, env: newEnvelope("a@sub.blocked.example"),
			wantAction: wire.ActionAccept},
		{name: "mail-lookalike-domain", stage: wire.StageMail, env: newEnvelope("a@notblocked.example"),
			wantAction: wire.ActionAccept},
		{name: "rcpt-accept", stage: wire.StageRcpt, env: newEnvelope("john@example.org", "bill@foobar.org"),
			wantAction: wire.ActionAccept, wantLog: "stage=rcpt action=accept"},
		{name: "rcpt-nobody", stage: wire.StageRcpt,
			env:        newEnvelope("john@example.org", "bill@foobar.org", "nobody@foobar.org"),
			wantAction: wire.ActionReject, wantReply: "550 5.1.1 No such user here",
			wantLog: `stage=rcpt action=reject reason="no mailbox nobody@foobar.org"`},
		{name: "rcpt-nobody-prefix", stage: wire.StageRcpt,
			env:        newEnvelope("john@example.org", "nobody.else@foobar.org"),
			wantAction: wire.ActionAccept},
		{name: "data-clean", stage: wire.StageData,
			env:        newEnvelope("john@example.org", "bill@foobar.org"),
			msg:        rawMessage(cleanMessage),
			wantAction: wire.ActionAccept, wantScore: "0.0",
			wantLog: "stage=data action=accept score=0.0"},
		{name: "data-no-date-no-message-id", stage: wire.StageData,
			env:        newEnvelope("john@example.org", "bill@foobar.org"),
			msg:        rawMessage("From: john@example.org\nTo: bill@foobar.org\nSubject: Hello\n\nJust saying hello.\n"),
			wantAction: wire.ActionAccept, wantScore: "2.0"},
		{name: "data-shouting-subject", stage: wire.StageData,
			env: newEnvelope("john@example.org", "bill@foobar.org"),
			msg: rawMessage("Subject: CALL ME 2DAY!\nDate: Mon, 24 Nov 2025 10:00:00 +0000\n" +
				"Message-ID: <s@example.org>\n\nPlease.\n"),
			wantAction: wire.ActionAccept, wantScore: "2.0"},
		{name: "data-flagged", stage: wire.StageData,
			env: newEnvelope("promo@example.net", "bill@foobar.org"),
			msg: rawMessage("From: promo@example.net\nSubject: You are a Winner\nDate: Mon, 24 Nov 2025 10:00:00 +0000\n" +
				"Message-ID: <w@example.net>\n\nClaim your LOTTERY prize today.\n"),
			wantAction: wire.ActionAccept, wantScore: "5.0",
			wantLog: "stage=data action=accept score=5.0"},
		{name: "data-flagged-folded-lowercase-subject", stage: wire.StageData,
			env: newEnvelope("promo@example.net", "bill@foobar.org"),
			msg: rawMessage("from: promo@example.net\nsubject: Free\n Money for the lucky winner\ndate: Mon, 24 Nov 2025 10:00:00 +0000\n\nHello.\n"),
			// "free money" across the fold (3) + "winner" (3) + no Message-ID (1)
			wantAction: wire.ActionAccept, wantScore: "7.0"},
		{name: "data-flagged-no-subject", stage: wire.StageData,
			env:        newEnvelope("promo@example.net", "bill@foobar.org"),
			msg:        rawMessage("From: promo@example.net\nMessage-ID: <n@example.net>\n\nBuy Viagra and get FREE MONEY.\n"),
			wantAction: wire.ActionAccept, wantScore: "5.0"},
		{name: "data-spam-rejected-at-10", stage: wire.StageData,
			env: newEnvelope("promo@example.net", "bill@foobar.org"),
			msg: rawMessage("Subject: Lottery winner\nDate: Mon, 24 Nov 2025 10:00:00 +0000\n" +
				"Message-ID: <b@example.net>\n\nYou won the lottery. Act now!\n"),
			// subject: lottery, winner (6); body: lottery, act now (4): exactly the threshold
			wantAction: wire.ActionReject, wantReply: "550 5.7.1 Message rejected as spam (score 10.0)"},
		{name: "data-flagged-9", stage: wire.StageData,
			env: newEnvelope("promo@example.net", "bill@foobar.org"),
			msg: rawMessage("Subject: Lottery winner\nDate: Mon, 24 Nov 2025 10:00:00 +0000\n" +
				"\nYou won. Act now!\n"),
			// subject: lottery, winner (6); body: act now (2); no Message-ID (1)
			wantAction: wire.ActionAccept, wantScore: "9.0"},
		{name: "data-spam-rejected", stage: wire.StageData,
			env:        newEnvelope("promo@example.net", "bill@foobar.org"),
			msg:        rawMessage("From: promo@example.net\nSubject: WINNER OF THE LOTTERY\nDate: Mon, 24 Nov 2025 10:00:00 +0000\n\nAct now to claim it.\n"),
			wantAction: wire.ActionReject, wantReply: "550 5.7.1 Message rejected as spam (score 11.0)",
			wantLog: `stage=data action=reject score=11.0 reason="spam"`},
		{name: "data-no-headers", stage: wire.StageData,
			env:        newEnvelope("john@example.org", "bill@foobar.org"),
			msg:        rawMessage("\nOnly a body.\n"),
			wantAction: wire.ActionAccept, wantScore: "2.0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var log bytes.Buffer
			h := New(Options{Log: &log})
			rec := post(h, stalwartRequest(tc.stage, tc.env, tc.msg))
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d, body %q", rec.Code, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			body := rec.Body.Bytes()
			checkGolden(t, tc.name+".json", body)

			resp, err := wire.ParseResponse(body)
			if err != nil {
				t.Fatalf("Stalwart would not parse %s: %v", body, err)
			}
			if lints := wire.LintResponse(body, tc.stage); len(lints) > 0 {
				t.Errorf("lints: %v", lints)
			}
			if resp.Action != tc.wantAction {
				t.Errorf("action %q, want %q", resp.Action, tc.wantAction)
			}
			if tc.wantReply != "" {
				if got := replyLine(resp.Reply); got != tc.wantReply {
					t.Errorf("reply %q, want %q", got, tc.wantReply)
				}
			} else if resp.Reply != nil {
				t.Errorf("unexpected response object on %s", resp.Action)
			}
			if tc.stage != wire.StageData || resp.Action != wire.ActionAccept {
				if len(resp.Modifications) != 0 {
					t.Errorf("modifications outside an accepted data stage: %v", resp.Modifications)
				}
			} else {
				checkDataMods(t, resp.Modifications, tc.wantScore, tc.msg)
			}
			if tc.wantLog != "" && log.String() != "examplehook: "+tc.wantLog+"\n" {
				t.Errorf("log %q, want %q", log.String(), tc.wantLog)
			}
		})
	}
}

// replyLine is the SMTP line Stalwart sends for a custom reply.
func replyLine(r *wire.SMTPResponse) string {
	if r == nil || r.Status == nil || r.Message == nil {
		return ""
	}
	line := strconv.Itoa(int(*r.Status))
	if r.EnhancedStatus != nil {
		line += " " + *r.EnhancedStatus
	}
	return line + " " + *r.Message
}

// checkDataMods checks the modifications of an accepted data stage
// against the spec: score header, then flag and subject tag from 5.0,
// then the archive recipient.
func checkDataMods(t *testing.T, mods []wire.Modification, score string, msg *wire.Message) {
	t.Helper()
	want := []wire.Modification{{Type: wire.ModAddHeader, Name: "X-Spam-Score", Value: score}}
	points, err := strconv.ParseFloat(score, 64)
	if err != nil {
		t.Fatalf("bad wantScore %q", score)
	}
	if points >= 5 {
		want = append(want, wire.Modification{Type: wire.ModAddHeader, Name: "X-Spam-Flag", Value: "YES"})
		subject := ""
		found := false
		for _, h := range msg.Headers {
			if strings.EqualFold(h.Name, "Subject") {
				subject, found = h.Value, true
				break
			}
		}
		if found {
			want = append(want, wire.Modification{Type: wire.ModChangeHeader, Index: 1, Name: "Subject",
				Value: " [SPAM] " + strings.TrimSpace(subject)})
		} else {
			want = append(want, wire.Modification{Type: wire.ModAddHeader, Name: "Subject", Value: "[SPAM]"})
		}
	}
	want = append(want, wire.Modification{Type: wire.ModAddRecipient, Value: DefaultArchiveAddress})
	if len(mods) != len(want) {
		t.Fatalf("modifications %+v, want %+v", mods, want)
	}
	for i := range want {
		m := mods[i]
		m.Parameters = nil
		if m.Type != want[i].Type || m.Name != want[i].Name || m.Value != want[i].Value || m.Index != want[i].Index {
			t.Errorf("modification %d: %+v, want %+v", i, mods[i], want[i])
		}
	}
}
