package main

import (
	"bufio"
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

// relayShutdownGrace is how long, once hooksim stops, the relays queued
// may still take; then the one in progress is cut and the others are
// recorded as not relayed.
const relayShutdownGrace = 3 * time.Second

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
	done  chan struct{}
	// mu guards queue and shut; ready is signalled when either changes.
	// The queue has no bound: a client never waits for a slow relay (the
	// messages wait in memory, as in Stalwart's queue on disk).
	mu    sync.Mutex
	ready *sync.Cond
	queue []relayJob
	shut  bool
	// pending counts the messages queued and not yet relayed; relayed
	// and failed those done.
	pending, relayed, failed atomic.Int64
	// stop ends the relays relayShutdownGrace after close began.
	stop       context.Context
	cancelStop context.CancelFunc
	// flushedAtStop: the recorder was flushed once stop was done (run's
	// goroutine only).
	flushedAtStop bool
}

type relayJob struct {
	play *recorder.Play // nil when not recording
	peer string         // the client's address, for the log
	tx   *simulator.TransactionResult
}

func newRelayer(addr string, rec *recorder.Recorder, st *store.Store, out io.Writer, quiet bool) *relayer {
	r := &relayer{addr: addr, rec: rec, st: st, out: out, quiet: quiet, done: make(chan struct{})}
	r.ready = sync.NewCond(&r.mu)
	r.stop, r.cancelStop = context.WithCancel(context.Background())
	go r.run()
	return r
}

// send queues tx, queued on the connection from peer, for the relay; it
// never waits.
func (r *relayer) send(play *recorder.Play, peer string, tx *simulator.TransactionResult) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.shut {
		r.pending.Add(1)
		r.queue = append(r.queue, relayJob{play: play, peer: peer, tx: tx})
		r.ready.Signal()
	}
}

// close relays what is queued, for at most relayShutdownGrace, and
// stops; it says so when there is something to wait for.
func (r *relayer) close() {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.shut = true
	r.ready.Signal()
	r.mu.Unlock()
	if n := r.pending.Load(); n > 0 {
		fmt.Fprintf(r.out, "waiting up to %v for %s to %s\n", relayShutdownGrace, plural(int(n), "relay"), r.addr)
	}
	t := time.AfterFunc(relayShutdownGrace, r.cancelStop)
	<-r.done
	t.Stop()
	r.cancelStop()
}

// next waits for the next job; ok is false once closed and empty.
func (r *relayer) next() (relayJob, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for len(r.queue) == 0 && !r.shut {
		r.ready.Wait()
	}
	if len(r.queue) == 0 {
		return relayJob{}, false
	}
	j := r.queue[0]
	r.queue[0] = relayJob{}
	r.queue = r.queue[1:]
	return j, true
}

func (r *relayer) run() {
	defer close(r.done)
	for {
		j, ok := r.next()
		if !ok {
			return
		}
		res := relayResult{err: errors.New("hooksim stopped before relaying it")}
		if r.stop.Err() == nil {
			res = relayMessage(r.stop, r.addr, j.tx)
		}
		if !r.quiet || !res.ok() {
			fmt.Fprintf(r.out, "%s  message %d %s\n", j.peer, j.tx.Number, res.line(r.addr))
		}
		r.record(j, res.err == nil, res.status())
		if res.err == nil {
			r.relayed.Add(1)
		} else {
			r.failed.Add(1)
		}
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
	s := strings.Join(parts, "; ")
	if len(r.refused) > 0 {
		s += " (refused: " + strings.Join(r.refused, "; ") + ")"
	}
	return s
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

// record keeps the relay's outcome with the message (store.SetRelay:
// ok when the downstream took the message, for some recipients at least),
// once the recorder has committed the message. A failure to record it
// is said, not fatal.
func (r *relayer) record(j relayJob, ok bool, status string) {
	if r.rec == nil || j.play == nil {
		return
	}
	ctx := context.Background()
	// Once stopping, no message comes any more: one flush covers the
	// ones left.
	if !r.flushedAtStop {
		if err := r.rec.Flush(ctx); err != nil {
			return // the recording failed: the recorder reports it
		}
		r.flushedAtStop = r.stop.Err() != nil
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
func relayMessage(ctx context.Context, addr string, tx *simulator.TransactionResult) (res relayResult) {
	d := net.Dialer{Timeout: relayTimeout}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return relayResult{err: err}
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(relayTimeout))
	// hooksim stopping cuts the relay short (relayShutdownGrace).
	defer context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })()
	defer func() {
		if res.err != nil && ctx.Err() != nil {
			res.err = fmt.Errorf("hooksim stopped while relaying it (%v)", res.err)
		}
	}()
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
	if err := writeMessage(c.Text.W, tx.Queued); err != nil {
		res.err = fmt.Errorf("DATA: %s", replyText(err))
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

// writeMessage writes msg and the end of data as Stalwart's SMTP client
// does (outbound/client.rs:459-494): the bytes as they are, a period
// after a CR or an LF doubled, then CRLF . CRLF. A bare LF stays, and a
// message ending in a line break keeps it (net/smtp's DotWriter would
// change both).
func writeMessage(w *bufio.Writer, msg []byte) error {
	crOrLF := false
	last := 0
	for i, b := range msg {
		if b == '.' && crOrLF {
			w.Write(msg[last:i])
			w.WriteByte('.')
			last = i
			crOrLF = false
		} else {
			crOrLF = b == '\n' || b == '\r'
		}
	}
	w.Write(msg[last:])
	w.WriteString("\r\n.\r\n")
	return w.Flush()
}
