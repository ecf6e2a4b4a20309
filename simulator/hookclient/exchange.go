package hookclient

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/hooksim/hooksim/simulator/hookconf"
)

// exchange is one request sent and its response head read; the body is
// still on the connection.
type exchange struct {
	pc      *pconn
	resp    *http.Response
	headers []hookconf.HeaderField // response headers as received
	stop    func() bool            // detaches the cancel watcher
}

// release returns the connection to the pool when reusable, else closes it.
func (c *Client) release(ex *exchange, reusable bool) {
	detached := ex.stop()
	if reusable && detached && !ex.resp.Close {
		c.pool.put(ex.pc, c.clock())
		return
	}
	_ = ex.pc.conn.Close()
}

// dial opens a new connection to t, with TLS for https.
func (c *Client) dial(cl *call, t *target) (*pconn, *HookError) {
	conn, err := c.dialer.DialContext(cl.ctx, "tcp", t.addr)
	if err != nil {
		return nil, cl.classify(err, phaseDial, t)
	}
	if t.tls {
		cfg := &tls.Config{
			ServerName:         t.hostname,
			InsecureSkipVerify: cl.insec, //nolint:gosec // allowInvalidCerts, as Stalwart
			MinVersion:         tls.VersionTLS12,
			NextProtos:         []string{"h2", "http/1.1"}, // as Stalwart's rustls config
		}
		tc := tls.Client(conn, cfg)
		if err := tc.HandshakeContext(cl.ctx); err != nil {
			_ = conn.Close()
			return nil, cl.classify(err, phaseTLS, t)
		}
		conn = tc
	}
	pc := &pconn{conn: conn, br: bufio.NewReaderSize(conn, readBufferBytes), key: t.poolKey(cl.insec)}
	if tc, ok := conn.(*tls.Conn); ok && tc.ConnectionState().NegotiatedProtocol == "h2" {
		deadline, _ := cl.ctx.Deadline()
		_ = conn.SetDeadline(deadline)
		stop := context.AfterFunc(cl.ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
		h, err := newH2conn(conn, pc.br)
		stop()
		if err != nil {
			_ = conn.Close()
			if cl.expired(err) {
				return nil, cl.deadlineError(err)
			}
			return nil, &HookError{Class: ErrProtocol, Message: fmt.Sprintf("Hook request failed: starting HTTP/2 with %s (the hook chose h2 by ALPN): %v", t.addr, unwrapOp(err))}
		}
		pc.h2 = h
	}
	return pc, nil
}

// roundTrip sends one request and reads the response head, over HTTP/2
// when the connection's TLS handshake chose h2, else HTTP/1.1. A pooled
// connection that turns out to be closed by the hook is replaced by a new
// one once, as hyper's pool does.
func (c *Client) roundTrip(cl *call, t *target, method string, headers []hookconf.HeaderField, body []byte) (*exchange, *HookError) {
	head := encodeRequest(method, t.requestURI, headers, body)
	cl.sent, cl.sentFields = nil, nil
	key := t.poolKey(cl.insec)
	for attempt := 0; ; attempt++ {
		var pc *pconn
		reused := false
		if attempt == 0 {
			pc = c.pool.get(key, c.clock())
			reused = pc != nil
		}
		if pc == nil {
			var herr *HookError
			if pc, herr = c.dial(cl, t); herr != nil {
				return nil, herr
			}
		}
		deadline, _ := cl.ctx.Deadline()
		if err := pc.conn.SetDeadline(deadline); err != nil {
			_ = pc.conn.Close()
			return nil, cl.classify(err, phaseWrite, t)
		}
		conn := pc.conn
		stop := context.AfterFunc(cl.ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
		var (
			ex    *exchange
			herr  *HookError
			stale bool
		)
		if pc.h2 != nil {
			cl.proto = ProtoHTTP2
			ex, herr, stale = c.sendOnH2(cl, t, pc, method, headers, body, reused)
		} else {
			cl.proto = ProtoHTTP11
			ex, herr, stale = c.sendOn(cl, t, pc, method, head, body, reused)
		}
		if herr == nil {
			ex.stop = stop
			return ex, nil
		}
		stop()
		_ = pc.conn.Close()
		if stale && attempt == 0 {
			continue
		}
		return nil, herr
	}
}

// sendOn writes the request on pc and reads the response head. stale
// reports a reused connection that the hook had already closed. It keeps
// the request head written in cl.sent and a copy of every response head
// read in cl.received. A body of up to copyBodyMax bytes is written with
// the head in one write; a larger one after it, from the caller's bytes
// (one writev on plain TCP), never copied.
func (c *Client) sendOn(cl *call, t *target, pc *pconn, method string, head, body []byte, reused bool) (*exchange, *HookError, bool) {
	cl.received = nil
	bufs := net.Buffers{head, body}
	if len(body) <= copyBodyMax {
		bufs = net.Buffers{append(head, body...)} // into the room encodeRequest left
	}
	if _, err := bufs.WriteTo(pc.conn); err != nil {
		return nil, cl.classify(err, phaseWrite, t), reused && isStale(err) && !cl.expired(err)
	}
	cl.sent = head
	for {
		if _, err := pc.br.Peek(1); err != nil {
			return nil, cl.classify(err, phaseHead, t), reused && isStale(err) && !cl.expired(err)
		}
		head, err := peekHead(pc.br)
		if err != nil {
			return nil, cl.classify(err, phaseHead, t), false
		}
		// head points into the read buffer: copy it before it is consumed.
		cl.received = append(cl.received, head...)
		fields, err := parseHeadFields(head)
		if err != nil {
			return nil, cl.classify(err, phaseHead, t), false
		}
		resp, err := http.ReadResponse(pc.br, &http.Request{Method: method})
		if err != nil {
			return nil, cl.classify(err, phaseHead, t), false
		}
		if resp.ProtoMajor != 1 {
			return nil, cl.classify(fmt.Errorf("unsupported protocol %q", resp.Proto), phaseHead, t), false
		}
		switch {
		case resp.StatusCode == http.StatusSwitchingProtocols:
			return nil, cl.classify(errors.New("unexpected 101 Switching Protocols"), phaseHead, t), false
		case resp.StatusCode >= 100 && resp.StatusCode < 200:
			continue // interim response: hyper skips it
		}
		return &exchange{pc: pc, resp: resp, headers: fields}, nil, false
	}
}

// isStale reports errors of a connection the peer closed while idle.
func isStale(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, net.ErrClosed)
}

// copyBodyMax is the largest request body sendOn copies behind the head
// to write both at once: bytes, 64 KiB.
const copyBodyMax = 64 << 10

// encodeRequest writes the head of an HTTP/1.1 request the way hyper
// does: request line, "name: value" lines in the given order and case,
// blank line. Its capacity leaves room for body when body is small.
func encodeRequest(method, requestURI string, headers []hookconf.HeaderField, body []byte) []byte {
	var b bytes.Buffer
	room := len(body)
	if room > copyBodyMax {
		room = 0
	}
	b.Grow(64 + room + 40*len(headers))
	b.WriteString(method)
	b.WriteByte(' ')
	b.WriteString(requestURI)
	b.WriteString(" HTTP/1.1\r\n")
	for _, f := range headers {
		b.WriteString(f.Name)
		b.WriteString(": ")
		b.WriteString(f.Value)
		b.WriteString("\r\n")
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

// errHeadTooLarge: the response head is longer than hyper accepts.
var errHeadTooLarge = fmt.Errorf("response head larger than %d bytes (the limit of Stalwart's HTTP client, hyper)", maxHeadBytes)

// peekHead returns the response head (status line and header lines, up to
// and including the blank line) without consuming it. A head longer than
// the reader's buffer (maxHeadBytes on a hook connection) is
// errHeadTooLarge.
func peekHead(br *bufio.Reader) ([]byte, error) {
	for {
		// Look at everything buffered, not only at what the last read added.
		b, _ := br.Peek(br.Buffered())
		if end := headEnd(b); end >= 0 {
			return b[:end], nil
		}
		if br.Buffered() >= br.Size() {
			return nil, errHeadTooLarge
		}
		before := br.Buffered()
		if _, err := br.Peek(before + 1); err != nil && br.Buffered() == before {
			if errors.Is(err, io.EOF) {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
}

// headEnd returns the length of the head in b, or -1 when b does not
// hold a complete one yet.
func headEnd(b []byte) int {
	for i := 0; i < len(b); i++ {
		if b[i] != '\n' {
			continue
		}
		if i+1 < len(b) && b[i+1] == '\n' {
			return i + 2
		}
		if i+2 < len(b) && b[i+1] == '\r' && b[i+2] == '\n' {
			return i + 3
		}
	}
	return -1
}

// parseHeadFields splits a response head into its header fields as
// received (name case kept, value without surrounding blanks). Folded
// lines are refused, as hyper does by default; so are more than
// maxHeaderFields fields and a name of more than maxHeaderNameBytes
// bytes, hyper's limits.
func parseHeadFields(head []byte) ([]hookconf.HeaderField, error) {
	lines := strings.Split(string(head), "\n")
	var out []hookconf.HeaderField
	for i, line := range lines {
		line = strings.TrimSuffix(line, "\r")
		if i == 0 {
			if !strings.HasPrefix(line, "HTTP/") {
				return nil, fmt.Errorf("malformed status line %q", truncate(line, 60))
			}
			continue
		}
		if line == "" {
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			return nil, errors.New("obsolete line folding in a response header (Stalwart's HTTP client refuses it)")
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || !hookconf.ValidHeaderName(name) {
			return nil, fmt.Errorf("malformed header line %q", truncate(line, 60))
		}
		if len(name) > maxHeaderNameBytes {
			return nil, fmt.Errorf("response header name of %d bytes (Stalwart's HTTP client, hyper, takes at most %d)", len(name), maxHeaderNameBytes)
		}
		if len(out) == maxHeaderFields {
			return nil, fmt.Errorf("more than %d header fields in the response head (the limit of Stalwart's HTTP client, hyper)", maxHeaderFields)
		}
		out = append(out, hookconf.HeaderField{Name: name, Value: strings.Trim(value, " \t")})
	}
	return out, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
