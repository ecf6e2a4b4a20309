package main

import (
	"encoding/json"
	"github.com/hooksim/hooksim/recorder/report"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// queuedScript is a port 25 session whose message has no Date: Stalwart
// adds its own, after Return-Path.
const queuedScript = `client: {ip: 203.0.113.7, ptr: mail.example.net}
steps:
  - ehlo: mail.example.net
  - mail: Alice@Example.NET
  - rcpt: bob@example.org
  - data: {inline: "From: Alice <alice@example.net>\nTo: bob@example.org\nSubject: hi\nMessage-ID: <1@example.net>\n\nhello\n"}
`

// TestOutWritesQueued: run --out writes the message as Stalwart would
// queue it: Received, Authentication-Results, Received-SPF, Return-Path
// and Date in front of the hook's header and the message as received;
// the --json report has the same bytes under "queued", and -v shows the
// server's headers.
func TestOutWritesQueued(t *testing.T) {
	t.Parallel()
	h := newUserHook(t)
	h.set("data", 200, `{"action":"accept","modifications":[{"type":"addHeader","name":"X-Hook","value":"seen"}]}`)
	dir := t.TempDir()
	script := writeFile(t, dir, "q.yaml", queuedScript)
	out, reportPath := filepath.Join(dir, "out"), filepath.Join(dir, "report.json")
	code, stdout, errOut := runCLI(t, "", "run", "--url", h.url(), "-v", "--out", out, "--json", reportPath, script)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, errOut)
	}
	if stages, _ := h.calls(); strings.Join(stages, ",") != "data" {
		t.Errorf("hook called at %v, want data", stages)
	}
	eml, err := os.ReadFile(filepath.Join(out, "q-1.eml"))
	if err != nil {
		t.Fatal(err)
	}
	const date = `[A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000`
	want := regexp.MustCompile(`^` + regexp.QuoteMeta("Received: from mail.example.net (mail.example.net [203.0.113.7])\r\n"+
		"\tby mx.example.org (Stalwart SMTP) with ESMTP id ") + `([0-9A-F]{15});\r\n\t(` + date + `)\r\n` +
		regexp.QuoteMeta("Authentication-Results: mx.example.org;\r\n"+
			"\tspf=none (mx.example.org: no SPF records found for postmaster@mail.example.net) smtp.helo=mail.example.net;\r\n"+
			"\tspf=none (mx.example.org: no SPF records found for Alice@Example.NET) smtp.mailfrom=Alice@Example.NET;\r\n"+
			"\tiprev=pass policy.iprev=203.0.113.7;\r\n"+
			"\tdmarc=none header.from=example.net policy.dmarc=none\r\n"+
			"Received-SPF: none (mx.example.org: no SPF records found for alice@example.net)\r\n"+
			"\treceiver=mx.example.org; client-ip=203.0.113.7; envelope-from=\"alice@example.net\"; helo=mail.example.net;\r\n"+
			"Return-Path: <Alice@example.net>\r\n"+
			"Date: ") + `(` + date + `)` + regexp.QuoteMeta("\r\n"+
		"X-Hook: seen\r\n"+
		"From: Alice <alice@example.net>\r\nTo: bob@example.org\r\nSubject: hi\r\nMessage-ID: <1@example.net>\r\n\r\nhello\r\n") + `$`)
	m := want.FindSubmatch(eml)
	if m == nil {
		t.Fatalf("queued .eml:\n%q\nwant it to match\n%s", eml, want)
	}
	if string(m[2]) != string(m[3]) {
		t.Errorf("Received is dated %s, the added Date %s", m[2], m[3])
	}
	data, err := os.ReadFile(reportPath)
	if err != nil {
		t.Fatal(err)
	}
	var rep report.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	tx := rep.Sessions[0].Transactions[0]
	if strings.ToUpper(tx.QueueID) != string(m[1]) {
		t.Errorf("Received has id %s, the reply %s", m[1], tx.QueueID)
	}
	if tx.Queued == nil || tx.Queued.Text == nil || *tx.Queued.Text+"\r\n" != string(eml) {
		t.Errorf("report queued %+v, want the .eml without its last CRLF", tx.Queued)
	}
	if tx.Final == nil || tx.Final.Text == nil || !strings.HasPrefix(*tx.Final.Text, "X-Hook: seen\r\nFrom: ") {
		t.Errorf("report final %+v, want the message as the hooks left it", tx.Final)
	}
	if len(tx.QueuedNotes) != 1 || !strings.Contains(tx.QueuedNotes[0], "X-Spam-Result") {
		t.Errorf("queued notes %q, want the spam filter's", tx.QueuedNotes)
	}
	for _, w := range []string{
		"     queued with the server's headers in front of the message as the hooks left it:\n       Received: from mail.example.net (mail.example.net [203.0.113.7])\n",
		"       Return-Path: <Alice@example.net>\n",
		"       (then the message as the hooks left it: X-Hook: seen ...)\n",
		"     note: Stalwart's spam filter",
	} {
		if !strings.Contains(stdout, w) {
			t.Errorf("-v transcript lacks %q:\n%s", w, stdout)
		}
	}
}

// TestQueuedHeadersExpectations: queued_headers in a script passes against
// the queued form and fails, with exit 1, naming the form it checked.
func TestQueuedHeadersExpectations(t *testing.T) {
	t.Parallel()
	h := newUserHook(t)
	dir := t.TempDir()
	tests := []struct {
		name   string
		expect string
		code   int
		want   string
	}{
		{"pass", "{headers: {Received: null}, queued_headers: {Received: {count: 1}, Return-Path: <Alice@example.net>}}", exitOK, "1 passed, 0 failed"},
		{"fail", "{queued_headers: {Received: {count: 2}}}", exitFailed,
			`FAIL step 5 (data, line 6), expect at line 7: queued message: header Received occurs once ("from mail.example.net (mail.example.net [203.0.113.7])\tby mx.example.org (Stalwart SMTP) with ESMTP id `},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			script := writeFile(t, dir, tt.name+".yaml", queuedScript+"    expect: "+tt.expect+"\n")
			code, stdout, errOut := runCLI(t, "", "run", "--url", h.url(), script)
			if code != tt.code || !strings.Contains(stdout, tt.want) {
				t.Errorf("exit %d, want %d and stdout with %q\n%s\n%s", code, tt.code, tt.want, stdout, errOut)
			}
		})
	}
}

// TestQueuedScriptSettings plays testdata/sessions/good/queued.yaml: a
// submission on port 587 whose server settings turn Received and
// Return-Path on; its expectations on both forms pass.
func TestQueuedScriptSettings(t *testing.T) {
	t.Parallel()
	h := newUserHook(t)
	code, stdout, errOut := runCLI(t, "", "run", "--url", h.url(), filepath.Join("..", "..", "testdata", "sessions", "good", "queued.yaml"))
	if code != exitOK || !strings.Contains(stdout, "1 passed, 0 failed") {
		t.Errorf("exit %d\n%s\n%s", code, stdout, errOut)
	}
}
