package main

import (
	"context"
	"fmt"
	"github.com/hooksim/hooksim/simulator/hookclient/hooktest"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hooksim/hooksim/store"
)

// wireHook is hooktest's raw loopback hook: answer(n) is written in reply
// to request n (0-based), then the connection is closed ("" closes it
// without a word).
type wireHook struct{ *hooktest.Server }

func newWireHook(t *testing.T, answer func(n int) string) *wireHook {
	t.Helper()
	return &wireHook{hooktest.New(t, hooktest.Answer(answer))}
}

func (h *wireHook) url() string { return h.URL("/") }

func (h *wireHook) requests() []hooktest.Request { return h.Requests() }

const rawAccept = `{"action":"accept"}`

// TestShowRawVerbatim records one connect-stage exchange against hooks
// that answer in odd but valid ways (and some that fail), then checks
// that show --raw prints the request head the hook read (token hidden) and
// the response head it sent byte for byte, with a "# hooksim:" note
// wherever the output is not the wire's bytes, and that --body prints
// each body alone.
func TestShowRawVerbatim(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		flags []string
		// answers are written in turn; the response head shown is
		// shownHead, the body shownBody.
		answers   []string
		shownHead string
		shownBody string
		notes     []string // notes expected between the request and the response
		noResp    string   // the note when no response is shown
	}{
		{name: "HTTP/1.0, header case and spacing kept",
			answers:   []string{"HTTP/1.0 200 OK\r\ncontent-type:application/json\r\nX-Odd:   a  b  \r\n\r\n" + rawAccept},
			shownHead: "HTTP/1.0 200 OK\r\ncontent-type:application/json\r\nX-Odd:   a  b  \r\n\r\n", shownBody: rawAccept},
		{name: "no reason phrase, bare LF",
			answers:   []string{"HTTP/1.1 200 \nContent-Length: 19\n\n" + rawAccept},
			shownHead: "HTTP/1.1 200 \nContent-Length: 19\n\n", shownBody: rawAccept},
		{name: "interim 100 Continue kept",
			answers:   []string{"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 19\r\n\r\n" + rawAccept},
			shownHead: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 19\r\n\r\n", shownBody: rawAccept},
		{name: "chunked body shown de-chunked",
			answers:   []string{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9\r\n{\"action\"\r\na\r\n:\"accept\"}\r\n0\r\n\r\n"},
			shownHead: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", shownBody: rawAccept,
			notes: []string{"# hooksim: the body came chunked (Transfer-Encoding: chunked): shown de-chunked, as Stalwart reads it; chunk sizes and trailers are not kept\n"}},
		{name: "body cut at maxResponseSize+1", flags: []string{"--max-response-size", "5"},
			answers:   []string{"HTTP/1.1 200 OK\r\n\r\n" + rawAccept},
			shownHead: "HTTP/1.1 200 OK\r\n\r\n", shownBody: rawAccept[:6],
			notes: []string{"# hooksim: the body is cut after 6 bytes: more came, and reading stops one byte past maxResponseSize, as in Stalwart\n"}},
		{name: "body over maxResponseSize by Content-Length not read", flags: []string{"--max-response-size", "5"},
			answers:   []string{"HTTP/1.1 200 OK\r\nContent-Length: 19\r\n\r\n" + rawAccept},
			shownHead: "HTTP/1.1 200 OK\r\nContent-Length: 19\r\n\r\n", shownBody: "",
			notes: []string{"# hooksim: the body was not read: its Content-Length is over maxResponseSize, so Stalwart refuses the answer unread\n"}},
		{name: "body cut short by the hook",
			answers:   []string{"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{\"action\""},
			shownHead: "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n", shownBody: `{"action"`,
			notes: []string{"# hooksim: the body stopped after 9 bytes: protocol: Failed to parse Hook response: error decoding response body: unexpected EOF\n"}},
		{name: "HTTP 500",
			answers:   []string{"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\noops"},
			shownHead: "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\n", shownBody: "oops"},
		{name: "redirect hops not kept",
			answers: []string{
				"HTTP/1.1 307 Temporary Redirect\r\nLocation: /final\r\nContent-Length: 0\r\n\r\n",
				"HTTP/1.1 200 Fine\r\nContent-Length: 19\r\n\r\n" + rawAccept,
			},
			shownHead: "HTTP/1.1 200 Fine\r\nContent-Length: 19\r\n\r\n", shownBody: rawAccept,
			notes: []string{"# hooksim: the hook redirected 1 time(s): 307 to POST http://ADDR/final; only the first request and the last response are kept\n"}},
		{name: "closed without an answer", answers: []string{""},
			noResp: "# hooksim: no response: protocol: Hook request failed: no valid HTTP/1.1 response from ADDR: EOF\n"},
		{name: "malformed head shown as received", answers: []string{"HTTP/1.1 200 OK\r\n folded: no\r\n\r\n" + rawAccept},
			noResp: "# hooksim: no valid response (protocol: Hook request failed: no valid HTTP/1.1 response from ADDR: obsolete line folding" +
				" in a response header (Stalwart's HTTP client refuses it)); the head as the hook sent it:\n" +
				"HTTP/1.1 200 OK\r\n folded: no\r\n\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			hook := newWireHook(t, func(n int) string {
				if n < len(tt.answers) {
					return tt.answers[n]
				}
				return ""
			})
			addr := hook.Addr()
			data := t.TempDir()
			args := append([]string{"run", "--no-expect", "--url", hook.url(), "--stages", "connect", "--no-tempfail", "--bearer", "tok-RAW-1"}, tt.flags...)
			recordFailing(t, data, append(args, "bundled:hello")...)
			reqs := hook.requests()
			if len(reqs) != len(tt.answers) {
				t.Fatalf("the hook read %d requests, want %d", len(reqs), len(tt.answers))
			}
			sentHead := strings.Replace(reqs[0].Head, "authorization: Bearer tok-RAW-1\r\n", "authorization: Bearer ****\r\n", 1)
			if sentHead == reqs[0].Head {
				t.Fatalf("the hook got no bearer token:\n%s", reqs[0].Head)
			}
			body := string(reqs[0].Body)
			want := fmt.Sprintf("# hooksim: run #1, exchange 1: connect stage, hook %s, POST %s\n", addr, hook.url()) +
				"# hooksim: hidden: the value of authorization (credentials never reach the history database)\n" +
				sentHead + body + fmt.Sprintf("\n# hooksim: no line break at the end of the request body (%d bytes)\n", len(body)) + "\n"
			for _, n := range tt.notes {
				want += strings.ReplaceAll(n, "ADDR", addr)
			}
			if tt.noResp != "" {
				want += strings.ReplaceAll(tt.noResp, "ADDR", addr)
			} else {
				want += tt.shownHead + tt.shownBody
				if tt.shownBody != "" {
					want += fmt.Sprintf("\n# hooksim: no line break at the end of the response body (%d bytes)\n", len(tt.shownBody))
				}
			}
			got := mustRun(t, data, "show", "1", "--raw", "1")
			if got != want {
				t.Errorf("show --raw =\n%q\nwant\n%q", got, want)
			}
			if strings.Contains(got, "tok-RAW-1") {
				t.Errorf("the token is in the output:\n%s", got)
			}
			if reqBody := mustRun(t, data, "show", "1", "--raw", "1", "--body", "request"); reqBody != body {
				t.Errorf("--body request = %q, want what the hook read %q", reqBody, body)
			}
			if respBody := mustRun(t, data, "show", "1", "--raw", "1", "--body", "response"); respBody != tt.shownBody {
				t.Errorf("--body response = %q, want %q", respBody, tt.shownBody)
			}
		})
	}
}

