package compare

import "github.com/hooksim/hooksim/simulator/wire"

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
