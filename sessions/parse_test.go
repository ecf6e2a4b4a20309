package sessions

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// dirReader reads message files relative to dir, as ParseFile would.
func dirReader(dir string) func(string) ([]byte, error) {
	return func(p string) ([]byte, error) {
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		return os.ReadFile(p)
	}
}

// scripts lists the *.yaml files of a testdata folder.
func scripts(t *testing.T, sub string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(testdataDir, sub, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts in %s: %v", sub, err)
	}
	return files
}

func TestParseGood(t *testing.T) {
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
			checkGolden(t, name, s)
		})
	}
}

// TestParseBad checks each script under testdata/sessions/bad against
// the exact error its first line announces ("# error: ...").
func TestParseBad(t *testing.T) {
	t.Parallel()
	for _, path := range scripts(t, "bad") {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			first, _, _ := bytes.Cut(data, []byte("\n"))
			want, ok := strings.CutPrefix(string(first), "# error: ")
			if !ok {
				t.Fatalf("first line must be `# error: <message>`, got %q", first)
			}
			s, err := Parse(name, data, dirReader(filepath.Dir(path)))
			if err == nil {
				t.Fatalf("Parse succeeded with %d steps, want error %q", len(s.Steps), want)
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not *Error: %v", err, err)
			}
			if got := err.Error(); got != want {
				t.Errorf("error\n got: %s\nwant: %s", got, want)
			}
		})
	}
}

func TestErrorFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  Error
		want string
	}{
		{Error{File: "spam.yaml", Line: 12, Field: "steps[3].rcpt", Msg: `"bill@" is not an address`}, `spam.yaml:12: steps[3].rcpt: "bill@" is not an address`},
		{Error{File: "spam.yaml", Msg: "empty script"}, "spam.yaml: empty script"},
		{Error{Line: 3, Msg: "bad"}, "3: bad"},
		{Error{Field: "client.ip", Msg: "bad"}, "client.ip: bad"},
		{Error{File: "a.yaml", Line: 1, Msg: "bad"}, "a.yaml:1: bad"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestClosest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in    string
		cands []string
		want  string
		ok    bool
	}{
		{"stpes", topKeys, "steps", true},
		{"reply_match", expectKeys, "reply_matches", true},
		{"addRcpt", modificationTypes, "addRecipient", true},
		{"deleteRcpt", modificationTypes, "deleteRecipient", true},
		{"ACCEPT", actions, "accept", true},
		{"ehl0", stepKinds, "ehlo", true},
		{"zzzzzz", topKeys, "", false},
		{"", topKeys, "", false},
	}
	for _, tt := range tests {
		got, ok := closest(tt.in, tt.cands)
		if ok != tt.ok || got != tt.want {
			t.Errorf("closest(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(testdataDir, "good", "top-level-data.yaml")
	s, err := ParseFile(context.Background(), path)
	if err != nil {
		t.Fatalf("ParseFile: %v", err)
	}
	if s.File != path || s.Name != "top-level-data" {
		t.Errorf("File, Name = %q, %q", s.File, s.Name)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ParseFile(ctx, path); err == nil {
		t.Error("ParseFile with a cancelled context succeeded")
	}
	_, err = ParseFile(context.Background(), filepath.Join(t.TempDir(), "missing.yaml"))
	var pe *Error
	if !errors.As(err, &pe) || !strings.Contains(pe.Msg, "read script") {
		t.Errorf("missing file: %v", err)
	}
}

func TestParseNilReader(t *testing.T) {
	t.Parallel()
	_, err := Parse("x.yaml", []byte("data: m.eml\n"), nil)
	if err == nil || err.Error() != "x.yaml:1: data: cannot read m.eml: no file access" {
		t.Errorf("err = %v", err)
	}
	s, err := Parse("x.yaml", []byte("data: {inline: \"To: a@example.org\\n\\nhi\\n\"}\n"), nil)
	if err != nil {
		t.Fatalf("inline without reader: %v", err)
	}
	if got := string(s.Steps[4].Message.Raw); got != "To: a@example.org\r\n\r\nhi\r\n" {
		t.Errorf("inline raw = %q", got)
	}
}

func TestHash(t *testing.T) {
	t.Parallel()
	a, err := Parse("a.yaml", []byte("steps: [connect]\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse("a.yaml", []byte("steps: [connect] \n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	// printf 'steps: [connect]\n' | sha256sum
	if a.Hash != "8c00052945d3896bab6c9937d27d7bf44af5ceb2cfd196fd70ddb294bf27be49" || a.Hash == b.Hash {
		t.Errorf("hashes %q and %q", a.Hash, b.Hash)
	}
}

// TestParamsSpaces: runs of ASCII spaces between parameters collapse;
// other white space (a non-breaking space) belongs to its parameter, as
// smtp-proto splits only at spaces.
func TestParamsSpaces(t *testing.T) {
	t.Parallel()
	s, err := Parse("p.yaml", []byte("steps:\n  - mail: {address: a@b.example, params: \"X=a\u00a0b   SIZE=1 \"}\n  - rcpt: {address: c@d.example, params: \" NOTIFY=NEVER\"}\n  - data: {inline: \"Subject: x\\n\\nx\\n\"}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, st := range s.Steps {
		if st.Kind == StepMail || st.Kind == StepRcpt {
			got = append(got, st.Params)
		}
	}
	if want := []string{"X=a\u00a0b SIZE=1", "NOTIFY=NEVER"}; !slices.Equal(got, want) {
		t.Errorf("params %q, want %q", got, want)
	}
}

// A long script written out whole (an export expecting thousands of
// modifications) parses however many nodes it has, while aliases still
// cannot make a short script expand past the limit (billion laughs).
func TestNodeLimitScalesWithScript(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("steps:\n  - mail: a@example.org\n  - rcpt: b@example.org\n  - data: {file: m.eml}\n    expect:\n      modifications:\n")
	const mods = 60000 // 4 nodes each: 240,000, over maxNodes
	for i := range mods {
		fmt.Fprintf(&b, "        - {type: addHeader, name: X-N, value: v%d}\n", i)
	}
	msg := []byte("From: a@example.org\r\nTo: b@example.org\r\nSubject: s\r\n\r\nbody\r\n")
	read := func(string) ([]byte, error) { return msg, nil }
	s, err := Parse("long.yaml", []byte(b.String()), read)
	if err != nil {
		t.Fatalf("a long script without aliases: %v", err)
	}
	n := 0
	for _, st := range s.Steps {
		if st.Expect != nil {
			n += len(st.Expect.Modifications)
		}
	}
	if n != mods {
		t.Errorf("%d modifications expected, want %d", n, mods)
	}
	// One list of 1,000 values, then 300 headers naming it: 300,000
	// nodes from a few kilobytes.
	bomb := "steps:\n  - mail: a@example.org\n  - rcpt: b@example.org\n  - data: {file: m.eml}\n    expect:\n      headers:\n"
	bomb += "        X-H0: &l [" + strings.Repeat("x, ", 999) + "x]\n"
	for i := 1; i < 300; i++ {
		bomb += fmt.Sprintf("        X-H%d: *l\n", i)
	}
	_, err = Parse("bomb.yaml", []byte(bomb), read)
	if err == nil || !strings.Contains(err.Error(), "script too large") {
		t.Errorf("an alias bomb: %v, want the node limit", err)
	}
}
