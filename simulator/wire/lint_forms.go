package wire

import (
	"fmt"
	"strings"

	"github.com/hooksim/hooksim/simulator/internal/jsondoc"
)

// formView is a body with serde's other forms read as serde reads them:
// each array form that fits its struct becomes the object of its fields,
// an action given as {"accept": null} becomes the string, so that the
// other lints see the body's meaning whichever form it has.
type formView struct {
	root *node
	// paths maps the field path of each value inside an array form, and
	// of the array form itself, to its JSON path ("modifications[0].name"
	// to "[2][0][1]"); empty when the body has no array form.
	paths map[string]string
	lints []Lint // one per form found, in document order
}

// readForms builds the view of root; root itself is left as it is.
func readForms(root *node) formView {
	v := formView{root: root}
	r := root
	if root.Kind == kindArray {
		if !responseStruct.fits(len(root.Items)) || !isAction(root.Items[0]) {
			return v // not Stalwart's response in any form; its parse error says why
		}
		r = v.toObject(root, loc{}, responseStruct)
		v.root = r
	}
	if r.Kind != kindObject {
		return v
	}
	if a := r.Get("action"); a != nil && a.Kind == kindObject && isAction(a) {
		at := v.at("action")
		key := a.Members[0].Key
		v.lints = append(v.lints, Lint{Code: LintActionObject, Path: at.String(), Fix: fmt.Sprintf(`send "action": %q`, key),
			Message: fmt.Sprintf(`the action is an object: serde reads {%q: null} as the enum variant %s (serde_json's map form of a unit variant), so Stalwart v0.16.18 takes it, but the protocol's form is the string %q`, key, key, key)})
		r = v.replace(r, "action", &node{Kind: kindString, Off: a.Off, Text: key})
	}
	if resp := r.Get("response"); resp != nil && resp.Kind == kindArray && replyStruct.fits(len(resp.Items)) {
		r = v.replace(r, "response", v.toObject(resp, v.at("response"), replyStruct))
	}
	if mods := r.Get("modifications"); mods != nil && mods.Kind == kindArray {
		var items []*node
		at := v.at("modifications")
		for i, m := range mods.Items {
			if m.Kind != kindArray || len(m.Items) == 0 || m.Items[0].Kind != kindString {
				continue
			}
			t := ModType(m.Items[0].Text)
			if !t.Valid() || !modStruct(t).fits(len(m.Items)) {
				continue
			}
			if items == nil {
				items = append([]*node(nil), mods.Items...)
			}
			items[i] = v.toObject(m, at.index(i), modStruct(t))
		}
		if items != nil {
			c := *mods
			c.Items = items
			r = v.replace(r, "modifications", &c)
		}
	}
	if root.Kind == kindArray {
		// The body's fix shows its parts as the objects they mean.
		v.lints[0].Fix = "send an object with named keys: " + sketch(r)
	}
	v.root = r
	return v
}

// at is where the top-level field name is, in the view's body.
func (v *formView) at(name string) loc {
	if j, ok := v.paths[name]; ok {
		return loc{j, name}
	}
	return loc{name, name}
}

// isAction reports whether n is an action in either of serde's forms.
func isAction(n *node) bool {
	switch n.Kind {
	case kindString:
		return Action(n.Text).Valid()
	case kindObject:
		return len(n.Members) == 1 && Action(n.Members[0].Key).Valid() && n.Members[0].Value.Kind == kindNull
	}
	return false
}

// toObject returns the object serde reads the array form n (at at) as,
// records where its fields are, and lints it.
func (v *formView) toObject(n *node, at loc, s serdeStruct) *node {
	if v.paths == nil {
		v.paths = map[string]string{}
	}
	v.paths[at.field] = at.json
	obj := &node{Kind: kindObject, Off: n.Off, Members: make([]jsondoc.Member, len(n.Items))}
	for i, it := range n.Items {
		obj.Members[i] = jsondoc.Member{Key: s.fields[i], KeyOff: it.Off, Value: it}
		v.paths[at.elem(i, s.fields[i]).field] = at.elem(i, s.fields[i]).json
	}
	var why string
	switch {
	case at.field == "":
		why = "the body is a JSON array: serde reads an array as the Response struct's fields in declaration order (" + strings.Join(s.fields, ", ") + ")"
	case s.fields[0] == "type":
		why = fmt.Sprintf("this modification is a JSON array: serde reads its first element as the type and the rest as the fields of %s in declaration order (%s)",
			n.Items[0].Text, strings.Join(s.fields[1:], ", "))
	default:
		why = "response is a JSON array: serde reads an array as the SmtpResponse struct's fields in declaration order (" + strings.Join(s.fields, ", ") + ")"
	}
	v.lints = append(v.lints, Lint{Code: LintArrayForm, Path: at.String(), Fix: "send an object with named keys: " + sketch(obj),
		Message: why + ", so Stalwart v0.16.18 takes the array; a hook surely means an object, and the array breaks as soon as Stalwart adds, removes or reorders a field"})
	return obj
}

// replace returns obj with the value of its member key (the last one, as
// Get reads) replaced; obj is copied, never changed.
func (v *formView) replace(obj *node, key string, val *node) *node {
	c := *obj
	c.Members = append([]jsondoc.Member(nil), obj.Members...)
	for i := len(c.Members) - 1; i >= 0; i-- {
		if c.Members[i].Key == key {
			c.Members[i].Value = val
			break
		}
	}
	return &c
}

// finish locates the lints found on the view in the body and puts the
// view's own lints first.
func (v *formView) finish(lints []Lint) []Lint {
	if len(v.paths) > 0 {
		for i := range lints {
			lints[i].Path = v.locate(lints[i].Path)
		}
	}
	if len(v.lints) == 0 {
		return lints
	}
	return append(v.lints, lints...)
}

// locate turns the field path a lint was given on the view into the
// location in the body: "modifications[0].name" becomes
// "[2][0][1] (modifications[0].name)" when it is inside an array form.
func (v *formView) locate(field string) string {
	if len(v.paths) == 0 {
		return field
	}
	for end := len(field); end >= 0; end-- {
		if end < len(field) && field[end] != '.' && field[end] != '[' {
			continue
		}
		if j, ok := v.paths[field[:end]]; ok {
			return loc{j + field[end:], field}.String()
		}
	}
	return field
}

// sketch renders an object on one line with its scalars (strings cut at
// 40 characters) and its nested objects and arrays as {...} and [...].
func sketch(obj *node) string {
	parts := make([]string, len(obj.Members))
	for i, m := range obj.Members {
		parts[i] = quoteJSON(m.Key) + ": " + sketchValue(m.Value)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func sketchValue(n *node) string {
	switch n.Kind {
	case kindObject:
		if len(n.Members) == 0 {
			return "{}"
		}
		return "{...}"
	case kindArray:
		if len(n.Items) == 0 {
			return "[]"
		}
		return "[...]"
	case kindString:
		if r := []rune(n.Text); len(r) > 40 {
			return quoteJSON(string(r[:40]) + "...")
		}
		return quoteJSON(n.Text)
	}
	return renderScalar(n)
}
