package store

import (
	"bytes"
	"mime"
	"regexp"
	"strings"
)

// headLimit is how many bytes of a final message ListMessages reads for
// its subject: the header block is cut there. SQLite reads a blob of up
// to ChunkSize whole even for substr() (a 250 KiB blob took 0.1 ms,
// measured; length() reads none of it), so only the copy into Go is
// saved below that, and the head is read as sql.RawBytes, not copied
// again; a chunked blob's head comes from its first chunk alone.
// BenchmarkListMessages (10,000 messages of 20 KiB): the first page of 50
// in 1.5 ms, a search through all of them in 250 ms (425 ms with the head
// copied; cutting it at the header's end in SQL was slower still).
const headLimit = 32 << 10

// headerBlock is the header block of a message's first bytes, as
// sessions.SplitMessage cuts it: up to the first empty line (CRLF CRLF, or
// LF LF when that comes first), the line end of the last field kept;
// nothing when the message starts with an empty line; all of head when it
// has no empty line (a block cut at headLimit).
func headerBlock(head []byte) []byte {
	if bytes.HasPrefix(head, []byte("\r\n")) || bytes.HasPrefix(head, []byte("\n")) {
		return nil
	}
	crlf := bytes.Index(head, []byte("\r\n\r\n"))
	lf := bytes.Index(head, []byte("\n\n"))
	switch {
	case lf >= 0 && (crlf < 0 || lf < crlf):
		return head[:lf+1]
	case crlf >= 0:
		return head[:crlf+2]
	}
	return head
}

// headerValue is the value of the first field of block named name (ASCII
// case ignored, as the page's toLowerCase does for a name in ASCII) as sessions.HeaderFields gives it, which the web view's
// message page shows: the bytes before the first colon are the name,
// exactly; the value is what follows with leading blanks trimmed, each
// folded line (one starting with a space or a tab) joined with "\n" and
// kept whole, line ends removed. "" when there is no such field. The
// store may not import sessions; a web test checks the two agree.
func headerValue(block []byte, name string) string {
	found := false
	var value strings.Builder
	for len(block) > 0 {
		line := block
		if i := bytes.IndexByte(block, '\n'); i >= 0 {
			line, block = block[:i+1], block[i+1:]
		} else {
			block = nil
		}
		text := bytes.TrimRight(line, "\r\n")
		if line[0] == ' ' || line[0] == '\t' {
			if found {
				value.WriteByte('\n')
				value.Write(text)
			}
			continue
		}
		if found {
			break
		}
		field, v, ok := bytes.Cut(text, []byte(":"))
		if ok && asciiEqualFold(field, name) {
			found = true
			value.Write(bytes.TrimLeft(v, " \t"))
		}
	}
	return value.String()
}

// asciiEqualFold reports whether b is name with ASCII letters in any case.
func asciiEqualFold(b []byte, name string) bool {
	if len(b) != len(name) {
		return false
	}
	for i := range len(b) {
		x, y := b[i], name[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// HeaderText is a header value as a reader sees it: folded lines joined,
// each RFC 2047 encoded word decoded where its charset is one Go knows
// (UTF-8, ISO-8859-1, US-ASCII) and left as it is otherwise; the blanks
// between two encoded words are dropped (RFC 2047 section 6.2).
func HeaderText(v string) string {
	v = strings.NewReplacer("\r\n", "", "\n", "").Replace(v)
	if !strings.Contains(v, "=?") {
		return v
	}
	var dec mime.WordDecoder
	var out strings.Builder
	last, prevDecoded := 0, false
	for _, m := range encodedWord.FindAllStringIndex(v, -1) {
		between := v[last:m[0]]
		word, err := dec.Decode(v[m[0]:m[1]])
		if err != nil {
			out.WriteString(between)
			out.WriteString(v[m[0]:m[1]])
			prevDecoded = false
		} else {
			if !(prevDecoded && strings.TrimSpace(between) == "") {
				out.WriteString(between)
			}
			out.WriteString(word)
			prevDecoded = true
		}
		last = m[1]
	}
	out.WriteString(v[last:])
	return out.String()
}

// encodedWord is an RFC 2047 encoded word.
var encodedWord = regexp.MustCompile(`=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=`)
