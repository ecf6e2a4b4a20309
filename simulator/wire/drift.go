package wire

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hooksim/hooksim/simulator/internal/jsondoc"
)

// LintDrift is the code of a drift finding: a request a real Stalwart
// sent (seen by hooksim proxy) differs from hooksim's model of Stalwart
// v0.16.18's request (PROTOCOL.md §1), so either the server is not what
// hooksim models or something between it and the hook changed the request.
const LintDrift = "drift"

// model names the server hooksim models in every finding's message.
const model = ServerName

// The request's objects as Stalwart v0.16.18 serializes them: keys in the
// order of the serde structs in crates/smtp/src/inbound/hooks/mod.rs,
// with the keys its skip_serializing_if leaves out when Stalwart never
// fills them (sasl.method, tls.cipherBits/certIssuer/certSubject, an
// address's parameters, message.serverHeaders) left out of the model.
var (
	requestModel  = objModel{name: "", keys: []string{"context", "envelope", "message"}, optional: []string{"envelope", "message"}}
	contextModel  = objModel{name: "context", keys: []string{"stage", "client", "sasl", "tls", "server", "queue", "protocol"}, optional: []string{"sasl", "tls", "queue"}}
	clientModel   = objModel{name: "context.client", keys: []string{"ip", "port", "ptr", "helo", "activeConnections"}}
	saslModel     = objModel{name: "context.sasl", keys: []string{"login"}}
	tlsModel      = objModel{name: "context.tls", keys: []string{"version", "cipher"}}
	serverModel   = objModel{name: "context.server", keys: []string{"name", "port", "ip"}}
	queueModel    = objModel{name: "context.queue", keys: []string{"id"}}
	protocolModel = objModel{name: "context.protocol", keys: []string{"version"}}
	envelopeModel = objModel{name: "envelope", keys: []string{"from", "to"}}
	senderModel   = objModel{name: "envelope.from", keys: []string{"address"}}
	rcptModel     = objModel{name: "envelope.to[]", keys: []string{"address"}}
	messageModel  = objModel{name: "message", keys: []string{"headers", "contents", "size"}}
)

// fieldNames are the fields whose messages use a name rather than
// their path.
var fieldNames = map[string]string{
	"context.client.helo": "the HELO name",
	"context.client.ptr":  "the PTR name",
}

// missingNotes say, for a missing key, when Stalwart sends null in it.
var missingNotes = map[string]string{
	"context.client.ptr":  " (null unless the reverse-IP check found a name)",
	"context.client.helo": " (null before HELO/EHLO)",
}

// objModel is one object of the request: its name (the path with "[]"
// for an array's items; "" for the request itself), its keys in
// Stalwart's order, and which of them may be left out.
type objModel struct {
	name     string
	keys     []string
	optional []string
}

// CheckRequest holds one request body against hooksim's model of the
// request Stalwart v0.16.18 POSTs to a hook (PROTOCOL.md §1, and
// run_mta_hook in crates/smtp/src/inbound/hooks/message.rs with the serde
// structs of hooks/mod.rs): its bytes (compact JSON with serde_json's
// string escapes), keys, their order and repeats, JSON types, what each
// stage sends, and the values' rules. It returns the stage read from
// context.stage (lower-cased when the request spells it otherwise; "" when
// it is missing, not a string or no stage name) and the findings, each a
// Lint with Code LintDrift, the JSON path of the field (as the response
// lints write it: "context.client.helo", "envelope.to[1].address",
// "message.headers[3]"; "" for the body itself) and a one-line Message
// saying what Stalwart sends and what came; repeats are compacted by
// CompactLints. A body that is not JSON, or not an object, is one finding
// at path "". It never fails and never panics.
func CheckRequest(body []byte) (Stage, []Lint) {
	v, lints := checkRequest(body)
	return v.stage, CompactLints(lints)
}

// checkRequest is CheckRequest with what DriftTracker needs of the body,
// and the findings not compacted yet.
func checkRequest(body []byte) (*reqView, []Lint) {
	c := &driftCheck{v: &reqView{}}
	root, err := jsondoc.Parse(body)
	switch {
	case err != nil:
		c.add("", "%s sends a JSON object (compact, UTF-8); this request is not JSON: %s", model, jsonError(body, err))
	case root.Kind != kindObject:
		c.add("", "%s sends a JSON object; this request is %s", model, describeValue(root))
	default:
		c.wireForm(body)
		c.request(root)
	}
	return c.v, c.lints
}

