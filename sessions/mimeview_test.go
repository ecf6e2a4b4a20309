package sessions

import (
	"fmt"
	"strings"
	"testing"
)

func TestSplitMessageHeaderFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw, fields, body string
	}{
		{"Subject: a\r\n b\r\nTo: x\r\n\r\nbody\r\n", "[[Subject a\n b] [To x]]", "body\r\n"},
		{"A: 1\nB:2\n\nbody", "[[A 1] [B 2]]", "body"},
		{"A: 1\n\nx\r\n\r\ny", "[[A 1]]", "x\r\n\r\ny"},
		{"\r\nonly body", "[]", "only body"},
		{"no colon\r\nA: b", "[[ no colon] [A b]]", ""},
		{"", "[]", ""},
		{" folded first\r\n\r\n", "[[  folded first]]", ""},
	}
	for _, tt := range tests {
		h, b := SplitMessage([]byte(tt.raw))
		if got := fmt.Sprint(HeaderFields(h)); got != tt.fields || string(b) != tt.body {
			t.Errorf("%q: fields %q body %q, want %q and %q", tt.raw, got, b, tt.fields, tt.body)
		}
	}
}

func TestMIMETree(t *testing.T) {
	t.Parallel()
	multipart := "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		strings.Repeat("x", 40) + "\r\n--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=a.pdf\r\n\r\n%PDF\r\n--b--\r\n"
	tests := []struct {
		name, raw     string
		maxText, max  int
		want          string // the tree, as types and flags
		wantTruncated bool
	}{
		{"plain", "Subject: x\r\n\r\nhello\r\n", 100, 10, "text/plain[]", false},
		{"multipart", multipart, 100, 10, "multipart/mixed[text/plain[] application/pdf(attachment)[]]", false},
		{"text cut", multipart, 10, 10, "multipart/mixed[text/plain[] application/pdf(attachment)[]]", true},
		{"parts capped", multipart, 100, 2, "multipart/mixed[text/plain[]]", false},
	}
	var show func(p *MIMEPart) string
	show = func(p *MIMEPart) string {
		s := p.ContentType
		if p.IsAttachment {
			s += "(attachment)"
		}
		var kids []string
		for _, c := range p.Children {
			kids = append(kids, show(c))
		}
		return s + "[" + strings.Join(kids, " ") + "]"
	}
	for _, tt := range tests {
		root, _ := MIMETree([]byte(tt.raw), tt.maxText, tt.max)
		if root == nil {
			t.Errorf("%s: no tree", tt.name)
			continue
		}
		if got := show(root); got != tt.want {
			t.Errorf("%s: tree %s, want %s", tt.name, got, tt.want)
		}
		truncated := false
		for _, c := range append([]*MIMEPart{root}, root.Children...) {
			truncated = truncated || c.Truncated
			if c.Truncated && len(c.Text) != tt.maxText {
				t.Errorf("%s: truncated text of %d bytes, want %d", tt.name, len(c.Text), tt.maxText)
			}
		}
		if truncated != tt.wantTruncated {
			t.Errorf("%s: truncated %v, want %v", tt.name, truncated, tt.wantTruncated)
		}
	}
}
