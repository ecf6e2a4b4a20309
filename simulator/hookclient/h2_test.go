package hookclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/hooksim/hooksim/simulator/hookconf"
)

// seenRequest is what a test hook's handler saw.
type seenRequest struct {
	proto  string
	major  int
	host   string
	header http.Header
	body   string
}

// newTLSHook starts a Go net/http TLS hook on loopback that offers h2 by
// ALPN (h2) or only HTTP/1.1, answers with answer and keeps what it saw.
func newTLSHook(t *testing.T, h2 bool, answer http.HandlerFunc) (*httptest.Server, func() []seenRequest, *atomic.Int32) {
	t.Helper()
	var (
		mu    sync.Mutex
		seen  []seenRequest
		conns atomic.Int32
	)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, seenRequest{proto: r.Proto, major: r.ProtoMajor, host: r.Host, header: r.Header.Clone(), body: string(b)})
		mu.Unlock()
		answer(w, r)
	}))
	srv.EnableHTTP2 = h2
	if !h2 {
		srv.Config.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){}
	}
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, func() []seenRequest {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(seen)
	}, &conns
}

func answerAccept(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, acceptJSON) }

// TestCallHTTP2 plays a call to a Go TLS hook that offers h2 and to one
// that offers only HTTP/1.1, with and without allowInvalidCerts.
func TestCallHTTP2(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		h2        bool
		insecure  bool
		class     ErrorClass
		wantProto string
	}{
		{"h2 allowInvalidCerts", true, true, "", ProtoHTTP2},
		{"h2 verified", true, false, ErrTLS, ""},
		{"h1-only allowInvalidCerts", false, true, "", ProtoHTTP11},
		{"h1-only verified", false, false, ErrTLS, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, seen, conns := newTLSHook(t, tt.h2, answerAccept)
			h := testHook(srv.URL + "/hook?x=1")
			h.AllowInvalidCerts = tt.insecure
			h.Auth = hookconf.HTTPAuth{Kind: hookconf.AuthBasic, Username: "u", Secret: "s3cret"}
			h.HTTPHeaders = []hookconf.HeaderField{{Name: "X-Tenant", Value: "acme"}}
			c := New()
			defer c.Close()
			res := c.Call(context.Background(), h, []byte(`{"stage":"rcpt"}`))
			wantClass(t, res, tt.class)
			if tt.class != "" {
				if len(seen()) != 0 {
					t.Errorf("the hook got a request despite the failed handshake")
				}
				return
			}
			if res.Proto != tt.wantProto || res.Status != 200 || string(res.Body) != acceptJSON || res.BodyRead != BodyComplete {
				t.Fatalf("proto %q status %d body %q read %s", res.Proto, res.Status, res.Body, res.BodyRead)
			}
			got := seen()
			if len(got) != 1 || got[0].proto != tt.wantProto || got[0].body != `{"stage":"rcpt"}` {
				t.Fatalf("the hook saw %+v", got)
			}
			if want := map[bool]int{true: 2, false: 1}[tt.h2]; got[0].major != want {
				t.Errorf("ProtoMajor %d, want %d", got[0].major, want)
			}
			// The recorded list is what the hook saw: same names and values.
			saw := got[0].header.Clone()
			saw.Del("Host") // HTTP/1.1 only; Go puts it in r.Host
			rec := http.Header{}
			for _, f := range res.RequestHeaders {
				if f.Name != "host" {
					rec.Add(f.Name, f.Value)
				}
			}
			if !headersEqual(saw, rec) {
				t.Errorf("the hook saw %v, hooksim recorded %v", saw, rec)
			}
			if got[0].host != strings.TrimPrefix(srv.URL, "https://") {
				t.Errorf("host/:authority %q", got[0].host)
			}
			if IsH2Head(res.RequestHead) != tt.h2 || IsH2Head(res.ResponseHead) != tt.h2 {
				t.Errorf("IsH2Head %v/%v for\n%s\n%s", IsH2Head(res.RequestHead), IsH2Head(res.ResponseHead), res.RequestHead, res.ResponseHead)
			}
			if bytes.Contains(res.RequestHead, []byte(basicAuth("u", "s3cret"))) {
				t.Errorf("credentials in the recorded head:\n%s", res.RequestHead)
			}
			// A second call reuses the pooled connection, h2 or not.
			wantClass(t, c.Call(context.Background(), h, []byte(`{}`)), "")
			if n := conns.Load(); n != 1 {
				t.Errorf("%d connections for two calls, want 1", n)
			}
		})
	}
}

