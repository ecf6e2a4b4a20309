package proxy

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"
)

// HTTP/2 "rapid reset" (CVE-2023-44487): a client opens a stream and
// resets it at once, over and over. The proxy removes the stream from its
// table at the RST_STREAM, so the concurrent-stream limit (250) never
// bites, but the stream's handler goroutine goes on until it returns:
// one connection gets an unbounded number of handlers (each a call to
// the upstream hook, and a recorded exchange) running at once. Go's
// HTTP/2 server since 1.21.3 bounds the handlers running per connection
// by the stream limit and ends the connection when the queue grows; the
// proxy should not run more handlers at once than it allows streams.
func TestBreakerH2RapidResetBoundsHandlers(t *testing.T) {
	t.Parallel()
	var running, most atomic.Int64
	release := make(chan struct{})
	srv := startH2(t, &Server{Handler: func(ctx context.Context, r *Request) *Response {
		n := running.Add(1)
		defer running.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		// A handler busy with an upstream call that is not cut at once.
		select {
		case <-release:
		case <-time.After(2 * time.Second):
		}
		return &Response{Status: 200, Body: []byte(`{"action":"accept"}`)}
	}}, false)
	r := dialH2Raw(t, srv.addr)
	const pairs = 1000
	for i := uint32(0); i < pairs; i++ {
		id := 1 + 2*i
		r.post(id, "")
		if err := r.fr.WriteRSTStream(id, http2.ErrCodeCancel); err != nil {
			break // the server closed the connection: a fine answer
		}
	}
	time.Sleep(300 * time.Millisecond)
	got := most.Load()
	close(release)
	r.conn.Close()
	if got > h2MaxStreams {
		t.Errorf("%d handlers ran at once on one HTTP/2 connection (rapid reset of %d streams), more than the %d concurrent streams it allows", got, pairs, h2MaxStreams)
	}
}
