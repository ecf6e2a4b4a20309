// Command hooksim is a mock Stalwart MTA for people who write MTA Hooks:
// it plays scripted SMTP sessions against a hook, building every request
// and applying every answer exactly as Stalwart v0.16.18 does.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// Exit codes shared by every subcommand.
const (
	exitOK      = 0
	exitFailed  = 1 // an expectation or regression failed
	exitUsage   = 2 // bad flags or bad input
	exitRuntime = 3 // the tool itself could not do its job (listen failed...)
)

// usageError marks errors caused by the user's input: exit code 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// failedError marks a run whose expectations did not hold: exit code 1.
type failedError struct{ msg string }

func (e failedError) Error() string { return e.msg }

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *cliEnv, args []string) error
}

// cliEnv is what a subcommand may touch: no globals, so tests can run the
// CLI in-process.
type cliEnv struct {
	stdout, stderr io.Writer
	stdin          io.Reader
	getenv         func(string) (string, bool)
}

func commands() []command {
	return []command{
		{"demo", "start the example hook and the web view, and play the bundled sessions", runDemo},
		{"run", "play session scripts against a hook and check their expectations", runRun},
		{"test", "run session scripts as tests: one line each, failures, summary, JUnit", runTest},
		{"smtp", "an SMTP server that answers as Stalwart and calls the hook; records each connection", runSMTP},
		{"proxy", "a reverse proxy between a real Stalwart and the hook; records and checks its requests", runProxy},
		{"runs", "list recorded runs, newest first", runRuns},
		{"show", "print a recorded run again, or the exact bytes of one exchange", runShow},
		{"export", "write a recorded run as a session script with expectations, curl commands or JSON", runExport},
		{"replay", "re-send recorded runs to a hook and report what changed", runReplay},
		{"prune", "delete recorded runs older than an age", runPrune},
		{"check", "parse and lint a hook response body as Stalwart would", runCheck},
		{"serve", "serve the web view of recorded runs (live, replay, messages)", runServe},
		{"example-hook", "serve the example hook on a loopback address", runExampleHook},
		{"sessions", "list the bundled sessions, or print one as a template", runSessions},
	}
}

func main() {
	// The first Ctrl-C stops hooksim cleanly (what was played is kept);
	// a second one ends it at once, whatever it is waiting for (also
	// when it started with SIGINT ignored, as a background job of a
	// script is, where restoring the default would not).
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	ctx, stop := context.WithCancel(context.Background())
	go func() {
		<-sigs
		stop()
		<-sigs
		fmt.Fprintln(os.Stderr, "hooksim: stopped at once (a second signal)")
		os.Exit(exitRuntime)
	}()
	// An output closed early (hooksim run | head) must not kill hooksim
	// before it has recorded what it played: writes to it fail instead,
	// and the run goes on without printing.
	signal.Ignore(syscall.SIGPIPE)
	env := &cliEnv{stdout: os.Stdout, stderr: os.Stderr, stdin: os.Stdin, getenv: os.LookupEnv}
	code := runMain(ctx, env, os.Args[1:])
	stop()
	os.Exit(code)
}

func runMain(ctx context.Context, env *cliEnv, args []string) int {
	if len(args) == 2 && args[0] == "help" {
		args = []string{args[1], "--help"}
	}
	if len(args) == 1 && (args[0] == "--version" || args[0] == "-version" || args[0] == "version") {
		fmt.Fprintln(env.stdout, "hooksim", version(), "(Stalwart v0.16.18 MTA Hooks)")
		return exitOK
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(env.stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return exitCode(env, c.run(ctx, env, args[1:]))
		}
	}
	fmt.Fprintf(env.stderr, "hooksim: unknown command %q\n\n", args[0])
	printUsage(env.stderr)
	return exitUsage
}

func exitCode(env *cliEnv, err error) int {
	if err == nil {
		return exitOK
	}
	var ue usageError
	var fe failedError
	// An error may quote what a hook, a message or a file held (a MIME
	// error, a header): never raw control bytes on the terminal.
	stderr := termSafe{env.stderr}
	switch {
	case errors.Is(err, errHelp):
		return exitOK
	case errors.Is(err, syscall.EPIPE):
		// The reader of the output went away (hooksim export | head):
		// it asked for no more, which is not a failure.
		return exitOK
	case errors.As(err, &fe):
		if fe.msg != "" {
			fmt.Fprintln(stderr, fe.msg)
		}
		return exitFailed
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, "hooksim:", err)
		return exitUsage
	default:
		fmt.Fprintln(stderr, "hooksim:", err)
		return exitRuntime
	}
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, `hooksim: a mock Stalwart MTA for MTA Hook authors.

Usage: hooksim COMMAND [flags] [args]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-13s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Run "hooksim COMMAND --help" (or "hooksim help COMMAND") for a command's flags and examples;
"hooksim --version" prints the version.
Exit codes: 0 ok, 1 an expectation failed (or a hook call failed, a replay differs), 2 usage or
input error, 3 hooksim itself failed or was interrupted.
`)
}

// version is the module version hooksim was built as ("(devel)" from a
// checkout), with the VCS revision when the build recorded one.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := info.Main.Version
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
	}
	return v
}
