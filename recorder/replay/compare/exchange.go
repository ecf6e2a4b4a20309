package compare

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"

	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/wire"
)

// Exchange compares the answers to the same request sent twice (exact
// replay). The reply compared is the one each answer alone leads to.
// Either side may be nil (a missing or new exchange); both nil gives nil.
func Exchange(before, after *simulator.Exchange, o Options) *ExchangeDiff {
	if before == nil && after == nil {
		return nil
	}
	return compareExchange(before, after, exactReply, exactReply, o)
}

// keyOf is the key of ex without its n-th count.
func keyOf(ex *simulator.Exchange) ExchangeKey {
	return ExchangeKey{StepIndex: ex.StepIndex, Stage: ex.Stage, HookID: ex.HookID}
}

// compareExchange compares two exchanges; replyB and replyA give each
// side's SMTP reply.
func compareExchange(b, a *simulator.Exchange, replyB, replyA func(*simulator.Exchange) string, o Options) *ExchangeDiff {
	d := &ExchangeDiff{}
	var bMods, aMods []wire.Modification
	var bLints, aLints []wire.Lint
	if b != nil {
		d.Key = keyOf(b)
		d.BeforeSeq = b.Seq
		d.Outcome.Before, d.Effect.Before, d.ErrorClass.Before = b.Outcome, b.Effect, errClass(b.Err)
		d.Reply.Before = replyB(b)
		if b.Response != nil {
			bMods = b.Response.Modifications
		}
		bLints = b.Lints
		if !o.IgnoreLatency {
			d.Latency.Before = b.Call.Duration.String()
		}
	}
	if a != nil {
		d.Key = keyOf(a)
		d.AfterSeq = a.Seq
		d.Outcome.After, d.Effect.After, d.ErrorClass.After = a.Outcome, a.Effect, errClass(a.Err)
		d.Reply.After = replyA(a)
		if a.Response != nil {
			aMods = a.Response.Modifications
		}
		aLints = a.Lints
		if !o.IgnoreLatency {
			d.Latency.After = a.Call.Duration.String()
		}
	}
	switch {
	case a == nil:
		d.Status = StatusMissing
		d.Modifications, _ = diffMods(bMods, nil)
		return d
	case b == nil:
		d.Status = StatusNew
		d.Modifications, _ = diffMods(nil, aMods)
		return d
	}
	d.Modifications, d.ModsReordered = diffMods(bMods, aMods)
	if !o.IgnoreLints {
		d.LintsAdded, d.LintsRemoved = diffLints(bLints, aLints)
	}
	d.Status = StatusSame
	if d.Outcome.Changed() || d.Effect.Changed() || d.ErrorClass.Changed() || d.Reply.Changed() ||
		d.ModsChanged() || len(d.LintsAdded) > 0 || len(d.LintsRemoved) > 0 {
		d.Status = StatusChanged
	}
	d.Notes = exchangeNotes(b, a)
	return d
}

// exchangeNotes lists the differences that do not change the meaning.
func exchangeNotes(b, a *simulator.Exchange) []string {
	var notes []string
	if b.URL != a.URL {
		notes = append(notes, fmt.Sprintf("URL %s%s%s", b.URL, arrow, a.URL))
	}
	// A status or body that changed with the meaning is no news; one
	// that changed without it is worth a note.
	if b.Call.Status != a.Call.Status && b.Call.Status != 0 && a.Call.Status != 0 {
		notes = append(notes, fmt.Sprintf("HTTP status %d%s%d", b.Call.Status, arrow, a.Call.Status))
	}
	if !bytes.Equal(b.Call.Body, a.Call.Body) && b.Err == nil && a.Err == nil && sameResponse(b.Response, a.Response) {
		notes = append(notes, "response body bytes differ, same meaning")
	}
	if b.Err != nil && a.Err != nil && b.Err.Class == a.Err.Class && b.Err.Message != a.Err.Message {
		notes = append(notes, fmt.Sprintf("error message %q%s%q", errText(b.Err), arrow, errText(a.Err)))
	}
	// A new or other kind of error: say what it was, not only its class.
	if a.Err != nil && (b.Err == nil || b.Err.Class != a.Err.Class) {
		notes = append(notes, "now: "+errText(a.Err))
	}
	if b.Err != nil && (a.Err == nil || b.Err.Class != a.Err.Class) {
		notes = append(notes, "was: "+errText(b.Err))
	}
	if b.Response != nil && a.Response != nil && !reflect.DeepEqual(b.Response.Reply, a.Response.Reply) {
		notes = append(notes, fmt.Sprintf("response object %s%s%s", describeSMTP(b.Response.Reply), arrow, describeSMTP(a.Response.Reply)))
	}
	return notes
}

// sameResponse compares two parsed responses, modifications in canonical
// form.
func sameResponse(b, a *wire.Response) bool {
	if b == nil || a == nil {
		return b == a
	}
	return b.Action == a.Action && reflect.DeepEqual(b.Reply, a.Reply) &&
		slices.Equal(canonicalMods(b.Modifications), canonicalMods(a.Modifications))
}

// describeSMTP renders a response object in one line.
func describeSMTP(r *wire.SMTPResponse) string {
	if r == nil {
		return "(none)"
	}
	s := "{"
	sep := ""
	if r.Status != nil {
		s += fmt.Sprintf("status %d", *r.Status)
		sep = ", "
	}
	if r.EnhancedStatus != nil {
		s += fmt.Sprintf("%senhanced_status %q", sep, *r.EnhancedStatus)
		sep = ", "
	}
	if r.Message != nil {
		s += fmt.Sprintf("%smessage %q", sep, *r.Message)
		sep = ", "
	}
	if r.Disconnect {
		s += sep + "disconnect"
	}
	return s + "}"
}
