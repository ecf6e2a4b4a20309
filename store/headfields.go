package store

import (
	"bytes"
	"errors"
)

// An exchange's header lists are most often what its wire heads say,
// field for field: the request's as hooksim wrote them, the response's
// as the hook sent them. From schema version 9 on, such a list is stored
// as "" (not a JSON array, so never a list), meaning "the fields of the
// head", instead of a copy: writeExchange stores "" only when
// headFields of the head gives back the list exactly (names, values,
// order, bytes), and Exchange reads it back through the same function.
// Lists that differ from their head (an HTTP/2 rendering, a folded line,
// a malformed head, no head) are stored as JSON, as before.

// errNoHead is a list stored as "" in a row without its head.
var errNoHead = errors.New(`stored as its head's fields, but the row has no head`)

// headFields calls fn with each header field of head's final block (a
// response head may hold interim 1xx heads before it), in order: the
// lines after the start line, each "name: value" with the value's
// leading and trailing spaces and tabs cut. It returns false, having
// stopped, when a line is not such a field (no colon, an empty name, a
// folded line starting with a space or a tab) or fn returns false.
func headFields(head []byte, fn func(name, value []byte) bool) bool {
	b := head
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	// The final head starts after the last blank line ("\n\r\n" or "\n\n").
	for i := bytes.LastIndexByte(b, '\n'); i > 0; i = bytes.LastIndexByte(b[:i], '\n') {
		if b[i-1] == '\n' || (b[i-1] == '\r' && i > 1 && b[i-2] == '\n') {
			b = b[i+1:]
			break
		}
	}
	_, b, found := bytes.Cut(b, []byte("\n")) // the start line
	for found {
		var line []byte
		line, b, found = bytes.Cut(b, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok || len(name) == 0 || name[0] == ' ' || name[0] == '\t' {
			return false
		}
		if !fn(name, trimSpaceTab(value)) {
			return false
		}
	}
	return true
}

// headMatches reports whether headFields of head gives exactly h.
func headMatches(head []byte, h []Header) bool {
	if len(head) == 0 { // read back as no head (nilIfEmpty)
		return false
	}
	i := 0
	ok := headFields(head, func(name, value []byte) bool {
		if i >= len(h) || string(name) != h[i].Name || string(value) != h[i].Value {
			return false
		}
		i++
		return true
	})
	return ok && i == len(h)
}

// headersFromHead is the list stored as "": headFields of head.
func headersFromHead(head []byte) ([]Header, error) {
	if len(head) == 0 {
		return nil, errNoHead
	}
	out := []Header{}
	if !headFields(head, func(name, value []byte) bool {
		out = append(out, Header{Name: string(name), Value: string(value)})
		return true
	}) {
		return nil, errors.New("stored as its head's fields, but the head has a line that is not a field")
	}
	return out, nil
}

// headersColumn is how the list h is stored beside head: "" when head's
// fields are h, else h as JSON (in the row's scratch buffer).
func (j *jsonScratch) headersColumn(h []Header, head []byte) string {
	if headMatches(head, h) {
		return ""
	}
	return j.headers(h)
}

// headersOfColumn reads a column headersColumn wrote.
func headersOfColumn(col string, head []byte) ([]Header, error) {
	if col == "" {
		return headersFromHead(head)
	}
	return headersFrom(col)
}

// trimSpaceTab is b without its leading and trailing spaces and tabs.
func trimSpaceTab(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}
