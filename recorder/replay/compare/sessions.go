package compare

import (
	"cmp"
	"slices"

	"github.com/hooksim/hooksim/recorder/report"
)

// Sessions compares two plays of the same session (resimulate), each as
// the vocabulary has it: a recorded run (report.FromRows) or a play just
// made (report.LiveSession). The final reply of a step is compared as the
// reply of its last exchange. Exchanges no step holds (Unstepped) are not
// compared. Either session may be nil (treated as a play with nothing in
// it).
func Sessions(before, after *report.Session, o Options) *Diff {
	b, a := orEmpty(before), orEmpty(after)
	d := &Diff{Session: cmp.Or(a.Name, b.Name), Mode: ModeResimulate, Err: Change{b.Error, a.Error}}
	bEx, aEx := sessionExchanges(b), sessionExchanges(a)
	d.BeforeExchanges, d.AfterExchanges = len(bEx), len(aEx)
	bSteps, aSteps := stepsByIndex(b), stepsByIndex(a)
	// The step's reply belongs to the step's last exchange, the one that
	// decided it; earlier ones (accepted, the chain went on) have none, so
	// that one hook's new answer does not also change the hooks before it.
	stepReply := func(steps map[int]*report.Step) func(*report.Exchange) string {
		return func(ex *report.Exchange) string {
			st := steps[ex.Step]
			if st == nil || len(st.Exchanges) == 0 || &st.Exchanges[len(st.Exchanges)-1] != ex {
				return ""
			}
			return maskQueueID(st.Reply)
		}
	}
	for _, p := range matchExchanges(bEx, aEx) {
		d.Exchanges = append(d.Exchanges, *compareExchange(p.before, p.after, stepReply(bSteps), stepReply(aSteps), o))
		d.Exchanges[len(d.Exchanges)-1].Key.N = p.n
	}
	d.Steps = compareSteps(b, a, o)
	d.Transactions = compareTransactions(b.Transactions, a.Transactions)
	return d
}

// Exchanges compares two lists of exchanges of session (its name) sent
// again byte for byte (exact replay); each reply is the one the answer
// alone leads to. There are no steps nor transactions in such a diff. Nil
// exchanges are skipped.
func Exchanges(session string, before, after []*report.Exchange, o Options) *Diff {
	bEx, aEx := sortedExchanges(before), sortedExchanges(after)
	d := &Diff{Session: session, Mode: ModeExact, BeforeExchanges: len(bEx), AfterExchanges: len(aEx)}
	for _, p := range matchExchanges(bEx, aEx) {
		d.Exchanges = append(d.Exchanges, *compareExchange(p.before, p.after, exactReply, exactReply, o))
		d.Exchanges[len(d.Exchanges)-1].Key.N = p.n
	}
	return d
}

func orEmpty(s *report.Session) *report.Session {
	if s == nil {
		return &report.Session{}
	}
	return s
}

// sessionExchanges lists the exchanges of a play's steps in sequence
// order, as pointers into s (a step's reply goes with its last one).
func sessionExchanges(s *report.Session) []*report.Exchange {
	var all []*report.Exchange
	for i := range s.Steps {
		for j := range s.Steps[i].Exchanges {
			all = append(all, &s.Steps[i].Exchanges[j])
		}
	}
	return sortedExchanges(all)
}

func sortedExchanges(in []*report.Exchange) []*report.Exchange {
	out := make([]*report.Exchange, 0, len(in))
	for _, ex := range in {
		if ex != nil {
			out = append(out, ex)
		}
	}
	slices.SortStableFunc(out, func(x, y *report.Exchange) int { return x.Seq - y.Seq })
	return out
}

func stepsByIndex(s *report.Session) map[int]*report.Step {
	m := make(map[int]*report.Step, len(s.Steps))
	for i := range s.Steps {
		m[s.Steps[i].Index] = &s.Steps[i]
	}
	return m
}

// pair is one exchange of each play with the same key; either may be nil.
type pair struct {
	before, after *report.Exchange
	n             int
}

// matchExchanges pairs the exchanges of two plays by (step, stage, hook,
// n-th call) and lists the pairs in play order: the before play's order,
// with the after play's unmatched exchanges where they occur.
func matchExchanges(b, a []*report.Exchange) []pair {
	type slot struct {
		key ExchangeKey
		n   int
	}
	number := func(list []*report.Exchange) []slot {
		seen := map[ExchangeKey]int{}
		out := make([]slot, len(list))
		for i, ex := range list {
			k := keyOf(ex)
			seen[k]++
			out[i] = slot{k, seen[k]}
		}
		return out
	}
	bs, as := number(b), number(a)
	inAfter := make(map[slot]int, len(as))
	for j, s := range as {
		inAfter[s] = j
	}
	partnerOfB := make([]int, len(b))
	partnerOfA := make([]int, len(a))
	for j := range partnerOfA {
		partnerOfA[j] = -1
	}
	for i, s := range bs {
		partnerOfB[i] = -1
		if j, ok := inAfter[s]; ok {
			partnerOfB[i], partnerOfA[j] = j, i
		}
	}

	out := make([]pair, 0, max(len(b), len(a)))
	doneA := make([]bool, len(a))
	i, j := 0, 0
	for i < len(b) || j < len(a) {
		switch {
		case j < len(a) && doneA[j]:
			j++
		case i < len(b) && partnerOfB[i] < 0:
			out = append(out, pair{before: b[i], n: bs[i].n})
			i++
		case j < len(a) && partnerOfA[j] < 0:
			out = append(out, pair{after: a[j], n: as[j].n})
			doneA[j] = true
			j++
		case i < len(b):
			k := partnerOfB[i]
			out = append(out, pair{before: b[i], after: a[k], n: bs[i].n})
			doneA[k] = true
			i++
		default:
			j++
		}
	}
	return out
}
