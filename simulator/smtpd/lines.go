package smtpd

import (
	"bufio"
	"bytes"
	"errors"

	"github.com/hooksim/hooksim/simulator"
)

// LineReader reads a client's command lines as Stalwart does
// (smtp-proto's RequestReceiver, request/receiver.rs:57-95, answered in
// session.rs:356-359 and 462-474): a line ends at its LF (a CR before it
// is part of the line, a bare LF ends one too); a line with
// simulator.MaxLineLength bytes or more before its LF is too long: its
// bytes are read up to the LF and dropped, and the server answers
// simulator.ReplyLineTooLong. Stalwart parses a longer line when it
// arrives whole in one 8192-byte read; hooksim, like its scripts, takes
// every such line as too long (simulator.MaxLineLength).
type LineReader struct {
	r *bufio.Reader
}

// NewLineReader reads lines from r, whose buffer must hold
// simulator.MaxLineLength bytes (bufio.NewReaderSize(conn, 8192), as
// Stalwart reads).
func NewLineReader(r *bufio.Reader) *LineReader { return &LineReader{r: r} }

// ErrLineTooLong is returned with the first simulator.MaxLineLength
// bytes of a line that is too long; the rest of it, to its LF, was read.
var ErrLineTooLong = errors.New("smtpd: command line too long")

// ReadLine returns the next line, without its LF and without a CR before
// it; the slice is valid until the next read. A line too long comes with
// ErrLineTooLong. At the end of the input, a last line without its LF
// comes with io.EOF (Stalwart never answers it: the client has gone).
func (l *LineReader) ReadLine() ([]byte, error) {
	line, err := l.r.ReadSlice('\n')
	before := len(line) // the bytes before the LF
	if err == nil {
		before--
	}
	if before >= simulator.MaxLineLength || errors.Is(err, bufio.ErrBufferFull) {
		head := bytes.Clone(line[:min(len(line), simulator.MaxLineLength)])
		for errors.Is(err, bufio.ErrBufferFull) {
			_, err = l.r.ReadSlice('\n')
		}
		if err != nil {
			return head, err
		}
		return head, ErrLineTooLong
	}
	if err != nil {
		return line, err
	}
	line = line[:len(line)-1]
	return bytes.TrimSuffix(line, []byte("\r")), nil
}
