package hookclient

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/hooksim/hooksim/simulator/hookconf"
)

// How Stalwart v0.16.18 speaks HTTP/2 to a hook, as read in its source and
// in the dependency versions of its Cargo.lock (reqwest 0.13.4, hyper
// 1.11.0, hyper-util 0.1.20, h2 0.4):
//
//   - crates/utils/src/http.rs: every MTA Hook's client comes from
//     http_client_builder, whose rustls config offers ALPN ["h2",
//     "http/1.1"] (the http1-only variant is for ACME only). The client is
//     pooled. A plain http URL is always HTTP/1.1: reqwest does not try h2c
//     without http2_prior_knowledge, which Stalwart does not set.
//   - hyper-util legacy client.rs: host is set only on an HTTP/1
//     connection; over h2 the URI's authority becomes :authority (with the
//     port only when it is not the scheme's default, as for host).
//   - hyper proto/h2/client.rs: the connection-specific fields
//     (connection, proxy-connection, keep-alive, transfer-encoding,
//     upgrade, te other than "trailers") are removed; content-length is
//     appended when missing and the body's size is known and not zero, so
//     the hook sees it last, as over HTTP/1.1. That is what hooksim sends.
//   - h2 frame/headers.rs: the pseudo-header fields go first in the order
//     :method, :scheme, :authority, :path; the other fields follow in
//     HeaderMap order, names in lower case.
//   - hyper's client defaults: SETTINGS_ENABLE_PUSH 0, a 2 MiB stream
//     window and a 5 MiB connection window.
//
// hooksim frames with golang.org/x/net/http2 and encodes with its hpack
// package; the high-level http2.Transport is not used because it sends a
// Go map's headers in random order and loses the order of the response's
// headers. One call at a time uses a connection (no multiplexing); the
// pool keeps it between calls like an HTTP/1.1 one.

// h2MaxHeaderList is hyper's client default SETTINGS_MAX_HEADER_LIST_SIZE
// (DEFAULT_MAX_HEADER_LIST_SIZE = 16 KiB in hyper 1.11 src/proto/h2/client.rs;
// reqwest 0.13 leaves it), announced to the hook and enforced on its
// response head: a larger one is a hook error.
const h2MaxHeaderList = 16 << 10

// Protocol names as CallResult.Proto records them.
const (
	ProtoHTTP11 = "HTTP/1.1"
	ProtoHTTP2  = "HTTP/2.0"
)

// HTTP/2 settings hooksim announces, hyper's client defaults.
const (
	h2StreamWindow = 2 << 20
	h2ConnWindow   = 5 << 20
	h2DefaultFrame = 16384
	h2DefaultWin   = 65535
)

// h2conn is an HTTP/2 connection to a TLS hook that picked h2 by ALPN.
type h2conn struct {
	fr       *http2.Framer
	enc      *hpack.Encoder
	encBuf   bytes.Buffer
	next     uint32 // the next client stream ID
	maxFrame uint32 // the hook's SETTINGS_MAX_FRAME_SIZE
	initWin  int64  // the hook's SETTINGS_INITIAL_WINDOW_SIZE
	connWin  int64  // what may still be sent on the connection
	goAway   bool   // the hook sent GOAWAY: no new stream
	st       *h2stream
}

// h2stream is the one request in flight on an h2conn.
type h2stream struct {
	id       uint32
	win      int64 // what may still be sent on the stream
	received []byte
	status   int
	fields   []hookconf.HeaderField
	gotHead  bool
	data     []byte // DATA received and not yet read
	got      int64  // DATA bytes received in all
	ended    bool
	err      error
	refused  bool // GOAWAY said the stream was never processed
}

// errStreamRefused: the hook sent GOAWAY before it processed the request.
var errStreamRefused = errors.New("the hook closed the HTTP/2 connection (GOAWAY) before processing the request")

