package proxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"golang.org/x/net/http2"
)

// process applies one frame from the MTA (RFC 9113 §6). It returns an
// *h2connError for a connection error; stream errors are answered here
// with RST_STREAM.
func (c *h2conn) process(f http2.Frame) error {
	if !c.sawSettings {
		if sf, ok := f.(*http2.SettingsFrame); !ok || sf.IsAck() {
			return connErr(http2.ErrCodeProtocol, "the first frame is %v, not SETTINGS", f.Header().Type)
		}
	}
	switch f := f.(type) {
	case *http2.SettingsFrame:
		return c.settings(f)
	case *http2.MetaHeadersFrame:
		return c.headers(f)
	case *http2.DataFrame:
		return c.data(f)
	case *http2.WindowUpdateFrame:
		return c.windowUpdate(f)
	case *http2.RSTStreamFrame:
		if c.idleStream(f.StreamID) {
			return connErr(http2.ErrCodeProtocol, "RST_STREAM on idle stream %d", f.StreamID)
		}
		if st := c.streams[f.StreamID]; st != nil {
			c.drop(st)
		}
	case *http2.PingFrame:
		if !f.IsAck() {
			_ = c.write(func() error { return c.fr.WritePing(true, f.Data) })
		}
	case *http2.GoAwayFrame:
		c.peerGoAway = true
		if f.ErrCode != http2.ErrCodeNo {
			c.s.fail(c.conn, fmt.Errorf("proxy: the MTA ended the HTTP/2 connection with GOAWAY %v %q", f.ErrCode, f.DebugData()))
		}
	case *http2.PriorityFrame:
		if f.StreamDep == f.StreamID {
			c.streamError(f.StreamID, http2.ErrCodeProtocol, "stream depends on itself")
		}
	case *http2.PushPromiseFrame:
		return connErr(http2.ErrCodeProtocol, "PUSH_PROMISE from a client")
	}
	return nil // PRIORITY_UPDATE and unknown frame types are ignored
}

// idleStream reports whether id names a stream the MTA has not opened
// (the proxy opens none: even IDs are never valid).
func (c *h2conn) idleStream(id uint32) bool { return id%2 == 0 || id > c.maxID }

// settings applies the MTA's SETTINGS and acknowledges them: its
// INITIAL_WINDOW_SIZE changes every open stream's send window by the
// difference (§6.9.2), MAX_FRAME_SIZE bounds the frames sent, and
// HEADER_TABLE_SIZE the HPACK encoder's table.
func (c *h2conn) settings(f *http2.SettingsFrame) error {
	if f.IsAck() {
		return nil
	}
	if !c.sawSettings {
		c.sawSettings = true
		_ = c.conn.SetReadDeadline(time.Time{})
	}
	err := f.ForeachSetting(func(s http2.Setting) error {
		if err := s.Valid(); err != nil {
			var ce http2.ConnectionError
			if errors.As(err, &ce) {
				return connErr(http2.ErrCode(ce), "invalid setting %v", s)
			}
			return connErr(http2.ErrCodeProtocol, "invalid setting %v", s)
		}
		switch s.ID {
		case http2.SettingInitialWindowSize:
			delta := int64(s.Val) - c.initSend
			c.initSend = int64(s.Val)
			c.mu.Lock()
			overflow := false
			for _, st := range c.streams {
				st.sendWin += delta
				overflow = overflow || st.sendWin > h2MaxWindow
			}
			c.cond.Broadcast()
			c.mu.Unlock()
			if overflow {
				return connErr(http2.ErrCodeFlowControl, "INITIAL_WINDOW_SIZE %d overflows a stream's window", s.Val)
			}
		case http2.SettingMaxFrameSize:
			c.mu.Lock()
			c.maxFrame = s.Val
			c.mu.Unlock()
		case http2.SettingHeaderTableSize:
			c.wmu.Lock()
			c.enc.SetMaxDynamicTableSizeLimit(s.Val)
			c.wmu.Unlock()
		}
		return nil
	})
	if err != nil {
		return err
	}
	_ = c.write(c.fr.WriteSettingsAck)
	return nil
}

