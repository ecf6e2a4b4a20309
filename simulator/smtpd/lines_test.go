package smtpd

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/hooksim/hooksim/simulator"
)

type lineRead struct {
	line    string
	tooLong bool
}

// readAll reads every line of in through a reader that hands out a few
// bytes at a time, as a network does.
func readAll(t *testing.T, in string, chunk int) ([]lineRead, error) {
	t.Helper()
	var src io.Reader = strings.NewReader(in)
	if chunk > 0 {
		src = iotest.OneByteReader(src)
		if chunk > 1 {
			src = iotest.HalfReader(strings.NewReader(in))
		}
	}
	lr := NewLineReader(bufio.NewReaderSize(src, 8192))
	var out []lineRead
	for {
		line, err := lr.ReadLine()
		switch {
		case errors.Is(err, ErrLineTooLong):
			out = append(out, lineRead{string(line), true})
		case err != nil:
			if len(line) > 0 {
				out = append(out, lineRead{"<unterminated> " + string(line), false})
			}
			return out, err
		default:
			out = append(out, lineRead{string(line), false})
		}
	}
}

func TestLineReader(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", simulator.MaxLineLength-1) // with its CR: the limit
	fits := strings.Repeat("y", simulator.MaxLineLength-2)
	huge := strings.Repeat("z", 3*8192)
	cases := []struct {
		name, in string
		want     []lineRead
	}{
		{"pipelined", "EHLO a\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n", []lineRead{{"EHLO a", false}, {"MAIL FROM:<a@b>", false}, {"RCPT TO:<c@d>", false}}},
		{"bare LF", "NOOP\nQUIT\r\n", []lineRead{{"NOOP", false}, {"QUIT", false}}},
		{"CR inside kept", "NO\rOP\r\n", []lineRead{{"NO\rOP", false}}},
		{"longest that fits", fits + "\r\nNOOP\r\n", []lineRead{{fits, false}, {"NOOP", false}}},
		{"one byte too long", long + "\r\nNOOP\r\n", []lineRead{{long[:simulator.MaxLineLength-1] + "\r", true}, {"NOOP", false}}},
		{"far too long", huge + "\r\nNOOP\r\n", []lineRead{{huge[:simulator.MaxLineLength], true}, {"NOOP", false}}},
		{"unterminated", "NOOP\r\nQUI", []lineRead{{"NOOP", false}, {"<unterminated> QUI", false}}},
	}
	for _, c := range cases {
		for _, chunk := range []int{0, 1, 2} {
			got, err := readAll(t, c.in, chunk)
			if !errors.Is(err, io.EOF) {
				t.Errorf("%s: ended with %v, want EOF", c.name, err)
			}
			if len(got) != len(c.want) {
				t.Errorf("%s (chunks %d): %d lines, want %d", c.name, chunk, len(got), len(c.want))
				continue
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Errorf("%s (chunks %d): line %d = %.40q (too long %v), want %.40q (%v)", c.name, chunk, i+1,
						got[i].line, got[i].tooLong, c.want[i].line, c.want[i].tooLong)
				}
			}
		}
	}
}

// FuzzLineReader: lines come back as split at LF, CR before LF cut, too
// long exactly when simulator.MaxLineLength bytes or more precede the LF,
// whatever the reads' sizes.
func FuzzLineReader(f *testing.F) {
	f.Add([]byte("EHLO a\r\nNOOP\nQUIT"), uint8(0))
	f.Add([]byte(strings.Repeat("a", 5000)+"\r\nb\r\n"), uint8(1))
	f.Fuzz(func(t *testing.T, in []byte, mode uint8) {
		got, err := readAll(t, string(in), int(mode%3))
		if !errors.Is(err, io.EOF) {
			t.Fatalf("ended with %v", err)
		}
		var want []lineRead
		rest := string(in)
		for {
			i := strings.IndexByte(rest, '\n')
			if i < 0 {
				if rest != "" {
					if len(rest) >= simulator.MaxLineLength {
						want = append(want, lineRead{"<unterminated> " + rest[:simulator.MaxLineLength], false})
					} else {
						want = append(want, lineRead{"<unterminated> " + rest, false})
					}
				}
				break
			}
			line := rest[:i]
			rest = rest[i+1:]
			if len(line) >= simulator.MaxLineLength {
				want = append(want, lineRead{line[:simulator.MaxLineLength], true})
				continue
			}
			want = append(want, lineRead{strings.TrimSuffix(line, "\r"), false})
		}
		if len(got) != len(want) {
			t.Fatalf("%d lines, want %d", len(got), len(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("line %d: %.60q %v, want %.60q %v", i+1, got[i].line, got[i].tooLong, want[i].line, want[i].tooLong)
			}
		}
	})
}
