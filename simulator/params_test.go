package simulator

import (
	"errors"
	"math"
	"reflect"
	"testing"
)

func strp(s string) *string { return &s }

// TestParseMailVectors: MAIL lines and what smtp-proto 0.2.1 makes of
// them, the parsed command or Stalwart's exact reply. The expected values
// were checked against smtp-proto 0.2.1 itself (its Request::parse, run
// on the same lines).
func TestParseMailVectors(t *testing.T) {
	t.Parallel()
	const addr = "john@example.org"
	tests := []struct {
		name  string
		line  string
		want  MailFrom
		reply string
	}{
		{"no parameters", "MAIL FROM:<john@example.org>", MailFrom{Address: addr}, ""},
		{"verb and keyword in any case, spaces around the colon", "mail from : <john@example.org>", MailFrom{Address: addr}, ""},
		{"leading spaces before the verb", "  MAIL FROM:<john@example.org>", MailFrom{Address: addr}, ""},
		{"tab after the verb", "MAIL\tFROM:<john@example.org>", MailFrom{Address: addr}, ""},
		{"null sender", "MAIL FROM:<>", MailFrom{}, ""},
		{"postmaster is the null sender", "MAIL FROM:<PostMaster>", MailFrom{}, ""},
		{"no brackets", "MAIL FROM:john@example.org", MailFrom{}, ReplyMailSyntax},
		{"no closing bracket", "MAIL FROM:<john@example.org", MailFrom{}, ReplyMailSyntax},
		{"address literal", "MAIL FROM:<john@[192.0.2.1]>", MailFrom{}, ReplyBadSender},
		{"two @", "MAIL FROM:<a@b@c>", MailFrom{}, ReplyBadSender},
		{"leading dot", "MAIL FROM:<.a@b>", MailFrom{}, ReplyBadSender},
		{"quoted local part loses its quotes", `MAIL FROM:<"j d"@example.org>`, MailFrom{Address: "j d@example.org"}, ""},
		{"escapes in quotes", `MAIL FROM:<"a\"b\\c"@d>`, MailFrom{Address: `a"b\c@d`}, ""},
		{"source route dropped", "MAIL FROM:<@a,@b:john@example.org>", MailFrom{Address: addr}, ""},
		{"257-byte address", "MAIL FROM:<" + repeat('a', 245) + "@example.org>", MailFrom{}, ReplyBadSender},
		{"a '>' too many", "MAIL FROM:<john@example.org>>", MailFrom{}, ReplyMailSyntax},
		{"SIZE", "MAIL FROM:<john@example.org> SIZE=1000", MailFrom{Address: addr, Size: 1000}, ""},
		{"parameter right after the bracket", "MAIL FROM:<john@example.org>SIZE=5", MailFrom{Address: addr, Size: 5}, ""},
		{"SIZE lower case, spaces before the number", "MAIL FROM:<john@example.org> size= 7", MailFrom{Address: addr, Size: 7}, ""},
		{"SIZE not a number", "MAIL FROM:<john@example.org> SIZE=abc", MailFrom{}, `501 5.5.4 Invalid parameter "SIZE".`},
		{"SIZE empty", "MAIL FROM:<john@example.org> SIZE=", MailFrom{}, `501 5.5.4 Invalid parameter "SIZE".`},
		{"SIZE with trailing letters", "MAIL FROM:<john@example.org> SIZE=10k", MailFrom{}, `501 5.5.4 Invalid parameter "SIZE".`},
		{"SIZE saturating is no number", "MAIL FROM:<john@example.org> SIZE=18446744073709551615", MailFrom{}, `501 5.5.4 Invalid parameter "SIZE".`},
		{"SIZE past saturation starts afresh", "MAIL FROM:<john@example.org> SIZE=184467440737095516159", MailFrom{Address: addr, Size: 9}, ""},
		{"SIZE without a value is unknown", "MAIL FROM:<john@example.org> SIZE", MailFrom{}, `504 5.5.4 Unsupported parameter "SIZE".`},
		{"unknown, upper-cased whole", "MAIL FROM:<john@example.org> FOO=bar", MailFrom{}, `504 5.5.4 Unsupported parameter "FOO=BAR".`},
		{"unknown keyword", "MAIL FROM:<john@example.org> XYZ", MailFrom{}, `504 5.5.4 Unsupported parameter "XYZ".`},
		{"unknown after a good one", "MAIL FROM:<john@example.org> SIZE=5 X_Y=z", MailFrom{}, `504 5.5.4 Unsupported parameter "X_Y=Z".`},
		{"first error wins", "MAIL FROM:<john@example.org> FOO=1 SIZE=abc", MailFrom{}, `504 5.5.4 Unsupported parameter "FOO=1".`},
		{"unknown with a quote and a control byte", "MAIL FROM:<john@example.org> A=\"b\x01", MailFrom{}, `504 5.5.4 Unsupported parameter "A=\"B\u{1}".`},
		{"unknown with invalid UTF-8", "MAIL FROM:<john@example.org> A=\xff", MailFrom{}, "504 5.5.4 Unsupported parameter \"A=\uFFFD\"."},
		{"keyword over 16 letters", "MAIL FROM:<john@example.org> ABCDEFGHIJKLMNOPQRS=1", MailFrom{}, `504 5.5.4 Unsupported parameter "ABCDEFGHIJKLMNOPQRS=1".`},
		{"SMTPUTF8 with a value is unknown", "MAIL FROM:<john@example.org> SMTPUTF8=yes", MailFrom{}, `504 5.5.4 Unsupported parameter "SMTPUTF8=YES".`},
		{"BODY values", "MAIL FROM:<john@example.org> BODY=8bitmime BODY=7BIT SMTPUTF8", MailFrom{Address: addr, Flags: MailBody8BitMIME | MailBody7Bit | MailSMTPUTF8}, ""},
		{"BODY bad", "MAIL FROM:<john@example.org> BODY=8BIT", MailFrom{}, `501 5.5.4 Invalid parameter "BODY".`},
		{"BINARYMIME", "MAIL FROM:<john@example.org> BODY=BINARYMIME", MailFrom{Address: addr, Flags: MailBodyBinaryMIME}, ""},
		{"duplicates: the last value", "MAIL FROM:<john@example.org> SIZE=1 SIZE=2", MailFrom{Address: addr, Size: 2}, ""},
		{"RET", "MAIL FROM:<john@example.org> RET=hdrs", MailFrom{Address: addr, Flags: MailRetHdrs}, ""},
		{"RET bad", "MAIL FROM:<john@example.org> RET=ALL", MailFrom{}, `501 5.5.4 Invalid parameter "RET".`},
		{"ENVID xtext", "MAIL FROM:<john@example.org> ENVID=QQ+2B314", MailFrom{Address: addr, EnvID: strp("QQ+314")}, ""},
		{"ENVID high xtext is Latin-1", "MAIL FROM:<john@example.org> ENVID=a+E9", MailFrom{Address: addr, EnvID: strp("a\u00e9")}, ""},
		{"ENVID '+' then a space eats it", "MAIL FROM:<john@example.org> ENVID=abc+ SIZE=100", MailFrom{Address: addr, EnvID: strp("abcSIZE=100")}, ""},
		{"ENVID empty", "MAIL FROM:<john@example.org> ENVID=", MailFrom{}, `501 5.5.4 Invalid parameter "ENVID".`},
		{"ENVID 101 bytes", "MAIL FROM:<john@example.org> ENVID=" + repeat('x', 101), MailFrom{}, `501 5.5.4 Invalid parameter "ENVID".`},
		{"REQUIRETLS", "MAIL FROM:<john@example.org> REQUIRETLS", MailFrom{Address: addr, Flags: MailRequireTLS}, ""},
		{"BY notify", "MAIL FROM:<john@example.org> BY=-60;N", MailFrom{Address: addr, By: -60, Flags: MailByNotify}, ""},
		{"BY return trace", "MAIL FROM:<john@example.org> BY=3600;RT", MailFrom{Address: addr, By: 3600, Flags: MailByReturn | MailByTrace}, ""},
		{"BY space before the mode", "MAIL FROM:<john@example.org> BY=10; R", MailFrom{Address: addr, By: 10, Flags: MailByReturn}, ""},
		{"BY without mode", "MAIL FROM:<john@example.org> BY=10", MailFrom{}, `501 5.5.4 Invalid parameter "BY".`},
		{"BY bad mode", "MAIL FROM:<john@example.org> BY=10;X", MailFrom{}, `501 5.5.4 Invalid parameter "BY".`},
		{"MT-PRIORITY", "MAIL FROM:<john@example.org> MT-PRIORITY=-3", MailFrom{Address: addr, MtPriority: -3}, ""},
		{"MT-PRIORITY bad", "MAIL FROM:<john@example.org> MT-PRIORITY=high", MailFrom{}, `501 5.5.4 Invalid parameter "MT-PRIORITY".`},
		{"HOLDFOR and HOLDUNTIL", "MAIL FROM:<john@example.org> HOLDFOR=60 HOLDUNTIL=1800000000", MailFrom{Address: addr, HoldFor: 60, HoldUntil: 1800000000}, ""},
		{"HOLDFOR bad", "MAIL FROM:<john@example.org> HOLDFOR=-1", MailFrom{}, `501 5.5.4 Invalid parameter "HOLDFOR".`},
		{"TRANSID, next parameter glued", "MAIL FROM:<john@example.org> TRANSID=<x@y>SIZE=5", MailFrom{Address: addr, TransID: strp("x@y"), Size: 5}, ""},
		{"TRANSID without brackets", "MAIL FROM:<john@example.org> TRANSID=x", MailFrom{}, `501 5.5.4 Invalid parameter "TRANSID".`},
		{"MTRK", "MAIL FROM:<john@example.org> MTRK=abc:10", MailFrom{Address: addr, Mtrk: &Mtrk{Certifier: "abc", Timeout: 10}}, ""},
		{"MTRK bad timeout", "MAIL FROM:<john@example.org> MTRK=abc:x", MailFrom{}, `501 5.5.4 Invalid parameter "MTRK".`},
		{"AUTH", "MAIL FROM:<john@example.org> AUTH=<>", MailFrom{Address: addr, Auth: strp("<>")}, ""},
		{"SOLICIT", "MAIL FROM:<john@example.org> SOLICIT=org.example:x", MailFrom{Address: addr, Solicit: strp("org.example:x")}, ""},
		{"SOLICIT empty", "MAIL FROM:<john@example.org> SOLICIT= x", MailFrom{}, `501 5.5.4 Invalid parameter "SOLICIT".`},
		{"CONPERM", "MAIL FROM:<john@example.org> CONPERM", MailFrom{Address: addr, Flags: MailConperm}, ""},
		{"tab between parameters", "MAIL FROM:<john@example.org> SIZE=1\tRET=FULL", MailFrom{Address: addr, Size: 1, Flags: MailRetFull}, ""},
		{"FROM then the end: incomplete", "MAIL FROM", MailFrom{}, ReplyMailSyntax},
		{"not MAIL", "MAILX FROM:<a@b>", MailFrom{}, ReplyInvalidCommand},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseMail(tt.line)
			checkParse(t, tt.line, got, tt.want, err, tt.reply)
		})
	}
}

