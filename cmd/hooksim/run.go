package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/hooksim/hooksim/recorder"
	"github.com/hooksim/hooksim/recorder/report"
	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookclient"
	"github.com/hooksim/hooksim/simulator/hookconf"
)

const runExamples = `  # probe a hook at every stage with the bundled sessions (their expectations are the example hook's: not checked)
  hooksim run --url http://127.0.0.1:8025/hook --stages all

  # see every request and response body
  hooksim run --url http://127.0.0.1:8025/hook --stages all -v bundled:hello

  # play one script, with a Stalwart MtaHook JSON copied from the server
  hooksim run --hooks mtahook.json spam.yaml

  # one bundled session, machine-readable report, queued messages as .eml
  hooksim run --url http://127.0.0.1:8025/hook bundled:spam-tagged --json report.json --out out/
`

// runOptions are run's own flags.
type runOptions struct {
	hooks    hookFlags
	db       dbFlags
	json     string
	out      string
	quiet    bool
	noExp    bool
	expect   bool
	verbose  bool
	verbose2 bool
}

func (o *runOptions) verbosity() int {
	switch {
	case o.verbose2:
		return 2
	case o.verbose:
		return 1
	}
	return 0
}

func runRun(ctx context.Context, env *cliEnv, args []string) error {
	var o runOptions
	fs := newFlagSet("run", "[flags] [SESSION...]\n\nSESSION is a script file (.yaml) or bundled:NAME; none plays every bundled session, as probes.\nThe hook: --url or --hooks, else the hook settings a script carries (hooksim export writes them);\nflags given with a script's settings replace the values they name.", runExamples, env)
	o.hooks.register(fs)
	o.db.register(fs, true)
	fs.StringVar(&o.json, "json", "", `write the machine-readable report (docs/report.md) to this file, or "-" for stdout`)
	fs.StringVar(&o.out, "out", "", "write each message as Stalwart would queue it to DIR/SESSION-N.eml: the server's own headers\n(Received, Authentication-Results, Received-SPF, Return-Path, a missing Date or Message-ID; on port 25\nby default) in front of the message as the hooks left it. Only delivered messages are written; each file\nends with a CRLF (the one before the DATA terminator, which Stalwart does not store, so --json's\n\"queued\" text is the file without it); a second session of the same name writes SESSION.POSITION-N.eml")
	fs.BoolVar(&o.quiet, "q", false, "print only failures and the summary")
	fs.BoolVar(&o.verbose, "v", false, "also print each request and response body (pretty JSON, long strings such as the message contents cut)")
	fs.BoolVar(&o.verbose2, "vv", false, "like -v, with the bodies whole")
	fs.BoolVar(&o.noExp, "no-expect", false, "ignore the scripts' expectations (just show what happens)")
	fs.BoolVar(&o.expect, "expect", false, "check the bundled sessions' expectations too (they are written for the example hook)")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if o.noExp && o.expect {
		return usagef("--expect and --no-expect contradict each other")
	}
	notes := newNoteSet()
	plan, err := newHookPlan(ctx, env, &o.hooks, notes)
	if err != nil {
		return err
	}
	list, err := loadSessions(ctx, rest)
	if err != nil {
		return err
	}
	if err := plan.needsFlags(list); err != nil {
		return err
	}
	if !o.expect && !o.noExp && dropBundledExpectations(list) {
		notes.add("the bundled sessions' expectations are written for hooksim's example hook, so they are not checked against yours (--expect checks them)", "")
	}
	jobs := make([]job, 0, len(list))
	for _, s := range list {
		hooks, err := plan.forSession(s)
		if err != nil {
			notes.flush(func(m string) { fmt.Fprintln(env.stderr, "hooksim:", m) })
			return err
		}
		jobs = append(jobs, job{session: s, hooks: hooks})
	}
	notes.flush(func(m string) { fmt.Fprintln(env.stderr, "hooksim:", m) })
	return play(ctx, env, jobs, o)
}

// job is one session and the hooks to play it against.
type job struct {
	session *sessions.Session
	hooks   []*hookconf.Hook
}

// jobsFor plays every session against the same hooks.
func jobsFor(hooks []*hookconf.Hook, list []*sessions.Session) []job {
	jobs := make([]job, len(list))
	for i, s := range list {
		jobs[i] = job{session: s, hooks: hooks}
	}
	return jobs
}

