package smtpd

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator"
)

// serve runs srv on a loopback listener until the test ends; results
// gets each connection's result.
func serve(t *testing.T, srv *Server) (addr string, cancel context.CancelFunc, results chan *simulator.SessionResult, done chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	results = make(chan *simulator.SessionResult, 100)
	srv.OnConn = func(r *simulator.SessionResult) { results <- r }
	ctx, cancel := context.WithCancel(context.Background())
	done = make(chan error, 1)
	ended := make(chan struct{})
	go func() { done <- srv.Serve(ctx, ln); close(ended) }()
	t.Cleanup(func() { cancel(); <-ended })
	return ln.Addr().String(), cancel, results, done
}

// dial connects and reads the greeting.
func dial(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	r := bufio.NewReader(conn)
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if line, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(line, "220 ") {
		t.Fatalf("greeting: %q, %v", line, err)
	}
	return conn, r
}

// A silent client is told Stalwart's idle reply and disconnected; the
// session ends normally, after its connect step.
func TestIdleClient(t *testing.T) {
	t.Parallel()
	addr, _, results, _ := serve(t, &Server{Sim: newSim(t, newHook(t)), IdleTimeout: 200 * time.Millisecond})
	_, r := dial(t, addr)
	line, err := r.ReadString('\n')
	if line != "221 2.0.0 mx.example.org Disconnecting inactive client.\r\n" || err != nil {
		t.Errorf("after the idle timeout: %q, %v", line, err)
	}
	if _, err := r.ReadByte(); !errors.Is(err, io.EOF) {
		t.Errorf("the connection is still open: %v", err)
	}
	res := <-results
	if res.Err != nil || len(res.Steps) != 2 || !closedWith(res, "221 2.0.0 mx.example.org Disconnecting inactive client.") {
		t.Errorf("result: %d steps, %v; want the connect step and the server's close, no error", len(res.Steps), res.Err)
	}
}

// closedWith reports a session whose last step is the server closing
// the connection with reply.
func closedWith(res *simulator.SessionResult, reply string) bool {
	last := res.Steps[len(res.Steps)-1]
	return last.Kind == simulator.StepClose && last.Command == "" && last.Closed && strings.Join(last.Replies, "\n") == reply
}

// Stopping the server tells a connected client Stalwart's shutdown
// reply; its session ends interrupted (the context's error), and Serve
// returns once every connection is over.
func TestShutdownTellsClients(t *testing.T) {
	t.Parallel()
	addr, cancel, results, done := serve(t, &Server{Sim: newSim(t, newHook(t))})
	conn, r := dial(t, addr)
	if _, err := io.WriteString(conn, "EHLO client.example.net\r\n"); err != nil {
		t.Fatal(err)
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(line, "250 ") {
			break
		}
	}
	cancel()
	line, err := r.ReadString('\n')
	if line != "421 4.3.0 mx.example.org Server shutting down.\r\n" || err != nil {
		t.Errorf("on shutdown: %q, %v", line, err)
	}
	if err := <-done; err != nil {
		t.Errorf("Serve: %v", err)
	}
	res := <-results
	if !errors.Is(res.Err, context.Canceled) || len(res.Steps) != 3 || !closedWith(res, "421 4.3.0 mx.example.org Server shutting down.") {
		t.Errorf("result: %d steps, %v; want connect, EHLO and the server's close, cancelled", len(res.Steps), res.Err)
	}
}

// Over MaxConnections a new client is closed before the greeting, without
// a word, as Stalwart's throttle does; once one leaves, another is served.
func TestMaxConnections(t *testing.T) {
	t.Parallel()
	addr, _, results, _ := serve(t, &Server{Sim: newSim(t, newHook(t)), MaxConnections: 1})
	first, _ := dial(t, addr)
	second, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	second.SetReadDeadline(time.Now().Add(10 * time.Second))
	if b, err := io.ReadAll(second); len(b) != 0 || err != nil {
		t.Errorf("over the limit: read %q, %v; want nothing and a close", b, err)
	}
	io.WriteString(first, "QUIT\r\n")
	<-results
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); dial(t, addr) }()
	wg.Wait()
}

