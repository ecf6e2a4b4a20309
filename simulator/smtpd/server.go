package smtpd

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator"
)

// Server answers SMTP clients as Stalwart would, playing each connection
// through the simulator (simulator.Live): every command a client sends
// is a step of the connection's session, its replies are the step's.
type Server struct {
	// Sim plays the connections (its hooks, HTTP client, observer).
	Sim *simulator.Simulator
	// NewSession describes a new connection: its client (the address
	// the hooks see) and server settings; its steps are not used. Nil:
	// the peer's address, Stalwart's defaults on port 25.
	NewSession func(conn net.Conn) *sessions.Session
	// TLS is the configuration STARTTLS negotiates with; nil: a
	// STARTTLS is answered as Stalwart answers it, then the connection
	// is closed, having no certificate.
	TLS *tls.Config
	// MaxConnections bounds the connections served at once (0: no
	// bound). Over it, a new connection is closed before the greeting,
	// without a word, as Stalwart's connection throttle does
	// (spawn.rs:43).
	MaxConnections int
	// IdleTimeout is how long a client may stay silent (0: Stalwart's
	// 5 minutes, MtaInboundSession timeout); then the server says
	// ReplyIdle and closes the connection (spawn.rs:222-233).
	IdleTimeout time.Duration
	// MaxDuration is how long a connection may last (0: Stalwart's 10
	// minutes, MtaInboundSession maxDuration); what the client sends
	// after it gets ReplyTooLong and a close (spawn.rs:177-207).
	MaxDuration time.Duration
	// TransferLimit is how many bytes a client may send on a connection
	// (0: Stalwart's 262144000, transferLimit); a read past it gets
	// ReplyTransferQuota and a close (spawn.rs:165-176).
	TransferLimit int64
	// TLSTimeout bounds a TLS handshake, STARTTLS or implicit (0:
	// Stalwart's 60 s, the listener's tlsTimeout); a client that has not
	// finished it by then is disconnected without a reply.
	TLSTimeout time.Duration
	// OnRefused, when set, is told of each connection closed before its
	// greeting (MaxConnections, the connection throttle), with why.
	OnRefused func(remote net.Addr, why string)
	// OnConn, when set, is called with each connection's result once it
	// is over.
	OnConn func(*simulator.SessionResult)
	// CheckCredentials, when set, decides whether an AUTH's login and
	// secret (password or token) are right; nil takes any (Stalwart's
	// directory then always says yes).
	CheckCredentials func(login, secret string) bool
}

// Stalwart's MtaInboundSession defaults.
const (
	DefaultIdleTimeout   = 5 * time.Minute
	DefaultMaxDuration   = 10 * time.Minute
	DefaultTransferLimit = 262144000
	DefaultTLSTimeout    = 60 * time.Second
)

// Stalwart's connection-level replies (spawn.rs), %s its host name.
const (
	ReplyIdle          = "221 2.0.0 %s Disconnecting inactive client."
	ReplyShutdown      = "421 4.3.0 %s Server shutting down."
	ReplyTooLong       = "421 4.3.2 %s Session open for too long."
	ReplyTransferQuota = "452 4.7.28 %s Session exceeded transfer quota."
)

// stoppedError is the SessionResult.Err of a connection the server's
// stop ended: it says so in words, and is the context's error beneath
// (errors.Is(err, context.Canceled)).
type stoppedError struct{ err error }

func (e stoppedError) Error() string { return "stopped by Ctrl-C or SIGTERM" }
func (e stoppedError) Unwrap() error { return e.err }

// ErrThrottled is the SessionResult.Err of a connection closed by the
// connection throttle (Simulator.Throttles) before its greeting.
var ErrThrottled = errors.New("smtpd: connection throttled")

// refused tells OnRefused of a connection closed before its greeting.
func (s *Server) refused(conn net.Conn, why string) {
	if s.OnRefused != nil {
		s.OnRefused(conn.RemoteAddr(), why)
	}
}

// errLimit ends a connection that went past MaxDuration or
// TransferLimit; its reply is written.
var errLimit = errors.New("smtpd: session limit")

// counter counts the bytes read through it.
type counter struct {
	r io.Reader
	n *int64
}

func (c counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	*c.n += int64(n)
	return n, err
}

