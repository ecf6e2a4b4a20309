package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hooksim/hooksim/recorder"
	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookconf"
)

const runExamples = `  # play the bundled sessions against a hook at every stage
  hooksim run --url http://127.0.0.1:8025/hook --stages all

  # play one script, with a Stalwart MtaHook JSON copied from the server
  hooksim run --hooks mtahook.json spam.yaml

  # one bundled session, machine-readable report, final messages as .eml
  hooksim run --url http://127.0.0.1:8025/hook bundled:spam --json report.json --out out/
`

// runOptions are run's own flags.
type runOptions struct {
	hooks  hookFlags
	db     dbFlags
	json   string
	out    string
	quiet  bool
	noExp  bool
	nocolr bool
}

func runRun(ctx context.Context, env *cliEnv, args []string) error {
	var o runOptions
	fs := newFlagSet("run", "[flags] [SESSION...]\n\nSESSION is a script file (.yaml) or bundled:NAME; none plays every bundled session.", runExamples, env.stderr)
	o.hooks.register(fs)
	o.db.register(fs, true)
	fs.StringVar(&o.json, "json", "", `write the machine-readable report (docs/report.md) to this file, or "-" for stdout`)
	fs.StringVar(&o.out, "out", "", "write each queued message, as modified by the hooks, to DIR/SESSION-N.eml")
	fs.BoolVar(&o.quiet, "q", false, "print only failures and the summary")
	fs.BoolVar(&o.noExp, "no-expect", false, "ignore the scripts' expectations (just show what happens)")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	hooks, err := o.hooks.load(ctx, warnTo(env))
	if err != nil {
		return err
	}
	list, err := loadSessions(ctx, rest)
	if err != nil {
		return err
	}
	return play(ctx, env, hooks, list, o)
}

// loadSessions reads the named scripts, or every bundled one.
func loadSessions(ctx context.Context, names []string) ([]*sessions.Session, error) {
	if len(names) == 0 {
		all, err := sessions.Bundled()
		if err != nil {
			return nil, fmt.Errorf("bundled sessions: %w", err)
		}
		return all, nil
	}
	var out []*sessions.Session
	for _, n := range names {
		var s *sessions.Session
		var err error
		if name, ok := strings.CutPrefix(n, "bundled:"); ok {
			s, err = sessions.BundledByName(name)
		} else {
			s, err = sessions.ParseFile(ctx, n)
		}
		if err != nil {
			return nil, usageError{err}
		}
		out = append(out, s)
	}
	return out, nil
}

// play runs every session, prints the transcript and writes the outputs.
func play(ctx context.Context, env *cliEnv, hooks []*hookconf.Hook, list []*sessions.Session, o runOptions) error {
	if o.noExp {
		for _, s := range list {
			for i := range s.Steps {
				s.Steps[i].Expect = nil
			}
		}
	}
	tw := &transcript{w: env.stdout, quiet: o.quiet}
	if o.json == "-" {
		tw.w = env.stderr
	}
	for _, l := range simulator.ConfigLints(hooks) {
		fmt.Fprintf(tw.w, "warning: %s\n", l)
	}
	var obs simulator.Observers = simulator.Observers{tw}
	var rec *recorder.Recorder
	if !o.db.noRecord {
		st, err := o.db.open(ctx, env)
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
	for _, s := range list {
		res := sim.Play(ctx, s)
		results = append(results, res)
		if res.Err != nil {
			break
		}
	}
	if rec != nil {
		// Everything already played goes to disk, also after Ctrl-C.
		if err := rec.Close(); err != nil {
			return fmt.Errorf("recording: %w", err)
		}
	}
	sum := tw.summary(results)
	if rec != nil {
		tw.recorded(rec, results, o.db.path)
	}
	if o.json != "" {
		if err := writeReport(env, o.json, hooks, results); err != nil {
			return err
		}
	}
	if o.out != "" {
		if err := writeMessages(o.out, results); err != nil {
			return err
		}
	}
	for _, r := range results {
		if r.Err != nil {
			return r.Err
		}
	}
	if sum.failed > 0 {
		return failedError{}
	}
	return nil
}

func writeReport(env *cliEnv, path string, hooks []*hookconf.Hook, results []*simulator.SessionResult) error {
	data, err := json.MarshalIndent(buildReport(hooks, results), "", "  ")
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	data = append(data, '\n')
	if path == "-" {
		_, err = env.stdout.Write(data)
		return err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("report: write %s: %w", path, err)
	}
	return nil
}

func writeMessages(dir string, results []*simulator.SessionResult) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("out: %w", err)
	}
	for _, r := range results {
		for _, tx := range r.Transactions {
			if !tx.Delivered {
				continue
			}
			name := filepath.Join(dir, fmt.Sprintf("%s-%d.eml", safeName(r.Name), tx.Number))
			data := tx.Final
			if len(data) < 2 || string(data[len(data)-2:]) != "\r\n" {
				data = append(append([]byte{}, data...), '\r', '\n')
			}
			if err := os.WriteFile(name, data, 0o644); err != nil {
				return fmt.Errorf("out: write %s: %w", name, err)
			}
		}
	}
	return nil
}

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return '_'
	}, s)
}
