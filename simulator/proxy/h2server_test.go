package proxy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"github.com/hooksim/hooksim/simulator/hookclient"
	"github.com/hooksim/hooksim/simulator/hookconf"
)

// keeper is a Handler that keeps the requests it got and answers with
// answer.
type keeper struct {
	mu     sync.Mutex
	reqs   []*Request
	answer func(ctx context.Context, req *Request) *Response
}

func (rec *keeper) handle(ctx context.Context, req *Request) *Response {
	rec.mu.Lock()
	rec.reqs = append(rec.reqs, req)
	rec.mu.Unlock()
	if rec.answer == nil {
		return &Response{Status: http.StatusOK, Body: []byte("ok")}
	}
	return rec.answer(ctx, req)
}

func (rec *keeper) got() []*Request {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]*Request(nil), rec.reqs...)
}

// checkHead checks a Head rendering: the request line, the pseudo-header
// fields pseudo in any order (each client has its own), then fields in
// order, then a blank line.
func checkHead(t *testing.T, head []byte, method, path string, pseudo map[string]string, fields []hookconf.HeaderField) {
	t.Helper()
	lines := strings.Split(string(head), "\r\n")
	want := 1 + len(pseudo) + len(fields) + 2
	if len(lines) != want || lines[0] != method+" "+path+" HTTP/2.0" || lines[len(lines)-2] != "" || lines[len(lines)-1] != "" {
		t.Fatalf("Head %q: want %d lines starting %q", head, want-1, method+" "+path+" HTTP/2.0")
	}
	got := map[string]string{}
	for _, l := range lines[1 : 1+len(pseudo)] {
		name, value, _ := strings.Cut(l[1:], ":")
		got[":"+name] = strings.TrimPrefix(value, " ")
	}
	if !reflect.DeepEqual(got, pseudo) {
		t.Errorf("Head's pseudo-header fields %v, want %v", got, pseudo)
	}
	for i, f := range fields {
		if l := lines[1+len(pseudo)+i]; l != f.Name+": "+f.Value {
			t.Errorf("Head line %q, want field %s: %s", l, f.Name, f.Value)
		}
	}
}

// TestH2GoClients: golang.org/x/net/http2's Transport, over TLS (h2 by
// ALPN) and h2c with prior knowledge, gets its request to the handler
// whole and the handler's answer back.
func TestH2GoClients(t *testing.T) {
	t.Parallel()
	for _, useTLS := range []bool{true, false} {
		t.Run(fmt.Sprintf("tls=%v", useTLS), func(t *testing.T) {
			t.Parallel()
			rec := &keeper{answer: func(_ context.Context, req *Request) *Response {
				return &Response{Status: http.StatusCreated, Fields: []hookconf.HeaderField{
					{Name: "Content-Type", Value: "application/json"}, {Name: "X-Echo", Value: req.Target}},
					Body: append([]byte("got "), req.Body...)}
			}}
			srv := startH2(t, &Server{Handler: rec.handle}, useTLS)
			client, scheme := h2Client(t, useTLS)
			body := `{"context":{"stage":"connect"}}`
			req, _ := http.NewRequest(http.MethodPost, scheme+"://"+srv.addr+"/hook/path?x=1&y=%20", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Api-Key", "k1")
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated || resp.ProtoMajor != 2 || string(got) != "got "+body ||
				resp.Header.Get("X-Echo") != "/hook/path?x=1&y=%20" || resp.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("response %d %s %v %q", resp.StatusCode, resp.Proto, resp.Header, got)
			}
			reqs := rec.got()
			if len(reqs) != 1 {
				t.Fatalf("handler called %d times", len(reqs))
			}
			r := reqs[0]
			if r.Proto != ProtoHTTP2 || r.Method != "POST" || r.Target != "/hook/path?x=1&y=%20" || r.Authority != srv.addr ||
				string(r.Body) != body || r.TLS != useTLS || r.RemoteAddr == "" || r.Received.IsZero() {
				t.Fatalf("request %+v", r)
			}
			// Go's Transport sends its fields in map order: check them
			// as a set, and Head against them in the order received.
			seen := map[string]string{}
			for _, f := range r.Fields {
				if f.Name != strings.ToLower(f.Name) || strings.HasPrefix(f.Name, ":") {
					t.Errorf("field %q: not a lower-case regular field", f.Name)
				}
				seen[f.Name] = f.Value
			}
			for name, want := range map[string]string{"content-type": "application/json", "x-api-key": "k1", "content-length": strconv.Itoa(len(body))} {
				if seen[name] != want {
					t.Errorf("field %s = %q, want %q (all: %v)", name, seen[name], want, r.Fields)
				}
			}
			checkHead(t, r.Head, "POST", r.Target, map[string]string{":method": "POST", ":scheme": scheme, ":authority": srv.addr, ":path": r.Target}, r.Fields)
		})
	}
}

