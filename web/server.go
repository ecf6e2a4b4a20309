package web

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/hooksim/hooksim/recorder"
	"github.com/hooksim/hooksim/simulator/hookclient"
	"github.com/hooksim/hooksim/store"
)

// Defaults of Config.
const (
	DefaultListen       = "127.0.0.1:8080"
	DefaultPollInterval = 200 * time.Millisecond
	DefaultMaxPlays     = 16
)

// Config is what a Server needs. Store is required; zero values take the
// defaults.
type Config struct {
	Store *store.Store
	// Listen is the address to bind, DefaultListen when empty. An address
	// that is not loopback is refused unless Public is set.
	Listen string
	// Public allows a non-loopback address; then every request needs the
	// access token.
	Public bool
	// Token is the access token of a public server; a random one is made
	// when empty. Ignored unless Public.
	Token string
	// TLS, when set, serves HTTPS: the token of a public server then
	// does not travel in clear, and its cookie is Secure.
	TLS *tls.Config
	// MaxPlays caps the plays the server runs in the background at once
	// (POST /api/v1/play, Play); 0 means DefaultMaxPlays. One more is
	// refused (429).
	MaxPlays int
	// AllowTargets are the hook URLs a public server's replay, play and
	// send may call: each a URL prefix ("http://10.0.0.5:8025/"), or
	// "*" for any. A public server with none calls no hook: otherwise
	// anyone with the token could make it send requests anywhere.
	// Ignored when the server is not public.
	AllowTargets []string
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// PollInterval is how often the event stream reads the store for rows
	// written by any process.
	PollInterval time.Duration
	// Client sends the hook requests of replays, plays and sends; nil
	// makes one that Serve closes at the end.
	Client *hookclient.Client
	// Log receives one line per failed request and background failure;
	// nil discards them.
	Log io.Writer
	// EventBuffer is how many events the stream keeps for clients that
	// reconnect (default 4096).
	EventBuffer int
}

// Server is the web view. Make it with New, run it with Serve.
type Server struct {
	cfg       Config
	ln        net.Listener
	token     string
	client    *hookclient.Client
	playSlots chan struct{} // one per play in progress (MaxPlays)
	ownClient bool
	rec       *recorder.Recorder
	events    *eventLog
	handler   http.Handler

	logMu sync.Mutex
	bg    sync.WaitGroup // background plays

	mu      sync.Mutex      // guards runCtx
	runCtx  context.Context // Serve's context while it serves; nil before and after
	started chan struct{}   // closed once Serve has set up rec and runCtx

	served sync.Once
}

// New checks cfg and binds its address; nothing is served until Serve.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("web: new server: no store")
	}
	if cfg.Listen == "" {
		cfg.Listen = DefaultListen
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.EventBuffer <= 0 {
		cfg.EventBuffer = 4096
	}
	host, _, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("web: listen address %q: %w", cfg.Listen, err)
	}
	if !cfg.Public && !loopbackHost(host) {
		return nil, fmt.Errorf("web: listen address %q is not loopback: pass --public to serve it (a token will be required)", cfg.Listen)
	}
	s := &Server{cfg: cfg, client: cfg.Client, events: newEventLog(cfg.EventBuffer), started: make(chan struct{})}
	if cfg.Public {
		s.token = cfg.Token
		if s.token == "" {
			if s.token, err = newToken(); err != nil {
				return nil, err
			}
		}
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("web: listen on %s: %w", cfg.Listen, err)
	}
	s.ln = ln
	if cfg.TLS != nil {
		s.ln = tls.NewListener(ln, cfg.TLS)
	}
	if s.client == nil {
		s.client = hookclient.New()
		s.ownClient = true
	}
	if cfg.MaxPlays <= 0 {
		cfg.MaxPlays = DefaultMaxPlays
	}
	s.playSlots = make(chan struct{}, cfg.MaxPlays)
	// A request made for the web view goes where it was asked, not where
	// a hook redirects it; a public server's, only to allowed targets.
	s.client.NoCrossOriginRedirects = true
	if cfg.Public {
		s.client.CheckTarget = allowedTarget(cfg.AllowTargets)
	}
	s.handler = s.routes()
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// URL is the address to open in a browser, with the token of a public
// server.
func (s *Server) URL() string {
	scheme := "http"
	if s.cfg.TLS != nil {
		scheme = "https"
	}
	u := scheme + "://" + s.ln.Addr().String() + "/"
	if s.token != "" {
		u += "?token=" + s.token
	}
	return u
}

