// Package hookclient sends MTA Hook requests the way Stalwart's HTTP client
// does (headers, auth, timeout, TLS, redirects, size limit) and classifies
// every failure.
package hookclient

import (
	"fmt"
	"github.com/hooksim/hooksim/simulator/internal/text"
	"strings"
	"time"

	"github.com/hooksim/hooksim/simulator/hookconf"
)

// ErrorClass classifies why a hook call failed. Every class is a hook error
// to Stalwart: with tempFailOnError the client gets 451 4.3.5, without it
// the hook is skipped.
type ErrorClass string

// The failure classes hooksim reports.
const (
	ErrRefused    ErrorClass = "refused"     // nothing listens on the address
	ErrConnect    ErrorClass = "connect"     // DNS, unreachable, other dial errors
	ErrTLS        ErrorClass = "tls"         // handshake or certificate failure
	ErrTimeout    ErrorClass = "timeout"     // the whole exchange exceeded the hook's timeout
	ErrHTTPStatus ErrorClass = "http-status" // a non-2xx status
	ErrTooLarge   ErrorClass = "too-large"   // body over maxResponseSize
	ErrProtocol   ErrorClass = "protocol"    // malformed HTTP, too many redirects, broken body
	ErrParse      ErrorClass = "parse"       // the body is not a valid hook response
	// ErrCanceled: the caller's context ended before the hook answered
	// (not a hook fault; Stalwart has no such case).
	ErrCanceled ErrorClass = "canceled"
)

// HookError is a classified hook failure with a message meant for a person.
type HookError struct {
	Class   ErrorClass
	Message string
}

func (e *HookError) Error() string { return fmt.Sprintf("%s: %s", e.Class, e.Message) }

// CallResult is everything one HTTP exchange with a hook produced, kept
// byte for byte so it can be recorded and replayed.
type CallResult struct {
	// URL is the URL finally answered (after redirects).
	URL string
	// Proto is the HTTP version the last request went out with:
	// ProtoHTTP2 ("HTTP/2.0") when an https hook chose h2 by ALPN,
	// ProtoHTTP11 ("HTTP/1.1") otherwise; "" when no connection was made.
	Proto string
	// RequestHeaders are the headers of the first request (the POST to
	// the hook's URL) as sent, in order and case, Host and Content-Length
	// included, Authorization included: redact before storing or printing
	// (RedactHeaders).
	RequestHeaders []hookconf.HeaderField
	// Redirects are the redirects followed, in order; the last one's URL
	// is URL.
	Redirects []Redirect
	Status    int // 0 when no response arrived
	// ResponseHeaders are the response headers as received.
	ResponseHeaders []hookconf.HeaderField
	// Body is the response body as read; it stops at maxResponseSize+1
	// bytes when the body is too large. A chunked body is de-chunked, as
	// Stalwart reads it.
	Body []byte
	// BodyRead says how much of the final response's body was read; ""
	// when no response arrived.
	BodyRead BodyRead
	// RequestHead is the first request's head as written to the
	// connection: request line and header lines up to and including the
	// blank line, bytes as sent, credentials already hidden (RedactHead).
	// nil when the request was never written (dial, TLS or write failure).
	// With redirects, the later requests' heads are not kept. Over
	// HTTP/2 there are no head bytes (HEADERS frames are HPACK-compressed)
	// and RequestHead and ResponseHead are renderings instead, which
	// IsH2Head recognizes: "POST /path HTTP/2.0" or "HTTP/2.0 200", then
	// one "name: value" CRLF line per field of the HEADERS block in order,
	// pseudo-header fields (":method", ":status", ...) first, then a blank
	// line. RequestHeaders then lack the Host that HTTP/2 carries as
	// :authority.
	RequestHead []byte
	// ResponseHead is the final response's head as received: status line
	// and header lines up to and including the blank line, with any
	// interim 1xx heads before it, byte for byte (case, order, spacing and
	// line endings as the hook sent them). nil when no head arrived; when
	// the first response's head was malformed (Status 0), those bytes.
	ResponseHead []byte
	Duration     time.Duration
	Err          *HookError // nil when a 2xx body was read in full
}

