package proxy

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hooksim/hooksim/simulator/hookconf"
)

// errHeadTooLarge: a request head longer than MaxHeaderBytes.
var errHeadTooLarge = errors.New("request head too large")

// serveH1 serves HTTP/1.1 requests on conn, one after another (keep-alive;
// pipelined requests are answered in order), until the MTA closes it, a
// request asks to close it, it stays idle for IdleTimeout, or ctx ends.
func (s *Server) serveH1(ctx context.Context, conn net.Conn, br *bufio.Reader, isTLS bool) {
	maxHead, maxBody, idle := s.limits()
	bw := bufio.NewWriterSize(conn, 16<<10)
	// Closing on ctx's end wakes a read waiting for the next request; a
	// request in progress is finished first (closing is then up to the
	// loop, which sees ctx done).
	var busy sync.Mutex
	stop := context.AfterFunc(ctx, func() {
		busy.Lock()
		defer busy.Unlock()
		_ = conn.SetReadDeadline(time.Unix(1, 0))
	})
	defer stop()
	for ctx.Err() == nil {
		_ = conn.SetReadDeadline(time.Now().Add(idle))
		if _, err := br.Peek(1); err != nil {
			return // closed, idle or stopped
		}
		busy.Lock()
		if ctx.Err() != nil {
			busy.Unlock()
			return
		}
		_ = conn.SetReadDeadline(time.Now().Add(headReadTimeout))
		// The head has headReadTimeout; the body as long as it keeps
		// coming (a 100 MiB message over a slow link): each read gets
		// headReadTimeout again.
		extend := func() { _ = conn.SetReadDeadline(time.Now().Add(headReadTimeout)) }
		req, closeAfter, status, err := readH1Request(br, maxHead, maxBody, bw, extend)
		if err != nil {
			s.fail(conn, err)
			if status != 0 {
				writeH1Error(bw, status, err.Error())
			}
			busy.Unlock()
			return
		}
		_ = conn.SetReadDeadline(time.Time{})
		req.RemoteAddr = conn.RemoteAddr().String()
		req.TLS = isTLS
		resp := s.handleH1(ctx, conn, br, req)
		closeAfter = closeAfter || ctx.Err() != nil
		_ = conn.SetWriteDeadline(time.Now().Add(headReadTimeout))
		err = writeH1Response(bw, req.Method, resp, closeAfter)
		_ = conn.SetWriteDeadline(time.Time{})
		resp.done()
		if err != nil || closeAfter {
			busy.Unlock()
			return
		}
		busy.Unlock()
	}
}

// handleH1 runs the handler with a context that ends when the MTA closes
// the connection while it waits (a background read, as net/http does): a
// pipelined next request does not end it.
func (s *Server) handleH1(ctx context.Context, conn net.Conn, br *bufio.Reader, req *Request) *Response {
	// A request in progress is finished when the server stops: only the
	// MTA going away cancels it.
	hctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	done := make(chan struct{})
	if br.Buffered() == 0 {
		go func() {
			defer close(done)
			if _, err := br.Peek(1); err != nil {
				var ne net.Error
				if !errors.As(err, &ne) || !ne.Timeout() {
					cancel() // closed or reset by the MTA
				}
			}
		}()
	} else {
		close(done)
	}
	resp := s.Handler(hctx, req)
	// Stop the background read and wait for it, so that the next
	// request's read owns the reader.
	_ = conn.SetReadDeadline(time.Unix(1, 0))
	<-done
	_ = conn.SetReadDeadline(time.Time{})
	if resp == nil {
		resp = &Response{Status: http.StatusBadGateway, Body: []byte("hooksim proxy: no answer\n")}
	}
	return resp
}

