package export

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hooksim/hooksim/recorder"
	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/store"
)

// A play stopped (Ctrl-C) while a hook call is under way: the cut call is
// no hook error and no hook outcome of the run, and a partial export of
// it expects nothing from that step on, only what was played before
// (fresh user's finding: it expected the 451 of the cut call).
func TestStoppedPlayIsNoHookError(t *testing.T) {
	t.Parallel()
	atMail := make(chan struct{})
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if strings.Contains(string(body), `"stage":"mail"`) {
			close(atMail)
			<-r.Context().Done() // until the play is stopped
			return
		}
		io.WriteString(w, `{"action":"accept"}`)
	}))
	defer hook.Close()
	sess, err := sessions.Parse("stop.yaml", []byte("steps:\n  - ehlo: client.example.net\n  - mail: a@example.org\n  - rcpt: b@example.org\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	st := openStore(t)
	rec := recorder.New(st, recorder.Options{})
	sim := simulator.New(nil, nil)
	sim.Hooks = append(sim.Hooks, hookAt(t, hook.URL, "connect", "ehlo", "mail", "rcpt"))
	defer sim.Client.Close()
	var p *recorder.Play
	sim.Observer = simulator.ObserverFunc(func(ctx context.Context, info *simulator.SessionInfo) simulator.Play {
		p = rec.BeginPlay(ctx, info)
		return p
	})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-atMail; cancel() }()
	if res := sim.Play(ctx, sess); res.Err == nil {
		t.Fatal("the play was not stopped")
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	l, err := recorder.Load(context.Background(), st, p.RunID())
	if err != nil {
		t.Fatal(err)
	}
	if l.Run.Outcome != store.OutcomeInterrupted || l.Run.HookErrors {
		t.Errorf("run: %s, hook errors %v; want interrupted, none", l.Run.Outcome, l.Run.HookErrors)
	}
	if n, err := st.CountRuns(context.Background(), store.RunFilter{Action: "error"}); err != nil || n != 0 {
		t.Errorf("runs with an error outcome: %d (%v), want 0", n, err)
	}
	script, err := Session(l, SessionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	back, err := sessions.Parse("back.yaml", script, nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, script)
	}
	for i, step := range back.Steps {
		if want := step.Kind == sessions.StepConnect || step.Kind == sessions.StepEhlo; (step.Expect != nil) != want {
			t.Errorf("step %d (%s): expectations %+v, want some only before the cut mail step\n%s", i+1, step.Kind, step.Expect, script)
		}
	}
}
