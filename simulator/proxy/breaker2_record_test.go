package proxy

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/simulator/wire"
)

// breaker2Body is a request of client 10.0.0.9:4000 at stage, as
// Stalwart v0.16.18 sends it (the wire package's encoder), with sender
// from and recipients to when the stage carries an envelope.
func breaker2Body(stage wire.Stage, from string, to ...string) []byte {
	helo := "mail.example.net"
	r := &wire.Request{Context: wire.Context{
		Stage:    stage,
		Client:   wire.ClientInfo{IP: "10.0.0.9", Port: 4000, ActiveConnections: 1},
		Server:   wire.ServerInfo{Name: wire.ServerName, Port: 25, IP: "192.0.2.10"},
		Protocol: wire.Protocol{Version: 1},
	}}
	if stage != wire.StageConnect {
		r.Context.Client.HELO = &helo
	}
	switch stage {
	case wire.StageMail, wire.StageRcpt, wire.StageData:
		r.Envelope = &wire.Envelope{From: wire.Address{Address: from}, To: []wire.Address{}}
		for _, a := range to {
			r.Envelope.To = append(r.Envelope.To, wire.Address{Address: a})
		}
	}
	if stage == wire.StageData {
		r.Context.Queue = &wire.Queue{ID: "4c0e37000000001"}
		raw := "Subject: Hi\r\n\r\nHi.\r\n"
		r.Message = &wire.Message{Headers: []wire.Header{{Name: "Subject", Value: " Hi\r\n"}}, Contents: []byte("Hi.\r\n"), Size: len(raw)}
	}
	return r.Encode()
}

func breaker2Req(body []byte) *Request {
	return &Request{Proto: "HTTP/1.1", Method: http.MethodPost, Target: "/", Body: body, Received: time.Now(),
		Fields: []hookconf.HeaderField{{Name: "content-type", Value: "application/json"}, {Name: "accept", Value: "*/*"}, {Name: "content-length", Value: itoa(len(body))}}}
}

// exchangeLog keeps the events OnExchange hears, in order.
type exchangeLog struct {
	mu     sync.Mutex
	events []*Event
}

func (l *exchangeLog) add(ev *Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, ev)
}

func (l *exchangeLog) all() []*Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]*Event(nil), l.events...)
}

// A sender rewrite (session.mail.rewrite, evaluated in handle_mail_from,
// crates/smtp/src/inbound/mail.rs, after run_mta_hooks(Stage::Mail))
// changes mail_from.address_lcase, which is what every later request of
// the transaction carries as envelope.from.address (hooks/message.rs).
// docs/proxy.md says as much. The proxy starts a new transaction
// whenever the sender differs from the last one (conns.go, add), so the
// rcpt and data steps of one SMTP transaction are recorded as a second
// transaction with no mail step: the run's transaction count, its
// message's transaction number and the export's grouping are wrong.
func TestBreaker2RewrittenSenderKeepsTransaction(t *testing.T) {
	t.Parallel()
	hook := rawHook(t, acceptAll)
	var log exchangeLog
	p, err := New(Config{Upstream: hook.URL("/"), TempFailOnError: true, OnExchange: log.add})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	const rewritten = "bounces@example.net"
	for _, body := range [][]byte{
		breaker2Body(wire.StageConnect, ""),
		breaker2Body(wire.StageEhlo, ""),
		breaker2Body(wire.StageMail, "alice@example.net"),
		breaker2Body(wire.StageRcpt, rewritten, "bill@example.org"),
		breaker2Body(wire.StageData, rewritten, "bill@example.org"),
	} {
		p.Handle(context.Background(), breaker2Req(body))
	}
	evs := log.all()
	if len(evs) != 5 {
		t.Fatalf("%d exchanges recorded, want 5", len(evs))
	}
	mailTx := evs[2].Step.Transaction
	for _, ev := range evs[3:] {
		if ev.Step.Transaction != mailTx {
			t.Errorf("%s step in transaction %d, want %d (the mail step's: one MAIL FROM, one transaction)", ev.Step.Kind, ev.Step.Transaction, mailTx)
		}
	}
}

