package proxy

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hooksim/hooksim/simulator/hookconf"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/store"
)

// The simulator plays "Stalwart" through the proxy to a real loopback
// hook: the hook receives the same bytes as without the proxy, the
// simulator hears the same answers, and every exchange is recorded as one
// run of source proxy per SMTP connection.
func TestProxyIsTransparent(t *testing.T) {
	t.Parallel()
	for _, name := range sessions.BundledNames() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sess, err := sessions.BundledByName(name)
			if err != nil {
				t.Fatal(err)
			}
			hook := rawHook(t, acceptAll)
			direct := play(t, sess, hookAt(hook.URL("/mta-hook"), allStages...))
			sent := hook.Requests()

			st, rec := recording(t)
			base, _ := startProxy(t, Config{Upstream: hook.URL("/mta-hook"), Observer: rec, TempFailOnError: true, Checker: DriftChecker})
			proxied := play(t, sess, hookAt(base+"/", allStages...))
			got := hook.Requests()[len(sent):]

			if len(got) != len(sent) {
				t.Fatalf("the hook got %d requests through the proxy, %d without", len(got), len(sent))
			}
			for i := range sent {
				if got[i].Head != sent[i].Head || string(got[i].Body) != string(sent[i].Body) {
					t.Errorf("request %d differs through the proxy:\n%s%s\nwithout:\n%s%s", i+1, got[i].Head, got[i].Body, sent[i].Head, sent[i].Body)
				}
			}
			if a, b := replies(proxied), replies(direct); !slices.Equal(a, b) {
				t.Errorf("replies through the proxy %q, without %q", a, b)
			}
			// Each exchange is recorded once its answer is written: wait
			// for the last.
			var runs []store.Run
			waitFor(t, func() bool {
				if err := rec.Flush(context.Background()); err != nil {
					t.Fatal(err)
				}
				runs, err = st.ListRuns(context.Background(), store.RunFilter{Source: store.SourceProxy})
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for _, r := range runs {
					n += r.Exchanges
				}
				return n >= len(sent)
			})
			n := 0
			for _, r := range runs {
				n += r.Exchanges
				if r.Drift != 0 {
					exs, _ := st.Exchanges(context.Background(), r.ID)
					for _, ex := range exs {
						t.Errorf("run #%d exchange %d (%s): drift in hooksim's own requests: %s", r.ID, ex.Seq, ex.Stage, ex.Lints)
					}
				}
			}
			if n != len(sent) {
				t.Errorf("recorded %d exchanges in %d runs, want %d", n, len(runs), len(sent))
			}
		})
	}
}

