package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// paramsHook is a loopback hook answering the data stage with answer and
// accepting every other stage.
func paramsHook(t *testing.T, answer string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		if strings.Contains(string(body), `"stage":"data"`) {
			_, _ = io.WriteString(w, answer)
			return
		}
		_, _ = io.WriteString(w, `{"action":"accept"}`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestExportThenTestParameters is the user trial's scenario: a hook adds
// an archive recipient with NOTIFY and ORCPT and changes the sender with
// RET and ENVID; the run exported as a session passes `hooksim test`
// against that hook and fails against the same hook once it stops sending
// the parameters (it used to pass: the export dropped them).
func TestExportThenTestParameters(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	mods := `{"type":"changeFrom","value":"bounces@example.org"%s},{"type":"addRecipient","value":"Archive@Example.org"%s}`
	with := paramsHook(t, `{"action":"accept","modifications":[`+
		strings.Replace(strings.Replace(mods, "%s", `,"parameters":{"RET":"HDRS","ENVID":"QQ314159"}`, 1), "%s", `,"parameters":{"NOTIFY":"SUCCESS,FAILURE","ORCPT":"rfc822;archive@example.org"}`, 1)+`]}`)
	without := paramsHook(t, `{"action":"accept","modifications":[`+strings.ReplaceAll(mods, "%s", "")+`]}`)
	dir := t.TempDir()
	src := writeFile(t, dir, "archive.yaml", "name: archive\nsteps:\n  - mail: alice@example.net\n  - rcpt: bob@example.org\n"+
		"  - data: {inline: \"From: alice@example.net\\nTo: bob@example.org\\nSubject: archived\\n\\nhi\\n\"}\n")
	mustRun(t, data, "run", "--url", with, "--stages", "data", src)
	script := filepath.Join(dir, "captured.yaml")
	mustRun(t, data, "export", "1", "--as", "session", "-o", script)
	text, _ := os.ReadFile(script)
	for _, want := range []string{
		"- {type: changeFrom, value: bounces@example.org, parameters: {ENVID: QQ314159, RET: HDRS}}",
		"- {type: addRecipient, value: Archive@Example.org, parameters: {NOTIFY: 'SUCCESS,FAILURE', ORCPT: rfc822;archive@example.org}}",
	} {
		if !strings.Contains(string(text), want) {
			t.Errorf("exported script lacks %q:\n%s", want, text)
		}
	}
	if ok := mustRun(t, data, "test", "--url", with, "--stages", "data", script); !strings.Contains(ok, "1 passed, 0 failed") {
		t.Errorf("test against the same hook:\n%s", ok)
	}
	code, out, errOut := runCLIData(t, data, "", "test", "--url", without, "--stages", "data", script)
	if code != exitFailed {
		t.Fatalf("test against the hook that sends no parameters: exit %d, want %d\n%s\n%s", code, exitFailed, out, errOut)
	}
	for _, want := range []string{
		`modification changeFrom "bounces@example.org" returned with other parameters: ENVID="QQ314159" not sent, RET="HDRS" not sent`,
		`modification addRecipient "Archive@Example.org" returned with other parameters: NOTIFY="SUCCESS,FAILURE" not sent, ORCPT="rfc822;archive@example.org" not sent`,
		"0 passed, 1 failed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("test output lacks %q:\n%s", want, out)
		}
	}
}
