package sessions

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// marshalGoldenDir holds the scripts Marshal writes for a few sessions,
// so that a reviewer sees the format.
const marshalGoldenDir = "../testdata/sessions/marshal"

// scriptView is the golden view of s without what a marshalled script
// cannot keep: the file, the hash, line numbers, implied flags and the
// source of messages (they are written inline).
func scriptView(s *Session) goldenSession {
	g := goldenView(s)
	g.File, g.Hash = "", ""
	g.Hooks = slices.Clone(g.Hooks)
	for i := range g.Hooks {
		g.Hooks[i].Line = 0
	}
	for i := range g.Steps {
		st := &g.Steps[i]
		st.Line, st.Implied = 0, false
		if st.Message != nil {
			st.Message.Source = ""
		}
		if st.Expect != nil {
			st.Expect.Line = 0
			for j := range st.Expect.Headers {
				st.Expect.Headers[j].Line = 0
			}
			for j := range st.Expect.QueuedHeaders {
				st.Expect.QueuedHeaders[j].Line = 0
			}
		}
	}
	return g
}

// jsonOf renders v for failure messages.
func jsonOf(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

// roundTrip marshals s, parses the script back and checks that it reads
// back equal, with every step explicit, and that marshalling is stable.
// It returns the script.
func roundTrip(t *testing.T, s *Session, o MarshalOptions) []byte {
	t.Helper()
	out, err := MarshalWith(s, o)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	back, err := Parse("roundtrip.yaml", out, nil)
	if err != nil {
		t.Fatalf("Parse(Marshal(s)): %v\n%s", err, out)
	}
	if want, got := scriptView(s), scriptView(back); !reflect.DeepEqual(want, got) {
		t.Fatalf("round trip differs\n--- script\n%s--- want\n%s\n--- got\n%s", out, jsonOf(want), jsonOf(got))
	}
	for i, st := range back.Steps {
		if st.Implied {
			t.Errorf("step %d (%s) of the marshalled script is implied: the script is not explicit\n%s", i, st.Kind, out)
		}
	}
	again, err := MarshalWith(back, o)
	if err != nil {
		t.Fatalf("Marshal(Parse(Marshal(s))): %v", err)
	}
	// Only the "message: x.eml" comments may go (the source is now inline).
	if strip := regexp.MustCompile(`(?m)^  # message: .*\n`); !bytes.Equal(strip.ReplaceAll(out, nil), again) {
		t.Errorf("marshalling is not stable\n--- first\n%s--- second\n%s", out, again)
	}
	return out
}

func TestMarshalBundled(t *testing.T) {
	t.Parallel()
	all, err := Bundled()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			roundTrip(t, s, MarshalOptions{})
		})
	}
}

func TestMarshalGood(t *testing.T) {
	t.Parallel()
	for _, path := range scripts(t, "good") {
		name := strings.TrimSuffix(filepath.Base(path), ".yaml")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			s, err := Parse(filepath.Base(path), data, dirReader(filepath.Dir(path)))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			roundTrip(t, s, MarshalOptions{Comment: "From " + name + ".yaml."})
		})
	}
}

// TestMarshalGolden keeps the scripts written for a bundled and a full
// test session under testdata/sessions/marshal (go test -update rewrites them).
func TestMarshalGolden(t *testing.T) {
	t.Parallel()
	hello, err := BundledByName("hello")
	if err != nil {
		t.Fatal(err)
	}
	fullPath := filepath.Join(testdataDir, "good", "full.yaml")
	fullSrc, err := os.ReadFile(fullPath)
	if err != nil {
		t.Fatal(err)
	}
	full, err := Parse("full.yaml", fullSrc, dirReader(filepath.Dir(fullPath)))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		s    *Session
		o    MarshalOptions
	}{
		{"hello", hello, MarshalOptions{Comment: "Exported by hooksim from run #7 (bundled:hello), played 2026-03-02T09:15:02Z.\nThe expectations are what the hook answered then."}},
		{"full", full, MarshalOptions{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got := roundTrip(t, c.s, c.o)
			path := filepath.Join(marshalGoldenDir, c.name+".yaml")
			if *update {
				if err := os.MkdirAll(marshalGoldenDir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden (run go test ./sessions -update to create it): %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("script differs from %s (run go test ./sessions -update to accept):\n%s", path, got)
			}
		})
	}
}