// TestParseRcptVectors: RCPT lines, as TestParseMailVectors.
func TestParseRcptVectors(t *testing.T) {
	t.Parallel()
	const addr = "bill@example.org"
	tests := []struct {
		name  string
		line  string
		want  RcptTo
		reply string
	}{
		{"no parameters", "RCPT TO:<bill@example.org>", RcptTo{Address: addr}, ""},
		{"empty address parses", "RCPT TO:<>", RcptTo{}, ""},
		{"bad address", "RCPT TO:<bill>", RcptTo{}, ReplyBadRcpt},
		{"no TO", "RCPT <bill@example.org>", RcptTo{}, ReplyRcptSyntax},
		{"NOTIFY list", "RCPT TO:<bill@example.org> NOTIFY=success,FAILURE,DELAY", RcptTo{Address: addr, Flags: RcptNotifySuccess | RcptNotifyFailure | RcptNotifyDelay}, ""},
		{"NOTIFY NEVER first, then more", "RCPT TO:<bill@example.org> NOTIFY=NEVER,SUCCESS", RcptTo{Address: addr, Flags: RcptNotifyNever | RcptNotifySuccess}, ""},
		{"NOTIFY NEVER after another", "RCPT TO:<bill@example.org> NOTIFY=SUCCESS,NEVER", RcptTo{}, `501 5.5.4 Invalid parameter "NOTIFY".`},
		{"NOTIFY trailing comma", "RCPT TO:<bill@example.org> NOTIFY=SUCCESS,", RcptTo{}, `501 5.5.4 Invalid parameter "NOTIFY".`},
		{"ORCPT", "RCPT TO:<bill@example.org> ORCPT=rfc822;Bill+40example.org", RcptTo{Address: addr, ORcpt: strp("Bill@example.org")}, ""},
		{"ORCPT other type", "RCPT TO:<bill@example.org> ORCPT=x400;bill", RcptTo{}, `501 5.5.4 Invalid parameter "ORCPT".`},
		{"ORCPT empty", "RCPT TO:<bill@example.org> ORCPT=rfc822;", RcptTo{}, `501 5.5.4 Invalid parameter "ORCPT".`},
		{"RRVS date, continue", "RCPT TO:<bill@example.org> RRVS=2026-11-25T12:00:00Z;C", RcptTo{Address: addr, RRVS: 1795608000, Flags: RcptRRVSContinue}, ""},
		{"RRVS with a zone, reject by default", "RCPT TO:<bill@example.org> RRVS=2026-11-25T12:00:00+01:00", RcptTo{Address: addr, RRVS: 1795604400, Flags: RcptRRVSReject}, ""},
		{"RRVS without a date", "RCPT TO:<bill@example.org> RRVS=;R", RcptTo{Address: addr, RRVS: math.MaxInt64, Flags: RcptRRVSReject}, ""},
		{"RRVS short date", "RCPT TO:<bill@example.org> RRVS=2026-11-25", RcptTo{}, `501 5.5.4 Invalid parameter "RRVS".`},
		{"CONNEG", "RCPT TO:<bill@example.org> CONNEG", RcptTo{Address: addr, Flags: RcptConneg}, ""},
		{"MAIL parameter at RCPT", "RCPT TO:<bill@example.org> SIZE=10", RcptTo{}, `504 5.5.4 Unsupported parameter "SIZE=10".`},
		{"garbage", "RCPT TO:<bill@example.org> !", RcptTo{}, ReplyRcptSyntax},
		{"TO then the end: incomplete", "RCPT TO", RcptTo{}, ReplyRcptSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseRcpt(tt.line)
			checkParse(t, tt.line, got, tt.want, err, tt.reply)
		})
	}
}

