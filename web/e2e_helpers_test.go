package web_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hooksim/hooksim/recorder"
	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/store"
	"github.com/hooksim/hooksim/web"
)

// chromiumPath finds a Chromium or Chrome binary. Without one the browser
// tests skip, except under CI (env CI set), where they fail.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("HOOKSIM_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	msg := "browser tests need Chromium: install it (Debian: apt-get install chromium) or set HOOKSIM_CHROMIUM to a Chrome binary"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// browser starts a headless Chromium with a fresh profile and returns the
// context of one tab; everything stops when the test ends.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// The first Run starts the browser; it must not carry a timeout.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800)); err != nil {
		t.Fatalf("start chromium %s: %v", path, err)
	}
	return ctx
}

// testHook is a hook on loopback that accepts everything and, at the data
// stage, adds the header X-Hooksim-Test with a value the test can change.
type testHook struct {
	*httptest.Server
	mu  sync.Mutex
	tag string
	// reject makes it reject at the mail stage senders of this domain.
	reject string
}

func newTestHook(t *testing.T) *testHook {
	t.Helper()
	h := &testHook{tag: "yes", reject: "blocked.example"}
	h.Server = httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(h.Close)
	return h
}

// setTag changes the value of the header added from now on.
func (h *testHook) setTag(v string) {
	h.mu.Lock()
	h.tag = v
	h.mu.Unlock()
}

func (h *testHook) serve(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Context struct {
			Stage string `json:"stage"`
		} `json:"context"`
		Envelope *struct {
			From struct {
				Address string `json:"address"`
			} `json:"from"`
		} `json:"envelope"`
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	tag, reject := h.tag, h.reject
	h.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case req.Context.Stage == "mail" && req.Envelope != nil && reject != "" && strings.HasSuffix(strings.ToLower(req.Envelope.From.Address), "@"+reject):
		fmt.Fprint(w, `{"action":"reject","response":{"status":550,"enhanced_status":"5.7.1","message":"Sender blocked by policy"}}`)
	case req.Context.Stage == "data":
		v, _ := json.Marshal(tag)
		fmt.Fprintf(w, `{"action":"accept","modifications":[{"type":"addHeader","name":"X-Hooksim-Test","value":%s},{"type":"addHeader","name":"X-Spam-Status","value":"No, score=0.4"}]}`, v)
	default:
		fmt.Fprint(w, `{"action":"accept"}`)
	}
}

// env is a running web server with its store, and a hook.
type env struct {
	t      *testing.T
	dbPath string
	srv    *web.Server
	base   string // http://127.0.0.1:port
	hook   *testHook
}

// startEnv starts the web server on a fresh store in t.TempDir and a hook.
func startEnv(t *testing.T) *env {
	t.Helper()
	dbPath := filepath.Join(t.TempDir(), "hooksim.db")
	ctx, cancel := context.WithCancel(context.Background())
	st, err := store.Open(ctx, dbPath)
	if err != nil {
		cancel()
		t.Fatalf("open store: %v", err)
	}
	srv, err := web.New(web.Config{Store: st, Listen: "127.0.0.1:0", PollInterval: 50 * time.Millisecond})
	if err != nil {
		cancel()
		st.Close()
		t.Fatalf("web.New: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("serve did not stop within 10s")
		}
		st.Close()
	})
	return &env{t: t, dbPath: dbPath, srv: srv, base: "http://" + srv.Addr().String(), hook: newTestHook(t)}
}

// api sends one request to the server as its own page would.
func (e *env) api(method, path string, body, out any) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.base+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", e.base)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode/100 != 2 {
		e.t.Fatalf("%s %s: %s: %s", method, path, res.Status, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			e.t.Fatalf("%s %s: decode %q: %v", method, path, data, err)
		}
	}
}

// play plays one bundled session through the API and waits until its
// runs have finished. It returns the run ids.
func (e *env) play(session string, stages ...string) []int64 {
	e.t.Helper()
	var res struct {
		Runs []int64 `json:"runs"`
	}
	e.api("POST", "/api/v1/play", map[string]any{"session": session, "url": e.hook.URL, "stages": stages}, &res)
	if len(res.Runs) == 0 {
		e.t.Fatalf("play %s: no run created", session)
	}
	for _, id := range res.Runs {
		e.waitFinished(id)
	}
	return res.Runs
}

