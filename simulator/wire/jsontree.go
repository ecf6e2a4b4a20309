package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// node is one JSON value with its members in document order, duplicates
// kept, so the parser can reproduce serde's rules (duplicate fields are an
// error) and the lints can see keys Stalwart ignores.
type node struct {
	kind    nodeKind
	text    string // string value, or the number's literal text
	boolean bool
	members []member // objects
	items   []*node  // arrays
}

type member struct {
	key string
	val *node
}

type nodeKind int

const (
	kindNull nodeKind = iota
	kindBool
	kindNumber
	kindString
	kindObject
	kindArray
)

// get returns the first member named key, or nil.
func (n *node) get(key string) *node {
	for _, m := range n.members {
		if m.key == key {
			return m.val
		}
	}
	return nil
}

// describe renders a value for "got ..." in error messages.
func (n *node) describe() string {
	switch n.kind {
	case kindNull:
		return "null"
	case kindBool:
		return strconv.FormatBool(n.boolean)
	case kindNumber:
		return n.text
	case kindString:
		s := n.text
		if len(s) > 40 {
			s = s[:40] + "..."
		}
		return strconv.Quote(s)
	case kindObject:
		return "an object"
	default:
		return "an array"
	}
}

// parseTree parses body as one JSON value with nothing but white space
// after it, rejecting what serde_json rejects: invalid UTF-8, lone
// surrogate escapes, trailing characters.
func parseTree(body []byte) (*node, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, errors.New("empty body: a hook must answer with a JSON object")
	}
	if !utf8.Valid(body) {
		return nil, errors.New("invalid JSON: the body is not valid UTF-8")
	}
	if err := checkSurrogates(body); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	n, err := readValue(dec)
	if err != nil {
		return nil, syntaxError(body, dec, err)
	}
	end := dec.InputOffset()
	for end < int64(len(body)) && isSpace(body[end]) {
		end++
	}
	if end < int64(len(body)) {
		return nil, fmt.Errorf("invalid JSON: trailing characters at %s", position(body, end))
	}
	return n, nil
}

func readValue(dec *json.Decoder) (*node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case nil:
		return &node{kind: kindNull}, nil
	case bool:
		return &node{kind: kindBool, boolean: t}, nil
	case json.Number:
		return &node{kind: kindNumber, text: string(t)}, nil
	case string:
		return &node{kind: kindString, text: t}, nil
	case json.Delim:
		switch t {
		case '{':
			n := &node{kind: kindObject}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, _ := kt.(string)
				v, err := readValue(dec)
				if err != nil {
					return nil, err
				}
				n.members = append(n.members, member{key: key, val: v})
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return n, nil
		case '[':
			n := &node{kind: kindArray}
			for dec.More() {
				v, err := readValue(dec)
				if err != nil {
					return nil, err
				}
				n.items = append(n.items, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return n, nil
		}
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

func syntaxError(body []byte, dec *json.Decoder, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("invalid JSON: the body ends in the middle of a value")
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("invalid JSON at %s: %s", position(body, se.Offset-1), strings.TrimPrefix(se.Error(), "invalid character "))
	}
	return fmt.Errorf("invalid JSON at %s: %v", position(body, dec.InputOffset()), err)
}

// position renders the byte at offset off as "line L, column C", both
// 1-based (serde_json's way of pointing into a body).
func position(body []byte, off int64) string {
	off = max(0, min(off, int64(len(body))))
	line := 1 + bytes.Count(body[:off], []byte{'\n'})
	col := off - int64(bytes.LastIndexByte(body[:off], '\n'))
	return fmt.Sprintf("line %d, column %d", line, col)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// checkSurrogates refuses \uD800-\uDFFF escapes that do not form a pair:
// serde_json fails on them where encoding/json silently writes U+FFFD.
func checkSurrogates(body []byte) error {
	inString := false
	for i := 0; i < len(body); i++ {
		c := body[i]
		if !inString {
			if c == '"' {
				inString = true
			}
			continue
		}
		switch c {
		case '"':
			inString = false
		case '\\':
			if i+1 < len(body) && body[i+1] == 'u' && i+5 < len(body) {
				v, err := strconv.ParseUint(string(body[i+2:i+6]), 16, 16)
				if err == nil && v >= 0xD800 && v <= 0xDFFF {
					low := v >= 0xDC00
					paired := false
					if !low && i+11 < len(body) && body[i+6] == '\\' && body[i+7] == 'u' {
						w, err := strconv.ParseUint(string(body[i+8:i+12]), 16, 16)
						paired = err == nil && w >= 0xDC00 && w <= 0xDFFF
					}
					if !paired {
						return fmt.Errorf("invalid JSON at %s: lone surrogate \\u%04X in a string", position(body, int64(i)), v)
					}
					i += 11
					continue
				}
			}
			i++
		}
	}
	return nil
}
