package recorder

import (
	"context"

	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/store"
)

// SessionStarted implements simulator.Observer: it queues the run's
// creation. The run's ID is known once the writer commits it (Meta.OnRun,
// the run-started event).
func (r *Recorder) SessionStarted(ctx context.Context, info *simulator.SessionInfo) {
	if info == nil {
		return
	}
	meta, _ := metaFrom(ctx)
	s := &session{
		key: keyOf(ctx, info.Name), meta: meta, info: info,
		ready: make(chan struct{}), secrets: map[string]string{}, pending: map[int]*simulator.Exchange{},
	}
	for _, h := range info.Hooks {
		if h != nil && h.Auth.Secret != "" {
			s.secrets[h.ID] = h.Auth.Secret
		}
	}
	r.addSession(s)
	if !r.enqueue(op{kind: opStart, sess: s}) {
		r.fail(ErrClosed)
		r.remove(s)
		close(s.ready)
	}
}

// Exchange implements simulator.Observer: it publishes ex at once; ex is
// written with its step.
func (r *Recorder) Exchange(ctx context.Context, ex *simulator.Exchange) {
	if ex == nil {
		return
	}
	s := r.lookup(keyOf(ctx, ex.Session))
	if s == nil {
		return
	}
	s.pending[ex.Seq] = ex
	if r.hub.active() {
		r.hub.publish(Event{Kind: EventExchange, RunID: s.wait(), Session: ex.Session, Exchange: ex})
	}
}

// Step implements simulator.Observer: it queues the step with its
// exchanges, which take the step's SMTP reply.
func (r *Recorder) Step(ctx context.Context, st *simulator.StepResult) {
	if st == nil {
		return
	}
	s := r.lookup(keyOf(ctx, st.Session))
	if s == nil {
		return
	}
	o := op{kind: opRows, sess: s}
	o.batch.Steps = []store.Step{stepRow(st)}
	reply := st.Reply()
	for _, ex := range st.Exchanges {
		if ex == nil {
			continue
		}
		delete(s.pending, ex.Seq)
		o.batch.Exchanges = append(o.batch.Exchanges, s.exchangeRow(ex, reply))
	}
	if r.hub.active() {
		r.hub.publish(Event{Kind: EventStep, RunID: s.wait(), Session: st.Session, Step: st})
	}
	if !r.enqueue(o) {
		r.fail(ErrClosed)
	}
}

// Transaction implements simulator.Observer: it queues the message.
func (r *Recorder) Transaction(ctx context.Context, tx *simulator.TransactionResult) {
	if tx == nil {
		return
	}
	s := r.lookup(keyOf(ctx, tx.Session))
	if s == nil {
		return
	}
	o := op{kind: opRows, sess: s}
	o.batch.Messages = []store.Message{messageRow(tx)}
	if r.hub.active() {
		r.hub.publish(Event{Kind: EventTransaction, RunID: s.wait(), Session: tx.Session, Transaction: tx})
	}
	if !r.enqueue(o) {
		r.fail(ErrClosed)
	}
}

// SessionFinished implements simulator.Observer: it queues the end of the
// run, with any exchange no step claimed.
func (r *Recorder) SessionFinished(ctx context.Context, res *simulator.SessionResult) {
	if res == nil {
		return
	}
	s := r.finish(keyOf(ctx, res.Name), res)
	if s == nil {
		return
	}
	o := op{kind: opFinish, sess: s, result: res}
	for _, ex := range s.pending {
		o.batch.Exchanges = append(o.batch.Exchanges, s.exchangeRow(ex, ""))
	}
	s.pending = nil
	if !r.enqueue(o) {
		r.fail(ErrClosed)
	}
}
