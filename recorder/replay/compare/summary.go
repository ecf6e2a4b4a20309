package compare

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Verdict is the result of one compared run.
type Verdict string

// The verdicts of a summary row.
const (
	VerdictSame    Verdict = "same"
	VerdictChanged Verdict = "changed"
	// VerdictError: the replay itself failed (the run could not be
	// loaded or played), so nothing was compared.
	VerdictError Verdict = "error"
)

// SummaryRow is one line of the summary table: one run compared.
type SummaryRow struct {
	Run       string  `json:"run"`
	Session   string  `json:"session"`
	Exchanges int     `json:"exchanges"` // exchanges compared (both plays, matched)
	Changed   int     `json:"changed"`   // differences (Diff.Differences)
	Verdict   Verdict `json:"verdict"`
	Note      string  `json:"note,omitempty"` // the error, for VerdictError
}

// Row summarises d as the summary row of run. A simulator failure in
// the after play makes the verdict an error.
func (d *Diff) Row(run string) SummaryRow {
	r := SummaryRow{Run: run, Session: d.Session, Exchanges: len(d.Exchanges), Changed: d.Differences(), Verdict: VerdictSame}
	switch {
	case d.Err.After != "":
		r.Verdict, r.Note = VerdictError, d.Err.After
	case !d.Equal():
		r.Verdict = VerdictChanged
	}
	return r
}

// ErrorRow is the summary row of a run that could not be compared.
func ErrorRow(run, session string, err error) SummaryRow {
	note := "unknown error"
	if err != nil {
		note = err.Error()
	}
	return SummaryRow{Run: run, Session: session, Verdict: VerdictError, Note: note}
}

// Summary totals a summary table.
type Summary struct {
	Runs    int `json:"runs"`
	Same    int `json:"same"`
	Changed int `json:"changed"`
	Errors  int `json:"errors"`
}

// OK reports whether every run compared equal (exit code 0).
func (s Summary) OK() bool { return s.Changed == 0 && s.Errors == 0 }

// Summarize totals rows.
func Summarize(rows []SummaryRow) Summary {
	s := Summary{Runs: len(rows)}
	for _, r := range rows {
		switch r.Verdict {
		case VerdictSame:
			s.Same++
		case VerdictChanged:
			s.Changed++
		default:
			s.Errors++
		}
	}
	return s
}

// WriteSummary writes rows as an aligned table (run, session, exchanges,
// differences, verdict; the error after an error's verdict) and a total line.
// Write errors are ignored.
func WriteSummary(w io.Writer, rows []SummaryRow) {
	table := [][]string{{"RUN", "SESSION", "EXCHANGES", "DIFFERENCES", "VERDICT"}}
	for _, r := range rows {
		verdict := string(r.Verdict)
		if r.Note != "" {
			verdict += ": " + r.Note
		}
		table = append(table, []string{printable(r.Run), printable(r.Session),
			strconv.Itoa(r.Exchanges), strconv.Itoa(r.Changed), printable(verdict)})
	}
	widths := make([]int, len(table[0]))
	for _, row := range table {
		for i, c := range row[:len(row)-1] {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	for _, row := range table {
		for i, c := range row {
			if i == len(row)-1 {
				b.WriteString(c)
				break
			}
			b.WriteString(c)
			b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)+2))
		}
		b.WriteByte('\n')
	}
	s := Summarize(rows)
	fmt.Fprintf(&b, "%d run%s: %d same, %d changed, %d error%s\n", s.Runs, plural(s.Runs), s.Same, s.Changed, s.Errors, plural(s.Errors))
	_, _ = io.WriteString(w, b.String())
}
