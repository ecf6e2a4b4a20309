package examplehook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// shutdownGrace is how long Serve waits for requests in flight once its
// context is done.
const shutdownGrace = 5 * time.Second

// Serve listens on addr and serves the example hook until ctx is done,
// then shuts down gracefully. An empty addr means "127.0.0.1:0" (any free
// port) and an addr without a host, such as ":8080", binds to 127.0.0.1
// only; name a host explicitly to listen elsewhere.
//
// It returns the address actually bound and a channel that receives the
// server's final error (nil after a clean shutdown) and is then closed.
// The error return reports a failure to listen.
func Serve(ctx context.Context, addr string, opts Options) (net.Addr, <-chan error, error) {
	addr, err := loopbackDefault(addr)
	if err != nil {
		return nil, nil, err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("examplehook: listen %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           New(opts),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	done := make(chan error, 1)
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	go func() {
		defer close(done)
		select {
		case err := <-serveErr:
			// The server stopped on its own: report why.
			done <- fmt.Errorf("examplehook: serve %s: %w", ln.Addr(), err)
			return
		case <-ctx.Done():
		}
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
		defer cancel()
		err := srv.Shutdown(sctx)
		if serr := <-serveErr; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
			err = serr
		}
		if err != nil {
			err = fmt.Errorf("examplehook: shut down %s: %w", ln.Addr(), err)
		}
		done <- err
	}()
	return ln.Addr(), done, nil
}

// loopbackDefault fills in 127.0.0.1 where addr names no host.
func loopbackDefault(addr string) (string, error) {
	if addr == "" {
		return "127.0.0.1:0", nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("examplehook: address %q: %w", addr, err)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}
