package proxy

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"sync"
	"syscall"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// The HTTP/2 server side (RFC 9113), written on golang.org/x/net/http2's
// Framer rather than its http2.Server: the Server hands a handler a Go map
// of headers, which loses the order Stalwart sent them in, and the proxy
// forwards a request's fields in order and checks that order.
//
// Shape: one goroutine (run) owns the connection's state and processes
// the frames a reader goroutine reads, one at a time; every request stream
// is answered by its own goroutine (Stalwart's hyper client multiplexes
// concurrent hook calls on one connection). Writes to the connection go
// through h2conn.write, one at a time; a stream's goroutine waits on cond
// for the MTA's flow-control windows.

// HTTP/2 settings the proxy announces, and the protocol's defaults.
const (
	// h2MaxStreams is SETTINGS_MAX_CONCURRENT_STREAMS.
	h2MaxStreams = 250
	// h2StreamWindow is SETTINGS_INITIAL_WINDOW_SIZE (bytes): what the
	// MTA may send on a stream before a WINDOW_UPDATE. The body is read
	// whole, so the window is given back as DATA arrives, a quarter of
	// it at a time.
	h2StreamWindow = 1 << 20
	// h2ConnWindow is the connection's receive window (bytes), raised
	// from the default by a WINDOW_UPDATE right after SETTINGS.
	h2ConnWindow = 8 << 20
	// h2MaxReadFrame is SETTINGS_MAX_FRAME_SIZE (bytes): larger DATA
	// frames make a 100 MiB message fewer frames.
	h2MaxReadFrame = 256 << 10
	// h2DefaultWindow and h2DefaultFrame are RFC 9113's initial window
	// and frame size, what holds before SETTINGS say otherwise.
	h2DefaultWindow = 65535
	h2DefaultFrame  = 16384
	// h2MaxWindow is the largest flow-control window (2^31-1).
	h2MaxWindow = math.MaxInt32
	// h2WriteTimeout bounds writing one frame: an MTA that stops reading
	// for that long loses the connection.
	h2WriteTimeout = 30 * time.Second
	// h2Linger is how long a closing connection keeps reading (and
	// discarding) after its GOAWAY, so that the MTA reads the last frames
	// before the socket goes: closing with unread input resets it.
	h2Linger = time.Second
	// h2RecentResets is how many streams reset by the proxy are
	// remembered, so that the frames the MTA sent on them before it saw
	// the RST_STREAM are ignored rather than taken as errors.
	h2RecentResets = 32
)

// h2conn is one HTTP/2 connection from the MTA.
type h2conn struct {
	s       *Server
	conn    net.Conn
	isTLS   bool
	remote  string
	maxHead int
	maxBody int64
	idle    time.Duration
	base    context.Context // the streams' parent: Serve's ctx without its cancellation

	rd *h2reader
	fr *http2.Framer

	// wmu serializes writes: the framer's write side, bw, the HPACK
	// encoder (its table changes with each header block, in the order
	// the blocks are sent) and wbroken.
	wmu     sync.Mutex
	bw      *bufio.Writer
	enc     *hpack.Encoder
	encBuf  bytes.Buffer
	wbroken bool // a write failed or the connection is closing: no more

	// mu guards the send side's flow control: connSend, maxFrame, closed
	// and each stream's sendWin and reset. cond wakes the stream
	// goroutines waiting for a window. Lock order: wmu, then mu.
	mu       sync.Mutex
	cond     *sync.Cond
	connSend int64  // what the proxy may still send on the connection
	maxFrame uint32 // the MTA's SETTINGS_MAX_FRAME_SIZE
	closed   bool

	// Owned by run.
	streams     map[uint32]*h2stream
	maxID       uint32 // the highest stream ID the MTA opened
	lastOK      uint32 // the highest stream ID accepted (GOAWAY's last stream)
	initSend    int64  // the MTA's SETTINGS_INITIAL_WINDOW_SIZE
	connRecv    int64  // what the MTA may still send on the connection
	connUnacked int64  // received and not yet given back
	sawSettings bool
	goAwaySent  bool
	peerGoAway  bool
	recent      [h2RecentResets]uint32
	recentNext  int

	wg     sync.WaitGroup // the stream goroutines
	doneCh chan *h2stream // a stream goroutine has answered
	// running counts the stream goroutines not yet done (reset streams'
	// included); refusedRunning the streams refused because of them.
	// The connection's goroutine alone touches them.
	running, refusedRunning int
	quit                    chan struct{} // closed when the connection is done
}

