package smtpd

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator"
)

// These tests drive the live server with swaks, a real SMTP client (the
// Debian package), and check that what it does is what the equivalent
// session script, written by hand as a user would, does when the
// simulator plays it: the hook gets the same requests, byte for byte and
// as many, and the client hears the same replies.

// newHookAnswering is a real loopback hook that keeps the requests it
// got and answers each with answer's JSON.
func newHookAnswering(t *testing.T, answer func(req []byte) string) *hook {
	t.Helper()
	h := &hook{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.reqs = append(h.reqs, b)
		h.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, answer(b))
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// rejectRcpt answers reject, with the hook's own reply, at the rcpt
// stage for the recipient rcpt (the current one, last in the envelope),
// and accept to everything else.
func rejectRcpt(rcpt string) func([]byte) string {
	return func(b []byte) string {
		var req struct {
			Context struct {
				Stage string `json:"stage"`
			} `json:"context"`
			Envelope struct {
				To []struct {
					Address string `json:"address"`
				} `json:"to"`
			} `json:"envelope"`
		}
		if json.Unmarshal(b, &req) == nil && req.Context.Stage == "rcpt" && len(req.Envelope.To) > 0 &&
			req.Envelope.To[len(req.Envelope.To)-1].Address == rcpt {
			return `{"action":"reject","response":{"status":550,"enhanced_status":"5.1.1","message":"No such user here"}}`
		}
		return `{"action":"accept"}`
	}
}

// swaksRun is what one swaks run against a live server gave.
type swaksRun struct {
	res      *simulator.SessionResult // the live session, as the server recorded it
	heard    []string                 // the reply lines swaks printed, in order
	sent     []string                 // the lines swaks printed as sent (data summarised)
	ip       string                   // swaks's address, as the hook sees it
	port     int
	tls      *tls.ConnectionState // what TLS negotiated, as the server saw it; nil without
	implicit bool                 // TLS from the start
	exitCode int
}

// listener is the server swaks talks to.
type listener struct {
	port     uint16                        // the port the session says (25, 587, 465)
	implicit bool                          // TLS from the start (swaks --tls-on-connect)
	check    func(login, pass string) bool // Server.CheckCredentials
}

// runSwaks runs swaks with args (after the server, helo, output and data
// flags) against a live server on a loopback port, the connection
// described as on port l.port (25: Stalwart's MX listener; 587:
// submission, where AUTH is needed and offered with TLS; 465: implicit
// TLS), served to a simulator calling h. msg is the message file given
// to --data.
func runSwaks(t *testing.T, h *hook, l listener, msg string, args ...string) *swaksRun {
	t.Helper()
	swaks, err := exec.LookPath("swaks")
	if err != nil {
		t.Skip("swaks is not installed (Debian package swaks)")
	}
	run := &swaksRun{implicit: l.implicit}
	var mu sync.Mutex // run.ip, run.port, run.tls are written by the server's goroutines
	cfg := selfSigned(t)
	// A server's VerifyConnection is called after every handshake: it
	// tells what the client negotiated.
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		mu.Lock()
		run.tls = &cs
		mu.Unlock()
		return nil
	}
	srv := &Server{Sim: newSim(t, h), TLS: cfg, CheckCredentials: l.check, NewSession: func(conn net.Conn) *sessions.Session {
		s := DefaultSession(conn)
		s.Server.Port = l.port
		mu.Lock()
		run.ip, run.port = s.Client.IP, int(s.Client.Port)
		mu.Unlock()
		return s
	}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	if l.implicit {
		ln = tls.NewListener(ln, cfg)
	}
	results := make(chan *simulator.SessionResult, 1)
	srv.OnConn = func(r *simulator.SessionResult) { results <- r }
	sctx, stop := context.WithCancel(context.Background())
	ended := make(chan struct{})
	go func() { srv.Serve(sctx, ln); close(ended) }()
	t.Cleanup(func() { stop(); <-ended })

	dir := t.TempDir()
	file := filepath.Join(dir, "message.eml")
	if err := os.WriteFile(file, []byte(msg), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, swaks, append([]string{
		"--server", host, "--port", port, "--helo", "client.example.net",
		"--data", "@" + file, "--suppress-data", "--hide-informational", "--timeout", "20s",
	}, args...)...)
	// No .swaksrc, no SWAKS_OPT_ variable: only the flags count.
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + dir, "LANG=C"}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		run.exitCode = ee.ExitCode()
	case err != nil:
		t.Fatalf("swaks: %v", err)
	}
	select {
	case run.res = <-results:
	case <-ctx.Done():
		t.Fatalf("the live session did not end; swaks said\n%s%s", stdout.String(), stderr.String())
	}
	mu.Lock()
	defer mu.Unlock()
	// swaks marks each line it prints: "<- " a reply it expected, "<**"
	// one it did not (a refusal), "<~ " and "<~*" the same under TLS;
	// " -> ", "**> ", " ~> ", "*~> " a line it sent.
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		line := strings.TrimSuffix(sc.Text(), "\r") + "    "
		switch line[:4] {
		case "<-  ", "<** ", "<~  ", "<~* ":
			run.heard = append(run.heard, line[4:len(line)-4])
		case " -> ", "**> ", " ~> ", "*~> ":
			run.sent = append(run.sent, line[4:len(line)-4])
		default:
			t.Errorf("swaks printed %q", line[:len(line)-4])
		}
	}
	if t.Failed() || stderr.Len() > 0 {
		t.Logf("swaks %s\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), stdout.String(), stderr.String())
	}
	return run
}

