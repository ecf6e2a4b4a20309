package proxy

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/hooksim/hooksim/simulator/hookconf"
)

// errConnClosed: a write after the connection broke or began closing.
var errConnClosed = errors.New("proxy: HTTP/2 connection closed")

// write runs fn, which writes frames with c.fr, alone on the connection
// and flushes them within h2WriteTimeout. A failed write closes the
// connection (the reader then fails and run ends it); later writes get
// errConnClosed.
func (c *h2conn) write(fn func() error) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.wbroken {
		return errConnClosed
	}
	_ = c.conn.SetWriteDeadline(time.Now().Add(h2WriteTimeout))
	err := fn()
	if err == nil {
		err = c.bw.Flush()
	}
	if err != nil {
		c.wbroken = true
		_ = c.conn.Close()
		return fmt.Errorf("proxy: HTTP/2 write to %s: %w", c.remote, err)
	}
	return nil
}

// isReset reports a stream that is gone (reset by either side, or the
// connection closing).
func (c *h2conn) isReset(st *h2stream) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return st.reset || c.closed
}

// writeResponse sends resp on st: a HEADERS block (h2ResponseFields) split
// into CONTINUATION frames at the MTA's SETTINGS_MAX_FRAME_SIZE, then the
// body in DATA frames as the stream's and the connection's send windows
// allow, END_STREAM on the last frame. It stops early, writing nothing
// more, when the stream is reset or the connection closes.
func (c *h2conn) writeResponse(st *h2stream, resp *Response) {
	fields, body := h2ResponseFields(st.req.Method, resp)
	sent := false
	err := c.write(func() error {
		if c.isReset(st) {
			return nil
		}
		sent = true
		c.encBuf.Reset()
		for _, f := range fields {
			if err := c.enc.WriteField(f); err != nil {
				return err
			}
		}
		c.mu.Lock()
		maxFrame := int(c.maxFrame)
		c.mu.Unlock()
		block := c.encBuf.Bytes()
		for first := true; first || len(block) > 0; first = false {
			n := min(len(block), maxFrame)
			frag, last := block[:n], n == len(block)
			block = block[n:]
			var err error
			if first {
				err = c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: st.id, BlockFragment: frag, EndStream: len(body) == 0, EndHeaders: last})
			} else {
				err = c.fr.WriteContinuation(st.id, last, frag)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	for rest := body; err == nil && sent && len(rest) > 0; {
		n, ok := c.reserve(st, len(rest))
		if !ok {
			return
		}
		chunk := rest[:n]
		rest = rest[n:]
		end := len(rest) == 0
		sent = false
		err = c.write(func() error {
			if c.isReset(st) {
				return nil
			}
			sent = true
			return c.fr.WriteData(st.id, end, chunk)
		})
		if !sent {
			// Not written: the connection's window is not used up.
			c.mu.Lock()
			c.connSend += int64(n)
			c.cond.Broadcast()
			c.mu.Unlock()
		}
	}
}

// reserve waits until both send windows are open and takes up to want
// bytes, no more than one frame, from them. ok is false when the stream is
// gone or the connection closes.
func (c *h2conn) reserve(st *h2stream, want int) (n int, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for !st.reset && !c.closed && (c.connSend <= 0 || st.sendWin <= 0) {
		c.cond.Wait()
	}
	if st.reset || c.closed {
		return 0, false
	}
	m := min(int64(want), int64(c.maxFrame), c.connSend, st.sendWin)
	c.connSend -= m
	st.sendWin -= m
	return int(m), true
}

// h2ResponseFields is the HEADERS block of resp and the body to send.
// The block is :status, then resp.Fields in order with names in lower
// case (RFC 9113 §8.2.1), without the connection-specific fields §8.2.2
// forbids (connection, keep-alive, proxy-connection, transfer-encoding,
// upgrade, te), without fields HTTP/2 cannot carry (an invalid name or a
// value with CR, LF or NUL), and with content-length only when it matches
// the body (the first such field; none for 204 and 304). A HEAD request,
// 204 and 304 get no body. A status that cannot end an HTTP/2 response
// (below 200 or above 999) becomes a 502 saying so.
func h2ResponseFields(method string, resp *Response) ([]hpack.HeaderField, []byte) {
	if resp.Status < 200 || resp.Status > 999 {
		resp = errorResponse(http.StatusBadGateway, fmt.Sprintf("the answer's status %d cannot end an HTTP/2 response", resp.Status))
	}
	noLength := resp.Status == http.StatusNoContent || resp.Status == http.StatusNotModified
	length := strconv.Itoa(len(resp.Body))
	hasLength := false
	fields := make([]hpack.HeaderField, 0, len(resp.Fields)+1)
	fields = append(fields, hpack.HeaderField{Name: ":status", Value: strconv.Itoa(resp.Status)})
	for _, f := range resp.Fields {
		name := strings.ToLower(f.Name)
		if !httpguts.ValidHeaderFieldName(name) || !httpguts.ValidHeaderFieldValue(f.Value) {
			continue
		}
		switch name {
		case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te":
			continue
		case "content-length":
			if hasLength || noLength || strings.TrimSpace(f.Value) != length {
				continue
			}
			hasLength = true
		}
		fields = append(fields, hpack.HeaderField{Name: name, Value: f.Value})
	}
	if method == http.MethodHead || noLength {
		return fields, nil
	}
	return fields, resp.Body
}

// errorResponse is the proxy's own answer to a request it refused: status,
// a plain-text body saying why (as writeH1Error writes it).
func errorResponse(status int, msg string) *Response {
	return &Response{Status: status,
		Fields: []hookconf.HeaderField{{Name: "content-type", Value: "text/plain; charset=utf-8"}},
		Body:   []byte("hooksim proxy: " + strings.TrimPrefix(msg, "proxy: ") + "\n")}
}
