// Package replay re-plays recorded runs against a hook and compares the
// answers with the recorded ones: "resimulate" plays the session again
// (later stages see the new answers), "exact" re-sends the recorded
// request bytes. The CLI's replay command and the web view share it.
package replay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hooksim/hooksim/recorder"
	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/compare"
	"github.com/hooksim/hooksim/simulator/hookclient"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/store"
)

// Run replays one recorded run (an unknown id is store.ErrNotFound) and returns the comparison and the run id the
// replay was recorded as (0 when not recorded).
func Run(ctx context.Context, st *store.Store, rec *recorder.Recorder, client *hookclient.Client,
	id int64, mode compare.Mode, explicit []*hookconf.Hook) (*compare.Diff, int64, error) {
	loaded, err := recorder.Load(ctx, st, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, fmt.Errorf("no run #%d in %s: %w", id, st.Path(), store.ErrNotFound)
	} else if err != nil {
		return nil, 0, err
	}
	hooks := explicit
	if hooks == nil {
		if hooks, err = recordedHooks(loaded.Run); err != nil {
			return nil, 0, err
		}
	} else {
		hooks = sameIDs(hooks, loaded.Run)
	}
	var obs simulator.Observer = simulator.Observers(nil)
	if rec != nil {
		obs = rec
	}
	ctx = recorder.WithMeta(ctx, recorder.Meta{Source: "replay", ReplayOf: id, ReplayMode: string(mode)})
	var after *simulator.SessionResult
	switch mode {
	case compare.ModeResimulate:
		if loaded.Session == nil {
			return nil, 0, fmt.Errorf("run #%d has no session script recorded; use --mode exact", id)
		}
		s := *loaded.Session
		s.Steps = append([]sessions.Step(nil), s.Steps...)
		for i := range s.Steps {
			s.Steps[i].Expect = nil // compare with the recording, not the script's expectations
		}
		sim := &simulator.Simulator{Hooks: hooks, Client: client, Observer: obs}
		after = sim.Play(ctx, &s)
	case compare.ModeExact:
		after = resendExact(ctx, client, obs, loaded, hooks)
	}
	var diff *compare.Diff
	if mode == compare.ModeExact {
		diff = compare.Exchanges(exchangesOf(loaded.Result), exchangesOf(after), compare.Options{})
	} else {
		diff = compare.Sessions(loaded.Result, after, compare.Options{})
	}
	if diff.Session == "" {
		diff.Session = loaded.Run.SessionName
	}
	var replayID int64
	if rec != nil {
		if err := rec.Flush(ctx); err == nil {
			replayID, _ = rec.RunID(after)
		}
	}
	return diff, replayID, nil
}

// resendExact re-sends every recorded request body, in order, to the hook
// with the same id (or the only hook given), and rebuilds each step's
// reply from the new answers with Stalwart's chain rules.
func resendExact(ctx context.Context, client *hookclient.Client, obs simulator.Observer, l *recorder.Loaded, hooks []*hookconf.Hook) *simulator.SessionResult {
	byID := map[string]*hookconf.Hook{}
	for _, h := range hooks {
		byID[h.ID] = h
	}
	pick := func(id string) *hookconf.Hook {
		if h, ok := byID[id]; ok {
			return h
		}
		if len(hooks) == 1 {
			return hooks[0]
		}
		return nil
	}
	now := time.Now
	name := l.Run.SessionName
	res := &simulator.SessionResult{Name: name, File: l.Run.SessionFile, Started: now()}
	obs.SessionStarted(ctx, &simulator.SessionInfo{Name: name, File: l.Run.SessionFile, Hash: l.Run.SessionHash, Started: res.Started, Hooks: hooks, Session: l.Session})
	seq := 0
	for _, orig := range l.Result.Steps {
		st := &simulator.StepResult{Session: name, Index: orig.Index, Kind: orig.Kind, Command: orig.Command, Message: orig.Message,
			Line: orig.Line, Implied: orig.Implied, Transaction: orig.Transaction, Action: "none"}
		for _, oex := range orig.Exchanges {
			h := pick(oex.HookID)
			var ex *simulator.Exchange
			if h == nil {
				ex = &simulator.Exchange{Stage: oex.Stage, HookID: oex.HookID, URL: oex.URL, Started: now(), Request: oex.Request, Outcome: "error",
					Err: &hookclient.HookError{Class: hookclient.ErrConnect, Message: "no hook with id " + oex.HookID + " in the replay configuration"}}
			} else {
				ex = simulator.CallHook(ctx, client, h, oex.Stage, oex.Request, now)
			}
			seq++
			ex.Session, ex.Seq, ex.StepIndex, ex.Transaction = name, seq, orig.Index, oex.Transaction
			st.Exchanges = append(st.Exchanges, ex)
			st.Lints = append(st.Lints, ex.Lints...)
			res.Exchanges++
			obs.Exchange(ctx, ex)
		}
		reply, stopped := simulator.ChainReply(st.Exchanges, func(id string) bool {
			if h := pick(id); h != nil {
				return h.TempFailOnError
			}
			return true
		})
		if stopped {
			st.Replies = []string{reply}
		} else {
			st.Replies = append([]string(nil), orig.Replies...)
		}
		if n := len(st.Exchanges); n > 0 {
			st.Action = st.Exchanges[n-1].Outcome
		}
		res.Steps = append(res.Steps, st)
		obs.Step(ctx, st)
	}
	res.Duration = now().Sub(res.Started)
	obs.SessionFinished(ctx, res)
	return res
}