// Token is the access token, "" when the server is not public.
func (s *Server) Token() string { return s.token }

// Handler is the server's HTTP handler, for tests that want no listener.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve serves until ctx ends, then stops: it closes the listener, ends
// every websocket, cancels the plays and replays it started, waits for
// them and writes what they recorded. It can be called once.
func (s *Server) Serve(ctx context.Context) error {
	err := errors.New("web: serve: already served")
	s.served.Do(func() { err = s.serve(ctx) })
	return err
}

func (s *Server) serve(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.rec = recorder.New(s.cfg.Store, recorder.Options{OnError: func(err error) { s.logf("recording: %v", err) }})
	s.mu.Lock()
	s.runCtx = ctx
	s.mu.Unlock()
	close(s.started)
	tailDone := make(chan struct{})
	go func() {
		defer close(tailDone)
		s.tail(ctx)
	}()
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		// A request body (a script, 4 MiB at most) within a minute; an
		// answer within ten (a replay waits for its hook calls, each
		// bounded by its timeout); idle keep-alive connections closed
		// after two. The websocket sets its own deadlines.
		ReadTimeout:  time.Minute,
		WriteTimeout: 10 * time.Minute,
		IdleTimeout:  2 * time.Minute,
		BaseContext:  func(net.Listener) context.Context { return ctx },
		ErrorLog:     nil,
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(s.ln) }()
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
		cancel()
	}
	shutCtx, stop := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer stop()
	if err := hs.Shutdown(shutCtx); err != nil {
		hs.Close()
	}
	cancel()
	s.mu.Lock() // no Play adds to bg after this
	s.runCtx = nil
	s.mu.Unlock()
	s.bg.Wait()
	<-tailDone
	recErr := s.rec.Close()
	if s.ownClient {
		s.client.Close()
	}
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return fmt.Errorf("web: serve %s: %w", s.ln.Addr(), serveErr)
	}
	if recErr != nil {
		return fmt.Errorf("web: recording: %w", recErr)
	}
	return nil
}

// logf writes one line to the log, if any.
func (s *Server) logf(format string, args ...any) {
	if s.cfg.Log == nil {
		return
	}
	s.logMu.Lock()
	defer s.logMu.Unlock()
	fmt.Fprintf(s.cfg.Log, "web: "+format+"\n", args...)
}

// routes is the server's mux wrapped in its security checks.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/runs", s.handleRuns)
	mux.HandleFunc("GET /api/v1/runs/{id}", s.handleRun)
	mux.HandleFunc("GET /api/v1/runs/{id}/exchanges/{seq}", s.handleExchange)
	mux.HandleFunc("GET /api/v1/runs/{id}/exchanges/{seq}/raw", s.handleExchangeRaw)
	mux.HandleFunc("GET /api/v1/messages", s.handleMessages)
	mux.HandleFunc("GET /api/v1/runs/{id}/messages/{n}", s.handleMessage)
	mux.HandleFunc("GET /api/v1/runs/{id}/messages/{n}/eml", s.handleMessageEML)
	mux.HandleFunc("GET /api/v1/runs/{id}/export", s.handleExport)
	mux.HandleFunc("POST /api/v1/runs/{id}/replay", s.handleReplay)
	mux.HandleFunc("POST /api/v1/runs/{id}/exchanges/{seq}/replay", s.handleExchangeReplay)
	mux.HandleFunc("POST /api/v1/send", s.handleSend)
	mux.HandleFunc("GET /api/v1/sessions", s.handleSessions)
	mux.HandleFunc("GET /api/v1/sessions/{name}", s.handleSession)
	mux.HandleFunc("POST /api/v1/play", s.handlePlay)
	mux.HandleFunc("GET /api/v1/compare", s.handleCompare)
	mux.HandleFunc("POST /api/v1/prune", s.handlePrune)
	mux.HandleFunc("GET /api/v1/events", s.handleEvents)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such API endpoint: "+r.Method+" "+r.URL.Path)
	})
	mux.Handle("/", staticHandler())
	return s.secure(mux)
}
