package web

import (
	"bytes"
	"fmt"
	"github.com/hooksim/hooksim/recorder/replay/compare"
	"net/http"
	"strings"

	"github.com/jhillyerd/enmime/v2"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator"
)

// Limits of the message view.
const (
	maxPartText = 256 << 10 // decoded text of one part
	maxParts    = 500       // parts shown in a MIME tree
)

// messageView is the answer of GET /api/v1/runs/{id}/messages/{n}.
type messageView struct {
	txView
	Original   msgView        `json:"original"`
	Final      *msgView       `json:"final"`
	HeaderDiff []headerChange `json:"header_diff"`
	BodyDiff   []bodyLine     `json:"body_diff"`
}

// msgView is one message: its headers as they are on the wire, its body
// and its MIME tree.
type msgView struct {
	Size    int         `json:"size"`
	Headers [][2]string `json:"headers"`
	textOrBase64
	MIME     *partView `json:"mime"`
	Warnings []string  `json:"warnings"`
}

// partView is one MIME part.
type partView struct {
	ContentType  string      `json:"content_type"`
	Filename     string      `json:"filename"`
	Disposition  string      `json:"disposition"`
	Charset      string      `json:"charset"`
	Size         int         `json:"size"`
	IsAttachment bool        `json:"is_attachment"`
	Text         string      `json:"text"`
	Truncated    bool        `json:"truncated,omitempty"`
	Children     []*partView `json:"children"`
}

// headerChange is one line of the header diff.
type headerChange struct {
	Op     string `json:"op"` // same, added, removed, changed
	Name   string `json:"name"`
	Before string `json:"before"`
	After  string `json:"after"`
}

// bodyLine is one line of the body diff.
type bodyLine struct {
	Op   string `json:"op"` // " ", "-", "+"
	Text string `json:"text"`
}

// findMessage picks transaction {n} of a loaded run.
func (s *Server) findMessage(w http.ResponseWriter, r *http.Request) (int64, *simulator.TransactionResult, bool) {
	l, ok := s.load(w, r)
	if !ok {
		return 0, nil, false
	}
	n, ok := pathID(w, r, "n")
	if !ok {
		return 0, nil, false
	}
	for _, tx := range l.Result.Transactions {
		if int64(tx.Number) == n {
			return l.Run.ID, tx, true
		}
	}
	writeError(w, http.StatusNotFound, fmt.Sprintf("run #%d has no transaction %d", l.Run.ID, n))
	return 0, nil, false
}

func (s *Server) handleMessage(w http.ResponseWriter, r *http.Request) {
	_, tx, ok := s.findMessage(w, r)
	if !ok {
		return
	}
	v := messageView{txView: txViewOf(tx), Original: msgViewOf(tx.Original), HeaderDiff: []headerChange{}, BodyDiff: []bodyLine{}}
	if tx.Final != nil {
		f := msgViewOf(tx.Final)
		v.Final = &f
		oh, ob := splitMessage(tx.Original)
		fh, fb := splitMessage(tx.Final)
		v.HeaderDiff = headerDiff(parseHeaders(oh), parseHeaders(fh))
		v.BodyDiff = bodyDiff(ob, fb)
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) handleMessageEML(w http.ResponseWriter, r *http.Request) {
	id, tx, ok := s.findMessage(w, r)
	if !ok {
		return
	}
	data := tx.Original
	which := r.URL.Query().Get("which")
	switch which {
	case "", "original":
		which = "original"
	case "final":
		if tx.Final == nil {
			writeError(w, http.StatusNotFound, fmt.Sprintf("transaction %d of run #%d was not queued: there is no final message", tx.Number, id))
			return
		}
		data = tx.Final
	default:
		writeError(w, http.StatusBadRequest, "which wants original or final")
		return
	}
	w.Header().Set("Content-Type", "message/rfc822")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=\"run-%d-message-%d-%s.eml\"", id, tx.Number, which))
	w.Write(data)
}

