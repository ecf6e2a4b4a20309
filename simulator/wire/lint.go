package wire

import (
	"fmt"
	"github.com/hooksim/hooksim/simulator/internal/text"
	"sort"
	"strconv"
	"strings"
)

// Lint is a warning for a hook author: the hook relies on something
// Stalwart does not do. Lints never change what the simulator does.
type Lint struct {
	Code    string `json:"code"`
	Path    string `json:"path,omitempty"` // JSON path in the response, when there is one
	Message string `json:"message"`        // why: what Stalwart does instead, one line
	Fix     string `json:"fix,omitempty"`  // what to send instead, one line; empty when there is nothing to change
	// Count is how many times the same lint (same Code and Message) was
	// reported in one exchange or step, when the recorder stored it once
	// for all of them (Path is the first one's); 0 means once.
	Count int `json:"count,omitempty"`
}

// String renders the lint on one line: "[code] path: why. Fix: what to do."
// (without the path, or the fix, when there is none), followed by
// " (N times)" when Count is over 1.
func (l Lint) String() string {
	s := "[" + l.Code + "] "
	if l.Path != "" {
		s += l.Path + ": "
	}
	s += l.Message
	if l.Fix != "" {
		s = strings.TrimSuffix(s, ".") + ". Fix: " + l.Fix
	}
	if l.Count > 1 {
		s += " (" + strconv.Itoa(l.Count) + " times)"
	}
	return s
}

// The replies Stalwart sends for a hook's reject, and for its discard or
// quarantine, when the hook set no complete custom reply
// (FilterResponse::reject and FilterResponse::accept in
// crates/smtp/src/inbound/mod.rs).
const (
	ReplyReject  = "503 5.5.3 Message rejected."
	ReplyDiscard = "250 2.0.0 Message queued for delivery."
)

// The lint codes hooksim reports about response bodies.
const (
	LintEnhancedStatusCamel = "enhanced-status-camel"
	LintDocsModType         = "docs-mod-type"
	LintModType             = "mod-type-case"
	LintModsBeforeData      = "mods-before-data"
	LintAcceptResponse      = "accept-response-ignored"
	LintDisconnect          = "disconnect-ignored"
	LintQuarantine          = "quarantine-is-discard"
	LintPartialReply        = "partial-reply"
	LintReplyStatus         = "reply-status-mismatch"
	LintReplyLineBreak      = "reply-line-break"
	LintUnknownKey          = "unknown-key"
	LintDocsParameters      = "docs-parameters"
	// LintDiscardBeforeData: discard or quarantine before the data stage
	// answers 2xx and silently drops the sender or recipient.
	LintDiscardBeforeData = "discard-before-data"
	// LintHeaderName: a header name that breaks the header block or can
	// never match (empty, colon, white space, control or non-ASCII).
	LintHeaderName = "header-name-invalid"
	// LintHeaderLineBreak: a CR or LF in a header value that is not a
	// fold (CRLF followed by a space or a tab, then text) or the final
	// CRLF: it injects lines, ends the header block or leaves a bare CR/LF.
	LintHeaderLineBreak = "header-value-line-break"
	// LintHeaderLineLength: a header line longer than RFC 5322's 998 octets.
	LintHeaderLineLength = "header-line-too-long"
	// LintHeaderNonASCII: a header value with non-ASCII characters that
	// are not RFC 2047 encoded-words.
	LintHeaderNonASCII = "header-value-non-ascii"
	// LintDraftBody: the body is shaped like the IETF MTA Hooks draft
	// (set/add/delete operations on JSON Pointer paths), not like v1.
	LintDraftBody = "ietf-draft-body"
	// LintJSONPatchBody: the body is an RFC 6902 JSON Patch array.
	LintJSONPatchBody = "json-patch-body"
	// LintArrayForm: the body, its "response" or a modification is a JSON
	// array, which serde reads as the struct's fields in declaration order
	// (a modification: its type first). Stalwart accepts it.
	LintArrayForm = "array-form"
	// LintActionObject: the action is {"accept": null}, serde_json's map
	// form of an enum's unit variant. Stalwart accepts it.
	LintActionObject = "action-object-form"
)

var knownKeys = map[string][]string{
	"":         {"action", "response", "modifications"},
	"response": {"status", "enhanced_status", "message", "disconnect"},
}

