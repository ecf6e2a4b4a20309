// Package hooktest serves hand-written HTTP/1.1 answers on a loopback
// port, for tests that need a hook misbehaving below what net/http lets a
// handler do: a status line without a reason, folded or malformed headers,
// a body cut short, a connection closed without a word. It reads each
// request byte for byte (head and Content-Length body) and keeps it.
package hooktest

import (
	"bufio"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// Request is one request as read off the connection.
type Request struct {
	Head string // request line and header lines, CRLFs kept, blank line included
	Body []byte
}

// Handler answers request n (0-based, over the server's life) on c; it
// returns false to close the connection afterwards.
type Handler func(n int, req Request, c net.Conn) bool

// Answer is a Handler that writes answer(n) and closes the connection
// ("" closes it without a word).
func Answer(answer func(n int) string) Handler {
	return func(n int, _ Request, c net.Conn) bool {
		_, _ = io.WriteString(c, answer(n))
		return false
	}
}

// Server is a loopback TCP server speaking raw HTTP/1.1. It stops, and
// closes every connection, when the test ends.
type Server struct {
	ln      net.Listener
	accepts atomic.Int32
	mu      sync.Mutex
	reqs    []Request
	wg      sync.WaitGroup
}

// New starts a server on 127.0.0.1 answering with h.
func New(t testing.TB, h Handler) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{ln: ln}
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

func (s *Server) serve(c net.Conn, h Handler) {
	br := bufio.NewReader(c)
	for {
		req, ok := readRequest(br)
		if !ok {
			return
		}
		s.mu.Lock()
		n := len(s.reqs)
		s.reqs = append(s.reqs, req)
		s.mu.Unlock()
		if !h(n, req, c) {
			return
		}
	}
}

// readRequest reads one request: the head up to the blank line, then a
// Content-Length body.
func readRequest(br *bufio.Reader) (Request, bool) {
	var head strings.Builder
	length := 0
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return Request{}, false
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
		return Request{}, false
	}
	return Request{Head: head.String(), Body: body}, true
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is "http://" + Addr + path.
func (s *Server) URL(path string) string { return "http://" + s.Addr() + path }

// Accepts counts the connections accepted so far.
func (s *Server) Accepts() int { return int(s.accepts.Load()) }

// Requests returns the requests read so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}
