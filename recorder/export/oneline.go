package export

import (
	"strconv"
	"unicode"
	"unicode/utf8"
)

// OneLine returns s as it may be printed inside a line of hooksim's own
// (a shell comment, a "# hooksim:" note): unchanged when every rune is
// printable (unicode.IsPrint: no control character, line or paragraph
// separator, bidi control or invalid UTF-8), else quoted as a Go string
// literal (strconv.Quote: "x\ntouch PWNED"), so that a recorded value
// cannot end the line or disguise what follows.
func OneLine(s string) string {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || !unicode.IsPrint(r) {
			return strconv.Quote(s)
		}
		i += n
	}
	return s
}
