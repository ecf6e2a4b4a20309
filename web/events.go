package web

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/hooksim/hooksim/recorder/report"
	"github.com/hooksim/hooksim/store"
)

// Event types of the stream.
const (
	evHello       = "hello"
	evRunStarted  = "run-started"
	evRunUpdated  = "run-updated"
	evExchange    = "exchange"
	evRunFinished = "run-finished"
	evReset       = "reset"
	// evMessageQueued is a queued message recorded (any run's), with
	// its summary as GET /api/v1/messages lists it; evMessageRelayed the
	// relay of a message recorded after it (SetRelay), with its summary.
	evMessageQueued  = "message-queued"
	evMessageRelayed = "message-relayed"
)

// event is one message of the stream.
type event struct {
	Seq      uint64          `json:"seq"`
	Type     string          `json:"type"`
	Latest   *uint64         `json:"latest,omitempty"` // hello only
	Run      *report.Run     `json:"run,omitempty"`
	Exchange *exchangeEvent  `json:"exchange,omitempty"`
	Message  *messageSummary `json:"message,omitempty"`
}

// exchangeEvent is an exchange summary with its run.
type exchangeEvent struct {
	RunID int64 `json:"run_id"`
	report.Exchange
}

// eventLog keeps the last events, encoded once, for every client to read
// at its own pace: a slow client never holds up the log or the others.
type eventLog struct {
	mu     sync.Mutex
	ring   [][]byte
	next   uint64        // seq of the next event; events are 1..next-1
	notify chan struct{} // closed and replaced at every append
}

func newEventLog(size int) *eventLog {
	return &eventLog{ring: make([][]byte, size), next: 1, notify: make(chan struct{})}
}

// append numbers ev, encodes it and wakes the readers.
func (l *eventLog) append(ev event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ev.Seq = l.next
	b, err := json.Marshal(ev)
	if err != nil {
		return // cannot happen with these types
	}
	l.ring[l.next%uint64(len(l.ring))] = b
	l.next++
	close(l.notify)
	l.notify = make(chan struct{})
}

// latest is the seq of the last event, 0 when none.
func (l *eventLog) latest() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.next - 1
}

// after returns the events with seq > since, the seq of the last one
// returned, and a channel closed at the next append. gone is true when
// since is older than the log keeps, or newer than its last event (the
// server restarted): the reader must start again from a reset.
func (l *eventLog) after(since uint64, max int) (msgs [][]byte, last uint64, wait <-chan struct{}, gone bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	latest := l.next - 1
	oldest := uint64(1)
	if n := uint64(len(l.ring)); latest > n {
		oldest = latest - n + 1
	}
	if since > latest || since+1 < oldest {
		return nil, latest, l.notify, true
	}
	for s := since + 1; s <= latest && len(msgs) < max; s++ {
		msgs = append(msgs, l.ring[s%uint64(len(l.ring))])
		last = s
	}
	if len(msgs) == 0 {
		last = since
	}
	return msgs, last, l.notify, false
}

// Tail limits.
const (
	tailBatch   = 1000 // rows read per poll
	maxOpenRuns = 1000 // running runs watched for their end
)

// tailState is the tail's cursor in the store.
type tailState struct {
	lastRun int64
	lastRow int64
	open    map[int64]*store.Run // running runs, with the exchanges seen so far
	msgs    store.MessageCursor
	// steps are the running runs' step marks (store.StepMarks) seen.
	steps map[int64]int64
}

// tail polls the store until ctx ends and appends what it finds to the
// event log: runs started, exchanges, runs finished, whoever wrote them.
func (s *Server) tail(ctx context.Context) {
	st := &tailState{open: map[int64]*store.Run{}}
	var err error
	if st.lastRun, st.lastRow, err = s.cfg.Store.Cursors(ctx); err != nil {
		s.logf("events: %v", err)
	}
	if st.msgs, err = s.cfg.Store.LastMessages(ctx); err != nil {
		s.logf("events: %v", err)
	}
	// Runs already running (in another process) are watched for their end.
	if runs, err := s.cfg.Store.ListRuns(ctx, store.RunFilter{Limit: 100}); err == nil {
		for i := range runs {
			if runs[i].Outcome == store.OutcomeRunning {
				st.open[runs[i].ID] = &runs[i]
			}
		}
	}
	t := time.NewTicker(s.cfg.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		// A full batch means more is waiting: read on without sleeping.
		for {
			full, err := s.poll(ctx, st)
			if err != nil && ctx.Err() == nil {
				s.logf("events: %v", err)
			}
			if !full || err != nil || ctx.Err() != nil {
				break
			}
		}
	}
}

// poll appends the events of what is new: the runs and exchanges
// (pollRuns), then the queued messages and relays (pollMessages), read
// in a later snapshot: a message may come before the events of its run.
// full reports a batch that hit its limit.
func (s *Server) poll(ctx context.Context, st *tailState) (full bool, err error) {
	full, err = s.pollRuns(ctx, st)
	if err != nil {
		return full, err
	}
	more, err := s.pollMessages(ctx, st)
	return full || more, err
}

