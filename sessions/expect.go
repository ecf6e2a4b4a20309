package sessions

import (
	"math"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// expectKeys are the keys of an expect block.
var expectKeys = []string{"action", "reply", "code", "reply_matches", "modifications", "envelope", "delivered", "headers", "queued_headers", "body_contains", "lints"}

// Actions are the values an expect's action may take: the hook actions,
// "error" for a hook error and "none" when no hook was called.
var actions = []string{"accept", "reject", "discard", "quarantine", "error", "none"}

// modificationTypes are the modification types Stalwart parses, spelled
// exactly as on the wire.
var modificationTypes = []string{"changeFrom", "addRecipient", "deleteRecipient", "replaceContents", "addHeader", "insertHeader", "changeHeader", "deleteHeader"}

// parameterTypes are the modification types that carry ESMTP parameters.
var parameterTypes = []string{"changeFrom", "addRecipient"}

// modificationKeys are the keys of an expected modification.
var modificationKeys = []string{"type", "name", "value", "index", "parameters"}

// expect decodes an expect block; null gives nil.
func (d *decoder) expect(n *yaml.Node, field string) (*Expect, *Error) {
	if isNull(n) {
		return nil, nil
	}
	pairs, err := d.mapping(n, field, "a mapping ("+strings.Join(expectKeys, ", ")+")", expectKeys)
	if err != nil {
		return nil, err
	}
	e := &Expect{Line: n.Line}
	for _, p := range pairs {
		f := child(field, p.key)
		switch p.key {
		case "action":
			v, err := d.scalar(p.value, f)
			if err != nil {
				return nil, err
			}
			if !slices.Contains(actions, v) {
				return nil, d.errAt(p.value, f, "%s", unknownKeyMsg("action", v, actions))
			}
			e.Action = v
		case "reply":
			v, err := d.scalar(p.value, f)
			if err != nil {
				return nil, err
			}
			e.Reply = strings.TrimRight(v, "\r\n")
			if hasControl(e.Reply) {
				return nil, d.errAt(p.value, f, "a reply is one line")
			}
		case "code":
			v, err := d.integer(p.value, f, 100, 999)
			if err != nil {
				return nil, err
			}
			e.Code = int(v)
		case "reply_matches":
			v, err := d.scalar(p.value, f)
			if err != nil {
				return nil, err
			}
			re, rerr := regexp.Compile(v)
			if rerr != nil {
				return nil, d.errAt(p.value, f, "bad regular expression: %v", rerr)
			}
			e.ReplyMatch = re
		case "modifications":
			if e.Modifications, err = d.modifications(p.value, f); err != nil {
				return nil, err
			}
		case "envelope":
			if e.Envelope, err = d.envelope(p.value, f); err != nil {
				return nil, err
			}
		case "delivered":
			v, err := d.boolean(p.value, f)
			if err != nil {
				return nil, err
			}
			e.Delivered = &v
		case "headers":
			if e.Headers, err = d.headers(p.value, f); err != nil {
				return nil, err
			}
		case "queued_headers":
			if e.QueuedHeaders, err = d.headers(p.value, f); err != nil {
				return nil, err
			}
		case "body_contains":
			if e.BodyContains, err = d.stringList(p.value, f); err != nil {
				return nil, err
			}
		case "lints":
			if e.Lints, err = d.stringList(p.value, f); err != nil {
				return nil, err
			}
			for i, l := range e.Lints {
				if strings.TrimSpace(l) == "" || hasControl(l) {
					return nil, d.errAt(p.value, index(f, i), "%q is not a lint code", l)
				}
			}
		}
	}
	return e, nil
}

// modifications decodes the expected modifications list.
func (d *decoder) modifications(n *yaml.Node, field string) ([]ExpectModification, *Error) {
	items, err := d.sequence(n, field, "a list of modifications")
	if err != nil {
		return nil, err
	}
	out := make([]ExpectModification, 0, len(items))
	for i, it := range items {
		f := index(field, i)
		pairs, err := d.mapping(it, f, "a mapping ("+strings.Join(modificationKeys, ", ")+")", modificationKeys)
		if err != nil {
			return nil, err
		}
		var m ExpectModification
		var paramsKey *yaml.Node
		for _, p := range pairs {
			pf := child(f, p.key)
			switch p.key {
			case "type":
				v, err := d.scalar(p.value, pf)
				if err != nil {
					return nil, err
				}
				if !slices.Contains(modificationTypes, v) {
					return nil, d.errAt(p.value, pf, "%s", unknownKeyMsg("modification type", v, modificationTypes))
				}
				m.Type = v
			case "name":
				if m.Name, err = d.scalar(p.value, pf); err != nil {
					return nil, err
				}
			case "value":
				if m.Value, err = d.scalar(p.value, pf); err != nil {
					return nil, err
				}
			case "index":
				v, err := d.integer(p.value, pf, 0, math.MaxUint32)
				if err != nil {
					return nil, err
				}
				u := uint32(v)
				m.Index = &u
			case "parameters":
				paramsKey = p.keyN
				if m.Parameters, err = d.parameters(p.value, pf); err != nil {
					return nil, err
				}
			}
		}
		if paramsKey != nil && !slices.Contains(parameterTypes, m.Type) {
			pf := child(f, "parameters")
			if m.Type == "" {
				return nil, d.errAt(paramsKey, pf, "parameters need type changeFrom or addRecipient")
			}
			return nil, d.errAt(paramsKey, pf, "only changeFrom and addRecipient carry parameters, not %s", m.Type)
		}
		out = append(out, m)
	}
	return out, nil
}

// parameters decodes the ESMTP parameters of an expected changeFrom or
// addRecipient: a mapping of keyword to a string or null (a keyword
// without "=value"), as Stalwart's AHashMap<String, Option<String>>
// reads them. Keywords compare case-insensitively, so two that differ
// only in case are an error. {} gives an empty, non-nil map.
func (d *decoder) parameters(n *yaml.Node, field string) (map[string]*string, *Error) {
	pairs, err := d.mapping(n, field, "a mapping of ESMTP keyword to a string or null (e.g. {NOTIFY: \"SUCCESS,FAILURE\", RET: null}; {} for none)", nil)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*string, len(pairs))
	seen := map[string]string{}
	for _, p := range pairs {
		f := child(field, p.key)
		folded := ParameterKeyFold(p.key)
		if prev, ok := seen[folded]; ok {
			return nil, d.errAt(p.keyN, f, "ESMTP keywords compare case-insensitively: %q is already given as %q", p.key, prev)
		}
		seen[folded] = p.key
		v, err := d.resolve(p.value)
		if err != nil {
			return nil, err
		}
		switch {
		case isNull(v):
			out[p.key] = nil
		case v.Kind == yaml.ScalarNode && v.ShortTag() == "!!str":
			s := v.Value
			out[p.key] = &s
		case v.Kind == yaml.ScalarNode:
			return nil, d.errAt(v, f, "want a string or null, got %s (%s): quote it, as the hook sends strings", v.Value, strings.TrimPrefix(v.ShortTag(), "!!"))
		default:
			return nil, d.errAt(v, f, "want a string or null, got %s", kindName(v))
		}
	}
	return out, nil
}