// dropBundledExpectations removes the expectations of the bundled
// sessions in list and reports whether there were any.
func dropBundledExpectations(list []*sessions.Session) bool {
	dropped := false
	for _, s := range list {
		if !strings.HasPrefix(s.File, "bundled:") {
			continue
		}
		for i := range s.Steps {
			if s.Steps[i].Expect != nil {
				s.Steps[i].Expect, dropped = nil, true
			}
		}
	}
	return dropped
}

// hasExpectations reports whether any step of any session expects something.
func hasExpectations(jobs []job) bool {
	for _, j := range jobs {
		for _, st := range j.session.Steps {
			if st.Expect != nil {
				return true
			}
		}
	}
	return false
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
	size := 0
	for _, n := range names {
		s, err := loadSession(ctx, n)
		if err != nil {
			return nil, usageError{err}
		}
		out = append(out, s)
		size += messageBytes(s)
	}
	if size >= bigMessages {
		// Checking a message's MIME (enmime) decodes every part: about
		// twice the message in garbage, in buffers of every size. Freed
		// and handed back to the OS now, those pages are not resident
		// when the request and the final message are allocated next,
		// which may not fit in them; left to the GC and the scavenger,
		// they sometimes still were (a 30 MiB message peaked at 4.2x its
		// size instead of 3.6x in about one run of four).
		debug.FreeOSMemory()
	}
	return out, nil
}

// bigMessages is the size of the scripts' messages above which
// loadSessions collects the garbage of checking them before playing.
const bigMessages = 8 << 20

// messageBytes is the size of the messages a session sends.
func messageBytes(s *sessions.Session) int {
	n := 0
	for i := range s.Steps {
		if m := s.Steps[i].Message; m != nil {
			n += len(m.Raw)
		}
	}
	return n
}

// loadSession reads one script file or bundled:NAME.
func loadSession(ctx context.Context, n string) (*sessions.Session, error) {
	if name, ok := strings.CutPrefix(n, "bundled:"); ok {
		return sessions.BundledByName(name)
	}
	return sessions.ParseFile(ctx, n)
}

// newSimulator returns a simulator for hooks sharing client and queue
// ids with the other sessions of a command.
func newSimulator(hooks []*hookconf.Hook, client *hookclient.Client, obs simulator.Observer, ids *simulator.QueueIDs) *simulator.Simulator {
	return &simulator.Simulator{Hooks: hooks, Client: client, Observer: obs, QueueIDs: ids, Now: time.Now}
}