// h2reader remembers the error of the connection's last read, which tells
// an I/O failure from a malformed frame (the Framer reports a short
// payload as io.ErrUnexpectedEOF too).
type h2reader struct {
	r   io.Reader
	err error
}

func (r *h2reader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil {
		r.err = err
	}
	return n, err
}

// h2read is what the reader goroutine read: a frame or an error. ioErr is
// the connection's read error when err came from it.
type h2read struct {
	f     http2.Frame
	err   error
	ioErr error
}

// h2end says how a connection ends.
type h2end struct {
	how    int // h2Open, h2Graceful, h2Broken or h2Failed
	code   http2.ErrCode
	reason string
	err    error // reported to OnError
}

const (
	h2Open     = iota // not ending
	h2Graceful        // GOAWAY NO_ERROR, the streams are done
	h2Broken          // the MTA closed the connection or it failed: no GOAWAY
	h2Failed          // a connection error: GOAWAY with its code
)

// h2connError is a connection error (RFC 9113 §5.4.1) found while
// processing a frame.
type h2connError struct {
	code   http2.ErrCode
	reason string
}

func (e *h2connError) Error() string { return fmt.Sprintf("%v: %s", e.code, e.reason) }

func connErr(code http2.ErrCode, format string, args ...any) error {
	return &h2connError{code: code, reason: fmt.Sprintf(format, args...)}
}

// serveH2 serves HTTP/2 on conn after TLS ALPN chose h2 or a plain
// connection opened with the client preface, which br holds unread. Every
// request stream becomes one Request (Proto ProtoHTTP2; Fields and Head as
// the HEADERS block had them) passed to s.Handler in a goroutine of its
// own, and the Response is sent back on the stream (see writeResponse).
// It returns once the connection is closed: by the MTA; after IdleTimeout
// without a stream (GOAWAY NO_ERROR); on a connection error (GOAWAY with
// its code); after the MTA's GOAWAY once its streams are answered; or,
// when ctx ends, after a GOAWAY naming the last stream accepted and the
// answers to the streams in progress (their handlers' contexts do not end
// with ctx, as Serve promises). No goroutine outlives it: a handler whose
// stream is gone sees its context cancelled and is waited for.
func (s *Server) serveH2(ctx context.Context, conn net.Conn, br *bufio.Reader, isTLS bool) {
	c := newH2conn(s, conn, br, isTLS)
	if err := c.handshake(); err != nil {
		s.fail(conn, err)
		return
	}
	c.run(ctx)
}

func newH2conn(s *Server, conn net.Conn, br *bufio.Reader, isTLS bool) *h2conn {
	maxHead, maxBody, idle := s.limits()
	c := &h2conn{
		s: s, conn: conn, isTLS: isTLS, remote: conn.RemoteAddr().String(),
		maxHead: maxHead, maxBody: maxBody, idle: idle,
		rd:       &h2reader{r: br},
		bw:       bufio.NewWriterSize(conn, 32<<10),
		connSend: h2DefaultWindow, maxFrame: h2DefaultFrame,
		streams: make(map[uint32]*h2stream), initSend: h2DefaultWindow, connRecv: h2DefaultWindow,
		doneCh: make(chan *h2stream), quit: make(chan struct{}),
	}
	c.cond = sync.NewCond(&c.mu)
	c.fr = http2.NewFramer(c.bw, c.rd)
	c.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	// The Framer stops decoding at its MaxHeaderListSize (a field longer
	// than it is a COMPRESSION_ERROR, the connection's end): it gets twice
	// the limit announced, and headers answers a list between the two
	// with 431, a stream's matter (RFC 9113 §10.5.1).
	c.fr.MaxHeaderListSize = uint32(min(2*int64(maxHead), math.MaxUint32))
	c.fr.SetMaxReadFrameSize(h2MaxReadFrame)
	c.enc = hpack.NewEncoder(&c.encBuf)
	return c
}

