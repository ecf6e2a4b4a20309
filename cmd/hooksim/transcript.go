package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hooksim/hooksim/recorder/export"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookclient"
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
		t.mu.Lock()
		fmt.Fprintf(t.w, "== %s (%s)\n", s.Name, s.File)
		t.mu.Unlock()
	}
	return &transcriptPlay{transcript: t}
}

// transcriptPlay prints one play: the transcript's settings and output,
// and the play's own state.
type transcriptPlay struct {
	*transcript
	// unsent is set once the first step that could not be sent is shown.
	unsent bool
	// queued holds, with -v, the queued transactions whose step is not
	// printed yet (a transaction is reported just before its step), by
	// transaction number.
	queued map[int]*simulator.TransactionResult
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
		t.queued = map[int]*simulator.TransactionResult{}
	}
	t.queued[tx.Number] = tx
}

// writeQueued prints, with -v, the headers Stalwart writes in front of a
// queued message and what hooksim leaves out of them.
func writeQueued(w io.Writer, tx *simulator.TransactionResult) {
	own := tx.Queued[:len(tx.Queued)-len(tx.Final)]
	if len(own) == 0 {
		fmt.Fprintf(w, "     queued as the hooks left it: the server adds no header here\n")
	} else {
		fmt.Fprintf(w, "     queued with the server's headers in front of the message as the hooks left it:\n")
		for _, line := range strings.Split(strings.TrimSuffix(string(own), "\r\n"), "\r\n") {
			fmt.Fprintf(w, "       %s\n", line)
		}
		first, _, _ := strings.Cut(string(tx.Final), "\r\n")
		fmt.Fprintf(w, "       (then the message as the hooks left it: %s ...)\n", first)
	}
	for _, n := range tx.QueuedNotes {
		fmt.Fprintf(w, "     note: %s\n", n)
	}
}

// Step implements simulator.Play: it prints the step, its hook calls and
// the server's replies.
func (t *transcriptPlay) Step(st *simulator.StepResult) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.quiet {
		for _, f := range st.Failures {
			fmt.Fprintf(t.w, "FAIL %s: %s\n", st.Session, f)
		}
		for _, ex := range st.Exchanges {
			if lines := hookErrorLines(ex); len(lines) > 0 {
				fmt.Fprintf(t.w, "hook error %s: %s: %s\n", st.Session, simulator.StepName(st), strings.Join(lines, " | "))
			}
		}
		return
	}
	if st.NotSent {
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
	for _, ex := range st.Exchanges {
		writeExchange(t.w, ex, t.verbose)
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
func (t *transcriptPlay) bdat(st *simulator.StepResult, cmds []string) {
	fmt.Fprintf(t.w, "  C: %s\n", st.Message)
	for i, c := range cmds {
		fmt.Fprintf(t.w, "  C: %s\n", c)
		if i == len(cmds)-1 {
			for _, ex := range st.Exchanges {
				writeExchange(t.w, ex, t.verbose)
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
func (t *transcriptPlay) stepEnd(st *simulator.StepResult) {
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
func nonExchangeLints(st *simulator.StepResult) []string {
	seen := map[string]int{}
	for _, ex := range st.Exchanges {
		for _, l := range ex.Lints {
			seen[l.String()]++
		}
	}
	var out []string
	for _, l := range st.Lints {
		s := l.String()
		if seen[s] > 0 {
			seen[s]--
			continue
		}
		out = append(out, s)
	}
	return out
}

func writeExchange(w io.Writer, ex *simulator.Exchange, verbose int) {
	status := "no answer"
	if ex.Call.Status != 0 {
		status = fmt.Sprintf("%d %s", ex.Call.Status, http.StatusText(ex.Call.Status))
		if ex.Call.Proto == hookclient.ProtoHTTP2 {
			status += " over HTTP/2"
		}
	}
	fmt.Fprintf(w, "     #%d hook %s at %s: POST %s -> %s in %s: %s", ex.Seq, export.OneLine(ex.HookID), ex.Stage, export.OneLine(ex.URL), status,
		ex.Call.Duration.Round(10*time.Microsecond), ex.Outcome)
	switch ex.Effect {
	case "tempfail":
		fmt.Fprint(w, " (tempFailOnError: 451)")
	case "skipped":
		fmt.Fprint(w, " (tempFailOnError false: hook skipped)")
	}
	fmt.Fprintln(w)
	if verbose > 0 {
		fmt.Fprintf(w, "       request:\n")
		for _, l := range prettyBody(ex.Request, verbose > 1) {
			fmt.Fprintf(w, "         %s\n", l)
		}
		if ex.Call.Status != 0 {
			fmt.Fprintf(w, "       response (HTTP %d):\n", ex.Call.Status)
			for _, l := range prettyBody(ex.Call.Body, verbose > 1) {
				fmt.Fprintf(w, "         %s\n", l)
			}
		}
	}
	if ex.Err != nil {
		fmt.Fprintf(w, "       error %s: %s\n", ex.Err.Class, ex.Err.Message)
		if ex.Call.Status != 0 && verbose == 0 {
			for _, l := range bodyExcerpt(ex.Call.Body) {
				fmt.Fprintf(w, "       %s\n", l)
			}
		}
	}
	if ex.Response != nil {
		if r := ex.Response.Reply; r != nil && ex.Response.Action != "accept" {
			fmt.Fprintf(w, "       response %s\n", describeReply(r.Status, r.EnhancedStatus, r.Message))
		}
		for _, m := range ex.Response.Modifications {
			fmt.Fprintf(w, "       %s\n", simulator.DescribeModification(m))
		}
	}
	for _, l := range ex.Lints {
		fmt.Fprintf(w, "       lint %s\n", l)
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

// Finish implements simulator.Play: it prints the session's verdict.
func (t *transcriptPlay) Finish(r *simulator.SessionResult) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.quiet {
		return
	}
	verdict := "PASS"
	if r.Expectations == 0 {
		verdict = "played, no expectations"
	}
	if errs := hookErrors(r); errs > 0 {
		verdict += fmt.Sprintf(", %s", plural(errs, "hook error"))
	}
	if !r.Passed() {
		verdict = fmt.Sprintf("FAIL (%s)", plural(r.Failures, "failure"))
	}
	if r.Err != nil {
		verdict = "ERROR: " + r.Err.Error()
	}
	if t.verdict != "" {
		verdict = t.verdict
	}
	fmt.Fprintf(t.w, "== %s: %s, %s, %s, %s\n\n", r.Name, verdict, plural(len(r.Steps), "step"), plural(r.Exchanges, "hook call"), shortDuration(r.Duration))
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
		fmt.Fprintf(t.w, "%s failed (see FAIL above)\n", plural(s.failed, "session"))
	}
	return s
}

// hookErrors counts the failed hook calls of r.
func hookErrors(r *simulator.SessionResult) int {
	n := 0
	for _, st := range r.Steps {
		for _, ex := range st.Exchanges {
			if ex.Err != nil {
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
