package simulator

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hooksim/hooksim/simulator/hookclient"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/simulator/wire"
)

// misbehaving returns the URL of a loopback hook that fails in one way.
func misbehaving(t *testing.T, kind string) string {
	t.Helper()
	if kind == "refused" {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		return "http://" + addr + "/hook"
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch kind {
		case "timeout":
			select {
			case <-time.After(3 * time.Second):
			case <-r.Context().Done():
			}
		case "http-500":
			w.WriteHeader(500)
			fmt.Fprint(w, `{"action":"accept"}`)
		case "empty-200":
		case "empty-204":
			w.WriteHeader(204)
		case "invalid-json":
			fmt.Fprint(w, `{"action":"accept",}`)
		case "oversize-length":
			w.Header().Set("Content-Length", "2000")
			fmt.Fprint(w, `{"action":"accept","pad":"`+strings.Repeat("x", 2000-len(`{"action":"accept","pad":""}`))+`"}`)
		case "oversize-chunked":
			fl := w.(http.Flusher)
			fmt.Fprint(w, `{"action":"accept","pad":"`)
			for i := 0; i < 40; i++ {
				fmt.Fprint(w, strings.Repeat("x", 100))
				fl.Flush()
			}
			fmt.Fprint(w, `"}`)
		case "unknown-type":
			fmt.Fprint(w, `{"action":"accept","modifications":[{"type":"setHeader","name":"X","value":"y"}]}`)
		case "addRcpt":
			fmt.Fprint(w, `{"action":"accept","modifications":[{"type":"addRcpt","value":"a@example.org"}]}`)
		case "string-status":
			fmt.Fprint(w, `{"action":"reject","response":{"status":"550","message":"no"}}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/hook"
}

// TestHookErrors: every kind of failing hook, with tempFailOnError true
// (the chain stops with 451 4.3.5) and false (the hook is skipped and the
// next one runs), at the rcpt stage.
func TestHookErrors(t *testing.T) {
	t.Parallel()
	kinds := []struct {
		kind  string
		class hookclient.ErrorClass
	}{
		{"refused", hookclient.ErrRefused},
		{"timeout", hookclient.ErrTimeout},
		{"http-500", hookclient.ErrHTTPStatus},
		{"empty-200", hookclient.ErrParse},
		{"empty-204", hookclient.ErrParse},
		{"invalid-json", hookclient.ErrParse},
		{"oversize-length", hookclient.ErrTooLarge},
		{"oversize-chunked", hookclient.ErrTooLarge},
		{"unknown-type", hookclient.ErrParse},
		{"addRcpt", hookclient.ErrParse},
		{"string-status", hookclient.ErrParse},
	}
	for _, k := range kinds {
		for _, tempFail := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/tempFailOnError=%v", k.kind, tempFail), func(t *testing.T) {
				t.Parallel()
				bad := hookAt("bad", misbehaving(t, k.kind), wire.StageRcpt)
				bad.TempFailOnError = tempFail
				bad.Timeout = 300 * time.Millisecond
				bad.MaxResponseSize = 1000
				next := newFakeHook(t, accept)
				hooks := []*hookconf.Hook{bad, hookAt("next", next.srv.URL, wire.StageRcpt)}
				res := playWith(t, hooks, standard())
				st := res.Steps[3]
				if len(st.Exchanges) == 0 || st.Exchanges[0].Err == nil {
					t.Fatalf("no error recorded: %+v", st.Exchanges)
				}
				ex := st.Exchanges[0]
				if ex.Err.Class != k.class {
					t.Errorf("class %s (%s), want %s", ex.Err.Class, ex.Err.Message, k.class)
				}
				if ex.Outcome != "error" {
					t.Errorf("outcome %q", ex.Outcome)
				}
				if tempFail {
					if st.Reply() != ReplyHookTempFail || ex.Effect != "tempfail" {
						t.Errorf("reply %q effect %q, want %q", st.Reply(), ex.Effect, ReplyHookTempFail)
					}
					if n := len(next.calls()); n != 0 {
						t.Errorf("the chain went on after a tempfail (%d calls)", n)
					}
					if got := res.Steps[4].Reply(); got != ReplyRcptFirst {
						t.Errorf("the recipient must be dropped: data reply %q", got)
					}
				} else {
					if st.Reply() != ReplyRcptOK || ex.Effect != "skipped" {
						t.Errorf("reply %q effect %q, want %q", st.Reply(), ex.Effect, ReplyRcptOK)
					}
					if n := len(next.calls()); n != 1 {
						t.Errorf("the next hook was called %d times, want 1", n)
					}
				}
			})
		}
	}
}