// waitFinished waits until run id is no longer running.
func (e *env) waitFinished(id int64) {
	e.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		var r struct {
			Run struct {
				Outcome string `json:"outcome"`
			} `json:"run"`
		}
		e.api("GET", fmt.Sprintf("/api/v1/runs/%d", id), nil, &r)
		if r.Run.Outcome != "" && r.Run.Outcome != store.OutcomeRunning {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.t.Fatalf("run %d still running after 15s", id)
}

// recordElsewhere plays a bundled session, renamed, through a recorder on
// a store handle of its own, as `hooksim run` in another terminal does.
func (e *env) recordElsewhere(ctx context.Context, bundled, name string) {
	e.t.Helper()
	e.recordAs(ctx, bundled, name, simulator.SourceScript)
}

// recordAs plays a bundled session, renamed, as a run of source (a
// script, or an smtp connection) through a recorder on a store handle of
// its own (another process, as far as the server can tell), the hook at
// the data stage. It returns the run's id.
func (e *env) recordAs(ctx context.Context, bundled, name, source string) int64 {
	e.t.Helper()
	st, err := store.Open(ctx, e.dbPath)
	if err != nil {
		e.t.Fatalf("open store again: %v", err)
	}
	defer st.Close()
	sess, err := sessions.BundledByName(bundled)
	if err != nil {
		e.t.Fatal(err)
	}
	sess.Name = name
	hook, err := hookconf.FromFlags(hookconf.FlagSpec{URL: e.hook.URL, Stages: []string{"data"}})
	if err != nil {
		e.t.Fatal(err)
	}
	rec := recorder.New(st, recorder.Options{})
	var play *recorder.Play
	sim := simulator.New([]*hookconf.Hook{hook}, simulator.ObserverFunc(func(ctx context.Context, info *simulator.SessionInfo) simulator.Play {
		play = rec.BeginPlay(ctx, info)
		return play
	}))
	sim.Origin = simulator.Origin{Source: source}
	res := sim.Play(ctx, sess)
	sim.Client.Close()
	if err := rec.Close(); err != nil {
		e.t.Fatalf("recorder: %v", err)
	}
	if res.Err != nil || play == nil {
		e.t.Fatalf("play %s: %v", bundled, res.Err)
	}
	return play.RunID()
}

// tab drives one browser tab against the env, taking a screenshot when a
// step fails.
type tab struct {
	t   *testing.T
	ctx context.Context
	e   *env
}

// do runs the actions with a timeout; on failure it saves a screenshot and
// fails the test.
func (b *tab) do(what string, timeout time.Duration, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.fail(what, err)
	}
}

// wait polls a JavaScript expression until it is truthy and returns its
// value as text.
func (b *tab) wait(what, expr string, timeout time.Duration) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Poll[any](expr, chromedp.WithPollingTimeout(timeout), chromedp.WithPollingInterval(50*time.Millisecond)))
	if err != nil {
		b.fail(what, err)
	}
	return fmt.Sprint(v)
}

// eval evaluates a JavaScript expression.
func (b *tab) eval(expr string) any {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[any](expr))
	if err != nil {
		b.fail("evaluate "+expr, err)
	}
	return v
}

// open navigates to a page of the UI (a hash route like "#/runs/1").
func (b *tab) open(route string) {
	b.t.Helper()
	b.do("open "+route, 10*time.Second, chromedp.Navigate(b.e.base+"/"+route), chromedp.WaitReady(chromedp.CSS("#view")))
}

// fail saves a screenshot and the page's text, then fails the test.
func (b *tab) fail(what string, err error) {
	b.t.Helper()
	b.t.Errorf("%s: %v", what, err)
	if errors.Is(err, context.Canceled) && b.ctx.Err() != nil {
		b.t.FailNow()
	}
	dir := os.Getenv("HOOKSIM_SCREENSHOTS")
	if dir == "" {
		dir = b.t.TempDir()
	}
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	png, serr := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if serr == nil {
		name := filepath.Join(dir, strings.NewReplacer("/", "_", " ", "_").Replace(b.t.Name())+".png")
		if werr := os.WriteFile(name, png, 0o644); werr == nil {
			b.t.Logf("screenshot of the failure: %s", name)
		}
	}
	if text, terr := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + "\n" + document.body.innerText.slice(-3000)`)); terr == nil {
		b.t.Logf("page at failure:\n%s", text)
	}
	b.t.FailNow()
}

// startHooksim runs the hooksim binary with args until the test ends and
// returns it with the address its output names (re's first group).
func startHooksim(t *testing.T, re *regexp.Regexp, args ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(buildHooksim(t), args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := bufio.NewScanner(stdout)
	var addr string
	for addr == "" && lines.Scan() {
		if m := re.FindStringSubmatch(lines.Text()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		t.Fatalf("hooksim %s printed no address", args[0])
	}
	go io.Copy(io.Discard, stdout)
	return cmd, addr
}

// rawPost sends a POST as the page would and returns the status and body
// whatever they are.
func (e *env) rawPost(path string, body any) (int, string) {
	e.t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		e.t.Fatal(err)
	}
	req, err := http.NewRequest("POST", e.base+path, bytes.NewReader(b))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", e.base)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("POST %s: %v", path, err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(data)
}
