package modify

import "github.com/hooksim/hooksim/simulator/wire"

// Message is a received message split the way Stalwart's parser sees it.
// Headers, HeaderBlock and Body are slices of Raw: do not modify Raw after
// Split.
type Message struct {
	Raw         []byte      // the message as received (dot-unstuffed, without the CRLF before the final dot)
	Headers     []RawHeader // top-level headers, in order, duplicates kept
	HeaderBlock []byte      // Raw[:bodyOffset]: headers plus the blank line
	Body        []byte      // Raw[bodyOffset:]
}

// RawHeader is one top-level header as Stalwart hands it to a hook: Name is
// every byte from the start of the field to the colon (whitespace before
// the colon included), Value every byte after the colon up to and
// including the line end, with folded lines kept.
type RawHeader struct{ Name, Value []byte }

// Split splits raw into its top-level headers and body exactly as
// mail-parser and mail-auth do for Stalwart's hook request. It never fails:
// a message Stalwart would refuse still splits (see Parsable).
//
// Quirks kept on purpose because Stalwart has them: a line without a colon
// in the header block is skipped (it is neither a header nor the end of the
// block); a line holding only whitespace ends the block; LF-only line ends
// work like CRLF; with no blank line the whole message is headers and the
// body is empty; when the last line has no colon and no line end, it still
// counts as a header with an empty value whose name lacks its last byte.
func Split(raw []byte) *Message {
	s := scan(raw)
	m := &Message{
		Raw:         raw,
		HeaderBlock: raw[:s.bodyOffset:s.bodyOffset],
		Body:        raw[s.bodyOffset:],
	}
	if len(s.headers) > 0 {
		m.Headers = make([]RawHeader, len(s.headers))
		for i, h := range s.headers {
			m.Headers[i] = RawHeader{
				Name:  raw[h.field : h.start-1 : h.start-1],
				Value: raw[h.start:h.end:h.end],
			}
		}
	}
	return m
}

// Parsable reports whether Stalwart accepts the message at DATA: it must
// parse, and at least one top-level header must have a name mail-parser
// knows (From, Subject, Date, Content-Type, ...; the name is matched with
// whitespace removed and case ignored). Otherwise the client gets
// "550 5.7.7 Failed to parse message." and no data-stage hook is called.
func (m *Message) Parsable() bool {
	if m == nil {
		return false
	}
	s := scan(m.Raw)
	if !s.parsed {
		return false
	}
	for _, h := range s.headers {
		if h.kind != kindOther {
			return true
		}
	}
	return false
}

// WireHeaders returns the headers as the hook request's message.headers:
// names and values converted with invalid UTF-8 replaced by U+FFFD.
func (m *Message) WireHeaders() []wire.Header {
	if m == nil {
		return nil
	}
	out := make([]wire.Header, len(m.Headers))
	for i, h := range m.Headers {
		out[i] = wire.Header{Name: wire.LossyString(h.Name), Value: wire.LossyString(h.Value)}
	}
	return out
}

// WireContents returns the body as the hook request's message.contents:
// the raw body, not transfer-decoded, with invalid UTF-8 replaced by U+FFFD.
func (m *Message) WireContents() string {
	if m == nil {
		return ""
	}
	return wire.LossyString(m.Body)
}
