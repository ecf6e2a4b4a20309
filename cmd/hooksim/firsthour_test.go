package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hooksim/hooksim/store"
)

// userHook is a hook "written by the user": a real loopback HTTP server
// whose answer per stage a test sets, and which keeps what it received.
type userHook struct {
	srv     *httptest.Server
	answers sync.Map // stage -> hookAnswer; "*" for any stage
	mu      sync.Mutex
	auth    []string
	stages  []string
}

type hookAnswer struct {
	status int
	body   string
}

func newUserHook(t *testing.T) *userHook {
	t.Helper()
	h := &userHook{}
	h.set("*", 200, `{"action":"accept"}`)
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req struct {
			Context struct {
				Stage string `json:"stage"`
			} `json:"context"`
		}
		_ = json.Unmarshal(body, &req)
		h.mu.Lock()
		h.auth = append(h.auth, r.Header.Get("Authorization"))
		h.stages = append(h.stages, req.Context.Stage)
		h.mu.Unlock()
		a, ok := h.answers.Load(req.Context.Stage)
		if !ok {
			a, _ = h.answers.Load("*")
		}
		ans := a.(hookAnswer)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(ans.status)
		_, _ = io.WriteString(w, ans.body)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *userHook) set(stage string, status int, body string) {
	h.answers.Store(stage, hookAnswer{status, body})
}

func (h *userHook) url() string { return h.srv.URL + "/" }

func (h *userHook) calls() (stages, auth []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.stages...), append([]string(nil), h.auth...)
}

// runCLIEnv is runCLIData with extra environment variables.
func runCLIEnv(t *testing.T, dataHome string, vars map[string]string, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &cliEnv{stdout: &out, stderr: &errOut, stdin: strings.NewReader(stdin),
		getenv: func(k string) (string, bool) {
			if k == "XDG_DATA_HOME" {
				return dataHome, true
			}
			v, ok := vars[k]
			return v, ok
		}}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	code = runMain(ctx, env, args)
	return code, out.String(), errOut.String()
}

// recordFailing runs a command that records a run against a failing
// hook: exit 1 (a hook call failed) is what it should say.
func recordFailing(t *testing.T, dataHome string, args ...string) string {
	t.Helper()
	code, out, errOut := runCLIData(t, dataHome, "", args...)
	if code != exitOK && !(code == exitFailed && strings.Contains(errOut, "failed (see the error lines above)")) {
		t.Fatalf("hooksim %s: exit %d\n%s\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

func wantContains(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, text)
		}
	}
}

