package hookconf

import "strings"

// tomlLines finds the line where each TOML key or table is defined. The
// TOML decoder does not expose key positions, so this small scanner reads
// table headers and "key = value" lines (skipping multi-line strings and
// arrays). It is only used for error positions: a key it cannot place
// falls back to the line of its table.
type tomlLines map[string]int

func tomlPathKey(path []string) string { return strings.Join(path, "\x00") }

func scanTOMLLines(src string) tomlLines {
	out := tomlLines{}
	lines := strings.Split(src, "\n")
	var table []string
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(strings.TrimSuffix(lines[i], "\r"))
		if line == "" || line[0] == '#' {
			continue
		}
		if line[0] == '[' {
			inner := strings.TrimPrefix(strings.TrimPrefix(line, "["), "[")
			if key, _, ok := parseTOMLKey(inner); ok {
				table = key
				if _, seen := out[tomlPathKey(key)]; !seen {
					out[tomlPathKey(key)] = i + 1
				}
			}
			continue
		}
		key, rest, ok := parseTOMLKey(line)
		if !ok {
			continue
		}
		rest = strings.TrimSpace(rest)
		if !strings.HasPrefix(rest, "=") {
			continue
		}
		full := append(append([]string{}, table...), key...)
		if _, seen := out[tomlPathKey(full)]; !seen {
			out[tomlPathKey(full)] = i + 1
		}
		i = skipTOMLValue(lines, i, strings.TrimSpace(rest[1:]))
	}
	return out
}

// skipTOMLValue returns the last line of a value that starts on line i.
func skipTOMLValue(lines []string, i int, v string) int {
	for _, q := range []string{`"""`, `'''`} {
		if strings.HasPrefix(v, q) {
			if strings.Contains(v[3:], q) {
				return i
			}
			for j := i + 1; j < len(lines); j++ {
				if strings.Contains(lines[j], q) {
					return j
				}
			}
			return len(lines) - 1
		}
	}
	if !strings.HasPrefix(v, "[") && !strings.HasPrefix(v, "{") {
		return i
	}
	depth := bracketDepth(v)
	j := i
	for depth > 0 && j+1 < len(lines) {
		j++
		depth += bracketDepth(lines[j])
	}
	return j
}

// bracketDepth counts [ { minus ] } outside quoted strings and comments.
func bracketDepth(s string) int {
	n := 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == '\\' && quote == '"' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '#':
			return n
		case c == '[' || c == '{':
			n++
		case c == ']' || c == '}':
			n--
		}
	}
	return n
}

// parseTOMLKey reads a dotted key (bare, "basic" or 'literal' parts) and
// returns the parts and the rest of the line.
func parseTOMLKey(s string) ([]string, string, bool) {
	var parts []string
	for {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			return nil, "", false
		}
		switch s[0] {
		case '"':
			var b strings.Builder
			i := 1
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				b.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, "", false
			}
			parts = append(parts, b.String())
			s = s[i+1:]
		case '\'':
			end := strings.IndexByte(s[1:], '\'')
			if end < 0 {
				return nil, "", false
			}
			parts = append(parts, s[1:1+end])
			s = s[end+2:]
		default:
			i := 0
			for i < len(s) && (s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z' || s[i] >= '0' && s[i] <= '9' || s[i] == '_' || s[i] == '-') {
				i++
			}
			if i == 0 {
				return nil, "", false
			}
			parts = append(parts, s[:i])
			s = s[i:]
		}
		s = strings.TrimLeft(s, " \t")
		if strings.HasPrefix(s, ".") {
			s = s[1:]
			continue
		}
		return parts, s, true
	}
}

// line returns the line of path, or of its nearest defined parent.
func (tl tomlLines) line(path ...string) int {
	for n := len(path); n > 0; n-- {
		if l, ok := tl[tomlPathKey(path[:n])]; ok {
			return l
		}
	}
	return 0
}
