package smtpd

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hooksim/hooksim/simulator"
)

const breakerTranscript = "EHLO client.example.net\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n" +
	"DATA\r\nSubject: x\r\n\r\nhi\r\n..dot\r\n.\r\n" +
	"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nBDAT 10\r\nSubject: y\r\nBDAT 6 LAST\r\n\r\nho\r\n" +
	"RSET\r\nNOOP\r\nQUIT\r\n"

// Breaker: a client that leaves after every byte of a session: every
// connection ends, no goroutine is left behind, no panic.
func TestBreakerDisconnectEverywhere(t *testing.T) {
	h := newHook(t)
	addr, _, results, _ := serve(t, &Server{Sim: newSim(t, h)})
	// warm up
	c, r := dial(t, addr)
	io.WriteString(c, "QUIT\r\n")
	r.ReadString('\n')
	<-results
	time.Sleep(100 * time.Millisecond)
	before := runtime.NumGoroutine()
	for n := 0; n <= len(breakerTranscript); n++ {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		rd := bufio.NewReader(conn)
		rd.ReadString('\n')
		io.WriteString(conn, breakerTranscript[:n])
		conn.(*net.TCPConn).CloseWrite()
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		io.Copy(io.Discard, rd)
		conn.Close()
		select {
		case res := <-results:
			if res.Err != nil {
				t.Errorf("prefix %d: %v", n, res.Err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("prefix %d: the connection never ended", n)
		}
	}
	time.Sleep(200 * time.Millisecond)
	if after := runtime.NumGoroutine(); after > before+2 {
		buf := make([]byte, 1<<20)
		t.Errorf("goroutines: %d before, %d after\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
}

var _ = base64.StdEncoding
var _ = simulator.ReplyAuthOK

// Breaker: Ctrl-C while a hook call is in flight. Stalwart runs a
// command to its end, hooks included, and only then notices the
// shutdown, at its next read: handle_conn's select (spawn.rs:146-247)
// races the read against shutdown_rx, and ingest (which calls the
// hooks, spawn.rs:156) runs after the read won; so the client hears the
// EHLO reply the hook allowed, then 421 4.3.0. hooksim cancels the
// hook's request instead: the client hears 451 4.3.5 (tempFailOnError)
// and the run records a failed hook exchange that Stalwart would never
// have had.
func TestBreakerCancelDuringHook(t *testing.T) {
	h := newSlowHook(t, 1500*time.Millisecond)
	addr, cancel, results, done := serve(t, &Server{Sim: newSim(t, h)})
	conn, r := dial(t, addr) // the connect hook answered (slowly)
	io.WriteString(conn, "EHLO client.example.net\r\n")
	time.Sleep(500 * time.Millisecond) // the ehlo hook is being called
	cancel()
	var got []string
	for {
		l, err := r.ReadString('\n')
		if err != nil {
			break
		}
		got = append(got, l)
	}
	<-done
	res := <-results
	if len(got) < 2 || got[0] != "250-mx.example.org you had me at EHLO\r\n" || got[len(got)-1] != "421 4.3.0 mx.example.org Server shutting down.\r\n" {
		t.Errorf("the client heard %q; want the EHLO reply, then 421 4.3.0", got)
	}
	// What the run says the client was told must be what it heard: the
	// 421 is sometimes lost (the reply before it failed on the deadline
	// the cancel set, and the bufio.Writer keeps that error), yet its
	// close step is recorded.
	var told []string
	for _, st := range res.Steps[1:] {
		for _, r := range st.Replies {
			told = append(told, r+"\r\n")
		}
	}
	if strings.Join(told, "") != strings.Join(got, "") {
		t.Errorf("the run records the replies %q, the client heard %q", told, got)
	}
	for _, st := range res.Steps {
		for _, ex := range st.Exchanges {
			if ex.Err != nil {
				t.Errorf("step %d (%s) recorded a failed hook exchange: %v", st.Index+1, st.Command, ex.Err)
			}
		}
	}
}

func newSlowHook(t *testing.T, d time.Duration) *hook {
	t.Helper()
	h := &hook{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.reqs = append(h.reqs, b)
		h.mu.Unlock()
		time.Sleep(d)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"action":"accept"}`)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// Breaker: a client that leaves (or goes idle, or is stopped) in the
// middle of a SASL exchange: it sent AUTH and heard the server's 334
// prompt, yet the run has no AUTH step at all (auth returns the read
// error without recording anything), where a DATA cut short is kept with
// the 354 the client heard (Live.DataAborted). The run must show every
// command the client sent and every reply it heard.
func TestBreakerAuthCutShortIsRecorded(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, auth, prompt string
		idle               bool
	}{
		{"client leaves", "AUTH XOAUTH2", "334 ", false},
		{"client idle", "AUTH OAUTHBEARER", "334 ", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			srv := &Server{Sim: newSim(t, newHook(t)), NewSession: on587}
			if c.idle {
				srv.IdleTimeout = 300 * time.Millisecond
			}
			addr, _, results, _ := serve(t, srv)
			conn, r := dial(t, addr)
			out := converse(t, conn, r, "EHLO client.example.net", c.auth)
			if got := out[len(out)-1]; got != c.prompt {
				t.Fatalf("AUTH got %q", got)
			}
			if !c.idle {
				conn.Close()
			}
			res := <-results
			if c.idle && res.Steps[len(res.Steps)-1].Kind == simulator.StepClose {
				res.Steps = res.Steps[:len(res.Steps)-1] // the idle close: the AUTH must come before it
			}
			var cmds []string
			for _, st := range res.Steps {
				cmds = append(cmds, st.Kind+" "+st.Command+" "+strings.Join(st.Replies, "|"))
			}
			last := res.Steps[len(res.Steps)-1]
			if !strings.HasPrefix(strings.ToUpper(last.Command), c.auth) || len(last.Replies) == 0 || last.Replies[0] != c.prompt {
				t.Errorf("the run's steps: %q; want the AUTH step with the %q the client heard last", cmds, c.prompt)
			}
		})
	}
}

// Breaker: a SASL response is too long for Stalwart only when the
// line, without its CRs (smtp-proto's LineReceiver drops them,
// receiver.rs:218-231), has MAX_LINE_LENGTH bytes or more
// (session.rs:428: buf.len() < MAX_LINE_LENGTH). hooksim judges instead
// the response as the simulator re-encodes the decoded credentials,
// padded, plus a CR (lineTooLong(saslResponse(step)), commands.go): an
// unpadded response of 4094 bytes, which Stalwart decodes (mail-parser's
// base64_decode takes it), gets "500 5.5.6 Authentication Exchange line
// is too long." and counts as a failed AUTH.
func TestBreakerSASLLineLength(t *testing.T) {
	t.Parallel()
	payload := "user=john@example.org\x01auth=Bearer " + strings.Repeat("t", 3034) + "\x01\x01"
	resp := base64.RawStdEncoding.EncodeToString([]byte(payload))
	if len(resp) != 4094 {
		t.Fatalf("response of %d bytes", len(resp))
	}
	addr, _, _, _ := serve(t, &Server{Sim: newSim(t, newHook(t)), NewSession: on587})
	conn, r := dial(t, addr)
	out := converse(t, conn, r, "EHLO client.example.net", "AUTH XOAUTH2", resp)
	if got := out[len(out)-1]; got == simulator.ReplySaslLineTooLong {
		t.Errorf("a %d-byte SASL response got %q", len(resp), got)
	}
}

// Breaker: Stalwart decodes a SASL response with mail-parser's
// base64_decode (auth.rs:68), which ignores spaces and drops a last
// group that lacks its padding (decoders/base64.rs: the bytes of an
// unfinished group are only written at a '='). So "AUTH PLAIN" with the
// unpadded "AGpvaG5AZXhhbXBsZS5vcmcAcHc" decodes to "\0john@example.org\0"
// with no password: decode_sasl_challenge_plain gives None
// (directory sasl.rs:27-36) and the reply is "500 5.5.6 Invalid
// challenge." (auth.rs:107). hooksim's DecodeBase64 takes unpadded
// base64 whole ("padded or not") and answers 235, the hook then seeing
// an authenticated session.
func TestBreakerSASLUnpaddedBase64(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &Server{Sim: newSim(t, newHook(t))}
	results := make(chan *simulator.SessionResult, 4)
	srv.OnConn = func(r *simulator.SessionResult) { results <- r }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, tls.NewListener(ln, selfSigned(t))) }()
	t.Cleanup(func() { cancel(); <-done })
	conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	r.ReadString('\n')
	resp := base64.RawStdEncoding.EncodeToString([]byte("\x00john@example.org\x00pw"))
	out := converse(t, conn, r, "EHLO client.example.net", "AUTH PLAIN "+resp)
	if got := out[len(out)-1]; got != simulator.ReplyInvalidChallenge {
		t.Errorf("AUTH PLAIN %s got %q, want %q", resp, got, simulator.ReplyInvalidChallenge)
	}
}

// Breaker: OAUTHBEARER without an authzid ("n,,", RFC 7628 allows it)
// and a JWT bearer token: Stalwart takes the user from the token's email
// claim (directory sasl.rs:45-127, extract_oauth_bearer and
// extract_email_from_jwt; "auth=Bearer " is matched ignoring case) and
// authenticates. hooksim's DecodeSASL wants an "a=" login and an exact
// "auth=Bearer " and answers "500 5.5.6 Invalid challenge.", a failed
// AUTH.
func TestBreakerOAuthBearerFromJWT(t *testing.T) {
	t.Parallel()
	b64url := base64.RawURLEncoding.EncodeToString
	jwt := b64url([]byte(`{"alg":"none"}`)) + "." + b64url([]byte(`{"email":"john@example.org"}`)) + ".sig"
	addr, _, _, _ := serve(t, &Server{Sim: newSim(t, newHook(t)), NewSession: on587})
	for _, resp := range []string{
		"n,,\x01auth=Bearer " + jwt + "\x01\x01",
		"n,a=john@example.org,\x01auth=bearer " + jwt + "\x01\x01",
	} {
		conn, r := dial(t, addr)
		out := converse(t, conn, r, "EHLO client.example.net", "AUTH OAUTHBEARER "+base64.StdEncoding.EncodeToString([]byte(resp)))
		if got := out[len(out)-1]; got != simulator.ReplyAuthOK {
			t.Errorf("OAUTHBEARER %q got %q, want %q", resp[:16], got, simulator.ReplyAuthOK)
		}
	}
}

// Breaker (holds): a client that sends its session a byte at a time
// hears what a client that sends it at once hears.
func TestBreakerByteAtATime(t *testing.T) {
	t.Parallel()
	session := breakerTranscript
	run := func(split bool) string {
		addr, _, results, _ := serve(t, &Server{Sim: newSim(t, newHook(t))})
		conn, r := dial(t, addr)
		if split {
			for i := 0; i < len(session); i++ {
				conn.Write([]byte{session[i]})
				time.Sleep(time.Millisecond)
			}
		} else {
			io.WriteString(conn, session)
		}
		b, _ := io.ReadAll(r)
		<-results
		return string(b)
	}
	whole, split := run(false), run(true)
	if whole != split {
		t.Errorf("sent at once:\n%s\nsent a byte at a time:\n%s", whole, split)
	}
}

// Breaker: VRFY, EXPN and ETRN take smtp-proto's string() argument
// (parser.rs:143-153, 186-197, 213-224, string() at 501-542): it ends at
// the first space outside quotes, and quotes are dropped. hooksim checks
// the whole rest of the line, quotes kept (player.raw's needs()).
func TestBreakerVrfyArgument(t *testing.T) {
	t.Parallel()
	addr, _, _, _ := serve(t, &Server{Sim: newSim(t, newHook(t))})
	conn, r := dial(t, addr)
	converse(t, conn, r, "EHLO client.example.net")
	for _, c := range []struct{ line, want string }{
		// the value is "a": 1 to 256 bytes
		{"VRFY a " + strings.Repeat("b", 300), "252 2.5.1 VRFY is disabled."},
		{`EXPN "cccc" ` + strings.Repeat("d", 300), "252 2.5.1 EXPN is disabled."},
		// the value is "": no string
		{`VRFY ""`, "501 5.5.2 Syntax error, expected: VRFY string"},
		{`ETRN ""`, "501 5.5.2 Syntax error, expected: ETRN name"},
	} {
		out := converse(t, conn, r, c.line)
		if got := out[len(out)-1]; got != c.want {
			t.Errorf("%.20s...: %q, want %q", c.line, got, c.want)
		}
	}
}

// Breaker (holds): clients that break off a TLS handshake (implicit, and
// after STARTTLS) at every point leave no goroutine behind.
func TestBreakerTLSHandshakeCut(t *testing.T) {
	cfg := selfSigned(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	plain, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &Server{Sim: newSim(t, newHook(t)), TLS: cfg, TLSTimeout: 2 * time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	d1, d2 := make(chan error, 1), make(chan error, 1)
	go func() { d1 <- srv.Serve(ctx, tls.NewListener(ln, cfg)) }()
	go func() { d2 <- srv.Serve(ctx, plain) }()
	defer func() { cancel(); <-d1; <-d2 }()
	// a ClientHello's first bytes
	var hello []byte
	{
		c1, c2 := net.Pipe()
		go func() { tls.Client(c1, &tls.Config{InsecureSkipVerify: true}).Handshake() }()
		buf := make([]byte, 4096)
		n, _ := c2.Read(buf)
		hello = buf[:n]
		c1.Close()
		c2.Close()
	}
	time.Sleep(100 * time.Millisecond)
	before := runtime.NumGoroutine()
	for _, n := range []int{0, 1, 5, len(hello) / 2, len(hello)} {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c.Write(hello[:n])
		c.Close()
		c, err = net.Dial("tcp", plain.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReader(c)
		r.ReadString('\n')
		io.WriteString(c, "STARTTLS\r\n")
		r.ReadString('\n')
		c.Write(hello[:n])
		c.Close()
	}
	time.Sleep(500 * time.Millisecond)
	if after := runtime.NumGoroutine(); after > before+2 {
		buf := make([]byte, 1<<20)
		t.Errorf("goroutines: %d before, %d after\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
}
