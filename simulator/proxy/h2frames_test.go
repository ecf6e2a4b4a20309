package proxy

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/hooksim/hooksim/simulator/hookconf"
)

// rawFrameBytes is a frame written by hand: a 9-byte header and payload.
func rawFrameBytes(length uint32, typ http2.FrameType, flags http2.Flags, stream uint32, payload []byte) []byte {
	b := []byte{byte(length >> 16), byte(length >> 8), byte(length), byte(typ), byte(flags), 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[5:], stream)
	return append(b, payload...)
}

// quiet checks that no DATA frame comes for d (the server is waiting for
// a window); other frames are allowed.
func (r *h2Raw) quiet(d time.Duration) {
	r.t.Helper()
	deadline := time.Now().Add(d)
	for {
		_ = r.conn.SetReadDeadline(deadline)
		f, err := r.fr.ReadFrame()
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return
		}
		if err != nil {
			r.t.Fatalf("while waiting: %v", err)
		}
		if df, ok := f.(*http2.DataFrame); ok {
			r.t.Fatalf("DATA of %d bytes on stream %d with no window open", len(df.Data()), df.StreamID)
		}
	}
}

// TestH2Settings: the server's first frames are its SETTINGS and the
// connection window's WINDOW_UPDATE.
func TestH2Settings(t *testing.T) {
	t.Parallel()
	srv := startH2(t, &Server{Handler: (&keeper{}).handle, MaxHeaderBytes: 3000}, false)
	c := dialH2Raw(t, srv.addr)
	f, err := c.next(false)
	if err != nil || f.typ != http2.FrameSettings || f.flags.Has(http2.FlagSettingsAck) {
		t.Fatalf("first frame %v, %v", f, err)
	}
	want := []http2.Setting{
		{ID: http2.SettingMaxConcurrentStreams, Val: 250},
		{ID: http2.SettingInitialWindowSize, Val: h2StreamWindow},
		{ID: http2.SettingMaxFrameSize, Val: h2MaxReadFrame},
		{ID: http2.SettingMaxHeaderListSize, Val: 3000},
	}
	if !reflect.DeepEqual(f.settings, want) {
		t.Errorf("SETTINGS %v, want %v", f.settings, want)
	}
	f, err = c.next(false)
	if err != nil || f.typ != http2.FrameWindowUpdate || f.stream != 0 || f.increment != h2ConnWindow-65535 {
		t.Errorf("second frame %v +%d, %v: want the connection's WINDOW_UPDATE", f, f.increment, err)
	}
	if err := c.fr.WritePing(false, [8]byte{1, 2, 3, 4, 5, 6, 7, 8}); err != nil {
		t.Fatal(err)
	}
	p := c.expect(http2.FramePing, 0)
	if !p.flags.Has(http2.FlagPingAck) || !bytes.Equal(p.data, []byte{1, 2, 3, 4, 5, 6, 7, 8}) {
		t.Errorf("PING answered with %v %v", p.flags, p.data)
	}
}

// TestH2UnknownFrames: frames of unknown types are ignored (RFC 9113
// §4.1), including 0x0a to 0x0f, on which x/net v0.50.0's Framer
// panics; PRIORITY and PRIORITY_UPDATE are ignored too.
func TestH2UnknownFrames(t *testing.T) {
	t.Parallel()
	srv := startH2(t, &Server{Handler: (&keeper{}).handle}, false)
	c := dialH2Raw(t, srv.addr)
	var b []byte
	for _, typ := range []http2.FrameType{0x0a, 0x0c, 0x0f, 0x11, 0xfa} {
		b = append(b, rawFrameBytes(5, typ, 0xff, 1, []byte("hello"))...)
	}
	b = append(b, rawFrameBytes(5, http2.FramePriority, 0, 1, []byte{0, 0, 0, 3, 9})...)
	b = append(b, rawFrameBytes(5, http2.FramePriorityUpdate, 0, 0, []byte{0, 0, 0, 1, 'u'})...)
	if _, err := c.conn.Write(b); err != nil {
		t.Fatal(err)
	}
	c.post(1, "x")
	if r := c.response(1); r.status != "200" || string(r.body) != "ok" {
		t.Errorf("after unknown frames: %s %q", r.status, r.body)
	}
}

