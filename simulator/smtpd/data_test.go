package smtpd

import (
	"bytes"
	"testing"
)

// The cases follow smtp-proto 0.2.1's DataReceiver as read in
// request/receiver.rs:98-130.
var dataCases = []struct {
	name, in, msg, rest string
	done                bool
}{
	{"simple", "Subject: a\r\n\r\nbody\r\n.\r\n", "Subject: a\r\n\r\nbody", "", true},
	{"next command follows", "hi\r\n.\r\nQUIT\r\n", "hi", "QUIT\r\n", true},
	{"doubled dot", "a\r\n..b\r\n.\r\n", "a\r\n.b", "", true},
	{"single leading dot dropped", "a\r\n.b\r\n.\r\n", "a\r\nb", "", true},
	{"dot at the very start kept", ".a\r\n.\r\n", ".a", "", true},
	{"empty first line does not end", ".\r\n", ".\r\n", "", false},
	{"empty message after a blank line", "\r\n.\r\n", "", "", true},
	{"bare LF lines kept", "a\n.\nb\r\n.\r\n", "a\n.\nb", "", true},
	{"bare LF terminator ends nothing", "a\n.\n", "a\n.\n", "", false},
	{"CR does not clear the period", "a\r\n.\r\r\n", "a\r", "", true},
	{"dot then CR then text", "a\r\n.\rb\r\n.\r\n", "a\r\n\rb", "", true},
	{"unfinished", "a\r\n.", "a\r\n", "", false},
	{"binary", "\x00\xff\r\n..\x00\r\n.\r\n", "\x00\xff\r\n.\x00", "", true},
}

func TestDataReceiver(t *testing.T) {
	t.Parallel()
	for _, c := range dataCases {
		// Whole, then one byte at a time: the same message.
		for _, step := range []int{len(c.in) + 1, 1, 2, 3} {
			var r DataReceiver
			var msg []byte
			in := []byte(c.in)
			done, used := false, 0
			for len(in) > 0 && !done {
				piece := in[:min(step, len(in))]
				var n int
				msg, n, done = r.Ingest(piece, msg)
				used += n
				in = in[n:]
			}
			if string(msg) != c.msg || done != c.done || c.in[used:] != c.rest {
				t.Errorf("%s (pieces of %d): message %q, done %v, rest %q; want %q, %v, %q",
					c.name, step, msg, done, c.in[used:], c.msg, c.done, c.rest)
			}
		}
	}
}

// FuzzDataReceiver: any bytes in any pieces give the same message and
// end as in one piece, the message is never longer than the input, and a
// message that was dot-stuffed and terminated the usual way comes back.
func FuzzDataReceiver(f *testing.F) {
	for _, c := range dataCases {
		f.Add([]byte(c.in), uint8(1))
	}
	f.Fuzz(func(t *testing.T, in []byte, step uint8) {
		var whole DataReceiver
		want, wantN, wantDone := whole.Ingest(in, nil)
		if len(want) > len(in) || wantN > len(in) {
			t.Fatalf("message %d bytes, used %d, from %d", len(want), wantN, len(in))
		}
		var r DataReceiver
		var msg []byte
		rest, used, done := in, 0, false
		size := int(step%16) + 1
		for len(rest) > 0 && !done {
			var n int
			msg, n, done = r.Ingest(rest[:min(size, len(rest))], msg)
			used, rest = used+n, rest[n:]
		}
		if !bytes.Equal(msg, want) || done != wantDone || used != wantN {
			t.Fatalf("in pieces of %d: %q %v %d; whole: %q %v %d", size, msg, done, used, want, wantDone, wantN)
		}
		// in as a message body: stuffed (a period after CR LF doubled,
		// and at the start too, which the receiver keeps as is: skip
		// bodies starting with a period) and terminated.
		if bytes.HasPrefix(in, []byte(".")) || bytes.Contains(in, []byte("\r\n.\r")) {
			return
		}
		body := append([]byte("\r\n"), in...) // a first line break, so the receiver's start rule does not bite
		stuffed := bytes.ReplaceAll(body, []byte("\r\n."), []byte("\r\n.."))
		var s DataReceiver
		got, _, ok := s.Ingest(append(stuffed, "\r\n.\r\n"...), nil)
		if !ok || !bytes.Equal(got, body) {
			t.Fatalf("stuffed %q came back as %q (done %v)", body, got, ok)
		}
	})
}
