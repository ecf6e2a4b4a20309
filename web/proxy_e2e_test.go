package web_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// docsShapedRequest is a request in the shape of Stalwart's public
// documentation (hooksim's own copy of its shape): "ehlo" for "helo", a
// string protocol version, parameters objects.
const docsShapedRequest = `{"context":{"stage":"mail","client":{"ip":"192.168.1.1","port":34567,"ptr":null,"ehlo":"mail.example.com","activeConnections":1},` +
	`"server":{"name":"Stalwart v0.16.18","port":25,"ip":"192.168.2.2"},"protocol":{"version":"1.0"}},` +
	`"envelope":{"from":{"address":"john@example.org","parameters":{"size":12345}},"to":[]}}`

// A request through hooksim proxy appears live in the runs list with its
// drift count; the run's page shows its drift findings in a box of their
// own; the "drift only" filter keeps it and leaves a script run out.
func TestBrowserProxyDrift(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests skipped in -short mode")
	}
	bctx := browser(t)
	e := startEnv(t)
	b := &tab{t: t, ctx: bctx, e: e}
	script := e.play("hello")[0]

	cmd, url := startHooksim(t, regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+/)`),
		"proxy", "--listen", "127.0.0.1:0", "--db", e.dbPath, "--upstream", e.hook.URL)

	b.open("#/")
	b.wait("websocket live", `document.getElementById('live').classList.contains('live-live')`, 10*time.Second)
	resp, err := http.Post(url, "application/json", strings.NewReader(docsShapedRequest))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("through the proxy: %s", resp.Status)
	}
	b.wait("the proxied run, with its drift count", `[...document.querySelectorAll('#runs-table tr.run-row')].some(r => r.innerText.includes('192.168.1.1:34567') && r.querySelector('.drift-count'))`, 15*time.Second)
	ids := runsOfSource(t, e, "proxy")
	if len(ids) != 1 {
		t.Fatalf("%d proxy runs, want 1", len(ids))
	}
	b.open(fmt.Sprintf("#/runs/%d", ids[0]))
	b.wait("the drift box", `(() => { const d = document.querySelector('.drift-box'); return d && d.innerText.includes('context.client.ehlo') && d.innerText.includes('context.protocol.version') && d.innerText.includes('envelope.from.parameters') })()`, 10*time.Second)

	b.open("#/?drift=1")
	b.wait("the drift filter applied", `document.getElementById('f-drift').checked && document.querySelectorAll('#runs-table tr.run-row').length === 1`, 10*time.Second)
	if row := b.eval(`document.querySelector('#runs-table tr.run-row').dataset.runId`); row != fmt.Sprint(ids[0]) {
		t.Errorf("drift only lists run %v, want #%d (and not the script run #%d)", row, ids[0], script)
	}
	cmd.Process.Signal(syscall.SIGINT)
	if err := cmd.Wait(); err != nil {
		t.Errorf("hooksim proxy after Ctrl-C: %v", err)
	}
}
