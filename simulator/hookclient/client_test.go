package hookclient

import (
	"context"
	"fmt"
	"github.com/hooksim/hooksim/simulator/hookclient/hooktest"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const acceptJSON = `{"action":"accept"}`

func TestCallRefused(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	c := New()
	defer c.Close()
	res := c.Call(context.Background(), testHook("http://"+addr+"/hook"), []byte(`{}`))
	wantClass(t, res, ErrRefused)
	if !strings.Contains(res.Err.Message, addr) {
		t.Errorf("message %q does not name %s", res.Err.Message, addr)
	}
	if res.Status != 0 || res.RequestHeaders == nil {
		t.Errorf("status %d, request headers %v", res.Status, res.RequestHeaders)
	}
}

func TestCallTimeout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"no answer", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.ReadAll(r.Body)
			select {
			case <-r.Context().Done():
			case <-time.After(3 * time.Second):
			}
		}},
		{"slow body", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.ReadAll(r.Body)
			w.Header().Set("Content-Length", "100")
			_, _ = io.WriteString(w, `{"action":`)
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-time.After(3 * time.Second):
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			h := testHook(srv.URL)
			h.Timeout = 200 * time.Millisecond
			c := New()
			defer c.Close()
			res := c.Call(context.Background(), h, []byte(`{}`))
			wantClass(t, res, ErrTimeout)
			if !strings.Contains(res.Err.Message, "no complete answer within 200ms") {
				t.Errorf("message %q", res.Err.Message)
			}
			// Not before the timeout; the upper bound is the class: the
			// server holds the answer for 3s, past the timeout.
			if res.Duration < 200*time.Millisecond {
				t.Errorf("returned after %v, before the 200ms timeout", res.Duration)
			}
		})
	}
}

func TestCallCanceled(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body) // lets the server notice the client leaving
		select {
		case <-r.Context().Done():
		case <-time.After(3 * time.Second):
		}
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	c := New()
	defer c.Close()
	res := c.Call(ctx, testHook(srv.URL), []byte(`{}`))
	// The server holds the answer for 3s: ErrCanceled (not a status or
	// a timeout) shows the client gave up when the context was cancelled.
	wantClass(t, res, ErrCanceled)
}

func TestCallStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status  int
		body    string
		class   ErrorClass
		message string
	}{
		{200, acceptJSON, "", ""},
		{200, "", "", ""},
		{204, "", "", ""},
		{201, acceptJSON, "", ""},
		{500, "boom", ErrHTTPStatus, "Hook request failed with code 500: Internal Server Error"},
		{413, "", ErrHTTPStatus, "Hook request failed with code 413: Payload Too Large"},
		{404, "nope", ErrHTTPStatus, "Hook request failed with code 404: Not Found"},
		{599, "", ErrHTTPStatus, "Hook request failed with code 599: Unknown"},
		{304, "", ErrHTTPStatus, "Hook request failed with code 304: Not Modified"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status, "/", len(tt.body)), func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			c := New()
			defer c.Close()
			res := c.Call(context.Background(), testHook(srv.URL), []byte(`{}`))
			wantClass(t, res, tt.class)
			if res.Status != tt.status {
				t.Errorf("status %d, want %d", res.Status, tt.status)
			}
			wantBody := tt.body
			if tt.status == 204 || tt.status == 304 {
				wantBody = ""
			}
			if string(res.Body) != wantBody {
				t.Errorf("body %q, want %q", res.Body, wantBody)
			}
			if tt.class != "" && res.Err.Message != tt.message {
				t.Errorf("message %q, want %q", res.Err.Message, tt.message)
			}
		})
	}
}

func TestCallSizeLimit(t *testing.T) {
	t.Parallel()
	const limit = 1000
	chunked := func(n int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.(http.Flusher).Flush() // headers out now: the body goes chunked
			_, _ = io.WriteString(w, strings.Repeat("a", n))
		}
	}
	tests := []struct {
		name     string
		handler  http.HandlerFunc
		class    ErrorClass
		bodySize int
	}{
		{"length at limit", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", fmt.Sprint(limit))
			_, _ = io.WriteString(w, strings.Repeat("a", limit))
		}, "", limit},
		{"length over limit", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", fmt.Sprint(limit+1))
			_, _ = io.WriteString(w, strings.Repeat("a", limit+1))
		}, ErrTooLarge, 0},
		{"chunked at limit", chunked(limit), "", limit},
		{"chunked over limit", chunked(limit + 1), ErrTooLarge, limit + 1},
		{"500 over limit", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", fmt.Sprint(limit+1))
			w.WriteHeader(500)
			_, _ = io.WriteString(w, strings.Repeat("a", limit+1))
		}, ErrHTTPStatus, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			h := testHook(srv.URL)
			h.MaxResponseSize = limit
			c := New()
			defer c.Close()
			res := c.Call(context.Background(), h, []byte(`{}`))
			wantClass(t, res, tt.class)
			if len(res.Body) != tt.bodySize {
				t.Errorf("body %d bytes, want %d", len(res.Body), tt.bodySize)
			}
		})
	}
}

// TestCallTooLargeByLengthDoesNotRead: a Content-Length over the limit is
// refused before any body byte arrives.
func TestCallTooLargeByLengthDoesNotRead(t *testing.T) {
	t.Parallel()
	srv := newRawServer(t, func(n int, req hooktest.Request, w net.Conn) bool {
		_, _ = io.WriteString(w, "HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n")
		_, _ = io.ReadAll(w) // hold the connection open until the client drops it
		return false
	})
	h := testHook(srv.url("/"))
	h.MaxResponseSize = 1000
	c := New()
	defer c.Close()
	res := c.Call(context.Background(), h, []byte(`{}`))
	// The server never sends the body and holds the connection: waiting
	// for it would end in a timeout, not ErrTooLarge.
	wantClass(t, res, ErrTooLarge)
	if len(res.Body) != 0 {
		t.Errorf("read %d bytes", len(res.Body))
	}
}

