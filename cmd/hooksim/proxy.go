package main

import (
	"cmp"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hooksim/hooksim/recorder"
	"github.com/hooksim/hooksim/recorder/export"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookclient"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/simulator/proxy"
	"github.com/hooksim/hooksim/simulator/smtpd"
	"github.com/hooksim/hooksim/store"
	"github.com/hooksim/hooksim/web"
)

const proxyExamples = `  # between Stalwart and your hook: point the MtaHook's url at http://127.0.0.1:9000/
  hooksim proxy --listen 127.0.0.1:9000 --upstream http://127.0.0.1:8025/

  # try it without a Stalwart: hooksim plays Stalwart through the proxy (in another terminal)
  hooksim run bundled:hello --url http://127.0.0.1:9000/ --stages all

  # HTTP/2 and TLS towards Stalwart (it offers h2 to https hooks; set allowInvalidCerts for a self-signed one),
  # the web view, and a resimulation of every connection to find what hooksim would send differently
  hooksim proxy --upstream http://127.0.0.1:8025/ --tls --web 127.0.0.1:8080 --compare

  # the connections whose requests differ from hooksim's model of Stalwart, and one as a regression test
  hooksim runs --source proxy --drift
  hooksim export 12 --as session -o tests/staging-12.yaml
`

// proxyOptions are proxy's flags.
type proxyOptions struct {
	db            dbFlags
	listen        string
	upstream      string
	insecure      bool
	tlsCert       string
	tlsKey        string
	selfSigned    bool
	timeout       time.Duration
	maxResponse   int64
	noTempFail    bool
	secretHeaders stringList
	idle          time.Duration
	compare       bool
	webListen     string
	quiet         bool
}

func runProxy(ctx context.Context, env *cliEnv, args []string) error {
	var o proxyOptions
	fs := newFlagSet("proxy", "--upstream URL [flags]\n\nAn HTTP reverse proxy for MTA Hook calls: point a real Stalwart's MtaHook url at it and it passes every request to\n"+
		"the hook byte for byte, and the hook's answer back (HTTP/1.1, and HTTP/2 with --tls or --tls-cert; a failing hook\n"+
		"gives Stalwart 502, or 504 past --timeout). Each SMTP connection's requests (same client address and port, up to\n"+
		"the data stage or an idle gap) are recorded as one run (source proxy), shown live by the web view, and checked\n"+
		"against hooksim's model of Stalwart v0.16.18: every difference is a drift finding (printed, recorded, and listed\n"+
		"by hooksim runs --drift). Credentials (Authorization, credential-like headers, --secret-header) are passed on,\n"+
		"never recorded. Stops on Ctrl-C and exits 0; 2 for bad flags or an address it cannot listen on; 3 when the\n"+
		"listener or the recording fails.", proxyExamples, env)
	o.db.register(fs, true)
	fs.StringVar(&o.listen, "listen", "127.0.0.1:9000", "address to listen on for Stalwart's requests (a non-loopback host is allowed, e.g. for a Stalwart in a container)")
	fs.StringVar(&o.upstream, "upstream", "", "the hook's URL (http or https): a request for the proxy's / goes to its path, any other path as Stalwart asked")
	fs.BoolVar(&o.insecure, "allow-invalid-certs", false, "do not check the upstream's TLS certificate (as the MtaHook setting allowInvalidCerts)")
	fs.StringVar(&o.tlsCert, "tls-cert", "", "serve HTTPS (HTTP/2 and HTTP/1.1 by ALPN) with this PEM certificate chain")
	fs.StringVar(&o.tlsKey, "tls-key", "", "PEM private key of --tls-cert")
	fs.BoolVar(&o.selfSigned, "tls", false, "serve HTTPS with a self-signed certificate made at start (Stalwart needs allowInvalidCerts: true)")
	o.timeout = hookconf.DefaultTimeout
	fs.Var(durationFlag{&o.timeout}, "timeout", "how long the upstream has to answer, a duration (Stalwart's MtaHook timeout); past it Stalwart gets 504")
	fs.Int64Var(&o.maxResponse, "max-response-size", hookconf.DefaultMaxResponseSize, "bytes: a larger answer from the upstream is a failure and Stalwart gets 502 (the MtaHook's maxResponseSize)")
	fs.BoolVar(&o.noTempFail, "no-tempfail", false, "the hook behind the proxy has tempFailOnError false: when it fails, the SMTP client hears what\nfollows it (it is skipped), not 451 4.3.5 (for the log and the record; what Stalwart does is its own setting)")
	fs.Var(&o.secretHeaders, "secret-header", "a request header whose value is a credential, never recorded or shown (repeatable;\nAuthorization, Cookie, X-Api-Key and other credential-like names always are)")
	o.idle = proxy.DefaultIdleGap
	fs.Var(durationFlag{&o.idle}, "idle", "end a connection's run when no request came for it for this long, a duration")
	fs.BoolVar(&o.compare, "compare", false, "replay each finished connection in hooksim's simulator (with the hook's recorded answers) and print\nevery request hooksim would have sent differently")
	fs.StringVar(&o.webListen, "web", "", `also serve the web view on this address (e.g. 127.0.0.1:8080; "127.0.0.1:0" picks a free port)`)
	fs.BoolVar(&o.quiet, "q", false, "print nothing per request (drift findings included)")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("proxy takes no arguments, got %q (the hook goes with --upstream URL)", rest)
	}
	if o.upstream == "" {
		return usagef("proxy needs --upstream URL: the hook to pass Stalwart's requests to")
	}
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return usagef("--tls-cert and --tls-key go together")
	}
	if o.selfSigned && o.tlsCert != "" {
		return usagef("--tls makes a self-signed certificate: it does not go with --tls-cert")
	}
	if o.maxResponse <= 0 {
		return usagef("--max-response-size %d: want a positive number of bytes", o.maxResponse)
	}
	if o.webListen != "" && o.db.noRecord {
		return usagef("the web view shows recorded runs: --web does not go with --no-record")
	}
	return serveProxy(ctx, env, &o)
}

