package proxy

import (
	"context"
	"slices"
	"testing"
	"time"

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
			base, _ := startProxy(t, Config{Upstream: hook.URL("/mta-hook"), Observer: rec, TempFailOnError: true})
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
			if err := rec.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			waitRuns(t, st, 1)
			runs, err := st.ListRuns(context.Background(), store.RunFilter{Source: store.SourceProxy})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, r := range runs {
				n += r.Exchanges
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
