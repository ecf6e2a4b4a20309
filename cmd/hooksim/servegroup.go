package main

import (
	"context"
	"sync"
)

// serveGroup runs a command's servers (listeners, the web view) until
// its context ends or one of them fails, which stops the others.
type serveGroup struct {
	ctx  context.Context
	stop context.CancelFunc
	wg   sync.WaitGroup
	mu   sync.Mutex
	err  error // the first server's failure
}

func newServeGroup(ctx context.Context) *serveGroup {
	g := &serveGroup{}
	g.ctx, g.stop = context.WithCancel(ctx)
	return g
}

// run serves with serve(g.ctx) in a goroutine of its own.
func (g *serveGroup) run(serve func(ctx context.Context) error) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		if err := serve(g.ctx); err != nil {
			g.mu.Lock()
			if g.err == nil {
				g.err = err
			}
			g.mu.Unlock()
			g.stop()
		}
	}()
}

// wait waits for every server to return and gives the first failure,
// else err.
func (g *serveGroup) wait(err error) error {
	g.wg.Wait()
	g.stop()
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.err != nil {
		return g.err
	}
	return err
}
