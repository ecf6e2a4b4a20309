package modify

import (
	"bytes"
	"testing"
	"unicode/utf8"

	"github.com/hooksim/hooksim/simulator/wire"
)

// FuzzSplitApply feeds arbitrary messages and modification lists (wire
// JSON) to Split and Apply: nothing may panic, and basic invariants hold.
func FuzzSplitApply(f *testing.F) {
	for _, v := range loadVectors(f) {
		f.Add([]byte(v.Message), []byte(v.Modifications))
	}
	f.Add([]byte("Date: -Z\r\nX: y\r\n\r\n"), []byte(`[{"type":"insertHeader","index":2,"name":"Date","value":"v"}]`))
	f.Add([]byte("Subject"), []byte(`[{"type":"deleteHeader","index":1,"name":"Subjec"}]`))
	f.Add([]byte(":\n\n"), []byte(`[]`))

	f.Fuzz(func(t *testing.T, raw, modsJSON []byte) {
		m := Split(raw)
		checkSplit(t, raw, m)

		mods, err := decodeMods(modsJSON)
		if err != nil {
			return
		}
		env := Envelope{From: &Address{Address: "a@x", Lower: "a@x"}, To: []Address{{Address: "b@x", Lower: "b@x"}}}
		res := Apply(m, env, mods)
		if env.From.Address != "a@x" || len(env.To) != 1 || env.To[0].Address != "b@x" {
			t.Fatalf("Apply modified its input envelope: %+v", env)
		}
		again := Apply(m, env, mods)
		if !bytes.Equal(res.Raw, again.Raw) || (res.Raw == nil) != (again.Raw == nil) || len(res.Notes) != len(again.Notes) {
			t.Fatal("Apply is not deterministic")
		}
		for _, n := range res.Notes {
			if n.Mod < 0 || n.Mod >= len(mods) || n.Code == "" || n.Text == "" {
				t.Fatalf("bad note %+v", n)
			}
		}
		for _, a := range res.Envelope.To[1:] {
			if !bytes.ContainsRune([]byte(a.Address), '@') {
				t.Fatalf("recipient without @ added: %+v", a)
			}
		}

		var headerMods, rewrite, replace bool
		var body []byte
		for _, mod := range mods {
			switch mod.Type {
			case wire.ModAddHeader:
				headerMods = true
			case wire.ModInsertHeader, wire.ModDeleteHeader:
				headerMods, rewrite = true, true
			case wire.ModChangeHeader:
				headerMods = true
				if mod.Value == "" || m.hasHeader(mod.Name) {
					rewrite = true
				}
			case wire.ModReplaceContents:
				replace = true
				body = append(body, mod.Value...)
			}
		}
		if !headerMods && len(body) == 0 {
			if res.Raw != nil {
				t.Fatalf("message changed without header or body modifications: %q", res.Raw)
			}
			return
		}
		if res.Raw == nil {
			t.Fatal("message unchanged despite modifications")
		}
		newBody := m.Body
		if replace && len(body) > 0 {
			newBody = body
		}
		if !bytes.HasSuffix(res.Raw, newBody) {
			t.Fatalf("result %q does not end with the body %q", res.Raw, newBody)
		}
		if !rewrite && !bytes.HasSuffix(res.Raw, append(bytes.Clone(m.HeaderBlock), newBody...)) {
			t.Fatalf("prepend mode changed the original header block: %q", res.Raw)
		}
		if rewrite && !bytes.HasSuffix(res.Raw, append([]byte("\r\n"), newBody...)) {
			t.Fatalf("rewrite mode must end the header block with CRLF: %q", res.Raw)
		}
	})
}

// checkSplit asserts the invariants of a split message.
func checkSplit(t *testing.T, raw []byte, m *Message) {
	t.Helper()
	if !bytes.Equal(m.Raw, raw) {
		t.Fatal("Raw is not the input")
	}
	if !bytes.Equal(append(bytes.Clone(m.HeaderBlock), m.Body...), raw) {
		t.Fatal("HeaderBlock + Body != Raw")
	}
	for i, h := range m.Headers {
		if bytes.IndexByte(h.Name, '\n') >= 0 {
			t.Fatalf("header %d name %q holds a LF", i, h.Name)
		}
		if !bytes.HasSuffix(h.Value, []byte("\n")) && (i != len(m.Headers)-1 || len(m.Body) != 0) {
			t.Fatalf("header %d value %q does not end the line but is not last", i, h.Value)
		}
		if !bytes.Contains(m.HeaderBlock, h.Value) {
			t.Fatalf("header %d value outside the header block", i)
		}
	}
	if m.Parsable() && len(m.Headers) == 0 {
		t.Fatal("parsable without headers")
	}
	for _, h := range m.WireHeaders() {
		if !utf8.ValidString(h.Name) || !utf8.ValidString(h.Value) {
			t.Fatal("wire header not valid UTF-8")
		}
	}
	if !utf8.ValidString(m.WireContents()) {
		t.Fatal("wire contents not valid UTF-8")
	}
}
