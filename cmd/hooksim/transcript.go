package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hooksim/hooksim/recorder/export"
	"github.com/hooksim/hooksim/recorder/report"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookclient"
	"github.com/hooksim/hooksim/simulator/wire"
)

// transcript prints sessions as they are played: what the client sent,
// every hook call with its answer and lints, and what the server replied.
// It is a simulator.Observer; each play prints through its own handle.
type transcript struct {
	mu    sync.Mutex // held while writing to w
	w     io.Writer
	quiet bool
	// verbose 1 also prints every request and response body (long
	// strings cut), 2 prints them whole.
	verbose int
	// verdict, when set, replaces the verdict Finish works out: show of
	// a run still being recorded, or interrupted, says so.
	verdict string
}

var _ simulator.Observer = (*transcript)(nil)

// Begin implements simulator.Observer: it prints the session's header
// line and returns the play's printer.
func (t *transcript) Begin(_ context.Context, s *simulator.SessionInfo) simulator.Play {
	if !t.quiet {
		t.header(s.Name, s.File)
	}
	return &transcriptPlay{transcript: t}
}

// header prints a session's first line.
func (t *transcript) header(name, file string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintf(t.w, "== %s (%s)\n", name, file)
}

// transcriptPlay prints one play: the transcript's settings and output,
// and the play's own state. Its core (step, finish) prints the play in
// the one vocabulary (recorder/report), so that `hooksim show` prints a
// stored run with the same lines as `hooksim run` printed it live; the
// simulator.Play methods convert the live results at the edge.
type transcriptPlay struct {
	*transcript
	// unsent is set once the first step that could not be sent is shown.
	unsent bool
	// queued holds, with -v, the queued transactions whose step is not
	// printed yet (a transaction is reported just before its step), by
	// transaction number.
	queued map[int]*report.Transaction
}

var _ simulator.Play = (*transcriptPlay)(nil)

// Exchange implements simulator.Play: exchanges are printed with their step.
func (t *transcriptPlay) Exchange(*simulator.Exchange) {}

// Transaction implements simulator.Play: with -v, a queued message is
// kept until its step is printed.
func (t *transcriptPlay) Transaction(tx *simulator.TransactionResult) {
	if t.verbose == 0 || t.quiet || tx.Queued == nil {
		return
	}
	if t.queued == nil {
		t.queued = map[int]*report.Transaction{}
	}
	v := report.LiveTransaction(tx)
	t.queued[tx.Number] = &v
}

// writeQueued prints, with -v, the headers Stalwart writes in front of a
// queued message and what hooksim leaves out of them.
func writeQueued(w io.Writer, tx *report.Transaction) {
	queued, final := report.RawBytes(tx.Queued), report.RawBytes(tx.Final)
	own := queued
	if len(final) <= len(queued) {
		own = queued[:len(queued)-len(final)]
	}
	if len(own) == 0 {
		fmt.Fprintf(w, "     queued as the hooks left it: the server adds no header here\n")
	} else {
		fmt.Fprintf(w, "     queued with the server's headers in front of the message as the hooks left it:\n")
		for _, line := range strings.Split(strings.TrimSuffix(string(own), "\r\n"), "\r\n") {
			fmt.Fprintf(w, "       %s\n", line)
		}
		first, _, _ := strings.Cut(string(final), "\r\n")
		fmt.Fprintf(w, "       (then the message as the hooks left it: %s ...)\n", first)
	}
	for _, n := range tx.QueuedNotes {
		fmt.Fprintf(w, "     note: %s\n", n)
	}
}

// Step implements simulator.Play: it prints the step, its hook calls and
// the server's replies. Bodies are converted only when printed: with -v,
// or the answer of a failed call (its excerpt); -q converts only the
// failed calls.
func (t *transcriptPlay) Step(st *simulator.StepResult) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.quiet {
		for _, f := range st.Failures {
			fmt.Fprintf(t.w, "FAIL %s: %s\n", st.Session, f)
		}
		for _, ex := range st.Exchanges {
			if e := liveErrorExchange(ex); e != nil {
				fmt.Fprintf(t.w, "hook error %s: %s: %s\n", st.Session, simulator.StepName(st), strings.Join(hookErrorLines(e), " | "))
			}
		}
		return
	}
	step := report.LiveStep(st, t.verbose > 0)
	if t.verbose == 0 {
		for i, ex := range st.Exchanges {
			withErrorBody(&step.Exchanges[i], ex)
		}
	}
	t.step(&step, st.NotSent)
}

