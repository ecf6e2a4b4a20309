// Package jsonesc escapes strings exactly as encoding/json does, for the
// code that writes JSON by hand where json.Marshal's reflection and
// intermediate values cost too much: the store's writer (headers and
// lists of every row) and the report writer (bodies of any size, piece
// by piece). It imports only the standard library.
package jsonesc

import (
	"unicode/utf8"
	"unsafe"
)

// Append appends the inside of encoding/json's string for s (with its
// default HTML escaping: <, > and & as \u003c...; invalid UTF-8 as
// \ufffd; U+2028 and U+2029 escaped): the same bytes json.Marshal writes
// between the quotes, without the allocations of a Marshal per piece.
func Append(b, s []byte) []byte {
	const hex = "0123456789abcdef"
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(b, s[start:]...)
}

// AppendString is Append for a string, without copying it.
func AppendString(b []byte, s string) []byte {
	return Append(b, unsafe.Slice(unsafe.StringData(s), len(s)))
}

// AppendQuoted appends s as a JSON string, quotes included: what
// json.Marshal(s) writes.
func AppendQuoted(b []byte, s string) []byte {
	return append(AppendString(append(b, '"'), s), '"')
}
