package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/smtp"
	"strings"
	"sync"
	"time"

	"github.com/hooksim/hooksim/recorder"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/store"
)

// relayTimeout bounds one message's relay, from the dial to the reply to
// its data.
const relayTimeout = 30 * time.Second

// relayer forwards queued messages to a downstream SMTP server (--relay),
// one at a time, in the order they were queued, off the connections'
// goroutines: a client never waits for the relay, as Stalwart's queue
// delivers after it answered. Its methods do nothing on a nil relayer.
type relayer struct {
	addr  string
	rec   *recorder.Recorder // nil when not recording
	st    *store.Store       // where rec records
	out   io.Writer
	quiet bool
	jobs  chan relayJob
	done  chan struct{}
	mu    sync.Mutex
	shut  bool
}

type relayJob struct {
	play *recorder.Play // nil when not recording
	tx   *simulator.TransactionResult
}

func newRelayer(addr string, rec *recorder.Recorder, st *store.Store, out io.Writer, quiet bool) *relayer {
	r := &relayer{addr: addr, rec: rec, st: st, out: out, quiet: quiet, jobs: make(chan relayJob, 1024), done: make(chan struct{})}
	go r.run()
	return r
}

// send queues tx for the relay.
func (r *relayer) send(play *recorder.Play, tx *simulator.TransactionResult) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.shut {
		r.jobs <- relayJob{play: play, tx: tx}
	}
}

// close relays what is queued and stops.
func (r *relayer) close() {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.shut = true
	close(r.jobs)
	r.mu.Unlock()
	<-r.done
}

func (r *relayer) run() {
	defer close(r.done)
	for j := range r.jobs {
		reply, err := relayMessage(r.addr, j.tx)
		status := reply
		if err != nil {
			status = err.Error()
		}
		if !r.quiet || err != nil {
			verb := "relayed to"
			if err != nil {
				verb = "NOT relayed to"
			}
			fmt.Fprintf(r.out, "message %s %s %s: %s\n", j.tx.QueueID, verb, r.addr, status)
		}
		r.record(j, err == nil, status)
	}
}

// record keeps the relay's outcome with the message (store.SetRelay),
// once the recorder has committed the message. A failure to record it
// is said, not fatal.
func (r *relayer) record(j relayJob, ok bool, status string) {
	if r.rec == nil || j.play == nil {
		return
	}
	ctx := context.Background()
	if err := r.rec.Flush(ctx); err != nil {
		return // the recording failed: the recorder reports it
	}
	id := j.play.RunID()
	if id == 0 {
		return
	}
	if err := r.st.SetRelay(ctx, id, j.tx.Number, store.Relay{To: r.addr, OK: ok, Reply: status, At: time.Now()}); err != nil {
		fmt.Fprintf(r.out, "message %s: the relay's outcome was not recorded: %v\n", j.tx.QueueID, err)
	}
}

// relayMessage sends tx as queued (Stalwart's headers in front of the
// final message) with its final envelope to addr, and returns the
// server's reply to the end of data.
func relayMessage(addr string, tx *simulator.TransactionResult) (string, error) {
	conn, err := net.DialTimeout("tcp", addr, relayTimeout)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(relayTimeout))
	host, _, _ := net.SplitHostPort(addr)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return "", fmt.Errorf("greeting: %w", err)
	}
	defer c.Close()
	if err := c.Hello("hooksim.localhost"); err != nil {
		return "", fmt.Errorf("EHLO: %w", err)
	}
	from := ""
	if tx.EnvelopeOut.From != nil {
		from = *tx.EnvelopeOut.From
	}
	if err := c.Mail(from); err != nil {
		return "", fmt.Errorf("MAIL FROM:<%s>: %w", from, err)
	}
	for _, to := range tx.EnvelopeOut.To {
		if err := c.Rcpt(to); err != nil {
			return "", fmt.Errorf("RCPT TO:<%s>: %w", to, err)
		}
	}
	// DATA through the client's text connection, so that the reply to
	// the end of data can be kept (net/smtp's Data drops its text).
	id, err := c.Text.Cmd("DATA")
	if err != nil {
		return "", fmt.Errorf("DATA: %w", err)
	}
	c.Text.StartResponse(id)
	_, _, err = c.Text.ReadResponse(354)
	c.Text.EndResponse(id)
	if err != nil {
		return "", fmt.Errorf("DATA: %w", err)
	}
	dw := c.Text.DotWriter()
	if _, err := dw.Write(tx.Queued); err != nil {
		return "", fmt.Errorf("DATA: %w", err)
	}
	if err := dw.Close(); err != nil {
		return "", fmt.Errorf("end of data: %w", err)
	}
	code, msg, err := c.Text.ReadResponse(250)
	if err != nil {
		return "", fmt.Errorf("end of data: %w", err)
	}
	c.Quit()
	return fmt.Sprintf("%d %s", code, strings.ReplaceAll(msg, "\n", " ")), nil
}
