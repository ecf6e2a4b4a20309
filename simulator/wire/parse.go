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
// Like serde, it also takes each struct as an array of its fields in
// declaration order (["accept"] is {"action":"accept"}; see structform.go)
// and the action as serde_json's map form of an enum variant
// ({"accept":null}); the lints array-form and action-object-form say so.
// Errors are *ParseError; inside an array form their Path gives the JSON
// path and the field it stands for: "[2][0][1] (modifications[0].index)".
func ParseResponse(body []byte) (*Response, error) {
	root, err := parseTree(body)
	if err != nil {
		return nil, &ParseError{Msg: err.Error()}
	}
	return decodeResponse(root)
}

// decodeResponse reads root as Response (crates/smtp/src/inbound/hooks/
// mod.rs): an object, or the array [action, response, modifications].
func decodeResponse(root *node) (*Response, error) {
	if root.Kind != kindObject && root.Kind != kindArray {
		return nil, &ParseError{Msg: "want a JSON object, got " + describe(root)}
	}
	rec, err := readRecord(root, loc{}, responseStruct)
	if err != nil {
		return nil, err
	}
	r := &Response{Modifications: []Modification{}}
	a := rec.get("action")
	if a == nil {
		return nil, rec.missing("action", "one of "+actionList())
	}
	if r.Action, err = decodeAction(a, rec.loc("action")); err != nil {
		return nil, err
	}
	if v := rec.get("response"); v != nil && v.Kind != kindNull {
		reply, err := decodeReply(v, rec.loc("response"))
		if err != nil {
			return nil, err
		}
		r.Reply = reply
	}
	if v := rec.get("modifications"); v != nil {
		at := rec.loc("modifications")
		if v.Kind != kindArray {
			return nil, &ParseError{Path: at.String(), Msg: "want an array, got " + describe(v)}
		}
		for i, item := range v.Items {
			m, err := decodeModification(item, at.index(i))
			if err != nil {
				return nil, err
			}
			r.Modifications = append(r.Modifications, m)
		}
	}
	if err := rec.extra(); err != nil {
		return nil, err
	}
	return r, nil
}

