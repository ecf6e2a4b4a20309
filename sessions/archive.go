package sessions

import (
	"bytes"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
)

// archiveMagic begins a script archive. A YAML script cannot begin with
// NUL (YAML refuses control characters), so an archive is never taken for
// a script, nor a script for an archive.
const archiveMagic = "\x00hooksim-script-archive 1\n"

// archiveNoExpect is the archive flag that says the session was played
// with every expectation dropped (hooksim run on bundled sessions against
// another hook, replay --mode resimulate).
const archiveNoExpect = "no-expect"

// origin is what Parse read for a session: the script's bytes, the
// message files' bytes, and a snapshot of the session as parsed, to tell
// whether it has been changed since.
type origin struct {
	script []byte
	files  []archivedFile
	parsed Session // Steps and Hooks are copies; origin is nil
	// noExpect: the archive this session was read from had every
	// expectation dropped.
	noExpect bool
}

// archivedFile is one message file a script read: its name as written in
// the script and its bytes as read.
type archivedFile struct {
	name string
	data []byte
}

// setOrigin records what Parse read for s.
func (s *Session) setOrigin(script []byte, files []archivedFile) {
	o := &origin{script: script, files: files, parsed: *s}
	o.parsed.origin = nil
	o.parsed.Steps = slices.Clone(s.Steps)
	o.parsed.Hooks = slices.Clone(s.Hooks)
	s.origin = o
}

// Archive returns s as one self-contained byte string that ParseArchive
// reads back into an equal Session: when s reads no message file, the
// script's bytes exactly as Parse read them (a plain YAML script);
// otherwise an archive of those bytes followed by every message file's
// bytes as read. It costs no YAML or MIME work, unlike Marshal, which
// writes the session anew and parses its output back.
//
// ok is false when s did not come from Parse (or ParseArchive), or was
// changed since in a way an archive cannot say; use Marshal then. The
// one change it can say is every step's Expect set to nil. Changes are
// seen by comparing s with a snapshot taken by Parse (its fields, its
// Steps and Hooks elements): a change made through a pointer both share,
// such as a field of a step's *Expect, is not seen; replace the pointer.
func (s *Session) Archive() (b []byte, ok bool) {
	parts, ok := s.ArchiveParts()
	if !ok {
		return nil, false
	}
	if len(parts) == 1 {
		return parts[0], true
	}
	return bytes.Join(parts, nil), true
}

// ArchiveParts is Archive in pieces whose concatenation is Archive's
// bytes, without copying the message files: the script alone (a plain
// script), or the archive's head and script, then for each message file
// its entry head, its bytes up to its last CRLF (the bytes read, not a
// copy) and that CRLF. The pieces split so because a message file whose
// lines end in CRLF is, without its last CRLF, the message as Stalwart
// receives it (it drops the CRLF before the final dot): a store that keeps
// pieces by content keeps such a file and the message played once. The
// pieces must not be changed.
func (s *Session) ArchiveParts() (parts [][]byte, ok bool) {
	o := s.origin
	if o == nil {
		return nil, false
	}
	// A session without expectations can only be the parsed one with
	// them dropped (or one that had none: the same archive).
	noExpect := o.noExpect || s.noExpectations()
	if !s.unchanged(o, noExpect) {
		return nil, false
	}
	if noExpect && o.parsed.noExpectations() {
		noExpect = o.noExpect
	}
	if len(o.files) == 0 && !noExpect {
		return [][]byte{o.script}, true
	}
	head := bytes.NewBuffer(make([]byte, 0, len(archiveMagic)+len(o.script)+64))
	head.WriteString(archiveMagic)
	flags := "-"
	if noExpect {
		flags = archiveNoExpect
	}
	fmt.Fprintf(head, "flags %s\n", flags)
	writeEntry(head, "", o.script)
	parts = make([][]byte, 0, 1+3*len(o.files))
	for _, f := range o.files {
		writeEntryHead(head, f.name, len(f.data))
		parts = append(parts, head.Bytes())
		head = new(bytes.Buffer)
		if body, ok := bytes.CutSuffix(f.data, []byte("\r\n")); ok && len(body) > 0 {
			parts = append(parts, body, f.data[len(body):])
		} else {
			parts = append(parts, f.data)
		}
	}
	if len(o.files) == 0 {
		parts = append(parts, head.Bytes())
	}
	return parts, true
}

// writeEntry writes one archive entry: "<name length> <data length>\n",
// the name, the data.
func writeEntry(buf *bytes.Buffer, name string, data []byte) {
	writeEntryHead(buf, name, len(data))
	buf.Write(data)
}

// writeEntryHead writes an entry's head and name, the data to follow.
func writeEntryHead(buf *bytes.Buffer, name string, size int) {
	fmt.Fprintf(buf, "%d %d\n", len(name), size)
	buf.WriteString(name)
}

