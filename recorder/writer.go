package recorder

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/store"
)

type opKind int

const (
	opStart  opKind = iota // create the run
	opRows                 // write steps, exchanges, messages
	opFinish               // write leftover rows and finish the run
	opFlush                // signal once everything before is committed
)

// op is one unit of work for the writer.
type op struct {
	kind  opKind
	play  *Play
	batch store.Batch
	// step, tx and leftover are what the play reported, made into
	// batch's rows by Play.prepare on the writer goroutine.
	step     *simulator.StepResult
	tx       *simulator.TransactionResult
	txEnded  time.Time             // when the play reported tx
	leftover []*simulator.Exchange // opFinish: exchanges no step claimed
	result   *simulator.SessionResult
	summary  *store.RunSummary // opFinish: the run's summary, from every exchange queued
	script   [][]byte          // opFinish: the script known only at the end (SessionResult.Script)
	flushed  chan struct{}
}

// cacheLimit bounds the writer's cache of scripts.
const cacheLimit = 256

// writer is the background goroutine's state; only it touches the caches.
type writer struct {
	r       *Recorder
	scripts map[*sessions.Session]scriptEntry
	// lastHooks and lastHooksJSON cache the most recent hook list (they
	// hold its pointers, so the addresses cannot be reused meanwhile).
	lastHooks     []*hookconf.Hook
	lastHooksJSON []byte
	// batch is the array of the last batch, emptied, for the next.
	batch []op
	// steps, stepRows and playOrder are stepsByPlay's, reused.
	steps     []orderedStep
	stepRows  []store.Step
	playOrder map[*Play]int
}

type scriptEntry struct {
	hash   string
	script [][]byte
}

func newWriter(r *Recorder) *writer {
	return &writer{r: r, scripts: map[*sessions.Session]scriptEntry{}, batch: make([]op, 0, 64), playOrder: map[*Play]int{}}
}

// run gathers queued ops into batches and commits each in one
// transaction, until the queue is closed and drained. A batch is
// committed when it is full, when Linger has passed since its first op,
// or at once for a Flush.
func (w *writer) run() {
	defer close(w.r.done)
	for {
		o, ok := <-w.r.queue
		if !ok {
			return
		}
		batch, open := w.gather(o)
		w.commit(batch)
		clear(batch) // let the plays and rows go; the array is reused
		w.batch = batch[:0]
		if !open {
			return
		}
	}
}

// gather collects a batch that starts with first; open is false once the
// queue is closed. Unless first is a Flush, it waits Linger (or until a
// Flush, a Close or a filling queue kicks it) without receiving, and only
// then takes what is queued: the players' sends meanwhile go into the
// channel's buffer and wake no goroutine, which costs less than waking
// the writer for every step of every session.
func (w *writer) gather(first op) (batch []op, open bool) {
	batch = append(w.batch[:0], first)
	if first.kind != opFlush && w.r.opts.Linger > 0 && !w.r.filling() {
		timer := time.NewTimer(w.r.opts.Linger)
		select {
		case <-timer.C:
		case <-w.r.kick:
			timer.Stop()
		}
	}
	for len(batch) < w.r.opts.MaxBatch {
		select {
		case o, ok := <-w.r.queue:
			if !ok {
				return batch, false
			}
			batch = append(batch, o)
			if o.kind == opFlush {
				return batch, true
			}
		default:
			return batch, true
		}
	}
	return batch, true
}

// commit writes batch in one transaction. When that fails, each op is
// tried on its own, so one bad op does not lose the others.
func (w *writer) commit(batch []op) {
	for i := range batch {
		if o := &batch[i]; o.play != nil && (o.kind == opRows || o.kind == opFinish) {
			o.play.prepare(o)
		}
	}
	// Writing must finish even when the simulator's context was cancelled.
	ctx := context.Background()
	err := w.r.st.Update(ctx, func(tx *store.Tx) error {
		for i := range batch {
			if err := w.apply(ctx, tx, &batch[i], false); err != nil {
				return err
			}
		}
		// Each play's steps of the batch as one row (store.Tx.Write).
		return tx.Write(ctx, store.Batch{Steps: w.stepsByPlay(batch)})
	})
	clear(w.stepRows)
	if err == nil {
		for i := range batch {
			w.after(&batch[i])
		}
		return
	}
	for i := range batch {
		if batch[i].kind == opStart {
			batch[i].play.runID = 0 // rolled back
		}
	}
	for i := range batch {
		o := &batch[i]
		err := w.r.st.Update(ctx, func(tx *store.Tx) error { return w.apply(ctx, tx, o, true) })
		if err != nil {
			if o.kind == opStart {
				o.play.runID = 0
			}
			w.r.fail(fmt.Errorf("recorder: session %s: %w", o.sessName(), err))
		}
		w.after(o)
	}
}

func (o *op) sessName() string {
	if o.play == nil {
		return "?"
	}
	return o.play.name
}

