package proxy

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hooksim/hooksim/recorder"
	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator/hookclient/hooktest"
	"github.com/hooksim/hooksim/simulator/wire"
	"github.com/hooksim/hooksim/store"
)

// breakerStore opens a store in its own directory (so that its files can
// be read whole) with a recorder.
func breakerStore(t *testing.T) (*store.Store, *recorder.Recorder, string) {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(context.Background(), filepath.Join(dir, "runs.db"))
	if err != nil {
		t.Fatal(err)
	}
	rec := recorder.New(st, recorder.Options{})
	t.Cleanup(func() {
		rec.Close()
		st.Close()
	})
	return st, rec, dir
}

// storeHolds reports whether any file of the store's directory holds s.
func storeHolds(t *testing.T, dir, s string) bool {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err == nil && bytes.Contains(b, []byte(s)) {
			return true
		}
	}
	return false
}

const breakerConnect = `{"context":{"stage":"connect","client":{"ip":"10.0.0.1","port":1,"ptr":null,"helo":null,"activeConnections":1},"server":{"name":"Stalwart v0.16.18","port":25,"ip":"192.0.2.10"},"protocol":{"version":1}}}`

// A webhook secret in the hook URL's query (https://hook/?token=...) is
// a common way to authenticate a webhook, and Stalwart's MtaHook url can
// hold one. DESIGN.md: "Secrets (credentials, and anything that looks
// like one) never reach the store or the screen in clear text"; the
// proxy stores the query in clear in the exchange's URL and in the
// recorded request line.
func TestBreakerSecretInQueryNotStored(t *testing.T) {
	t.Parallel()
	const secret = "q5ecret-Zy8w1pT0kenValue"
	hook := rawHook(t, acceptAll)
	st, rec, dir := breakerStore(t)
	base, p := startProxy(t, Config{Upstream: hook.URL("/"), Observer: rec, TempFailOnError: true, Checker: DriftChecker})
	req, _ := http.NewRequest(http.MethodPost, base+"/mta-hook?token="+secret, strings.NewReader(breakerConnect))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := hook.Requests(); len(got) != 1 || !strings.Contains(got[0].Head, secret) {
		t.Fatalf("the upstream must get the query as sent")
	}
	p.Close()
	rec.Flush(context.Background())
	waitRuns(t, st, 1)
	rec.Close()
	if storeHolds(t, dir, secret) {
		t.Errorf("the store holds the token of the hook URL's query (?token=...) in clear")
	}
}

// A short credential value (an X-Api-Key of "1") is listed as a secret
// to hide everywhere: the proxy hides every "1" in the recorded request
// line, status line and other fields' values, so the record no longer
// says what went on the wire (content-length "****8", "HTTP/****.****").
// hookconf.Hook.Secrets skips bare secrets under minSecretLen for this
// very reason; the credential field itself is hidden whole anyway.
func TestBreakerShortSecretKeepsOtherFields(t *testing.T) {
	t.Parallel()
	hook := rawHook(t, acceptAll)
	st, rec := recording(t)
	base, p := startProxy(t, Config{Upstream: hook.URL("/"), Observer: rec, TempFailOnError: true})
	req, _ := http.NewRequest(http.MethodPost, base+"/h1", strings.NewReader(breakerConnect))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Api-Key", "1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	p.Close()
	rec.Flush(context.Background())
	runs := waitRuns(t, st, 1)
	exs, err := st.Exchanges(context.Background(), runs[0].ID)
	if err != nil || len(exs) != 1 {
		t.Fatalf("%d exchanges (%v)", len(exs), err)
	}
	for _, h := range exs[0].RequestHeaders {
		if strings.EqualFold(h.Name, "content-length") && h.Value != itoa(len(breakerConnect)) {
			t.Errorf("recorded content-length %q, want %d", h.Value, len(breakerConnect))
		}
	}
	if exs[0].Wire != nil {
		line, _, _ := strings.Cut(string(exs[0].Wire.RequestHead), "\r\n")
		if line != "POST /h1 HTTP/1.1" {
			t.Errorf("recorded request line %q, want %q", line, "POST /h1 HTTP/1.1")
		}
		status, _, _ := strings.Cut(string(exs[0].Wire.ResponseHead), "\r\n")
		if status != "HTTP/1.1 200 OK" {
			t.Errorf("recorded status line %q, want %q", status, "HTTP/1.1 200 OK")
		}
	}
}

