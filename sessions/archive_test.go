package sessions

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// comparable is s without what Parse records for Archive, for DeepEqual.
func comparable(s *Session) Session {
	c := *s
	c.origin = nil
	return c
}

// TestArchive: Archive gives the script's bytes (with its message files)
// without YAML or MIME work, ParseArchive reads them back into an equal
// session, and a session changed since Parse is refused (or, when only
// its expectations were dropped, archived so that they stay dropped).
func TestArchive(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, text string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// LF line endings: Parse turns them into CRLF, so the archive must
	// keep the file as read for the message to come back the same; raw:
	// true keeps them, from the same file.
	write("lf.eml", "From: a@example.net\nTo: b@example.org\nSubject: lf\n\nline one\nline two\n")
	files := write("files.yaml", `name: files
steps:
  - connect:
  - ehlo: client.example.net
  - mail: a@example.net
  - rcpt: b@example.org
  - data: lf.eml
    expect: {action: accept}
  - data: {file: lf.eml, raw: true}
`)
	inline := write("inline.yaml", "# a comment Marshal would drop\ndata:\n  inline: |\n    From: a@example.net\n    To: b@example.org\n\n    hi\nexpect: {action: accept}\n")
	parseFile := func(p string) *Session {
		t.Helper()
		s, err := ParseFile(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	bundled, err := BundledByName("hello")
	if err != nil {
		t.Fatal(err)
	}
	dropExpect := func(s *Session) *Session {
		c := *s
		c.Steps = slices.Clone(c.Steps)
		for i := range c.Steps {
			c.Steps[i].Expect = nil
		}
		return &c
	}
	tests := []struct {
		name      string
		sess      *Session
		ok        bool
		plain     bool // the archive is the script's bytes as they are
		noExpect  bool // read back without expectations
		wantBytes string
	}{
		{name: "bundled", sess: bundled, ok: true},
		{name: "files", sess: parseFile(files), ok: true},
		{name: "inline", sess: parseFile(inline), ok: true, plain: true, wantBytes: readFile(t, inline)},
		{name: "inline, expectations dropped", sess: dropExpect(parseFile(inline)), ok: true, noExpect: true},
		{name: "files, expectations dropped in place", sess: func() *Session {
			s := parseFile(files)
			for i := range s.Steps {
				s.Steps[i].Expect = nil
			}
			return s
		}(), ok: true, noExpect: true},
		{name: "renamed", sess: func() *Session { s := *bundled; s.Name = "other"; return &s }()},
		{name: "step changed", sess: func() *Session {
			s := *parseFile(files)
			s.Steps = slices.Clone(s.Steps)
			s.Steps[3].Arg = "c@example.org"
			return &s
		}()},
		{name: "built by hand", sess: &Session{Name: "x", Steps: []Step{{Kind: StepConnect}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, ok := tc.sess.Archive()
			if ok != tc.ok {
				t.Fatalf("Archive ok = %v, want %v", ok, tc.ok)
			}
			if !ok {
				return
			}
			if isArchive := bytes.HasPrefix(b, []byte(archiveMagic)); isArchive == tc.plain {
				t.Errorf("archive form = %v, want plain %v:\n%q", isArchive, tc.plain, b)
			}
			if tc.wantBytes != "" && string(b) != tc.wantBytes {
				t.Errorf("Archive = %q, want the script's bytes %q", b, tc.wantBytes)
			}
			back, err := ParseArchive(tc.sess.File, b)
			if err != nil {
				t.Fatalf("ParseArchive: %v\n%q", err, b)
			}
			want := comparable(tc.sess)
			if tc.noExpect {
				want = comparable(dropExpect(tc.sess))
			}
			if got := comparable(back); !reflect.DeepEqual(got, want) {
				t.Errorf("read back differs:\n got %s\nwant %s", jsonOf(got), jsonOf(want))
			}
			// What was read back archives to the same bytes.
			again, ok := back.Archive()
			if !ok || !bytes.Equal(again, b) {
				t.Errorf("Archive of the session read back = %v, %q; want the same archive", ok, again)
			}
		})
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestParseArchiveMarshalled: the scripts recorded before archives
// (Marshal's YAML, messages inline) still read back.
func TestParseArchiveMarshalled(t *testing.T) {
	t.Parallel()
	s, err := BundledByName("hello")
	if err != nil {
		t.Fatal(err)
	}
	out, err := Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseArchive("bundled:hello", out)
	if err != nil {
		t.Fatal(err)
	}
	if want, got := scriptView(s), scriptView(back); !reflect.DeepEqual(want, got) {
		t.Errorf("read back differs:\n got %s\nwant %s", jsonOf(got), jsonOf(want))
	}
}

// TestParseArchiveDamaged: a damaged archive is an error naming the
// script and what is wrong, never a panic or a session.
func TestParseArchiveDamaged(t *testing.T) {
	t.Parallel()
	s, err := BundledByName("hello")
	if err != nil {
		t.Fatal(err)
	}
	good, ok := s.Archive()
	if !ok || !bytes.HasPrefix(good, []byte(archiveMagic)) {
		t.Fatalf("Archive = %v, %q", ok, good)
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"no flags", []byte(archiveMagic), "no flags line"},
		{"unknown flags", []byte(archiveMagic + "flags zip\n"), `unknown flags "zip"`},
		{"no script", []byte(archiveMagic + "flags -\n"), "no script"},
		{"cut short", good[:len(good)-10], "cut short"},
		{"bad header", []byte(archiveMagic + "flags -\nx y\n"), "bad entry header"},
		{"huge length", []byte(archiveMagic + "flags -\n0 99999999999999999999\n"), "bad entry header"},
		{"file first", []byte(archiveMagic + "flags -\n1 0\na"), "not the script"},
		{"nameless file", []byte(archiveMagic + "flags -\n0 3\nx: 0 3\nabc"), "has no name"},
		{"missing file", []byte(archiveMagic + "flags -\n0 18\ndata: message.eml\n"), "not in the script archive"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseArchive("run.yaml", tc.data)
			if err == nil {
				t.Fatalf("ParseArchive = %+v, want an error", got)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "run.yaml") {
				t.Errorf("error %q, want it to name run.yaml and say %q", err, tc.want)
			}
		})
	}
}

// FuzzParseArchive: no archive, however damaged, makes ParseArchive
// panic, and whatever it accepts archives again to bytes it reads back.
func FuzzParseArchive(f *testing.F) {
	s, err := BundledByName("hello")
	if err != nil {
		f.Fatal(err)
	}
	good, _ := s.Archive()
	f.Add(good)
	f.Add([]byte(archiveMagic + "flags no-expect\n0 8\ndata: {}"))
	f.Add([]byte("data:\n  inline: \"From: a@b\\r\\n\\r\\nhi\\r\\n\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		back, err := ParseArchive("fuzz.yaml", data)
		if err != nil {
			return
		}
		again, ok := back.Archive()
		if !ok {
			t.Fatalf("a session read back does not archive")
		}
		if _, err := ParseArchive("fuzz.yaml", again); err != nil {
			t.Fatalf("its archive does not read back: %v", err)
		}
	})
}

// TestArchiveParts: the pieces join to Archive's bytes, and a message
// file with CRLF lines is a piece of its own without its last CRLF,
// the same bytes (and the same memory) as the message played minus the
// CRLF before the final dot, so that a store keeping pieces by content
// keeps the file and the message once.
func TestArchiveParts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	eml := "From: a@example.net\r\nTo: b@example.org\r\nSubject: crlf\r\n\r\nbody\r\n"
	tests := []struct {
		name, script string
		files        map[string]string
		wantMessage  bool // a piece is the message without its last CRLF
	}{
		{"plain script", "data:\n  inline: |\n    From: a@example.net\n    To: b@example.org\n\n    hi\n", nil, false},
		{"crlf file", "data: m.eml\n", map[string]string{"m.eml": eml}, true},
		{"lf file", "data: m.eml\n", map[string]string{"m.eml": "From: a@example.net\nTo: b@example.org\n\nhi"}, false},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sub := filepath.Join(dir, strings.Repeat("d", i+1))
			if err := os.MkdirAll(sub, 0o755); err != nil {
				t.Fatal(err)
			}
			for name, text := range tc.files {
				if err := os.WriteFile(filepath.Join(sub, name), []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			p := filepath.Join(sub, "s.yaml")
			if err := os.WriteFile(p, []byte(tc.script), 0o644); err != nil {
				t.Fatal(err)
			}
			s, err := ParseFile(context.Background(), p)
			if err != nil {
				t.Fatal(err)
			}
			whole, ok := s.Archive()
			parts, okParts := s.ArchiveParts()
			if !ok || !okParts || !bytes.Equal(bytes.Join(parts, nil), whole) {
				t.Fatalf("ArchiveParts joined (%v) differs from Archive (%v)", okParts, ok)
			}
			var raw []byte
			for _, st := range s.Steps {
				if st.Message != nil {
					raw = st.Message.Raw
				}
			}
			msg := bytes.TrimSuffix(raw, []byte("\r\n"))
			found := slices.ContainsFunc(parts, func(b []byte) bool {
				return len(b) == len(msg) && len(b) > 0 && &b[0] == &msg[0]
			})
			if found != tc.wantMessage {
				t.Errorf("a piece is the played message's memory: %v, want %v (%d pieces)", found, tc.wantMessage, len(parts))
			}
		})
	}
}

// ArchiveParts gives the source bytes only for a session still as parsed:
// a change to any field (each tried here) makes it decline, so that the
// recorder writes the session out instead. A field added to Session must
// be compared by unchanged too (sessionFields).
func TestArchivePartsDeclinesChangedSessions(t *testing.T) {
	t.Parallel()
	if n := reflect.TypeFor[Session]().NumField(); n != sessionFields {
		t.Fatalf("Session has %d fields, unchanged compares %d: compare the new one", n, sessionFields)
	}
	parse := func() *Session {
		s, err := BundledByName("hello")
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if _, ok := parse().ArchiveParts(); !ok {
		t.Fatal("a session as parsed has no archive parts")
	}
	for name, change := range map[string]func(s *Session){
		"name":        func(s *Session) { s.Name += "x" },
		"description": func(s *Session) { s.Description += "x" },
		"file":        func(s *Session) { s.File += "x" },
		"hash":        func(s *Session) { s.Hash += "x" },
		"client":      func(s *Session) { s.Client.IP = "192.0.2.99" },
		"server":      func(s *Session) { s.Server.Hostname = "other.example.org" },
		"hooks":       func(s *Session) { s.Hooks = append(s.Hooks, Hook{}) },
		"step":        func(s *Session) { s.Steps[0].Line++ },
		"imply":       func(s *Session) { s.NoImply = true },
	} {
		s := parse()
		change(s)
		if _, ok := s.ArchiveParts(); ok {
			t.Errorf("%s changed: ArchiveParts still gives the source", name)
		}
	}
}
