package modify

import (
	"slices"
	"testing"

	"github.com/hooksim/hooksim/simulator/wire"
)

func TestStripBrackets(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"a@b", "a@b"},
		{"  a@b \t", "a@b"},
		{"<a@b>", "a@b"},
		{"< a@b >", "a@b"},
		{"<a@b> SIZE=1", "a@b"},
		{"<a@b", "a@b"},
		{"<>", ""},
		{"< >", ""},
		{"<<a@b>>", "<a@b>"},
		{"a@b>", "a@b>"},
		{"\u00a0<a@b>\u2003", "a@b"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := stripBrackets(tt.in); got != tt.want {
			t.Errorf("stripBrackets(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRustLower(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"Bob@Example.COM", "bob@example.com"},
		{"\u0130nfo@x", "i\u0307nfo@x"},                          // capital I with dot above: two code points
		{"\u039f\u0394\u039f\u03a3", "\u03bf\u03b4\u03bf\u03c2"}, // final sigma at word end
		{"\u03a3\u039f", "\u03c3\u03bf"},                         // sigma at word start
		{"A\u03a3@x", "a\u03c2@x"},                               // '@' is not a letter: word end
		{"A\u03a3.B", "a\u03c3.b"},                               // '.' is case-ignorable: a letter follows
		{"\u03a3", "\u03c3"},                                     // alone: no cased letter before
		{"\u00c9T\u00c9@x", "\u00e9t\u00e9@x"},
		{"bad\xffBYTE", "bad\xffbyte"},
	}
	for _, tt := range tests {
		if got := rustLower(tt.in); got != tt.want {
			t.Errorf("rustLower(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFlattenParameters(t *testing.T) {
	t.Parallel()
	v := func(s string) *string { return &s }
	tests := []struct {
		in   []wire.Parameter
		want string
	}{
		{nil, ""},
		{[]wire.Parameter{{Key: "SIZE", Value: v("10")}}, "SIZE=10"},
		{[]wire.Parameter{{Key: "RET", Value: nil}, {Key: "ENVID", Value: v("")}}, "RET ENVID="},
		{[]wire.Parameter{{Key: "", Value: nil}, {Key: "A", Value: nil}}, "A"},
	}
	for _, tt := range tests {
		if got := flattenParameters(tt.in); got != tt.want {
			t.Errorf("flattenParameters(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestHeaderInjects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, value string
		want        bool
	}{
		{"X", "plain", false},
		{"X", "ends\r\n", false},
		{"X", "ends\n", false},
		{"X", "fold\r\n more", false},
		{"X", "fold\n\tmore\r\n", false},
		{"X", "a\r\nBcc: v@x", true},
		{"X", "a\nB: c", true},
		{"X", "bare\rcr", true},
		{"X", "ends cr\r", true},
		{"X", "two\r\n\r\n", true},
		{"X", "fold at end\r\n ", false},
		{"X\r\nY", "v", true},
		{"X\n", "v", true},
	}
	for _, tt := range tests {
		if got := headerInjects(tt.name, tt.value); got != tt.want {
			t.Errorf("headerInjects(%q, %q) = %v, want %v", tt.name, tt.value, got, tt.want)
		}
	}
}

func TestApplyNotesAttribution(t *testing.T) {
	t.Parallel()
	msg := Split([]byte("From: a@example.net\r\nX-T: 1\r\n\r\nbody"))
	mods := []wire.Modification{
		{Type: wire.ModChangeHeader, Index: 5, Name: "X-T", Value: "v"},           // 0: out of range (rewrite pass)
		{Type: wire.ModAddRecipient, Value: "nobody"},                             // 1: no @
		{Type: wire.ModDeleteHeader, Index: 0, Name: "X-T"},                       // 2: index zero (rewrite pass)
		{Type: wire.ModReplaceContents, Value: "a"},                               // 3
		{Type: wire.ModReplaceContents, Value: "b"},                               // 4: multiple
		{Type: wire.ModChangeHeader, Index: 1, Name: "X-New", Value: "x\r\ny: z"}, // 5: crlf + absent
	}
	res := Apply(msg, Envelope{}, mods)
	type mc struct {
		mod  int
		code string
	}
	var got []mc
	for _, n := range res.Notes {
		got = append(got, mc{n.Mod, n.Code})
	}
	want := []mc{
		{0, NoteHeaderIndexOutOfRange},
		{1, NoteAddRecipientNoAt},
		{2, NoteHeaderIndexZero},
		{4, NoteReplaceContentsMultiple},
		{5, NoteHeaderCRLF},
		{5, NoteChangeHeaderAbsent},
	}
	if !slices.Equal(got, want) {
		t.Errorf("notes = %v, want %v", got, want)
	}
	wantRaw := "X-New: x\r\ny: z\r\nFrom: a@example.net\r\nX-T: 1\r\n\r\nab"
	if string(res.Raw) != wantRaw {
		t.Errorf("raw = %q, want %q", res.Raw, wantRaw)
	}
}

func TestApplyEnvelopeIsACopy(t *testing.T) {
	t.Parallel()
	to := make([]Address, 1, 8) // spare capacity: an append would alias
	to[0] = Address{Address: "b@x", Lower: "b@x"}
	in := Envelope{From: &Address{Address: "a@x", Lower: "a@x"}, To: to}
	res := Apply(Split([]byte("From: a@x\r\n\r\n")), in, []wire.Modification{
		{Type: wire.ModAddRecipient, Value: "c@x"},
	})
	if len(res.Envelope.To) != 2 {
		t.Fatalf("To = %v", res.Envelope.To)
	}
	res.Envelope.To[0].Address = "changed"
	res.Envelope.From.Address = "changed"
	if to[:2][1].Address != "" || to[0].Address != "b@x" || in.From.Address != "a@x" {
		t.Errorf("result aliases the input: to=%v from=%v", to[:2], in.From)
	}
	if res.Raw != nil {
		t.Errorf("envelope-only modifications changed the message: %q", res.Raw)
	}
}

func TestApplyUnknownTypeIgnored(t *testing.T) {
	t.Parallel()
	res := Apply(Split([]byte("From: a\r\n\r\n")), Envelope{}, []wire.Modification{{Type: "addRcpt", Value: "x@y"}})
	if res.Raw != nil || len(res.Envelope.To) != 0 || len(res.Notes) != 0 {
		t.Errorf("unknown type did something: %+v", res)
	}
}