// TestH2SendFlowControl: the response's DATA waits for the stream window
// (a client's INITIAL_WINDOW_SIZE of 0), follows a SETTINGS change on the
// open stream and a WINDOW_UPDATE, and keeps to the default frame size.
func TestH2SendFlowControl(t *testing.T) {
	t.Parallel()
	body := pattern(40000, 3)
	srv := startH2(t, &Server{Handler: (&keeper{answer: func(context.Context, *Request) *Response {
		return &Response{Status: http.StatusOK, Body: body}
	}}).handle}, false)
	c := dialH2Raw(t, srv.addr, http2.Setting{ID: http2.SettingInitialWindowSize, Val: 0})
	c.post(1, "x")
	h := c.expect(http2.FrameHeaders, 1)
	if h.flags.Has(http2.FlagHeadersEndStream) || field(h.fields, ":status") != "200" {
		t.Fatalf("HEADERS %v %v", h, h.fields)
	}
	c.quiet(100 * time.Millisecond)
	if err := c.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1000}); err != nil {
		t.Fatal(err)
	}
	var got []byte
	for len(got) < 1000 {
		f := c.expect(http2.FrameData, 1)
		got = append(got, f.data...)
	}
	if len(got) != 1000 {
		t.Fatalf("%d bytes sent on a window of 1000", len(got))
	}
	c.quiet(100 * time.Millisecond)
	if err := c.fr.WriteWindowUpdate(1, 39000); err != nil {
		t.Fatal(err)
	}
	for {
		f := c.expect(http2.FrameData, 1)
		if f.length > 16384 {
			t.Errorf("DATA frame of %d bytes over the default SETTINGS_MAX_FRAME_SIZE", f.length)
		}
		got = append(got, f.data...)
		if f.flags.Has(http2.FlagDataEndStream) {
			break
		}
	}
	if !bytes.Equal(got, body) {
		t.Errorf("body of %d bytes differs from the %d sent", len(got), len(body))
	}
}

// TestH2ConnectionWindow: two streams share the connection's window of
// 65535 bytes; the rest waits for the connection's WINDOW_UPDATE, and
// the frames follow the client's SETTINGS_MAX_FRAME_SIZE.
func TestH2ConnectionWindow(t *testing.T) {
	t.Parallel()
	srv := startH2(t, &Server{Handler: (&keeper{answer: func(_ context.Context, req *Request) *Response {
		return &Response{Status: http.StatusOK, Body: pattern(40000, req.Body[0])}
	}}).handle}, false)
	c := dialH2Raw(t, srv.addr,
		http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 20},
		http2.Setting{ID: http2.SettingMaxFrameSize, Val: 20000})
	c.post(1, "\x05")
	c.post(3, "\x07")
	bodies := map[uint32][]byte{}
	total, ended, biggest := 0, 0, uint32(0)
	readData := func(until func() bool) {
		for !until() {
			f, err := c.next(true)
			if err != nil {
				t.Fatalf("after %d bytes: %v", total, err)
			}
			if f.typ == http2.FrameData {
				bodies[f.stream] = append(bodies[f.stream], f.data...)
				total += len(f.data)
				biggest = max(biggest, f.length)
				if f.flags.Has(http2.FlagDataEndStream) {
					ended++
				}
			}
		}
	}
	readData(func() bool { return total >= 65535 })
	if total != 65535 {
		t.Fatalf("%d bytes sent on a connection window of 65535", total)
	}
	c.quiet(100 * time.Millisecond)
	if err := c.fr.WriteWindowUpdate(0, 80000-65535); err != nil {
		t.Fatal(err)
	}
	readData(func() bool { return ended == 2 })
	if !bytes.Equal(bodies[1], pattern(40000, 5)) || !bytes.Equal(bodies[3], pattern(40000, 7)) {
		t.Errorf("bodies of %d and %d bytes differ from those sent", len(bodies[1]), len(bodies[3]))
	}
	if biggest <= 16384 || biggest > 20000 {
		t.Errorf("largest DATA frame %d bytes, want over 16384 and at most the client's 20000", biggest)
	}
}

