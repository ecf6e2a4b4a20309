package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hooksim/hooksim/recorder/export"
	"github.com/hooksim/hooksim/recorder/report"
)

// Limits of what a transcript shows of bodies.
const (
	// errorBodyLines and errorLineBytes bound the excerpt of a failing
	// hook's body shown with its error.
	errorBodyLines = 5
	errorLineBytes = 200
	// verboseStringBytes is where -v cuts a long JSON string (the message
	// contents, a replaceContents value); -vv shows everything.
	verboseStringBytes = 200
)

// hookErrorLines describes a failed hook call for a person: what the hook
// answered (HTTP status and the first lines of its body) and the cause
// (refused, timeout, TLS, a parse error with its JSON path), and what the
// client heard because of it. Nil when the call did not fail.
func hookErrorLines(ex *report.Exchange) []string {
	if ex.Error == nil {
		return nil
	}
	var out []string
	id := export.OneLine(ex.Hook)
	head := fmt.Sprintf("hook %s at %s: %s: %s", id, ex.Stage, ex.Error.Class, ex.Error.Message)
	if ex.Response.Status != 0 {
		head = fmt.Sprintf("hook %s at %s answered HTTP %d %s: %s: %s", id, ex.Stage, ex.Response.Status,
			http.StatusText(ex.Response.Status), ex.Error.Class, ex.Error.Message)
	}
	switch ex.Effect {
	case "tempfail":
		head += " (tempFailOnError: the client hears 451 4.3.5)"
	case "skipped":
		head += " (tempFailOnError false: the hook is skipped)"
	}
	out = append(out, head)
	if ex.Response.Status != 0 {
		out = append(out, bodyExcerpt(report.RawBody(ex.Response.Body))...)
	}
	return out
}

// bodyExcerpt is the first lines of a body, each shortened, prefixed
// with "body: " (or "body: (empty)").
func bodyExcerpt(body []byte) []string {
	if len(bytes.TrimSpace(body)) == 0 {
		return []string{fmt.Sprintf("body: (empty, %d bytes)", len(body))}
	}
	text := printable(body)
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	var out []string
	for i, l := range lines {
		if i == errorBodyLines {
			out = append(out, fmt.Sprintf("      ... (%d more lines, %d bytes in all; -vv shows it all)", len(lines)-i, len(body)))
			break
		}
		l = strings.TrimRight(l, "\r")
		if len(l) > errorLineBytes {
			l = cutUTF8(l, errorLineBytes) + "..."
		}
		prefix := "      "
		if i == 0 {
			prefix = "body: "
		}
		out = append(out, prefix+l)
	}
	return out
}

// printable is body as text: invalid UTF-8 and control characters other
// than tab and line breaks escaped, so nothing a hook sends can move the
// terminal's cursor.
func printable(body []byte) string {
	var b strings.Builder
	for len(body) > 0 {
		r, n := utf8.DecodeRune(body)
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, body[0])
		case r == '\n' || r == '\t' || r == '\r':
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.Write(body[:n])
		}
		body = body[n:]
	}
	return b.String()
}

// cutUTF8 cuts s to at most n bytes without splitting a character.
func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// prettyBody renders a request or response body for -v: indented JSON
// with every string longer than verboseStringBytes cut (unless full), or
// the text itself when it is not JSON.
func prettyBody(body []byte, full bool) []string {
	if len(body) == 0 {
		return []string{"(empty)"}
	}
	var buf bytes.Buffer
	if !json.Valid(body) || json.Indent(&buf, body, "", "  ") != nil {
		return strings.Split(strings.TrimRight(printable(body), "\n"), "\n")
	}
	out := buf.String()
	if !full {
		out = shortenStrings(out, verboseStringBytes)
	}
	return strings.Split(out, "\n")
}

// shortenStrings cuts every JSON string literal in doc longer than limit
// bytes, keeping escapes whole, and says how much was left out.
func shortenStrings(doc string, limit int) string {
	var b strings.Builder
	b.Grow(len(doc))
	for i := 0; i < len(doc); {
		if doc[i] != '"' {
			b.WriteByte(doc[i])
			i++
			continue
		}
		// A string literal: find its end, honouring escapes.
		j := i + 1
		for j < len(doc) && doc[j] != '"' {
			if doc[j] == '\\' {
				j++
			}
			j++
		}
		if j >= len(doc) {
			b.WriteString(doc[i:])
			break
		}
		lit := doc[i+1 : j]
		if len(lit) <= limit {
			b.WriteString(doc[i : j+1])
		} else {
			cut := literalCut(lit, limit)
			fmt.Fprintf(&b, "\"%s\"... (%d more bytes; -vv shows all)", lit[:cut], len(lit)-cut)
		}
		i = j + 1
	}
	return b.String()
}

// literalCut is the largest length <= limit at which the JSON string
// literal lit (without its quotes) can be cut without splitting an escape
// sequence or a UTF-8 character.
func literalCut(lit string, limit int) int {
	cut := 0
	for i := 0; i < len(lit); {
		n := 1
		switch {
		case lit[i] == '\\' && i+1 < len(lit) && lit[i+1] == 'u':
			n = 6
			// A surrogate pair (\ud83d\ude00) is one character: keep it whole.
			if i+12 <= len(lit) && strings.EqualFold(lit[i+2:i+3], "d") && strings.ContainsAny(lit[i+3:i+4], "89abAB") && lit[i+6] == '\\' && lit[i+7] == 'u' {
				n = 12
			}
		case lit[i] == '\\':
			n = 2
		default:
			_, n = utf8.DecodeRuneInString(lit[i:])
		}
		if i+n > limit {
			break
		}
		i += n
		cut = i
	}
	return cut
}
