package simulator

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/hooksim/hooksim/simulator/internal/text"
	"github.com/hooksim/hooksim/simulator/modify"
	"github.com/hooksim/hooksim/simulator/wire"
)

// Lint codes that need more than a response body: the HTTP status, the
// chain of hooks, or the received message.
const (
	// LintHTTPStatus: the hook answered a non-2xx HTTP status, which
	// Stalwart treats as a hook error whatever the body.
	LintHTTPStatus = "non-2xx-status"
	// LintChainDropsMods: a hook stopped the data-stage chain after
	// earlier hooks accepted with modifications, which are then never
	// applied.
	LintChainDropsMods = "chain-drops-modifications"
	// LintHeaderCancel: an addHeader or insertHeader and a later
	// deleteHeader of the same header in one answer leave the message as
	// it would be without both.
	LintHeaderCancel = "header-changes-cancel"
)

// refuseExample is the body that makes Stalwart refuse, for fixes.
const refuseExample = `{"action":"reject","response":{"status":550,"enhanced_status":"5.7.1","message":"..."}}`

// StatusLint explains a hook answer with the non-2xx HTTP status: Stalwart
// reads the body only of a 2xx answer (send_mta_hook_request in
// crates/smtp/src/inbound/hooks/client.rs), so any other status is a hook
// error, whatever the body says: 451 4.3.5 with tempFailOnError, the hook
// skipped without. It is never a permanent refusal. body is the answer's
// body as received (it may be empty); when it is a valid hook response
// that does not accept, the lint says that Stalwart never reads it.
func StatusLint(status int, body []byte) wire.Lint {
	msg := fmt.Sprintf("HTTP %d is a hook error whatever the body (Stalwart reads only 2xx answers): the client hears %q with tempFailOnError true, and the hook is skipped with false; never a permanent refusal",
		status, ReplyHookTempFail)
	fix := "to refuse, answer HTTP 200 with " + refuseExample + `; to accept, HTTP 200 with {"action":"accept"}`
	if r, err := wire.ParseResponse(body); err == nil {
		if r.Action != wire.ActionAccept {
			msg += fmt.Sprintf("; the %s in this body is never read (with HTTP 200 the client would hear %q)", r.Action, nonAcceptReply(r))
		}
		fix = "send this same body with HTTP 200"
	}
	if status == 401 || status == 403 || status == 407 {
		// Most often the hook wants credentials it was not given.
		fix += "; if the hook wants credentials, configure them (httpAuth, or --bearer/--basic)"
	}
	return wire.Lint{Code: LintHTTPStatus, Message: msg, Fix: fix}
}

// NormalReply is what the client hears at stage when no hook stops the
// chain (every hook accepted, or failed with tempFailOnError false), with
// "<host>" and "<queue-id>" for the parts that depend on the server and the
// message: the 220 greeting, the EHLO reply, 250 2.1.0 OK, 250 2.1.5 OK,
// or 250 2.0.0 Message queued with id <queue-id>.
func NormalReply(stage wire.Stage) string {
	switch stage {
	case wire.StageConnect:
		return replyGreeting("<host>")
	case wire.StageEhlo:
		return "250-<host> you had me at EHLO (then the capabilities)"
	case wire.StageMail:
		return ReplyMailOK
	case wire.StageRcpt:
		return ReplyRcptOK
	case wire.StageData:
		return ReplyQueued("<queue-id>")
	}
	return "the normal reply"
}

// accepted is one earlier accepting hook of a data-stage chain and the
// number of modifications it returned.
type accepted struct {
	hookID string
	mods   int
}