// TestCallTooLargeStreaming: a chunked body that keeps coming is cut off
// after limit+1 bytes, long before the hook would finish.
func TestCallTooLargeStreaming(t *testing.T) {
	t.Parallel()
	const limit, chunk, total = 1000, 64, 1 << 20
	written := make(chan int, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := 0
		defer func() { written <- n }()
		for n < total {
			m, err := io.WriteString(w, strings.Repeat("x", chunk))
			n += m
			if err != nil {
				return
			}
			w.(http.Flusher).Flush()
			time.Sleep(time.Millisecond)
		}
	}))
	defer srv.Close()
	h := testHook(srv.URL)
	h.MaxResponseSize = limit
	c := New()
	defer c.Close()
	res := c.Call(context.Background(), h, []byte(`{}`))
	wantClass(t, res, ErrTooLarge)
	if len(res.Body) != limit+1 {
		t.Errorf("body %d bytes, want %d", len(res.Body), limit+1)
	}
	select {
	case n := <-written:
		if n >= total {
			t.Errorf("hook wrote all %d bytes: the client kept reading", n)
		}
	case <-time.After(3 * time.Second):
		t.Error("the hook kept streaming after the client gave up")
	}
}

// TestCallCloseDelimited: a body ended by closing the connection is
// limited while streaming as well.
func TestCallCloseDelimited(t *testing.T) {
	t.Parallel()
	tests := []struct {
		size  int
		class ErrorClass
	}{{100, ""}, {101, ErrTooLarge}}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.size), func(t *testing.T) {
			t.Parallel()
			srv := newRawServer(t, func(n int, req hooktest.Request, w net.Conn) bool {
				_, _ = io.WriteString(w, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"+strings.Repeat("b", tt.size))
				return false
			})
			h := testHook(srv.url("/"))
			h.MaxResponseSize = 100
			c := New()
			defer c.Close()
			res := c.Call(context.Background(), h, []byte(`{}`))
			wantClass(t, res, tt.class)
			if len(res.Body) != min(tt.size, 101) {
				t.Errorf("body %d bytes", len(res.Body))
			}
		})
	}
}

func TestCallMalformed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		response string
	}{
		{"garbage", "garbage\r\n\r\n"},
		{"truncated body", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"action\""},
		{"bad length", "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n"},
		{"folded header", "HTTP/1.1 200 OK\r\nX-A: 1\r\n 2\r\nContent-Length: 0\r\n\r\n"},
		{"closed before head", ""},
		{"http2 preface", "HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newRawServer(t, func(n int, req hooktest.Request, w net.Conn) bool {
				_, _ = io.WriteString(w, tt.response)
				return false
			})
			c := New()
			defer c.Close()
			res := c.Call(context.Background(), testHook(srv.url("/")), []byte(`{}`))
			wantClass(t, res, ErrProtocol)
		})
	}
}

func TestCallInterimResponse(t *testing.T) {
	t.Parallel()
	srv := newRawServer(t, func(n int, req hooktest.Request, w net.Conn) bool {
		_, _ = io.WriteString(w, "HTTP/1.1 100 Continue\r\n\r\n")
		reply(w, "200 OK", acceptJSON, "X-Hook: yes")
		return true
	})
	c := New()
	defer c.Close()
	res := c.Call(context.Background(), testHook(srv.url("/")), []byte(`{}`))
	wantClass(t, res, "")
	if res.Status != 200 || string(res.Body) != acceptJSON {
		t.Errorf("status %d body %q", res.Status, res.Body)
	}
	want := "X-Hook: yes|Content-Length: 19"
	var got []string
	for _, f := range res.ResponseHeaders {
		got = append(got, f.Name+": "+f.Value)
	}
	if strings.Join(got, "|") != want {
		t.Errorf("response headers %q, want %q", got, want)
	}
}

func TestCallBadConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		url   string
		class ErrorClass
	}{
		{"scheme", "ftp://127.0.0.1/", ErrConnect},
		{"no host", "http:///path", ErrConnect},
		{"unparsable", "http://[::1", ErrConnect},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := New().Call(context.Background(), testHook(tt.url), []byte(`{}`))
			wantClass(t, res, tt.class)
		})
	}
	h := testHook("http://127.0.0.1:1/")
	h.HTTPHeaders = append(h.HTTPHeaders, hf("Bad Name", "v"))
	wantClass(t, New().Call(context.Background(), h, nil), ErrProtocol)
	if res := New().Call(context.Background(), nil, nil); res.Err == nil {
		t.Error("nil hook: no error")
	}
}

// A zero Client works: its clock is time.Now and its pool empty.
func TestZeroClient(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"action":"accept"}`))
	}))
	defer srv.Close()
	var c Client
	defer c.Close()
	h, err := hookconf.FromFlags(hookconf.FlagSpec{URL: srv.URL, Stages: []string{"all"}})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second call reuses the pooled connection
		if res := c.Call(context.Background(), h, []byte("{}")); res.Err != nil || res.Status != 200 {
			t.Fatalf("zero Client: status %d, error %v", res.Status, res.Err)
		}
	}
}
