package recorder

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/store"
)

// Defaults of Options. A transaction costs about as much as the rows of
// a short session (BEGIN, COMMIT and the WAL frames of every page it
// dirtied, written twice: to the WAL and by the checkpoint), so the
// writer lingers long enough to commit tens of sessions in one; a run's
// rows still reach the disk (and the web view) within 100 ms, and Flush
// and Close never wait for it. (100 ms rather than 50 kept 0.02-0.03
// more of the unrecorded sessions/s in two interleaved runs of
// bench/record-ratio.sh; a SIGKILL loses at most that much of the play.)
const (
	DefaultQueueSize = 4096
	DefaultMaxBatch  = 1024
	DefaultLinger    = 100 * time.Millisecond
)

// ErrClosed is recorded when the simulator reports to a closed Recorder.
var ErrClosed = errors.New("recorder: closed")

// Options tune a Recorder. Zero values take the defaults.
type Options struct {
	// QueueSize is how many events may wait for the writer before an
	// observer call blocks (back-pressure: nothing is ever dropped).
	QueueSize int
	// MaxBatch caps the events written in one transaction.
	MaxBatch int
	// Linger is how long the writer waits for more events before it
	// commits a batch: longer means fewer, larger transactions. Flush
	// never waits for it. Negative: commit whatever is queued at once.
	Linger time.Duration
	// OnError is called on the writer goroutine for every failed write;
	// nil keeps only the first error, for Err and Close.
	OnError func(error)
}

// Recorder writes what the simulator plays to a store. It implements
// simulator.Observer: Begin (or BeginPlay) gives each play its own handle,
// a *Play recorded as one run, which knows its run ID. One Recorder serves
// any number of plays, one after another or at the same time. The
// handles' methods only queue work for a background writer goroutine,
// which batches it into transactions. Close (or Flush) before exit, also on SIGINT/SIGTERM, so
// that everything already played is on disk.
type Recorder struct {
	st   *store.Store
	opts Options

	mu     sync.RWMutex // held for reading while sending to queue
	closed bool
	queue  chan op
	// kick ends the writer's Linger early: sent (without blocking) by
	// Flush, Close and a send that leaves the queue half full.
	kick chan struct{}
	done chan struct{} // closed when the writer goroutine ends

	errMu sync.Mutex
	err   error

	w *writer
}

var _ simulator.Observer = (*Recorder)(nil)

// New starts a Recorder writing to st. The store must stay open until
// Close returns.
func New(st *store.Store, opts Options) *Recorder {
	if opts.QueueSize <= 0 {
		opts.QueueSize = DefaultQueueSize
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = DefaultMaxBatch
	}
	if opts.Linger == 0 {
		opts.Linger = DefaultLinger
	}
	r := &Recorder{
		st: st, opts: opts,
		queue: make(chan op, opts.QueueSize),
		kick:  make(chan struct{}, 1),
		done:  make(chan struct{}),
	}
	r.w = newWriter(r)
	go r.w.run()
	return r
}

// Flush waits until everything reported before the call is committed, or
// ctx ends. After Close it returns at once.
func (r *Recorder) Flush(ctx context.Context) error {
	done := make(chan struct{})
	if !r.enqueue(op{kind: opFlush, flushed: done}) {
		return nil
	}
	r.wake()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("recorder: flush: %w", ctx.Err())
	}
}

// Close writes everything queued and stops the writer. It returns the first write error, if any. The store is
// left open. Calling it again returns the same error.
func (r *Recorder) Close() error {
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		close(r.queue)
	}
	r.mu.Unlock()
	r.wake()
	<-r.done
	return r.Err()
}

// Err is the first write error, or nil.
func (r *Recorder) Err() error {
	r.errMu.Lock()
	defer r.errMu.Unlock()
	return r.err
}

func (r *Recorder) fail(err error) {
	r.errMu.Lock()
	if r.err == nil {
		r.err = err
	}
	r.errMu.Unlock()
	if r.opts.OnError != nil {
		r.opts.OnError(err)
	}
}

// enqueue hands o to the writer, blocking while the queue is full. It
// reports false when the recorder is closed.
func (r *Recorder) enqueue(o op) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		return false
	}
	r.queue <- o
	if r.filling() {
		r.wake()
	}
	return true
}

// wake ends the writer's Linger now, if it is waiting.
func (r *Recorder) wake() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// filling reports a queue so full that the writer should not wait: half
// its size, or a whole batch.
func (r *Recorder) filling() bool {
	return len(r.queue) >= min(cap(r.queue)/2, r.opts.MaxBatch)
}