// splitMessage cuts a message at the blank line after its headers: the
// header block keeps its line ends, the body is what follows.
func splitMessage(raw []byte) (header, body []byte) {
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

// parseHeaders splits a header block into [name, value] pairs as Stalwart
// keeps them: the name before the colon, the value after it with folded
// lines joined, line ends removed, leading space trimmed.
func parseHeaders(block []byte) [][2]string {
	out := [][2]string{}
	lines := strings.SplitAfter(string(block), "\n")
	for _, ln := range lines {
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

func msgViewOf(raw []byte) msgView {
	h, b := splitMessage(raw)
	v := msgView{Size: len(raw), Headers: parseHeaders(h), textOrBase64: bodyOf(b), Warnings: []string{}}
	env, warnings, err := sessions.ParseMIME(raw, true)
	if err != nil {
		v.Warnings = append(v.Warnings, err.Error())
		return v
	}
	v.Warnings = append(v.Warnings, warnings...)
	if env.Root != nil {
		count := 0
		v.MIME = partViewOf(env.Root, &count)
	}
	return v
}

func partViewOf(p *enmime.Part, count *int) *partView {
	*count++
	v := &partView{
		ContentType: p.ContentType, Filename: p.FileName, Disposition: p.Disposition, Charset: p.Charset,
		Size: len(p.Content), Children: []*partView{},
	}
	v.IsAttachment = p.Disposition == "attachment" || (p.FileName != "" && p.Disposition != "inline")
	if strings.HasPrefix(p.ContentType, "text/") && !v.IsAttachment {
		text := p.Content
		if len(text) > maxPartText {
			text, v.Truncated = text[:maxPartText], true
		}
		v.Text = strings.ToValidUTF8(string(text), "\uFFFD")
	}
	for c := p.FirstChild; c != nil; c = c.NextSibling {
		if *count >= maxParts {
			break
		}
		v.Children = append(v.Children, partViewOf(c, count))
	}
	return v
}

// headerDiff compares two header lists in order. A header removed and
// one of the same name added at the same place are one change.
func headerDiff(a, b [][2]string) []headerChange {
	key := func(h [2]string) string { return strings.ToLower(h[0]) + "\x00" + h[1] }
	ka, kb := make([]string, len(a)), make([]string, len(b))
	for i, h := range a {
		ka[i] = key(h)
	}
	for i, h := range b {
		kb[i] = key(h)
	}
	out := []headerChange{}
	edits := indexed(compare.DiffLines(ka, kb))
	for i := 0; i < len(edits); {
		e := edits[i]
		if e.op == compare.OpSame {
			out = append(out, headerChange{Op: "same", Name: a[e.a][0], Before: a[e.a][1], After: b[e.b][1]})
			i++
			continue
		}
		// A run of removals and additions: pair them by name.
		j := i
		var removed, added []int
		for ; j < len(edits) && edits[j].op != compare.OpSame; j++ {
			if edits[j].op == compare.OpRemoved {
				removed = append(removed, edits[j].a)
			} else {
				added = append(added, edits[j].b)
			}
		}
		used := make([]bool, len(added))
		for _, ai := range removed {
			paired := false
			for k, bi := range added {
				if !used[k] && strings.EqualFold(a[ai][0], b[bi][0]) {
					used[k], paired = true, true
					out = append(out, headerChange{Op: "changed", Name: b[bi][0], Before: a[ai][1], After: b[bi][1]})
					break
				}
			}
			if !paired {
				out = append(out, headerChange{Op: "removed", Name: a[ai][0], Before: a[ai][1]})
			}
		}
		for k, bi := range added {
			if !used[k] {
				out = append(out, headerChange{Op: "added", Name: b[bi][0], After: b[bi][1]})
			}
		}
		i = j
	}
	return out
}

// bodyDiff is the line diff of two bodies; lines keep their line ends.
func bodyDiff(a, b []byte) []bodyLine {
	la, lb := strings.SplitAfter(string(a), "\n"), strings.SplitAfter(string(b), "\n")
	if len(a) == 0 {
		la = nil
	}
	if len(b) == 0 {
		lb = nil
	}
	if n := len(la); n > 0 && la[n-1] == "" {
		la = la[:n-1]
	}
	if n := len(lb); n > 0 && lb[n-1] == "" {
		lb = lb[:n-1]
	}
	out := []bodyLine{}
	for _, l := range compare.DiffLines(la, lb) {
		out = append(out, bodyLine{Op: string(rune(l.Op)), Text: l.Text})
	}
	return out
}

// indexedEdit is one line of an edit script with its indexes into the two
// sides (a for same and removed lines, b for same and added ones).
type indexedEdit struct {
	op   compare.LineOp
	a, b int
}

// indexed numbers an edit script's lines on both sides.
func indexed(ls []compare.Line) []indexedEdit {
	out := make([]indexedEdit, len(ls))
	i, j := 0, 0
	for k, l := range ls {
		out[k] = indexedEdit{op: l.Op, a: i, b: j}
		switch l.Op {
		case compare.OpSame:
			i, j = i+1, j+1
		case compare.OpRemoved:
			i++
		default:
			j++
		}
	}
	return out
}
