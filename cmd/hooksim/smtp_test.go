package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/smtp"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/simulator/smtpd"
	"github.com/hooksim/hooksim/store"
)

// startSMTP runs hooksim smtp with args (a --listen on a free loopback
// port is added) and waits for its banner.
func startSMTP(t *testing.T, dataHome string, args ...string) *liveServer {
	t.Helper()
	return startLive(t, dataHome, regexp.MustCompile(`SMTP on (127\.0\.0\.1:\d+)`), append([]string{"smtp", "--listen", "127.0.0.1:0"}, args...))
}

const capturedMessage = "From: John <john@example.org>\r\nTo: bill@example.org\r\nSubject: signup\r\n" +
	"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
	"Welcome, Zoë.\r\n.dot line\r\n--b1\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=a.bin\r\n" +
	"Content-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--b1--\r\n"

// sendMail sends msg from a real SMTP client (net/smtp) on one
// connection, twice when twice is set (RSET between), and quits.
func sendMail(t *testing.T, addr string, msgs ...string) {
	t.Helper()
	c := helloClient(t, addr)
	for i, msg := range msgs {
		if i > 0 {
			if err := c.Reset(); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.Mail("john@example.org"); err != nil {
			t.Fatal(err)
		}
		for _, to := range []string{"bill@example.org", "ann@example.org"} {
			if err := c.Rcpt(to); err != nil {
				t.Fatal(err)
			}
		}
		w, err := c.Data()
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, msg)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
}

// A message sent once from a real client becomes a regression test: the
// connection is recorded as a run (source smtp), exported as a script
// with its messages as .eml files (the bytes the client sent), and the
// script passes `hooksim test` against the same hook, and fails against
// a hook that answers differently.
func TestSMTPCaptureExportTest(t *testing.T) {
	t.Parallel()
	hook := exampleHook(t)
	dataHome := t.TempDir()
	db := filepath.Join(t.TempDir(), "h.db")
	s := startSMTP(t, dataHome, "--url", hook, "--stages", "all", "--db", db)
	second := strings.Replace(capturedMessage, "signup", "second", 1)
	sendMail(t, s.addr, capturedMessage, second)
	s.waitFor(t, "ended: closed after")
	if code := s.stop(); code != exitOK {
		t.Fatalf("exit %d after Ctrl-C\n%s\n%s", code, s.out.String(), s.err.String())
	}
	out := s.out.String()
	wantContains(t, "hooksim smtp's output", out, "message 1: john@example.org -> bill@example.org, ann@example.org",
		"Message queued with id", "message 2: ", "ended: closed after \"221 2.0.0 Bye.\"", ": run #1",
		"hooksim smtp stopped: 1 connection, 2 messages queued")

	code, runs, errOut := runCLI(t, "", "runs", "--db", db)
	if code != exitOK || !strings.Contains(runs, "smtp 127.0.0.1:") || !strings.Contains(runs, " smtp ") {
		t.Fatalf("runs: exit %d\n%s\n%s", code, runs, errOut)
	}

	dir := t.TempDir()
	script := filepath.Join(dir, "signup.yaml")
	if code, _, errOut := runCLI(t, "", "export", "1", "--db", db, "-o", script); code != exitOK {
		t.Fatalf("export: exit %d\n%s", code, errOut)
	}
	for i, want := range []string{capturedMessage, second} {
		got, err := os.ReadFile(filepath.Join(dir, "signup-"+string(rune('1'+i))+".eml"))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("message %d as exported:\n%q\nthe client sent\n%q", i+1, got, want)
		}
	}
	b, _ := os.ReadFile(script)
	wantContains(t, "the exported script", string(b), "\nname: signup\n", "imply: false", "data: signup-1.eml", "data: signup-2.eml",
		"rcpt: ann@example.org", "rset", "mail: {address: john@example.org, params: BODY=8BITMIME SMTPUTF8}")

	code, testOut, errOut := runCLI(t, "", "test", "--db", filepath.Join(t.TempDir(), "t.db"), script)
	if code != exitOK || !strings.Contains(testOut, "1 passed, 0 failed") {
		t.Fatalf("test of the captured run: exit %d\n%s\n%s", code, testOut, errOut)
	}

	// The same test against a hook that rejects at DATA fails.
	rejecting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Context struct {
				Stage string `json:"stage"`
			} `json:"context"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		w.Header().Set("Content-Type", "application/json")
		if req.Context.Stage == "data" {
			io.WriteString(w, `{"action":"reject","response":{"status":550,"message":"no"}}`)
			return
		}
		io.WriteString(w, `{"action":"accept"}`)
	}))
	defer rejecting.Close()
	code, testOut, errOut = runCLI(t, "", "test", "--db", filepath.Join(t.TempDir(), "r.db"), "--url", rejecting.URL, script)
	if code != exitFailed {
		t.Errorf("test against a hook that rejects: exit %d, want %d\n%s\n%s", code, exitFailed, testOut, errOut)
	}
}

// Ctrl-C with a client still connected: it hears Stalwart's 421, its run
// is kept, interrupted, with what it did; hooksim exits 0.
func TestSMTPStopWithAClientConnected(t *testing.T) {
	t.Parallel()
	hook := exampleHook(t)
	db := filepath.Join(t.TempDir(), "h.db")
	s := startSMTP(t, t.TempDir(), "--url", hook, "--stages", "all", "--db", db)
	conn, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	r := bufio.NewReader(conn)
	r.ReadString('\n')
	io.WriteString(conn, "EHLO client.example.net\r\n")
	for {
		l, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(l, "250 ") {
			break
		}
	}
	if code := s.stop(); code != exitOK {
		t.Errorf("exit %d after Ctrl-C", code)
	}
	if l, _ := r.ReadString('\n'); l != "421 4.3.0 mx.example.org Server shutting down.\r\n" {
		t.Errorf("the client heard %q", l)
	}
	code, out, _ := runCLI(t, "", "runs", "--db", db)
	if code != exitOK || !strings.Contains(out, "interrupted") {
		t.Errorf("runs: exit %d\n%s", code, out)
	}
	code, show, _ := runCLI(t, "", "show", "1", "--db", db)
	if code != exitOK || !strings.Contains(show, "EHLO client.example.net") || !strings.Contains(show, "INTERRUPTED (stopped by Ctrl-C or SIGTERM)") {
		t.Errorf("show 1: exit %d\n%s", code, show)
	}
}

// --client-ip and --client-ptr are what the hooks see (the PTR name
// from the first MAIL FROM on, as Stalwart's iprev check on port 25
// finds it); --hostname is the greeting's; on --server-port 587 the
// banner's swaks command uses STARTTLS and AUTH, as Stalwart requires.
func TestSMTPPresentedClient(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var reqs [][]byte
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		reqs = append(reqs, b)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"action":"accept"}`)
	}))
	defer hook.Close()
	s := startSMTP(t, t.TempDir(), "--url", hook.URL, "--stages", "connect,mail", "--no-record",
		"--client-ip", "203.0.113.7", "--client-ptr", "mail.example.net", "--hostname", "mx.test.example")
	c := helloClient(t, s.addr)
	if err := c.Mail("john@example.org"); err != nil {
		t.Fatal(err)
	}
	c.Quit()
	s.waitFor(t, "ended:")
	mu.Lock()
	defer mu.Unlock()
	if len(reqs) != 2 {
		t.Fatalf("%d hook requests, want 2 (connect, mail)", len(reqs))
	}
	for i, want := range []string{`"ip":"203.0.113.7"`, `"ptr":"mail.example.net."`} {
		if !bytes.Contains(reqs[i], []byte(want)) {
			t.Errorf("request %d lacks %s:\n%s", i+1, want, reqs[i])
		}
	}
	if !strings.Contains(s.out.String(), "SMTP on "+s.addr+" (port 25's rules: the EHLO name must be a domain") {
		t.Errorf("banner:\n%s", s.out.String())
	}

	sub := startSMTP(t, t.TempDir(), "--url", hook.URL, "--no-record", "--server-port", "587", "--user", "ann:pw")
	conn, err := net.Dial("tcp", sub.addr)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	greeting, _ := bufio.NewReader(conn).ReadString('\n')
	conn.Close()
	if greeting != "220 mx.example.org Stalwart ESMTP at your service\r\n" {
		t.Errorf("greeting %q", greeting)
	}
	if !strings.Contains(sub.out.String(), "swaks --server "+sub.addr+" --helo client.example.net --from ann@example.org --to bill@example.org --tls --auth PLAIN --auth-user ann --auth-password pw") {
		t.Errorf("the banner's swaks command on port 587 should use TLS and the --user's AUTH:\n%s", sub.out.String())
	}
}