// script is the equivalent session script: the client as swaks was (its
// address; when withTLS, the TLS it negotiated, implicit or not), server
// the script's server mapping ("" for the defaults), then steps (lines
// "  - ...").
func (r *swaksRun) script(t *testing.T, withTLS bool, server, steps string) string {
	t.Helper()
	client := fmt.Sprintf("client: {ip: %s, port: %d}\n", r.ip, r.port)
	if withTLS {
		if r.tls == nil {
			t.Fatal("swaks negotiated no TLS")
		}
		client = fmt.Sprintf("client: {ip: %s, port: %d, tls: {version: %s, cipher: %s, implicit: %t}}\n", r.ip, r.port,
			TLSVersionName(r.tls.Version), TLSCipherName(r.tls.Version, r.tls.CipherSuite), r.implicit)
	}
	if server != "" {
		client += "server: " + server + "\n"
	}
	return client + "steps:\n" + steps
}

// sameAsScript plays script against scriptHook and checks that it gave
// scriptHook the requests live got (byte for byte, want of them) and
// the replies swaks heard, both as the live session recorded them and
// as swaks printed them. It returns the script's result.
func (r *swaksRun) sameAsScript(t *testing.T, live, scriptHook *hook, script string, want int) *simulator.SessionResult {
	t.Helper()
	if r.res.Err != nil {
		t.Errorf("live session: %v", r.res.Err)
	}
	sess, err := sessions.Parse("equivalent.yaml", []byte(script), nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, script)
	}
	played := newSim(t, scriptHook).Play(context.Background(), sess)
	if played.Err != nil {
		t.Fatalf("script: %v", played.Err)
	}
	lr, sr := live.requests(), scriptHook.requests()
	if len(lr) != want || len(sr) != want {
		t.Errorf("%d live requests, %d from the script; want %d", len(lr), len(sr), want)
	}
	for i := range min(len(lr), len(sr)) {
		if !bytes.Equal(lr[i], sr[i]) {
			t.Errorf("request %d differs:\n live   %s\n script %s", i+1, lr[i], sr[i])
		}
	}
	replies := func(res *simulator.SessionResult) string {
		var b strings.Builder
		for _, st := range res.Steps {
			for _, rep := range st.Replies {
				b.WriteString(rep + "\n")
			}
		}
		return b.String()
	}
	want2, recorded := replies(played), replies(r.res)
	if recorded != want2 {
		t.Errorf("the live session recorded the replies\n%s\nthe script's are\n%s", recorded, want2)
	}
	if heard := strings.Join(r.heard, "\n") + "\n"; heard != want2 {
		t.Errorf("swaks heard\n%s\nthe script's replies are\n%s", heard, want2)
	}
	if t.Failed() {
		t.Logf("script:\n%s", script)
	}
	return played
}