func serveProxy(ctx context.Context, env *cliEnv, o *proxyOptions) error {
	var tcfg *tls.Config
	tlsNote := ""
	switch {
	case o.tlsCert != "":
		var err error
		if tcfg, err = smtpd.LoadCertificate(o.tlsCert, o.tlsKey); err != nil {
			return usageError{err}
		}
		tlsNote = "certificate " + o.tlsCert
	case o.selfSigned:
		var fp string
		var err error
		if tcfg, fp, err = smtpd.SelfSigned("localhost", "127.0.0.1", "::1"); err != nil {
			return err
		}
		tlsNote = "self-signed certificate, SHA-256 " + fp[:23] + "..."
	}
	out := &lockedWriter{w: termSafe{env.stdout}}
	var rec *recorder.Recorder
	var st *store.Store
	var srvWeb *web.Server
	dbPath := ""
	if !o.db.noRecord {
		var err error
		if st, err = o.db.open(ctx, env); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		defer st.Close()
		dbPath = st.Path()
		rec = recorder.New(st, recorder.Options{})
		if o.webListen != "" {
			if srvWeb, err = web.New(web.Config{Store: st, Listen: o.webListen, Log: env.stderr}); err != nil {
				return usageError{err}
			}
		}
	}
	log := newProxyLog(out, o.quiet)
	client := hookclient.New()
	defer client.Close()
	if o.compare {
		log.compare = func(c *proxy.Connection) (*proxy.Comparison, error) {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
			return proxy.Compare(ctx, nil, c.Name, c.Captured())
		}
	}
	cfg := proxy.Config{
		Upstream: o.upstream, Client: client, Timeout: o.timeout, MaxResponseSize: o.maxResponse,
		AllowInvalidCerts: o.insecure, TempFailOnError: !o.noTempFail, SecretHeaders: o.secretHeaders, IdleGap: o.idle,
		Checker: proxy.DriftChecker, OnExchange: log.exchange, OnConnection: log.connection,
	}
	if rec != nil {
		cfg.Observer = simulator.ObserverFunc(func(ctx context.Context, info *simulator.SessionInfo) simulator.Play {
			return rec.BeginPlay(ctx, info)
		})
	}
	p, err := proxy.New(cfg)
	if err != nil {
		return usageError{err}
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		p.Close()
		return usagef("--listen %s: %v", o.listen, err)
	}
	defer ln.Close()
	if selfUpstream(o.upstream, ln.Addr()) {
		p.Close()
		return usagef("--upstream %s is this proxy's own address: every request would come back to it (give the hook's URL)", hookconf.RedactURL(o.upstream))
	}
	srv := &proxy.Server{Handler: p.Handler(), TLSConfig: tcfg}
	printProxyBanner(out, ln.Addr().String(), tcfg != nil, tlsNote, o, dbPath, srvWeb)

	g := newServeGroup(ctx)
	g.run(func(ctx context.Context) error { return srv.Serve(ctx, ln) })
	if srvWeb != nil {
		g.run(srvWeb.Serve)
	}
	<-g.ctx.Done()
	served := g.wait(nil)
	p.Close()
	log.close()
	var recErr error
	if rec != nil {
		if err := rec.Close(); err != nil {
			recErr = fmt.Errorf("recording: %w", err)
		}
	}
	n, conns, drift := log.totals()
	fmt.Fprintf(out, "\nhooksim proxy stopped: %s in %s, %s", plural(n, "request"), plural(conns, "connection"), plural(drift, "drift finding"))
	if o.compare {
		fmt.Fprintf(out, ", %s from the resimulation", plural(log.differs, "difference"))
	}
	if rec != nil && n > 0 {
		fmt.Fprintf(out, " (recorded in %s)", dbPath)
	}
	fmt.Fprintln(out)
	return cmp.Or(served, recErr)
}

