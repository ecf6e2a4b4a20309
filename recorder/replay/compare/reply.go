package compare

import (
	"strings"

	"github.com/hooksim/hooksim/recorder/report"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/wire"
)

const (
	queuedPrefix = "250 2.0.0 Message queued with id "
	// QueueIDMask replaces the queue id in replies: two plays never get
	// the same one.
	QueueIDMask = "<queue-id>"
)

// maskQueueID replaces the hex id in "250 2.0.0 Message queued with id X."
// so that two plays of one session compare equal.
func maskQueueID(reply string) string {
	rest, ok := strings.CutPrefix(reply, queuedPrefix)
	if !ok {
		return reply
	}
	id, ok := strings.CutSuffix(rest, ".")
	if !ok || id == "" || strings.Trim(id, "0123456789abcdefABCDEF") != "" {
		return reply
	}
	return queuedPrefix + QueueIDMask + "."
}

// exactReply is the reply an exchange alone leads to, for exact replays
// where there is no step: the hook's reply for a non-accept, the temp-fail
// reply for an error (Stalwart's default tempFailOnError).
func exactReply(ex *report.Exchange) string {
	switch {
	case ex.Parsed != nil:
		return maskQueueID(simulator.StageReply(wire.Stage(ex.Stage), wireResponse(ex.Parsed)))
	case ex.Effect == "skipped":
		return "(hook skipped: tempFailOnError is false)"
	default:
		return simulator.ReplyHookTempFail
	}
}

// wireResponse is p as the simulator's reply tables read it; parameters
// come out sorted by key (the vocabulary keeps them as a map).
func wireResponse(p *report.Parsed) *wire.Response {
	r := &wire.Response{Action: wire.Action(p.Action)}
	if v := p.Response; v != nil {
		r.Reply = &wire.SMTPResponse{Status: v.Status, EnhancedStatus: v.EnhancedStatus, Message: v.Message, Disconnect: v.Disconnect}
	}
	for _, m := range p.Modifications {
		wm := wire.Modification{Type: wire.ModType(m.Type), Value: m.Value, Name: m.Name, Index: m.Index}
		for _, k := range sortedKeys(m.Parameters) {
			wm.Parameters = append(wm.Parameters, wire.Parameter{Key: k, Value: m.Parameters[k]})
		}
		r.Modifications = append(r.Modifications, wm)
	}
	return r
}

func errClass(e *report.Error) string {
	if e == nil {
		return ""
	}
	return e.Class
}

func errText(e *report.Error) string {
	if e == nil {
		return ""
	}
	return e.Message
}
