package proxy

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookclient/hooktest"
	"github.com/hooksim/hooksim/store"
)

// An upstream that fails (refused, too slow, an answer over the size
// limit) gives the MTA a 502 or 504 that says why, Stalwart's simulator
// then answers 451 4.3.5, and the failure is recorded with its class.
func TestUpstreamFailures(t *testing.T) {
	t.Parallel()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusedURL := "http://" + closed.Addr().String() + "/"
	closed.Close()

	slow := hooktest.New(t, func(n int, req hooktest.Request, c net.Conn) bool {
		time.Sleep(1500 * time.Millisecond)
		io.WriteString(c, "HTTP/1.1 200 OK\r\ncontent-length: 19\r\n\r\n{\"action\":\"accept\"}")
		return false
	})
	big := hooktest.New(t, func(n int, req hooktest.Request, c net.Conn) bool {
		body := `{"action":"accept","pad":"` + strings.Repeat("x", 4000) + `"}`
		io.WriteString(c, "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "+itoa(len(body))+"\r\n\r\n"+body)
		return false
	})
	status := hooktest.New(t, func(n int, req hooktest.Request, c net.Conn) bool {
		io.WriteString(c, "HTTP/1.1 500 Internal Oops\r\ncontent-type: text/plain\r\nx-trace: abc\r\ncontent-length: 5\r\n\r\nboom\n")
		return false
	})
	cases := []struct {
		name, upstream string
		status         int
		reason         string
		class          string
		bodyHas        string
	}{
		{"refused", refusedURL, http.StatusBadGateway, "Bad Gateway", "refused", "refused"},
		{"timeout", slow.URL("/"), http.StatusGatewayTimeout, "Gateway Timeout", "timeout", "no complete answer within 300ms"},
		{"oversize", big.URL("/"), http.StatusBadGateway, "Bad Gateway", "too-large", "maxResponseSize 1000"},
		{"non-2xx passed through", status.URL("/"), 500, "Internal Oops", "http-status", "boom"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st, rec := recording(t)
			base, _ := startProxy(t, Config{Upstream: tc.upstream, Observer: rec, TempFailOnError: true,
				Timeout: 300 * time.Millisecond, MaxResponseSize: 1000})

			req, _ := http.NewRequest(http.MethodPost, base+"/", strings.NewReader(`{"context":{"stage":"connect","client":{"ip":"10.0.0.1","port":1,"ptr":null,"helo":null,"activeConnections":1},"server":{"name":"Stalwart v0.16.18","port":25,"ip":"192.0.2.10"},"protocol":{"version":1}}}`))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status || !strings.HasSuffix(resp.Status, tc.reason) {
				t.Errorf("status %q, want %d %s", resp.Status, tc.status, tc.reason)
			}
			if !strings.Contains(string(body), tc.bodyHas) {
				t.Errorf("body %q does not say %q", body, tc.bodyHas)
			}

			// The simulator, as Stalwart, hears the failure as 451 4.3.5.
			res := play(t, connectOnly(), hookAt(base+"/", allStages...))
			if got := res.Steps[0].Reply(); got != simulator.ReplyHookTempFail {
				t.Errorf("the SMTP client hears %q, want %q", got, simulator.ReplyHookTempFail)
			}

			rec.Flush(context.Background())
			runs := waitRuns(t, st, 2)
			if len(runs) != 2 {
				t.Fatalf("%d runs recorded, want 2", len(runs))
			}
			for _, r := range runs {
				exs, err := st.Exchanges(context.Background(), r.ID)
				if err != nil || len(exs) != 1 {
					t.Fatalf("run #%d: %d exchanges (%v)", r.ID, len(exs), err)
				}
				ex := exs[0]
				if ex.ErrorClass != tc.class || ex.Outcome != "error" || ex.Reply != simulator.ReplyHookTempFail {
					t.Errorf("run #%d recorded class %q outcome %q reply %q, want %q error %q", r.ID, ex.ErrorClass, ex.Outcome, ex.Reply, tc.class, simulator.ReplyHookTempFail)
				}
				if !r.HookErrors {
					t.Errorf("run #%d is not marked as having hook errors", r.ID)
				}
			}
		})
	}
}

// Stalwart closing the connection before the hook answered (its own
// timeout shorter than the proxy's) is recorded as the timeout it is to
// Stalwart, and the upstream call is abandoned.
func TestMTAGivesUp(t *testing.T) {
	t.Parallel()
	started := make(chan struct{}, 1)
	slow := hooktest.New(t, func(n int, req hooktest.Request, c net.Conn) bool {
		started <- struct{}{}
		time.Sleep(1200 * time.Millisecond)
		io.WriteString(c, "HTTP/1.1 200 OK\r\ncontent-length: 19\r\n\r\n{\"action\":\"accept\"}")
		return false
	})
	st, rec := recording(t)
	base, _ := startProxy(t, Config{Upstream: slow.URL("/"), Observer: rec, TempFailOnError: true, Timeout: 10 * time.Second})
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	body := `{"context":{"stage":"connect","client":{"ip":"10.0.0.9","port":2,"ptr":null,"helo":null,"activeConnections":1},"server":{"name":"Stalwart v0.16.18","port":25,"ip":"192.0.2.10"},"protocol":{"version":1}}}`
	io.WriteString(conn, "POST / HTTP/1.1\r\ncontent-type: application/json\r\naccept: */*\r\nhost: x\r\ncontent-length: "+itoa(len(body))+"\r\n\r\n"+body)
	<-started
	conn.Close()
	waitFor(t, func() bool {
		runs, _ := st.ListRuns(context.Background(), store.RunFilter{Source: store.SourceProxy})
		if len(runs) != 1 {
			return false
		}
		exs, _ := st.Exchanges(context.Background(), runs[0].ID)
		return len(exs) == 1 && exs[0].ErrorClass == "timeout" && strings.Contains(exs[0].ErrorText, "Stalwart gave up")
	})
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
