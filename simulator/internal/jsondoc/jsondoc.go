// Package jsondoc parses JSON into a tree that keeps what encoding/json
// throws away: member order, repeated keys and the byte offset of every
// value, so callers can report problems by line and reproduce serde's
// rules (Stalwart's JSON library) exactly. It is as strict as serde_json:
// invalid UTF-8, lone surrogate escapes and trailing characters are errors.
package jsondoc

import (
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Kind is the type of a JSON value.
type Kind uint8

const (
	Null Kind = iota
	Bool
	Number
	String
	Array
	Object
)

func (k Kind) String() string {
	return [...]string{"null", "a boolean", "a number", "a string", "an array", "an object"}[k]
}

// Node is one JSON value with the byte offset where it starts, so that
// every problem can be reported with its line.
type Node struct {
	Kind    Kind
	Off     int // byte offset where the value starts
	Bool    bool
	Text    string // decoded string, or the number as written
	Items   []*Node
	Members []Member // object members in document order, repeats kept
}

// Member is one "key": value pair of an object.
type Member struct {
	Key    string
	KeyOff int
	Value  *Node
}

// Get returns the value of the last member named key (the one a JSON
// decoder keeps), or nil.
func (n *Node) Get(key string) *Node {
	var v *Node
	for _, m := range n.Members {
		if m.Key == key {
			v = m.Value
		}
	}
	return v
}

// MaxDepth bounds nesting so hostile input cannot exhaust the stack.
const MaxDepth = 64

// SyntaxError is a parse failure at a byte offset.
type SyntaxError struct {
	Off int
	Msg string
}

func (e *SyntaxError) Error() string { return e.Msg }

// Parse parses one JSON document (RFC 8259, no trailing garbage) into
// a tree of positioned nodes.
func Parse(data []byte) (*Node, error) {
	p := &parser{data: data}
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

type parser struct {
	data []byte
	pos  int
}

func (p *parser) errf(format string, args ...any) error {
	return &SyntaxError{Off: p.pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) describe() string {
	if p.pos >= len(p.data) {
		return "end of file"
	}
	r, _ := utf8.DecodeRune(p.data[p.pos:])
	return strconv.QuoteRune(r)
}

func (p *parser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\r', '\n':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) value(depth int) (*Node, error) {
	if depth > MaxDepth {
		return nil, p.errf("nesting deeper than %d levels", MaxDepth)
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
		return &Node{Kind: String, Off: start, Text: s}, nil
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case c == 't':
		return p.literal("true", &Node{Kind: Bool, Off: start, Bool: true})
	case c == 'f':
		return p.literal("false", &Node{Kind: Bool, Off: start})
	case c == 'n':
		return p.literal("null", &Node{Kind: Null, Off: start})
	default:
		return nil, p.errf("unexpected %s, expected a value", p.describe())
	}
}

func (p *parser) literal(word string, n *Node) (*Node, error) {
	if len(p.data)-p.pos < len(word) || string(p.data[p.pos:p.pos+len(word)]) != word {
		return nil, p.errf("invalid literal, expected %s", word)
	}
	p.pos += len(word)
	return n, nil
}

func (p *parser) object(depth int) (*Node, error) {
	n := &Node{Kind: Object, Off: p.pos}
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
		n.Members = append(n.Members, Member{Key: key, KeyOff: keyOff, Value: v})
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

func (p *parser) array(depth int) (*Node, error) {
	n := &Node{Kind: Array, Off: p.pos}
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
		n.Items = append(n.Items, v)
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
func (p *parser) str() (string, error) {
	start := p.pos
	i := p.pos + 1
	escaped := false
	for i < len(p.data) {
		switch c := p.data[i]; {
		case c == '"':
			raw := p.data[start : i+1]
			if !utf8.Valid(raw) {
				return "", &SyntaxError{Off: start, Msg: "invalid UTF-8 in string"}
			}
			if !escaped {
				// Most strings have no escape: no decoding needed.
				p.pos = i + 1
				return string(raw[1 : len(raw)-1]), nil
			}
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return "", &SyntaxError{Off: start, Msg: "invalid string: " + err.Error()}
			}
			if off, v, bad := loneSurrogate(raw); bad {
				return "", &SyntaxError{Off: start + off, Msg: fmt.Sprintf("lone surrogate \\u%04X in a string", v)}
			}
			p.pos = i + 1
			return s, nil
		case c == '\\':
			escaped = true
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

func (p *parser) number() (*Node, error) {
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
	return &Node{Kind: Number, Off: start, Text: string(p.data[start:i])}, nil
}

// LineIndex maps byte offsets to 1-based line numbers.
type LineIndex []int // offsets where each line starts

func NewLineIndex(data []byte) LineIndex {
	idx := LineIndex{0}
	for i, c := range data {
		if c == '\n' {
			idx = append(idx, i+1)
		}
	}
	return idx
}

// Line returns the 1-based line holding byte offset off.
func (li LineIndex) Line(off int) int {
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

// Column returns the 1-based column (in bytes) of offset off.
func (li LineIndex) Column(off int) int {
	return off - li[li.Line(off)-1] + 1
}

// loneSurrogate finds a \uD800-\uDFFF escape that is not part of a
// high-low pair in the quoted string raw: serde_json refuses those where
// encoding/json silently writes U+FFFD. It returns the escape's offset.
func loneSurrogate(raw []byte) (off int, v uint64, bad bool) {
	for i := 0; i+1 < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		if raw[i+1] != 'u' || i+6 > len(raw) {
			i++
			continue
		}
		v, err := strconv.ParseUint(string(raw[i+2:i+6]), 16, 16)
		if err != nil || v < 0xD800 || v > 0xDFFF {
			i += 5
			continue
		}
		if v < 0xDC00 && i+12 <= len(raw) && raw[i+6] == '\\' && raw[i+7] == 'u' {
			if w, err := strconv.ParseUint(string(raw[i+8:i+12]), 16, 16); err == nil && w >= 0xDC00 && w <= 0xDFFF {
				i += 11
				continue
			}
		}
		return i, v, true
	}
	return 0, 0, false
}
