package smtpd

import (
	"bytes"
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator"
)

// replies is every reply of a session's steps, in order.
func replies(res *simulator.SessionResult) []string {
	var out []string
	for _, st := range res.Steps {
		out = append(out, st.Replies...)
	}
	return out
}

func kinds(s *sessions.Session) string {
	var k []string
	for _, st := range s.Steps {
		k = append(k, string(st.Kind))
	}
	return strings.Join(k, " ")
}

// A live connection comes back as a session script (SessionResult.Script)
// that, written out and played against the same hook, sends the same
// requests byte for byte and gets the same replies: commands in their
// usual spelling become ehlo, mail, rcpt... steps, others stay raw,
// nothing is implied, and the password is not kept.
func TestLiveConnectionAsScript(t *testing.T) {
	t.Parallel()
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	live := newHook(t)
	addr, _, results, _ := serve(t, &Server{Sim: newSim(t, live), NewSession: on587})
	conn, r := dial(t, addr)
	converse(t, conn, r, "EHLO client.example.net", "AUTH XOAUTH2", b64("user=john@example.org\x01auth=Bearer secret-pw\x01\x01"),
		"mail from:<john@example.org>", "RCPT TO:<bill@example.org>", "RCPT TO:<ann@example.org> ORCPT=rfc822;ann@example.org",
		"DATA", "From: john@example.org\r\nSubject: one\r\n\r\nHello.\r\n..dot\r\n.", "RSET", "NOOP", "VRFY bill",
		"MAIL FROM:<john@example.org> BODY=8BITMIME", "RCPT TO:<bill@example.org>", "DATA", "Subject: two\r\n\r\nBounce.\r\n.", "QUIT")
	res := <-results
	s := res.Script
	if s == nil {
		t.Fatal("no script")
	}
	if !s.NoImply || s.Client.IP != "127.0.0.1" || s.Server.Port != 587 {
		t.Errorf("script: NoImply %v, client %s, server port %d", s.NoImply, s.Client.IP, s.Server.Port)
	}
	if got, want := kinds(s), "connect ehlo auth raw rcpt rcpt data rset noop raw mail rcpt data quit"; got != want {
		t.Errorf("steps %q, want %q", got, want)
	}
	if a := s.Steps[2]; a.Login != "john@example.org" || a.Password != "" || !a.Prompted || a.Mechanism != "xoauth2" {
		t.Errorf("auth step %+v: want the login, prompted, no password", a)
	}
	if p := s.Steps[5].Params; p != "ORCPT=rfc822;ann@example.org" {
		t.Errorf("rcpt params %q", p)
	}
	if b := playsAsLive(t, res, live); bytes.Contains(b, []byte("secret-pw")) {
		t.Error("the script holds the password")
	}
}

// playsAsLive writes the live connection's script out, reads it back
// and plays it against a hook like live: the replies and every hook
// request must be the live connection's. It returns the script's bytes.
func playsAsLive(t *testing.T, res *simulator.SessionResult, live *hook) []byte {
	t.Helper()
	b, err := sessions.Marshal(res.Script)
	if err != nil {
		t.Fatal(err)
	}
	back, err := sessions.Parse("captured.yaml", b, nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	scriptHook := newHook(t)
	played := newSim(t, scriptHook).Play(context.Background(), back)
	if g, w := strings.Join(replies(played), "\n"), strings.Join(replies(res), "\n"); g != w {
		t.Errorf("the script's replies\n%s\nthe client heard\n%s", g, w)
	}
	lr, sr := live.requests(), scriptHook.requests()
	if len(lr) == 0 || len(lr) != len(sr) {
		t.Fatalf("%d live requests, %d from the script", len(lr), len(sr))
	}
	for i := range lr {
		if !bytes.Equal(lr[i], sr[i]) {
			t.Errorf("request %d differs:\n live   %s\n script %s", i+1, lr[i], sr[i])
		}
	}
	return b
}

// What a script cannot carry ends it, saying so in its description: a
// line that is not UTF-8 text, a message the client did not finish.
func TestLiveScriptStopsShort(t *testing.T) {
	t.Parallel()
	addr, _, results, _ := serve(t, &Server{Sim: newSim(t, newHook(t))})
	conn, r := dial(t, addr)
	converse(t, conn, r, "EHLO client.example.net", "MAIL FROM:<john@example.org>", "NOOP caf\xe9", "QUIT")
	res := <-results
	if res.Script == nil || kinds(res.Script) != "connect ehlo mail" || !strings.Contains(res.Script.Description, "step 4 (NOOP caf?) holds bytes a script cannot carry") {
		t.Errorf("not UTF-8: script %q, description %q", kinds(res.Script), res.Script.Description)
	}

	conn, r = dial(t, addr)
	converse(t, conn, r, "EHLO client.example.net", "MAIL FROM:<john@example.org>", "RCPT TO:<bill@example.org>", "DATA")
	conn.Write([]byte("Subject: cut\r\n\r\nHal"))
	conn.Close()
	res = <-results
	if res.Script == nil || kinds(res.Script) != "connect ehlo mail rcpt" || !strings.Contains(res.Script.Description, "step 5 (DATA), whose message the client did not finish") {
		t.Errorf("cut DATA: script %q, description %q", kinds(res.Script), res.Script.Description)
	}
}

// BDAT chunks are raw steps carrying their chunk: the script plays them
// as the client sent them, to the same requests and replies.
func TestLiveBdatAsScript(t *testing.T) {
	t.Parallel()
	live := newHook(t)
	addr, _, results, _ := serve(t, &Server{Sim: newSim(t, live)})
	conn, r := dial(t, addr)
	converse(t, conn, r, "EHLO client.example.net", "MAIL FROM:<john@example.org>", "RCPT TO:<bill@example.org>",
		"BDAT 14\r\nSubject: two\r\n\x00", "bdat 10 last\r\n\r\nBody.\xff\r\n\x00", "QUIT")
	res := <-results
	if res.Script == nil || kinds(res.Script) != "connect ehlo mail rcpt raw raw quit" || res.Script.Description != strings.Split(res.Script.Description, "\n")[0] {
		t.Fatalf("script %q, description %q", kinds(res.Script), res.Script.Description)
	}
	playsAsLive(t, res, live)
	if n := len(live.requests()); n != 5 {
		t.Errorf("%d live requests, want 5 (the data stage's among them)", n)
	}
}
