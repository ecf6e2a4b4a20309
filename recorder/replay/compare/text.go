package compare

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hooksim/hooksim/simulator/wire"
)

const arrow = " → "

// maxMessageLines bounds the lines of a final message diff in the text,
// so that a replaced 10 MB body does not flood a terminal or a CI log.
const maxMessageLines = 400

// WriteText writes d as a diff for a person: a headline, then per step
// that changed (resimulate) its reply and its changed exchanges (outcome,
// error class, modifications as a unified list in canonical order, lints
// added and removed, notes), then per changed transaction the delivery,
// reply, envelope and final message (a unified diff of its lines; lines
// end in CRLF unless marked). Write errors are ignored, as with fmt.Fprint
// to a terminal.
func (d *Diff) WriteText(w io.Writer) {
	var b strings.Builder
	d.writeText(&b)
	_, _ = io.WriteString(w, b.String())
}

func (d *Diff) writeText(b *strings.Builder) {
	name := d.Session
	if name == "" {
		name = "(unnamed)"
	}
	counts := fmt.Sprintf("%d exchange%s", d.BeforeExchanges, plural(d.BeforeExchanges))
	if d.BeforeExchanges != d.AfterExchanges {
		counts = fmt.Sprintf("exchanges %d%s%d", d.BeforeExchanges, arrow, d.AfterExchanges)
	}
	if d.Equal() {
		fmt.Fprintf(b, "session %s (%s): no differences (%s)\n", name, d.Mode, counts)
	} else {
		n := d.Differences()
		fmt.Fprintf(b, "session %s (%s): %d difference%s (%s)\n", name, d.Mode, n, plural(n), counts)
	}
	for _, n := range d.Notes {
		fmt.Fprintf(b, "note: %s\n", n)
	}
	if d.Err.Changed() {
		fmt.Fprintf(b, "simulator error: %s\n", change(d.Err, "(none)"))
	}
	if d.Mode == ModeExact || len(d.Steps) == 0 {
		for i := range d.Exchanges {
			if e := &d.Exchanges[i]; shown(e) {
				writeExchange(b, e, "", true)
			}
		}
	} else {
		d.writeSteps(b)
	}
	for i := range d.Transactions {
		if t := &d.Transactions[i]; t.Status != StatusSame || len(t.Notes) > 0 {
			writeTransaction(b, t)
		}
	}
}

// shown reports whether an exchange appears in the text: when it differs,
// or when it has notes.
// shown: only exchanges that changed are printed; notes (URL, body bytes,
// latency) ride along with a change but never make one.
func shown(e *ExchangeDiff) bool { return e.Status != StatusSame }

func (d *Diff) writeSteps(b *strings.Builder) {
	byStep := map[int][]*ExchangeDiff{}
	for i := range d.Exchanges {
		e := &d.Exchanges[i]
		byStep[e.Key.StepIndex] = append(byStep[e.Key.StepIndex], e)
	}
	known := map[int]bool{}
	for i := range d.Steps {
		s := &d.Steps[i]
		known[s.Index] = true
		exs := byStep[s.Index]
		show := s.Status != StatusSame
		for _, e := range exs {
			show = show || shown(e)
		}
		if !show {
			continue
		}
		writeStepHead(b, s)
		for _, e := range exs {
			if shown(e) {
				writeExchange(b, e, "  ", false)
			}
		}
	}
	for i := range d.Exchanges {
		if e := &d.Exchanges[i]; !known[e.Key.StepIndex] && shown(e) {
			fmt.Fprintf(b, "step %d\n", e.Key.StepIndex+1)
			writeExchange(b, e, "  ", true)
		}
	}
}

func writeStepHead(b *strings.Builder, s *StepDiff) {
	fmt.Fprintf(b, "step %d: %s", s.Index+1, printable(cmpOr(s.Command, s.Kind)))
	if s.Line > 0 {
		fmt.Fprintf(b, " (line %d)", s.Line)
	}
	switch s.Status {
	case StatusMissing:
		b.WriteString(" [missing: not played in the after play]")
	case StatusNew:
		b.WriteString(" [new: not played in the before play]")
	}
	b.WriteByte('\n')
	if s.RepliesChanged() {
		writeLines(b, "  ", "reply", s.Replies)
	}
	if s.Status == StatusChanged && s.Closed.Changed() {
		fmt.Fprintf(b, "  connection closed: %s\n", change(s.Closed, ""))
	}
	writeLints(b, "  ", s.LintsAdded, s.LintsRemoved)
}