// A client that leaves in the middle of a message: the DATA is recorded
// with the 354 it heard and how much of the message came, and the hook
// is not called at the data stage.
func TestClientLeavesMidData(t *testing.T) {
	t.Parallel()
	h := newHook(t)
	addr, _, results, _ := serve(t, &Server{Sim: newSim(t, h)})
	conn, r := dial(t, addr)
	for _, cmd := range []string{"EHLO client.example.net", "MAIL FROM:<a@example.org>", "RCPT TO:<b@example.org>", "DATA"} {
		io.WriteString(conn, cmd+"\r\n")
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			if len(line) > 3 && line[3] == ' ' {
				break
			}
		}
	}
	io.WriteString(conn, "Subject: cut\r\n\r\nhalf a mess")
	conn.Close()
	res := <-results
	last := res.Steps[len(res.Steps)-1]
	if res.Err != nil || last.Kind != "data" || len(last.Replies) != 1 || !strings.HasPrefix(last.Replies[0], "354 ") ||
		!strings.Contains(last.Message, "27 bytes received") || len(last.Exchanges) != 0 {
		t.Errorf("last step %+v (session error %v)", last, res.Err)
	}
	if n := len(h.requests()); n != 4 {
		t.Errorf("the hook got %d requests, want 4 (connect, ehlo, mail, rcpt: no data stage)", n)
	}
}

// converse sends each line and reads the server's whole reply to it. A
// line that ends in "\x00" is sent without it and without a CRLF (a
// BDAT command with its chunk).
func converse(t *testing.T, conn net.Conn, r *bufio.Reader, lines ...string) []string {
	t.Helper()
	var out []string
	for _, l := range lines {
		if raw, ok := strings.CutSuffix(l, "\x00"); ok {
			io.WriteString(conn, raw)
		} else {
			io.WriteString(conn, l+"\r\n")
		}
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("after %q: %v", l, err)
			}
			out = append(out, strings.TrimSuffix(line, "\r\n"))
			if len(line) < 4 || line[3] != '-' {
				break
			}
		}
	}
	return out
}