// The upstream without a path keeps Stalwart's path, so one proxy can
// stand for several MtaHooks (/spam, /policy). Stalwart calls them one
// after the other at each stage, with the same client address and port.
// The proxy groups by address and port only: the second hook's connect
// request ends the first hook's run as "a new connection", the first
// hook's data stage ends the run holding the second's requests, and the
// second hook's data request is a run of its own. Each hook's requests
// for one SMTP connection make one run.
func TestBreakerTwoHooksThroughOneProxy(t *testing.T) {
	t.Parallel()
	hook := rawHook(t, acceptAll)
	st, rec := recording(t)
	base, _ := startProxy(t, Config{Upstream: hook.URL("/"), Observer: rec, TempFailOnError: true, Checker: DriftChecker})
	sess, err := sessions.BundledByName("hello")
	if err != nil {
		t.Fatal(err)
	}
	a, b := hookAt(base+"/spam", allStages...), hookAt(base+"/policy", allStages...)
	b.ID = "hook2"
	play(t, sess, a, b)
	n := len(hook.Requests())
	rec.Flush(context.Background())
	time.Sleep(300 * time.Millisecond)
	runs, err := st.ListRuns(context.Background(), store.RunFilter{Source: store.SourceProxy})
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for _, r := range runs {
		sizes = append(sizes, r.Exchanges)
	}
	if len(runs) != 2 || n != 10 {
		t.Errorf("%d requests of two hooks for one SMTP connection recorded as %d runs of %v exchanges; want 2 runs (one per hook) of 5", n, len(runs), sizes)
	}
	for _, r := range runs {
		if r.Drift != 0 {
			t.Errorf("run #%d (%d exchanges): %d drift findings for hooksim's own requests", r.ID, r.Exchanges, r.Drift)
		}
	}
}