// TestH2ReceiveWindows: a client that sends only what its windows allow
// (counting them exactly) gets a 3 MiB body through without stalling: the
// server gives back what it consumed, connection and stream.
func TestH2ReceiveWindows(t *testing.T) {
	t.Parallel()
	body := pattern(3<<20, 11)
	rec := &keeper{}
	srv := startH2(t, &Server{Handler: rec.handle}, false)
	c := dialH2Raw(t, srv.addr)
	connWin, streamWin := int64(65535), int64(65535)
	c.headers(1, false, ":method", "POST", ":scheme", "http", ":authority", "h", ":path", "/", "content-length", fmt.Sprint(len(body)))
	for rest := body; len(rest) > 0; {
		n := min(int64(len(rest)), 16384, connWin, streamWin)
		if n <= 0 {
			f, err := c.next(false)
			if err != nil {
				t.Fatalf("stalled with %d bytes left (windows %d, %d): %v", len(rest), connWin, streamWin, err)
			}
			switch {
			case f.typ == http2.FrameWindowUpdate && f.stream == 0:
				connWin += int64(f.increment)
			case f.typ == http2.FrameWindowUpdate && f.stream == 1:
				streamWin += int64(f.increment)
			case f.typ == http2.FrameSettings:
				for _, s := range f.settings {
					if s.ID == http2.SettingInitialWindowSize {
						streamWin += int64(s.Val) - 65535
					}
				}
			case f.typ == http2.FrameRSTStream || f.typ == http2.FrameGoAway:
				t.Fatalf("%v", f)
			}
			continue
		}
		if err := c.fr.WriteData(1, int(n) == len(rest), rest[:n]); err != nil {
			t.Fatal(err)
		}
		rest = rest[n:]
		connWin -= n
		streamWin -= n
	}
	if r := c.response(1); r.status != "200" {
		t.Fatalf("status %s", r.status)
	}
	if reqs := rec.got(); len(reqs) != 1 || !bytes.Equal(reqs[0].Body, body) {
		t.Errorf("the handler did not get the %d bytes sent", len(body))
	}
}