// newH2conn starts HTTP/2 on an established TLS connection: the client
// preface and SETTINGS, the connection window, then it waits for the
// hook's SETTINGS (the first frame a server must send) and acknowledges it.
func newH2conn(conn net.Conn, br *bufio.Reader) (*h2conn, error) {
	if _, err := io.WriteString(conn, http2.ClientPreface); err != nil {
		return nil, err
	}
	h := &h2conn{fr: http2.NewFramer(conn, br), next: 1, maxFrame: h2DefaultFrame, initWin: h2DefaultWin, connWin: h2DefaultWin}
	h.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	h.fr.MaxHeaderListSize = h2MaxHeaderList
	h.enc = hpack.NewEncoder(&h.encBuf)
	err := h.fr.WriteSettings(
		http2.Setting{ID: http2.SettingEnablePush, Val: 0},
		http2.Setting{ID: http2.SettingInitialWindowSize, Val: h2StreamWindow},
		http2.Setting{ID: http2.SettingMaxHeaderListSize, Val: h2MaxHeaderList},
	)
	if err == nil {
		err = h.fr.WriteWindowUpdate(0, h2ConnWindow-h2DefaultWin)
	}
	if err != nil {
		return nil, err
	}
	f, err := h.fr.ReadFrame()
	if err != nil {
		return nil, err
	}
	sf, ok := f.(*http2.SettingsFrame)
	if !ok || sf.IsAck() {
		return nil, fmt.Errorf("the hook's first HTTP/2 frame is %s, not SETTINGS", f.Header().Type)
	}
	if err := h.process(f); err != nil {
		return nil, err
	}
	return h, nil
}

// step reads one frame and applies it.
func (h *h2conn) step() error {
	f, err := h.fr.ReadFrame()
	if err != nil {
		var se http2.StreamError
		if errors.As(err, &se) && h.st != nil && se.StreamID == h.st.id {
			h.st.err = fmt.Errorf("malformed HTTP/2 response: %v", se)
			return nil
		}
		return err
	}
	return h.process(f)
}

// process applies one frame to the connection and the stream in flight.
func (h *h2conn) process(f http2.Frame) error {
	st := h.st
	mine := st != nil && f.Header().StreamID == st.id
	switch f := f.(type) {
	case *http2.SettingsFrame:
		if f.IsAck() {
			return nil
		}
		if err := f.ForeachSetting(func(s http2.Setting) error {
			switch s.ID {
			case http2.SettingMaxFrameSize:
				h.maxFrame = s.Val
			case http2.SettingInitialWindowSize:
				if st != nil {
					st.win += int64(s.Val) - h.initWin
				}
				h.initWin = int64(s.Val)
			}
			return nil
		}); err != nil {
			return err
		}
		return h.fr.WriteSettingsAck()
	case *http2.PingFrame:
		if f.IsAck() {
			return nil
		}
		return h.fr.WritePing(true, f.Data)
	case *http2.WindowUpdateFrame:
		switch {
		case f.StreamID == 0:
			h.connWin += int64(f.Increment)
		case mine:
			st.win += int64(f.Increment)
		}
	case *http2.GoAwayFrame:
		h.goAway = true
		if st != nil && st.id > f.LastStreamID && !st.gotHead {
			st.refused = true
			st.err = errStreamRefused
		}
	case *http2.RSTStreamFrame:
		if mine && !st.ended {
			st.err = fmt.Errorf("the hook reset the HTTP/2 stream (%v)", f.ErrCode)
			st.refused = f.ErrCode == http2.ErrCodeRefusedStream
		}
	case *http2.MetaHeadersFrame:
		if mine {
			return h.headers(f)
		}
	case *http2.DataFrame:
		n := f.Header().Length
		if n > 0 {
			// Give the window back at once, as the whole body is read.
			if err := h.fr.WriteWindowUpdate(0, n); err != nil {
				return err
			}
		}
		if !mine {
			return nil
		}
		if !st.gotHead {
			st.err = errors.New("malformed HTTP/2 response: DATA before the response head")
			return nil
		}
		st.data = append(st.data, f.Data()...)
		st.got += int64(len(f.Data()))
		if f.StreamEnded() {
			st.ended = true
		} else if n > 0 {
			return h.fr.WriteWindowUpdate(st.id, n)
		}
	}
	return nil
}

