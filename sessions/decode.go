package sessions

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxNodes bounds how many YAML nodes one script may expand to, so that
// aliases cannot make a small script explode (billion laughs): a script
// of n bytes may expand to max(maxNodes, n) nodes. Without aliases a
// node takes at least one byte of the script, so a long script written
// out whole (an export with thousands of expected modifications) always
// fits, and aliases can at most multiply a small script by a constant.
const maxNodes = 200000

// nodeBudget is how many YAML nodes a script of size bytes may expand to.
func nodeBudget(size int) int { return max(maxNodes, size) }

// decoder walks a yaml.Node tree and turns problems into *Error values
// carrying the file, the line and the field path.
type decoder struct {
	file   string
	budget int // nodes left
	limit  int // nodes allowed in all
}

// kv is one key/value pair of a YAML mapping.
type kv struct {
	key   string
	keyN  *yaml.Node
	value *yaml.Node
}

// errAt builds an *Error located at n.
func (d *decoder) errAt(n *yaml.Node, field, format string, args ...any) *Error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &Error{File: d.file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// errLine builds an *Error at a known line.
func (d *decoder) errLine(line int, field, format string, args ...any) *Error {
	return &Error{File: d.file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// resolve follows aliases and charges the node budget.
func (d *decoder) resolve(n *yaml.Node) (*yaml.Node, *Error) {
	for range 64 {
		if n == nil || n.Kind != yaml.AliasNode {
			break
		}
		if n.Alias == nil {
			return nil, d.errAt(n, "", "alias %q is not defined", n.Value)
		}
		n = n.Alias
	}
	if n != nil && n.Kind == yaml.AliasNode {
		return nil, d.errAt(n, "", "alias chain too deep")
	}
	d.budget--
	if d.budget < 0 {
		return nil, d.errAt(n, "", "script too large (more than %d YAML nodes after expanding aliases)", d.limit)
	}
	return n, nil
}

// child joins a field path and a key.
func child(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// index joins a field path and a list index.
func index(parent string, i int) string {
	return fmt.Sprintf("%s[%d]", parent, i)
}

// kindName describes a node's kind for error messages.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if isNull(n) {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	default:
		return "an unexpected YAML node"
	}
}

// isNull reports whether n is a YAML null (~, null, or an empty value).
func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// mapping checks that n is a mapping whose keys are all in valid (when
// valid is non-nil) and returns its pairs in document order.
func (d *decoder) mapping(n *yaml.Node, field, what string, valid []string) ([]kv, *Error) {
	n, err := d.resolve(n)
	if err != nil {
		return nil, err
	}
	if n.Kind != yaml.MappingNode {
		return nil, d.errAt(n, field, "want %s, got %s", what, kindName(n))
	}
	out := make([]kv, 0, len(n.Content)/2)
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, err := d.resolve(n.Content[i])
		if err != nil {
			return nil, err
		}
		if k.Kind != yaml.ScalarNode || isNull(k) {
			return nil, d.errAt(k, field, "keys must be plain names, got %s", kindName(k))
		}
		if valid != nil && !slices.Contains(valid, k.Value) {
			return nil, d.errAt(k, field, "%s", unknownKeyMsg("key", k.Value, valid))
		}
		if seen[k.Value] {
			return nil, d.errAt(k, child(field, k.Value), "duplicate key")
		}
		seen[k.Value] = true
		out = append(out, kv{key: k.Value, keyN: k, value: n.Content[i+1]})
	}
	return out, nil
}

// sequence checks that n is a list and returns its items.
func (d *decoder) sequence(n *yaml.Node, field, what string) ([]*yaml.Node, *Error) {
	n, err := d.resolve(n)
	if err != nil {
		return nil, err
	}
	if n.Kind != yaml.SequenceNode {
		return nil, d.errAt(n, field, "want %s, got %s", what, kindName(n))
	}
	return n.Content, nil
}

// scalar returns n's text; n must be a non-null scalar.
func (d *decoder) scalar(n *yaml.Node, field string) (string, *Error) {
	n, err := d.resolve(n)
	if err != nil {
		return "", err
	}
	if n.Kind != yaml.ScalarNode || isNull(n) {
		return "", d.errAt(n, field, "want a string, got %s", kindName(n))
	}
	if n.ShortTag() == "!!binary" {
		return "", d.errAt(n, field, "!!binary is only allowed for data.inline")
	}
	return n.Value, nil
}

// integer returns n as an integer in [lo, hi].
func (d *decoder) integer(n *yaml.Node, field string, lo, hi int64) (int64, *Error) {
	n, err := d.resolve(n)
	if err != nil {
		return 0, err
	}
	var v int64
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&v) != nil {
		return 0, d.errAt(n, field, "want an integer, got %s", kindName(n))
	}
	if v < lo || v > hi {
		return 0, d.errAt(n, field, "%d is out of range %d..%d", v, lo, hi)
	}
	return v, nil
}

// boolean returns n as a bool.
func (d *decoder) boolean(n *yaml.Node, field string) (bool, *Error) {
	n, err := d.resolve(n)
	if err != nil {
		return false, err
	}
	var v bool
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&v) != nil {
		return false, d.errAt(n, field, "want true or false, got %s", kindName(n))
	}
	return v, nil
}

// stringList accepts one string or a list of strings.
func (d *decoder) stringList(n *yaml.Node, field string) ([]string, *Error) {
	n, err := d.resolve(n)
	if err != nil {
		return nil, err
	}
	if n.Kind == yaml.ScalarNode {
		s, err := d.scalar(n, field)
		if err != nil {
			return nil, err
		}
		return []string{s}, nil
	}
	items, err := d.sequence(n, field, "a string or a list of strings")
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(items))
	for i, it := range items {
		s, err := d.scalar(it, index(field, i))
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// HasControl reports whether s holds a CR, LF or other control character:
// text a script refuses in names, ids and replies.
func HasControl(s string) bool { return hasControl(s) }

// hasControl reports whether s holds a CR, LF or other control character.
func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}