// The idle reaper reads Connection.last under the tracker's mutex while
// a request writes it under the connection's own lock: a data race
// (go test -race reports it; seen in TestConnectionGrouping and
// TestProxyHTTP2BothSides under -count=5).
func TestBreakerReaperRacesWithRequests(t *testing.T) {
	t.Parallel()
	hook := rawHook(t, acceptAll)
	base, _ := startProxy(t, Config{Upstream: hook.URL("/"), TempFailOnError: true, IdleGap: time.Millisecond})
	deadline := time.Now().Add(300 * time.Millisecond)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequest(http.MethodPost, base+"/", strings.NewReader(strings.Replace(breakerConnect, `"connect"`, `"ehlo"`, 1)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// Proxy.Close says "Requests still in progress finish first", but it
// waits only for its reaper: a request answered after Close opens a play
// nobody ends, and its run stays "running" for ever.
func TestBreakerCloseWaitsForRequestsInProgress(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	slow := hooktest.New(t, func(n int, req hooktest.Request, c net.Conn) bool {
		<-release
		io.WriteString(c, "HTTP/1.1 200 OK\r\ncontent-length: 19\r\n\r\n{\"action\":\"accept\"}")
		return false
	})
	st, rec := recording(t)
	p, err := New(Config{Upstream: slow.URL("/"), Observer: rec, TempFailOnError: true})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		p.Handle(context.Background(), &Request{Proto: ProtoHTTP11, Method: "POST", Target: "/", Body: []byte(breakerConnect), Received: time.Now()})
	}()
	waitFor(t, func() bool { return len(slow.Requests()) == 1 })
	closed := make(chan struct{})
	go func() { p.Close(); close(closed) }()
	select {
	case <-closed:
		t.Errorf("Close returned while a request was in progress")
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	wg.Wait()
	<-closed
	rec.Flush(context.Background())
	runs, err := st.ListRuns(context.Background(), store.RunFilter{Source: store.SourceProxy})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		if r.Outcome == store.OutcomeRunning {
			t.Errorf("run #%d is still running after the proxy closed", r.ID)
		}
	}
	if len(runs) != 1 {
		t.Errorf("%d runs, want the one request recorded", len(runs))
	}
}

// At the connect stage, any answer but accept (reject, and also discard
// and quarantine, whose default reply is "250 2.0.0 Message queued for
// delivery.") makes Stalwart write the reply instead of its greeting and
// close the connection (start_session in crates/smtp/src/inbound/
// spawn.rs returns false on every Err of run_mta_hooks); the simulator
// does the same. The proxy decides from the reply's first digit, so a
// connect-stage discard or quarantine neither marks the step closed nor
// ends the connection's run: it stays open until --idle.
func TestBreakerConnectDiscardClosesConnection(t *testing.T) {
	t.Parallel()
	for _, action := range []string{"discard", "quarantine"} {
		t.Run(action, func(t *testing.T) {
			t.Parallel()
			hook := rawHook(t, func(string) string { return `{"action":"` + action + `"}` })
			var mu sync.Mutex
			var closed bool
			var ended []string
			base, _ := startProxy(t, Config{Upstream: hook.URL("/"), TempFailOnError: true,
				OnExchange:   func(ev *Event) { mu.Lock(); closed = ev.Step.Closed; mu.Unlock() },
				OnConnection: func(c *Connection) { mu.Lock(); ended = append(ended, c.Why); mu.Unlock() }})
			resp, err := http.Post(base+"/", "application/json", strings.NewReader(breakerConnect))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			time.Sleep(100 * time.Millisecond)
			mu.Lock()
			defer mu.Unlock()
			if !closed {
				t.Errorf("connect answered %s: the step is not marked closed (Stalwart closes the connection)", action)
			}
			if len(ended) != 1 {
				t.Errorf("connect answered %s: the connection's run did not end (ended: %q)", action, ended)
			}
		})
	}
}

// The data stage's message is recorded (the Messages page shows it) as
// the headers, a CRLF and the contents, whatever the request says: a
// message whose lines end in a bare LF (message.headers values end in
// "\n", message.size counts a one-byte blank line) is stored with a CRLF
// blank line, one byte more than Stalwart received, and one without a
// body or blank line gets a blank line it never had. The stored message
// should be the one Stalwart received, message.size bytes (as the
// rebuild already reconstructs it).
func TestBreakerRecordedMessageIsWhatStalwartReceived(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		headers  []wire.Header
		contents string
		want     string
	}{
		{"bare LF", []wire.Header{{Name: "Subject", Value: " x\n"}, {Name: "From", Value: " a@example.net\n"}}, "a\nb", "Subject: x\nFrom: a@example.net\n\na\nb"},
		{"no blank line, no body", []wire.Header{{Name: "Subject", Value: " x\r\n"}, {Name: "From", Value: " a@example.net"}}, "", "Subject: x\r\nFrom: a@example.net"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			hook := rawHook(t, acceptAll)
			st, rec := recording(t)
			base, _ := startProxy(t, Config{Upstream: hook.URL("/"), Observer: rec, TempFailOnError: true})
			body := breakerBody(wire.StageData, func(r *wire.Request) {
				r.Message = &wire.Message{Headers: tc.headers, Contents: []byte(tc.contents), Size: len(tc.want)}
			})
			resp, err := http.Post(base+"/", "application/json", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			rec.Flush(context.Background())
			runs := waitRuns(t, st, 1)
			if len(runs) != 1 {
				t.Fatalf("%d runs", len(runs))
			}
			msgs, err := st.Messages(context.Background(), runs[0].ID)
			if err != nil || len(msgs) != 1 {
				t.Fatalf("%d messages (%v)", len(msgs), err)
			}
			if string(msgs[0].Original) != tc.want {
				t.Errorf("recorded message %q (%d bytes), want %q (message.size %d)", msgs[0].Original, len(msgs[0].Original), tc.want, len(tc.want))
			}
		})
	}
}
