package simulator

import (
	"context"
	"fmt"
	"github.com/hooksim/hooksim/sessions"
	"strings"
	"time"

	"github.com/hooksim/hooksim/simulator/hookclient"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/simulator/modify"
	"github.com/hooksim/hooksim/simulator/wire"
)

// chainOutcome is what running the hook chain at one stage decided.
type chainOutcome struct {
	stopped   bool   // a hook did not accept, or failed with tempFailOnError
	reply     string // the reply the client gets when stopped
	mods      []wire.Modification
	modSource []string // for each mod, where it came from: "hook-1 modifications[0]"
}

// runHooks calls every hook configured and enabled for stage, in order,
// as Stalwart's run_mta_hooks does.
func (p *player) runHooks(ctx context.Context, st *StepResult, stage wire.Stage, msg *modify.Message, queueID string) chainOutcome {
	var out chainOutcome
	// Every hook of the stage gets the same request: it is encoded once
	// and its bytes shared by the exchanges (they are never modified).
	var body []byte
	var earlier []accepted // the accepting hooks so far, for chain lints
	for _, h := range p.sim.Hooks {
		if !h.Stages[stage] || !h.Enable.Enabled(p.exprVars()) {
			continue
		}
		if body == nil {
			body = p.request(stage, msg, queueID).Encode()
		}
		ex := p.call(ctx, st, stage, h, body)
		if ex.Err != nil {
			if h.TempFailOnError {
				ex.Effect = "tempfail"
				p.publish(ctx, st, ex)
				p.lintChainDrop(st, stage, ex, earlier)
				out.stopped, out.reply = true, ReplyHookTempFail
				return out
			}
			ex.Effect = "skipped"
			p.publish(ctx, st, ex)
			continue
		}
		p.publish(ctx, st, ex)
		resp := ex.Response
		if stage == wire.StageData {
			st.Lints = append(st.Lints, cancelLints(msg, modify.Envelope{From: p.from, To: p.to}, h.ID, resp.Modifications)...)
		}
		// A hook that replaces the body drops the earlier hooks' replacements.
		if hasReplace(resp.Modifications) && len(out.mods) > 0 {
			kept, src := out.mods[:0:0], out.modSource[:0:0]
			for i, m := range out.mods {
				if m.Type != wire.ModReplaceContents {
					kept, src = append(kept, m), append(src, out.modSource[i])
				}
			}
			out.mods, out.modSource = kept, src
		}
		for i, m := range resp.Modifications {
			out.mods = append(out.mods, m)
			out.modSource = append(out.modSource, fmt.Sprintf("%s modifications[%d]", h.ID, i))
		}
		if resp.Action == wire.ActionAccept {
			earlier = append(earlier, accepted{hookID: h.ID, mods: len(resp.Modifications)})
			continue
		}
		p.lintChainDrop(st, stage, ex, earlier)
		out.stopped = true
		out.reply = nonAcceptReply(resp)
		return out
	}
	return out
}

// lintChainDrop adds the chain-drops-modifications lint to the step when
// ex stopped the data-stage chain after hooks that accepted with
// modifications. Before data, modifications are thrown away anyway (the
// mods-before-data lint says so).
func (p *player) lintChainDrop(st *StepResult, stage wire.Stage, ex *Exchange, earlier []accepted) {
	if stage != wire.StageData {
		return
	}
	if l, ok := chainDropLint(ex, earlier); ok {
		st.Lints = append(st.Lints, l)
	}
}

func hasReplace(mods []wire.Modification) bool {
	for _, m := range mods {
		if m.Type == wire.ModReplaceContents {
			return true
		}
	}
	return false
}

// nonAcceptReply is the reply for reject, discard and quarantine: the
// default, or the hook's own when it set both status and message.
func nonAcceptReply(r *wire.Response) string {
	if c := r.Reply; c != nil && c.Status != nil && c.Message != nil {
		if c.EnhancedStatus != nil {
			return fmt.Sprintf("%d %s %s", *c.Status, *c.EnhancedStatus, *c.Message)
		}
		return fmt.Sprintf("%d %s", *c.Status, *c.Message)
	}
	if r.Action == wire.ActionReject {
		return ReplyHookReject
	}
	return ReplyHookDiscard
}