// unchanged reports whether s is still as parsed (with every expectation
// dropped, when noExpect). It compares step by step, through pointers, so
// that nothing large is copied: it runs for every play recorded.
func (s *Session) unchanged(o *origin, noExpect bool) bool {
	want := &o.parsed
	if len(s.Steps) != len(want.Steps) {
		return false
	}
	for i := range s.Steps {
		got, w := &s.Steps[i], &want.Steps[i]
		if noExpect && w.Expect != nil {
			if got.Expect != nil {
				return false
			}
			c := *w
			c.Expect = nil
			w = &c
		}
		if !reflect.DeepEqual(got, w) {
			return false
		}
	}
	// Field by field rather than on copies of the whole struct, which
	// escaped to the heap for every play (sessionFields counts them).
	return s.Name == want.Name && s.Description == want.Description && s.File == want.File && s.Hash == want.Hash &&
		reflect.DeepEqual(&s.Client, &want.Client) && reflect.DeepEqual(&s.Server, &want.Server) &&
		reflect.DeepEqual(s.Hooks, want.Hooks) && s.NoImply == want.NoImply
}

// sessionFields is the number of Session's fields: unchanged compares
// every one but Steps (compared above it) and origin. A test fails when
// a field is added, so that unchanged compares it too.
const sessionFields = 10

func (s *Session) noExpectations() bool {
	for _, st := range s.Steps {
		if st.Expect != nil {
			return false
		}
	}
	return true
}

// ParseArchive reads what Archive (or Marshal) wrote: a plain script is
// parsed as Parse does with no file access; an archive is parsed with its
// message files read from the archive, and its expectations dropped when
// Archive said so. file names the script in errors and gives the default
// name, as for Parse. Every error returned is an *Error; a damaged
// archive is an error, never a panic.
func ParseArchive(file string, data []byte) (*Session, error) {
	rest, ok := bytes.CutPrefix(data, []byte(archiveMagic))
	if !ok {
		return Parse(file, data, nil)
	}
	bad := func(format string, args ...any) error {
		return &Error{File: file, Msg: "script archive: " + fmt.Sprintf(format, args...)}
	}
	line, rest, ok := bytes.Cut(rest, []byte("\n"))
	flags, found := bytes.CutPrefix(line, []byte("flags "))
	if !ok || !found {
		return nil, bad("no flags line")
	}
	noExpect := false
	switch string(flags) {
	case "-":
	case archiveNoExpect:
		noExpect = true
	default:
		return nil, bad("unknown flags %q", flags)
	}
	var (
		script []byte
		files  = map[string][]byte{}
		order  []archivedFile
	)
	dir := filepath.Dir(scriptPath(file))
	for i := 0; len(rest) > 0; i++ {
		var name string
		var body []byte
		var err error
		if name, body, rest, err = readEntry(rest); err != nil {
			return nil, bad("entry %d: %v", i, err)
		}
		if i == 0 {
			if name != "" {
				return nil, bad("entry 0 is %q, not the script", name)
			}
			script = body
			continue
		}
		if name == "" {
			return nil, bad("entry %d has no name", i)
		}
		p := name
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		files[p] = body
		order = append(order, archivedFile{name: name, data: body})
	}
	if script == nil {
		return nil, bad("no script")
	}
	s, perr := parse(file, script, func(p string) ([]byte, error) {
		b, ok := files[p]
		if !ok {
			return nil, fmt.Errorf("not in the script archive")
		}
		return b, nil
	})
	if perr != nil {
		return nil, perr
	}
	if noExpect {
		for i := range s.Steps {
			s.Steps[i].Expect = nil
		}
		s.setOrigin(script, order)
		s.origin.noExpect = true
	}
	return s, nil
}

// readEntry reads one entry written by writeEntry from b.
func readEntry(b []byte) (name string, data, rest []byte, err error) {
	head, rest, ok := bytes.Cut(b, []byte("\n"))
	if !ok || len(head) > 41 {
		return "", nil, nil, fmt.Errorf("no entry header")
	}
	ns, ds, ok := bytes.Cut(head, []byte(" "))
	if !ok {
		return "", nil, nil, fmt.Errorf("bad entry header %q", head)
	}
	n, err1 := strconv.ParseUint(string(ns), 10, 31)
	d, err2 := strconv.ParseUint(string(ds), 10, 62)
	if err1 != nil || err2 != nil {
		return "", nil, nil, fmt.Errorf("bad entry header %q", head)
	}
	if uint64(len(rest)) < n || uint64(len(rest))-n < d {
		return "", nil, nil, fmt.Errorf("cut short: %d bytes left, the entry says %d", len(rest), n+d)
	}
	return string(rest[:n]), rest[n : n+d], rest[n+d:], nil
}