// jsonError says where body stops being JSON.
func jsonError(body []byte, err error) string {
	if se, ok := err.(*jsondoc.SyntaxError); ok {
		li := jsondoc.NewLineIndex(body)
		return fmt.Sprintf("%s at line %d, column %d", se.Msg, li.Line(se.Off), li.Column(se.Off))
	}
	return err.Error()
}

// driftCheck collects the findings about one request body, and the
// values the tracker compares across requests.
type driftCheck struct {
	lints []Lint
	v     *reqView
}

// add appends a finding at path.
func (c *driftCheck) add(path, format string, args ...any) {
	c.lints = append(c.lints, Lint{Code: LintDrift, Path: path, Message: fmt.Sprintf(format, args...)})
}

// request checks the top-level object.
func (c *driftCheck) request(root *node) {
	top := c.object(root, "", requestModel)
	ctx, env, msg := top["context"], top["envelope"], top["message"]
	stage := Stage("")
	if ctx != nil && c.isKind(ctx, "context", "an object", kindObject) {
		stage = c.context(ctx)
	}
	c.v.stage = stage
	if env != nil && c.isKind(env, "envelope", "an object", kindObject) {
		c.envelope(env, stage)
	}
	if msg != nil && c.isKind(msg, "message", "an object", kindObject) {
		c.message(msg)
	}
	c.v.envelope = env != nil
	// What each stage sends (PROTOCOL.md §1, "Which stages call the hook").
	switch stage {
	case StageConnect:
		if env != nil {
			c.add("envelope", "%s sends no envelope at connect (MAIL FROM has not come yet); this request has one", model)
		}
	case StageMail, StageRcpt, StageData:
		if env == nil {
			c.add("envelope", "%s sends envelope at mail, rcpt and data; this request has none at %s", model, stage)
		}
	}
	if stage != "" && stage != StageAuth {
		if stage == StageData && msg == nil {
			c.add("message", "%s sends message at the data stage; this request has none", model)
		}
		if stage != StageData && msg != nil {
			c.add("message", "%s sends message only at the data stage; this request has one at %s", model, stage)
		}
	}
}

// object checks the members of n, an object at path, against m: each
// key once, no key m does not know, none missing but m's optional ones,
// and m's order. It returns the value of each key m knows (the last one
// when a key is repeated).
func (c *driftCheck) object(n *node, path string, m objModel) map[string]*node {
	vals := make(map[string]*node, len(m.keys))
	count := make(map[string]int, len(n.Members))
	var order []string
	var unknown []jsondoc.Member
	for _, mem := range n.Members {
		count[mem.Key]++
		first := count[mem.Key] == 1
		if slices.Contains(m.keys, mem.Key) {
			vals[mem.Key] = mem.Value
			if first {
				order = append(order, mem.Key)
			}
		} else if first {
			unknown = append(unknown, mem)
		}
	}
	for _, mem := range n.Members {
		if k := count[mem.Key]; k > 1 {
			count[mem.Key] = 0 // reported
			c.add(joinKey(path, mem.Key), "%s sends each key once; this request has %s %d times in %s", model, quoteShort(mem.Key), k, where(path))
		}
	}
	renamed := map[string]bool{}
	for _, mem := range unknown {
		p := joinKey(path, mem.Key)
		if msg := neverSent(m.name, mem.Key, mem.Value); msg != "" {
			c.add(p, "%s", msg)
			continue
		}
		var absent []string
		for _, k := range m.keys {
			if vals[k] == nil && !renamed[k] {
				absent = append(absent, k)
			}
		}
		if k := renameOf(mem.Key, absent); k != "" {
			renamed[k] = true
			c.add(p, "%s sends %s as %q; this request has %s", model, fieldName(joinKey(path, k)), k, quoteShort(mem.Key))
			continue
		}
		c.add(p, "%s sends no %s in %s (its keys are %s); this request has it", model, quoteShort(mem.Key), where(path), strings.Join(m.keys, ", "))
	}
	for _, k := range m.keys {
		if vals[k] != nil || renamed[k] || slices.Contains(m.optional, k) {
			continue
		}
		p := joinKey(path, k)
		c.add(p, "%s always sends %s%s; this request has none", model, p, missingNotes[p])
	}
	var want []string
	for _, k := range m.keys {
		if vals[k] != nil {
			want = append(want, k)
		}
	}
	if !slices.Equal(order, want) {
		c.add(path, "%s sends the keys of %s in the order %s; this request has %s", model, where(path), strings.Join(want, ", "), strings.Join(order, ", "))
	}
	return vals
}

