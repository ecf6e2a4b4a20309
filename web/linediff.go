package web

// maxDiffCells bounds the work of diffLines: beyond it the differing
// middle is shown as all removed then all added, still a correct diff.
const maxDiffCells = 4_000_000

// edit is one line of an edit script turning a into b.
type edit struct {
	op   byte // ' ', '-' or '+'
	a, b int  // indexes into a (for ' ' and '-') and b (for ' ' and '+')
}

// diffLines returns a shortest edit script turning a into b (a longest
// common subsequence), trimming the common prefix and suffix first.
func diffLines(a, b []string) []edit {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	var out []edit
	for i := 0; i < pre; i++ {
		out = append(out, edit{' ', i, i})
	}
	ma, mb := a[pre:len(a)-suf], b[pre:len(b)-suf]
	if len(ma)*len(mb) > maxDiffCells {
		for i := range ma {
			out = append(out, edit{'-', pre + i, -1})
		}
		for j := range mb {
			out = append(out, edit{'+', -1, pre + j})
		}
	} else {
		out = append(out, lcs(ma, mb, pre)...)
	}
	for k := 0; k < suf; k++ {
		out = append(out, edit{' ', len(a) - suf + k, len(b) - suf + k})
	}
	return out
}

// lcs is the dynamic-programming edit script of a and b, whose indexes
// start at off in the caller's lists.
func lcs(a, b []string, off int) []edit {
	n, m := len(a), len(b)
	// l[i][j] is the LCS length of a[i:] and b[j:].
	l := make([][]int32, n+1)
	for i := range l {
		l[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				l[i][j] = l[i+1][j+1] + 1
			} else {
				l[i][j] = max(l[i+1][j], l[i][j+1])
			}
		}
	}
	var out []edit
	i, j := 0, 0
	for i < n && j < m {
		switch {
		case a[i] == b[j]:
			out = append(out, edit{' ', off + i, off + j})
			i, j = i+1, j+1
		case l[i+1][j] >= l[i][j+1]:
			out = append(out, edit{'-', off + i, -1})
			i++
		default:
			out = append(out, edit{'+', -1, off + j})
			j++
		}
	}
	for ; i < n; i++ {
		out = append(out, edit{'-', off + i, -1})
	}
	for ; j < m; j++ {
		out = append(out, edit{'+', -1, off + j})
	}
	return out
}
