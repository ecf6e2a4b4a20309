package sessions

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"path"
	"regexp"
	"strings"
)

// dataFileLine matches a data step that names a message file, the only
// way the bundled scripts refer to their messages: "  - data: x.eml" or
// "data: x.eml" at the top level.
var dataFileLine = regexp.MustCompile(`^(\s*(?:- )?)data: ([A-Za-z0-9._-]+\.eml)\s*$`)

// BundledInline returns a bundled session as a script that runs on its
// own, wherever it is saved: each `data: NAME.eml` becomes the message
// inline (a literal block, or !!binary for bytes a block cannot carry,
// such as ISO-8859-1 text), everything else, comments included, as
// written. The result reads back to the same session and messages.
func BundledInline(name string) ([]byte, error) {
	src, err := BundledSource(name)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	out.WriteString(templateComment(name, "its messages inline"))
	for _, line := range strings.SplitAfter(string(src), "\n") {
		m := dataFileLine.FindStringSubmatch(strings.TrimRight(line, "\n"))
		if m == nil {
			out.WriteString(line)
			continue
		}
		raw, err := readBundled(m[2])
		if err != nil {
			return nil, fmt.Errorf("sessions: bundled %s: %w", name, err)
		}
		col := len(m[1])
		fmt.Fprintf(&out, "%sdata: # %s, inline\n", m[1], m[2])
		if err := writeInline(&out, EnsureCRLF(ToCRLF(raw)), col+2); err != nil {
			return nil, fmt.Errorf("sessions: bundled %s: %s: %w", name, m[2], err)
		}
	}
	if err := sameAsBundled(name, out.Bytes()); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// writeInline writes the inline (and raw, lenient) keys of a data step's
// mapping at column col for the message bytes msg (CRLF line endings,
// final CRLF included, as Parse produces them).
func writeInline(out *bytes.Buffer, msg []byte, col int) error {
	pad := strings.Repeat(" ", col)
	f, err := messageFormOf(msg)
	if err != nil {
		return err
	}
	if f.block {
		out.WriteString(pad + "inline: " + literalBlock(f.text, col) + "\n")
	} else {
		f.raw = hasBareLF(msg)
		out.WriteString(pad + "inline: !!binary |\n")
		enc := base64.StdEncoding.EncodeToString(msg)
		for len(enc) > 0 {
			n := min(len(enc), 76)
			out.WriteString(pad + "  " + enc[:n] + "\n")
			enc = enc[n:]
		}
	}
	if f.raw {
		out.WriteString(pad + "raw: true\n")
	}
	if _, _, err := ParseMIME(msg, false); err != nil {
		out.WriteString(pad + "lenient: true\n")
	}
	return nil
}

// sameAsBundled checks that script parses into the bundled session name
// with the same steps and message bytes.
func sameAsBundled(name string, script []byte) error {
	want, err := BundledByName(name)
	if err != nil {
		return err
	}
	got, err := Parse(name+".yaml", script, nil)
	if err != nil {
		return fmt.Errorf("sessions: bundled %s as a template does not parse: %w", name, err)
	}
	if len(got.Steps) != len(want.Steps) {
		return fmt.Errorf("sessions: bundled %s as a template has %d steps instead of %d", name, len(got.Steps), len(want.Steps))
	}
	for i, st := range want.Steps {
		if st.Message != nil && (got.Steps[i].Message == nil || !bytes.Equal(got.Steps[i].Message.Raw, st.Message.Raw)) {
			return fmt.Errorf("sessions: bundled %s as a template: the message of step %d does not read back byte for byte", name, i+1)
		}
	}
	return nil
}

// templateComment heads a template: where it comes from, and that its
// expectations are the example hook's.
func templateComment(name, how string) string {
	return fmt.Sprintf("# hooksim's bundled session %q, %s. The expectations are\n# written for hooksim's example hook called at every stage (hooksim run --url URL\n# --stages all FILE): change them to what your hook should do.\n", name, how)
}

// BundledFiles returns a bundled session's script as written (headed by
// a comment saying where it comes from) and the message files it names
// (file name to bytes), to save side by side.
func BundledFiles(name string) ([]byte, map[string][]byte, error) {
	src, err := BundledSource(name)
	if err != nil {
		return nil, nil, err
	}
	files := map[string][]byte{}
	for _, line := range strings.Split(string(src), "\n") {
		if m := dataFileLine.FindStringSubmatch(line); m != nil {
			b, err := readBundled(path.Clean(m[2]))
			if err != nil {
				return nil, nil, fmt.Errorf("sessions: bundled %s: %w", name, err)
			}
			files[m[2]] = b
		}
	}
	return append([]byte(templateComment(name, "with its messages in the files beside it")), src...), files, nil
}
