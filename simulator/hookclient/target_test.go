package hookclient

import (
	"bufio"
	"bytes"
	"strings"
	"testing"

	"github.com/hooksim/hooksim/simulator/hookconf"
)

func TestParseTarget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw, host, addr, uri, url string
		user, pass                string // "-" for none
		tls                       bool
	}{
		{"http://127.0.0.1:8080/mta-hook", "127.0.0.1:8080", "127.0.0.1:8080", "/mta-hook", "http://127.0.0.1:8080/mta-hook", "-", "-", false},
		{"HTTPS://Hook.Example.COM:443", "hook.example.com", "hook.example.com:443", "/", "https://hook.example.com/", "-", "-", true},
		{"http://[::1]:80/a?b=c#frag", "[::1]", "[::1]:80", "/a?b=c", "http://[::1]/a?b=c", "-", "-", false},
		{"http://[::1]:9000", "[::1]:9000", "[::1]:9000", "/", "http://[::1]:9000/", "-", "-", false},
		{"http://u%20x:p%40ss@h:81/p", "h:81", "h:81", "/p", "http://h:81/p", "u x", "p@ss", false},
		{"http://u@h/", "h", "h:80", "/", "http://h/", "u", "-", false},
		{"https://h:8443/a%2Fb", "h:8443", "h:8443", "/a%2Fb", "https://h:8443/a%2Fb", "-", "-", true},
	}
	for _, tt := range tests {
		tg, user, pass, err := parseTarget(tt.raw)
		if err != nil {
			t.Errorf("%s: %v", tt.raw, err)
			continue
		}
		str := func(p *string) string {
			if p == nil {
				return "-"
			}
			return *p
		}
		if tg.hostHeader != tt.host || tg.addr != tt.addr || tg.requestURI != tt.uri || tg.u.String() != tt.url ||
			str(user) != tt.user || str(pass) != tt.pass || tg.tls != tt.tls {
			t.Errorf("%s: host %q addr %q uri %q url %q user %q pass %q tls %v", tt.raw, tg.hostHeader, tg.addr,
				tg.requestURI, tg.u.String(), str(user), str(pass), tg.tls)
		}
	}
	for _, raw := range []string{"ftp://h/", "mailto:a@b", "/relative", "http://", "http://[::1"} {
		if _, _, _, err := parseTarget(raw); err == nil {
			t.Errorf("%s: accepted", raw)
		}
	}
}

func TestParseHead(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string // want: "name=value|..." or "error"
	}{
		{"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-A:  b c \r\n\r\nbody", "Content-Type=application/json|X-A=b c"},
		{"HTTP/1.1 204 No Content\n\n", ""},
		{"HTTP/1.0 200 OK\r\nx-dup: 1\r\nX-Dup: 2\r\n\r\n", "x-dup=1|X-Dup=2"},
		{"HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n", "error"},
		{"HTTP/1.1 200 OK\r\nX: 1\r\n\tfolded\r\n\r\n", "error"},
		{"SMTP 220 hello\r\n\r\n", "error"},
		{"HTTP/1.1 200 OK\r\nX: 1\r\n", "error"}, // never ends
	}
	for _, tt := range tests {
		br := bufio.NewReaderSize(strings.NewReader(tt.in), 4096)
		head, err := peekHead(br)
		var got string
		if err == nil {
			fields, perr := parseHeadFields(head)
			err = perr
			var parts []string
			for _, f := range fields {
				parts = append(parts, f.Name+"="+f.Value)
			}
			got = strings.Join(parts, "|")
		}
		if err != nil {
			got = "error"
		}
		if got != tt.want {
			t.Errorf("%q: got %q, want %q", tt.in, got, tt.want)
		}
	}
	// A head larger than the read buffer is refused, not waited for.
	br := bufio.NewReaderSize(strings.NewReader("HTTP/1.1 200 OK\r\nX: "+strings.Repeat("a", 100)+"\r\n\r\n"), 32)
	if _, err := peekHead(br); err != errHeadTooLarge {
		t.Errorf("large head: %v", err)
	}
}

// FuzzParseHead: reading a response head never panics, never consumes
// input, finds a head exactly when one ends within the buffer, and
// every field found is a valid name, at most maxHeaderFields of them.
func FuzzParseHead(f *testing.F) {
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"))
	f.Add([]byte("HTTP/1.1 100 Continue\n\nHTTP/1.1 204 x\n\n"))
	f.Add([]byte("\r\n\r\n"))
	f.Add([]byte("HTTP/1.1 200 OK\n" + strings.Repeat("a:\n", maxHeaderFields) + "\n"))
	f.Add([]byte("HTTP/1.1 200 OK\n" + strings.Repeat("a:\n", maxHeaderFields+1) + "\n"))
	const size = 1024
	f.Fuzz(func(t *testing.T, in []byte) {
		br := bufio.NewReaderSize(bytes.NewReader(in), size)
		head, err := peekHead(br)
		if end := headEnd(in); (err == nil) != (end >= 0 && end <= size) {
			t.Fatalf("peekHead: %v; the head ends at %d", err, end)
		}
		if err != nil {
			return
		}
		if !bytes.HasPrefix(in, head) || br.Buffered() < len(head) {
			t.Fatalf("head %q not a prefix left in the buffer", head)
		}
		fields, err := parseHeadFields(head)
		if err != nil {
			return
		}
		if len(fields) > maxHeaderFields {
			t.Fatalf("%d fields", len(fields))
		}
		for _, fl := range fields {
			if !hookconf.ValidHeaderName(fl.Name) {
				t.Fatalf("invalid name %q", fl.Name)
			}
		}
	})
}

// TestQueryEncode: a query is sent percent-encoded as reqwest (the url
// crate) sends it: a space as %20, quotes and angle brackets encoded,
// what was already encoded left alone.
func TestQueryEncode(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		"http://h/p?a=b c":       "/p?a=b%20c",
		"http://h/p?a=%20&b=<x>": "/p?a=%20&b=%3Cx%3E",
		"http://h/p?q=\"it's\"":  "/p?q=%22it%27s%22",
		"http://h/p?k=v&l=w":     "/p?k=v&l=w",
		"http://h/p?caf\u00e9=1": "/p?caf%C3%A9=1",
	} {
		tg, _, _, err := parseTarget(raw)
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		if tg.requestURI != want {
			t.Errorf("%s: request URI %q, want %q", raw, tg.requestURI, want)
		}
	}
}
