// Package wire holds the MTA Hooks wire format as Stalwart v0.16.18 speaks
// it: the request it builds, the response it parses, the modification
// types. This is the protocol seam: a second profile (the IETF draft)
// would be a sibling package.
package wire

import (
	"strconv"
	"unicode/utf8"
)

// Stage is an SMTP stage at which Stalwart can call a hook. The values are
// the lower-case spellings Stalwart sends in context.stage.
type Stage string

// The stages Stalwart knows. StageAuth is accepted in configurations but no
// code path in Stalwart calls a hook there.
const (
	StageConnect Stage = "connect"
	StageEhlo    Stage = "ehlo"
	StageAuth    Stage = "auth"
	StageMail    Stage = "mail"
	StageRcpt    Stage = "rcpt"
	StageData    Stage = "data"
)

// AllStages lists the stages in SMTP order.
var AllStages = []Stage{StageConnect, StageEhlo, StageAuth, StageMail, StageRcpt, StageData}

// Valid reports whether s is one of Stalwart's stage names.
func (s Stage) Valid() bool {
	for _, v := range AllStages {
		if v == s {
			return true
		}
	}
	return false
}

// ServerName is the value Stalwart v0.16.18 always sends in
// context.server.name (its daemon name, never the host name).
const ServerName = "Stalwart v0.16.18"

// Request is the body Stalwart POSTs to a hook. Field order and optionality
// follow Stalwart's serde structs: nil pointers are left out of the JSON.
type Request struct {
	Context  Context
	Envelope *Envelope // nil until MAIL FROM succeeded
	Message  *Message  // data stage only
}

// Context describes the stage, the client, the server and the connection.
type Context struct {
	Stage    Stage
	Client   ClientInfo
	SASL     *SASL    // nil unless the client authenticated
	TLS      *TLSInfo // nil on plain TCP
	Server   ServerInfo
	Queue    *Queue // data stage only
	Protocol Protocol
}

// ClientInfo is context.client. PTR and HELO are sent as null when nil.
type ClientInfo struct {
	IP                string
	Port              uint16
	PTR               *string
	HELO              *string
	ActiveConnections uint32
}

// SASL is context.sasl; Stalwart never sends the method.
type SASL struct {
	Login string
}

// TLSInfo is context.tls; cipherBits, certIssuer and certSubject are never sent.
type TLSInfo struct {
	Version string
	Cipher  string
}

// ServerInfo is context.server.
type ServerInfo struct {
	Name string
	Port uint16
	IP   string
}

// Queue is context.queue: the queue id in lower-case hex without padding.
type Queue struct {
	ID string
}

// Protocol is context.protocol; Stalwart always sends version 1.
type Protocol struct {
	Version uint32
}

// Envelope is the request's envelope: lower-cased addresses, no parameters.
type Envelope struct {
	From Address
	To   []Address
}

// Address is one envelope address as Stalwart sends it.
type Address struct {
	Address string
}

// Message is the data-stage message: raw top-level headers, raw body, size.
// Contents is the body's raw bytes, not transfer-decoded: Encode writes
// them as Stalwart does, through String::from_utf8_lossy (every maximal
// invalid UTF-8 subpart becomes U+FFFD), without copying them first.
type Message struct {
	Headers  []Header
	Contents []byte
	Size     int
}

// Header is one raw header: the name before the colon and the value after
// it, leading space and trailing CRLF included.
type Header struct {
	Name  string
	Value string
}

