package hookclient

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/hooksim/hooksim/simulator/hookclient/hooktest"
)

// limitHead builds a response head with fields header fields and a body of
// acceptJSON, padded with an X-Pad field to exactly size bytes when size
// is not 0 (the head counted from the status line to the blank line).
func limitHead(t *testing.T, fields, size int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("HTTP/1.1 200 OK\r\nContent-Length: " + strconv.Itoa(len(acceptJSON)) + "\r\n")
	n := 1
	for ; n < fields-1 || (size == 0 && n < fields); n++ {
		fmt.Fprintf(&b, "X-F%d: v\r\n", n)
	}
	if size != 0 {
		const pad = "X-Pad: \r\n"
		rest := size - b.Len() - len(pad) - 2
		if rest < 0 || n != fields-1 {
			t.Fatalf("cannot build a head of %d bytes with %d fields", size, fields)
		}
		b.WriteString("X-Pad: " + strings.Repeat("a", rest) + "\r\n")
	}
	b.WriteString("\r\n")
	if size != 0 && b.Len() != size {
		t.Fatalf("head of %d bytes, want %d", b.Len(), size)
	}
	return b.String()
}

// interimHead is a 100 Continue head with fields header fields.
func interimHead(fields int) string {
	var b strings.Builder
	b.WriteString("HTTP/1.1 100 Continue\r\n")
	for i := range fields {
		fmt.Fprintf(&b, "X-I%d: v\r\n", i)
	}
	return b.String() + "\r\n"
}

// TestCallHeadLimits: a real loopback hook answers with heads at hyper's
// limits (reqwest 0.13.4 over hyper 1.11.0, as Stalwart v0.16.18): 100
// header fields and 417792 bytes pass, one more of either is a protocol
// error; also for an interim 1xx head, limited on its own.
func TestCallHeadLimits(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("N", maxHeaderNameBytes)
	tests := []struct {
		name string
		head func(t *testing.T) string
		ok   bool
		msg  string // in the error
	}{
		{"99 fields", func(t *testing.T) string { return limitHead(t, 99, 0) }, true, ""},
		{"100 fields", func(t *testing.T) string { return limitHead(t, 100, 0) }, true, ""},
		{"101 fields", func(t *testing.T) string { return limitHead(t, 101, 0) }, false, "more than 100 header fields"},
		{"head of 417791 bytes", func(t *testing.T) string { return limitHead(t, 3, maxHeadBytes-1) }, true, ""},
		{"head of 417792 bytes", func(t *testing.T) string { return limitHead(t, 3, maxHeadBytes) }, true, ""},
		{"head of 417793 bytes", func(t *testing.T) string { return limitHead(t, 3, maxHeadBytes+1) }, false, "response head larger than 417792 bytes"},
		{"head of 1 MiB", func(t *testing.T) string { return limitHead(t, 3, 1<<20) }, false, "response head larger than 417792 bytes"},
		{"100 fields after a 100 Continue with 100", func(t *testing.T) string {
			return interimHead(100) + limitHead(t, 100, 0)
		}, true, ""},
		{"101 fields in a 100 Continue", func(t *testing.T) string {
			return interimHead(101) + limitHead(t, 2, 0)
		}, false, "more than 100 header fields"},
		{"name of 65535 bytes", func(t *testing.T) string {
			return "HTTP/1.1 200 OK\r\n" + long + ": v\r\nContent-Length: 19\r\n\r\n"
		}, true, ""},
		{"name of 65536 bytes", func(t *testing.T) string {
			return "HTTP/1.1 200 OK\r\n" + long + "N: v\r\nContent-Length: 19\r\n\r\n"
		}, false, "response header name of 65536 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			head := tc.head(t)
			srv := newRawServer(t, func(n int, req hooktest.Request, c net.Conn) bool {
				_, _ = io.WriteString(c, head+acceptJSON)
				return true
			})
			c := New()
			defer c.Close()
			res := c.Call(context.Background(), testHook(srv.url("/")), []byte(`{}`))
			if tc.ok {
				wantClass(t, res, "")
				if string(res.Body) != acceptJSON {
					t.Errorf("body %q", res.Body)
				}
				return
			}
			wantClass(t, res, ErrProtocol)
			if !strings.Contains(res.Err.Message, tc.msg) {
				t.Errorf("message %q does not say %q", res.Err.Message, tc.msg)
			}
		})
	}
}
