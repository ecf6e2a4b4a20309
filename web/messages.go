package web

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/hooksim/hooksim/recorder/replay/compare"
	"github.com/hooksim/hooksim/recorder/report"
	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/store"
)

// Limits of the message view.
const (
	maxPartText = 256 << 10 // decoded text of one part
	maxParts    = 500       // parts shown in a MIME tree
)

// messageView is the answer of GET /api/v1/runs/{id}/messages/{n}.
type messageView struct {
	report.Transaction
	// Time is when the transaction ended (its run's start for one
	// recorded before that was kept), as the messages list shows it.
	Time time.Time `json:"time"`
	// QueuedHeaders are the headers the server wrote in front of the
	// final message when it queued it; null when the message was not
	// queued or that was not kept (recorded before schema version 10).
	QueuedHeaders [][2]string `json:"queued_headers"`
	// SubjectText is the Subject of the final message (else the
	// original) as a reader sees it (headerText).
	SubjectText string         `json:"subject_text"`
	Relay       *store.Relay   `json:"relay"`
	Original    msgView        `json:"original"`
	Final       *msgView       `json:"final"`
	HeaderDiff  []headerChange `json:"header_diff"`
	BodyDiff    []bodyLine     `json:"body_diff"`
}

// msgView is one message: its headers as they are on the wire, its body
// and its MIME tree.
type msgView struct {
	Size    int         `json:"size"`
	Headers [][2]string `json:"headers"`
	textOrBase64
	MIME     *sessions.MIMEPart `json:"mime"`
	Warnings []string           `json:"warnings"`
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

// findMessage reads transaction {n} of run {id} from the store, with its
// run, answering the error itself (404 for a run or transaction that does
// not exist).
func (s *Server) findMessage(w http.ResponseWriter, r *http.Request) (*store.Run, *store.Message, bool) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return nil, nil, false
	}
	n, ok := pathID(w, r, "n")
	if !ok {
		return nil, nil, false
	}
	run, err := s.cfg.Store.GetRun(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return nil, nil, false
	}
	m, err := s.cfg.Store.Message(r.Context(), id, int(min(n, math.MaxInt32)))
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("run #%d has no transaction %d", id, n))
		return nil, nil, false
	}
	if err != nil {
		s.fail(w, r, err)
		return nil, nil, false
	}
	return run, m, true
}

// handleMessage answers GET /api/v1/runs/{id}/messages/{n}: the
// transaction (report.Transaction) with both messages parsed for display
// and their differences.
func (s *Server) handleMessage(w http.ResponseWriter, r *http.Request) {
	run, m, ok := s.findMessage(w, r)
	if !ok {
		return
	}
	tx, err := report.StoredTransaction(m)
	if err != nil {
		s.fail(w, r, fmt.Errorf("web: run %d: %w", run.ID, err))
		return
	}
	tx.Original, tx.Final = nil, nil // shown below as messages
	v := messageView{Transaction: tx, Time: m.Ended, Relay: m.Relay, Original: msgViewOf(m.Original),
		HeaderDiff: []headerChange{}, BodyDiff: []bodyLine{}}
	if v.Time.IsZero() {
		v.Time = run.Started
	}
	v.Time = v.Time.UTC()
	if m.Delivered && m.QueuedHead != nil {
		v.QueuedHeaders = sessions.HeaderFields(m.QueuedHead)
	}
	if m.Final != nil {
		f := msgViewOf(m.Final)
		v.Final = &f
		oh, ob := sessions.SplitMessage(m.Original)
		fh, fb := sessions.SplitMessage(m.Final)
		v.HeaderDiff = headerDiff(sessions.HeaderFields(oh), sessions.HeaderFields(fh))
		v.BodyDiff = bodyDiff(ob, fb)
	}
	subjectOf := v.Original.Headers
	if v.Final != nil {
		subjectOf = v.Final.Headers
	}
	for _, h := range subjectOf {
		if strings.EqualFold(h[0], "subject") {
			v.SubjectText = store.HeaderText(h[1])
			break
		}
	}
	writeJSON(w, http.StatusOK, v)
}

// handleMessageEML answers GET /api/v1/runs/{id}/messages/{n}/eml: the
// message as received (which=original, the default), as the hooks left
// it (final) or as the server queued it (queued: the server's headers,
// then the final message, ending with a CRLF: the file `hooksim run
// --out` writes).
func (s *Server) handleMessageEML(w http.ResponseWriter, r *http.Request) {
	run, tx, ok := s.findMessage(w, r)
	if !ok {
		return
	}
	id := run.ID
	data := tx.Original
	which := r.URL.Query().Get("which")
	switch which {
	case "", "original":
		which = "original"
	case "final", "queued":
		if tx.Final == nil {
			writeError(w, http.StatusNotFound, fmt.Sprintf("transaction %d of run #%d was not queued: there is no final message", tx.Number, id))
			return
		}
		data = tx.Final
		if which == "final" {
			break
		}
		if tx.QueuedHead == nil {
			writeError(w, http.StatusNotFound, fmt.Sprintf("transaction %d of run #%d was recorded by a hooksim that did not keep the message as queued: which=final is the message without the server's headers", tx.Number, id))
			return
		}
		data = make([]byte, 0, len(tx.QueuedHead)+len(tx.Final)+2)
		data = append(append(data, tx.QueuedHead...), tx.Final...)
		if !bytes.HasSuffix(data, []byte("\r\n")) {
			data = append(data, '\r', '\n')
		}
	default:
		writeError(w, http.StatusBadRequest, "which wants original, final or queued")
		return
	}
	w.Header().Set("Content-Type", "message/rfc822")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=\"run-%d-message-%d-%s.eml\"", id, tx.Number, which))
	w.Write(data)
}

func msgViewOf(raw []byte) msgView {
	h, b := sessions.SplitMessage(raw)
	v := msgView{Size: len(raw), Headers: sessions.HeaderFields(h), textOrBase64: bodyOf(b), Warnings: []string{}}
	mime, warnings := sessions.MIMETree(raw, maxPartText, maxParts)
	v.MIME = mime
	v.Warnings = append(v.Warnings, warnings...)
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