// TestH2HookclientOrder: hooksim's own client (which speaks h2 by ALPN as
// Stalwart does) and the proxy agree byte for byte on the request's
// fields and head, and the handler's response fields reach the client in
// order, lower-cased, without the connection-specific ones.
func TestH2HookclientOrder(t *testing.T) {
	t.Parallel()
	respBody := []byte(`{"action":"accept"}`)
	rec := &keeper{answer: func(context.Context, *Request) *Response {
		return &Response{Status: http.StatusOK, Fields: []hookconf.HeaderField{
			{Name: "X-Zeta", Value: "1"},
			{Name: "Connection", Value: "keep-alive"},
			{Name: "Content-Type", Value: "application/json"},
			{Name: "Keep-Alive", Value: "timeout=5"},
			{Name: "content-length", Value: "999"}, // wrong: dropped
			{Name: "X-Alpha", Value: "2"},
			{Name: "Content-Length", Value: strconv.Itoa(len(respBody))},
			{Name: "Transfer-Encoding", Value: "chunked"},
			{Name: "X-Multi", Value: "a"},
			{Name: "Upgrade", Value: "h2c"},
			{Name: "X-Multi", Value: "b"},
			{Name: "Bad Name", Value: "x"},
		}, Body: respBody}
	}}
	srv := startH2(t, &Server{Handler: rec.handle}, true)
	client := hookclient.New()
	t.Cleanup(func() { client.Close() })
	hook := &hookconf.Hook{
		URL:               "https://" + srv.addr + "/mta/hook?stage=rcpt",
		AllowInvalidCerts: true,
		Timeout:           10 * time.Second,
		HTTPHeaders:       []hookconf.HeaderField{{Name: "X-Tenant", Value: "t1"}, {Name: "X-Api-Version", Value: "3"}},
		Auth:              hookconf.HTTPAuth{Kind: hookconf.AuthBasic, Username: "stalwart", Secret: "s3cret-value"},
	}
	body := []byte(`{"context":{"stage":"rcpt"},"envelope":{"from":{"address":"a@b.c"},"to":[]}}`)
	for call := range 2 { // the second call reuses the pooled connection
		res := client.Call(context.Background(), hook, body)
		if res.Err != nil {
			t.Fatalf("call %d: %v", call, res.Err)
		}
		if res.Proto != hookclient.ProtoHTTP2 {
			t.Fatalf("call %d went out as %s", call, res.Proto)
		}
		reqs := rec.got()
		if len(reqs) != call+1 {
			t.Fatalf("handler called %d times after %d calls", len(reqs), call+1)
		}
		r := reqs[call]
		if !reflect.DeepEqual(r.Fields, res.RequestHeaders) {
			t.Errorf("call %d: the proxy got fields\n %v\nhookclient sent\n %v", call, r.Fields, res.RequestHeaders)
		}
		if got := hookclient.RedactHead(r.Head, hook.Secrets()...); !bytes.Equal(got, res.RequestHead) {
			t.Errorf("call %d: the proxy's head\n%q\nhookclient's\n%q", call, got, res.RequestHead)
		}
		if !bytes.Equal(r.Body, body) || r.Target != "/mta/hook?stage=rcpt" || r.Authority != srv.addr || !r.TLS {
			t.Errorf("call %d: request %+v", call, r)
		}
		want := []hookconf.HeaderField{
			{Name: "x-zeta", Value: "1"}, {Name: "content-type", Value: "application/json"},
			{Name: "x-alpha", Value: "2"}, {Name: "content-length", Value: strconv.Itoa(len(respBody))},
			{Name: "x-multi", Value: "a"}, {Name: "x-multi", Value: "b"},
		}
		if !reflect.DeepEqual(res.ResponseHeaders, want) {
			t.Errorf("call %d: response fields\n %v\nwant\n %v", call, res.ResponseHeaders, want)
		}
		if res.Status != http.StatusOK || !bytes.Equal(res.Body, respBody) {
			t.Errorf("call %d: %d %q", call, res.Status, res.Body)
		}
		if !strings.HasPrefix(string(res.ResponseHead), "HTTP/2.0 200\r\n:status: 200\r\nx-zeta: 1\r\n") {
			t.Errorf("call %d: response head %q", call, res.ResponseHead)
		}
	}
	if a, b := rec.got()[0].RemoteAddr, rec.got()[1].RemoteAddr; a != b {
		t.Errorf("the second call came from %s, the first from %s: not one pooled connection", b, a)
	}
}

