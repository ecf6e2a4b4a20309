package proxy

import (
	"context"
	"errors"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hooksim/hooksim/recorder"
	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookclient/hooktest"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/simulator/wire"
	"github.com/hooksim/hooksim/store"
)

// rawHook is a loopback hook that keeps every request byte for byte and
// answers with answer(body), keeping the connection open.
func rawHook(t *testing.T, answer func(body string) string) *hooktest.Server {
	t.Helper()
	return hooktest.New(t, func(n int, req hooktest.Request, c net.Conn) bool {
		body := answer(string(req.Body))
		_, err := c.Write([]byte("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: " + itoa(len(body)) + "\r\n\r\n" + body))
		return err == nil
	})
}

func itoa(n int) string {
	b := []byte{}
	if n == 0 {
		return "0"
	}
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func acceptAll(string) string { return `{"action":"accept"}` }

// startProxy serves a Proxy for cfg on a loopback port and returns its
// base URL; both stop when the test ends.
func startProxy(t *testing.T, cfg Config) (string, *Proxy) {
	t.Helper()
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv := &Server{Handler: p.Handler()}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
		p.Close()
	})
	return "http://" + ln.Addr().String(), p
}

// recording opens a store in a temporary directory with a recorder.
func recording(t *testing.T) (*store.Store, *recorder.Recorder) {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "runs.db"))
	if err != nil {
		t.Fatal(err)
	}
	rec := recorder.New(st, recorder.Options{})
	t.Cleanup(func() {
		rec.Close()
		st.Close()
	})
	return st, rec
}

func hookAt(url string, stages ...wire.Stage) *hookconf.Hook {
	set := hookconf.StageSet{}
	for _, s := range stages {
		set[s] = true
	}
	return &hookconf.Hook{ID: "hook", URL: url, Enable: hookconf.ConstExpression(true), Stages: set,
		Timeout: 5 * time.Second, TempFailOnError: true, MaxResponseSize: hookconf.DefaultMaxResponseSize}
}

var allStages = []wire.Stage{wire.StageConnect, wire.StageEhlo, wire.StageMail, wire.StageRcpt, wire.StageData}

// play plays s with the simulator against hooks, with a fixed clock and
// queue ids so that two plays send the same bytes.
func play(t *testing.T, s *sessions.Session, hooks ...*hookconf.Hook) *simulator.SessionResult {
	t.Helper()
	sim := simulator.New(hooks, nil)
	fixed := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	sim.Now = func() time.Time { return fixed }
	sim.QueueIDs = simulator.NewQueueIDs(sim.Now, 1)
	t.Cleanup(func() { sim.Client.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res := sim.Play(ctx, s)
	if res.Err != nil {
		t.Fatalf("Play: %v", res.Err)
	}
	return res
}

func replies(res *simulator.SessionResult) []string {
	var out []string
	for _, st := range res.Steps {
		out = append(out, strings.Join(st.Replies, "|"))
	}
	return out
}

// connectOnly is a session that connects and quits, on port 25.
func connectOnly() *sessions.Session {
	return &sessions.Session{Name: "connect", File: "connect.yaml",
		Client: sessions.Client{IP: "10.0.0.1", Port: 51234},
		Server: sessions.Server{Hostname: "mx.example.org", IP: "192.0.2.10", Port: 25},
		Steps:  []sessions.Step{{Kind: sessions.StepConnect}, {Kind: sessions.StepQuit}}}
}
