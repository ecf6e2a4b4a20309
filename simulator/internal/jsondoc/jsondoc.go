// Package jsondoc parses JSON into a tree that keeps what encoding/json
// throws away: member order, repeated keys and the byte offset of every
// value, so callers can report problems by line and reproduce serde's
// rules (Stalwart's JSON library) exactly. It is as strict as serde_json:
// invalid UTF-8, lone surrogate escapes, nesting past serde_json's
// recursion limit, numbers out of f64 range and trailing characters are
// errors, except in values the caller marks as skipped (see Options).
package jsondoc

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
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
	// Skipped is true for a value the parser skipped as serde's IgnoredAny
	// does (see Options.Skip) and everything inside it.
	Skipped bool
	// Elided is true for an array or object nested deeper than MaxTreeDepth
	// inside a skipped value: its syntax was checked, but Items and Members
	// are left empty.
	Elided bool
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

// MaxDepth is the deepest nesting of arrays and objects accepted outside
// skipped values: serde_json's recursion limit. serde_json starts a
// Deserializer with remaining_depth 128 and its check_recursion! macro
// fails with "recursion limit exceeded" when entering an array or object
// brings it to 0 (serde_json src/de.rs, Deserializer::new and
// check_recursion!), so 127 levels parse and the 128th fails. Scalars do
// not count.
const MaxDepth = 127

// MaxTreeDepth is how deep a skipped value is kept as a tree. Deeper
// content is still checked (serde_json checks its syntax while skipping,
// at any depth), but iteratively and without building nodes, so hostile
// input cannot exhaust the stack.
const MaxTreeDepth = 64

// Options changes what Parse accepts.
type Options struct {
	// Skip reports whether the value of member key, in the object found
	// at path (the steps from the root to that object), is skipped the way serde skips an unknown field of a struct:
	// serde_json's Deserializer::ignore_value, which checks JSON syntax
	// (control characters, escapes and their four hex digits, number
	// grammar, brackets) but not UTF-8 (SliceRead::ignore_str), not
	// surrogate pairs (ignore_escape only reads the four hex digits) and
	// not nesting depth (ignore_value keeps its own stack and never calls
	// check_recursion!). nil skips nothing.
	Skip func(path []Step, key string) bool
}

// Step is one step of a path from the root: into an object member (Key,
// with Index -1) or into an array item (Index, from 0).
type Step struct {
	Key   string
	Index int
}

// SyntaxError is a parse failure at a byte offset.
type SyntaxError struct {
	Off int
	Msg string
}

func (e *SyntaxError) Error() string { return e.Msg }

// Parse parses one JSON document (RFC 8259, no trailing garbage) into
// a tree of positioned nodes.
func Parse(data []byte) (*Node, error) {
	return ParseWith(data, Options{})
}

// ParseWith is Parse with serde's leniency for skipped values (see
// Options). Errors are *SyntaxError.
func ParseWith(data []byte, opt Options) (*Node, error) {
	p := &parser{data: data, skip: opt.Skip}
	p.skipSpace()
	n, err := p.value(0, false)
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
	skip func(path []Step, key string) bool
	path []Step // the members and items being parsed
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

// value parses the value at p.pos; depth counts the arrays and objects
// around it, skipped tells a value inside a skipped one.
func (p *parser) value(depth int, skipped bool) (*Node, error) {
	if p.pos >= len(p.data) {
		return nil, p.errf("unexpected end of file, expected a value")
	}
	start := p.pos
	switch c := p.data[p.pos]; {
	case c == '{' || c == '[':
		if !skipped && depth >= MaxDepth {
			return nil, p.errf("recursion limit exceeded: more than %d nested arrays and objects", MaxDepth)
		}
		if skipped && depth >= MaxTreeDepth {
			return p.skipDeep()
		}
		if c == '{' {
			return p.object(depth, skipped)
		}
		return p.array(depth, skipped)
	case c == '"':
		s, err := p.str(skipped)
		if err != nil {
			return nil, err
		}
		return &Node{Kind: String, Off: start, Text: s, Skipped: skipped}, nil
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number(skipped)
	case c == 't':
		return p.literal("true", &Node{Kind: Bool, Off: start, Bool: true, Skipped: skipped})
	case c == 'f':
		return p.literal("false", &Node{Kind: Bool, Off: start, Skipped: skipped})
	case c == 'n':
		return p.literal("null", &Node{Kind: Null, Off: start, Skipped: skipped})
	default:
		return nil, p.errf("unexpected %s, expected a value", p.describe())
	}
}

// skipDeep checks the syntax of the array or object at p.pos without
// recursion or nodes, as serde_json's ignore_value does (a stack of open
// brackets), and returns an Elided node.
func (p *parser) skipDeep() (*Node, error) {
	n := &Node{Kind: Array, Off: p.pos, Skipped: true, Elided: true}
	if p.data[p.pos] == '{' {
		n.Kind = Object
	}
	var open []byte
	for {
		// p.pos is at the start of a value.
		c := p.data[p.pos]
		switch c {
		case '{', '[':
			p.pos++
			p.skipSpace()
			if p.pos < len(p.data) && p.data[p.pos] == c+2 { // '}' is '{'+2, ']' is '['+2
				p.pos++
				break
			}
			open = append(open, c)
			if err := p.skipMemberStart(c); err != nil {
				return nil, err
			}
			continue
		default:
			if _, err := p.value(0, true); err != nil {
				return nil, err
			}
		}
		// After a value: ',' then the next one, or close brackets.
		for {
			if len(open) == 0 {
				return n, nil
			}
			p.skipSpace()
			top := open[len(open)-1]
			if p.pos >= len(p.data) {
				return nil, p.errf("unexpected end of file, expected ',' or '%c'", top+2)
			}
			switch p.data[p.pos] {
			case ',':
				p.pos++
				if err := p.skipMemberStart(top); err != nil {
					return nil, err
				}
			case top + 2:
				p.pos++
				open = open[:len(open)-1]
				continue
			default:
				return nil, p.errf("unexpected %s, expected ',' or '%c'", p.describe(), top+2)
			}
			break
		}
	}
}

// skipMemberStart moves p.pos to the next value inside a container opened
// by c: past the key and ':' in an object.
func (p *parser) skipMemberStart(c byte) error {
	p.skipSpace()
	if c == '{' {
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return p.errf("unexpected %s, expected a quoted object key", p.describe())
		}
		if _, err := p.str(true); err != nil {
			return err
		}
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return p.errf("unexpected %s after object key, expected ':'", p.describe())
		}
		p.pos++
		p.skipSpace()
	}
	if p.pos >= len(p.data) {
		return p.errf("unexpected end of file, expected a value")
	}
	return nil
}

