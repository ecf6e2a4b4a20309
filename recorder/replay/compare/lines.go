package compare

import "fmt"

// LineOp marks a line of a diff.
type LineOp byte

// The three kinds of diff lines, as in a unified diff.
const (
	OpSame    LineOp = ' '
	OpRemoved LineOp = '-'
	OpAdded   LineOp = '+'
)

// Line is one line of a diff. For messages Text keeps its line end.
type Line struct {
	Op   LineOp `json:"op"`
	Text string `json:"text"`
}

// MarshalText renders Op as its one-character marker in JSON.
func (o LineOp) MarshalText() ([]byte, error) { return []byte{byte(o)}, nil }

// UnmarshalText reads the marker MarshalText writes.
func (o *LineOp) UnmarshalText(b []byte) error {
	if len(b) != 1 || (b[0] != byte(OpSame) && b[0] != byte(OpRemoved) && b[0] != byte(OpAdded)) {
		return fmt.Errorf("compare: line op %q: want \" \", \"-\" or \"+\"", b)
	}
	*o = LineOp(b[0])
	return nil
}

// Hunk is one block of a unified diff: lines A..A+ALen of the before
// text and B..B+BLen of the after text (1-based), with context.
type Hunk struct {
	A     int    `json:"a"`
	ALen  int    `json:"a_len"`
	B     int    `json:"b"`
	BLen  int    `json:"b_len"`
	Lines []Line `json:"lines"`
}

func linesChanged(ls []Line) bool {
	for _, l := range ls {
		if l.Op != OpSame {
			return true
		}
	}
	return false
}

// maxEditDistance bounds the work of the diff: beyond it the differing
// middle is shown as removed then added, which is still a correct diff.
const maxEditDistance = 1000

// DiffLines returns an edit script turning a into b, shortest when it
// needs at most maxEditDistance insertions and deletions (beyond that the
// differing middle is all removed, then all added: still correct).
func DiffLines(a, b []string) []Line {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	out := make([]Line, 0, len(a)+len(b)-pre-suf)
	for _, s := range a[:pre] {
		out = append(out, Line{OpSame, s})
	}
	out = append(out, myers(a[pre:len(a)-suf], b[pre:len(b)-suf])...)
	for _, s := range a[len(a)-suf:] {
		out = append(out, Line{OpSame, s})
	}
	return out
}

// myers is Myers' O(ND) difference algorithm with a trace of the
// frontier for the way back.
func myers(a, b []string) []Line {
	n, m := len(a), len(b)
	if n == 0 || m == 0 {
		return replaceAll(a, b)
	}
	maxD := n + m
	if maxD > maxEditDistance {
		maxD = maxEditDistance
	}
	off := maxD + 1
	v := make([]int, 2*maxD+3)
	var trace [][]int
	for d := 0; d <= maxD; d++ {
		trace = append(trace, append([]int(nil), v[off-d:off+d+1]...))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1]
			} else {
				x = v[off+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x, y = x+1, y+1
			}
			v[off+k] = x
			if x >= n && y >= m {
				return backtrack(a, b, trace, d)
			}
		}
	}
	return replaceAll(a, b)
}

func backtrack(a, b []string, trace [][]int, dEnd int) []Line {
	x, y := len(a), len(b)
	var rev []Line
	for d := dEnd; d > 0; d-- {
		vp := trace[d] // the frontier after round d-1, indexed k+d
		k := x - y
		prevK := k - 1
		if k == -d || (k != d && vp[k-1+d] < vp[k+1+d]) {
			prevK = k + 1
		}
		prevX := vp[prevK+d]
		prevY := prevX - prevK
		for x > prevX && y > prevY {
			x, y = x-1, y-1
			rev = append(rev, Line{OpSame, a[x]})
		}
		if x == prevX {
			y--
			rev = append(rev, Line{OpAdded, b[y]})
		} else {
			x--
			rev = append(rev, Line{OpRemoved, a[x]})
		}
	}
	for x > 0 && y > 0 {
		x, y = x-1, y-1
		rev = append(rev, Line{OpSame, a[x]})
	}
	out := make([]Line, len(rev))
	for i, l := range rev {
		out[len(rev)-1-i] = l
	}
	return out
}

func replaceAll(a, b []string) []Line {
	out := make([]Line, 0, len(a)+len(b))
	for _, s := range a {
		out = append(out, Line{OpRemoved, s})
	}
	for _, s := range b {
		out = append(out, Line{OpAdded, s})
	}
	return out
}

// hunks groups an edit script into unified-diff hunks with ctx lines of
// context around each change.
func hunks(lines []Line, ctx int) []Hunk {
	var out []Hunk
	// Positions (1-based) in a and b of each line.
	apos, bpos := make([]int, len(lines)), make([]int, len(lines))
	ai, bi := 1, 1
	for i, l := range lines {
		apos[i], bpos[i] = ai, bi
		if l.Op != OpAdded {
			ai++
		}
		if l.Op != OpRemoved {
			bi++
		}
	}
	i := 0
	for i < len(lines) {
		if lines[i].Op == OpSame {
			i++
			continue
		}
		start := max(i-ctx, 0)
		end := i // one past the last line of the hunk
		for end < len(lines) {
			if lines[end].Op != OpSame {
				end++
				continue
			}
			// A run of unchanged lines: keep it if the next change is near.
			run := end
			for run < len(lines) && lines[run].Op == OpSame {
				run++
			}
			if run < len(lines) && run-end <= 2*ctx {
				end = run
				continue
			}
			end = min(end+ctx, len(lines))
			break
		}
		h := Hunk{A: apos[start], B: bpos[start], Lines: lines[start:end]}
		for _, l := range h.Lines {
			if l.Op != OpAdded {
				h.ALen++
			}
			if l.Op != OpRemoved {
				h.BLen++
			}
		}
		// As in diff -u: an empty side names the line before it.
		if h.ALen == 0 {
			h.A--
		}
		if h.BLen == 0 {
			h.B--
		}
		out = append(out, h)
		i = end
	}
	return out
}

// splitLines splits b after each LF, keeping the line ends; a last line
// without LF is kept as is.
func splitLines(b []byte) []string {
	var out []string
	start := 0
	for i, c := range b {
		if c == '\n' {
			out = append(out, string(b[start:i+1]))
			start = i + 1
		}
	}
	if start < len(b) {
		out = append(out, string(b[start:]))
	}
	return out
}
