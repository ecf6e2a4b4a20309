package rebuild

import (
	"testing"

	"github.com/hooksim/hooksim/simulator/modify"
	"github.com/hooksim/hooksim/simulator/wire"
)

// TestRebuildMessage checks the inverse of the simulator's message
// handling directly: a message as Stalwart kept it, split as the
// simulator splits it into a request's headers, contents and size, is
// rebuilt into bytes that split the same way and have that size, and
// into the very bytes when they are valid UTF-8 and Stalwart passed all
// of them on.
func TestRebuildMessage(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name  string
		raw   string
		exact bool
	}{
		{"crlf", "Subject: a\r\nFrom: b@example.org\r\n\r\nbody\r\n", true},
		{"folded", "Subject: a\r\n b\r\nTo: c@example.org,\r\n\td@example.org\r\n\r\nbody", true},
		{"bare lf", "Subject: a\nFrom: b@example.org\n\nbody\n", true},
		{"no blank line", "Subject: a\r\n", true},
		{"no line end", "Subject: a", true},
		{"blank line only", "Subject: a\r\n\r\n", true},
		{"space before colon", "Subject : a\r\n\r\nx", true},
		{"dot lines", "Subject: a\r\n\r\n.\r\n..\r\n", true},
		{"one-byte invalid", "Subject: caf\xe9\r\n\r\ncaf\xe9 cr\xe8me\r\n", false},
		{"two- and three-byte invalid", "Subject: x\r\n\r\n\xe0\xa0 and \xf0\x90\x80 and \xed\xa0\x80!", false},
		{"genuine U+FFFD", "Subject: x\r\n\r\n\uFFFD", false},
		{"line without colon", "Subject: a\r\nnot a header\r\n\r\nbody", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			sp := modify.Split([]byte(c.raw))
			m := &message{headers: sp.WireHeaders(), contents: sp.WireContents(), size: int64(len(c.raw))}
			got := rebuildMessage(7, m)
			if got.exact != c.exact {
				t.Errorf("exact = %v, want %v (notes %q)", got.exact, c.exact, got.notes)
			}
			if c.exact && string(got.raw) != c.raw {
				t.Errorf("rebuilt %q, want %q", got.raw, c.raw)
			}
			if !c.exact && len(got.notes) == 0 {
				t.Errorf("not exact, but no note")
			}
			back := modify.Split(got.raw)
			if !sameHeaders(back.WireHeaders(), m.headers) || back.WireContents() != m.contents {
				t.Errorf("rebuilt %q splits into %q / %q, want %q / %q", got.raw, back.WireHeaders(), back.WireContents(), m.headers, m.contents)
			}
			// A line Stalwart drops cannot come back; everything else
			// gives the size Stalwart sent.
			if c.name != "line without colon" && int64(len(got.raw)) != m.size {
				t.Errorf("rebuilt %d bytes, want %d", len(got.raw), m.size)
			}
		})
	}
}

// TestRebuildMessageSizeOutOfReach: when no choice of blank line and
// replacement bytes gives message.size, the note says both sizes.
func TestRebuildMessageSizeOutOfReach(t *testing.T) {
	t.Parallel()
	m := &message{headers: []wire.Header{{Name: "Subject", Value: " x\r\n"}}, contents: "\uFFFD", size: 100}
	got := rebuildMessage(3, m)
	if got.exact || len(got.notes) != 2 {
		t.Fatalf("exact %v, notes %q: want the U+FFFD note and the size note", got.exact, got.notes)
	}
	if want := "Subject: x\r\n\r\n\xff"; string(got.raw) != want {
		t.Errorf("rebuilt %q, want %q", got.raw, want)
	}
}
