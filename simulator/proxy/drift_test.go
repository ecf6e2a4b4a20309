package proxy

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/hooksim/hooksim/simulator/wire"
)

// docsShaped is a request shaped like the public documentation's example
// (hooksim's own copy of its shape): "ehlo" for "helo", a string protocol
// version, sasl.method, parameters objects, serverHeaders.
const docsShaped = `{"context":{"stage":"data","client":{"ip":"192.168.1.1","port":34567,"ptr":"mail.example.com.","ehlo":"mail.example.com","activeConnections":1},` +
	`"sasl":{"login":"john","method":"plain"},` +
	`"server":{"name":"Stalwart v0.16.18","port":25,"ip":"192.168.2.2"},"queue":{"id":"4c3eb27c4200001"},"protocol":{"version":"1.0"}},` +
	`"envelope":{"from":{"address":"john@example.org","parameters":{"size":12345}},"to":[{"address":"bill@example.org","parameters":{"orcpt":"rfc822; bill@example.org"}}]},` +
	`"message":{"headers":[["Subject"," Hello\r\n"]],"serverHeaders":[["Received"," from x\r\n"]],"contents":"Hi","size":21}}`

// A request shaped like the documentation's, sent through the proxy, gives
// a drift finding at each field where it differs from Stalwart's; the
// run counts them and `runs --drift` finds it.
func TestDocsShapedRequestDrifts(t *testing.T) {
	t.Parallel()
	hook := rawHook(t, acceptAll)
	st, rec := recording(t)
	base, _ := startProxy(t, Config{Upstream: hook.URL("/"), Observer: rec, TempFailOnError: true, Checker: DriftChecker})
	req, _ := http.NewRequest(http.MethodPost, base+"/", strings.NewReader(docsShaped))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != `{"action":"accept"}` {
		t.Fatalf("answer %d %q", resp.StatusCode, b)
	}
	if got := hook.Requests(); len(got) != 1 || string(got[0].Body) != docsShaped {
		t.Fatalf("the hook did not get the request byte for byte")
	}
	rec.Flush(context.Background())
	runs := waitRuns(t, st, 1)
	if len(runs) != 1 {
		t.Fatalf("%d runs", len(runs))
	}
	exs, err := st.Exchanges(context.Background(), runs[0].ID)
	if err != nil || len(exs) != 1 {
		t.Fatalf("%d exchanges (%v)", len(exs), err)
	}
	var lints []wire.Lint
	if err := json.Unmarshal(exs[0].Lints, &lints); err != nil {
		t.Fatal(err)
	}
	paths := map[string]string{}
	for _, l := range lints {
		if l.Code == wire.LintDrift {
			paths[l.Path] = l.Message
		}
	}
	for _, want := range []string{"context.client.ehlo", "message.serverHeaders", "context.protocol.version", "context.sasl.method",
		"envelope.from.parameters", "envelope.to[0].parameters"} {
		if paths[want] == "" {
			t.Errorf("no drift finding at %s; findings: %v", want, paths)
		}
	}
	// Go's client sends Content-Type, Host, User-Agent in its own order
	// and case: Stalwart's header model is drift too.
	if !strings.Contains(string(exs[0].Lints), "http.headers") {
		t.Errorf("no finding about the header fields Go's client sent: %s", exs[0].Lints)
	}
	if runs[0].Drift < 6 {
		t.Errorf("the run counts %d drift findings", runs[0].Drift)
	}
}