// limits checks, after bytes came from the client, the connection's
// duration and what it sent, as Stalwart does after each read; past one,
// it calls aborted (when set: the command cut short is recorded first),
// tells and records the reply, and returns errLimit.
func (c *connState) limits(aborted func()) error {
	maxDur, quota := c.srv.MaxDuration, c.srv.TransferLimit
	if maxDur <= 0 {
		maxDur = DefaultMaxDuration
	}
	if quota <= 0 {
		quota = DefaultTransferLimit
	}
	var reply, why string
	switch {
	case c.received > quota:
		reply, why = ReplyTransferQuota, fmt.Sprintf("the client sent more than the session's transfer limit, %d bytes", quota)
	case time.Since(c.started) > maxDur:
		reply, why = ReplyTooLong, fmt.Sprintf("the session lasted longer than %v", maxDur)
	default:
		return nil
	}
	if aborted != nil {
		aborted()
	}
	c.closeWith(reply, why)
	return errLimit
}

// Serve accepts connections on ln and serves each on its own goroutine
// until ctx is done or ln fails; then it stops accepting, tells each
// client still connected ReplyShutdown (its session ends interrupted:
// SessionResult.Err is ctx's error), waits for every connection to end,
// and returns nil when ctx ended it.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	// The connections' context: ctx, or the listener's failure, which
	// tells the clients connected that the server is shutting down.
	connCtx, cancelConns := context.WithCancel(ctx)
	defer cancelConns()
	var wg sync.WaitGroup
	defer wg.Wait()
	var open atomic.Int64
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			cancelConns()
			return fmt.Errorf("smtpd: accept: %w", err)
		}
		if s.MaxConnections > 0 && open.Load() >= int64(s.MaxConnections) {
			s.refused(conn, fmt.Sprintf("closed before the greeting: %d connections already open (maxConnections)", s.MaxConnections))
			conn.Close()
			continue
		}
		open.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := s.ServeConn(connCtx, conn)
			// The connection no longer counts once it is closed, before
			// OnConn hears of it.
			open.Add(-1)
			if s.OnConn != nil {
				s.OnConn(res)
			}
		}()
	}
}

// DefaultSession describes a connection from conn's peer to a server
// with a script's defaults (sessions.DefaultServerHostname,
// DefaultServerIP, port 25, 465 for a TLS connection) and Stalwart's
// settings.
func DefaultSession(conn net.Conn) *sessions.Session {
	s := &sessions.Session{Name: "smtp", Server: sessions.Server{Hostname: sessions.DefaultServerHostname,
		IP: sessions.DefaultServerIP, Port: sessions.DefaultServerPort}}
	if a, ok := conn.RemoteAddr().(*net.TCPAddr); ok {
		s.Client.IP, s.Client.Port = a.IP.String(), uint16(a.Port)
	}
	if _, ok := conn.(*tls.Conn); ok {
		s.Server.Port = sessions.ImplicitTLSPort
	}
	return s
}

// ServeConn plays one connection until the client quits or goes, the
// server closes it, or ctx is done; it closes conn and returns the
// session's result. The session's local domains, when it names none,
// are those of the recipients the client sends to.
func (s *Server) ServeConn(ctx context.Context, conn net.Conn) *simulator.SessionResult {
	defer conn.Close()
	newSession := s.NewSession
	if newSession == nil {
		newSession = DefaultSession
	}
	var negotiated *sessions.TLS
	if tc, ok := conn.(*tls.Conn); ok {
		// Implicit TLS (a listener like Stalwart's on port 465): the
		// handshake comes before the greeting, and the hooks see what it
		// negotiated from the connect stage on.
		hctx, cancel := context.WithTimeout(ctx, handshakeTimeout(s))
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			return &simulator.SessionResult{Name: "smtp", Err: fmt.Errorf("smtpd: TLS handshake: %w", err)}
		}
		st := tc.ConnectionState()
		negotiated = &sessions.TLS{Version: TLSVersionName(st.Version), Cipher: TLSCipherName(st.Version, st.CipherSuite), Implicit: true}
	}
	sess := newSession(conn)
	if negotiated != nil && sess.Client.TLS == nil {
		sess.Client.TLS = negotiated
	}
	// Stalwart's connection throttle (Simulator.Throttles), keyed by the
	// address the session sees: over it, the connection is closed
	// before the greeting, without a word (spawn.rs:43).
	if t := s.Sim.Throttles; t != nil && !t.Connect(sess.Client.IP, time.Now()) {
		s.refused(conn, fmt.Sprintf("closed before the greeting: Stalwart's connection throttle (%d a second from %s)", simulator.ConnectRate, sess.Client.IP))
		return &simulator.SessionResult{Name: sess.Name, Err: ErrThrottled}
	}
	live := s.Sim.Open(ctx, sess)
	// The connection as a session script comes with its result, for
	// `hooksim export` to turn into a test.
	live.KeepScript()
	live.SASLLinesRead()
	if len(sess.Server.LocalDomains) == 0 {
		live.RecipientDomainsLocal()
	}
	c := &connState{srv: s, conn: conn, live: live, started: time.Now()}
	c.setConn(conn)
	// A done ctx wakes a read that waits for the client, and a write to
	// a client that does not read.
	stop := context.AfterFunc(ctx, func() { c.deadlines(time.Now()) })
	defer stop()
	err := c.serve(ctx)
	// A last reply must not wait on a client that does not read.
	c.mu.Lock()
	c.conn.SetDeadline(time.Now().Add(time.Second))
	c.mu.Unlock()
	switch {
	case err == nil:
		// The session closed (QUIT, a refusal that closes): done, even
		// if the server is stopping meanwhile.
	case ctx.Err() != nil:
		c.closeWith(ReplyShutdown, "the server is shutting down")
		err = stoppedError{ctx.Err()}
	case errors.As(err, new(handshakeError)):
		// A failed TLS handshake ends the connection without a word
		// (Stalwart's into_tls fails, the session ends).
		err = nil
	case errors.Is(err, os.ErrDeadlineExceeded):
		c.closeWith(ReplyIdle, fmt.Sprintf("the client said nothing for %v", c.idleTimeout()))
		err = nil
	case errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || errors.Is(err, errLimit):
		err = nil // the client went, or the server closed: the session simply ends
	}
	return c.live.Finish(err)
}