// TestH2ConcurrentStreams: 50 requests at once on one connection are all
// handled at the same time (each handler waits for the 50 to be in) and
// answered correctly.
func TestH2ConcurrentStreams(t *testing.T) {
	t.Parallel()
	const n = 50
	var in atomic.Int32
	all := make(chan struct{})
	rec := &keeper{answer: func(ctx context.Context, req *Request) *Response {
		if in.Add(1) == n {
			close(all)
		}
		select {
		case <-all:
		case <-time.After(10 * time.Second):
			return &Response{Status: http.StatusServiceUnavailable, Body: []byte("not concurrent")}
		}
		time.Sleep(10 * time.Millisecond)
		return &Response{Status: http.StatusOK, Fields: []hookconf.HeaderField{{Name: "x-n", Value: string(req.Body)}},
			Body: bytes.Repeat(req.Body, 100)}
	}}
	srv := startH2(t, &Server{Handler: rec.handle}, true)
	client, scheme := h2Client(t, true)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("req-%02d;", i)
			resp, err := client.Post(scheme+"://"+srv.addr+"/hook", "application/json", strings.NewReader(id))
			if err != nil {
				errs <- err
				return
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if err != nil || resp.StatusCode != http.StatusOK || string(b) != strings.Repeat(id, 100) || resp.Header.Get("X-N") != id {
				errs <- fmt.Errorf("%s: %d %q %v %v", id, resp.StatusCode, b, resp.Header, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	conns := map[string]bool{}
	for _, r := range rec.got() {
		conns[r.RemoteAddr] = true
	}
	if len(rec.got()) != n || len(conns) != 1 {
		t.Errorf("%d requests over %d connections, want %d over 1", len(rec.got()), len(conns), n)
	}
}

// TestH2BigBodies: a 20 MiB request body and a 5 MiB response body cross
// intact: the server gives its receive windows back as it reads and
// respects the client's windows (Go's Transport's stream window is 4 MiB).
func TestH2BigBodies(t *testing.T) {
	t.Parallel()
	reqBody := pattern(20<<20, 7)
	respBody := pattern(5<<20, 13)
	for _, useTLS := range []bool{true} { // h2c runs the same code, at the race detector's cost
		t.Run(fmt.Sprintf("tls=%v", useTLS), func(t *testing.T) {
			t.Parallel()
			rec := &keeper{answer: func(_ context.Context, req *Request) *Response {
				sum := sha256.Sum256(req.Body)
				return &Response{Status: http.StatusOK, Fields: []hookconf.HeaderField{
					{Name: "x-sum", Value: hex.EncodeToString(sum[:])}, {Name: "x-len", Value: strconv.Itoa(len(req.Body))}},
					Body: respBody}
			}}
			srv := startH2(t, &Server{Handler: rec.handle}, useTLS)
			client, scheme := h2Client(t, useTLS)
			resp, err := client.Post(scheme+"://"+srv.addr+"/hook", "application/octet-stream", bytes.NewReader(reqBody))
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			want := sha256.Sum256(reqBody)
			if resp.Header.Get("X-Sum") != hex.EncodeToString(want[:]) || resp.Header.Get("X-Len") != strconv.Itoa(len(reqBody)) {
				t.Errorf("the handler got a request body of %s bytes, sha256 %s", resp.Header.Get("X-Len"), resp.Header.Get("X-Sum"))
			}
			if !bytes.Equal(got, respBody) {
				t.Errorf("response body of %d bytes differs from the %d sent", len(got), len(respBody))
			}
		})
	}
}

// pattern is n bytes that do not repeat on a frame or buffer boundary: a
// block of 65521 (a prime) bytes made from seed, repeated.
func pattern(n int, seed byte) []byte {
	block := make([]byte, 65521)
	for i := range block {
		block[i] = byte(i)*seed + byte(i>>8)
	}
	return bytes.Repeat(block, n/len(block)+1)[:n]
}

// TestH2ResetCancelsHandler: a client that gives up on a request (Go's
// Transport sends RST_STREAM CANCEL) ends the handler's context; the
// connection goes on serving.
func TestH2ResetCancelsHandler(t *testing.T) {
	t.Parallel()
	started := make(chan struct{}, 1)
	cancelled := make(chan error, 1)
	rec := &keeper{answer: func(ctx context.Context, req *Request) *Response {
		if req.Target != "/slow" {
			return &Response{Status: http.StatusOK, Body: []byte("fast")}
		}
		started <- struct{}{}
		select {
		case <-ctx.Done():
			cancelled <- ctx.Err()
		case <-time.After(10 * time.Second):
			cancelled <- errors.New("the handler's context did not end")
		}
		return &Response{Status: http.StatusOK}
	}}
	srv := startH2(t, &Server{Handler: rec.handle}, true)
	client, scheme := h2Client(t, true)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, scheme+"://"+srv.addr+"/slow", strings.NewReader("x"))
	done := make(chan error, 1)
	go func() {
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	<-started
	cancel()
	if err := <-cancelled; !errors.Is(err, context.Canceled) {
		t.Fatalf("handler: %v", err)
	}
	if err := <-done; err == nil {
		t.Error("the cancelled request succeeded")
	}
	resp, err := client.Post(scheme+"://"+srv.addr+"/fast", "text/plain", strings.NewReader("y"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "fast" {
		t.Errorf("after the reset: %q", b)
	}
	reqs := rec.got()
	if len(reqs) != 2 || reqs[0].RemoteAddr != reqs[1].RemoteAddr {
		t.Errorf("%d requests, want 2 on one connection", len(reqs))
	}
}

// TestH2Shutdown: when Serve's ctx ends the server sends GOAWAY naming the
// last stream, refuses a new one, answers the stream in progress (its
// handler's context still alive) and then closes the connection; Serve
// returns.
func TestH2Shutdown(t *testing.T) {
	t.Parallel()
	entered := make(chan struct{})
	release := make(chan struct{})
	rec := &keeper{answer: func(ctx context.Context, req *Request) *Response {
		close(entered)
		<-release
		return &Response{Status: http.StatusOK, Body: []byte("answered, ctx " + fmt.Sprint(ctx.Err()))}
	}}
	srv := startH2(t, &Server{Handler: rec.handle}, false)
	c := dialH2Raw(t, srv.addr)
	c.post(1, "in progress")
	<-entered
	stopped := make(chan error, 1)
	go func() { stopped <- srv.stop() }()
	g := c.expect(http2.FrameGoAway, 0)
	if g.code != http2.ErrCodeNo || g.last != 1 {
		t.Fatalf("GOAWAY %v last %d, want NO_ERROR last 1", g.code, g.last)
	}
	c.post(3, "too late")
	if f := c.expect(http2.FrameRSTStream, 3); f.code != http2.ErrCodeRefusedStream {
		t.Errorf("stream 3 after GOAWAY: %v, want REFUSED_STREAM", f.code)
	}
	select {
	case err := <-stopped:
		t.Fatalf("Serve returned (%v) with a stream in progress", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	resp := c.response(1)
	if resp.status != "200" || string(resp.body) != "answered, ctx <nil>" {
		t.Errorf("stream 1: %s %q", resp.status, resp.body)
	}
	c.expectClosed()
	if err := <-stopped; err != nil {
		t.Errorf("Serve: %v", err)
	}
	if n := len(rec.got()); n != 1 {
		t.Errorf("handler called %d times, want 1", n)
	}
}

// TestH2BodyLimit: a request body over MaxBodyBytes gets 413 without the
// handler being called, whether its content-length says so or its DATA
// do; a body within the limit is served on the same server.
func TestH2BodyLimit(t *testing.T) {
	t.Parallel()
	rec := &keeper{}
	srv := startH2(t, &Server{Handler: rec.handle, MaxBodyBytes: 1000}, true)
	client, scheme := h2Client(t, true)
	url := scheme + "://" + srv.addr + "/hook"
	tests := []struct {
		name string
		body func() io.Reader
	}{
		{"content-length", func() io.Reader { return bytes.NewReader(make([]byte, 1001)) }},
		{"streamed", func() io.Reader {
			pr, pw := io.Pipe()
			go func() {
				for range 100 {
					if _, err := pw.Write(make([]byte, 100)); err != nil {
						return
					}
				}
				pw.Close()
			}()
			return pr
		}},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(http.MethodPost, url, tt.body())
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "limit of 1000") {
			t.Errorf("%s: %d %q, want 413", tt.name, resp.StatusCode, b)
		}
	}
	if n := len(rec.got()); n != 0 {
		t.Fatalf("handler called %d times for bodies over the limit", n)
	}
	resp, err := client.Post(url, "text/plain", bytes.NewReader(make([]byte, 1000)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(rec.got()) != 1 || len(rec.got()[0].Body) != 1000 {
		t.Errorf("a body of exactly the limit: %d, %d handler calls", resp.StatusCode, len(rec.got()))
	}
}

// TestH2IdleTimeout: a connection without a stream for IdleTimeout gets
// GOAWAY NO_ERROR and is closed.
func TestH2IdleTimeout(t *testing.T) {
	t.Parallel()
	srv := startH2(t, &Server{Handler: (&keeper{}).handle, IdleTimeout: 200 * time.Millisecond}, false)
	c := dialH2Raw(t, srv.addr)
	c.post(1, "x")
	if r := c.response(1); r.status != "200" {
		t.Fatalf("status %s", r.status)
	}
	start := time.Now()
	g := c.expectGoAway(http2.ErrCodeNo)
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("closed %v after the last stream, before the idle timeout", d)
	}
	if g.last != 1 {
		t.Errorf("GOAWAY last stream %d, want 1", g.last)
	}
}

// TestH2PeerGoAway: after the client's GOAWAY the server answers the
// stream in progress, then closes the connection.
func TestH2PeerGoAway(t *testing.T) {
	t.Parallel()
	entered := make(chan struct{})
	release := make(chan struct{})
	rec := &keeper{answer: func(context.Context, *Request) *Response {
		close(entered)
		<-release
		return &Response{Status: http.StatusAccepted, Body: []byte("done")}
	}}
	srv := startH2(t, &Server{Handler: rec.handle}, false)
	c := dialH2Raw(t, srv.addr)
	c.post(1, "x")
	<-entered
	if err := c.fr.WriteGoAway(0, http2.ErrCodeNo, nil); err != nil {
		t.Fatal(err)
	}
	close(release)
	if r := c.response(1); r.status != "202" || string(r.body) != "done" {
		t.Errorf("stream 1: %s %q", r.status, r.body)
	}
	c.expectClosed()
}

// TestH2ConnCloseCancelsHandler: a client that closes the connection
// while its request is being handled ends the handler's context.
func TestH2ConnCloseCancelsHandler(t *testing.T) {
	t.Parallel()
	entered := make(chan struct{})
	cancelled := make(chan error, 1)
	rec := &keeper{answer: func(ctx context.Context, _ *Request) *Response {
		close(entered)
		select {
		case <-ctx.Done():
			cancelled <- nil
		case <-time.After(10 * time.Second):
			cancelled <- errors.New("the handler's context did not end")
		}
		return &Response{Status: http.StatusOK}
	}}
	srv := startH2(t, &Server{Handler: rec.handle}, false)
	c := dialH2Raw(t, srv.addr)
	c.post(1, "x")
	<-entered
	c.conn.Close()
	if err := <-cancelled; err != nil {
		t.Fatal(err)
	}
}

// TestH2NoGoroutineLeak: after connections that ended every way (answered,
// reset, broken off mid-handler, protocol error, shutdown with a stream in
// progress) and Serve's return, the goroutines are back to what they
// were. Not parallel: it counts the process's goroutines.
func TestH2NoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	release := make(chan struct{})
	rec := &keeper{answer: func(ctx context.Context, req *Request) *Response {
		switch req.Target {
		case "/wait-ctx":
			<-ctx.Done()
		case "/wait-release":
			<-release
		}
		return &Response{Status: http.StatusOK, Body: []byte("ok")}
	}}
	srv := startH2(t, &Server{Handler: rec.handle}, false)
	post := func(c *h2Raw, id uint32, path string) {
		c.headers(id, true, ":method", "POST", ":scheme", "http", ":path", path)
	}
	answered := dialH2Raw(t, srv.addr)
	post(answered, 1, "/")
	answered.response(1)
	reset := dialH2Raw(t, srv.addr)
	post(reset, 1, "/wait-ctx")
	if err := reset.fr.WriteRSTStream(1, http2.ErrCodeCancel); err != nil {
		t.Fatal(err)
	}
	broken := dialH2Raw(t, srv.addr)
	post(broken, 1, "/wait-ctx")
	time.Sleep(20 * time.Millisecond)
	broken.conn.Close()
	garbage := dialH2Raw(t, srv.addr)
	if err := garbage.fr.WriteData(0, true, nil); err != nil {
		t.Fatal(err)
	}
	garbage.expectGoAway(http2.ErrCodeProtocol)
	inProgress := dialH2Raw(t, srv.addr)
	post(inProgress, 1, "/wait-release")
	time.Sleep(20 * time.Millisecond)
	stopped := make(chan error, 1)
	go func() { stopped <- srv.stop() }()
	time.Sleep(50 * time.Millisecond)
	close(release)
	inProgress.response(1)
	inProgress.expectClosed()
	for _, c := range []*h2Raw{answered, reset} {
		c.conn.Close()
	}
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}
