package simulator

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/simulator/wire"
)

// fakeHook is a real loopback HTTP hook whose answers a test scripts, and
// which keeps every request it received.
type fakeHook struct {
	srv    *httptest.Server
	mu     sync.Mutex
	bodies [][]byte
	stages []string
}

type answerFunc func(stage string, req map[string]any) (status int, body string)

func accept(string, map[string]any) (int, string) { return 200, `{"action":"accept"}` }

// answerAt answers body at stage and accepts at every other stage.
func answerAt(stage, body string) answerFunc {
	return func(s string, _ map[string]any) (int, string) {
		if s == stage {
			return 200, body
		}
		return 200, `{"action":"accept"}`
	}
}

func newFakeHook(t *testing.T, answer answerFunc) *fakeHook {
	t.Helper()
	h := &fakeHook{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req map[string]any
		_ = json.Unmarshal(body, &req)
		stage := ""
		if c, ok := req["context"].(map[string]any); ok {
			stage, _ = c["stage"].(string)
		}
		h.mu.Lock()
		h.bodies = append(h.bodies, body)
		h.stages = append(h.stages, stage)
		h.mu.Unlock()
		status, out := answer(stage, req)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, out)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *fakeHook) calls() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.stages...)
}

func (h *fakeHook) requests() [][]byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([][]byte(nil), h.bodies...)
}

// hookAt configures a hook for url at the given stages, Stalwart's defaults otherwise.
func hookAt(id, url string, stages ...wire.Stage) *hookconf.Hook {
	set := hookconf.StageSet{}
	for _, s := range stages {
		set[s] = true
	}
	return &hookconf.Hook{ID: id, URL: url, Enable: hookconf.ConstExpression(true), Stages: set,
		Timeout: 2 * time.Second, TempFailOnError: true, MaxResponseSize: hookconf.DefaultMaxResponseSize}
}

var allStages = []wire.Stage{wire.StageConnect, wire.StageEhlo, wire.StageMail, wire.StageRcpt, wire.StageData}

const testMessage = "From: John <john@example.org>\r\nTo: Bill <bill@example.org>\r\nSubject: Saying Hello\r\nMessage-ID: <1@example.org>\r\n\r\nThis is a message just to say hello.\r\n"

// script builds a session on port 25 with local domain example.org.
func script(steps ...sessions.Step) *sessions.Session {
	return &sessions.Session{
		Name:   "test",
		File:   "test.yaml",
		Client: sessions.Client{IP: "10.0.0.1", Port: 51234, PTR: "mail.example.net"},
		Server: sessions.Server{Hostname: "mx.example.org", IP: "192.0.2.10", Port: 25, LocalDomains: []string{"example.org"}},
		Steps:  steps,
	}
}

func connect() sessions.Step         { return sessions.Step{Kind: sessions.StepConnect} }
func ehlo(name string) sessions.Step { return sessions.Step{Kind: sessions.StepEhlo, Arg: name} }
func mailFrom(a string) sessions.Step {
	return sessions.Step{Kind: sessions.StepMail, Arg: a}
}
func rcptTo(a string) sessions.Step { return sessions.Step{Kind: sessions.StepRcpt, Arg: a} }
func data(msg string) sessions.Step {
	return sessions.Step{Kind: sessions.StepData, Message: &sessions.Message{Raw: []byte(msg), Source: "inline"}}
}
func quit() sessions.Step { return sessions.Step{Kind: sessions.StepQuit} }

// standard is connect, EHLO, MAIL, RCPT, DATA, QUIT.
func standard() *sessions.Session {
	return script(connect(), ehlo("mail.example.net"), mailFrom("John@Example.org"), rcptTo("Bill@example.org"), data(testMessage), quit())
}

func playWith(t *testing.T, hooks []*hookconf.Hook, s *sessions.Session) *SessionResult {
	t.Helper()
	sim := New(hooks, nil)
	fixed := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	sim.Now = func() time.Time { return fixed }
	sim.QueueIDs = NewQueueIDs(sim.Now, 1)
	t.Cleanup(func() { sim.Client.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res := sim.Play(ctx, s)
	if res.Err != nil {
		t.Fatalf("Play: %v", res.Err)
	}
	return res
}

func replies(res *SessionResult) []string {
	var out []string
	for _, st := range res.Steps {
		out = append(out, st.Reply())
	}
	return out
}
