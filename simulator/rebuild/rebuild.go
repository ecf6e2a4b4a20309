package rebuild

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator/wire"
)

// Request is one MTA Hook request as `hooksim proxy` received it from
// Stalwart, with what the hook answered when that is known.
type Request struct {
	// Body is the request body, byte for byte (PROTOCOL.md §1).
	Body []byte
	// Response is the hook's answer body, nil when unknown. Only its
	// action is read (as Stalwart parses it, wire.ParseResponse; an
	// answer Stalwart could not parse counts as unknown), to tell a
	// recipient the hook refused from one Stalwart refused after an
	// accepting hook (relaying).
	Response []byte
}

// Result is the rebuilt session and how it maps back to the requests.
type Result struct {
	// Session is normalised and ready to play (simulator.Play) and to
	// marshal (sessions.Marshal, MarshalWith): every step written out
	// (imply: false), from a connect to a quit, messages inline.
	Session *sessions.Session
	// StepOf maps each request to the step that makes it:
	// Session.Steps[StepOf[i]] sends request i. Every request has one
	// (there is no -1 today: a request is never dropped), but a caller
	// should treat a negative value as "no step".
	StepOf []int
	// Notes say what was guessed or approximated, one sentence each,
	// for a person: the HELO/EHLO verb, a placeholder password, steps
	// rebuilt for stages that were not captured, local domains, and
	// whatever makes the result Approximate.
	Notes []string
	// Approximate is set when the replay will likely not send the very
	// same requests (queue ids aside), or the message could not be
	// rebuilt byte for byte (invalid UTF-8 that Stalwart replaced, bytes
	// it did not pass on): Notes says why.
	Approximate bool
}

// PlaceholderPassword is the password of a rebuilt AUTH step: Stalwart
// never sends the password to a hook, and the simulator accepts any.
const PlaceholderPassword = "hooksim-placeholder"

// Session rebuilds, from the requests a real Stalwart sent for one SMTP
// connection (in arrival order, for whatever stages the hook is
// configured for), a session script named name that the simulator plays
// into the same requests, the queue id aside. See the package doc for
// what is guessed.
//
// An error names the request (1-based) and the field: a body that is not
// JSON or not an MTA Hook request (no context, a stage Stalwart never
// calls, a data request without its message), or no request at all.
func Session(name string, reqs []Request) (*Result, error) {
	if len(reqs) == 0 {
		return nil, errors.New("rebuild: no request to rebuild a session from")
	}
	caps := make([]*captured, len(reqs))
	for i, r := range reqs {
		c, err := decode(i+1, r.Body, r.Response)
		if err != nil {
			return nil, err
		}
		caps[i] = c
	}
	b := newBuilder(name, caps)
	b.run()
	return b.result(), nil
}

// result assembles the Result once run is done.
func (b *builder) result() *Result {
	first := b.reqs[0]
	b.sess.Description = cleanText(fmt.Sprintf("Rebuilt by hooksim from %d hook request%s that %s sent for one connection from %s port %d.",
		len(b.reqs), plural(len(b.reqs)), first.serverName, first.clientIP, first.clientPort))
	b.sess.Steps = b.steps
	return &Result{Session: b.sess, StepOf: b.stepOf, Notes: b.notes, Approximate: b.approx}
}

// cleanText drops control characters from one line of text.
func cleanText(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// refused reports an action known not to be accept.
func refused(a wire.Action) bool { return a != "" && a != wire.ActionAccept }