// Encode returns the request body exactly as Stalwart's serde_json writes it:
// compact, keys in Stalwart's order, strings escaped the serde_json way
// (no HTML escaping, U+2028/U+2029 left as they are).
func (r *Request) Encode() []byte {
	b := make([]byte, 0, r.sizeHint())
	b = append(b, `{"context":{"stage":`...)
	b = appendJSONString(b, string(r.Context.Stage))
	c := r.Context.Client
	b = append(b, `,"client":{"ip":`...)
	b = appendJSONString(b, c.IP)
	b = append(b, `,"port":`...)
	b = strconv.AppendUint(b, uint64(c.Port), 10)
	b = append(b, `,"ptr":`...)
	b = appendOptString(b, c.PTR)
	b = append(b, `,"helo":`...)
	b = appendOptString(b, c.HELO)
	b = append(b, `,"activeConnections":`...)
	b = strconv.AppendUint(b, uint64(c.ActiveConnections), 10)
	b = append(b, '}')
	if s := r.Context.SASL; s != nil {
		b = append(b, `,"sasl":{"login":`...)
		b = appendJSONString(b, s.Login)
		b = append(b, '}')
	}
	if t := r.Context.TLS; t != nil {
		b = append(b, `,"tls":{"version":`...)
		b = appendJSONString(b, t.Version)
		b = append(b, `,"cipher":`...)
		b = appendJSONString(b, t.Cipher)
		b = append(b, '}')
	}
	s := r.Context.Server
	b = append(b, `,"server":{"name":`...)
	b = appendJSONString(b, s.Name)
	b = append(b, `,"port":`...)
	b = strconv.AppendUint(b, uint64(s.Port), 10)
	b = append(b, `,"ip":`...)
	b = appendJSONString(b, s.IP)
	b = append(b, '}')
	if q := r.Context.Queue; q != nil {
		b = append(b, `,"queue":{"id":`...)
		b = appendJSONString(b, q.ID)
		b = append(b, '}')
	}
	b = append(b, `,"protocol":{"version":`...)
	b = strconv.AppendUint(b, uint64(r.Context.Protocol.Version), 10)
	b = append(b, `}}`...)
	if e := r.Envelope; e != nil {
		b = append(b, `,"envelope":{"from":{"address":`...)
		b = appendJSONString(b, e.From.Address)
		b = append(b, `},"to":[`...)
		for i, to := range e.To {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"address":`...)
			b = appendJSONString(b, to.Address)
			b = append(b, '}')
		}
		b = append(b, `]}`...)
	}
	if m := r.Message; m != nil {
		b = append(b, `,"message":{"headers":[`...)
		for i, h := range m.Headers {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '[')
			b = appendJSONString(b, h.Name)
			b = append(b, ',')
			b = appendJSONString(b, h.Value)
			b = append(b, ']')
		}
		b = append(b, `],"contents":`...)
		b = appendJSONLossy(b, m.Contents)
		b = append(b, `,"size":`...)
		b = strconv.AppendInt(b, int64(m.Size), 10)
		b = append(b, '}')
	}
	return append(b, '}')
}

// sizeHint is at least the size of the encoded request, so that its
// body is allocated once (a message body is copied once): the JSON
// string of the message body exactly, every other string at worst
// escaped six bytes for one, and room for the keys and numbers.
func (r *Request) sizeHint() int {
	n := 512
	str := func(ss ...string) {
		for _, s := range ss {
			n += 6*len(s) + 8
		}
	}
	c := r.Context
	str(string(c.Stage), c.Client.IP, c.Server.Name, c.Server.IP)
	if c.Client.PTR != nil {
		str(*c.Client.PTR)
	}
	if c.Client.HELO != nil {
		str(*c.Client.HELO)
	}
	if c.SASL != nil {
		str(c.SASL.Login)
	}
	if c.TLS != nil {
		str(c.TLS.Version, c.TLS.Cipher)
	}
	if c.Queue != nil {
		str(c.Queue.ID)
	}
	if e := r.Envelope; e != nil {
		str(e.From.Address)
		for _, to := range e.To {
			str(to.Address)
			n += len(`{"address":},`)
		}
	}
	if m := r.Message; m != nil {
		n += jsonLossyLen(m.Contents) + 64
		for _, h := range m.Headers {
			str(h.Name, h.Value)
		}
	}
	return n
}

func appendOptString(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return appendJSONString(b, *s)
}

const hexDigits = "0123456789abcdef"

// appendJSONString writes s as serde_json does. s must be valid UTF-8 (use
// LossyString on raw bytes first); any invalid byte is written as U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, s[start:i]...)
				b = append(b, "\uFFFD"...)
				i++
				start = i
				continue
			}
			i += size
			continue
		}
		var esc string
		switch c {
		case '"':
			esc = `\"`
		case '\\':
			esc = `\\`
		case '\b':
			esc = `\b`
		case '\f':
			esc = `\f`
		case '\n':
			esc = `\n`
		case '\r':
			esc = `\r`
		case '\t':
			esc = `\t`
		default:
			if c >= 0x20 {
				i++
				continue
			}
		}
		b = append(b, s[start:i]...)
		if esc != "" {
			b = append(b, esc...)
		} else {
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// LossyString converts raw bytes to a string the way Rust's
// String::from_utf8_lossy does: every maximal invalid subpart becomes one
// U+FFFD (so a truncated 3-byte sequence is one replacement, not two).
func LossyString(p []byte) string {
	if utf8.Valid(p) {
		return string(p)
	}
	out := make([]byte, 0, len(p)+8)
	for i := 0; i < len(p); {
		if p[i] < utf8.RuneSelf {
			out = append(out, p[i])
			i++
			continue
		}
		r, size := utf8.DecodeRune(p[i:])
		if r != utf8.RuneError || size > 1 {
			out = append(out, p[i:i+size]...)
			i += size
			continue
		}
		out = append(out, "\uFFFD"...)
		i += maximalInvalidPrefix(p[i:])
	}
	return string(out)
}

// maximalInvalidPrefix returns the length of the maximal subpart of an
// ill-formed sequence at the start of p (Unicode §3.9, "U+FFFD substitution
// of maximal subparts"), which is at least 1.
func maximalInvalidPrefix(p []byte) int {
	c := p[0]
	var need int
	lo, hi := byte(0x80), byte(0xBF)
	switch {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c == 0xE0:
		need, lo = 2, 0xA0
	case c >= 0xE1 && c <= 0xEC, c == 0xEE, c == 0xEF:
		need = 2
	case c == 0xED:
		need, hi = 2, 0x9F
	case c == 0xF0:
		need, lo = 3, 0x90
	case c >= 0xF1 && c <= 0xF3:
		need = 3
	case c == 0xF4:
		need, hi = 3, 0x8F
	default:
		return 1
	}
	n := 1
	for k := 0; k < need && n < len(p); k++ {
		b := p[n]
		if k == 0 {
			if b < lo || b > hi {
				return n
			}
		} else if b < 0x80 || b > 0xBF {
			return n
		}
		n++
	}
	return n
}
