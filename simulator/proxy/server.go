package proxy

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"golang.org/x/net/http2"
)

// Defaults of Server's limits.
const (
	// DefaultMaxHeaderBytes caps a request head (HTTP/1.1) or header
	// list (HTTP/2): bytes, 64 KiB. Stalwart's requests carry a handful
	// of short fields.
	DefaultMaxHeaderBytes = 64 << 10
	// DefaultMaxBodyBytes caps a request body: bytes, 512 MiB. A data
	// stage request holds the message (Stalwart's default size limit is
	// 100 MiB) as a JSON string, where every CRLF takes four bytes and
	// every control character six.
	DefaultMaxBodyBytes = 512 << 20
	// DefaultIdleTimeout closes a keep-alive connection that carried no
	// request for this long. hyper's pool (Stalwart's HTTP client) drops
	// idle connections after 90 s.
	DefaultIdleTimeout = 5 * time.Minute
	// headReadTimeout bounds reading one request head once its first
	// byte came.
	headReadTimeout = 30 * time.Second
)

// Server serves MTA Hook requests to a Handler over HTTP/1.1, and over
// HTTP/2 when the MTA picks h2 by ALPN on a TLS listener (as Stalwart's
// client does with an https hook) or opens a plain connection with the
// HTTP/2 preface (prior knowledge). The zero value serves plain HTTP with
// the defaults; Handler is required.
type Server struct {
	Handler Handler
	// TLSConfig, when set, makes every connection TLS; its NextProtos
	// are set to h2 and http/1.1 when empty.
	TLSConfig *tls.Config
	// MaxHeaderBytes and MaxBodyBytes cap a request; 0 means the
	// defaults. A larger request gets 431 or 413 and is not passed on.
	MaxHeaderBytes int
	MaxBodyBytes   int64
	// IdleTimeout closes idle keep-alive connections; 0 means
	// DefaultIdleTimeout.
	IdleTimeout time.Duration
	// OnError, when set, hears about connections that failed (a TLS
	// handshake, a malformed request); nil ignores them.
	OnError func(remote string, err error)
}

func (s *Server) limits() (int, int64, time.Duration) {
	mh, mb, idle := s.MaxHeaderBytes, s.MaxBodyBytes, s.IdleTimeout
	if mh <= 0 {
		mh = DefaultMaxHeaderBytes
	}
	if mb <= 0 {
		mb = DefaultMaxBodyBytes
	}
	if idle <= 0 {
		idle = DefaultIdleTimeout
	}
	return mh, mb, idle
}

// Serve accepts connections on ln until ctx ends, then stops accepting,
// lets the requests in progress finish (their handlers see ctx's
// cancellation only through their own deadlines: a call already sent to
// the hook is answered), closes idle connections and returns nil. It
// returns an error only when ln fails for another reason.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if s.Handler == nil {
		return errors.New("proxy: Server has no Handler")
	}
	var tcfg *tls.Config
	if s.TLSConfig != nil {
		tcfg = s.TLSConfig.Clone()
		if len(tcfg.NextProtos) == 0 {
			tcfg.NextProtos = []string{http2.NextProtoTLS, "http/1.1"}
		}
	}
	var wg sync.WaitGroup
	stop := context.AfterFunc(ctx, func() { _ = ln.Close() })
	defer stop()
	var err error
	for {
		conn, aerr := ln.Accept()
		if aerr != nil {
			if ctx.Err() == nil {
				var ne net.Error
				if errors.As(aerr, &ne) && ne.Timeout() {
					time.Sleep(5 * time.Millisecond)
					continue
				}
				err = fmt.Errorf("proxy: accept on %s: %w", ln.Addr(), aerr)
			}
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.serveConn(ctx, conn, tcfg)
		}()
	}
	wg.Wait()
	return err
}

// serveConn speaks TLS when configured, then HTTP/2 or HTTP/1.1.
func (s *Server) serveConn(ctx context.Context, conn net.Conn, tcfg *tls.Config) {
	defer conn.Close()
	maxHead, _, _ := s.limits()
	if tcfg != nil {
		tc := tls.Server(conn, tcfg)
		_ = conn.SetDeadline(time.Now().Add(headReadTimeout))
		if err := tc.HandshakeContext(ctx); err != nil {
			s.fail(conn, fmt.Errorf("TLS handshake: %w", err))
			return
		}
		_ = conn.SetDeadline(time.Time{})
		conn = tc
		if tc.ConnectionState().NegotiatedProtocol == http2.NextProtoTLS {
			s.serveH2(ctx, conn, bufio.NewReaderSize(conn, 64<<10), true)
			return
		}
	}
	br := bufio.NewReaderSize(conn, maxHead)
	_, _, idle := s.limits()
	_ = conn.SetReadDeadline(time.Now().Add(idle))
	if isPreface(br) {
		_ = conn.SetReadDeadline(time.Time{})
		s.serveH2(ctx, conn, br, tcfg != nil)
		return
	}
	s.serveH1(ctx, conn, br, tcfg != nil)
}

// isPreface reports whether the connection starts with the HTTP/2 client
// preface (prior knowledge), reading no more than it must: a short
// HTTP/1.1 request is told apart as soon as a byte differs.
func isPreface(br *bufio.Reader) bool {
	for n := 1; n <= len(http2.ClientPreface); n++ {
		b, err := br.Peek(n)
		if err != nil || b[n-1] != http2.ClientPreface[n-1] {
			return false
		}
	}
	return true
}

func (s *Server) fail(conn net.Conn, err error) {
	if s.OnError != nil {
		s.OnError(conn.RemoteAddr().String(), err)
	}
}
