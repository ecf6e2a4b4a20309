package report

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/hooksim/hooksim/store/jsonesc"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookconf"
)

// spliceMin is the size from which a Writer writes a body itself, in
// pieces, instead of handing a copy of it to encoding/json: bytes, 64 KiB.
const spliceMin = 64 << 10

// spliceChunk is how much of a large text body a Writer escapes at once:
// bytes, 64 KiB (cut at a rune boundary).
const spliceChunk = 64 << 10

// Writer writes the document of `hooksim run --json` one session at a
// time, as each play ends, instead of building the whole Report and
// marshalling it: the bytes written are exactly those of
// json.MarshalIndent(Live(hooks, results), "", "  ") and a final newline,
// but no more than one session is held at once, and a request, response
// or message of spliceMin bytes or more is written from the simulator's
// own bytes, escaped in 64 KiB pieces, never copied whole into a string or
// an output buffer. Sessions are written in the order Session is called.
//
// Errors are the underlying writer's (wrapped "report: write"); after
// one, every later call returns it again. A Writer is not safe for
// concurrent use.
type Writer struct {
	w     *bufio.Writer
	rep   *Report // the document without its sessions; Summary counts them
	n     int     // sessions written
	nonce string
	buf   []byte // a piece of a large string, escaped
	err   error
}

// NewWriter starts the document of sessions played against hooks on w:
// it writes everything before the first session (version, generator, the
// hooks with their secrets redacted, their config lints). An error is a
// hook setting that does not encode as JSON, or w's.
func NewWriter(w io.Writer, hooks []*hookconf.Hook) (*Writer, error) {
	rep, err := Live(hooks, nil)
	if err != nil {
		return nil, err
	}
	head, _, err := split(rep)
	if err != nil {
		return nil, err
	}
	var nonce [12]byte
	_, _ = rand.Read(nonce[:]) // never fails (crypto/rand)
	wr := &Writer{w: bufio.NewWriterSize(w, 64<<10), rep: rep, nonce: hex.EncodeToString(nonce[:])}
	wr.write(head)
	return wr, wr.err
}

// split marshals rep, whose sessions list is empty, and cuts it after
// the list's '[' and before its ']'.
func split(rep *Report) (head, tail []byte, err error) {
	doc, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return nil, nil, fmt.Errorf("report: %w", err)
	}
	// The top-level keys are the only ones indented by exactly two
	// spaces, and "sessions" is followed only by the summary.
	mark := []byte("\n  \"sessions\": []")
	i := bytes.LastIndex(doc, mark)
	if i < 0 {
		return nil, nil, fmt.Errorf("report: no sessions list in %q", doc)
	}
	return doc[:i+len(mark)-1], doc[i+len(mark)-1:], nil
}

// Session writes one played session (LiveSession's document of r) and
// counts it in the summary. The Writer keeps nothing of r.
func (w *Writer) Session(r *simulator.SessionResult) error {
	if w.err != nil {
		return w.err
	}
	var sp splicer
	sp.prefix = "\x00hooksim-body-" + w.nonce + "-"
	s := liveSession(r, sp.bytes)
	sp.strings(&s)
	w.count(&s)
	doc, err := json.MarshalIndent(s, "    ", "  ")
	if err != nil {
		return fmt.Errorf("report: session %s: %w", r.Name, err)
	}
	if !sp.check(doc) {
		// A string of the session holds a placeholder: write it the slow
		// way, every body copied.
		s = LiveSession(r)
		if doc, err = json.MarshalIndent(s, "    ", "  "); err != nil {
			return fmt.Errorf("report: session %s: %w", r.Name, err)
		}
		sp = splicer{}
	}
	if w.n > 0 {
		w.write([]byte(","))
	}
	w.n++
	w.write([]byte("\n    "))
	sp.writeTo(w, doc)
	return w.err
}

// Close ends the document (the sessions list, the summary, a final
// newline) and flushes it. It does not close the underlying writer.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	if w.n > 0 {
		w.write([]byte("\n  "))
	}
	_, tail, err := split(w.rep)
	if err != nil {
		w.err = err
		return err
	}
	w.write(tail)
	w.write([]byte("\n"))
	if w.err == nil {
		if err := w.w.Flush(); err != nil {
			w.err = fmt.Errorf("report: write: %w", err)
		}
	}
	return w.err
}

// count counts s in the summary, as Report.Add does.
func (w *Writer) count(s *Session) {
	w.rep.Add(Session{Passed: s.Passed, Steps: s.Steps, Unstepped: s.Unstepped})
	w.rep.Sessions = []Session{}
}

func (w *Writer) write(b []byte) {
	if w.err != nil {
		return
	}
	if _, err := w.w.Write(b); err != nil {
		w.err = fmt.Errorf("report: write: %w", err)
	}
}

// splicer stands in for the large strings of a session while it is
// marshalled: each is replaced by a placeholder string, unique to the
// Writer, and written in its place afterwards.
type splicer struct {
	prefix string
	items  []spliced
}

