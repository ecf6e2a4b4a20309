package rebuild

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/hooksim/hooksim/simulator/wire"
)

// captured is one request as the rebuild reads it: the fields of
// PROTOCOL.md §1 that say something about the session, with nil for a
// null or absent value.
type captured struct {
	n     int // 1-based number, for errors and notes
	stage wire.Stage

	clientIP   string
	clientPort uint16
	ptr        *string
	helo       *string
	login      *string // context.sasl.login; nil when absent
	tls        *tlsInfo

	serverName string
	serverPort uint16
	serverIP   string

	env *envelope
	msg *message

	// action is the hook's answer to this request when Request.Response
	// held a response Stalwart would parse; "" when unknown.
	action wire.Action
}

// tlsInfo is context.tls.
type tlsInfo struct{ version, cipher string }

// envelope is the request's envelope: lower-case addresses, "" for the
// null sender.
type envelope struct {
	from string
	to   []string
}

// message is the data-stage message as Stalwart sent it.
type message struct {
	headers  []wire.Header
	contents string
	size     int64
}

// The JSON shapes decoded; pointers tell a missing or null key from an
// empty value.
type (
	jsonRequest struct {
		Context  *jsonContext  `json:"context"`
		Envelope *jsonEnvelope `json:"envelope"`
		Message  *jsonMessage  `json:"message"`
	}
	jsonContext struct {
		Stage  *string     `json:"stage"`
		Client *jsonClient `json:"client"`
		SASL   *struct {
			Login *string `json:"login"`
		} `json:"sasl"`
		TLS *struct {
			Version *string `json:"version"`
			Cipher  *string `json:"cipher"`
		} `json:"tls"`
		Server *jsonServer `json:"server"`
	}
	jsonClient struct {
		IP   *string `json:"ip"`
		Port *uint16 `json:"port"`
		PTR  *string `json:"ptr"`
		HELO *string `json:"helo"`
	}
	jsonServer struct {
		Name *string `json:"name"`
		Port *uint16 `json:"port"`
		IP   *string `json:"ip"`
	}
	jsonAddress struct {
		Address *string `json:"address"`
	}
	jsonEnvelope struct {
		From *jsonAddress  `json:"from"`
		To   []jsonAddress `json:"to"`
	}
	jsonMessage struct {
		Headers  [][]string `json:"headers"`
		Contents *string    `json:"contents"`
		Size     *int64     `json:"size"`
	}
)

// fieldError is a request that is not an MTA Hook request: its number
// (1-based), the field (a dotted JSON path, "" for the whole body) and
// what is wrong.
type fieldError struct {
	n     int
	field string
	msg   string
}

func (e *fieldError) Error() string {
	if e.field == "" {
		return fmt.Sprintf("rebuild: request %d: %s", e.n, e.msg)
	}
	return fmt.Sprintf("rebuild: request %d: %s: %s", e.n, e.field, e.msg)
}

