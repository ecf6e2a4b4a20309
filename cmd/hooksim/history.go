package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hooksim/hooksim/recorder"
	"github.com/hooksim/hooksim/recorder/export"
	"github.com/hooksim/hooksim/recorder/report"
	"github.com/hooksim/hooksim/store"
)

const runsExamples = `  hooksim runs
  hooksim runs --session spam-tagged --errors --since 2h
  hooksim runs --limit 20 --before 120 --json
  hooksim runs --source proxy --drift
`

func runRuns(ctx context.Context, env *cliEnv, args []string) error {
	var db dbFlags
	var f store.RunFilter
	var since, until string
	fs := newFlagSet("runs", "[flags]\n\nLists recorded runs, newest first.", runsExamples, env)
	db.register(fs, false)
	fs.StringVar(&f.Session, "session", "", "only runs of this session name")
	fs.StringVar(&f.Stage, "stage", "", "only runs with an exchange at this stage")
	fs.StringVar(&f.Action, "action", "", "only runs with an exchange with this outcome (accept, reject, discard, quarantine, error)")
	fs.BoolVar(&f.Errors, "errors", false, "only runs where a hook call failed")
	fs.StringVar(&f.Source, "source", "", "only runs of this kind: script, smtp, replay or proxy")
	fs.BoolVar(&f.Drift, "drift", false, "only runs with a drift finding: a request from a real Stalwart (hooksim proxy) that differs from hooksim's model")
	fs.StringVar(&since, "since", "", "only runs started since this age (2h, 7d) or date (2026-11-25)")
	fs.StringVar(&until, "until", "", "only runs started before this age or date")
	fs.IntVar(&f.Limit, "limit", 20, "how many runs per page")
	fs.Int64Var(&f.BeforeID, "before", 0, "page: runs with an id below this one (the next page starts below the last id shown)")
	asJSON := fs.Bool("json", false, "print JSON")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("runs takes no arguments (filters are flags), got %q", rest)
	}
	now := time.Now()
	if f.Since, err = parseSince(since, now); err != nil {
		return err
	}
	if f.Until, err = parseSince(until, now); err != nil {
		return err
	}
	if f.Limit <= 0 {
		return usagef("--limit must be positive")
	}
	if err := checkRunFilter(f); err != nil {
		return err
	}
	st, err := db.openExisting(ctx, env)
	if err != nil {
		return err
	}
	defer st.Close()
	limit := f.Limit
	q := f
	q.Limit++ // one more tells whether there is a next page
	runs, err := st.ListRuns(ctx, q)
	if err != nil {
		return err
	}
	hasMore := len(runs) > limit
	runs = runs[:min(len(runs), limit)]
	if *asJSON {
		out := make([]report.Run, 0, len(runs))
		for i := range runs {
			out = append(out, report.StoredRun(&runs[i]))
		}
		return writeJSON(env.stdout, out)
	}
	if len(runs) == 0 {
		fmt.Fprintln(env.stdout, "no runs recorded (yet) that match")
		return nil
	}
	tw := tabwriter.NewWriter(termSafe{env.stdout}, 0, 4, 2, ' ', 0)
	// A DRIFT column when the page holds proxied runs, whose requests
	// came from a real Stalwart.
	drift := f.Drift || slices.ContainsFunc(runs, func(r store.Run) bool { return r.Source == store.SourceProxy || r.Drift > 0 })
	head := "RUN\tSTARTED\tSESSION\tSOURCE\tOUTCOME\tCALLS\tFAILURES\tDURATION"
	if drift {
		head += "\tDRIFT"
	}
	fmt.Fprintln(tw, head)
	for _, r := range runs {
		source := r.Source
		if r.ReplayOf != 0 {
			source = fmt.Sprintf("%s of #%d (%s)", r.Source, r.ReplayOf, r.ReplayMode)
		}
		line := fmt.Sprintf("#%d\t%s\t%s\t%s\t%s\t%d\t%d\t%s", r.ID, r.Started.Local().Format("2006-01-02 15:04:05"), r.SessionName,
			source, outcomeText(&r), r.Exchanges, r.Failures, runDuration(r))
		if drift {
			line += fmt.Sprintf("\t%d", r.Drift)
		}
		fmt.Fprintln(tw, line)
	}
	tw.Flush()
	if hasMore {
		more := []string{"hooksim", "runs"}
		fs.Visit(func(fl *flag.Flag) {
			switch fl.Name {
			case "before":
			case "since", "until":
				// An age (1h) would mean another window by the time the
				// hint is run: the time it meant now.
				t := f.Since
				if fl.Name == "until" {
					t = f.Until
				}
				more = append(more, "--"+fl.Name+"="+export.ShellWord(t.Format(time.RFC3339Nano)))
			default:
				more = append(more, "--"+fl.Name+"="+export.ShellWord(fl.Value.String()))
			}
		})
		more = append(more, fmt.Sprintf("--before %d", runs[len(runs)-1].ID))
		fmt.Fprintf(env.stdout, "more: %s\n", strings.Join(more, " "))
	}
	return nil
}