// printProxyBanner says where the proxy listens, where it sends, how to
// point Stalwart at it, and where it records.
func printProxyBanner(out io.Writer, addr string, isTLS bool, tlsNote string, o *proxyOptions, dbPath string, srvWeb *web.Server) {
	scheme, protos := "http", "HTTP/1.1"
	if isTLS {
		scheme, protos = "https", "HTTP/2 and HTTP/1.1, "+tlsNote
	}
	url := scheme + "://" + addr + "/"
	stalwartURL, localURL := url, url
	if host, port, err := net.SplitHostPort(addr); err == nil {
		if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
			// Every address of this machine: Stalwart needs one it reaches.
			stalwartURL = scheme + "://HOST:" + port + "/"
			localURL = scheme + "://127.0.0.1:" + port + "/"
			url = "port " + port + " of every address of this machine"
		}
	}
	fmt.Fprintf(out, "hooksim proxy: listening on %s (%s), passing every request to %s\n", url, protos, hookconf.RedactURL(o.upstream))
	if host, _, err := net.SplitHostPort(addr); err == nil {
		if ip := net.ParseIP(host); ip != nil && !ip.IsLoopback() {
			fmt.Fprintf(out, "warning: port %s is reachable from other machines, which can send through it to your hook\n", addr[strings.LastIndexByte(addr, ':')+1:])
		}
	}
	fmt.Fprintf(out, "Point Stalwart at it: in the MtaHook's settings, \"url\": %q", stalwartURL)
	if stalwartURL != localURL {
		fmt.Fprint(out, " (HOST: this machine's address as Stalwart reaches it)")
	}
	if isTLS && o.tlsCert == "" {
		fmt.Fprint(out, ", \"allowInvalidCerts\": true")
	}
	fmt.Fprintln(out)
	fmt.Fprintln(out, "Each request is checked against hooksim's model of Stalwart v0.16.18; differences are drift findings.")
	switch {
	case dbPath == "":
		fmt.Fprintln(out, "not recording (--no-record)")
	case srvWeb != nil:
		fmt.Fprintf(out, "recording into %s; web view on %s\n", dbPath, srvWeb.URL())
	default:
		fmt.Fprintf(out, "recording into %s (watch live: hooksim serve --db %s)\n", dbPath, export.ShellWord(dbPath))
	}
	fmt.Fprintf(out, "\nNo Stalwart at hand? Let hooksim play one through the proxy (with your hook's --bearer or --header, if it wants one):\n  hooksim run bundled:hello --url %s --stages all", localURL)
	if isTLS {
		fmt.Fprint(out, " --allow-invalid-certs")
	}
	fmt.Fprint(out, "\n\nCtrl-C to stop.\n")
}

// proxyLog prints a line per exchange and per connection, off the
// requests' path: a recorded run's number is known only once the
// recorder committed it.
type proxyLog struct {
	out   io.Writer
	quiet bool
	lines chan func()
	done  chan struct{}

	// compare, when set (--compare), resimulates each connection that
	// ended.
	compare func(*proxy.Connection) (*proxy.Comparison, error)

	mu                          sync.Mutex
	requests, conns, n, differs int
}

func newProxyLog(out io.Writer, quiet bool) *proxyLog {
	l := &proxyLog{out: out, quiet: quiet, lines: make(chan func(), 1024), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		for f := range l.lines {
			f()
		}
	}()
	return l
}

