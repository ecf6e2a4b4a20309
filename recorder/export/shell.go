package export

import (
	"bytes"
	"strings"
)

// shellQuote quotes s as one POSIX shell word, byte for byte: inside
// single quotes nothing is special, newlines included; a single quote is
// written '\''. It cannot carry a NUL byte (see needsPipe).
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// needsPipe reports a body that cannot be a single-quoted curl argument:
// one with a NUL byte (no shell argument can hold one), one starting with
// "@" (curl would read the rest as a file name) or one too large for a
// single argument.
func needsPipe(body []byte) bool {
	return bytes.IndexByte(body, 0) >= 0 || bytes.HasPrefix(body, []byte("@")) || len(body) > inlineBodyLimit
}

// printfFormat is a printf format that prints b byte for byte: "\" and
// "%" doubled, NUL as the octal escape \000 (exactly three digits, so a
// digit after it stays a digit). Every other byte is itself; the shell's
// built-in printf is not bound by the argument size limit of exec.
func printfFormat(b []byte) string {
	var s strings.Builder
	s.Grow(len(b) + len(b)/8)
	for _, c := range b {
		switch c {
		case '\\':
			s.WriteString(`\\`)
		case '%':
			s.WriteString("%%")
		case 0:
			s.WriteString(`\000`)
		default:
			s.WriteByte(c)
		}
	}
	return s.String()
}
