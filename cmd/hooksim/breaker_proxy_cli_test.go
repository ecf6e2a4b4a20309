package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// `--upstream` naming the proxy's own --listen address (an easy slip:
// both on port 9000) makes every request call the proxy again, without
// end: one request from Stalwart becomes thousands of recorded runs
// (about 2000 in 2 s here) until the first hop's --timeout. The proxy
// should refuse it as a usage error (exit 2) before it listens.
func TestBreakerProxyUpstreamIsItself(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var out, errOut bytes.Buffer
	dataHome := t.TempDir()
	env := &cliEnv{stdout: &out, stderr: &errOut, stdin: strings.NewReader(""),
		getenv: func(k string) (string, bool) {
			if k == "XDG_DATA_HOME" {
				return dataHome, true
			}
			return "", false
		}}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	code := runMain(ctx, env, []string{"proxy", "--listen", addr, "--upstream", "http://" + addr + "/", "--no-record"})
	if code != exitUsage {
		t.Errorf("hooksim proxy --listen %s --upstream http://%s/: exit %d, want %d (the upstream is the proxy itself)\n%s%s", addr, addr, code, exitUsage, out.String(), errOut.String())
	}
}

// pathOnlyHook is a hook served at /mta-hook only (404 elsewhere), as
// many are; it accepts everything.
func pathOnlyHook(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/mta-hook" {
			http.NotFound(w, r)
			return
		}
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"action":"accept"}`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// captureAtPath records one connection through a proxy whose upstream
// has no path, with Stalwart's MtaHook url ending in /mta-hook: the
// proxy keeps Stalwart's path (docs/proxy.md, "Paths"), so the hook got
// every request at /mta-hook. It returns the database.
func captureAtPath(t *testing.T, hook string) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "h.db")
	p := startProxy(t, "--upstream", hook+"/", "--db", db)
	if code, out, errOut := runCLI(t, "", "run", "bundled:hello", "--url", p.addr+"mta-hook", "--stages", "all", "--no-record"); code != exitOK {
		t.Fatalf("run through the proxy: exit %d\n%s\n%s", code, out, errOut)
	}
	p.waitFor(t, "ended (data stage)")
	if code := p.stop(); code != exitOK {
		t.Fatalf("proxy exit %d", code)
	}
	return db
}

// export --as session writes the upstream's URL ("http://hook/") as the
// hook's url, not where Stalwart's requests went (the upstream with
// Stalwart's path, /mta-hook, as each exchange's URL records): hooksim
// test of the export then calls the hook at "/" and fails against the
// very hook that answered the capture.
func TestBreakerProxiedExportKeepsStalwartPath(t *testing.T) {
	t.Parallel()
	hook := pathOnlyHook(t)
	db := captureAtPath(t, hook)
	script := filepath.Join(t.TempDir(), "x.yaml")
	if code, _, errOut := runCLI(t, "", "export", "1", "--db", db, "--as", "session", "-o", script); code != exitOK {
		t.Fatalf("export: exit %d\n%s", code, errOut)
	}
	code, out, errOut := runCLI(t, "", "test", "--db", filepath.Join(t.TempDir(), "t.db"), script)
	if code != exitOK || !strings.Contains(out, "1 passed, 0 failed") {
		b, _ := os.ReadFile(script)
		t.Errorf("hooksim test of the export against the same hook: exit %d, want 0\n%s%s\n%s", code, out, errOut, b)
	}
}

// replay of a proxied run "re-sends Stalwart's requests exactly", but to
// the upstream's URL without Stalwart's path: every exchange becomes a
// 404 and the replay reports 5 differences against the unchanged hook.
func TestBreakerProxiedReplayKeepsStalwartPath(t *testing.T) {
	t.Parallel()
	hook := pathOnlyHook(t)
	db := captureAtPath(t, hook)
	code, out, errOut := runCLI(t, "", "replay", "1", "--db", db)
	if code != exitOK {
		t.Errorf("replay of a proxied run against the same hook: exit %d, want 0\n%s%s", code, out, errOut)
	}
}

// A Stalwart request with one drift finding: a well-formed connect
// request, sent with Go's client (its Host, User-Agent, Accept-Encoding
// and header case differ from Stalwart's).
const breakerConnectBody = `{"context":{"stage":"connect","client":{"ip":"10.0.0.9","port":7,"ptr":null,"helo":null,"activeConnections":1},"server":{"name":"Stalwart v0.16.18","port":25,"ip":"192.0.2.10"},"protocol":{"version":1}}}`

// replay (exact) of a proxied run whose requests had drift findings,
// against the very hook that answered them: the replayed exchanges have
// no drift lints (replay does not run the drift checks, and the drift is
// about Stalwart's request, which replay re-sends as it was), so every
// exchange is reported "[changed]" with "lints: - [drift] ..." and the
// replay exits 1 (a regression) though the hook answered the same.
func TestBreakerProxiedReplayWithDriftSameHook(t *testing.T) {
	t.Parallel()
	hook := exampleHook(t)
	db := filepath.Join(t.TempDir(), "h.db")
	p := startProxy(t, "--upstream", hook, "--db", db)
	resp, err := http.Post(p.addr, "application/json", strings.NewReader(breakerConnectBody))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	p.waitFor(t, "drift")
	if code := p.stop(); code != exitOK {
		t.Fatalf("proxy exit %d", code)
	}
	code, out, errOut := runCLI(t, "", "replay", "1", "--db", db)
	if code != exitOK || strings.Contains(out, "[changed]") {
		t.Errorf("replay of a proxied run against the same hook: exit %d, want 0 and no change\n%s%s", code, out, errOut)
	}
}

// export --as session of a proxied run that holds no MTA Hook request
// (the proxy records any body it passes, as a run "request-N") fails
// with exit 3, "hooksim itself failed"; the run is bad input (exit 2 by
// DESIGN.md's exit codes), as a script that does not parse would be.
func TestBreakerExportNotAHookRequestIsInputError(t *testing.T) {
	t.Parallel()
	hook := exampleHook(t)
	db := filepath.Join(t.TempDir(), "h.db")
	p := startProxy(t, "--upstream", hook, "--db", db)
	resp, err := http.Post(p.addr, "application/json", strings.NewReader("not json at all"))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	p.waitFor(t, "ended")
	p.stop()
	code, _, errOut := runCLI(t, "", "export", "1", "--db", db, "--as", "session")
	if code != exitUsage {
		t.Errorf("export --as session of a run that is no MTA Hook request: exit %d, want %d\n%s", code, exitUsage, errOut)
	}
}
