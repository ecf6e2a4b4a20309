package hookclient

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/hooksim/hooksim/simulator/hookconf"
)

// TestRequestBodySizes sends bodies on both sides of copyBodyMax (written
// with the head, or after it from the caller's bytes) over plain HTTP/1.1
// and TLS, twice on one connection, and checks that the hook receives
// each body whole, with its Content-Length (none for an empty one).
func TestRequestBodySizes(t *testing.T) {
	t.Parallel()
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if cl := r.Header.Get("Content-Length"); err != nil || len(b) > 0 && cl != strconv.Itoa(len(b)) {
			http.Error(w, fmt.Sprintf("read %d bytes (%v), Content-Length %s", len(b), err, r.Header.Get("Content-Length")), 400)
			return
		}
		w.Header().Set("X-Sum", fmt.Sprintf("%x", sha256.Sum256(b)))
		_, _ = io.WriteString(w, acceptJSON)
	})
	plain := httptest.NewServer(handler)
	t.Cleanup(plain.Close)
	secure := httptest.NewTLSServer(handler)
	t.Cleanup(secure.Close)
	for _, srv := range []*httptest.Server{plain, secure} {
		for _, n := range []int{0, 1, copyBodyMax, copyBodyMax + 1, 3 << 20} {
			t.Run(fmt.Sprintf("%s %d bytes", srv.URL[:5], n), func(t *testing.T) {
				t.Parallel()
				h := testHook(srv.URL + "/hook")
				h.AllowInvalidCerts = true
				c := New()
				defer c.Close()
				body := bytes.Repeat([]byte("0123456789abcdef"), n/16+1)[:n]
				want := fmt.Sprintf("%x", sha256.Sum256(body))
				for i := range 2 {
					res := c.Call(context.Background(), h, body)
					if res.Err != nil || res.Status != 200 {
						t.Fatalf("call %d: status %d, error %v, body %q", i, res.Status, res.Err, res.Body)
					}
					if got := headerValue(res.ResponseHeaders, "X-Sum"); got != want {
						t.Errorf("call %d: the hook received a body of SHA-256 %s, want %s", i, got, want)
					}
				}
			})
		}
	}
}

// headerValue is the first value of the response header name.
func headerValue(h []hookconf.HeaderField, name string) string {
	for _, f := range h {
		if http.CanonicalHeaderKey(f.Name) == http.CanonicalHeaderKey(name) {
			return f.Value
		}
	}
	return ""
}