func checkParse[T any](t *testing.T, line string, got, want T, err error, reply string) {
	t.Helper()
	if reply != "" {
		var le *LineError
		if !errors.As(err, &le) {
			t.Fatalf("%q: parsed as %+v, want the reply %q", line, got, reply)
		}
		if le.Reply != reply {
			t.Errorf("%q: reply\n got %s\nwant %s", line, le.Reply, reply)
		}
		return
	}
	if err != nil {
		t.Fatalf("%q: %v", line, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%q:\n got %+v\nwant %+v", line, got, want)
	}
}

func repeat(c byte, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = c
	}
	return string(b)
}

// TestIncompleteLine: "MAIL FROM" with nothing after is where smtp-proto
// waits for more; hooksim says so and answers the syntax error.
func TestIncompleteLine(t *testing.T) {
	t.Parallel()
	for _, line := range []string{"MAIL FROM", "mail from", "RCPT TO"} {
		var err error
		if line[0] == 'R' {
			_, err = ParseRcpt(line)
		} else {
			_, err = ParseMail(line)
		}
		var le *LineError
		if !errors.As(err, &le) || !le.Incomplete {
			t.Errorf("%q: %v, want an incomplete line", line, err)
		}
	}
	if _, err := ParseMail("MAIL FROM "); err == nil || err.(*LineError).Incomplete {
		t.Errorf("MAIL FROM and a space is a plain syntax error: %v", err)
	}
}