// TestFirstRunAcceptAll: an accept-all hook probed with the bundled
// sessions at every stage passes (exit 0) and says in one line that the
// example hook's expectations were not checked; --expect checks them.
func TestFirstRunAcceptAll(t *testing.T) {
	t.Parallel()
	h := newUserHook(t)
	code, out, errOut := runCLI(t, "", "run", "--url", h.url(), "--stages", "all")
	if code != exitOK {
		t.Fatalf("exit %d, want 0\n%s\n%s", code, out, errOut)
	}
	wantContains(t, "stdout", out, "12 sessions played, no expectations checked", "hook calls (", " accept)")
	notes := strings.Count(errOut, "example hook")
	if notes != 1 {
		t.Errorf("want one line about the example hook's expectations, got %d:\n%s", notes, errOut)
	}
	stages, _ := h.calls()
	for _, st := range []string{"connect", "ehlo", "mail", "rcpt", "data"} {
		if !strings.Contains(strings.Join(stages, " "), st) {
			t.Errorf("the hook was never called at %s", st)
		}
	}
	// A hook that is down is not a pass, expectations or not; -q still names the cause.
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL + "/"
	down.Close()
	code, out, errOut = runCLI(t, "", "run", "-q", "--url", downURL)
	if code != exitFailed || !strings.Contains(errOut, "13 of 13 hook calls failed") || !strings.Contains(out, "refused: Hook request failed: connection refused") {
		t.Errorf("a hook that is down: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = runCLI(t, "", "run", "-q", "--expect", "--url", h.url(), "--stages", "all")
	if code != exitFailed || !strings.Contains(out, "failed") {
		t.Errorf("--expect against an accept-all hook: exit %d, want 1\n%s", code, out)
	}
}

// TestTemplatesRun: a printed template runs where it is saved, and
// --dir writes the script with its messages.
func TestTemplatesRun(t *testing.T) {
	t.Parallel()
	h := newUserHook(t)
	dir := t.TempDir()
	code, script, errOut := runCLI(t, "", "sessions", "minimal")
	if code != exitOK {
		t.Fatalf("sessions minimal: exit %d: %s", code, errOut)
	}
	p := writeFile(t, dir, "my.yaml", script)
	code, out, errOut := runCLI(t, "", "run", "--no-expect", "--url", h.url(), p)
	if code != exitOK {
		t.Fatalf("the template does not run as written: exit %d\n%s\n%s", code, out, errOut)
	}
	wantContains(t, "stdout", out, "Message queued with id")
	// As written, its expectations (the example hook's) are checked and fail on an accept-all hook: it ran.
	code, out, _ = runCLI(t, "", "run", "--url", h.url(), p)
	if code != exitFailed || !strings.Contains(out, "archive@example.org") {
		t.Errorf("the template's expectations: exit %d\n%s", code, out)
	}
	tdir := filepath.Join(dir, "tests")
	code, out, errOut = runCLI(t, "", "sessions", "two-transactions", "--dir", tdir)
	if code != exitOK {
		t.Fatalf("sessions --dir: exit %d\n%s", code, errOut)
	}
	wantContains(t, "stdout", out, "two-transactions.yaml", "two-transactions-1.eml", "two-transactions-2.eml")
	code, out, errOut = runCLI(t, "", "run", "--no-expect", "--url", h.url(), filepath.Join(tdir, "two-transactions.yaml"))
	if code != exitOK {
		t.Fatalf("the --dir copy does not run: exit %d\n%s\n%s", code, out, errOut)
	}
	code, _, errOut = runCLI(t, "", "sessions", "two-transactions", "--dir", tdir)
	if code != exitUsage || !strings.Contains(errOut, "--force") {
		t.Errorf("overwriting without --force: exit %d: %s", code, errOut)
	}
}

// TestFailingHookShown: a hook answering HTTP 500 with a JSON body shows
// its status, body and cause in run's transcript, in test's failure lines
// and in the JUnit failure text.
func TestFailingHookShown(t *testing.T) {
	t.Parallel()
	h := newUserHook(t)
	h.set("data", 500, "{\"error\":\"db down\"}\nline 2\nline 3\nline 4\nline 5\nline 6\nline 7\n")
	code, out, errOut := runCLI(t, "", "run", "--url", h.url(), "bundled:minimal")
	if code != exitFailed || !strings.Contains(errOut, "1 of 1 hook call failed") {
		t.Errorf("run: exit %d, want 1 for a failing hook even without expectations\n%s", code, errOut)
	}
	wantContains(t, "run transcript", out, "500 Internal Server Error", "error http-status: Hook request failed with code 500: Internal Server Error",
		`body: {"error":"db down"}`, "line 5", "(2 more lines", "S: 451 4.3.5 Unable to accept message at this time.", "played, no expectations, 1 hook error")
	if strings.Contains(out, "line 6") {
		t.Errorf("more than the first lines of the body shown:\n%s", out)
	}
	dir := t.TempDir()
	script := writeFile(t, dir, "t.yaml", "data: {inline: \"From: a@example.org\\nTo: b@example.org\\nSubject: x\\n\\nhi\\n\"}\nexpect: {action: accept}\n")
	junitPath := filepath.Join(dir, "junit.xml")
	code, out, errOut = runCLI(t, "", "test", "--url", h.url(), "--junit", junitPath, script)
	if code != exitFailed {
		t.Fatalf("test: exit %d\n%s\n%s", code, out, errOut)
	}
	want := []string{"action error, want accept", "answered HTTP 500 Internal Server Error: http-status", "(tempFailOnError: the client hears 451 4.3.5)", `body: {"error":"db down"}`}
	wantContains(t, "test output", out, want...)
	raw, _ := os.ReadFile(junitPath)
	var doc struct {
		Suites []struct {
			Cases []struct {
				Failure *struct {
					Text string `xml:",chardata"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(raw, &doc); err != nil || len(doc.Suites) != 1 || len(doc.Suites[0].Cases) != 1 || doc.Suites[0].Cases[0].Failure == nil {
		t.Fatalf("junit: %v\n%s", err, raw)
	}
	wantContains(t, "junit failure text", doc.Suites[0].Cases[0].Failure.Text, want...)
}

// TestVerbose: -v prints the request and response bodies as pretty JSON
// with the message contents cut; -vv prints them whole.
func TestVerbose(t *testing.T) {
	t.Parallel()
	h := newUserHook(t)
	long := strings.Repeat("0123456789", 40)
	dir := t.TempDir()
	script := writeFile(t, dir, "long.yaml", "data: {inline: \"From: a@example.org\\nTo: b@example.org\\nSubject: x\\n\\n"+long+"\\n\"}\n")
	_, out, _ := runCLI(t, "", "run", "-v", "--url", h.url(), script)
	wantContains(t, "-v", out, "request:", `"stage": "data"`, `"contents": "0123456789`, "more bytes; -vv shows all)", "response (HTTP 200):", `"action": "accept"`)
	if strings.Contains(out, long) {
		t.Errorf("-v shows the whole contents")
	}
	_, out, _ = runCLI(t, "", "run", "-vv", "--url", h.url(), script)
	if !strings.Contains(out, `"contents": "`+long+`"`) {
		t.Errorf("-vv does not show the whole contents:\n%s", out)
	}
}

// TestTestFolderWithBrokenScript: a folder with one broken script runs the
// others, reports the broken one as an error with file:line:field, writes
// JUnit with an <error>, and exits 2 after everything ran.
func TestTestFolderWithBrokenScript(t *testing.T) {
	t.Parallel()
	h := newUserHook(t)
	dir := t.TempDir()
	good := "data: {inline: \"From: a@example.org\\nTo: b@example.org\\nSubject: x\\n\\nhi\\n\"}\nexpect: {action: accept}\n"
	writeFile(t, dir, "a.yaml", good)
	writeFile(t, dir, "b.yaml", "steps:\n  - connect\n  - rcpt: \"bill@\"\n")
	writeFile(t, dir, "c.yaml", good)
	junitPath := filepath.Join(t.TempDir(), "junit.xml")
	code, out, errOut := runCLI(t, "", "test", "--url", h.url(), "--junit", junitPath, dir)
	if code != exitUsage {
		t.Errorf("exit %d, want 2\n%s\n%s", code, out, errOut)
	}
	wantContains(t, "stdout", out, "ok    a", "ERROR b", `b.yaml:3: steps[1].rcpt: "bill@" is not an address`, "ok    c", "2 passed, 0 failed, 1 errored")
	raw, err := os.ReadFile(junitPath)
	if err != nil {
		t.Fatalf("no JUnit file: %v", err)
	}
	if n := bytes.Count(raw, []byte("<testcase")); n != 3 {
		t.Errorf("%d test cases in JUnit, want 3:\n%s", n, raw)
	}
	if !bytes.Contains(raw, []byte(`<error message="the script cannot run"`)) || !bytes.Contains(raw, []byte("is not an address")) {
		t.Errorf("JUnit lacks the error:\n%s", raw)
	}
	if stages, _ := h.calls(); len(stages) != 2 {
		t.Errorf("hook called %d times, want 2 (the two good scripts)", len(stages))
	}
}

// TestCaptureRoundTrip: run at every stage against a hook, export, test:
// the exported script carries the hook's settings, so it passes with
// --url alone (or nothing), with no lint expectations; fixing a lint keeps
// it passing; --expect-lints keeps them.
func TestCaptureRoundTrip(t *testing.T) {
	t.Parallel()
	h := newUserHook(t)
	h.set("mail", 200, `{"action":"accept","response":{"status":250,"message":"fine"}}`)
	data := t.TempDir()
	dir := t.TempDir()
	mustRun := func(args ...string) string {
		t.Helper()
		code, out, errOut := runCLIData(t, data, "", args...)
		if code != exitOK {
			t.Fatalf("hooksim %s: exit %d\n%s\n%s", strings.Join(args, " "), code, out, errOut)
		}
		return out + errOut
	}
	mustRun("run", "--url", h.url(), "--stages", "all", "--timeout", "7s", "--header", "X-Tenant: acme", "bundled:hello")
	script := filepath.Join(dir, "t.yaml")
	mustRun("export", "1", "--as", "session", "-o", script)
	src, _ := os.ReadFile(script)
	wantContains(t, "exported script", string(src), "hooks:", "url: "+h.url(), "stages: [connect, ehlo, mail, rcpt, data]",
		"timeout: 7000", "tempFailOnError: true", "maxResponseSize: 52428800", "httpHeaders: [X-Tenant]")
	if strings.Contains(string(src), "acme") {
		t.Errorf("a header value was exported:\n%s", src)
	}
	if strings.Contains(string(src), "lints:") {
		t.Errorf("lints exported as expectations by default:\n%s", src)
	}
	out := mustRun("test", "--url", h.url(), "--header", "X-Tenant: acme", script)
	wantContains(t, "test --url", out, "1 passed, 0 failed")
	code, out, errOut := runCLIData(t, data, "", "test", script)
	if code != exitOK {
		t.Fatalf("test with no flags: exit %d\n%s\n%s", code, out, errOut)
	}
	wantContains(t, "test without flags", errOut, "warning: hook "+strings.TrimPrefix(strings.TrimSuffix(h.url(), "/"), "http://")+" sends the header X-Tenant, whose value is not in the script or recording")
	// Flags that replace a recorded value say so.
	code, _, errOut = runCLIData(t, data, "", "test", "--stages", "data", script)
	if code != exitFailed || !strings.Contains(errOut, "--stages data replaces the recorded stages connect, ehlo, mail, rcpt, data") {
		t.Errorf("--stages override: exit %d\n%s", code, errOut)
	}
	// Fixing the lint (Stalwart ignores response with accept) keeps the test green.
	h.set("mail", 200, `{"action":"accept"}`)
	mustRun("test", script)
	// --expect-lints keeps them; then the fixed hook fails.
	lints := filepath.Join(dir, "lints.yaml")
	mustRun("export", "1", "--as", "session", "--expect-lints", "-o", lints)
	code, out, _ = runCLIData(t, data, "", "test", lints)
	if code != exitFailed || !strings.Contains(out, "lint accept-response-ignored was not reported") {
		t.Errorf("--expect-lints: exit %d\n%s", code, out)
	}
}

// TestRepeatedHeadersRoundTrip: a hook adding Delivered-To three times is
// exported with every occurrence; the test passes against it and fails,
// naming the occurrence, when the hook changes the second one.
func TestRepeatedHeadersRoundTrip(t *testing.T) {
	t.Parallel()
	h := newUserHook(t)
	add := func(second string) string {
		return `{"action":"accept","modifications":[` +
			`{"type":"addHeader","name":"Delivered-To","value":"a@example.org"},` +
			`{"type":"addHeader","name":"Delivered-To","value":"` + second + `"},` +
			`{"type":"addHeader","name":"Delivered-To","value":"c@example.org"}]}`
	}
	h.set("data", 200, add("b@example.org"))
	data := t.TempDir()
	if code, out, errOut := runCLIData(t, data, "", "run", "--url", h.url(), "bundled:minimal"); code != exitOK {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, errOut)
	}
	script := filepath.Join(t.TempDir(), "t.yaml")
	if code, _, errOut := runCLIData(t, data, "", "export", "1", "--as", "session", "-o", script); code != exitOK {
		t.Fatalf("export: %s", errOut)
	}
	src, _ := os.ReadFile(script)
	wantContains(t, "exported script", string(src), "Delivered-To: [a@example.org, b@example.org, c@example.org]")
	if code, out, _ := runCLIData(t, data, "", "test", script); code != exitOK {
		t.Fatalf("test against the same hook: exit %d\n%s", code, out)
	}
	h.set("data", 200, add("x@example.org"))
	code, out, _ := runCLIData(t, data, "", "test", script)
	if code != exitFailed {
		t.Fatalf("test against the changed hook: exit %d\n%s", code, out)
	}
	wantContains(t, "test output", out, `header Delivered-To occurs 3 times ("a@example.org", "x@example.org", "c@example.org"), want 3 ("a@example.org", "b@example.org", "c@example.org"); occurrence 2 differs: "x@example.org", want "b@example.org"`)
}

// TestReplayCredentialsAndStages: a run recorded with a Bearer token is
// replayed with the token given again (flag or environment), keeping the
// recorded stages; without it the replay says what to give. A replay at
// other stages says so instead of reporting "not called" differences.
func TestReplayCredentialsAndStages(t *testing.T) {
	t.Parallel()
	h := newUserHook(t)
	data := t.TempDir()
	if code, out, errOut := runCLIData(t, data, "", "run", "--url", h.url(), "--stages", "all", "--bearer", "s3cret", "bundled:hello"); code != exitOK {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut := runCLIData(t, data, "", "replay", "1")
	if code != exitUsage || !strings.Contains(out+errOut, "give --bearer TOKEN or set HOOKSIM_BEARER") || strings.Contains(out, "run #1: run #1") {
		t.Errorf("replay without the token: exit %d\n%s\n%s", code, out, errOut)
	}
	before, _ := h.calls()
	code, out, errOut = runCLIEnv(t, data, map[string]string{"HOOKSIM_BEARER": "s3cret"}, "", "replay", "1")
	if code != exitOK {
		t.Fatalf("replay with HOOKSIM_BEARER: exit %d\n%s\n%s", code, out, errOut)
	}
	stages, auth := h.calls()
	replayed := stages[len(before):]
	if len(replayed) != len(before) {
		t.Errorf("the replay made %d calls (%v), the recording %d: recorded stages not kept", len(replayed), replayed, len(before))
	}
	if got := auth[len(auth)-1]; got != "Bearer s3cret" {
		t.Errorf("replay sent Authorization %q", got)
	}
	other := newUserHook(t)
	code, out, errOut = runCLIData(t, data, "", "replay", "--url", other.url(), "--bearer", "s3cret", "1")
	if code != exitOK || strings.Contains(out, "not called") {
		t.Fatalf("replay --url keeps the stages: exit %d\n%s\n%s", code, out, errOut)
	}
	if s, _ := other.calls(); len(s) != len(before) {
		t.Errorf("replay --url made %d calls, want %d", len(s), len(before))
	}
	code, out, errOut = runCLIData(t, data, "", "replay", "--url", other.url(), "--bearer", "s3cret", "--stages", "data", "1")
	if code != exitOK {
		t.Fatalf("replay at data only: exit %d\n%s\n%s", code, out, errOut)
	}
	if strings.Contains(out, "not called") || !regexp.MustCompile(`the replay calls hook \S+ at data, the recording called it at connect, ehlo, mail, rcpt, data; its exchanges at connect, ehlo, mail, rcpt are not compared`).MatchString(out) {
		t.Errorf("replay at data only:\n%s", out)
	}
}

// TestShowRawNumbers: the transcript numbers every exchange, and show
// --raw names the range when asked for one that does not exist.
func TestShowRawNumbers(t *testing.T) {
	t.Parallel()
	h := newUserHook(t)
	data := t.TempDir()
	code, out, errOut := runCLIData(t, data, "", "run", "--url", h.url(), "--stages", "all", "bundled:hello")
	if code != exitOK {
		t.Fatalf("run: exit %d\n%s", code, errOut)
	}
	wantContains(t, "transcript", out, "     #1 hook ", " at connect:", "     #5 hook ", " at data:")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"show", "1", "--raw", "9"}, "run #1 has exchanges 1 to 5 (hooksim show 1 numbers them), not 9"},
		{[]string{"show", "1", "--raw", "0"}, "run #1 has exchanges 1 to 5"},
		{[]string{"show", "7", "--raw", "1"}, "no run #7 in "},
	} {
		code, _, errOut := runCLIData(t, data, "", tc.args...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tc.args, code, errOut, tc.want)
		}
	}
	// With --db, the hint names it.
	db := filepath.Join(t.TempDir(), "x.db")
	if code, _, errOut := runCLIData(t, data, "", "run", "--db", db, "--url", h.url(), "bundled:hello"); code != exitOK {
		t.Fatalf("run --db: exit %d\n%s", code, errOut)
	}
	want := "(hooksim show --db " + db + " 1 numbers them)"
	if code, _, errOut := runCLIData(t, data, "", "show", "--db", db, "1", "--raw", "9"); code != exitUsage || !strings.Contains(errOut, want) {
		t.Errorf("show --db: exit %d, stderr %q, want %q", code, errOut, want)
	}
	// export -o into a folder that does not exist yet creates it.
	script := filepath.Join(t.TempDir(), "new", "tests", "hello.yaml")
	if code, _, errOut := runCLIData(t, data, "", "export", "1", "--as", "session", "-o", script); code != exitOK {
		t.Fatalf("export into a new folder: exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(script); err != nil {
		t.Error(err)
	}
}

// TestFlagMistakes: common mistakes get a message that says what to do.
func TestFlagMistakes(t *testing.T) {
	t.Parallel()
	h := newUserHook(t)
	host := strings.TrimSuffix(strings.TrimPrefix(h.url(), "http://"), "/")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--url", host}, "has no scheme: write http://" + host},
		{[]string{"run", "--url", h.url(), "--timeout", "5"}, "--timeout 5: give a unit, such as 5s or 5ms"},
		{[]string{"runs", "--stage", "dta"}, `--stage "dta": want one of connect, ehlo, mail, rcpt, data`},
		{[]string{"runs", "--action", "rejected"}, `--action "rejected": want one of accept, reject`},
		{[]string{"runs", "--db", filepath.Join(t.TempDir(), "typo.db")}, "no such history database"},
		{[]string{"replay", "--since", "1d", "--stage", "helo"}, `--stage "helo"`},
	} {
		code, _, errOut := runCLI(t, "", tc.args...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tc.args, code, errOut, tc.want)
		}
	}
}

