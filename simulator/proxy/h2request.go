package proxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/net/http2"

	"github.com/hooksim/hooksim/simulator/hookconf"
)

// h2stream is one request stream of an h2conn.
type h2stream struct {
	id  uint32
	req *Request

	// Owned by the connection's run goroutine.
	body     bytes.Buffer
	declared int64 // the content-length field's value, -1 without one
	recvWin  int64 // what the MTA may still send on the stream
	unacked  int64 // received and not yet given back
	gotEnd   bool  // END_STREAM came: the request is whole
	refused  bool  // answered by the proxy (413, 431), not the handler
	ctx      context.Context
	cancel   context.CancelFunc // nil until the stream's goroutine starts

	// Guarded by the connection's mu.
	sendWin int64 // what the proxy may still send on the stream
	reset   bool  // the stream is gone: write nothing more on it
}

// errMalformed marks a request RFC 9113 §8.1.1 calls malformed: a stream
// error of type PROTOCOL_ERROR.
var errMalformed = errors.New("malformed HTTP/2 request")

// h2Request builds the Request of a request's HEADERS block: the pseudo-
// header fields give Method, Target and Authority (the host field's value
// when :authority is missing), the regular fields are Fields in the
// block's order, and Head renders the whole block as hookclient's
// appendH2RequestHead does (so that a request hooksim's client sent and
// the one the proxy got compare byte for byte). declared is the
// content-length field's value, -1 without one. A request without
// :method, :scheme or :path, with :protocol (extended CONNECT is not
// offered), with a connection-specific field (connection, keep-alive,
// proxy-connection, transfer-encoding, upgrade, te other than
// "trailers") or a bad content-length is malformed (errMalformed).
func h2Request(f *http2.MetaHeadersFrame) (req *Request, declared int64, err error) {
	req = &Request{Proto: ProtoHTTP2}
	var scheme string
	for _, hf := range f.PseudoFields() {
		switch hf.Name {
		case ":method":
			req.Method = hf.Value
		case ":path":
			req.Target = hf.Value
		case ":scheme":
			scheme = hf.Value
		case ":authority":
			req.Authority = hf.Value
		default:
			return nil, 0, fmt.Errorf("%w: pseudo-header field %s", errMalformed, hf.Name)
		}
	}
	switch {
	case req.Method == "":
		return nil, 0, fmt.Errorf("%w: no :method", errMalformed)
	case req.Target == "":
		return nil, 0, fmt.Errorf("%w: no :path", errMalformed)
	case scheme == "":
		return nil, 0, fmt.Errorf("%w: no :scheme", errMalformed)
	}
	declared = -1
	regular := f.RegularFields()
	req.Fields = make([]hookconf.HeaderField, 0, len(regular))
	for _, hf := range regular {
		switch hf.Name {
		case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade":
			return nil, 0, fmt.Errorf("%w: connection-specific field %s", errMalformed, hf.Name)
		case "te":
			if hf.Value != "trailers" {
				return nil, 0, fmt.Errorf("%w: te %q", errMalformed, hf.Value)
			}
		case "content-length":
			n, err := strconv.ParseInt(strings.TrimSpace(hf.Value), 10, 64)
			if err != nil || n < 0 || (declared >= 0 && n != declared) {
				return nil, 0, fmt.Errorf("%w: content-length %q", errMalformed, hf.Value)
			}
			declared = n
		case "host":
			if req.Authority == "" {
				req.Authority = hf.Value
			}
		}
		req.Fields = append(req.Fields, hookconf.HeaderField{Name: hf.Name, Value: hf.Value})
	}
	req.Head = appendH2Head(nil, req.Method, req.Target, f)
	return req, declared, nil
}

// appendH2Head renders a HEADERS block as Request.Head describes: the
// same bytes as hookclient's appendH2RequestHead ("METHOD /path
// HTTP/2.0", one "name: value" CRLF line per field in the block's order,
// pseudo-header fields first, a blank line).
func appendH2Head(b []byte, method, path string, f *http2.MetaHeadersFrame) []byte {
	b = append(b, method+" "+path+" "+ProtoHTTP2+"\r\n"...)
	for _, hf := range f.Fields {
		b = append(b, hf.Name+": "+hf.Value+"\r\n"...)
	}
	return append(b, "\r\n"...)
}
