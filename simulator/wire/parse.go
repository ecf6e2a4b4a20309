package wire

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseError says why Stalwart would refuse a hook's response body. Path
// is the JSON path of the offending value ("modifications[2].index"),
// empty for errors about the body as a whole.
type ParseError struct {
	Path string
	Msg  string
}

func (e *ParseError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// Actions lists the actions in the order the docs name them.
var Actions = []Action{ActionAccept, ActionDiscard, ActionReject, ActionQuarantine}

// ModTypes lists every modification type Stalwart accepts.
var ModTypes = []ModType{ModChangeFrom, ModAddRecipient, ModDeleteRecipient, ModReplaceContents,
	ModAddHeader, ModInsertHeader, ModChangeHeader, ModDeleteHeader}

// ParseResponse parses a hook's response body exactly as Stalwart's serde
// structs do: unknown keys are ignored, a missing or unknown action, an
// unknown modification type, a wrong JSON type anywhere (a string status,
// a negative index, null modifications, a number as a parameter value), a
// duplicate field or trailing characters make the whole body invalid.
func ParseResponse(body []byte) (*Response, error) {
	root, err := parseTree(body)
	if err != nil {
		return nil, &ParseError{Msg: err.Error()}
	}
	return decodeResponse(root)
}

func decodeResponse(root *node) (*Response, error) {
	if root.Kind != kindObject {
		return nil, &ParseError{Msg: "want a JSON object, got " + describe(root)}
	}
	if err := noDuplicates(root, "", "action", "response", "modifications"); err != nil {
		return nil, err
	}
	r := &Response{Modifications: []Modification{}}
	a := root.Get("action")
	if a == nil {
		return nil, &ParseError{Path: "action", Msg: "missing field (want one of " + actionList() + ")"}
	}
	if a.Kind != kindString {
		return nil, &ParseError{Path: "action", Msg: "want a string, got " + describe(a)}
	}
	r.Action = Action(a.Text)
	if !r.Action.Valid() {
		return nil, &ParseError{Path: "action", Msg: fmt.Sprintf("unknown action %q (want one of %s)", a.Text, actionList())}
	}
	if v := root.Get("response"); v != nil && v.Kind != kindNull {
		reply, err := decodeReply(v)
		if err != nil {
			return nil, err
		}
		r.Reply = reply
	}
	if v := root.Get("modifications"); v != nil {
		if v.Kind != kindArray {
			return nil, &ParseError{Path: "modifications", Msg: "want an array, got " + describe(v)}
		}
		for i, item := range v.Items {
			m, err := decodeModification(item, fmt.Sprintf("modifications[%d]", i))
			if err != nil {
				return nil, err
			}
			r.Modifications = append(r.Modifications, m)
		}
	}
	return r, nil
}

// Valid reports whether a is one of the four actions, spelled exactly.
func (a Action) Valid() bool {
	for _, v := range Actions {
		if v == a {
			return true
		}
	}
	return false
}

// Valid reports whether t is one of Stalwart's modification types.
func (t ModType) Valid() bool {
	for _, v := range ModTypes {
		if v == t {
			return true
		}
	}
	return false
}

func actionList() string {
	s := make([]string, len(Actions))
	for i, a := range Actions {
		s[i] = string(a)
	}
	return strings.Join(s, ", ")
}

func modTypeList() string {
	s := make([]string, len(ModTypes))
	for i, t := range ModTypes {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}

func decodeReply(v *node) (*SMTPResponse, error) {
	if v.Kind != kindObject {
		return nil, &ParseError{Path: "response", Msg: "want an object or null, got " + describe(v)}
	}
	if err := noDuplicates(v, "response.", "status", "enhanced_status", "message", "disconnect"); err != nil {
		return nil, err
	}
	reply := &SMTPResponse{}
	if s := v.Get("status"); s != nil && s.Kind != kindNull {
		n, err := unsigned(s, "response.status", 16)
		if err != nil {
			return nil, err
		}
		st := uint16(n)
		reply.Status = &st
	}
	var err error
	if reply.EnhancedStatus, err = optString(v.Get("enhanced_status"), "response.enhanced_status"); err != nil {
		return nil, err
	}
	if reply.Message, err = optString(v.Get("message"), "response.message"); err != nil {
		return nil, err
	}
	if d := v.Get("disconnect"); d != nil {
		if d.Kind != kindBool {
			return nil, &ParseError{Path: "response.disconnect", Msg: "want true or false, got " + describe(d)}
		}
		reply.Disconnect = d.Bool
	}
	return reply, nil
}

func decodeModification(v *node, path string) (Modification, error) {
	var m Modification
	if v.Kind != kindObject {
		return m, &ParseError{Path: path, Msg: "want an object, got " + describe(v)}
	}
	t := v.Get("type")
	if t == nil {
		return m, &ParseError{Path: path + ".type", Msg: "missing field (want one of " + modTypeList() + ")"}
	}
	if t.Kind != kindString {
		return m, &ParseError{Path: path + ".type", Msg: "want a string, got " + describe(t)}
	}
	m.Type = ModType(t.Text)
	var fields []string
	switch m.Type {
	case ModChangeFrom, ModAddRecipient:
		fields = []string{"value", "parameters"}
	case ModDeleteRecipient, ModReplaceContents:
		fields = []string{"value"}
	case ModAddHeader:
		fields = []string{"name", "value"}
	case ModInsertHeader, ModChangeHeader:
		fields = []string{"index", "name", "value"}
	case ModDeleteHeader:
		fields = []string{"index", "name"}
	default:
		msg := fmt.Sprintf("unknown type %q (want one of %s)", t.Text, modTypeList())
		if hint := modTypeHint(t.Text); hint != "" {
			msg += "; " + hint
		}
		return m, &ParseError{Path: path + ".type", Msg: msg}
	}
	if err := noDuplicates(v, path+".", append([]string{"type"}, fields...)...); err != nil {
		return m, err
	}
	for _, f := range fields {
		fv := v.Get(f)
		fp := path + "." + f
		switch f {
		case "parameters":
			if fv == nil {
				continue
			}
			params, err := decodeParameters(fv, fp)
			if err != nil {
				return m, err
			}
			m.Parameters = params
			continue
		case "index":
			if fv == nil {
				return m, &ParseError{Path: fp, Msg: "missing field (want an unsigned integer)"}
			}
			n, err := unsigned(fv, fp, 32)
			if err != nil {
				return m, err
			}
			m.Index = uint32(n)
			continue
		}
		if fv == nil {
			return m, &ParseError{Path: fp, Msg: "missing field (want a string)"}
		}
		if fv.Kind != kindString {
			return m, &ParseError{Path: fp, Msg: "want a string, got " + describe(fv)}
		}
		if f == "name" {
			m.Name = fv.Text
		} else {
			m.Value = fv.Text
		}
	}
	return m, nil
}

// modTypeHint explains the documentation's spellings that do not exist.
func modTypeHint(t string) string {
	switch t {
	case "addRcpt":
		return `the docs' "addRcpt" does not exist: use "addRecipient"`
	case "deleteRcpt":
		return `the docs' "deleteRcpt" does not exist: use "deleteRecipient"`
	}
	for _, v := range ModTypes {
		if strings.EqualFold(string(v), t) {
			return fmt.Sprintf("types are case-sensitive: use %q", v)
		}
	}
	return ""
}

func decodeParameters(v *node, path string) ([]Parameter, error) {
	if v.Kind != kindObject {
		return nil, &ParseError{Path: path, Msg: "want an object of string or null values, got " + describe(v)}
	}
	params := make([]Parameter, 0, len(v.Members))
	seen := map[string]bool{}
	for _, mb := range v.Members {
		p := path + "." + mb.Key
		if seen[mb.Key] {
			// serde into a map keeps the last value for a repeated key.
			for i := range params {
				if params[i].Key == mb.Key {
					params = append(params[:i], params[i+1:]...)
					break
				}
			}
		}
		seen[mb.Key] = true
		switch mb.Value.Kind {
		case kindNull:
			params = append(params, Parameter{Key: mb.Key})
		case kindString:
			s := mb.Value.Text
			params = append(params, Parameter{Key: mb.Key, Value: &s})
		default:
			return nil, &ParseError{Path: p, Msg: "want a string or null, got " + describe(mb.Value)}
		}
	}
	return params, nil
}

func optString(v *node, path string) (*string, error) {
	if v == nil || v.Kind == kindNull {
		return nil, nil
	}
	if v.Kind != kindString {
		return nil, &ParseError{Path: path, Msg: "want a string or null, got " + describe(v)}
	}
	s := v.Text
	return &s, nil
}

// unsigned reads an integer the way serde reads u16/u32: a JSON integer in
// range; a float literal (1.0, 1e2), a negative number or a string fails.
func unsigned(v *node, path string, bits int) (uint64, error) {
	want := "an unsigned integer"
	if bits == 16 {
		want = "an unsigned integer 0..65535"
	}
	if v.Kind != kindNumber {
		return 0, &ParseError{Path: path, Msg: "want " + want + ", got " + describe(v)}
	}
	if strings.ContainsAny(v.Text, ".eE") {
		return 0, &ParseError{Path: path, Msg: "want " + want + ", got the floating-point number " + v.Text}
	}
	if v.Text == "-0" {
		return 0, nil
	}
	n, err := strconv.ParseUint(v.Text, 10, bits)
	if err != nil {
		return 0, &ParseError{Path: path, Msg: "want " + want + ", got " + v.Text}
	}
	return n, nil
}

// noDuplicates fails on a repeated known field, as serde does ("duplicate
// field"); repeated unknown keys are ignored like all unknown keys.
func noDuplicates(v *node, prefix string, known ...string) error {
	seen := map[string]bool{}
	for _, m := range v.Members {
		for _, k := range known {
			if m.Key == k {
				if seen[k] {
					return &ParseError{Path: prefix + k, Msg: "duplicate field"}
				}
				seen[k] = true
			}
		}
	}
	return nil
}
