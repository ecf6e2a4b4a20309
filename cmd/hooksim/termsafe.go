package main

import (
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// termSafe writes text meant for a terminal so that nothing a hook sent
// (a reply message, a header name, a body shown with -v) can drive it or
// disguise a line: control characters other than LF and tab (CR, ESC,
// BEL, DEL, the C1 range), line and paragraph separators, bidirectional
// overrides and invalid UTF-8 are written as Go escapes (\r, \x1b, \u202e,
// \xff). hooksim's own text has none of them, so it is unchanged. Raw
// outputs (show --raw, export, --json) do not go through it.
type termSafe struct{ w io.Writer }

func (t termSafe) Write(p []byte) (int, error) {
	clean := true
	for i := 0; i < len(p); {
		r, n := utf8.DecodeRune(p[i:])
		if unsafeRune(r, n) {
			clean = false
			break
		}
		i += n
	}
	if clean {
		return t.w.Write(p)
	}
	out := make([]byte, 0, len(p)+16)
	for i := 0; i < len(p); {
		r, n := utf8.DecodeRune(p[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			out = fmt.Appendf(out, `\x%02x`, p[i])
		case unsafeRune(r, n):
			q := strconv.QuoteRuneToASCII(r)
			out = append(out, q[1:len(q)-1]...)
		default:
			out = append(out, p[i:i+n]...)
		}
		i += n
	}
	if _, err := t.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// unsafeRune reports runes termSafe escapes.
func unsafeRune(r rune, size int) bool {
	switch {
	case r == utf8.RuneError && size <= 1:
		return true
	case r == '\n' || r == '\t':
		return false
	case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
		return true
	case r == 0x2028 || r == 0x2029 || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f:
		return true
	}
	return false
}