// swaksMessage is the message the swaks cases send, with lines that
// start with a period (swaks doubles them, the server takes one off).
const swaksMessage = "From: John <john@example.org>\r\nTo: Bill <bill@example.org>\r\nSubject: swaks\r\n" +
	"Date: Mon, 30 Nov 2026 12:00:00 +0000\r\nMessage-ID: <swaks-1@example.org>\r\n\r\n" +
	"Hello.\r\n.A line that starts with a period.\r\n..And two.\r\n"

// swaksFile is msg as the file swaks is given: swaks ends what it sends
// with CRLF "." CRLF itself, so the file leaves out the message's last
// CRLF (with it, swaks would send an empty line more). The script's
// message is msg.
func swaksFile(msg string) string { return strings.TrimSuffix(msg, "\r\n") }

// quoted is msg as a YAML double-quoted scalar (Go's quoting is valid
// YAML for printable text, \r, \n and \t).
func quoted(msg string) string { return strconv.Quote(msg) }

func TestSwaksPlain(t *testing.T) {
	t.Parallel()
	live, scriptHook := newHook(t), newHook(t)
	run := runSwaks(t, live, listener{port: 25}, swaksFile(swaksMessage), "--from", "john@example.org", "--to", "bill@example.org")
	if run.exitCode != 0 {
		t.Errorf("swaks exited %d", run.exitCode)
	}
	played := run.sameAsScript(t, live, scriptHook, run.script(t, false, "",
		"  - ehlo: client.example.net\n  - mail: john@example.org\n  - rcpt: bill@example.org\n"+
			"  - data: {inline: "+quoted(swaksMessage)+"}\n  - quit\n"), 5)
	if len(played.Transactions) != 1 || !played.Transactions[0].Delivered ||
		len(run.res.Transactions) != 1 || !run.res.Transactions[0].Delivered {
		t.Errorf("the message was not queued: live %+v, script %+v", run.res.Transactions, played.Transactions)
	}
}

// STARTTLS: swaks says EHLO again after the handshake, with the same name
// (no hook call); the hook sees the TLS swaks negotiated (OpenSSL against
// Go's TLS), which the script's client.tls names: TLS 1.3, and TLS 1.2
// (whose suites keep their IANA names, as rustls's as_str gives them).
func TestSwaksStartTLS(t *testing.T) {
	t.Parallel()
	for _, version := range []string{"tlsv1_3", "tlsv1_2"} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			live, scriptHook := newHook(t), newHook(t)
			run := runSwaks(t, live, listener{port: 25}, swaksFile(swaksMessage), "--tls", "--tls-protocol", version,
				"--from", "john@example.org", "--to", "bill@example.org")
			if run.exitCode != 0 {
				t.Errorf("swaks exited %d", run.exitCode)
			}
			run.sameAsScript(t, live, scriptHook, run.script(t, true, "",
				"  - ehlo: client.example.net\n  - starttls\n  - ehlo: client.example.net\n  - mail: john@example.org\n"+
					"  - rcpt: bill@example.org\n  - data: {inline: "+quoted(swaksMessage)+"}\n  - quit\n"), 5)
			want := map[string]string{"tlsv1_3": "TLSv1.3", "tlsv1_2": "TLSv1.2"}[version]
			if lr := live.requests(); len(lr) == 5 && !strings.Contains(string(lr[2]), `"tls":{"version":"`+want+`","cipher":"TLS`) {
				t.Errorf("the MAIL hook's request does not carry %s: %s", want, lr[2])
			}
		})
	}
}

