package hookclient

import (
	"context"
	"github.com/hooksim/hooksim/simulator/hookclient/hooktest"
	"net"
	"strings"
	"testing"

	"github.com/hooksim/hooksim/simulator/hookconf"
)

func hf(name, value string) hookconf.HeaderField {
	return hookconf.HeaderField{Name: name, Value: value}
}

// TestRequestOnTheWire compares the request head a raw TCP server reads
// with golden files (the server's port is written PORT).
func TestRequestOnTheWire(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		path string // URL after the scheme; {addr} is the server
		edit func(h *hookconf.Hook)
	}{
		{"plain", "{addr}/mta-hook", nil},
		{"basic", "{addr}/mta-hook", func(h *hookconf.Hook) {
			h.Auth = hookconf.HTTPAuth{Kind: hookconf.AuthBasic, Username: "hooksim", Secret: "s3cret:pa ss"}
		}},
		{"bearer", "{addr}/mta-hook", func(h *hookconf.Hook) {
			h.Auth = hookconf.HTTPAuth{Kind: hookconf.AuthBearer, Secret: "tok.en-123"}
		}},
		{"custom", "{addr}/mta-hook?x=1", func(h *hookconf.Hook) {
			h.HTTPHeaders = []hookconf.HeaderField{
				hf(" X-My-Header ", "  my-value  "),
				hf("Content-Type", "application/json; charset=utf-8"),
				hf("Authorization", "Custom abc"),
				hf("Accept", "application/json"),
				hf("x-my-header", "second wins"),
				hf("User-Agent", "my-agent"),
			}
			h.Auth = hookconf.HTTPAuth{Kind: hookconf.AuthBearer, Secret: "overrides"}
		}},
		{"custom-host", "{addr}/", func(h *hookconf.Hook) {
			h.HTTPHeaders = []hookconf.HeaderField{hf("Host", "hook.example"), hf("Content-Length", "2")}
		}},
		{"url-credentials", "us%20er:p%40ss@{addr}", nil},
		{"url-credentials-and-basic", "us:pw@{addr}/h", func(h *hookconf.Hook) {
			h.HTTPHeaders = []hookconf.HeaderField{hf("X-A", "1")}
			h.Auth = hookconf.HTTPAuth{Kind: hookconf.AuthBasic, Username: "u", Secret: "s"}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newRawServer(t, func(n int, req hooktest.Request, w net.Conn) bool {
				reply(w, "200 OK", acceptJSON)
				return true
			})
			h := testHook("http://" + strings.ReplaceAll(tt.path, "{addr}", srv.Addr()))
			if tt.edit != nil {
				tt.edit(h)
			}
			c := New()
			defer c.Close()
			body := []byte(`{"context":{"stage":"data"}}`)
			if tt.name == "custom-host" {
				body = []byte(`{}`)
			}
			res := c.Call(context.Background(), h, body)
			wantClass(t, res, "")
			reqs := srv.requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests", len(reqs))
			}
			if string(reqs[0].Body) != string(body) {
				t.Errorf("body %q", reqs[0].Body)
			}
			golden(t, "request-"+tt.name+".golden", strings.ReplaceAll(reqs[0].Head, srv.port(), "PORT"))
			// RequestHeaders must be what was on the wire.
			var b strings.Builder
			for _, f := range res.RequestHeaders {
				b.WriteString(f.Name + ": " + f.Value + "\r\n")
			}
			_, wire, _ := strings.Cut(reqs[0].Head, "\r\n")
			if b.String()+"\r\n" != wire {
				t.Errorf("RequestHeaders %q differ from the wire %q", b.String(), wire)
			}
		})
	}
}

func TestHookHeadersInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(h *hookconf.Hook)
	}{
		{"space in name", func(h *hookconf.Hook) { h.HTTPHeaders = []hookconf.HeaderField{hf("X A", "v")} }},
		{"empty name", func(h *hookconf.Hook) { h.HTTPHeaders = []hookconf.HeaderField{hf(" ", "v")} }},
		{"CR in value", func(h *hookconf.Hook) { h.HTTPHeaders = []hookconf.HeaderField{hf("X-A", "a\r\nX-B: b")} }},
		{"newline in token", func(h *hookconf.Hook) {
			h.Auth = hookconf.HTTPAuth{Kind: hookconf.AuthBearer, Secret: "a\nb"}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := testHook("http://127.0.0.1/")
			tt.edit(h)
			if _, err := hookHeaders(h); err == nil {
				t.Error("accepted")
			}
		})
	}
}

// TestHeaderMapRemove: removal swaps the last entry into the hole, as
// http::HeaderMap does; insert keeps an existing entry's place.
func TestHeaderMapRemove(t *testing.T) {
	t.Parallel()
	tests := []struct {
		remove string
		want   string
	}{
		{"content-type", "accept,x-a,authorization"},
		{"accept", "content-type,x-a,authorization"},
		{"x-a", "content-type,accept,authorization"},
		{"missing", "content-type,x-a,authorization,accept"},
	}
	for _, tt := range tests {
		m := &headerMap{}
		for _, n := range []string{"content-type", "x-a", "authorization", "accept"} {
			m.insert(n, "v")
		}
		m.insert("x-a", "replaced")
		m.remove(tt.remove)
		var names []string
		for _, f := range m.fields {
			names = append(names, f.Name)
		}
		if got := strings.Join(names, ","); got != tt.want {
			t.Errorf("remove %s: %s, want %s", tt.remove, got, tt.want)
		}
		if v, _ := m.get("x-a"); tt.remove != "x-a" && v != "replaced" {
			t.Errorf("x-a = %q", v)
		}
	}
}

func TestRedactHeaders(t *testing.T) {
	t.Parallel()
	const secret = "s3cret"
	tests := []struct {
		in   hookconf.HeaderField
		want string
	}{
		{hf("authorization", "Basic aG9va3NpbTpzM2NyZXQ="), "Basic ****"},
		{hf("Authorization", "Bearer s3cret"), "Bearer ****"},
		{hf("authorization", "s3cret"), "****"},
		{hf("authorization", "s3cret rest"), "****"},
		{hf("proxy-authorization", "Basic abc"), "Basic ****"},
		{hf("x-api-key", "s3cret"), "****"},
		{hf("x-api-key", "key=s3cret;"), "****"}, // credential headers are hidden whole
		{hf("Cookie", "session=abc"), "****"},    // even without the hook's secret
		{hf("X-Auth-Token", "other"), "****"},
		{hf("x-custom", "key=s3cret;"), "key=****;"}, // the secret inside any other value
		{hf("accept", "*/*"), "*/*"},
	}
	in := make([]hookconf.HeaderField, len(tests))
	for i, tt := range tests {
		in[i] = tt.in
	}
	out := RedactHeaders(in, secret)
	for i, tt := range tests {
		if out[i].Value != tt.want || out[i].Name != tt.in.Name {
			t.Errorf("%v: got %v, want %q", tt.in, out[i], tt.want)
		}
		if strings.Contains(out[i].Value, secret) {
			t.Errorf("%v: secret shown", tt.in)
		}
	}
	if in[1].Value != "Bearer s3cret" {
		t.Error("RedactHeaders changed its input")
	}
}
