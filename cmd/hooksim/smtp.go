package main

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hooksim/hooksim/recorder"
	"github.com/hooksim/hooksim/recorder/export"
	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookclient"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/simulator/smtpd"
	"github.com/hooksim/hooksim/store"
	"github.com/hooksim/hooksim/web"
)

const smtpExamples = `  # an SMTP server on 127.0.0.1:2525 that calls your hook as Stalwart would, at every stage
  hooksim smtp --url http://127.0.0.1:8025/ --stages all
  swaks --server 127.0.0.1:2525 --helo client.example.net --from john@example.org --to bill@example.org   # in another terminal

  # with the web view, an implicit-TLS listener and a relay to a Mailpit on 1025
  hooksim smtp --url http://127.0.0.1:8025/ --web 127.0.0.1:8080 --tls-listen 127.0.0.1:4650 --relay 127.0.0.1:1025

  # what Stalwart's port 587 rules do, with a client that has a reverse DNS name
  hooksim smtp --hooks mtahook.json --server-port 587 --client-ip 203.0.113.7 --client-ptr mail.example.net

  # a captured connection (run #12) as a regression test, its messages beside it as .eml files
  hooksim export 12 --as session -o tests/signup-mail.yaml
  hooksim test tests/
`

// smtpOptions are smtp's own flags.
type smtpOptions struct {
	hooks       hookFlags
	db          dbFlags
	listen      string
	tlsListen   string
	serverPort  uint
	hostname    string
	clientIP    string
	clientPTR   string
	users       stringList
	maxConns    int
	cert, key   string
	relay       string
	webListen   string
	sessionFile string
	quiet       bool
	throttle    bool
	set         map[string]bool // the flags given
	// ready, when set, is called once the listeners are open instead
	// of printing the banner (demo prints its own); summary false
	// leaves out the line printed when the server stops.
	ready     func(c *smtpConfig)
	noSummary bool
}

// smtpFlagSet is smtp's flags, registered on o.
func smtpFlagSet(env *cliEnv, o *smtpOptions) *flag.FlagSet {
	fs := newFlagSet("smtp", "[flags]\n\nAn SMTP server that answers as Stalwart v0.16.18 does and calls the hook at each stage, as Stalwart would.\n"+
		"Each connection is recorded as a run (source smtp) that the web view shows live; hooksim export turns one\n"+
		"into a session script. Stops on Ctrl-C (clients still connected hear 421 and their runs are kept, interrupted)\n"+
		"and exits 0: stopping is how a server ends; 2 for bad flags or an address it cannot listen on, 3 when a\n"+
		"listener or the recording fails while it serves.", smtpExamples, env)
	o.hooks.register(fs)
	o.db.register(fs, true)
	fs.StringVar(&o.listen, "listen", "127.0.0.1:2525", "address of the SMTP listener (STARTTLS offered); a non-loopback host is allowed")
	fs.StringVar(&o.tlsListen, "tls-listen", "", "also listen with implicit TLS (as Stalwart's submissions listener, port 465) on this address")
	fs.UintVar(&o.serverPort, "server-port", sessions.DefaultServerPort, "the port Stalwart's rules see for the plain listener (25: iprev, no AUTH without TLS...; 587: submission),\nwhatever port hooksim listens on; the --tls-listen listener is always 465")
	fs.StringVar(&o.hostname, "hostname", sessions.DefaultServerHostname, "the server's host name, in its greeting and replies (Stalwart's server.hostname)")
	fs.StringVar(&o.clientIP, "client-ip", "", "the client address the hooks see (default: the real peer's)")
	fs.StringVar(&o.clientPTR, "client-ptr", "", "the client's reverse DNS name the hooks see (default: none, as for a loopback peer)")
	fs.Var(&o.users, "user", `accept AUTH only for this "name:password" (repeatable; default: any credentials, as a directory that says yes)`)
	fs.IntVar(&o.maxConns, "max-connections", 8192, "connections served at once (Stalwart's maxConnections); one more is closed before the greeting, as Stalwart does")
	fs.StringVar(&o.cert, "cert", "", "PEM certificate chain for STARTTLS and --tls-listen (default: a self-signed one made at start)")
	fs.StringVar(&o.key, "key", "", "PEM private key of --cert")
	fs.StringVar(&o.relay, "relay", "", "forward each queued message (as queued, with its final envelope) to this SMTP server HOST:PORT, e.g. a Mailpit;\na failure is shown on the run and the message, not fatal; each relay has 30 s to connect and 30 s more")
	fs.StringVar(&o.webListen, "web", "", `also serve the web view on this address (e.g. 127.0.0.1:8080; "127.0.0.1:0" picks a free port)`)
	fs.StringVar(&o.sessionFile, "session", "", "take the server settings (host name, port, limits, local domains, AUTH and EHLO rules, added headers) and\nthe client's ptr and iprev from this session script (steps may be left out; any it has are not played)")
	fs.BoolVar(&o.quiet, "q", false, "print nothing per connection")
	fs.BoolVar(&o.throttle, "throttle", false, "apply Stalwart's default inbound throttles: 5 connections a second from one address (one more\nis closed before the greeting) and 25 an hour per sender domain and recipient (452 4.4.5 at RCPT)")
	return fs
}

