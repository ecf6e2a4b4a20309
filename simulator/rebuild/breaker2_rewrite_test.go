package rebuild

import (
	"testing"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator/wire"
)

// A sender rewrite (session.mail.rewrite) runs in handle_mail_from
// (crates/smtp/src/inbound/mail.rs, v0.16.18) after the mail hook and
// replaces mail_from.address_lcase, which the rcpt and data requests
// carry (hooks/message.rs). The captured connection had one MAIL FROM;
// the rebuild reads the changed sender as a new transaction and writes
// MAIL alice, RSET, MAIL bounces: a replay then calls the mail hook
// twice, once with a sender the client never sent. The script should
// keep the one MAIL FROM (the mail request's sender) and say the rcpt
// and data requests carry a rewritten sender (APPROXIMATE).
func TestBreaker2SenderRewrittenAfterMailHook(t *testing.T) {
	t.Parallel()
	helo := "mail.example.net"
	ctx := func(stage wire.Stage) wire.Context {
		return wire.Context{Stage: stage, Client: wire.ClientInfo{IP: "10.0.0.1", Port: 5000, HELO: &helo, ActiveConnections: 1},
			Server: wire.ServerInfo{Name: wire.ServerName, Port: 25, IP: "192.0.2.10"}, Protocol: wire.Protocol{Version: 1}}
	}
	orig := wire.Address{Address: "alice@example.net"}
	rewritten := wire.Address{Address: "bounces@example.net"}
	mail := &wire.Request{Context: ctx(wire.StageMail), Envelope: &wire.Envelope{From: orig, To: []wire.Address{}}}
	rcpt := &wire.Request{Context: ctx(wire.StageRcpt), Envelope: &wire.Envelope{From: rewritten, To: []wire.Address{{Address: "bill@example.org"}}}}
	msg := "Subject: hi\r\n\r\nHello."
	dctx := ctx(wire.StageData)
	dctx.Queue = &wire.Queue{ID: "4c3eb27c4200001"}
	data := &wire.Request{Context: dctx, Envelope: &wire.Envelope{From: rewritten, To: []wire.Address{{Address: "bill@example.org"}}},
		Message: &wire.Message{Headers: []wire.Header{{Name: "Subject", Value: " hi\r\n"}}, Contents: []byte("Hello."), Size: len(msg)}}
	res, err := Session("x", []Request{{Body: mail.Encode()}, {Body: rcpt.Encode()}, {Body: data.Encode()}})
	if err != nil {
		t.Fatal(err)
	}
	var mails []string
	rsets := 0
	for _, st := range res.Session.Steps {
		switch st.Kind {
		case sessions.StepMail:
			mails = append(mails, st.Arg)
		case sessions.StepRset:
			rsets++
		}
	}
	if len(mails) != 1 || mails[0] != orig.Address || rsets != 0 {
		t.Errorf("MAIL steps %v and %d RSET, want one MAIL FROM %s and no RSET (one transaction)", mails, rsets, orig.Address)
	}
	if !res.Approximate {
		t.Errorf("not APPROXIMATE: the rewritten sender is not something the script can make the simulator send; notes %v", res.Notes)
	}
}