// BodyRead says how much of a response body the client read.
type BodyRead string

// How a body was read.
const (
	BodyComplete BodyRead = "complete" // read to its end
	// BodyNotRead: Content-Length was over maxResponseSize, so nothing was
	// read (Stalwart refuses the answer unread).
	BodyNotRead BodyRead = "not-read"
	// BodyCut: more than maxResponseSize bytes came; reading stopped at
	// maxResponseSize+1 bytes, as Stalwart's bytes_with_limit does.
	BodyCut BodyRead = "cut"
	// BodyBroken: reading failed (timeout, connection closed, bad chunk);
	// Body holds what arrived before.
	BodyBroken BodyRead = "broken"
)

// Redirect is one redirect the client followed, like reqwest's default
// policy: the 3xx that caused it and the request sent next.
type Redirect struct {
	Status int    // the redirect status received
	URL    string // the URL requested next (credentials removed)
	Method string // "POST" (307, 308) or "GET" (301, 302, 303)
	// RequestHeaders are the next request's headers as sent (redact them).
	RequestHeaders []hookconf.HeaderField
}

// HeaderMayHide reports whether RedactHeaders could change the field
// name: value (a credential header, or a value holding a secret); false
// means it keeps it as it is, so a caller can skip the copy.
func HeaderMayHide(name, value string, secrets ...string) bool {
	return hookconf.SensitiveHeader(name) || containsAny(value, secrets) || mayHoldURLPassword(value)
}

// RedactHeaders returns a copy of h with credentials hidden: the
// Authorization and Proxy-Authorization values keep only their scheme
// ("Basic ****"); other credential headers (hookconf.SensitiveHeader:
// Cookie, X-Api-Key, ...) are hidden whole; any occurrence of one of the
// hook's secrets (hookconf.Hook.Secrets: its auth secret, URL password,
// credential header values) in another value is replaced by "****"; and a
// URL with a password in a value (a Location the hook sent) loses the
// password (hookconf.RedactURL).
func RedactHeaders(h []hookconf.HeaderField, secrets ...string) []hookconf.HeaderField {
	out := make([]hookconf.HeaderField, len(h))
	for i, f := range h {
		out[i] = f
		switch {
		case text.EqualFoldASCII(f.Name, "Authorization"), text.EqualFoldASCII(f.Name, "Proxy-Authorization"):
			out[i].Value = "****"
			if j := strings.IndexByte(f.Value, ' '); j > 0 && !containsAny(f.Value[:j], secrets) {
				out[i].Value = f.Value[:j] + " ****"
			}
		case hookconf.SensitiveHeader(f.Name):
			out[i].Value = "****"
		case containsAny(f.Value, secrets):
			out[i].Value = replaceAll(f.Value, secrets)
		case mayHoldURLPassword(f.Value):
			out[i].Value = hookconf.RedactURL(f.Value)
		}
	}
	return out
}

// mayHoldURLPassword reports whether v could be a URL with a password
// (scheme://user:password@...): the cheap test before parsing it.
func mayHoldURLPassword(v string) bool {
	i := strings.Index(v, "://")
	return i > 0 && strings.IndexByte(v[i:], '@') > 0
}

// RedactText is s with every one of the hook's secrets replaced by
// "****": for what the hook's answer puts in an error message (a
// malformed header line quoted whole, a Location).
func RedactText(s string, secrets ...string) string { return replaceAll(s, secrets) }

// containsAny reports whether s holds one of secrets ("" never matches).
func containsAny(s string, secrets []string) bool {
	for _, sec := range secrets {
		if sec != "" && strings.Contains(s, sec) {
			return true
		}
	}
	return false
}

// replaceAll replaces every secret in s by "****".
func replaceAll(s string, secrets []string) string {
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "****")
		}
	}
	return s
}