// windowUpdate adds to the connection's or a stream's send window and
// wakes the stream goroutines waiting for it.
func (c *h2conn) windowUpdate(f *http2.WindowUpdateFrame) error {
	inc := int64(f.Increment)
	if f.StreamID == 0 {
		c.mu.Lock()
		c.connSend += inc
		over := c.connSend > h2MaxWindow
		c.cond.Broadcast()
		c.mu.Unlock()
		if over {
			return connErr(http2.ErrCodeFlowControl, "connection window over 2^31-1")
		}
		return nil
	}
	if c.idleStream(f.StreamID) {
		return connErr(http2.ErrCodeProtocol, "WINDOW_UPDATE on idle stream %d", f.StreamID)
	}
	st := c.streams[f.StreamID]
	if st == nil {
		return nil // closed: a late update
	}
	c.mu.Lock()
	st.sendWin += inc
	over := st.sendWin > h2MaxWindow
	c.cond.Broadcast()
	c.mu.Unlock()
	if over {
		c.reset(st, http2.ErrCodeFlowControl, "stream window over 2^31-1")
	}
	return nil
}

// headers opens a stream with a request's HEADERS block, or ends one with
// trailers (accepted and ignored).
func (c *h2conn) headers(f *http2.MetaHeadersFrame) error {
	id := f.StreamID
	if id%2 == 0 {
		return connErr(http2.ErrCodeProtocol, "HEADERS on stream %d, not a client stream", id)
	}
	if f.HasPriority() && f.Priority.StreamDep == id {
		c.streamError(id, http2.ErrCodeProtocol, "stream depends on itself")
		return nil
	}
	if st := c.streams[id]; st != nil {
		switch {
		case st.gotEnd:
			c.reset(st, http2.ErrCodeStreamClosed, "HEADERS after the end of the request")
		case !f.StreamEnded() || len(f.PseudoFields()) > 0:
			c.reset(st, http2.ErrCodeProtocol, "malformed trailers")
		default:
			c.endRequest(st)
		}
		return nil
	}
	if id <= c.maxID {
		if c.recentlyReset(id) {
			return nil
		}
		// A stream ID must grow (§5.1.1); this one is closed, or was
		// skipped. Go's server answers both the same way.
		return connErr(http2.ErrCodeProtocol, "HEADERS on closed stream %d", id)
	}
	c.maxID = id
	received := time.Now()
	if c.goAwaySent {
		c.rst(id, http2.ErrCodeRefusedStream)
		return nil
	}
	if len(c.streams) >= h2MaxStreams {
		c.streamError(id, http2.ErrCodeRefusedStream, fmt.Sprintf("more than %d concurrent streams", h2MaxStreams))
		return nil
	}
	st := &h2stream{id: id, recvWin: h2StreamWindow, declared: -1, gotEnd: f.StreamEnded()}
	if f.Truncated || h2ListSize(f) > c.maxHead {
		st.req = &Request{Proto: ProtoHTTP2, Method: f.PseudoValue("method")}
		c.accept(st)
		c.refuse(st, http.StatusRequestHeaderFieldsTooLarge, fmt.Sprintf("request header list over %d bytes", c.maxHead))
		return nil
	}
	req, declared, err := h2Request(f)
	if err != nil {
		c.streamError(id, http2.ErrCodeProtocol, err.Error())
		return nil
	}
	req.RemoteAddr, req.TLS, req.Received = c.remote, c.isTLS, received
	st.req, st.declared = req, declared
	c.accept(st)
	switch {
	case declared > c.maxBody:
		c.refuse(st, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body of %d bytes, over the limit of %d", declared, c.maxBody))
	case st.gotEnd:
		c.endRequest(st)
	case declared > 0:
		st.body.Grow(int(min(declared, 4<<20)))
	}
	return nil
}

// h2ListSize is a header list's size as SETTINGS_MAX_HEADER_LIST_SIZE
// counts it (RFC 9113 §6.5.2): name and value lengths plus 32 per field.
func h2ListSize(f *http2.MetaHeadersFrame) int {
	n := 0
	for _, hf := range f.Fields {
		n += int(hf.Size())
	}
	return n
}

// accept adds a new stream.
func (c *h2conn) accept(st *h2stream) {
	c.mu.Lock()
	st.sendWin = c.initSend
	c.mu.Unlock()
	c.streams[st.id] = st
	c.lastOK = st.id
}

// data takes a DATA frame: its bytes join the request body, and the
// windows are given back as they are consumed, so the MTA never waits on
// the proxy however large the body.
func (c *h2conn) data(f *http2.DataFrame) error {
	id, n := f.StreamID, int64(f.Length)
	if c.idleStream(id) {
		return connErr(http2.ErrCodeProtocol, "DATA on idle stream %d", id)
	}
	if n > c.connRecv {
		return connErr(http2.ErrCodeFlowControl, "DATA over the connection window")
	}
	c.connRecv -= n
	st := c.streams[id]
	switch {
	case st == nil:
		c.credit(nil, n)
		if !c.recentlyReset(id) {
			c.streamError(id, http2.ErrCodeStreamClosed, "DATA on a closed stream")
		}
		return nil
	case st.gotEnd:
		c.credit(nil, n)
		c.reset(st, http2.ErrCodeStreamClosed, "DATA after the end of the request")
		return nil
	case n > st.recvWin:
		c.credit(nil, n)
		c.reset(st, http2.ErrCodeFlowControl, "DATA over the stream window")
		return nil
	}
	st.recvWin -= n
	if st.refused {
		c.credit(nil, n)
		st.gotEnd = f.StreamEnded()
		return nil
	}
	data := f.Data()
	if int64(st.body.Len())+int64(len(data)) > c.maxBody {
		c.credit(nil, n)
		st.body = bytes.Buffer{}
		st.gotEnd = f.StreamEnded()
		c.refuse(st, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over the limit of %d bytes", c.maxBody))
		return nil
	}
	st.body.Write(data)
	if st.declared >= 0 && int64(st.body.Len()) > st.declared {
		c.credit(nil, n)
		c.reset(st, http2.ErrCodeProtocol, fmt.Sprintf("request body longer than its content-length %d", st.declared))
		return nil
	}
	if f.StreamEnded() {
		c.credit(nil, n)
		c.endRequest(st)
		return nil
	}
	c.credit(st, n)
	return nil
}

// credit gives n consumed bytes back to the MTA's windows: the
// connection's, and st's when not nil (a stream still being received).
// A WINDOW_UPDATE goes out once a quarter of a window is owed.
func (c *h2conn) credit(st *h2stream, n int64) {
	c.connUnacked += n
	var connInc, stInc int64
	if c.connUnacked >= h2ConnWindow/4 {
		connInc, c.connUnacked = c.connUnacked, 0
		c.connRecv += connInc
	}
	if st != nil {
		st.unacked += n
		if st.unacked >= h2StreamWindow/4 {
			stInc, st.unacked = st.unacked, 0
			st.recvWin += stInc
		}
	}
	if connInc == 0 && stInc == 0 {
		return
	}
	_ = c.write(func() error {
		if connInc > 0 {
			if err := c.fr.WriteWindowUpdate(0, uint32(connInc)); err != nil {
				return err
			}
		}
		if stInc > 0 {
			return c.fr.WriteWindowUpdate(st.id, uint32(stInc))
		}
		return nil
	})
}

// endRequest takes a whole request: it checks its length against its
// content-length (§8.1.1) and starts the handler.
func (c *h2conn) endRequest(st *h2stream) {
	st.gotEnd = true
	if st.refused {
		return
	}
	if st.declared >= 0 && int64(st.body.Len()) != st.declared {
		c.reset(st, http2.ErrCodeProtocol, fmt.Sprintf("request body of %d bytes, not its content-length %d", st.body.Len(), st.declared))
		return
	}
	if st.body.Len() > 0 {
		st.req.Body = st.body.Bytes()
	}
	c.start(st, c.s.Handler)
}

// refuse answers a stream with an error status without calling the
// handler; once answered, a stream still being received is reset with
// NO_ERROR, which asks the MTA to stop sending its body (§8.1).
func (c *h2conn) refuse(st *h2stream, status int, msg string) {
	st.refused = true
	c.s.fail(c.conn, fmt.Errorf("proxy: HTTP/2 stream %d: %s", st.id, msg))
	resp := errorResponse(status, msg)
	c.start(st, func(context.Context, *Request) *Response { return resp })
}

// start answers a stream in a goroutine of its own: answer's Response is
// written back, then run hears that the stream is done.
func (c *h2conn) start(st *h2stream, answer Handler) {
	// Streams the MTA reset leave their handlers running until they
	// return: no more than h2MaxStreams run at once ("rapid reset",
	// CVE-2023-44487); a stream past that is refused, and a connection
	// that keeps at it is told to go away, as Go's own server does.
	if c.running >= h2MaxStreams {
		c.refusedRunning++
		c.streamError(st.id, http2.ErrCodeRefusedStream, "too many handlers running on this connection")
		if c.refusedRunning > 4*h2MaxStreams && !c.goAwaySent {
			c.goAway(http2.ErrCodeEnhanceYourCalm, "too many streams reset while their handlers run")
		}
		return
	}
	c.running++
	st.ctx, st.cancel = context.WithCancel(c.base)
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		resp := answer(st.ctx, st.req)
		if resp == nil {
			resp = &Response{Status: http.StatusBadGateway, Body: []byte("hooksim proxy: no answer\n")}
		}
		c.writeResponse(st, resp)
		resp.done()
		select {
		case c.doneCh <- st:
		case <-c.quit:
		}
	}()
}

// finished closes a stream its goroutine has answered.
func (c *h2conn) finished(st *h2stream) {
	if c.streams[st.id] != st {
		return // reset meanwhile
	}
	delete(c.streams, st.id)
	st.cancel()
	if !st.gotEnd {
		c.rst(st.id, http2.ErrCodeNo)
	}
}

// streamError answers a stream error (§5.4.2) on id: RST_STREAM with
// code, and the stream is dropped if open.
func (c *h2conn) streamError(id uint32, code http2.ErrCode, reason string) {
	if st := c.streams[id]; st != nil {
		c.reset(st, code, reason)
		return
	}
	if id > c.maxID {
		c.maxID = id
	}
	c.s.fail(c.conn, fmt.Errorf("proxy: HTTP/2 stream %d: %v: %s", id, code, reason))
	c.rst(id, code)
}

// reset ends an open stream with RST_STREAM and drops it.
func (c *h2conn) reset(st *h2stream, code http2.ErrCode, reason string) {
	c.s.fail(c.conn, fmt.Errorf("proxy: HTTP/2 stream %d: %v: %s", st.id, code, reason))
	c.drop(st)
	c.rst(st.id, code)
}

// rst sends RST_STREAM and remembers the stream as reset.
func (c *h2conn) rst(id uint32, code http2.ErrCode) {
	c.recent[c.recentNext] = id
	c.recentNext = (c.recentNext + 1) % len(c.recent)
	_ = c.write(func() error { return c.fr.WriteRSTStream(id, code) })
}

// recentlyReset reports a stream the proxy reset lately: frames the MTA
// sent on it before it saw the RST_STREAM are ignored (§5.1).
func (c *h2conn) recentlyReset(id uint32) bool {
	for _, r := range c.recent {
		if r == id {
			return true
		}
	}
	return false
}

// drop forgets a stream: its goroutine, if any, sees its context
// cancelled and writes nothing more.
func (c *h2conn) drop(st *h2stream) {
	c.mu.Lock()
	st.reset = true
	c.cond.Broadcast()
	c.mu.Unlock()
	if st.cancel != nil {
		st.cancel()
	}
	delete(c.streams, st.id)
}