// TestRustDebugQuote: parameter names are printed as Rust's {:?} prints a
// str.
func TestRustDebugQuote(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"SIZE", `"SIZE"`},
		{`A="B\`, `"A=\"B\\"`},
		{"\x00\t\r\n\x01\x7f", `"\0\t\r\n\u{1}\u{7f}"`},
		{"\u00e9\uFFFD", "\"\u00e9\uFFFD\""},
		{"a\u0301", `"a\u{301}"`},            // a combining mark (grapheme extender)
		{"\u200b\u00a0", `"\u{200b}\u{a0}"`}, // format and a non-breaking space
	} {
		if got := rustDebugQuote(tt.in); got != tt.want {
			t.Errorf("rustDebugQuote(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// TestParamTextRoundTrip: ParamText writes what ParseMail and ParseRcpt
// read back to the same values.
func TestParamTextRoundTrip(t *testing.T) {
	t.Parallel()
	m := MailFrom{Address: "a@b", Flags: MailSMTPUTF8 | MailBody8BitMIME | MailRetHdrs | MailRequireTLS | MailConperm | MailByReturn | MailByTrace,
		Size: 1000, By: -5, MtPriority: 3, HoldFor: 60, HoldUntil: 1800000000, EnvID: strp("x+y= \u00e9\u4e2d\n"), TransID: strp("t@x"),
		Solicit: strp("org:x"), Auth: strp("<>"), Mtrk: &Mtrk{Certifier: "c", Timeout: 9}}
	text := m.ParamText()
	back, err := ParseMail("MAIL FROM:<a@b> " + text)
	if err != nil || !reflect.DeepEqual(back, m) {
		t.Errorf("MAIL %q read back as %+v, %v; want %+v", text, back, err, m)
	}
	r := RcptTo{Address: "a@b", Flags: RcptNotifyNever | RcptNotifyDelay | RcptConneg | RcptRRVSContinue, ORcpt: strp("Bill@x"), RRVS: 1795608000}
	text = r.ParamText()
	rback, err := ParseRcpt("RCPT TO:<a@b> " + text)
	if err != nil || !reflect.DeepEqual(rback, r) {
		t.Errorf("RCPT %q read back as %+v, %v; want %+v", text, rback, err, r)
	}
	if got := (&MailFrom{}).ParamText(); got != "" {
		t.Errorf("no parameters: %q", got)
	}
}
