package hookclient

import (
	"bufio"
	"net"
	"sync"
	"time"
)

// Pool limits. reqwest keeps idle connections for 90 s by default.
const (
	maxIdlePerKey   = 32
	idleTimeout     = 90 * time.Second
	readBufferBytes = maxHeadBytes // the whole head must fit (peekHead)
)

// Response head limits of Stalwart's HTTP client (reqwest 0.13.4 over
// hyper 1.11.0; reqwest sets neither, so hyper's defaults apply).
const (
	// maxHeadBytes is hyper's DEFAULT_MAX_BUFFER_SIZE, 8192 + 4096*100
	// (src/proto/h1/io.rs): Buffered::parse fails with "message head is
	// too large" when the read buffer holds that many bytes and the head
	// is still incomplete. A head of up to maxHeadBytes bytes always
	// passes; hooksim refuses every longer one. (hyper may read past the
	// limit in one read when its buffer's capacity allows, so it can
	// accept a somewhat longer head that arrives all at once: a matter of
	// timing hooksim does not imitate.)
	maxHeadBytes = 8192 + 4096*100
	// maxHeaderFields is hyper's DEFAULT_MAX_HEADERS (src/proto/h1/role.rs):
	// the httparse header array has 100 slots, and a 101st field is
	// httparse::Error::TooManyHeaders, mapped to Parse::TooLarge.
	maxHeaderFields = 100
	// maxHeaderNameBytes: hyper's record_header_indices refuses a header
	// name of 1<<16 bytes or more (src/proto/h1/role.rs).
	maxHeaderNameBytes = 1<<16 - 1
)

// pconn is one connection to a hook with its read buffer.
type pconn struct {
	conn      net.Conn
	br        *bufio.Reader
	key       string
	idleSince time.Time
	h2        *h2conn // nil on an HTTP/1.1 connection
}

// idleOK reports whether an idle connection can take a new request: an
// HTTP/1.1 one must have nothing unread (the hook sent nothing unasked);
// an HTTP/2 one may hold control frames, but no GOAWAY seen.
func (pc *pconn) idleOK() bool {
	if pc.h2 != nil {
		return !pc.h2.goAway
	}
	return pc.br.Buffered() == 0
}

// pool keeps idle keep-alive connections per scheme, address and TLS mode.
// A connection is only put back after a response was read in full without
// error, so a broken or half-read connection is never reused.
type pool struct {
	mu     sync.Mutex
	idle   map[string][]*pconn
	closed bool
}

// get returns an idle connection for key, or nil.
func (p *pool) get(key string, now time.Time) *pconn {
	p.mu.Lock()
	defer p.mu.Unlock()
	list := p.idle[key]
	for len(list) > 0 {
		pc := list[len(list)-1]
		list = list[:len(list)-1]
		if now.Sub(pc.idleSince) < idleTimeout && pc.idleOK() {
			p.idle[key] = list
			return pc
		}
		_ = pc.conn.Close()
	}
	delete(p.idle, key)
	return nil
}

// put stores pc for reuse, or closes it when the pool is full or closed.
func (p *pool) put(pc *pconn, now time.Time) {
	if !pc.idleOK() || pc.conn.SetDeadline(time.Time{}) != nil {
		_ = pc.conn.Close()
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || len(p.idle[pc.key]) >= maxIdlePerKey {
		_ = pc.conn.Close()
		return
	}
	if p.idle == nil {
		p.idle = make(map[string][]*pconn)
	}
	pc.idleSince = now
	p.idle[pc.key] = append(p.idle[pc.key], pc)
}

// close closes every idle connection and stops pooling.
func (p *pool) close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for _, list := range p.idle {
		for _, pc := range list {
			_ = pc.conn.Close()
		}
	}
	p.idle = nil
	return nil
}
