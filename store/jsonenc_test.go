package store

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
)

// The hand-written encoders must write what json.Marshal writes, byte for
// byte (the escaping itself is internal/jsonesc's, tested there): lists
// and header pairs of tricky strings.
func TestJSONEncodersMatchEncodingJSON(t *testing.T) {
	t.Parallel()
	samples := []string{
		"", "plain", `"quoted" \ back`, "<b>&amp;</b>", "tab\there\r\n", "\x00\x01\x1f\x7f",
		"caf\xc3\xa9", "\xff\xfe bad", "\xe2\x80\xa8 line \xe2\x80\xa9 para", "emoji \xf0\x9f\x98\x80",
		"truncated \xe2\x80", "Subject: =?utf-8?q?x?=", "\u00e9\u4e16\u754c",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		b := make([]byte, rng.IntN(24))
		for i := range b {
			// Bytes around the interesting edges: controls, ASCII, UTF-8 lead and continuation bytes.
			b[i] = []byte{0x00, 0x09, 0x1f, ' ', '"', '\\', '<', '&', 'a', 0x7f, 0x80, 0xbf, 0xc3, 0xe2, 0xf0, 0xff}[rng.IntN(16)]
		}
		samples = append(samples, string(b))
	}
	for _, s := range samples {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendJSONString(nil, s); string(got) != string(want) {
			t.Fatalf("appendJSONString(%q) = %s, json.Marshal gives %s", s, got, want)
		}
	}
	// Through the writer's buffer, as rows are written: the first string
	// is checked after the second was appended (the buffer may have
	// grown under it).
	var j jsonScratch
	for i := 0; i+3 <= len(samples); i += 3 {
		list := samples[i : i+3]
		h := []Header{{Name: list[0], Value: list[1]}, {Name: "X", Value: list[2]}}
		j.reset()
		gotList, gotHeaders := j.strings(list), j.headers(h)
		want, _ := json.Marshal(list)
		if gotList != string(want) {
			t.Fatalf("strings(%q) = %s, want %s", list, gotList, want)
		}
		want, _ = json.Marshal([][2]string{{list[0], list[1]}, {"X", list[2]}})
		if gotHeaders != string(want) {
			t.Fatalf("headers(%q) = %s, want %s", h, gotHeaders, want)
		}
	}
	j.reset()
	if j.strings(nil) != "[]" || j.headers(nil) != "[]" {
		t.Fatal("an empty list must be []")
	}
}
