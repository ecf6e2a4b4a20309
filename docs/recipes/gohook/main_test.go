package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hooksim/hooksim/docs/internal/hooktest"
)

// serve starts the hook's handler on a free loopback port and returns its URL.
func serve(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: handler(map[string]bool{"blocked.example": true})}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		_ = srv.Shutdown(context.Background())
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String() + "/"
}

// TestBundledSessions plays every bundled session against the hook at
// every stage with hooksim's simulator: no hook errors or lints, the
// blocked sender refused with its reply, every other message queued with
// the recipe's headers and the right SHA-256.
func TestBundledSessions(t *testing.T) {
	t.Parallel()
	hooktest.CheckRecipe(t, hooktest.Play(t, serve(t)), "gohook")
}

// TestRebuildGoldens applies rebuild to every data-stage golden request:
// it gives back the message as received, byte for byte, and says so,
// except for a body that is not UTF-8, which it reports as not exact.
func TestRebuildGoldens(t *testing.T) {
	t.Parallel()
	reqs := hooktest.DataRequests(t, filepath.Join("..", "..", "..", "testdata", "requests"))
	inexact := 0
	for _, dr := range reqs {
		m := message{Headers: dr.Message.Headers, Contents: dr.Message.Contents, Size: dr.Message.Size}
		raw, exact := rebuild(&m)
		valid := utf8.Valid(dr.Original)
		if exact != valid {
			t.Errorf("%s request %d: exact = %v for a message whose UTF-8 validity is %v", dr.Golden, dr.Request, exact, valid)
		}
		if valid && !bytes.Equal(raw, dr.Original) {
			t.Errorf("%s request %d: rebuilt\n%q\nwant\n%q", dr.Golden, dr.Request, raw, dr.Original)
		}
		if !valid {
			// As hook-input.md says: U+FFFD where each invalid byte was
			// (these are isolated ISO-8859-1 bytes), 2 bytes over size each.
			inexact++
			want, replaced := lossy(dr.Original)
			if !bytes.Equal(raw, want) || len(raw) != dr.Message.Size+2*replaced || replaced == 0 {
				t.Errorf("%s request %d: rebuilt %d bytes for size %d and %d replaced bytes:\n%q\nwant\n%q",
					dr.Golden, dr.Request, len(raw), dr.Message.Size, replaced, raw, want)
			}
		}
	}
	if len(reqs) == 0 || inexact == 0 {
		t.Fatalf("%d data requests, %d not UTF-8: the goldens no longer cover both cases", len(reqs), inexact)
	}
}

// lossy replaces each byte that does not start a valid UTF-8 sequence
// with U+FFFD, as Rust's String::from_utf8_lossy does for isolated bytes,
// and counts them.
func lossy(b []byte) ([]byte, int) {
	var out []byte
	n := 0
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			out = utf8.AppendRune(out, utf8.RuneError)
			n++
		} else {
			out = append(out, b[:size]...)
		}
		b = b[size:]
	}
	return out, n
}

// TestRebuildWithoutEmptyLine: a message that is only headers has contents
// "" and its last header keeps no CRLF (it went with the final dot), so the
// rebuilt bytes are 2 longer than size and rebuild says they are not exact.
func TestRebuildWithoutEmptyLine(t *testing.T) {
	t.Parallel()
	m := message{Headers: [][2]string{{"From", " a@example.org\r\n"}, {"Subject", " hi"}}, Size: len("From: a@example.org\r\nSubject: hi")}
	raw, exact := rebuild(&m)
	if exact || len(raw) != m.Size+2 {
		t.Errorf("rebuild = %q, exact %v; want 2 bytes over size %d and not exact", raw, exact, m.Size)
	}
}

// TestBadRequests: what is not a Stalwart request gets a 4xx (a hook error
// for Stalwart) with the reason, and the hook keeps serving.
func TestBadRequests(t *testing.T) {
	t.Parallel()
	url := serve(t)
	tests := []struct {
		name, method, body string
		status             int
		reason             string
	}{
		{"GET", http.MethodGet, "", http.StatusMethodNotAllowed, "POST a Stalwart MTA Hook request"},
		{"not JSON", http.MethodPost, "{", http.StatusBadRequest, "read request: unexpected EOF"},
		{"wrong shape", http.MethodPost, `{"context":{"stage":3}}`, http.StatusBadRequest, "read request: json: cannot unmarshal number"},
		{"mail without envelope", http.MethodPost, `{"context":{"stage":"mail"}}`, http.StatusBadRequest, "a mail request without its envelope or message"},
		{"data without message", http.MethodPost, `{"context":{"stage":"data"},"envelope":{"from":{"address":""},"to":[]}}`, http.StatusBadRequest, "a data request without its envelope or message"},
		{"accepted", http.MethodPost, `{"context":{"stage":"rcpt"}}`, http.StatusOK, `{"action":"accept"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := http.NewRequest(tt.method, url, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.reason) {
				t.Errorf("%s: %d %q, want %d containing %q", tt.name, resp.StatusCode, body, tt.status, tt.reason)
			}
		})
	}
}

// TestDecide covers the answers that the bundled sessions do not reach.
func TestDecide(t *testing.T) {
	t.Parallel()
	blocked := map[string]bool{"blocked.example": true}
	mail := func(from string) *request {
		r := &request{}
		r.Context.Stage = "mail"
		r.Envelope = &struct {
			From address   `json:"from"`
			To   []address `json:"to"`
		}{From: address{Address: from}}
		return r
	}
	tests := []struct {
		name, from, action string
	}{
		{"null sender", "", "accept"},
		{"blocked", "x@blocked.example", "reject"},
		{"subdomain is not blocked", "x@sub.blocked.example", "accept"},
		{"local part looks like the domain", "blocked.example@example.org", "accept"},
	}
	for _, tt := range tests {
		if got := decide(mail(tt.from), blocked); got.Action != tt.action {
			t.Errorf("%s: action %s, want %s", tt.name, got.Action, tt.action)
		}
	}
}