func runSMTP(ctx context.Context, env *cliEnv, args []string) error {
	var o smtpOptions
	fs := smtpFlagSet(env, &o)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("smtp takes no arguments, got %q (a session's settings go with --session FILE)", rest)
	}
	o.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { o.set[f.Name] = true })
	cfg, err := o.config(ctx, env)
	if err != nil {
		return err
	}
	return serveSMTP(ctx, env, cfg, &o)
}

// smtpConfig is what smtp runs with, once the flags are checked.
type smtpConfig struct {
	hooks    []*hookconf.Hook
	template *sessions.Session // client and server settings
	tls      *tls.Config
	tlsNote  string // how STARTTLS is served, for the banner
	users    map[string]string
	listener net.Listener // the plain one
	tlsLn    net.Listener // implicit TLS, or nil
}

// config checks the flags, loads the hooks, the certificate and the
// session settings, and opens the listeners.
func (o *smtpOptions) config(ctx context.Context, env *cliEnv) (*smtpConfig, error) {
	c := &smtpConfig{}
	if (o.cert == "") != (o.key == "") {
		return nil, usagef("--cert and --key go together")
	}
	if o.serverPort == 0 || o.serverPort > 65535 {
		return nil, usagef("--server-port %d: want a port from 1 to 65535", o.serverPort)
	}
	if o.serverPort == sessions.ImplicitTLSPort {
		return nil, usagef("--server-port 465 is Stalwart's implicit TLS port: use --tls-listen ADDR for it")
	}
	if o.maxConns < 1 {
		return nil, usagef("--max-connections %d: want at least 1", o.maxConns)
	}
	if o.clientIP != "" && net.ParseIP(o.clientIP) == nil {
		return nil, usagef("--client-ip %q is not an IP address", o.clientIP)
	}
	if o.relay != "" {
		if _, _, err := net.SplitHostPort(o.relay); err != nil {
			return nil, usagef("--relay %q: want HOST:PORT", o.relay)
		}
	}
	if len(o.users) > 0 {
		c.users = map[string]string{}
		for _, u := range o.users {
			name, pass, ok := strings.Cut(u, ":")
			if !ok || name == "" {
				return nil, usagef("--user %q: want name:password", u)
			}
			c.users[name] = pass
		}
	}
	if o.webListen != "" && o.db.noRecord {
		return nil, usagef("the web view shows recorded runs: --web does not go with --no-record")
	}
	notes := newNoteSet()
	plan, err := newHookPlan(ctx, env, &o.hooks, notes)
	if err != nil {
		return nil, err
	}
	c.template = &sessions.Session{Server: sessions.Server{Hostname: sessions.DefaultServerHostname}}
	if o.sessionFile != "" {
		s, err := sessions.ParseSettingsFile(ctx, o.sessionFile)
		if err != nil {
			return nil, usageError{err}
		}
		c.template = s
	}
	if err := plan.needsFlags([]*sessions.Session{c.template}); err != nil {
		return nil, err
	}
	if c.hooks, err = plan.forSession(c.template); err != nil {
		return nil, err
	}
	notes.flush(func(m string) { fmt.Fprintln(env.stderr, "hooksim:", m) })
	if o.set["hostname"] || o.sessionFile == "" {
		c.template.Server.Hostname = o.hostname
	}
	if o.sessionFile != "" && !o.set["server-port"] && c.template.Server.Port == sessions.ImplicitTLSPort {
		return nil, usagef("--session %s: server port 465 is implicit TLS: give --tls-listen ADDR for it (that listener always has port 465's rules), or another port", o.sessionFile)
	}
	if o.set["server-port"] || o.sessionFile == "" {
		c.template.Server.Port = uint16(o.serverPort)
	}
	if o.clientPTR != "" {
		c.template.Client.PTR = o.clientPTR
	}
	if err := c.listen(o); err != nil {
		return nil, err
	}
	return c, nil
}

