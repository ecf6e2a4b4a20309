package wire

import "fmt"

// MaxLints caps the distinct lints stored for one exchange or step; a
// hook that answers with a million identical modifications must not
// store a million lints.
const MaxLints = 100

// LintLeftOut is the code of the lint that stands, after MaxLints, for
// the distinct lints left out.
const LintLeftOut = "lints-left-out"

// CompactLints is l as reported and stored: each distinct (Code, Message) once, in
// the order of its first report, with Count the times it was reported
// (when more than once) and the first one's Path and Fix; at most
// MaxLints of them, then one LintLeftOut lint saying how many distinct
// lints (and reports) were left out. l itself is not changed; when it has
// no duplicate and fits, it is returned as is.
func CompactLints(l []Lint) []Lint {
	if len(l) < 2 {
		return l
	}
	type key struct{ code, message string }
	at := make(map[key]int, min(len(l), MaxLints+1))
	var out []Lint
	leftOut, leftReports := 0, 0
	for _, x := range l {
		k := key{x.Code, x.Message}
		n := max(x.Count, 1)
		if i, ok := at[k]; ok {
			if i < 0 {
				leftReports += n
				continue
			}
			out[i].Count = max(out[i].Count, 1) + n
			continue
		}
		if len(out) == MaxLints {
			at[k] = -1
			leftOut++
			leftReports += n
			continue
		}
		at[k] = len(out)
		out = append(out, x)
	}
	if leftOut == 0 && len(out) == len(l) {
		return l
	}
	if leftOut > 0 {
		out = append(out, Lint{Code: LintLeftOut,
			Message: fmt.Sprintf("%d more distinct lints (%d reports) were left out: at most %d are kept per exchange or step", leftOut, leftReports, MaxLints)})
	}
	return out
}