// play runs every session, prints the transcript and writes the outputs.
func play(ctx context.Context, env *cliEnv, jobs []job, o runOptions) error {
	if o.noExp {
		for _, j := range jobs {
			for i := range j.session.Steps {
				j.session.Steps[i].Expect = nil
			}
		}
	}
	checked := hasExpectations(jobs)
	tw := &transcript{w: termSafe{env.stdout}, quiet: o.quiet, verbose: o.verbosity()}
	if o.json == "-" {
		tw.w = termSafe{env.stderr}
	}
	sets := make([][]*hookconf.Hook, len(jobs))
	for i, j := range jobs {
		sets[i] = j.hooks
	}
	for _, l := range configLints(sets) {
		fmt.Fprintf(tw.w, "warning: %s\n", l)
	}
	var obs simulator.Observers = simulator.Observers{tw}
	var rec *recorder.Recorder
	var recorded *recording
	if !o.db.noRecord {
		st, err := o.db.open(ctx, env)
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
	var rw *reportWriter
	if o.json != "" {
		rw = newReportWriter(env, o.json, distinctHooks(sets))
	}
	var results []*simulator.SessionResult
	for i, j := range jobs {
		res := newSimulator(j.hooks, client, obs, ids).Play(ctx, j.session)
		// The script is no longer needed: its message goes with it.
		jobs[i].session = nil
		rw.session(res)
		results = append(results, res)
		if res.Err != nil {
			break
		}
	}
	// Everything already played goes to disk, also after Ctrl-C. A
	// recording that fails (a full disk) still lets the summary, the
	// report and the messages out; its error is returned after them.
	var recErr error
	if rec != nil {
		if err := rec.Close(); err != nil {
			recErr = fmt.Errorf("recording: %w", err)
		}
	}
	sum := tw.summary(results, checked)
	if rec != nil {
		ids := recorded.runIDs()
		tw.recorded(ids, o.db.path)
		if n := len(results) - len(ids); n > 0 && recErr != nil {
			fmt.Fprintf(tw.w, "%s not recorded (see the error below)\n", plural(n, "session"))
		}
	}
	repErr := rw.close()
	var outErr error
	if o.out != "" {
		outErr = writeMessages(o.out, results)
	}
	for _, err := range []error{recErr, repErr, outErr} {
		if err != nil {
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
	if !checked && sum.hookErrors > 0 {
		// Nothing was expected, but a hook that fails is never what its
		// author wants: say so and exit 1.
		return failedError{fmt.Sprintf("hooksim: %d of %s failed (see the error lines above)", sum.hookErrors, plural(sum.exchanges, "hook call"))}
	}
	return nil
}

// reportWriter writes run's --json document (report.Writer) to a file or
// to stdout ("-"), a session as each play ends. Its first error (the
// file cannot be created, a write fails) stops the writing and is
// returned by close, so that the transcript is printed whatever happens
// to the report. Its methods do nothing on a nil reportWriter.
type reportWriter struct {
	path string
	f    *os.File // nil for stdout
	w    *report.Writer
	err  error
}

func newReportWriter(env *cliEnv, path string, hooks []*hookconf.Hook) *reportWriter {
	rw := &reportWriter{path: path}
	out := env.stdout
	if path != "-" {
		f, err := os.Create(path)
		if err != nil {
			rw.err = fmt.Errorf("report: write %s: %w", path, err)
			return rw
		}
		rw.f, out = f, f
	}
	if rw.w, rw.err = report.NewWriter(out, hooks); rw.err != nil {
		rw.closeFile()
	}
	return rw
}

// session writes the document of one played session.
func (rw *reportWriter) session(res *simulator.SessionResult) {
	if rw == nil || rw.err != nil {
		return
	}
	if rw.err = rw.wrap(rw.w.Session(res)); rw.err != nil {
		rw.closeFile()
	}
	rw.closedByReader()
}

// closedByReader forgets the error of a report to stdout whose reader went
// away (hooksim run --json - | head): the run goes on, as with the
// transcript, and exits by its results.
func (rw *reportWriter) closedByReader() {
	if rw.path == "-" && errors.Is(rw.err, syscall.EPIPE) {
		rw.err = errReaderGone
	}
}

// errReaderGone stops a report whose reader went away; it is not an error.
var errReaderGone = errors.New("the report's reader went away")

// close ends the document and closes the file; it returns the first
// error met.
func (rw *reportWriter) close() error {
	if rw == nil || rw.err == errReaderGone {
		return nil
	}
	if rw.err != nil {
		return rw.err
	}
	rw.err = rw.wrap(rw.w.Close())
	if rw.closedByReader(); rw.err == errReaderGone {
		return nil
	}
	if err := rw.closeFile(); rw.err == nil && err != nil {
		rw.err = fmt.Errorf("report: write %s: %w", rw.path, err)
	}
	return rw.err
}

func (rw *reportWriter) closeFile() error {
	if rw.f == nil {
		return nil
	}
	err := rw.f.Close()
	rw.f = nil
	return err
}

// wrap names the file in an error of the report.Writer.
func (rw *reportWriter) wrap(err error) error {
	if err == nil || rw.path == "-" {
		return err
	}
	return fmt.Errorf("%w (%s)", err, rw.path)
}

func writeMessages(dir string, results []*simulator.SessionResult) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("out: %w", err)
	}
	used := map[string]bool{}
	for i, r := range results {
		base := safeName(r.Name)
		// Two sessions of one name (two files called t.yaml) must not
		// overwrite each other's messages: the second gets its position.
		if used[base] {
			base = fmt.Sprintf("%s.%d", base, i+1)
		}
		used[base] = true
		for _, tx := range r.Transactions {
			if !tx.Delivered {
				continue
			}
			name := filepath.Join(dir, fmt.Sprintf("%s-%d.eml", base, tx.Number))
			data := tx.Queued
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