// listen makes the TLS configuration (--cert/--key, else self-signed
// for the host name) and opens the listeners.
func (c *smtpConfig) listen(o *smtpOptions) error {
	var err error
	if o.cert != "" {
		if c.tls, err = smtpd.LoadCertificate(o.cert, o.key); err != nil {
			return usageError{err}
		}
		c.tlsNote = "certificate " + o.cert
	} else {
		hosts := []string{c.template.Server.Hostname, "localhost", "127.0.0.1", "::1"}
		var fp string
		if c.tls, fp, err = smtpd.SelfSigned(hosts...); err != nil {
			return err
		}
		c.tlsNote = "self-signed certificate for " + c.template.Server.Hostname + ", SHA-256 " + fp[:23] + "..."
	}
	if c.listener, err = net.Listen("tcp", o.listen); err != nil {
		return usagef("--listen %s: %v", o.listen, err)
	}
	if o.tlsListen != "" {
		ln, err := net.Listen("tcp", o.tlsListen)
		if err != nil {
			c.listener.Close()
			return usagef("--tls-listen %s: %v", o.tlsListen, err)
		}
		c.tlsLn = tls.NewListener(ln, c.tls)
	}
	return nil
}

// newSession describes a connection: the template's client and server
// settings, the real peer (or --client-ip) and the local address.
func (c *smtpConfig) newSession(o *smtpOptions, file string) func(conn net.Conn) *sessions.Session {
	return func(conn net.Conn) *sessions.Session {
		s := &sessions.Session{Client: c.template.Client, Server: c.template.Server, File: file}
		s.Client.TLS = nil
		s.Server.LocalDomains = append([]string(nil), c.template.Server.LocalDomains...)
		if a, ok := conn.RemoteAddr().(*net.TCPAddr); ok {
			s.Client.IP, s.Client.Port = a.IP.String(), uint16(a.Port)
		}
		if o.clientIP != "" {
			s.Client.IP = o.clientIP
		}
		if a, ok := conn.LocalAddr().(*net.TCPAddr); ok {
			s.Server.IP = a.IP.String()
		}
		if _, ok := conn.(*tls.Conn); ok {
			s.Server.Port = sessions.ImplicitTLSPort
		}
		s.Name = "smtp " + net.JoinHostPort(s.Client.IP, strconv.Itoa(int(s.Client.Port)))
		return s
	}
}