func headersEqual(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

// TestCallHTTP2HeaderOrder: over h2 the hook gets the HTTP/1.1 header
// list in the same order and case, without host (it is :authority), with
// the pseudo-header fields first in h2's order. The fields are decoded
// from the plaintext the Go h2 server read.
func TestCallHTTP2HeaderOrder(t *testing.T) {
	t.Parallel()
	hook := func(url string) *hookconf.Hook {
		h := testHook(url)
		h.AllowInvalidCerts = true
		h.Auth = hookconf.HTTPAuth{Kind: hookconf.AuthBearer, Secret: "tok"}
		h.HTTPHeaders = []hookconf.HeaderField{{Name: "X-B", Value: "2"}, {Name: "X-A", Value: "1"}, {Name: "Connection", Value: "close"}}
		return h
	}
	body := []byte(`{"context":{}}`)

	h1srv, _, _ := newTLSHook(t, false, answerAccept)
	c := New()
	defer c.Close()
	res1 := c.Call(context.Background(), hook(h1srv.URL), body)
	wantClass(t, res1, "")

	url, wire := newTeeH2Hook(t)
	res2 := c.Call(context.Background(), hook(url), body)
	wantClass(t, res2, "")
	if res2.Proto != ProtoHTTP2 {
		t.Fatalf("proto %q", res2.Proto)
	}
	fields := firstHeadersBlock(t, wire())
	var pseudo []string
	var regular []hookconf.HeaderField
	for _, f := range fields {
		if f.IsPseudo() {
			pseudo = append(pseudo, f.Name+"="+f.Value)
		} else {
			regular = append(regular, hookconf.HeaderField{Name: f.Name, Value: f.Value})
		}
	}
	authority := strings.TrimPrefix(url, "https://")
	if want := []string{":method=POST", ":scheme=https", ":authority=" + authority, ":path=/"}; !slices.Equal(pseudo, want) {
		t.Errorf("pseudo-header fields %v, want %v", pseudo, want)
	}
	var want []hookconf.HeaderField
	for _, f := range res1.RequestHeaders {
		if f.Name != "host" && f.Name != "connection" { // h2 carries neither
			want = append(want, f)
		}
	}
	if !slices.Equal(regular, want) {
		t.Errorf("over h2 the hook got\n %v\nover HTTP/1.1\n %v", regular, want)
	}
	if !slices.Equal(res2.RequestHeaders, regular) {
		t.Errorf("recorded %v, sent %v", res2.RequestHeaders, regular)
	}
	if want := "POST / HTTP/2.0\r\n:method: POST\r\n"; !strings.HasPrefix(string(res2.RequestHead), want) {
		t.Errorf("request head rendering %q", res2.RequestHead)
	}
	if want := "HTTP/2.0 200\r\n:status: 200\r\n"; !strings.HasPrefix(string(res2.ResponseHead), want) {
		t.Errorf("response head rendering %q", res2.ResponseHead)
	}
}

// teeConn keeps a copy of everything read from a connection.
type teeConn struct {
	net.Conn
	mu  *sync.Mutex
	buf *bytes.Buffer
}

func (c teeConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.buf.Write(p[:n])
	c.mu.Unlock()
	return n, err
}

// newTeeH2Hook serves HTTP/2 over TLS on loopback with Go's http2.Server
// and keeps the plaintext it read from the first connection.
func newTeeH2Hook(t *testing.T) (string, func() []byte) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil) // only for its certificate
	srv.EnableHTTP2 = true
	srv.StartTLS()
	cert := srv.TLS.Certificates
	srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	var (
		mu  sync.Mutex
		buf bytes.Buffer
	)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		tc := tls.Server(conn, &tls.Config{Certificates: cert, NextProtos: []string{"h2"}})
		if err := tc.Handshake(); err != nil {
			_ = conn.Close()
			return
		}
		(&http2.Server{}).ServeConn(teeConn{Conn: tc, mu: &mu, buf: &buf}, &http2.ServeConnOpts{Handler: http.HandlerFunc(answerAccept)})
	}()
	return "https://" + ln.Addr().String(), func() []byte {
		mu.Lock()
		defer mu.Unlock()
		return bytes.Clone(buf.Bytes())
	}
}

// firstHeadersBlock decodes the first HEADERS block a client sent.
func firstHeadersBlock(t *testing.T, wire []byte) []hpack.HeaderField {
	t.Helper()
	rest, ok := bytes.CutPrefix(wire, []byte(http2.ClientPreface))
	if !ok {
		t.Fatalf("no client preface in %q", wire)
	}
	fr := http2.NewFramer(io.Discard, bytes.NewReader(rest))
	fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			t.Fatalf("no HEADERS frame: %v", err)
		}
		if mh, ok := f.(*http2.MetaHeadersFrame); ok {
			return slices.Clone(mh.Fields)
		}
	}
}

