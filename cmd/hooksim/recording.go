package main

import (
	"context"
	"sync"

	"github.com/hooksim/hooksim/recorder"
	"github.com/hooksim/hooksim/simulator"
)

// recording is the observer a command records through: it begins every
// play on the recorder and keeps the plays' handles in order, so that the
// command can say which runs it recorded.
type recording struct {
	rec   *recorder.Recorder
	mu    sync.Mutex
	plays []*recorder.Play
}

var _ simulator.Observer = (*recording)(nil)

// Begin implements simulator.Observer.
func (r *recording) Begin(ctx context.Context, info *simulator.SessionInfo) simulator.Play {
	p := r.rec.BeginPlay(ctx, info)
	r.mu.Lock()
	r.plays = append(r.plays, p)
	r.mu.Unlock()
	return p
}

// runIDs are the IDs of the runs recorded, in the order the plays began,
// leaving out those that could not be stored. Each waits for its run's
// row to be committed: call it after the recorder's Close or Flush.
func (r *recording) runIDs() []int64 {
	r.mu.Lock()
	plays := append([]*recorder.Play(nil), r.plays...)
	r.mu.Unlock()
	var ids []int64
	for _, p := range plays {
		if id := p.RunID(); id != 0 {
			ids = append(ids, id)
		}
	}
	return ids
}