// TestH2ConnectionErrors: frames that break the protocol get GOAWAY with
// the right error code, then the connection closes; no panic.
func TestH2ConnectionErrors(t *testing.T) {
	t.Parallel()
	srv := startH2(t, &Server{Handler: (&keeper{}).handle, MaxHeaderBytes: 4096}, false)
	bigValue := strings.Repeat("x", 20000)
	tests := []struct {
		name     string
		settings bool // send SETTINGS after the preface
		send     func(c *h2Raw) error
		want     http2.ErrCode
	}{
		{"PING before SETTINGS", false, func(c *h2Raw) error { return c.fr.WritePing(false, [8]byte{}) }, http2.ErrCodeProtocol},
		{"DATA on stream 0", true, func(c *h2Raw) error { return c.fr.WriteData(0, false, []byte("x")) }, http2.ErrCodeProtocol},
		{"HEADERS on an even stream", true, func(c *h2Raw) error {
			c.headers(2, true, ":method", "GET", ":scheme", "http", ":path", "/")
			return nil
		}, http2.ErrCodeProtocol},
		{"CONTINUATION alone", true, func(c *h2Raw) error { return c.fr.WriteContinuation(1, true, c.block("a", "b")) }, http2.ErrCodeProtocol},
		{"HEADERS then PING before CONTINUATION", true, func(c *h2Raw) error {
			err := c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: c.block(":method", "GET"), EndHeaders: false})
			if err == nil {
				err = c.fr.WritePing(false, [8]byte{})
			}
			return err
		}, http2.ErrCodeProtocol},
		{"connection window over 2^31-1", true, func(c *h2Raw) error { return c.fr.WriteWindowUpdate(0, 1<<31-1) }, http2.ErrCodeFlowControl},
		{"WINDOW_UPDATE of 0 on the connection", true, func(c *h2Raw) error {
			_, err := c.conn.Write(rawFrameBytes(4, http2.FrameWindowUpdate, 0, 0, []byte{0, 0, 0, 0}))
			return err
		}, http2.ErrCodeProtocol},
		{"INITIAL_WINDOW_SIZE 2^31", true, func(c *h2Raw) error {
			return c.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 31})
		}, http2.ErrCodeFlowControl},
		{"MAX_FRAME_SIZE 100", true, func(c *h2Raw) error {
			return c.fr.WriteSettings(http2.Setting{ID: http2.SettingMaxFrameSize, Val: 100})
		}, http2.ErrCodeProtocol},
		{"SETTINGS ack with a payload", true, func(c *h2Raw) error {
			_, err := c.conn.Write(rawFrameBytes(6, http2.FrameSettings, http2.FlagSettingsAck, 0, make([]byte, 6)))
			return err
		}, http2.ErrCodeFrameSize},
		{"PING of 4 bytes", true, func(c *h2Raw) error {
			_, err := c.conn.Write(rawFrameBytes(4, http2.FramePing, 0, 0, make([]byte, 4)))
			return err
		}, http2.ErrCodeFrameSize},
		{"frame over MAX_FRAME_SIZE", true, func(c *h2Raw) error {
			_, err := c.conn.Write(rawFrameBytes(h2MaxReadFrame+1, http2.FrameData, 0, 1, nil))
			return err
		}, http2.ErrCodeFrameSize},
		{"HTTP/1.1 after the preface", true, func(c *h2Raw) error {
			_, err := io.WriteString(c.conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			return err
		}, http2.ErrCodeFrameSize},
		{"HEADERS with priority and no room for it", true, func(c *h2Raw) error {
			_, err := c.conn.Write(rawFrameBytes(2, http2.FrameHeaders, http2.FlagHeadersPriority|http2.FlagHeadersEndHeaders, 1, []byte{0, 0}))
			return err
		}, http2.ErrCodeFrameSize},
		{"PUSH_PROMISE from the client", true, func(c *h2Raw) error {
			return c.fr.WritePushPromise(http2.PushPromiseParam{StreamID: 1, PromiseID: 2, BlockFragment: c.block(":method", "GET"), EndHeaders: true})
		}, http2.ErrCodeProtocol},
		{"broken HPACK", true, func(c *h2Raw) error {
			return c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: []byte{0x80}, EndHeaders: true})
		}, http2.ErrCodeCompression},
		{"DATA on an idle stream", true, func(c *h2Raw) error { return c.fr.WriteData(5, true, []byte("x")) }, http2.ErrCodeProtocol},
		{"RST_STREAM on an idle stream", true, func(c *h2Raw) error { return c.fr.WriteRSTStream(7, http2.ErrCodeCancel) }, http2.ErrCodeProtocol},
		{"WINDOW_UPDATE on an idle stream", true, func(c *h2Raw) error { return c.fr.WriteWindowUpdate(9, 10) }, http2.ErrCodeProtocol},
		{"HEADERS on a closed stream", true, func(c *h2Raw) error {
			c.post(1, "")
			c.response(1)
			c.post(1, "")
			return nil
		}, http2.ErrCodeProtocol},
		{"stream ID going down", true, func(c *h2Raw) error {
			c.post(5, "")
			c.post(3, "")
			return nil
		}, http2.ErrCodeProtocol},
		{"header list far over the limit", true, func(c *h2Raw) error {
			c.headers(1, true, ":method", "GET", ":scheme", "http", ":path", "/", "x-big", bigValue)
			return nil
		}, http2.ErrCodeCompression}, // x/net's HPACK decoder refuses a field over its limit
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var c *h2Raw
			if tt.settings {
				c = dialH2Raw(t, srv.addr)
			} else {
				conn, err := net.Dial("tcp", srv.addr)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { conn.Close() })
				c = newH2Raw(t, conn)
				if _, err := io.WriteString(conn, http2.ClientPreface); err != nil {
					t.Fatal(err)
				}
			}
			if err := tt.send(c); err != nil {
				t.Fatal(err)
			}
			c.expectGoAway(tt.want)
		})
	}
}

