package jsondoc

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
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
		{strings.Repeat("[", MaxDepth+1), MaxDepth, "recursion limit exceeded: more than 127 nested arrays and objects"},
		{`[1e309]`, 1, "number out of range"},
		{`[-1` + strings.Repeat("0", 400) + `]`, 1, "number out of range"},
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

// nest wraps inner in n arrays.
func nest(n int, inner string) string {
	return strings.Repeat("[", n) + inner + strings.Repeat("]", n)
}

// TestParseDepth: serde_json's recursion limit, at N-1, N and N+1 nested
// containers (MaxDepth is 127), counted for arrays and objects, not for
// scalars.
func TestParseDepth(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"126 arrays", nest(126, "1"), true},
		{"127 arrays", nest(127, "1"), true},
		{"128 arrays", nest(128, "1"), false},
		{"127 objects", strings.Repeat(`{"a":`, 127) + "1" + strings.Repeat("}", 127), true},
		{"128 objects", strings.Repeat(`{"a":`, 128) + "1" + strings.Repeat("}", 128), false},
		{"127 empty", nest(126, "[]"), true},
		{"128 empty", nest(127, "{}"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tc.in))
			if (err == nil) != tc.ok {
				t.Errorf("Parse: %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

// skipRootX skips the value of the root member "x", as serde skips an
// unknown field.
func skipRootX(path []Step, key string) bool { return len(path) == 0 && key == "x" }

// TestParseSkipped: inside a skipped value, serde_json's ignore_value
// checks syntax only: invalid UTF-8, lone surrogates and any depth pass;
// bad escapes, control characters, bad numbers and bad brackets still
// fail. The same inputs fail outside the skipped value.
func TestParseSkipped(t *testing.T) {
	t.Parallel()
	deep := 100000
	tests := []struct {
		name      string
		x         string // the value of "x"
		skippedOK bool
		strictOK  bool
	}{
		{"raw 0xFF", "\"a\xff\"", true, false},
		{"truncated UTF-8", "\"\xe2\x82\"", true, false},
		{"UTF-8 surrogate bytes", "\"\xed\xa0\x80\"", true, false},
		{"lone high surrogate", `"\ud800"`, true, false},
		{"lone low surrogate", `"\udc00x"`, true, false},
		{"high then non-surrogate", `"\ud83d\u0041"`, true, false},
		{"invalid UTF-8 in a nested key", "{\"k\xff\":[\"\\ud800\"]}", true, false},
		{"128 levels", nest(128, "1"), true, false},
		{"deep arrays", nest(deep, `"\udfff"`), true, false},
		{"deep objects", strings.Repeat(`{"a":[`, deep) + "null" + strings.Repeat("]}", deep), true, false},
		{"deep empty", nest(deep, "{}"), true, false},
		{"deep mixed", nest(deep, `{"a":1,"b":[true,false,{}],"c":"\u00e9"}`), true, false},
		{"huge number", `1e999`, true, false},
		{"valid", `[1,"\ud83d\ude00",{"a":null}]`, true, true},
		{"bad escape", `"\x"`, false, false},
		{"short unicode escape", `"\u12"`, false, false},
		{"non-hex unicode escape", `"\u12g4"`, false, false},
		{"control character", "\"a\tb\"", false, false},
		{"leading zero", `01`, false, false},
		{"bare minus", `-`, false, false},
		{"trailing comma", `[1,]`, false, false},
		{"deep trailing comma", nest(deep, "1,"), false, false},
		{"deep unclosed", strings.Repeat("[", deep), false, false},
		{"deep wrong close", nest(deep-1, "[}"), false, false},
		{"deep bad key", nest(deep, "{1:2}"), false, false},
		{"deep missing colon", nest(deep, `{"a" 2}`), false, false},
		{"deep bad utf8 ok", nest(deep, "{\"\xff\":\"\xff\"}"), true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc := []byte(`{"a":1,"x":` + tc.x + `,"b":2}`)
			root, err := ParseWith(doc, Options{Skip: skipRootX})
			if (err == nil) != tc.skippedOK {
				t.Errorf("skipped: %v, want ok=%v", err, tc.skippedOK)
			}
			if err == nil {
				x := root.Get("x")
				if len(root.Members) != 3 || root.Get("b").Text != "2" || !x.Skipped || root.Get("a").Skipped {
					t.Errorf("tree %+v", root)
				}
				for n := x; n != nil; {
					if !utf8.ValidString(n.Text) {
						t.Errorf("text %q is not UTF-8", n.Text)
					}
					switch {
					case len(n.Items) > 0:
						n = n.Items[0]
					case len(n.Members) > 0:
						n = n.Members[0].Value
					default:
						n = nil
					}
				}
			}
			// Under another key the same value is parsed, not skipped.
			strict := []byte(`{"a":1,"y":` + tc.x + `,"b":2}`)
			if _, err := ParseWith(strict, Options{Skip: skipRootX}); (err == nil) != tc.strictOK {
				t.Errorf("strict: %v, want ok=%v", err, tc.strictOK)
			}
		})
	}
}

// TestParseSkipPath: Skip sees the path of the object whose member it
// decides on, array items by their index, and the value it skips is marked.
func TestParseSkipPath(t *testing.T) {
	t.Parallel()
	var got []string
	skip := func(path []Step, key string) bool {
		s := ""
		for _, st := range path {
			if st.Index < 0 {
				s += "." + st.Key
			} else {
				s += fmt.Sprintf("[%d]", st.Index)
			}
		}
		got = append(got, s+" "+key)
		return len(path) == 2 && path[1].Index == 1 && key == "x"
	}
	root, err := ParseWith([]byte(`{"a":[{"x":1},{"x":[{"y":2}],"z":3}],"b":{"c":[[{"d":4}]]}}`), Options{Skip: skip})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{" a", ".a[0] x", ".a[1] x", ".a[1] z", " b", ".b c", ".b.c[0][0] d"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("Skip calls\n got %q\nwant %q", got, want)
	}
	items := root.Get("a").Items
	if items[0].Get("x").Skipped || !items[1].Get("x").Skipped || !items[1].Get("x").Items[0].Get("y").Skipped || items[1].Get("z").Skipped {
		t.Errorf("skipped the wrong values: %+v", items)
	}
}

// TestParseSkippedElided: a skipped value keeps its tree MaxTreeDepth
// levels deep; below that arrays and objects are marked Elided.
func TestParseSkippedElided(t *testing.T) {
	t.Parallel()
	root, err := ParseWith([]byte(`{"x":`+nest(MaxTreeDepth+5, "1")+`}`), Options{Skip: skipRootX})
	if err != nil {
		t.Fatal(err)
	}
	n, levels := root.Get("x"), 1 // root is level 0
	for !n.Elided {
		if len(n.Items) != 1 {
			t.Fatalf("level %d: %d items", levels, len(n.Items))
		}
		n, levels = n.Items[0], levels+1
	}
	if levels != MaxTreeDepth || n.Kind != Array || len(n.Items) != 0 {
		t.Errorf("elided at level %d (%v, %d items), want %d", levels, n.Kind, len(n.Items), MaxTreeDepth)
	}
}

// FuzzParseSkipped: a skipped value is accepted exactly when
// encoding/json's syntax check (which, like serde_json's ignore_value,
// checks neither UTF-8 nor surrogates) accepts it, at any depth below
// encoding/json's own limit of 10000; a strictly parsed value is accepted
// only if the skipped one is.
func FuzzParseSkipped(f *testing.F) {
	for _, s := range []string{`1`, `"a\ud800"`, "\"\xff\"", nest(200, `{"a":[1,{}]}`), `[1,]`, `{"a" 1}`, `-0.5e+3`, `"\u00"`, nest(70, "{}")} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, x []byte) {
		if strings.Count(string(x), "[")+strings.Count(string(x), "{") >= 9000 {
			t.Skip("beyond encoding/json's nesting limit")
		}
		doc := append(append([]byte(`{"x":`), x...), '}')
		_, err := ParseWith(doc, Options{Skip: skipRootX})
		if want := json.Valid(doc); (err == nil) != want {
			t.Fatalf("ParseWith(%q): %v; json.Valid %v", doc, err, want)
		}
		var se *SyntaxError
		if err != nil && (!errors.As(err, &se) || se.Off < 0 || se.Off > len(doc)) {
			t.Fatalf("error %v is not a SyntaxError in range", err)
		}
		if _, serr := Parse(doc); serr == nil && err != nil {
			t.Fatalf("strict parse accepted what the skipping one refused: %q", doc)
		}
	})
}
