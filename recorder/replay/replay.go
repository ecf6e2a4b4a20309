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
	"time"

	"github.com/hooksim/hooksim/recorder"
	"github.com/hooksim/hooksim/recorder/replay/compare"
	"github.com/hooksim/hooksim/recorder/report"
	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookclient"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/simulator/wire"
	"github.com/hooksim/hooksim/store"
)

// Hooks chooses the hooks a replay calls.
type Hooks struct {
	// Explicit, when set, replaces the recorded chain (replay --hooks);
	// the hooks take the recorded ids when there are as many.
	Explicit []*hookconf.Hook
	// Spec's set fields replace, in each recorded hook, the values they
	// name (--url, --stages, --timeout, credentials...); the rest of the
	// recorded settings, stages included, are kept. When the recording
	// has a chain of several hooks, a Spec URL replaces the whole chain.
	Spec hookconf.FlagSpec
	// Env supplies what a recording never keeps: credentials
	// (hookconf.EnvBearer, hookconf.EnvBasic). Nil: none.
	Env hookconf.Env
}

// resolve returns the hooks to call for run r, and notes on what the
// caller's settings replaced.
func (h Hooks) resolve(r store.Run) ([]*hookconf.Hook, []string, error) {
	if len(h.Explicit) > 0 {
		return sameIDs(h.Explicit, r), nil, nil
	}
	recorded, err := recordedSettings(r)
	if err != nil && h.Spec.URL == "" {
		return nil, nil, err
	}
	if len(recorded) != 1 && h.Spec.URL != "" {
		hook, ferr := hookconf.FromFlags(h.Spec)
		if ferr != nil {
			return nil, nil, ferr
		}
		var notes []string
		if len(recorded) > 1 {
			notes = append(notes, fmt.Sprintf("--url %s replaces the chain of %d recorded hooks", hookconf.RedactURL(h.Spec.URL), len(recorded)))
		}
		return sameIDs([]*hookconf.Hook{hook}, r), notes, nil
	}
	env := h.Env
	if env == nil {
		env = hookconf.MapEnv{}
	}
	var hooks []*hookconf.Hook
	var notes []string
	for _, s := range recorded {
		hook, overrides, warnings, err := hookconf.Rebuild(s, h.Spec, env)
		if err != nil {
			return nil, nil, err
		}
		for _, o := range overrides {
			notes = append(notes, o.String())
		}
		notes = append(notes, warnings...)
		hooks = append(hooks, hook)
	}
	return hooks, notes, nil
}

// Run replays one recorded run (an unknown id is store.ErrNotFound) and
// returns the comparison and the run id the replay was recorded as (0
// when not recorded). When the replay calls a hook at other stages than
// the recording did, the exchanges at the stages only one of them called
// are left out of the comparison, and a note in the Diff says so.
func Run(ctx context.Context, st *store.Store, rec *recorder.Recorder, client *hookclient.Client,
	id int64, mode compare.Mode, h Hooks) (*compare.Diff, int64, error) {
	loaded, err := recorder.Load(ctx, st, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, fmt.Errorf("no run #%d in %s (see hooksim runs)%w", id, st.Path(), quiet{store.ErrNotFound})
	} else if err != nil {
		return nil, 0, err
	}
	hooks, notes, err := h.resolve(loaded.Run)
	if err != nil {
		return nil, 0, err
	}
	if mode == compare.ModeResimulate && loaded.Run.Source == store.SourceProxy {
		// Its requests are a real Stalwart's: they are what to send.
		mode = compare.ModeExact
		notes = append(notes, fmt.Sprintf("run #%d came through hooksim proxy: Stalwart's requests are re-sent exactly (to play the connection in the simulator: hooksim export %d --as session)", id, id))
	}
	origin := simulator.Origin{Source: simulator.SourceReplay, ReplayOf: id, ReplayMode: string(mode)}
	var obs simulator.Observer
	var recorded *recorder.Play // the replay's handle, for its run ID
	if rec != nil {
		obs = simulator.ObserverFunc(func(ctx context.Context, info *simulator.SessionInfo) simulator.Play {
			recorded = rec.BeginPlay(ctx, info)
			return recorded
		})
	}
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
		sim := &simulator.Simulator{Hooks: hooks, Client: client, Observer: obs, Origin: origin}
		after = sim.Play(ctx, &s)
	case compare.ModeExact:
		after = resendExact(ctx, client, obs, origin, loaded, hooks)
	}
	// Both sides in the one vocabulary: the recording as stored, the
	// replay as just played.
	before, played := loaded.Report, report.LiveSession(after)
	var diff *compare.Diff
	if mode == compare.ModeExact {
		diff = compare.Exchanges(loaded.Run.SessionName, stepExchanges(before), stepExchanges(&played), compare.Options{})
	} else {
		compared := &played
		if recorded, err := recordedSettings(loaded.Run); err == nil {
			var stageNotes []string
			before, compared, stageNotes = commonStages(before, compared, recorded, hooks)
			notes = append(notes, stageNotes...)
		}
		diff = compare.Sessions(before, compared, compare.Options{})
	}
	diff.Notes = append(diff.Notes, notes...)
	if n := refused(after); n > 0 && n == after.Exchanges {
		diff.Notes = append(diff.Notes, "every call was refused: is the hook running? (runs recorded by hooksim demo called an example hook that is gone; --url URL points the replay elsewhere)")
	}
	if diff.Session == "" {
		diff.Session = loaded.Run.SessionName
	}
	var replayID int64
	if recorded != nil {
		if err := rec.Flush(ctx); err == nil {
			replayID = recorded.RunID()
		}
	}
	return diff, replayID, nil
}