// AUTH over a live connection (port 587 without TLS offers XOAUTH2 and
// OAUTHBEARER): a prompted exchange authenticates as the equivalent
// script's prompted auth step does (same replies; the MAIL hook sees the
// login), a response Stalwart refuses gets its reply and counts, and a
// wrong password (CheckCredentials) gets 535.
func TestLiveAuth(t *testing.T) {
	t.Parallel()
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	live := newHook(t)
	addr, _, results, _ := serve(t, &Server{Sim: newSim(t, live), NewSession: on587,
		CheckCredentials: func(login, secret string) bool { return secret == "tok" }})
	conn, r := dial(t, addr)
	got := converse(t, conn, r, "EHLO client.example.net", "AUTH OAUTHBEARER", "*", "AUTH XOAUTH2",
		b64("user=john@example.org\x01auth=Bearer wrong\x01\x01"), "AUTH XOAUTH2",
		b64("user=john@example.org\x01auth=Bearer tok\x01\x01"), "MAIL FROM:<john@example.org>", "QUIT")
	res := <-results
	want := []string{"334 ", "500 5.5.6 Invalid challenge.", "334 ", "535 5.7.8 Authentication credentials invalid.",
		"334 ", "235 2.7.0 Authentication succeeded.", "250 2.1.0 OK", "221 2.0.0 Bye."}
	if tail := got[len(got)-len(want):]; strings.Join(tail, "\n") != strings.Join(want, "\n") {
		t.Errorf("the client heard\n%s\nwant, after EHLO,\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, st := range res.Steps {
		if strings.Contains(st.Command, "tok") || strings.Contains(st.Command, b64("user=john")[:8]) {
			t.Errorf("a step's command holds the credentials: %q", st.Command)
		}
	}

	// The steps recorded say what the client heard; the equivalent
	// script's auth step gives the same replies and the MAIL hook the
	// same request.
	local := conn.LocalAddr().(*net.TCPAddr)
	var heard []string
	for _, st := range res.Steps {
		heard = append(heard, st.Replies...)
	}
	if strings.Join(heard[len(heard)-len(want):], "\n") != strings.Join(want, "\n") {
		t.Errorf("the steps recorded\n%s", strings.Join(heard, "\n"))
	}
	sess, err := sessions.Parse("auth.yaml", []byte(fmt.Sprintf("client: {ip: %s, port: %d}\nserver: {port: 587}\nsteps:\n"+
		"  - ehlo: client.example.net\n"+
		"  - auth: {login: john@example.org, password: tok, mechanism: xoauth2, prompted: true}\n"+
		"  - mail: john@example.org\n  - quit\n", local.IP, local.Port)), nil)
	if err != nil {
		t.Fatal(err)
	}
	scriptHook := newHook(t)
	played := newSim(t, scriptHook).Play(context.Background(), sess)
	if got := played.Steps[2].Replies; strings.Join(got, "\n") != "334 \n235 2.7.0 Authentication succeeded." {
		t.Errorf("the script's prompted auth step: %q", got)
	}
	lr, sr := live.requests(), scriptHook.requests()
	lastLive, lastScript := lr[len(lr)-1], sr[len(sr)-1] // the MAIL hook's
	if !strings.Contains(string(lastLive), `"login":"john@example.org"`) || !bytes.Equal(lastLive, lastScript) {
		t.Errorf("the MAIL hook's request:\n live   %s\n script %s", lastLive, lastScript)
	}
}

// BDAT over a live connection: each chunk is read after its line and
// answered as it comes; the data hook gets the same request as for the
// equivalent script's bdat step, and the client the same replies. A
// chunk refused (BDAT before MAIL) is read and dropped, not taken for
// commands.
func TestLiveBdat(t *testing.T) {
	t.Parallel()
	live := newHook(t)
	addr, _, results, _ := serve(t, &Server{Sim: newSim(t, live)})
	conn, r := dial(t, addr)
	msg := "Subject: chunks\r\n\r\nBDAT 3 LAST\r\nin the body.\r\n"
	first, rest := msg[:17], msg[17:]
	got := converse(t, conn, r, "EHLO client.example.net", "BDAT 4\r\nQUIT\x00", "MAIL FROM:<a@example.org>", "RCPT TO:<b@example.org>",
		fmt.Sprintf("BDAT %d\r\n%s\x00", len(first), first), fmt.Sprintf("BDAT %d LAST\r\n%s\x00", len(rest), rest))
	got = append(got, converse(t, conn, r, "QUIT")...)
	res := <-results
	want := []string{"503 5.5.1 MAIL is required first.", "250 2.1.0 OK", "250 2.1.5 OK", "250 2.6.0 Chunk accepted."}
	if strings.Join(got[len(got)-len(want)-2:len(got)-2], "\n") != strings.Join(want, "\n") ||
		!strings.HasPrefix(got[len(got)-2], "250 2.0.0 Message queued") || got[len(got)-1] != "221 2.0.0 Bye." {
		t.Errorf("the client heard\n%s", strings.Join(got, "\n"))
	}
	if res.Err != nil || len(res.Transactions) != 1 || !res.Transactions[0].Delivered {
		t.Fatalf("result: %v, transactions %+v", res.Err, res.Transactions)
	}

	local := conn.LocalAddr().(*net.TCPAddr)
	sess, err := sessions.Parse("bdat.yaml", []byte(fmt.Sprintf("client: {ip: %s, port: %d}\nsteps:\n"+
		"  - ehlo: client.example.net\n  - raw: BDAT 0\n  - mail: a@example.org\n  - rcpt: b@example.org\n"+
		"  - bdat: {inline: %s, chunks: [%d]}\n  - quit\n", local.IP, local.Port, strconv.Quote(msg), len(first))), nil)
	if err != nil {
		t.Fatal(err)
	}
	scriptHook := newHook(t)
	played := newSim(t, scriptHook).Play(context.Background(), sess)
	lr, sr := live.requests(), scriptHook.requests()
	if !bytes.Equal(lr[len(lr)-1], sr[len(sr)-1]) {
		t.Errorf("the data hook's request:\n live   %s\n script %s", lr[len(lr)-1], sr[len(sr)-1])
	}
	if a, b := played.Transactions[0].Reply, res.Transactions[0].Reply; a != b {
		t.Errorf("queued: live %q, script %q", b, a)
	}
}

// A connection open longer than MaxDuration gets Stalwart's reply at the
// client's next command, and one that sent more than TransferLimit bytes
// gets its reply at once; both are then closed.
func TestSessionLimits(t *testing.T) {
	t.Parallel()
	t.Run("duration", func(t *testing.T) {
		t.Parallel()
		addr, _, results, _ := serve(t, &Server{Sim: newSim(t, newHook(t)), MaxDuration: 500 * time.Millisecond})
		conn, r := dial(t, addr)
		if got := converse(t, conn, r, "NOOP"); got[0] != "250 2.0.0 OK" {
			t.Errorf("NOOP in time: %q", got)
		}
		time.Sleep(600 * time.Millisecond)
		if got := converse(t, conn, r, "NOOP"); got[0] != "421 4.3.2 mx.example.org Session open for too long." {
			t.Errorf("NOOP too late: %q", got)
		}
		if _, err := r.ReadByte(); !errors.Is(err, io.EOF) {
			t.Errorf("still open: %v", err)
		}
		if res := <-results; len(res.Steps) != 3 || res.Err != nil || !closedWith(res, "421 4.3.2 mx.example.org Session open for too long.") {
			t.Errorf("%d steps (%v), want connect, the first NOOP and the server's close", len(res.Steps), res.Err)
		}
	})
	t.Run("transfer", func(t *testing.T) {
		t.Parallel()
		addr, _, results, _ := serve(t, &Server{Sim: newSim(t, newHook(t)), TransferLimit: 100})
		conn, r := dial(t, addr)
		got := converse(t, conn, r, "EHLO client.example.net", "MAIL FROM:<a@example.org>", "RCPT TO:<b@example.org>", "DATA",
			strings.Repeat("x", 200))
		if last := got[len(got)-1]; last != "452 4.7.28 mx.example.org Session exceeded transfer quota." {
			t.Errorf("past the quota: %q", last)
		}
		res := <-results
		if cut := res.Steps[len(res.Steps)-2]; cut.Kind != "data" || len(cut.Exchanges) != 0 || !strings.Contains(cut.Message, "cut short") {
			t.Errorf("step %+v: want the DATA cut short, no data hook", cut)
		}
		if !closedWith(res, "452 4.7.28 mx.example.org Session exceeded transfer quota.") {
			t.Errorf("the last step is not the server's close: %+v", res.Steps[len(res.Steps)-1])
		}
	})
}

// A client that sends and never reads does not keep a stopping server:
// its connection's writes are cut when the server stops (breaker's
// finding).
func TestShutdownWithAClientThatDoesNotRead(t *testing.T) {
	t.Parallel()
	addr, cancel, _, done := serve(t, &Server{Sim: newSim(t, newHook(t))})
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.(*net.TCPConn).SetReadBuffer(4096)
	go func() {
		for {
			if _, err := io.WriteString(conn, strings.Repeat("HELP\r\n", 10000)); err != nil {
				return
			}
		}
	}()
	time.Sleep(time.Second) // the server's replies fill the buffers
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return")
	}
}