// readH1Request reads one request: its head as received, its fields, its
// body. status is the HTTP status to answer when err is the client's
// fault (0: just close). An "Expect: 100-continue" gets its interim
// answer before the body is read.
func readH1Request(br *bufio.Reader, maxHead int, maxBody int64, bw *bufio.Writer, extend func()) (req *Request, closeAfter bool, status int, err error) {
	head, err := readHead(br, maxHead)
	if err != nil {
		if errors.Is(err, errHeadTooLarge) {
			return nil, true, http.StatusRequestHeaderFieldsTooLarge, fmt.Errorf("proxy: request head over %d bytes", maxHead)
		}
		return nil, true, 0, err
	}
	received := time.Now()
	hr, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(head)))
	if err != nil {
		return nil, true, http.StatusBadRequest, fmt.Errorf("proxy: malformed request head: %w", err)
	}
	if hr.ProtoMajor != 1 {
		return nil, true, http.StatusHTTPVersionNotSupported, fmt.Errorf("proxy: unsupported protocol %q", hr.Proto)
	}
	fields, err := headFields(head)
	if err != nil {
		return nil, true, http.StatusBadRequest, fmt.Errorf("proxy: %w", err)
	}
	req = &Request{Proto: ProtoHTTP11, Method: hr.Method, Target: hr.RequestURI, Authority: hr.Host,
		Fields: fields, Head: head, Received: received}
	closeAfter = hr.Close
	if hr.ContentLength > maxBody && len(hr.TransferEncoding) == 0 {
		// Refused before the MTA sends it.
		return nil, true, http.StatusRequestEntityTooLarge, fmt.Errorf("proxy: request body of %d bytes, over the limit of %d", hr.ContentLength, maxBody)
	}
	if strings.EqualFold(hr.Header.Get("Expect"), "100-continue") && (hr.ContentLength != 0) {
		if _, err := bw.WriteString("HTTP/1.1 100 Continue\r\n\r\n"); err == nil {
			_ = bw.Flush()
		}
	}
	var body io.Reader
	chunked := len(hr.TransferEncoding) > 0
	if chunked && hasField(fields, "content-length") {
		// Both framings: the request-smuggling shape. Read by
		// Transfer-Encoding alone, and the connection closed after the
		// answer (RFC 9112 §6.1).
		closeAfter = true
	}
	switch {
	case chunked:
		body = httputil.NewChunkedReader(br)
	case hr.ContentLength > maxBody:
		return nil, true, http.StatusRequestEntityTooLarge, fmt.Errorf("proxy: request body of %d bytes, over the limit of %d", hr.ContentLength, maxBody)
	case hr.ContentLength > 0:
		body = io.LimitReader(br, hr.ContentLength)
	}
	if body != nil {
		b, err := io.ReadAll(io.LimitReader(progressReader{body, extend}, maxBody+1))
		if err != nil {
			return nil, true, http.StatusBadRequest, fmt.Errorf("proxy: reading the request body: %w", err)
		}
		if int64(len(b)) > maxBody {
			return nil, true, http.StatusRequestEntityTooLarge, fmt.Errorf("proxy: request body over the limit of %d bytes", maxBody)
		}
		if hr.ContentLength > 0 && int64(len(b)) < hr.ContentLength {
			return nil, true, 0, fmt.Errorf("proxy: request body cut after %d of %d bytes: %w", len(b), hr.ContentLength, io.ErrUnexpectedEOF)
		}
		req.Body = b
	}
	if chunked {
		// The trailer section and the blank line that ends the chunked
		// body (RFC 9112 §7.1.2): dropped, as a proxy may.
		if err := skipTrailer(br, maxHead); err != nil {
			return nil, true, http.StatusBadRequest, fmt.Errorf("proxy: the chunked body's trailer: %w", err)
		}
	}
	return req, closeAfter, 0, nil
}

// progressReader calls more before each read: the connection's read
// deadline moves on while the body keeps coming.
type progressReader struct {
	r    io.Reader
	more func()
}

func (p progressReader) Read(b []byte) (int, error) {
	if p.more != nil {
		p.more()
	}
	return p.r.Read(b)
}