// handshakeTimeout bounds an implicit TLS handshake: Stalwart's TLS
// timeout.
func handshakeTimeout(s *Server) time.Duration { return s.tlsTimeout() }

// tlsTimeout is TLSTimeout or its default.
func (s *Server) tlsTimeout() time.Duration {
	if s.TLSTimeout > 0 {
		return s.TLSTimeout
	}
	return DefaultTLSTimeout
}

// idleTimeout is the server's IdleTimeout or its default.
func (c *connState) idleTimeout() time.Duration {
	if c.srv.IdleTimeout > 0 {
		return c.srv.IdleTimeout
	}
	return DefaultIdleTimeout
}

// shutdownGrace is how long, once the server stops, each reply still due
// to a client (the command in progress, then ReplyShutdown) may take to
// be written: what is recorded as said is said, unless the client does
// not read.
const shutdownGrace = time.Second

// deadlines stops the connection's reads at t (the TLS connection's
// after STARTTLS, which set the TCP connection's): a read waiting for the
// client ends, as Stalwart's session loop races its read against the
// shutdown signal (spawn.rs:146-247). A command in progress runs to its
// end, its hook calls included, and its replies are written (reply).
// A write blocked on a client that does not read is cut shutdownGrace
// later. It marks the connection stopping: idle no longer moves the
// deadlines.
func (c *connState) deadlines(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopping = true
	c.conn.SetReadDeadline(t)
	// A write blocked on a client that does not read ends too.
	c.conn.SetWriteDeadline(t.Add(shutdownGrace))
}

// idle arms the idle timeout for the next read or write (a client that
// neither sends nor reads for that long is gone), unless the server is
// stopping: its deadlines are already past.
func (c *connState) idle(ctx context.Context) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopping || ctx.Err() != nil {
		return
	}
	c.conn.SetDeadline(time.Now().Add(c.idleTimeout()))
}

// connState is one connection being served.
type connState struct {
	srv      *Server
	mu       sync.Mutex // guards conn and stopping against deadlines from another goroutine
	stopping bool
	conn     net.Conn
	r        *bufio.Reader
	w        *bufio.Writer
	lines    *LineReader
	live     *simulator.Live
	started  time.Time
	received int64 // bytes read from the client
}

func (c *connState) setConn(conn net.Conn) {
	c.mu.Lock()
	c.conn = conn
	c.mu.Unlock()
	c.r = bufio.NewReaderSize(counter{conn, &c.received}, 8192) // Stalwart reads 8192 bytes at a time (spawn.rs:143)
	c.w = bufio.NewWriter(conn)
	c.lines = NewLineReader(c.r)
}

