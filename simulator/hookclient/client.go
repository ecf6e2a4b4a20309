package hookclient

import (
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/hooksim/hooksim/simulator/hookconf"
)

// maxRedirects is reqwest's default redirect limit: the 11th redirect in a
// chain is an error.
const maxRedirects = 10

// Client calls MTA Hooks the way Stalwart's reqwest client does. It keeps
// idle keep-alive connections between calls; Close releases them. A Client
// is safe for concurrent use; the zero value is ready to use.
//
// Like Stalwart's client it offers h2 and http/1.1 by ALPN to an https
// hook and speaks HTTP/2 when the hook picks h2 (see h2.go); a plain http
// hook always gets HTTP/1.1 (no h2c). Known differences from Stalwart: an
// HTTP/2 connection carries one call at a time rather than multiplexing
// concurrent ones, proxy environment variables are ignored, and
// certificates are checked against Go's system roots rather than
// rustls-platform-verifier.
type Client struct {
	dialer net.Dialer
	pool   pool
	now    func() time.Time // nil means time.Now

	// CheckTarget, when set, is asked before every request, redirects
	// included, whether the URL may be called; its error refuses the call
	// (ErrConnect). The web view sets it on a public server.
	CheckTarget func(url string) error
	// NoCrossOriginRedirects stops at a redirect to another scheme, host
	// or port: the 3xx is the answer, an ErrProtocol saying where it
	// pointed (Stalwart would follow it; a request made for the web view
	// does not go where the hook sends it).
	NoCrossOriginRedirects bool
}

// New returns a Client with an empty connection pool.
func New() *Client { return &Client{now: time.Now} }

// Close closes the idle connections. The Client stays usable but no longer
// keeps connections between calls.
func (c *Client) Close() error { return c.pool.close() }

func (c *Client) clock() time.Time {
	if c.now == nil {
		return time.Now()
	}
	return c.now()
}

