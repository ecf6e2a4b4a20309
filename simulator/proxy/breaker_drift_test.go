package proxy

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator/wire"
)

// refusedEhloScript: a transaction in progress when the client says EHLO
// with a new name, which the hook refuses; then a new transaction.
const refusedEhloScript = `name: refused-ehlo
client: {ip: 203.0.113.7, port: 51299, ptr: mail.example.net}
server: {hostname: mx.example.org, ip: 192.0.2.10, port: 25, local_domains: [example.org]}
steps:
  - connect
  - ehlo: mail.example.net
  - mail: alice@example.net
  - rcpt: bill@example.org
  - ehlo: refused.example.net
  - mail: carol@example.net
  - rcpt: dave@example.org
  - data:
      inline: |
        From: carol@example.net
        Subject: Hi

        Hello.
  - quit
`

// hooksim's own simulator follows handle_ehlo (crates/smtp/src/inbound/
// ehlo.rs): an EHLO the hook refuses clears the sender but not the
// recipients, so the next transaction's requests carry bill@example.org
// (rebuild and --compare agree). Played through the proxy, those
// requests of hooksim's own are drift findings: the drift model and the
// simulator disagree on a request Stalwart v0.16.18 sends.
func TestBreakerSimulatorRequestsAfterRefusedEhloDrift(t *testing.T) {
	t.Parallel()
	sess, err := sessions.Parse("refused-ehlo.yaml", []byte(refusedEhloScript), nil)
	if err != nil {
		t.Fatal(err)
	}
	hook := rawHook(t, func(body string) string {
		if strings.Contains(body, `"stage":"ehlo"`) && strings.Contains(body, `"helo":"refused.example.net"`) {
			return `{"action":"reject","response":{"status":550,"enhanced_status":"5.5.0","message":"No"}}`
		}
		return `{"action":"accept"}`
	})
	st, rec := recording(t)
	base, _ := startProxy(t, Config{Upstream: hook.URL("/"), Observer: rec, TempFailOnError: true, Checker: DriftChecker})
	res := play(t, sess, hookAt(base+"/", allStages...))
	if !strings.Contains(strings.Join(replies(res), "\n"), "550 5.5.0 No") {
		t.Fatalf("the hook did not refuse the EHLO: %q", replies(res))
	}
	rec.Flush(context.Background())
	runs := waitRuns(t, st, 1)
	for _, r := range runs {
		if r.Drift == 0 {
			continue
		}
		exs, _ := st.Exchanges(context.Background(), r.ID)
		for _, ex := range exs {
			var lints []wire.Lint
			json.Unmarshal(ex.Lints, &lints)
			for _, l := range lints {
				if l.Code == wire.LintDrift {
					t.Errorf("run #%d exchange %d (%s): drift in hooksim's own request: %s: %s", r.ID, ex.Seq, ex.Stage, l.Path, l.Message)
				}
			}
		}
	}
}

// breakerBody is a request of one connection from 203.0.113.7:51234 at
// stage, as Stalwart v0.16.18 writes it, with edits.
func breakerBody(stage wire.Stage, edits ...func(*wire.Request)) string {
	helo, ptr := "mail.example.net", "mail.example.net."
	r := &wire.Request{Context: wire.Context{Stage: stage,
		Client:   wire.ClientInfo{IP: "203.0.113.7", Port: 51234, HELO: &helo, PTR: &ptr, ActiveConnections: 1},
		Server:   wire.ServerInfo{Name: wire.ServerName, Port: 25, IP: "192.0.2.10"},
		Protocol: wire.Protocol{Version: 1}}}
	r.Envelope = &wire.Envelope{From: wire.Address{Address: "alice@example.net"}, To: []wire.Address{}}
	if stage != wire.StageMail {
		r.Envelope.To = []wire.Address{{Address: "bill@example.org"}}
	}
	if stage == wire.StageData {
		r.Context.Queue = &wire.Queue{ID: "4c3efd797e00001"}
		r.Message = &wire.Message{Headers: []wire.Header{{Name: "Subject", Value: " Hello\r\n"}}, Contents: []byte("Hi."), Size: 21}
	}
	for _, e := range edits {
		e(r)
	}
	return string(r.Encode())
}

// The drift tracker's rules across the requests of one connection (the
// queue id differs between transactions, TLS and the login stay once
// there) are meant for the proxy ("Across one connection", docs/proxy.md),
// but the proxy ends a connection's run, and its tracker, at every data
// stage: the second transaction of the same SMTP connection (same client
// address and port, no connect stage between) starts a fresh tracker, so
// these rules never see two transactions. A second transaction that
// reuses the first one's queue id, or lost the connection's TLS and
// login, gives no finding.
func TestBreakerDriftRulesAcrossTransactions(t *testing.T) {
	t.Parallel()
	tls := func(r *wire.Request) {
		r.Context.TLS = &wire.TLSInfo{Version: "TLSv1.3", Cipher: "TLS13_AES_256_GCM_SHA384"}
	}
	login := func(r *wire.Request) { r.Context.SASL = &wire.SASL{Login: "john"} }
	for _, tc := range []struct {
		name   string
		second func(*wire.Request) // the second transaction's edit
		path   string
	}{
		{"the same queue id again", func(r *wire.Request) { tls(r); login(r) }, "context.queue.id"},
		{"TLS gone", login, "context.tls"},
		{"login gone", tls, "context.sasl"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			hook := rawHook(t, acceptAll)
			var mu sync.Mutex
			var found []string
			base, _ := startProxy(t, Config{Upstream: hook.URL("/"), TempFailOnError: true, Checker: DriftChecker,
				OnExchange: func(ev *Event) {
					mu.Lock()
					defer mu.Unlock()
					for _, d := range ev.Drift {
						found = append(found, d.Path)
					}
				}})
			bodies := []string{
				breakerBody(wire.StageMail, tls, login), breakerBody(wire.StageRcpt, tls, login), breakerBody(wire.StageData, tls, login),
				breakerBody(wire.StageMail, tc.second), breakerBody(wire.StageRcpt, tc.second), breakerBody(wire.StageData, tc.second),
			}
			for _, b := range bodies {
				resp, err := http.Post(base+"/", "application/json", strings.NewReader(b))
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			// Each exchange is checked once its answer is written: wait
			// for the last one.
			deadline := time.Now().Add(5 * time.Second)
			for {
				mu.Lock()
				ok := slices.Contains(found, tc.path)
				mu.Unlock()
				if ok {
					break
				}
				if time.Now().After(deadline) {
					mu.Lock()
					t.Errorf("no drift finding at %s for the second transaction of one connection; findings at %v", tc.path, found)
					mu.Unlock()
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}
