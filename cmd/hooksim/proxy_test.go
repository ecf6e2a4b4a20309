package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// startProxy runs hooksim proxy with args (a --listen on a free loopback
// port is added) and waits for its banner; addr is its URL.
func startProxy(t *testing.T, args ...string) *liveServer {
	t.Helper()
	return startLive(t, t.TempDir(), regexp.MustCompile(`listening on (https?://127\.0\.0\.1:\d+/)`), append([]string{"proxy", "--listen", "127.0.0.1:0"}, args...))
}

// hooksim plays Stalwart through the proxy to the example hook; the
// proxied connections, exported as sessions, pass hooksim test against
// the same hook and fail against one that answers differently.
func TestProxyCaptureExportTest(t *testing.T) {
	t.Parallel()
	hook := exampleHook(t)
	db := filepath.Join(t.TempDir(), "h.db")
	p := startProxy(t, "--upstream", hook, "--db", db, "--compare")
	for _, s := range []string{"bundled:hello", "bundled:submission"} {
		if code, out, errOut := runCLI(t, "", "run", s, "--url", p.addr, "--stages", "all", "--no-record"); code != exitOK {
			t.Fatalf("run %s through the proxy: exit %d\n%s\n%s", s, code, out, errOut)
		}
	}
	p.waitFor(t, "#2 ")
	p.waitFor(t, "compare: hooksim would send the same 5 requests")
	if code := p.stop(); code != exitOK {
		t.Fatalf("exit %d after Ctrl-C\n%s\n%s", code, p.out.String(), p.err.String())
	}
	wantContains(t, "hooksim proxy's output", p.out.String(),
		"203.0.113.7:51234  data DATA -> 200 accept", "the client hears 250 2.0.0 Message queued with id",
		"ended (data stage): 5 requests, 0 drift findings",
		"hooksim proxy stopped: 10 requests in 2 connections, 0 drift findings, 0 differences from the resimulation")

	code, runs, errOut := runCLI(t, "", "runs", "--db", db, "--source", "proxy")
	if code != exitOK || !strings.Contains(runs, " proxy ") || !strings.Contains(runs, "DRIFT") {
		t.Fatalf("runs: exit %d\n%s\n%s", code, runs, errOut)
	}
	if code, runs, _ := runCLI(t, "", "runs", "--db", db, "--drift"); code != exitOK || !strings.Contains(runs, "no runs") {
		t.Errorf("runs --drift lists runs without drift:\n%s", runs)
	}

	dir := t.TempDir()
	for _, id := range []string{"1", "2"} {
		script := filepath.Join(dir, "proxied-"+id+".yaml")
		if code, _, errOut := runCLI(t, "", "export", id, "--db", db, "--as", "session", "-o", script); code != exitOK {
			t.Fatalf("export %s: exit %d\n%s", id, code, errOut)
		}
		b, _ := os.ReadFile(script)
		wantContains(t, "the exported script", string(b), "Rebuilt by hooksim from run #"+id, "imply: false", "url: "+hook)
		code, testOut, errOut := runCLI(t, "", "test", "--db", filepath.Join(t.TempDir(), "t.db"), script)
		if code != exitOK || !strings.Contains(testOut, "1 passed, 0 failed") {
			t.Fatalf("test of proxied run %s: exit %d\n%s\n%s\n%s", id, code, testOut, errOut, b)
		}
	}

	// Against a hook that rejects at DATA, the test fails.
	rejecting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		if strings.Contains(string(b), `"stage":"data"`) {
			io.WriteString(w, `{"action":"reject","response":{"status":550,"message":"no"}}`)
			return
		}
		io.WriteString(w, `{"action":"accept"}`)
	}))
	defer rejecting.Close()
	code, testOut, errOut := runCLI(t, "", "test", "--db", filepath.Join(t.TempDir(), "r.db"), "--url", rejecting.URL, filepath.Join(dir, "proxied-1.yaml"))
	if code != exitFailed {
		t.Errorf("test against a hook that rejects: exit %d, want %d\n%s\n%s", code, exitFailed, testOut, errOut)
	}

	// replay (exact) of a proxied run against the rejecting hook shows the change.
	code, out, errOut := runCLI(t, "", "replay", "1", "--db", db, "--url", rejecting.URL)
	if code != exitFailed || !strings.Contains(out, "reject") {
		t.Errorf("replay of a proxied run against a changed hook: exit %d\n%s\n%s", code, out, errOut)
	}
}

func TestProxyBadFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"proxy"}, "needs --upstream"},
		{[]string{"proxy", "--upstream", "ftp://x/"}, "http or https"},
		{[]string{"proxy", "--upstream", "http://u:p@127.0.0.1/"}, "credentials"},
		{[]string{"proxy", "--upstream", "http://127.0.0.1/", "--tls-cert", "a.pem"}, "go together"},
		{[]string{"proxy", "--upstream", "http://127.0.0.1/", "--timeout", "0s"}, "-timeout: want a positive duration"},
		{[]string{"proxy", "--upstream", "http://127.0.0.1/", "--timeout", "5"}, "give a unit"},
		{[]string{"proxy", "--upstream", "127.0.0.1:8025"}, "http://127.0.0.1:8025/"},
		{[]string{"proxy", "--upstream", "http://127.0.0.1/", "--listen", "256.0.0.1:1"}, "--listen"},
		{[]string{"proxy", "--upstream", "http://127.0.0.1/", "--no-record", "--web", "127.0.0.1:0"}, "--no-record"},
	} {
		code, out, errOut := runCLI(t, "", tc.args...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, want %d saying %q\n%s%s", tc.args, code, exitUsage, tc.want, out, errOut)
		}
	}
}

// A proxied run keeps what Stalwart's MtaHook sent besides the body: the
// path and query, custom headers, the kind of its httpAuth (never the
// secret). Replay needs the credentials as for any run, calls the same
// path with the same headers, and its drift findings are no difference;
// the export carries them too.
func TestProxyReplayKeepsTheHooksSettings(t *testing.T) {
	t.Parallel()
	const token = "proxy-t0ken-s3cret"
	var mu sync.Mutex
	var seen []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.RequestURI()+" "+r.Header.Get("Authorization")+" "+r.Header.Get("X-Tenant"))
		mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, "who are you", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"action":"accept"}`)
	}))
	defer hook.Close()
	db := filepath.Join(t.TempDir(), "h.db")
	p := startProxy(t, "--upstream", hook.URL, "--db", db)
	if code, out, errOut := runCLI(t, "", "run", "bundled:hello", "--url", p.addr+"hook?v=2", "--stages", "all", "--no-record",
		"--bearer", token, "--header", "X-Tenant: acme"); code != exitOK {
		t.Fatalf("run through the proxy: exit %d\n%s\n%s", code, out, errOut)
	}
	p.waitFor(t, "ended (data stage)")
	p.stop()

	if code, out, errOut := runCLI(t, "", "replay", "1", "--db", db); code != exitUsage || !strings.Contains(out+errOut, "HOOKSIM_BEARER") {
		t.Errorf("replay without the credentials: exit %d, want %d naming HOOKSIM_BEARER\n%s\n%s", code, exitUsage, out, errOut)
	}
	mu.Lock()
	before := len(seen)
	mu.Unlock()
	code, out, errOut := runCLIEnv(t, "", map[string]string{"HOOKSIM_BEARER": token}, "", "replay", "1", "--db", db)
	if code != exitOK || !strings.Contains(out, "same") {
		t.Fatalf("replay with HOOKSIM_BEARER against the same hook: exit %d\n%s\n%s", code, out, errOut)
	}
	mu.Lock()
	replayed := append([]string(nil), seen[before:]...)
	mu.Unlock()
	if len(replayed) != 5 {
		t.Fatalf("the replay made %d calls, want 5: %q", len(replayed), replayed)
	}
	for _, s := range replayed {
		if s != "/hook?v=2 Bearer "+token+" acme" {
			t.Errorf("the replay called %q, want the path, the token and X-Tenant Stalwart sent", s)
		}
	}

	script := filepath.Join(t.TempDir(), "p.yaml")
	if code, _, errOut := runCLI(t, "", "export", "1", "--db", db, "--as", "session", "-o", script); code != exitOK {
		t.Fatalf("export: exit %d\n%s", code, errOut)
	}
	b, _ := os.ReadFile(script)
	wantContains(t, "the exported script", string(b), "hook?v=2", "httpHeaders: [x-tenant]", "httpAuth: Bearer", "HOOKSIM_BEARER")
	if code, out, errOut := runCLIEnv(t, "", map[string]string{"HOOKSIM_BEARER": token}, "", "test", "--db", filepath.Join(t.TempDir(), "t.db"), script); code != exitOK {
		t.Errorf("test of the export: exit %d\n%s\n%s", code, out, errOut)
	}
	raw, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	if wal, err := os.ReadFile(db + "-wal"); err == nil {
		raw = append(raw, wal...)
	}
	if strings.Contains(string(raw)+string(b)+out, token) {
		t.Errorf("the token is in the database, the export or the replay's output")
	}
}