// TestRefusedAtConnectRoundTrip: a hook that refuses at connect closes
// the connection; the steps after it are not sent, which is no failure:
// a script expecting the refusal passes, and so does its export.
func TestRefusedAtConnectRoundTrip(t *testing.T) {
	t.Parallel()
	h := newUserHook(t)
	h.set("connect", 200, `{"action":"reject","response":{"status":554,"message":"go away"}}`)
	dir := t.TempDir()
	script := writeFile(t, dir, "conn.yaml", "hooks:\n  - url: "+h.url()+"\n    stages: [connect]\nsteps:\n  - connect:\n    expect: {action: reject, reply: \"554 go away\"}\n  - ehlo: a.example\n  - quit\n")
	if code, out, errOut := runCLI(t, "", "test", script); code != exitOK {
		t.Fatalf("test: exit %d\n%s\n%s", code, out, errOut)
	}
	data := t.TempDir()
	code, out, _ := runCLIData(t, data, "", "run", "--url", h.url(), "--stages", "connect", "bundled:hello")
	if code != exitOK || !strings.Contains(out, "(the connection is closed: the steps after this are not sent)") {
		t.Fatalf("run: exit %d\n%s", code, out)
	}
	// The counts say how many steps were not sent, in run and in show.
	shown := mustRun(t, data, "show", "1")
	for name, text := range map[string]string{"run": out, "show": shown} {
		if !strings.Contains(text, "6 steps (5 not sent), 1 hook call") {
			t.Errorf("%s does not count the steps not sent:\n%s", name, text)
		}
	}
	exported := filepath.Join(dir, "exported.yaml")
	if code, _, errOut := runCLIData(t, data, "", "export", "1", "--as", "session", "-o", exported); code != exitOK {
		t.Fatalf("export: %s", errOut)
	}
	if code, out, errOut := runCLIData(t, data, "", "test", exported); code != exitOK {
		t.Fatalf("test of the export: exit %d\n%s\n%s", code, out, errOut)
	}
	// The other way round: recorded while the hook accepted, tested once it
	// refuses: one line says why the rest was not sent, the others are counted.
	h.set("connect", 200, `{"action":"accept"}`)
	if code, _, errOut := runCLIData(t, data, "", "run", "--url", h.url(), "--stages", "all", "bundled:hello"); code != exitOK {
		t.Fatal(errOut)
	}
	if code, _, errOut := runCLIData(t, data, "", "export", "2", "--as", "session", "-o", exported); code != exitOK {
		t.Fatal(errOut)
	}
	h.set("connect", 200, `{"action":"reject","response":{"status":554,"message":"go away"}}`)
	code, out, _ = runCLIData(t, data, "", "test", exported)
	if code != exitFailed || strings.Count(out, "not sent, so its expectations cannot hold") != 1 || !strings.Contains(out, "(and 4 steps after it, not sent either)") {
		t.Errorf("test against a hook that now refuses: exit %d\n%s", code, out)
	}
}