// AUTH PLAIN and AUTH LOGIN, as swaks sends them, on the submission port:
// Stalwart offers PLAIN and LOGIN there only over TLS, so swaks starts
// TLS first (--tls); the MAIL hook sees the login.
func TestSwaksAuth(t *testing.T) {
	t.Parallel()
	for _, mech := range []string{"PLAIN", "LOGIN"} {
		t.Run(mech, func(t *testing.T) {
			t.Parallel()
			live, scriptHook := newHook(t), newHook(t)
			run := runSwaks(t, live, listener{port: 587}, swaksFile(swaksMessage), "--tls", "--auth", mech,
				"--auth-user", "john@example.org", "--auth-password", "s3cret",
				"--from", "john@example.org", "--to", "bill@example.org")
			if run.exitCode != 0 {
				t.Errorf("swaks exited %d", run.exitCode)
			}
			auth := "  - auth: {login: john@example.org, password: s3cret}\n"
			if mech == "LOGIN" {
				auth = "  - auth: {login: john@example.org, password: s3cret, mechanism: login}\n"
			}
			run.sameAsScript(t, live, scriptHook, run.script(t, true, "{port: 587}",
				"  - ehlo: client.example.net\n  - starttls\n  - ehlo: client.example.net\n"+auth+
					"  - mail: john@example.org\n  - rcpt: bill@example.org\n"+
					"  - data: {inline: "+quoted(swaksMessage)+"}\n  - quit\n"), 5)
			if lr := live.requests(); len(lr) == 5 && !strings.Contains(string(lr[2]), `"sasl":{"login":"john@example.org"}`) {
				t.Errorf("the MAIL hook's request does not carry the login: %s", lr[2])
			}
			// The credentials are not in what the server recorded.
			b64 := base64.StdEncoding.EncodeToString
			for _, st := range run.res.Steps {
				if strings.Contains(st.Command, "s3cret") || strings.Contains(st.Command, b64([]byte("s3cret"))) ||
					strings.Contains(st.Command, b64([]byte("\x00john@example.org\x00s3cret"))) {
					t.Errorf("step %d records the credentials: %q", st.Index, st.Command)
				}
			}
		})
	}
}

// PIPELINING: swaks sends MAIL, the RCPTs and DATA in one write and then
// reads their replies; the server answers them in order, as one command
// after the other. The script is the same as without pipelining.
func TestSwaksPipelining(t *testing.T) {
	t.Parallel()
	live, scriptHook := newHook(t), newHook(t)
	run := runSwaks(t, live, listener{port: 25}, swaksFile(swaksMessage), "--pipeline", "--from", "john@example.org",
		"--to", "bill@example.org,carol@example.org")
	if run.exitCode != 0 {
		t.Errorf("swaks exited %d", run.exitCode)
	}
	// swaks prints what it sends as it writes it: MAIL, RCPT, RCPT and
	// DATA were written together, before the first of their replies.
	sent := strings.Join(run.sent, "\n")
	if !strings.Contains(sent, "MAIL FROM:<john@example.org>\nRCPT TO:<bill@example.org>\nRCPT TO:<carol@example.org>\nDATA") {
		t.Errorf("swaks did not pipeline; it sent\n%s", sent)
	}
	run.sameAsScript(t, live, scriptHook, run.script(t, false, "",
		"  - ehlo: client.example.net\n  - mail: john@example.org\n  - rcpt: [bill@example.org, carol@example.org]\n"+
			"  - data: {inline: "+quoted(swaksMessage)+"}\n  - quit\n"), 6)
}

// 8BITMIME: swaks (20201014) has no option to send BODY=8BITMIME, so its
// MAIL has no parameter; the body holds UTF-8, a Latin-1 byte and a
// truncated UTF-8 sequence, each of which the hook sees as one U+FFFD
// (String::from_utf8_lossy) in both plays.
func TestSwaks8Bit(t *testing.T) {
	t.Parallel()
	msg := "From: Jos\xc3\xa9 <jose@example.org>\r\nTo: Bill <bill@example.org>\r\nSubject: =?UTF-8?Q?caf=C3=A9?=\r\n" +
		"Date: Mon, 30 Nov 2026 12:00:00 +0000\r\nMessage-ID: <swaks-8@example.org>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
		"Gr\xc3\xbc\xc3\x9fe aus K\xc3\xb6ln \xe2\x80\x94 \xf0\x9f\x93\xae\r\nand one Latin-1 byte: \xe9, a cut dash: \xe2\x80.\r\n"
	live, scriptHook := newHook(t), newHook(t)
	run := runSwaks(t, live, listener{port: 25}, swaksFile(msg), "--from", "jose@example.org", "--to", "bill@example.org")
	if run.exitCode != 0 {
		t.Errorf("swaks exited %d", run.exitCode)
	}
	for _, st := range run.res.Steps {
		if strings.HasPrefix(st.Command, "MAIL") && st.Command != "MAIL FROM:<jose@example.org>" {
			t.Errorf("swaks's MAIL: %q, want no parameter", st.Command)
		}
	}
	run.sameAsScript(t, live, scriptHook, run.script(t, false, "",
		"  - ehlo: client.example.net\n  - mail: jose@example.org\n  - rcpt: bill@example.org\n"+
			"  - data: {inline: !!binary "+base64.StdEncoding.EncodeToString([]byte(msg))+"}\n  - quit\n"), 5)
	if lr := live.requests(); len(lr) == 5 && !strings.Contains(string(lr[4]), "Gr\u00fc\u00dfe aus K\u00f6ln \u2014 \U0001F4EE\\r\\nand one Latin-1 byte: \ufffd, a cut dash: \ufffd.\"") {
		t.Errorf("the data hook's contents: %s", lr[4])
	}
}