func exchangesOf(r *simulator.SessionResult) []*simulator.Exchange {
	var out []*simulator.Exchange
	for _, st := range r.Steps {
		out = append(out, st.Exchanges...)
	}
	return out
}

// sameIDs gives the replay's hooks the recorded hooks' ids, in order, when
// there are as many: "--url another" is the same hook at another address,
// and exchanges are compared hook by hook.
func sameIDs(hooks []*hookconf.Hook, r store.Run) []*hookconf.Hook {
	var recorded []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(r.Hooks, &recorded); err != nil || len(recorded) != len(hooks) {
		return hooks
	}
	out := make([]*hookconf.Hook, len(hooks))
	for i, h := range hooks {
		c := *h
		if recorded[i].ID != "" {
			c.ID = recorded[i].ID
		}
		out[i] = &c
	}
	return out
}

// recordedHooks rebuilds the hooks a run was played against. Credentials
// were never recorded, so a hook that used some cannot be rebuilt.
func recordedHooks(r store.Run) ([]*hookconf.Hook, error) {
	if len(r.Hooks) == 0 || string(r.Hooks) == "null" {
		return nil, fmt.Errorf("run #%d has no hook configuration recorded: give --url or --hooks", r.ID)
	}
	if strings.Contains(string(r.Hooks), `"****"`) {
		return nil, fmt.Errorf("run #%d's hooks used credentials, which hooksim never records: give --hooks FILE, or --url with --bearer/--basic", r.ID)
	}
	cfg, err := hookconf.Parse(fmt.Sprintf("run-%d-hooks.json", r.ID), r.Hooks, hookconf.OSEnv{})
	if err != nil {
		return nil, fmt.Errorf("run #%d: the recorded hook configuration: %w", r.ID, err)
	}
	return cfg.Hooks, nil
}

// Exchange re-sends one recorded exchange's request bytes to its hook
// (the recorded one, or the only hook of explicit) and compares the
// answer with the recorded one. The new exchange is not recorded.
func Exchange(ctx context.Context, client *hookclient.Client, r store.Run, orig *simulator.Exchange, explicit []*hookconf.Hook) (*simulator.Exchange, *compare.Diff, error) {
	hooks := explicit
	if hooks == nil {
		var err error
		if hooks, err = recordedHooks(r); err != nil {
			return nil, nil, err
		}
	} else {
		hooks = sameIDs(hooks, r)
	}
	var h *hookconf.Hook
	for _, c := range hooks {
		if c.ID == orig.HookID {
			h = c
		}
	}
	if h == nil && len(hooks) == 1 {
		h = hooks[0]
	}
	if h == nil {
		return nil, nil, fmt.Errorf("run #%d: no hook with id %s to send exchange %d to", r.ID, orig.HookID, orig.Seq)
	}
	ex := simulator.CallHook(ctx, client, h, orig.Stage, orig.Request, time.Now)
	ex.Session, ex.Seq, ex.StepIndex, ex.Transaction = orig.Session, orig.Seq, orig.StepIndex, orig.Transaction
	simulator.ChainReply([]*simulator.Exchange{ex}, func(string) bool { return h.TempFailOnError })
	d := compare.Exchanges([]*simulator.Exchange{orig}, []*simulator.Exchange{ex}, compare.Options{})
	if d.Session == "" {
		d.Session = r.SessionName
	}
	return ex, d, nil
}
