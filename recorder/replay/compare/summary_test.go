package compare

import (
	"bytes"
	"errors"
	"testing"
)

func TestSummary(t *testing.T) {
	t.Parallel()
	same := Sessions(live(play("1")), live(play("2")), Options{})
	changedAfter := play("2")
	rejectAtMail(changedAfter)
	changed := Sessions(live(play("1")), live(changedAfter), Options{})
	rows := []SummaryRow{
		same.Row("12"),
		changed.Row("13"),
		ErrorRow("14", "bounce", errors.New("run 14: no such run")),
	}
	want := []SummaryRow{
		{Run: "12", Session: "hello", Exchanges: 5, Changed: 0, Verdict: VerdictSame},
		{Run: "13", Session: "hello", Exchanges: 5, Changed: 4, Verdict: VerdictChanged},
		{Run: "14", Session: "bounce", Verdict: VerdictError, Note: "run 14: no such run"},
	}
	for i := range want {
		if rows[i] != want[i] {
			t.Errorf("row %d = %+v, want %+v", i, rows[i], want[i])
		}
	}
	s := Summarize(rows)
	if s != (Summary{Runs: 3, Same: 1, Changed: 1, Errors: 1}) || s.OK() {
		t.Errorf("Summarize = %+v, OK %v", s, s.OK())
	}
	if !Summarize(rows[:1]).OK() {
		t.Error("one same run is not OK")
	}
	var b bytes.Buffer
	WriteSummary(&b, rows)
	golden(t, "summary", b.Bytes())

	b.Reset()
	WriteSummary(&b, nil)
	if got := b.String(); got != "RUN  SESSION  EXCHANGES  DIFFERENCES  VERDICT\n0 runs: 0 same, 0 changed, 0 errors\n" {
		t.Errorf("empty summary %q", got)
	}
}
