package hookclient

import (
	"bufio"
	"flag"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hooksim/hooksim/simulator/hookconf"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/hookclient")

const goldenDir = "../../testdata/hookclient"

// testHook is a hook for url with short test defaults.
func testHook(url string) *hookconf.Hook {
	return &hookconf.Hook{
		ID:              "test",
		URL:             url,
		Timeout:         2 * time.Second,
		TempFailOnError: true,
		MaxResponseSize: hookconf.DefaultMaxResponseSize,
		Auth:            hookconf.HTTPAuth{Kind: hookconf.AuthNone},
	}
}

// rawRequest is one request as a raw TCP server read it.
type rawRequest struct {
	head string // request line and headers, CRLFs kept, blank line included
	body []byte
}

// rawServer is a loopback TCP server that reads HTTP/1.1 requests byte for
// byte and answers with whatever its handler writes.
type rawServer struct {
	ln      net.Listener
	accepts atomic.Int32
	mu      sync.Mutex
	reqs    []rawRequest
	wg      sync.WaitGroup
}

// rawHandler answers request n (0-based, over the server's life) on w; it
// returns false to close the connection afterwards.
type rawHandler func(n int, req rawRequest, w net.Conn) bool

func newRawServer(t *testing.T, h rawHandler) *rawServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &rawServer{ln: ln}
	var conns sync.Map
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.accepts.Add(1)
			conns.Store(c, true)
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer c.Close()
				s.serve(c, h)
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		conns.Range(func(k, _ any) bool { _ = k.(net.Conn).Close(); return true })
		s.wg.Wait()
	})
	return s
}

func (s *rawServer) serve(c net.Conn, h rawHandler) {
	br := bufio.NewReader(c)
	for {
		var head strings.Builder
		length := 0
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			head.WriteString(line)
			if line == "\r\n" {
				break
			}
			if name, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(name, "content-length") {
				length, _ = strconv.Atoi(strings.TrimSpace(v))
			}
		}
		body := make([]byte, length)
		if _, err := io.ReadFull(br, body); err != nil {
			return
		}
		req := rawRequest{head: head.String(), body: body}
		s.mu.Lock()
		n := len(s.reqs)
		s.reqs = append(s.reqs, req)
		s.mu.Unlock()
		if !h(n, req, c) {
			return
		}
	}
}

func (s *rawServer) url(path string) string { return "http://" + s.ln.Addr().String() + path }

func (s *rawServer) port() string {
	_, p, _ := net.SplitHostPort(s.ln.Addr().String())
	return p
}

func (s *rawServer) requests() []rawRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]rawRequest(nil), s.reqs...)
}

// reply writes a complete response with a Content-Length body.
func reply(w io.Writer, status string, body string, extra ...string) {
	var b strings.Builder
	b.WriteString("HTTP/1.1 " + status + "\r\n")
	for _, e := range extra {
		b.WriteString(e + "\r\n")
	}
	b.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body)
	_, _ = io.WriteString(w, b.String())
}

// golden compares got with testdata/hookclient/name, or rewrites it with
// -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join(goldenDir, name)
	if *update {
		if err := os.MkdirAll(goldenDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run go test -update): %v", err)
	}
	if got != string(want) {
		t.Errorf("%s mismatch\n got: %q\nwant: %q", name, got, want)
	}
}

// wantClass fails unless res has an error of class c (or none for "").
func wantClass(t *testing.T, res CallResult, c ErrorClass) {
	t.Helper()
	switch {
	case c == "" && res.Err != nil:
		t.Fatalf("unexpected error %v", res.Err)
	case c != "" && res.Err == nil:
		t.Fatalf("no error, want class %s (status %d, body %q)", c, res.Status, res.Body)
	case c != "" && res.Err.Class != c:
		t.Fatalf("error %v, want class %s", res.Err, c)
	}
}