var modKeys = map[ModType][]string{
	ModChangeFrom:      {"type", "value", "parameters"},
	ModAddRecipient:    {"type", "value", "parameters"},
	ModDeleteRecipient: {"type", "value"},
	ModReplaceContents: {"type", "value"},
	ModAddHeader:       {"type", "name", "value"},
	ModInsertHeader:    {"type", "index", "name", "value"},
	ModChangeHeader:    {"type", "index", "name", "value"},
	ModDeleteHeader:    {"type", "index", "name"},
}

// LintResponse lists what a hook author should know about body, answered
// at stage. It works on bodies that fail to parse too (to explain the docs'
// spellings) and returns nil for bodies that are not JSON at all.
func LintResponse(body []byte, stage Stage) []Lint {
	root, err := parseTree(body)
	if err != nil {
		return nil
	}
	return lintTree(root, stage)
}

// Inspect parses body once for both ParseResponse and LintResponse.
func Inspect(body []byte, stage Stage) (*Response, []Lint, error) {
	root, err := parseTree(body)
	if err != nil {
		return nil, nil, &ParseError{Msg: err.Error()}
	}
	lints := lintTree(root, stage)
	resp, err := decodeResponse(root)
	if err != nil {
		return nil, lints, err
	}
	return resp, lints, nil
}

// linter collects lints while a body is walked.
type linter struct{ lints []Lint }

// add appends a lint; fix may be empty.
func (l *linter) add(code, path, fix, format string, args ...any) {
	l.lints = append(l.lints, Lint{Code: code, Path: path, Message: fmt.Sprintf(format, args...), Fix: fix})
}

func lintTree(root *node, stage Stage) []Lint {
	if root.Kind == kindArray {
		if patch := lintJSONPatch(root); patch != nil {
			return patch
		}
	}
	v := readForms(root)
	return v.finish(lintObject(v.root, stage))
}

