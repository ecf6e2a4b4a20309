package main

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/hooksim/hooksim/simulator"
)

// Breaker 2: the relay queue is a channel of 1024, and send writes to it
// holding r.mu. With a downstream that is slow (here: silent, so each
// relay waits relayTimeout, 30 s), the 1026th message queued blocks its
// connection (Play.Transaction runs on the connection's goroutine before
// the client gets its 250: a client waits for the relay after all), and
// Ctrl-C's relay.close() waits on r.mu for the relay in progress to time
// out before its 3 s grace even starts. Stalwart's queue never makes the
// SMTP session wait for delivery, and its shutdown does not wait for it.
func TestBreaker2RelayQueueFullBlocksClientAndShutdown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var held []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c) // silent: no greeting
			mu.Unlock()
		}
	}()
	defer func() {
		ln.Close()
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
	}()
	r := newRelayer(ln.Addr().String(), nil, nil, io.Discard, true)
	from := "john@example.org"
	tx := &simulator.TransactionResult{Number: 1, Delivered: true, Queued: []byte("Subject: x\r\n\r\nx\r\n")}
	tx.EnvelopeOut.From, tx.EnvelopeOut.To = &from, []string{"bill@example.org"}
	sent := make(chan struct{})
	go func() {
		for range 1026 {
			r.send(nil, "127.0.0.1:1", tx)
		}
		close(sent)
	}()
	select {
	case <-sent:
	case <-time.After(3 * time.Second):
		t.Errorf("queuing 1026 messages for the relay blocks the connection that queued the last one (the relay queue is full)")
	}
	closed := make(chan struct{})
	start := time.Now()
	go func() { r.close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(relayShutdownGrace + 3*time.Second):
		t.Errorf("relay.close() still waiting %v after Ctrl-C; want at most relayShutdownGrace (%v)", time.Since(start).Round(time.Second), relayShutdownGrace)
		// Unblock: the downstream goes, the relays fail at once.
		ln.Close()
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
		<-closed
	}
}