// waitRuns waits until n proxy runs are finished in st.
func waitRuns(t *testing.T, st *store.Store, n int) []store.Run {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		runs, err := st.ListRuns(context.Background(), store.RunFilter{Source: store.SourceProxy})
		if err != nil {
			t.Fatal(err)
		}
		done := 0
		for _, r := range runs {
			if r.Outcome != store.OutcomeRunning {
				done++
			}
		}
		if done >= n || time.Now().After(deadline) {
			return runs
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// With TLS on both sides, HTTP/2 both ways (Stalwart offers h2 to an
// https hook): the hook (a Server here, which keeps field order) gets
// the same fields, head and body with and without the proxy, and the
// simulator the same replies.
func TestProxyHTTP2BothSides(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []*Request
	upstream := startH2(t, &Server{Handler: func(ctx context.Context, r *Request) *Response {
		mu.Lock()
		got = append(got, r)
		mu.Unlock()
		return &Response{Status: 200, Fields: []hookconf.HeaderField{{Name: "content-type", Value: "application/json"}}, Body: []byte(`{"action":"accept"}`)}
	}}, true)
	hookURL := "https://" + upstream.addr + "/mta-hook"
	sess, err := sessions.BundledByName("hello")
	if err != nil {
		t.Fatal(err)
	}
	tlsHook := func(url string) *hookconf.Hook {
		h := hookAt(url, allStages...)
		h.AllowInvalidCerts = true
		return h
	}
	direct := play(t, sess, tlsHook(hookURL))
	mu.Lock()
	sent := got
	got = nil
	mu.Unlock()

	st, rec := recording(t)
	p, err := New(Config{Upstream: hookURL, AllowInvalidCerts: true, Observer: rec, TempFailOnError: true, Checker: DriftChecker})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	front := startH2(t, &Server{Handler: p.Handler()}, true)
	proxied := play(t, sess, tlsHook("https://"+front.addr+"/"))
	if a, b := replies(proxied), replies(direct); !slices.Equal(a, b) {
		t.Errorf("replies through the proxy %q, without %q", a, b)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != len(sent) || len(sent) != 5 {
		t.Fatalf("the hook got %d requests through the proxy, %d without", len(got), len(sent))
	}
	for i := range sent {
		if got[i].Proto != ProtoHTTP2 || string(got[i].Head) != string(sent[i].Head) || string(got[i].Body) != string(sent[i].Body) {
			t.Errorf("request %d through the proxy (%s):\n%s\nwithout (%s):\n%s", i+1, got[i].Proto, got[i].Head, sent[i].Proto, sent[i].Head)
		}
	}
	rec.Flush(context.Background())
	runs := waitRuns(t, st, 1)
	if len(runs) != 1 {
		t.Fatalf("%d runs", len(runs))
	}
	exs, err := st.Exchanges(context.Background(), runs[0].ID)
	if err != nil || len(exs) != 5 {
		t.Fatalf("%d exchanges (%v)", len(exs), err)
	}
	if runs[0].Drift != 0 {
		t.Errorf("%d drift findings in hooksim's own HTTP/2 requests", runs[0].Drift)
	}
	if exs[0].Wire == nil || !strings.HasSuffix(strings.SplitN(string(exs[0].Wire.RequestHead), "\r\n", 2)[0], " HTTP/2.0") {
		t.Errorf("the recorded request head is not Stalwart's HTTP/2 one: %+v", exs[0].Wire)
	}
}

// A connection's run ends after its data stage, after an idle gap (kept
// as passed), or when the proxy stops (passed too: a client that quit
// after a refusal looks the same as one still talking); a connect stage from the same client address
// and port starts a new one.
func TestConnectionGrouping(t *testing.T) {
	t.Parallel()
	hook := rawHook(t, acceptAll)
	st, rec := recording(t)
	var mu sync.Mutex
	var why []string
	p, err := New(Config{Upstream: hook.URL("/"), Observer: rec, TempFailOnError: true, IdleGap: 300 * time.Millisecond,
		OnConnection: func(c *Connection) { mu.Lock(); why = append(why, c.Name+" "+c.Why); mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	front := startH2(t, &Server{Handler: p.Handler()}, false)
	url := "http://" + front.addr + "/"
	ehloOnly := connectOnly()
	ehloOnly.Steps = []sessions.Step{{Kind: sessions.StepConnect}, {Kind: sessions.StepEhlo, Arg: "a.example.net"}, {Kind: sessions.StepQuit}}
	play(t, ehloOnly, hookAt(url, allStages...)) // ends idle
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(why) == 1 })
	play(t, ehloOnly, hookAt(url, allStages...)) // the same address: a new run
	play(t, ehloOnly, hookAt(url, allStages...)) // its connect ends the previous one
	p.Close()
	mu.Lock()
	got := strings.Join(why, "\n")
	mu.Unlock()
	want := "10.0.0.1:51234 idle\n10.0.0.1:51234 new connection\n10.0.0.1:51234 the proxy stopped"
	if got != want {
		t.Errorf("connections ended:\n%s\nwant\n%s", got, want)
	}
	rec.Flush(context.Background())
	runs, err := st.ListRuns(context.Background(), store.RunFilter{Source: store.SourceProxy})
	if err != nil {
		t.Fatal(err)
	}
	var outcomes []string
	for _, r := range runs {
		outcomes = append(outcomes, r.Outcome)
	}
	if strings.Join(outcomes, ",") != "passed,passed,passed" {
		t.Errorf("outcomes (newest first) %v", outcomes)
	}
}
