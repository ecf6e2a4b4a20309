package main

import (
	"context"

	"bufio"
	"github.com/hooksim/hooksim/store"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// converseRaw sends each line (CRLF added unless it ends with "\x00",
// which is dropped) and reads the reply to it.
func converseRaw(t *testing.T, addr string, lines ...string) []string {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	r := bufio.NewReader(conn)
	var out []string
	read := func() {
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("%v (heard %q)", err, out)
			}
			out = append(out, strings.TrimSuffix(l, "\r\n"))
			if len(l) < 4 || l[3] != '-' {
				return
			}
		}
	}
	read()
	for _, l := range lines {
		if raw, ok := strings.CutSuffix(l, "\x00"); ok {
			io.WriteString(conn, raw)
		} else {
			io.WriteString(conn, l+"\r\n")
		}
		read()
	}
	return out
}

// Breaker: a sender or recipient with a quoted local part (RFC 5321
// Quoted-string, which smtp-proto's address() takes, unquoting it:
// parser.rs:473-476) is played, and the hook is called, but `hooksim
// export` of the run fails: the expectations it writes name the
// unquoted address ("john doe@example.org"), which the script's parser
// then refuses ("is not an address"). A captured connection must
// export.
func TestBreakerExportQuotedLocalPart(t *testing.T) {
	t.Parallel()
	hook := exampleHook(t)
	db := filepath.Join(t.TempDir(), "h.db")
	s := startSMTP(t, t.TempDir(), "--url", hook, "--stages", "all", "--db", db, "-q")
	out := converseRaw(t, s.addr, "EHLO client.example.net", `MAIL FROM:<"john doe"@example.org>`, `RCPT TO:<bill@example.org>`,
		"DATA", "From: john@example.org\r\nSubject: q\r\n\r\nhi\r\n.", "QUIT")
	if !strings.HasPrefix(out[len(out)-2], "250 2.0.0 Message queued") {
		t.Fatalf("the message was not queued: %q", out)
	}
	s.stop()
	script := filepath.Join(t.TempDir(), "q.yaml")
	code, _, errOut := runCLI(t, "", "export", "1", "--db", db, "-o", script)
	if code != exitOK {
		t.Fatalf("export: exit %d\n%s", code, errOut)
	}
	code, testOut, errOut := runCLI(t, "", "test", "--db", filepath.Join(t.TempDir(), "t.db"), "--url", hook, script)
	if code != exitOK {
		t.Errorf("test of the export: exit %d\n%s\n%s", code, testOut, errOut)
	}
}

// Breaker: a message refused for its size (552 5.3.4 after the data,
// which leaves MAIL and RCPT in place: session.rs:453-461 only empties
// the message) and then sent again, smaller, on the same transaction:
// both are recorded as message number N of the run, the second insert
// fails (UNIQUE constraint failed: messages.run_id, messages.number),
// the queued message is missing from the store (Messages page, relay
// outcome), and hooksim smtp exits failing at Ctrl-C; `hooksim test` of
// the exported script exits 3 the same way.
func TestBreakerRetryAfterTooBig(t *testing.T) {
	t.Parallel()
	hook := exampleHook(t)
	dir := t.TempDir()
	sess := writeFile(t, dir, "settings.yaml", "server:\n  maxMessageSize: 100\nsteps:\n  - connect\n")
	db := filepath.Join(t.TempDir(), "h.db")
	s := startSMTP(t, t.TempDir(), "--url", hook, "--stages", "all", "--db", db, "--session", sess)
	out := converseRaw(t, s.addr, "EHLO client.example.net", "MAIL FROM:<john@example.org>", "RCPT TO:<bill@example.org>",
		"DATA", "Subject: big\r\n\r\n"+strings.Repeat("y", 150)+"\r\n.", "DATA", "Subject: small\r\n\r\nhi\r\n.", "QUIT")
	if !strings.HasPrefix(out[len(out)-4], "552 5.3.4") || !strings.HasPrefix(out[len(out)-2], "250 2.0.0 Message queued") {
		t.Fatalf("heard %q", out)
	}
	s.waitFor(t, "run #1")
	if code := s.stop(); code != exitOK {
		t.Errorf("hooksim smtp exited %d\n%s", code, s.err.String())
	}
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := st.ListMessages(context.Background(), store.MessageFilter{})
	st.Close()
	if err != nil || len(msgs) != 1 {
		t.Errorf("queued messages in the store: %d, %v; want the one queued", len(msgs), err)
	}
	script := filepath.Join(t.TempDir(), "big.yaml")
	if code, _, errOut := runCLI(t, "", "export", "1", "--db", db, "-o", script); code != exitOK {
		t.Fatalf("export: exit %d\n%s", code, errOut)
	}
	code, testOut, errOut := runCLI(t, "", "test", "--db", filepath.Join(t.TempDir(), "t.db"), "--url", hook, script)
	if code != exitOK {
		t.Errorf("test of the export: exit %d\n%s\n%s", code, testOut, errOut)
	}
}
