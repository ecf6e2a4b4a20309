package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/hooksim/hooksim/cmd/hooksim/internal/junit"
	"github.com/hooksim/hooksim/recorder"
	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookclient"
	"github.com/hooksim/hooksim/simulator/hookconf"
)

const testExamples = `  # scripts written by hooksim export carry the hook's settings: no flags needed
  hooksim test tests/

  # another address for the same hook, JUnit for CI
  hooksim test --url http://127.0.0.1:8025/ --junit report.xml tests/
  hooksim test --hooks mtahook.json tests/spam.yaml tests/bounce.yaml
`

// testCase is one script to run: its session, or why it cannot run.
type testCase struct {
	path    string
	session *sessions.Session
	hooks   []*hookconf.Hook
	err     error // the script does not parse, or its hook cannot be built
}

// runTest plays session scripts like a test runner: one line per session,
// the failures with what differed and what a failing hook said, a summary
// line, optional JUnit XML. A script that cannot run (it does not parse,
// or its hook cannot be built) is an errored case: the others still run,
// the JUnit file is still written, and the exit code is then 2.
func runTest(ctx context.Context, env *cliEnv, args []string) error {
	var hf hookFlags
	var db dbFlags
	flags := newFlagSet("test", "[flags] PATH...\n\nPATH is a session script, a folder (every .yaml/.yml below it) or bundled:NAME (its expectations,\nwritten for hooksim's example hook, are checked: test checks every expectation).\nThe hook: --url or --hooks, else the hook settings each script carries (hooksim export writes them);\nflags given with a script's settings replace the values they name. Records the runs only with --db.", testExamples, env)
	hf.register(flags)
	db.register(flags, false)
	flags.Lookup("db").Usage = "record the runs in this history database (without it, test records nothing)"
	junitPath := flags.String("junit", "", "write a JUnit XML report to this file")
	verbose := flags.Bool("v", false, "print each session's transcript too, with the request and response bodies (long strings cut)")
	verbose2 := flags.Bool("vv", false, "like -v, with the bodies whole")
	rest, err := parseFlags(flags, args)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		return usagef("test needs at least one PATH (a script, a folder or bundled:NAME)")
	}
	notes := newNoteSet()
	plan, err := newHookPlan(ctx, env, &hf, notes)
	if err != nil {
		return err
	}
	paths, err := expandTestPaths(rest)
	if err != nil {
		return err
	}
	cases := make([]testCase, 0, len(paths))
	var loaded []*sessions.Session
	for _, p := range paths {
		c := testCase{path: p}
		c.session, c.err = loadSession(ctx, p)
		loaded = append(loaded, c.session)
		cases = append(cases, c)
	}
	if err := plan.needsFlags(loaded); err != nil {
		return err
	}
	for i := range cases {
		if c := &cases[i]; c.err == nil {
			c.hooks, c.err = plan.forSession(c.session)
		}
	}
	notes.flush(func(m string) { fmt.Fprintln(env.stderr, "hooksim:", m) })
	stdout := termSafe{env.stdout}
	var obs simulator.Observers
	if *verbose || *verbose2 {
		v := 1
		if *verbose2 {
			v = 2
		}
		obs = append(obs, &transcript{w: stdout, verbose: v})
	}
	var rec *recorder.Recorder
	var recorded *recording
	if db.path != "" {
		st, err := db.open(ctx, env)
		if err != nil {
			return err
		}
		defer st.Close()
		rec = recorder.New(st, recorder.Options{})
		recorded = &recording{rec: rec}
		obs = append(obs, recorded)
	}
	client := hookclient.New()
	defer client.Close()
	ids := simulator.NewQueueIDs(nil, 1)
	width := 0
	for _, c := range cases {
		width = max(width, len(c.name()))
	}
	suite := junit.Suite{Name: "hooksim test", Timestamp: time.Now()}
	passed, failed, errored := 0, 0, 0
	var results []*simulator.SessionResult
	var runErr error
	for _, c := range cases {
		if c.err != nil {
			errored++
			fmt.Fprintf(stdout, "ERROR %-*s  %s\n      %v\n", width, c.name(), c.path, c.err)
			suite.Cases = append(suite.Cases, junit.Case{Name: c.name(), ClassName: "hooksim." + c.name(),
				Error: &junit.Failure{Message: "the script cannot run", Type: "error", Text: c.err.Error()}})
			continue
		}
		if ctx.Err() != nil {
			break
		}
		res := newSimulator(c.hooks, client, obs, ids).Play(ctx, c.session)
		verdict := "ok   "
		if res.Passed() {
			passed++
		} else {
			verdict = "FAIL "
			failed++
		}
		fmt.Fprintf(stdout, "%s %-*s  %s  (%s, %s, %s)\n", verdict, width, c.session.Name, c.session.File,
			stepsText(len(res.Steps), notSentSteps(res)), plural(res.Exchanges, "hook call"), shortDuration(res.Duration))
		lines := failureLines(res)
		for _, l := range lines {
			fmt.Fprintf(stdout, "      %s\n", l)
		}
		suite.Cases = append(suite.Cases, testJUnitCase(res, lines))
		results = append(results, res)
		suite.Time += res.Duration
		if res.Err != nil {
			runErr = res.Err
			break
		}
	}
	if rec != nil {
		if err := rec.Close(); err != nil {
			return fmt.Errorf("recording: %w", err)
		}
	}
	summary := fmt.Sprintf("%d passed, %d failed", passed, failed)
	if errored > 0 {
		summary += fmt.Sprintf(", %d errored", errored)
	}
	fmt.Fprintln(stdout, summary)
	if rec != nil {
		(&transcript{w: stdout}).recorded(recorded.runIDs(), db.path)
	}
	if *junitPath != "" {
		if err := writeJUnitFile(*junitPath, []junit.Suite{suite}); err != nil {
			return err
		}
	}
	switch {
	case runErr != nil:
		return runErr
	case errored > 0:
		return usagef("%d of %d scripts could not run (see ERROR above)", errored, len(cases))
	case failed > 0:
		return failedError{}
	}
	return nil
}

