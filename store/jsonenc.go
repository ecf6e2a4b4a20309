package store

import "github.com/hooksim/hooksim/store/jsonesc"

// The JSON columns the writer fills for every row (headers, a step's
// replies and failures) are encoded by hand: encoding/json's reflection
// and its intermediate values cost more than the rest of the row. The
// output is byte for byte what json.Marshal writes for the same value
// (HTML-safe escapes, invalid UTF-8 as \ufffd, U+2028 and U+2029
// escaped), so rows written either way read back the same.

// appendJSONString appends s as a JSON string, escaped as json.Marshal
// escapes it.
func appendJSONString(b []byte, s string) []byte { return jsonesc.AppendQuoted(b, s) }

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