// The null sender: swaks's --from '<>' sends MAIL FROM:<>; the hook sees
// the sender "".
func TestSwaksNullSender(t *testing.T) {
	t.Parallel()
	msg := "From: Mail Delivery System <mailer-daemon@example.net>\r\nTo: Bill <bill@example.org>\r\n" +
		"Subject: Undelivered Mail Returned to Sender\r\nDate: Mon, 30 Nov 2026 12:00:00 +0000\r\n" +
		"Message-ID: <swaks-bounce@example.net>\r\n\r\nYour message could not be delivered.\r\n"
	live, scriptHook := newHook(t), newHook(t)
	run := runSwaks(t, live, listener{port: 25}, swaksFile(msg), "--from", "<>", "--to", "bill@example.org")
	if run.exitCode != 0 {
		t.Errorf("swaks exited %d", run.exitCode)
	}
	run.sameAsScript(t, live, scriptHook, run.script(t, false, "",
		"  - ehlo: client.example.net\n  - mail: \"<>\"\n  - rcpt: bill@example.org\n"+
			"  - data: {inline: "+quoted(msg)+"}\n  - quit\n"), 5)
	if lr := live.requests(); len(lr) == 5 && !strings.Contains(string(lr[2]), `"envelope":{"from":{"address":""},"to":[]}`) {
		t.Errorf("the MAIL hook's request: %s", lr[2])
	}
}

// Several recipients (--to a,b,c), the last a duplicate of the first in
// other case: the duplicate is answered 250 2.1.5 OK without a hook call.
func TestSwaksRecipients(t *testing.T) {
	t.Parallel()
	live, scriptHook := newHook(t), newHook(t)
	run := runSwaks(t, live, listener{port: 25}, swaksFile(swaksMessage), "--from", "john@example.org",
		"--to", "bill@example.org,carol@example.net,Bill@Example.org")
	if run.exitCode != 0 {
		t.Errorf("swaks exited %d", run.exitCode)
	}
	run.sameAsScript(t, live, scriptHook, run.script(t, false, "",
		"  - ehlo: client.example.net\n  - mail: john@example.org\n"+
			"  - rcpt: [bill@example.org, carol@example.net, Bill@Example.org]\n"+
			"  - data: {inline: "+quoted(swaksMessage)+"}\n  - quit\n"), 6)
	if lr := live.requests(); len(lr) == 6 &&
		!strings.Contains(string(lr[5]), `"to":[{"address":"bill@example.org"},{"address":"carol@example.net"}]`) {
		t.Errorf("the data hook's envelope: %s", lr[5])
	}
}

