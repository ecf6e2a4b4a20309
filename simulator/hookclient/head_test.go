package hookclient

import (
	"context"
	"encoding/base64"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"testing"

	"github.com/hooksim/hooksim/simulator/hookclient/hooktest"
	"github.com/hooksim/hooksim/simulator/hookconf"
)

func TestRedactHead(t *testing.T) {
	t.Parallel()
	basic := base64.StdEncoding.EncodeToString([]byte("u:pw-SECRET"))
	tests := []struct {
		name, secret, head, want string
	}{
		{"basic", "pw-SECRET",
			"POST / HTTP/1.1\r\ncontent-type: application/json\r\nauthorization: Basic " + basic + "\r\naccept: */*\r\n\r\n",
			"POST / HTTP/1.1\r\ncontent-type: application/json\r\nauthorization: Basic ****\r\naccept: */*\r\n\r\n"},
		{"bearer, spacing kept", "tok",
			"POST /h HTTP/1.1\r\nAuthorization:\t Bearer tok \r\n\r\n",
			"POST /h HTTP/1.1\r\nAuthorization:\t Bearer **** \r\n\r\n"},
		{"credential headers hidden whole", "",
			"POST / HTTP/1.1\r\nx-api-key: k1\r\ncookie: a=b\r\nx-other: plain\r\n\r\n",
			"POST / HTTP/1.1\r\nx-api-key: ****\r\ncookie: ****\r\nx-other: plain\r\n\r\n"},
		{"secret elsewhere, request line included", "s3cr3t",
			"POST /hook?key=s3cr3t HTTP/1.1\r\nx-note: has s3cr3t inside\r\n\r\n",
			"POST /hook?key=**** HTTP/1.1\r\nx-note: has **** inside\r\n\r\n"},
		{"bare LF line endings kept", "",
			"POST / HTTP/1.1\nauthorization: Bearer abc\n\n",
			"POST / HTTP/1.1\nauthorization: Bearer ****\n\n"},
		{"nothing to hide", "",
			"POST / HTTP/1.1\r\nhost: 127.0.0.1:9\r\n\r\n",
			"POST / HTTP/1.1\r\nhost: 127.0.0.1:9\r\n\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := []byte(tt.head)
			got := RedactHead(in, tt.secret)
			if string(got) != tt.want {
				t.Errorf("RedactHead =\n%q\nwant\n%q", got, tt.want)
			}
			if string(in) != tt.head {
				t.Errorf("the input was changed: %q", in)
			}
			if len(got) > 0 && &got[0] == &in[0] {
				t.Error("the result shares memory with the input")
			}
			if hides := HeadHides(in, tt.secret); hides != (tt.want != tt.head) {
				t.Errorf("HeadHides = %v, want %v", hides, tt.want != tt.head)
			}
			if HeadHides(got, tt.secret) {
				t.Errorf("HeadHides of the redacted head is true: %q", got)
			}
		})
	}
	if RedactHead(nil, "x") != nil {
		t.Error("RedactHead(nil) is not nil")
	}
}

