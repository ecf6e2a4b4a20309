package hookclient

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/hooksim/hooksim/simulator/hookconf"
)

// phase says where in the exchange an error happened.
type phase int

const (
	phaseDial phase = iota
	phaseTLS
	phaseWrite
	phaseHead
	phaseBody
)

// call holds what one Call needs to classify its failures.
type call struct {
	parent  context.Context // the caller's context
	ctx     context.Context // parent plus the hook's timeout
	timeout time.Duration
	limit   int64
	insec   bool
	// sent is the head of the last request written, received the heads
	// read in answer to it (interim 1xx ones included); each request
	// starts them again. sent aliases the request buffer.
	sent, received []byte
	// sentFields are the header fields sent over HTTP/2 (nil over
	// HTTP/1.1, where they are the ones given); proto is the protocol of
	// the last request ("" before a connection was made).
	sentFields []hookconf.HeaderField
	proto      string
	// customHost: the hook's own headers set Host (kept over HTTP/2).
	customHost bool
}

// expired reports whether err comes from the hook's deadline or the
// caller's context ending.
func (c *call) expired(err error) bool {
	return c.ctx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

// deadlineError is the error for an exchange cut short by time or by the
// caller.
func (c *call) deadlineError(err error) *HookError {
	if perr := c.parent.Err(); perr != nil {
		return &HookError{Class: ErrCanceled, Message: fmt.Sprintf("Hook request canceled by the caller: %v", perr)}
	}
	return &HookError{Class: ErrTimeout, Message: fmt.Sprintf("Hook request failed: no complete answer within %s (the hook's timeout covers connect, TLS, sending, redirects and reading the whole body)", c.timeout)}
}

// classify turns a transport error into a HookError.
func (c *call) classify(err error, ph phase, t *target) *HookError {
	if c.expired(err) {
		return c.deadlineError(err)
	}
	switch ph {
	case phaseDial:
		var dnsErr *net.DNSError
		switch {
		case errors.Is(err, syscall.ECONNREFUSED):
			return &HookError{Class: ErrRefused, Message: fmt.Sprintf("Hook request failed: connection refused by %s (nothing listens there)", t.addr)}
		case errors.As(err, &dnsErr):
			return &HookError{Class: ErrConnect, Message: fmt.Sprintf("Hook request failed: cannot resolve host %q: %v", t.hostname, dnsErr.Err)}
		default:
			return &HookError{Class: ErrConnect, Message: fmt.Sprintf("Hook request failed: cannot connect to %s: %v", t.addr, unwrapOp(err))}
		}
	case phaseTLS:
		msg := fmt.Sprintf("Hook request failed: TLS handshake with %s failed: %v", t.addr, unwrapOp(err))
		var (
			hnErr  x509.HostnameError
			recErr tls.RecordHeaderError
		)
		switch {
		case errors.As(err, &recErr):
			msg += " (the hook does not speak TLS there: for a plain HTTP hook use an http:// URL)"
		case isCertError(err) && !c.insec && errors.As(err, &hnErr):
			msg += " (the hook's certificate is not valid for this host name; set allowInvalidCerts to accept a mismatched certificate)"
		case isCertError(err) && !c.insec:
			msg += " (the hook's certificate is not signed by an authority this machine trusts; set allowInvalidCerts to accept a self-signed certificate, or add its CA with SSL_CERT_FILE)"
		}
		return &HookError{Class: ErrTLS, Message: msg}
	case phaseWrite:
		return &HookError{Class: ErrProtocol, Message: fmt.Sprintf("Hook request failed: sending the request to %s: %v", t.addr, unwrapOp(err))}
	case phaseHead:
		return &HookError{Class: ErrProtocol, Message: fmt.Sprintf("Hook request failed: no valid %s response from %s: %v", cmp.Or(c.proto, ProtoHTTP11), t.addr, unwrapOp(err))}
	default:
		return &HookError{Class: ErrProtocol, Message: fmt.Sprintf("Failed to parse Hook response: error decoding response body: %v", unwrapOp(err))}
	}
}

func isCertError(err error) bool {
	var (
		verr  *tls.CertificateVerificationError
		uaErr x509.UnknownAuthorityError
		hnErr x509.HostnameError
		ciErr x509.CertificateInvalidError
	)
	return errors.As(err, &verr) || errors.As(err, &uaErr) || errors.As(err, &hnErr) || errors.As(err, &ciErr)
}

// unwrapOp drops the *net.OpError wrapper, whose text repeats addresses
// the message already names.
func unwrapOp(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}
