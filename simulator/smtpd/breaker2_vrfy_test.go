package smtpd

import (
	"strings"
	"testing"
)

// Breaker 2: VRFY/EXPN with bytes that are not UTF-8. smtp-proto's
// string() builds the value with String::from_utf8_lossy
// (smtp-proto request/parser.rs:1267-1290, flush_excluding_current), so
// each 0xFF byte is U+FFFD, three bytes, before the length check
// (1..=MAX_ADDRESS_LEN, 256: parser.rs:187-197): 100 bytes 0xFF are a
// 300-byte value, a syntax error. hooksim's smtpString keeps the raw
// bytes (100 bytes) and answers 252.
func TestBreaker2VrfyLossyLength(t *testing.T) {
	t.Parallel()
	addr, _, results, _ := serve(t, &Server{Sim: newSim(t, newHook(t))})
	conn, r := dial(t, addr)
	got := converse(t, conn, r, "VRFY "+strings.Repeat("\xff", 100), "EXPN "+strings.Repeat("\xff", 100), "QUIT")
	<-results
	want := []string{"501 5.5.2 Syntax error, expected: VRFY string", "501 5.5.2 Syntax error, expected: EXPN string", "221 2.0.0 Bye."}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the client heard\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// Breaker 2: the EHLO name as smtp-proto's text() reads it
// (request/parser.rs:545-562): a CR inside the line is dropped
// (flush_excluding_current), and the name is made UTF-8 lossily before
// its length check (1..=MAX_DOMAIN_LEN, parser.rs:77-88). "EHLO
// mx\r.example.net" is the name "mx.example.net", which the hook sees as
// client.helo; hooksim keeps the CR and sends "mx\r.example.net".
func TestBreaker2EhloCarriageReturn(t *testing.T) {
	t.Parallel()
	live := newHook(t)
	addr, _, results, _ := serve(t, &Server{Sim: newSim(t, live)})
	conn, r := dial(t, addr)
	converse(t, conn, r, "EHLO mx\r.example.net", "QUIT")
	<-results
	reqs := live.requests()
	if len(reqs) < 2 || !strings.Contains(string(reqs[1]), `"helo":"mx.example.net"`) {
		var last string
		if len(reqs) > 0 {
			last = string(reqs[len(reqs)-1])
		}
		t.Errorf("the ehlo hook's request: %d requests, the last %s\nwant client.helo \"mx.example.net\" (smtp-proto text() drops the CR)", len(reqs), last)
	}
}

// Breaker 2: 100 bytes 0xFF as the EHLO name are 300 bytes once
// smtp-proto made them UTF-8 (U+FFFD each), over MAX_DOMAIN_LEN (255):
// the syntax error on port 25 (parser.rs:77-88; session.rs:312-329).
func TestBreaker2EhloLossyLength(t *testing.T) {
	t.Parallel()
	addr, _, results, _ := serve(t, &Server{Sim: newSim(t, newHook(t))})
	conn, r := dial(t, addr)
	got := converse(t, conn, r, "EHLO "+strings.Repeat("\xff", 100), "QUIT")
	<-results
	if got[0] != "501 5.5.2 Syntax error, expected: EHLO domain" {
		t.Errorf("EHLO with 100 bytes 0xFF: %q, want the syntax error", got[0])
	}
}
