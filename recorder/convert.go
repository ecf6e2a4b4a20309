package recorder

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"
	"unsafe"

	"github.com/hooksim/hooksim/recorder/report"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookclient"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/simulator/wire"
	"github.com/hooksim/hooksim/store"
)

// lintsJSON encodes lints as a JSON array ("[]" when none), duplicates
// counted and capped (compactLints).
func lintsJSON(l []wire.Lint) []byte {
	if len(l) == 0 {
		return []byte("[]")
	}
	l = compactLints(l)
	b, err := json.Marshal(l)
	if err != nil {
		return []byte("[]")
	}
	return b
}

func stepRow(st *simulator.StepResult) store.Step {
	return store.Step{
		Index: st.Index, Kind: st.Kind, Line: st.Line, Implied: st.Implied, Command: st.Command,
		Message: st.Message, Replies: st.Replies, Action: st.Action, Transaction: st.Transaction,
		Closed: st.Closed, Failures: st.Failures, Lints: lintsJSON(st.Lints),
	}
}

// exchangeRow is ex as stored, credentials hidden: Authorization
// redacted, the hook's secret hidden wherever it shows in a header,
// credential-like headers (X-Api-Key, Cookie, ...) masked, and a password
// in the URL hidden; in the response's headers and head too (a
// Set-Cookie, the secret echoed back). simulator.CallHook hides them as it
// reports an exchange (Exchange.Redacted); an exchange from elsewhere is
// redacted here. The bodies are kept byte for byte.
func (p *Play) exchangeRow(ex *simulator.Exchange, reply string) store.Exchange {
	secret := p.secrets[ex.HookID]
	row := store.Exchange{
		Seq: ex.Seq, StepIndex: ex.StepIndex, Transaction: ex.Transaction, Stage: string(ex.Stage),
		HookID: ex.HookID, URL: p.redactURL(ex.URL), Started: ex.Started.UTC(), Duration: ex.Call.Duration,
		RequestHeaders: redactedHeaders(ex.RequestHdrs, secret, ex.Redacted), RequestBody: ex.Request,
		Status: ex.Call.Status, ResponseHeaders: redactedHeaders(ex.Call.ResponseHeaders, secret, ex.Redacted),
		ResponseBody: ex.Call.Body, Effect: ex.Effect, Outcome: ex.Outcome, Reply: reply, Lints: lintsJSON(ex.Lints),
		Wire: wireRow(&ex.Call, secret, ex.Redacted),
	}
	if ex.Err != nil {
		row.ErrorClass, row.ErrorText = string(ex.Err.Class), ex.Err.Message
		if !ex.Redacted {
			row.ErrorText = hookclient.RedactText(row.ErrorText, secret...)
		}
	}
	if ex.Response != nil {
		row.Parsed = p.parsedJSON(ex)
	}
	return row
}

// parsedJSON is ex's parsed answer as stored. A hook gives the same answer
// again and again ({"action":"accept"} at most stages), and the parse of
// the same bytes is the same (simulator.CallHook parses the body and
// nothing else): the last answer's JSON is shared when the body is
// byte-identical. Rows only read it.
func (p *Play) parsedJSON(ex *simulator.Exchange) []byte {
	if p.lastParsed != nil && bytes.Equal(ex.Call.Body, p.lastAnswer) {
		return p.lastParsed
	}
	b := report.AppendParsed(make([]byte, 0, 64+96*len(ex.Response.Modifications)), ex.Response)
	p.lastAnswer, p.lastParsed = ex.Call.Body, b
	return b
}

// redactURL is hookconf.RedactURL(u), remembered for the last URL: a
// play calls the same few hooks again and again, and parsing the URL
// for every exchange cost more than the rest of its row.
func (p *Play) redactURL(u string) string {
	if u != p.lastURL || p.lastRedacted == "" {
		p.lastURL, p.lastRedacted = u, hookconf.RedactURL(u)
	}
	return p.lastRedacted
}