func (c *connState) serve(ctx context.Context) error {
	if err := c.step(ctx, &sessions.Step{Kind: sessions.StepConnect}, 0); err != nil {
		return err
	}
	for !c.live.Closed() {
		c.idle(ctx)
		line, err := c.lines.ReadLine()
		tooLong := errors.Is(err, ErrLineTooLong)
		if err != nil && !tooLong {
			return err
		}
		if err := c.limits(nil); err != nil {
			return err
		}
		text := string(line)
		verb := simulator.CommandVerb(text)
		if tooLong {
			verb = "" // dropped whatever it says: the step answers 554
			// The head kept may end in the CR of its CRLF, which a
			// script's raw line cannot carry; any 4096 bytes get 554.
			text = strings.TrimRight(text, "\r")
			if len(text) < simulator.MaxLineLength {
				text += strings.Repeat(" ", simulator.MaxLineLength-len(text))
			}
		}
		switch verb {
		case "DATA":
			err = c.data(ctx)
		case "STARTTLS":
			err = c.startTLS(ctx, text)
		case "AUTH":
			err = c.auth(ctx, text)
		case "BDAT":
			err = c.bdat(ctx, text)
		default:
			err = c.step(ctx, rawStep(text), 0)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// rawStep is a command line as the client sent it.
func rawStep(line string) *sessions.Step { return &sessions.Step{Kind: sessions.StepRaw, Arg: line} }

// step plays st and writes its replies but the first skip (already
// written), each flushed as Stalwart writes them (session.rs:497-529).
func (c *connState) step(ctx context.Context, st *sessions.Step, skip int) error {
	// The server stopping does not cut the command's hook calls short:
	// Stalwart runs a command to its end (spawn.rs:156) and says it is
	// shutting down at its next read. Each call has its own timeout.
	res := c.live.Step(context.WithoutCancel(ctx), st)
	if res == nil {
		return net.ErrClosed
	}
	for _, r := range res.Replies[min(skip, len(res.Replies)):] {
		if err := c.reply(r); err != nil {
			return err
		}
	}
	return nil
}

// closeWith tells the client the server closes the connection, reply
// being one of Stalwart's connection replies (%s its host name), and
// records it (simulator.Live.ServerClose).
func (c *connState) closeWith(reply, why string) {
	r := fmt.Sprintf(reply, c.live.Hostname())
	c.reply(r)
	c.live.ServerClose(r, why)
}

// handshakeError is a STARTTLS handshake that failed.
type handshakeError struct{ err error }

func (e handshakeError) Error() string { return "smtpd: TLS handshake: " + e.err.Error() }
func (e handshakeError) Unwrap() error { return e.err }

// reply writes one reply line and flushes it; once the server is
// stopping, within shutdownGrace.
func (c *connState) reply(r string) error {
	c.mu.Lock()
	if c.stopping {
		c.conn.SetWriteDeadline(time.Now().Add(shutdownGrace))
	}
	c.mu.Unlock()
	if _, err := c.w.WriteString(r + "\r\n"); err != nil {
		return err
	}
	return c.w.Flush()
}

// data answers DATA: a refusal as the data step gives it, or 354, the
// message read as Stalwart reads it (DataReceiver), then the data step
// with it. Of a message over the server's maximum size only that much
// is kept: the data step refuses it anyway.
func (c *connState) data(ctx context.Context) error {
	if r := c.live.DataReply(); r != "" {
		return c.step(ctx, &sessions.Step{Kind: sessions.StepData}, 0)
	}
	if err := c.reply(simulator.ReplyDataGo); err != nil {
		return err
	}
	limit := int(min(c.live.MaxMessageSize()+1, 1<<40))
	var rcv DataReceiver
	var msg []byte
	sent := 0 // the message's bytes beyond those kept, then all of them
	for {
		c.idle(ctx)
		if _, err := c.r.Peek(1); err != nil {
			// The client left (or went silent, or the server is stopping)
			// before the end of the message: no data stage.
			c.live.DataAborted(len(msg))
			return err
		}
		buf, _ := c.r.Peek(c.r.Buffered())
		var n int
		var done bool
		msg, n, done = rcv.Ingest(buf, msg)
		if _, err := c.r.Discard(n); err != nil {
			return err
		}
		if err := c.limits(func() { c.live.DataAborted(len(msg)) }); err != nil {
			return err
		}
		if len(msg) > limit {
			// Past the maximum: the rest is read and dropped; what is
			// kept is still too big for the data step.
			sent += len(msg) - limit
			msg = msg[:limit]
		}
		if done {
			break
		}
	}
	// A data step's message is the bytes before the terminator with
	// their final CRLF (sessions.Message); the receiver cut it.
	sent += len(msg)
	raw := append(msg, '\r', '\n')
	source := "the client"
	if sent > len(msg) {
		source = fmt.Sprintf("the client, which sent %d bytes: only the first %d are kept, enough to be over the maximum size", sent, len(msg))
	}
	return c.step(ctx, &sessions.Step{Kind: sessions.StepData, Message: &sessions.Message{Raw: raw, Source: source}}, 1)
}

// auth answers AUTH: a refusal, a bad line or a mechanism Stalwart does
// not know as the simulator's raw step gives them; otherwise the SASL
// exchange (the prompts Stalwart says, the client's responses read as
// its lines), then one auth step with the credentials (Prompted when
// the AUTH line had no initial response), or Live.AuthInvalid for a
// response Stalwart refuses. The prompts already written are not
// written again. LOGIN with the user name on the AUTH line is played
// as a LOGIN step, whose record shows both prompts.
func (c *connState) auth(ctx context.Context, line string) error {
	_, rest := simulator.SplitCommand(line)
	mech, initial, ok := simulator.ParseAuth(rest)
	if !ok || !slices.Contains(sessions.SaslMechanisms, mech) || c.live.AuthReply(mech) != "" {
		// Refused before any exchange: the raw step gives the reply,
		// which does not depend on the initial response; that is left
		// out of the step, so that no credentials are recorded.
		if initial != "" {
			line = "AUTH " + strings.ToUpper(mech)
		}
		return c.step(ctx, rawStep(line), 0)
	}
	var heard []string
	// ask writes a prompt and reads the client's response line.
	ask := func(prompt string) (resp string, tooLong bool, err error) {
		if err := c.reply(prompt); err != nil {
			return "", false, err
		}
		heard = append(heard, prompt)
		c.idle(ctx)
		l, err := c.lines.ReadLine()
		if errors.Is(err, ErrLineTooLong) {
			return "", true, nil
		}
		return string(l), false, err
	}
	// invalid records the failed exchange and writes what follows the
	// prompts: the failure, and the close after the last one allowed.
	invalid := func(tooLong bool) error {
		res := c.live.AuthInvalid(mech, heard, tooLong)
		if res == nil {
			return net.ErrClosed
		}
		for _, r := range res.Replies[len(heard):] {
			if err := c.reply(r); err != nil {
				return err
			}
		}
		return nil
	}
	// orInvalid is err when the connection ended during the exchange
	// (recorded, cut short: Live.AuthAborted), else the invalid AUTH for
	// a line too long.
	orInvalid := func(err error, tooLong bool) error {
		if err != nil {
			c.live.AuthAborted(mech, heard)
			return err
		}
		return invalid(tooLong)
	}
	st := &sessions.Step{Kind: sessions.StepAuth}
	if mech != "plain" {
		st.Mechanism = mech
	}
	// As Stalwart's handle_sasl_response (auth.rs:46-108): an empty
	// response is prompted for again (PLAIN, XOAUTH2, OAUTHBEARER; LOGIN
	// while it has no user name); a response that does not decode, or
	// an empty LOGIN password, is 500 5.5.6.
	resp := initial
	if mech == "login" {
		// Stalwart keeps the user name and the password as they come
		// (auth.rs:53-84): an empty line while both are empty asks for
		// the user name again; a response while the user name is empty
		// (even one decoding to nothing) is the user name, and the
		// password is asked for; the next is the password; an empty line
		// after the user name is 500 5.5.6.
		var user []byte
		for {
			if resp == "" {
				if len(user) != 0 {
					return invalid(false)
				}
				var long bool
				var err error
				if resp, long, err = ask(simulator.ReplyAuthLoginUser); err != nil || long {
					return orInvalid(err, long)
				}
				continue
			}
			dec, ok := simulator.DecodeBase64(resp)
			if !ok {
				return invalid(false)
			}
			if len(user) == 0 {
				user = dec
				if len(heard) == 0 {
					heard = append(heard, simulator.ReplyAuthLoginUser) // the step says it; the client did not hear it
				}
				var long bool
				var err error
				if resp, long, err = ask(simulator.ReplyAuthLoginPass); err != nil || long {
					return orInvalid(err, long)
				}
				continue
			}
			st.Login, st.Password = string(user), string(dec)
			break
		}
	} else {
		for resp == "" {
			st.Prompted = true
			var long bool
			var err error
			if resp, long, err = ask(simulator.ReplyAuthContinue); err != nil || long {
				return orInvalid(err, long)
			}
		}
		login, secret, ok := simulator.DecodeSASL(mech, resp)
		if !ok {
			return invalid(false)
		}
		st.Login, st.Password = login, secret
	}
	st.AuthFail = c.srv.CheckCredentials != nil && !c.srv.CheckCredentials(st.Login, st.Password)
	// The step's replies start with its prompts (LOGIN's two, a
	// prompted response's one), which the client heard (a prompt said
	// again for an empty response is not in the step): the rest is new.
	prompts := 0
	switch {
	case mech == "login":
		prompts = 2
	case st.Prompted:
		prompts = 1
	}
	return c.step(ctx, st, prompts)
}

// bdat answers a BDAT command: its chunk (the size the line gives, read
// after it) is played with it as one step; the chunks of a message add
// up in the simulator until the LAST one (simulator.ParseBdat, bdatLine).
// A chunk over the server's maximum message size is read and dropped,
// and played empty: it is refused on its size. A line Stalwart does not
// take is played as it is (its syntax error, no chunk read).
func (c *connState) bdat(ctx context.Context, line string) error {
	_, rest := simulator.SplitCommand(line)
	size, _, ok := simulator.ParseBdat(rest)
	if !ok {
		return c.step(ctx, rawStep(line), 0)
	}
	chunk := &sessions.Message{Raw: []byte{}, Source: "the client"}
	keep := size <= uint64(c.live.MaxMessageSize())
	// The chunk is read as it comes, the idle timeout and the session's
	// limits applying to each read, as in Stalwart; it grows with what
	// arrives, not with what its line announced.
	for left := size; left > 0; {
		c.idle(ctx)
		if _, err := c.r.Peek(1); err != nil {
			c.live.ChunkAborted(line, size-left, size)
			return err
		}
		n := int(min(uint64(c.r.Buffered()), left))
		if keep {
			b, _ := c.r.Peek(n)
			chunk.Raw = append(chunk.Raw, b...)
		}
		c.r.Discard(n)
		left -= uint64(n)
		if err := c.limits(func() { c.live.ChunkAborted(line, size-left, size) }); err != nil {
			return err
		}
	}
	st := rawStep(line)
	st.Message = chunk
	return c.step(ctx, st, 0)
}

// startTLS answers STARTTLS as the step does, then, when it said 220,
// makes the connection TLS and tells the simulator what was negotiated.
func (c *connState) startTLS(ctx context.Context, line string) error {
	res := c.live.Step(ctx, rawStep(line))
	if res == nil {
		return net.ErrClosed
	}
	for _, r := range res.Replies {
		if err := c.reply(r); err != nil {
			return err
		}
	}
	if len(res.Replies) == 0 || !strings.HasPrefix(res.Replies[len(res.Replies)-1], "220") {
		return nil
	}
	if c.srv.TLS == nil {
		return fmt.Errorf("smtpd: STARTTLS without a certificate")
	}
	tc := tls.Server(c.conn, c.srv.TLS)
	// The handshake has Stalwart's TLS timeout, not the idle one; a
	// failed handshake ends the connection without a reply (a reply in
	// clear text would be read as TLS).
	c.mu.Lock()
	if !c.stopping {
		c.conn.SetDeadline(time.Now().Add(c.srv.tlsTimeout()))
	}
	c.mu.Unlock()
	if err := tc.HandshakeContext(ctx); err != nil {
		return handshakeError{err}
	}
	st := tc.ConnectionState()
	c.live.SetTLS(&sessions.TLS{Version: TLSVersionName(st.Version), Cipher: TLSCipherName(st.Version, st.CipherSuite)})
	c.setConn(tc)
	return nil
}

// TLSVersionName is a TLS version as Stalwart (rustls) names it in a
// hook's request: "TLSv1.3".
func TLSVersionName(v uint16) string {
	switch v {
	case tls.VersionTLS13:
		return "TLSv1.3"
	case tls.VersionTLS12:
		return "TLSv1.2"
	case tls.VersionTLS11:
		return "TLSv1.1"
	case tls.VersionTLS10:
		return "TLSv1.0"
	}
	return fmt.Sprintf("0x%04x", v)
}

// TLSCipherName is a cipher suite as Stalwart (rustls) names it:
// TLS 1.3 suites "TLS13_AES_256_GCM_SHA384", the others by their IANA
// names, as Go's.
func TLSCipherName(version, suite uint16) string {
	name := tls.CipherSuiteName(suite)
	if version == tls.VersionTLS13 {
		return "TLS13_" + strings.TrimPrefix(name, "TLS_")
	}
	return name
}
