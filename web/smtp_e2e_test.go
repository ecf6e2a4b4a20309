package web_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestBrowserSMTP: the web view shows what a real SMTP client does to
// `hooksim smtp` (the binary, recording into the web view's history from
// its own process) while it does it. A message sent with swaks appears
// in the runs list as a run of source smtp; a client that stops half-way
// shows as a running run whose page already has its commands, replies
// and hook exchanges, and the rest appears as the client goes on, a
// command that calls no hook (NOOP) included.
func TestBrowserSMTP(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests skipped in -short mode")
	}
	swaks, err := exec.LookPath("swaks")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("swaks is not installed (.ci/run installs it)")
		}
		t.Skip("swaks is not installed (Debian: apt-get install swaks)")
	}
	bctx := browser(t)
	e := startEnv(t)
	b := &tab{t: t, ctx: bctx, e: e}

	cmd, addr := startHooksim(t, regexp.MustCompile(`SMTP on (127\.0\.0\.1:\d+)`),
		"smtp", "--listen", "127.0.0.1:0", "--db", e.dbPath, "--url", e.hook.URL, "--stages", "all")

	b.open("#/")
	b.wait("websocket live", `document.getElementById('live').classList.contains('live-live')`, 10*time.Second)
	b.eval(`window.__noReload = 1`)
	out, err := exec.Command(swaks, "--server", addr, "--helo", "client.example.net", "--from", "john@example.org",
		"--to", "bill@example.org", "--header", "Subject: sent with swaks").CombinedOutput()
	if err != nil {
		t.Fatalf("swaks: %v\n%s", err, out)
	}
	b.wait("the swaks run in the list", `[...document.querySelectorAll('#runs-table tr.run-row .session-name')].some(a => a.textContent.startsWith('smtp 127.0.0.1:'))`, 10*time.Second)
	if v := b.eval(`window.__noReload === 1`); v != true {
		t.Errorf("the page reloaded to show the run")
	}
	row := b.eval(`[...document.querySelectorAll('#runs-table tr.run-row')].find(r => r.querySelector('.session-name').textContent.startsWith('smtp 127.0.0.1:')).innerText`).(string)
	if !strings.Contains(row, "smtp") || !strings.Contains(row, "passed") {
		t.Errorf("the swaks run's row: %q", row)
	}
	first := runsOfSource(t, e, "smtp")
	if len(first) != 1 {
		t.Fatalf("%d smtp runs, want 1", len(first))
	}
	b.open(fmt.Sprintf("#/runs/%d", first[0]))
	b.wait("the message, as queued", `(() => { const c = document.querySelector('.tx-card'); return c && c.innerText.includes('delivered') })()`, 10*time.Second)
	b.open(fmt.Sprintf("#/runs/%d/messages/1", first[0]))
	b.wait("the message page with its subject", `document.body.innerText.includes('sent with swaks')`, 10*time.Second)

	// A client that stops after MAIL FROM: its run is already there,
	// running, with what it did so far.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(60 * time.Second))
	r := bufio.NewReader(conn)
	say := func(lines ...string) {
		for _, l := range lines {
			if l != "" {
				io.WriteString(conn, l+"\r\n")
			}
			for {
				reply, err := r.ReadString('\n')
				if err != nil {
					t.Fatalf("after %q: %v", l, err)
				}
				if len(reply) < 4 || reply[3] != '-' {
					break
				}
			}
		}
	}
	say("", "EHLO client.example.net", "MAIL FROM:<ann@example.org>")
	var live int64
	deadline := time.Now().Add(10 * time.Second)
	for live == 0 {
		for _, id := range runsOfSource(t, e, "smtp") {
			if id != first[0] {
				live = id
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the second connection's run never appeared")
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.open(fmt.Sprintf("#/runs/%d", live))
	b.wait("the running run's MAIL step", `(() => { const t = document.getElementById('timeline'); return t && t.innerText.includes('MAIL FROM:<ann@example.org>') && t.innerText.includes('250 2.1.0 OK') })()`, 10*time.Second)
	if badge := b.eval(`document.querySelector('.run-page').innerText`).(string); !strings.Contains(badge, "running") {
		t.Errorf("the run page of a connection still open does not say running:\n%s", badge)
	}
	// A command that calls no hook shows up live too.
	say("NOOP")
	b.wait("the NOOP step, live", `document.getElementById('timeline').innerText.includes('NOOP')`, 10*time.Second)
	say("RCPT TO:<bill@example.org>")
	b.wait("the RCPT step, live", `document.getElementById('timeline').innerText.includes('RCPT TO:<bill@example.org>')`, 10*time.Second)
	io.WriteString(conn, "DATA\r\n")
	say("")
	say("Subject: typed by hand\r\n\r\nHello.\r\n.", "QUIT")
	b.wait("the message, delivered, live", `(() => { const c = document.querySelector('.tx-card'); return c && c.innerText.includes('delivered') })()`, 10*time.Second)
	b.wait("the run finished", `document.querySelector('.run-page').innerText.includes('passed')`, 10*time.Second)

	cmd.Process.Signal(syscall.SIGINT)
	if err := cmd.Wait(); err != nil {
		t.Errorf("hooksim smtp after Ctrl-C: %v", err)
	}
}

// runsOfSource are the IDs of the runs of a source, newest first, as the
// API lists them.
func runsOfSource(t *testing.T, e *env, source string) []int64 {
	t.Helper()
	resp, err := http.Get(e.base + "/api/v1/runs?source=" + source)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct {
		Runs []struct {
			ID     int64  `json:"id"`
			Source string `json:"source"`
		} `json:"runs"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, r := range page.Runs {
		if r.Source == source {
			ids = append(ids, r.ID)
		}
	}
	return ids
}
