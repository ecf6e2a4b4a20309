package simulator

import (
	"encoding/base64"
	"testing"
)

// DecodeBase64 is mail-parser 0.11.6's base64_decode
// (decoders/base64.rs): blanks skipped, "=" closing a group early, a last
// group without "=" dropped, 0xFF ending the input, anything else refused.
func TestDecodeBase64AsMailParser(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string
		ok   bool
	}{
		{"am9obg==", "john", true},
		{"am9obg", "joh", true},         // the last group, unpadded, is dropped
		{"am9o", "joh", true},           // whole groups need no padding
		{"am 9o\r\nbg==", "john", true}, // blanks are skipped
		{"am9obg=", "john", true},       // one "=" closes a group of two
		{"a===", "h", true},             // "=" after one character gives a byte
		{"am9o!", "", false},            // not base64
		{"am9o\xffbg==", "joh", true},   // 0xFF ends the input
		{"", "", true},
	} {
		got, ok := DecodeBase64(c.in)
		if ok != c.ok || (ok && string(got) != c.want) {
			t.Errorf("DecodeBase64(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

// SASL credentials as Stalwart's directory reads them (sasl.rs).
func TestDecodeSASLAsStalwart(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	jwt := "eyJhbGciOiJub25lIn0." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"123","email":"ann@example.org"}`)) + ".sig"
	for _, c := range []struct {
		mech, resp, login, secret string
		ok                        bool
	}{
		{"plain", b64("\x00john\x00pw"), "john", "pw", true},
		{"plain", b64("admin\x00john\x00pw\x00extra"), "john", "pw", true},
		{"plain", b64("\x00john\x00"), "", "", false},
		{"plain", b64("\x00jo\xffhn\x00pw"), "", "", false}, // not UTF-8
		{"oauthbearer", b64("n,a=ann@example.org,\x01auth=Bearer tok\x01\x01"), "ann@example.org", "tok", true},
		{"oauthbearer", b64("n,,\x01AUTH=bearer tok\x01\x01"), "", "", false}, // no user to take
		{"oauthbearer", b64("n,,\x01auth=Bearer " + jwt + "\x01\x01"), "ann@example.org", jwt, true},
		{"oauthbearer", b64("n,a=john,\x01auth=Bearer tok\x01\x01"), "john", "tok", true},     // hooksim's directory: the a= given
		{"oauthbearer", b64("n,a=ann@example.org\x01auth=Bearer tok\x01\x01"), "", "", false}, // the a= value takes the \x01 ending its field
		{"xoauth2", b64("user=bill@example.org\x01auth=Bearer tok\x01\x01"), "bill@example.org", "tok", true},
		{"xoauth2", b64("user=bill@example.org\x01auth=Basic tok\x01\x01"), "", "", false},
	} {
		login, secret, ok := DecodeSASL(c.mech, c.resp)
		if ok != c.ok || (ok && (login != c.login || secret != c.secret)) {
			r, _ := base64.StdEncoding.DecodeString(c.resp)
			t.Errorf("%s %q: %q, %q, %v; want %q, %q, %v", c.mech, r, login, secret, ok, c.login, c.secret, c.ok)
		}
	}
}

// smtpString is smtp-proto's string() (parser.rs:501-542).
func TestSMTPString(t *testing.T) {
	for in, want := range map[string]string{
		"bill":         "bill",
		"  bill  rest": "bill",
		`"john doe" x`: "john doe",
		`"a\"b" x`:     `a"b`,
		`"a\\b"`:       `a\b`,
		`""`:           "",
		"a\r":          "a",
		"x\nignored":   "x",
	} {
		if got := smtpString(in); got != want {
			t.Errorf("smtpString(%q) = %q, want %q", in, got, want)
		}
	}
}
