package compare

import (
	"github.com/hooksim/hooksim/recorder/report"
	"github.com/hooksim/hooksim/simulator/wire"
)

// wireLints are ls as a Diff reports them (wire.Lint: the same JSON, and
// its String form in the text). Drift findings are left out: they are
// about the request a real Stalwart sent (hooksim proxy), which a replay
// re-sends unchanged or does not send at all, not about the hook's
// answer.
func wireLints(ls []report.Lint) []wire.Lint {
	if len(ls) == 0 {
		return nil
	}
	out := make([]wire.Lint, 0, len(ls))
	for _, l := range ls {
		if l.Code == wire.LintDrift {
			continue
		}
		out = append(out, wire.Lint{Code: l.Code, Path: l.Path, Message: l.Message, Fix: l.Fix, Count: l.Count})
	}
	return out
}

// diffLints compares two lint lists as multisets of (code, path); the
// message is wording and does not count.
func diffLints(before, after []wire.Lint) (added, removed []wire.Lint) {
	return subtractLints(after, before), subtractLints(before, after)
}

// subtractLints returns the lints of a that b does not have, counting
// repeats.
func subtractLints(a, b []wire.Lint) []wire.Lint {
	have := map[[2]string]int{}
	for _, l := range b {
		have[[2]string{l.Code, l.Path}]++
	}
	var out []wire.Lint
	for _, l := range a {
		k := [2]string{l.Code, l.Path}
		if have[k] > 0 {
			have[k]--
			continue
		}
		out = append(out, l)
	}
	return out
}
