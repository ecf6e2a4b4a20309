package export

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

func TestOneLine(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"example", "example"},
		{"127.0.0.1:8025", "127.0.0.1:8025"},
		{"héllo wörld", "héllo wörld"},
		{"", ""},
		{"x\ntouch PWNED", `"x\ntouch PWNED"`},
		{"a\rb", `"a\rb"`},
		{"tab\there", `"tab\there"`},
		{"bidi\u202eevil", `"bidi\u202eevil"`},
		{"line\u2028sep", `"line\u2028sep"`},
		{"bad\xffutf8", `"bad\xffutf8"`},
		{"del\x7f", `"del\x7f"`},
	}
	for _, tt := range tests {
		if got := OneLine(tt.in); got != tt.want {
			t.Errorf("OneLine(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestInlineBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body string
		want bool
	}{
		{`{"action":"accept"}`, true},
		{"tab\tok 'quoted' $(x) `y` é", true},
		{"", true},
		{"nul\x00", false},
		{"line\nbreak", false},
		{"cr\r", false},
		{"@/etc/passwd", false},
		{"bad \xff", false},
		{strings.Repeat("a", inlineBodyLimit), true},
		{strings.Repeat("a", inlineBodyLimit+1), false},
	}
	for _, tt := range tests {
		if got := inlineBody([]byte(tt.body)); got != tt.want {
			t.Errorf("inlineBody(%.40q) = %v, want %v", tt.body, got, tt.want)
		}
	}
}

// TestPrintfFormat runs the format through the printf of bash and of sh:
// both print every byte value back, and the format is printable ASCII.
func TestPrintfFormat(t *testing.T) {
	t.Parallel()
	var all []byte
	for i := 0; i < 256; i++ {
		all = append(all, byte(i))
	}
	bodies := [][]byte{all, []byte("\x001\x0012 digits after NUL"), []byte(`%s %d %% \n \\ \000 '"`), {}}
	for _, shell := range []string{"bash", "sh"} {
		if _, err := exec.LookPath(shell); err != nil {
			t.Logf("%s is not installed", shell)
			continue
		}
		for _, b := range bodies {
			f := printfFormat(b)
			for i := 0; i < len(f); i++ {
				if f[i] < 0x20 || f[i] >= 0x7f {
					t.Fatalf("format %q holds byte %#x", f, f[i])
				}
			}
			out, err := exec.Command(shell, "-c", "printf "+shellQuote(f)).Output()
			if err != nil {
				t.Fatalf("%s printf: %v", shell, err)
			}
			if !bytes.Equal(out, b) {
				t.Errorf("%s printf %q =\n%q\nwant\n%q", shell, f, out, b)
			}
		}
	}
}