// TestH2StreamErrors: a malformed request, or a frame wrong for its
// stream, resets that stream only (RST_STREAM with the right code), the
// handler is not called for it, and the connection serves the next one.
func TestH2StreamErrors(t *testing.T) {
	t.Parallel()
	base := []string{":method", "POST", ":scheme", "http", ":authority", "h", ":path", "/"}
	without := func(name string) []string {
		var out []string
		for i := 0; i < len(base); i += 2 {
			if base[i] != name {
				out = append(out, base[i], base[i+1])
			}
		}
		return out
	}
	with := func(pairs ...string) []string { return append(append([]string(nil), base...), pairs...) }
	tests := []struct {
		name  string
		send  func(c *h2Raw) error
		want  http2.ErrCode
		calls int // handler calls for stream 1
	}{
		{"no :path", func(c *h2Raw) error { c.headers(1, true, without(":path")...); return nil }, http2.ErrCodeProtocol, 0},
		{"no :method", func(c *h2Raw) error { c.headers(1, true, without(":method")...); return nil }, http2.ErrCodeProtocol, 0},
		{"no :scheme", func(c *h2Raw) error { c.headers(1, true, without(":scheme")...); return nil }, http2.ErrCodeProtocol, 0},
		{"unknown pseudo-header", func(c *h2Raw) error { c.headers(1, true, with(":foo", "x")...); return nil }, http2.ErrCodeProtocol, 0},
		{"pseudo-header after a field", func(c *h2Raw) error {
			c.headers(1, true, append(with("x-a", "1"), ":status", "200")...)
			return nil
		}, http2.ErrCodeProtocol, 0},
		{"upper-case field name", func(c *h2Raw) error { c.headers(1, true, with("X-Up", "1")...); return nil }, http2.ErrCodeProtocol, 0},
		{"connection field", func(c *h2Raw) error { c.headers(1, true, with("connection", "close")...); return nil }, http2.ErrCodeProtocol, 0},
		{"transfer-encoding", func(c *h2Raw) error { c.headers(1, true, with("transfer-encoding", "chunked")...); return nil }, http2.ErrCodeProtocol, 0},
		{"te gzip", func(c *h2Raw) error { c.headers(1, true, with("te", "gzip")...); return nil }, http2.ErrCodeProtocol, 0},
		{"bad content-length", func(c *h2Raw) error { c.headers(1, true, with("content-length", "-1")...); return nil }, http2.ErrCodeProtocol, 0},
		{"body shorter than content-length", func(c *h2Raw) error {
			c.headers(1, false, with("content-length", "10")...)
			return c.fr.WriteData(1, true, []byte("short"))
		}, http2.ErrCodeProtocol, 0},
		{"body longer than content-length", func(c *h2Raw) error {
			c.headers(1, false, with("content-length", "2")...)
			return c.fr.WriteData(1, true, []byte("longer"))
		}, http2.ErrCodeProtocol, 0},
		{"trailers without END_STREAM", func(c *h2Raw) error {
			c.headers(1, false, base...)
			c.headers(1, false, "x-trailer", "1")
			return nil
		}, http2.ErrCodeProtocol, 0},
		{"trailers with a pseudo-header", func(c *h2Raw) error {
			c.headers(1, false, base...)
			c.headers(1, true, ":path", "/again")
			return nil
		}, http2.ErrCodeProtocol, 0},
		{"stream depends on itself", func(c *h2Raw) error { return c.fr.WritePriority(1, http2.PriorityParam{StreamDep: 1}) }, http2.ErrCodeProtocol, 0},
		{"WINDOW_UPDATE of 0 on a stream", func(c *h2Raw) error {
			c.headers(1, false, base...)
			_, err := c.conn.Write(rawFrameBytes(4, http2.FrameWindowUpdate, 0, 1, []byte{0, 0, 0, 0}))
			return err
		}, http2.ErrCodeProtocol, 0},
		{"DATA after END_STREAM", func(c *h2Raw) error {
			c.headers(1, true, base...)
			return c.fr.WriteData(1, true, []byte("late"))
		}, http2.ErrCodeStreamClosed, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := &keeper{}
			srv := startH2(t, &Server{Handler: rec.handle}, false)
			c := dialH2Raw(t, srv.addr)
			if err := tt.send(c); err != nil {
				t.Fatal(err)
			}
			if f := c.expect(http2.FrameRSTStream, 1); f.code != tt.want {
				t.Fatalf("RST_STREAM %v, want %v", f.code, tt.want)
			}
			c.post(3, "next")
			if r := c.response(3); r.status != "200" {
				t.Fatalf("the next stream: %s", r.status)
			}
			calls := 0
			for _, r := range rec.got() {
				if string(r.Body) != "next" {
					calls++
				}
			}
			if calls != tt.calls {
				t.Errorf("handler called %d times for stream 1, want %d", calls, tt.calls)
			}
		})
	}
}