// resendExact re-sends every recorded request body (the exchanges of the
// recorded steps), in order, to the hook with the same id (or the only
// hook given), and rebuilds each step's reply from the new answers with
// Stalwart's chain rules. It reports the replay to obs (nil: nobody) as
// the simulator reports a play, with origin.
func resendExact(ctx context.Context, client *hookclient.Client, obs simulator.Observer, origin simulator.Origin,
	l *recorder.Loaded, hooks []*hookconf.Hook) *simulator.SessionResult {
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
	play := simulator.Begin(ctx, obs, &simulator.SessionInfo{Name: name, File: l.Run.SessionFile, Hash: l.Run.SessionHash, Started: res.Started,
		Hooks: hooks, Session: l.Session, Origin: origin})
	seq := 0
	for i := range l.Report.Steps {
		orig := &l.Report.Steps[i]
		st := &simulator.StepResult{Session: name, Index: orig.Index, Kind: orig.Kind, Command: orig.Command, Message: orig.Message,
			Line: orig.Line, Implied: orig.Implied, Transaction: orig.Transaction, Action: "none"}
		for j := range orig.Exchanges {
			oex := &orig.Exchanges[j]
			stage, request := wire.Stage(oex.Stage), report.RawBody(oex.Request)
			h := pick(oex.Hook)
			var ex *simulator.Exchange
			if h == nil {
				ex = &simulator.Exchange{Stage: stage, HookID: oex.Hook, URL: oex.URL, Started: now(), Request: request, Outcome: "error",
					Err: &hookclient.HookError{Class: hookclient.ErrConnect, Message: "no hook with id " + oex.Hook + " in the replay configuration"}}
			} else {
				ex = simulator.CallHook(ctx, client, h, stage, request, now)
			}
			seq++
			ex.Session, ex.Seq, ex.StepIndex, ex.Transaction = name, seq, orig.Index, oex.Transaction
			st.Exchanges = append(st.Exchanges, ex)
			st.Lints = append(st.Lints, ex.Lints...)
			res.Exchanges++
			play.Exchange(ex)
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
		play.Step(st)
	}
	res.Duration = now().Sub(res.Started)
	play.Finish(res)
	return res
}

// stepExchanges are the exchanges of s's steps, as pointers into s.
func stepExchanges(s *report.Session) []*report.Exchange {
	var out []*report.Exchange
	for i := range s.Steps {
		for j := range s.Steps[i].Exchanges {
			out = append(out, &s.Steps[i].Exchanges[j])
		}
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

// recordedSettings reads the hook settings a run was recorded with.
func recordedSettings(r store.Run) ([]hookconf.Settings, error) {
	if len(r.Hooks) == 0 || string(r.Hooks) == "null" {
		return nil, fmt.Errorf("run #%d has no hook configuration recorded: give --url or --hooks", r.ID)
	}
	list, err := hookconf.ParseRecorded(r.Hooks)
	if err != nil {
		return nil, fmt.Errorf("run #%d: %w", r.ID, err)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("run #%d has no hook configuration recorded: give --url or --hooks", r.ID)
	}
	return list, nil
}

// commonStages leaves out of both plays the exchanges of a hook at a
// stage only one of them called it at (by hook id), so that a replay
// configured for fewer or other stages is not reported as "not called"
// everywhere; the notes name the stages left out.
func commonStages(before, after *report.Session, recorded []hookconf.Settings, replay []*hookconf.Hook) (*report.Session, *report.Session, []string) {
	was := map[string]hookconf.StageSet{}
	for _, s := range recorded {
		was[s.ID] = s.Stages
	}
	now := map[string]hookconf.StageSet{}
	for _, h := range replay {
		now[h.ID] = h.Stages
	}
	var notes []string
	for _, h := range replay {
		old, ok := was[h.ID]
		if !ok || hookconf.StageList(old) == hookconf.StageList(h.Stages) {
			continue
		}
		onlyOld, onlyNew := hookconf.StageSet{}, hookconf.StageSet{}
		for st := range old {
			if !h.Stages[st] {
				onlyOld[st] = true
			}
		}
		for st := range h.Stages {
			if !old[st] {
				onlyNew[st] = true
			}
		}
		note := fmt.Sprintf("the replay calls hook %s at %s, the recording called it at %s", h.ID, hookconf.StageList(h.Stages), hookconf.StageList(old))
		if len(onlyOld) > 0 {
			note += "; its exchanges at " + hookconf.StageList(onlyOld) + " are not compared"
		}
		if len(onlyNew) > 0 {
			note += "; its new exchanges at " + hookconf.StageList(onlyNew) + " are not compared"
		}
		notes = append(notes, note)
	}
	if len(notes) == 0 {
		return before, after, nil
	}
	// An exchange is kept when both configurations call its hook at its stage.
	both := func(ex *report.Exchange) bool {
		o, okOld := was[ex.Hook]
		n, okNew := now[ex.Hook]
		return !okOld || !okNew || (o[wire.Stage(ex.Stage)] && n[wire.Stage(ex.Stage)])
	}
	return filterExchanges(before, both), filterExchanges(after, both), notes
}

// filterExchanges is a copy of s whose steps keep only the exchanges keep
// accepts.
func filterExchanges(s *report.Session, keep func(*report.Exchange) bool) *report.Session {
	out := *s
	out.Steps = make([]report.Step, len(s.Steps))
	for i, st := range s.Steps {
		st.Exchanges = nil
		for j := range s.Steps[i].Exchanges {
			if ex := &s.Steps[i].Exchanges[j]; keep(ex) {
				st.Exchanges = append(st.Exchanges, *ex)
			}
		}
		out.Steps[i] = st
	}
	return &out
}

// Exchange re-sends the request bytes of orig, an exchange of recorded run
// r, to its hook (the recorded one, or the only hook of explicit) and
// compares the answer with the recorded one. The new exchange is not
// recorded.
func Exchange(ctx context.Context, client *hookclient.Client, r store.Run, orig *report.Exchange, hs Hooks) (*simulator.Exchange, *compare.Diff, error) {
	hooks, _, err := hs.resolve(r)
	if err != nil {
		return nil, nil, err
	}
	var h *hookconf.Hook
	for _, c := range hooks {
		if c.ID == orig.Hook {
			h = c
		}
	}
	if h == nil && len(hooks) == 1 {
		h = hooks[0]
	}
	if h == nil {
		return nil, nil, fmt.Errorf("run #%d: no hook with id %s to send exchange %d to", r.ID, orig.Hook, orig.Seq)
	}
	ex := simulator.CallHook(ctx, client, h, wire.Stage(orig.Stage), report.RawBody(orig.Request), time.Now)
	ex.Session, ex.Seq, ex.StepIndex, ex.Transaction = r.SessionName, orig.Seq, orig.Step, orig.Transaction
	simulator.ChainReply([]*simulator.Exchange{ex}, func(string) bool { return h.TempFailOnError })
	after := report.LiveExchange(ex, "")
	d := compare.Exchanges(r.SessionName, []*report.Exchange{orig}, []*report.Exchange{&after}, compare.Options{})
	return ex, d, nil
}

// refused counts the exchanges of r whose connection was refused.
func refused(r *simulator.SessionResult) int {
	n := 0
	for _, st := range r.Steps {
		for _, ex := range st.Exchanges {
			if ex.Err != nil && ex.Err.Class == hookclient.ErrRefused {
				n++
			}
		}
	}
	return n
}

// quiet wraps an error so that errors.Is finds it while its text is left
// out of the message.
type quiet struct{ err error }

func (q quiet) Error() string { return "" }
func (q quiet) Unwrap() error { return q.err }