// headers applies a response head (or an interim 1xx head, or trailers).
func (h *h2conn) headers(f *http2.MetaHeadersFrame) error {
	st := h.st
	if st.gotHead { // trailers: Stalwart ignores them
		st.ended = st.ended || f.StreamEnded()
		return nil
	}
	status, err := strconv.Atoi(f.PseudoValue("status"))
	if err != nil || status < 100 || status > 999 {
		st.err = fmt.Errorf("malformed HTTP/2 response: :status %q", f.PseudoValue("status"))
		return nil
	}
	st.received = appendH2ResponseHead(st.received, f.Fields)
	if f.Truncated {
		st.err = fmt.Errorf("response header list larger than %d bytes (hyper's HTTP/2 limit in Stalwart's client)", h2MaxHeaderList)
		return nil
	}
	switch {
	case status == http.StatusSwitchingProtocols:
		st.err = errors.New("unexpected 101 Switching Protocols")
		return nil
	case status < 200 && !f.StreamEnded():
		return nil // interim response: hyper skips it
	}
	st.status = status
	for _, hf := range f.RegularFields() {
		st.fields = append(st.fields, hookconf.HeaderField{Name: hf.Name, Value: hf.Value})
	}
	st.gotHead = true
	st.ended = f.StreamEnded()
	return nil
}

// h2RequestFields is the HEADERS block of a request: the pseudo-header
// fields in h2's order, then headers without the connection-specific ones
// hyper removes and without the Host hyper-util only adds for HTTP/1
// (customHost: the hook's httpHeaders set one, which is kept).
func h2RequestFields(method string, t *target, headers []hookconf.HeaderField, customHost bool) (pseudo, regular []hookconf.HeaderField) {
	pseudo = []hookconf.HeaderField{
		{Name: ":method", Value: method},
		{Name: ":scheme", Value: t.u.Scheme},
		{Name: ":authority", Value: t.hostHeader},
		{Name: ":path", Value: t.requestURI},
	}
	for _, f := range headers {
		name := strings.ToLower(f.Name)
		switch {
		case name == "host" && !customHost,
			name == "connection", name == "proxy-connection", name == "keep-alive",
			name == "transfer-encoding", name == "upgrade",
			name == "te" && f.Value != "trailers":
			continue
		}
		regular = append(regular, hookconf.HeaderField{Name: name, Value: f.Value})
	}
	return pseudo, regular
}

// appendH2RequestHead renders a request's HEADERS block for the record: a
// request line ending in "HTTP/2.0", then one "name: value" line per
// field, pseudo-header fields first, and a blank line. It is a rendering,
// not bytes from the wire (HTTP/2 sends HPACK-compressed binary frames).
func appendH2RequestHead(b []byte, method, requestURI string, fields ...[]hookconf.HeaderField) []byte {
	b = append(b, method+" "+requestURI+" "+ProtoHTTP2+"\r\n"...)
	for _, list := range fields {
		for _, f := range list {
			b = append(b, f.Name+": "+f.Value+"\r\n"...)
		}
	}
	return append(b, "\r\n"...)
}

// appendH2ResponseHead renders a response head for the record: "HTTP/2.0
// <status>", one "name: value" line per field (":status" included) and a
// blank line. Not bytes from the wire, like appendH2RequestHead.
func appendH2ResponseHead(b []byte, fields []hpack.HeaderField) []byte {
	status := ""
	for _, f := range fields {
		if f.Name == ":status" {
			status = f.Value
		}
	}
	b = append(b, ProtoHTTP2+" "+status+"\r\n"...)
	for _, f := range fields {
		b = append(b, f.Name+": "+f.Value+"\r\n"...)
	}
	return append(b, "\r\n"...)
}