// runDuration is how long the run took; for an interrupted run, whose
// end is that of its last recorded exchange (the process died later),
// at least that: ">=29ms".
func runDuration(r store.Run) string {
	if r.Ended.IsZero() {
		return "-"
	}
	d := r.Ended.Sub(r.Started).Round(time.Millisecond).String()
	if r.Outcome == store.OutcomeInterrupted {
		return ">=" + d
	}
	return d
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

const showExamples = `  hooksim show 42
  hooksim show 42 --raw 3                 # exchange 3 as it was on the wire
  hooksim show 42 --raw 3 --body response > answer.json
`

func runShow(ctx context.Context, env *cliEnv, args []string) error {
	var db dbFlags
	fs := newFlagSet("show", "[flags] RUN\n\nPrints a recorded run's transcript again, from the history database.\n\n"+
		"--raw SEQ prints exchange SEQ as it was on the wire: the request head as hooksim wrote it and\n"+
		"its body, a blank line, then the response head as the hook sent it (status line, header case,\n"+
		"order, spacing and line endings kept) and its body. Lines starting with \"# hooksim: \" are\n"+
		"hooksim's notes, never wire bytes: they say what is not as it was (credentials hidden, a chunked\n"+
		"body shown de-chunked, redirect hops not kept, a body cut or not read, no answer, an exchange\n"+
		"recorded before heads were kept).", showExamples, env)
	db.register(fs, false)
	raw := fs.Int("raw", 0, "print exchange SEQ as it was on the wire: request head and body, then response head and body")
	body := fs.String("body", "", `with --raw: print only the "request" or "response" body, byte for byte`)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("show takes one RUN id")
	}
	id, err := parseRunID(rest[0])
	if err != nil {
		return err
	}
	st, err := db.openExisting(ctx, env)
	if err != nil {
		return err
	}
	defer st.Close()
	rawSet := false
	fs.Visit(func(f *flag.Flag) { rawSet = rawSet || f.Name == "raw" })
	if rawSet {
		run, err := st.GetRun(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return usagef("no run #%d in %s (see hooksim runs)", id, st.Path())
		} else if err != nil {
			return err
		}
		outOfRange := func() error {
			if run.Exchanges == 0 {
				return usagef("run #%d has no exchanges", id)
			}
			show := fmt.Sprintf("hooksim show %d", id)
			if db.path != "" {
				show = fmt.Sprintf("hooksim show --db %s %d", export.ShellWord(st.Path()), id)
			}
			return usagef("run #%d has exchanges 1 to %d (%s numbers them), not %d", id, run.Exchanges, show, *raw)
		}
		if *raw < 1 || (run.Exchanges > 0 && *raw > run.Exchanges) {
			return outOfRange()
		}
		ex, err := st.Exchange(ctx, id, *raw)
		if errors.Is(err, store.ErrNotFound) {
			return outOfRange()
		} else if err != nil {
			return err
		}
		return writeRawExchange(env.stdout, id, ex, *body)
	}
	if *body != "" {
		return usagef("--body goes with --raw SEQ")
	}
	loaded, err := recorder.Load(ctx, st, id)
	if errors.Is(err, store.ErrNotFound) {
		return usagef("no run #%d in %s", id, st.Path())
	} else if err != nil {
		return err
	}
	r := loaded.Run
	out := termSafe{env.stdout}
	fmt.Fprintf(out, "run #%d, %s, %s, started %s", r.ID, r.Source, outcomeText(&r), r.Started.Local().Format(time.RFC3339))
	if r.ReplayOf != 0 {
		fmt.Fprintf(out, ", replay of #%d (%s)", r.ReplayOf, r.ReplayMode)
	}
	fmt.Fprintln(out)
	replayTranscript(termSafe{env.stdout}, loaded)
	return nil
}

