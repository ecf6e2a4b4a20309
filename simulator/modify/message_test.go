package modify

import (
	"bytes"
	"slices"
	"testing"

	"github.com/hooksim/hooksim/simulator/wire"
)

type hdr [2]string // name, value

func TestSplit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		raw      string
		headers  []hdr
		body     string
		parsable bool
	}{
		{"simple crlf", "From: a@example.net\r\nSubject: Hi\r\n\r\nbody\r\nline 2",
			[]hdr{{"From", " a@example.net\r\n"}, {"Subject", " Hi\r\n"}}, "body\r\nline 2", true},
		{"folded value kept", "Subject: one\r\n two\r\n\tthree\r\nTo: x@example.com\r\n\r\nb",
			[]hdr{{"Subject", " one\r\n two\r\n\tthree\r\n"}, {"To", " x@example.com\r\n"}}, "b", true},
		{"duplicates kept in order", "X-A: 1\r\nFrom: f@example.net\r\nX-A: 2\r\nx-a: 3\r\n\r\n",
			[]hdr{{"X-A", " 1\r\n"}, {"From", " f@example.net\r\n"}, {"X-A", " 2\r\n"}, {"x-a", " 3\r\n"}}, "", true},
		{"lf only", "From: a\nSubject: b\n c\n\nbody\n",
			[]hdr{{"From", " a\n"}, {"Subject", " b\n c\n"}}, "body\n", true},
		{"no blank line", "From: a\r\nSubject: b\r\n",
			[]hdr{{"From", " a\r\n"}, {"Subject", " b\r\n"}}, "", true},
		{"no blank line no final crlf", "From: a\r\nSubject: b",
			[]hdr{{"From", " a\r\n"}, {"Subject", " b"}}, "", true},
		{"empty body", "From: a\r\n\r\n", []hdr{{"From", " a\r\n"}}, "", true},
		{"no space after colon, empty value", "From:a\r\nX-Empty:\r\n\r\nz",
			[]hdr{{"From", "a\r\n"}, {"X-Empty", "\r\n"}}, "z", true},
		{"whitespace before colon is part of the name", "Subject \t: Hi\r\n\r\n",
			[]hdr{{"Subject \t", " Hi\r\n"}}, "", true},
		{"whitespace inside a name is ignored for the lookup", "Sub ject: x\r\n\r\n",
			[]hdr{{"Sub ject", " x\r\n"}}, "", true},
		{"line without colon is skipped", "From: a\r\ngarbage line\r\nTo: b\r\n\r\nbody",
			[]hdr{{"From", " a\r\n"}, {"To", " b\r\n"}}, "body", true},
		{"whitespace-only line ends the headers", "From: a\r\n\f \r\nTo: b\r\n\r\nbody",
			[]hdr{{"From", " a\r\n"}}, "To: b\r\n\r\nbody", true},
		{"lone CR line ends the headers", "From: a\r\n\r\r\nTo: b\r\n",
			[]hdr{{"From", " a\r\n"}}, "To: b\r\n", true},
		{"whitespace-only continuation belongs to the header", "From: a\r\n \t\r\nTo: b\r\n\r\nbody",
			[]hdr{{"From", " a\r\n \t\r\n"}, {"To", " b\r\n"}}, "body", true},
		{"colon before the name is skipped", ": From: x\r\n\r\n",
			[]hdr{{": From", " x\r\n"}}, "", true},
		{"leading white space and form feed skipped", " \f\tFrom: a\r\n\r\n",
			[]hdr{{"From", " a\r\n"}}, "", true},
		{"vertical tab is not white space", "\vFrom: a\r\n\r\n",
			[]hdr{{"\vFrom", " a\r\n"}}, "", false},
		{"last line without colon loses its last byte", "X-A: 1\r\nSubject",
			[]hdr{{"X-A", " 1\r\n"}, {"Subjec", ""}}, "", true},
		{"colon at end of input", "From:", []hdr{{"From", ""}}, "", true},
		{"date zone letter swallows the line end", "Date: Tue, 2 Jan 2024 10:00:00 Z\r\nSubject: hi\r\n\r\nbody",
			[]hdr{{"Date", " Tue, 2 Jan 2024 10:00:00 Z\r\nSubject: hi\r\n"}}, "body", true},
		{"date with named zone ends normally", "Date: Tue, 2 Jan 2024 10:00:00 GMT\r\nSubject: hi\r\n\r\n",
			[]hdr{{"Date", " Tue, 2 Jan 2024 10:00:00 GMT\r\n"}, {"Subject", " hi\r\n"}}, "", true},
		{"resent-date quirk too", "Resent-Date: -Z\r\nX-A: b\r\n\r\nbody",
			[]hdr{{"Resent-Date", " -Z\r\nX-A: b\r\n"}}, "body", true},
		{"date quirk only for date headers", "X-Date: -Z\r\nX-A: b\r\n\r\n",
			[]hdr{{"X-Date", " -Z\r\n"}, {"X-A", " b\r\n"}}, "", false},
		{"only unknown headers", "X-Custom: 1\r\n\r\nbody", []hdr{{"X-Custom", " 1\r\n"}}, "body", false},
		{"no headers, blank line first", "\r\nbody", nil, "body", false},
		{"no colon anywhere", "just text\r\nmore\r\n", nil, "", false},
		{"empty message", "", nil, "", false},
		{"name longer than the lookup buffer", "Subjectxxxxxxxxxxxxxxxxxxxxxxxxx: a\r\n\r\n",
			[]hdr{{"Subjectxxxxxxxxxxxxxxxxxxxxxxxxx", " a\r\n"}}, "", false},
		{"known name with any case", "mIME-vErSiOn: 1.0\r\n\r\n", []hdr{{"mIME-vErSiOn", " 1.0\r\n"}}, "", true},
		{"continuation of a dropped line is not a header", "junk\r\n\tFrom: a\r\n\r\n",
			[]hdr{{"From", " a\r\n"}}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := Split([]byte(tt.raw))
			var got []hdr
			for _, h := range m.Headers {
				got = append(got, hdr{string(h.Name), string(h.Value)})
			}
			if !slices.Equal(got, tt.headers) {
				t.Errorf("headers:\n got %q\nwant %q", got, tt.headers)
			}
			if string(m.Body) != tt.body {
				t.Errorf("body: got %q, want %q", m.Body, tt.body)
			}
			if !bytes.Equal(append(bytes.Clone(m.HeaderBlock), m.Body...), []byte(tt.raw)) {
				t.Errorf("HeaderBlock+Body %q+%q != raw", m.HeaderBlock, m.Body)
			}
			if got := m.Parsable(); got != tt.parsable {
				t.Errorf("Parsable() = %v, want %v", got, tt.parsable)
			}
		})
	}
}