// lintObject lints a body in its object form (array forms read as
// objects by readForms).
func lintObject(root *node, stage Stage) []Lint {
	if root.Kind != kindObject {
		return nil
	}
	l := &linter{}
	draft := lintDraft(root, l)
	unknownKeys(root, "", knownKeys[""], draft, l)

	action := ""
	if a := root.Get("action"); a != nil && a.Kind == kindString {
		action = a.Text
	}
	if action == string(ActionQuarantine) {
		l.add(LintQuarantine, "action", "to keep the message and flag it, accept with an addHeader (X-Spam-Flag: YES, say) and file it with a Sieve rule",
			"Stalwart treats quarantine exactly like discard: the message is dropped and its X-Quarantine header never reaches a stored message")
	}

	if resp := root.Get("response"); resp != nil && resp.Kind == kindObject {
		unknownKeys(resp, "response", knownKeys["response"], nil, l)
		if resp.Get("enhancedStatus") != nil {
			l.add(LintEnhancedStatusCamel, "response.enhancedStatus", `rename the key to "enhanced_status"`, "Stalwart ignores enhancedStatus; it reads enhanced_status")
		}
		if m := resp.Get("message"); m != nil && m.Kind == kindString && strings.ContainsAny(m.Text, "\r\n") && action != string(ActionAccept) {
			l.add(LintReplyLineBreak, "response.message", "keep the message on one line; Stalwart has no multi-line custom replies",
				"Stalwart writes the message into the reply line as it is: the client reads the text after the line break as another reply (or as garbage)")
		}
		if d := resp.Get("disconnect"); d != nil && d.Kind == kindBool && d.Bool {
			l.add(LintDisconnect, "response.disconnect", "", "Stalwart parses disconnect but never acts on it: the session stays open")
		}
		status, message := present(resp.Get("status")), present(resp.Get("message"))
		switch {
		case action == string(ActionAccept):
			l.add(LintAcceptResponse, "response", "for your own reply use reject (4xx or 5xx) or discard (2xx); with accept leave response out",
				"with accept Stalwart ignores the response object entirely: the client gets the normal reply")
		case status != message && action != "":
			lintPartialReply(resp, Action(action), status, l)
		}
		// Only a status Stalwart can read (an unsigned 16-bit integer: not
		// -0, 1.0 or 70000, which fail the whole response) is "sent".
		if s := resp.Get("status"); status && s.Kind == kindNumber && action != string(ActionAccept) && isU16(s.Text) {
			code := s.Text
			if (action == string(ActionReject) && !strings.HasPrefix(code, "4") && !strings.HasPrefix(code, "5")) ||
				((action == string(ActionDiscard) || action == string(ActionQuarantine)) && !strings.HasPrefix(code, "2")) {
				l.add(LintReplyStatus, "response.status", "reject with a 4xx (try again later) or a 5xx (refused); discard with a 2xx",
					"status %s is sent as given with %s: Stalwart does not check that it fits the action", code, action)
			}
		}
	}
	if action == string(ActionDiscard) || action == string(ActionQuarantine) {
		lintDiscardBeforeData(root, Action(action), stage, l)
	}

	mods := root.Get("modifications")
	if mods == nil || mods.Kind != kindArray {
		return l.lints
	}
	beforeData := stage != StageData && stage != ""
	if len(mods.Items) > 0 && beforeData {
		l.add(LintModsBeforeData, "modifications", "return modifications at the data stage (the hook's stages must include data)",
			"Stalwart applies modifications only at the data stage: the %d returned at %s are parsed, then thrown away", len(mods.Items), stage)
	}
	for i, m := range mods.Items {
		path := fmt.Sprintf("modifications[%d]", i)
		if m.Kind != kindObject {
			continue
		}
		t := m.Get("type")
		if t == nil || t.Kind != kindString {
			continue
		}
		mt := ModType(t.Text)
		switch {
		case t.Text == "addRcpt" || t.Text == "deleteRcpt":
			l.add(LintDocsModType, path+".type", "", "%s", modTypeHint(t.Text)+"; the whole response fails to parse")
		case !mt.Valid():
			if hint := modTypeHint(t.Text); hint != "" {
				l.add(LintModType, path+".type", "", "%s; the whole response fails to parse", hint)
			}
		default:
			unknownKeys(m, path, modKeys[mt], nil, l)
			if p := m.Get("parameters"); p != nil && (p.Kind == kindNull || p.Kind == kindObject && hasNonString(p)) {
				l.add(LintDocsParameters, path+".parameters", `send {"SIZE": "54321"} (or leave parameters out)`,
					"parameters must be an object of string (or null) values, as in {\"SIZE\": \"54321\"}; the docs' example fails to parse")
			}
			if !beforeData {
				lintHeaderMod(m, mt, path, l)
			}
		}
	}
	return l.lints
}

// lintPartialReply says what the client hears when a non-accept action
// has only one of status and message: Stalwart's default reply, since it
// uses the custom one only when both are set (run_mta_hooks in
// crates/smtp/src/inbound/hooks/message.rs).
func lintPartialReply(resp *node, action Action, status bool, l *linter) {
	missing := "message"
	if !status {
		missing = "status"
	}
	heard := ""
	switch action {
	case ActionReject:
		heard = ReplyReject
	case ActionDiscard, ActionQuarantine:
		heard = ReplyDiscard
	}
	if heard == "" {
		l.add(LintPartialReply, "response", "", "a custom reply needs both status and message; without %s Stalwart sends its default reply", missing)
		return
	}
	instead := "your message is never sent"
	if s := resp.Get("status"); status && s.Kind == kindNumber {
		instead = fmt.Sprintf("the %s becomes %s", s.Text, heard[:9])
		if strings.HasPrefix(s.Text, "4") && action == ActionReject {
			instead = fmt.Sprintf("a %s meant as a soft reject becomes a permanent %s", s.Text, heard[:9])
		}
	}
	l.add(LintPartialReply, "response", "send both: "+replyExample(resp, action),
		"a custom reply needs both status and message; without %s Stalwart sends its default reply: the client hears %q, so %s", missing, heard, instead)
}