// messageSession parses a one-transaction script whose message is raw,
// byte for byte (with raw: true, so Parse only adds a final CRLF).
func messageSession(t testing.TB, raw []byte) (*Session, error) {
	t.Helper()
	script := "name: edge\nsteps:\n  - mail: a@example.net\n  - rcpt: b@example.org\n" +
		"  - data: {inline: !!binary \"" + base64.StdEncoding.EncodeToString(raw) + "\", raw: true, lenient: true}\n" +
		"    expect: {action: accept}\n"
	return Parse("edge.yaml", []byte(script), nil)
}

func TestMarshalMessages(t *testing.T) {
	t.Parallel()
	const hdr = "From: a@example.net\r\nTo: b@example.org\r\nSubject: edge\r\n"
	for _, c := range []struct {
		name    string
		raw     string
		want    []string // in the script
		notWant []string
	}{
		{"crlf text", hdr + "\r\nhello\r\n", []string{"inline: |\n", "        hello\n"}, []string{"raw:", "!!binary", "\\r"}},
		{"invalid utf-8", hdr + "\r\ncaf\xe9 \xff\r\n", []string{"!!binary"}, []string{"raw:"}},
		{"bare LF in CRLF", hdr + "\r\nline1\nline2\r\n", []string{"!!binary", "raw: true"}, []string{"inline: |"}},
		{"LF only", strings.ReplaceAll(hdr, "\r\n", "\n") + "\nbody\n\r\n", []string{"inline: |\n", "raw: true"}, []string{"!!binary"}},
		{"LF only, no final LF", strings.ReplaceAll(hdr, "\r\n", "\n") + "\nbody\r\n", []string{"inline: |-\n", "raw: true"}, []string{"!!binary"}},
		{"bare CR", hdr + "\r\na\rb\r\n", []string{"!!binary"}, []string{"raw:"}},
		{"leading dot lines", hdr + "\r\n.hidden\r\n..\r\n.\r\nend\r\n", []string{"        .hidden\n", "        .\n"}, []string{"!!binary"}},
		{"NUL byte", hdr + "\r\na\x00b\r\n", []string{"!!binary"}, nil},
		{"tabs", hdr + "X-Folded: a\r\n\tb\r\n\r\n\tindented\r\n", []string{"        \tb\n", "        \tindented\n"}, []string{"!!binary", `\t`}},
		{"trailing spaces", hdr + "X-Sp: x \r\n\r\nflowed \r\nend  \r\n", []string{"        flowed \n", "        end  \n"}, []string{"!!binary", `"`}},
		{"unicode", hdr + "X-U: héllo ✓ 😀\r\n\r\nça va — 日本\r\n", []string{"ça va — 日本\n"}, []string{"!!binary", `\u`}},
		{"line separator", hdr + "\r\na\u2028b\r\n", []string{"!!binary"}, nil},
		{"next line", hdr + "\r\na\u0085b\r\n", []string{"!!binary"}, nil},
		{"byte order mark", "\ufeff" + hdr + "\r\nb\r\n", []string{"!!binary"}, nil},
		{"empty body", hdr + "\r\n", []string{"inline: |+\n"}, []string{"!!binary"}},
		{"headers only", hdr, []string{"inline: |\n"}, []string{"!!binary"}},
		{"trailing blank lines", hdr + "\r\nbody\r\n\r\n\r\n", []string{"inline: |+\n"}, []string{"!!binary"}},
		{"blank lines with spaces", hdr + "\r\na\r\n   \r\n\r\n  b\r\n", []string{"           \n", "\n\n"}, []string{"!!binary"}},
		{"document markers", hdr + "\r\n---\r\n...\r\n# not a comment\r\n- x\r\nkey: value\r\n", []string{"        ---\n", "        # not a comment\n"}, []string{"!!binary"}},
		{"yaml specials", hdr + "\r\nyes\r\nnull\r\n~\r\n: y\r\n#\r\n|\r\n>\r\n\"\r\n'\r\n", []string{"        : y\n"}, []string{"!!binary"}},
		{"placeholder text", hdr + "\r\nhooksim-inline-0-0\r\n", []string{"        hooksim-inline-0-0\n"}, nil},
		{"long line", hdr + "\r\n" + strings.Repeat("word ", 60) + "end\r\n", []string{strings.Repeat("word ", 60)}, nil},
		{"base64 attachment", hdr + "\r\n" + strings.Repeat("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=\r\n", 4), []string{"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=\n"}, []string{"!!binary"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s, err := messageSession(t, []byte(c.raw))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := s.Steps[len(s.Steps)-2].Message.Raw; string(got) != c.raw {
				t.Fatalf("test message is %q, want %q", got, c.raw)
			}
			out := roundTrip(t, s, MarshalOptions{})
			for _, w := range c.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("script lacks %q:\n%s", w, out)
				}
			}
			for _, w := range c.notWant {
				if strings.Contains(string(out), w) {
					t.Errorf("script has %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestMarshalSevereMIME checks that a message only lenient: true lets
// through is written with lenient: true, and one that parses without it is not.
func TestMarshalSevereMIME(t *testing.T) {
	t.Parallel()
	severe := "From: a@example.net\r\nTo: b@example.org\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n" +
		"Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!! not base64 ****\r\n--x--\r\n"
	if _, _, err := ParseMIME([]byte(severe), false); err == nil {
		t.Skip("enmime no longer calls this message severely broken")
	}
	s, err := messageSession(t, []byte(severe))
	if err != nil {
		t.Fatal(err)
	}
	if out := roundTrip(t, s, MarshalOptions{}); !bytes.Contains(out, []byte("lenient: true")) {
		t.Errorf("no lenient: true in\n%s", out)
	}
	plain, err := messageSession(t, []byte("From: a@example.net\r\nTo: b@example.org\r\n\r\nhi\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if out := roundTrip(t, plain, MarshalOptions{}); bytes.Contains(out, []byte("lenient")) {
		t.Errorf("lenient in\n%s", out)
	}
}

// TestLiteralBlock reads literalBlock's output back with the YAML parser,
// at several indentations, for texts that are hard to carry in a block.
func TestLiteralBlock(t *testing.T) {
	t.Parallel()
	texts := []string{
		"a", "a\n", "a\n\n", "a\n\n\n", "\na", "\n\na\n", " lead", "  two\nlines\n", "\n  after a blank\n",
		"   \nx", "x\n   \n", "\tab", "a \nb  \n", "# c\n- d\n? e\n: f", "--- \n...\n", "ü ✓ 😀\n", "a\n\tb\n \tc",
	}
	for _, text := range texts {
		if !blockSafe(text) {
			t.Fatalf("blockSafe(%q) = false", text)
		}
		for _, col := range []int{0, 2, 6} {
			pad := strings.Repeat(" ", col)
			doc := "outer:\n" + pad + "  x: 1\n" + pad + "  inline: " + literalBlock(text, col+2) + "\n" + pad + "  after: 2\n"
			if col == 0 {
				doc = "inline: " + literalBlock(text, 0) + "\nafter: 2\n"
			}
			var v map[string]any
			if err := yaml.Unmarshal([]byte(doc), &v); err != nil {
				t.Errorf("text %q col %d: %v\n%s", text, col, err, doc)
				continue
			}
			m := v
			if col > 0 {
				m, _ = v["outer"].(map[string]any)
			}
			if got, _ := m["inline"].(string); got != text || m["after"] != 2 {
				t.Errorf("text %q col %d: read back %q (after %v)\n%s", text, col, got, m["after"], doc)
			}
		}
	}
}

func TestBlockSafe(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		text string
		want bool
	}{
		{"plain\n", true},
		{"tab\there", true},
		{"ü ✓ 😀", true},
		{"", false},
		{" \n ", false},
		{"a\rb", false},
		{"a\x00b", false},
		{"a\x7fb", false},
		{"a\u0085b", false},
		{"a\u2028b", false},
		{"a\u2029b", false},
		{"\ufeffa", false},
		{"a\ufffeb", false},
		{"caf\xe9", false},
	} {
		if got := blockSafe(c.text); got != c.want {
			t.Errorf("blockSafe(%q) = %v, want %v", c.text, got, c.want)
		}
	}
}

// specialStrings are values a careless YAML writer would get wrong.
var specialStrings = []string{
	"yes", "No", "ON", "y", "null", "Null", "~", "- x", ": y", "? z", "#", "# comment", "a #b", "a: b", "true", "False",
	"0.0", "123", "-1", "0x1F", "0o17", "1e3", ".inf", ".NaN", "@at", "!tag", "!!str", "&anchor", "*alias", "|", ">",
	"'", `"`, `\`, `\n`, "{a: b}", "[x]", "%YAML", "`", "<>", "ünïcode ✓ 😀", "tab\there", "---", "...", "-",
	"hooksim-inline-0-0", "2001:db8::10", strings.Repeat("long words ", 12) + "end",
}

// TestMarshalSpecialStrings puts awkward strings in every field that
// takes free text and checks they come back unchanged.
func TestMarshalSpecialStrings(t *testing.T) {
	t.Parallel()
	base, err := BundledByName("hello")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range specialStrings {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			s := *base
			s.Steps = append([]Step(nil), base.Steps...)
			s.Description = v
			if !hasControl(v) {
				s.Name = v
			}
			raw := Step{Kind: StepRaw, Arg: v, Expect: &Expect{Reply: "502 " + v, Lints: []string{"x-" + v}}}
			if hasControl(v) {
				raw.Expect.Reply, raw.Expect.Lints = "", nil
			}
			auth := Step{Kind: StepAuth, Login: "john", Password: v}
			if hasControl(v) {
				auth.Password = "pw"
			}
			mods := []ExpectModification{{Type: "addHeader", Name: v, Value: v}, {Value: v + "\r\nInjected: yes"},
				{Type: "addRecipient", Value: v, Parameters: map[string]*string{v: &v, "X-NULL": nil, "X-V": &v}}}
			e := &Expect{
				Reply:         v,
				BodyContains:  []string{v, v + "\nsecond line", ""},
				Modifications: mods,
				Headers:       []ExpectHeader{{Name: "X-Test", Values: []string{v}}, {Name: "X-Empty", Values: []string{""}}, {Name: "X-Gone", Absent: true}},
				Lints:         []string{"lint-" + v},
			}
			if hasControl(v) {
				e.Reply, e.Lints = "", nil
			}
			if n := strings.TrimSpace(v); validHeaderName(n) {
				e.Headers = append(e.Headers, ExpectHeader{Name: n, Values: []string{"v"}})
			}
			s.Steps = append(s.Steps[:len(s.Steps)-1:len(s.Steps)-1], raw, auth, Step{Kind: StepNoop, Expect: e}, s.Steps[len(s.Steps)-1])
			roundTrip(t, &s, MarshalOptions{Comment: v})
		})
	}
}

// TestMarshalExpectForms checks that every expectation key, and nil
// against empty lists, survives the round trip.
func TestMarshalExpectForms(t *testing.T) {
	t.Parallel()
	base, err := BundledByName("minimal")
	if err != nil {
		t.Fatal(err)
	}
	idx := func(v uint32) *uint32 { return &v }
	null, someone := "", "x@example.org"
	notify, orcpt, empty := "SUCCESS,FAILURE", "rfc822;archive@example.org", ""
	yes, no := true, false
	for _, c := range []struct {
		name string
		e    *Expect
		want string
	}{
		{"empty", &Expect{}, "expect: {}"},
		{"code only", &Expect{Code: 250}, "expect: {code: 250}"},
		{"empty lists", &Expect{Modifications: []ExpectModification{}, Headers: []ExpectHeader{}, BodyContains: []string{}, Lints: []string{}},
			"modifications: []"},
		{"envelope null sender, no recipients", &Expect{Envelope: &ExpectEnvelope{From: &null, To: []string{}}}, `{from: "<>", to: []}`},
		{"envelope unchecked", &Expect{Envelope: &ExpectEnvelope{}}, "envelope: {}"},
		{"envelope from only", &Expect{Envelope: &ExpectEnvelope{From: &someone}}, "{from: x@example.org}"},
		{"modification index 0", &Expect{Modifications: []ExpectModification{{Type: "deleteHeader", Name: "Received", Index: idx(0)}, {}}},
			"- {type: deleteHeader, name: Received, index: 0}"},
		{"modification index max", &Expect{Modifications: []ExpectModification{{Type: "insertHeader", Index: idx(1<<32 - 1)}}}, "index: 4294967295"},
		{"modification parameters", &Expect{Modifications: []ExpectModification{
			{Type: "addRecipient", Value: "Archive@Example.org", Parameters: map[string]*string{"ORCPT": &orcpt, "NOTIFY": &notify, "X-FLAG": nil, "X-EMPTY": &empty}},
			{Type: "changeFrom", Value: "<>", Parameters: map[string]*string{}},
			{Type: "changeFrom", Value: "<>"}}},
			`- {type: addRecipient, value: Archive@Example.org, parameters: {NOTIFY: 'SUCCESS,FAILURE', ORCPT: rfc822;archive@example.org, X-EMPTY: "", X-FLAG: null}}
        - {type: changeFrom, value: <>, parameters: {}}
        - {type: changeFrom, value: <>}`},
		{"parameters with awkward keys", &Expect{Modifications: []ExpectModification{
			{Type: "addRecipient", Value: "a@b.org", Parameters: map[string]*string{"": nil, "null": &empty, "~": nil, "a b": &notify, "K=V": nil, "{x}": nil}}}},
			"parameters: {"},
		{"delivered false", &Expect{Delivered: &no, Action: "discard"}, "delivered: false"},
		{"delivered true", &Expect{Delivered: &yes}, "delivered: true"},
		{"absent header", &Expect{Headers: []ExpectHeader{{Name: "X-Spam-Flag", Absent: true}, {Name: "null", Values: []string{"null"}}}}, "X-Spam-Flag: null"},
		{"one body string", &Expect{BodyContains: []string{"hello"}}, "body_contains: hello"},
		{"regexp", &Expect{ReplyMatch: regexp.MustCompile(`^250 2\.0\.0 it's [0-9a-f]+\.$`)}, `reply_matches: '^250 2\.0\.0 it''s [0-9a-f]+\.$'`},
		{"every key", &Expect{Action: "reject", Reply: "550 5.7.1 No", Code: 550, ReplyMatch: regexp.MustCompile("^550"),
			Modifications: []ExpectModification{{Type: "changeFrom", Value: "<>"}}, Envelope: &ExpectEnvelope{To: []string{"a@b.example"}},
			Delivered: &no, Headers: []ExpectHeader{{Name: "Subject", Values: []string{"hi"}}}, BodyContains: []string{"a", "b"}, Lints: []string{"l1"}},
			"      action: reject\n      reply: \"550 5.7.1 No\"\n      code: 550\n      reply_matches: '^550'\n      modifications:\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := *base
			s.Steps = append([]Step(nil), base.Steps...)
			s.Steps[0].Expect = c.e
			s.Steps[len(s.Steps)-2].Expect = c.e
			out := roundTrip(t, &s, MarshalOptions{})
			if !strings.Contains(string(out), c.want) {
				t.Errorf("script lacks %q:\n%s", c.want, out)
			}
		})
	}
}

// TestMarshalExplicit checks that implied steps are written out in order.
func TestMarshalExplicit(t *testing.T) {
	t.Parallel()
	s, err := BundledByName("minimal")
	if err != nil {
		t.Fatal(err)
	}
	out := roundTrip(t, s, MarshalOptions{})
	want := "steps:\n  - connect\n  - ehlo: client.example.net\n  - mail: alice@example.net\n  - rcpt: bob@example.org\n  # message: minimal.eml\n  - data:\n      inline: |\n        Date:"
	if !strings.Contains(string(out), want) {
		t.Errorf("script lacks\n%s\nin\n%s", want, out)
	}
	if !bytes.HasSuffix(out, []byte("\n  - quit\n")) {
		t.Errorf("script does not end with the quit step:\n%s", out)
	}
	if !bytes.HasPrefix(out, []byte("name: minimal\ndescription: ")) {
		t.Errorf("script does not start with name and description:\n%s", out)
	}
}

func TestMarshalComment(t *testing.T) {
	t.Parallel()
	s, err := BundledByName("minimal")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ comment, want string }{
		{"", "name: minimal\n"},
		{"one line", "# one line\n\nname: minimal\n"},
		{"two\r\n\r\nlines\n", "# two\n#\n# lines\n\nname: minimal\n"},
		{"ctl\x00\x1b[31m\tred  \nnext", "# ctl[31m red\n# next\n\nname: minimal\n"},
		{"# already\n#", "# # already\n# #\n\nname: minimal\n"},
	} {
		out := roundTrip(t, s, MarshalOptions{Comment: c.comment})
		if !bytes.HasPrefix(out, []byte(c.want)) {
			t.Errorf("comment %q: script starts\n%s", c.comment, out[:min(len(out), 80)])
		}
	}
}

// TestMarshalErrors checks that what no script can express is an error,
// never a panic or a script that reads back as something else.
func TestMarshalErrors(t *testing.T) {
	t.Parallel()
	base, err := BundledByName("hello")
	if err != nil {
		t.Fatal(err)
	}
	dataAt := len(base.Steps) - 2
	for _, c := range []struct {
		name   string
		change func(s *Session)
		want   string
	}{
		{"no steps", func(s *Session) { s.Steps = nil }, "no steps"},
		{"data without message", func(s *Session) { s.Steps[dataAt].Message = nil }, "without a message"},
		{"empty message", func(s *Session) { s.Steps[dataAt].Message = &Message{Raw: []byte(" \r\n")} }, "empty"},
		{"message without final CRLF", func(s *Session) { s.Steps[dataAt].Message = &Message{Raw: []byte("Subject: x\r\n\r\nbody")} }, "CRLF"},
		{"unparsable message", func(s *Session) { s.Steps[dataAt].Message = &Message{Raw: []byte("\x00\x00: \r\n--\r\n")} }, "steps[4]"},
		{"invalid UTF-8 description", func(s *Session) { s.Description = "caf\xe9" }, "description"},
		{"invalid UTF-8 reply", func(s *Session) { s.Steps[0].Expect = &Expect{Reply: "250 \xff"} }, "reply"},
		{"invalid UTF-8 header", func(s *Session) {
			s.Steps[0].Expect = &Expect{Headers: []ExpectHeader{{Name: "X", Values: []string{"\xff"}}}}
		}, "headers.X"},
		{"starttls without TLS", func(s *Session) {
			s.Steps = append(s.Steps[:1:1], append([]Step{{Kind: StepStartTLS}}, s.Steps[1:]...)...)
		}, "starttls"},
		{"port 465 without TLS", func(s *Session) { s.Server.Port = ImplicitTLSPort }, "implicit TLS"},
		{"port 465 not implicit", func(s *Session) {
			s.Server.Port = ImplicitTLSPort
			s.Client.TLS = &TLS{Version: DefaultTLSVersion, Cipher: "X"}
		}, "implicit TLS"},
		{"header twice", func(s *Session) {
			s.Steps[0].Expect = &Expect{Headers: []ExpectHeader{{Name: "X", Values: []string{"1"}}, {Name: "X", Absent: true}}}
		}, "twice"},
		{"raw with a line break", func(s *Session) { s.Steps[1] = Step{Kind: StepRaw, Arg: "VRFY a\r\nQUIT"} }, "would not read back"},
		{"bad address", func(s *Session) { s.Steps[3].Arg = "bill@" }, "not an address"},
		{"unknown kind", func(s *Session) { s.Steps[1].Kind = "vrfy" }, `unknown step kind "vrfy"`},
		{"bad TLS version", func(s *Session) { s.Client.TLS = &TLS{Version: "SSLv3", Cipher: "X"} }, "TLS version"},
		{"bad header name", func(s *Session) {
			s.Steps[0].Expect = &Expect{Headers: []ExpectHeader{{Name: "X Bad:", Values: []string{"1"}}}}
		}, "header name"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := *base
			s.Steps = append([]Step(nil), base.Steps...)
			c.change(&s)
			out, err := Marshal(&s)
			if err == nil {
				t.Fatalf("Marshal succeeded:\n%s", out)
			}
			if !strings.HasPrefix(err.Error(), `sessions: marshal "hello": `) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q, want it to mention %q", err, c.want)
			}
		})
	}
	if _, err := Marshal(nil); err == nil {
		t.Error("Marshal(nil) succeeded")
	}
}

