package compare

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// sides rebuilds both inputs from an edit script.
func sides(ls []Line) (a, b []string) {
	for _, l := range ls {
		if l.Op != OpAdded {
			a = append(a, l.Text)
		}
		if l.Op != OpRemoved {
			b = append(b, l.Text)
		}
	}
	return a, b
}

func edits(ls []Line) int {
	n := 0
	for _, l := range ls {
		if l.Op != OpSame {
			n++
		}
	}
	return n
}

func TestDiffLines(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		a, b  string
		edits int // the shortest edit script's length
	}{
		{"equal", "a b c", "a b c", 0},
		{"both empty", "", "", 0},
		{"from empty", "", "a b", 2},
		{"to empty", "a b", "", 2},
		{"one changed", "a b c", "a x c", 2},
		{"insert middle", "a c", "a b c", 1},
		{"delete ends", "x a b y", "a b", 2},
		{"swap", "a b", "b a", 2},
		{"classic", "a b c a b b a", "c b a b a c", 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, b := strings.Fields(tc.a), strings.Fields(tc.b)
			ls := DiffLines(a, b)
			ga, gb := sides(ls)
			if !slices.Equal(ga, a) || !slices.Equal(gb, b) {
				t.Fatalf("script %v does not rebuild %v and %v", ls, a, b)
			}
			if n := edits(ls); n != tc.edits {
				t.Errorf("%d edits, want %d: %v", n, tc.edits, ls)
			}
		})
	}
}

func TestDiffLinesLarge(t *testing.T) {
	t.Parallel()
	// Beyond maxEditDistance the diff falls back to remove-then-add but
	// stays correct.
	var a, b []string
	for i := range 3000 {
		a = append(a, fmt.Sprintf("a%d", i))
		b = append(b, fmt.Sprintf("b%d", i))
	}
	a = append(a, "same")
	b = append(b, "same")
	ls := DiffLines(a, b)
	ga, gb := sides(ls)
	if !slices.Equal(ga, a) || !slices.Equal(gb, b) || ls[len(ls)-1] != (Line{OpSame, "same"}) {
		t.Fatal("large diff does not rebuild its inputs")
	}
}

func TestHunks(t *testing.T) {
	t.Parallel()
	var a []string
	for i := 1; i <= 20; i++ {
		a = append(a, fmt.Sprintf("%d", i))
	}
	b := slices.Clone(a)
	b[1] = "two"                 // near the top
	b[5] = "six"                 // 3 unchanged lines later: same hunk
	b = slices.Delete(b, 15, 16) // far below: its own hunk
	hs := hunks(DiffLines(a, b), 3)
	var got []string
	for _, h := range hs {
		got = append(got, fmt.Sprintf("-%d,%d +%d,%d", h.A, h.ALen, h.B, h.BLen))
	}
	want := []string{"-1,9 +1,9", "-13,7 +13,6"}
	if !slices.Equal(got, want) {
		t.Errorf("hunks %v, want %v", got, want)
	}
	// Only an insertion into an empty text.
	hs = hunks(DiffLines(nil, []string{"x"}), 3)
	if len(hs) != 1 || hs[0].A != 0 || hs[0].ALen != 0 || hs[0].B != 1 || hs[0].BLen != 1 {
		t.Errorf("insertion hunk %+v", hs)
	}
	if hunks(DiffLines(a, a), 3) != nil {
		t.Error("hunks of equal texts")
	}
}

func TestSplitLines(t *testing.T) {
	t.Parallel()
	got := splitLines([]byte("a\r\nb\nc"))
	if !slices.Equal(got, []string{"a\r\n", "b\n", "c"}) {
		t.Errorf("splitLines = %q", got)
	}
	if splitLines(nil) != nil {
		t.Error("splitLines(nil) is not nil")
	}
}

func TestPrintable(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"plain\ttext", "plain\ttext"},
		{"a\x1b[31mred", `a\x1b[31mred`},
		{"cr\r", `cr\r`},
		{"bad \xff utf8", `bad \xff utf8`},
		{"é ok", "é ok"},
		{"c1 \u0085 ls \u2028", `c1 \u0085 ls \u2028`},
		{"del\x7f", `del\x7f`},
	}
	for _, tc := range tests {
		if got := printable(tc.in); got != tc.want {
			t.Errorf("printable(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzDiffLines checks that every edit script rebuilds its inputs and
// that the rendering of a message diff never panics.
func FuzzDiffLines(f *testing.F) {
	f.Add([]byte("a\r\nb\r\n\r\nbody"), []byte("a\r\nc\r\n\r\nbody\n"))
	f.Add([]byte(""), []byte("x"))
	f.Add([]byte("\xff\x00\n"), []byte("\n\n\n"))
	f.Fuzz(func(t *testing.T, x, y []byte) {
		a, b := splitLines(x), splitLines(y)
		ls := DiffLines(a, b)
		ga, gb := sides(ls)
		if !slices.Equal(ga, a) || !slices.Equal(gb, b) {
			t.Fatalf("script does not rebuild its inputs")
		}
		if !bytes.Equal([]byte(strings.Join(a, "")), x) {
			t.Fatalf("splitLines lost bytes")
		}
		var sb strings.Builder
		writeTransaction(&sb, &TransactionDiff{Number: 1, Status: StatusChanged, Message: hunks(ls, 3)})
	})
}
