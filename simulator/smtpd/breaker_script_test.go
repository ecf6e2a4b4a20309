package smtpd

import (
	"strings"
	"testing"
)

// Breaker: a connection one of whose messages a script cannot hold (no
// MIME parse: a multipart without its boundary parameter, which
// Stalwart queues; an empty message, which Stalwart refuses 550 5.7.7)
// loses its whole script: SessionResult.Script is nil and `hooksim
// export` says "run #N has no session script recorded (a replay of
// single exchanges?)". docs/smtp.md: the script stops, saying why in its
// description, before the first thing a script cannot say; here it
// should at least keep the steps before that message.
func TestBreakerUnscriptableMessageLosesTheScript(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ name, msg, reply string }{
		{"multipart without boundary", "Content-Type: multipart/mixed; boundary=\r\nSubject: x\r\n\r\n--\r\n.", "250 2.0.0 Message queued"},
		{"empty message", "\r\n.", "550 5.7.7 Failed to parse message."},
		{"blank lines only", " \r\n\r\n.", "550 5.7.7 Failed to parse message."},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			addr, _, results, _ := serve(t, &Server{Sim: newSim(t, newHook(t))})
			conn, r := dial(t, addr)
			out := converse(t, conn, r, "EHLO client.example.net", "MAIL FROM:<john@example.org>", "RCPT TO:<bill@example.org>",
				"DATA", c.msg, "QUIT")
			if got := out[len(out)-2]; !strings.HasPrefix(got, c.reply) {
				t.Errorf("the message got %q, want %q", got, c.reply)
			}
			res := <-results
			if res.Script == nil {
				t.Fatalf("no script at all for a connection of %d steps", len(res.Steps))
			}
			if k := kinds(res.Script); !strings.HasPrefix(k, "connect ehlo mail rcpt") {
				t.Errorf("script steps %q", k)
			}
		})
	}
}

// Breaker: a command line of exactly 4096 bytes before its LF, the last
// being the CR of CRLF, is too long (554 5.3.4, as Stalwart); its step
// keeps the line's first 4096 bytes, CR included, so the captured
// script stops there, "holds bytes a script cannot carry (control
// characters or invalid UTF-8)", though the client sent plain text; the
// QUIT after it is lost from the script. A line one byte longer or
// shorter is kept.
func TestBreakerTooLongLineEndingInCR(t *testing.T) {
	t.Parallel()
	addr, _, results, _ := serve(t, &Server{Sim: newSim(t, newHook(t))})
	conn, r := dial(t, addr)
	out := converse(t, conn, r, "EHLO client.example.net", "NOOP "+strings.Repeat("y", 4090), "QUIT")
	if got := out[len(out)-2]; got != "554 5.3.4 Line is too long." {
		t.Fatalf("the long line got %q", got)
	}
	res := <-results
	if res.Script == nil {
		t.Fatal("no script")
	}
	if k := kinds(res.Script); k != "connect ehlo raw quit" {
		t.Errorf("script steps %q, description %q", k, res.Script.Description)
	}
}