// TestH2RequestShapes: trailers are accepted and left out of Fields;
// a header block split over CONTINUATION frames arrives whole; Head
// keeps the pseudo-header fields in the order sent; a response head
// larger than a frame goes out as HEADERS and CONTINUATION, in order.
func TestH2RequestShapes(t *testing.T) {
	t.Parallel()
	var respFields []hookconf.HeaderField
	for i := range 300 {
		respFields = append(respFields, hookconf.HeaderField{Name: fmt.Sprintf("X-Field-%03d", i), Value: strings.Repeat(string(rune('a'+i%26)), 90)})
	}
	rec := &keeper{answer: func(context.Context, *Request) *Response {
		return &Response{Status: http.StatusOK, Fields: respFields, Body: []byte("ok")}
	}}
	srv := startH2(t, &Server{Handler: rec.handle}, false)
	c := dialH2Raw(t, srv.addr)

	// Stream 1: pseudo-header fields in an unusual order, the block in
	// three frames, a body, then trailers.
	block := c.block(":path", "/p?q=1", ":authority", "hook.test", ":scheme", "http", ":method", "PUT",
		"x-one", "1", "content-type", "text/plain", "x-two", "2", "x-one", "again")
	third := len(block) / 3
	if err := c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block[:third]}); err != nil {
		t.Fatal(err)
	}
	if err := c.fr.WriteContinuation(1, false, block[third:2*third]); err != nil {
		t.Fatal(err)
	}
	if err := c.fr.WriteContinuation(1, true, block[2*third:]); err != nil {
		t.Fatal(err)
	}
	if err := c.fr.WriteData(1, false, []byte("body ")); err != nil {
		t.Fatal(err)
	}
	if err := c.fr.WriteDataPadded(1, false, []byte("text"), make([]byte, 20)); err != nil {
		t.Fatal(err)
	}
	c.headers(1, true, "x-trailer", "t")
	r := c.response(1)
	if r.status != "200" || string(r.body) != "ok" || len(r.fields) != 1+len(respFields) {
		t.Fatalf("response %s %q with %d fields", r.status, r.body, len(r.fields))
	}
	for i, f := range respFields {
		if got := r.fields[1+i]; got.Name != strings.ToLower(f.Name) || got.Value != f.Value {
			t.Fatalf("response field %d: %s: %s, want %s", i, got.Name, got.Value, strings.ToLower(f.Name))
		}
	}
	reqs := rec.got()
	if len(reqs) != 1 {
		t.Fatalf("handler called %d times", len(reqs))
	}
	req := reqs[0]
	wantFields := []hookconf.HeaderField{{Name: "x-one", Value: "1"}, {Name: "content-type", Value: "text/plain"}, {Name: "x-two", Value: "2"}, {Name: "x-one", Value: "again"}}
	if !reflect.DeepEqual(req.Fields, wantFields) || string(req.Body) != "body text" || req.Method != "PUT" || req.Target != "/p?q=1" || req.Authority != "hook.test" || req.TLS {
		t.Errorf("request %+v", req)
	}
	wantHead := "PUT /p?q=1 HTTP/2.0\r\n:path: /p?q=1\r\n:authority: hook.test\r\n:scheme: http\r\n:method: PUT\r\n" +
		"x-one: 1\r\ncontent-type: text/plain\r\nx-two: 2\r\nx-one: again\r\n\r\n"
	if string(req.Head) != wantHead {
		t.Errorf("Head\n%q\nwant\n%q", req.Head, wantHead)
	}

	// Stream 3: no :authority, a host field instead; HEAD gets no body.
	c.headers(3, true, ":method", "HEAD", ":scheme", "http", ":path", "/", "host", "h.example")
	h := c.expect(http2.FrameHeaders, 3)
	if !h.flags.Has(http2.FlagHeadersEndStream) {
		t.Errorf("HEAD answered with a body to follow")
	}
	if req := rec.got()[1]; req.Authority != "h.example" || req.Method != "HEAD" {
		t.Errorf("request %+v", req)
	}
}

