package proxy

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookclient"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/simulator/internal/text"
	"github.com/hooksim/hooksim/simulator/wire"
)

// DefaultIdleGap closes the run of an SMTP connection that sent no
// request for this long (Config.IdleGap).
const DefaultIdleGap = time.Minute

// Config is what a Proxy needs.
type Config struct {
	// Upstream is the hook's URL (http or https). A request for "/" (or
	// for the upstream's own path) goes to the upstream's path, with the
	// MTA's query when the upstream has none; any other path goes as the
	// MTA asked, with its query (a redirect the hook sent comes back to
	// the proxy that way).
	Upstream string
	// Client sends to the upstream; nil makes one (closed by Close).
	Client *hookclient.Client
	// Timeout bounds each upstream exchange (0: Stalwart's default, 30
	// s): past it the MTA gets 504. MaxResponseSize caps the answer's
	// body in bytes (0: Stalwart's default, 50 MiB): a larger answer is a
	// failure, and the MTA gets 502. AllowInvalidCerts turns off the
	// upstream's certificate checks.
	Timeout           time.Duration
	MaxResponseSize   int64
	AllowInvalidCerts bool
	// TempFailOnError is the MtaHook setting of the hook behind the
	// proxy, for what the SMTP client hears when the hook fails: true
	// (Stalwart's default) means 451 4.3.5, false that the hook is
	// skipped.
	TempFailOnError bool
	// SecretHeaders name request header fields whose values are
	// credentials besides Authorization and the ones
	// hookconf.SensitiveHeader knows: they are passed on but never
	// recorded or shown.
	SecretHeaders []string
	// Observer is told about every SMTP connection as one play (source
	// "proxy"): the recorder, a transcript. nil: nobody.
	Observer simulator.Observer
	// IdleGap ends a connection's play when no request came for it for
	// this long (0: DefaultIdleGap). A connection's play also ends after
	// its data stage, and when a connect stage comes again from the
	// same client address and port.
	IdleGap time.Duration
	// Checker makes the request checker of a new connection; nil checks
	// nothing.
	Checker func() Checker
	// OnExchange, when set, hears about every exchange once it is
	// answered (for a log line); OnConnection about every connection
	// whose play ended. Both are called on the request's goroutine, in
	// order for one connection.
	OnExchange   func(*Event)
	OnConnection func(*Connection)
}

// Checker holds the requests of one SMTP connection, in arrival order,
// against a model of the MTA's (simulator/wire's drift checks): Check
// a request's body, CheckHeaders its header fields (proto is
// ProtoHTTP11 or ProtoHTTP2).
type Checker interface {
	Check(body []byte) (wire.Stage, []wire.Lint)
	CheckHeaders(proto string, fields []wire.Header) []wire.Lint
}

// Event is one proxied exchange, for a log line.
type Event struct {
	Conn     *Connection
	Exchange *simulator.Exchange
	Step     *simulator.StepResult
	// Drift are the exchange's drift findings (also among its lints).
	Drift []wire.Lint
}

// Proxy passes MTA Hook requests to an upstream hook and tells its
// Observer about them. Its Handle method is a Handler for Server.
type Proxy struct {
	cfg      Config
	upstream *url.URL
	client   *hookclient.Client
	ownsCl   bool
	hooks    []*hookconf.Hook
	conns    *tracker
	stop     context.CancelFunc
	wg       sync.WaitGroup
}

// New checks cfg and returns a Proxy. Close it to end the open plays.
func New(cfg Config) (*Proxy, error) {
	if !strings.Contains(cfg.Upstream, "://") {
		return nil, fmt.Errorf("proxy: upstream %q: give the hook's whole URL, such as http://%s/", cfg.Upstream, strings.TrimPrefix(strings.TrimSpace(cfg.Upstream), "/"))
	}
	u, err := url.Parse(strings.TrimSpace(cfg.Upstream))
	if err != nil {
		return nil, fmt.Errorf("proxy: upstream %q: %w", cfg.Upstream, err)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("proxy: upstream %q: the scheme must be http or https", cfg.Upstream)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("proxy: upstream %q has no host", cfg.Upstream)
	}
	if u.User != nil {
		return nil, fmt.Errorf("proxy: upstream %q: credentials in the URL are not passed on (Stalwart sends its own Authorization, which the proxy passes)", hookconf.RedactURL(cfg.Upstream))
	}
	if cfg.IdleGap <= 0 {
		cfg.IdleGap = DefaultIdleGap
	}
	p := &Proxy{cfg: cfg, upstream: u, client: cfg.Client}
	if p.client == nil {
		p.client, p.ownsCl = hookclient.New(), true
	}
	p.hooks = []*hookconf.Hook{{ID: "upstream", URL: u.String(), Enable: hookconf.ConstExpression(true),
		// Whatever stages Stalwart calls it for pass through.
		Stages:            hookconf.StageSet{wire.StageConnect: true, wire.StageEhlo: true, wire.StageMail: true, wire.StageRcpt: true, wire.StageData: true},
		AllowInvalidCerts: cfg.AllowInvalidCerts, Timeout: orDefault(cfg.Timeout, hookconf.DefaultTimeout),
		TempFailOnError: cfg.TempFailOnError, MaxResponseSize: orDefault(cfg.MaxResponseSize, hookconf.DefaultMaxResponseSize),
		Source: "hooksim proxy --upstream"}}
	ctx, cancel := context.WithCancel(context.Background())
	p.stop = cancel
	p.conns = newTracker(p)
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.conns.reap(ctx)
	}()
	return p, nil
}