// TestCallKeepsHeads: the request head is kept as written (credentials
// hidden) and the response head as received, byte for byte, with a note
// of how much of the body was read.
func TestCallKeepsHeads(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		limit    int64
		answer   string // written as is, then the connection is closed
		status   int
		head     string // the ResponseHead expected
		body     string
		bodyRead BodyRead
		class    ErrorClass
	}{
		{"HTTP/1.0, close-delimited", 0,
			"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n" + acceptJSON,
			200, "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n", acceptJSON, BodyComplete, ""},
		{"no reason phrase, odd spacing and case", 0,
			"HTTP/1.1 200 \r\ncontent-LENGTH:19\r\nX-Spaced:   a  b  \r\n\r\n" + acceptJSON,
			200, "HTTP/1.1 200 \r\ncontent-LENGTH:19\r\nX-Spaced:   a  b  \r\n\r\n", acceptJSON, BodyComplete, ""},
		{"bare LF line endings", 0,
			"HTTP/1.1 200 OK\nContent-Length: 19\n\n" + acceptJSON,
			200, "HTTP/1.1 200 OK\nContent-Length: 19\n\n", acceptJSON, BodyComplete, ""},
		{"interim 100 Continue first", 0,
			"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 19\r\n\r\n" + acceptJSON,
			200, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 19\r\n\r\n", acceptJSON, BodyComplete, ""},
		{"chunked body is de-chunked", 0,
			"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9\r\n{\"action\"\r\na\r\n:\"accept\"}\r\n0\r\n\r\n",
			200, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", acceptJSON, BodyComplete, ""},
		{"500 with a body", 0,
			"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\noops",
			500, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\n", "oops", BodyComplete, ErrHTTPStatus},
		{"too large by Content-Length: not read", 10,
			"HTTP/1.1 200 OK\r\nContent-Length: 19\r\n\r\n" + acceptJSON,
			200, "HTTP/1.1 200 OK\r\nContent-Length: 19\r\n\r\n", "", BodyNotRead, ErrTooLarge},
		{"too large while streaming: cut at limit+1", 10,
			"HTTP/1.1 200 OK\r\n\r\n" + acceptJSON,
			200, "HTTP/1.1 200 OK\r\n\r\n", acceptJSON[:11], BodyCut, ErrTooLarge},
		{"body cut short by the hook", 0,
			"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"action\"",
			200, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", `{"action"`, BodyBroken, ErrProtocol},
		{"malformed head kept as received", 0,
			"HTTP/1.1 200 OK\r\n folded: no\r\n\r\n" + acceptJSON,
			0, "HTTP/1.1 200 OK\r\n folded: no\r\n\r\n", "", "", ErrProtocol},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newRawServer(t, func(n int, req hooktest.Request, w net.Conn) bool {
				_, _ = io.WriteString(w, tt.answer)
				return false
			})
			h := testHook(srv.url("/hook?x=1"))
			h.Auth = hookconf.HTTPAuth{Kind: hookconf.AuthBasic, Username: "u", Secret: "pw-SECRET"}
			if tt.limit > 0 {
				h.MaxResponseSize = tt.limit
			}
			c := New()
			defer c.Close()
			res := c.Call(context.Background(), h, []byte(`{"a":1}`))
			wantClass(t, res, tt.class)
			if res.Status != tt.status || string(res.ResponseHead) != tt.head || string(res.Body) != tt.body || res.BodyRead != tt.bodyRead {
				t.Errorf("status %d, head %q, body %q, read %q;\nwant %d, %q, %q, %q",
					res.Status, res.ResponseHead, res.Body, res.BodyRead, tt.status, tt.head, tt.body, tt.bodyRead)
			}
			reqs := srv.requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests", len(reqs))
			}
			cred := base64.StdEncoding.EncodeToString([]byte("u:pw-SECRET"))
			want := strings.Replace(reqs[0].Head, "Basic "+cred, "Basic ****", 1)
			if want == reqs[0].Head {
				t.Fatalf("the hook got no Basic credentials:\n%s", reqs[0].Head)
			}
			if string(res.RequestHead) != want {
				t.Errorf("request head\n%q\nwant what the hook read, credentials hidden:\n%q", res.RequestHead, want)
			}
		})
	}
}

// TestCallHeadsWithoutAnswer: a refused connection sends nothing and
// receives nothing; a hook that reads and never answers got the request.
func TestCallHeadsWithoutAnswer(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	c := New()
	defer c.Close()
	res := c.Call(context.Background(), testHook("http://"+addr+"/"), []byte(`{}`))
	wantClass(t, res, ErrRefused)
	if res.RequestHead != nil || res.ResponseHead != nil || res.BodyRead != "" {
		t.Errorf("refused: request head %q, response head %q, body read %q", res.RequestHead, res.ResponseHead, res.BodyRead)
	}

	srv := newRawServer(t, func(n int, req hooktest.Request, w net.Conn) bool { return false })
	res = c.Call(context.Background(), testHook(srv.url("/")), []byte(`{}`))
	wantClass(t, res, ErrProtocol)
	reqs := srv.requests()
	if len(reqs) != 1 || string(res.RequestHead) != reqs[0].Head || res.ResponseHead != nil || res.Status != 0 {
		t.Errorf("closed without answer: request head %q (hook read %v), response head %q, status %d", res.RequestHead, reqs, res.ResponseHead, res.Status)
	}
}