func TestSplitDoesNotAliasAppend(t *testing.T) {
	t.Parallel()
	raw := []byte("From: a\r\n\r\nbody")
	m := Split(raw)
	_ = append(m.HeaderBlock, 'X')
	_ = append(m.Headers[0].Name, 'X')
	if string(raw) != "From: a\r\n\r\nbody" {
		t.Fatalf("appending to a split slice changed raw: %q", raw)
	}
}

func TestWireLossy(t *testing.T) {
	t.Parallel()
	raw := "X-\xff: caf\xe9\r\nSubject: ok\r\n\r\n" +
		"a\xe2\x82 b\xf0\x9f\x98 c\xc0\xaf d\xed\xa0\x80 e\xe2\x82\xac"
	m := Split([]byte(raw))
	wantHeaders := []wire.Header{{Name: "X-\uFFFD", Value: " caf\uFFFD\r\n"}, {Name: "Subject", Value: " ok\r\n"}}
	if got := m.WireHeaders(); !slices.Equal(got, wantHeaders) {
		t.Errorf("WireHeaders() = %q, want %q", got, wantHeaders)
	}
	// One U+FFFD per maximal invalid subpart: a truncated 3- or 4-byte
	// sequence is one; C0 and a surrogate's bytes are each their own.
	want := "a\uFFFD b\uFFFD c\uFFFD\uFFFD d\uFFFD\uFFFD\uFFFD e\u20ac"
	if got := m.WireContents(); got != want {
		t.Errorf("WireContents() = %q, want %q", got, want)
	}
	if !m.Parsable() {
		t.Error("message with Subject should be parsable")
	}
}

func TestNilMessage(t *testing.T) {
	t.Parallel()
	var m *Message
	if m.Parsable() || m.WireHeaders() != nil || m.WireContents() != "" {
		t.Error("nil message should be empty and unparsable")
	}
	res := Apply(nil, Envelope{}, []wire.Modification{{Type: wire.ModAddHeader, Name: "X", Value: "y"}})
	if string(res.Raw) != "X: y\r\n" {
		t.Errorf("Apply(nil) raw = %q", res.Raw)
	}
}