// A command line too long is answered 554 whatever its verb: a DATA
// line of 5000 bytes does not start a message (breaker's finding).
func TestLongLineIsNotACommand(t *testing.T) {
	t.Parallel()
	h := newHook(t)
	addr, _, _, _ := serve(t, &Server{Sim: newSim(t, h)})
	conn, r := dial(t, addr)
	got := converse(t, conn, r, "EHLO client.example.net", "MAIL FROM:<a@example.org>", "RCPT TO:<b@example.org>",
		"DATA"+strings.Repeat(" ", 5000), "QUIT")
	if got[len(got)-2] != "554 5.3.4 Line is too long." || got[len(got)-1] != "221 2.0.0 Bye." {
		t.Errorf("the client heard\n%s", strings.Join(got[len(got)-4:], "\n"))
	}
}

// An AUTH line's initial response is the text up to the next space, the
// rest ignored, as smtp-proto reads it: a wrong token followed by another
// word is still checked (breaker's finding: it was accepted, and recorded
// in clear); a refused AUTH is recorded without its initial response.
func TestAuthLineWords(t *testing.T) {
	t.Parallel()
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	addr, _, results, _ := serve(t, &Server{Sim: newSim(t, newHook(t)), NewSession: on587,
		CheckCredentials: func(login, secret string) bool { return secret == "right" }})
	conn, r := dial(t, addr)
	wrong := b64("user=john@example.org\x01auth=Bearer WRONGSECRET\x01\x01")
	got := converse(t, conn, r, "EHLO client.example.net", "AUTH XOAUTH2 "+wrong+" extra", "AUTH PLAIN "+b64("\x00john\x00WRONGSECRET"), "QUIT")
	want := []string{"535 5.7.8 Authentication credentials invalid.", "554 5.7.8 Authentication mechanism not supported.", "221 2.0.0 Bye."}
	if strings.Join(got[len(got)-3:], "\n") != strings.Join(want, "\n") {
		t.Errorf("the client heard\n%s", strings.Join(got, "\n"))
	}
	for _, st := range (<-results).Steps {
		if strings.Contains(st.Command, "WRONGSECRET") || strings.Contains(st.Command, wrong[:12]) || strings.Contains(st.Command, b64("\x00john")[:6]) {
			t.Errorf("a step records the credentials: %q", st.Command)
		}
	}
}