// IsH2Head reports whether a recorded head is an HTTP/2 rendering (see
// CallResult.RequestHead) rather than HTTP/1.1 bytes as on the wire: its
// first line is a request line ending in " HTTP/2.0" or a status line
// starting "HTTP/2.0 ".
func IsH2Head(head []byte) bool {
	line, _, _ := bytes.Cut(head, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	return bytes.HasPrefix(line, []byte(ProtoHTTP2+" ")) || bytes.HasSuffix(line, []byte(" "+ProtoHTTP2))
}

// sendOnH2 sends one request on an HTTP/2 connection and reads the
// response head; the body is read through the returned response's Body.
// Results as sendOn's; cl.sentFields gets the regular fields sent.
func (c *Client) sendOnH2(cl *call, t *target, pc *pconn, method string, headers []hookconf.HeaderField, body []byte, reused bool) (*exchange, *HookError, bool) {
	h := pc.h2
	cl.received = nil
	staleErr := func(err error) bool { return reused && (isStale(err) || h.st.refused) && !cl.expired(err) }
	if h.goAway {
		return nil, cl.classify(errStreamRefused, phaseWrite, t), reused
	}
	pseudo, regular := h2RequestFields(method, t, headers, cl.customHost)
	h.st = &h2stream{id: h.next, win: h.initWin}
	h.next += 2
	st := h.st

	h.encBuf.Reset()
	for _, list := range [][]hookconf.HeaderField{pseudo, regular} {
		for _, f := range list {
			if err := h.enc.WriteField(hpack.HeaderField{Name: f.Name, Value: f.Value}); err != nil {
				return nil, cl.classify(err, phaseWrite, t), false
			}
		}
	}
	block := h.encBuf.Bytes()
	for first := true; first || len(block) > 0; first = false {
		n := min(len(block), int(h.maxFrame))
		frag, end := block[:n], n == len(block)
		block = block[n:]
		var err error
		if first {
			err = h.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: st.id, BlockFragment: frag, EndStream: len(body) == 0, EndHeaders: end})
		} else {
			err = h.fr.WriteContinuation(st.id, end, frag)
		}
		if err != nil {
			return nil, cl.classify(err, phaseWrite, t), staleErr(err)
		}
	}
	cl.sent = appendH2RequestHead(nil, method, t.requestURI, pseudo, regular)
	cl.sentFields = regular

	for rest := body; len(rest) > 0 && !st.gotHead && st.err == nil; {
		n := min(int64(len(rest)), int64(h.maxFrame), h.connWin, st.win)
		if n <= 0 {
			if err := h.step(); err != nil {
				return nil, cl.classify(err, phaseWrite, t), staleErr(err)
			}
			continue
		}
		if err := h.fr.WriteData(st.id, int64(len(rest)) == n, rest[:n]); err != nil {
			return nil, cl.classify(err, phaseWrite, t), staleErr(err)
		}
		h.connWin -= n
		st.win -= n
		rest = rest[n:]
	}
	for !st.gotHead && st.err == nil {
		if err := h.step(); err != nil {
			cl.received = st.received
			return nil, cl.classify(err, phaseHead, t), staleErr(err)
		}
	}
	cl.received = st.received
	if st.err != nil {
		return nil, cl.classify(st.err, phaseHead, t), staleErr(st.err)
	}
	resp := &http.Response{
		Status: strconv.Itoa(st.status), StatusCode: st.status,
		Proto: ProtoHTTP2, ProtoMajor: 2, Header: http.Header{}, ContentLength: -1,
	}
	for _, f := range st.fields {
		resp.Header.Add(f.Name, f.Value)
	}
	if v := resp.Header.Get("Content-Length"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return nil, cl.classify(fmt.Errorf("malformed HTTP/2 response: content-length %q", v), phaseHead, t), false
		}
		resp.ContentLength = n
	}
	resp.Body = &h2body{h: h, st: st, length: resp.ContentLength}
	return &exchange{pc: pc, resp: resp, headers: st.fields}, nil, false
}

// h2body reads the DATA of the stream in flight. Like hyper, it fails
// when the body's length differs from a content-length header.
type h2body struct {
	h      *h2conn
	st     *h2stream
	length int64
}

func (b *h2body) Read(p []byte) (int, error) {
	st := b.st
	for {
		if b.length >= 0 && st.got > b.length {
			return 0, fmt.Errorf("HTTP/2 body longer than its content-length %d", b.length)
		}
		if len(st.data) > 0 {
			n := copy(p, st.data)
			st.data = st.data[n:]
			return n, nil
		}
		switch {
		case st.err != nil:
			return 0, st.err
		case st.ended && b.length >= 0 && st.got != b.length:
			return 0, fmt.Errorf("HTTP/2 body of %d bytes, not its content-length %d", st.got, b.length)
		case st.ended:
			return 0, io.EOF
		}
		if err := b.h.step(); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
	}
}

func (b *h2body) Close() error { return nil }