// TestURLPassword: a hook URL with a password is recorded without it; a
// replay or an exported script asks for it (HOOKSIM_BASIC) and sends the
// real one, never the redaction mark.
func TestURLPassword(t *testing.T) {
	t.Parallel()
	h := newUserHook(t)
	withPass := strings.Replace(h.url(), "http://", "http://alice:S3cret@", 1)
	data := t.TempDir()
	if code, _, errOut := runCLIData(t, data, "", "run", "--url", withPass, "bundled:minimal"); code != exitOK {
		t.Fatalf("run: %s", errOut)
	}
	want := "Basic YWxpY2U6UzNjcmV0" // alice:S3cret
	if _, auth := h.calls(); len(auth) != 1 || auth[0] != want {
		t.Fatalf("the run sent %q", auth)
	}
	code, out, errOut := runCLIData(t, data, "", "replay", "1")
	if code != exitUsage || !strings.Contains(out+errOut, "had a password in its URL") {
		t.Errorf("replay without the password: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, out, errOut := runCLIEnv(t, data, map[string]string{"HOOKSIM_BASIC": "alice:S3cret"}, "", "replay", "1"); code != exitOK {
		t.Fatalf("replay with HOOKSIM_BASIC: exit %d\n%s\n%s", code, out, errOut)
	}
	script := filepath.Join(t.TempDir(), "t.yaml")
	if code, _, errOut := runCLIData(t, data, "", "export", "1", "--as", "session", "-o", script); code != exitOK {
		t.Fatalf("export: exit %d: %s", code, errOut)
	}
	src, _ := os.ReadFile(script)
	if strings.Contains(string(src), "S3cret") || strings.Contains(string(src), "xxxxx") || !strings.Contains(string(src), "url: http://alice@") {
		t.Errorf("exported URL:\n%s", src)
	}
	if code, out, errOut := runCLIEnv(t, data, map[string]string{"HOOKSIM_BASIC": "alice:S3cret"}, "", "test", script); code != exitOK {
		t.Fatalf("test of the export: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, a := range func() []string { _, a := h.calls(); return a }() {
		if a != want {
			t.Errorf("a call sent Authorization %q, want %q", a, want)
		}
	}
}

// TestNoTerminalEscapes: what a hook sends (a reply with ESC, CR and BEL,
// a header name with a C1 control, a body with invalid UTF-8) is shown
// escaped by run, -v, test and check, never as raw control bytes.
func TestNoTerminalEscapes(t *testing.T) {
	t.Parallel()
	h := newUserHook(t)
	evil := `{"action":"reject","response":{"status":550,"message":"\u001b[2J\u001b]0;pwned\u0007 go\r\n250 OK fake \u009b1m \u202e"}}`
	h.set("mail", 200, evil)
	h.set("data", 200, "{\"action\":\"accept\",\"modifications\":[{\"type\":\"addHeader\",\"name\":\"X-\u009bA\",\"value\":\"\xff\"}]}")
	raw := func(s string) bool { return strings.ContainsAny(s, "\x1b\x07\r\u009b\u202e") || !utf8.ValidString(s) }
	_, out, _ := runCLI(t, "", "run", "-v", "--url", h.url(), "--stages", "all", "bundled:blocked-sender", "bundled:minimal")
	if raw(out) {
		t.Errorf("run -v printed raw control bytes:\n%q", out)
	}
	wantContains(t, "run -v", out, `S: "550 \x1b[2J\x1b]0;pwned\a go\r\n250 OK fake \u009b1m \u202e"`, "[reply-line-break] response.message")
	dir := t.TempDir()
	script := writeFile(t, dir, "t.yaml", "steps:\n  - mail: a@example.org\n    expect: {action: accept}\n")
	_, out, _ = runCLI(t, "", "test", "-v", "--url", h.url(), "--stages", "mail", script)
	if raw(out) {
		t.Errorf("test printed raw control bytes:\n%q", out)
	}
	_, out, _ = runCLI(t, evil, "check", "--stage", "mail", "-")
	if raw(out) || !strings.Contains(out, `\x1b[2J`) {
		t.Errorf("check printed raw control bytes:\n%q", out)
	}
}

// TestSpecialFiles: a FIFO among the scripts, or a device as a message,
// is an error for that script, never a hang or an out-of-memory crash.
func TestSpecialFiles(t *testing.T) {
	t.Parallel()
	h := newUserHook(t)
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.yaml"), 0o644); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	writeFile(t, dir, "zero.yaml", "data: /dev/zero\n")
	writeFile(t, dir, "ok.yaml", "data: {inline: \"From: a@example.org\\nTo: b@example.org\\nSubject: x\\n\\nhi\\n\"}\n")
	code, out, errOut := runCLI(t, "", "test", "--url", h.url(), dir)
	if code != exitUsage {
		t.Errorf("exit %d, want 2\n%s\n%s", code, out, errOut)
	}
	wantContains(t, "test output", out, "ERROR fifo", "is not a regular file", "ERROR zero", "read message /dev/zero: is not a regular file", "ok    ok", "1 passed, 0 failed, 2 errored")
	code, _, errOut = runCLI(t, "", "check", "/dev/zero")
	if code != exitUsage || !strings.Contains(errOut, "is not a regular file") {
		t.Errorf("check /dev/zero: exit %d: %s", code, errOut)
	}
}

// TestReplayLimitCountsOriginals: replays pile up in the history; --limit
// and the filters still select original runs.
func TestReplayLimitCountsOriginals(t *testing.T) {
	t.Parallel()
	h := newUserHook(t)
	data := t.TempDir()
	for range 2 {
		if code, _, errOut := runCLIData(t, data, "", "run", "--url", h.url(), "bundled:minimal"); code != exitOK {
			t.Fatal(errOut)
		}
	}
	for range 3 {
		if code, out, errOut := runCLIData(t, data, "", "replay", "--all"); code != exitOK {
			t.Fatalf("replay --all: exit %d\n%s\n%s", code, out, errOut)
		}
	}
	code, out, errOut := runCLIData(t, data, "", "replay", "--since", "1d", "--limit", "1")
	if code != exitOK || !strings.Contains(out, "#2") || strings.Contains(out, "#1 ") {
		t.Errorf("replay --limit 1 after 6 replays: exit %d\n%s\n%s", code, out, errOut)
	}
}

// TestOutKeepsEveryMessage: two scripts with the same name write two
// .eml files with --out.
func TestOutKeepsEveryMessage(t *testing.T) {
	t.Parallel()
	h := newUserHook(t)
	dir := t.TempDir()
	msg := "data: {inline: \"From: a@example.org\\nTo: b@example.org\\nSubject: %s\\n\\nhi\\n\"}\n"
	for _, sub := range []string{"a", "b"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, sub), "t.yaml", fmt.Sprintf(msg, sub))
	}
	out := filepath.Join(dir, "out")
	if code, _, errOut := runCLI(t, "", "run", "--url", h.url(), "--out", out, filepath.Join(dir, "a", "t.yaml"), filepath.Join(dir, "b", "t.yaml")); code != exitOK {
		t.Fatal(errOut)
	}
	files, _ := filepath.Glob(filepath.Join(out, "*.eml"))
	if len(files) != 2 {
		t.Fatalf("files %v, want 2", files)
	}
}

// replay --all leaves out the runs that did not finish, and says which
// (fresh user's finding: an interrupted run was left out without a word).
func TestReplayAllNamesUnfinishedRuns(t *testing.T) {
	t.Parallel()
	h := newUserHook(t)
	data := t.TempDir()
	if code, _, errOut := runCLIData(t, data, "", "run", "--url", h.url(), "bundled:minimal"); code != exitOK {
		t.Fatal(errOut)
	}
	// A run still running: this process, alive, is its recorder.
	st, err := store.Open(context.Background(), filepath.Join(data, "hooksim", "hooksim.db"))
	if err != nil {
		t.Fatal(err)
	}
	id, err := st.CreateRun(context.Background(), &store.Run{SessionName: "minimal", Started: time.Now()})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLIData(t, data, "", "replay", "--all", "--no-record", "--url", h.url())
	want := fmt.Sprintf("left out, not finished: #%d (running)", id)
	if code != exitOK || !strings.Contains(errOut, want) || !strings.Contains(out, "#1") || strings.Contains(out, fmt.Sprintf("#%d ", id)) {
		t.Errorf("replay --all: exit %d, want the note %q\n%s\n%s", code, want, out, errOut)
	}
}
