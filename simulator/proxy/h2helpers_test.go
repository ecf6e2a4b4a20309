package proxy

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/hooksim/hooksim/simulator/smtpd"
)

// h2TestServer is a Server running on a loopback listener.
type h2TestServer struct {
	addr string
	stop func() error // cancels Serve's ctx and waits for Serve to return
}

// startH2 serves s on 127.0.0.1, with a self-signed certificate when
// useTLS. The server stops when the test ends (or earlier by stop).
func startH2(t *testing.T, s *Server, useTLS bool) *h2TestServer {
	t.Helper()
	if useTLS {
		cfg, _, err := smtpd.SelfSigned("127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		s.TLSConfig = cfg
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	var once sync.Once
	var serveErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			select {
			case serveErr = <-done:
			case <-time.After(15 * time.Second):
				serveErr = errors.New("Serve did not return 15 s after its ctx ended")
			}
		})
		return serveErr
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	})
	return &h2TestServer{addr: ln.Addr().String(), stop: stop}
}

// h2Client is an HTTP/2-only client: over TLS (h2 by ALPN, any
// certificate) or h2c with prior knowledge on a plain connection. Its
// idle connections are closed when the test ends.
func h2Client(t *testing.T, useTLS bool) (*http.Client, string) {
	tr := &http2.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	scheme := "https"
	if !useTLS {
		scheme = "http"
		tr.AllowHTTP = true
		tr.DialTLSContext = func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		}
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}, scheme
}

// h2Raw is a hand-driven HTTP/2 client: it writes frames as a test says,
// legal or not, and reads what the server sends.
type h2Raw struct {
	t    *testing.T
	conn net.Conn
	fr   *http2.Framer
	enc  *hpack.Encoder
	buf  bytes.Buffer
}

// rawFrame is a frame the server sent, copied out of the Framer.
type rawFrame struct {
	typ       http2.FrameType
	stream    uint32
	flags     http2.Flags
	fields    []hpack.HeaderField // HEADERS (merged with CONTINUATION)
	data      []byte              // DATA, PING, GOAWAY debug data
	code      http2.ErrCode       // RST_STREAM, GOAWAY
	last      uint32              // GOAWAY's last stream ID
	increment uint32              // WINDOW_UPDATE
	settings  []http2.Setting
	length    uint32 // the frame's payload length
}

func (f rawFrame) String() string {
	return fmt.Sprintf("%v stream=%d flags=%v code=%v len=%d", f.typ, f.stream, f.flags, f.code, f.length)
}

// dialH2Raw connects to addr (plain TCP) and sends the client preface and
// SETTINGS with settings.
func dialH2Raw(t *testing.T, addr string, settings ...http2.Setting) *h2Raw {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	r := newH2Raw(t, conn)
	if _, err := io.WriteString(conn, http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	if err := r.fr.WriteSettings(settings...); err != nil {
		t.Fatal(err)
	}
	return r
}

func newH2Raw(t *testing.T, conn net.Conn) *h2Raw {
	r := &h2Raw{t: t, conn: conn}
	r.fr = http2.NewFramer(conn, conn)
	r.fr.AllowIllegalWrites = true
	r.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	r.fr.MaxHeaderListSize = 1 << 20
	r.fr.SetMaxReadFrameSize(1 << 24)
	r.enc = hpack.NewEncoder(&r.buf)
	return r
}

// block HPACK-encodes name, value pairs.
func (r *h2Raw) block(pairs ...string) []byte {
	r.buf.Reset()
	for i := 0; i+1 < len(pairs); i += 2 {
		if err := r.enc.WriteField(hpack.HeaderField{Name: pairs[i], Value: pairs[i+1]}); err != nil {
			r.t.Fatal(err)
		}
	}
	return bytes.Clone(r.buf.Bytes())
}

// headers sends one HEADERS frame with name, value pairs.
func (r *h2Raw) headers(id uint32, endStream bool, pairs ...string) {
	r.t.Helper()
	err := r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: r.block(pairs...), EndStream: endStream, EndHeaders: true})
	if err != nil {
		r.t.Fatal(err)
	}
}

// post opens stream id with a POST of body to /hook.
func (r *h2Raw) post(id uint32, body string, extra ...string) {
	r.t.Helper()
	pairs := append([]string{":method", "POST", ":scheme", "http", ":authority", "hook.test", ":path", "/hook"}, extra...)
	r.headers(id, body == "", pairs...)
	if body != "" {
		if err := r.fr.WriteData(id, true, []byte(body)); err != nil {
			r.t.Fatal(err)
		}
	}
}

