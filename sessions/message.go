package sessions

import (
	"bytes"
	"errors"
	"fmt"
	"net/mail"
	"strings"

	"github.com/jhillyerd/enmime/v2"
	"go.yaml.in/yaml/v3"
)

// message builds the Message of a data step from the bytes of its file
// or inline text, and checks its MIME structure with enmime.
func (sd *stepDecoder) message(at *yaml.Node, field string, body []byte, source string, raw, lenient bool) (*Message, *enmime.Envelope, *Error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, nil, sd.errAt(at, field, "the message %s is empty", source)
	}
	if !raw {
		body = ToCRLF(body)
	}
	body = EnsureCRLF(body)
	env, warnings, err := ParseMIME(body, lenient)
	if err != nil {
		return nil, nil, sd.errAt(at, field, "message %s: %v", source, err)
	}
	return &Message{Raw: body, Source: source, Warnings: warnings}, env, nil
}

// ToCRLF turns every bare LF into CRLF, as an SMTP client sends lines.
// Other bytes, invalid UTF-8 included, are kept as they are.
func ToCRLF(b []byte) []byte {
	n := 0
	for i, c := range b {
		if c == '\n' && (i == 0 || b[i-1] != '\r') {
			n++
		}
	}
	if n == 0 {
		return b
	}
	out := make([]byte, 0, len(b)+n)
	for i, c := range b {
		if c == '\n' && (i == 0 || b[i-1] != '\r') {
			out = append(out, '\r')
		}
		out = append(out, c)
	}
	return out
}

// EnsureCRLF appends a CRLF unless b already ends with one: the message
// as the client sends it before the terminating dot always ends a line.
func EnsureCRLF(b []byte) []byte {
	if bytes.HasSuffix(b, []byte("\r\n")) {
		return b
	}
	out := make([]byte, 0, len(b)+2)
	return append(append(out, b...), '\r', '\n')
}

// ParseMIME parses a message with enmime. A message enmime cannot read is
// an error, and so is a severe MIME problem (a part lost while parsing)
// unless lenient is set; the other problems come back as warnings.
func ParseMIME(raw []byte, lenient bool) (*enmime.Envelope, []string, error) {
	p := enmime.NewParser(enmime.DisableTextConversion(true), enmime.DisableCharacterDetection(true))
	env, err := p.ReadEnvelope(bytes.NewReader(raw))
	if err != nil {
		return nil, nil, fmt.Errorf("not a parsable message: %w", err)
	}
	var warnings []string
	for _, e := range env.Errors {
		if e.Severe && !lenient {
			return nil, nil, fmt.Errorf("invalid MIME (set lenient: true to keep it): %s", e.Error())
		}
		warnings = append(warnings, e.Error())
	}
	return env, warnings, nil
}

// messageAddresses returns the addresses of the named headers, every
// occurrence, in order, without duplicates (compared case-insensitively).
func messageAddresses(env *enmime.Envelope, names ...string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	if env == nil || env.Root == nil {
		return nil, nil
	}
	for _, name := range names {
		for _, v := range env.Root.Header.Values(name) {
			if strings.TrimSpace(v) == "" {
				continue
			}
			list, err := enmime.ParseAddressList(v)
			if errors.Is(err, mail.ErrHeaderNotPresent) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("%s header %q: %w", name, strings.TrimSpace(v), err)
			}
			for _, a := range list {
				k := strings.ToLower(a.Address)
				if a.Address == "" || seen[k] {
					continue
				}
				seen[k] = true
				out = append(out, a.Address)
			}
		}
	}
	return out, nil
}
