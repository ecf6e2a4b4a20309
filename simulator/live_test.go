package simulator

import (
	"bytes"
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator/hookconf"
)

// Playing a script step by step through Open, Step and Finish is Play:
// for every bundled session, the hook receives byte-identical requests
// and every step gets the same replies, actions and closes.
func TestLiveStepByStepIsPlay(t *testing.T) {
	t.Parallel()
	all, err := sessions.Bundled()
	if err != nil {
		t.Fatal(err)
	}
	fixed := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	newSim := func(h *fakeHook) *Simulator {
		sim := New([]*hookconf.Hook{hookAt("h", h.srv.URL, allStages...)}, nil)
		sim.Now = func() time.Time { return fixed }
		sim.QueueIDs = NewQueueIDs(sim.Now, 1)
		t.Cleanup(func() { sim.Client.Close() })
		return sim
	}
	ctx := context.Background()
	for _, sess := range all {
		h1, h2 := newFakeHook(t, accept), newFakeHook(t, accept)
		played := newSim(h1).Play(ctx, sess)

		live := newSim(h2).Open(ctx, sess)
		var stepped []*StepResult
		for i := range sess.Steps {
			stepped = append(stepped, live.Step(ctx, &sess.Steps[i]))
		}
		res := live.Finish(nil)
		if again := live.Finish(nil); again != res {
			t.Errorf("%s: a second Finish gave another result", sess.Name)
		}
		if st := live.Step(ctx, &sess.Steps[0]); st != nil {
			t.Errorf("%s: Step after Finish played %+v", sess.Name, st)
		}

		r1, r2 := h1.requests(), h2.requests()
		if len(r1) == 0 || len(r1) != len(r2) {
			t.Fatalf("%s: %d requests played, %d stepped", sess.Name, len(r1), len(r2))
		}
		for i := range r1 {
			if !bytes.Equal(r1[i], r2[i]) {
				t.Errorf("%s: request %d differs:\n played %s\nstepped %s", sess.Name, i+1, r1[i], r2[i])
			}
		}
		if len(played.Steps) != len(stepped) || len(res.Steps) != len(stepped) {
			t.Fatalf("%s: %d steps played, %d stepped", sess.Name, len(played.Steps), len(stepped))
		}
		for i, st := range stepped {
			p := played.Steps[i]
			if res.Steps[i] != st || !reflect.DeepEqual(p.Replies, st.Replies) || p.Action != st.Action ||
				p.Closed != st.Closed || p.Index != st.Index || !reflect.DeepEqual(p.Failures, st.Failures) {
				t.Errorf("%s: step %d: played %q %s closed=%v, stepped %q %s closed=%v", sess.Name, i+1,
					p.Replies, p.Action, p.Closed, st.Replies, st.Action, st.Closed)
			}
		}
		if played.Failures != res.Failures || played.Expectations != res.Expectations || played.Exchanges != res.Exchanges {
			t.Errorf("%s: played %d/%d/%d (failures, expectations, exchanges), stepped %d/%d/%d", sess.Name,
				played.Failures, played.Expectations, played.Exchanges, res.Failures, res.Expectations, res.Exchanges)
		}
		if last := stepped[len(stepped)-1]; last.Closed != live.Closed() {
			t.Errorf("%s: Closed() = %v after a last step closed=%v", sess.Name, live.Closed(), last.Closed)
		}
	}
}