// writeLines writes a diff of short lines: on one line when each side is
// a single line, else as a list with markers.
func writeLines(b *strings.Builder, indent, label string, ls []Line) {
	var before, after []string
	for _, l := range ls {
		if l.Op != OpAdded {
			before = append(before, l.Text)
		}
		if l.Op != OpRemoved {
			after = append(after, l.Text)
		}
	}
	if len(before) <= 1 && len(after) <= 1 {
		fmt.Fprintf(b, "%s%s: %s%s%s\n", indent, label, quoteOr(before), arrow, quoteOr(after))
		return
	}
	fmt.Fprintf(b, "%s%s:\n", indent, label)
	for _, l := range ls {
		fmt.Fprintf(b, "%s  %c %s\n", indent, l.Op, printable(l.Text))
	}
}

func quoteOr(s []string) string {
	if len(s) == 0 {
		return "(none)"
	}
	return strconv.Quote(s[0])
}

func writeExchange(b *strings.Builder, e *ExchangeDiff, indent string, withReply bool) {
	seq := ""
	switch {
	case e.BeforeSeq == 0:
		seq = fmt.Sprintf("#%d", e.AfterSeq)
	case e.AfterSeq == 0 || e.AfterSeq == e.BeforeSeq:
		seq = fmt.Sprintf("#%d", e.BeforeSeq)
	default:
		seq = fmt.Sprintf("#%d%s#%d", e.BeforeSeq, arrow, e.AfterSeq)
	}
	fmt.Fprintf(b, "%sexchange %s %s %s", indent, seq, e.Key.Stage, printable(e.Key.HookID))
	if e.Key.N > 1 {
		fmt.Fprintf(b, " (call %d)", e.Key.N)
	}
	in := indent + "  "
	switch e.Status {
	case StatusMissing:
		fmt.Fprintf(b, " [missing]: not called in the after play (was %s)\n", outcomeText(e.Outcome.Before, e.ErrorClass.Before))
		writeModList(b, in, e.Modifications)
		return
	case StatusNew:
		fmt.Fprintf(b, " [new]: not called in the before play (now %s)\n", outcomeText(e.Outcome.After, e.ErrorClass.After))
		if withReply {
			fmt.Fprintf(b, "%sreply: %q\n", in, e.Reply.After)
		}
		writeModList(b, in, e.Modifications)
		return
	}
	fmt.Fprintf(b, " [%s]\n", e.Status)
	if e.Outcome.Changed() {
		fmt.Fprintf(b, "%soutcome: %s\n", in, change(e.Outcome, "(none)"))
	}
	if e.ErrorClass.Changed() {
		fmt.Fprintf(b, "%serror class: %s\n", in, change(e.ErrorClass, "(no error)"))
	}
	if e.Effect.Changed() {
		fmt.Fprintf(b, "%serror effect: %s\n", in, change(e.Effect, "(none)"))
	}
	if withReply && e.Reply.Changed() {
		fmt.Fprintf(b, "%sreply: %q%s%q\n", in, e.Reply.Before, arrow, e.Reply.After)
	}
	if e.ModsChanged() {
		label := "modifications (canonical order)"
		if e.ModsReordered {
			label = "modifications reordered (the order changes the result)"
		}
		fmt.Fprintf(b, "%s%s:\n", in, label)
		for _, l := range e.Modifications {
			fmt.Fprintf(b, "%s  %c %s\n", in, l.Op, printable(l.Text))
		}
	}
	writeLints(b, in, e.LintsAdded, e.LintsRemoved)
	for _, n := range e.Notes {
		fmt.Fprintf(b, "%snote: %s\n", in, printable(n))
	}
	switch {
	case e.Latency.Changed():
		fmt.Fprintf(b, "%slatency: %s%s%s\n", in, e.Latency.Before, arrow, e.Latency.After)
	case e.Latency.Before != "":
		fmt.Fprintf(b, "%slatency: %s\n", in, e.Latency.Before)
	}
}