// skipTrailer reads a chunked body's trailer fields up to and including
// the blank line that ends it.
func skipTrailer(br *bufio.Reader, max int) error {
	n := 0
	for {
		line, err := br.ReadSlice('\n')
		n += len(line)
		if err != nil {
			return err
		}
		if n > max {
			return errHeadTooLarge
		}
		if string(line) == "\r\n" || string(line) == "\n" {
			return nil
		}
	}
}

func hasField(fields []hookconf.HeaderField, name string) bool {
	for _, f := range fields {
		if strings.EqualFold(f.Name, name) {
			return true
		}
	}
	return false
}

// readHead reads a request head up to and including its blank line. Empty
// lines before the request line are skipped, as RFC 9112 §2.2 allows.
func readHead(br *bufio.Reader, max int) ([]byte, error) {
	var head []byte
	for {
		line, err := br.ReadSlice('\n')
		if len(head)+len(line) > max || errors.Is(err, bufio.ErrBufferFull) {
			return nil, errHeadTooLarge
		}
		if err != nil {
			if len(head) > 0 || len(line) > 0 {
				return nil, fmt.Errorf("proxy: request head cut: %w", io.ErrUnexpectedEOF)
			}
			return nil, err
		}
		if len(head) == 0 && (string(line) == "\r\n" || string(line) == "\n") {
			continue
		}
		head = append(head, line...)
		if string(line) == "\r\n" || string(line) == "\n" {
			return head, nil
		}
	}
}

// headFields splits a head into its header fields as received: name case
// kept, value without surrounding blanks. Folded lines are refused (RFC
// 9112 §5.2 lets a server reject them).
func headFields(head []byte) ([]hookconf.HeaderField, error) {
	var out []hookconf.HeaderField
	for i, line := range strings.Split(string(head), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if i == 0 || line == "" {
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			return nil, errors.New("obsolete line folding in a request header")
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || !hookconf.ValidHeaderName(name) {
			return nil, fmt.Errorf("malformed header line %q", line)
		}
		out = append(out, hookconf.HeaderField{Name: name, Value: strings.Trim(value, " \t")})
	}
	return out, nil
}

// writeH1Response writes resp: status line, its fields in order, the
// framing (its own Content-Length when it matches the body, else one
// added last), then the body unless the method was HEAD or the status
// has none.
func writeH1Response(bw *bufio.Writer, method string, resp *Response, closeConn bool) error {
	reason := resp.Reason
	if reason == "" {
		reason = http.StatusText(resp.Status)
	}
	fmt.Fprintf(bw, "HTTP/1.1 %03d %s\r\n", resp.Status, reason)
	noBody := resp.Status == http.StatusNoContent || resp.Status == http.StatusNotModified || (resp.Status >= 100 && resp.Status < 200)
	length := strconv.Itoa(len(resp.Body))
	hasLength := false
	head := method == http.MethodHead
	for _, f := range resp.Fields {
		if strings.EqualFold(f.Name, "content-length") {
			// A HEAD answer keeps the length a GET would have had.
			if hasLength || noBody || (!head && strings.TrimSpace(f.Value) != length) {
				continue
			}
			hasLength = true
		}
		bw.WriteString(f.Name)
		bw.WriteString(": ")
		bw.WriteString(f.Value)
		bw.WriteString("\r\n")
	}
	if !hasLength && !noBody {
		bw.WriteString("content-length: " + length + "\r\n")
	}
	if closeConn {
		bw.WriteString("connection: close\r\n")
	}
	bw.WriteString("\r\n")
	if method != http.MethodHead && !noBody {
		bw.Write(resp.Body)
	}
	return bw.Flush()
}

// writeH1Error answers a request the proxy refused before passing it on.
func writeH1Error(bw *bufio.Writer, status int, msg string) {
	_ = writeH1Response(bw, "", &Response{Status: status, Fields: []hookconf.HeaderField{{Name: "content-type", Value: "text/plain; charset=utf-8"}},
		Body: []byte("hooksim proxy: " + strings.TrimPrefix(msg, "proxy: ") + "\n")}, true)
}