// TestShowRawNothingSent: a refused connection sent nothing, and show
// --raw says so instead of printing a request.
func TestShowRawNothingSent(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	data := t.TempDir()
	recordFailing(t, data, "run", "--no-expect", "--no-tempfail", "--url", "http://"+addr+"/", "--stages", "connect", "bundled:hello")
	got := mustRun(t, data, "show", "1", "--raw", "1")
	want := fmt.Sprintf("# hooksim: run #1, exchange 1: connect stage, hook %s, POST http://%s/\n", addr, addr) +
		fmt.Sprintf("# hooksim: the request was never sent: refused: Hook request failed: connection refused by %s (nothing listens there)\n", addr)
	if !strings.HasPrefix(got, want) || strings.Contains(got, "POST / HTTP/1.1") || strings.Count(got, "\n") != 3 {
		t.Errorf("show --raw =\n%s\nwant\n%s# hooksim: the body it would have carried ...", got, want)
	}
}

// TestShowRawRecordedBeforeHeads: an exchange stored without its heads (as
// every exchange before migration 0003) is shown with its headers as
// notes and its bodies as they were; no head is rebuilt.
func TestShowRawRecordedBeforeHeads(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(data, "hooksim", "hooksim.db"))
	if err != nil {
		t.Fatal(err)
	}
	id, err := st.CreateRun(ctx, &store.Run{SessionName: "old", Started: time.Now()})
	if err == nil {
		err = st.Write(ctx, store.Batch{Exchanges: []store.Exchange{
			{RunID: id, Seq: 1, Stage: "data", HookID: "h1", URL: "http://127.0.0.1:9/", Started: time.Now(),
				RequestHeaders: []store.Header{{Name: "content-type", Value: "application/json"}, {Name: "authorization", Value: "Basic ****"}},
				RequestBody:    []byte(`{"a":1}` + "\n"), Status: 200,
				ResponseHeaders: []store.Header{{Name: "Content-Type", Value: "application/json"}, {Name: "X-Evil", Value: "a\r\nHTTP/1.1 200 OK"}},
				ResponseBody:    []byte(rawAccept), Outcome: "accept"},
			{RunID: id, Seq: 2, Stage: "data", HookID: "h1", URL: "http://127.0.0.1:9/", Started: time.Now(),
				RequestBody: []byte(`{}`), ErrorClass: "timeout", ErrorText: "Hook request failed: no complete answer within 1s", Outcome: "error"},
		}})
	}
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	got := mustRun(t, data, "show", "1", "--raw", "1")
	want := "# hooksim: run #1, exchange 1: data stage, hook h1, POST http://127.0.0.1:9/\n" +
		"# hooksim: recorded before hooksim kept HTTP heads as they were on the wire: the heads are not shown, only their headers as parsed\n" +
		"# hooksim: request headers (authorization and other credentials hidden):\n" +
		"# hooksim:   content-type: application/json\n" +
		"# hooksim:   authorization: Basic ****\n" +
		"# hooksim: request body:\n" +
		"{\"a\":1}\n" +
		"\n" +
		"# hooksim: response: HTTP status 200, headers as parsed:\n" +
		"# hooksim:   Content-Type: application/json\n" +
		"# hooksim:   X-Evil: \"a\\r\\nHTTP/1.1 200 OK\"\n" +
		"# hooksim: response body:\n" +
		rawAccept + "\n# hooksim: no line break at the end of the response body (19 bytes)\n"
	if got != want {
		t.Errorf("show --raw of an old exchange =\n%s\nwant\n%s", got, want)
	}
	got = mustRun(t, data, "show", "1", "--raw", "2")
	if !strings.HasSuffix(got, "# hooksim: no response: timeout: Hook request failed: no complete answer within 1s\n") {
		t.Errorf("show --raw of an old failed exchange:\n%s", got)
	}
	if b := mustRun(t, data, "show", "1", "--raw", "1", "--body", "request"); b != "{\"a\":1}\n" {
		t.Errorf("--body request = %q", b)
	}
}
