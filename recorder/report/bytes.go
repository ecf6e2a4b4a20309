package report

import (
	"encoding/base64"
	"time"
	"unicode/utf8"
)

// NewBytes carries b as text when it is valid UTF-8, else in base64.
func NewBytes(b []byte) Bytes {
	if utf8.Valid(b) {
		s := string(b)
		return Bytes{Text: &s}
	}
	e := base64.StdEncoding.EncodeToString(b)
	return Bytes{Base64: &e}
}

// bytesFunc makes the Bytes of b: NewBytes, or a Writer's placeholder
// for large bytes that it writes itself.
type bytesFunc func(b []byte) Bytes

// orNil is f(b), or nil for a nil slice (no message).
func (f bytesFunc) orNil(b []byte) *Bytes {
	if b == nil {
		return nil
	}
	v := f(b)
	return &v
}

// body is headers (name, value pairs in order) and f(b).
func (f bytesFunc) body(headers [][2]string, b []byte) Body {
	if headers == nil {
		headers = [][2]string{}
	}
	v := f(b)
	return Body{Headers: headers, Text: v.Text, Base64: v.Base64}
}

// MS is d in milliseconds, to the microsecond.
func MS(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// nonNil returns s, or an empty slice for nil, so that a list is [] and
// never null in a document.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
