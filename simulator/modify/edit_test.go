package modify

import (
	"bytes"
	"strings"
	"testing"

	"github.com/hooksim/hooksim/simulator/wire"
)

// TestEditAppendMessage checks that Edit's AppendMessage writes, after
// whatever the buffer already holds, the same bytes Apply returns, Size of
// them, and allocates nothing in a buffer sized for them: the simulator
// writes the final message straight after the server's headers that way.
// Not parallel: testing.AllocsPerRun refuses parallel tests.
func TestEditAppendMessage(t *testing.T) {
	const msg = "From: a@x\r\nSubject: hi\r\nX-Tag: 1\r\nX-Tag: 2\r\n\r\nbody line\r\n"
	long := strings.Repeat("v", 300) // longer than any guess at a header's size
	tests := []struct {
		name string
		mods []wire.Modification
	}{
		{"none", nil},
		{"envelope only", []wire.Modification{{Type: wire.ModAddRecipient, Value: "c@x"}}},
		{"addHeader", []wire.Modification{{Type: wire.ModAddHeader, Name: "X-Checked", Value: "yes"}}},
		{"long addHeaders", []wire.Modification{{Type: wire.ModAddHeader, Name: "X-A", Value: long}, {Type: wire.ModAddHeader, Name: "X-B", Value: long + "\r\n"}}},
		{"insertHeader", []wire.Modification{{Type: wire.ModInsertHeader, Index: 2, Name: "X-Tag", Value: " 1.5"}}},
		{"changeHeader", []wire.Modification{{Type: wire.ModChangeHeader, Index: 1, Name: "Subject", Value: long}}},
		{"deleteHeader", []wire.Modification{{Type: wire.ModDeleteHeader, Index: 2, Name: "X-Tag"}}},
		{"replaceContents", []wire.Modification{{Type: wire.ModReplaceContents, Value: "new\r\n"}}},
		{"replaceContents and addHeader", []wire.Modification{{Type: wire.ModReplaceContents, Value: "new\r\n"}, {Type: wire.ModAddHeader, Name: "X-C", Value: "1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Split([]byte(msg))
			want := Apply(m, Envelope{}, tt.mods)
			if want.Raw != nil && cap(want.Raw) != len(want.Raw) {
				t.Errorf("Apply: Raw has cap %d for %d bytes, want a buffer of exactly its size", cap(want.Raw), len(want.Raw))
			}
			res := Edit(m, Envelope{}, tt.mods)
			if res.Raw != nil {
				t.Errorf("Edit set Raw (%d bytes); only AppendMessage writes the message", len(res.Raw))
			}
			if res.Changed() != (want.Raw != nil) {
				t.Fatalf("Changed() = %v, Apply's Raw nil = %v", res.Changed(), want.Raw == nil)
			}
			if res.Size() != len(want.Raw) {
				t.Errorf("Size() = %d, want %d", res.Size(), len(want.Raw))
			}
			prefix := "Received: by test\r\n"
			buf := append(make([]byte, 0, len(prefix)+res.Size()), prefix...)
			var got []byte
			if n := testing.AllocsPerRun(10, func() { got = res.AppendMessage(buf) }); n != 0 {
				t.Errorf("AppendMessage into a buffer of the right size allocated %v times", n)
			}
			if wantAll := prefix + string(want.Raw); string(got) != wantAll {
				t.Errorf("AppendMessage after a prefix:\n got %q\nwant %q", got, wantAll)
			}
			if !bytes.Equal([]byte(msg), m.Raw) {
				t.Errorf("the received message changed: %q", m.Raw)
			}
		})
	}
}
