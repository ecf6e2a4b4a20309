package recorder

import (
	"sync"
	"sync/atomic"

	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/store"
)

// EventKind says what an Event reports.
type EventKind string

// The kinds of Event, in the order they happen for one run.
const (
	EventRunStarted  EventKind = "run-started"  // the run is in the store
	EventExchange    EventKind = "exchange"     // an exchange happened (written with its step)
	EventStep        EventKind = "step"         // a step finished
	EventTransaction EventKind = "transaction"  // a transaction finished
	EventRunFinished EventKind = "run-finished" // the run and all its rows are committed
)

// Event is one thing that happened, for live subscribers. The payload
// pointers are shared: subscribers must not modify what they point to.
type Event struct {
	// Seq increases by one with every event the recorder publishes, so a
	// subscriber sees from gaps how many events it missed.
	Seq     uint64
	Kind    EventKind
	RunID   int64 // 0 when the run could not be stored
	Session string
	// Run is set for run-started and run-finished (without its script).
	Run         *store.Run
	Exchange    *simulator.Exchange
	Step        *simulator.StepResult
	Transaction *simulator.TransactionResult
	Result      *simulator.SessionResult // run-finished
}

// Subscription receives events on C until it or the recorder is closed.
type Subscription struct {
	// C delivers events in Seq order; it is closed by Close and when the
	// recorder closes.
	C       <-chan Event
	c       chan Event
	hub     *hub
	dropped atomic.Uint64
	closed  bool // guarded by hub.mu
}

// Dropped is how many events this subscription missed because its
// buffer was full.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// Close stops the subscription and closes C. It is safe to call twice.
func (s *Subscription) Close() {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	s.closeLocked()
}

func (s *Subscription) closeLocked() {
	if s.closed {
		return
	}
	s.closed = true
	delete(s.hub.subs, s)
	s.hub.n.Store(int64(len(s.hub.subs)))
	close(s.c)
}

// hub fans events out to subscriptions. A full subscriber buffer drops
// the event for that subscriber only.
type hub struct {
	mu     sync.Mutex
	seq    uint64
	subs   map[*Subscription]struct{}
	n      atomic.Int64 // len(subs), read without the lock
	closed bool
}

func newHub() *hub { return &hub{subs: map[*Subscription]struct{}{}} }

func (h *hub) subscribe(buffer int) *Subscription {
	if buffer < 0 {
		buffer = 0
	}
	c := make(chan Event, buffer)
	s := &Subscription{C: c, c: c, hub: h}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		s.closed = true
		close(c)
		return s
	}
	h.subs[s] = struct{}{}
	h.n.Store(int64(len(h.subs)))
	return s
}

// active reports whether anybody listens.
func (h *hub) active() bool { return h.n.Load() > 0 }

func (h *hub) publish(ev Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed || len(h.subs) == 0 {
		return
	}
	h.seq++
	ev.Seq = h.seq
	for s := range h.subs {
		select {
		case s.c <- ev:
		default:
			s.dropped.Add(1)
		}
	}
}

// close closes every subscription; later ones start closed.
func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for s := range h.subs {
		s.closeLocked()
	}
}
