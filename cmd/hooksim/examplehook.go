package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/hooksim/hooksim/cmd/hooksim/internal/examplehook"
	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator/hookconf"
)

const exampleHookExamples = `  hooksim example-hook --listen 127.0.0.1:8025
  hooksim run --url http://127.0.0.1:8025/ --stages all      # in another terminal
`

func runExampleHook(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet("example-hook", "[flags]\n\nServes hooksim's example MTA Hook (spam score, subject tag, blocked sender, archive copy) until Ctrl-C.", exampleHookExamples, env.stderr)
	listen := fs.String("listen", "127.0.0.1:8025", "address to listen on (loopback unless you name another host)")
	quiet := fs.Bool("q", false, "do not log each request")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("example-hook takes no arguments, got %q", rest)
	}
	opts := examplehook.Options{Log: env.stderr}
	if *quiet {
		opts.Log = nil
	}
	addr, done, err := examplehook.Serve(ctx, *listen, opts)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "example hook listening on http://%s/ (Ctrl-C to stop)\n", addr)
	return <-done
}

const demoExamples = `  hooksim demo
  hooksim demo --json report.json
`

// runDemo starts the example hook on a free loopback port and plays every
// bundled session against it, with the hook configured for all stages.
func runDemo(ctx context.Context, env *cliEnv, args []string) error {
	var o runOptions
	fs := newFlagSet("demo", "[flags]\n\nStarts the example hook on a free loopback port and plays every bundled session against it (all stages).", demoExamples, env.stderr)
	o.db.register(fs, true)
	fs.StringVar(&o.json, "json", "", `write the machine-readable report to this file, or "-" for stdout`)
	fs.StringVar(&o.out, "out", "", "write each queued message to DIR/SESSION-N.eml")
	fs.BoolVar(&o.quiet, "q", false, "print only failures and the summary")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	list, err := loadSessions(ctx, rest)
	if err != nil {
		return err
	}
	hookCtx, stop := context.WithCancel(ctx)
	addr, done, err := examplehook.Serve(hookCtx, "127.0.0.1:0", examplehook.Options{})
	if err != nil {
		stop()
		return err
	}
	defer func() { stop(); <-done }()
	hook, err := hookconf.FromFlags(hookconf.FlagSpec{URL: "http://" + addr.String() + "/", Stages: []string{"all"}})
	if err != nil {
		return err
	}
	hook.ID = "example-hook"
	fmt.Fprintf(env.stdout, "example hook on %s, playing %d bundled sessions (%s)\n\n", hook.URL, len(list), sessionNames(list))
	return play(ctx, env, []*hookconf.Hook{hook}, list, o)
}

func sessionNames(list []*sessions.Session) string {
	names := make([]string, len(list))
	for i, s := range list {
		names[i] = s.Name
	}
	return strings.Join(names, ", ")
}

func runSessions(_ context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet("sessions", "[NAME]\n\nLists the bundled sessions; with NAME prints that script, to copy as a template.", "  hooksim sessions\n  hooksim sessions spam > my-spam.yaml\n", env.stderr)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch len(rest) {
	case 0:
		all, err := sessions.Bundled()
		if err != nil {
			return err
		}
		for _, s := range all {
			fmt.Fprintf(env.stdout, "%-24s %s\n", s.Name, s.Description)
		}
		return nil
	case 1:
		src, err := sessions.BundledSource(strings.TrimPrefix(rest[0], "bundled:"))
		if err != nil {
			return usageError{err}
		}
		_, err = env.stdout.Write(src)
		return err
	}
	return usagef("sessions takes at most one NAME")
}
