package recorder

import (
	"context"
	"slices"
	"time"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/store"
)

// Play is the recorder's handle for one play, returned by Begin and
// BeginPlay: it records the play as one run. Its simulator.Play methods
// only queue work for the writer goroutine; they are called from the
// goroutine playing the session, in order (see simulator.Play). RunID may
// be called from any goroutine.
type Play struct {
	r *Recorder
	// info describes the play until the writer has created its run; the
	// writer then drops it (after), so that a finished play kept for its
	// RunID does not keep its session and script alive.
	info *simulator.SessionInfo
	name string // the session's name, for errors
	// ready is closed once the run's row is committed (or failed);
	// runID is written by the writer before that, read by others after.
	ready chan struct{}
	runID int64
	// off is set when the play was begun on a closed recorder: its
	// events are dropped (the failure was reported once, by Begin).
	off bool
	// secrets are the hooks' credentials by hook ID, for redaction.
	secrets map[string][]string
	// pending are exchanges reported but not yet part of a step; only
	// the goroutine playing the session touches it.
	pending map[int]*simulator.Exchange
	// lastURL and lastRedacted are the last hook URL redacted
	// (redactURL); only the writer goroutine touches them.
	lastURL, lastRedacted string
	// lastAnswer and lastParsed are the last parsed answer's body and its
	// JSON as stored (parsedJSON).
	lastAnswer, lastParsed []byte
	// sum gathers the run's summary from the exchange rows built; only
	// the writer goroutine touches it.
	sum summary
}

var _ simulator.Play = (*Play)(nil)

// Begin implements simulator.Observer: it begins recording a play as a
// new run (BeginPlay).
func (r *Recorder) Begin(ctx context.Context, info *simulator.SessionInfo) simulator.Play {
	return r.BeginPlay(ctx, info)
}

// BeginPlay queues the creation of the run of a play described by info
// (its Origin gives the run's source and the run it replays) and returns
// the play's handle; it never returns nil. The run's ID is known once
// the writer commits the run (Play.RunID). On a closed recorder it
// records ErrClosed and returns a handle that drops everything. ctx is
// not used: a run is written even when its play is cancelled.
func (r *Recorder) BeginPlay(_ context.Context, info *simulator.SessionInfo) *Play {
	if info == nil {
		info = &simulator.SessionInfo{}
	}
	p := &Play{r: r, info: info, name: info.Name, ready: make(chan struct{})}
	for _, h := range info.Hooks {
		if secrets := h.Secrets(); len(secrets) > 0 {
			if p.secrets == nil {
				p.secrets = map[string][]string{}
			}
			p.secrets[h.ID] = secrets
		}
	}
	if !r.enqueue(op{kind: opStart, play: p}) {
		r.fail(ErrClosed)
		p.off = true
		close(p.ready)
	}
	return p
}

// RunID returns the ID of the run this play is recorded as. It waits
// until the run's row is committed (at most Options.Linger after Begin,
// or a Flush), and returns 0 when the run could not be stored.
func (p *Play) RunID() int64 {
	<-p.ready
	return p.runID
}

// Recorded is closed once the run's row is committed, or could not be:
// RunID then returns at once. It lets a caller wait with a deadline.
func (p *Play) Recorded() <-chan struct{} { return p.ready }

// Exchange implements simulator.Play: ex is written with its step (or
// at Finish when no step claims it).
func (p *Play) Exchange(ex *simulator.Exchange) {
	if ex == nil || p.off {
		return
	}
	if p.pending == nil {
		p.pending = map[int]*simulator.Exchange{}
	}
	p.pending[ex.Seq] = ex
}

// Step implements simulator.Play: it queues the step with its
// exchanges, which take the step's SMTP reply. The rows are built by the
// writer goroutine (prepare), off the goroutine playing the session: the
// simulator does not change what it reported (simulator.Play).
func (p *Play) Step(st *simulator.StepResult) {
	if st == nil || p.off {
		return
	}
	for _, ex := range st.Exchanges {
		if ex != nil {
			delete(p.pending, ex.Seq)
		}
	}
	if !p.r.enqueue(op{kind: opRows, play: p, step: st}) {
		p.r.fail(ErrClosed)
	}
}

// Transaction implements simulator.Play: it queues the message, with
// the time the transaction ended (now: the simulator reports it as soon
// as it has answered the message).
func (p *Play) Transaction(tx *simulator.TransactionResult) {
	if tx == nil || p.off {
		return
	}
	if !p.r.enqueue(op{kind: opRows, play: p, tx: tx, txEnded: time.Now()}) {
		p.r.fail(ErrClosed)
	}
}

// Finish implements simulator.Play: it queues the end of the run, with
// any exchange no step claimed. Events after it are dropped.
func (p *Play) Finish(res *simulator.SessionResult) {
	if res == nil || p.off {
		return
	}
	p.off = true
	o := op{kind: opFinish, play: p, result: res}
	for _, ex := range p.pending {
		o.leftover = append(o.leftover, ex)
	}
	p.pending = nil
	if !p.r.enqueue(o) {
		p.r.fail(ErrClosed)
	}
}

// prepare builds o's rows from what the play reported, once, on the
// writer goroutine, in the order the ops were queued (so that a run's
// summary has every exchange before its Finish).
func (p *Play) prepare(o *op) {
	switch {
	case o.step != nil:
		st := o.step
		o.step = nil
		o.batch.Steps = []store.Step{stepRow(st)}
		o.batch.Exchanges = make([]store.Exchange, 0, len(st.Exchanges))
		reply := st.Reply()
		for _, ex := range st.Exchanges {
			if ex == nil {
				continue
			}
			o.batch.Exchanges = append(o.batch.Exchanges, p.exchangeRow(ex, reply))
			p.sum.add(&o.batch.Exchanges[len(o.batch.Exchanges)-1])
		}
	case o.tx != nil:
		o.batch.Messages = []store.Message{messageRow(o.tx, o.txEnded)}
		o.tx = nil
	case o.kind == opFinish && o.summary == nil:
		for _, ex := range o.leftover {
			o.batch.Exchanges = append(o.batch.Exchanges, p.exchangeRow(ex, ""))
		}
		o.leftover = nil
		slices.SortFunc(o.batch.Exchanges, func(a, b store.Exchange) int { return a.Seq - b.Seq })
		for i := range o.batch.Exchanges {
			p.sum.add(&o.batch.Exchanges[i])
		}
		o.summary = p.sum.run()
		// A live connection's script, known only now.
		if b := o.result.ScriptYAML; b != nil {
			o.script = [][]byte{b}
		} else if sess := o.result.Script; sess != nil {
			if b, err := sessions.Marshal(sess); err == nil {
				o.script = [][]byte{b}
			}
		}
	}
}
