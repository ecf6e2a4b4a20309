package sessions

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Error is a problem in a session script, located as precisely as the
// parser can: the file, the 1-based line (0 when unknown), and the field
// path in the script ("steps[3].rcpt", "client.ip"). It prints as
// `spam.yaml:12: steps[3].rcpt: "bill@" is not an address`.
type Error struct {
	File  string
	Line  int
	Field string
	Msg   string
}

// Error formats the error as file:line: field: message, leaving out the
// parts that are unknown.
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteByte(':')
	}
	if e.Line > 0 {
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteByte(':')
	}
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// unknownKeyMsg names an unknown key and suggests the closest valid one,
// or lists the valid keys when none is close.
func unknownKeyMsg(what, key string, valid []string) string {
	if best, ok := closest(key, valid); ok {
		return fmt.Sprintf("unknown %s %q (did you mean %q?)", what, key, best)
	}
	sorted := append([]string(nil), valid...)
	sort.Strings(sorted)
	return fmt.Sprintf("unknown %s %q (valid: %s)", what, key, strings.Join(sorted, ", "))
}

// closest returns the candidate nearest to s by edit distance (case
// insensitive), if it is near enough to be a plausible typo.
func closest(s string, candidates []string) (string, bool) {
	best, bestDist := "", -1
	ls := strings.ToLower(s)
	for _, c := range candidates {
		d := editDistance(ls, strings.ToLower(c))
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	if bestDist < 0 {
		return "", false
	}
	limit := max(len([]rune(s)), len([]rune(best)))/2 + 1
	if bestDist > limit {
		return "", false
	}
	return best, true
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
