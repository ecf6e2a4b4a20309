package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/wire"
)

// TestCheckStatus: a non-2xx --status is a hook error whatever the body;
// check prints what the client hears with tempFailOnError true and false
// (the stage's normal reply when the hook is the only one).
func TestCheckStatus(t *testing.T) {
	t.Parallel()
	reject := `{"action":"reject","response":{"status":550,"enhanced_status":"5.1.1","message":"No such user"}}`
	tempFail := "the client hears: 451 4.3.5 Unable to accept message at this time. (tempFailOnError true, the default)"
	tests := []struct {
		name  string
		body  string
		args  []string
		code  int
		want  []string
		wantN []string // must not appear
	}{
		{"403 with a reject body at rcpt", reject, []string{"--status", "403", "--stage", "rcpt"}, exitFailed, []string{
			"invalid: Hook request failed with code 403: Forbidden (a hook error whatever the body: Stalwart reads only 2xx answers)",
			tempFail,
			"otherwise: the hook is skipped and the next one runs; if it is the only hook, the client hears 250 2.1.5 OK (tempFailOnError false)",
			"lint [non-2xx-status] HTTP 403 is a hook error whatever the body",
			"the reject in this body is never read",
			"Fix: send this same body with HTTP 200",
		}, []string{"550 5.1.1 No such user\n", "valid: action"}},
		{"500 at connect", `{"action":"accept"}`, []string{"--status", "500", "--stage", "connect"}, exitFailed, []string{
			tempFail, "if it is the only hook, the client hears 220 <host> Stalwart ESMTP at your service (tempFailOnError false)"}, nil},
		{"503 at ehlo", ``, []string{"--status", "503", "--stage", "ehlo"}, exitFailed, []string{
			"Hook request failed with code 503: Service Unavailable", "the client hears 250-<host> you had me at EHLO",
			`Fix: to refuse, answer HTTP 200 with {"action":"reject","response":{"status":550,"enhanced_status":"5.7.1","message":"..."}}`}, nil},
		{"404 at mail", `not json`, []string{"--status", "404", "--stage", "mail"}, exitFailed, []string{
			"the client hears 250 2.1.0 OK (tempFailOnError false)"}, nil},
		{"302 at data", `{"action":"accept"}`, []string{"--status", "302"}, exitFailed, []string{
			"code 302: Found", "the client hears 250 2.0.0 Message queued with id <queue-id>. (tempFailOnError false)"}, nil},
		{"the default 200", reject, []string{"--stage", "rcpt"}, exitOK, []string{
			"valid: action reject, 0 modifications", "the client hears: 550 5.1.1 No such user"}, []string{"non-2xx-status", "otherwise:"}},
		{"201 is read", `{"action":"accept"}`, []string{"--status", "201", "--stage", "mail"}, exitOK, []string{
			"valid: action accept", "the client hears: 250 2.1.0 OK"}, nil},
		{"a 204 has no body", `{"action":"accept"}`, []string{"--status", "204"}, exitFailed, []string{
			"invalid: empty body", tempFail, "the client hears 250 2.0.0 Message queued with id <queue-id>."}, nil},
		{"header lints need no message", `{"action":"accept","modifications":[{"type":"addHeader","name":"X-Spam","value":"yes\r\nBcc: victim@example.org"}]}`, nil, exitOK, []string{
			"valid: action accept, 1 modification",
			`lint [header-value-line-break] modifications[0].value: a line break not followed by a space or a tab: Stalwart writes it as is, so "Bcc: victim@example.org" becomes a header line of its own (header injection). Fix: `}, nil},
		{"header name", `{"action":"accept","modifications":[{"type":"insertHeader","index":1,"name":"X-A:","value":"v"}]}`, nil, exitOK, []string{
			`lint [header-name-invalid] modifications[0].name: header name "X-A:" has a colon`}, nil},
		{"status too small", `{}`, []string{"--status", "199"}, exitUsage, nil, nil},
		{"status too large", `{}`, []string{"--status", "600"}, exitUsage, nil, nil},
		{"auth is no hook stage", `{"action":"accept"}`, []string{"--stage", "auth"}, exitUsage, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := append(append([]string{"check"}, tc.args...), "-")
			code, out, errOut := runCLI(t, tc.body, args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tc.wantN {
				if strings.Contains(out, w) {
					t.Errorf("output has %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestCheckStatusJSON: --json carries the status, both replies and the lint.
func TestCheckStatusJSON(t *testing.T) {
	t.Parallel()
	for _, stage := range []wire.Stage{wire.StageConnect, wire.StageEhlo, wire.StageMail, wire.StageRcpt, wire.StageData} {
		t.Run(string(stage), func(t *testing.T) {
			t.Parallel()
			code, out, _ := runCLI(t, `{"action":"reject"}`, "check", "--json", "--status", "500", "--stage", string(stage), "-")
			if code != exitFailed {
				t.Fatalf("exit %d\n%s", code, out)
			}
			var res struct {
				HTTPStatus    int         `json:"http_status"`
				Valid         bool        `json:"valid"`
				Error         string      `json:"error"`
				Reply         string      `json:"reply"`
				ReplyNoTemp   string      `json:"reply_without_tempfail"`
				ReplyOnlyHook string      `json:"reply_without_tempfail_only_hook"`
				Lints         []wire.Lint `json:"lints"`
			}
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if res.HTTPStatus != 500 || res.Valid || !strings.Contains(res.Error, "code 500: Internal Server Error") {
				t.Errorf("status %d valid %v error %q", res.HTTPStatus, res.Valid, res.Error)
			}
			if !strings.HasPrefix(res.Reply, simulator.ReplyHookTempFail) {
				t.Errorf("reply %q", res.Reply)
			}
			if res.ReplyOnlyHook != simulator.NormalReply(stage) || !strings.Contains(res.ReplyNoTemp, res.ReplyOnlyHook) {
				t.Errorf("without tempfail %q / %q, want %q", res.ReplyNoTemp, res.ReplyOnlyHook, simulator.NormalReply(stage))
			}
			if len(res.Lints) != 1 || res.Lints[0].Code != simulator.LintHTTPStatus || res.Lints[0].Fix == "" {
				t.Errorf("lints %+v", res.Lints)
			}
		})
	}
	// A 2xx answer says its status too.
	_, out, _ := runCLI(t, `{"action":"accept"}`, "check", "--json", "-")
	if !strings.Contains(out, `"http_status": 200`) || !strings.Contains(out, `"valid": true`) {
		t.Errorf("200: %s", out)
	}
}

// TestCheckHelpExamples runs every example of check --help as written
// (standard input from echo, response.json from a file): none is a usage
// error, and each exits as its body deserves.
func TestCheckHelpExamples(t *testing.T) {
	t.Parallel()
	_, help, _ := runCLI(t, "", "check", "--help")
	dir := t.TempDir()
	file := writeFile(t, dir, "response.json", `{"action":"accept"}`)
	_, examples, ok := strings.Cut(help, "\nExamples:\n")
	if !ok {
		t.Fatalf("no examples in:\n%s", help)
	}
	n := 0
	for _, line := range strings.Split(examples, "\n") {
		line = strings.TrimSpace(line)
		if !strings.Contains(line, "hooksim check") {
			continue
		}
		n++
		stdin := ""
		cmd := line
		if strings.HasPrefix(line, "echo '") {
			body, rest, ok := strings.Cut(strings.TrimPrefix(line, "echo '"), "' | ")
			if !ok {
				t.Fatalf("cannot read example %q", line)
			}
			stdin, cmd = body+"\n", rest
		}
		args := strings.Fields(strings.TrimPrefix(cmd, "hooksim "))
		for i, a := range args {
			if a == "response.json" {
				args[i] = filepath.Clean(file)
			}
		}
		code, out, errOut := runCLI(t, stdin, args...)
		if code != exitOK && code != exitFailed {
			t.Errorf("example %q: exit %d\n%s%s", line, code, out, errOut)
		}
		if !strings.Contains(out, "the client hears: ") {
			t.Errorf("example %q says nothing of the reply:\n%s", line, out)
		}
	}
	if n < 4 {
		t.Errorf("found %d examples in:\n%s", n, help)
	}
}
