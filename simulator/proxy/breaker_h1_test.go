package proxy

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// breakerDial opens a raw connection to addr with a deadline.
func breakerDial(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	return conn, bufio.NewReader(conn)
}

// A request with both Content-Length and Transfer-Encoding is the
// textbook request-smuggling shape. RFC 9112 §6.1: "a server MAY reject
// a request that contains both Content-Length and Transfer-Encoding or
// process such a request in accordance with the Transfer-Encoding alone.
// Regardless, the server MUST close the connection after responding to
// such a request". The proxy answers it and keeps the connection open,
// then serves what follows as a new request.
func TestBreakerH1SmugglingClosesConnection(t *testing.T) {
	t.Parallel()
	addr, got := echoServer(t, &Server{})
	conn, br := breakerDial(t, addr)
	io.WriteString(conn, "POST /a HTTP/1.1\r\nhost: h\r\ncontent-length: 4\r\ntransfer-encoding: chunked\r\n\r\n"+
		"0\r\n\r\n"+
		"POST /smuggled HTTP/1.1\r\nhost: h\r\ncontent-length: 0\r\n\r\n")
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	// The connection must now be closed: no second answer.
	if resp2, err := http.ReadResponse(br, nil); err == nil {
		resp2.Body.Close()
		t.Errorf("the proxy answered a second request (%s) on a connection whose first request had both Content-Length and Transfer-Encoding; RFC 9112 §6.1 says it MUST close it", resp2.Status)
	}
	for _, r := range got() {
		if r.Target == "/smuggled" {
			t.Errorf("the request smuggled after a CL+TE request reached the handler")
		}
	}
}

// A chunked body may end with a trailer section (RFC 9112 §7.1.2). The
// proxy reads the chunks with httputil.NewChunkedReader, which stops at
// the last chunk and leaves the trailer fields in the reader: the next
// pipelined request is then read from the trailer's lines, refused as
// malformed (400) and the connection closed, losing that request.
func TestBreakerH1ChunkedTrailerThenPipelined(t *testing.T) {
	t.Parallel()
	addr, got := echoServer(t, &Server{})
	conn, br := breakerDial(t, addr)
	io.WriteString(conn, "POST /a HTTP/1.1\r\nhost: h\r\ntransfer-encoding: chunked\r\n\r\n"+
		"2\r\n{}\r\n0\r\nx-checksum: abc\r\n\r\n"+
		"POST /b HTTP/1.1\r\nhost: h\r\ncontent-length: 2\r\n\r\n[]")
	var statuses []string
	for range 2 {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			break
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		statuses = append(statuses, resp.Status)
	}
	if len(statuses) != 2 || statuses[0] != "201 Made It" || statuses[1] != "201 Made It" {
		t.Errorf("answers %q, want both requests answered by the handler (201 Made It)", statuses)
	}
	if n := len(got()); n != 2 {
		t.Errorf("the handler got %d requests, want 2 (a chunked one with a trailer, then a pipelined one)", n)
	}
}

// A HEAD request's answer carries the Content-Length a GET would have
// (RFC 9110 §9.3.2, §8.6), though no body. The proxy drops the
// upstream's Content-Length (it does not match the empty body it read)
// and writes "content-length: 0".
func TestBreakerH1HeadKeepsContentLength(t *testing.T) {
	t.Parallel()
	upstream := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "19")
		if r.Method != http.MethodHead {
			io.WriteString(w, `{"action":"accept"}`)
		}
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go upstream.Serve(ln)
	t.Cleanup(func() { upstream.Close() })
	base, _ := startProxy(t, Config{Upstream: "http://" + ln.Addr().String() + "/", TempFailOnError: true})
	req, _ := http.NewRequest(http.MethodHead, base+"/", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.ContentLength != 19 {
		t.Errorf("HEAD through the proxy: Content-Length %d, want the upstream's 19", resp.ContentLength)
	}
}

// A hook that moved answers 307 (or 308) with a relative Location; a
// direct Stalwart (reqwest follows up to 10 redirects, keeping POST and
// its body for 307/308) then gets the hook's answer. Forward passes the
// 3xx back for the MTA to follow, but when the upstream URL has a path
// every request goes to that path whatever Stalwart asks for, so the
// redirected request comes back to the same 307: a loop until the
// client gives up, where a direct call got the answer.
func TestBreakerRedirectThroughFixedPathUpstream(t *testing.T) {
	t.Parallel()
	hook := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if r.URL.Path == "/mta-hook" {
			http.Redirect(w, r, "/v2/mta-hook", http.StatusTemporaryRedirect)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"action":"accept"}`)
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go hook.Serve(ln)
	t.Cleanup(func() { hook.Close() })
	hookURL := "http://" + ln.Addr().String() + "/mta-hook"
	base, _ := startProxy(t, Config{Upstream: hookURL, TempFailOnError: true})
	post := func(url string) (string, error) {
		resp, err := http.Post(url, "application/json", strings.NewReader(`{}`))
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.Status + " " + string(b), nil
	}
	direct, err := post(hookURL)
	if err != nil || direct != `200 OK {"action":"accept"}` {
		t.Fatalf("direct call: %q, %v", direct, err)
	}
	proxied, err := post(base + "/")
	if err != nil || proxied != direct {
		t.Errorf("through the proxy: %q, %v; a direct call gets %q", proxied, err, direct)
	}
}