// serveSMTP serves until ctx ends: the listeners, the recorder, the
// relay, the web view; then it prints what was served.
func serveSMTP(ctx context.Context, env *cliEnv, c *smtpConfig, o *smtpOptions) error {
	defer c.listener.Close()
	if c.tlsLn != nil {
		defer c.tlsLn.Close()
	}
	out := &lockedWriter{w: termSafe{env.stdout}}
	var rec *recorder.Recorder
	var st *store.Store
	var dbPath string
	var srvWeb *web.Server
	if !o.db.noRecord {
		var err error
		st, err = o.db.open(ctx, env)
		if err != nil {
			if ctx.Err() != nil {
				return nil // stopped while starting
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
	log := &smtpLog{out: out, quiet: o.quiet, rec: rec}
	client := hookclient.New()
	defer client.Close()
	sim := newSimulator(c.hooks, client, log, simulator.NewQueueIDs(nil, 1))
	sim.Origin = simulator.Origin{Source: simulator.SourceSMTP}
	if o.throttle {
		sim.Throttles = simulator.NewThrottles()
	}
	srv := &smtpd.Server{Sim: sim, TLS: c.tls, MaxConnections: o.maxConns}
	if !o.quiet {
		srv.OnRefused = func(remote net.Addr, why string) { fmt.Fprintf(out, "%s  %s\n", remote, why) }
	}
	if c.users != nil {
		srv.CheckCredentials = func(login, secret string) bool {
			pass, ok := c.users[login]
			return ok && pass == secret
		}
	}
	var relay *relayer
	if o.relay != "" {
		relay = newRelayer(o.relay, rec, st, out, o.quiet)
		log.relay = relay
	}

	if o.ready != nil {
		o.ready(c)
	} else {
		printSMTPBanner(out, c, o, dbPath, srvWeb)
	}
	g := newServeGroup(ctx)
	for _, ln := range []net.Listener{c.listener, c.tlsLn} {
		if ln == nil {
			continue
		}
		s := *srv
		s.NewSession = c.newSession(o, "smtp://"+ln.Addr().String())
		g.run(func(ctx context.Context) error { return s.Serve(ctx, ln) })
	}
	if srvWeb != nil {
		g.run(srvWeb.Serve)
	}
	<-g.ctx.Done()
	if n := log.open(); n > 0 && !o.quiet {
		fmt.Fprintf(out, "stopping: waiting for %s to finish the command in progress, then say 421 (Ctrl-C again to quit now)\n", plural(n, "connection"))
	}
	served := g.wait(nil)
	relay.close()
	var recErr error
	if rec != nil {
		if err := rec.Close(); err != nil {
			recErr = fmt.Errorf("recording: %w", err)
		}
	}
	conns, queued := log.totals()
	if o.noSummary {
		return cmp.Or(served, recErr)
	}
	fmt.Fprintf(out, "\nhooksim smtp stopped: %s, %s queued", plural(conns, "connection"), plural(queued, "message"))
	if relay != nil {
		fmt.Fprintf(out, ", %d relayed, %d not", relay.relayed.Load(), relay.failed.Load())
	}
	if rec != nil && conns > 0 {
		fmt.Fprintf(out, " (recorded in %s)", dbPath)
	}
	fmt.Fprintln(out)
	return cmp.Or(served, recErr)
}

// printSMTPBanner says where hooksim listens, what it calls, where it
// records, and how to send a first message.
func printSMTPBanner(out io.Writer, c *smtpConfig, o *smtpOptions, dbPath string, srvWeb *web.Server) {
	addr := c.listener.Addr().String()
	rules := "port 25's rules: the EHLO name must be a domain, AUTH only after STARTTLS"
	if c.template.Server.Port != sessions.DefaultServerPort {
		rules = fmt.Sprintf("port %d: Stalwart's rules for every port but 25, as for submission: AUTH before MAIL", c.template.Server.Port)
	}
	fmt.Fprintf(out, "hooksim smtp: SMTP on %s (%s; STARTTLS with a %s)\n", addr, rules, c.tlsNote)
	if host, _, err := net.SplitHostPort(addr); err == nil {
		if ip := net.ParseIP(host); ip != nil && !ip.IsLoopback() {
			fmt.Fprintf(out, "warning: %s is reachable from other machines, which can send through it to your hook (--listen 127.0.0.1:PORT keeps it local)\n", addr)
		}
	}
	if c.tlsLn != nil {
		fmt.Fprintf(out, "              implicit TLS on %s (server port 465)\n", c.tlsLn.Addr())
	}
	for _, h := range c.hooks {
		fmt.Fprintf(out, "hook %s: %s at %s\n", h.ID, hookconf.RedactURL(h.URL), hookconf.StageList(h.Stages))
	}
	if d := c.template.Server.LocalDomains; len(d) > 0 {
		fmt.Fprintf(out, "local domains (from --session): %s; mail to others without AUTH is refused as relaying\n", strings.Join(d, ", "))
	} else {
		fmt.Fprintln(out, "local domains: every recipient's (--session FILE with server.local_domains to test relaying)")
	}
	if sv := c.template.Server; o.sessionFile != "" && (sv.MaxMessageSize != 0 || sv.MaxRecipients != 0 || sv.MaxMessages != 0) {
		fmt.Fprintf(out, "limits (from --session): maxMessageSize %s, maxRecipients %s, maxMessages %s\n",
			orDefault(sv.MaxMessageSize), orDefault(int64(sv.MaxRecipients)), orDefault(int64(sv.MaxMessages)))
	}
	switch {
	case dbPath == "":
		fmt.Fprintln(out, "not recording (--no-record)")
	case srvWeb != nil:
		fmt.Fprintf(out, "recording into %s; web view on %s (the messages queued: %s#/messages)\n", dbPath, srvWeb.URL(), srvWeb.URL())
	default:
		fmt.Fprintf(out, "recording into %s (watch live: hooksim serve --db %s)\n", dbPath, export.ShellWord(dbPath))
	}
	if o.relay != "" {
		fmt.Fprintf(out, "relaying queued messages to %s\n", o.relay)
	}
	fmt.Fprintf(out, "\nSend a message:\n  %s\n\nCtrl-C to stop.\n", swaksCommand(addr, c))
}

// orDefault is a setting's value, or "default" for 0.
func orDefault(v int64) string {
	if v == 0 {
		return "default"
	}
	return strconv.FormatInt(v, 10)
}

// swaksCommand is a swaks command line that sends a message through the
// listener at addr: a recipient in a local domain when the settings
// name one, and AUTH where Stalwart's rules require it (port 587).
func swaksCommand(addr string, c *smtpConfig) string {
	host, port, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
		if ip.To4() == nil {
			host = "::1"
		}
	}
	to := "bill@example.org"
	if d := c.template.Server.LocalDomains; len(d) > 0 {
		to = "bill@" + d[0]
	}
	// swaks says EHLO with the machine's name, which Stalwart refuses
	// on port 25 when it is not a domain.
	cmd := "swaks --server " + net.JoinHostPort(host, port) + " --helo client.example.net --from john@example.org --to " + to
	if c.template.Server.Port != sessions.DefaultServerPort {
		user, pass := "john@example.org", "secret"
		for u, p := range c.users {
			user, pass = u, p
			break
		}
		// The account may send only from its own addresses (Stalwart's
		// mustMatchSender): the login, or LOGIN@domain.
		from := user
		if !strings.Contains(from, "@") {
			from += "@example.org"
		}
		cmd = strings.Replace(cmd, "--from john@example.org", "--from "+export.ShellWord(from), 1)
		cmd += " --tls --auth PLAIN --auth-user " + export.ShellWord(user) + " --auth-password " + export.ShellWord(pass)
	}
	return cmd
}

// lockedWriter serialises the lines of concurrent connections.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// smtpLog is smtp's observer: it records each connection (when
// recording) and prints a line per message and per connection.
type smtpLog struct {
	out   io.Writer
	quiet bool
	rec   *recorder.Recorder
	relay *relayer

	mu            sync.Mutex
	conns, queued int
	ended         int
}

// open is how many connections are being served.
func (l *smtpLog) open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.conns - l.ended
}

func (l *smtpLog) totals() (int, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.conns, l.queued
}

// Begin implements simulator.Observer.
func (l *smtpLog) Begin(ctx context.Context, info *simulator.SessionInfo) simulator.Play {
	p := &smtpPlay{log: l, peer: strings.TrimPrefix(info.Name, "smtp ")}
	if l.rec != nil {
		p.rec = l.rec.BeginPlay(ctx, info)
	}
	l.mu.Lock()
	l.conns++
	l.mu.Unlock()
	return p
}

// smtpPlay is one connection's handle.
type smtpPlay struct {
	log   *smtpLog
	rec   *recorder.Play
	peer  string
	steps int
}

func (p *smtpPlay) Exchange(ex *simulator.Exchange) {
	if p.rec != nil {
		p.rec.Exchange(ex)
	}
	if ex.Err != nil && !p.log.quiet {
		fmt.Fprintf(p.log.out, "%s  hook %s at %s: %s\n", p.peer, ex.HookID, ex.Stage, ex.Err.Error())
	}
}

func (p *smtpPlay) Step(st *simulator.StepResult) {
	p.steps++
	if p.rec != nil {
		p.rec.Step(st)
	}
	if p.log.quiet {
		return
	}
	cmd := st.Command
	switch {
	case st.Kind == simulator.StepClose:
		cmd = "closed by the server (" + strings.Trim(st.Message, "<>") + ")"
	case cmd == "":
		cmd = "connect"
	}
	cmd = simulator.OneLineCommand(cmd)
	// What Stalwart reads differently from what the hook may mean.
	for _, l := range st.Lints {
		line := fmt.Sprintf("%s  %s: lint %s", p.peer, cmd, l.Code)
		if l.Path != "" {
			line += " at " + l.Path
		}
		line += ": " + l.Message
		if l.Fix != "" {
			line += " (" + l.Fix + ")"
		}
		fmt.Fprintln(p.log.out, line)
	}
	if st.Kind == string(sessions.StepData) || st.Kind == string(sessions.StepBdat) || (st.Kind == string(sessions.StepRaw) && strings.HasPrefix(st.Message, "<chunk")) {
		if strings.Contains(st.Message, "cut short") {
			fmt.Fprintf(p.log.out, "%s  %s: %s, no data stage\n", p.peer, cmd, strings.Trim(st.Message, "<>"))
		}
		return // a message's outcome is its Transaction line
	}
	// A refusal (4xx, 5xx) is what a developer wants to see at once.
	reply := st.Reply()
	if len(reply) == 0 || (reply[0] != '4' && reply[0] != '5') {
		return
	}
	line := fmt.Sprintf("%s  %s: %s", p.peer, cmd, reply)
	switch reply {
	case simulator.ReplyInvalidEhlo:
		line += " (Stalwart refuses an EHLO name that is not a domain on port 25: swaks --helo client.example.net)"
	case simulator.ReplyNotAllowedSender:
		line += " (an authenticated account sends only from its own addresses: its login, or LOGIN@any-domain)"
	}
	fmt.Fprintln(p.log.out, line)
}

func (p *smtpPlay) Transaction(tx *simulator.TransactionResult) {
	if p.rec != nil {
		p.rec.Transaction(tx)
	}
	if tx.Delivered {
		p.log.mu.Lock()
		p.log.queued++
		p.log.mu.Unlock()
		p.log.relay.send(p.rec, p.peer, tx)
	}
	if p.log.quiet {
		return
	}
	from := "<>"
	if f := tx.EnvelopeOut.From; f != nil && *f != "" {
		from = *f
	} else if f == nil {
		from = "(no sender)"
	}
	fmt.Fprintf(p.log.out, "%s  message %d: %s -> %s: %s\n", p.peer, tx.Number, from, strings.Join(tx.EnvelopeOut.To, ", "), tx.Reply)
}

func (p *smtpPlay) Finish(res *simulator.SessionResult) {
	if p.rec != nil {
		p.rec.Finish(res)
	}
	p.log.mu.Lock()
	p.log.ended++
	p.log.mu.Unlock()
	if p.log.quiet {
		return
	}
	how := "the client left"
	switch {
	case res.Err != nil && errors.Is(res.Err, context.Canceled):
		how = "hooksim stopped (421)"
	case res.Err != nil:
		how = res.Err.Error()
	case len(res.Steps) > 0 && res.Steps[len(res.Steps)-1].Closed:
		how = "closed after " + strconv.Quote(res.Steps[len(res.Steps)-1].Reply())
	}
	queued := 0
	for _, tx := range res.Transactions {
		if tx.Delivered {
			queued++
		}
	}
	msgs := plural(queued, "message") + " queued"
	if n := len(res.Transactions) - queued; n > 0 {
		msgs += fmt.Sprintf(", %d refused", n)
	}
	line := fmt.Sprintf("%s  ended: %s; %s, %s, %s", p.peer, how, plural(len(res.Steps), "step"),
		msgs, plural(res.Exchanges, "hook call"))
	if p.rec != nil {
		// The run's row is committed within the recorder's linger.
		select {
		case <-p.rec.Recorded():
			if id := p.rec.RunID(); id != 0 {
				line += fmt.Sprintf(": run #%d", id)
			}
		case <-time.After(2 * time.Second):
		}
	}
	fmt.Fprintln(p.log.out, line)
}
