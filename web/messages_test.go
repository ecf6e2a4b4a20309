package web

import (
	"fmt"
	"testing"
)

func TestHeaderDiff(t *testing.T) {
	t.Parallel()
	h := func(pairs ...string) [][2]string {
		var out [][2]string
		for i := 0; i+1 < len(pairs); i += 2 {
			out = append(out, [2]string{pairs[i], pairs[i+1]})
		}
		return out
	}
	tests := []struct {
		name string
		a, b [][2]string
		want string
	}{
		{"same", h("A", "1", "B", "2"), h("A", "1", "B", "2"), "[same A same B]"},
		{"added on top", h("A", "1"), h("X", "y", "A", "1"), "[added X same A]"},
		{"changed", h("A", "1", "Subject", "hi", "B", "2"), h("A", "1", "subject", "[SPAM] hi", "B", "2"), "[same A changed subject same B]"},
		{"removed", h("A", "1", "B", "2"), h("B", "2"), "[removed A same B]"},
		{"all new", nil, h("A", "1"), "[added A]"},
	}
	for _, tt := range tests {
		var got []string
		for _, c := range headerDiff(tt.a, tt.b) {
			got = append(got, c.Op+" "+c.Name)
		}
		if s := fmt.Sprint(got); s != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, s, tt.want)
		}
	}
}

func TestBodyDiffAndParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want string
	}{
		{"x\r\ny\r\n", "x\r\ny\r\n", `[{  "x\r\n"} {  "y\r\n"}]`},
		{"x\r\ny\r\n", "x\r\nz\r\n", `[{  "x\r\n"} {- "y\r\n"} {+ "z\r\n"}]`},
		{"", "new\n", `[{+ "new\n"}]`},
		{"a\nb\nc\n", "b\nc\nd\n", `[{- "a\n"} {  "b\n"} {  "c\n"} {+ "d\n"}]`},
	}
	for _, tt := range tests {
		var got []string
		for _, l := range bodyDiff([]byte(tt.a), []byte(tt.b)) {
			got = append(got, fmt.Sprintf("{%s %q}", l.Op, l.Text))
		}
		if s := fmt.Sprint(got); s != tt.want {
			t.Errorf("bodyDiff(%q, %q) = %s, want %s", tt.a, tt.b, s, tt.want)
		}
	}
	for _, raw := range []string{"", "\r\n", "no colon", "\n\n", "A: b"} {
		msgViewOf([]byte(raw))
	}
}