// next reads the next frame within 5 s, acknowledging SETTINGS and
// skipping them, their acks and WINDOW_UPDATEs when skipControl.
func (r *h2Raw) next(skipControl bool) (rawFrame, error) {
	for {
		_ = r.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		f, err := r.fr.ReadFrame()
		if err != nil {
			return rawFrame{}, err
		}
		h := f.Header()
		out := rawFrame{typ: h.Type, stream: h.StreamID, flags: h.Flags, length: h.Length}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				_ = f.ForeachSetting(func(s http2.Setting) error { out.settings = append(out.settings, s); return nil })
				if err := r.fr.WriteSettingsAck(); err != nil {
					return rawFrame{}, err
				}
			}
		case *http2.MetaHeadersFrame:
			out.typ = http2.FrameHeaders
			out.fields = append([]hpack.HeaderField(nil), f.Fields...)
		case *http2.DataFrame:
			out.data = bytes.Clone(f.Data())
		case *http2.PingFrame:
			out.data = bytes.Clone(f.Data[:])
		case *http2.GoAwayFrame:
			out.code, out.last, out.data = f.ErrCode, f.LastStreamID, bytes.Clone(f.DebugData())
		case *http2.RSTStreamFrame:
			out.code = f.ErrCode
		case *http2.WindowUpdateFrame:
			out.increment = f.Increment
		}
		if skipControl && (out.typ == http2.FrameSettings || out.typ == http2.FrameWindowUpdate) {
			continue
		}
		return out, nil
	}
}

// rawResponse is a response read from a raw connection.
type rawResponse struct {
	status string
	fields []hpack.HeaderField // :status included
	body   []byte
	frames []rawFrame // the DATA frames
}

// response reads stream id's response up to END_STREAM; frames of other
// streams are skipped, and so is a graceful GOAWAY that covers id. It
// fails on RST_STREAM, another GOAWAY or a read error.
func (r *h2Raw) response(id uint32) rawResponse {
	r.t.Helper()
	var resp rawResponse
	for {
		f, err := r.next(true)
		if err != nil {
			r.t.Fatalf("reading the response on stream %d: %v", id, err)
		}
		if f.typ == http2.FrameGoAway && (f.code != http2.ErrCodeNo || f.last < id) {
			r.t.Fatalf("GOAWAY %v (%q) last stream %d while waiting for stream %d", f.code, f.data, f.last, id)
		}
		if f.stream != id {
			continue
		}
		switch f.typ {
		case http2.FrameRSTStream:
			r.t.Fatalf("stream %d reset: %v", id, f.code)
		case http2.FrameHeaders:
			if resp.fields == nil {
				resp.fields = f.fields
				resp.status = f.fields[0].Value
			}
		case http2.FrameData:
			resp.body = append(resp.body, f.data...)
			resp.frames = append(resp.frames, f)
		}
		if f.flags.Has(http2.FlagDataEndStream) && (f.typ == http2.FrameData || f.typ == http2.FrameHeaders) {
			return resp
		}
	}
}

// expect reads frames until one of type typ on stream id comes and
// returns it; a GOAWAY or an error before fails the test.
func (r *h2Raw) expect(typ http2.FrameType, id uint32) rawFrame {
	r.t.Helper()
	for {
		f, err := r.next(true)
		if err != nil {
			r.t.Fatalf("waiting for %v on stream %d: %v", typ, id, err)
		}
		if f.typ == typ && f.stream == id {
			return f
		}
		if f.typ == http2.FrameGoAway {
			r.t.Fatalf("GOAWAY %v (%q) while waiting for %v on stream %d", f.code, f.data, typ, id)
		}
	}
}

// expectGoAway reads until a GOAWAY, checks its code, then checks that
// the server closes the connection.
func (r *h2Raw) expectGoAway(code http2.ErrCode) rawFrame {
	r.t.Helper()
	var g rawFrame
	for {
		f, err := r.next(true)
		if err != nil {
			r.t.Fatalf("waiting for GOAWAY %v: %v", code, err)
		}
		if f.typ == http2.FrameGoAway {
			g = f
			break
		}
	}
	if g.code != code {
		r.t.Fatalf("GOAWAY %v (%q), want %v", g.code, g.data, code)
	}
	r.expectClosed()
	return g
}

// expectClosed checks that the server closes the connection within 5 s.
func (r *h2Raw) expectClosed() {
	r.t.Helper()
	_ = r.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := io.Copy(io.Discard, r.conn)
	r.conn.Close() // as a client does on EOF: the server need not linger
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		r.t.Fatal("the server did not close the connection")
	}
}

// field returns the value of name among fields, "" when absent.
func field(fields []hpack.HeaderField, name string) string {
	for _, f := range fields {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}