// TestCallHTTP2Limits: maxResponseSize, timeouts, redirects and status
// errors over h2 behave as over HTTP/1.1.
func TestCallHTTP2Limits(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", 5000)
	tests := []struct {
		name    string
		limit   int64
		timeout bool
		answer  http.HandlerFunc
		class   ErrorClass
		read    BodyRead
	}{
		{"content-length over maxResponseSize", 100, false, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "5000")
			_, _ = io.WriteString(w, big)
		}, ErrTooLarge, BodyNotRead},
		{"streamed over maxResponseSize", 100, false, func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, big[:50])
			w.(http.Flusher).Flush() // no content-length now
			_, _ = io.WriteString(w, big)
		}, ErrTooLarge, BodyCut},
		{"body of maxResponseSize", 5000, false, func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, big)
		}, "", BodyComplete},
		{"no answer within the timeout", 0, true, func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}, ErrTimeout, ""},
		{"slow body", 0, true, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "100")
			_, _ = io.WriteString(w, `{"action":`)
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}, ErrTimeout, BodyBroken},
		{"header list under hyper's 16 KiB", 0, false, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Big", strings.Repeat("b", 15000))
			_, _ = io.WriteString(w, acceptJSON)
		}, "", BodyComplete},
		{"header list over hyper's 16 KiB", 0, false, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Big", strings.Repeat("b", 17000))
			_, _ = io.WriteString(w, acceptJSON)
		}, ErrProtocol, ""},
		{"500", 0, false, func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "boom", http.StatusInternalServerError)
		}, ErrHTTPStatus, BodyComplete},
		{"307 then accept", 0, false, func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/first" {
				http.Redirect(w, r, "/second", http.StatusTemporaryRedirect)
				return
			}
			_, _ = io.WriteString(w, acceptJSON)
		}, "", BodyComplete},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, seen, _ := newTLSHook(t, true, tt.answer)
			h := testHook(srv.URL + "/first")
			h.AllowInvalidCerts = true
			if tt.limit > 0 {
				h.MaxResponseSize = tt.limit
			}
			if tt.timeout {
				h.Timeout = 200e6 // 200ms
			}
			c := New()
			defer c.Close()
			res := c.Call(context.Background(), h, []byte(`{}`))
			wantClass(t, res, tt.class)
			if res.BodyRead != tt.read || res.Proto != ProtoHTTP2 {
				t.Errorf("body read %q, proto %q", res.BodyRead, res.Proto)
			}
			for _, s := range seen() {
				if s.major != 2 {
					t.Errorf("the hook saw %s", s.proto)
				}
			}
			if tt.name == "307 then accept" {
				if len(res.Redirects) != 1 || len(seen()) != 2 || seen()[1].body != `{}` || !strings.HasSuffix(res.URL, "/second") {
					t.Errorf("redirects %+v, seen %+v", res.Redirects, seen())
				}
			}
		})
	}
}

// TestCallNoH2C: a plain http hook that would accept HTTP/2 with prior
// knowledge still gets HTTP/1.1, as from Stalwart.
func TestCallNoH2C(t *testing.T) {
	t.Parallel()
	var major atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		major.Store(int32(r.ProtoMajor))
		_, _ = io.WriteString(w, acceptJSON)
	}))
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetHTTP1(true)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	defer srv.Close()
	c := New()
	defer c.Close()
	res := c.Call(context.Background(), testHook(srv.URL), []byte(`{}`))
	wantClass(t, res, "")
	if res.Proto != ProtoHTTP11 || major.Load() != 1 || IsH2Head(res.RequestHead) {
		t.Errorf("proto %q, the hook saw HTTP/%d", res.Proto, major.Load())
	}
}

func TestH2RequestFields(t *testing.T) {
	t.Parallel()
	tg, _, _, err := parseTarget("https://Example.COM:8443/p?q=1")
	if err != nil {
		t.Fatal(err)
	}
	in := []hookconf.HeaderField{
		{Name: "content-type", Value: "application/json"}, {Name: "connection", Value: "close"},
		{Name: "te", Value: "gzip"}, {Name: "x-a", Value: "1"}, {Name: "upgrade", Value: "foo"},
		{Name: "accept", Value: "*/*"}, {Name: "host", Value: "example.com:8443"}, {Name: "content-length", Value: "2"},
	}
	tests := []struct {
		name       string
		customHost bool
		want       []string
	}{
		{"host added by the client", false, []string{"content-type", "x-a", "accept", "content-length"}},
		{"host from httpHeaders", true, []string{"content-type", "x-a", "accept", "host", "content-length"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pseudo, regular := h2RequestFields("POST", tg, in, tt.customHost)
			if want := []hookconf.HeaderField{{Name: ":method", Value: "POST"}, {Name: ":scheme", Value: "https"}, {Name: ":authority", Value: "example.com:8443"}, {Name: ":path", Value: "/p?q=1"}}; !slices.Equal(pseudo, want) {
				t.Errorf("pseudo %v", pseudo)
			}
			var names []string
			for _, f := range regular {
				names = append(names, f.Name)
			}
			if !slices.Equal(names, tt.want) {
				t.Errorf("fields %v, want %v", names, tt.want)
			}
		})
	}
}

func TestIsH2Head(t *testing.T) {
	t.Parallel()
	tests := []struct {
		head string
		want bool
	}{
		{"POST /hook HTTP/2.0\r\n:method: POST\r\n\r\n", true},
		{"HTTP/2.0 200\r\n:status: 200\r\n\r\n", true},
		{"POST /hook HTTP/1.1\r\nhost: x\r\n\r\n", false},
		{"HTTP/1.1 200 OK\r\n\r\n", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := IsH2Head([]byte(tt.head)); got != tt.want {
			t.Errorf("IsH2Head(%q) = %v", tt.head, got)
		}
	}
}
