package rebuild

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/hooksim/hooksim/simulator/modify"
	"github.com/hooksim/hooksim/simulator/wire"
)

// rebuiltMessage is a data request's message turned back into bytes.
type rebuiltMessage struct {
	// raw is the message as Stalwart kept it (dot-unstuffed, without the
	// CRLF before the final dot): what modify.Split gets and len(raw)
	// is message.size.
	raw []byte
	// exact: raw is the very message Stalwart received.
	exact bool
	// notes say, one sentence each, why it is not.
	notes []string
}

// Replacement byte sequences: each is one U+FFFD when read as Rust's
// String::from_utf8_lossy reads it (wire.LossyString), whatever follows
// that is not a UTF-8 continuation byte (and nothing rebuilt here puts
// one right after them): one byte that never starts UTF-8, a 3-byte
// sequence cut after two bytes, and U+FFFD itself.
var replacements = [4]string{1: "\xff", 2: "\xe0\xa0", 3: "\ufffd"}

// rebuildMessage rebuilds the message of data request n from its headers
// (name + ":" + value, the value with its leading space and line end),
// the blank line, and contents, so that the simulator, splitting it as
// Stalwart does (modify.Split) and counting its bytes, sends the same
// headers, contents and size.
//
// The blank line between headers and body is not in the request: it is
// CRLF, LF or none (a message without one has an empty body), whichever
// gives message.size. Stalwart replaced invalid UTF-8 with U+FFFD: the
// original bytes are lost, so each U+FFFD becomes 1 to 3 invalid bytes
// that read back as one U+FFFD, chosen to give message.size when that is
// possible; the message is then not exact. Bytes Stalwart did not pass
// on (a header line without a colon, spaces before a header name) are
// lost too: the size then does not match, and the note says by how much.
func rebuildMessage(n int, m *message) rebuiltMessage {
	var known int64 // bytes of the headers and contents that are not U+FFFD
	fffd := 0
	count := func(s string) {
		c := strings.Count(s, "\uFFFD")
		fffd += c
		known += int64(len(s) - c*len("\uFFFD"))
	}
	for _, h := range m.headers {
		count(h.Name)
		known++ // the colon
		count(h.Value)
	}
	count(m.contents)

	// The blank line: the first separator whose size fits. A message
	// whose last header has no line end cannot have had one.
	lastEnds := len(m.headers) == 0 || strings.HasSuffix(m.headers[len(m.headers)-1].Value, "\n")
	seps := []string{"\r\n", "\n"}
	if m.contents == "" || !lastEnds {
		seps = append(seps, "")
	}
	if !lastEnds {
		seps = []string{""}
	}
	sep, extra := seps[0], int64(0)
	for _, s := range seps {
		e := m.size - known - int64(len(s)) - int64(fffd)
		if e >= 0 && e <= 2*int64(fffd) {
			sep, extra = s, e
			break
		}
	}
	// When none fits, sep stays the first (CRLF, or none after a last
	// header without a line end) and each U+FFFD is one byte.

	// widths[i] is the byte count of the i-th U+FFFD: 1, plus the extra
	// spread from the first on, 2 at most each.
	widths := make([]int, fffd)
	for i := range widths {
		add := min(extra, 2)
		widths[i] = 1 + int(add)
		extra -= add
	}
	var b strings.Builder
	b.Grow(int(known) + 3*fffd + 2)
	next := 0
	write := func(s string) {
		for {
			i := strings.Index(s, "\uFFFD")
			if i < 0 {
				b.WriteString(s)
				return
			}
			b.WriteString(s[:i])
			b.WriteString(replacements[widths[next]])
			next++
			s = s[i+len("\uFFFD"):]
		}
	}
	for _, h := range m.headers {
		write(h.Name)
		b.WriteByte(':')
		write(h.Value)
	}
	b.WriteString(sep)
	write(m.contents)
	raw := []byte(b.String())

	out := rebuiltMessage{raw: raw, exact: fffd == 0 && int64(len(raw)) == m.size}
	if fffd > 0 {
		how := "invalid bytes of the same count stand in for them, so the replayed request is the same"
		if int64(len(raw)) != m.size {
			how = "invalid bytes stand in for them"
		}
		out.notes = append(out.notes, fmt.Sprintf("The message of request %d has %d replacement character%s (U+FFFD) where Stalwart replaced invalid UTF-8: the original bytes are lost, and %s.",
			n, fffd, plural(fffd), how))
	}
	if int64(len(raw)) != m.size {
		out.notes = append(out.notes, fmt.Sprintf("The message of request %d is rebuilt with %d bytes, but Stalwart's message.size is %d: bytes Stalwart does not pass to a hook (a header line without a colon, spaces before a header name) are lost.",
			n, len(raw), m.size))
	}
	// The simulator must split it back into what Stalwart sent.
	sp := modify.Split(raw)
	if !sameHeaders(sp.WireHeaders(), m.headers) || sp.WireContents() != m.contents {
		out.exact = false
		out.notes = append(out.notes, fmt.Sprintf("The message of request %d does not split back into the headers and contents Stalwart sent (a header value without its line end, or a body that reads as headers): the replayed request will differ.", n))
	} else if !sp.Parsable() {
		out.exact = false
		out.notes = append(out.notes, fmt.Sprintf("The message of request %d has no header the simulator knows (From, Subject, Date...): the simulator refuses it before the data hook.", n))
	}
	return out
}

// sameHeaders compares header lists.
func sameHeaders(a, b []wire.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// plural is "s" unless n is 1.
func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// wireSize is the size of a data step's message on the wire, as the
// simulator checks it against maxMessageSize (simulator/commands.go
// wireSize): its bytes, one more per line starting with a dot, and the
// terminating ".\r\n".
func wireSize(raw []byte) int64 {
	n := int64(len(raw)) + 3
	if len(raw) > 0 && raw[0] == '.' {
		n++
	}
	n += int64(bytes.Count(raw, []byte("\n.")))
	return n
}

// receivedCount counts the message's top-level Received headers as the
// simulator's loop check does.
func receivedCount(headers []wire.Header) int {
	c := 0
	for _, h := range headers {
		if strings.EqualFold(h.Name, "Received") {
			c++
		}
	}
	return c
}

// Message rebuilds the message a data-stage request describes from its
// message.headers, message.contents and message.size, as the session
// script does (see rebuildMessage): the blank line CRLF, LF or none,
// whichever gives size. exact reports the very bytes Stalwart received;
// it is false when contents held U+FFFD (invalid UTF-8 Stalwart replaced,
// here by bytes that read back the same) or bytes Stalwart did not pass
// on make size unreachable.
func Message(headers []wire.Header, contents string, size int64) (raw []byte, exact bool) {
	m := rebuildMessage(0, &message{headers: headers, contents: contents, size: size})
	return m.raw, m.exact
}
