package proxy

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hooksim/hooksim/simulator/hookconf"
)

// echoServer serves h1 with a handler that answers each request with its
// method, target, fields and body, and keeps the requests.
func echoServer(t *testing.T, srv *Server) (addr string, got func() []*Request) {
	t.Helper()
	var mu sync.Mutex
	var reqs []*Request
	srv.Handler = func(ctx context.Context, r *Request) *Response {
		mu.Lock()
		reqs = append(reqs, r)
		mu.Unlock()
		var b strings.Builder
		b.WriteString(r.Method + " " + r.Target + "\n")
		for _, f := range r.Fields {
			b.WriteString(f.Name + "=" + f.Value + "\n")
		}
		b.Write(r.Body)
		return &Response{Status: 201, Reason: "Made It", Fields: []hookconf.HeaderField{{Name: "X-Order", Value: "1"}, {Name: "content-type", Value: "text/plain"}}, Body: []byte(b.String())}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { srv.Serve(ctx, ln); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return ln.Addr().String(), func() []*Request {
		mu.Lock()
		defer mu.Unlock()
		return append([]*Request(nil), reqs...)
	}
}

func TestH1KeepsHeadAndFieldsAsReceived(t *testing.T) {
	t.Parallel()
	addr, got := echoServer(t, &Server{})
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	head := "POST /mta-hook?x=1 HTTP/1.1\r\ncontent-type: application/json\r\nX-Custom:  spaced value \r\nauthorization: Bearer t0k\r\naccept: */*\r\nhost: 127.0.0.1:9000\r\ncontent-length: 2\r\n\r\n"
	// Two requests pipelined in one write, then a chunked one.
	chunked := "POST /b HTTP/1.1\r\nhost: h\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
	io.WriteString(conn, head+"{}"+head+"[]"+chunked)
	br := bufio.NewReader(conn)
	var bodies []string
	for range 3 {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.Status != "201 Made It" || resp.Header.Get("X-Order") != "1" {
			t.Errorf("status %q, X-Order %q", resp.Status, resp.Header.Get("X-Order"))
		}
		bodies = append(bodies, string(b))
	}
	reqs := got()
	if len(reqs) != 3 {
		t.Fatalf("%d requests handled, want 3", len(reqs))
	}
	if string(reqs[0].Head) != head || string(reqs[1].Head) != head {
		t.Errorf("head not kept byte for byte:\n%q", reqs[0].Head)
	}
	want := "POST /mta-hook?x=1\ncontent-type=application/json\nX-Custom=spaced value\nauthorization=Bearer t0k\naccept=*/*\nhost=127.0.0.1:9000\ncontent-length=2\n{}"
	if bodies[0] != want {
		t.Errorf("fields as handled:\n%s\nwant\n%s", bodies[0], want)
	}
	if string(reqs[2].Body) != "abcde" || reqs[2].Proto != ProtoHTTP11 || reqs[2].Authority != "h" {
		t.Errorf("chunked request: body %q proto %q authority %q", reqs[2].Body, reqs[2].Proto, reqs[2].Authority)
	}
}

func TestH1Limits(t *testing.T) {
	t.Parallel()
	addr, got := echoServer(t, &Server{MaxHeaderBytes: 256, MaxBodyBytes: 10})
	cases := []struct{ name, req, status string }{
		{"head too large", "POST / HTTP/1.1\r\nhost: h\r\nx-pad: " + strings.Repeat("a", 400) + "\r\n\r\n", "431"},
		{"body too large", "POST / HTTP/1.1\r\nhost: h\r\ncontent-length: 11\r\n\r\n01234567890", "413"},
		{"chunked body too large", "POST / HTTP/1.1\r\nhost: h\r\ntransfer-encoding: chunked\r\n\r\nb\r\n01234567890\r\n0\r\n\r\n", "413"},
		{"folded header", "POST / HTTP/1.1\r\nhost: h\r\nx-a: 1\r\n folded\r\ncontent-length: 0\r\n\r\n", "400"},
		{"garbage", "HELLO\r\n\r\n", "400"},
		// Refused before the client sends the body: no 100 Continue.
		{"body too large, expecting 100-continue", "POST / HTTP/1.1\r\nhost: h\r\nexpect: 100-continue\r\ncontent-length: 11\r\n\r\n", "413"},
	}
	for _, tc := range cases {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(conn, tc.req)
		line, _ := bufio.NewReader(conn).ReadString('\n')
		conn.Close()
		if !strings.HasPrefix(line, "HTTP/1.1 "+tc.status+" ") {
			t.Errorf("%s: answered %q, want %s", tc.name, line, tc.status)
		}
	}
	if n := len(got()); n != 0 {
		t.Errorf("the handler was called %d times for refused requests", n)
	}
}

func TestH1ExpectContinue(t *testing.T) {
	t.Parallel()
	addr, got := echoServer(t, &Server{})
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(conn, "POST / HTTP/1.1\r\nhost: h\r\nexpect: 100-continue\r\ncontent-length: 4\r\n\r\n")
	br := bufio.NewReader(conn)
	line, _ := br.ReadString('\n')
	if line != "HTTP/1.1 100 Continue\r\n" {
		t.Fatalf("first answer %q, want 100 Continue", line)
	}
	br.ReadString('\n')
	io.WriteString(conn, "body")
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if r := got(); len(r) != 1 || string(r[0].Body) != "body" {
		t.Errorf("handled %d requests", len(r))
	}
}