// decode reads request n (1-based) from body; resp is the hook's answer
// when known.
func decode(n int, body, resp []byte) (*captured, error) {
	bad := func(field, format string, args ...any) error {
		return &fieldError{n: n, field: field, msg: fmt.Sprintf(format, args...)}
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, bad("", "the body is empty, not an MTA Hook request")
	}
	if !json.Valid(body) {
		return nil, bad("", "the body is not JSON")
	}
	var jr jsonRequest
	if err := json.Unmarshal(body, &jr); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			field := te.Field
			if field == "" {
				return nil, bad("", "want a JSON object, got %s", te.Value)
			}
			return nil, bad(field, "want %s, got %s", typeName(te.Type.String()), te.Value)
		}
		return nil, bad("", "%v", err)
	}
	c := &captured{n: n}
	ctx := jr.Context
	if ctx == nil {
		return nil, bad("context", "missing: not an MTA Hook request")
	}
	if ctx.Stage == nil {
		return nil, bad("context.stage", "missing")
	}
	switch st := wire.Stage(*ctx.Stage); st {
	case wire.StageConnect, wire.StageEhlo, wire.StageMail, wire.StageRcpt, wire.StageData:
		c.stage = st
	case wire.StageAuth:
		return nil, bad("context.stage", "%q: Stalwart never calls a hook at the auth stage", *ctx.Stage)
	default:
		return nil, bad("context.stage", "%q is not a stage (connect, ehlo, mail, rcpt, data)", *ctx.Stage)
	}
	cl := ctx.Client
	switch {
	case cl == nil:
		return nil, bad("context.client", "missing")
	case cl.IP == nil:
		return nil, bad("context.client.ip", "missing")
	case cl.Port == nil:
		return nil, bad("context.client.port", "missing")
	}
	c.clientIP, c.clientPort, c.ptr, c.helo = *cl.IP, *cl.Port, cl.PTR, cl.HELO
	if _, err := netip.ParseAddr(c.clientIP); err != nil {
		return nil, bad("context.client.ip", "%q is not an IP address", c.clientIP)
	}
	if ctx.SASL != nil {
		if ctx.SASL.Login == nil {
			return nil, bad("context.sasl.login", "missing")
		}
		c.login = ctx.SASL.Login
	}
	if t := ctx.TLS; t != nil {
		if t.Version == nil {
			return nil, bad("context.tls.version", "missing")
		}
		if t.Cipher == nil {
			return nil, bad("context.tls.cipher", "missing")
		}
		c.tls = &tlsInfo{version: *t.Version, cipher: *t.Cipher}
	}
	sv := ctx.Server
	switch {
	case sv == nil:
		return nil, bad("context.server", "missing")
	case sv.IP == nil:
		return nil, bad("context.server.ip", "missing")
	case sv.Port == nil:
		return nil, bad("context.server.port", "missing")
	case sv.Name == nil:
		return nil, bad("context.server.name", "missing")
	}
	c.serverName, c.serverPort, c.serverIP = *sv.Name, *sv.Port, *sv.IP
	if _, err := netip.ParseAddr(c.serverIP); err != nil {
		return nil, bad("context.server.ip", "%q is not an IP address", c.serverIP)
	}
	if e := jr.Envelope; e != nil {
		if e.From == nil || e.From.Address == nil {
			return nil, bad("envelope.from.address", "missing")
		}
		c.env = &envelope{from: *e.From.Address, to: make([]string, 0, len(e.To))}
		for i, a := range e.To {
			if a.Address == nil {
				return nil, bad(fmt.Sprintf("envelope.to[%d].address", i), "missing")
			}
			c.env.to = append(c.env.to, *a.Address)
		}
	}
	switch c.stage {
	case wire.StageMail, wire.StageData:
		if c.env == nil {
			return nil, bad("envelope", "missing at the %s stage", c.stage)
		}
	case wire.StageRcpt:
		if c.env == nil {
			return nil, bad("envelope", "missing at the rcpt stage")
		}
		if len(c.env.to) == 0 {
			return nil, bad("envelope.to", "empty at the rcpt stage (the recipient is its last element)")
		}
	}
	if m := jr.Message; m != nil {
		c.msg = &message{}
		for i, h := range m.Headers {
			if len(h) != 2 {
				return nil, bad(fmt.Sprintf("message.headers[%d]", i), "want [name, value], got %d strings", len(h))
			}
			c.msg.headers = append(c.msg.headers, wire.Header{Name: h[0], Value: h[1]})
		}
		switch {
		case m.Contents == nil:
			return nil, bad("message.contents", "missing")
		case m.Size == nil:
			return nil, bad("message.size", "missing")
		case *m.Size < 0:
			return nil, bad("message.size", "%d is negative", *m.Size)
		}
		c.msg.contents, c.msg.size = *m.Contents, *m.Size
	}
	if c.stage == wire.StageData && c.msg == nil {
		return nil, bad("message", "missing at the data stage")
	}
	if len(resp) > 0 {
		if r, err := wire.ParseResponse(resp); err == nil {
			c.action = r.Action
		}
	}
	return c, nil
}

// typeName says a Go type the way a JSON author reads it.
func typeName(goType string) string {
	switch goType {
	case "string":
		return "a string"
	case "uint16":
		return "a number 0..65535"
	case "int64":
		return "an integer"
	case "[]string":
		return "a list of strings"
	case "[][]string":
		return "a list of [name, value] pairs"
	}
	if strings.HasPrefix(goType, "[]") {
		return "a list"
	}
	return "a JSON object"
}
