package wire_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookclient/hooktest"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/simulator/wire"
)

// extraSessions cover what the bundled sessions do not: a message
// without a body (no blank line: the last header has no line end), one
// with an empty body, bare LF line ends, an IPv6 client, an EHLO in the
// middle of a transaction (an envelope at ehlo) and a new EHLO name
// after a transaction (the PTR name kept), a recipient the hook
// refuses, three transactions with one sender, STARTTLS before AUTH on a
// submission port, and an EHLO the hook refuses mid-transaction (the
// recipients stay for the next MAIL FROM, as in ehlo.rs).
var extraSessions = map[string]string{
	"no-body.yaml": `
client: {ip: "2001:db8::25", port: 40000, ptr: Host.Example.NET}
server: {port: 25, local_domains: [example.org]}
steps:
  - connect
  - ehlo: client.example.net
  - mail: Alice@Example.net
  - rcpt: Bob@Example.org
  - data: {inline: "Subject: no body\nFrom: alice@example.net\n"}
  - ehlo: other.example.net
  - mail: alice@example.net
  - rcpt: nobody@example.org
  - rcpt: carol@example.org
  - ehlo: third.example.net
  - mail: alice@example.net
  - rcpt: dave@example.org
  - data: {inline: "Subject: empty body\nFrom: alice@example.net\n\n"}
  - mail: alice@example.net
  - rcpt: erin@example.org
  - data: {inline: "Subject: bare LF\nFrom: alice@example.net\n\nline one\nline two\n", raw: true}
  - quit
`,
	"starttls-auth.yaml": `
client: {ip: 198.51.100.9, port: 2525, tls: {version: TLSv1.2, cipher: TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}}
server: {port: 587, local_domains: [example.org]}
steps:
  - connect
  - ehlo: laptop.example.net
  - starttls
  - ehlo: laptop2.example.net
  - auth: {login: Mary, password: pw}
  - mail: mary@example.org
  - rcpt: [a@example.com, b@example.com, nobody@example.org, c@example.com]
  - data: {inline: "From: mary@example.org\nTo: a@example.com\nSubject: several\n\nHello\n"}
  - mail: "<>"
  - rcpt: a@example.com
  - data: {inline: "From: mary@example.org\nSubject: null sender\n\nBounce\n"}
  - quit
`,
	"refused-ehlo.yaml": `
client: {ip: 203.0.113.50, port: 40001}
server: {port: 25, local_domains: [example.org]}
steps:
  - connect
  - ehlo: client.example.net
  - mail: alice@example.net
  - rcpt: bill@example.org
  - rcpt: carol@example.org
  - ehlo: refused.example.net
  - mail: dave@example.net
  - rcpt: erin@example.org
  - data: {inline: "Subject: left over\nFrom: dave@example.net\n\nHi\n"}
  - mail: dave@example.net
  - rcpt: bill@example.org
  - data: {inline: "Subject: fresh\nFrom: dave@example.net\n\nHi\n"}
  - quit
`,
}

// decideAnswer is the test hook's answer: it refuses a recipient whose
// address starts with "nobody@", a sender of blocked.example and an
// EHLO name that starts with "refused.", accepts the rest.
func decideAnswer(body []byte) string {
	var req struct {
		Context struct {
			Stage  string
			Client struct{ Helo *string }
		}
		Envelope *struct {
			From struct{ Address string }
			To   []struct{ Address string }
		}
	}
	_ = json.Unmarshal(body, &req)
	reject := `{"action":"reject","response":{"status":550,"enhanced_status":"5.1.1","message":"No"}}`
	if h := req.Context.Client.Helo; req.Context.Stage == "ehlo" && h != nil && strings.HasPrefix(*h, "refused.") {
		return reject
	}
	switch e := req.Envelope; {
	case e == nil:
	case req.Context.Stage == "mail" && strings.HasSuffix(e.From.Address, "@blocked.example"):
		return reject
	case req.Context.Stage == "rcpt" && len(e.To) > 0 && strings.HasPrefix(e.To[len(e.To)-1].Address, "nobody@"):
		return reject
	}
	return `{"action":"accept"}`
}

// rawHook is a loopback HTTP/1.1 hook that reads each request byte for
// byte, so that its header fields are seen in the order sent.
func rawHook(t *testing.T) *hooktest.Server {
	return hooktest.New(t, func(_ int, req hooktest.Request, c net.Conn) bool {
		out := decideAnswer(req.Body)
		_, err := fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(out), out)
		return err == nil
	})
}

