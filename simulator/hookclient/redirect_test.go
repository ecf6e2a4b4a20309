package hookclient

import (
	"context"
	"fmt"
	"github.com/hooksim/hooksim/simulator/hookclient/hooktest"
	"net"
	"strings"
	"testing"

	"github.com/hooksim/hooksim/simulator/hookconf"
)

func authHook(url string) *hookconf.Hook {
	h := testHook(url)
	h.HTTPHeaders = []hookconf.HeaderField{hf("X-Custom", "1")}
	h.Auth = hookconf.HTTPAuth{Kind: hookconf.AuthBearer, Secret: "tok"}
	return h
}

func TestRedirectMethods(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status int
		method string
		body   bool
	}{
		{301, "GET", false},
		{302, "GET", false},
		{303, "GET", false},
		{307, "POST", true},
		{308, "POST", true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			t.Parallel()
			srv := newRawServer(t, func(n int, req hooktest.Request, w net.Conn) bool {
				if n == 0 {
					reply(w, fmt.Sprintf("%d %s", tt.status, reasonPhrase(tt.status)), "moved", "Location: /next?a=1")
					return true
				}
				reply(w, "200 OK", acceptJSON)
				return true
			})
			c := New()
			defer c.Close()
			body := []byte(`{"x":1}`)
			res := c.Call(context.Background(), authHook(srv.url("/hook")), body)
			wantClass(t, res, "")
			reqs := srv.requests()
			if len(reqs) != 2 {
				t.Fatalf("%d requests", len(reqs))
			}
			second := reqs[1]
			if !strings.HasPrefix(second.Head, tt.method+" /next?a=1 HTTP/1.1\r\n") {
				t.Errorf("request line of %q", second.Head)
			}
			if got := len(second.Body) > 0; got != tt.body {
				t.Errorf("body %q", second.Body)
			}
			golden(t, fmt.Sprintf("redirect-%d.golden", tt.status), strings.ReplaceAll(second.Head, srv.port(), "PORT"))
			if len(res.Redirects) != 1 || res.Redirects[0].Method != tt.method || res.Redirects[0].Status != tt.status {
				t.Errorf("redirects %+v", res.Redirects)
			}
			if res.URL != srv.url("/next?a=1") || res.Status != 200 {
				t.Errorf("final %s %d", res.URL, res.Status)
			}
		})
	}
}

// TestRedirectCrossOrigin: a redirect to another port drops the
// credentials for that hop; a later same-origin hop has them again, as
// reqwest rebuilds every hop from the first request's headers.
func TestRedirectCrossOrigin(t *testing.T) {
	t.Parallel()
	b := newRawServer(t, func(n int, req hooktest.Request, w net.Conn) bool {
		if n == 0 {
			reply(w, "307 Temporary Redirect", "", "Location: /again")
			return true
		}
		reply(w, "200 OK", acceptJSON)
		return true
	})
	a := newRawServer(t, func(n int, req hooktest.Request, w net.Conn) bool {
		reply(w, "308 Permanent Redirect", "", "Location: "+b.url("/b"))
		return true
	})
	c := New()
	defer c.Close()
	res := c.Call(context.Background(), authHook(a.url("/a")), []byte(`{}`))
	wantClass(t, res, "")
	reqs := b.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests to b", len(reqs))
	}
	norm := func(s string) string {
		return strings.NewReplacer(a.port(), "PORTA", b.port(), "PORTB").Replace(s)
	}
	golden(t, "redirect-cross-origin.golden", norm(reqs[0].Head)+norm(reqs[1].Head))
	if strings.Contains(reqs[0].Head, "authorization:") {
		t.Error("credentials sent across origins")
	}
	if !strings.Contains(reqs[1].Head, "authorization: Bearer tok") {
		t.Error("same-origin hop after a cross-origin one lost the credentials (reqwest keeps them)")
	}
	if len(res.Redirects) != 2 || res.URL != b.url("/again") {
		t.Errorf("redirects %+v url %s", res.Redirects, res.URL)
	}
}

func TestRedirectLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		redirects int
		class     ErrorClass
		requests  int
	}{
		{10, "", 11},
		{11, ErrProtocol, 11},
		{50, ErrProtocol, 11},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.redirects), func(t *testing.T) {
			t.Parallel()
			srv := newRawServer(t, func(n int, req hooktest.Request, w net.Conn) bool {
				if n < tt.redirects {
					reply(w, "302 Found", "", fmt.Sprintf("Location: /r%d", n+1))
					return true
				}
				reply(w, "200 OK", acceptJSON)
				return true
			})
			c := New()
			defer c.Close()
			res := c.Call(context.Background(), testHook(srv.url("/r0")), []byte(`{}`))
			wantClass(t, res, tt.class)
			if got := len(srv.requests()); got != tt.requests {
				t.Errorf("%d requests, want %d", got, tt.requests)
			}
			if tt.class != "" && !strings.Contains(res.Err.Message, "too many redirects") {
				t.Errorf("message %q", res.Err.Message)
			}
		})
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		extra   []string
		status  string
		class   ErrorClass
		message string
	}{
		{"no location", nil, "302 Found", ErrHTTPStatus, "Hook request failed with code 302: Found"},
		{"300", []string{"Location: /x"}, "300 Multiple Choices", ErrHTTPStatus, "Hook request failed with code 300: Multiple Choices"},
		{"bad scheme", []string{"Location: ftp://127.0.0.1/x"}, "307 Temporary Redirect", ErrProtocol, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newRawServer(t, func(n int, req hooktest.Request, w net.Conn) bool {
				reply(w, tt.status, "", tt.extra...)
				return true
			})
			c := New()
			defer c.Close()
			res := c.Call(context.Background(), testHook(srv.url("/")), []byte(`{}`))
			wantClass(t, res, tt.class)
			if tt.message != "" && res.Err.Message != tt.message {
				t.Errorf("message %q", res.Err.Message)
			}
			if len(srv.requests()) != 1 {
				t.Errorf("%d requests", len(srv.requests()))
			}
		})
	}
}