// writeModList lists the modifications of an exchange that exists on one
// side only.
func writeModList(b *strings.Builder, indent string, ls []Line) {
	if len(ls) == 0 {
		return
	}
	fmt.Fprintf(b, "%smodifications:\n", indent)
	for _, l := range ls {
		fmt.Fprintf(b, "%s  %c %s\n", indent, l.Op, printable(l.Text))
	}
}

func outcomeText(outcome, class string) string {
	if class != "" {
		return outcome + " (" + class + ")"
	}
	return cmpOr(outcome, "(unknown)")
}

func writeLints(b *strings.Builder, indent string, added, removed []wire.Lint) {
	if len(added) == 0 && len(removed) == 0 {
		return
	}
	fmt.Fprintf(b, "%slints:\n", indent)
	for _, l := range removed {
		fmt.Fprintf(b, "%s  - %s\n", indent, printable(l.String()))
	}
	for _, l := range added {
		fmt.Fprintf(b, "%s  + %s\n", indent, printable(l.String()))
	}
}

func writeTransaction(b *strings.Builder, t *TransactionDiff) {
	fmt.Fprintf(b, "transaction %d [%s]", t.Number, t.Status)
	switch t.Status {
	case StatusMissing:
		fmt.Fprintf(b, ": only in the before play (delivered %s, reply %q)\n", t.Delivered.Before, t.Reply.Before)
		return
	case StatusNew:
		fmt.Fprintf(b, ": only in the after play (delivered %s, reply %q)\n", t.Delivered.After, t.Reply.After)
		return
	}
	b.WriteByte('\n')
	if t.Delivered.Changed() {
		fmt.Fprintf(b, "  delivered: %s\n", change(t.Delivered, ""))
	}
	if t.Reply.Changed() {
		fmt.Fprintf(b, "  reply: %q%s%q\n", t.Reply.Before, arrow, t.Reply.After)
	}
	if t.From.Changed() {
		fmt.Fprintf(b, "  envelope from: %s\n", change(t.From, ""))
	}
	if t.To.Changed() {
		fmt.Fprintf(b, "  envelope to: %s\n", change(t.To, ""))
	}
	for _, n := range t.Notes {
		fmt.Fprintf(b, "  note: %s\n", printable(n))
	}
	if t.Final.Changed() && len(t.Message) == 0 {
		fmt.Fprintf(b, "  final message: %s\n", change(t.Final, ""))
	}
	if len(t.Message) > 0 {
		fmt.Fprintf(b, "  final message (%s; lines end in CRLF unless marked):\n", change(t.Final, ""))
		fmt.Fprintf(b, "    --- before\n    +++ after\n")
		shown, total := 0, 0
		for _, h := range t.Message {
			total += len(h.Lines)
		}
		for _, h := range t.Message {
			if shown >= maxMessageLines {
				break
			}
			fmt.Fprintf(b, "    @@ -%d,%d +%d,%d @@\n", h.A, h.ALen, h.B, h.BLen)
			for _, l := range h.Lines {
				if shown >= maxMessageLines {
					break
				}
				fmt.Fprintf(b, "    %c%s\n", l.Op, messageLine(l.Text))
				shown++
			}
		}
		if shown < total {
			fmt.Fprintf(b, "    ... %d more diff lines not shown\n", total-shown)
		}
	}
}

func change(c Change, empty string) string {
	return cmpOr(printable(c.Before), empty) + arrow + cmpOr(printable(c.After), empty)
}

func cmpOr(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// messageLine shows one line of a message: without its CRLF, with a
// marker for any other line end, and control bytes escaped.
func messageLine(s string) string {
	switch {
	case strings.HasSuffix(s, "\r\n"):
		return printable(s[:len(s)-2])
	case strings.HasSuffix(s, "\n"):
		return printable(s[:len(s)-1]) + " [LF only]"
	default:
		return printable(s) + " [no line end]"
	}
}

// printable escapes control bytes (tab kept), DEL and invalid UTF-8, so
// that no diff line can move the cursor or break a terminal.
func printable(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t') || c == 0x7f || c >= 0x80 {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\n':
			b.WriteString(`\n`)
		case (r < 0x20 && r != '\t') || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r >= 0x80 && r < 0xa0, r == 0x2028, r == 0x2029:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
