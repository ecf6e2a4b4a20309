package recorder

import (
	"github.com/hooksim/hooksim/simulator"
)

// session is the recorder's state for one play.
type session struct {
	key  playKey
	meta Meta
	info *simulator.SessionInfo
	// ready is closed once the run's row is committed (or failed);
	// runID is written by the writer before that, read by others after.
	ready chan struct{}
	runID int64
	// secrets are the hooks' credentials by hook ID, for redaction.
	secrets map[string]string
	// pending are exchanges reported but not yet part of a step; only
	// the goroutine playing the session touches it.
	pending map[int]*simulator.Exchange
}

// wait returns the run ID once known (0 if the run was not stored).
func (s *session) wait() int64 {
	<-s.ready
	return s.runID
}

func (r *Recorder) addSession(s *session) {
	r.sessMu.Lock()
	defer r.sessMu.Unlock()
	r.active[s.key] = append(r.active[s.key], s)
}

// lookup finds the play of key; with several plays under one key (the
// caller did not use WithMeta), the oldest is taken.
func (r *Recorder) lookup(key playKey) *session {
	r.sessMu.Lock()
	defer r.sessMu.Unlock()
	if l := r.active[key]; len(l) > 0 {
		return l[0]
	}
	return nil
}

// remove forgets s.
func (r *Recorder) remove(s *session) {
	r.sessMu.Lock()
	defer r.sessMu.Unlock()
	l := r.active[s.key]
	for i, x := range l {
		if x == s {
			l = append(l[:i:i], l[i+1:]...)
			break
		}
	}
	if len(l) == 0 {
		delete(r.active, s.key)
	} else {
		r.active[s.key] = l
	}
}

// finish moves the play of key to the finished sessions.
func (r *Recorder) finish(key playKey, res *simulator.SessionResult) *session {
	r.sessMu.Lock()
	defer r.sessMu.Unlock()
	l := r.active[key]
	if len(l) == 0 {
		return nil
	}
	s := l[0]
	if len(l) == 1 {
		delete(r.active, key)
	} else {
		r.active[key] = l[1:]
	}
	if res != nil {
		if _, dup := r.finished[res]; !dup {
			r.order = append(r.order, res)
		}
		r.finished[res] = s
		for len(r.order) > finishedKept {
			delete(r.finished, r.order[0])
			r.order = r.order[1:]
		}
	}
	return s
}
