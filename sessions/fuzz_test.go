package sessions

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary scripts to Parse: it must never panic, every
// error must be an *Error naming the file, and every session it accepts
// must be normalised (connect first, quit last, messages ending in CRLF).
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"good/*.yaml", "bad/*.yaml"} {
		files, _ := filepath.Glob(filepath.Join(testdataDir, pattern))
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	for _, n := range BundledNames() {
		if b, err := BundledSource(n); err == nil {
			f.Add(b)
		}
	}
	msg := []byte("From: a@example.net\nTo: b@example.org, c@example.org\nSubject: fuzz\n\nbody\n")
	read := func(p string) ([]byte, error) {
		if strings.Contains(p, "missing") {
			return nil, fmt.Errorf("open %s: %w", p, fs.ErrNotExist)
		}
		return msg, nil
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data, read)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not *Error: %v", err, err)
			}
			if pe.File != "fuzz.yaml" || pe.Msg == "" || pe.Line < 0 {
				t.Fatalf("error without a location or message: %#v", pe)
			}
			return
		}
		if len(s.Steps) < 2 || s.Steps[0].Kind != StepConnect || s.Steps[len(s.Steps)-1].Kind != StepQuit {
			t.Fatalf("not normalised: %v", s.Steps)
		}
		for _, st := range s.Steps {
			switch st.Kind {
			case StepData:
				if st.Message == nil || !strings.HasSuffix(string(st.Message.Raw), "\r\n") {
					t.Fatalf("data step with message %v", st.Message)
				}
			case StepRcpt:
				if !validAddress(st.Arg) {
					t.Fatalf("rcpt %q accepted", st.Arg)
				}
			case StepMail:
				if st.Arg != "" && !validAddress(st.Arg) {
					t.Fatalf("mail %q accepted", st.Arg)
				}
			}
			if st.Line <= 0 {
				t.Fatalf("step %s without a line", st.Kind)
			}
		}
	})
}
