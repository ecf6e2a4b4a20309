package sessions

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBundledInline: every bundled session, printed as a template, is a
// script that runs from any folder (no message file beside it) and reads
// back to the same steps and message bytes; comments are kept.
func TestBundledInline(t *testing.T) {
	t.Parallel()
	for _, name := range BundledNames() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			script, err := BundledInline(name)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(script, []byte(".eml\n")) && !bytes.Contains(script, []byte(", inline\n")) {
				t.Errorf("a message file is still referenced:\n%s", script)
			}
			src, _ := BundledSource(name)
			if first, _, _ := strings.Cut(string(src), "\n"); strings.HasPrefix(first, "#") && !bytes.Contains(script, []byte(first+"\n")) {
				t.Errorf("the leading comment %q is lost", first)
			}
			p := filepath.Join(t.TempDir(), "my.yaml")
			if err := os.WriteFile(p, script, 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := ParseFile(context.Background(), p)
			if err != nil {
				t.Fatalf("the template does not run as written: %v\n%s", err, script)
			}
			want, _ := BundledByName(name)
			if len(got.Steps) != len(want.Steps) {
				t.Fatalf("%d steps, want %d", len(got.Steps), len(want.Steps))
			}
			for i := range want.Steps {
				if w := want.Steps[i].Message; w != nil && !bytes.Equal(got.Steps[i].Message.Raw, w.Raw) {
					t.Errorf("step %d: message differs", i+1)
				}
				if (want.Steps[i].Expect == nil) != (got.Steps[i].Expect == nil) {
					t.Errorf("step %d: expectation lost or added", i+1)
				}
			}
		})
	}
}

// TestBundledInlineBinary: the ISO-8859-1 message of eight-bit cannot be
// a YAML block, so it is written as !!binary.
func TestBundledInlineBinary(t *testing.T) {
	t.Parallel()
	script, err := BundledInline("eight-bit")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(script, []byte("inline: !!binary |")) {
		t.Errorf("want a !!binary message:\n%s", script)
	}
}

func TestBundledFiles(t *testing.T) {
	t.Parallel()
	script, files, err := BundledFiles("two-transactions")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 || files["two-transactions-1.eml"] == nil || files["two-transactions-2.eml"] == nil {
		t.Fatalf("files %v", files)
	}
	dir := t.TempDir()
	for n, b := range files {
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(dir, "copy.yaml")
	if err := os.WriteFile(p, script, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseFile(context.Background(), p); err != nil {
		t.Fatalf("the copied files do not run: %v", err)
	}
}