// liveErrorExchange is ex in the vocabulary when its call failed (nil
// when not), with only the body hookErrorLines shows: the answer's.
func liveErrorExchange(ex *simulator.Exchange) *report.Exchange {
	if ex.Err == nil {
		return nil
	}
	e := report.LiveExchangeWithoutBodies(ex, "")
	withErrorBody(&e, ex)
	return &e
}

// withErrorBody gives e, ex in the vocabulary without bodies, the
// response body when ex failed with an answer: the excerpt of it says why.
func withErrorBody(e *report.Exchange, ex *simulator.Exchange) {
	if ex.Err == nil || ex.Call.Status == 0 {
		return
	}
	b := report.NewBytes(ex.Call.Body)
	e.Response.Text, e.Response.Base64 = b.Text, b.Base64
}

// step prints st; notSent: the client could not send it (the connection
// was closed). The caller holds t.mu.
func (t *transcriptPlay) step(st *report.Step, notSent bool) {
	if notSent {
		if !t.unsent {
			t.unsent = true
			fmt.Fprintf(t.w, "     (the connection is closed: the steps after this are not sent)\n")
		}
		for _, f := range st.Failures {
			fmt.Fprintf(t.w, "  FAIL %s\n", f)
		}
		return
	}
	t.unsent = false
	if cmds := strings.Split(st.Command, "\n"); st.Kind == "bdat" && len(cmds) == len(st.Replies) {
		t.bdat(st, cmds)
		return
	}
	if st.Command != "" {
		for _, line := range strings.Split(st.Command, "\n") {
			fmt.Fprintf(t.w, "  C: %s\n", line)
		}
	}
	if st.Kind == "bdat" && st.Message != "" {
		fmt.Fprintf(t.w, "  C: %s\n", st.Message)
	}
	if st.Kind == "data" && len(st.Replies) > 1 {
		fmt.Fprintf(t.w, "  S: %s\n", export.OneLine(st.Replies[0]))
		fmt.Fprintf(t.w, "  C: %s\n", st.Message)
	}
	for i := range st.Exchanges {
		writeExchange(t.w, &st.Exchanges[i], t.verbose)
	}
	for _, l := range nonExchangeLints(st) {
		fmt.Fprintf(t.w, "     lint %s\n", l)
	}
	replies := st.Replies
	if st.Kind == "data" && len(replies) > 1 {
		replies = replies[1:]
	}
	for _, r := range replies {
		fmt.Fprintf(t.w, "  S: %s\n", export.OneLine(r))
	}
	t.stepEnd(st)
}

// bdat writes a bdat step chunk by chunk: each BDAT line with its reply,
// the data hook calls before the last chunk's reply.
func (t *transcriptPlay) bdat(st *report.Step, cmds []string) {
	fmt.Fprintf(t.w, "  C: %s\n", st.Message)
	for i, c := range cmds {
		fmt.Fprintf(t.w, "  C: %s\n", c)
		if i == len(cmds)-1 {
			for j := range st.Exchanges {
				writeExchange(t.w, &st.Exchanges[j], t.verbose)
			}
			for _, l := range nonExchangeLints(st) {
				fmt.Fprintf(t.w, "     lint %s\n", l)
			}
		}
		fmt.Fprintf(t.w, "  S: %s\n", export.OneLine(st.Replies[i]))
	}
	t.stepEnd(st)
}

// stepEnd writes what follows a step's replies: the queued message, the
// closed connection.
func (t *transcriptPlay) stepEnd(st *report.Step) {
	if tx, ok := t.queued[st.Transaction]; ok && (st.Kind == "data" || st.Kind == "bdat") {
		delete(t.queued, st.Transaction)
		writeQueued(t.w, tx)
	}
	if st.Closed {
		fmt.Fprintf(t.w, "     (connection closed)\n")
	}
	for _, f := range st.Failures {
		fmt.Fprintf(t.w, "  FAIL %s\n", f)
	}
}

// nonExchangeLints are the step's lints that no exchange printed already
// (notes from applying modifications, configuration lints).
func nonExchangeLints(st *report.Step) []string {
	seen := map[string]int{}
	for _, ex := range st.Exchanges {
		for _, l := range ex.Lints {
			seen[lintText(l)]++
		}
	}
	var out []string
	for _, l := range st.Lints {
		s := lintText(l)
		if seen[s] > 0 {
			seen[s]--
			continue
		}
		out = append(out, s)
	}
	return out
}

