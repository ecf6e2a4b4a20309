package wire

import (
	"fmt"
	"strconv"
	"strings"
)

// lintDraft recognises a body shaped like the IETF MTA Hooks draft and
// says so in one lint, with the v1 body that means the same where there is
// one. It returns the keys it explained, so that they are not also
// reported as unknown keys.
//
// The draft (draft-degennaro-mta-hooks-01, May 2026, by Stalwart's author)
// answers a hook call with patches against the request
// instead of v1's action object: a JSON object whose "set", "add" and
// "delete" members are lists of operations, each with a JSON Pointer
// (RFC 6901) "path", a "value" (set, add) and an optional array "index":
//
//	{"set": [{"path": "/action", "value": "reject"},
//	         {"path": "/response", "value": {"code": 550, "enhancedCode": "5.7.1", "message": "Policy"}}],
//	 "add": [{"path": "/message/headers", "value": {"name": "X-Spam", "value": "yes"}}]}
//
// (the draft's "hook response" examples; rspamd's mta-hooks-milter,
// src/hooks.rs, reads the same shape). Stalwart v0.16.18 does not speak it
// (PROTOCOL.md §8): such a body has no "action" and fails to parse.
func lintDraft(root *node, l *linter) map[string]bool {
	var keys []string
	for _, k := range draftOps() {
		if isDraftOpList(root.Get(k)) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	effect := "finds no \"action\" and fails the whole response (a hook error: 451 4.3.5 with tempFailOnError)"
	if root.Get("action") != nil {
		effect = "ignores " + strings.Join(keys, ", ") + " entirely"
	}
	v1, lost := translateDraft(root)
	fix := "send the v1 body " + v1
	if len(lost) > 0 {
		fix += " (no v1 equivalent for " + strings.Join(lost, ", ") + ")"
	}
	l.add(LintDraftBody, keys[0], fix,
		"this body is shaped like the IETF MTA Hooks draft (draft-degennaro-mta-hooks-01: %s operations on JSON Pointer paths); Stalwart v0.16.18 speaks the v1 protocol, so it %s",
		strings.Join(keys, "/"), effect)
	skip := map[string]bool{}
	for _, k := range keys {
		skip[k] = true
	}
	return skip
}

// draftOps are the draft's operation lists, in the order it applies them.
func draftOps() []string { return []string{"set", "add", "delete"} }

// isDraftOpList reports whether n is a list of draft operations: an array
// whose every item is an object with a string "path" (and at least one).
func isDraftOpList(n *node) bool {
	if n == nil || n.Kind != kindArray || len(n.Items) == 0 {
		return false
	}
	for _, it := range n.Items {
		if it.Kind != kindObject {
			return false
		}
		if p := it.Get("path"); p == nil || p.Kind != kindString {
			return false
		}
	}
	return true
}

// translateDraft builds the v1 body that does what the draft operations
// of root do, and lists the operations v1 cannot express.
func translateDraft(root *node) (v1 string, lost []string) {
	action := "accept"
	if a := root.Get("action"); a != nil && a.Kind == kindString {
		action = a.Text
	}
	var reply []string // "key": value, in v1 spelling
	setReply := func(key string, v *node) {
		k := map[string]string{"code": "status", "enhancedCode": "enhanced_status", "message": "message"}[key]
		if k == "" || v == nil {
			lost = append(lost, "/response/"+key)
			return
		}
		if k == "status" {
			// v1 wants an integer: "550" or 550.0 would fail to parse.
			n, err := strconv.ParseUint(strings.TrimSpace(v.Text), 10, 16)
			if (v.Kind != kindNumber && v.Kind != kindString) || err != nil {
				lost = append(lost, "/response/"+key)
				return
			}
			reply = append(reply, `"status": `+strconv.FormatUint(n, 10))
			return
		}
		reply = append(reply, quoteJSON(k)+": "+renderScalar(v))
	}
	var mods []string
	for _, k := range draftOps() {
		list := root.Get(k)
		if !isDraftOpList(list) {
			continue
		}
		for _, op := range list.Items {
			path, value := op.Get("path").Text, op.Get("value")
			switch {
			case k == "set" && path == "/action" && value != nil && value.Kind == kindString:
				action = value.Text
			case k == "set" && path == "/response" && value != nil && value.Kind == kindObject:
				for _, m := range value.Members {
					setReply(m.Key, m.Value)
				}
			case k == "set" && strings.HasPrefix(path, "/response/"):
				setReply(strings.TrimPrefix(path, "/response/"), value)
			case k == "add" && path == "/message/headers" && value != nil && value.Kind == kindObject &&
				isString(value.Get("name")) && isString(value.Get("value")):
				mods = append(mods, fmt.Sprintf(`{"type": "addHeader", "name": %s, "value": %s}`,
					quoteJSON(value.Get("name").Text), quoteJSON(value.Get("value").Text)))
			default:
				lost = append(lost, k+" "+path)
			}
		}
	}
	switch action {
	case "accept", "reject", "discard", "quarantine":
	case "continue":
		action = "accept"
	default:
		lost = append(lost, "action "+action)
		action = "reject"
	}
	if action == "accept" && len(reply) > 0 {
		lost = append(lost, "the response (Stalwart ignores it with accept)")
		reply = nil
	}
	out := `{"action": ` + quoteJSON(action)
	if len(reply) > 0 {
		out += `, "response": {` + strings.Join(reply, ", ") + "}"
	}
	if len(mods) > 0 {
		out += `, "modifications": [` + strings.Join(mods, ", ") + "]"
	}
	return out + "}", lost
}

func isString(n *node) bool { return n != nil && n.Kind == kindString }

// renderScalar writes a JSON scalar back; objects and arrays become "...".
func renderScalar(n *node) string {
	switch n.Kind {
	case kindString:
		return quoteJSON(n.Text)
	case kindNumber:
		return n.Text
	case kindBool:
		return fmt.Sprint(n.Bool)
	case kindNull:
		return "null"
	}
	return `"..."`
}

// lintJSONPatch recognises an RFC 6902 JSON Patch document (an array of
// {"op", "path"} objects) sent as the whole body. Neither Stalwart's v1
// protocol nor the IETF draft takes one.
func lintJSONPatch(root *node) []Lint {
	if len(root.Items) == 0 {
		return nil
	}
	for _, it := range root.Items {
		if it.Kind != kindObject || !isString(it.Get("op")) || !isString(it.Get("path")) {
			return nil
		}
	}
	l := &linter{}
	l.add(LintJSONPatchBody, "", `send a v1 object, such as {"action": "accept", "modifications": [{"type": "addHeader", "name": "X-Spam", "value": "yes"}]}`,
		"this body is an RFC 6902 JSON Patch (a list of op/path operations): Stalwart v0.16.18 wants a v1 object with \"action\", so the whole response fails to parse (a hook error); the IETF MTA Hooks draft does not use JSON Patch either")
	return l.lints
}
