package proxy

import (
	"bufio"
	"context"
	"errors"
	"net"
)

// serveH2 serves HTTP/2 on conn (placeholder until the HTTP/2 server lands).
func (s *Server) serveH2(ctx context.Context, conn net.Conn, br *bufio.Reader, isTLS bool) {
	s.fail(conn, errors.New("HTTP/2 is not served yet"))
}