// Call POSTs body to h.URL and reads the answer. It never returns a Go
// error: failures are classified in CallResult.Err. The whole exchange
// (connect, TLS, send, all redirects, reading the full body) is bounded by
// h.Timeout; ctx cancellation also stops it. A zero Timeout or
// MaxResponseSize means Stalwart's default. A 2xx with an empty body is
// not an error here (the JSON parse that follows fails on it).
func (c *Client) Call(ctx context.Context, h *hookconf.Hook, body []byte) (res CallResult) {
	start := time.Now()
	defer func() { res.Duration = time.Since(start) }()
	if h == nil {
		res.Err = &HookError{Class: ErrConnect, Message: "Hook request failed: no hook configured"}
		return res
	}
	timeout := h.Timeout
	if timeout <= 0 {
		timeout = hookconf.DefaultTimeout
	}
	limit := h.MaxResponseSize
	if limit <= 0 {
		limit = hookconf.DefaultMaxResponseSize
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cl := &call{parent: ctx, ctx: cctx, timeout: timeout, limit: limit, insec: h.AllowInvalidCerts}

	cur, user, pass, err := parseTarget(h.URL)
	if err != nil {
		res.URL = h.URL
		res.Err = &HookError{Class: ErrConnect, Message: "Hook request failed: " + err.Error()}
		return res
	}
	res.URL = cur.u.String()
	base, err := firstRequestHeaders(h, user, pass)
	if err != nil {
		res.Err = &HookError{Class: ErrProtocol, Message: "Hook request failed: " + err.Error()}
		return res
	}

	_, cl.customHost = base.get("host")
	method, reqBody := http.MethodPost, body
	var previous []*target
	for {
		if c.CheckTarget != nil {
			if err := c.CheckTarget(cur.u.String()); err != nil {
				res.Err = &HookError{Class: ErrConnect, Message: "Hook request refused: " + err.Error()}
				return res
			}
		}
		sent, herr := hopHeaders(base, previous, cur, reqBody)
		if herr != nil {
			res.Err = herr
			return res
		}
		if len(previous) == 0 {
			res.RequestHeaders = sent
		} else {
			res.Redirects[len(res.Redirects)-1].RequestHeaders = sent
		}
		ex, herr := c.roundTrip(cl, cur, method, sent, reqBody)
		if cl.proto != "" {
			res.Proto = cl.proto
		}
		if cl.sentFields != nil {
			if len(previous) == 0 {
				res.RequestHeaders = cl.sentFields
			} else {
				res.Redirects[len(res.Redirects)-1].RequestHeaders = cl.sentFields
			}
		}
		if len(previous) == 0 && cl.sent != nil {
			res.RequestHead = RedactHead(cl.sent, h.Secrets()...)
		}
		if herr != nil {
			if res.Status == 0 {
				res.ResponseHead = cl.received // a malformed head, or nil
			}
			res.Err = herr
			return res
		}
		res.URL = cur.u.String()
		res.Status = ex.resp.StatusCode
		res.ResponseHeaders = ex.headers
		res.ResponseHead = cl.received

		next, herr := followRedirect(ex.resp, cur, &method, &reqBody, base)
		if herr == nil && next != nil && c.NoCrossOriginRedirects && !sameOrigin(cur, next) {
			herr = &HookError{Class: ErrProtocol, Message: fmt.Sprintf("Hook request stopped: the hook redirected (%d) to %s, another origin, which hooksim does not follow for a request from the web view", ex.resp.StatusCode, hookconf.RedactURL(next.u.String()))}
			c.readFinal(cl, ex, &res) // the 3xx, shown as the answer
			res.Err = herr
			return res
		}
		if herr == nil && next != nil {
			previous = append(previous, cur)
			if len(previous) > maxRedirects {
				herr = &HookError{Class: ErrProtocol, Message: fmt.Sprintf("Hook request failed: too many redirects (more than %d)", maxRedirects)}
			}
		}
		if herr != nil {
			c.release(ex, false)
			res.Err = herr
			return res
		}
		if next == nil {
			c.readFinal(cl, ex, &res)
			return res
		}
		c.release(ex, false)
		res.Redirects = append(res.Redirects, Redirect{Status: ex.resp.StatusCode, URL: next.u.String(), Method: method})
		cur = next
	}
}

// hopHeaders are the headers of one request: the first request's map,
// then (on a redirect) the credential removal and Referer of reqwest's
// policy, then Host and Content-Length as hyper adds them.
func hopHeaders(base *headerMap, previous []*target, cur *target, body []byte) ([]hookconf.HeaderField, *HookError) {
	hdr := base.clone()
	if n := len(previous); n > 0 {
		prev := previous[n-1]
		if !sameOrigin(prev, cur) {
			for _, name := range []string{"authorization", "cookie", "cookie2", "proxy-authorization", "www-authenticate"} {
				hdr.remove(name)
			}
		}
		if ref, ok := referer(prev, cur); ok {
			hdr.insert("referer", ref)
		}
	}
	hdr.insertIfAbsent("host", cur.hostHeader)
	if _, ok := hdr.get("transfer-encoding"); ok {
		return nil, &HookError{Class: ErrProtocol, Message: "Hook request failed: a custom Transfer-Encoding header is not supported by hooksim (Stalwart would send a chunked body)"}
	}
	if len(body) > 0 {
		want := strconv.Itoa(len(body))
		if v, ok := hdr.get("content-length"); ok && v != want {
			return nil, &HookError{Class: ErrProtocol, Message: fmt.Sprintf("Hook request failed: the custom Content-Length %q does not match the body's %s bytes", v, want)}
		}
		hdr.insertIfAbsent("content-length", want)
	}
	return hdr.fields, nil
}

// followRedirect applies tower-http's follow_redirect rules to a response:
// it returns the next target, or nil when resp is the final answer. It
// updates the method, the body and (for a method change) the first
// request's header map.
func followRedirect(resp *http.Response, cur *target, method *string, body *[]byte, base *headerMap) (*target, *HookError) {
	dropPayload := func() {
		for _, name := range []string{"content-type", "content-length", "content-encoding", "transfer-encoding"} {
			base.remove(name)
		}
	}
	switch resp.StatusCode {
	case http.StatusMovedPermanently, http.StatusFound:
		if *method == http.MethodPost {
			*method, *body = http.MethodGet, nil
			dropPayload()
		}
	case http.StatusSeeOther:
		if *method != http.MethodHead {
			*method = http.MethodGet
		}
		*body = nil
		dropPayload()
	case http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
	default:
		return nil, nil
	}
	locs := resp.Header.Values("Location")
	if len(locs) == 0 || !utf8.ValidString(locs[0]) {
		return nil, nil
	}
	ref, err := cur.u.Parse(locs[0])
	if err != nil {
		return nil, nil
	}
	next, _, _, err := targetFromURL(ref)
	if err != nil {
		return nil, &HookError{Class: ErrProtocol, Message: fmt.Sprintf("Hook request failed: cannot follow the redirect to %q: %v", hookconf.RedactURL(locs[0]), err)}
	}
	return next, nil
}

// readFinal reads the body of the last response under the size limit and
// classifies the outcome like send_mta_hook_request and
// utils::HttpLimitResponse::bytes_with_limit: over the limit means
// Content-Length > limit, or more than limit bytes streamed.
func (c *Client) readFinal(cl *call, ex *exchange, res *CallResult) {
	resp := ex.resp
	ok2xx := resp.StatusCode >= 200 && resp.StatusCode < 300
	if !ok2xx {
		// Stalwart does not read the body; it is kept for the record.
		res.Err = StatusError(resp.StatusCode)
	}
	if resp.ContentLength > cl.limit {
		res.BodyRead = BodyNotRead
		if ok2xx {
			res.Err = &HookError{Class: ErrTooLarge, Message: fmt.Sprintf("Hook response too large: Content-Length %d exceeds maxResponseSize %d", resp.ContentLength, cl.limit)}
		}
		c.release(ex, false)
		return
	}
	b, tooLarge, err := readLimited(resp.Body, cl.limit)
	res.Body = b
	switch {
	case err != nil:
		res.BodyRead = BodyBroken
		if ok2xx {
			res.Err = cl.classify(err, phaseBody, nil)
		}
		c.release(ex, false)
	case tooLarge:
		res.BodyRead = BodyCut
		if ok2xx {
			res.Err = &HookError{Class: ErrTooLarge, Message: fmt.Sprintf("Hook response too large: more than maxResponseSize %d bytes", cl.limit)}
		}
		c.release(ex, false)
	default:
		res.BodyRead = BodyComplete
		c.release(ex, true)
	}
}

// readLimited reads r to its end but never more than limit+1 bytes;
// tooLarge reports that more than limit bytes were there.
func readLimited(r io.Reader, limit int64) (b []byte, tooLarge bool, err error) {
	n := limit
	if n < math.MaxInt64 {
		n++
	}
	b, err = io.ReadAll(io.LimitReader(r, n))
	if int64(len(b)) > limit {
		return b, true, nil
	}
	return b, false, err
}
