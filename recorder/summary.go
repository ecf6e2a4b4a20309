package recorder

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"

	"github.com/hooksim/hooksim/simulator/hookclient"
	"github.com/hooksim/hooksim/simulator/wire"
	"github.com/hooksim/hooksim/store"
)

// summary gathers a play's store.RunSummary from the exchange rows the
// writer builds for it, so that finishing the run need not read them
// back. Only the writer goroutine touches it.
type summary struct {
	stages, outcomes map[string]int // value: the lowest Seq with it
	errored          bool
	drift            int
}

// add counts one exchange row.
func (s *summary) add(e *store.Exchange) {
	if s.stages == nil {
		s.stages, s.outcomes = map[string]int{}, map[string]int{}
	}
	first(s.stages, e.Stage, e.Seq)
	s.drift += driftFindings(e.Lints)
	// A call cut because the play was stopped (Ctrl-C) is no hook error
	// and no hook outcome: the run is interrupted, the hook did nothing.
	if e.ErrorClass == string(hookclient.ErrCanceled) {
		return
	}
	first(s.outcomes, e.Outcome, e.Seq)
	if e.ErrorClass != "" {
		s.errored = true
	}
}

func first(m map[string]int, k string, seq int) {
	if old, ok := m[k]; !ok || seq < old {
		m[k] = seq
	}
}

// run is the summary as the store takes it: the distinct values in the
// order of their first exchange, as the SQL FinishRun reads them back.
func (s *summary) run() *store.RunSummary {
	return &store.RunSummary{Stages: inOrder(s.stages), Outcomes: inOrder(s.outcomes), Errored: s.errored, Drift: s.drift}
}

func inOrder(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b string) int {
		if m[a] != m[b] {
			return m[a] - m[b]
		}
		return strings.Compare(a, b)
	})
	return out
}

// driftFindings counts the lints of code "drift" in an exchange row's
// lints (a JSON array), as the store's SQL counts them for runs it
// finishes itself.
func driftFindings(lints []byte) int {
	if !bytes.Contains(lints, []byte(`"drift"`)) {
		return 0
	}
	var list []struct {
		Code string `json:"code"`
	}
	if json.Unmarshal(lints, &list) != nil {
		return 0
	}
	n := 0
	for _, l := range list {
		if l.Code == wire.LintDrift {
			n++
		}
	}
	return n
}