// chainDropLint explains that stopper ended the data-stage chain after
// earlier hooks accepted with modifications: Stalwart's run_mta_hooks
// returns the stop reply instead of the gathered modifications, and the
// message is not queued, so none of them is applied
// (crates/smtp/src/inbound/hooks/message.rs, data.rs). It returns false
// when no earlier hook returned modifications.
func chainDropLint(stopper *Exchange, earlier []accepted) (wire.Lint, bool) {
	var parts []string
	for _, a := range earlier {
		if a.mods > 0 {
			parts = append(parts, fmt.Sprintf("%s (%d modification%s)", a.hookID, a.mods, plural(a.mods)))
		}
	}
	if len(parts) == 0 {
		return wire.Lint{}, false
	}
	who := strings.Join(parts, " and ")
	first := earlier[0].hookID
	for _, a := range earlier {
		if a.mods > 0 {
			first = a.hookID
			break
		}
	}
	l := wire.Lint{Code: LintChainDropsMods, Path: stopper.HookID}
	if stopper.Err != nil {
		l.Message = fmt.Sprintf("%s failed (tempFailOnError true) after %s accepted: the client hears %q and the message is not queued, so none of those modifications is applied",
			stopper.HookID, who, ReplyHookTempFail)
		l.Fix = fmt.Sprintf("fix %s, or set tempFailOnError false on it so that its failures skip it and %s's changes are applied", stopper.HookID, first)
		return l, true
	}
	action := stopper.Response.Action
	l.Path = stopper.HookID + " action"
	l.Message = fmt.Sprintf("%s answered %s after %s accepted: the client hears %q and the message is not queued, so none of those modifications is applied",
		stopper.HookID, action, who, nonAcceptReply(stopper.Response))
	if action == wire.ActionReject {
		l.Fix = fmt.Sprintf("if %s should only mark the message, let it accept with an addHeader; a refused message needs no changes", stopper.HookID)
	} else {
		l.Fix = fmt.Sprintf("to keep the message with %s's changes, let %s accept (with an addHeader to flag it) instead of answering %s", first, stopper.HookID, action)
	}
	return l, true
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// cancelLints finds, in one data-stage answer, an addHeader or
// insertHeader and a later deleteHeader (or changeHeader with an empty
// value, which Stalwart turns into a delete) of the same header name that
// cancel out: the modify package, which applies modifications as
// Stalwart's apply_milter_modifications does, gives the same message with
// the pair as without it. Each lint's path names the delete, as
// "<hook> modifications[j]".
func cancelLints(msg *modify.Message, env modify.Envelope, hookID string, mods []wire.Modification) []wire.Lint {
	if msg == nil {
		return nil
	}
	var full []byte
	used := make([]bool, len(mods))
	var out []wire.Lint
	for j, d := range mods {
		if !isHeaderDelete(d) {
			continue
		}
		for i := 0; i < j; i++ {
			a := mods[i]
			if used[i] || (a.Type != wire.ModAddHeader && a.Type != wire.ModInsertHeader) || !text.EqualFoldASCII(a.Name, d.Name) {
				continue
			}
			if full == nil {
				full = applied(msg, env, mods)
			}
			rest := make([]wire.Modification, 0, len(mods)-2)
			for k, m := range mods {
				if k != i && k != j {
					rest = append(rest, m)
				}
			}
			if !bytes.Equal(full, applied(msg, env, rest)) {
				continue
			}
			used[i], used[j] = true, true
			out = append(out, wire.Lint{Code: LintHeaderCancel, Path: fmt.Sprintf("%s modifications[%d]", hookID, j),
				Message: fmt.Sprintf("%s %q (modifications[%d]) and this %s %q #%d cancel out: the final message is the same as without both",
					a.Type, a.Name, i, d.Type, d.Name, d.Index),
				Fix: "drop both; to replace a received header use changeHeader, to remove one use deleteHeader with its index among the headers of that name"})
			break
		}
	}
	return out
}

func isHeaderDelete(m wire.Modification) bool {
	return m.Type == wire.ModDeleteHeader || (m.Type == wire.ModChangeHeader && m.Value == "")
}

// applied is the message after mods, as Stalwart would queue it.
func applied(msg *modify.Message, env modify.Envelope, mods []wire.Modification) []byte {
	if res := modify.Apply(msg, env, mods); res.Raw != nil {
		return res.Raw
	}
	return msg.Raw
}
