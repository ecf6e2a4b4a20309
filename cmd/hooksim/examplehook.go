package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hooksim/hooksim/cmd/hooksim/internal/examplehook"
	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/web"
)

const exampleHookExamples = `  hooksim example-hook --listen 127.0.0.1:8025
  hooksim run --url http://127.0.0.1:8025/ --stages all      # in another terminal
`

func runExampleHook(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet("example-hook", "[flags]\n\nServes hooksim's example MTA Hook (spam score, subject tag, blocked sender, archive copy) until Ctrl-C.", exampleHookExamples, env)
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

const demoExamples = `  hooksim demo                 # then open the printed URL; Ctrl-C to stop
  hooksim demo --once -q       # play and exit, without the web view
  hooksim demo --once --json report.json
`

// runDemo starts the example hook on a free loopback port and the web
// view, plays every bundled session against the hook (all stages),
// recorded in the history database, and serves the web view until
// Ctrl-C. With --once it plays and exits.
func runDemo(ctx context.Context, env *cliEnv, args []string) error {
	var o runOptions
	fs := newFlagSet("demo", "[flags]\n\nStarts the example hook on a free loopback port and the web view, plays every bundled session\nagainst the hook (all stages) and serves the web view until Ctrl-C.", demoExamples, env)
	o.db.register(fs, true)
	fs.StringVar(&o.json, "json", "", `write the machine-readable report to this file, or "-" for stdout`)
	fs.StringVar(&o.out, "out", "", "write each message as Stalwart would queue it (its own headers in front of the message as the hooks left it) to DIR/SESSION-N.eml")
	fs.BoolVar(&o.quiet, "q", false, "print only failures and the summary")
	fs.BoolVar(&o.verbose, "v", false, "also print each request and response body")
	fs.BoolVar(&o.verbose2, "vv", false, "like -v, with the bodies whole")
	once := fs.Bool("once", false, "play the sessions and exit, without the web view")
	listen := fs.String("listen", "127.0.0.1:0", "address of the web view (a free loopback port by default)")
	smtpListen := fs.String("smtp", "127.0.0.1:0", `address of an SMTP listener (hooksim smtp) that calls the example hook at every stage
(a free loopback port by default; "none" for none); not with --once`)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if !*once && o.db.noRecord {
		return usagef("the web view shows recorded runs: --no-record needs --once")
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
	if *once {
		fmt.Fprintf(env.stdout, "example hook on %s, playing %d bundled sessions (%s)\n\n", hook.URL, len(list), sessionNames(list))
		return play(ctx, env, jobsFor([]*hookconf.Hook{hook}, list), o)
	}
	return demoServe(ctx, env, hook, list, o, *listen, *smtpListen)
}

// demoServe starts the web view on the history database, plays the
// sessions (recorded through their own store handle, as a terminal's
// hooksim run would be, so the page shows them arrive live), and serves
// until ctx ends.
func demoServe(ctx context.Context, env *cliEnv, hook *hookconf.Hook, list []*sessions.Session, o runOptions, listen, smtpListen string) error {
	st, err := o.db.open(ctx, env)
	if err != nil {
		return err
	}
	defer st.Close()
	srv, err := web.New(web.Config{Store: st, Listen: listen, Log: env.stderr})
	if err != nil {
		return usageError{err}
	}
	serveCtx, stopServe := context.WithCancel(ctx)
	defer stopServe()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(serveCtx) }()
	// The SMTP listener, recorded into the same history through its own
	// handle; it serves until ctx ends.
	var swaks, smtpAddr string
	smtpDone := make(chan error, 1)
	if smtpListen != "none" {
		so := &smtpOptions{listen: smtpListen, serverPort: sessions.DefaultServerPort, hostname: sessions.DefaultServerHostname,
			maxConns: 8192, db: o.db, noSummary: true}
		c := &smtpConfig{hooks: []*hookconf.Hook{hook}, template: &sessions.Session{Server: sessions.Server{Hostname: so.hostname, Port: sessions.DefaultServerPort}}}
		if err := c.listen(so); err != nil {
			stopServe()
			<-served
			return err
		}
		smtpAddr = c.listener.Addr().String()
		swaks = swaksCommand(smtpAddr, c)
		so.ready = func(*smtpConfig) {}
		go func() { smtpDone <- serveSMTP(serveCtx, env, c, so) }()
	} else {
		smtpDone <- nil
	}
	fmt.Fprintf(env.stdout, "web view on %s\nexample hook on %s, playing %d bundled sessions (%s)\n\n", srv.URL(), hook.URL, len(list), sessionNames(list))
	err = play(ctx, env, jobsFor([]*hookconf.Hook{hook}, list), o)
	var fe failedError
	if err != nil && !errors.As(err, &fe) && ctx.Err() == nil {
		stopServe()
		<-served
		<-smtpDone
		return err
	}
	if ctx.Err() == nil {
		fmt.Fprintf(env.stdout, "\nweb view on %s (Ctrl-C to stop)\n", srv.URL())
		if swaks != "" {
			fmt.Fprintf(env.stdout, "SMTP on %s, calling the example hook at every stage; send it a message and watch it arrive:\n  %s\n",
				smtpAddr, swaks)
		}
	}
	err = <-served
	stopServe()
	if serr := <-smtpDone; err == nil {
		err = serr
	}
	return err
}

func sessionNames(list []*sessions.Session) string {
	names := make([]string, len(list))
	for i, s := range list {
		names[i] = s.Name
	}
	return strings.Join(names, ", ")
}

const sessionsExamples = `  hooksim sessions
  hooksim sessions spam-tagged > my-spam.yaml       # the message inline: runs from anywhere
  hooksim sessions two-transactions --dir tests/    # the script and its .eml files side by side
`

func runSessions(_ context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet("sessions", "[NAME] [--dir DIR]\n\nLists the bundled sessions; with NAME prints that script as a template that runs as written\n(its messages inline), or with --dir writes it and its .eml files into DIR.", sessionsExamples, env)
	dir := fs.String("dir", "", "write NAME.yaml and the messages it names into this folder (created if needed) instead of printing")
	force := fs.Bool("force", false, "with --dir: overwrite files that exist")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *force && *dir == "" {
		return usagef("--force goes with --dir")
	}
	switch len(rest) {
	case 0:
		if *dir != "" {
			return usagef("--dir goes with a session NAME")
		}
		all, err := sessions.Bundled()
		if err != nil {
			return err
		}
		for _, s := range all {
			fmt.Fprintf(env.stdout, "%-24s %s\n", s.Name, s.Description)
		}
		return nil
	case 1:
		name := strings.TrimPrefix(rest[0], "bundled:")
		if *dir == "" {
			src, err := sessions.BundledInline(name)
			if err != nil {
				return usageError{err}
			}
			_, err = env.stdout.Write(src)
			return err
		}
		return writeTemplate(env, name, *dir, *force)
	}
	return usagef("sessions takes at most one NAME")
}

// writeTemplate writes a bundled session and its messages into dir,
// refusing to overwrite a file unless force.
func writeTemplate(env *cliEnv, name, dir string, force bool) error {
	script, files, err := sessions.BundledFiles(name)
	if err != nil {
		return usageError{err}
	}
	all := map[string][]byte{name + ".yaml": script}
	for n, b := range files {
		all[n] = b
	}
	names := make([]string, 0, len(all))
	for n := range all {
		names = append(names, n)
	}
	sort.Strings(names)
	if !force {
		for _, n := range names {
			if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
				return usagef("%s exists (--force overwrites it)", filepath.Join(dir, n))
			}
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return usagef("sessions: %v", err)
	}
	for _, n := range names {
		p := filepath.Join(dir, n)
		if err := os.WriteFile(p, all[n], 0o644); err != nil {
			return fmt.Errorf("sessions: %w", err)
		}
		fmt.Fprintf(env.stdout, "wrote %s\n", p)
	}
	return nil
}