// replayTranscript prints a loaded run with the same transcript as run:
// the run as stored (report.FromRows), through the printer run uses.
func replayTranscript(w io.Writer, l *recorder.Loaded) {
	s := l.Report
	tw := &transcript{w: w, verdict: storedVerdict(&l.Run)}
	tw.header(s.Name, s.File)
	p := &transcriptPlay{transcript: tw}
	notSent := report.NotSent(s.Steps)
	for i := range s.Steps {
		p.mu.Lock()
		p.step(&s.Steps[i], notSent[i])
		p.mu.Unlock()
	}
	p.finish(storedEnding(l))
}

// storedEnding is the last line of a stored run: its counts as recorded
// (while it is still running, the exchanges recorded so far), the
// expectations of its script, its duration until it ended (0 while
// running).
func storedEnding(l *recorder.Loaded) ending {
	s, r := l.Report, &l.Run
	e := ending{name: s.Name, steps: len(s.Steps), exchanges: r.Exchanges, failures: r.Failures,
		errored: r.Outcome == store.OutcomeError, err: r.Error}
	if r.Outcome == store.OutcomeRunning {
		e.exchanges = len(report.SortedExchanges(s))
	}
	for _, notSent := range report.NotSent(s.Steps) {
		if notSent {
			e.notSent++
		}
	}
	if !r.Ended.IsZero() {
		e.duration = r.Ended.Sub(r.Started)
	}
	if l.Session != nil {
		for _, st := range l.Session.Steps {
			if st.Expect != nil {
				e.expectations++
			}
		}
	}
	for _, st := range s.Steps {
		for _, ex := range st.Exchanges {
			if ex.Error != nil {
				e.hookErrors++
			}
		}
	}
	return e
}

// outcomeText is a run's outcome as the lists print it: with "(hook
// errors)" when a hook call failed, which a probe's "passed" does not say.
func outcomeText(r *store.Run) string {
	if r.HookErrors {
		return r.Outcome + " (hook errors)"
	}
	return r.Outcome
}

// storedVerdict is the verdict of a run that did not finish, "" for one
// that did: never PASS for a run whose recorder died.
func storedVerdict(r *store.Run) string {
	switch r.Outcome {
	case store.OutcomeRunning:
		return "RUNNING (still being recorded; this is what is recorded so far)"
	case store.OutcomeInterrupted:
		why := strings.TrimPrefix(r.Error, "interrupted: ")
		if why == context.Canceled.Error() {
			why = "stopped by Ctrl-C or SIGTERM"
		}
		return "INTERRUPTED (" + why + ")"
	}
	return ""
}

// writeRawExchange prints exchange ex of run runID as it was on the wire
// (export.Raw), or with body set only that body, byte for byte.
func writeRawExchange(w io.Writer, runID int64, ex *store.Exchange, body string) error {
	switch body {
	case "request":
		_, err := w.Write(ex.RequestBody)
		return err
	case "response":
		_, err := w.Write(ex.ResponseBody)
		return err
	case "":
		return export.Raw(w, runID, ex)
	default:
		return usagef(`--body wants "request" or "response", got %q`, body)
	}
}

func runPrune(ctx context.Context, env *cliEnv, args []string) error {
	var db dbFlags
	fs := newFlagSet("prune", "--older-than AGE\n\nDeletes recorded runs started more than AGE ago.", "  hooksim prune --older-than 7d\n", env)
	db.register(fs, false)
	older := fs.String("older-than", "", "age: days (7d) or a Go duration (36h, 90m, 30s)")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 || *older == "" {
		return usagef("prune needs --older-than AGE and no arguments")
	}
	age, err := parseAge(*older)
	if err != nil {
		return err
	}
	st, err := db.openExisting(ctx, env)
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := st.Prune(ctx, time.Now().Add(-age))
	if errors.Is(err, store.ErrRecording) {
		// Refused, not failed: nothing was deleted; run it again later.
		return usageError{err}
	} else if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "deleted %d runs older than %s from %s\n", n, strings.TrimSpace(*older), st.Path())
	return nil
}

// checkRunFilter refuses a stage, outcome or source no run can have, so a
// typo does not read as "no runs match".
func checkRunFilter(f store.RunFilter) error {
	pick := func(flag, v string, valid []string) error {
		if v == "" || slices.Contains(valid, v) {
			return nil
		}
		return usagef("--%s %q: want one of %s", flag, v, strings.Join(valid, ", "))
	}
	if err := pick("stage", f.Stage, []string{"connect", "ehlo", "mail", "rcpt", "data"}); err != nil {
		return err
	}
	if err := pick("action", f.Action, []string{"accept", "reject", "discard", "quarantine", "error"}); err != nil {
		return err
	}
	return pick("source", f.Source, []string{"script", "smtp", "replay", "proxy"})
}