// call sends one request to one hook and classifies the answer.
func (p *player) call(ctx context.Context, st *StepResult, stage wire.Stage, h *hookconf.Hook, body []byte) *Exchange {
	p.seq++
	ex := CallHook(ctx, p.client, h, stage, body, p.now)
	ex.Session, ex.Seq, ex.StepIndex, ex.Transaction = p.sess.Name, p.seq, st.Index, p.tx
	return ex
}

// CallHook sends one request body to one hook, parses the answer as
// Stalwart does and lints it. The exchange's Effect is left for the
// caller, who knows the chain.
func CallHook(ctx context.Context, client *hookclient.Client, h *hookconf.Hook, stage wire.Stage, body []byte, now func() time.Time) *Exchange {
	secrets := h.Secrets()
	ex := &Exchange{Stage: stage, HookID: h.ID, URL: hookclient.RedactText(hookconf.RedactURL(h.URL), secrets...), Started: now(), Request: body}
	ex.Call = client.Call(ctx, h, body)
	ex.RequestHdrs = hookclient.RedactHeaders(ex.Call.RequestHeaders, secrets...)
	ex.Call.RequestHeaders = ex.RequestHdrs
	// The answer's headers and head are shown, reported and stored with
	// credentials hidden too (a Set-Cookie, the secret echoed back); its
	// body stays byte for byte.
	ex.Call.ResponseHeaders = hookclient.RedactHeaders(ex.Call.ResponseHeaders, secrets...)
	ex.Call.ResponseHead = hookclient.RedactHead(ex.Call.ResponseHead, secrets...)
	ex.Redacted = true // the request head was redacted by the client
	if e := ex.Call.Err; e != nil {
		// An error may quote the answer (a malformed header line whole).
		e.Message = hookclient.RedactText(e.Message, secrets...)
	}
	ex.Err = ex.Call.Err
	if ex.Err != nil && ex.Err.Class == hookclient.ErrHTTPStatus {
		ex.Lints = []wire.Lint{StatusLint(ex.Call.Status, ex.Call.Body)}
	}
	if ex.Err == nil {
		resp, lints, err := wire.Inspect(ex.Call.Body, stage)
		ex.Lints = wire.CompactLints(lints)
		if err != nil {
			ex.Err = &hookclient.HookError{Class: hookclient.ErrParse, Message: "Failed to parse Hook response: " + err.Error()}
		} else {
			ex.Response = resp
		}
	}
	if ex.Err != nil {
		ex.Outcome = "error"
	} else {
		ex.Outcome = string(ex.Response.Action)
	}
	return ex
}

// ChainReply applies Stalwart's chain rules to exchanges made in order at
// one stage: the first hook that did not accept, or that failed with
// tempFailOnError, decides the reply. It sets each failed exchange's
// Effect and reports whether the chain stopped.
func ChainReply(exchanges []*Exchange, tempFailOnError func(hookID string) bool) (reply string, stopped bool) {
	for _, ex := range exchanges {
		if ex.Err != nil {
			if tempFailOnError(ex.HookID) {
				ex.Effect = "tempfail"
				return ReplyHookTempFail, true
			}
			ex.Effect = "skipped"
			continue
		}
		if ex.Response.Action != wire.ActionAccept {
			return nonAcceptReply(ex.Response), true
		}
	}
	return "", false
}

func (p *player) publish(ctx context.Context, st *StepResult, ex *Exchange) {
	st.Exchanges = append(st.Exchanges, ex)
	st.Lints = append(st.Lints, ex.Lints...)
	p.res.Exchanges++
	p.obs.Exchange(ex)
}

