package compare

import (
	"strings"

	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookclient"
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
func exactReply(ex *simulator.Exchange) string {
	switch {
	case ex.Response != nil:
		return maskQueueID(simulator.StageReply(ex.Stage, ex.Response))
	case ex.Effect == "skipped":
		return "(hook skipped: tempFailOnError is false)"
	default:
		return simulator.ReplyHookTempFail
	}
}

func errClass(e *hookclient.HookError) string {
	if e == nil {
		return ""
	}
	return string(e.Class)
}

func errText(e *hookclient.HookError) string {
	if e == nil {
		return ""
	}
	return e.Message
}
