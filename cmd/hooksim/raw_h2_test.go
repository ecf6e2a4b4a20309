package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// TestShowRawHTTP2: a run against a Go TLS hook that offers h2 talks
// HTTP/2 to it, and show --raw marks the heads as renderings, not wire
// bytes; against an h1-only TLS hook the heads are HTTP/1.1 bytes with no
// such note.
func TestShowRawHTTP2(t *testing.T) {
	t.Parallel()
	const note = "# hooksim: HTTP/2 (the hook chose h2 by ALPN): the heads below are renderings of the HEADERS frames"
	tests := []struct {
		name     string
		h2       bool
		reqLine  string
		respLine string
		ctype    string // the response's Content-Type line, as the hook sent it
	}{
		{"h2", true, "POST / HTTP/2.0\r\n:method: POST\r\n:scheme: https\r\n", "HTTP/2.0 200\r\n:status: 200\r\n", "\r\ncontent-type: text/plain"},
		{"h1-only", false, "POST / HTTP/1.1\r\ncontent-type: application/json\r\n", "HTTP/1.1 200 OK\r\n", "\r\nContent-Type: text/plain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var major atomic.Int32
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				major.Store(int32(r.ProtoMajor))
				_, _ = io.WriteString(w, rawAccept)
			}))
			srv.EnableHTTP2 = tt.h2
			srv.StartTLS()
			defer srv.Close()
			data := t.TempDir()
			recordFailing(t, data, "run", "--no-expect", "--no-tempfail", "--allow-invalid-certs", "--url", srv.URL+"/", "--stages", "connect", "--bearer", "tok-H2-1", "bundled:hello")
			if want := map[bool]int32{true: 2, false: 1}[tt.h2]; major.Load() != want {
				t.Fatalf("the hook saw HTTP/%d, want HTTP/%d", major.Load(), want)
			}
			// The transcript and the JSON report say which protocol was used.
			report := filepath.Join(data, "report.json")
			out := recordFailing(t, data, "run", "--no-record", "--no-expect", "--no-tempfail", "--allow-invalid-certs", "--url", srv.URL+"/", "--stages", "connect", "--json", report, "bundled:hello")
			js, err := os.ReadFile(report)
			if err != nil {
				t.Fatal(err)
			}
			wantVersion := map[bool]string{true: `"http_version": "HTTP/2.0"`, false: `"http_version": "HTTP/1.1"`}[tt.h2]
			if !strings.Contains(string(js), wantVersion) {
				t.Errorf("report lacks %s:\n%s", wantVersion, js)
			}
			if overH2 := strings.Contains(out, "200 OK over HTTP/2 in"); overH2 != tt.h2 {
				t.Errorf("transcript says over HTTP/2: %v, want %v:\n%s", overH2, tt.h2, out)
			}
			got := mustRun(t, data, "show", "1", "--raw", "1")
			for _, want := range []string{tt.reqLine, "authorization: Bearer ****\r\n", tt.respLine, tt.ctype} {
				if !strings.Contains(got, want) {
					t.Errorf("show --raw lacks %q:\n%s", want, got)
				}
			}
			if strings.Contains(got, "tok-H2-1") {
				t.Errorf("show --raw shows the token:\n%s", got)
			}
			if strings.Contains(got, note) != tt.h2 {
				t.Errorf("HTTP/2 note present: %v, want %v:\n%s", strings.Contains(got, note), tt.h2, got)
			}
			if tt.h2 && strings.Index(got, note) > strings.Index(got, tt.reqLine) {
				t.Errorf("the note comes after the head:\n%s", got)
			}
		})
	}
}