// A BDAT chunk is read as it comes: a slow one is not cut by the idle
// timeout (it applies to each read), one past the transfer limit is
// stopped at once, and one the client leaves in the middle of is
// recorded, cut short (breaker's findings).
func TestBdatChunkAsItComes(t *testing.T) {
	t.Parallel()
	start := []string{"EHLO client.example.net", "MAIL FROM:<a@example.org>", "RCPT TO:<b@example.org>"}
	t.Run("slow", func(t *testing.T) {
		t.Parallel()
		// Each byte comes well within the idle timeout, the whole chunk
		// takes longer than it.
		addr, _, _, _ := serve(t, &Server{Sim: newSim(t, newHook(t)), IdleTimeout: time.Second})
		conn, r := dial(t, addr)
		converse(t, conn, r, start...)
		msg := "Subject: s\r\n\r\nslow\r\n"
		io.WriteString(conn, fmt.Sprintf("BDAT %d LAST\r\n", len(msg)))
		for i := range len(msg) {
			time.Sleep(80 * time.Millisecond)
			io.WriteString(conn, msg[i:i+1])
		}
		if line, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(line, "250 2.0.0 Message queued") {
			t.Errorf("after a slow chunk: %q, %v", line, err)
		}
	})
	t.Run("transfer", func(t *testing.T) {
		t.Parallel()
		addr, _, _, _ := serve(t, &Server{Sim: newSim(t, newHook(t)), TransferLimit: 300})
		conn, r := dial(t, addr)
		converse(t, conn, r, start...)
		got := converse(t, conn, r, "BDAT 1000\r\n"+strings.Repeat("x", 1000)+"\x00")
		if got[0] != "452 4.7.28 mx.example.org Session exceeded transfer quota." {
			t.Errorf("past the quota in a chunk: %q", got)
		}
	})
	t.Run("left", func(t *testing.T) {
		t.Parallel()
		addr, _, results, _ := serve(t, &Server{Sim: newSim(t, newHook(t))})
		conn, r := dial(t, addr)
		converse(t, conn, r, start...)
		io.WriteString(conn, "BDAT 100 LAST\r\nSubject: half")
		time.Sleep(100 * time.Millisecond)
		conn.Close()
		res := <-results
		last := res.Steps[len(res.Steps)-1]
		if res.Err != nil || last.Command != "BDAT 100 LAST" || len(last.Replies) != 0 || !strings.Contains(last.Message, "13 of 100 bytes") {
			t.Errorf("last step %+v (session error %v)", last, res.Err)
		}
	})
}