// Flags that cannot work are refused before anything listens, naming
// the flag.
func TestSMTPBadFlags(t *testing.T) {
	t.Parallel()
	implicit := writeFile(t, t.TempDir(), "465.yaml", "server: {port: 465}\n")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"smtp"}, "no hook to call"},
		{[]string{"smtp", "--url", "http://127.0.0.1:1/", "--cert", "x.pem"}, "--cert and --key go together"},
		{[]string{"smtp", "--url", "http://127.0.0.1:1/", "--server-port", "465"}, "--tls-listen"},
		{[]string{"smtp", "--url", "http://127.0.0.1:1/", "--server-port", "70000"}, "--server-port 70000"},
		{[]string{"smtp", "--url", "http://127.0.0.1:1/", "--user", "nopassword"}, `--user "nopassword"`},
		{[]string{"smtp", "--url", "http://127.0.0.1:1/", "--client-ip", "host"}, `--client-ip "host"`},
		{[]string{"smtp", "--url", "http://127.0.0.1:1/", "--relay", "nowhere"}, `--relay "nowhere"`},
		{[]string{"smtp", "--url", "http://127.0.0.1:1/", "--listen", "127.0.0.1:99999"}, "--listen 127.0.0.1:99999"},
		{[]string{"smtp", "--url", "http://127.0.0.1:1/", "--no-record", "--web", "127.0.0.1:0"}, "--web"},
		{[]string{"smtp", "--url", "http://127.0.0.1:1/", "--session", "missing.yaml"}, "missing.yaml"},
		{[]string{"smtp", "--url", "http://127.0.0.1:1/", "extra"}, "takes no arguments"},
		{[]string{"smtp", "--url", "http://127.0.0.1:1/", "--session", implicit}, "server port 465 is implicit TLS: give --tls-listen"},
	} {
		code, _, errOut := runCLI(t, "", c.args...)
		if code != exitUsage || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, %q; want exit %d naming %q", c.args, code, errOut, exitUsage, c.want)
		}
	}
}