// headFields splits a request head into its header fields, in order.
func headFields(head string) (proto string, fields []wire.Header) {
	lines := strings.Split(strings.TrimSuffix(head, "\r\n\r\n"), "\r\n")
	if parts := strings.Fields(lines[0]); len(parts) == 3 {
		proto = parts[2]
	}
	for _, l := range lines[1:] {
		name, value, _ := strings.Cut(l, ":")
		fields = append(fields, wire.Header{Name: name, Value: strings.TrimSpace(value)})
	}
	return proto, fields
}

// allSessions are the bundled sessions and extraSessions.
func allSessions(t *testing.T) []*sessions.Session {
	t.Helper()
	all, err := sessions.Bundled()
	if err != nil {
		t.Fatal(err)
	}
	for name, src := range extraSessions {
		s, err := sessions.Parse(name, []byte(src), nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		all = append(all, s)
	}
	return all
}

// play plays s against hooks and returns the result.
func play(t *testing.T, hooks []*hookconf.Hook, s *sessions.Session) *simulator.SessionResult {
	t.Helper()
	sim := simulator.New(hooks, nil)
	fixed := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	sim.Now = func() time.Time { return fixed }
	sim.QueueIDs = simulator.NewQueueIDs(sim.Now, 1)
	t.Cleanup(func() { _ = sim.Client.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res := sim.Play(ctx, s)
	if res.Err != nil {
		t.Fatalf("play %s: %v", s.Name, res.Err)
	}
	return res
}

func hookFor(url string, stages ...wire.Stage) *hookconf.Hook {
	set := hookconf.StageSet{}
	for _, s := range stages {
		set[s] = true
	}
	return &hookconf.Hook{ID: "h", URL: url, Enable: hookconf.ConstExpression(true), Stages: set,
		Timeout: 5 * time.Second, TempFailOnError: true, MaxResponseSize: hookconf.DefaultMaxResponseSize}
}

// coverage records what the checked requests held, so that the test
// knows it saw every case it is meant to.
type coverage struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (c *coverage) note(body []byte, proto string) {
	var req struct {
		Context struct {
			Stage  string
			Sasl   *struct{ Login string }
			TLS    *json.RawMessage
			Queue  *json.RawMessage
			Client struct {
				IP  string
				PTR *string
			}
		}
		Envelope *struct {
			From struct{ Address string }
			To   []json.RawMessage
		}
		Message *struct {
			Headers  [][2]string
			Contents string
		}
	}
	_ = json.Unmarshal(body, &req)
	c.mu.Lock()
	defer c.mu.Unlock()
	mark := func(k string, ok bool) {
		if ok {
			c.seen[k] = true
		}
	}
	x := req.Context
	mark("stage "+x.Stage, true)
	mark("proto "+proto, true)
	mark("sasl", x.Sasl != nil)
	mark("tls", x.TLS != nil)
	mark("ipv6 client", strings.Contains(x.Client.IP, ":"))
	mark("ptr at ehlo", x.Stage == "ehlo" && x.Client.PTR != nil)
	if e := req.Envelope; e != nil {
		mark("null sender", e.From.Address == "")
		mark("several recipients", len(e.To) > 2)
		mark("envelope at ehlo", x.Stage == "ehlo")
		mark("recipients at mail", x.Stage == "mail" && len(e.To) > 0)
	}
	if m := req.Message; m != nil {
		mark("U+FFFD in contents", strings.ContainsRune(m.Contents, '\uFFFD'))
		mark("empty contents", m.Contents == "")
		if n := len(m.Headers); n > 0 {
			mark("message without a body", !strings.HasSuffix(m.Headers[n-1][1], "\n"))
			mark("bare LF line ends", !strings.HasSuffix(m.Headers[n-1][1], "\r\n") && strings.HasSuffix(m.Headers[n-1][1], "\n"))
		}
	}
}

// TestDriftSimulatorRequests plays every bundled session, and a few
// more, with hooks at several sets of stages, and holds each request
// the simulator sends, in order, with a DriftTracker per connection, and
// its HTTP header fields as the hook read them: hooksim's own requests
// are its model, so there must be no finding at all.
func TestDriftSimulatorRequests(t *testing.T) {
	t.Parallel()
	stageSets := [][]wire.Stage{
		{wire.StageConnect, wire.StageEhlo, wire.StageMail, wire.StageRcpt, wire.StageData},
		{wire.StageData},
		{wire.StageRcpt, wire.StageData},
		{wire.StageMail},
		{wire.StageEhlo, wire.StageRcpt},
		{wire.StageConnect, wire.StageMail, wire.StageData},
	}
	cov := &coverage{seen: map[string]bool{}}
	for _, s := range allSessions(t) {
		for _, stages := range stageSets {
			t.Run(fmt.Sprintf("%s/%v", s.Name, stages), func(t *testing.T) {
				t.Parallel()
				hook := rawHook(t)
				h := hookFor(hook.URL("/hook"), stages...)
				if len(stages) == 5 {
					// Custom headers (one of them accept) and Basic auth.
					h.HTTPHeaders = []hookconf.HeaderField{{Name: "X-Token", Value: "t"}, {Name: "Accept", Value: "application/json"}}
					h.Auth = hookconf.HTTPAuth{Kind: hookconf.AuthBasic, Username: "u", Secret: "s"}
				}
				play(t, []*hookconf.Hook{h}, s)
				reqs := hook.Requests()
				if len(reqs) == 0 && len(stages) == 5 {
					t.Fatal("no request")
				}
				var tr wire.DriftTracker
				for i, r := range reqs {
					cov.note(r.Body, "HTTP/1.1")
					stage, lints := tr.Check(r.Body)
					for _, l := range lints {
						t.Errorf("request %d (%s): %s\n%s", i+1, stage, l, r.Body)
					}
					if got, want := string(stage), stageOf(r.Body); got != want {
						t.Errorf("request %d: stage %q, want %q", i+1, got, want)
					}
					proto, fields := headFields(r.Head)
					for _, l := range wire.CheckRequestHeaders(proto, fields) {
						t.Errorf("request %d headers: %s\n%s", i+1, l, r.Head)
					}
				}
			})
		}
	}
	t.Cleanup(func() {
		for _, want := range []string{"stage connect", "stage ehlo", "stage mail", "stage rcpt", "stage data",
			"sasl", "tls", "ipv6 client", "ptr at ehlo", "null sender", "several recipients", "envelope at ehlo", "recipients at mail",
			"U+FFFD in contents", "empty contents", "message without a body", "bare LF line ends"} {
			if !cov.seen[want] {
				t.Errorf("no request had %s", want)
			}
		}
	})
}

// stageOf reads context.stage with encoding/json.
func stageOf(body []byte) string {
	var req struct{ Context struct{ Stage string } }
	_ = json.Unmarshal(body, &req)
	return req.Context.Stage
}

// TestDriftSimulatorHTTP2 plays sessions against a TLS hook that speaks
// HTTP/2 (by ALPN, as Stalwart's client offers it) and holds the header
// fields the simulator sent, as it recorded them, and each body.
func TestDriftSimulatorHTTP2(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var protos []string
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		protos = append(protos, r.Proto)
		mu.Unlock()
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := r.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprint(w, decideAnswer([]byte(b.String())))
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	checked := 0
	for _, s := range allSessions(t) {
		h := hookFor(srv.URL+"/hook", wire.StageConnect, wire.StageEhlo, wire.StageMail, wire.StageRcpt, wire.StageData)
		h.AllowInvalidCerts = true
		h.HTTPHeaders = []hookconf.HeaderField{{Name: "X-Token", Value: "t"}}
		h.Auth = hookconf.HTTPAuth{Kind: hookconf.AuthBearer, Secret: "tok"}
		res := play(t, []*hookconf.Hook{h}, s)
		var tr wire.DriftTracker
		for _, st := range res.Steps {
			for _, ex := range st.Exchanges {
				if ex.Call.Proto != "HTTP/2.0" {
					t.Fatalf("%s: the call went out over %q", s.Name, ex.Call.Proto)
				}
				var fields []wire.Header
				for _, f := range ex.Call.RequestHeaders {
					fields = append(fields, wire.Header{Name: f.Name, Value: f.Value})
				}
				for _, l := range wire.CheckRequestHeaders(ex.Call.Proto, fields) {
					t.Errorf("%s exchange %d headers: %s (%v)", s.Name, ex.Seq, l, fields)
				}
				if _, lints := tr.Check(ex.Request); len(lints) > 0 {
					t.Errorf("%s exchange %d: %v", s.Name, ex.Seq, lints)
				}
				checked++
			}
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if checked < 50 || len(protos) != checked || protos[0] != "HTTP/2.0" {
		t.Errorf("%d exchanges checked; the hook saw %d requests, the first over %v", checked, len(protos), protos[:min(1, len(protos))])
	}
}