// A hook that rejects one recipient at the rcpt stage with its own
// reply: swaks hears it, goes on with the other recipient, and the data
// hook's envelope no longer has the rejected one.
func TestSwaksHookRejectsRcpt(t *testing.T) {
	t.Parallel()
	live, scriptHook := newHookAnswering(t, rejectRcpt("nobody@example.org")), newHookAnswering(t, rejectRcpt("nobody@example.org"))
	run := runSwaks(t, live, listener{port: 25}, swaksFile(swaksMessage), "--from", "john@example.org",
		"--to", "bill@example.org,nobody@example.org")
	if run.exitCode != 0 {
		t.Errorf("swaks exited %d", run.exitCode)
	}
	played := run.sameAsScript(t, live, scriptHook, run.script(t, false, "",
		"  - ehlo: client.example.net\n  - mail: john@example.org\n  - rcpt: bill@example.org\n"+
			"  - rcpt: nobody@example.org\n    expect: {action: reject, reply: 550 5.1.1 No such user here}\n"+
			"  - data: {inline: "+quoted(swaksMessage)+"}\n    expect: {envelope: {to: [bill@example.org]}, delivered: true}\n  - quit\n"), 6)
	if !played.Passed() {
		for _, st := range played.Steps {
			for _, f := range st.Failures {
				t.Errorf("script step %d: %s", st.Index, f)
			}
		}
	}
	if !strings.Contains(strings.Join(run.heard, "\n"), "550 5.1.1 No such user here") {
		t.Errorf("swaks did not hear the hook's reply")
	}
}

// BDAT (CHUNKING): swaks has no BDAT, so this case is a raw conversation
// over a net.Conn, every byte the client reads kept: two chunks, the
// last with LAST, against the script's bdat step with the same chunks.
func TestRawBdatIsTheScript(t *testing.T) {
	t.Parallel()
	live, scriptHook := newHook(t), newHook(t)
	addr, _, results, _ := serve(t, &Server{Sim: newSim(t, live)})
	raw, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	conn := &recordingConn{Conn: raw}
	r := bufio.NewReader(conn)
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	if line, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(line, "220 ") {
		t.Fatalf("greeting: %q, %v", line, err)
	}
	first, rest := swaksMessage[:40], swaksMessage[40:]
	converse(t, conn, r, "EHLO client.example.net", "MAIL FROM:<john@example.org>", "RCPT TO:<bill@example.org>",
		fmt.Sprintf("BDAT %d\r\n%s\x00", len(first), first), fmt.Sprintf("BDAT %d LAST\r\n%s\x00", len(rest), rest), "QUIT")
	res := <-results

	run := &swaksRun{res: res, ip: "127.0.0.1", port: raw.LocalAddr().(*net.TCPAddr).Port}
	conn.mu.Lock()
	run.heard = strings.Split(strings.TrimSuffix(conn.read.String(), "\r\n"), "\r\n")
	conn.mu.Unlock()
	played := run.sameAsScript(t, live, scriptHook, run.script(t, false, "",
		"  - ehlo: client.example.net\n  - mail: john@example.org\n  - rcpt: bill@example.org\n"+
			fmt.Sprintf("  - bdat: {inline: %s, chunks: [%d]}\n  - quit\n", quoted(swaksMessage), len(first))), 5)
	if len(played.Transactions) != 1 || !played.Transactions[0].Delivered {
		t.Errorf("the script's message was not queued: %+v", played.Transactions)
	}
}

// Implicit TLS (swaks --tls-on-connect, Stalwart's port 465): the hook
// sees the TLS from the connect stage on, and AUTH PLAIN is offered at
// once.
func TestSwaksImplicitTLS(t *testing.T) {
	t.Parallel()
	live, scriptHook := newHook(t), newHook(t)
	run := runSwaks(t, live, listener{port: 465, implicit: true}, swaksFile(swaksMessage), "--tls-on-connect",
		"--auth", "PLAIN", "--auth-user", "john@example.org", "--auth-password", "s3cret",
		"--from", "john@example.org", "--to", "bill@example.org")
	if run.exitCode != 0 {
		t.Errorf("swaks exited %d", run.exitCode)
	}
	run.sameAsScript(t, live, scriptHook, run.script(t, true, "{port: 465}",
		"  - ehlo: client.example.net\n  - auth: {login: john@example.org, password: s3cret}\n"+
			"  - mail: john@example.org\n  - rcpt: bill@example.org\n"+
			"  - data: {inline: "+quoted(swaksMessage)+"}\n  - quit\n"), 5)
	if lr := live.requests(); len(lr) == 5 && !strings.Contains(string(lr[0]), `"tls":{"version":"`+TLSVersionName(run.tls.Version)) {
		t.Errorf("the connect hook's request does not carry the TLS: %s", lr[0])
	}
}

