package wire

import "unicode/utf8"

// appendJSONLossy writes the raw bytes p as the JSON string Stalwart
// sends for them: String::from_utf8_lossy (LossyString: each maximal
// invalid subpart becomes one U+FFFD), then serde_json's escaping
// (appendJSONString). It is appendJSONString(b, LossyString(p)) without
// the string copy of p, for a message body of any size.
func appendJSONLossy(b, p []byte) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(p); {
		c := p[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRune(p[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, p[start:i]...)
				b = append(b, "\uFFFD"...)
				i += maximalInvalidPrefix(p[i:])
				start = i
				continue
			}
			i += size
			continue
		}
		esc := jsonEscape(c)
		if esc == "" {
			i++
			continue
		}
		b = append(b, p[start:i]...)
		if esc == "u" {
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		} else {
			b = append(b, esc...)
		}
		i++
		start = i
	}
	b = append(b, p[start:]...)
	return append(b, '"')
}

// jsonLossyLen is len(appendJSONLossy(nil, p)): the size of the JSON
// string of p, quotes included, so that a request body is allocated once.
func jsonLossyLen(p []byte) int {
	n := 2
	for i := 0; i < len(p); {
		c := p[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRune(p[i:])
			if r == utf8.RuneError && size == 1 {
				n += len("\uFFFD")
				i += maximalInvalidPrefix(p[i:])
				continue
			}
			n += size
			i += size
			continue
		}
		switch esc := jsonEscape(c); esc {
		case "":
			n++
		case "u":
			n += 6
		default:
			n += len(esc)
		}
		i++
	}
	return n
}

// jsonEscape is serde_json's escape of the ASCII byte c: "" when c is
// written as it is, "u" for \u00XX, else the short escape.
func jsonEscape(c byte) string {
	switch c {
	case '"':
		return `\"`
	case '\\':
		return `\\`
	case '\b':
		return `\b`
	case '\f':
		return `\f`
	case '\n':
		return `\n`
	case '\r':
		return `\r`
	case '\t':
		return `\t`
	}
	if c < 0x20 {
		return "u"
	}
	return ""
}
