package rebuild

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/simulator/wire"
)

// answerFunc is a test hook's answer to one request, as parsed JSON.
type answerFunc func(req map[string]any) string

// acceptAll answers accept to everything.
func acceptAll(map[string]any) string { return `{"action":"accept"}` }

// rejectRcpt rejects the RCPT of addr and accepts everything else.
func rejectRcpt(addr string) answerFunc {
	return func(req map[string]any) string {
		if stageOf(req) == "rcpt" && lastTo(req) == addr {
			return `{"action":"reject","response":{"status":550,"enhanced_status":"5.1.1","message":"No such user here"}}`
		}
		return `{"action":"accept"}`
	}
}

// rejectHelo rejects an EHLO giving name and accepts everything else.
func rejectHelo(name string) answerFunc {
	return func(req map[string]any) string {
		if stageOf(req) == "ehlo" {
			if c, ok := req["context"].(map[string]any); ok {
				if cl, ok := c["client"].(map[string]any); ok && cl["helo"] == name {
					return `{"action":"reject"}`
				}
			}
		}
		return `{"action":"accept"}`
	}
}

// rejectAt rejects every request at stage.
func rejectAt(stage string) answerFunc {
	return func(req map[string]any) string {
		if stageOf(req) == stage {
			return `{"action":"reject"}`
		}
		return `{"action":"accept"}`
	}
}

func stageOf(req map[string]any) string {
	c, _ := req["context"].(map[string]any)
	s, _ := c["stage"].(string)
	return s
}

func lastTo(req map[string]any) string {
	env, _ := req["envelope"].(map[string]any)
	to, _ := env["to"].([]any)
	if len(to) == 0 {
		return ""
	}
	a, _ := to[len(to)-1].(map[string]any)
	s, _ := a["address"].(string)
	return s
}

// recHook is a real loopback HTTP hook that keeps every request body
// and the answer it gave.
type recHook struct {
	srv  *httptest.Server
	mu   sync.Mutex
	reqs []Request
}

func newRecHook(t *testing.T, answer answerFunc) *recHook {
	t.Helper()
	h := &recHook{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req map[string]any
		_ = json.Unmarshal(body, &req)
		out := answer(req)
		h.mu.Lock()
		h.reqs = append(h.reqs, Request{Body: body, Response: []byte(out)})
		h.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, out)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *recHook) requests() []Request {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Request(nil), h.reqs...)
}

// allStages are the five stages Stalwart calls a hook at.
var allStages = []wire.Stage{wire.StageConnect, wire.StageEhlo, wire.StageMail, wire.StageRcpt, wire.StageData}

// play plays s against a fresh recording hook configured for stages,
// answering with answer, and returns the requests it got (with the
// answers) and the session's result.
func play(t *testing.T, s *sessions.Session, stages []wire.Stage, answer answerFunc) ([]Request, *simulator.SessionResult) {
	t.Helper()
	h := newRecHook(t, answer)
	set := hookconf.StageSet{}
	for _, st := range stages {
		set[st] = true
	}
	hook := &hookconf.Hook{ID: "hook", URL: h.srv.URL, Enable: hookconf.ConstExpression(true), Stages: set,
		Timeout: 5 * time.Second, TempFailOnError: true, MaxResponseSize: hookconf.DefaultMaxResponseSize}
	sim := simulator.New([]*hookconf.Hook{hook}, nil)
	fixed := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	sim.Now = func() time.Time { return fixed }
	sim.QueueIDs = simulator.NewQueueIDs(sim.Now, 1)
	t.Cleanup(func() { _ = sim.Client.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res := sim.Play(ctx, s)
	if res.Err != nil {
		t.Fatalf("Play %s: %v", s.Name, res.Err)
	}
	return h.requests(), res
}

// queueID matches the one part of a request that is random per play.
var queueID = regexp.MustCompile(`"queue":\{"id":"[0-9a-f]*"\}`)

// sameRequests reports the first difference between two request lists,
// the queue ids aside ("" when they are equal byte for byte).
func sameRequests(want, got []Request) string {
	var diffs []string
	for i := range max(len(want), len(got)) {
		switch {
		case i >= len(got):
			diffs = append(diffs, "missing request "+itoa(i+1)+":\n  "+string(want[i].Body))
		case i >= len(want):
			diffs = append(diffs, "extra request "+itoa(i+1)+":\n  "+string(got[i].Body))
		default:
			w := queueID.ReplaceAll(want[i].Body, []byte(`"queue":{"id":"-"}`))
			g := queueID.ReplaceAll(got[i].Body, []byte(`"queue":{"id":"-"}`))
			if !bytes.Equal(w, g) {
				diffs = append(diffs, "request "+itoa(i+1)+" differs:\n  want "+string(w)+"\n  got  "+string(g))
			}
		}
		if len(diffs) >= 3 {
			break
		}
	}
	return strings.Join(diffs, "\n")
}

func itoa(n int) string { return strconv.Itoa(n) }

// withoutResponses drops the hook's answers, as a capture that has only
// the requests.
func withoutResponses(reqs []Request) []Request {
	out := make([]Request, len(reqs))
	for i, r := range reqs {
		out[i] = Request{Body: r.Body}
	}
	return out
}

// stepOfPlay maps each exchange of a play, in order, to its step index.
func stepOfPlay(res *simulator.SessionResult) []int {
	var out []int
	for _, st := range res.Steps {
		for range st.Exchanges {
			out = append(out, st.Index)
		}
	}
	return out
}