// request builds the body Stalwart would send at stage in the current state.
func (p *player) request(stage wire.Stage, msg *modify.Message, queueID string) *wire.Request {
	c := p.sess.Client
	r := &wire.Request{Context: wire.Context{
		Stage:    stage,
		Client:   wire.ClientInfo{IP: c.IP, Port: c.Port, ActiveConnections: 1},
		Server:   wire.ServerInfo{Name: serverName(p.sess.Server), Port: p.sess.Server.Port, IP: p.sess.Server.IP},
		Protocol: wire.Protocol{Version: 1},
	}}
	// The PTR name comes from the reverse-IP check, which runs at the
	// first MAIL FROM of the connection (when verification is on) and is
	// kept for the rest of it, later EHLOs and transactions included
	// (hooks/message.rs takes data.iprev's first name). mail-auth keeps
	// the PTR names whenever the PTR lookup found some, whatever the
	// forward check gave (pass, fail, or its temp/perm error), so the
	// name is sent when the script has one.
	if p.iprevDone && c.PTR != "" {
		ptr := wirePTR(c.PTR)
		r.Context.Client.PTR = &ptr
	}
	if p.helo != "" {
		helo := p.helo
		r.Context.Client.HELO = &helo
	}
	if p.authAs != "" {
		r.Context.SASL = &wire.SASL{Login: p.authAs}
	}
	if p.tls != nil {
		r.Context.TLS = &wire.TLSInfo{Version: p.tls.Version, Cipher: p.tls.Cipher}
	}
	if queueID != "" {
		r.Context.Queue = &wire.Queue{ID: queueID}
	}
	if p.from != nil {
		env := &wire.Envelope{From: wire.Address{Address: p.from.Lower}, To: make([]wire.Address, 0, len(p.to))}
		for _, t := range p.to {
			env.To = append(env.To, wire.Address{Address: t.Lower})
		}
		r.Envelope = env
	}
	if msg != nil {
		r.Message = &wire.Message{Headers: msg.WireHeaders(), Contents: msg.Body, Size: len(msg.Raw)}
	}
	return r
}

// exprVars are the variables an enable expression sees right now.
func (p *player) exprVars() *hookconf.ExprVars {
	v := &hookconf.ExprVars{
		AuthenticatedAs: p.authAs,
		Listener:        fmt.Sprintf("smtp-%d", p.sess.Server.Port),
		RemoteIP:        p.sess.Client.IP,
		RemotePort:      p.sess.Client.Port,
		LocalIP:         p.sess.Server.IP,
		LocalPort:       p.sess.Server.Port,
		Protocol:        "smtp",
		IsTLS:           p.tls != nil,
		HeloDomain:      p.helo,
		Priority:        p.priority,
	}
	if p.from != nil {
		v.Sender = p.from.Lower
		_, v.SenderDomain, _ = strings.Cut(v.Sender, "@")
	}
	for _, t := range p.to {
		v.Recipients = append(v.Recipients, t.Lower)
	}
	if n := len(p.to); n > 0 {
		v.Rcpt = p.to[n-1].Lower
		_, v.RcptDomain, _ = strings.Cut(v.Rcpt, "@")
	}
	return v
}

func modPath(src []string, i int) string {
	if i >= 0 && i < len(src) {
		return src[i]
	}
	return ""
}

// StageReply says what the SMTP client hears when a single hook answers r
// at stage, as text for a person: the reply line, plus what happens to
// the modifications.
func StageReply(stage wire.Stage, r *wire.Response) string {
	if r.Action != wire.ActionAccept {
		return nonAcceptReply(r)
	}
	switch stage {
	case wire.StageConnect:
		return "220 <host> Stalwart ESMTP at your service (the normal greeting)"
	case wire.StageEhlo:
		return "250-<host> you had me at EHLO (the normal reply)"
	case wire.StageMail:
		return ReplyMailOK
	case wire.StageRcpt:
		return ReplyRcptOK
	case wire.StageData:
		return ReplyQueued("<queue-id>") + " (modifications applied)"
	}
	return "the normal reply"
}

// wirePTR is a PTR name as Stalwart sends it: mail-auth lower-cases the
// DNS name and formats it with hickory's Display, which ends a fully
// qualified name with a dot ("mail.example.net.").
func wirePTR(name string) string {
	name = strings.ToLower(name)
	if !strings.HasSuffix(name, ".") {
		name += "."
	}
	return name
}

// serverName is context.server.name: the session's, else the version
// hooksim reproduces.
func serverName(sv sessions.Server) string {
	if sv.Name != "" {
		return sv.Name
	}
	return wire.ServerName
}
