package sessions

import (
	"bytes"
	"strings"

	"github.com/jhillyerd/enmime/v2"
)

// SplitMessage cuts a message at the blank line after its headers: the
// header block keeps its line ends (CRLF or bare LF, whichever comes
// first), the body is what follows the blank line. A message without a
// blank line is all header; one that starts with a blank line has none.
func SplitMessage(raw []byte) (header, body []byte) {
	if bytes.HasPrefix(raw, []byte("\r\n")) {
		return nil, raw[2:]
	}
	if bytes.HasPrefix(raw, []byte("\n")) {
		return nil, raw[1:]
	}
	if i := bytes.Index(raw, []byte("\r\n\r\n")); i >= 0 {
		j := bytes.Index(raw, []byte("\n\n"))
		if j >= 0 && j < i {
			return raw[:j+1], raw[j+2:]
		}
		return raw[:i+2], raw[i+4:]
	}
	if j := bytes.Index(raw, []byte("\n\n")); j >= 0 {
		return raw[:j+1], raw[j+2:]
	}
	return raw, nil
}

// HeaderFields splits a header block into [name, value] pairs, in order,
// duplicates kept: the name is the bytes before the colon (as
// mail-parser keeps it), the value what follows with folded lines joined
// by "\n", line ends removed and leading blanks trimmed. A line without a
// colon is a pair with an empty name. Never nil.
func HeaderFields(block []byte) [][2]string {
	out := [][2]string{}
	for _, ln := range strings.SplitAfter(string(block), "\n") {
		if ln == "" {
			continue
		}
		text := strings.TrimRight(ln, "\r\n")
		if (ln[0] == ' ' || ln[0] == '\t') && len(out) > 0 {
			out[len(out)-1][1] += "\n" + text
			continue
		}
		name, value, ok := strings.Cut(text, ":")
		if !ok {
			out = append(out, [2]string{"", text})
			continue
		}
		out = append(out, [2]string{name, strings.TrimLeft(value, " \t")})
	}
	return out
}

// MIMEPart is one part of a message's MIME tree as enmime reads it, for
// display (the web view's message page).
type MIMEPart struct {
	ContentType  string `json:"content_type"`
	Filename     string `json:"filename"`
	Disposition  string `json:"disposition"`
	Charset      string `json:"charset"`
	Size         int    `json:"size"`          // bytes of the decoded content (a multipart's: its parts')
	IsAttachment bool   `json:"is_attachment"` // disposition attachment, or a file name not inline
	// Text is the decoded content of a text/* part that is not an
	// attachment, invalid UTF-8 replaced by U+FFFD, cut at the limit
	// (Truncated then).
	Text      string      `json:"text"`
	Truncated bool        `json:"truncated,omitempty"`
	Children  []*MIMEPart `json:"children"`
}

// MIMETree parses raw with enmime (leniently, as ParseMIME) and returns
// its tree of parts, with at most maxParts parts and maxText bytes of
// text per part, and enmime's warnings. A message enmime cannot read
// gives a nil tree and the reason as the only warning.
func MIMETree(raw []byte, maxText, maxParts int) (*MIMEPart, []string) {
	env, warnings, err := ParseMIME(raw, true)
	if err != nil {
		return nil, []string{err.Error()}
	}
	if env.Root == nil {
		return nil, warnings
	}
	count := 0
	return mimePart(env.Root, maxText, maxParts, &count), warnings
}

func mimePart(p *enmime.Part, maxText, maxParts int, count *int) *MIMEPart {
	*count++
	v := &MIMEPart{
		ContentType: p.ContentType, Filename: p.FileName, Disposition: p.Disposition, Charset: p.Charset,
		Size: len(p.Content), Children: []*MIMEPart{},
	}
	v.IsAttachment = p.Disposition == "attachment" || (p.FileName != "" && p.Disposition != "inline")
	if strings.HasPrefix(p.ContentType, "text/") && !v.IsAttachment {
		text := p.Content
		if len(text) > maxText {
			text, v.Truncated = text[:maxText], true
		}
		v.Text = strings.ToValidUTF8(string(text), "\uFFFD")
	}
	for c := p.FirstChild; c != nil; c = c.NextSibling {
		if *count >= maxParts {
			break
		}
		v.Children = append(v.Children, mimePart(c, maxText, maxParts, count))
	}
	if len(v.Children) > 0 && v.Size == 0 {
		// A multipart container: the decoded content of its parts.
		for _, c := range v.Children {
			v.Size += c.Size
		}
	}
	return v
}
