package main

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/hooksim/hooksim/recorder/report"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hooksim/hooksim/cmd/hooksim/internal/examplehook"
)

// runCLI runs hooksim in-process and returns its exit code and output.
// The default history database lives in a fresh temporary folder.
func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runCLIData(t, t.TempDir(), stdin, args...)
}

// runCLIData is runCLI with $XDG_DATA_HOME set to dataHome.
func runCLIData(t *testing.T, dataHome, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runCLIEnv(t, dataHome, nil, stdin, args...)
}

// exampleHook starts the example hook on a free loopback port.
func exampleHook(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addr, done, err := examplehook.Serve(ctx, "127.0.0.1:0", examplehook.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); <-done })
	return "http://" + addr.String() + "/"
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCLIExitCodes(t *testing.T) {
	t.Parallel()
	url := exampleHook(t)
	dir := t.TempDir()
	badSession := writeFile(t, dir, "bad.yaml", "steps:\n  - connect\n  - rcpt: \"bill@\"\n")
	badHooks := writeFile(t, dir, "hooks.json", "[\n  {\"url\": \"http://127.0.0.1:1/\",\n   \"stages\": {\"dta\": true}}\n]\n")
	wrongExpect := writeFile(t, dir, "wrong.yaml", "steps:\n  - mail: john@blocked.example\n    expect: {action: accept, code: 250}\n  - rcpt: bill@example.org\n")
	goodHooks := writeFile(t, dir, "good.json", `{"url": "`+url+`", "stages": {"connect": true, "ehlo": true, "mail": true, "rcpt": true, "data": true}}`)
	tests := []struct {
		name    string
		stdin   string
		args    []string
		code    int
		wantOut []string
		wantErr []string
	}{
		{"no arguments", "", nil, exitUsage, []string{"Usage: hooksim COMMAND"}, nil},
		{"help", "", []string{"--help"}, exitOK, []string{"Commands:", "demo"}, nil},
		{"unknown command", "", []string{"frobnicate"}, exitUsage, nil, []string{`unknown command "frobnicate"`}},
		{"run help", "", []string{"run", "--help"}, exitOK, []string{"Examples:", "--stages"}, nil},
		{"run without a hook", "", []string{"run"}, exitUsage, nil, []string{"no hook to call"}},
		{"bad flag", "", []string{"run", "--nope"}, exitUsage, nil, []string{"flag provided but not defined: -nope"}},
		{"bad session file", "", []string{"run", "--url", url, badSession}, exitUsage, nil, []string{"bad.yaml:3: steps[1].rcpt: "}},
		{"missing session file", "", []string{"run", "--url", url, filepath.Join(dir, "nope.yaml")}, exitUsage, nil, []string{"nope.yaml"}},
		{"unknown bundled session", "", []string{"run", "--url", url, "bundled:nope"}, exitUsage, nil, []string{"nope"}},
		{"bad hook config", "", []string{"run", "--hooks", badHooks}, exitUsage, nil, []string{"hooks.json:3: ", "stages", `"dta"`}},
		{"bad stage flag", "", []string{"run", "--url", url, "--stages", "data,helo"}, exitUsage, nil, []string{"helo"}},
		{"stages without url", "", []string{"run", "--stages", "all"}, exitUsage, nil, []string{"go with --url"}},
		{"expectation fails", "", []string{"run", "--url", url, "--stages", "all", wrongExpect}, exitFailed,
			[]string{"action reject, want accept", `reply "550 5.7.1 Sender blocked by policy", want code 250`, "1 failed"}, nil},
		{"no-expect ignores expectations", "", []string{"run", "--url", url, "--stages", "all", "--no-expect", wrongExpect}, exitOK, []string{"1 session played, no expectations checked"}, nil},
		{"bundled session with a config file", "", []string{"run", "--expect", "--hooks", goodHooks, "bundled:spam-tagged", "bundled:blocked-sender"}, exitOK,
			[]string{"2 sessions: 2 passed, 0 failed", "changeHeader #1 Subject", "550 5.7.1 Sender blocked by policy"}, nil},
		{"quiet", "", []string{"run", "-q", "--expect", "--url", url, "--stages", "all", "bundled:hello"}, exitOK, []string{"1 session: 1 passed"}, nil},
		{"check valid", `{"action":"reject","response":{"status":550,"enhanced_status":"5.7.1","message":"Go away"}}`, []string{"check", "--stage", "mail", "-"}, exitOK,
			[]string{"valid: action reject", "the client hears: 550 5.7.1 Go away"}, nil},
		{"check docs spelling", `{"action":"accept","modifications":[{"type":"addRcpt","value":"a@b.c"}]}`, []string{"check", "-"}, exitFailed,
			[]string{`invalid: modifications[0].type: unknown type "addRcpt"`, "451 4.3.5 Unable to accept message at this time.", "lint [docs-mod-type]"}, nil},
		{"check lints", `{"action":"reject","response":{"status":550,"enhancedStatus":"5.7.1","message":"no"}}`, []string{"check", "--stage", "rcpt", "-"}, exitOK,
			[]string{"the client hears: 550 no", "enhanced-status-camel"}, nil},
		{"check bad stage", `{}`, []string{"check", "--stage", "helo", "-"}, exitUsage, nil, []string{`--stage "helo"`}},
		{"sessions list", "", []string{"sessions"}, exitOK, []string{"minimal", "spam-tagged", "two-transactions"}, nil},
		{"sessions show", "", []string{"sessions", "minimal"}, exitOK, []string{"data: # minimal.eml, inline", "  inline: |"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCLI(t, tc.stdin, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, out, errOut)
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
}

// TestDemo plays every bundled session against the example hook: they
// must all pass, as the README promises.
func TestDemo(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCLI(t, "", "demo", "--once", "-q")
	if code != exitOK {
		t.Fatalf("demo exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "12 sessions: 12 passed, 0 failed") {
		t.Errorf("demo summary:\n%s", out)
	}
}

func TestRunJSONReportAndOut(t *testing.T) {
	t.Parallel()
	url := exampleHook(t)
	dir := t.TempDir()
	reportPath := filepath.Join(dir, "report.json")
	outDir := filepath.Join(dir, "out")
	code, out, errOut := runCLI(t, "", "run", "--url", url, "--stages", "all", "--bearer", "s3cr3t-token",
		"--json", reportPath, "--out", outDir, "bundled:spam-tagged", "bundled:eight-bit")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	data, err := os.ReadFile(reportPath)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte("s3cr3t-token")) {
		t.Error("the report contains the bearer token")
	}
	var rep report.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatalf("report is not valid JSON: %v", err)
	}
	if rep.Version != report.Version || rep.Summary.Sessions != 2 || rep.Summary.Passed != 2 || len(rep.Hooks) != 1 {
		t.Errorf("report header %+v", rep.Summary)
	}
	s := rep.Sessions[0]
	first := s.Steps[0].Exchanges[0]
	if first.Stage != "connect" || first.Outcome != "accept" || first.Response.Status != 200 {
		t.Errorf("first exchange %+v", first)
	}
	if first.Request.Text == nil || !strings.HasPrefix(*first.Request.Text, `{"context":{"stage":"connect","client":`) {
		t.Errorf("request body %v", first.Request.Text)
	}
	auth := ""
	for _, h := range first.Request.Headers {
		if h[0] == "authorization" {
			auth = h[1]
		}
	}
	if auth != "Bearer ****" {
		t.Errorf("authorization header in report %q, want redacted", auth)
	}
	tx := s.Transactions[0]
	if !tx.Delivered || tx.Final == nil || tx.Final.Text == nil || !strings.Contains(*tx.Final.Text, "X-Spam-Flag: YES\r\n") {
		t.Errorf("final message %+v", tx.Final)
	}
	// The 8-bit message is not valid UTF-8: it must travel as base64.
	eight := rep.Sessions[1].Transactions[0]
	if eight.Original.Base64 == nil || eight.Original.Text != nil {
		t.Errorf("8-bit original should be base64: %+v", eight.Original)
	}
	eml, err := os.ReadFile(filepath.Join(outDir, "spam-tagged-1.eml"))
	if err != nil {
		t.Fatal(err)
	}
	// The .eml is the message as queued: Stalwart's headers (port 25, no
	// Message-ID in the message as received), then the message as the
	// hook left it. The changeHeader puts Stalwart in rewrite mode, where
	// addHeaders come out in reverse order.
	if tx.Queued == nil || tx.Queued.Text == nil || *tx.Queued.Text+"\r\n" != string(eml) {
		t.Errorf("the .eml is not the report's queued message:\n%s", eml)
	}
	if !bytes.HasPrefix(eml, []byte("Received: from promo.example.com (unknown [198.51.100.66])\r\n")) ||
		!regexp.MustCompile(`\r\nReturn-Path: <prizes@promo\.example\.com>\r\nMessage-ID: <[0-9a-f]+\.[0-9a-f]+\.[0-9a-f]+@mx\.example\.org>\r\nX-Spam-Flag: YES\r\nX-Spam-Score: 6\.0\r\n`).Match(eml) ||
		!bytes.Contains(eml, []byte("\r\nSubject: [SPAM] You are a WINNER\r\n")) {
		t.Errorf("queued .eml:\n%s", eml)
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestDemoServes runs demo with its web view: the printed URL answers,
// lists every bundled session's run, and Ctrl-C (ctx) stops it cleanly.
func TestDemoServes(t *testing.T) {
	t.Parallel()
	var out, errOut syncBuffer
	dataHome := t.TempDir()
	env := &cliEnv{stdout: &out, stderr: &errOut, stdin: strings.NewReader(""),
		getenv: func(k string) (string, bool) {
			if k == "XDG_DATA_HOME" {
				return dataHome, true
			}
			return "", false
		}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	codec := make(chan int, 1)
	go func() { codec <- runMain(ctx, env, []string{"demo", "-q"}) }()
	urlRE := regexp.MustCompile(`web view on (http://127\.0\.0\.1:\d+/)`)
	deadline := time.Now().Add(30 * time.Second)
	var base string
	for base == "" {
		if m := urlRE.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("no URL printed:\n%s\n%s", out.String(), errOut.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	for !strings.Contains(out.String(), "Ctrl-C to stop") {
		if time.Now().After(deadline) {
			t.Fatalf("demo did not finish playing:\n%s\n%s", out.String(), errOut.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(out.String(), "12 sessions: 12 passed, 0 failed") {
		t.Errorf("demo summary:\n%s", out.String())
	}
	resp, err := http.Get(base + "api/v1/runs")
	if err != nil {
		t.Fatal(err)
	}
	var page struct {
		Runs []struct {
			Session string `json:"session"`
			Outcome string `json:"outcome"`
		} `json:"runs"`
	}
	err = json.NewDecoder(resp.Body).Decode(&page)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET runs: %d %v", resp.StatusCode, err)
	}
	if len(page.Runs) != 12 {
		t.Errorf("the web view lists %d runs, want 12", len(page.Runs))
	}
	for _, r := range page.Runs {
		if r.Outcome != "passed" {
			t.Errorf("run of %s: %s", r.Session, r.Outcome)
		}
	}
	// The SMTP listener it printed takes a message to the example hook,
	// recorded with the rest.
	m := regexp.MustCompile(`SMTP on (127\.0\.0\.1:\d+), calling the example hook.*\n  (swaks --server \S+ --helo client\.example\.net .*)\n`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no SMTP listener and swaks command printed:\n%s", out.String())
	}
	sendMail(t, m[1], capturedMessage)
	for deadline := time.Now().Add(10 * time.Second); ; {
		resp, err := http.Get(base + "api/v1/runs?source=smtp")
		if err != nil {
			t.Fatal(err)
		}
		page.Runs = nil
		json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if len(page.Runs) == 1 && page.Runs[0].Outcome == "passed" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the message sent to the demo's SMTP listener: runs %+v", page.Runs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case code := <-codec:
		if code != exitOK {
			t.Errorf("demo exit %d after Ctrl-C\n%s", code, errOut.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("demo did not stop after Ctrl-C")
	}
	if _, err := http.Get(base + "api/v1/runs"); err == nil {
		t.Error("the web view still answers after the demo stopped")
	}
}

func TestServe(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "h.db")
	code, _, errOut := runCLI(t, "", "serve", "--listen", "0.0.0.0:0", "--db", db)
	if code != exitUsage || !strings.Contains(errOut, "--public") {
		t.Errorf("serve on 0.0.0.0 without --public: exit %d, %s", code, errOut)
	}
	var out, errBuf syncBuffer
	env := &cliEnv{stdout: &out, stderr: &errBuf, stdin: strings.NewReader(""), getenv: func(string) (string, bool) { return "", false }}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	codec := make(chan int, 1)
	go func() { codec <- runMain(ctx, env, []string{"serve", "--listen", "127.0.0.1:0", "--db", db}) }()
	urlRE := regexp.MustCompile(`on (http://127\.0\.0\.1:\d+/) `)
	var base string
	for deadline := time.Now().Add(10 * time.Second); base == ""; time.Sleep(10 * time.Millisecond) {
		if m := urlRE.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("no URL printed: %s %s", out.String(), errBuf.String())
		}
	}
	resp, err := http.Get(base + "api/v1/runs")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET runs: %v %v", resp, err)
	}
	resp.Body.Close()
	cancel()
	if code := <-codec; code != exitOK {
		t.Errorf("serve exit %d after Ctrl-C: %s", code, errBuf.String())
	}
}

// A --hooks file that is not there is named as such, as a usage error,
// without the Go call chain (hookconf: load ...: stat ...).
func TestMissingHooksFile(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "nope.json")
	code, _, errOut := runCLI(t, "", "run", "--no-record", "--hooks", missing, "bundled:hello")
	if want := "hooksim: --hooks " + missing + ": no such file\n"; code != exitUsage || errOut != want {
		t.Errorf("exit %d, stderr %q; want exit 2 and %q", code, errOut, want)
	}
}