// --relay forwards each queued message, as queued (Stalwart's headers in
// front of the message as the hooks left it) and with its final
// envelope, to a downstream SMTP server; the outcome is kept with the
// message. A downstream that refuses connections is a failure shown on
// the message, not fatal: the client still heard 250.
func TestSMTPRelay(t *testing.T) {
	t.Parallel()
	hook := exampleHook(t)
	downAddr, got := downstream(t)

	db := filepath.Join(t.TempDir(), "h.db")
	s := startSMTP(t, t.TempDir(), "--url", hook, "--stages", "all", "--db", db, "--relay", downAddr)
	sendMail(t, s.addr, capturedMessage)
	var res *simulator.SessionResult
	select {
	case res = <-got:
	case <-time.After(20 * time.Second):
		t.Fatal("the downstream server got nothing")
	}
	if len(res.Transactions) != 1 {
		t.Fatalf("the downstream got %d messages", len(res.Transactions))
	}
	relayed := res.Transactions[0]
	s.waitFor(t, "message 1 relayed to "+downAddr+": 250 2.0.0 Message queued")
	s.stop()

	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	msgs, err := st.Messages(context.Background(), 1)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("messages of run 1: %d, %v", len(msgs), err)
	}
	m := msgs[0]
	queued := append(append([]byte{}, m.QueuedHead...), m.Final...)
	if !bytes.Equal(relayed.Original, queued) {
		t.Errorf("the downstream received\n%q\nthe message as queued is\n%q", relayed.Original, queued)
	}
	if !bytes.Contains(relayed.Original, []byte("\r\nX-Spam-Score: ")) || !bytes.HasPrefix(relayed.Original, []byte("Received: ")) {
		t.Errorf("the relayed message lacks the hook's header or Stalwart's Received:\n%s", relayed.Original)
	}
	if to := strings.Join(relayed.EnvelopeIn.To, ","); to != "bill@example.org,ann@example.org,archive@example.org" {
		t.Errorf("relayed to %s, want the final envelope (with the hook's archive@example.org)", to)
	}
	if m.Relay == nil || !m.Relay.OK || m.Relay.To != downAddr || !strings.HasPrefix(m.Relay.Reply, "250 2.0.0 Message queued") {
		t.Errorf("relay recorded: %+v", m.Relay)
	}

	// A downstream that refuses one recipient: the others get the
	// message, and the refusal is recorded with it.
	picky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		if bytes.Contains(b, []byte(`"stage":"rcpt"`)) && bytes.Contains(b, []byte(`"ann@example.org"`)) {
			io.WriteString(w, `{"action":"reject","response":{"status":550,"enhanced_status":"5.1.1","message":"ann unknown here"}}`)
			return
		}
		io.WriteString(w, `{"action":"accept"}`)
	}))
	defer picky.Close()
	pickyHook, err := hookconf.FromFlags(hookconf.FlagSpec{URL: picky.URL, Stages: []string{"rcpt"}})
	if err != nil {
		t.Fatal(err)
	}
	pickyAddr, pickyGot := downstream(t, pickyHook)
	db3 := filepath.Join(t.TempDir(), "h.db")
	s3 := startSMTP(t, t.TempDir(), "--url", hook, "--stages", "all", "--db", db3, "--relay", pickyAddr)
	sendMail(t, s3.addr, capturedMessage)
	s3.waitFor(t, "message 1 relayed to "+pickyAddr+" for some recipients only: 250 2.0.0 Message queued")
	res = <-pickyGot
	if len(res.Transactions) != 1 || strings.Join(res.Transactions[0].EnvelopeIn.To, ",") != "bill@example.org,archive@example.org" {
		t.Errorf("the picky downstream got %+v", res.Transactions)
	}
	s3.stop()
	st3, err := store.Open(context.Background(), db3)
	if err != nil {
		t.Fatal(err)
	}
	defer st3.Close()
	msgs, err = st3.Messages(context.Background(), 1)
	if err != nil || len(msgs) != 1 || msgs[0].Relay == nil || !msgs[0].Relay.OK || !strings.Contains(msgs[0].Relay.Reply, "(refused: <ann@example.org> 550 5.1.1 ann unknown here)") {
		t.Errorf("a partial relay recorded: %+v, %v", msgs[0].Relay, err)
	}

	// A downstream that is not there.
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := dead.Addr().String()
	dead.Close()
	db2 := filepath.Join(t.TempDir(), "h.db")
	s2 := startSMTP(t, t.TempDir(), "--url", hook, "--stages", "all", "--db", db2, "--relay", deadAddr)
	sendMail(t, s2.addr, capturedMessage)
	s2.waitFor(t, "message 1 NOT relayed to "+deadAddr)
	sendMail(t, s2.addr, capturedMessage) // still serving
	s2.waitFor(t, ": run #2")
	if code := s2.stop(); code != exitOK {
		t.Errorf("exit %d", code)
	}
	st2, err := store.Open(context.Background(), db2)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	msgs, err = st2.Messages(context.Background(), 1)
	if err != nil || len(msgs) != 1 || msgs[0].Relay == nil || msgs[0].Relay.OK || !strings.Contains(msgs[0].Relay.Reply, "connection refused") {
		t.Errorf("a failed relay recorded: %+v, %v", msgs, err)
	}
}

