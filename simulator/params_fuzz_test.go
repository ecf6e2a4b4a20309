package simulator

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

// FuzzMailParams feeds arbitrary parameter text to ParseMail and
// ParseRcpt (and arbitrary whole lines): they never panic; a refusal is
// a *LineError whose reply is one of Stalwart's, on one line; and what
// they accept, written back with ParamText, reads back the same.
func FuzzMailParams(f *testing.F) {
	for _, s := range []string{
		"", "SIZE=1000 BODY=8BITMIME", "SIZE=abc", "FOO=bar", "ENVID=QQ+2B314 RET=HDRS", "ENVID=abc+ SIZE=1",
		"BY=-60;NT", "MT-PRIORITY=-3 HOLDFOR=60", "HOLDUNTIL=1800000000", "TRANSID=<x@y>SIZE=5", "MTRK=abc:10 AUTH=<>",
		"SOLICIT=org:x CONPERM SMTPUTF8 REQUIRETLS", "NOTIFY=NEVER,SUCCESS ORCPT=rfc822;a+40b", "RRVS=2026-11-25T12:00:00+01:00;C",
		"RRVS=;R CONNEG", "A=\"b\x01\xff", "SIZE=184467440737095516159", "\tSIZE=1\f", ">", "ABCDEFGHIJKLMNOPQRS=1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, params string) {
		checkLine(t, "MAIL "+params) // whole lines too
		if strings.ContainsRune(params, '\n') {
			return // one command line: an LF would end it
		}
		line := "MAIL FROM:<john@example.org> " + params
		m, err := ParseMail(line)
		checkLine(t, line)
		if err == nil {
			text := m.ParamText()
			back, err := ParseMail("MAIL FROM:<john@example.org> " + text)
			if err != nil || !reflect.DeepEqual(back, m) {
				t.Fatalf("%q parsed as %+v, written %q, read back as %+v (%v)", line, m, text, back, err)
			}
		}
		line = "RCPT TO:<bill@example.org> " + params
		r, err := ParseRcpt(line)
		checkLine(t, line)
		if err == nil {
			want := r
			if _, ok := rrvsDate(r.RRVS); !ok {
				want.RRVS = math.MaxInt64 // no date to write it as
			}
			text := r.ParamText()
			back, err := ParseRcpt("RCPT TO:<bill@example.org> " + text)
			if err != nil || !reflect.DeepEqual(back, want) {
				t.Fatalf("%q parsed as %+v, written %q, read back as %+v (%v)", line, r, text, back, err)
			}
		}
	})
}

// checkLine parses line as MAIL or RCPT and checks the refusal's shape.
func checkLine(t *testing.T, line string) {
	t.Helper()
	var err error
	if strings.HasPrefix(line, "RCPT") {
		_, err = ParseRcpt(line)
	} else {
		_, err = ParseMail(line)
	}
	if err == nil {
		return
	}
	var le *LineError
	if !errors.As(err, &le) {
		t.Fatalf("%q: error %T is not a *LineError: %v", line, err, err)
	}
	if strings.ContainsAny(le.Reply, "\r\n") {
		t.Fatalf("%q: reply on more than one line: %q", line, le.Reply)
	}
	switch le.Reply {
	case ReplyMailSyntax, ReplyRcptSyntax, ReplyBadSender, ReplyBadRcpt, ReplyInvalidCommand:
		return
	}
	for _, prefix := range []string{`501 5.5.4 Invalid parameter "`, `504 5.5.4 Unsupported parameter "`} {
		if strings.HasPrefix(le.Reply, prefix) && strings.HasSuffix(le.Reply, `".`) {
			return
		}
	}
	t.Fatalf("%q: reply %q is none of Stalwart's", line, le.Reply)
}
