package examplehook

import (
	"bytes"
	"strings"
	"sync"
	"testing"

	"github.com/hooksim/hooksim/simulator/wire"
)

func TestOptions(t *testing.T) {
	t.Parallel()
	spammy := rawMessage("Subject: Winner\nDate: x\nMessage-ID: <x@y>\n\nlottery\n")
	tests := []struct {
		name  string
		opts  Options
		stage wire.Stage
		env   *wire.Envelope
		msg   *wire.Message
		want  string
	}{
		{name: "default domain blocked", stage: wire.StageMail, env: newEnvelope("a@blocked.example"),
			want: `{"action":"reject","response":{"status":550,"enhanced_status":"5.7.1","message":"Sender blocked by policy"}}`},
		{name: "custom domains replace the default", opts: Options{BlockedDomains: []string{"@Spam.Example", " junk.test "}},
			stage: wire.StageMail, env: newEnvelope("a@blocked.example"), want: `{"action":"accept"}`},
		{name: "custom domain normalised", opts: Options{BlockedDomains: []string{"@Spam.Example", " junk.test "}},
			stage: wire.StageMail, env: newEnvelope("a@spam.example"),
			want: `{"action":"reject","response":{"status":550,"enhanced_status":"5.7.1","message":"Sender blocked by policy"}}`},
		{name: "second custom domain", opts: Options{BlockedDomains: []string{"spam.example", "junk.test"}},
			stage: wire.StageMail, env: newEnvelope("A@JUNK.TEST"),
			want: `{"action":"reject","response":{"status":550,"enhanced_status":"5.7.1","message":"Sender blocked by policy"}}`},
		{name: "empty list blocks nothing", opts: Options{BlockedDomains: []string{}},
			stage: wire.StageMail, env: newEnvelope("a@blocked.example"), want: `{"action":"accept"}`},
		{name: "custom archive", opts: Options{ArchiveAddress: "copies@archive.test"},
			stage: wire.StageData, env: newEnvelope("a@b.example", "c@d.example"), msg: spammy,
			want: `{"action":"accept","modifications":[{"type":"addHeader","name":"X-Spam-Score","value":"5.0"},` +
				`{"type":"addHeader","name":"X-Spam-Flag","value":"YES"},` +
				`{"type":"changeHeader","index":1,"name":"Subject","value":" [SPAM] Winner"},` +
				`{"type":"addRecipient","value":"copies@archive.test"}]}`},
		{name: "empty subject tagged without trailing space", stage: wire.StageData,
			env: newEnvelope("a@b.example", "c@d.example"),
			msg: rawMessage("Subject: \n\nact now, you are a winner of the lottery\n"),
			// body: act now, winner, lottery (6); no Date, no Message-ID (2)
			want: `{"action":"accept","modifications":[{"type":"addHeader","name":"X-Spam-Score","value":"8.0"},` +
				`{"type":"addHeader","name":"X-Spam-Flag","value":"YES"},` +
				`{"type":"changeHeader","index":1,"name":"Subject","value":" [SPAM]"},` +
				`{"type":"addRecipient","value":"archive@example.org"}]}`},
		{name: "html characters not escaped", stage: wire.StageData,
			env: newEnvelope("a@b.example", "c@d.example"),
			msg: rawMessage("Subject: Winner <&> \"prizes\"\n\nfree money\n"),
			want: `{"action":"accept","modifications":[{"type":"addHeader","name":"X-Spam-Score","value":"7.0"},` +
				`{"type":"addHeader","name":"X-Spam-Flag","value":"YES"},` +
				`{"type":"changeHeader","index":1,"name":"Subject","value":" [SPAM] Winner <&> \"prizes\""},` +
				`{"type":"addRecipient","value":"archive@example.org"}]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := post(New(tc.opts), stalwartRequest(tc.stage, tc.env, tc.msg))
			if got := rec.Body.String(); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			if _, err := wire.ParseResponse(rec.Body.Bytes()); err != nil {
				t.Errorf("Stalwart would not parse it: %v", err)
			}
		})
	}
}

// TestLiteralRequest posts the request of PROTOCOL.md §1 written out by
// hand, so the hook is checked against Stalwart's bytes independently of
// any encoder.
func TestLiteralRequest(t *testing.T) {
	t.Parallel()
	body := `{"context":{"stage":"data","client":{"ip":"10.0.0.1","port":51234,"ptr":"mail.foobar.org.","helo":"mail.foobar.org","activeConnections":1},` +
		`"sasl":{"login":"john"},"tls":{"version":"TLSv1.3","cipher":"TLS13_AES_256_GCM_SHA384"},` +
		`"server":{"name":"Stalwart v0.16.18","port":25,"ip":"192.0.2.10"},"queue":{"id":"1a2b3c4d5e6f7081"},"protocol":{"version":1}},` +
		`"envelope":{"from":{"address":"john@example.org"},"to":[{"address":"bill@foobar.org"}]},` +
		`"message":{"headers":[["From"," John Doe <john@example.org>\r\n"],["To"," Bill <bill@foobar.org>\r\n"],["Subject"," Saying Hello\r\n"]],` +
		`"contents":"This is a message just to say hello.","size":207}}`
	want := `{"action":"accept","modifications":[{"type":"addHeader","name":"X-Spam-Score","value":"2.0"},{"type":"addRecipient","value":"archive@example.org"}]}`
	var log bytes.Buffer
	rec := post(New(Options{Log: &log}), []byte(body))
	if got := rec.Body.String(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got := log.String(); got != "examplehook: stage=data action=accept score=2.0\n" {
		t.Errorf("log %q", got)
	}
}

// TestConcurrentLog checks that log lines from parallel requests never
// interleave (run with -race).
func TestConcurrentLog(t *testing.T) {
	t.Parallel()
	var log bytes.Buffer
	h := New(Options{Log: &log})
	body := stalwartRequest(wire.StageRcpt, newEnvelope("a@b.example", "nobody@d.example"), nil)
	const n = 50
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { post(h, body) })
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(log.String(), "\n"), "\n")
	if len(lines) != n {
		t.Fatalf("%d log lines, want %d", len(lines), n)
	}
	for _, l := range lines {
		if l != `examplehook: stage=rcpt action=reject reason="no mailbox nobody@d.example"` {
			t.Fatalf("log line %q", l)
		}
	}
}

func TestLogOddStage(t *testing.T) {
	t.Parallel()
	var log bytes.Buffer
	rec := post(New(Options{Log: &log}), []byte(`{"context":{"stage":"x\ny z"}}`))
	if rec.Body.String() != `{"action":"accept"}` {
		t.Errorf("answer %s", rec.Body)
	}
	if got := log.String(); got != "examplehook: stage=\"x\\ny z\" action=accept\n" {
		t.Errorf("log %q", got)
	}
}
