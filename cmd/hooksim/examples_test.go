package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hooksim/hooksim/sessions"
)

// example is one command line of a --help text's examples.
type example struct {
	command string // the subcommand whose help shows it
	line    string
	env     map[string]string
	stdin   string
	args    []string // after "hooksim"
	stdout  string   // "> FILE" target, "" for none
}

// helpExamples collects the examples every command's --help shows.
func helpExamples(t *testing.T) []example {
	t.Helper()
	var out []example
	for _, c := range commands() {
		code, help, _ := runCLI(t, "", c.name, "--help")
		if code != exitOK {
			t.Fatalf("%s --help: exit %d", c.name, code)
		}
		_, text, ok := strings.Cut(help, "\nExamples:\n")
		if !ok {
			t.Errorf("%s --help has no examples", c.name)
			continue
		}
		for _, line := range strings.Split(text, "\n") {
			line = strings.TrimSpace(stripComment(line))
			if line == "" {
				continue
			}
			ex, err := parseExample(line)
			if errors.Is(err, errNotHooksim) {
				continue // a shell line (sh replay.sh): TestRawAndCurlExamplesRun runs those with bash
			}
			if err != nil {
				t.Errorf("%s --help: %q: %v", c.name, line, err)
				continue
			}
			ex.command = c.name
			out = append(out, ex)
		}
	}
	return out
}

// stripComment drops a shell comment (a # after a blank, outside quotes).
func stripComment(line string) string {
	quote := byte(0)
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '#' && (i == 0 || line[i-1] == ' '):
			return line[:i]
		}
	}
	return line
}

var errNotHooksim = errors.New("not a hooksim command")

// parseExample reads "[VAR=value ...] [echo 'x' |] hooksim ARGS [> FILE]".
func parseExample(line string) (example, error) {
	ex := example{line: line, env: map[string]string{}}
	if pre, rest, ok := strings.Cut(line, "|"); ok && strings.HasPrefix(pre, "echo ") {
		words, err := shellWords(strings.TrimPrefix(pre, "echo "))
		if err != nil || len(words) != 1 {
			return ex, fmt.Errorf("bad echo: %v", err)
		}
		ex.stdin = words[0] + "\n"
		line = rest
	}
	words, err := shellWords(line)
	if err != nil {
		return ex, err
	}
	for len(words) > 0 && strings.Contains(words[0], "=") && !strings.HasPrefix(words[0], "-") {
		k, v, _ := strings.Cut(words[0], "=")
		ex.env[k] = v
		words = words[1:]
	}
	if len(words) == 0 || words[0] != "hooksim" {
		return ex, errNotHooksim
	}
	words = words[1:]
	if n := len(words); n >= 2 && words[n-2] == ">" {
		ex.stdout, words = words[n-1], words[:n-2]
	}
	ex.args = words
	return ex, nil
}

// shellWords splits like a POSIX shell for the simple quoting examples use.
func shellWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	in, quote := false, byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote, in = c, true
		case c == ' ' || c == '\t':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated quote")
	}
	if in {
		words = append(words, cur.String())
	}
	return words, nil
}

// longRunning are the examples that serve until Ctrl-C.
func longRunning(ex example) bool {
	if len(ex.args) == 0 {
		return false
	}
	switch ex.args[0] {
	case "serve", "example-hook", "smtp", "proxy":
		return true
	case "demo":
		for _, a := range ex.args {
			if a == "--once" {
				return false
			}
		}
		return true
	}
	return false
}