// TestH2HeaderListLimit: a header list over MaxHeaderBytes (within twice
// the limit) gets 431 without the handler being called.
func TestH2HeaderListLimit(t *testing.T) {
	t.Parallel()
	rec := &keeper{}
	srv := startH2(t, &Server{Handler: rec.handle, MaxHeaderBytes: 1024}, false)
	c := dialH2Raw(t, srv.addr)
	c.headers(1, true, ":method", "POST", ":scheme", "http", ":path", "/", "x-long", strings.Repeat("a", 1200))
	if r := c.response(1); r.status != "431" {
		t.Errorf("status %s, want 431", r.status)
	}
	c.headers(3, false, ":method", "POST", ":scheme", "http", ":path", "/", "x-long", strings.Repeat("a", 1200))
	if r := c.response(3); r.status != "431" {
		t.Errorf("status %s, want 431", r.status)
	}
	if f := c.expect(http2.FrameRSTStream, 3); f.code != http2.ErrCodeNo {
		t.Errorf("after the 431 on a stream still open: RST_STREAM %v, want NO_ERROR", f.code)
	}
	if err := c.fr.WriteData(3, true, []byte("ignored")); err != nil {
		t.Fatal(err)
	}
	c.post(5, "fine")
	if r := c.response(5); r.status != "200" {
		t.Errorf("the next stream: %s", r.status)
	}
	if n := len(rec.got()); n != 1 {
		t.Errorf("handler called %d times, want 1", n)
	}
}

// TestH2MaxStreams: the 251st stream open at once is refused.
func TestH2MaxStreams(t *testing.T) {
	t.Parallel()
	rec := &keeper{}
	srv := startH2(t, &Server{Handler: rec.handle}, false)
	c := dialH2Raw(t, srv.addr)
	for i := range uint32(h2MaxStreams + 1) {
		c.headers(2*i+1, false, ":method", "POST", ":scheme", "http", ":path", "/")
	}
	last := uint32(2*h2MaxStreams + 1)
	if f := c.expect(http2.FrameRSTStream, last); f.code != http2.ErrCodeRefusedStream {
		t.Errorf("stream %d: %v, want REFUSED_STREAM", last, f.code)
	}
	if err := c.fr.WriteData(1, true, []byte("done")); err != nil {
		t.Fatal(err)
	}
	if r := c.response(1); r.status != "200" {
		t.Errorf("stream 1: %s", r.status)
	}
}