// HELO instead of EHLO (swaks --protocol SMTP).
func TestSwaksHelo(t *testing.T) {
	t.Parallel()
	live, scriptHook := newHook(t), newHook(t)
	run := runSwaks(t, live, listener{port: 25}, swaksFile(swaksMessage), "--protocol", "SMTP",
		"--from", "john@example.org", "--to", "bill@example.org")
	if run.exitCode != 0 {
		t.Errorf("swaks exited %d", run.exitCode)
	}
	run.sameAsScript(t, live, scriptHook, run.script(t, false, "",
		"  - helo: client.example.net\n  - mail: john@example.org\n  - rcpt: bill@example.org\n"+
			"  - data: {inline: "+quoted(swaksMessage)+"}\n  - quit\n"), 5)
}

// A wrong password: swaks hears 535 and gives up (its exit code 28,
// "no authentication type succeeded"), as the script's failing auth step
// says.
func TestSwaksAuthFails(t *testing.T) {
	t.Parallel()
	live, scriptHook := newHook(t), newHook(t)
	run := runSwaks(t, live, listener{port: 587, check: func(login, pass string) bool { return pass == "right" }},
		swaksFile(swaksMessage), "--tls", "--auth", "PLAIN", "--auth-user", "john@example.org", "--auth-password", "wrong",
		"--from", "john@example.org", "--to", "bill@example.org")
	if run.exitCode != 28 {
		t.Errorf("swaks exited %d, want 28", run.exitCode)
	}
	run.sameAsScript(t, live, scriptHook, run.script(t, true, "{port: 587}",
		"  - ehlo: client.example.net\n  - starttls\n  - ehlo: client.example.net\n"+
			"  - auth: {login: john@example.org, password: wrong, fail: true}\n  - quit\n"), 2)
}

// A transaction left before DATA (swaks --quit-after RCPT).
func TestSwaksQuitAfterRcpt(t *testing.T) {
	t.Parallel()
	live, scriptHook := newHook(t), newHook(t)
	run := runSwaks(t, live, listener{port: 25}, swaksFile(swaksMessage), "--quit-after", "RCPT",
		"--from", "john@example.org", "--to", "bill@example.org")
	if run.exitCode != 0 {
		t.Errorf("swaks exited %d", run.exitCode)
	}
	run.sameAsScript(t, live, scriptHook, run.script(t, false, "",
		"  - ehlo: client.example.net\n  - mail: john@example.org\n  - rcpt: bill@example.org\n  - quit\n"), 4)
}

// PIPELINING with the hook rejecting the only recipient: swaks has
// already sent DATA behind the RCPT, which gets Stalwart's 503 5.5.1
// RCPT is required first. (data.rs:983-989); swaks then quits without a
// message, as the script's data step, refused, sends none.
func TestSwaksPipelinedRcptRejected(t *testing.T) {
	t.Parallel()
	live, scriptHook := newHookAnswering(t, rejectRcpt("nobody@example.org")), newHookAnswering(t, rejectRcpt("nobody@example.org"))
	run := runSwaks(t, live, listener{port: 25}, swaksFile(swaksMessage), "--pipeline", "--from", "john@example.org",
		"--to", "nobody@example.org")
	if run.exitCode != 24 { // swaks: every recipient refused
		t.Errorf("swaks exited %d, want 24", run.exitCode)
	}
	played := run.sameAsScript(t, live, scriptHook, run.script(t, false, "",
		"  - ehlo: client.example.net\n  - mail: john@example.org\n"+
			"  - rcpt: nobody@example.org\n    expect: {action: reject, reply: 550 5.1.1 No such user here}\n"+
			"  - data: {inline: "+quoted(swaksMessage)+"}\n    expect: {action: none, reply: 503 5.5.1 RCPT is required first.}\n  - quit\n"), 4)
	for _, st := range played.Steps {
		for _, f := range st.Failures {
			t.Errorf("script step %d: %s", st.Index, f)
		}
	}
}
