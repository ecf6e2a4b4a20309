package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hooksim/hooksim/store"
)

// needShell skips a test that runs exported scripts when bash or curl is
// missing (both are there in CI).
func needShell(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"bash", "sh", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
}

// gotRequest is one request a curlHook received.
type gotRequest struct {
	path   string
	header http.Header
	body   []byte
}

// curlHook is a loopback hook that keeps every request. Paths under
// /basic want Basic u:pw, paths under /bearer want Bearer tok-B (401
// otherwise); it answers status with body.
type curlHook struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []gotRequest
}

func newCurlHook(t *testing.T, status int, answer string) *curlHook {
	t.Helper()
	h := &curlHook{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.got = append(h.got, gotRequest{path: r.URL.EscapedPath(), header: r.Header.Clone(), body: body})
		h.mu.Unlock()
		auth := r.Header.Get("Authorization")
		switch {
		case strings.HasPrefix(r.URL.Path, "/basic") && auth != "Basic "+base64.StdEncoding.EncodeToString([]byte("u:pw")),
			strings.HasPrefix(r.URL.Path, "/bearer") && auth != "Bearer tok-B":
			http.Error(w, "bad credentials: "+auth, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, answer)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// since returns the requests received after the first n.
func (h *curlHook) since(n int) []gotRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]gotRequest(nil), h.got[n:]...)
}

func (h *curlHook) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.got)
}

// runScript runs script with shell in an empty directory, with only PATH
// and env set, and returns the exit code, the output and the directory.
func runScript(t *testing.T, shell, script string, env ...string) (int, string, string, string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(t.TempDir(), "replay.sh")
	if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, shell, path)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s %s: %v", shell, path, err)
	}
	return code, stdout.String(), stderr.String(), dir
}

// assertEmptyDir fails when the script left anything in dir.
func assertEmptyDir(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("the script created %q", e.Name())
	}
}

