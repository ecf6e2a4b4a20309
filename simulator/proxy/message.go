package proxy

import (
	"context"
	"time"

	"github.com/hooksim/hooksim/simulator/hookconf"
)

// Protocol versions as Request.Proto and Response carry them (the
// spellings of hookclient.ProtoHTTP11 and hookclient.ProtoHTTP2).
const (
	ProtoHTTP11 = "HTTP/1.1"
	ProtoHTTP2  = "HTTP/2.0"
)

// Request is one request as it arrived from the MTA.
type Request struct {
	Proto  string // ProtoHTTP11 or ProtoHTTP2
	Method string
	// Target is the request target as sent: the origin form
	// "/path?query" (the :path pseudo-header over HTTP/2).
	Target string
	// Authority is the Host field's value (HTTP/1.1) or :authority
	// (HTTP/2).
	Authority string
	// Fields are the header fields in the order and case received. Over
	// HTTP/1.1 Host is among them; over HTTP/2 only the regular fields
	// are (no pseudo-header fields), names in lower case as the protocol
	// requires.
	Fields []hookconf.HeaderField
	// Body is the whole request body (de-chunked).
	Body []byte
	// Head is the request head: over HTTP/1.1 the bytes as received
	// (request line and header lines up to and including the blank line);
	// over HTTP/2 a rendering as hookclient.CallResult.RequestHead has
	// one ("POST /path HTTP/2.0", then one "name: value" CRLF line per
	// field of the HEADERS block in order, pseudo-header fields first,
	// then a blank line).
	Head []byte
	// RemoteAddr is the MTA's address ("ip:port").
	RemoteAddr string
	// TLS reports a request that came over TLS.
	TLS bool
	// Received is when the request's head arrived.
	Received time.Time
}

// Response is what the proxy answers the MTA.
type Response struct {
	Status int
	// Reason is the reason phrase of an HTTP/1.1 status line ("" means
	// the standard one for Status); HTTP/2 has none.
	Reason string
	// Fields are the end-to-end header fields to send, in order
	// (connection-specific ones already removed; the server adds the
	// framing: Content-Length or chunking over HTTP/1.1, nothing over
	// HTTP/2 where a field name is sent in lower case).
	Fields []hookconf.HeaderField
	Body   []byte
	// After, when set, is called once the response is written (or could
	// not be: the MTA went away), on the request's goroutine: work that
	// need not delay the answer.
	After func()
}

// done runs r's After.
func (r *Response) done() {
	if r.After != nil {
		r.After()
	}
}

// Handler answers one request. ctx ends when the MTA gives up on it (it
// resets the HTTP/2 stream or closes the connection); a server that stops
// lets the requests in progress be answered. It must return a non-nil
// Response.
type Handler func(ctx context.Context, req *Request) *Response