// where names the object at path in a message.
func where(path string) string {
	if path == "" {
		return "the request"
	}
	return path
}

// fieldName is how a message names the field at path.
func fieldName(path string) string {
	if s, ok := fieldNames[path]; ok {
		return s
	}
	return path
}

// neverSent is the message for a key Stalwart's structs have but
// v0.16.18 never fills (so serde leaves it out), or "" for another key.
// The public documentation shows each of them.
func neverSent(obj, key string, v *node) string {
	has := "it"
	if v.Kind == kindNull {
		has = key + ": null"
	}
	switch {
	case obj == "context.sasl" && key == "method":
		return fmt.Sprintf("%s never sends sasl.method (the field is in its code but never filled); this request has %s", model, has)
	case obj == "context.tls" && (key == "cipherBits" || key == "certIssuer" || key == "certSubject"):
		return fmt.Sprintf("%s never sends tls.%s (the field is in its code but never filled); this request has %s", model, key, has)
	case obj == "message" && key == "serverHeaders":
		return fmt.Sprintf("%s never sends message.serverHeaders: the headers it adds itself (Received, Authentication-Results...) are not in the request; this request has %s", model, has)
	case (obj == "envelope.from" || obj == "envelope.to[]") && key == "parameters":
		whose := "the sender's parameters (no SIZE, BODY, ENVID...)"
		if obj == "envelope.to[]" {
			whose = "a recipient's parameters (no NOTIFY, ORCPT...)"
		}
		switch v.Kind {
		case kindNull:
			has = `"parameters": null`
		case kindObject:
			has = "a parameters object"
		default:
			has = "parameters " + describeValue(v)
		}
		return fmt.Sprintf("%s never sends %s; this request has %s", model, whose, has)
	}
	return ""
}

// renames are the misspellings whose meaning is known: the public
// documentation's "ehlo" for helo.
var renames = map[string]string{"ehlo": "helo"}

// renameOf returns the key of absent that key most likely stands for
// (the docs' spelling, another case or separator, a small typo), or "".
func renameOf(key string, absent []string) string {
	if len(key) > 64 || len(absent) == 0 {
		return ""
	}
	if k, ok := renames[key]; ok && slices.Contains(absent, k) {
		return k
	}
	norm := func(s string) string {
		return strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(s))
	}
	for _, k := range absent {
		if norm(k) == norm(key) {
			return k
		}
	}
	return closest(key, absent)
}

// isKind reports whether n is of one of kinds, adding a finding when it
// is not; want says what Stalwart sends ("an object").
func (c *driftCheck) isKind(n *node, path, want string, kinds ...jsondoc.Kind) bool {
	if slices.Contains(kinds, n.Kind) {
		return true
	}
	c.add(path, "%s sends %s as %s; this request has %s", model, path, want, describeValue(n))
	return false
}

// describeValue renders a value for "this request has ...":
// `the string "1.0"`, `the number 1.0`, `null`, `an object`.
func describeValue(n *node) string {
	switch n.Kind {
	case kindString:
		return "the string " + describe(n)
	case kindNumber:
		return "the number " + describe(n)
	case kindBool, kindNull:
		return describe(n)
	case kindObject:
		return "an object"
	}
	return fmt.Sprintf("an array of %d", len(n.Items))
}

// quoteShort quotes s for a message, cut to 60 bytes.
func quoteShort(s string) string {
	if len(s) > 60 {
		cut := 60
		for cut > 0 && !isRuneStart(s[cut]) {
			cut--
		}
		return fmt.Sprintf("%q...", s[:cut])
	}
	return fmt.Sprintf("%q", s)
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
