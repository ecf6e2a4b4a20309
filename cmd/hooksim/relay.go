package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/smtp"
	"net/textproto"
	"strings"
	"sync"
	"sync/atomic"
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
	// pending counts the messages queued and not yet relayed.
	pending atomic.Int64
}

type relayJob struct {
	play *recorder.Play // nil when not recording
	peer string         // the client's address, for the log
	tx   *simulator.TransactionResult
}

func newRelayer(addr string, rec *recorder.Recorder, st *store.Store, out io.Writer, quiet bool) *relayer {
	r := &relayer{addr: addr, rec: rec, st: st, out: out, quiet: quiet, jobs: make(chan relayJob, 1024), done: make(chan struct{})}
	go r.run()
	return r
}

// send queues tx, queued on the connection from peer, for the relay.
func (r *relayer) send(play *recorder.Play, peer string, tx *simulator.TransactionResult) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.shut {
		r.pending.Add(1)
		r.jobs <- relayJob{play: play, peer: peer, tx: tx}
	}
}

// close relays what is queued and stops; it says so when that is to
// wait for (a second Ctrl-C ends hooksim at once).
func (r *relayer) close() {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.shut = true
	close(r.jobs)
	r.mu.Unlock()
	if n := r.pending.Load(); n > 0 {
		fmt.Fprintf(r.out, "waiting for %s to %s (at most %v each; Ctrl-C again to quit now)\n", plural(int(n), "relay"), r.addr, relayTimeout)
	}
	<-r.done
}

func (r *relayer) run() {
	defer close(r.done)
	for j := range r.jobs {
		res := relayMessage(r.addr, j.tx)
		if !r.quiet || !res.ok() {
			fmt.Fprintf(r.out, "%s  message %d %s\n", j.peer, j.tx.Number, res.line(r.addr))
		}
		r.record(j, res.ok(), res.status())
		r.pending.Add(-1)
	}
}

// relayResult is what a relay came to.
type relayResult struct {
	reply   string   // the reply to the end of data ("" when not sent)
	refused []string // recipients refused: "<a@b> 550 ..."
	err     error    // the relay failed before or at the data
}

// ok: every recipient was taken and the data accepted.
func (r relayResult) ok() bool { return r.err == nil && len(r.refused) == 0 }

// status is the result in one line, as stored with the message.
func (r relayResult) status() string {
	var parts []string
	if r.err != nil {
		parts = append(parts, r.err.Error())
	} else {
		parts = append(parts, r.reply)
	}
	if len(r.refused) > 0 {
		parts = append(parts, "refused "+strings.Join(r.refused, "; "))
	}
	return strings.Join(parts, "; ")
}

// line is the log line: relayed or not, and why.
func (r relayResult) line(addr string) string {
	switch {
	case r.err != nil:
		return "NOT relayed to " + addr + ": " + r.status()
	case len(r.refused) > 0:
		return "relayed to " + addr + " for some recipients only: " + r.status()
	}
	return "relayed to " + addr + ": " + r.reply
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
		fmt.Fprintf(r.out, "%s  message %d: the relay's outcome was not recorded: %v\n", j.peer, j.tx.Number, err)
	}
}

// relayMessage sends tx as queued (Stalwart's headers in front of the
// final message) with its final envelope to addr: to the recipients the
// downstream takes, the others listed as refused, as a queue delivers
// to each recipient it can. It returns the reply to the end of data.
func relayMessage(addr string, tx *simulator.TransactionResult) (res relayResult) {
	conn, err := net.DialTimeout("tcp", addr, relayTimeout)
	if err != nil {
		return relayResult{err: err}
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(relayTimeout))
	host, _, _ := net.SplitHostPort(addr)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return relayResult{err: fmt.Errorf("greeting: %s", replyText(err))}
	}
	defer c.Close()
	if err := c.Hello("hooksim.localhost"); err != nil {
		return relayResult{err: fmt.Errorf("EHLO: %s", replyText(err))}
	}
	from := ""
	if tx.EnvelopeOut.From != nil {
		from = *tx.EnvelopeOut.From
	}
	if err := c.Mail(from); err != nil {
		return relayResult{err: fmt.Errorf("MAIL FROM:<%s>: %s", from, replyText(err))}
	}
	taken := 0
	for _, to := range tx.EnvelopeOut.To {
		if err := c.Rcpt(to); err != nil {
			res.refused = append(res.refused, fmt.Sprintf("<%s> %s", to, replyText(err)))
			continue
		}
		taken++
	}
	if taken == 0 {
		res.err = fmt.Errorf("no recipient taken")
		c.Reset()
		c.Quit()
		return res
	}
	// DATA through the client's text connection, so that the reply to
	// the end of data can be kept (net/smtp's Data drops its text).
	id, err := c.Text.Cmd("DATA")
	if err != nil {
		res.err = fmt.Errorf("DATA: %s", replyText(err))
		return res
	}
	c.Text.StartResponse(id)
	_, _, err = c.Text.ReadResponse(354)
	c.Text.EndResponse(id)
	if err != nil {
		res.err = fmt.Errorf("DATA: %s", replyText(err))
		return res
	}
	dw := c.Text.DotWriter()
	if _, err := dw.Write(tx.Queued); err != nil {
		res.err = fmt.Errorf("DATA: %s", replyText(err))
		return res
	}
	if err := dw.Close(); err != nil {
		res.err = fmt.Errorf("end of data: %s", replyText(err))
		return res
	}
	code, msg, err := c.Text.ReadResponse(250)
	if err != nil {
		res.err = fmt.Errorf("end of data: %s", replyText(err))
		return res
	}
	c.Quit()
	res.reply = fmt.Sprintf("%d %s", code, strings.ReplaceAll(msg, "\n", " "))
	return res
}

// replyText is an SMTP error as the server said it ("550 5.1.1 ..."; Go's
// textproto quotes the text), or the error.
func replyText(err error) string {
	var te *textproto.Error
	if errors.As(err, &te) {
		return fmt.Sprintf("%03d %s", te.Code, strings.ReplaceAll(te.Msg, "\n", " "))
	}
	return err.Error()
}
