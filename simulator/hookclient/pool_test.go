package hookclient

import (
	"context"
	"github.com/hooksim/hooksim/simulator/hookclient/hooktest"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

func TestPool(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		handler rawHandler
		limit   int64
		calls   int
		accepts int32
	}{
		{"keep-alive reused", func(n int, req hooktest.Request, w net.Conn) bool {
			reply(w, "200 OK", acceptJSON)
			return true
		}, 0, 5, 1},
		{"connection close honoured", func(n int, req hooktest.Request, w net.Conn) bool {
			reply(w, "200 OK", acceptJSON, "Connection: close")
			return true // the client must not reuse it anyway
		}, 0, 3, 3},
		{"closed while idle is retried", func(n int, req hooktest.Request, w net.Conn) bool {
			reply(w, "200 OK", acceptJSON)
			return false // close silently after each answer
		}, 0, 3, 3},
		{"too large not reused", func(n int, req hooktest.Request, w net.Conn) bool {
			reply(w, "200 OK", strings.Repeat("z", 50))
			return true
		}, 10, 3, 3},
		{"http status reused after full read", func(n int, req hooktest.Request, w net.Conn) bool {
			reply(w, "500 Internal Server Error", "oops")
			return true
		}, 0, 3, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newRawServer(t, tt.handler)
			h := testHook(srv.url("/"))
			if tt.limit > 0 {
				h.MaxResponseSize = tt.limit
			}
			c := New()
			defer c.Close()
			var firstErr *HookError
			for i := 0; i < tt.calls; i++ {
				res := c.Call(context.Background(), h, []byte(`{}`))
				if i == 0 {
					firstErr = res.Err
				} else if (res.Err == nil) != (firstErr == nil) || (res.Err != nil && res.Err.Class != firstErr.Class) {
					t.Errorf("call %d: %v, first call: %v", i, res.Err, firstErr)
				}
			}
			if got := int32(srv.Accepts()); got != tt.accepts {
				t.Errorf("%d connections, want %d", got, tt.accepts)
			}
			if got := len(srv.requests()); got != tt.calls {
				t.Errorf("%d requests, want %d", got, tt.calls)
			}
		})
	}
}

func TestClientClose(t *testing.T) {
	t.Parallel()
	srv := newRawServer(t, func(n int, req hooktest.Request, w net.Conn) bool {
		reply(w, "200 OK", acceptJSON)
		return true
	})
	c := New()
	h := testHook(srv.url("/"))
	wantClass(t, c.Call(context.Background(), h, []byte(`{}`)), "")
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		wantClass(t, c.Call(context.Background(), h, []byte(`{}`)), "")
	}
	if got := int32(srv.Accepts()); got != 3 {
		t.Errorf("%d connections after Close, want one per call (3)", got)
	}
}

func TestClientConcurrent(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		_, _ = w.Write(b)
	}))
	defer srv.Close()
	c := New()
	defer c.Close()
	h := testHook(srv.URL)
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				body := []byte(strings.Repeat("q", g*10+i))
				res := c.Call(context.Background(), h, body)
				if res.Err != nil || string(res.Body) != string(body) {
					t.Errorf("goroutine %d call %d: %v %q", g, i, res.Err, res.Body)
					return
				}
			}
		}()
	}
	wg.Wait()
}