// The SASL exchange as Stalwart's handle_sasl_response runs it: an empty
// response is prompted for again, a LOGIN user name that is not base64
// is refused at once, an empty LOGIN password is refused (breaker's
// findings). Unpadded base64 loses its last group (mail-parser's
// decoder): TestBreakerSASLUnpaddedBase64.
func TestSASLExchange(t *testing.T) {
	t.Parallel()
	b64 := base64.StdEncoding.EncodeToString
	anyMech := func(conn net.Conn) *sessions.Session {
		s := DefaultSession(conn)
		s.Server.Port = 587
		s.Server.Auth.SaslMechanisms = []string{"plain", "login"}
		s.Server.Auth.MaxFailures = 10
		return s
	}
	addr, _, results, _ := serve(t, &Server{Sim: newSim(t, newHook(t)), NewSession: anyMech})
	conn, r := dial(t, addr)
	got := converse(t, conn, r, "EHLO client.example.net",
		"AUTH LOGIN", "", "!!!", // prompted again, then refused at once
		"AUTH LOGIN", b64([]byte("john")), "", // an empty password
		"AUTH PLAIN", "", b64([]byte("\x00john\x00pw")), // prompted again, then in
		"QUIT")
	want := []string{
		"334 VXNlcm5hbWU6", "334 VXNlcm5hbWU6", "500 5.5.6 Invalid challenge.",
		"334 VXNlcm5hbWU6", "334 UGFzc3dvcmQ6", "500 5.5.6 Invalid challenge.",
		"334 ", "334 ", "235 2.7.0 Authentication succeeded.", "221 2.0.0 Bye."}
	if tail := got[len(got)-len(want):]; strings.Join(tail, "\n") != strings.Join(want, "\n") {
		t.Errorf("the client heard\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	res := <-results
	if res.Err != nil || res.Steps[len(res.Steps)-2].Command != "AUTH PLAIN" {
		t.Errorf("steps: %v", res.Err)
	}
}

// on587 describes a connection to the submission port, which offers
// XOAUTH2 and OAUTHBEARER without TLS.
func on587(conn net.Conn) *sessions.Session {
	s := DefaultSession(conn)
	s.Server.Port = 587
	return s
}

// With no local domains named, every recipient's domain is local as the
// simulator parses it: a UTF-8 domain, or one in Latin-1 bytes (read
// with U+FFFD, as Stalwart reads it), is not refused as relaying
// (fresh user's finding).
func TestRecipientDomainsLocal(t *testing.T) {
	t.Parallel()
	addr, _, _, _ := serve(t, &Server{Sim: newSim(t, newHook(t))})
	conn, r := dial(t, addr)
	got := converse(t, conn, r, "EHLO client.example.net", "MAIL FROM:<john@example.org>",
		"RCPT TO:<bill@exämple.org>", "RCPT TO:<ann@ex\xe4mple.net>", "RCPT TO:<Carl@Other.Example>")
	for _, reply := range got[len(got)-3:] {
		if reply != "250 2.1.5 OK" {
			t.Errorf("RCPT: %q, want 250 2.1.5 OK\n%q", reply, got)
		}
	}
}
