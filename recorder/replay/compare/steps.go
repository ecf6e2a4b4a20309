package compare

import (
	"slices"
	"strconv"

	"github.com/hooksim/hooksim/recorder/report"
	"github.com/hooksim/hooksim/simulator/wire"
)

// compareSteps compares the steps of two plays by index.
func compareSteps(b, a *report.Session, o Options) []StepDiff {
	bs, as := stepsByIndex(b), stepsByIndex(a)
	idx := unionKeys(bs, as)
	out := make([]StepDiff, 0, len(idx))
	for _, i := range idx {
		out = append(out, compareStep(bs[i], as[i], o))
	}
	return out
}

func compareStep(b, a *report.Step, o Options) StepDiff {
	ref := b
	if ref == nil {
		ref = a
	}
	d := StepDiff{Index: ref.Index, Kind: ref.Kind, Command: ref.Command, Line: ref.Line}
	var bReplies, aReplies []string
	if b != nil {
		bReplies = maskAll(b.Replies)
		d.Closed.Before = strconv.FormatBool(b.Closed)
	}
	if a != nil {
		aReplies = maskAll(a.Replies)
		d.Closed.After = strconv.FormatBool(a.Closed)
	}
	d.Replies = DiffLines(bReplies, aReplies)
	switch {
	case a == nil:
		d.Status = StatusMissing
		return d
	case b == nil:
		d.Status = StatusNew
		return d
	}
	if !o.IgnoreLints {
		d.LintsAdded, d.LintsRemoved = diffLints(ownLints(b), ownLints(a))
	}
	d.Status = StatusSame
	if d.RepliesChanged() || d.Closed.Changed() || len(d.LintsAdded) > 0 || len(d.LintsRemoved) > 0 {
		d.Status = StatusChanged
	}
	return d
}

func maskAll(replies []string) []string {
	out := make([]string, len(replies))
	for i, r := range replies {
		out[i] = maskQueueID(r)
	}
	return out
}

// ownLints are the step's lints that no exchange of it reported: the
// notes about applying the data-stage modifications.
func ownLints(st *report.Step) []wire.Lint {
	var fromExchanges []wire.Lint
	for i := range st.Exchanges {
		fromExchanges = append(fromExchanges, wireLints(st.Exchanges[i].Lints)...)
	}
	return subtractLints(wireLints(st.Lints), fromExchanges)
}

// unionKeys returns the keys of either map, sorted.
func unionKeys[V any](b, a map[int]V) []int {
	keys := make([]int, 0, len(b)+len(a))
	for k := range b {
		keys = append(keys, k)
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}
