package compare

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hooksim/hooksim/recorder/report"
	"github.com/hooksim/hooksim/simulator/wire"
)

// canonicalMod is one modification in canonical form: its group and
// key decide where it goes, Text is its full rendering (used both to
// compare and to show).
type canonicalMod struct {
	group int
	key   string // recipient edits: the address it can interact with
	Text  string
}

// The groups of modifications whose relative order does not matter
// (see the package doc), in canonical order.
const (
	groupHeaders = iota
	groupBody
	groupSender
	groupRecipients
)

// canonicalMods returns the modifications in canonical order, rendered.
func canonicalMods(mods []report.Modification) []string {
	cs := make([]canonicalMod, len(mods))
	for i, m := range mods {
		cs[i] = canonicalize(m)
	}
	slices.SortStableFunc(cs, func(a, b canonicalMod) int {
		if a.group != b.group {
			return a.group - b.group
		}
		if a.group == groupRecipients {
			return strings.Compare(a.key, b.key)
		}
		return 0
	})
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Text
	}
	return out
}

func canonicalize(m report.Modification) canonicalMod {
	switch wire.ModType(m.Type) {
	case wire.ModAddHeader:
		return canonicalMod{group: groupHeaders, Text: fmt.Sprintf("addHeader %s: %s", quoteName(m.Name), quoteLong(m.Value))}
	case wire.ModInsertHeader, wire.ModChangeHeader:
		return canonicalMod{group: groupHeaders, Text: fmt.Sprintf("%s #%d %s: %s", m.Type, m.Index, quoteName(m.Name), quoteLong(m.Value))}
	case wire.ModDeleteHeader:
		return canonicalMod{group: groupHeaders, Text: fmt.Sprintf("deleteHeader #%d %s", m.Index, quoteName(m.Name))}
	case wire.ModReplaceContents:
		return canonicalMod{group: groupBody, Text: "replaceContents " + quoteLong(m.Value)}
	case wire.ModChangeFrom:
		return canonicalMod{group: groupSender, Text: "changeFrom " + quoteLong(m.Value) + params(m.Parameters)}
	case wire.ModAddRecipient:
		// Stalwart lower-cases added recipients before comparing them.
		return canonicalMod{group: groupRecipients, key: strings.ToLower(stripBrackets(m.Value)),
			Text: "addRecipient " + quoteLong(m.Value) + params(m.Parameters)}
	case wire.ModDeleteRecipient:
		// Compared unchanged with lower-cased addresses.
		return canonicalMod{group: groupRecipients, key: stripBrackets(m.Value),
			Text: "deleteRecipient " + quoteLong(m.Value)}
	}
	// An unknown type cannot come out of wire.ParseResponse; keep it
	// last and in order rather than lose it.
	return canonicalMod{group: groupHeaders, Text: fmt.Sprintf("%s %s %s", m.Type, quoteName(m.Name), quoteLong(m.Value))}
}

// stripBrackets takes an address out of "<...>" roughly as Stalwart
// does (trim, then up to the last '>'); it only groups recipient edits.
func stripBrackets(v string) string {
	v = strings.TrimSpace(v)
	if rest, ok := strings.CutPrefix(v, "<"); ok {
		if i := strings.LastIndexByte(rest, '>'); i >= 0 {
			return rest[:i]
		}
		return rest
	}
	return v
}

// params renders ESMTP parameters sorted by key: Stalwart keeps them in a
// hash map, so the order the hook sent carries no meaning.
func params(ps map[string]*string) string {
	var sb strings.Builder
	for _, k := range sortedKeys(ps) {
		sb.WriteByte(' ')
		sb.WriteString(quoteName(k))
		if v := ps[k]; v != nil {
			sb.WriteByte('=')
			sb.WriteString(quoteLong(*v))
		}
	}
	return sb.String()
}

// sortedKeys are the keys of m, sorted.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// quoteName shows a header name or parameter key bare when it is plain
// printable ASCII without spaces or colons, quoted otherwise.
func quoteName(s string) string {
	if s == "" {
		return `""`
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == ':' || c == '"' || c == '=' {
			return strconv.Quote(s)
		}
	}
	return s
}

// longValue is the length from which values are shortened for display;
// the hash at the end keeps two different long values apart.
const longValue = 120

func quoteLong(s string) string {
	if len(s) <= longValue {
		return strconv.Quote(s)
	}
	cut := longValue - 20
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	sum := sha256.Sum256([]byte(s))
	return fmt.Sprintf("%s... (%d bytes, sha256 %s)", strconv.Quote(s[:cut]), len(s), hex.EncodeToString(sum[:6]))
}

func utf8Start(c byte) bool { return c&0xC0 != 0x80 }

// diffMods compares two modification lists in canonical form. reordered
// is true when they hold the same modifications but their canonical
// order differs (an order that changes the result).
func diffMods(before, after []report.Modification) (lines []Line, reordered bool) {
	a, b := canonicalMods(before), canonicalMods(after)
	if len(a) == 0 && len(b) == 0 {
		return nil, false
	}
	lines = DiffLines(a, b)
	if linesChanged(lines) {
		sa, sb := slices.Clone(a), slices.Clone(b)
		slices.Sort(sa)
		slices.Sort(sb)
		reordered = slices.Equal(sa, sb)
	}
	return lines, reordered
}
