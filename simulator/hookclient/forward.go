package hookclient

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/simulator/internal/text"
)

// ForwardRequest is a request a proxy passes on to a hook as it came from
// the MTA (Client.Forward).
type ForwardRequest struct {
	// URL is the absolute http or https URL to send to; its path and
	// query are the request target. It may not carry credentials.
	URL    string
	Method string
	// Fields are the end-to-end header fields to send, in order and case
	// (the caller drops the connection-specific ones). Host's value is
	// replaced in place by the URL's authority, and Host is added before
	// Content-Length when missing; Content-Length is set to the body's length in place,
	// or added last when the body is not empty. Over HTTP/2 Host becomes
	// :authority and names go in lower case.
	Fields []hookconf.HeaderField
	Body   []byte
	// Timeout bounds the whole exchange (connect, TLS, send, reading the
	// answer); MaxResponseSize the answer's body in bytes. Zero means
	// Stalwart's defaults (30 s, 50 MiB).
	Timeout         time.Duration
	MaxResponseSize int64
	// AllowInvalidCerts turns off certificate checks, as the MtaHook
	// setting does.
	AllowInvalidCerts bool
}

// Forward sends r and reads the answer like Call, over the same pooled
// connections (HTTP/2 when an https hook picks h2 by ALPN), but sends the
// fields it is given instead of building Stalwart's, and follows no
// redirect: a 3xx is the answer (the MTA behind the proxy follows it). A
// non-2xx answer is read in full (up to MaxResponseSize) and is
// Err ErrHTTPStatus, as for Call. It never returns a Go error: failures
// are classified in CallResult.Err. RequestHead is the request as written,
// not redacted: redact it before storing or printing.
func (c *Client) Forward(ctx context.Context, r *ForwardRequest) (res CallResult) {
	start := time.Now()
	defer func() { res.Duration = time.Since(start) }()
	timeout, limit := r.Timeout, r.MaxResponseSize
	if timeout <= 0 {
		timeout = hookconf.DefaultTimeout
	}
	if limit <= 0 {
		limit = hookconf.DefaultMaxResponseSize
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cl := &call{parent: ctx, ctx: cctx, timeout: timeout, limit: limit, insec: r.AllowInvalidCerts}
	t, user, pass, err := parseTarget(r.URL)
	res.URL = r.URL
	if err != nil {
		res.Err = &HookError{Class: ErrConnect, Message: "Hook request failed: " + err.Error()}
		return res
	}
	if user != nil || pass != nil {
		res.Err = &HookError{Class: ErrConnect, Message: "Hook request failed: the upstream URL may not carry credentials"}
		return res
	}
	res.URL = t.u.String()
	method := r.Method
	if method == "" {
		method = "POST"
	}
	fields := forwardFields(r.Fields, t.hostHeader, len(r.Body))
	res.RequestHeaders = fields
	ex, herr := c.roundTrip(cl, t, method, fields, r.Body)
	res.Proto = cl.proto
	if cl.sentFields != nil {
		res.RequestHeaders = cl.sentFields
	}
	res.RequestHead = cl.sent
	if herr != nil {
		res.ResponseHead = cl.received
		res.Err = herr
		return res
	}
	res.Status = ex.resp.StatusCode
	res.ResponseHeaders = ex.headers
	res.ResponseHead = cl.received
	c.readFinal(cl, ex, &res)
	return res
}

// forwardFields is fields with Host and Content-Length set as Forward
// documents.
func forwardFields(in []hookconf.HeaderField, host string, bodyLen int) []hookconf.HeaderField {
	out := make([]hookconf.HeaderField, 0, len(in)+2)
	hasHost, hasLength := false, false
	for _, f := range in {
		switch {
		case text.EqualFoldASCII(f.Name, "host"):
			if hasHost {
				continue
			}
			hasHost = true
			f.Value = host
		case text.EqualFoldASCII(f.Name, "content-length"):
			if hasLength {
				continue
			}
			hasLength = true
			f.Value = strconv.Itoa(bodyLen)
		case strings.EqualFold(f.Name, "transfer-encoding"):
			continue
		}
		out = append(out, f)
	}
	if !hasHost {
		// Where hyper puts it: after the others, before Content-Length.
		at := len(out)
		for i, f := range out {
			if text.EqualFoldASCII(f.Name, "content-length") {
				at = i
			}
		}
		out = append(out[:at], append([]hookconf.HeaderField{{Name: "host", Value: host}}, out[at:]...)...)
	}
	if !hasLength && bodyLen > 0 {
		out = append(out, hookconf.HeaderField{Name: "content-length", Value: strconv.Itoa(bodyLen)})
	}
	return out
}