// TestCallHeadsAfterRedirect: the first request's head and the last
// response's head are kept; the hops between are not.
func TestCallHeadsAfterRedirect(t *testing.T) {
	t.Parallel()
	srv := newRawServer(t, func(n int, req hooktest.Request, w net.Conn) bool {
		if n == 0 {
			_, _ = io.WriteString(w, "HTTP/1.1 307 Temporary Redirect\r\nLocation: /final\r\nContent-Length: 0\r\n\r\n")
			return true
		}
		_, _ = io.WriteString(w, "HTTP/1.1 200 Fine\r\nContent-Length: 19\r\n\r\n"+acceptJSON)
		return true
	})
	c := New()
	defer c.Close()
	res := c.Call(context.Background(), authHook(srv.url("/start")), []byte(`{}`))
	wantClass(t, res, "")
	reqs := srv.requests()
	if len(reqs) != 2 || len(res.Redirects) != 1 {
		t.Fatalf("%d requests, redirects %+v", len(reqs), res.Redirects)
	}
	if want := strings.Replace(reqs[0].Head, "Bearer tok", "Bearer ****", 1); string(res.RequestHead) != want || !strings.HasPrefix(want, "POST /start ") {
		t.Errorf("request head %q, want the first request's %q", res.RequestHead, want)
	}
	if string(res.ResponseHead) != "HTTP/1.1 200 Fine\r\nContent-Length: 19\r\n\r\n" {
		t.Errorf("response head %q, want the last response's", res.ResponseHead)
	}
}

// HeadHides is exactly "RedactHead would change it", on heads built from
// lines of every kind.
func TestHeadHidesIsRedactHeadChanges(t *testing.T) {
	t.Parallel()
	lines := []string{"POST /h?k=pw9 HTTP/1.1", "HTTP/1.1 200 OK", "authorization: Basic ****", "Authorization: Bearer pw9",
		"authorization: ****", "x-api-key: ****", "X-Api-Key: abc", "x-note: pw9 inside", "x-note: plain", "cookie: ****",
		"content-type: application/json", "no colon here pw9", "no colon", "proxy-authorization: Digest x", "x-empty:", ""}
	r := rand.New(rand.NewPCG(4, 2))
	for i := range 3000 {
		var b strings.Builder
		for range 1 + r.IntN(5) {
			b.WriteString(lines[r.IntN(len(lines))])
			b.WriteString([]string{"\r\n", "\n"}[r.IntN(2)])
		}
		head := []byte(b.String())
		secret := []string{"", "pw9", "abc"}[r.IntN(3)]
		changed := string(RedactHead(head, secret)) != string(head)
		if HeadHides(head, secret) != changed {
			t.Fatalf("case %d: HeadHides(%q, %q) = %v, RedactHead changes it: %v", i, head, secret, !changed, changed)
		}
	}
}

// A field HeaderMayHide passes over is one RedactHeaders keeps as it is.
func TestHeaderMayHideCoversRedactHeaders(t *testing.T) {
	t.Parallel()
	names := []string{"Authorization", "proxy-authorization", "Cookie", "X-Api-Key", "X-Session-Id", "X-Note", "Content-Type", "Accept"}
	values := []string{"Basic dTpw", "Bearer ****", "plain", "has pw9 inside", "****", ""}
	for _, n := range names {
		for _, v := range values {
			for _, secret := range []string{"", "pw9"} {
				f := hookconf.HeaderField{Name: n, Value: v}
				if got := RedactHeaders([]hookconf.HeaderField{f}, secret)[0]; got != f && !HeaderMayHide(n, v, secret) {
					t.Errorf("HeaderMayHide(%q, %q, %q) = false, but RedactHeaders makes it %q", n, v, secret, got.Value)
				}
			}
		}
	}
}

// A credential-named query parameter is hidden in a request line and in
// an HTTP/2 rendering's :path, whatever the secrets given; a status line
// and other lines stay as they are.
func TestRedactHeadQuery(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"POST /hook?key=abcd1234&Session=s5&v=2 HTTP/1.1\r\nhost: h\r\n\r\n", "POST /hook?key=****&Session=****&v=2 HTTP/1.1\r\nhost: h\r\n\r\n"},
		{"POST /hook?v=2 HTTP/1.1\r\n\r\n", "POST /hook?v=2 HTTP/1.1\r\n\r\n"},
		{"POST /h HTTP/2.0\r\n:method: POST\r\n:path: /h?access_token=t0k3n\r\n\r\n", "POST /h HTTP/2.0\r\n:method: POST\r\n:path: /h?access_token=****\r\n\r\n"},
		{"HTTP/1.1 200 OK?key=x\r\n\r\n", "HTTP/1.1 200 OK?key=x\r\n\r\n"},
	} {
		got := string(RedactHead([]byte(tc.in)))
		if got != tc.want {
			t.Errorf("RedactHead(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if hides := HeadHides([]byte(tc.in)); hides != (got != tc.in) {
			t.Errorf("HeadHides(%q) = %v, RedactHead changes it: %v", tc.in, hides, got != tc.in)
		}
	}
}