// recordedBodies are the request bodies of run id, in order.
func recordedBodies(t *testing.T, dbPath string, id int64) [][]byte {
	t.Helper()
	st, err := store.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	exs, err := st.Exchanges(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	out := make([][]byte, len(exs))
	for i, e := range exs {
		out[i] = e.RequestBody
	}
	return out
}

// assertLinesStayPut checks the script's shape: every line is a comment,
// set -e, the start of a curl or printf, or a continuation, except inside
// a single-quoted body.
func assertScriptShape(t *testing.T, script string) {
	t.Helper()
	for i, line := range strings.Split(script, "\n") {
		switch {
		case line == "", strings.HasPrefix(line, "#"), line == "set -e", strings.HasPrefix(line, "curl -sS "),
			strings.HasPrefix(line, "printf '"), strings.HasPrefix(line, "  "):
		default:
			t.Errorf("script line %d is none of comment, set -e, curl, printf or continuation: %q", i+1, line)
		}
	}
}

// TestExportCurlHostileHookIDs records a run with hooks whose ids, URL
// paths and header values are made to break out of a shell script, exports
// it as curl and runs the script with bash and sh against the live hook:
// it exits 0, the hook gets every recorded body byte for byte and every
// header as recorded, and nothing is created.
func TestExportCurlHostileHookIDs(t *testing.T) {
	t.Parallel()
	needShell(t)
	hook := newCurlHook(t, http.StatusOK, `{"action":"accept"}`)
	const quoteHeader = "it's $(touch PWNED4) `touch PWNED5` \"q\" \\ end"
	hooks := []map[string]any{
		{"id": "x\ntouch PWNED #", "url": hook.srv.URL + "/basic/a'b$(touch%20PWNED2)",
			"stages":      map[string]bool{"connect": true, "mail": true, "data": true},
			"httpHeaders": map[string]string{"X-Quote": quoteHeader},
			"httpAuth":    map[string]any{"@type": "Basic", "username": "u", "secret": map[string]any{"@type": "Value", "secret": "pw"}}},
		{"id": "$(touch PWNED6)'\"; touch PWNED7 #\r\u2028x", "url": hook.srv.URL + "/bearer?q='$(touch%20PWNED8)'",
			"stages":   map[string]bool{"ehlo": true, "rcpt": true, "data": true},
			"httpAuth": map[string]any{"@type": "Bearer", "bearerToken": map[string]any{"@type": "Value", "secret": "tok-B"}}},
	}
	js, err := json.Marshal(hooks)
	if err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	hooksPath := writeFile(t, t.TempDir(), "hooks.json", string(js))
	mustRun(t, data, "run", "--no-expect", "--hooks", hooksPath, "bundled:spam-tagged")
	recorded := recordedBodies(t, filepath.Join(data, "hooksim", "hooksim.db"), 1)
	if len(recorded) != 6 || hook.count() != 6 {
		t.Fatalf("recorded %d exchanges, the hook got %d requests; want 6", len(recorded), hook.count())
	}
	script := mustRun(t, data, "export", "1", "--as", "curl")
	assertScriptShape(t, script)
	for _, want := range []string{`hook "x\ntouch PWNED #"`, `hook "$(touch PWNED6)'\"; touch PWNED7 #\r\u2028x"`} {
		if !strings.Contains(script, want) {
			t.Errorf("the script does not name a hook as %s:\n%s", want, script)
		}
	}
	for _, shell := range []string{"bash", "sh"} {
		before := hook.count()
		code, out, errOut, dir := runScript(t, shell, script, "HOOKSIM_BASIC=u:pw", "HOOKSIM_BEARER=tok-B")
		assertEmptyDir(t, dir)
		if code != 0 {
			t.Fatalf("%s: exit %d\nstdout:\n%s\nstderr:\n%s\nscript:\n%s", shell, code, out, errOut, script)
		}
		got := hook.since(before)
		if len(got) != len(recorded) {
			t.Fatalf("%s: the hook got %d requests, want %d", shell, len(got), len(recorded))
		}
		for i, g := range got {
			if !bytes.Equal(g.body, recorded[i]) {
				t.Errorf("%s: request %d body\n%q\nwant the recorded\n%q", shell, i+1, g.body, recorded[i])
			}
			if strings.HasPrefix(g.path, "/basic") && g.header.Get("X-Quote") != quoteHeader {
				t.Errorf("%s: request %d X-Quote %q, want %q", shell, i+1, g.header.Get("X-Quote"), quoteHeader)
			}
			if ua, ok := g.header["User-Agent"]; ok {
				t.Errorf("%s: request %d has a User-Agent %q (Stalwart sends none)", shell, i+1, ua)
			}
		}
		if strings.Count(out, `{"action":"accept"}`) != len(recorded) {
			t.Errorf("%s: output:\n%s", shell, out)
		}
	}
	// Without credentials the script stops before sending anything.
	before := hook.count()
	code, _, errOut, dir := runScript(t, "bash", script)
	if code == 0 || !strings.Contains(errOut, "HOOKSIM_BASIC: set HOOKSIM_BASIC to user:password") || hook.count() != before {
		t.Errorf("without HOOKSIM_BASIC: exit %d, stderr %q, %d requests sent", code, errOut, hook.count()-before)
	}
	assertEmptyDir(t, dir)
}

// TestExportCurlAwkwardRows writes exchanges straight to the store with
// bodies no shell word can carry (NUL bytes, a leading "@", 200 KiB) and
// values that must not reach a command line (a header name that is not a
// token, a value with CRLF, hostile ids, stages, outcomes and URLs), then
// runs the exported script: every body arrives byte for byte, the bad
// headers and URLs are left out, nothing is created.
func TestExportCurlAwkwardRows(t *testing.T) {
	t.Parallel()
	needShell(t)
	hook := newCurlHook(t, http.StatusOK, `{"action":"accept"}`)
	big := make([]byte, 200<<10)
	for i := range big {
		big[i] = byte(i*7 + i/256)
	}
	bodies := [][]byte{
		[]byte("nul\x00then 1\x001 digits, \\ backslash \\000, %s %% percent, 'quote', \"dq\", $(touch PWNED) `x`\r\nCRLF \xff\xfe end"),
		[]byte("@/etc/passwd"),
		big,
		[]byte("{\"plain\":\"json\",\n\"newline\":true}"),
	}
	data := t.TempDir()
	dbPath := filepath.Join(data, "hooksim", "hooksim.db")
	ctx := context.Background()
	st, err := store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	id, err := st.CreateRun(ctx, &store.Run{SessionName: "awkward\ntouch PWNED", Started: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	var rows []store.Exchange
	add := func(url string, body []byte, hdrs ...store.Header) {
		rows = append(rows, store.Exchange{RunID: id, Seq: len(rows) + 1, Stage: "data\ntouch PWNED", HookID: "h\n; touch PWNED",
			URL: url, Started: time.Now(), RequestHeaders: hdrs, RequestBody: body, Status: 200, Outcome: "accept\r\ntouch PWNED"})
	}
	ct := store.Header{Name: "content-type", Value: "application/json"}
	for _, b := range bodies[:3] {
		add(hook.srv.URL+"/plain", b, ct, store.Header{Name: "host", Value: "evil.example"}, store.Header{Name: "content-length", Value: "1"})
	}
	add(hook.srv.URL+"/headers?a='b'&c=$(touch%20PWNED)", bodies[3], ct,
		store.Header{Name: "Bad Name", Value: "x"}, store.Header{Name: "@/etc/passwd", Value: "x"},
		store.Header{Name: "X-Inj", Value: "a\r\nX-Evil: 1"}, store.Header{Name: "X-Empty", Value: ""},
		store.Header{Name: "X-Api-Key", Value: "****"})
	add("file:///etc/passwd", []byte("{}"))
	add("-o/tmp/PWNED", []byte("{}"))
	add(hook.srv.URL+"/\ntouch PWNED", []byte("{}"))
	if err := st.Write(ctx, store.Batch{Exchanges: rows}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	script := mustRun(t, data, "export", "1", "--as", "curl")
	assertScriptShape(t, script)
	for _, want := range []string{
		"# hooksim: header \"Bad Name\": left out: the name is not an HTTP token",
		"# hooksim: header X-Inj: left out: the value holds a line break or another control character",
		"# hooksim: header X-Api-Key: recorded hidden",
		"# hooksim: left out: file:///etc/passwd is not an absolute http or https URL",
		"# hooksim: left out: -o/tmp/PWNED is not an absolute http or https URL",
		"holds a control character",
	} {
		if !strings.Contains(script, want) {
			t.Errorf("the script lacks %q:\n%.3000s", want, script)
		}
	}
	for _, shell := range []string{"bash", "sh"} {
		before := hook.count()
		code, out, errOut, dir := runScript(t, shell, script)
		assertEmptyDir(t, dir)
		if code != 0 {
			t.Fatalf("%s: exit %d\nstdout:\n%.2000s\nstderr:\n%s", shell, code, out, errOut)
		}
		got := hook.since(before)
		if len(got) != len(bodies) {
			t.Fatalf("%s: the hook got %d requests, want %d", shell, len(got), len(bodies))
		}
		for i, g := range got {
			if !bytes.Equal(g.body, bodies[i]) {
				t.Errorf("%s: body %d: got %d bytes %.80q, want %d bytes %.80q", shell, i+1, len(g.body), g.body, len(bodies[i]), bodies[i])
			}
		}
		h := got[3].header
		if v, ok := h["X-Empty"]; !ok || len(v) != 1 || v[0] != "" {
			t.Errorf("%s: X-Empty = %q, %v; want one empty value", shell, v, ok)
		}
		for _, name := range []string{"X-Inj", "X-Evil", "Bad Name"} {
			if _, ok := h[http.CanonicalHeaderKey(name)]; ok {
				t.Errorf("%s: header %s was sent", shell, name)
			}
		}
		if got[3].path != "/headers" && !strings.HasPrefix(got[3].path, "/headers") {
			t.Errorf("%s: path %q", shell, got[3].path)
		}
	}
}

// TestExportCurlStopsOnHTTPError: against a hook answering 500 the first
// curl fails (--fail-with-body prints the answer) and set -e stops the
// script there.
func TestExportCurlStopsOnHTTPError(t *testing.T) {
	t.Parallel()
	needShell(t)
	hook := newCurlHook(t, http.StatusInternalServerError, "hook broke: 500\n")
	data := t.TempDir()
	recordFailing(t, data, "run", "--no-expect", "--no-tempfail", "--url", hook.srv.URL+"/", "--stages", "all", "bundled:hello")
	if n := hook.count(); n < 2 {
		t.Fatalf("recorded %d exchanges, want several", n)
	}
	script := mustRun(t, data, "export", "1", "--as", "curl")
	before := hook.count()
	code, out, errOut, dir := runScript(t, "bash", script)
	if code == 0 {
		t.Fatalf("the script exited 0 against a hook answering 500\n%s\n%s", out, errOut)
	}
	if !strings.Contains(out, "hook broke: 500") || !strings.Contains(errOut, "500") {
		t.Errorf("exit %d; stdout %q, stderr %q: want the hook's answer and the error", code, out, errOut)
	}
	if sent := hook.count() - before; sent != 1 {
		t.Errorf("the script sent %d requests, want it to stop after the first", sent)
	}
	assertEmptyDir(t, dir)
}

// helpExampleLines returns the example command lines of `hooksim CMD --help`
// that contain one of the markers, without their trailing comments.
func helpExampleLines(t *testing.T, cmd string, markers ...string) []string {
	t.Helper()
	code, help, _ := runCLI(t, "", cmd, "--help")
	_, examples, ok := strings.Cut(help, "\nExamples:\n")
	if code != exitOK || !ok {
		t.Fatalf("%s --help: exit %d, no examples:\n%s", cmd, code, help)
	}
	var out []string
	for _, line := range strings.Split(examples, "\n") {
		line = strings.TrimSpace(line)
		if i := strings.Index(line, "  #"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		for _, m := range markers {
			if strings.Contains(line, m) {
				out = append(out, line)
				break
			}
		}
	}
	return out
}

// TestRawAndCurlExamplesRun runs the show examples and the curl and json
// export examples of --help as written, with bash, against a history
// where run 42 exists and its hook still listens.
func TestRawAndCurlExamplesRun(t *testing.T) {
	t.Parallel()
	needShell(t)
	data := t.TempDir()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(data, "hooksim", "hooksim.db"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < 42; i++ {
		if _, err := st.CreateRun(ctx, &store.Run{SessionName: "pad", Started: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	out := mustRun(t, data, "run", "--no-expect", "--url", exampleHook(t), "--stages", "all", "bundled:spam-tagged")
	if !strings.Contains(out, "recorded as run #42") {
		t.Fatalf("the run is not #42:\n%s", out)
	}
	bin := t.TempDir()
	wrapper := "#!/bin/sh\nHOOKSIM_TEST_MAIN=1 exec " + shellQuoteTest(os.Args[0]) + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "hooksim"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	lines := append(helpExampleLines(t, "show", "hooksim show"), helpExampleLines(t, "export", "curl", "replay.sh", "--as json")...)
	if len(lines) < 6 {
		t.Fatalf("examples found: %q", lines)
	}
	work := t.TempDir()
	for _, line := range lines {
		cmd := exec.CommandContext(ctx, "bash", "-c", line)
		cmd.Dir = work
		cmd.Env = []string{"PATH=" + bin + ":" + os.Getenv("PATH"), "XDG_DATA_HOME=" + data}
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("example %q: %v\n%s", line, err, b)
		}
	}
	answer, err := os.ReadFile(filepath.Join(work, "answer.json"))
	if err != nil || !json.Valid(answer) {
		t.Errorf("answer.json from the show example: %v %q", err, answer)
	}
}

// shellQuoteTest quotes a path for sh.
func shellQuoteTest(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