// handshake reads the client preface and sends the proxy's SETTINGS and
// connection window. The MTA has headReadTimeout for the preface and its
// first SETTINGS.
func (c *h2conn) handshake() error {
	_ = c.conn.SetReadDeadline(time.Now().Add(headReadTimeout))
	preface := make([]byte, len(http2.ClientPreface))
	if _, err := io.ReadFull(c.rd, preface); err != nil {
		return fmt.Errorf("proxy: HTTP/2 client preface: %w", err)
	}
	if string(preface) != http2.ClientPreface {
		_ = c.write(func() error {
			return c.fr.WriteGoAway(0, http2.ErrCodeProtocol, []byte("invalid client preface"))
		})
		return errors.New("proxy: HTTP/2 connection without the client preface")
	}
	c.connRecv = h2ConnWindow
	return c.write(func() error {
		err := c.fr.WriteSettings(
			http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: h2MaxStreams},
			http2.Setting{ID: http2.SettingInitialWindowSize, Val: h2StreamWindow},
			http2.Setting{ID: http2.SettingMaxFrameSize, Val: h2MaxReadFrame},
			http2.Setting{ID: http2.SettingMaxHeaderListSize, Val: uint32(min(int64(c.maxHead), math.MaxUint32))},
		)
		if err == nil {
			err = c.fr.WriteWindowUpdate(0, h2ConnWindow-h2DefaultWindow)
		}
		if err != nil {
			return fmt.Errorf("proxy: HTTP/2 SETTINGS to %s: %w", c.remote, err)
		}
		return nil
	})
}

// run processes frames and events until the connection ends, then closes
// it (shutdown).
func (c *h2conn) run(ctx context.Context) {
	c.base = context.WithoutCancel(ctx)
	frames := make(chan h2read)
	gate := make(chan struct{}, 1)
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		c.readFrames(frames, gate)
	}()
	readerAlive := true
	idle := time.NewTimer(c.idle)
	defer idle.Stop()
	idleOn := true
	stop := ctx.Done()
	var end h2end
	for end.how == h2Open {
		select {
		case r := <-frames:
			end = c.onRead(r)
			if h2Terminal(r.err) {
				readerAlive = false
			} else {
				gate <- struct{}{}
			}
		case st := <-c.doneCh:
			c.running--
			c.finished(st)
		case <-idle.C:
			idleOn = false
			if len(c.streams) == 0 {
				end = h2end{how: h2Graceful}
			}
		case <-stop:
			stop = nil
			c.goAway(http2.ErrCodeNo, "")
		}
		if end.how == h2Open && len(c.streams) == 0 && (c.goAwaySent || c.peerGoAway) {
			end = h2end{how: h2Graceful}
		}
		switch {
		case len(c.streams) == 0 && !idleOn:
			idle.Reset(c.idle)
			idleOn = true
		case len(c.streams) > 0 && idleOn:
			idle.Stop()
			idleOn = false
		}
	}
	c.shutdown(end, frames, gate, readerAlive, readerDone)
}

// readFrames reads frames for run, one at a time: a frame is only valid
// until the next read, so it waits for gate before reading the next. It
// stops after an error that ends the connection, or when quit closes.
func (c *h2conn) readFrames(out chan<- h2read, gate <-chan struct{}) {
	for {
		f, err := c.fr.ReadFrame()
		r := h2read{f: f, err: err}
		if err != nil {
			r.ioErr = c.rd.err
		}
		select {
		case out <- r:
		case <-c.quit:
			return
		}
		if h2Terminal(err) {
			return
		}
		select {
		case <-gate:
		case <-c.quit:
			return
		}
	}
}

// h2Terminal reports whether a read error ends the connection (a stream
// error does not).
func h2Terminal(err error) bool {
	var se http2.StreamError
	return err != nil && !errors.As(err, &se)
}

