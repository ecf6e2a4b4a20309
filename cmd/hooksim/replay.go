package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/hooksim/hooksim/cmd/hooksim/internal/junit"
	"github.com/hooksim/hooksim/recorder"
	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/compare"
	"github.com/hooksim/hooksim/simulator/hookclient"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/store"
)

const replayExamples = `  # did my new hook change anything? (re-plays each session, later stages see the new answers)
  hooksim replay 41 42
  hooksim replay --all --session spam-tagged --url http://127.0.0.1:9000/hook --stages all

  # re-send the recorded request bytes only, for CI
  hooksim replay --mode exact --since 1d --junit replay.xml
`

type replayOptions struct {
	hooks   hookFlags
	db      dbFlags
	mode    string
	all     bool
	filter  store.RunFilter
	since   string
	junit   string
	verbose bool
}

// runReplay re-sends recorded runs to a hook, compares the answers with
// the recorded ones, prints the differences and a summary, records the
// replays as runs linked to their originals, and exits 1 on a difference.
func runReplay(ctx context.Context, env *cliEnv, args []string) error {
	var o replayOptions
	fs := newFlagSet("replay", "[flags] RUN... | --all [filters]\n\nWithout --url/--hooks the hooks recorded with each run are called again.", replayExamples, env.stderr)
	o.hooks.register(fs)
	o.db.register(fs, true)
	fs.StringVar(&o.mode, "mode", "resimulate", "resimulate: play each session again (later stages see the new answers); exact: re-send the recorded request bytes")
	fs.BoolVar(&o.all, "all", false, "replay every recorded run that matches the filters (replays of replays excluded)")
	fs.StringVar(&o.filter.Session, "session", "", "with --all: only this session")
	fs.StringVar(&o.filter.Stage, "stage", "", "with --all: only runs with an exchange at this stage")
	fs.StringVar(&o.filter.Action, "action", "", "with --all: only runs with an exchange with this outcome")
	fs.BoolVar(&o.filter.Errors, "errors", false, "with --all: only runs where a hook call failed")
	fs.StringVar(&o.since, "since", "", "with --all: only runs started since this age (2h, 7d) or date")
	fs.IntVar(&o.filter.Limit, "limit", 100, "with --all: at most this many runs, newest first")
	fs.StringVar(&o.junit, "junit", "", "write a JUnit XML report to this file")
	fs.BoolVar(&o.verbose, "v", false, "print unchanged runs' details too")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	mode := compare.Mode(o.mode)
	if mode != compare.ModeResimulate && mode != compare.ModeExact {
		return usagef("--mode wants resimulate or exact, got %q", o.mode)
	}
	if o.all == (len(rest) > 0) {
		return usagef("replay takes RUN ids, or --all with filters (not both)")
	}
	var explicit []*hookconf.Hook
	if o.hooks.file != "" || o.hooks.spec.URL != "" {
		if explicit, err = o.hooks.load(ctx, warnTo(env)); err != nil {
			return err
		}
	}
	st, err := o.db.open(ctx, env)
	if err != nil {
		return err
	}
	defer st.Close()
	ids, err := o.runIDs(ctx, st, rest)
	if err != nil {
		return err
	}
	var rec *recorder.Recorder
	if !o.db.noRecord {
		rec = recorder.New(st, recorder.Options{})
	}
	client := hookclient.New()
	defer client.Close()
	var rows []compare.SummaryRow
	var suite junit.Suite
	suite.Name, suite.Timestamp = "hooksim replay ("+string(mode)+")", time.Now()
	for _, id := range ids {
		if ctx.Err() != nil {
			break
		}
		run := fmt.Sprintf("#%d", id)
		started := time.Now()
		diff, replayID, err := replayOne(ctx, env, st, rec, client, id, mode, explicit)
		if err != nil {
			rows = append(rows, compare.ErrorRow(run, "", err))
			suite.Cases = append(suite.Cases, junit.Case{Name: run, ClassName: "replay", Time: time.Since(started),
				Error: &junit.Failure{Message: err.Error(), Type: "error"}})
			fmt.Fprintf(env.stdout, "run %s: %v\n", run, err)
			continue
		}
		row := diff.Row(run)
		if replayID != 0 {
			row.Note = strings.TrimSpace(row.Note + fmt.Sprintf(" recorded as #%d", replayID))
		}
		rows = append(rows, row)
		tc := junit.Case{Name: run + " " + diff.Session, ClassName: "replay." + diff.Session, Time: time.Since(started)}
		if !diff.Equal() || o.verbose {
			fmt.Fprintf(env.stdout, "== run %s (%s): %d differences\n", run, diff.Session, diff.Differences())
			diff.WriteText(env.stdout)
			fmt.Fprintln(env.stdout)
		}
		if !diff.Equal() {
			var text strings.Builder
			diff.WriteText(&text)
			tc.Failure = &junit.Failure{Message: fmt.Sprintf("%d differences", diff.Differences()), Type: "regression", Text: text.String()}
		}
		suite.Cases = append(suite.Cases, tc)
	}
	if rec != nil {
		if err := rec.Close(); err != nil {
			return fmt.Errorf("recording: %w", err)
		}
	}
	compare.WriteSummary(env.stdout, rows)
	if o.junit != "" {
		if err := writeJUnitFile(o.junit, []junit.Suite{suite}); err != nil {
			return err
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if !compare.Summarize(rows).OK() {
		return failedError{}
	}
	return nil
}

func (o *replayOptions) runIDs(ctx context.Context, st *store.Store, args []string) ([]int64, error) {
	if !o.all {
		ids := make([]int64, 0, len(args))
		for _, a := range args {
			id, err := parseRunID(a)
			if err != nil {
				return nil, err
			}
			ids = append(ids, id)
		}
		return ids, nil
	}
	since, err := parseSince(o.since, time.Now())
	if err != nil {
		return nil, err
	}
	o.filter.Since = since
	runs, err := st.ListRuns(ctx, o.filter)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, r := range runs {
		if r.Source != "replay" && r.Outcome != "running" {
			ids = append(ids, r.ID)
		}
	}
	if len(ids) == 0 {
		return nil, usagef("no recorded runs match (see hooksim runs)")
	}
	// Oldest first reads better in a report.
	for i, j := 0, len(ids)-1; i < j; i, j = i+1, j-1 {
		ids[i], ids[j] = ids[j], ids[i]
	}
	return ids, nil
}

// replayOne replays one run and returns the comparison and the run id the
// replay was recorded as (0 when not recorded).
func replayOne(ctx context.Context, env *cliEnv, st *store.Store, rec *recorder.Recorder, client *hookclient.Client,
	id int64, mode compare.Mode, explicit []*hookconf.Hook) (*compare.Diff, int64, error) {
	loaded, err := recorder.Load(ctx, st, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, fmt.Errorf("no run #%d in %s", id, st.Path())
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

func writeJUnitFile(path string, suites []junit.Suite) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("junit: %w", err)
	}
	if err := junit.Write(f, suites); err != nil {
		f.Close()
		return fmt.Errorf("junit: write %s: %w", path, err)
	}
	return f.Close()
}

// writeTestJUnit writes `hooksim test` results as one JUnit suite.
func writeTestJUnit(path string, results []*simulator.SessionResult) error {
	suite := junit.Suite{Name: "hooksim test", Timestamp: time.Now()}
	for _, r := range results {
		c := junit.Case{Name: r.Name, ClassName: "hooksim." + r.Name, Time: r.Duration}
		var failures []string
		for _, st := range r.Steps {
			failures = append(failures, st.Failures...)
		}
		switch {
		case r.Err != nil:
			c.Error = &junit.Failure{Message: r.Err.Error(), Type: "error"}
		case len(failures) > 0:
			c.Failure = &junit.Failure{Message: fmt.Sprintf("%d expectations failed", len(failures)), Type: "expectation", Text: strings.Join(failures, "\n")}
		}
		suite.Cases = append(suite.Cases, c)
		suite.Time += r.Duration
	}
	return writeJUnitFile(path, []junit.Suite{suite})
}