// lintText renders l on one line, as wire.Lint.String does.
func lintText(l report.Lint) string {
	return wire.Lint{Code: l.Code, Path: l.Path, Message: l.Message, Fix: l.Fix, Count: l.Count}.String()
}

// msDuration is a report's milliseconds (to the microsecond) as a
// time.Duration.
func msDuration(ms float64) time.Duration {
	return time.Duration(math.Round(ms*1000)) * time.Microsecond
}

func writeExchange(w io.Writer, ex *report.Exchange, verbose int) {
	status := "no answer"
	if ex.Response.Status != 0 {
		status = fmt.Sprintf("%d %s", ex.Response.Status, http.StatusText(ex.Response.Status))
		if ex.HTTPVersion == hookclient.ProtoHTTP2 {
			status += " over HTTP/2"
		}
	}
	// The report keeps microseconds: rounding them to 10µs gives what
	// rounding the nanoseconds gave.
	fmt.Fprintf(w, "     #%d hook %s at %s: POST %s -> %s in %s: %s", ex.Seq, export.OneLine(ex.Hook), ex.Stage, export.OneLine(ex.URL), status,
		msDuration(ex.DurationMS).Round(10*time.Microsecond), ex.Outcome)
	switch ex.Effect {
	case "tempfail":
		fmt.Fprint(w, " (tempFailOnError: 451)")
	case "skipped":
		fmt.Fprint(w, " (tempFailOnError false: hook skipped)")
	}
	fmt.Fprintln(w)
	if verbose > 0 {
		fmt.Fprintf(w, "       request:\n")
		for _, l := range prettyBody(report.RawBody(ex.Request), verbose > 1) {
			fmt.Fprintf(w, "         %s\n", l)
		}
		if ex.Response.Status != 0 {
			fmt.Fprintf(w, "       response (HTTP %d):\n", ex.Response.Status)
			for _, l := range prettyBody(report.RawBody(ex.Response.Body), verbose > 1) {
				fmt.Fprintf(w, "         %s\n", l)
			}
		}
	}
	if ex.Error != nil {
		fmt.Fprintf(w, "       error %s: %s\n", ex.Error.Class, ex.Error.Message)
		if ex.Response.Status != 0 && verbose == 0 {
			for _, l := range bodyExcerpt(report.RawBody(ex.Response.Body)) {
				fmt.Fprintf(w, "       %s\n", l)
			}
		}
	}
	if p := ex.Parsed; p != nil {
		if r := p.Response; r != nil && p.Action != "accept" {
			fmt.Fprintf(w, "       response %s\n", describeReply(r.Status, r.EnhancedStatus, r.Message))
		}
		for _, m := range p.Modifications {
			fmt.Fprintf(w, "       %s\n", simulator.DescribeModification(m.Wire()))
		}
	}
	for _, l := range ex.Lints {
		fmt.Fprintf(w, "       lint %s\n", lintText(l))
	}
}

func describeReply(status *uint16, enhanced, message *string) string {
	var parts []string
	if status != nil {
		parts = append(parts, fmt.Sprint(*status))
	}
	if enhanced != nil {
		parts = append(parts, *enhanced)
	}
	if message != nil {
		parts = append(parts, fmt.Sprintf("%q", *message))
	}
	return strings.Join(parts, " ")
}

// ending is what a session's last line says.
type ending struct {
	name         string
	steps        int
	notSent      int // steps the client could not send: the connection was closed
	exchanges    int
	expectations int // steps with an expectation to check
	failures     int // expectations that failed
	hookErrors   int // failed hook calls
	// errored: the simulator itself stopped (err says why).
	errored  bool
	err      string
	duration time.Duration
}

// Finish implements simulator.Play: it prints the session's verdict.
func (t *transcriptPlay) Finish(r *simulator.SessionResult) {
	e := ending{name: r.Name, steps: len(r.Steps), exchanges: r.Exchanges, expectations: r.Expectations,
		failures: r.Failures, hookErrors: hookErrors(r), duration: r.Duration}
	e.notSent = notSentSteps(r)
	if r.Err != nil {
		e.errored, e.err = true, r.Err.Error()
	}
	t.finish(e)
}