// replyExample is a complete "response" object built from what resp has,
// with placeholders for what it lacks.
func replyExample(resp *node, action Action) string {
	status, enhanced, message := "550", `"5.7.1"`, `"Message refused"`
	if action != ActionReject {
		status, enhanced, message = "250", `"2.0.0"`, `"Message accepted"`
	}
	if s := resp.Get("status"); s != nil && s.Kind == kindNumber {
		status = s.Text
		switch s.Text[0] {
		case '4':
			enhanced, message = `"4.7.1"`, `"Try again later"`
		case '5':
			enhanced = `"5.7.1"`
		}
	}
	if e := resp.Get("enhanced_status"); e != nil && e.Kind == kindString {
		enhanced = quoteJSON(e.Text)
	}
	if m := resp.Get("message"); m != nil && m.Kind == kindString {
		message = quoteJSON(m.Text)
	}
	return fmt.Sprintf(`"response": {"status": %s, "enhanced_status": %s, "message": %s}`, status, enhanced, message)
}

// lintDiscardBeforeData explains discard (and quarantine) before the data
// stage: Stalwart answers the command with a 2xx (the default "250 2.0.0
// Message queued for delivery.") and then throws away what the command
// added, as the per-stage handling in crates/smtp/src/inbound/{spawn,
// ehlo,mail,rcpt}.rs does for every non-accept answer.
func lintDiscardBeforeData(root *node, action Action, stage Stage, l *linter) {
	heard := ReplyDiscard
	if resp := root.Get("response"); resp != nil && resp.Kind == kindObject {
		s, m := resp.Get("status"), resp.Get("message")
		if s != nil && s.Kind == kindNumber && m != nil && m.Kind == kindString {
			heard = s.Text + " " + m.Text
			if e := resp.Get("enhanced_status"); e != nil && e.Kind == kindString {
				heard = s.Text + " " + e.Text + " " + m.Text
			}
		}
	}
	if !strings.HasPrefix(heard, "2") {
		return // a refusal in effect; reply-status-mismatch says the rest
	}
	refuse := `to refuse so that the client knows, reject with a 5xx: {"action":"reject","response":{"status":550,"enhanced_status":"5.7.1","message":"..."}}`
	switch stage {
	case StageConnect:
		l.add(LintDiscardBeforeData, "action", refuse,
			"%s at connect: the client hears %q instead of the greeting, then the connection is closed", action, heard)
	case StageEhlo:
		l.add(LintDiscardBeforeData, "action", refuse,
			"%s at ehlo: the client hears %q, but the new HELO name is not taken (the previous one is restored) and a transaction in progress loses its sender", action, heard)
	case StageMail:
		l.add(LintDiscardBeforeData, "action", refuse,
			"%s at mail: the client hears %q as if the sender were accepted, but it is dropped: the next RCPT gets \"503 5.5.1 MAIL is required first.\"", action, heard)
	case StageRcpt:
		l.add(LintDiscardBeforeData, "action", `to refuse the recipient so that the sender knows, reject with a 5xx: {"action":"reject","response":{"status":550,"enhanced_status":"5.1.1","message":"..."}}`,
			"%s at rcpt: the client hears %q as if the recipient were accepted, but it is silently dropped from the envelope", action, heard)
	}
}

func present(n *node) bool { return n != nil && n.Kind != kindNull }

func hasNonString(n *node) bool {
	for _, m := range n.Members {
		if m.Value.Kind != kindString && m.Value.Kind != kindNull {
			return true
		}
	}
	return false
}

// unknownKeys lints the members of n that Stalwart ignores; keys in skip
// are left to another lint.
func unknownKeys(n *node, path string, known []string, skip map[string]bool, l *linter) {
	var unknown []string
	for _, m := range n.Members {
		ok := skip[m.Key]
		for _, k := range known {
			if m.Key == k {
				ok = true
				break
			}
		}
		if !ok && m.Key != "enhancedStatus" {
			unknown = append(unknown, m.Key)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		p := k
		if path != "" {
			p = path + "." + k
		}
		msg, fix := "Stalwart ignores this key", ""
		if s := closest(k, known); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
			fix = fmt.Sprintf("rename it to %q", s)
		}
		l.add(LintUnknownKey, p, fix, "%s", msg)
	}
}

// closest returns the known key nearest to k by case-insensitive edit
// distance, when it is near enough to be a likely typo.
func closest(k string, known []string) string {
	best, bestD := "", 3
	for _, c := range known {
		if d := text.EditDistance(strings.ToLower(k), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// isU16 reports a JSON number serde reads as a u16: digits only, at most 65535.
func isU16(text string) bool {
	n, err := strconv.ParseUint(text, 10, 16)
	return err == nil && text == strconv.FormatUint(n, 10)
}