// onRead applies one frame, or a read error, and says whether the
// connection ends.
func (c *h2conn) onRead(r h2read) h2end {
	if r.err == nil {
		err := c.process(r.f)
		var ce *h2connError
		if errors.As(err, &ce) {
			return h2end{how: h2Failed, code: ce.code, reason: ce.reason,
				err: fmt.Errorf("proxy: HTTP/2 connection error %v: %s", ce.code, ce.reason)}
		}
		return h2end{}
	}
	var se http2.StreamError
	var ce http2.ConnectionError
	fail := func(code http2.ErrCode, reason string) h2end {
		return h2end{how: h2Failed, code: code, reason: reason,
			err: fmt.Errorf("proxy: HTTP/2 connection error %v: %s", code, reason)}
	}
	switch {
	case errors.As(r.err, &se):
		if !c.sawSettings {
			return fail(http2.ErrCodeProtocol, "the first frame is not SETTINGS")
		}
		if se.StreamID%2 == 0 {
			return fail(http2.ErrCodeProtocol, fmt.Sprintf("stream %d is not a client stream", se.StreamID))
		}
		c.streamError(se.StreamID, se.Code, fmt.Sprintf("malformed frame: %v", detail(c.fr, se)))
		return h2end{}
	case r.ioErr != nil:
		var err error
		if !quietClose(r.ioErr) {
			err = fmt.Errorf("proxy: HTTP/2 connection from %s: %w", c.remote, r.ioErr)
		}
		return h2end{how: h2Broken, err: err}
	case errors.As(r.err, &ce):
		return fail(http2.ErrCode(ce), detail(c.fr, r.err))
	case errors.Is(r.err, http2.ErrFrameTooLarge):
		return fail(http2.ErrCodeFrameSize, fmt.Sprintf("frame larger than %d bytes", h2MaxReadFrame))
	case errors.Is(r.err, io.ErrUnexpectedEOF):
		return fail(http2.ErrCodeFrameSize, "frame payload too short")
	default:
		return fail(http2.ErrCodeProtocol, r.err.Error())
	}
}

// detail is the Framer's reason for its last read error, or err's text.
func detail(fr *http2.Framer, err error) string {
	if d := fr.ErrorDetail(); d != nil {
		return d.Error()
	}
	return err.Error()
}

// quietClose reports a read error that is just the MTA going away.
func quietClose(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.ECONNRESET)
}

// goAway sends GOAWAY naming the last stream accepted: no new stream is
// accepted after it.
func (c *h2conn) goAway(code http2.ErrCode, reason string) {
	c.goAwaySent = true
	_ = c.write(func() error { return c.fr.WriteGoAway(c.lastOK, code, []byte(reason)) })
}

// shutdown closes the connection as end says: the streams still open are
// dropped (their handlers' contexts cancelled), a GOAWAY goes out unless
// the connection broke, the write side is closed and what the MTA still
// sends is read and discarded for up to h2Linger; then the connection is
// closed and the reader and stream goroutines are waited for.
func (c *h2conn) shutdown(end h2end, frames <-chan h2read, gate chan<- struct{}, readerAlive bool, readerDone <-chan struct{}) {
	if end.err != nil {
		c.s.fail(c.conn, end.err)
	}
	for _, st := range c.streams {
		c.drop(st)
	}
	c.mu.Lock()
	c.closed = true
	c.cond.Broadcast()
	c.mu.Unlock()
	if end.how != h2Broken {
		if !c.goAwaySent || end.code != http2.ErrCodeNo {
			c.goAway(end.code, end.reason)
		}
		c.wmu.Lock()
		if !c.wbroken {
			c.wbroken = true
			if cw, ok := c.conn.(interface{ CloseWrite() error }); ok {
				_ = cw.CloseWrite()
			}
		}
		c.wmu.Unlock()
		_ = c.conn.SetReadDeadline(time.Now().Add(h2Linger))
		for readerAlive {
			r := <-frames
			if h2Terminal(r.err) {
				readerAlive = false
			} else {
				gate <- struct{}{}
			}
		}
		_, _ = io.Copy(io.Discard, c.rd)
	}
	close(c.quit)
	_ = c.conn.Close()
	<-readerDone
	c.wg.Wait()
}
