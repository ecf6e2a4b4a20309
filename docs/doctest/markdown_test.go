package doctest

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// block is one fenced code block of a Markdown file.
type block struct {
	File   string
	Line   int    // the line of the opening fence, 1-based
	Lang   string // the info string: "text", "yaml", ...
	Marker string // the HTML comment on the line just before the fence, without <!-- -->; "" when none
	Body   string // the lines between the fences, without their indentation, each ending in "\n"
}

// Where names the block for error messages.
func (b block) Where() string { return b.File + ":" + strconv.Itoa(b.Line) }

// readBlocks returns the fenced blocks of the Markdown file at path. A
// fence may be indented (inside a list item); the body loses that
// indentation. An unclosed fence is an error.
func readBlocks(t *testing.T, path string) []block {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	var out []block
	for i := 0; i < len(lines); i++ {
		trimmed := strings.TrimLeft(lines[i], " ")
		if !strings.HasPrefix(trimmed, "```") {
			continue
		}
		indent := len(lines[i]) - len(trimmed)
		b := block{File: path, Line: i + 1, Lang: strings.TrimSpace(strings.TrimPrefix(trimmed, "```"))}
		if i > 0 {
			prev := strings.TrimSpace(lines[i-1])
			if strings.HasPrefix(prev, "<!--") && strings.HasSuffix(prev, "-->") {
				b.Marker = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(prev, "<!--"), "-->"))
			}
		}
		var body strings.Builder
		closed := false
		for i++; i < len(lines); i++ {
			if strings.TrimSpace(lines[i]) == "```" {
				closed = true
				break
			}
			l := lines[i]
			if len(l) >= indent && strings.TrimSpace(l[:indent]) == "" {
				l = l[indent:]
			}
			body.WriteString(l + "\n")
		}
		if !closed {
			t.Fatalf("%s:%d: the code block is not closed", path, b.Line)
		}
		b.Body = body.String()
		out = append(out, b)
	}
	return out
}

// marked returns the blocks whose marker starts with kind + ":" (or is
// kind), with the rest of the marker.
func marked(blocks []block, kind string) (out []block, args []string) {
	for _, b := range blocks {
		if b.Marker == kind {
			out, args = append(out, b), append(args, "")
		} else if rest, ok := strings.CutPrefix(b.Marker, kind+":"); ok {
			out, args = append(out, b), append(args, strings.TrimSpace(rest))
		}
	}
	return out, args
}

// fragments splits a block's body at lines that are only "...": each
// fragment is a run of lines that must occur together.
func fragments(body string) []string {
	var out []string
	for _, part := range strings.Split(strings.TrimSuffix(body, "\n"), "\n...\n") {
		part = strings.TrimPrefix(part, "...\n")
		part = strings.TrimSuffix(part, "\n...")
		if part = strings.Trim(part, "\n"); part != "" && part != "..." {
			out = append(out, part)
		}
	}
	return out
}
