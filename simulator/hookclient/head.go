package hookclient

import (
	"bytes"

	"github.com/hooksim/hooksim/simulator/hookconf"
)

// RedactHead returns a copy of a request head (the request line and the
// header lines up to the blank line, as encodeRequest writes them) with
// credentials hidden by the rules of RedactHeaders, line by line: only the
// value of a hidden header changes ("authorization: Basic ****"); names,
// spacing, order and line endings stay as they were. The hook's secrets
// are also hidden wherever else they show, the first line (a request's
// or a response's status line) included. A response head is redacted
// the same way. nil stays nil; the result never shares memory with head.
func RedactHead(head []byte, secrets ...string) []byte {
	if head == nil {
		return nil
	}
	out := make([]byte, 0, len(head))
	for i, rest := 0, head; len(rest) > 0; i++ {
		line := rest
		if j := bytes.IndexByte(rest, '\n'); j >= 0 {
			line = rest[:j+1]
		}
		rest = rest[len(line):]
		out = appendRedactedLine(out, line, secrets, i == 0)
	}
	return out
}

// HeadHides reports whether RedactHead(head, secrets...) would differ
// from head. It is false for a head already redacted (the client and the
// simulator keep them so), which a caller can then keep instead of a copy.
func HeadHides(head []byte, secrets ...string) bool {
	for i, rest := 0, head; len(rest) > 0; i++ {
		line := rest
		if j := bytes.IndexByte(rest, '\n'); j >= 0 {
			line = rest[:j+1]
		}
		rest = rest[len(line):]
		content := bytes.TrimRight(line, "\r\n")
		if !bytes.Equal(redactTarget(content, i == 0), content) {
			return true
		}
		name, value, isField := bytes.Cut(content, []byte(":"))
		if i == 0 || !isField {
			if containsSecret(content, secrets) {
				return true
			}
			continue
		}
		if !mayHide(name, value, secrets) {
			continue
		}
		if v := bytes.Trim(value, " \t"); redactValue(name, v, secrets) != string(v) {
			return true
		}
	}
	return false
}

// appendRedactedLine appends one head line to out, redacted.
func appendRedactedLine(out, line []byte, secrets []string, requestLine bool) []byte {
	content := bytes.TrimRight(line, "\r\n")
	eol := line[len(content):]
	if t := redactTarget(content, requestLine); !bytes.Equal(t, content) {
		content = t
		if !requestLine {
			return append(append(out, content...), eol...)
		}
	}
	name, value, isField := bytes.Cut(content, []byte(":"))
	if requestLine || !isField {
		for _, secret := range secrets {
			if secret != "" {
				content = bytes.ReplaceAll(content, []byte(secret), []byte("****"))
			}
		}
		return append(append(out, content...), eol...)
	}
	if !mayHide(name, value, secrets) {
		return append(out, line...)
	}
	v := bytes.TrimLeft(value, " \t")
	lead := value[:len(value)-len(v)]
	v = bytes.TrimRight(v, " \t")
	trail := value[len(lead)+len(v):]
	redacted := redactValue(name, v, secrets)
	if redacted == string(v) {
		return append(out, line...)
	}
	out = append(append(append(out, name...), ':'), lead...)
	out = append(append(append(out, redacted...), trail...), eol...)
	return out
}

// redactValue is the value RedactHeaders gives header name: value.
func redactValue(name, value []byte, secrets []string) string {
	return RedactHeaders([]hookconf.HeaderField{{Name: string(name), Value: string(value)}}, secrets...)[0].Value
}

// containsSecret reports whether b holds one of secrets ("" never
// matches).
func containsSecret(b []byte, secrets []string) bool {
	for _, secret := range secrets {
		if secret != "" && bytes.Contains(b, []byte(secret)) {
			return true
		}
	}
	return false
}

// mayHide reports whether RedactHeaders could change a header line's
// value, without building strings for the lines it leaves alone (most
// of them, in every request of every exchange).
func mayHide(name, value []byte, secrets []string) bool {
	return hookconf.SensitiveHeader(string(name)) || containsSecret(value, secrets) ||
		(bytes.Contains(value, []byte("://")) && bytes.IndexByte(value, '@') >= 0)
}

// redactTarget hides the credential-named query parameters
// (hookconf.RedactURL's rule) in a request line's target ("POST
// /hook?token=**** HTTP/1.1") or in an HTTP/2 rendering's ":path: "
// line; any other line is returned as it is.
func redactTarget(line []byte, first bool) []byte {
	if bytes.IndexByte(line, '?') < 0 {
		return line
	}
	if first {
		method, rest, ok := bytes.Cut(line, []byte(" "))
		target, proto, ok2 := bytes.Cut(rest, []byte(" "))
		if !ok || !ok2 || !bytes.HasPrefix(proto, []byte("HTTP/")) {
			return line // a status line
		}
		r := hookconf.RedactURL(string(target))
		if r == string(target) {
			return line
		}
		return []byte(string(method) + " " + r + " " + string(proto))
	}
	if v, ok := bytes.CutPrefix(line, []byte(":path: ")); ok {
		if r := hookconf.RedactURL(string(v)); r != string(v) {
			return []byte(":path: " + r)
		}
	}
	return line
}
