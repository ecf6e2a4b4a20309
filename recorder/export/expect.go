package export

import (
	"regexp"

	"github.com/hooksim/hooksim/recorder/report"
	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/wire"
)

// expectations returns a copy of s whose steps expect exactly what the
// recorded run r did, read as stored (report.FromRows), as
// simulator.Expectations does for a play just made: each step's action
// and reply (simulator.QueuedReplyPattern for a queued reply), the
// modifications the hooks returned, for data and bdat steps the
// delivery, the final envelope and every occurrence of the headers the
// hooks added, changed or removed (simulator.ChangedHeaders), and with
// o.Lints the lint codes. Steps the run did not reach, or could not send
// (report.NotSent), keep no expectations.
func expectations(s *sessions.Session, r *report.Session, o SessionOptions) *sessions.Session {
	out := *s
	out.Steps = make([]sessions.Step, len(s.Steps))
	copy(out.Steps, s.Steps)
	txByNumber := map[int]*report.Transaction{}
	for i := range r.Transactions {
		txByNumber[r.Transactions[i].Number] = &r.Transactions[i]
	}
	queued := regexp.MustCompile(simulator.QueuedReplyPattern)
	notSent := report.NotSent(r.Steps)
	for i := range out.Steps {
		if i >= len(r.Steps) || notSent[i] {
			out.Steps[i].Expect = nil
			continue
		}
		st := &r.Steps[i]
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
		if sessions.StepKind(st.Kind).IsMessage() {
			if tx := txByNumber[st.Transaction]; tx != nil && tx.Reply == st.Reply {
				delivered := tx.Delivered
				e.Delivered = &delivered
				if delivered {
					env := &sessions.ExpectEnvelope{To: append([]string{}, tx.EnvelopeAfter.To...)}
					if tx.EnvelopeAfter.From != nil {
						from := *tx.EnvelopeAfter.From
						env.From = &from
					}
					e.Envelope = env
					e.Headers = simulator.ChangedHeaders(report.RawBytes(tx.Original), report.RawBytes(tx.Final))
				}
			}
		}
		out.Steps[i].Expect = e
	}
	return &out
}

// expectModification is m as a step expects it: type, name, value, and
// the index of the header edits that have one.
func expectModification(m report.Modification) sessions.ExpectModification {
	em := sessions.ExpectModification{Type: m.Type, Name: m.Name, Value: m.Value}
	switch wire.ModType(m.Type) {
	case wire.ModInsertHeader, wire.ModChangeHeader, wire.ModDeleteHeader:
		idx := m.Index
		em.Index = &idx
	}
	return em
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