// decodeAction reads the enum Action through serde_json's
// deserialize_enum: a string names the variant; an object with one key
// does too, its value the unit variant's content, which must be null
// ({"accept":null}, the externally tagged map form).
func decodeAction(a *node, at loc) (Action, error) {
	switch a.Kind {
	case kindString:
		if act := Action(a.Text); act.Valid() {
			return act, nil
		}
		return "", &ParseError{Path: at.String(), Msg: fmt.Sprintf("unknown action %q (want one of %s)", a.Text, actionList())}
	case kindObject:
		// serde_json reads the first key as the variant, then its value,
		// then wants the closing brace.
		if len(a.Members) == 0 {
			return "", &ParseError{Path: at.String(), Msg: `want a string, got an empty object (serde also takes an action as the key of a one-key object: {"accept": null})`}
		}
		m := a.Members[0]
		if !Action(m.Key).Valid() {
			return "", &ParseError{Path: at.String(), Msg: fmt.Sprintf("want a string, got an object whose first key %q is no action (want one of %s)", m.Key, actionList())}
		}
		if m.Value.Kind != kindNull {
			return "", &ParseError{Path: at.key(m.Key).String(), Msg: "want null (an action as an object is {\"" + m.Key + "\": null}), got " + describe(m.Value)}
		}
		if len(a.Members) > 1 {
			return "", &ParseError{Path: at.String(), Msg: fmt.Sprintf("an action as an object has one key, got %d", len(a.Members))}
		}
		return Action(m.Key), nil
	}
	return "", &ParseError{Path: at.String(), Msg: "want a string, got " + describe(a)}
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

// decodeReply reads SmtpResponse: an object, or the array [status,
// enhanced_status, message, disconnect], every field defaulted.
func decodeReply(v *node, at loc) (*SMTPResponse, error) {
	if v.Kind != kindObject && v.Kind != kindArray {
		return nil, &ParseError{Path: at.String(), Msg: "want an object or null, got " + describe(v)}
	}
	rec, err := readRecord(v, at, replyStruct)
	if err != nil {
		return nil, err
	}
	reply := &SMTPResponse{}
	if s := rec.get("status"); s != nil && s.Kind != kindNull {
		n, err := unsigned(s, rec.loc("status"), 16)
		if err != nil {
			return nil, err
		}
		st := uint16(n)
		reply.Status = &st
	}
	if reply.EnhancedStatus, err = optString(rec.get("enhanced_status"), rec, "enhanced_status"); err != nil {
		return nil, err
	}
	if reply.Message, err = optString(rec.get("message"), rec, "message"); err != nil {
		return nil, err
	}
	if d := rec.get("disconnect"); d != nil {
		if d.Kind != kindBool {
			return nil, &ParseError{Path: rec.loc("disconnect").String(), Msg: "want true or false, got " + describe(d)}
		}
		reply.Disconnect = d.Bool
	}
	if err := rec.extra(); err != nil {
		return nil, err
	}
	return reply, nil
}

// decodeModification reads the internally tagged enum Modification: an
// object with its "type", or an array whose first element is the type and
// the rest the variant's fields in declaration order.
func decodeModification(v *node, at loc) (Modification, error) {
	var m Modification
	var t *node
	var tagAt loc
	switch v.Kind {
	case kindObject:
		t, tagAt = v.Get("type"), at.key("type")
		if t == nil {
			return m, &ParseError{Path: tagAt.String(), Msg: "missing field (want one of " + modTypeList() + ")"}
		}
	case kindArray:
		if len(v.Items) == 0 {
			return m, &ParseError{Path: at.String(), Msg: "missing element [0], type (want one of " + modTypeList() + "): a modification given as an array lists its type first, then its fields"}
		}
		t, tagAt = v.Items[0], at.elem(0, "type")
	default:
		return m, &ParseError{Path: at.String(), Msg: "want an object, got " + describe(v)}
	}
	if t.Kind != kindString {
		return m, &ParseError{Path: tagAt.String(), Msg: "want a string, got " + describe(t)}
	}
	m.Type = ModType(t.Text)
	if !m.Type.Valid() {
		msg := fmt.Sprintf("unknown type %q (want one of %s)", t.Text, modTypeList())
		if hint := modTypeHint(t.Text); hint != "" {
			msg += "; " + hint
		}
		return m, &ParseError{Path: tagAt.String(), Msg: msg}
	}
	rec, err := readRecord(v, at, modStruct(m.Type))
	if err != nil {
		return m, err
	}
	for _, f := range rec.s.fields[1:] {
		fv := rec.get(f)
		switch f {
		case "parameters":
			if fv == nil {
				continue
			}
			params, err := decodeParameters(fv, rec.loc(f))
			if err != nil {
				return m, err
			}
			m.Parameters = params
			continue
		case "index":
			if fv == nil {
				return m, rec.missing(f, "an unsigned integer")
			}
			n, err := unsigned(fv, rec.loc(f), 32)
			if err != nil {
				return m, err
			}
			m.Index = uint32(n)
			continue
		}
		if fv == nil {
			return m, rec.missing(f, "a string")
		}
		if fv.Kind != kindString {
			return m, &ParseError{Path: rec.loc(f).String(), Msg: "want a string, got " + describe(fv)}
		}
		if f == "name" {
			m.Name = fv.Text
		} else {
			m.Value = fv.Text
		}
	}
	if err := rec.extra(); err != nil {
		return m, err
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

// decodeParameters reads AHashMap<String, Option<String>>: a map takes
// an object only, never an array.
func decodeParameters(v *node, at loc) ([]Parameter, error) {
	if v.Kind != kindObject {
		return nil, &ParseError{Path: at.String(), Msg: "want an object of string or null values, got " + describe(v)}
	}
	params := make([]Parameter, 0, len(v.Members))
	seen := map[string]bool{}
	for _, mb := range v.Members {
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
			return nil, &ParseError{Path: at.key(mb.Key).String(), Msg: "want a string or null, got " + describe(mb.Value)}
		}
	}
	return params, nil
}

// optString reads the Option<String> field name of rec.
func optString(v *node, rec record, name string) (*string, error) {
	if v == nil || v.Kind == kindNull {
		return nil, nil
	}
	if v.Kind != kindString {
		return nil, &ParseError{Path: rec.loc(name).String(), Msg: "want a string or null, got " + describe(v)}
	}
	s := v.Text
	return &s, nil
}

// unsigned reads an integer the way serde reads u16/u32 from serde_json:
// a JSON integer in range. A float literal (1.0, 1e2), a negative number,
// a string, and -0 (which serde_json parses as the float -0.0: src/de.rs,
// parse_number) fail.
func unsigned(v *node, at loc, bits int) (uint64, error) {
	want := "an unsigned integer"
	if bits == 16 {
		want = "an unsigned integer 0..65535"
	}
	if v.Kind != kindNumber {
		return 0, &ParseError{Path: at.String(), Msg: "want " + want + ", got " + describe(v)}
	}
	if v.Text == "-0" {
		return 0, &ParseError{Path: at.String(), Msg: "want " + want + ", got -0, which serde_json reads as the floating-point number -0.0"}
	}
	if strings.ContainsAny(v.Text, ".eE") {
		return 0, &ParseError{Path: at.String(), Msg: "want " + want + ", got the floating-point number " + v.Text}
	}
	n, err := strconv.ParseUint(v.Text, 10, bits)
	if err != nil {
		return 0, &ParseError{Path: at.String(), Msg: "want " + want + ", got " + v.Text}
	}
	return n, nil
}
