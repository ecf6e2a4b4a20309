package hookclient

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCallTLS(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || r.Proto != "HTTP/1.1" {
			http.Error(w, "want HTTP/1.1 over TLS", 400)
			return
		}
		_, _ = io.WriteString(w, acceptJSON)
	}))
	t.Cleanup(srv.Close)
	tests := []struct {
		name     string
		insecure bool
		class    ErrorClass
	}{
		{"verified", false, ErrTLS},
		{"allowInvalidCerts", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := testHook(srv.URL + "/hook")
			h.AllowInvalidCerts = tt.insecure
			c := New()
			defer c.Close()
			res := c.Call(context.Background(), h, []byte(`{}`))
			wantClass(t, res, tt.class)
			if tt.class == ErrTLS {
				if !strings.Contains(res.Err.Message, "not signed by an authority this machine trusts; set allowInvalidCerts") || !strings.Contains(res.Err.Message, "SSL_CERT_FILE") {
					t.Errorf("unhelpful message %q", res.Err.Message)
				}
				// The same server by a name its certificate does not
				// have: the message names the host name instead.
				other := testHook(strings.Replace(srv.URL, "127.0.0.1", "localhost", 1) + "/hook")
				res = c.Call(context.Background(), other, []byte(`{}`))
				wantClass(t, res, ErrTLS)
				if !strings.Contains(res.Err.Message, "not valid for this host name") {
					t.Errorf("host name mismatch: message %q", res.Err.Message)
				}
				return
			}
			if string(res.Body) != acceptJSON {
				t.Errorf("body %q", res.Body)
			}
			// A second call reuses the TLS connection.
			res = c.Call(context.Background(), h, []byte(`{}`))
			wantClass(t, res, "")
		})
	}
}

// TestCallTLSToPlainServer: speaking TLS to a plain HTTP port is a TLS
// failure, not a hang.
func TestCallTLSToPlainServer(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	h := testHook(strings.Replace(srv.URL, "http://", "https://", 1))
	h.AllowInvalidCerts = true
	c := New()
	defer c.Close()
	res := c.Call(context.Background(), h, []byte(`{}`))
	wantClass(t, res, ErrTLS)
	if !strings.Contains(res.Err.Message, "for a plain HTTP hook use an http:// URL") {
		t.Errorf("message %q", res.Err.Message)
	}
}
