package store

import (
	"unsafe"

	"github.com/hooksim/hooksim/store/jsonesc"
)

// The JSON columns the writer fills for every row (headers, a step's
// replies and failures) are encoded by hand: encoding/json's reflection
// and its intermediate values cost more than the rest of the row. The
// output is byte for byte what json.Marshal writes for the same value
// (HTML-safe escapes, invalid UTF-8 as \ufffd, U+2028 and U+2029
// escaped), so rows written either way read back the same.

// appendJSONString appends s as a JSON string, escaped as json.Marshal
// escapes it.
func appendJSONString(b []byte, s string) []byte { return jsonesc.AppendQuoted(b, s) }

// appendHeadersJSON appends headers as a JSON array of [name, value]
// pairs, order and duplicates kept ("[]" when none).
func appendHeadersJSON(b []byte, h []Header) []byte {
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
	return append(b, ']')
}

// appendStringsJSON appends s as a JSON array of strings ("[]" when
// empty).
func appendStringsJSON(b []byte, s []string) []byte {
	b = append(b, '[')
	for i, v := range s {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, v)
	}
	return append(b, ']')
}

// jsonScratch encodes a row's JSON columns into one buffer reused from
// row to row: the strings it returns alias the buffer, and are valid
// until the next reset. They only live while the row's statement binds
// them (go-sqlite3 copies every bound value before it steps).
type jsonScratch struct{ buf []byte }

func (j *jsonScratch) reset() { j.buf = j.buf[:0] }

// add returns what enc appends, as a string over the buffer. A buffer
// that grows leaves the strings already returned on the old array.
func (j *jsonScratch) add(enc func([]byte) []byte) string {
	start := len(j.buf)
	j.buf = enc(j.buf)
	b := j.buf[start:]
	return unsafe.String(unsafe.SliceData(b), len(b))
}

func (j *jsonScratch) headers(h []Header) string {
	return j.add(func(b []byte) []byte { return appendHeadersJSON(b, h) })
}

func (j *jsonScratch) strings(s []string) string {
	return j.add(func(b []byte) []byte { return appendStringsJSON(b, s) })
}