// --throttle applies Stalwart's connection throttle: of connections
// opened at once from one address, those past 5 in a second are closed
// before the greeting, without a word, and the log says so.
func TestSMTPThrottle(t *testing.T) {
	t.Parallel()
	s := startSMTP(t, t.TempDir(), "--url", exampleHook(t), "--no-record", "--throttle")
	start := time.Now()
	greeted, closed := 0, 0
	for range 11 {
		conn, err := net.Dial("tcp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(20 * time.Second))
		line, err := bufio.NewReader(conn).ReadString('\n')
		switch {
		case strings.HasPrefix(line, "220 "):
			greeted++
		case err == io.EOF && line == "":
			closed++
		default:
			t.Errorf("a connection got %q, %v", line, err)
		}
		conn.Close()
	}
	if time.Since(start) > 900*time.Millisecond {
		t.Skip("the connections took more than a second: the throttle's windows are seconds")
	}
	// 11 connections within a second span at most two windows of 5.
	if greeted < 5 || greeted > 10 || closed != 11-greeted {
		t.Errorf("%d greeted, %d closed silently; want 5 to 10 greeted, the rest closed", greeted, closed)
	}
	s.waitFor(t, "closed before the greeting: Stalwart's connection throttle (5 a second from 127.0.0.1)")
}

// downstream serves an SMTP server of hooksim's own (smtpd) on a free
// loopback port, calling hooks, until the test ends, as the server a
// --relay forwards to; got receives each connection's result.
func downstream(t *testing.T, hooks ...*hookconf.Hook) (addr string, got chan *simulator.SessionResult) {
	t.Helper()
	srv := &smtpd.Server{Sim: simulator.New(hooks, nil)}
	got = make(chan *simulator.SessionResult, 4)
	srv.OnConn = func(r *simulator.SessionResult) { got <- r }
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-served; srv.Sim.Client.Close() })
	return ln.Addr().String(), got
}

// helloClient is a net/smtp client connected to addr that said
// EHLO client.example.net; it is closed when the test ends.
func helloClient(t *testing.T, addr string) *smtp.Client {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Hello("client.example.net"); err != nil {
		t.Fatal(err)
	}
	return c
}
