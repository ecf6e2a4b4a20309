package web

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/wire"
	"github.com/hooksim/hooksim/store"
)

// runView is a run as the API shows it.
type runView struct {
	ID         int64      `json:"id"`
	Session    string     `json:"session"`
	File       string     `json:"file"`
	Hash       string     `json:"hash"`
	Source     string     `json:"source"`
	ReplayOf   int64      `json:"replay_of"`
	ReplayMode string     `json:"replay_mode"`
	Started    time.Time  `json:"started"`
	Ended      *time.Time `json:"ended"`
	Outcome    string     `json:"outcome"`
	Failures   int        `json:"failures"`
	Exchanges  int        `json:"exchanges"`
	Error      string     `json:"error"`
}

func runViewOf(r *store.Run) runView {
	v := runView{
		ID: r.ID, Session: r.SessionName, File: r.SessionFile, Hash: r.SessionHash, Source: r.Source,
		ReplayOf: r.ReplayOf, ReplayMode: r.ReplayMode, Started: r.Started.UTC(), Outcome: r.Outcome,
		Failures: r.Failures, Exchanges: r.Exchanges, Error: r.Error,
	}
	if !r.Ended.IsZero() {
		e := r.Ended.UTC()
		v.Ended = &e
	}
	return v
}

// lintView is one lint.
type lintView struct {
	Code    string `json:"code"`
	Path    string `json:"path"`
	Message string `json:"message"`
	Fix     string `json:"fix,omitempty"`
}

func lintsOf(ls []wire.Lint) []lintView {
	out := make([]lintView, len(ls))
	for i, l := range ls {
		out[i] = lintView{Code: l.Code, Path: l.Path, Message: l.Message, Fix: l.Fix}
	}
	return out
}

// lintsJSON decodes a stored lint array; a broken one is no lints.
func lintsJSON(b []byte) []lintView {
	var ls []wire.Lint
	if len(b) > 0 {
		_ = json.Unmarshal(b, &ls)
	}
	return lintsOf(ls)
}

// errorView is a failed hook call.
type errorView struct {
	Class   string `json:"class"`
	Message string `json:"message"`
}

// exchangeSummary is an exchange without its bodies.
type exchangeSummary struct {
	Seq           int        `json:"seq"`
	Stage         string     `json:"stage"`
	Hook          string     `json:"hook"`
	URL           string     `json:"url"`
	Started       time.Time  `json:"started"`
	DurationMS    float64    `json:"duration_ms"`
	Status        int        `json:"status"`
	Outcome       string     `json:"outcome"`
	Effect        string     `json:"effect"`
	Error         *errorView `json:"error"`
	Lints         []lintView `json:"lints"`
	Modifications []string   `json:"modifications"`
}

func durationMS(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}

func summaryOf(ex *simulator.Exchange) exchangeSummary {
	v := exchangeSummary{
		Seq: ex.Seq, Stage: string(ex.Stage), Hook: ex.HookID, URL: ex.URL, Started: ex.Started.UTC(),
		DurationMS: durationMS(ex.Call.Duration), Status: ex.Call.Status, Outcome: ex.Outcome, Effect: ex.Effect,
		Lints: lintsOf(ex.Lints), Modifications: []string{},
	}
	if ex.Err != nil {
		v.Error = &errorView{Class: string(ex.Err.Class), Message: ex.Err.Message}
	}
	if ex.Response != nil {
		v.Modifications = modLines(ex.Response.Modifications)
	}
	return v
}

// summaryOfRow is summaryOf for a row read by the tail: the response is
// parsed again only for its modifications.
func summaryOfRow(e *store.Exchange) exchangeSummary {
	v := exchangeSummary{
		Seq: e.Seq, Stage: e.Stage, Hook: e.HookID, URL: e.URL, Started: e.Started.UTC(),
		DurationMS: durationMS(e.Duration), Status: e.Status, Outcome: e.Outcome, Effect: e.Effect,
		Lints: lintsJSON(e.Lints), Modifications: []string{},
	}
	if e.ErrorClass != "" {
		v.Error = &errorView{Class: e.ErrorClass, Message: e.ErrorText}
	} else if e.Status >= 200 && e.Status < 300 {
		if resp, err := wire.ParseResponse(e.ResponseBody); err == nil {
			v.Modifications = modLines(resp.Modifications)
		}
	}
	return v
}