// TestHelpExamplesRun runs every example of every --help as written, in a
// folder holding the files they name and a history with the runs they
// name; the hooks they address are example hooks on free loopback ports
// (their addresses, and every --listen address, are swapped for free ones).
// Each must exit 0; those that serve until Ctrl-C must start and stop.
func TestHelpExamplesRun(t *testing.T) {
	hookA, hookB := exampleHook(t), exampleHook(t)
	dir := t.TempDir()
	t.Chdir(dir)
	data := filepath.Join(dir, "data")
	// The history: more than 42 runs, every stage, against hook A.
	for range 4 {
		if code, out, errOut := runCLIData(t, data, "", "run", "-q", "--url", hookA, "--stages", "all"); code != exitOK {
			t.Fatalf("seeding runs: exit %d\n%s\n%s", code, out, errOut)
		}
	}
	spam, err := sessions.BundledInline("spam-tagged")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "spam.yaml", string(spam))
	writeFile(t, dir, "mtahook.json", `{"url": "`+hookA+`", "stages": {"connect": true, "ehlo": true, "mail": true, "rcpt": true, "data": true}}`)
	writeFile(t, dir, "response.json", `{"action":"accept","modifications":[{"type":"addHeader","name":"X-Checked","value":"yes"}]}`)
	if err := os.MkdirAll(filepath.Join(dir, "tests"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, id := range map[string]string{"spam": "10", "bounce": "3"} {
		if code, _, errOut := runCLIData(t, data, "", "export", id, "--as", "session", "-o", filepath.Join("tests", name+".yaml")); code != exitOK {
			t.Fatalf("seeding tests/: %s", errOut)
		}
	}
	hostA := strings.TrimSuffix(strings.TrimPrefix(hookA, "http://"), "/")
	hostB := strings.TrimSuffix(strings.TrimPrefix(hookB, "http://"), "/")
	examples := helpExamples(t)
	if len(examples) < 20 {
		t.Fatalf("only %d examples found", len(examples))
	}
	for _, ex := range examples {
		args := make([]string, len(ex.args))
		for i, a := range ex.args {
			a = strings.ReplaceAll(a, "127.0.0.1:8025", hostA)
			a = strings.ReplaceAll(a, "127.0.0.1:9000", hostB)
			if i > 0 && (ex.args[i-1] == "--listen" || ex.args[i-1] == "--tls-listen" || ex.args[i-1] == "--web") {
				a = "127.0.0.1:0"
			}
			args[i] = a
		}
		if len(args) > 0 && (args[0] == "serve" || args[0] == "smtp") && !contains(args, "--listen") {
			args = append(args, "--listen", "127.0.0.1:0")
		}
		env := map[string]string{}
		for k, v := range ex.env {
			env[k] = v
		}
		if len(ex.args) > 0 && ex.args[0] == "demo" {
			// A demo's runs call an example hook that is gone once it
			// stops: keep them out of the history the replays use.
			data := filepath.Join(dir, "demo-data")
			if !longRunning(ex) {
				if code, out, errOut := runCLIEnv(t, data, env, ex.stdin, args...); code != exitOK {
					t.Errorf("%s (from demo --help): exit %d\n%s\n%s", ex.line, code, out, errOut)
				}
				continue
			}
			if code, out := runUntilListening(t, data, env, args); code != exitOK {
				t.Errorf("%s (from demo --help): exit %d when stopped\n%s", ex.line, code, out)
			}
			continue
		}
		if longRunning(ex) {
			code, out := runUntilListening(t, data, env, args)
			if code != exitOK {
				t.Errorf("%s (from %s --help): exit %d when stopped\n%s", ex.line, ex.command, code, out)
			}
			continue
		}
		code, out, errOut := runCLIEnv(t, data, env, ex.stdin, args...)
		// check exits 1, as documented, for a body Stalwart treats as a hook error.
		if code != exitOK && !(args[0] == "check" && code == exitFailed) {
			t.Errorf("%s (from %s --help): exit %d\nstdout:\n%s\nstderr:\n%s", ex.line, ex.command, code, out, errOut)
			continue
		}
		if ex.stdout != "" {
			if err := os.WriteFile(ex.stdout, []byte(out), 0o644); err != nil {
				t.Errorf("%s: %v", ex.line, err)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// runUntilListening runs a command that serves until Ctrl-C, waits until
// it prints an address, then cancels it, and returns its exit code.
func runUntilListening(t *testing.T, data string, vars map[string]string, args []string) (int, string) {
	t.Helper()
	var out syncBuffer
	env := &cliEnv{stdout: &out, stderr: &out, stdin: strings.NewReader(""),
		getenv: func(k string) (string, bool) {
			if k == "XDG_DATA_HOME" {
				return data, true
			}
			v, ok := vars[k]
			return v, ok
		}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- runMain(ctx, env, args) }()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "http://") && !strings.Contains(out.String(), "listening") {
		select {
		case code := <-done:
			return code, out.String()
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			<-done
			return -1, "never printed an address:\n" + out.String()
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	return <-done, out.String()
}