func (p *parser) literal(word string, n *Node) (*Node, error) {
	if len(p.data)-p.pos < len(word) || string(p.data[p.pos:p.pos+len(word)]) != word {
		return nil, p.errf("invalid literal, expected %s", word)
	}
	p.pos += len(word)
	return n, nil
}

func (p *parser) object(depth int, skipped bool) (*Node, error) {
	n := &Node{Kind: Object, Off: p.pos, Skipped: skipped}
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
		key, err := p.str(skipped)
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return nil, p.errf("unexpected %s after object key %q, expected ':'", p.describe(), key)
		}
		p.pos++
		p.skipSpace()
		skipValue := skipped || (p.skip != nil && p.skip(p.path, key))
		p.path = append(p.path, Step{Key: key, Index: -1})
		v, err := p.value(depth+1, skipValue)
		p.path = p.path[:len(p.path)-1]
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

func (p *parser) array(depth int, skipped bool) (*Node, error) {
	n := &Node{Kind: Array, Off: p.pos, Skipped: skipped}
	p.pos++ // [
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		return n, nil
	}
	p.path = append(p.path, Step{})
	defer func() { p.path = p.path[:len(p.path)-1] }()
	for i := 0; ; i++ {
		p.path[len(p.path)-1].Index = i
		p.skipSpace()
		v, err := p.value(depth+1, skipped)
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

// str reads a quoted string at p.pos and decodes it. In a skipped value
// (skipped true) invalid UTF-8 and lone surrogates are accepted, as
// serde_json's SliceRead::ignore_str and ignore_escape accept them; the
// text keeps U+FFFD in their place.
func (p *parser) str(skipped bool) (string, error) {
	start := p.pos
	i := p.pos + 1
	escaped := false
	for i < len(p.data) {
		switch c := p.data[i]; {
		case c == '"':
			raw := p.data[start : i+1]
			valid := utf8.Valid(raw)
			if !valid && !skipped {
				return "", &SyntaxError{Off: start, Msg: "invalid UTF-8 in string"}
			}
			if !escaped {
				// Most strings have no escape: no decoding needed.
				p.pos = i + 1
				if !valid {
					return strings.ToValidUTF8(string(raw[1:len(raw)-1]), "\uFFFD"), nil
				}
				return string(raw[1 : len(raw)-1]), nil
			}
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return "", &SyntaxError{Off: start, Msg: "invalid string: " + err.Error()}
			}
			if off, v, bad := loneSurrogate(raw); bad && !skipped {
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

// number reads a number. Outside skipped values a number that serde_json
// would read as an f64 (a fraction, an exponent, or an integer beyond
// u64/i64) must be finite: serde_json's f64_from_parts fails with "number
// out of range" on overflow (src/de.rs). Go rounds correctly where
// serde_json (without float_roundtrip) multiplies by powers of ten, so the
// two can differ within an ULP of math.MaxFloat64.
func (p *parser) number(skipped bool) (*Node, error) {
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
	text := string(p.data[start:i])
	if !skipped {
		if _, err := strconv.ParseFloat(text, 64); errors.Is(err, strconv.ErrRange) {
			if f, _ := strconv.ParseFloat(text, 64); math.IsInf(f, 0) {
				p.pos = start
				return nil, p.errf("number out of range")
			}
		}
	}
	p.pos = i
	return &Node{Kind: Number, Off: start, Text: text, Skipped: skipped}, nil
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
