package simulator

import (
	"bytes"
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/simulator/wire"
)

// queuedReply matches the queued reply whatever the queue id.
var queuedReply = regexp.MustCompile(QueuedReplyPattern)

func bdat(msg string, chunks ...int) sessions.Step {
	return sessions.Step{Kind: sessions.StepBdat, Chunks: chunks, Message: &sessions.Message{Raw: []byte(msg), Source: "inline"}}
}

// TestBdat: chunks before the last are answered "250 2.6.0 Chunk
// accepted.", the last queues the message with one data hook call; the
// message is what the chunks carried, its final CRLF and 8-bit bytes
// included (no dot terminator to strip, no dot-stuffing).
func TestBdat(t *testing.T) {
	t.Parallel()
	msg := "From: a@example.org\r\nTo: b@example.org\r\nSubject: caf\xe9\r\n\r\n.dot line\r\nbinary \x00\xff\r\n"
	hook := newFakeHook(t, accept)
	s := script(connect(), ehlo("mail.example.net"), mailFrom("a@example.org"), rcptTo("b@example.org"), bdat(msg, 10, 0, 25), quit())
	res := playWith(t, []*hookconf.Hook{hookAt("h", hook.srv.URL, wire.StageData)}, s)
	st := res.Steps[4]
	want := []string{ReplyChunkOK, ReplyChunkOK, ReplyChunkOK}
	if got := st.Replies[:3]; !reflect.DeepEqual(got, want) || len(st.Replies) != 4 || !queuedReply.MatchString(st.Reply()) {
		t.Fatalf("replies %q", st.Replies)
	}
	if st.Command != "BDAT 10\nBDAT 0\nBDAT 25\nBDAT 44 LAST" {
		t.Errorf("commands %q", st.Command)
	}
	reqs := hook.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d data hook calls, want 1", len(reqs))
	}
	var req struct {
		Message struct {
			Contents string `json:"contents"`
			Size     int    `json:"size"`
		} `json:"message"`
	}
	if err := json.Unmarshal(reqs[0], &req); err != nil {
		t.Fatal(err)
	}
	if req.Message.Size != len(msg) || req.Message.Contents != ".dot line\r\nbinary \x00\ufffd\r\n" {
		t.Errorf("size %d (want %d), contents %q", req.Message.Size, len(msg), req.Message.Contents)
	}
	if tx := res.Transactions[0]; !tx.Delivered || !bytes.Equal(tx.Original, []byte(msg)) {
		t.Errorf("queued %v, original %q", tx.Delivered, tx.Original)
	}
}

// TestBdatRefused: each chunk is refused on its own: before MAIL every
// chunk gets 503 and nothing is queued; a chunk that would reach
// maxMessageSize gets 552 (its data discarded); BDAT 0 LAST queues the
// message the chunks before carried.
func TestBdatRefused(t *testing.T) {
	t.Parallel()
	msg := "From: a@example.org\r\nTo: b@example.org\r\nSubject: x\r\n\r\nhi\r\n"
	hook := newFakeHook(t, accept)
	s := script(connect(), ehlo("mail.example.net"), bdat(msg, 20), quit())
	res := playWith(t, []*hookconf.Hook{hookAt("h", hook.srv.URL, wire.StageData)}, s)
	if got := res.Steps[2].Replies; !reflect.DeepEqual(got, []string{ReplyMailFirst, ReplyMailFirst}) || len(hook.requests()) != 0 {
		t.Errorf("BDAT before MAIL: %q, %d hook calls", got, len(hook.requests()))
	}
	s = script(connect(), ehlo("mail.example.net"), mailFrom("a@example.org"), rcptTo("b@example.org"), bdat(msg, 20), quit())
	s.Server.MaxMessageSize = 40
	res = playWith(t, []*hookconf.Hook{hookAt("h", hook.srv.URL, wire.StageData)}, s)
	if got := res.Steps[4].Replies; !reflect.DeepEqual(got, []string{ReplyChunkOK, ReplyTooBig}) {
		t.Errorf("over maxMessageSize: %q", got)
	}
	s = script(connect(), ehlo("mail.example.net"), mailFrom("a@example.org"), rcptTo("b@example.org"), bdat(msg, len(msg)), quit())
	res = playWith(t, []*hookconf.Hook{hookAt("h", hook.srv.URL, wire.StageData)}, s)
	if st := res.Steps[4]; st.Command != "BDAT 58\nBDAT 0 LAST" || !queuedReply.MatchString(st.Reply()) {
		t.Errorf("BDAT 0 LAST: %q, %q", st.Command, st.Replies)
	}
}