// Proxy.Handler() holds a connection's lock from the upstream's answer
// until Response.After has recorded the exchange. When a data stage ends
// a connection's run, end() deletes the lock from the tracker's map
// while the next transaction's mail request (same client address and
// port: the same SMTP connection) may already wait on it. That request
// then holds a lock nobody else can find: the rcpt request after it gets
// a new lock at once and is recorded before the mail request whose
// After has not run yet (a slow recorder, a slow write to Stalwart), so
// the run holds rcpt before mail. The lock must keep one connection's
// requests in order whatever ended the run before.
func TestBreaker2LockDroppedAtDataStageKeepsOrder(t *testing.T) {
	t.Parallel()
	hook := rawHook(t, acceptAll)
	var log exchangeLog
	p, err := New(Config{Upstream: hook.URL("/"), TempFailOnError: true, OnExchange: log.add})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	h := p.Handler()
	ctx := context.Background()
	for _, body := range [][]byte{
		breaker2Body(wire.StageConnect, ""),
		breaker2Body(wire.StageEhlo, ""),
		breaker2Body(wire.StageMail, "alice@example.net"),
		breaker2Body(wire.StageRcpt, "alice@example.net", "bill@example.org"),
	} {
		h(ctx, breaker2Req(body)).done()
	}
	// The data stage is answered; its After (the recording) is late.
	rData := h(ctx, breaker2Req(breaker2Body(wire.StageData, "alice@example.net", "bill@example.org")))
	// The next transaction's MAIL comes meanwhile and waits for the lock.
	mailDone := make(chan *Response, 1)
	go func() { mailDone <- h(ctx, breaker2Req(breaker2Body(wire.StageMail, "carol@example.net"))) }()
	time.Sleep(300 * time.Millisecond) // the mail request reaches the lock
	rData.done()
	var rMail *Response
	select {
	case rMail = <-mailDone:
	case <-time.After(5 * time.Second):
		t.Fatal("the mail request never got the lock")
	}
	// Its answer is written; the recording (After) is late. Stalwart
	// sends the RCPT now.
	rcptDone := make(chan struct{})
	go func() {
		h(ctx, breaker2Req(breaker2Body(wire.StageRcpt, "carol@example.net", "dave@example.org"))).done()
		close(rcptDone)
	}()
	select {
	case <-rcptDone:
	case <-time.After(300 * time.Millisecond):
	}
	rMail.done()
	select {
	case <-rcptDone:
	case <-time.After(5 * time.Second):
		t.Fatal("the rcpt request was never recorded")
	}
	var stages []string
	for _, ev := range log.all() {
		stages = append(stages, string(ev.Exchange.Stage))
	}
	want := "connect ehlo mail rcpt data mail rcpt"
	if got := strings.Join(stages, " "); got != want {
		t.Errorf("recorded in the order %q, want %q", got, want)
	}
	if evs := log.all(); len(evs) == 7 && evs[5].Conn != evs[6].Conn {
		t.Errorf("the second transaction's mail and rcpt are in different runs")
	}
}

// A credential in the query shorter than hookconf.MinSecretLen
// (?access_token=k9z) is hidden in the exchange's URL (RedactURL hides
// every credential-named parameter), but querySecrets skips it, so the
// recorded request line keeps it in clear: docs/proxy.md promises query
// parameters with such names are hidden ("?access_token=****"). Unlike
// a short header value, hiding it cannot garble the record: it is the
// value of a named parameter in the request line.
func TestBreaker2ShortQueryTokenNotInHead(t *testing.T) {
	t.Parallel()
	const param = "access_token=k9z"
	hook := rawHook(t, acceptAll)
	st, rec, dir := breakerStore(t)
	base, p := startProxy(t, Config{Upstream: hook.URL("/"), Observer: rec, TempFailOnError: true})
	req, _ := http.NewRequest(http.MethodPost, base+"/mta-hook?tenant=acme&"+param, strings.NewReader(breakerConnect))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	p.Close()
	rec.Flush(context.Background())
	waitRuns(t, st, 1)
	rec.Close()
	if storeHolds(t, dir, param) {
		t.Errorf("the store holds %q in clear", param)
	}
	if !storeHolds(t, dir, "tenant=acme") {
		t.Errorf("the query's other parameters were lost")
	}
}