// finish prints the session's last line: its verdict and counts.
func (t *transcriptPlay) finish(e ending) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.quiet {
		return
	}
	verdict := "PASS"
	if e.expectations == 0 {
		verdict = "played, no expectations"
	}
	if e.hookErrors > 0 {
		verdict += fmt.Sprintf(", %s", plural(e.hookErrors, "hook error"))
	}
	if e.failures > 0 || e.errored {
		verdict = fmt.Sprintf("FAIL (%s)", plural(e.failures, "failure"))
	}
	if e.errored {
		verdict = "ERROR: " + e.err
	}
	if t.verdict != "" {
		verdict = t.verdict
	}
	fmt.Fprintf(t.w, "== %s: %s, %s, %s, %s\n\n", e.name, verdict, stepsText(e.steps, e.notSent), plural(e.exchanges, "hook call"), shortDuration(e.duration))
}

// notSentSteps counts the steps of r the client could not send.
func notSentSteps(r *simulator.SessionResult) int {
	n := 0
	for _, st := range r.Steps {
		if st.NotSent {
			n++
		}
	}
	return n
}

// stepsText counts a session's steps, saying how many the client could
// not send: "6 steps (5 not sent)".
func stepsText(steps, notSent int) string {
	if notSent == 0 {
		return plural(steps, "step")
	}
	return fmt.Sprintf("%s (%d not sent)", plural(steps, "step"), notSent)
}

type runSummary struct{ passed, failed, exchanges, hookErrors int }

// summary prints the closing line. With checked false no script had an
// expectation to check, so it counts hook outcomes instead of passes.
func (t *transcript) summary(results []*simulator.SessionResult, checked bool) runSummary {
	var s runSummary
	outcomes := map[string]int{}
	for _, r := range results {
		if r.Passed() {
			s.passed++
		} else {
			s.failed++
		}
		s.exchanges += r.Exchanges
		for _, st := range r.Steps {
			for _, ex := range st.Exchanges {
				outcomes[ex.Outcome]++
				if ex.Err != nil {
					s.hookErrors++
				}
			}
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	errs := ""
	if s.hookErrors > 0 {
		errs = ", " + plural(s.hookErrors, "hook error")
	}
	if checked {
		fmt.Fprintf(t.w, "%s: %d passed, %d failed; %s%s\n", plural(len(results), "session"), s.passed, s.failed, plural(s.exchanges, "hook call"), errs)
		return s
	}
	var parts []string
	for _, o := range []string{"accept", "reject", "discard", "quarantine", "error"} {
		if outcomes[o] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", outcomes[o], o))
		}
	}
	detail := ""
	if len(parts) > 0 {
		detail = " (" + strings.Join(parts, ", ") + ")"
	}
	fmt.Fprintf(t.w, "%s played, no expectations checked; %s%s\n", plural(len(results), "session"), plural(s.exchanges, "hook call"), detail)
	if s.failed > 0 {
		fmt.Fprintf(t.w, "%s failed (see FAIL or ERROR above)\n", plural(s.failed, "session"))
	}
	return s
}

// hookErrors counts the failed hook calls of r.
func hookErrors(r *simulator.SessionResult) int {
	n := 0
	for _, st := range r.Steps {
		for _, ex := range st.Exchanges {
			// A call cut by Ctrl-C is no hook error (the play stopped).
			if ex.Err != nil && ex.Err.Class != hookclient.ErrCanceled {
				n++
			}
		}
	}
	return n
}

// plural writes n and the noun, with an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// recorded says which runs the sessions were recorded as; consecutive
// ids are written as a range (#3-#7).
func (t *transcript) recorded(runIDs []int64, dbPath string) {
	if len(runIDs) == 0 {
		return
	}
	var ids []string
	for i := 0; i < len(runIDs); {
		j := i
		for j+1 < len(runIDs) && runIDs[j+1] == runIDs[j]+1 {
			j++
		}
		switch {
		case j == i:
			ids = append(ids, fmt.Sprintf("#%d", runIDs[i]))
		case j == i+1:
			ids = append(ids, fmt.Sprintf("#%d", runIDs[i]), fmt.Sprintf("#%d", runIDs[j]))
		default:
			ids = append(ids, fmt.Sprintf("#%d-#%d", runIDs[i], runIDs[j]))
		}
		i = j + 1
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	where := ""
	if dbPath != "" {
		where = " --db " + dbPath
	}
	fmt.Fprintf(t.w, "recorded as run %s (hooksim show%s %d)\n", strings.Join(ids, ", "), where, runIDs[len(runIDs)-1])
}

// shortDuration rounds d for a person: milliseconds, or microseconds
// below one (never "0s").
func shortDuration(d time.Duration) string {
	if d < time.Millisecond {
		return d.Round(time.Microsecond).String()
	}
	return d.Round(time.Millisecond).String()
}
