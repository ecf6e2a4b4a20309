package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/hooksim/hooksim/cmd/hooksim/internal/junit"
	"github.com/hooksim/hooksim/recorder"
	"github.com/hooksim/hooksim/recorder/replay"
	"github.com/hooksim/hooksim/recorder/replay/compare"
	"github.com/hooksim/hooksim/simulator/hookclient"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/store"
)

const replayExamples = `  # did my new hook change anything? (re-plays each session, later stages see the new answers)
  hooksim replay 41 42
  hooksim replay --session spam-tagged --url http://127.0.0.1:9000/hook

  # re-send the recorded request bytes only, for CI
  hooksim replay --mode exact --since 1d --junit replay.xml

  # a run recorded with credentials: give them again (hooksim never records them)
  HOOKSIM_BEARER=s3cret hooksim replay 42
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
	fs := newFlagSet("replay", "[flags] RUN... | --all | filters\n\nCalls the hooks recorded with each run again: --url, --stages, --timeout, --bearer... replace the\nrecorded values they name and keep the others; --hooks FILE replaces the whole chain. Credentials are\nnever recorded: give --bearer/--basic or set HOOKSIM_BEARER / HOOKSIM_BASIC (user:password).\nFilters (--session, --stage, --action, --errors, --since) without RUN ids select runs like --all.", replayExamples, env)
	o.hooks.register(fs)
	o.db.register(fs, true)
	fs.StringVar(&o.mode, "mode", "resimulate", "resimulate: play each session again (later stages see the new answers); exact: re-send the recorded request bytes")
	fs.BoolVar(&o.all, "all", false, "replay every recorded run that matches the filters (replays of replays, and runs that did not finish, left out)")
	fs.StringVar(&o.filter.Session, "session", "", "only runs of this session")
	fs.StringVar(&o.filter.Stage, "stage", "", "only runs with an exchange at this stage")
	fs.StringVar(&o.filter.Action, "action", "", "only runs with an exchange with this outcome")
	fs.BoolVar(&o.filter.Errors, "errors", false, "only runs where a hook call failed")
	fs.StringVar(&o.since, "since", "", "only runs started since this age (2h, 7d) or date")
	fs.IntVar(&o.filter.Limit, "limit", 100, "at most this many runs: the newest that match (listed oldest first)")
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
	filtered := o.filter.Session != "" || o.filter.Stage != "" || o.filter.Action != "" || o.filter.Errors || o.since != ""
	switch {
	case len(rest) > 0 && (o.all || filtered):
		return usagef("replay takes RUN ids, or --all / filters to select runs (not both)")
	case len(rest) == 0 && !o.all && !filtered:
		return usagef("replay needs RUN ids, --all, or filters such as --since 1d (see hooksim runs)")
	}
	o.all = len(rest) == 0
	if err := checkRunFilter(o.filter); err != nil {
		return err
	}
	if err := o.hooks.check(); err != nil {
		return err
	}
	hooks := replay.Hooks{Spec: o.hooks.flagSpec(), Env: cliHookEnv{env}}
	if o.hooks.file != "" {
		if hooks.Explicit, err = o.hooks.loadFlags(ctx, warnTo(env)); err != nil {
			return err
		}
	}
	st, err := o.db.openExisting(ctx, env)
	if err != nil {
		return err
	}
	defer st.Close()
	ids, err := o.runIDs(ctx, st, rest, env.stderr)
	if err != nil {
		return err
	}
	var rec *recorder.Recorder
	if !o.db.noRecord {
		if st.ReadOnly() {
			// Say so before calling the hook, not after.
			return notWritable(st.Path(), "replays", "replay")
		}
		rec = recorder.New(st, recorder.Options{})
	}
	client := hookclient.New()
	defer client.Close()
	var rows []compare.SummaryRow
	inputErrs := 0 // runs that do not exist, or need credentials not given
	var suite junit.Suite
	suite.Name, suite.Timestamp = "hooksim replay ("+string(mode)+")", time.Now()
	for _, id := range ids {
		if ctx.Err() != nil {
			break
		}
		run := fmt.Sprintf("#%d", id)
		started := time.Now()
		diff, replayID, err := replay.Run(ctx, st, rec, client, id, mode, hooks)
		if errors.Is(err, hookconf.ErrNoCredentials) || errors.Is(err, store.ErrNotFound) {
			inputErrs++
		}
		if err != nil {
			rows = append(rows, compare.ErrorRow(run, "", err))
			suite.Cases = append(suite.Cases, junit.Case{Name: run, ClassName: "replay", Time: time.Since(started),
				Error: &junit.Failure{Message: err.Error(), Type: "error"}})
			fmt.Fprintf(termSafe{env.stdout}, "run %s: %v\n", run, err)
			continue
		}
		if orig, err := st.GetRun(ctx, id); err == nil && (orig.Outcome == store.OutcomeInterrupted || orig.Outcome == store.OutcomeRunning) {
			// Its recording stopped early: steps it never played come
			// out as new in the replay.
			diff.Notes = append(diff.Notes, fmt.Sprintf("run %s is %s: the steps after its last recorded one show as new", run, orig.Outcome))
		}
		row := diff.Row(run)
		if replayID != 0 {
			row.Note = strings.TrimSpace(row.Note + fmt.Sprintf(" recorded as #%d", replayID))
		}
		rows = append(rows, row)
		tc := junit.Case{Name: run + " " + diff.Session, ClassName: "replay." + diff.Session, Time: time.Since(started)}
		if diff.Equal() && !o.verbose {
			for _, n := range diff.Notes {
				fmt.Fprintf(termSafe{env.stdout}, "run %s: note: %s\n", run, n)
			}
		}
		if !diff.Equal() || o.verbose {
			fmt.Fprintf(termSafe{env.stdout}, "== run %s (%s): %s\n", run, diff.Session, plural(diff.Differences(), "difference"))
			diff.WriteText(termSafe{env.stdout})
			fmt.Fprintln(env.stdout)
		}
		if !diff.Equal() {
			var text strings.Builder
			diff.WriteText(&text)
			tc.Failure = &junit.Failure{Message: plural(diff.Differences(), "difference"), Type: "regression", Text: text.String()}
		}
		suite.Cases = append(suite.Cases, tc)
	}
	if rec != nil {
		if err := rec.Close(); err != nil {
			return fmt.Errorf("recording: %w", err)
		}
	}
	compare.WriteSummary(termSafe{env.stdout}, rows)
	if o.junit != "" {
		if err := writeJUnitFile(o.junit, []junit.Suite{suite}); err != nil {
			return err
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if inputErrs > 0 {
		return usagef("%d of %d runs could not be replayed (see above)", inputErrs, len(ids))
	}
	if !compare.Summarize(rows).OK() {
		return failedError{}
	}
	return nil
}

// runIDs are the runs to replay: those named, or with --all and
// --since the originals that match, oldest first. Runs still running or
// interrupted are left out of --all (their sessions did not finish), with
// a note on stderr naming them: each can be replayed by its number.
func (o *replayOptions) runIDs(ctx context.Context, st *store.Store, args []string, stderr io.Writer) ([]int64, error) {
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
	o.filter.NotSource = "replay" // replays of replays are not replayed; the limit counts originals
	runs, err := st.ListRuns(ctx, o.filter)
	if err != nil {
		return nil, err
	}
	var ids []int64
	var unfinished []string
	for _, r := range runs {
		switch {
		case r.Source == "replay":
		case r.Outcome == store.OutcomeRunning || r.Outcome == store.OutcomeInterrupted:
			unfinished = append(unfinished, fmt.Sprintf("#%d (%s)", r.ID, r.Outcome))
		default:
			ids = append(ids, r.ID)
		}
	}
	if len(unfinished) > 0 {
		slices.Reverse(unfinished)
		fmt.Fprintf(stderr, "hooksim: note: left out, not finished: %s; replay one by its number to replay what it holds\n",
			strings.Join(unfinished, ", "))
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