// pollMessages appends a message-queued event for each queued message
// recorded since the last poll, oldest first, then a message-relayed
// event for each relay recorded since (but for a message just announced,
// whose summary has its relay already).
func (s *Server) pollMessages(ctx context.Context, st *tailState) (full bool, err error) {
	ch, err := s.cfg.Store.TailMessages(ctx, st.msgs, tailBatch)
	if err != nil {
		return false, err
	}
	st.msgs = ch.Next
	announced := make(map[int64]bool, len(ch.Queued))
	for i := range ch.Queued {
		m := summaryOf(&ch.Queued[i])
		announced[m.ID] = true
		s.events.append(event{Type: evMessageQueued, Message: &m})
	}
	for i := range ch.Relayed {
		if announced[ch.Relayed[i].ID] {
			continue
		}
		m := summaryOf(&ch.Relayed[i])
		s.events.append(event{Type: evMessageRelayed, Message: &m})
	}
	return ch.Full, nil
}

// pollRuns reads one snapshot of what is new and appends its events in the
// order things happened: runs started, exchanges (with an update of their
// running run), runs finished. full reports a batch that hit its limit.
func (s *Server) pollRuns(ctx context.Context, st *tailState) (full bool, err error) {
	open := make([]int64, 0, len(st.open))
	for id := range st.open {
		open = append(open, id)
	}
	runs, exs, err := s.cfg.Store.Tail(ctx, st.lastRun, open, st.lastRow, tailBatch)
	if err != nil {
		return false, err
	}
	// Run ids and exchange row ids are never reused (schema version 4),
	// so the cursors never go back, even when a prune deletes the newest
	// rows: what is recorded after it still has higher ids. A watched run
	// that is gone was pruned: stop watching it.
	seen := make(map[int64]bool, len(runs))
	for i := range runs {
		seen[runs[i].ID] = true
	}
	for _, id := range open {
		if !seen[id] {
			delete(st.open, id)
			delete(st.steps, id)
		}
	}
	if len(runs) == 0 && len(exs) == 0 {
		return false, nil
	}
	var finished []store.Run
	for i := range runs {
		r := runs[i]
		if r.ID > st.lastRun {
			st.lastRun = r.ID
			v := report.StoredRun(&r)
			v.Ended, v.Outcome = nil, store.OutcomeRunning // its end comes as run-finished
			s.events.append(event{Type: evRunStarted, Run: &v})
		}
		if r.Ended.IsZero() && r.Outcome == store.OutcomeRunning {
			if _, ok := st.open[r.ID]; !ok {
				if len(st.open) >= maxOpenRuns {
					for id := range st.open {
						delete(st.open, id) // a crashed run: stop watching one
						break
					}
				}
				rr := r
				st.open[r.ID] = &rr
			}
			continue
		}
		finished = append(finished, r)
	}
	updated := map[int64]bool{}
	var order []int64
	for i := range exs {
		e := &exs[i]
		if e.RunID > st.lastRun {
			break // its run is beyond this snapshot's batch: next poll
		}
		st.lastRow = e.RowID
		s.events.append(event{Type: evExchange, Exchange: &exchangeEvent{RunID: e.RunID, Exchange: exchangeOfRow(&e.Exchange)}})
		if r, ok := st.open[e.RunID]; ok {
			r.Exchanges = max(r.Exchanges, e.Seq)
			if !updated[e.RunID] {
				updated[e.RunID] = true
				order = append(order, e.RunID)
			}
		}
	}
	truncated := len(exs) >= tailBatch || len(runs)-len(open) >= tailBatch
	// A running run whose steps moved without an exchange (a NOOP, a
	// refused command of a live SMTP client) is updated too.
	if len(st.open) > 0 {
		ids := make([]int64, 0, len(st.open))
		for id := range st.open {
			ids = append(ids, id)
		}
		marks, err := s.cfg.Store.StepMarks(ctx, ids)
		if err != nil {
			return false, err
		}
		if st.steps == nil {
			st.steps = map[int64]int64{}
		}
		for _, id := range ids {
			m, ok := marks[id]
			if ok && (st.steps[id] != m) && !updated[id] {
				updated[id] = true
				order = append(order, id)
			}
			if ok {
				st.steps[id] = m
			}
		}
	}
	for _, id := range order {
		if r, ok := st.open[id]; ok {
			v := report.StoredRun(r)
			s.events.append(event{Type: evRunUpdated, Run: &v})
		}
	}
	if truncated {
		// A finished run may have more exchanges to read first: watch it
		// until the next poll.
		for i := range finished {
			r := finished[i]
			st.open[r.ID] = &r
		}
		return true, nil
	}
	for i := range finished {
		delete(st.open, finished[i].ID)
		delete(st.steps, finished[i].ID)
		v := report.StoredRun(&finished[i])
		s.events.append(event{Type: evRunFinished, Run: &v})
	}
	return false, nil
}
