package export

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// shellQuote quotes s as one POSIX shell word, byte for byte: inside
// single quotes nothing is special, newlines included; a single quote in
// s ends the quoted part, is written escaped (backslash, quote) and a new
// quoted part begins. It cannot carry a NUL byte (see inlineBody).
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ShellWord is s as a shell word: as it is when it holds only characters
// no shell treats specially, else single-quoted (shellQuote).
func ShellWord(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/@+,") == "" {
		return s
	}
	return shellQuote(s)
}

// inlineBody reports a body that can be written as a single-quoted curl
// argument on one line: valid UTF-8 without control characters (tab
// aside), so no NUL (no shell argument can hold one) and no line break;
// not starting with "@" (curl would read the rest as a file name); and
// not over inlineBodyLimit (Linux refuses a single exec argument over
// 128 KiB). Other bodies go through printfFormat.
func inlineBody(b []byte) bool {
	if len(b) > inlineBodyLimit || (len(b) > 0 && b[0] == '@') || !utf8.Valid(b) {
		return false
	}
	for _, c := range b {
		if (c < 0x20 && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// printfFormat is a printf format, printable ASCII only, that prints b
// byte for byte: "\" and "%" doubled, every other byte outside 0x20-0x7e
// as a three-digit octal escape (\000, \012, \377; exactly three digits,
// so a digit after one stays a digit). The shell's built-in printf is not
// bound by the size limit of an exec argument.
func printfFormat(b []byte) string {
	var s strings.Builder
	s.Grow(len(b) + len(b)/4)
	for _, c := range b {
		switch {
		case c == '\\':
			s.WriteString(`\\`)
		case c == '%':
			s.WriteString("%%")
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&s, `\%03o`, c)
		default:
			s.WriteByte(c)
		}
	}
	return s.String()
}