// spliced is one large string: raw bytes written as JSON text or as
// base64, or a Go string written as JSON text.
type spliced struct {
	raw    []byte
	str    string
	base64 bool
}

// bytes is the bytesFunc of a Writer's session: NewBytes for small b, a
// placeholder for large b.
func (sp *splicer) bytes(b []byte) Bytes {
	if len(b) < spliceMin {
		return NewBytes(b)
	}
	p := sp.add(spliced{raw: b, base64: !utf8.Valid(b)})
	if sp.items[len(sp.items)-1].base64 {
		return Bytes{Base64: &p}
	}
	return Bytes{Text: &p}
}

// strings replaces the large strings of s that are not bytes (a
// replaceContents value) by placeholders.
func (sp *splicer) strings(s *Session) {
	for i := range s.Steps {
		sp.exchanges(s.Steps[i].Exchanges)
	}
	sp.exchanges(s.Unstepped)
}

// exchanges replaces the large strings of exs that are not bytes (a
// replaceContents value) by placeholders.
func (sp *splicer) exchanges(exs []Exchange) {
	for i := range exs {
		if p := exs[i].Parsed; p != nil {
			for j := range p.Modifications {
				if v := p.Modifications[j].Value; len(v) >= spliceMin {
					p.Modifications[j].Value = sp.add(spliced{str: v})
				}
			}
		}
	}
}

func (sp *splicer) add(it spliced) string {
	sp.items = append(sp.items, it)
	return sp.prefix + strconv.Itoa(len(sp.items)-1)
}

// marker is how a placeholder starts in the marshalled document.
func (sp *splicer) marker() []byte {
	m, _ := json.Marshal(sp.prefix)
	return m[:len(m)-1]
}

// check reports whether doc holds each placeholder exactly once, in the
// order they were made, and nothing else that looks like one.
func (sp *splicer) check(doc []byte) bool {
	if len(sp.items) == 0 {
		return true
	}
	m := sp.marker()
	if bytes.Count(doc, m) != len(sp.items) {
		return false
	}
	next := 0
	for rest := doc; ; {
		i := bytes.Index(rest, m)
		if i < 0 {
			return next == len(sp.items)
		}
		rest = rest[i+len(m):]
		n, end, ok := placeholderIndex(rest)
		if !ok || n != next {
			return false
		}
		next++
		rest = rest[end:]
	}
}

// placeholderIndex reads the digits and closing quote after a marker.
func placeholderIndex(b []byte) (n, end int, ok bool) {
	j := 0
	for j < len(b) && b[j] >= '0' && b[j] <= '9' {
		j++
	}
	if j == 0 || j >= len(b) || b[j] != '"' {
		return 0, 0, false
	}
	n, err := strconv.Atoi(string(b[:j]))
	return n, j + 1, err == nil
}

// writeTo writes doc to w with every placeholder replaced by its string.
func (sp *splicer) writeTo(w *Writer, doc []byte) {
	if len(sp.items) == 0 {
		w.write(doc)
		return
	}
	m := sp.marker()
	for _, it := range sp.items {
		i := bytes.Index(doc, m)
		w.write(doc[:i+1]) // through the opening quote
		doc = doc[i+len(m):]
		_, end, _ := placeholderIndex(doc)
		doc = doc[end-1:] // from the closing quote
		it.writeTo(w)
	}
	w.write(doc)
}

// writeTo writes the string's JSON text, without its quotes, as
// encoding/json would write it.
func (it spliced) writeTo(w *Writer) {
	switch {
	case it.base64:
		enc := base64.NewEncoder(base64.StdEncoding, writerFunc(func(p []byte) (int, error) {
			w.write(p)
			return len(p), w.err
		}))
		_, _ = enc.Write(it.raw)
		_ = enc.Close()
	case it.raw != nil:
		for b := it.raw; len(b) > 0; {
			n := runeCut(b, spliceChunk)
			w.writeEscaped(b[:n])
			b = b[n:]
		}
	default:
		for s := it.str; len(s) > 0; {
			n := runeCutString(s, spliceChunk)
			w.writeEscaped([]byte(s[:n]))
			s = s[n:]
		}
	}
}

// writeEscaped writes s escaped by encoding/json, without the quotes,
// through the Writer's reused buffer.
func (w *Writer) writeEscaped(s []byte) {
	w.buf = appendEscaped(w.buf[:0], s)
	w.write(w.buf)
}

// appendEscaped appends the inside of encoding/json's string for s
// (jsonesc.Append).
func appendEscaped(b, s []byte) []byte { return jsonesc.Append(b, s) }

// runeCut is the length of b's first piece of at most n bytes that ends
// at a rune boundary (b is valid UTF-8), or len(b) when b is shorter.
func runeCut(b []byte, n int) int {
	if len(b) <= n {
		return len(b)
	}
	for n > 0 && !utf8.RuneStart(b[n]) {
		n--
	}
	return n
}

// runeCutString is runeCut for a string.
func runeCutString(s string, n int) int {
	if len(s) <= n {
		return len(s)
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return n
}

// writerFunc adapts a function to io.Writer.
type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