// fuzzReader serves the bundled and the good test messages by base name,
// and a fixed message for any other name.
func fuzzReader(p string) ([]byte, error) {
	base := filepath.Base(p)
	if b, err := readBundled(base); err == nil {
		return b, nil
	}
	if b, err := os.ReadFile(filepath.Join(testdataDir, "good", base)); err == nil {
		return b, nil
	}
	return []byte("From: a@example.net\nTo: b@example.org, c@example.org\nSubject: fuzz\n\nbody\n"), nil
}

// FuzzMarshalRoundTrip parses arbitrary scripts; every session Parse
// accepts must marshal, and the script must parse back equal.
func FuzzMarshalRoundTrip(f *testing.F) {
	for _, n := range BundledNames() {
		if b, err := BundledSource(n); err == nil {
			f.Add(b)
		}
	}
	files, _ := filepath.Glob(filepath.Join(testdataDir, "good", "*.yaml"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data, fuzzReader)
		if err != nil {
			return
		}
		roundTrip(t, s, MarshalOptions{Comment: string(data[:min(len(data), 40)])})
	})
}

// FuzzMarshalMessage sends arbitrary message bytes through Marshal: every
// message Parse accepts must come back byte for byte.
func FuzzMarshalMessage(f *testing.F) {
	for _, n := range BundledNames() {
		if s, err := BundledByName(n); err == nil {
			for _, st := range s.Steps {
				if st.Message != nil {
					f.Add(st.Message.Raw)
				}
			}
		}
	}
	for _, seed := range []string{
		"Subject: x\n\nbody\n", "Subject: x\r\n\r\na\nb\r\n", "Subject: x\r\n\r\na\rb\r\n", "Subject: x \r\n\r\n\tb  \r\n",
		"Subject: \xe9\r\n\r\n\x00\r\n", "Subject: x\r\n\r\n\r\n\r\n", "\ufeffSubject: x\r\n\r\n.\r\n", "Subject: x\r\n\r\n\u2028\r\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		s, err := messageSession(t, raw)
		if err != nil {
			return
		}
		roundTrip(t, s, MarshalOptions{})
	})
}
