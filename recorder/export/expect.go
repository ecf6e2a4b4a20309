package export

import (
	"regexp"
	"slices"
	"strings"

	"github.com/hooksim/hooksim/recorder/report"
	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookclient"
	"github.com/hooksim/hooksim/simulator/modify"
	"github.com/hooksim/hooksim/simulator/wire"
)

// expectations returns a copy of s whose steps expect exactly what the
// recorded run r did, read as stored (report.FromRows): each step's
// action and reply (simulator.QueuedReplyPattern for a queued reply, whose
// id changes on every play), the modifications the hooks returned, for
// data and bdat steps the delivery, the final envelope and every
// occurrence of the headers the hooks added, changed or removed
// (changedHeaders), and with o.Lints the lint codes. Played again against
// the same hook the copy passes; against a changed hook it fails where
// the behaviour changed. Steps the run did not reach, or could not send
// (report.NotSent), keep no expectations. It is the one builder of
// captured expectations: `hooksim export --as script` writes its result.
func expectations(s *sessions.Session, r *report.Session, o SessionOptions) *sessions.Session {
	steps := make([]*report.Step, len(s.Steps))
	notSent := report.NotSent(r.Steps)
	for i := range steps {
		if i < len(r.Steps) && cancelled(&r.Steps[i]) {
			break // a hook call was cut by the play's stop: nothing after it
		}
		if i < len(r.Steps) && !notSent[i] {
			steps[i] = &r.Steps[i]
		}
	}
	return expectSteps(s, steps, r.Transactions, o)
}

// expectSteps is expectations with the recorded step of each of s's
// steps given: steps[i] is what s.Steps[i] did (nil: it keeps no
// expectation), txs the run's transactions.
func expectSteps(s *sessions.Session, steps []*report.Step, txs []report.Transaction, o SessionOptions) *sessions.Session {
	out := *s
	out.Steps = make([]sessions.Step, len(s.Steps))
	copy(out.Steps, s.Steps)
	txByNumber := map[int]*report.Transaction{}
	for i := range txs {
		txByNumber[txs[i].Number] = &txs[i]
	}
	queued := regexp.MustCompile(simulator.QueuedReplyPattern)
	for i := range out.Steps {
		if i >= len(steps) || steps[i] == nil {
			out.Steps[i].Expect = nil
			continue
		}
		st := steps[i]
		e := &sessions.Expect{Action: st.Action}
		if queued.MatchString(st.Reply) {
			e.ReplyMatch = regexp.MustCompile(simulator.QueuedReplyPattern)
		} else if st.Reply != "" {
			e.Reply = st.Reply
		}
		for _, ex := range st.Exchanges {
			if ex.Parsed == nil {
				continue
			}
			for _, m := range ex.Parsed.Modifications {
				e.Modifications = append(e.Modifications, expectModification(m))
			}
		}
		if o.Lints {
			e.Lints = uniqueCodes(st.Lints)
		}
		// A message's step: data, bdat, or the raw BDAT LAST a live
		// client sent its last chunk with.
		rawBdat := st.Kind == string(sessions.StepRaw) && strings.EqualFold(simulator.CommandVerb(st.Command), "BDAT")
		if sessions.StepKind(st.Kind).IsMessage() || rawBdat {
			if tx := txByNumber[st.Transaction]; tx != nil && tx.Reply == st.Reply && (!rawBdat || tx.Reply != "") {
				delivered := tx.Delivered
				e.Delivered = &delivered
				if delivered {
					env := &sessions.ExpectEnvelope{To: append([]string{}, tx.EnvelopeAfter.To...)}
					if tx.EnvelopeAfter.From != nil {
						from := *tx.EnvelopeAfter.From
						env.From = &from
					}
					e.Envelope = env
					e.Headers = changedHeaders(report.RawBytes(tx.Original), report.RawBytes(tx.Final))
				}
			}
		}
		out.Steps[i].Expect = e
	}
	return &out
}

// cancelled reports a step whose hook call was cut because its play was
// stopped (Ctrl-C: hookclient.ErrCanceled): what it says after that is
// no Stalwart's answer, so neither it nor the steps after it expect
// anything.
func cancelled(st *report.Step) bool {
	for _, ex := range st.Exchanges {
		if ex.Error != nil && ex.Error.Class == string(hookclient.ErrCanceled) {
			return true
		}
	}
	return false
}

// expectModification is m as a step expects it: type, name, value, the
// index of the header edits that have one, and the ESMTP parameters of a
// changeFrom or addRecipient that had any (exactly those, so a hook that
// stops sending one fails). One with none keeps parameters unchecked, as
// scripts exported before parameters were captured do. Parameters whose
// keywords differ only in case (two entries for Stalwart's map, one
// keyword for its parser) are left unchecked too: a script compares
// keywords case-insensitively and cannot hold both.
func expectModification(m report.Modification) sessions.ExpectModification {
	em := sessions.ExpectModification{Type: m.Type, Name: m.Name, Value: m.Value}
	switch wire.ModType(m.Type) {
	case wire.ModInsertHeader, wire.ModChangeHeader, wire.ModDeleteHeader:
		idx := m.Index
		em.Index = &idx
	case wire.ModChangeFrom, wire.ModAddRecipient:
		if len(m.Parameters) > 0 && !foldCollision(m.Parameters) {
			em.Parameters = make(map[string]*string, len(m.Parameters))
			for k, v := range m.Parameters {
				if v != nil {
					v = new(*v)
				}
				em.Parameters[k] = v
			}
		}
	}
	return em
}

// foldCollision reports whether two keywords of ps differ only in case.
func foldCollision(ps map[string]*string) bool {
	seen := make(map[string]bool, len(ps))
	for k := range ps {
		f := sessions.ParameterKeyFold(k)
		if seen[f] {
			return true
		}
		seen[f] = true
	}
	return false
}

// uniqueCodes are the codes of lints, each once, in order.
func uniqueCodes(lints []report.Lint) []string {
	var out []string
	seen := map[string]bool{}
	for _, l := range lints {
		if !seen[l.Code] {
			seen[l.Code] = true
			out = append(out, l.Code)
		}
	}
	return out
}

// changedHeaders lists the headers whose occurrences (every value, in
// order, compared as simulator.HeaderText, as a step's header expectation
// compares them) differ between the original and the final message, in
// the final message's order, with every final occurrence; and those the
// hooks removed entirely, as absent. Names a script cannot write
// (sessions.ValidHeaderName) are left out: a lint says so.
func changedHeaders(original, final []byte) []sessions.ExpectHeader {
	occurrences := func(raw []byte) (map[string][]string, []string) {
		vals, order := map[string][]string{}, []string{}
		for _, h := range modify.Split(raw).Headers {
			k := strings.ToLower(string(h.Name))
			if _, ok := vals[k]; !ok {
				order = append(order, string(h.Name))
			}
			vals[k] = append(vals[k], simulator.HeaderText(h.Value))
		}
		return vals, order
	}
	before, beforeOrder := occurrences(original)
	after, afterOrder := occurrences(final)
	var out []sessions.ExpectHeader
	for _, name := range afterOrder {
		k := strings.ToLower(name)
		if !sessions.ValidHeaderName(name) {
			continue
		}
		if !slices.Equal(before[k], after[k]) {
			out = append(out, sessions.ExpectHeader{Name: name, Values: after[k]})
		}
	}
	for _, name := range beforeOrder {
		if _, ok := after[strings.ToLower(name)]; !ok {
			out = append(out, sessions.ExpectHeader{Name: name, Absent: true})
		}
	}
	return out
}
