package store

import (
	"unicode/utf8"
)

// The JSON columns the writer fills for every row (headers, a step's
// replies and failures) are encoded by hand: encoding/json's reflection
// and its intermediate values cost more than the rest of the row. The
// output is byte for byte what json.Marshal writes for the same value
// (HTML-safe escapes, invalid UTF-8 as \ufffd, U+2028 and U+2029
// escaped), so rows written either way read back the same.

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string, escaped as json.Marshal
// escapes it.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
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
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// headersJSON encodes headers as [[name, value], ...], order and
// duplicates kept ("[]" when none).
func headersJSON(h []Header) string {
	if len(h) == 0 {
		return "[]"
	}
	n := 2
	for _, f := range h {
		n += len(f.Name) + len(f.Value) + 8
	}
	b := make([]byte, 0, n)
	b = append(b, '[')
	for i, f := range h {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = appendJSONString(b, f.Name)
		b = append(b, ',')
		b = appendJSONString(b, f.Value)
		b = append(b, ']')
	}
	return string(append(b, ']'))
}

// stringsJSON encodes s as a JSON array of strings ("[]" when empty).
func stringsJSON(s []string) string {
	if len(s) == 0 {
		return "[]"
	}
	n := 2
	for _, v := range s {
		n += len(v) + 3
	}
	b := make([]byte, 0, n)
	b = append(b, '[')
	for i, v := range s {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, v)
	}
	return string(append(b, ']'))
}