func (l *proxyLog) close() {
	close(l.lines)
	<-l.done
}

func (l *proxyLog) totals() (requests, conns, drift int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.requests, l.conns, l.n
}

// runOf is the run a connection is recorded as, "" when not recorded.
func runOf(c *proxy.Connection) string {
	if p, ok := c.Play.(*recorder.Play); ok {
		if id := p.RunID(); id != 0 {
			return fmt.Sprintf("#%d ", id)
		}
	}
	return ""
}

func (l *proxyLog) exchange(ev *proxy.Event) {
	l.mu.Lock()
	l.requests++
	l.n += len(ev.Drift)
	l.mu.Unlock()
	if l.quiet {
		return
	}
	l.lines <- func() {
		ex, st := ev.Exchange, ev.Step
		what := string(ex.Stage)
		if what == "" {
			what = "not an MTA Hook request"
		}
		if st.Command != "" {
			what += " " + simulator.OneLineCommand(st.Command)
		}
		answer := ex.Outcome
		if ex.Call.Status != 0 {
			answer = fmt.Sprintf("%d %s", ex.Call.Status, ex.Outcome)
		}
		if ex.Err != nil {
			answer = ex.Err.Error()
		} else if n := len(ex.Response.Modifications); n > 0 {
			answer += fmt.Sprintf(" with %s", plural(n, "modification"))
		}
		line := fmt.Sprintf("%s%s  %s -> %s (%s)", runOf(ev.Conn), ev.Conn.Name, what, answer, ex.Call.Duration.Round(10*time.Microsecond))
		if r := st.Reply(); r != "" {
			line += "; the client hears " + r
		}
		fmt.Fprintln(l.out, line)
		for _, d := range ev.Drift {
			fmt.Fprintf(l.out, "    drift %s\n", strings.TrimPrefix(d.String(), "[drift] "))
		}
	}
}

func (l *proxyLog) connection(c *proxy.Connection) {
	l.mu.Lock()
	l.conns++
	l.mu.Unlock()
	if l.quiet && l.compare == nil {
		return
	}
	l.lines <- func() {
		run := runOf(c)
		if !l.quiet {
			fmt.Fprintf(l.out, "%s%s  ended (%s): %s, %s\n", run, c.Name, c.Why, plural(len(c.Requests), "request"), plural(c.Drift, "drift finding"))
		}
		if l.compare == nil {
			return
		}
		cmp, err := l.compare(c)
		switch {
		case err != nil:
			fmt.Fprintf(l.out, "%s%s  compare: cannot resimulate: %v\n", run, c.Name, err)
		case len(cmp.Differences) == 0:
			fmt.Fprintf(l.out, "%s%s  compare: hooksim would send the same %s\n", run, c.Name, plural(cmp.Compared, "request"))
		default:
			l.mu.Lock()
			l.differs += len(cmp.Differences)
			l.mu.Unlock()
			fmt.Fprintf(l.out, "%s%s  compare: %s from what hooksim would send:\n", run, c.Name, plural(len(cmp.Differences), "difference"))
			for _, d := range cmp.Differences {
				fmt.Fprintf(l.out, "    %s\n", d)
			}
			for _, n := range cmp.Notes {
				fmt.Fprintf(l.out, "    (rebuilt: %s)\n", n)
			}
		}
	}
}

// selfUpstream reports an upstream URL that names the proxy's own
// listener: the same port on a loopback address, "localhost", the
// listener's address, or any address when it listens on all of them.
func selfUpstream(upstream string, ln net.Addr) bool {
	u, err := url.Parse(upstream)
	if err != nil {
		return false
	}
	a, ok := ln.(*net.TCPAddr)
	if !ok {
		return false
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[strings.ToLower(u.Scheme)]
	}
	if port != strconv.Itoa(a.Port) {
		return false
	}
	host := strings.ToLower(u.Hostname())
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	switch {
	case ip == nil:
		return false
	case ip.Equal(a.IP), ip.IsLoopback() && (a.IP.IsLoopback() || a.IP.IsUnspecified()):
		return true
	case a.IP.IsUnspecified():
		// Listening on every address: one of this machine's.
		addrs, _ := net.InterfaceAddrs()
		for _, x := range addrs {
			if n, ok := x.(*net.IPNet); ok && n.IP.Equal(ip) {
				return true
			}
		}
	}
	return false
}