// FuzzBdatChunks: whatever the chunk sizes, the chunks put back together
// are the message, and the last one is the rest.
func FuzzBdatChunks(f *testing.F) {
	f.Add([]byte("From: a@b\r\n\r\nhi\r\n"), 3, 0, 100)
	f.Add([]byte(""), 0, 0, 0)
	f.Fuzz(func(t *testing.T, msg []byte, a, b, c int) {
		if a < 0 || b < 0 || c < 0 {
			return
		}
		step := bdat(string(msg), a, b, c)
		chunks := bdatChunks(&step)
		if len(chunks) != 4 || !bytes.Equal(bytes.Join(chunks, nil), msg) {
			t.Fatalf("chunks %q do not make %q", chunks, msg)
		}
		if len(bdatCommands(&step)) != 4 {
			t.Fatal("one command per chunk")
		}
	})
}

// TestTooBigKeepsTransaction: a chunk refused as too big empties what the
// earlier chunks carried, and the LAST chunk is checked on its own
// (session.rs:67-100, 452-456); a DATA too big is refused after the
// terminator and the transaction stays: MAIL and RCPT are kept
// (session.rs:363-397, no reset()).
func TestTooBigKeepsTransaction(t *testing.T) {
	t.Parallel()
	msg := "From: a@example.org\r\nTo: b@example.org\r\nSubject: x\r\n\r\n" + strings.Repeat("y", 94) + "\r\n" // 150 bytes
	hook := newFakeHook(t, accept)
	hooks := []*hookconf.Hook{hookAt("h", hook.srv.URL, wire.StageData)}
	s := script(connect(), ehlo("mail.example.net"), mailFrom("a@example.org"), rcptTo("b@example.org"), bdat(msg, 60, 60), quit())
	s.Server.MaxMessageSize = 100
	res := playWith(t, hooks, s)
	want := []string{ReplyChunkOK, ReplyTooBig, ReplyParseFailed}
	if got := res.Steps[4].Replies; !reflect.DeepEqual(got, want) || len(hook.requests()) != 0 {
		t.Errorf("BDAT over the limit: %q, %d data hook calls; want %q and none", got, len(hook.requests()), want)
	}
	s = script(connect(), ehlo("mail.example.net"), mailFrom("a@example.org"), rcptTo("b@example.org"), data(msg), mailFrom("c@example.org"), quit())
	s.Server.MaxMessageSize = 100
	res = playWith(t, hooks, s)
	if got := replies(res)[4:6]; !reflect.DeepEqual(got, []string{ReplyTooBig, ReplyMultipleMail}) {
		t.Errorf("DATA over the limit then MAIL: %q", got)
	}
	// The size on the wire counts: 150 bytes plus ".\r\n" is 153.
	for max, want := range map[int64]string{153: ReplyTooBig, 154: "250 2.0.0 Message queued"} {
		s = script(connect(), ehlo("mail.example.net"), mailFrom("a@example.org"), rcptTo("b@example.org"), data(msg), quit())
		s.Server.MaxMessageSize = max
		if got := playWith(t, nil, s).Steps[4].Reply(); !strings.HasPrefix(got, want) {
			t.Errorf("maxMessageSize %d: %q, want %q", max, got, want)
		}
	}
}
