package jsondoc

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	t.Parallel()
	doc := "{\n  \"a\": [1, -2.5e3, true, null],\n  \"b\": \"x\\u00e9\\ud83d\\ude00\",\n  \"a\": {}\n}"
	n, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if n.Kind != Object || len(n.Members) != 3 {
		t.Fatalf("root %+v", n)
	}
	if got := n.Get("a"); got.Kind != Object {
		t.Errorf("Get keeps the last repeated member, got %v", got.Kind)
	}
	first := n.Members[0].Value
	if first.Kind != Array || len(first.Items) != 4 || first.Items[1].Text != "-2.5e3" || !first.Items[2].Bool || first.Items[3].Kind != Null {
		t.Errorf("array %+v", first)
	}
	if b := n.Get("b"); b.Text != "xé😀" {
		t.Errorf("string %q", b.Text)
	}
	li := NewLineIndex([]byte(doc))
	if off := n.Members[1].KeyOff; li.Line(off) != 3 || li.Column(off) != 3 {
		t.Errorf("key b at line %d column %d, want 3:3", li.Line(off), li.Column(off))
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		off     int
		message string
	}{
		{``, 0, "unexpected end of file, expected a value"},
		{`{"a":1,}`, 7, `unexpected '}', expected a quoted object key`},
		{`[1 2]`, 3, `unexpected '2', expected ',' or ']'`},
		{`{"a":1} x`, 8, `unexpected 'x' after the top-level value`},
		{`"abc`, 0, "unterminated string"},
		{"\"a\x01\"", 2, "control character '\\x01' in string"},
		{"\"\xff\"", 0, "invalid UTF-8 in string"},
		{`"\ud800"`, 1, `lone surrogate \uD800 in a string`},
		{`"\udc00\ud800"`, 1, `lone surrogate \uDC00 in a string`},
		{`"ok \ud83d\ude00 then \ud83d"`, 22, `lone surrogate \uD83D in a string`},
		{`01`, 1, `unexpected '1' after the top-level value`},
		{`1.`, 2, "invalid number: digits expected after '.'"},
		{`tru`, 0, "invalid literal, expected true"},
		{strings.Repeat("[", MaxDepth+2), MaxDepth + 1, "nesting deeper than 64 levels"},
	}
	for _, tc := range tests {
		_, err := Parse([]byte(tc.in))
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q) = %v, want a SyntaxError", tc.in, err)
			continue
		}
		if se.Off != tc.off || se.Msg != tc.message {
			t.Errorf("Parse(%q) = %d %q, want %d %q", tc.in, se.Off, se.Msg, tc.off, tc.message)
		}
	}
}
