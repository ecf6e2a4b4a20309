package wire

import (
	"strconv"
	"strings"
)

// rawHeader is one well-formed item of message.headers and its index.
type rawHeader struct {
	i           int
	name, value string
}

// message checks the data stage's message: the raw top-level headers
// (mail-auth's raw_parsed_headers: the bytes before each colon, and
// every byte after it up to and including the line end), the raw body,
// and the size of the message as received (run_mta_hook in
// crates/smtp/src/inbound/hooks/message.rs; the split is mail-parser's,
// reproduced by simulator/modify's scan).
func (c *driftCheck) message(n *node) {
	m := c.object(n, "message", messageModel)
	var headers []rawHeader
	items := -1 // the number of items of message.headers; -1 when it is not an array
	whole := false
	if hs := m["headers"]; hs != nil && c.isKind(hs, "message.headers", "an array of [name, value] arrays", kindArray) {
		items, whole = len(hs.Items), true
		if items == 0 {
			c.add("message.headers", "%s sends at least one header (a message without one fails to parse: 550 5.7.7 before the data stage); this request has none", model)
		}
		for i, it := range hs.Items {
			if it.Kind != kindArray || len(it.Items) != 2 || it.Items[0].Kind != kindString || it.Items[1].Kind != kindString {
				c.add("message.headers["+strconv.Itoa(i)+"]", "%s sends each header as a [name, value] array of two strings; this request has %s", model, describeHeaderItem(it))
				whole = false
				continue
			}
			headers = append(headers, rawHeader{i: i, name: it.Items[0].Text, value: it.Items[1].Text})
		}
	}
	contents, haveContents := "", false
	if v := m["contents"]; v != nil && c.isKind(v, "message.contents", "a string", kindString) {
		contents, haveContents = v.Text, true
	}
	for _, h := range headers {
		p := "message.headers[" + strconv.Itoa(h.i) + "]"
		last := h.i == items-1
		// The end-of-input quirk: a last line without a colon is a
		// header with an empty value whose name lacks its last byte.
		quirk := last && h.value == "" && contents == ""
		if !headerNameFits(h.name, quirk) {
			c.add(p, "%s sends a header's name as the bytes before its colon (not empty, no white space first, no colon or line break in it); this request has %s", model, quoteShort(h.name))
		}
		if strings.HasSuffix(h.value, "\n") {
			continue
		}
		switch {
		case !last:
			c.add(p, `%s sends a header's value as every byte after the colon, its line end ("\r\n") included; this request has a value without one`, model)
		case haveContents && contents != "":
			c.add(p, `%s sends the last header's value with its line end ("\r\n") when the message has a body; this request has a value without one and a body`, model)
		}
	}
	size := m["size"]
	if size == nil {
		return
	}
	n64, err := strconv.ParseUint(size.Text, 10, 63)
	if size.Kind != kindNumber || err != nil || strconv.FormatUint(n64, 10) != size.Text {
		c.add("message.size", "%s sends message.size as an integer (bytes); this request has %s", model, describeValue(size))
		return
	}
	if whole && haveContents && len(headers) > 0 {
		c.size(headers, contents, int64(n64))
	}
}

// describeHeaderItem says what a malformed item of message.headers is.
func describeHeaderItem(n *node) string {
	if n.Kind != kindArray {
		return describeValue(n)
	}
	if len(n.Items) != 2 {
		return describeValue(n)
	}
	return "an array whose name or value is not a string"
}

// isRustSpace is Rust's u8::is_ascii_whitespace: SP, HT, LF, FF, CR.
func isRustSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'
}

// headerNameFits reports whether name is one mail-parser's header scan
// can give: it starts at the first byte of a line that is not white
// space, and ends at the first colon after a byte that is neither white
// space nor a colon (colons before such a byte stay in the name), on
// one line. With quirk (the last header, an empty value, no body) the
// name may also be cut short by a byte, even to nothing.
func headerNameFits(name string, quirk bool) bool {
	if strings.Contains(name, "\n") {
		return false
	}
	if name == "" {
		return quirk
	}
	if isRustSpace(name[0]) {
		return false
	}
	seen := false
	for i := 0; i < len(name); i++ {
		switch b := name[i]; {
		case b == ':':
			if seen {
				return false
			}
		case !isRustSpace(b):
			seen = true
		}
	}
	return seen || quirk
}

// size checks message.size against what the request carries: Stalwart
// sends raw_message().len(), the message as received, dot-unstuffed,
// without the CRLF before the final dot. That is at least each header's
// name, colon and value, the blank line (CRLF, or a bare LF) and the
// body; without a blank line (the message ended in its headers) the body
// is empty and so is the blank line. So a smaller size is drift.
//
// A larger one is not: mail-parser's parse_headers (mail-parser 0.11,
// src/parsers/header.rs), which gives message.headers through
// AuthenticatedMessage::from_parsed, skips white space at the start of a
// header line (before the first header too), drops a line without a
// colon (parse_header_name returns None at its line end) and lets white
// space stand before the blank line's LF. Those bytes are in
// raw_message() and in no header, any number of them, and data.rs only
// refuses a message without a known header.
//
// The strings went through String::from_utf8_lossy: each U+FFFD (three
// bytes) stands for one to three bytes received (a maximal invalid
// subpart is at most three bytes; a U+FFFD received as such is three),
// so with k of them size may be up to 2k bytes smaller than the count.
func (c *driftCheck) size(headers []rawHeader, contents string, size int64) {
	var count, k int64
	for _, h := range headers {
		count += int64(len(h.name)) + 1 + int64(len(h.value))
		k += int64(strings.Count(h.name, "\uFFFD") + strings.Count(h.value, "\uFFFD"))
	}
	count += int64(len(contents))
	k += int64(strings.Count(contents, "\uFFFD"))
	minBlank := int64(1)
	if contents == "" || !strings.HasSuffix(headers[len(headers)-1].value, "\n") {
		minBlank = 0
	}
	if low := count - 2*k + minBlank; size < low {
		lossy := ""
		if k > 0 {
			lossy = ", each U+FFFD standing for 1 to 3 bytes received"
		}
		c.add("message.size", "%s sends message.size as the bytes of the message as received: at least %d here (headers, blank line and contents%s); this request has %d", model, low, lossy, size)
	}
}
