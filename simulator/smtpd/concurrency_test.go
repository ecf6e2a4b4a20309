package smtpd_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/smtp"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hooksim/hooksim/recorder"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/simulator/smtpd"
	"github.com/hooksim/hooksim/simulator/wire"
	"github.com/hooksim/hooksim/store"
)

// 50 clients sending 10 messages each, one connection per message, at
// once, through a server that records: 500 runs, each with its five hook
// exchanges and its queued message, none lost.
func TestConcurrentClientsRecorded(t *testing.T) {
	t.Parallel()
	const clients, each = 50, 10
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"action":"accept"}`)
	}))
	defer hook.Close()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "hooksim.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rec := recorder.New(st, recorder.Options{})
	stages := hookconf.StageSet{}
	for _, s := range []wire.Stage{wire.StageConnect, wire.StageEhlo, wire.StageMail, wire.StageRcpt, wire.StageData} {
		stages[s] = true
	}
	sim := simulator.New([]*hookconf.Hook{{ID: "h", URL: hook.URL, Enable: hookconf.ConstExpression(true), Stages: stages,
		Timeout: 10 * time.Second, TempFailOnError: true, MaxResponseSize: hookconf.DefaultMaxResponseSize}}, rec)
	sim.Origin = simulator.Origin{Source: store.SourceSMTP}
	defer sim.Client.Close()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	var failed []string
	srv := &smtpd.Server{Sim: sim, OnConn: func(r *simulator.SessionResult) {
		if r.Err != nil || r.Exchanges != 5 {
			mu.Lock()
			failed = append(failed, fmt.Sprintf("%d exchanges, %v", r.Exchanges, r.Err))
			mu.Unlock()
		}
	}}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()

	var wg sync.WaitGroup
	errs := make(chan error, clients*each)
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for m := range each {
				msg := fmt.Sprintf("From: c%d@example.org\r\nTo: x@example.org\r\nSubject: %d/%d\r\n\r\nbody\r\n", c, c, m)
				if err := send(ln.Addr().String(), fmt.Sprintf("c%d@example.org", c), "x@example.org", msg); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	cancel()
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	close(errs)
	for err := range errs {
		t.Errorf("client: %v", err)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if len(failed) > 0 {
		t.Errorf("%d sessions did not end well: %v", len(failed), failed[0])
	}
	runs, err := st.ListRuns(context.Background(), store.RunFilter{Limit: 1000, Source: store.SourceSMTP})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != clients*each {
		t.Fatalf("%d runs recorded, want %d", len(runs), clients*each)
	}
	for _, r := range runs {
		if r.Outcome != store.OutcomePassed || r.Exchanges != 5 {
			t.Fatalf("run %d: %s with %d exchanges", r.ID, r.Outcome, r.Exchanges)
		}
		msgs, err := st.Messages(context.Background(), r.ID)
		if err != nil || len(msgs) != 1 || !msgs[0].Delivered {
			t.Fatalf("run %d: messages %+v, %v", r.ID, msgs, err)
		}
	}
}

// send sends one message on a connection of its own, as smtp.SendMail
// does but saying an EHLO name Stalwart takes on port 25 (SendMail says
// "localhost", which it refuses: 550 5.5.0 Invalid EHLO domain).
func send(addr, from, to, msg string) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello("client.example.net"); err != nil {
		return err
	}
	if err := c.Mail(from); err != nil {
		return err
	}
	if err := c.Rcpt(to); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}
