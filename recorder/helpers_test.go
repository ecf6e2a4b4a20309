package recorder

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/store"
)

// dataAnswer is what the test hook answers at the data stage: what the
// bundled hello session expects.
const dataAnswer = `{"action":"accept","modifications":[{"type":"addHeader","name":"X-Spam-Score","value":"0.0"},` +
	`{"type":"addRecipient","value":"archive@example.org"}]}`

// hookServer is a trivial loopback hook: accept everywhere, with the
// hello session's modifications at data.
func hookServer(t testing.TB) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var buf bytes.Buffer
		buf.ReadFrom(r.Body)
		w.Header().Set("Content-Type", "application/json")
		if bytes.Contains(buf.Bytes(), []byte(`"stage":"data"`)) {
			w.Write([]byte(dataAnswer))
			return
		}
		w.Write([]byte(`{"action":"accept"}`))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// flagHook builds a hook for every stage from command-line style flags.
func flagHook(t testing.TB, spec hookconf.FlagSpec) *hookconf.Hook {
	t.Helper()
	if spec.Stages == nil {
		spec.Stages = []string{"all"}
	}
	h, err := hookconf.FromFlags(spec)
	if err != nil {
		t.Fatalf("FromFlags: %v", err)
	}
	return h
}

func openStore(t testing.TB) (*store.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hooksim.db")
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, path
}

func hello(t testing.TB) *sessions.Session {
	t.Helper()
	s, err := sessions.BundledByName("hello")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// recordPlay plays sess on a copy of sim whose observer begins the play
// on rec, with origin, and returns the result and the play's handle.
func recordPlay(ctx context.Context, sim *simulator.Simulator, rec *Recorder, sess *sessions.Session, origin simulator.Origin) (*simulator.SessionResult, *Play) {
	c := *sim
	var p *Play
	c.Origin = origin
	c.Observer = simulator.ObserverFunc(func(ctx context.Context, info *simulator.SessionInfo) simulator.Play {
		p = rec.BeginPlay(ctx, info)
		return p
	})
	return c.Play(ctx, sess), p
}

// newSim is a simulator for hooks reporting to obs; its client is closed
// with the test.
func newSim(t testing.TB, obs simulator.Observer, hooks ...*hookconf.Hook) *simulator.Simulator {
	t.Helper()
	sim := simulator.New(hooks, obs)
	// Play fills a nil Now on first use, which races when sessions are
	// played concurrently: set it up front.
	sim.Now = time.Now
	t.Cleanup(func() { sim.Client.Close() })
	return sim
}
