package sessions

import (
	"context"
	"os"
	"strings"
	"testing"
)

// With imply: false the steps are played as written: a raw MAIL does not
// make the data step imply another, no EHLO goes before it, and no QUIT
// is added after the last step; without it, the same script gets all
// three. Marshal writes the key, and its output parses back the same.
func TestImplyFalse(t *testing.T) {
	const body = "  - raw: \"mail from:<a@example.org>\"\n  - raw: \"rcpt to:<b@example.org>\"\n" +
		"  - data: {inline: \"From: a@example.org\\r\\nTo: b@example.org\\r\\n\\r\\nHi.\\r\\n\"}\n"
	kinds := func(s *Session) string {
		var k []string
		for _, st := range s.Steps {
			k = append(k, string(st.Kind))
		}
		return strings.Join(k, " ")
	}
	implied, err := Parse("implied.yaml", []byte("steps:\n"+body), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := kinds(implied), "connect raw raw ehlo mail rcpt data quit"; got != want {
		t.Errorf("by default: steps %q, want %q", got, want)
	}
	exact, err := Parse("exact.yaml", []byte("imply: false\nsteps:\n"+body), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !exact.NoImply {
		t.Error("imply: false did not set NoImply")
	}
	if got, want := kinds(exact), "connect raw raw data"; got != want {
		t.Errorf("imply: false: steps %q, want %q", got, want)
	}
	out, err := Marshal(exact)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "\nimply: false\n") {
		t.Errorf("Marshal left out imply: false:\n%s", out)
	}
	back, err := Parse("back.yaml", out, nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got := kinds(back); got != kinds(exact) || !back.NoImply {
		t.Errorf("parsed back: steps %q, NoImply %v", got, back.NoImply)
	}
	if _, err := Parse("bad.yaml", []byte("imply: maybe\nsteps:\n"+body), nil); err == nil || !strings.Contains(err.Error(), "bad.yaml:1") || !strings.Contains(err.Error(), "imply") {
		t.Errorf("imply: maybe: error %v, want one naming bad.yaml:1 and imply", err)
	}
}

// A raw BDAT command carries its chunk (`chunk:`), its bytes exactly:
// a string, !!binary or a file; Marshal writes it back, and only a raw
// BDAT command takes one.
func TestRawChunk(t *testing.T) {
	script := "imply: false\nsteps:\n  - ehlo\n  - mail: a@example.org\n  - rcpt: b@example.org\n" +
		"  - raw: \"BDAT 9\"\n    chunk: \"Subject: \"\n" +
		"  - raw: \"BDAT 6 LAST\"\n    chunk: !!binary SGkuDQr/\n" +
		"  - raw: \"bdat 3 last\"\n    chunk: {file: c.bin}\n"
	files := map[string][]byte{"c.bin": []byte("x\ny")}
	read := func(p string) ([]byte, error) { return files[p], nil }
	s, err := Parse("chunks.yaml", []byte(script), read)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Subject: ", "Hi.\r\n\xff", "x\ny"}
	var got []string
	for _, st := range s.Steps {
		if st.Kind == StepRaw && st.Message != nil {
			got = append(got, string(st.Message.Raw))
		}
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("chunks %q, want %q", got, want)
	}
	out, err := Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse("back.yaml", out, nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for i, st := range s.Steps {
		if st.Message != nil && string(back.Steps[i].Message.Raw) != string(st.Message.Raw) {
			t.Errorf("step %d reads back as %q, want %q\n%s", i, back.Steps[i].Message.Raw, st.Message.Raw, out)
		}
	}
	for _, bad := range []struct{ script, want string }{
		{"steps:\n  - raw: \"NOOP\"\n    chunk: x\n", "bad.yaml:3: steps[0].chunk: chunk goes with a raw BDAT command, not \"NOOP\""},
		{"steps:\n  - mail: a@example.org\n    chunk: x\n", "steps[0].chunk: chunk goes with a raw BDAT command"},
		{"steps:\n  - raw: \"BDAT 1\"\n    chunk: [1]\n", "steps[0].chunk: want the chunk's bytes"},
	} {
		if _, err := Parse("bad.yaml", []byte(bad.script), nil); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: error %v, want %q", bad.script, err, bad.want)
		}
	}
}

// ParseSettingsFile takes a script without steps (hooksim smtp
// --session): its settings, a lone connect step; errors still name the
// file and line.
func TestParseSettingsFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := dir + "/" + name
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	s, err := ParseSettingsFile(context.Background(), write("srv.yaml", "server:\n  local_domains: [example.com]\n  maxMessageSize: 500\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Steps[0].Kind != StepConnect || s.Server.MaxMessageSize != 500 || s.Server.LocalDomains[0] != "example.com" {
		t.Errorf("settings: %+v", s)
	}
	if _, err := ParseSettingsFile(context.Background(), write("empty.yaml", "server: {port: 587}\nsteps: []\n")); err != nil {
		t.Errorf("steps: []: %v", err)
	}
	if _, err := ParseSettingsFile(context.Background(), write("bad.yaml", "server:\n  maxMessageSize: lots\n")); err == nil || !strings.Contains(err.Error(), "bad.yaml:2") {
		t.Errorf("a bad setting: %v, want an error at bad.yaml:2", err)
	}
	if _, err := ParseFile(context.Background(), write("nosteps.yaml", "server: {port: 587}\n")); err == nil {
		t.Error("ParseFile took a script without steps")
	}
}
