package jsonesc

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
)

// AppendQuoted writes what json.Marshal writes for a string, byte for
// byte: control bytes, quotes, HTML characters, invalid UTF-8, U+2028.
func TestMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	samples := []string{
		"", "plain", `"quoted" \ back`, "<b>&amp;</b>", "tab\there\r\n", "\x00\x01\x1f\x7f",
		"caf\xc3\xa9", "\xff\xfe bad", "\xe2\x80\xa8 line \xe2\x80\xa9 para", "emoji \xf0\x9f\x98\x80",
		"truncated \xe2\x80", "\u00e9\u4e16\u754c",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		b := make([]byte, rng.IntN(24))
		for i := range b {
			// Bytes around the edges: controls, ASCII, UTF-8 lead and continuation bytes.
			b[i] = []byte{0x00, 0x09, 0x1f, ' ', '"', '\\', '<', '&', 'a', 0x7f, 0x80, 0xa8, 0xbf, 0xc3, 0xe2, 0xf0, 0xff}[rng.IntN(17)]
		}
		samples = append(samples, string(b))
	}
	for _, s := range samples {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendQuoted(nil, s); string(got) != string(want) {
			t.Fatalf("AppendQuoted(%q) = %s, json.Marshal gives %s", s, got, want)
		}
		if got := Append([]byte("x"), []byte(s)); string(got) != "x"+string(want[1:len(want)-1]) {
			t.Fatalf("Append(%q) = %s, want x + %s", s, got, want[1:len(want)-1])
		}
	}
}