// stepsByPlay is the steps of batch's ops whose run exists, each play's
// together in their order, plays in the order they first come: what
// store.Tx.Write stores as one row per play. The slice is reused.
func (w *writer) stepsByPlay(batch []op) []store.Step {
	w.steps = w.steps[:0]
	clear(w.playOrder)
	for i := range batch {
		o := &batch[i]
		if len(o.batch.Steps) == 0 || o.play == nil || o.play.runID == 0 {
			continue
		}
		order, ok := w.playOrder[o.play]
		if !ok {
			order = len(w.playOrder)
			w.playOrder[o.play] = order
		}
		for _, st := range o.batch.Steps {
			st.RunID = o.play.runID
			w.steps = append(w.steps, orderedStep{order, st})
		}
	}
	slices.SortStableFunc(w.steps, func(a, b orderedStep) int { return a.play - b.play })
	w.stepRows = w.stepRows[:0]
	for i := range w.steps {
		w.stepRows = append(w.stepRows, w.steps[i].step)
	}
	clear(w.steps)
	return w.stepRows
}

// orderedStep is a step with the rank of its play in a batch.
type orderedStep struct {
	play int
	step store.Step
}

// apply writes o in tx; its steps too when withSteps (else the caller
// writes them, stepsByPlay). Rows of a run that could not be created are
// skipped: that failure was already reported.
func (w *writer) apply(ctx context.Context, tx *store.Tx, o *op, withSteps bool) error {
	switch o.kind {
	case opStart:
		id, err := tx.CreateRun(ctx, w.runRow(o.play))
		if err != nil {
			return err
		}
		o.play.runID = id
	case opRows, opFinish:
		id := o.play.runID
		if id == 0 {
			return nil
		}
		b := o.batch
		if withSteps {
			for i := range b.Steps {
				b.Steps[i].RunID = id
			}
		} else {
			b.Steps = nil
		}
		for i := range b.Exchanges {
			b.Exchanges[i].RunID = id
		}
		for i := range b.Messages {
			b.Messages[i].RunID = id
		}
		if err := tx.Write(ctx, b); err != nil {
			return err
		}
		if o.kind == opFinish {
			res := o.result
			oc, errText := outcome(res)
			ended := res.Started.Add(res.Duration).UTC()
			if err := tx.FinishRunSummary(ctx, id, ended, oc, res.Failures, res.Exchanges, errText, o.summary); err != nil {
				return err
			}
			if o.script != nil {
				if err := tx.SetRunScript(ctx, id, o.script); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// after runs once o is committed or given up: it wakes whoever waits.
func (w *writer) after(o *op) {
	switch o.kind {
	case opStart:
		o.play.info = nil // the run is created: its session is no longer needed
		close(o.play.ready)
	case opFlush:
		close(o.flushed)
	}
}

// runRow is the run row of a session just started.
func (w *writer) runRow(p *Play) *store.Run {
	info := p.info
	src := info.Origin.Source
	if src == "" {
		src = store.SourceScript
	}
	return &store.Run{
		SessionName: info.Name, SessionFile: info.File, SessionHash: info.Hash, ScriptParts: w.script(info.Session),
		Source: src, ReplayOf: info.Origin.ReplayOf, ReplayMode: info.Origin.ReplayMode, Hooks: w.hooksJSON(info.Hooks),
		Started: info.Started.UTC(), Outcome: store.OutcomeRunning,
	}
}

// script is sess as stored with its run, for Load to read back with
// sessions.ParseArchive, in pieces the store keeps once each by content:
// its source bytes as Parse read them (with its message files, the bytes
// read, not copied, and shared in the store with the messages played)
// when sess.ArchiveParts can give them, else sess written as
// YAML by sessions.Marshal, which parses its output back (YAML and MIME)
// and so costs more than playing a short session; nil when neither works
// (the run is still recorded, only not exportable as a script).
func (w *writer) script(sess *sessions.Session) [][]byte {
	if sess == nil {
		return nil
	}
	if parts, ok := sess.ArchiveParts(); ok {
		return parts
	}
	if e, ok := w.scripts[sess]; ok && e.hash == sess.Hash {
		return e.script
	}
	var parts [][]byte
	if b, err := sessions.Marshal(sess); err == nil {
		parts = [][]byte{b}
	}
	if len(w.scripts) >= cacheLimit {
		clear(w.scripts)
	}
	w.scripts[sess] = scriptEntry{hash: sess.Hash, script: parts}
	return parts
}

// hooksJSON is the hook configuration, secrets redacted, as a JSON array.
func (w *writer) hooksJSON(hooks []*hookconf.Hook) []byte {
	if w.lastHooksJSON != nil && slices.Equal(hooks, w.lastHooks) {
		return w.lastHooksJSON
	}
	list := make([]map[string]any, 0, len(hooks))
	for _, h := range hooks {
		if h != nil {
			list = append(list, h.Redacted())
		}
	}
	b, err := json.Marshal(list)
	if err != nil {
		b = []byte("[]")
	}
	w.lastHooks, w.lastHooksJSON = slices.Clone(hooks), b
	return b
}
