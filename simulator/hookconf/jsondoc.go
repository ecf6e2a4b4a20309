package hookconf

import (
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// jsonKind is the type of a JSON value.
type jsonKind uint8

const (
	jsonNull jsonKind = iota
	jsonBool
	jsonNumber
	jsonString
	jsonArray
	jsonObject
)

func (k jsonKind) String() string {
	return [...]string{"null", "a boolean", "a number", "a string", "an array", "an object"}[k]
}

// jsonNode is one JSON value with the byte offset where it starts, so that
// every problem can be reported with its line.
type jsonNode struct {
	kind    jsonKind
	off     int
	boolean bool
	text    string // decoded string, or the number as written
	items   []*jsonNode
	members []jsonMember // object members in document order
}

// jsonMember is one "key": value pair of an object.
type jsonMember struct {
	key    string
	keyOff int
	value  *jsonNode
}

// get returns the value of the last member named key (the one a JSON
// decoder keeps), or nil.
func (n *jsonNode) get(key string) *jsonNode {
	var v *jsonNode
	for _, m := range n.members {
		if m.key == key {
			v = m.value
		}
	}
	return v
}

// maxJSONDepth bounds nesting so hostile input cannot exhaust the stack.
const maxJSONDepth = 64

// jsonSyntaxError is a parse failure at a byte offset.
type jsonSyntaxError struct {
	off int
	msg string
}

func (e *jsonSyntaxError) Error() string { return e.msg }

// parseJSONDoc parses one JSON document (RFC 8259, no trailing garbage) into
// a tree of positioned nodes.
func parseJSONDoc(data []byte) (*jsonNode, error) {
	p := &jsonParser{data: data}
	p.skipSpace()
	n, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos < len(p.data) {
		return nil, p.errf("unexpected %s after the top-level value", p.describe())
	}
	return n, nil
}

type jsonParser struct {
	data []byte
	pos  int
}

func (p *jsonParser) errf(format string, args ...any) error {
	return &jsonSyntaxError{off: p.pos, msg: fmt.Sprintf(format, args...)}
}

func (p *jsonParser) describe() string {
	if p.pos >= len(p.data) {
		return "end of file"
	}
	r, _ := utf8.DecodeRune(p.data[p.pos:])
	return strconv.QuoteRune(r)
}

func (p *jsonParser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\r', '\n':
			p.pos++
		default:
			return
		}
	}
}

func (p *jsonParser) value(depth int) (*jsonNode, error) {
	if depth > maxJSONDepth {
		return nil, p.errf("nesting deeper than %d levels", maxJSONDepth)
	}
	if p.pos >= len(p.data) {
		return nil, p.errf("unexpected end of file, expected a value")
	}
	start := p.pos
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		return &jsonNode{kind: jsonString, off: start, text: s}, nil
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case c == 't':
		return p.literal("true", &jsonNode{kind: jsonBool, off: start, boolean: true})
	case c == 'f':
		return p.literal("false", &jsonNode{kind: jsonBool, off: start})
	case c == 'n':
		return p.literal("null", &jsonNode{kind: jsonNull, off: start})
	default:
		return nil, p.errf("unexpected %s, expected a value", p.describe())
	}
}

func (p *jsonParser) literal(word string, n *jsonNode) (*jsonNode, error) {
	if len(p.data)-p.pos < len(word) || string(p.data[p.pos:p.pos+len(word)]) != word {
		return nil, p.errf("invalid literal, expected %s", word)
	}
	p.pos += len(word)
	return n, nil
}

func (p *jsonParser) object(depth int) (*jsonNode, error) {
	n := &jsonNode{kind: jsonObject, off: p.pos}
	p.pos++ // {
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		return n, nil
	}
	for {
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return nil, p.errf("unexpected %s, expected a quoted object key", p.describe())
		}
		keyOff := p.pos
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return nil, p.errf("unexpected %s after object key %q, expected ':'", p.describe(), key)
		}
		p.pos++
		p.skipSpace()
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		n.members = append(n.members, jsonMember{key: key, keyOff: keyOff, value: v})
		p.skipSpace()
		if p.pos >= len(p.data) {
			return nil, p.errf("unexpected end of file, expected ',' or '}'")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			return n, nil
		default:
			return nil, p.errf("unexpected %s, expected ',' or '}'", p.describe())
		}
	}
}

func (p *jsonParser) array(depth int) (*jsonNode, error) {
	n := &jsonNode{kind: jsonArray, off: p.pos}
	p.pos++ // [
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		return n, nil
	}
	for {
		p.skipSpace()
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		n.items = append(n.items, v)
		p.skipSpace()
		if p.pos >= len(p.data) {
			return nil, p.errf("unexpected end of file, expected ',' or ']'")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return n, nil
		default:
			return nil, p.errf("unexpected %s, expected ',' or ']'", p.describe())
		}
	}
}

// str reads a quoted string at p.pos and decodes it.
func (p *jsonParser) str() (string, error) {
	start := p.pos
	i := p.pos + 1
	for i < len(p.data) {
		switch c := p.data[i]; {
		case c == '"':
			raw := p.data[start : i+1]
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return "", &jsonSyntaxError{off: start, msg: "invalid string: " + err.Error()}
			}
			if !utf8.Valid(raw) {
				return "", &jsonSyntaxError{off: start, msg: "invalid UTF-8 in string"}
			}
			p.pos = i + 1
			return s, nil
		case c == '\\':
			i += 2
		case c < 0x20:
			p.pos = i
			return "", p.errf("control character %q in string", rune(c))
		default:
			i++
		}
	}
	p.pos = start
	return "", p.errf("unterminated string")
}

func (p *jsonParser) number() (*jsonNode, error) {
	start := p.pos
	i := p.pos
	if i < len(p.data) && p.data[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(p.data) && p.data[i] >= '0' && p.data[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(p.data) && p.data[i] == '0' {
		i++
	} else if digits() == 0 {
		p.pos = i
		return nil, p.errf("invalid number")
	}
	if i < len(p.data) && p.data[i] == '.' {
		i++
		if digits() == 0 {
			p.pos = i
			return nil, p.errf("invalid number: digits expected after '.'")
		}
	}
	if i < len(p.data) && (p.data[i] == 'e' || p.data[i] == 'E') {
		i++
		if i < len(p.data) && (p.data[i] == '+' || p.data[i] == '-') {
			i++
		}
		if digits() == 0 {
			p.pos = i
			return nil, p.errf("invalid number: digits expected in exponent")
		}
	}
	p.pos = i
	return &jsonNode{kind: jsonNumber, off: start, text: string(p.data[start:i])}, nil
}

// lineIndex maps byte offsets to 1-based line numbers.
type lineIndex []int // offsets where each line starts

func newLineIndex(data []byte) lineIndex {
	idx := lineIndex{0}
	for i, c := range data {
		if c == '\n' {
			idx = append(idx, i+1)
		}
	}
	return idx
}

// line returns the 1-based line holding byte offset off.
func (li lineIndex) line(off int) int {
	lo, hi := 0, len(li)
	for lo+1 < hi {
		mid := (lo + hi) / 2
		if li[mid] <= off {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo + 1
}
