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

// appendRedactedLine appends one head line to out, redacted.
func appendRedactedLine(out, line []byte, secrets []string, requestLine bool) []byte {
	content := bytes.TrimRight(line, "\r\n")
	eol := line[len(content):]
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
	f := RedactHeaders([]hookconf.HeaderField{{Name: string(name), Value: string(v)}}, secrets...)[0]
	if f.Value == string(v) {
		return append(out, line...)
	}
	out = append(append(append(out, name...), ':'), lead...)
	out = append(append(append(out, f.Value...), trail...), eol...)
	return out
}

// mayHide reports whether RedactHeaders could change a header line's
// value, without building strings for the lines it leaves alone (most
// of them, in every request of every exchange).
func mayHide(name, value []byte, secrets []string) bool {
	if hookconf.SensitiveHeader(string(name)) {
		return true
	}
	for _, secret := range secrets {
		if secret != "" && bytes.Contains(value, []byte(secret)) {
			return true
		}
	}
	return false
}
