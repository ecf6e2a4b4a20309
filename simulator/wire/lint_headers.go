package wire

import (
	"fmt"
	"mime"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxLineOctets is RFC 5322 §2.1.1's hard limit on a line of a message,
// without its CRLF.
const maxLineOctets = 998

// lintHeaderMod lints the name and value of a header modification
// (addHeader, insertHeader, changeHeader; the name of a deleteHeader).
// Stalwart validates neither: it writes "name: value" with the bytes as
// given, and a CRLF only when the value does not end in "\n"
// (apply_milter_modifications in crates/smtp/src/inbound/milter/message.rs,
// PROTOCOL.md §4). So what would break the header block is linted here.
func lintHeaderMod(m *node, mt ModType, path string, l *linter) {
	var name, value *node
	switch mt {
	case ModAddHeader, ModInsertHeader, ModChangeHeader:
		name, value = m.Get("name"), m.Get("value")
	case ModDeleteHeader:
		name = m.Get("name")
	default:
		return
	}
	if name == nil || name.Kind != kindString {
		return
	}
	if why := badHeaderName(name.Text); why != "" {
		if mt == ModDeleteHeader {
			l.add(LintHeaderName, path+".name", "give the exact name of the header to delete, as it appears before the colon",
				"header name %s %s: no header can have that name, so this deleteHeader deletes nothing", strconv.Quote(name.Text), why)
		} else {
			l.add(LintHeaderName, path+".name", "use a name of printable ASCII without colon or white space, such as X-Spam-Status",
				"header name %s %s: Stalwart writes it as is, which breaks the header block", strconv.Quote(name.Text), why)
		}
	}
	if value == nil || value.Kind != kindString {
		return
	}
	v := value.Text
	if why, fix := badLineBreak(v); why != "" {
		l.add(LintHeaderLineBreak, path+".value", fix, "%s", why)
	}
	if n, length := longestLine(name.Text, v, mt); length > maxLineOctets {
		l.add(LintHeaderLineLength, path+".value", "fold the value: a CRLF followed by a space between words, every 78 characters or so",
			"line %d of this header would be %d octets; RFC 5322 §2.1.1 allows 998, and relays may refuse the message or break the line", n, length)
	}
	if hasNonASCII(v) {
		l.add(LintHeaderNonASCII, path+".value", encodedWordFix(name.Text, v),
			"the value has non-ASCII characters and is not RFC 2047-encoded: Stalwart writes the UTF-8 bytes as they are, which only SMTPUTF8 (RFC 6532) receivers accept")
	}
}

// badHeaderName says what makes name unusable as an RFC 5322 field-name
// (1*ftext: printable US-ASCII except ":"), or "" when it is fine.
func badHeaderName(name string) string {
	if name == "" {
		return "is empty"
	}
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c == '\r' || c == '\n':
			return "has a line break (it injects lines)"
		case c == ':':
			return "has a colon (a reader takes the name up to the first colon and the rest as the value)"
		case c == ' ' || c == '\t':
			return "has white space"
		case c < 0x20 || c == 0x7f:
			return fmt.Sprintf("has the control character %q", c)
		case c >= 0x80:
			return "has non-ASCII characters"
		}
	}
	return ""
}

// badLineBreak looks at the CRs and LFs of a header value as Stalwart writes
// it and returns why and the fix for the first one that is not a fold (a
// CRLF followed by a space or a tab and then more text) or the final CRLF;
// "" when there is none.
func badLineBreak(v string) (why, fix string) {
	const foldFix = "keep the value on one line, or fold it with a CRLF followed by a space or a tab before more text"
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c != '\r' && c != '\n' {
			continue
		}
		switch {
		case c == '\r' && (i+1 == len(v) || v[i+1] != '\n'):
			return "a bare CR (not followed by LF) in the value: Stalwart writes it as is, and receivers treat it as a line break or refuse the message", foldFix
		case c == '\n':
			return "a bare LF (not after a CR) in the value: Stalwart writes it as is, and receivers treat it as a line break or refuse the message", "use CRLF line ends; " + foldFix
		}
		// A CRLF at i.
		rest := v[i+2:]
		switch {
		case rest == "":
			return "", "" // the final CRLF: Stalwart adds none of its own
		case strings.HasPrefix(rest, "\r\n") || strings.HasPrefix(rest, "\n"):
			return "a blank line in the value: it ends the header block, so what follows it becomes part of the body", foldFix
		case rest[0] == ' ' || rest[0] == '\t':
			line, _, _ := strings.Cut(rest, "\n")
			if strings.TrimRight(line, " \t\r") == "" {
				return "a folded line with nothing but white space: RFC 5322 forbids it, and some readers take it for the blank line that ends the header block", foldFix
			}
		default:
			line, _, _ := strings.Cut(rest, "\r\n")
			if len(line) > 40 {
				line = line[:40] + "..."
			}
			return fmt.Sprintf("a line break not followed by a space or a tab: Stalwart writes it as is, so %s becomes a header line of its own (header injection)", strconv.Quote(line)), foldFix
		}
		i++
	}
	return "", ""
}

// longestLine returns the 1-based number and the length in octets (without
// the line end) of the longest line Stalwart writes for the header: the
// first line is "name: " (or "name:" when a rewritten value starts with
// white space) and the value up to its first line break.
func longestLine(name, value string, mt ModType) (n, length int) {
	prefix := len(name) + 2
	if mt != ModAddHeader && value != "" && (value[0] == ' ' || value[0] == '\t') {
		prefix = len(name) + 1
	}
	for i, line := range strings.Split(value, "\n") {
		size := len(strings.TrimSuffix(line, "\r"))
		if i == 0 {
			size += prefix
		}
		if size > length {
			n, length = i+1, size
		}
	}
	return n, length
}

func hasNonASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return true
		}
	}
	return false
}

// isAddressHeader reports whether name is a header whose addresses must
// stay ASCII even when their display names are encoded (RFC 2047 §5).
func isAddressHeader(name string) bool {
	switch strings.ToLower(name) {
	case "from", "to", "cc", "bcc", "reply-to", "sender":
		return true
	}
	return false
}

// encodedWordFix suggests the RFC 2047 form of value: the encoded-word
// itself when the value is one short line, else the pattern.
func encodedWordFix(name, value string) string {
	if isAddressHeader(name) {
		return `encode the display name only, as an RFC 2047 encoded-word ("=?UTF-8?B?...?=" or "=?UTF-8?Q?...?="), and keep the address in ASCII`
	}
	v := strings.TrimSuffix(value, "\r\n")
	lead := v[:len(v)-len(strings.TrimLeft(v, " \t"))]
	v = strings.TrimLeft(v, " \t")
	if strings.ContainsAny(v, "\r\n") || len(v) > 200 || !utf8.ValidString(v) {
		return `encode it as RFC 2047 encoded-words: "=?UTF-8?B?<base64>?=" or "=?UTF-8?Q?<quoted-printable>?="`
	}
	enc := strings.ReplaceAll(mime.BEncoding.Encode("UTF-8", v), "=?UTF-8?b?", "=?UTF-8?B?")
	return "send it as RFC 2047 encoded-words: " + quoteJSON(lead+enc)
}

// quoteJSON quotes s as a JSON string, without the HTML escapes of
// encoding/json.
func quoteJSON(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
