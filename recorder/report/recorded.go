package report

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"

	"github.com/hooksim/hooksim/store"
)

// sessionIndent is what a session's keys are indented by in a document
// (the sessions list is at two spaces, its elements at four).
const sessionIndent = "      "

// WriteRecorded writes the document of one recorded run, read from its
// rows, to w: exactly the bytes of Recorded(FromRows(...)).JSON() (what
// the web API's export as=json answers), but written a piece at a time,
// as Writer writes `hooksim run --json`: the session's head, then each
// step with its exchanges, each transaction and each unstepped exchange
// marshalled on its own, and every request, response or message of
// spliceMin bytes or more written from the row's own bytes, escaped in
// 64 KiB pieces. So besides the rows, which hold each body once, no more
// than one step or transaction is held as JSON at once, and no large body
// is copied into a string. `hooksim export --as json` uses it.
//
// Errors are a lint or envelope column that is not the JSON the recorder
// writes (wrapped "report: run N"), found before anything is written, or
// w's (wrapped "report: write"), after which the document is cut short.
func WriteRecorded(w io.Writer, rows *store.RunRows) error {
	run := rows.Run
	head := storedHead(run, rows.Steps)
	g := groupExchanges(rows.Steps, rows.Exchanges)
	// Check every column the pieces decode before writing the first byte,
	// so that a damaged row is an error and not half a document.
	for i := range rows.Steps {
		if _, err := storedLints(rows.Steps[i].Lints); err != nil {
			return fmt.Errorf("report: run %d: step %d: %w", run.ID, rows.Steps[i].Index, err)
		}
	}
	for i := range rows.Exchanges {
		if _, err := storedLints(rows.Exchanges[i].Lints); err != nil {
			return fmt.Errorf("report: run %d: exchange %d: %w", run.ID, rows.Exchanges[i].Seq, err)
		}
	}
	for i := range rows.Messages {
		if _, err := storedTransaction(&rows.Messages[i], func([]byte) Bytes { return Bytes{} }); err != nil {
			return fmt.Errorf("report: run %d: %w", run.ID, err)
		}
	}

	rep := Recorded(head)
	rep.Sessions = []Session{}
	rep.Summary.Exchanges = len(rows.Exchanges) // every exchange is in a step or unstepped
	docHead, docTail, err := split(rep)
	if err != nil {
		return err
	}
	sess, err := json.MarshalIndent(head, "    ", "  ")
	if err != nil {
		return fmt.Errorf("report: run %d: %w", run.ID, err)
	}
	var nonce [12]byte
	_, _ = rand.Read(nonce[:]) // never fails (crypto/rand)
	wr := &Writer{w: bufio.NewWriterSize(w, 64<<10), nonce: hex.EncodeToString(nonce[:])}

	wr.write(docHead)
	wr.write([]byte("\n    "))
	// The session's head has its three lists empty, in this order; each is
	// written in its place, one element at a time.
	lists := []struct {
		key  string
		n    int
		each func(i int, bytesOf bytesFunc, sp *splicer) (any, error)
	}{
		{"steps", len(rows.Steps), func(i int, bytesOf bytesFunc, sp *splicer) (any, error) {
			row := &rows.Steps[i]
			step, err := storedStep(run.ID, row, g.byStep[row.Index], bytesOf)
			if err == nil && sp != nil {
				sp.exchanges(step.Exchanges)
			}
			return step, err
		}},
		{"transactions", len(rows.Messages), func(i int, bytesOf bytesFunc, _ *splicer) (any, error) {
			return storedTransaction(&rows.Messages[i], bytesOf)
		}},
		{"unstepped", len(g.unstepped), func(i int, bytesOf bytesFunc, sp *splicer) (any, error) {
			e, err := storedExchange(g.unstepped[i], bytesOf)
			if err == nil && sp != nil {
				exs := []Exchange{e}
				sp.exchanges(exs)
				e = exs[0]
			}
			return e, err
		}},
	}
	for _, l := range lists {
		mark := []byte("\n" + sessionIndent + `"` + l.key + `": []`)
		i := bytes.Index(sess, mark)
		if i < 0 {
			return fmt.Errorf("report: run %d: no %s list in %q", run.ID, l.key, sess)
		}
		wr.write(sess[:i+len(mark)-1]) // through the list's '['
		sess = sess[i+len(mark)-1:]    // from its ']'
		for k := 0; k < l.n; k++ {
			if k > 0 {
				wr.write([]byte(","))
			}
			wr.write([]byte("\n" + sessionIndent + "  "))
			if err := wr.piece(sessionIndent+"  ", func(bytesOf bytesFunc, sp *splicer) (any, error) { return l.each(k, bytesOf, sp) }); err != nil {
				return err
			}
		}
		if l.n > 0 {
			wr.write([]byte("\n" + sessionIndent))
		}
	}
	wr.write(sess)
	wr.write([]byte("\n  "))
	wr.write(docTail)
	wr.write([]byte("\n"))
	if wr.err == nil {
		if err := wr.w.Flush(); err != nil {
			wr.err = fmt.Errorf("report: write: %w", err)
		}
	}
	return wr.err
}

// piece writes one value of a document, marshalled at prefix: build
// makes it with a splicer's placeholders for its large bodies (bytesOf
// and sp), which are then written in their place; when a string of the
// value happens to hold a placeholder, build makes it again with every
// body copied (NewBytes, sp nil) and it is written whole.
func (w *Writer) piece(prefix string, build func(bytesOf bytesFunc, sp *splicer) (any, error)) error {
	if w.err != nil {
		return w.err
	}
	sp := &splicer{prefix: "\x00hooksim-body-" + w.nonce + "-"}
	v, err := build(sp.bytes, sp)
	if err != nil {
		return err
	}
	doc, err := json.MarshalIndent(v, prefix, "  ")
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if !sp.check(doc) {
		if v, err = build(NewBytes, nil); err != nil {
			return err
		}
		if doc, err = json.MarshalIndent(v, prefix, "  "); err != nil {
			return fmt.Errorf("report: %w", err)
		}
		sp = &splicer{}
	}
	sp.writeTo(w, doc)
	return w.err
}
