package wire

import (
	"fmt"
	"github.com/hooksim/hooksim/simulator/internal/text"
	"sort"
	"strings"
)

// Lint is a warning for a hook author: the hook relies on something
// Stalwart does not do. Lints never change what the simulator does.
type Lint struct {
	Code    string `json:"code"`
	Path    string `json:"path,omitempty"` // JSON path in the response, when there is one
	Message string `json:"message"`
}

func (l Lint) String() string {
	if l.Path != "" {
		return fmt.Sprintf("[%s] %s: %s", l.Code, l.Path, l.Message)
	}
	return fmt.Sprintf("[%s] %s", l.Code, l.Message)
}

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
	LintUnknownKey          = "unknown-key"
	LintDocsParameters      = "docs-parameters"
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

func lintTree(root *node, stage Stage) []Lint {
	if root.Kind != kindObject {
		return nil
	}
	var lints []Lint
	add := func(code, path, format string, args ...any) {
		lints = append(lints, Lint{Code: code, Path: path, Message: fmt.Sprintf(format, args...)})
	}
	unknownKeys(root, "", knownKeys[""], add)

	action := ""
	if a := root.Get("action"); a != nil && a.Kind == kindString {
		action = a.Text
	}
	if action == string(ActionQuarantine) {
		add(LintQuarantine, "action", "Stalwart treats quarantine exactly like discard: the message is dropped and its X-Quarantine header never reaches a stored message")
	}

	if resp := root.Get("response"); resp != nil && resp.Kind == kindObject {
		unknownKeys(resp, "response", knownKeys["response"], add)
		if resp.Get("enhancedStatus") != nil {
			add(LintEnhancedStatusCamel, "response.enhancedStatus", "Stalwart ignores enhancedStatus; it reads enhanced_status")
		}
		if d := resp.Get("disconnect"); d != nil && d.Kind == kindBool && d.Bool {
			add(LintDisconnect, "response.disconnect", "Stalwart parses disconnect but never acts on it: the session stays open")
		}
		status, message := present(resp.Get("status")), present(resp.Get("message"))
		switch {
		case action == string(ActionAccept):
			add(LintAcceptResponse, "response", "with accept Stalwart ignores the response object entirely: the client gets the normal reply")
		case status != message && action != "":
			missing := "message"
			if !status {
				missing = "status"
			}
			add(LintPartialReply, "response", "a custom reply needs both status and message; without %s Stalwart sends its default reply", missing)
		}
		if s := resp.Get("status"); status && s.Kind == kindNumber && action != string(ActionAccept) {
			code := s.Text
			if (action == string(ActionReject) && !strings.HasPrefix(code, "4") && !strings.HasPrefix(code, "5")) ||
				((action == string(ActionDiscard) || action == string(ActionQuarantine)) && !strings.HasPrefix(code, "2")) {
				add(LintReplyStatus, "response.status", "status %s is sent as given with %s: Stalwart does not check that it fits the action", code, action)
			}
		}
	}

	mods := root.Get("modifications")
	if mods == nil || mods.Kind != kindArray {
		return lints
	}
	if len(mods.Items) > 0 && stage != StageData && stage != "" {
		add(LintModsBeforeData, "modifications", "Stalwart applies modifications only at the data stage: the %d returned at %s are parsed, then thrown away", len(mods.Items), stage)
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
			add(LintDocsModType, path+".type", "%s", modTypeHint(t.Text)+"; the whole response fails to parse")
		case !mt.Valid():
			if hint := modTypeHint(t.Text); hint != "" {
				add(LintModType, path+".type", "%s; the whole response fails to parse", hint)
			}
		default:
			unknownKeys(m, path, modKeys[mt], add)
			if p := m.Get("parameters"); p != nil && (p.Kind == kindNull || p.Kind == kindObject && hasNonString(p)) {
				add(LintDocsParameters, path+".parameters", "parameters must be an object of string (or null) values, as in {\"SIZE\": \"54321\"}; the docs' example fails to parse")
			}
		}
	}
	return lints
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

func unknownKeys(n *node, path string, known []string, add func(code, path, format string, args ...any)) {
	var unknown []string
	for _, m := range n.Members {
		ok := false
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
		msg := "Stalwart ignores this key"
		if s := closest(k, known); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		add(LintUnknownKey, p, "%s", msg)
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
