package compare

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"time"

	"github.com/hooksim/hooksim/recorder/report"
	"github.com/hooksim/hooksim/simulator/wire"
)

// Exchange compares the answers to the same request sent twice (exact
// replay). The reply compared is the one each answer alone leads to.
// Either side may be nil (a missing or new exchange); both nil gives nil.
func Exchange(before, after *report.Exchange, o Options) *ExchangeDiff {
	if before == nil && after == nil {
		return nil
	}
	return compareExchange(before, after, exactReply, exactReply, o)
}

// keyOf is the key of ex without its n-th count.
func keyOf(ex *report.Exchange) ExchangeKey {
	return ExchangeKey{StepIndex: ex.Step, Stage: wire.Stage(ex.Stage), HookID: ex.Hook}
}

// compareExchange compares two exchanges; replyB and replyA give each
// side's SMTP reply.
func compareExchange(b, a *report.Exchange, replyB, replyA func(*report.Exchange) string, o Options) *ExchangeDiff {
	d := &ExchangeDiff{}
	var bMods, aMods []report.Modification
	var bLints, aLints []wire.Lint
	if b != nil {
		d.Key = keyOf(b)
		d.BeforeSeq = b.Seq
		d.Outcome.Before, d.Effect.Before, d.ErrorClass.Before = b.Outcome, b.Effect, errClass(b.Error)
		d.Reply.Before = replyB(b)
		if b.Parsed != nil {
			bMods = b.Parsed.Modifications
		}
		bLints = wireLints(b.Lints)
		if !o.IgnoreLatency {
			d.Latency.Before = duration(b.DurationMS).String()
		}
	}
	if a != nil {
		d.Key = keyOf(a)
		d.AfterSeq = a.Seq
		d.Outcome.After, d.Effect.After, d.ErrorClass.After = a.Outcome, a.Effect, errClass(a.Error)
		d.Reply.After = replyA(a)
		if a.Parsed != nil {
			aMods = a.Parsed.Modifications
		}
		aLints = wireLints(a.Lints)
		if !o.IgnoreLatency {
			d.Latency.After = duration(a.DurationMS).String()
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

// duration is a report's milliseconds (to the microsecond) as a
// time.Duration.
func duration(ms float64) time.Duration {
	return time.Duration(math.Round(ms*1000)) * time.Microsecond
}

// exchangeNotes lists the differences that do not change the meaning.
func exchangeNotes(b, a *report.Exchange) []string {
	var notes []string
	if b.URL != a.URL {
		notes = append(notes, fmt.Sprintf("URL %s%s%s", b.URL, arrow, a.URL))
	}
	// A status or body that changed with the meaning is no news; one
	// that changed without it is worth a note.
	if b.Response.Status != a.Response.Status && b.Response.Status != 0 && a.Response.Status != 0 {
		notes = append(notes, fmt.Sprintf("HTTP status %d%s%d", b.Response.Status, arrow, a.Response.Status))
	}
	if !sameBody(b.Response.Body, a.Response.Body) && b.Error == nil && a.Error == nil && sameResponse(b.Parsed, a.Parsed) {
		notes = append(notes, "response body bytes differ, same meaning")
	}
	if b.Error != nil && a.Error != nil && b.Error.Class == a.Error.Class && b.Error.Message != a.Error.Message {
		notes = append(notes, fmt.Sprintf("error message %q%s%q", errText(b.Error), arrow, errText(a.Error)))
	}
	// A new or other kind of error: say what it was, not only its class.
	if a.Error != nil && (b.Error == nil || b.Error.Class != a.Error.Class) {
		notes = append(notes, "now: "+errText(a.Error))
	}
	if b.Error != nil && (a.Error == nil || b.Error.Class != a.Error.Class) {
		notes = append(notes, "was: "+errText(b.Error))
	}
	if b.Parsed != nil && a.Parsed != nil && !reflect.DeepEqual(b.Parsed.Response, a.Parsed.Response) {
		notes = append(notes, fmt.Sprintf("response object %s%s%s", describeSMTP(b.Parsed.Response), arrow, describeSMTP(a.Parsed.Response)))
	}
	return notes
}

// sameBody reports whether two bodies carry the same bytes (a body is
// Text when valid UTF-8, else Base64, so equal bytes are equal fields).
func sameBody(b, a report.Body) bool {
	return sameString(b.Text, a.Text) && sameString(b.Base64, a.Base64)
}

func sameString(b, a *string) bool {
	if b == nil || a == nil {
		return b == a
	}
	return *b == *a
}

// sameResponse compares two parsed answers, modifications in canonical
// form.
func sameResponse(b, a *report.Parsed) bool {
	if b == nil || a == nil {
		return b == a
	}
	return b.Action == a.Action && reflect.DeepEqual(b.Response, a.Response) &&
		slices.Equal(canonicalMods(b.Modifications), canonicalMods(a.Modifications))
}

// describeSMTP renders a response object in one line.
func describeSMTP(r *report.Reply) string {
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
