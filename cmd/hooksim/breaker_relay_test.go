package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"

	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/simulator/wire"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/store"
)

// sendRaw sends one message with net/smtp's DATA writer bypassed: msg is
// written as is (with its own dot-stuffing) followed by ".\r\n".
func sendRawData(t *testing.T, addr, wire string) {
	t.Helper()
	c := helloClient(t, addr)
	if err := c.Mail("john@example.org"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("bill@example.org"); err != nil {
		t.Fatal(err)
	}
	id, err := c.Text.Cmd("DATA")
	if err != nil {
		t.Fatal(err)
	}
	c.Text.StartResponse(id)
	if _, _, err := c.Text.ReadResponse(354); err != nil {
		t.Fatal(err)
	}
	c.Text.EndResponse(id)
	if _, err := io.WriteString(c.Text.W, wire); err != nil {
		t.Fatal(err)
	}
	c.Text.W.Flush()
	if _, _, err := c.Text.ReadResponse(250); err != nil {
		t.Fatal(err)
	}
	c.Quit()
}

// Breaker: --relay forwards the message "as queued", but net/smtp's
// DotWriter changes its bytes: bare LFs reach the downstream server as
// CRLF, and a message that ends with a line ending (a last empty line,
// "...\r\n\r\n.\r\n" on the wire) loses it, since DotWriter.Close
// writes only ".\r\n" after it. Stalwart's delivery writes the queued
// bytes unchanged and then "\r\n.\r\n" (outbound/client.rs:459-494,
// write_message: dot-stuffing only), or sends them raw in BDAT
// (client.rs:186-205).
func TestBreakerRelaySendsQueuedBytes(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ name, wire, body string }{
		{"bare LF", "From: john@example.org\r\nSubject: lf\r\n\r\nline one\nline two\n\r\n.\r\n", "line one\nline two\n"},
		{"last empty line", "From: john@example.org\r\nSubject: crlf\r\n\r\nline one\r\n\r\n.\r\n", "line one\r\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			hook := exampleHook(t)
			downAddr, got := downstream(t)

			db := filepath.Join(t.TempDir(), "h.db")
			s := startSMTP(t, t.TempDir(), "--url", hook, "--stages", "all", "--db", db, "--relay", downAddr)
			sendRawData(t, s.addr, c.wire)
			var res *simulator.SessionResult
			select {
			case res = <-got:
			case <-time.After(20 * time.Second):
				t.Fatal("the downstream server got nothing")
			}
			s.waitFor(t, "relayed to")
			s.stop()
			if len(res.Transactions) != 1 {
				t.Fatalf("downstream got %d messages", len(res.Transactions))
			}
			st, err := store.Open(context.Background(), db)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			msgs, err := st.Messages(context.Background(), 1)
			if err != nil || len(msgs) != 1 {
				t.Fatalf("messages: %d, %v", len(msgs), err)
			}
			queued := append(append([]byte{}, msgs[0].QueuedHead...), msgs[0].Final...)
			if !bytes.HasSuffix(queued, []byte("\r\n\r\n"+c.body)) {
				t.Fatalf("the message as queued does not end with the body sent:\n%q", queued)
			}
			if relayed := res.Transactions[0].Original; !bytes.Equal(relayed, queued) {
				t.Errorf("the downstream received a message ending\n%q\nthe message as queued ends\n%q", tail(relayed), tail(queued))
			}
		})
	}
}

func tail(b []byte) []byte { return b[max(0, len(b)-40):] }

// Breaker: Ctrl-C while messages wait for a downstream that accepts the
// TCP connection and never says anything: hooksim smtp only exits once
// each message's relay timed out (30 s each), in turn; Ctrl-C does not
// reach the relay (serveSMTP calls relay.close, which drains the queue;
// relayMessage has no context).
func TestBreakerRelayBlocksShutdown(t *testing.T) {
	t.Parallel()
	hook := exampleHook(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // silent
		}
	}()
	db := filepath.Join(t.TempDir(), "h.db")
	s := startSMTP(t, t.TempDir(), "--url", hook, "--stages", "all", "--db", db, "--relay", ln.Addr().String(), "-q")
	sendMail(t, s.addr, capturedMessage)
	start := time.Now()
	done := make(chan int, 1)
	go func() { done <- s.stop() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Errorf("hooksim smtp still not stopped %v after Ctrl-C: it waits for the relay (relayTimeout, 30 s, per message queued)", time.Since(start).Round(time.Second))
		<-done
		t.Logf("stopped after %v", time.Since(start).Round(time.Second))
	}
	_ = strings.Contains
}

// Breaker: a downstream that refuses one recipient (5xx at RCPT) gets no
// message at all: relayMessage gives up at the first refused RCPT, so
// the recipients it accepted never get the message. Stalwart's queue
// delivers to the recipients the next hop accepts and bounces the
// others (the delivery status is per recipient).
func TestBreakerRelayOneRecipientRefused(t *testing.T) {
	t.Parallel()
	hook := exampleHook(t)
	refuser := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		if bytes.Contains(b, []byte(`"stage":"rcpt"`)) && bytes.Contains(b, []byte(`ann@example.org"}]`)) {
			io.WriteString(w, `{"action":"reject","response":{"status":550,"enhanced_status":"5.1.1","message":"no ann"}}`)
			return
		}
		io.WriteString(w, `{"action":"accept"}`)
	}))
	defer refuser.Close()
	stages := hookconf.StageSet{wire.StageRcpt: true}
	hk := &hookconf.Hook{ID: "r", URL: refuser.URL, Enable: hookconf.ConstExpression(true), Stages: stages,
		Timeout: 5 * time.Second, TempFailOnError: true, MaxResponseSize: hookconf.DefaultMaxResponseSize}
	downAddr, got := downstream(t, hk)

	s := startSMTP(t, t.TempDir(), "--url", hook, "--stages", "all", "--no-record", "--relay", downAddr)
	sendMail(t, s.addr, capturedMessage) // to bill@ and ann@example.org
	s.waitFor(t, "relayed to "+downAddr)
	res := <-got
	if len(res.Transactions) != 1 || !res.Transactions[0].Delivered {
		t.Errorf("the downstream queued %d messages; want the message, for the recipients it accepted\n%s", len(res.Transactions), s.out.String())
	}
}
