package rebuild

import (
	"strings"
	"testing"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator/wire"
)

// Stalwart's sub-addressing keeps RCPT bill+news@ as bill@ after the rcpt
// hook (rcpt.rs, rcpt_resolve): the rebuilt script sends what Stalwart
// kept, so that its data stage sees the same recipients, and says so.
func TestSubAddressRewrittenAfterRcpt(t *testing.T) {
	t.Parallel()
	helo := "mail.example.net"
	ctx := func(stage wire.Stage) wire.Context {
		return wire.Context{Stage: stage, Client: wire.ClientInfo{IP: "10.0.0.1", Port: 5000, HELO: &helo, ActiveConnections: 1},
			Server: wire.ServerInfo{Name: wire.ServerName, Port: 25, IP: "192.0.2.10"}, Protocol: wire.Protocol{Version: 1}}
	}
	from := wire.Address{Address: "john@example.org"}
	rcpt := &wire.Request{Context: ctx(wire.StageRcpt), Envelope: &wire.Envelope{From: from, To: []wire.Address{{Address: "bill+news@example.org"}}}}
	msg := "Subject: hi\r\n\r\nHello."
	dctx := ctx(wire.StageData)
	dctx.Queue = &wire.Queue{ID: "4c3eb27c4200001"}
	data := &wire.Request{Context: dctx, Envelope: &wire.Envelope{From: from, To: []wire.Address{{Address: "bill@example.org"}}},
		Message: &wire.Message{Headers: []wire.Header{{Name: "Subject", Value: " hi\r\n"}}, Contents: []byte("Hello."), Size: len(msg)}}
	res, err := Session("x", []Request{{Body: rcpt.Encode()}, {Body: data.Encode()}})
	if err != nil {
		t.Fatal(err)
	}
	var rcpts []string
	for _, st := range res.Session.Steps {
		if st.Kind == sessions.StepRcpt {
			rcpts = append(rcpts, st.Arg)
		}
	}
	if strings.Join(rcpts, ",") != "bill@example.org" {
		t.Errorf("RCPT steps %v, want one, bill@example.org", rcpts)
	}
	if !res.Approximate || !strings.Contains(strings.Join(res.Notes, "\n"), "sub-addressing") {
		t.Errorf("approximate %v, notes:\n%s", res.Approximate, strings.Join(res.Notes, "\n"))
	}
}