// name is the case's name: the session's, else the file name.
func (c testCase) name() string {
	if c.session != nil {
		return c.session.Name
	}
	base := filepath.Base(c.path)
	return strings.TrimSuffix(base, filepath.Ext(base))
}

// failureLines are what a failed session shows: each step's failed
// expectations, and what every failing hook call answered (status, the
// first lines of its body, the cause), under the step it belongs to.
func failureLines(r *simulator.SessionResult) []string {
	if r.Passed() {
		return nil
	}
	var out []string
	// Steps not sent on a closed connection: the first says why, the
	// others are counted.
	shown, more := false, 0
	flush := func() {
		if more > 0 {
			out = append(out, fmt.Sprintf("  (and %s after it, not sent either)", plural(more, "step")))
		}
		shown, more = false, 0
	}
	for _, st := range r.Steps {
		if st.NotSent {
			if len(st.Failures) > 0 {
				if shown {
					more++
					continue
				}
				shown = true
			}
		} else {
			flush()
		}
		out = append(out, st.Failures...)
		for _, ex := range st.Exchanges {
			e := liveErrorExchange(ex)
			if e == nil {
				continue
			}
			for i, l := range hookErrorLines(e) {
				if i == 0 {
					out = append(out, simulator.StepName(st)+": "+l)
				} else {
					out = append(out, "  "+l)
				}
			}
		}
	}
	flush()
	if r.Err != nil {
		out = append(out, r.Err.Error())
	}
	return out
}

// testJUnitCase is one session as a JUnit case; the failure text is the
// same lines the terminal shows.
func testJUnitCase(r *simulator.SessionResult, lines []string) junit.Case {
	c := junit.Case{Name: r.Name, ClassName: "hooksim." + r.Name, Time: r.Duration}
	switch {
	case r.Err != nil:
		c.Error = &junit.Failure{Message: r.Err.Error(), Type: "error", Text: strings.Join(lines, "\n")}
	case r.Failures > 0:
		c.Failure = &junit.Failure{Message: plural(r.Failures, "expectation") + " failed", Type: "expectation", Text: strings.Join(lines, "\n")}
	}
	return c
}

// expandTestPaths turns folders into the scripts below them, sorted.
func expandTestPaths(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		if strings.HasPrefix(a, "bundled:") {
			out = append(out, a)
			continue
		}
		info, err := os.Stat(a)
		if err != nil {
			return nil, usagef("test: %v", err)
		}
		if !info.IsDir() {
			out = append(out, a)
			continue
		}
		var found []string
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if ext := strings.ToLower(filepath.Ext(p)); !d.IsDir() && (ext == ".yaml" || ext == ".yml") {
				found = append(found, p)
			}
			return nil
		})
		if err != nil {
			return nil, usagef("test: %v", err)
		}
		if len(found) == 0 {
			return nil, usagef("test: no .yaml or .yml session scripts under %s", a)
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}