func orDefault[T int64 | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Close waits for the requests in progress to be answered and recorded
// (those that come later are passed on, not recorded), ends every open
// connection's play (kept as passed, like one that ended idle: a
// connection whose client quit before the data stage, as after a
// refusal, looks the same as one still going on)
// and releases the client's idle connections when the
// Proxy made it. Requests still in progress finish first.
func (p *Proxy) Close() error {
	p.stop()
	p.wg.Wait()
	// Wait for the requests in progress to be answered and recorded.
	p.conns.admitted.Lock()
	p.conns.closed = true
	p.conns.admitted.Unlock()
	p.conns.closeAll(whyStopped)
	if p.ownsCl {
		return p.client.Close()
	}
	return nil
}

// Target is the upstream URL a request for target goes to.
func (p *Proxy) Target(target string) string {
	u := *p.upstream
	in, err := url.ParseRequestURI(target)
	if err != nil {
		in = &url.URL{Path: "/"}
	}
	switch {
	case in.Path == "" || in.Path == "/" || in.Path == u.Path:
		// The upstream's own path (Stalwart's url is the proxy's root).
		if u.RawQuery == "" {
			u.RawQuery = in.RawQuery
		}
	default:
		// Any other path as Stalwart asked: a redirect the hook sent
		// (resolved against the proxy's URL) comes back here.
		u.Path, u.RawPath, u.RawQuery = in.Path, in.RawPath, in.RawQuery
	}
	if u.Path == "" {
		u.Path = "/"
	}
	return u.String()
}

// Handle is a Handler that passes req to the upstream, answers with the
// upstream's answer (or 502/504 when the upstream failed) and records
// the exchange before it returns.
func (p *Proxy) Handle(ctx context.Context, req *Request) *Response {
	resp := p.handle(ctx, req)
	resp.done()
	resp.After = nil
	return resp
}

// Handler is Handle for a Server: the exchange is recorded once the
// answer is written (Response.After, which the Server calls), off the
// MTA's wait.
func (p *Proxy) Handler() Handler { return p.handle }

func (p *Proxy) handle(ctx context.Context, req *Request) *Response {
	record := p.conns.admit()
	fields := endToEnd(req.Fields)
	res := p.client.Forward(ctx, &hookclient.ForwardRequest{
		URL: p.Target(req.Target), Method: req.Method, Fields: fields, Body: req.Body,
		Timeout: p.cfg.Timeout, MaxResponseSize: p.cfg.MaxResponseSize, AllowInvalidCerts: p.cfg.AllowInvalidCerts,
	})
	if res.Err != nil && res.Err.Class == hookclient.ErrTLS {
		// The proxy's own setting, not Stalwart's.
		res.Err.Message = strings.ReplaceAll(res.Err.Message, "set allowInvalidCerts", "give hooksim proxy --allow-invalid-certs")
	}
	resp := answer(&res)
	// Recorded once the answer is on its way; the connection's lock,
	// taken now, keeps its next request (which Stalwart sends only
	// after this answer) from being recorded first.
	if record {
		resp.After = p.conns.hold(req, &res, resp)
	}
	return resp
}

// answer is what the MTA gets: the upstream's answer as received, or a
// 502/504 that says what failed.
func answer(res *hookclient.CallResult) *Response {
	if res.Status != 0 && (res.Err == nil || res.Err.Class == hookclient.ErrHTTPStatus) {
		return &Response{Status: res.Status, Reason: reasonPhrase(res.ResponseHead), Fields: endToEnd(res.ResponseHeaders), Body: res.Body}
	}
	status := http.StatusBadGateway
	msg := "the hook failed"
	if res.Err != nil {
		msg = res.Err.Message
		if res.Err.Class == hookclient.ErrTimeout {
			status = http.StatusGatewayTimeout
		}
	}
	return &Response{Status: status, Fields: []hookconf.HeaderField{
		{Name: "content-type", Value: "text/plain; charset=utf-8"},
		{Name: "x-hooksim-proxy-error", Value: string(errClass(res))},
	}, Body: []byte("hooksim proxy: " + msg + "\n")}
}

func errClass(res *hookclient.CallResult) hookclient.ErrorClass {
	if res.Err == nil {
		return ""
	}
	return res.Err.Class
}

// reasonPhrase is the reason phrase of the last HTTP/1.1 status line in
// head ("" for HTTP/2 or none).
func reasonPhrase(head []byte) string {
	s := string(head)
	var reason string
	for len(s) > 0 {
		line, rest, _ := strings.Cut(s, "\n")
		s = rest
		line = strings.TrimSuffix(line, "\r")
		if strings.HasPrefix(line, "HTTP/1.") {
			_, after, _ := strings.Cut(line, " ")
			_, reason, _ = strings.Cut(after, " ")
		}
	}
	return reason
}

// hopByHop are the connection-specific fields a proxy does not pass on
// (RFC 9110 §7.6.1), and Expect, which the proxy answers itself.
var hopByHop = []string{"connection", "proxy-connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade", "proxy-authorization", "proxy-authenticate", "expect"}

// endToEnd is fields without the connection-specific ones, and without
// those a Connection field names.
func endToEnd(fields []hookconf.HeaderField) []hookconf.HeaderField {
	var named []string
	for _, f := range fields {
		if text.EqualFoldASCII(f.Name, "connection") {
			for _, n := range strings.Split(f.Value, ",") {
				if n = strings.TrimSpace(n); n != "" {
					named = append(named, n)
				}
			}
		}
	}
	out := make([]hookconf.HeaderField, 0, len(fields))
next:
	for _, f := range fields {
		for _, h := range hopByHop {
			if text.EqualFoldASCII(f.Name, h) {
				continue next
			}
		}
		for _, h := range named {
			if text.EqualFoldASCII(f.Name, h) {
				continue next
			}
		}
		out = append(out, f)
	}
	return out
}

// DriftChecker is the Checker of hooksim's model of Stalwart v0.16.18
// (PROTOCOL.md §1): wire.DriftTracker for the bodies of one connection,
// wire.CheckRequestHeaders for each request's header fields.
func DriftChecker() Checker { return &driftChecker{} }

type driftChecker struct{ t wire.DriftTracker }

func (d *driftChecker) Check(body []byte) (wire.Stage, []wire.Lint) { return d.t.Check(body) }

func (d *driftChecker) CheckHeaders(proto string, fields []wire.Header) []wire.Lint {
	return wire.CheckRequestHeaders(proto, fields)
}

// runHook is the hook a connection's run records, as Stalwart's MtaHook
// would be configured to call the upstream directly, read from the
// connection's first request: the URL with Stalwart's path (Target), its
// custom header fields (those named by --secret-header without their
// value) and the kind of its httpAuth, whose secret the recorder never
// stores. Replay and export call the hook with it.
func (p *Proxy) runHook(req *Request) *hookconf.Hook {
	h := *p.hooks[0]
	h.URL = p.Target(req.Target)
	h.HTTPHeaders = nil
	for _, f := range endToEnd(req.Fields) {
		switch strings.ToLower(f.Name) {
		case "content-type", "accept", "host", "content-length":
			continue
		case "authorization":
			if auth, ok := parseAuthorization(f.Value); ok {
				h.Auth = auth
				continue
			}
		}
		for _, n := range p.cfg.SecretHeaders {
			if strings.EqualFold(n, f.Name) {
				f.Value = ""
			}
		}
		h.HTTPHeaders = append(h.HTTPHeaders, f)
	}
	return &h
}

// parseAuthorization reads a Basic or Bearer Authorization value as the
// MtaHook's httpAuth that makes it.
func parseAuthorization(v string) (hookconf.HTTPAuth, bool) {
	scheme, cred, _ := strings.Cut(strings.TrimSpace(v), " ")
	cred = strings.TrimSpace(cred)
	switch {
	case strings.EqualFold(scheme, "Bearer") && cred != "":
		return hookconf.HTTPAuth{Kind: hookconf.AuthBearer, Secret: cred}, true
	case strings.EqualFold(scheme, "Basic") && cred != "":
		b, err := base64.StdEncoding.DecodeString(cred)
		if err != nil {
			return hookconf.HTTPAuth{}, false
		}
		user, pass, ok := strings.Cut(string(b), ":")
		if !ok {
			return hookconf.HTTPAuth{}, false
		}
		return hookconf.HTTPAuth{Kind: hookconf.AuthBasic, Username: user, Secret: pass}, true
	}
	return hookconf.HTTPAuth{}, false
}
