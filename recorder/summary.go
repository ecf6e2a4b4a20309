package recorder

import (
	"slices"
	"strings"

	"github.com/hooksim/hooksim/simulator/hookclient"
	"github.com/hooksim/hooksim/store"
)

// summary gathers a play's store.RunSummary from the exchange rows the
// writer builds for it, so that finishing the run need not read them
// back. Only the writer goroutine touches it.
type summary struct {
	stages, outcomes map[string]int // value: the lowest Seq with it
	errored          bool
}

// add counts one exchange row.
func (s *summary) add(e *store.Exchange) {
	if s.stages == nil {
		s.stages, s.outcomes = map[string]int{}, map[string]int{}
	}
	first(s.stages, e.Stage, e.Seq)
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
	return &store.RunSummary{Stages: inOrder(s.stages), Outcomes: inOrder(s.outcomes), Errored: s.errored}
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