// ParameterKeyFold is an ESMTP keyword as compared: ASCII letters
// upper-cased, as smtp-proto reads keywords (request/parser.rs,
// hashed_value), every other byte kept.
func ParameterKeyFold(k string) string {
	b := []byte(k)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// envelope decodes {from, to}; from "" or "<>" is the null sender.
func (d *decoder) envelope(n *yaml.Node, field string) (*ExpectEnvelope, *Error) {
	pairs, err := d.mapping(n, field, "a mapping (from, to)", []string{"from", "to"})
	if err != nil {
		return nil, err
	}
	env := &ExpectEnvelope{}
	for _, p := range pairs {
		f := child(field, p.key)
		switch p.key {
		case "from":
			var v string
			if !isNull(p.value) {
				if v, err = d.scalar(p.value, f); err != nil {
					return nil, err
				}
			}
			v = stripBrackets(strings.TrimSpace(v))
			if v != "" && !envelopeAddress(v) {
				return nil, d.errAt(p.value, f, "%q is not an address", v)
			}
			env.From = &v
		case "to":
			list := []string{}
			rv, err := d.resolve(p.value)
			if err != nil {
				return nil, err
			}
			if !isNull(rv) {
				if list, err = d.stringList(rv, f); err != nil {
					return nil, err
				}
			}
			for i, a := range list {
				list[i] = stripBrackets(strings.TrimSpace(a))
				if !envelopeAddress(list[i]) {
					return nil, d.errAt(rv, index(f, i), "%q is not an address", a)
				}
			}
			env.To = list
		}
	}
	return env, nil
}

// envelopeAddress reports an address an envelope expectation may hold:
// any the server keeps, as Stalwart parsed it, which may have a blank (a
// quoted local part loses its quotes: "john doe"@example.org is
// john doe@example.org, smtp-proto parser.rs:473-476) or no domain
// (postmaster); only empty text and control characters are refused.
func envelopeAddress(s string) bool { return s != "" && !hasControl(s) }

// headers decodes a mapping of header name to what is expected of it
// (see ExpectHeader), keeping the document order: a value (one
// occurrence), a list (every occurrence in order), null (absent), or a
// mapping {count, matches}.
func (d *decoder) headers(n *yaml.Node, field string) ([]ExpectHeader, *Error) {
	pairs, err := d.mapping(n, field, "a mapping of header name to a value, a list of values, null (absent) or {count, matches}", nil)
	if err != nil {
		return nil, err
	}
	out := make([]ExpectHeader, 0, len(pairs))
	seen := map[string]string{}
	for _, p := range pairs {
		f := child(field, p.key)
		if !validHeaderName(p.key) {
			return nil, d.errAt(p.keyN, f, "%q is not a header name", p.key)
		}
		if prev, ok := seen[strings.ToLower(p.key)]; ok {
			return nil, d.errAt(p.keyN, f, "header names compare case-insensitively: %q is already given as %q (give a list for several occurrences)", p.key, prev)
		}
		seen[strings.ToLower(p.key)] = p.key
		h, err := d.header(p.key, p.value, f)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, nil
}

// headerFormKeys are the keys of the mapping form of a header expectation.
var headerFormKeys = []string{"count", "matches"}

// maxHeaderCount bounds an expected header count.
const maxHeaderCount = 100000

// header decodes what is expected of one header name.
func (d *decoder) header(name string, n *yaml.Node, f string) (ExpectHeader, *Error) {
	h := ExpectHeader{Name: name, Line: n.Line}
	rv, err := d.resolve(n)
	if err != nil {
		return h, err
	}
	switch {
	case isNull(rv):
		h.Absent = true
	case rv.Kind == yaml.SequenceNode:
		vals, err := d.stringList(rv, f)
		if err != nil {
			return h, err
		}
		if len(vals) == 0 {
			h.Absent = true
			break
		}
		for i := range vals {
			vals[i] = strings.TrimSpace(vals[i])
		}
		h.Values = vals
	case rv.Kind == yaml.MappingNode:
		pairs, err := d.mapping(rv, f, "a mapping (count, matches)", headerFormKeys)
		if err != nil {
			return h, err
		}
		if len(pairs) == 0 {
			return h, d.errAt(rv, f, "give count, matches or both (or null for an absent header)")
		}
		for _, p := range pairs {
			pf := child(f, p.key)
			switch p.key {
			case "count":
				v, err := d.integer(p.value, pf, 0, maxHeaderCount)
				if err != nil {
					return h, err
				}
				c := int(v)
				h.Count = &c
			case "matches":
				v, err := d.scalar(p.value, pf)
				if err != nil {
					return h, err
				}
				re, rerr := regexp.Compile(v)
				if rerr != nil {
					return h, d.errAt(p.value, pf, "bad regular expression: %v", rerr)
				}
				h.Matches = re
			}
		}
		if h.Count != nil && *h.Count == 0 {
			if h.Matches != nil {
				return h, d.errAt(rv, f, "count 0 means absent: there is nothing for matches to check")
			}
			h.Count, h.Absent = nil, true
		}
	default:
		v, err := d.scalar(rv, f)
		if err != nil {
			return h, err
		}
		h.Values = []string{strings.TrimSpace(v)}
	}
	return h, nil
}

// ValidHeaderName reports a header name a script can expect: printable
// ASCII without a colon or space.
func ValidHeaderName(s string) bool { return validHeaderName(s) }

// validHeaderName accepts printable ASCII without a colon or space.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == ':' {
			return false
		}
	}
	return true
}