// wireRow is what the call looked like on the wire: the heads as sent
// and received (credentials hidden in both), how much of the body was read,
// and the redirects followed with passwords hidden in their URLs.
func wireRow(c *hookclient.CallResult, secret []string, redacted bool) *store.Wire {
	w := &store.Wire{RequestHead: redactedHead(c.RequestHead, secret, redacted),
		ResponseHead: redactedHead(c.ResponseHead, secret, redacted), BodyRead: string(c.BodyRead)}
	for _, r := range c.Redirects {
		w.Redirects = append(w.Redirects, store.Redirect{Status: r.Status, Method: r.Method, URL: hookconf.RedactURL(r.URL)})
	}
	return w
}

// redactedHead is head with credentials hidden (hookclient.RedactHead):
// head itself when it hides none, or when the simulator already hid them
// (redacted: simulator.Exchange.Redacted).
func redactedHead(head []byte, secret []string, redacted bool) []byte {
	if !redacted && hookclient.HeadHides(head, secret...) {
		return hookclient.RedactHead(head, secret...)
	}
	return head
}

// redactedHeaders is h as stored, with credentials hidden
// (hookclient.RedactHeaders): h itself, not copied, when the simulator
// already hid them (redacted: simulator.Exchange.Redacted) or no field
// may hide one, else a copy with those fields redacted.
func redactedHeaders(h []hookconf.HeaderField, secret []string, redacted bool) []store.Header {
	if !redacted {
		for i, f := range h {
			if hookclient.HeaderMayHide(f.Name, f.Value, secret...) {
				out := slices.Clone(storeHeaders(h))
				for j := i; j < len(h); j++ {
					if hookclient.HeaderMayHide(h[j].Name, h[j].Value, secret...) {
						out[j] = store.Header(hookclient.RedactHeaders(h[j:j+1], secret...)[0])
					}
				}
				return out
			}
		}
	}
	return storeHeaders(h)
}

// storeHeaders is h as the store's type, sharing h's array: the two
// types have the same fields (the conversion in it does not compile
// otherwise), and rows only read them, as observers may
// (simulator.Play).
func storeHeaders(h []hookconf.HeaderField) []store.Header {
	_ = store.Header(hookconf.HeaderField{})
	return unsafe.Slice((*store.Header)(unsafe.Pointer(unsafe.SliceData(h))), len(h))
}

// messageRow is tx as a message row, ended at ended. The headers the
// server wrote in front of the final message when it queued it are kept
// (QueuedHead: Queued without its Final, which ends it).
func messageRow(tx *simulator.TransactionResult, ended time.Time) store.Message {
	m := store.Message{
		Number: tx.Number, QueueID: tx.QueueID, Delivered: tx.Delivered, Reply: tx.Reply,
		Original: tx.Original, Final: tx.Final,
		EnvelopeBefore: envelopeJSON(tx.EnvelopeIn), EnvelopeAfter: envelopeJSON(tx.EnvelopeOut),
		Ended: ended.UTC(),
	}
	if tx.Delivered && tx.Queued != nil && bytes.HasSuffix(tx.Queued, tx.Final) {
		n := len(tx.Queued) - len(tx.Final)
		m.QueuedHead = tx.Queued[:n:n]
	}
	return m
}

func envelopeJSON(e simulator.EnvelopeView) []byte {
	if e.To == nil {
		e.To = []string{}
	}
	b, err := json.Marshal(e)
	if err != nil {
		return []byte("null")
	}
	return b
}

// outcome is the run's outcome for a finished session, with its error
// text: interrupted when its play was stopped (Ctrl-C, SIGTERM: the
// context was cancelled), error when the simulator failed, failed when an
// expectation failed, else passed.
func outcome(res *simulator.SessionResult) (string, string) {
	switch {
	case res.Err != nil && errors.Is(res.Err, context.Canceled):
		return store.OutcomeInterrupted, res.Err.Error()
	case res.Err != nil:
		return store.OutcomeError, res.Err.Error()
	case res.Failures > 0:
		return store.OutcomeFailed, ""
	default:
		return store.OutcomePassed, ""
	}
}
