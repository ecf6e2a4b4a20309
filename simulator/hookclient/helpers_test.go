package hookclient

import (
	"flag"
	"github.com/hooksim/hooksim/simulator/hookclient/hooktest"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hooksim/hooksim/simulator/hookconf"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/hookclient")

const goldenDir = "../../testdata/hookclient"

// testHook is a hook for url with short test defaults.
func testHook(url string) *hookconf.Hook {
	return &hookconf.Hook{
		ID:              "test",
		URL:             url,
		Timeout:         15 * time.Second, // long: a loaded CI machine must not turn a slow answer into a timeout
		TempFailOnError: true,
		MaxResponseSize: hookconf.DefaultMaxResponseSize,
		Auth:            hookconf.HTTPAuth{Kind: hookconf.AuthNone},
	}
}

// rawServer is hooktest's raw HTTP/1.1 loopback server, with the short
// names these tests use.
type rawServer struct{ *hooktest.Server }

// rawHandler answers request n on w; false closes the connection.
type rawHandler = hooktest.Handler

func newRawServer(t *testing.T, h rawHandler) *rawServer {
	t.Helper()
	return &rawServer{hooktest.New(t, h)}
}

func (s *rawServer) url(path string) string { return s.URL(path) }

func (s *rawServer) port() string {
	_, p, _ := net.SplitHostPort(s.Addr())
	return p
}

func (s *rawServer) requests() []hooktest.Request { return s.Requests() }

// reply writes a complete response with a Content-Length body.
func reply(w io.Writer, status string, body string, extra ...string) {
	var b strings.Builder
	b.WriteString("HTTP/1.1 " + status + "\r\n")
	for _, e := range extra {
		b.WriteString(e + "\r\n")
	}
	b.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body)
	_, _ = io.WriteString(w, b.String())
}

// golden compares got with testdata/hookclient/name, or rewrites it with
// -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join(goldenDir, name)
	if *update {
		if err := os.MkdirAll(goldenDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run go test -update): %v", err)
	}
	if got != string(want) {
		t.Errorf("%s mismatch\n got: %q\nwant: %q", name, got, want)
	}
}

// wantClass fails unless res has an error of class c (or none for "").
func wantClass(t *testing.T, res CallResult, c ErrorClass) {
	t.Helper()
	switch {
	case c == "" && res.Err != nil:
		t.Fatalf("unexpected error %v", res.Err)
	case c != "" && res.Err == nil:
		t.Fatalf("no error, want class %s (status %d, body %q)", c, res.Status, res.Body)
	case c != "" && res.Err.Class != c:
		t.Fatalf("error %v, want class %s", res.Err, c)
	}
}
