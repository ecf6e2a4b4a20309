package recorder

import (
	"context"
	"runtime"
	"testing"
	"weak"

	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookconf"
)

// A play kept for its RunID (as `hooksim run` keeps every play of a long
// command line) must not keep its session, and so its messages, alive:
// with thousands of sessions that heap is what the GC scans over and over.
func TestFinishedPlayReleasesItsSession(t *testing.T) {
	st, _ := openStore(t)
	rec := New(st, Options{})
	t.Cleanup(func() { rec.Close() })
	srv := hookServer(t)
	sim := newSim(t, nil, flagHook(t, hookconf.FlagSpec{URL: srv.URL}))
	ctx := context.Background()

	sess := hello(t)
	gone := weak.Make(sess)
	res, p := recordPlay(ctx, sim, rec, sess, simulator.Origin{})
	if !res.Passed() {
		t.Fatalf("hello failed: %v", res.Err)
	}
	sess, res = nil, nil
	if err := rec.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if p.RunID() == 0 {
		t.Fatal("the play was not recorded")
	}
	for range 3 {
		runtime.GC()
	}
	if gone.Value() != nil {
		t.Fatal("the session is still reachable from its finished play")
	}
	runtime.KeepAlive(p)
}
