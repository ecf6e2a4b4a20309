package wire

import (
	"fmt"
	"strconv"
	"strings"
)

// A struct with a derived Deserialize reads two JSON forms: an object
// (visit_map: fields by name, unknown keys skipped, a repeated field an
// error) and an array (visit_seq: the fields in declaration order). In the
// array form a missing element is the field's default when the field has
// #[serde(default)], else "invalid length N, expected struct X with M
// elements" (serde_derive src/de.rs, deserialize_seq and
// expr_is_missing_seq); an element too many is an error too: serde_json's
// end_seq ("trailing characters") for Response and SmtpResponse, read
// straight from the body, and ContentDeserializer's SeqDeserializer::end
// ("invalid length N, expected M elements in sequence") for a
// modification, read from the serde Content it was buffered into. An
// internally tagged enum (Modification, #[serde(tag = "type")]) takes an
// array too: its first element is the tag, the rest are the variant's
// fields in order (serde's TaggedContentVisitor::visit_seq). Maps
// (parameters) and Vecs (modifications) have one form each: object and
// array.

// serdeStruct is one of Stalwart's structs, or struct variants of
// Modification, as serde derives its Deserialize
// (crates/smtp/src/inbound/hooks/mod.rs, v0.16.18).
type serdeStruct struct {
	what   string   // for messages: `an addHeader modification`
	fields []string // in declaration order; a modification's tag "type" first
	// required counts the leading fields without #[serde(default)]: in
	// every type of Stalwart's response the defaulted fields come last.
	required int
}

// responseStruct is Response: action, then response and modifications,
// both #[serde(default)].
var responseStruct = serdeStruct{what: "a response body", fields: knownKeys[""], required: 1}

// replyStruct is SmtpResponse: every field #[serde(default)].
var replyStruct = serdeStruct{what: `"response"`, fields: knownKeys["response"]}

// modStruct is the variant t of Modification, its tag first; parameters
// (changeFrom, addRecipient) is #[serde(default)], the other fields are
// required.
func modStruct(t ModType) serdeStruct {
	s := serdeStruct{what: "a" + article(string(t)) + " " + string(t) + " modification", fields: modKeys[t], required: len(modKeys[t])}
	if n := len(s.fields); n > 0 && s.fields[n-1] == "parameters" {
		s.required--
	}
	return s
}

func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "n"
	}
	return ""
}

// fits reports whether an array of n elements is a complete array form
// of s: no required field missing, no element too many.
func (s serdeStruct) fits(n int) bool { return n >= s.required && n <= len(s.fields) }

// loc is where a value is: its JSON path in the body ("[2][0][1]") and
// the path of the field serde reads it as ("modifications[0].index").
// The two differ only inside an array form.
type loc struct{ json, field string }

// String is the JSON path, followed by the field path in parentheses
// when the two differ: "[2][0][1] (modifications[0].index)".
func (l loc) String() string {
	if l.json == l.field {
		return l.json
	}
	return l.json + " (" + l.field + ")"
}

// key is the member k of the object at l.
func (l loc) key(k string) loc {
	j := joinKey(l.json, k)
	if l.json == l.field {
		return loc{j, j}
	}
	return loc{j, joinKey(l.field, k)}
}

// index is the item i of the array (a list, not a struct) at l.
func (l loc) index(i int) loc {
	j := l.json + "[" + strconv.Itoa(i) + "]"
	if l.json == l.field {
		return loc{j, j}
	}
	return loc{j, l.field + "[" + strconv.Itoa(i) + "]"}
}

// elem is the element i of the array form at l, read as the field name.
func (l loc) elem(i int, name string) loc {
	return loc{l.json + "[" + strconv.Itoa(i) + "]", joinKey(l.field, name)}
}

func joinKey(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

// record is a JSON object or array read as the struct s.
type record struct {
	n  *node
	at loc
	s  serdeStruct
}

// readRecord reads n, an object or an array, as s; an object with a
// repeated field fails as serde fails ("duplicate field").
func readRecord(n *node, at loc, s serdeStruct) (record, error) {
	r := record{n: n, at: at, s: s}
	if n.Kind == kindObject {
		if err := noDuplicates(n, at, s.fields...); err != nil {
			return r, err
		}
	}
	return r, nil
}

func (r record) isArray() bool { return r.n.Kind == kindArray }

// pos is the position of field name in the array form; callers name
// declared fields only (-1 otherwise).
func (r record) pos(name string) int {
	for i, f := range r.s.fields {
		if f == name {
			return i
		}
	}
	return -1
}

// get returns the value of field name, or nil when it is absent (the
// key, or the element, is not there).
func (r record) get(name string) *node {
	if !r.isArray() {
		return r.n.Get(name)
	}
	if i := r.pos(name); i >= 0 && i < len(r.n.Items) {
		return r.n.Items[i]
	}
	return nil
}

// loc is where field name is (or would be).
func (r record) loc(name string) loc {
	if !r.isArray() {
		return r.at.key(name)
	}
	return r.at.elem(r.pos(name), name)
}

// missing is the error for a required field that is absent; want says
// what it should be ("a string").
func (r record) missing(name, want string) error {
	if !r.isArray() {
		return &ParseError{Path: r.at.key(name).String(), Msg: "missing field (want " + want + ")"}
	}
	return &ParseError{Path: r.at.String(), Msg: fmt.Sprintf("missing element [%d], %s (want %s): %s given as an array lists %s",
		r.pos(name), name, want, r.s.what, strings.Join(r.s.fields, ", "))}
}

// extra fails an array form with more elements than s has fields,
// checked once the fields are read, as serde does.
func (r record) extra() error {
	if !r.isArray() || len(r.n.Items) <= len(r.s.fields) {
		return nil
	}
	return &ParseError{Path: r.at.String(), Msg: fmt.Sprintf("too many elements (%d): %s given as an array lists only %s",
		len(r.n.Items), r.s.what, strings.Join(r.s.fields, ", "))}
}

// noDuplicates fails on a repeated known field, as serde does ("duplicate
// field"); repeated unknown keys are ignored like all unknown keys.
func noDuplicates(v *node, at loc, known ...string) error {
	if len(v.Members) < 2 {
		return nil
	}
	var seen uint64 // bit i: known[i] was seen; a struct has a few fields
	for _, m := range v.Members {
		for i, k := range known {
			if m.Key == k {
				if seen&(1<<i) != 0 {
					return &ParseError{Path: at.key(k).String(), Msg: "duplicate field"}
				}
				seen |= 1 << i
			}
		}
	}
	return nil
}
