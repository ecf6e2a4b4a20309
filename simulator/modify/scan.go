package modify

// This file follows, step by step, how mail-parser (0.11, the version
// Stalwart v0.16.18 links) walks the top-level header block, and how
// mail-auth's AuthenticatedMessage::from_parsed cuts names and values out
// of the raw bytes. Only the offsets matter here, never the parsed values.

// headerSpan is one top-level header as offsets into the raw message: the
// name is raw[field:start-1] (start-1 is the colon), the value is
// raw[start:end].
type headerSpan struct {
	field, start, end int
	kind              headerKind
}

// scanResult is what the parser found in a raw message.
type scanResult struct {
	headers    []headerSpan
	bodyOffset int  // where the body starts (len(raw) when there is no blank line)
	parsed     bool // MessageParser::parse returned a message
}

// isRustSpace is Rust's u8::is_ascii_whitespace: SP, HT, LF, FF, CR (not VT).
func isRustSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'
}

func asciiLower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

// scan walks the header block of raw as mail-parser's parse_headers does.
func scan(raw []byte) scanResult {
	var res scanResult
	n := len(raw)
	p := 0
	blank := false
	for {
		// Skip whitespace before a header name; a bare LF ends the block,
		// so a line holding only whitespace is the blank line.
		for p < n && raw[p] != '\n' && isRustSpace(raw[p]) {
			p++
		}
		if p >= n {
			break
		}
		if raw[p] == '\n' {
			p++
			blank = true
			break
		}
		field := p

		// The name: non-whitespace bytes up to the first colon that
		// follows one of them. A colon before any such byte is skipped
		// (and left out of the lookup key); a LF first drops the line.
		var key [maxHeaderNameKey]byte
		keyLen := 0
		seen, lineEnd := false, false
		for p < n {
			c := raw[p]
			p++
			if c == ':' {
				if seen {
					break
				}
				continue
			}
			if c == '\n' {
				lineEnd = true
				break
			}
			if !isRustSpace(c) {
				seen = true
				if keyLen < len(key) {
					key[keyLen] = asciiLower(c)
					keyLen++
				}
			}
		}
		if lineEnd || !seen {
			if p >= n {
				break
			}
			continue
		}
		// Either after the colon, or at the end of the input when the
		// last line has no colon (its last byte is then lost from the
		// name, exactly as mail-auth slices it).
		start := p
		kind := lookupHeaderName(key[:keyLen])
		var end int
		if kind == kindDate {
			end = scanDate(raw, start)
		} else {
			end = scanValue(raw, start)
		}
		res.headers = append(res.headers, headerSpan{field: field, start: start, end: end, kind: kind})
		p = end
	}
	if blank {
		res.bodyOffset = p
		res.parsed = true
	} else {
		res.bodyOffset = n
		res.parsed = len(res.headers) > 0
	}
	return res
}

// scanValue returns where a header value starting at p ends: just after
// the first LF not followed by SP or HT, or at the end of the input.
func scanValue(raw []byte, p int) int {
	n := len(raw)
	for p < n {
		c := raw[p]
		p++
		if c == '\n' {
			if p < n && (raw[p] == ' ' || raw[p] == '\t') {
				p++
				continue
			}
			break
		}
	}
	return p
}

// scanDate returns where mail-parser's date parser stops. It differs from
// scanValue in one way: a letter read where the time zone is expected
// swallows the next two bytes whatever they are (obsolete zone names like
// "EST"), so a line end right there does not end the header.
func scanDate(raw []byte, p int) int {
	sizes := [7]int{2, 2, 4, 2, 2, 2, 4}
	n := len(raw)
	pos := 0
	newToken, ignore := true, true
	comments := 0
	for p < n {
		c := raw[p]
		p++
		nextPart := false
		switch {
		case c == '\n':
			if p < n && (raw[p] == ' ' || raw[p] == '\t') {
				p++
				if !newToken && !ignore && comments == 0 {
					nextPart = true
				} else {
					continue
				}
			} else {
				return p
			}
		case comments > 0:
			switch c {
			case ')':
				comments--
			case '(':
				comments++
			case '\\':
				if p < n && raw[p] == ')' {
					p++
				}
			}
			continue
		case c >= '0' && c <= '9':
			if pos < len(sizes) && sizes[pos] > 0 {
				sizes[pos]--
				ignore = false
			}
			newToken = false
		case c == ':' && !newToken && !ignore && (pos == 3 || pos == 4):
			nextPart = true
		case c == '+' || c == '-':
			pos = 6
		case (c == ' ' || c == '\t') && !newToken && !ignore:
			nextPart = true
		case (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'):
			if pos == 6 {
				p = min(p+2, n)
				sizes[6] = 0
				nextPart = true
			}
			newToken = false
		case c == '(':
			comments++
			newToken = true
			continue
		case c == ';':
			pos = 0
			sizes = [7]int{2, 2, 4, 2, 2, 2, 4}
			newToken, ignore = true, true
			continue
		}
		if nextPart {
			pos++
			newToken = true
		}
	}
	return p
}
