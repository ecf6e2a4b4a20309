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

	"github.com/hooksim/hooksim/recorder"
	"github.com/hooksim/hooksim/simulator"
)

const testExamples = `  hooksim test --url http://127.0.0.1:8025/ --stages all tests/
  hooksim test --hooks mtahook.json --junit report.xml tests/spam.yaml tests/bounce.yaml
`

// runTest plays session scripts like a test runner: one line per session,
// the failures with what differed, a summary line, optional JUnit XML.
func runTest(ctx context.Context, env *cliEnv, args []string) error {
	var hf hookFlags
	var db dbFlags
	flags := newFlagSet("test", "[flags] PATH...\n\nPATH is a session script, a folder (every .yaml/.yml below it) or bundled:NAME.\nRecords the runs only when --db is given.", testExamples, env.stderr)
	hf.register(flags)
	db.register(flags, false)
	junitPath := flags.String("junit", "", "write a JUnit XML report to this file")
	verbose := flags.Bool("v", false, "print each session's transcript too")
	rest, err := parseFlags(flags, args)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		return usagef("test needs at least one PATH (a script, a folder or bundled:NAME)")
	}
	hooks, err := hf.load(ctx, warnTo(env))
	if err != nil {
		return err
	}
	paths, err := expandTestPaths(rest)
	if err != nil {
		return err
	}
	list, err := loadSessions(ctx, paths)
	if err != nil {
		return err
	}
	var obs simulator.Observers
	if *verbose {
		obs = append(obs, &transcript{w: env.stdout})
	}
	var rec *recorder.Recorder
	if db.path != "" {
		st, err := db.open(ctx, env)
		if err != nil {
			return err
		}
		defer st.Close()
		rec = recorder.New(st, recorder.Options{})
		obs = append(obs, rec)
	}
	sim := simulator.New(hooks, obs)
	defer sim.Client.Close()
	var results []*simulator.SessionResult
	width := 0
	for _, s := range list {
		width = max(width, len(s.Name))
	}
	passed, failed := 0, 0
	for _, s := range list {
		res := sim.Play(ctx, s)
		results = append(results, res)
		verdict := "ok  "
		if res.Passed() {
			passed++
		} else {
			verdict = "FAIL"
			failed++
		}
		fmt.Fprintf(env.stdout, "%s  %-*s  %s  (%d steps, %d hook calls, %s)\n", verdict, width, s.Name, s.File,
			len(res.Steps), res.Exchanges, res.Duration.Round(time.Millisecond))
		for _, st := range res.Steps {
			for _, f := range st.Failures {
				fmt.Fprintf(env.stdout, "      %s\n", f)
			}
		}
		if res.Err != nil {
			fmt.Fprintf(env.stdout, "      %v\n", res.Err)
			break
		}
	}
	if rec != nil {
		if err := rec.Close(); err != nil {
			return fmt.Errorf("recording: %w", err)
		}
	}
	fmt.Fprintf(env.stdout, "%d passed, %d failed\n", passed, failed)
	if *junitPath != "" {
		if err := writeTestJUnit(*junitPath, results); err != nil {
			return err
		}
	}
	if failed > 0 {
		return failedError{}
	}
	return nil
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
			if !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
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
