package export

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/hooksim/hooksim/simulator/hookclient"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/store"
)

// NotePrefix starts every line Raw adds to the wire bytes. No line of an
// HTTP head can start with it: a request line starts with a method, a
// status line with "HTTP/", a header line with a token, which holds no
// space.
const NotePrefix = "# hooksim: "

// Raw writes exchange ex of run runID as it was on the wire: the request
// head as written and the request body, a blank line, then the response
// head as received (interim 1xx heads first) and the response body. Heads
// and bodies are the recorded bytes, line endings included.
//
// Lines hooksim adds start with NotePrefix and never fall inside a head:
// a first line naming the exchange, then, before the head they concern,
// whatever is not as it was on the wire: heads of an HTTP/2 exchange,
// which are renderings of the HEADERS frames (hookclient.IsH2Head), not
// bytes; credentials hidden, a chunked
// body shown de-chunked, redirect hops not kept, a body cut at
// maxResponseSize+1 bytes or not read, no answer at all (with the error's
// class and message), or an exchange recorded before hooksim kept heads
// (its headers are then listed as parsed, in notes, never rebuilt into a
// head). A body that does not end in a line break is followed by one and
// a note saying so. Recorded values inside notes go through OneLine.
func Raw(w io.Writer, runID int64, ex *store.Exchange) error {
	out := &rawWriter{w: w}
	out.note("run #%d, exchange %d: %s stage, hook %s, POST %s", runID, ex.Seq, OneLine(ex.Stage), OneLine(ex.HookID), OneLine(ex.URL))
	if ex.Wire == nil {
		rawWithoutHeads(out, ex)
	} else {
		rawWithHeads(out, runID, ex, ex.Wire)
	}
	return out.err
}

func rawWithHeads(out *rawWriter, runID int64, ex *store.Exchange, w *store.Wire) {
	if len(w.RequestHead) == 0 {
		out.note("the request was never sent: %s", errorOf(ex))
		out.note("the body it would have carried (%d bytes): hooksim show %d --raw %d --body request", len(ex.RequestBody), runID, ex.Seq)
		return
	}
	if names := hiddenHeaders(ex.RequestHeaders); len(names) > 0 {
		out.note("hidden: the value of %s (credentials never reach the history database)", strings.Join(names, ", "))
	}
	if hookclient.IsH2Head(w.RequestHead) {
		out.note("HTTP/2 (the hook chose h2 by ALPN): the heads below are renderings of the HEADERS frames, one line per field in the order sent or received, pseudo-header fields first; not bytes from the wire (HTTP/2 heads are HPACK-compressed binary frames)")
	}
	out.write(w.RequestHead)
	out.body(ex.RequestBody, "request")
	out.write([]byte("\n"))
	if n := len(w.Redirects); n > 0 {
		hops := make([]string, n)
		for i, r := range w.Redirects {
			hops[i] = fmt.Sprintf("%d to %s %s", r.Status, OneLine(r.Method), OneLine(r.URL))
		}
		out.note("the hook redirected %d time(s): %s; only the first request and the last response are kept", n, strings.Join(hops, ", "))
	}
	if ex.Status == 0 {
		if len(w.ResponseHead) > 0 {
			out.note("no valid response (%s); the head as the hook sent it:", errorOf(ex))
			out.write(w.ResponseHead)
			return
		}
		out.note("no response: %s", errorOf(ex))
		return
	}
	if len(w.ResponseHead) == 0 {
		out.note("the response head was not kept; HTTP status %d, headers as parsed:", ex.Status)
		out.headers(ex.ResponseHeaders)
	}
	if chunked(ex.ResponseHeaders) {
		out.note("the body came chunked (Transfer-Encoding: chunked): shown de-chunked, as Stalwart reads it; chunk sizes and trailers are not kept")
	}
	switch w.BodyRead {
	case "not-read":
		out.note("the body was not read: its Content-Length is over maxResponseSize, so Stalwart refuses the answer unread")
	case "cut":
		out.note("the body is cut after %d bytes: more came, and reading stops one byte past maxResponseSize, as in Stalwart", len(ex.ResponseBody))
	case "broken":
		out.note("the body stopped after %d bytes: %s", len(ex.ResponseBody), errorOf(ex))
	}
	out.write(w.ResponseHead)
	out.body(ex.ResponseBody, "response")
}

// rawWithoutHeads shows an exchange recorded before the heads were kept:
// the bodies as they were, the headers only as notes.
func rawWithoutHeads(out *rawWriter, ex *store.Exchange) {
	out.note("recorded before hooksim kept HTTP heads as they were on the wire: the heads are not shown, only their headers as parsed")
	out.note("request headers (authorization and other credentials hidden):")
	out.headers(ex.RequestHeaders)
	out.note("request body:")
	out.body(ex.RequestBody, "request")
	out.write([]byte("\n"))
	if ex.Status == 0 {
		out.note("no response: %s", errorOf(ex))
		return
	}
	out.note("response: HTTP status %d, headers as parsed:", ex.Status)
	out.headers(ex.ResponseHeaders)
	out.note("response body:")
	out.body(ex.ResponseBody, "response")
}

// rawWriter writes wire bytes and notes, keeping the first write error.
type rawWriter struct {
	w   io.Writer
	err error
}

func (o *rawWriter) write(b []byte) {
	if o.err == nil {
		_, o.err = o.w.Write(b)
	}
}

// note writes one note line. Its arguments should be OneLine'd already;
// a line break that slips through is escaped all the same.
func (o *rawWriter) note(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	s = strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(s)
	o.write([]byte(NotePrefix + s + "\n"))
}

// body writes a body; one that does not end in a line break gets one and
// a note, so that what follows starts on a line of its own.
func (o *rawWriter) body(b []byte, which string) {
	o.write(b)
	if len(b) > 0 && b[len(b)-1] != '\n' {
		o.write([]byte("\n"))
		o.note("no line break at the end of the %s body (%d bytes)", which, len(b))
	}
}

func (o *rawWriter) headers(h []store.Header) {
	if len(h) == 0 {
		o.note("  (none)")
	}
	for _, f := range h {
		o.note("  %s: %s", OneLine(f.Name), OneLine(f.Value))
	}
}

// errorOf is the exchange's error as "class: message".
func errorOf(ex *store.Exchange) string {
	if ex.ErrorClass == "" {
		return "no error recorded"
	}
	return OneLine(ex.ErrorClass) + ": " + OneLine(ex.ErrorText)
}

// hiddenHeaders names the request headers whose values were redacted.
func hiddenHeaders(h []store.Header) []string {
	var out []string
	for _, f := range h {
		if hookconf.SensitiveHeader(f.Name) || strings.Contains(f.Value, "****") {
			out = append(out, OneLine(f.Name))
		}
	}
	return out
}

// chunked reports a response whose body came with chunked transfer coding.
func chunked(h []store.Header) bool {
	for _, f := range h {
		if strings.EqualFold(f.Name, "Transfer-Encoding") && bytes.Contains(bytes.ToLower([]byte(f.Value)), []byte("chunked")) {
			return true
		}
	}
	return false
}
