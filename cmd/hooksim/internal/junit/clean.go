package junit

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// clean makes s fit for XML 1.0: characters outside its Char production
// (control bytes other than tab, LF and CR; U+FFFE, U+FFFF) are written as
// visible escapes like \x1b, and invalid UTF-8 bytes as \xNN, so the text
// keeps its information and the document stays well-formed.
func clean(s string) string {
	ok := true
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !xmlChar(r, size) {
			ok = false
			break
		}
		i += size
	}
	if ok {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case !xmlChar(r, size):
			if r < 0x100 {
				fmt.Fprintf(&b, `\x%02x`, r)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// cleanText is clean for element content, with CRLF and CR turned into LF
// beforehand: XML readers do so anyway, this way the file shows what a
// reader will get.
func cleanText(s string) string {
	if strings.IndexByte(s, '\r') >= 0 {
		s = strings.ReplaceAll(s, "\r\n", "\n")
		s = strings.ReplaceAll(s, "\r", "\n")
	}
	return clean(s)
}

// xmlChar reports whether r (decoded from size bytes) is a Char of XML 1.0.
func xmlChar(r rune, size int) bool {
	switch {
	case r == utf8.RuneError:
		return size > 1 // a real U+FFFD, not a decoding error
	case r == '\t' || r == '\n' || r == '\r':
		return true
	case r < 0x20:
		return false
	case r <= 0xD7FF:
		return true
	case r >= 0xE000 && r <= 0xFFFD:
		return true
	case r >= 0x10000 && r <= 0x10FFFF:
		return true
	}
	return false
}
