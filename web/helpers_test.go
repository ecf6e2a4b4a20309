package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/hooksim/hooksim/recorder"
	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/store"
)

// testServer is a running Server on a loopback port.
type testServer struct {
	*Server
	base   string // http://127.0.0.1:port
	dbPath string
	st     *store.Store
}

// startServer serves a fresh database; mod may change the config.
func startServer(t testing.TB, mod func(*Config)) *testServer {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hooksim.db")
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Store: st, Listen: "127.0.0.1:0", PollInterval: 20 * time.Millisecond}
	if mod != nil {
		mod(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		st.Close()
	})
	return &testServer{Server: s, base: "http://" + s.Addr().String(), dbPath: path, st: st}
}

// testHook is a loopback hook: accept everywhere, and at data an
// addHeader X-Test: yes. With a token set it answers 401 to requests
// without "Authorization: Bearer <token>".
type testHook struct {
	*httptest.Server
	token  string
	action string
	mu     sync.Mutex
	auths  []string
}

func newTestHook(t testing.TB, token, action string) *testHook {
	t.Helper()
	h := &testHook{token: token, action: action}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.auths = append(h.auths, r.Header.Get("Authorization"))
		h.mu.Unlock()
		if h.token != "" && r.Header.Get("Authorization") != "Bearer "+h.token {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var req struct {
			Context struct{ Stage string } `json:"context"`
		}
		body, _ := io.ReadAll(r.Body)
		json.Unmarshal(body, &req)
		w.Header().Set("Content-Type", "application/json")
		if req.Context.Stage == "data" {
			io.WriteString(w, `{"action":"`+h.action+`","modifications":[{"type":"addHeader","name":"X-Test","value":"yes"}]}`)
			return
		}
		io.WriteString(w, `{"action":"accept"}`)
	}))
	t.Cleanup(h.Close)
	return h
}

// record plays a bundled session against url at every stage through a
// recorder on its OWN store handle: another process, as far as the
// server can tell. It returns the run's ID once committed.
func record(t testing.TB, dbPath, url, session, bearer string) int64 {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rec := recorder.New(st, recorder.Options{})
	hook, err := hookconf.FromFlags(hookconf.FlagSpec{URL: url, Stages: []string{"all"}, Bearer: bearer})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := sessions.BundledByName(session)
	if err != nil {
		t.Fatal(err)
	}
	var play *recorder.Play
	sim := simulator.New([]*hookconf.Hook{hook}, simulator.ObserverFunc(func(ctx context.Context, info *simulator.SessionInfo) simulator.Play {
		play = rec.BeginPlay(ctx, info)
		return play
	}))
	defer sim.Client.Close()
	res := sim.Play(ctx, sess)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	id := play.RunID()
	if id == 0 {
		t.Fatal("run not recorded")
	}
	return id
}

// call makes a request with this server's Origin on POSTs and returns
// the status and body.
func (ts *testServer) call(t testing.TB, method, path, body string, hdr ...string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, ts.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if method == http.MethodPost {
		req.Header.Set("Origin", ts.base)
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// getJSON GETs path, wants 200 and decodes the answer into v.
func (ts *testServer) getJSON(t testing.TB, path string, v any) []byte {
	t.Helper()
	code, b := ts.call(t, http.MethodGet, path, "")
	if code != http.StatusOK {
		t.Fatalf("GET %s = %d %s", path, code, b)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("GET %s: %v in %s", path, err, b)
		}
	}
	return b
}

// dial opens the event stream with ?since= when since >= 0.
func (ts *testServer) dial(t testing.TB, since int64) *websocket.Conn {
	t.Helper()
	u := "ws" + strings.TrimPrefix(ts.base, "http") + "/api/v1/events"
	if since >= 0 {
		u += "?since=" + itoa(since)
	}
	c, resp, err := websocket.DefaultDialer.Dial(u, http.Header{"Origin": {ts.base}})
	if err != nil {
		t.Fatalf("dial %s: %v (%v)", u, err, resp)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// readEvent reads one event within d.
func readEvent(t testing.TB, c *websocket.Conn, d time.Duration) event {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(d))
	_, b, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("read event: %v", err)
	}
	var ev event
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatalf("event %s: %v", b, err)
	}
	return ev
}

// readUntil reads events until one of type typ for run id arrives.
func readUntil(t testing.TB, c *websocket.Conn, typ string, runID int64, d time.Duration) []event {
	t.Helper()
	deadline := time.Now().Add(d)
	var out []event
	for {
		left := time.Until(deadline)
		if left <= 0 {
			t.Fatalf("no %s event for run %d within %v; got %v", typ, runID, d, out)
		}
		ev := readEvent(t, c, left)
		out = append(out, ev)
		if ev.Type == typ && ev.Run != nil && ev.Run.ID == runID {
			return out
		}
	}
}