// modLines renders modifications one per line, as a person reads them.
func modLines(mods []wire.Modification) []string {
	out := make([]string, 0, len(mods))
	for _, m := range mods {
		switch m.Type {
		case wire.ModAddHeader:
			out = append(out, fmt.Sprintf("%s %s: %s", m.Type, m.Name, strconv.Quote(m.Value)))
		case wire.ModInsertHeader, wire.ModChangeHeader:
			out = append(out, fmt.Sprintf("%s %s[%d]: %s", m.Type, m.Name, m.Index, strconv.Quote(m.Value)))
		case wire.ModDeleteHeader:
			out = append(out, fmt.Sprintf("%s %s[%d]", m.Type, m.Name, m.Index))
		case wire.ModReplaceContents:
			out = append(out, fmt.Sprintf("%s (%d bytes)", m.Type, len(m.Value)))
		default:
			s := fmt.Sprintf("%s %s", m.Type, strconv.Quote(m.Value))
			for _, p := range m.Parameters {
				if p.Value == nil {
					s += " " + p.Key
				} else {
					s += " " + p.Key + "=" + *p.Value
				}
			}
			out = append(out, s)
		}
	}
	return out
}

// parsedView is a response as Stalwart parsed it.
type parsedView struct {
	Action        string     `json:"action"`
	Response      *replyView `json:"response"`
	Modifications []modView  `json:"modifications"`
}

type replyView struct {
	Status         *uint16 `json:"status"`
	EnhancedStatus *string `json:"enhanced_status"`
	Message        *string `json:"message"`
	Disconnect     bool    `json:"disconnect"`
}

type modView struct {
	Type       string             `json:"type"`
	Name       string             `json:"name,omitempty"`
	Value      string             `json:"value"`
	Index      uint32             `json:"index"`
	Parameters map[string]*string `json:"parameters,omitempty"`
}

func parsedOf(r *wire.Response) *parsedView {
	if r == nil {
		return nil
	}
	v := &parsedView{Action: string(r.Action), Modifications: []modView{}}
	if r.Reply != nil {
		v.Response = &replyView{Status: r.Reply.Status, EnhancedStatus: r.Reply.EnhancedStatus, Message: r.Reply.Message, Disconnect: r.Reply.Disconnect}
	}
	for _, m := range r.Modifications {
		mv := modView{Type: string(m.Type), Name: m.Name, Value: m.Value, Index: m.Index}
		if len(m.Parameters) > 0 {
			mv.Parameters = map[string]*string{}
			for _, p := range m.Parameters {
				mv.Parameters[p.Key] = p.Value
			}
		}
		v.Modifications = append(v.Modifications, mv)
	}
	return v
}

// stepView is one step of a run.
type stepView struct {
	Index       int               `json:"index"`
	Kind        string            `json:"kind"`
	Line        int               `json:"line"`
	Implied     bool              `json:"implied"`
	Command     string            `json:"command"`
	Message     string            `json:"message"`
	Replies     []string          `json:"replies"`
	Reply       string            `json:"reply"`
	Action      string            `json:"action"`
	Transaction int               `json:"transaction"`
	Closed      bool              `json:"closed"`
	Failures    []string          `json:"failures"`
	Lints       []lintView        `json:"lints"`
	Exchanges   []exchangeSummary `json:"exchanges"`
}

func stepViewOf(st *simulator.StepResult) stepView {
	v := stepView{
		Index: st.Index, Kind: st.Kind, Line: st.Line, Implied: st.Implied, Command: st.Command, Message: st.Message,
		Replies: st.Replies, Reply: st.Reply(), Action: st.Action, Transaction: st.Transaction, Closed: st.Closed,
		Failures: st.Failures, Lints: lintsOf(st.Lints), Exchanges: []exchangeSummary{},
	}
	if v.Replies == nil {
		v.Replies = []string{}
	}
	if v.Failures == nil {
		v.Failures = []string{}
	}
	for _, ex := range st.Exchanges {
		v.Exchanges = append(v.Exchanges, summaryOf(ex))
	}
	return v
}

// txView is one transaction of a run.
type txView struct {
	Number         int                    `json:"number"`
	QueueID        string                 `json:"queue_id"`
	Delivered      bool                   `json:"delivered"`
	Reply          string                 `json:"reply"`
	EnvelopeBefore simulator.EnvelopeView `json:"envelope_before"`
	EnvelopeAfter  simulator.EnvelopeView `json:"envelope_after"`
}

func txViewOf(t *simulator.TransactionResult) txView {
	v := txView{Number: t.Number, QueueID: t.QueueID, Delivered: t.Delivered, Reply: t.Reply, EnvelopeBefore: t.EnvelopeIn, EnvelopeAfter: t.EnvelopeOut}
	if v.EnvelopeBefore.To == nil {
		v.EnvelopeBefore.To = []string{}
	}
	if v.EnvelopeAfter.To == nil {
		v.EnvelopeAfter.To = []string{}
	}
	return v
}
