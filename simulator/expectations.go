package simulator

import (
	"regexp"
	"slices"
	"strings"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator/modify"
	"github.com/hooksim/hooksim/simulator/wire"
)

// QueuedReplyPattern matches Stalwart's queued reply whatever the queue
// id, which changes on every play: what a captured expectation of a
// queued reply expects (reply_match).
const QueuedReplyPattern = `^250 2\.0\.0 Message queued with id [0-9a-f]+\.$`

var queuedReply = regexp.MustCompile(QueuedReplyPattern)

// ExpectOptions tune what Expectations captures.
type ExpectOptions struct {
	// Lints makes every step expect the lint codes reported then. Off by
	// default: a lint is advice, and fixing what it points at must not
	// fail a regression test.
	Lints bool
}

// Expectations returns a copy of s whose steps expect exactly what res
// recorded: each step's action and reply (a pattern for queued replies),
// the modifications the hooks returned, for data steps the delivery, the
// final envelope and every occurrence of the headers the hooks added,
// changed or removed, and with o.Lints the lint codes. Played back against
// the same hook the copy passes; against a changed hook it fails where the
// behaviour changed. Steps res did not reach keep no expectations.
func Expectations(s *sessions.Session, res *SessionResult, o ExpectOptions) *sessions.Session {
	out := *s
	out.Steps = make([]sessions.Step, len(s.Steps))
	copy(out.Steps, s.Steps)
	txByNumber := map[int]*TransactionResult{}
	for _, tx := range res.Transactions {
		txByNumber[tx.Number] = tx
	}
	for i := range out.Steps {
		if i >= len(res.Steps) {
			out.Steps[i].Expect = nil
			continue
		}
		st := res.Steps[i]
		if st.NotSent {
			// The connection was closed before: nothing to expect of it.
			out.Steps[i].Expect = nil
			continue
		}
		e := &sessions.Expect{Action: st.Action}
		reply := st.Reply()
		if queuedReply.MatchString(reply) {
			e.ReplyMatch = regexp.MustCompile(queuedReply.String())
		} else if reply != "" {
			e.Reply = reply
		}
		for _, ex := range st.Exchanges {
			if ex.Response == nil {
				continue
			}
			for _, m := range ex.Response.Modifications {
				e.Modifications = append(e.Modifications, expectModification(m))
			}
		}
		if o.Lints {
			e.Lints = uniqueCodes(st.Lints)
		}
		if sessions.StepKind(st.Kind).IsMessage() {
			if tx := txByNumber[st.Transaction]; tx != nil && tx.Reply == reply {
				delivered := tx.Delivered
				e.Delivered = &delivered
				if delivered {
					env := &sessions.ExpectEnvelope{To: append([]string{}, tx.EnvelopeOut.To...)}
					if tx.EnvelopeOut.From != nil {
						from := *tx.EnvelopeOut.From
						env.From = &from
					}
					e.Envelope = env
					e.Headers = ChangedHeaders(tx.Original, tx.Final)
				}
			}
		}
		out.Steps[i].Expect = e
	}
	return &out
}

func expectModification(m wire.Modification) sessions.ExpectModification {
	em := sessions.ExpectModification{Type: string(m.Type), Name: m.Name, Value: m.Value}
	switch m.Type {
	case wire.ModInsertHeader, wire.ModChangeHeader, wire.ModDeleteHeader:
		idx := m.Index
		em.Index = &idx
	}
	return em
}

func uniqueCodes(lints []wire.Lint) []string {
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

// ChangedHeaders lists the headers whose occurrences (every value, in
// order, compared as HeaderText) differ between the original and the final
// message, in the final message's order, with every final occurrence; and
// those the hooks removed entirely, as absent. Expectations captures them
// for a delivered message.
func ChangedHeaders(original, final []byte) []sessions.ExpectHeader {
	occurrences := func(raw []byte) (map[string][]string, []string) {
		vals, order := map[string][]string{}, []string{}
		for _, h := range modify.Split(raw).Headers {
			k := strings.ToLower(string(h.Name))
			if _, ok := vals[k]; !ok {
				order = append(order, string(h.Name))
			}
			vals[k] = append(vals[k], HeaderText(h.Value))
		}
		return vals, order
	}
	before, beforeOrder := occurrences(original)
	after, afterOrder := occurrences(final)
	var out []sessions.ExpectHeader
	for _, name := range afterOrder {
		k := strings.ToLower(name)
		if !sessions.ValidHeaderName(name) {
			continue // a name a script cannot write (a lint says so)
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