// TestH2BadPreface: a TLS client that picks h2 by ALPN and then does not
// send the client preface gets GOAWAY PROTOCOL_ERROR, and OnError hears.
func TestH2BadPreface(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var reported []string
	srv := startH2(t, &Server{Handler: (&keeper{}).handle, OnError: func(_ string, err error) {
		mu.Lock()
		reported = append(reported, err.Error())
		mu.Unlock()
	}}, true)
	conn, err := tls.Dial("tcp", srv.addr, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if p := conn.ConnectionState().NegotiatedProtocol; p != "h2" {
		t.Fatalf("ALPN chose %q", p)
	}
	if _, err := io.WriteString(conn, "POST / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	c := newH2Raw(t, conn)
	c.expectGoAway(http2.ErrCodeProtocol)
	if err := srv.stop(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(reported) != 1 || !strings.Contains(reported[0], "preface") {
		t.Errorf("OnError heard %q", reported)
	}
}

// FuzzH2Frames feeds arbitrary bytes after the preface and SETTINGS: the
// server must not panic, and must close the connection once the client
// is done (no goroutine stuck on a half-read stream).
func FuzzH2Frames(f *testing.F) {
	var enc bytes.Buffer
	he := hpack.NewEncoder(&enc)
	for _, p := range [][2]string{{":method", "POST"}, {":scheme", "http"}, {":path", "/"}, {"x-a", "1"}} {
		_ = he.WriteField(hpack.HeaderField{Name: p[0], Value: p[1]})
	}
	block := enc.Bytes()
	f.Add(rawFrameBytes(uint32(len(block)), http2.FrameHeaders, http2.FlagHeadersEndHeaders|http2.FlagHeadersEndStream, 1, block))
	f.Add(append(rawFrameBytes(uint32(len(block)), http2.FrameHeaders, http2.FlagHeadersEndHeaders, 1, block),
		rawFrameBytes(3, http2.FrameData, http2.FlagDataEndStream, 1, []byte("abc"))...))
	f.Add(rawFrameBytes(uint32(len(block)), http2.FrameHeaders, 0, 1, block))
	f.Add(rawFrameBytes(4, http2.FrameWindowUpdate, 0, 0, []byte{0x7f, 0xff, 0xff, 0xff}))
	f.Add(rawFrameBytes(8, http2.FramePing, 0, 0, make([]byte, 8)))
	f.Add(rawFrameBytes(1, http2.FrameData, 0, 0, []byte{0}))
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"))
	f.Add(rawFrameBytes(5, http2.FramePriority, 0, 3, []byte{0, 0, 0, 3, 0}))
	f.Add(rawFrameBytes(8, http2.FrameGoAway, 0, 0, make([]byte, 8)))
	f.Add(rawFrameBytes(8, 0x0c, 0x30, 0x30303030, []byte("00000000"))) // x/net's Framer panicked on type 0x0c

	rec := &keeper{}
	s := &Server{Handler: rec.handle}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	f.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			f.Error(err)
		}
	})
	f.Fuzz(func(t *testing.T, input []byte) {
		conn, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		settings := rawFrameBytes(0, http2.FrameSettings, 0, 0, nil)
		msg := append(append([]byte(http2.ClientPreface), settings...), input...)
		if _, err := conn.Write(msg); err != nil {
			t.Fatal(err)
		}
		_ = conn.(*net.TCPConn).CloseWrite()
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err = io.Copy(io.Discard, conn)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatal("the server kept the connection open after the client finished")
		}
	})
}
