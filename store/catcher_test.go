package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// v9Database writes a database as a build that knew migrations 0001 to
// 0009 left it: a script run and an SMTP run with messages whose bodies
// are in blobs (one chunked), one from before migration 0005 with its
// bodies in the row, one not queued, and a gap in the message ids.
func v9Database(t *testing.T, path string) {
	t.Helper()
	db := schemaAt(t, path, 9, true)
	defer db.Close()
	ctx := context.Background()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("building the version 9 database: %v\n%s", err, q)
		}
	}
	exec("PRAGMA user_version = 9")
	exec(`INSERT INTO runs (id, session_name, source, started, ended, outcome) VALUES
		(1, 'old', 'script', 1000, 2000, 'passed'), (2, 'client', 'smtp', 3000, 4000, 'passed')`)
	big := append([]byte("From: a@b\r\nSubject: big one\r\n\r\n"), bytes.Repeat([]byte("x"), 2*ChunkSize)...)
	small := []byte("Subject: hi\r\n\r\nbody here")
	exec(`INSERT INTO blobs (id, hash, size, data) VALUES (1, x'01', ?, ?), (2, x'02', ?, NULL)`, len(small), small, len(big))
	for i := 0; i*ChunkSize < len(big); i++ {
		exec(`INSERT INTO blob_chunks (blob_id, idx, data) VALUES (2, ?, ?)`, i, big[i*ChunkSize:min((i+1)*ChunkSize, len(big))])
	}
	exec(`INSERT INTO messages (id, run_id, number, queue_id, delivered, reply, original, final, original_blob, final_blob,
		envelope_before, envelope_after) VALUES
		(1, 1, 1, 'q1', 1, '250 queued', x'5375626a6563743a206f6c640d0a0d0a62', x'5375626a6563743a206f6c640d0a0d0a62', NULL, NULL,
		 '{"from":"a@b","to":["c@d"]}', '{"from":"a@b","to":["c@d"]}'),
		(2, 1, 2, '', 0, '550 no', NULL, NULL, 1, NULL, '{"from":"x@y","to":[]}', '{"from":"x@y","to":[]}'),
		(5, 2, 1, 'q5', 1, '250 queued', NULL, NULL, 1, 1, '{"from":"","to":["e@f"]}', '{"from":"","to":["e@f","g@h"]}'),
		(7, 2, 2, 'q7', 1, '250 queued', NULL, NULL, 2, 2, '{"from":"a@b","to":["c@d"]}', '{"from":"a@b","to":["c@d"]}')`)
}

// TestUpgradeFromVersion9: migration 0010 keeps every message as it read
// (ids too), the new columns read as "unknown" (no end time, no queued
// head, not relayed), the catcher's list works on the old rows (the time
// is the run's start), and message ids are never reused after.
func TestUpgradeFromVersion9(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v9.db")
	v9Database(t, path)
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open of a version 9 database: %v", err)
	}
	defer s.Close()

	msgs, err := s.Messages(ctx, 1)
	if err != nil || len(msgs) != 2 {
		t.Fatalf("messages of run 1: %d, %v", len(msgs), err)
	}
	if m := msgs[0]; string(m.Final) != "Subject: old\r\n\r\nb" || m.QueueID != "q1" || !m.Delivered ||
		!m.Ended.IsZero() || m.QueuedHead != nil || m.Relay != nil {
		t.Errorf("legacy message = %+v", m)
	}
	if m := msgs[1]; string(m.Original) != "Subject: hi\r\n\r\nbody here" || m.Final != nil || m.Delivered {
		t.Errorf("message not queued = %+v", m)
	}
	list, err := s.ListMessages(ctx, MessageFilter{})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		ID      int64
		Source  string
		Time    int64
		From    string
		To      string
		Subject string
		Size    int64
	}
	var got []row
	for _, m := range list {
		got = append(got, row{m.ID, m.Source, m.Time.UnixNano(), m.From, strings.Join(m.To, ","), m.Subject, m.Size})
	}
	want := []row{
		{7, "smtp", 3000, "a@b", "c@d", "big one", int64(31 + 2*ChunkSize)},
		{5, "smtp", 3000, "", "e@f,g@h", "hi", 24},
		{1, "script", 1000, "a@b", "c@d", "old", 17},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ListMessages after the upgrade =\n%+v\nwant\n%+v", got, want)
	}
	if err := s.SetRelay(ctx, 2, 1, Relay{To: "127.0.0.1:2525", OK: true, Reply: "250 ok", At: t0}); err != nil {
		t.Errorf("SetRelay on an upgraded message: %v", err)
	}

	// Pruning the newest messages does not make their ids come back.
	if _, err := s.Prune(ctx, time.Unix(0, 1e9)); err != nil {
		t.Fatal(err)
	}
	id, err := s.CreateRun(ctx, &Run{SessionName: "new", Source: SourceSMTP, Started: t0})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, Batch{Messages: []Message{queued(id, 1, "new", t0)}}); err != nil {
		t.Fatal(err)
	}
	if list, err := s.ListMessages(ctx, MessageFilter{}); err != nil || len(list) != 1 || list[0].ID != 8 {
		t.Errorf("first message after a prune of all = %+v, %v; want id 8", list, err)
	}
	var check string
	if err := s.r.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check = %q, %v", check, err)
	}
}

// queued is a queued message of run id with subject, ended at at.
func queued(runID int64, n int, subject string, at time.Time) Message {
	final := []byte("X-Hook: 1\r\nSubject: " + subject + "\r\n\r\nhello\r\n")
	return Message{RunID: runID, Number: n, QueueID: fmt.Sprintf("q%d", n), Delivered: true,
		Reply: "250 2.0.0 Message queued", Original: final[len("X-Hook: 1\r\n"):], Final: final,
		EnvelopeBefore: []byte(`{"from":"a@example.com","to":["b@example.com"]}`),
		EnvelopeAfter:  []byte(`{"from":"a@example.com","to":["b@example.com","archive@example.com"]}`),
		Ended:          at, QueuedHead: []byte("Received: from x\r\n")}
}

// TestMessageRoundTrip: what a message row holds since schema version 10
// (end time, queued head, relay) reads back; SetRelay records a relay and
// replaces it, and is ErrNotFound for a message that does not exist.
func TestMessageRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, id := openWithRun(t)
	relayed := queued(id, 2, "relayed at once", t0.Add(2*time.Second))
	relayed.Relay = &Relay{To: "[::1]:25", OK: true, Reply: "250 2.0.0 Ok: queued as 1234", At: t0.Add(3 * time.Second)}
	bare := queued(id, 3, "no head", t0.Add(3*time.Second))
	bare.QueuedHead = []byte{} // the server added no header
	refused := Message{RunID: id, Number: 4, Original: []byte("Subject: x\r\n\r\n"), Reply: "550 no",
		EnvelopeBefore: []byte(`{"from":"a@b","to":[]}`), EnvelopeAfter: []byte(`{"from":"a@b","to":[]}`), Ended: t0.Add(4 * time.Second)}
	in := []Message{queued(id, 1, "first", t0.Add(time.Second)), relayed, bare, refused}
	if err := s.Write(ctx, Batch{Messages: in}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Messages(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, in) {
		t.Errorf("Messages =\n%+v\nwant\n%+v", got, in)
	}
	for _, m := range in {
		one, err := s.Message(ctx, id, m.Number)
		if err != nil || !reflect.DeepEqual(*one, m) {
			t.Errorf("Message(%d) = %+v, %v; want %+v", m.Number, one, err, m)
		}
	}
	if _, err := s.Message(ctx, id, 9); !errors.Is(err, ErrNotFound) {
		t.Errorf("Message of a missing transaction: %v, want ErrNotFound", err)
	}

	failed := Relay{To: "127.0.0.1:2525", Reply: "dial tcp 127.0.0.1:2525: connect: connection refused",
		At: time.Date(2026, 3, 5, 10, 0, 0, 5, time.FixedZone("x", 3600))}
	if err := s.SetRelay(ctx, id, 1, failed); err != nil {
		t.Fatal(err)
	}
	m, err := s.Message(ctx, id, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := failed
	want.At = failed.At.UTC()
	if m.Relay == nil || *m.Relay != want {
		t.Errorf("relay after SetRelay = %+v, want %+v", m.Relay, want)
	}
	ok := Relay{To: "127.0.0.1:2525", OK: true, Reply: "250 ok"}
	before := time.Now()
	if err := s.SetRelay(ctx, id, 1, ok); err != nil {
		t.Fatal(err)
	}
	if m, err = s.Message(ctx, id, 1); err != nil || m.Relay == nil || !m.Relay.OK || m.Relay.Reply != "250 ok" || m.Relay.At.Before(before.Add(-time.Second)) {
		t.Errorf("relay replaced = %+v, %v; want ok, at about now", m.Relay, err)
	}
	for _, c := range []struct {
		run int64
		n   int
	}{{id, 9}, {id + 1, 1}} {
		if err := s.SetRelay(ctx, c.run, c.n, failed); !errors.Is(err, ErrNotFound) {
			t.Errorf("SetRelay(%d, %d) = %v, want ErrNotFound", c.run, c.n, err)
		}
	}
}

// catcherFixture records three runs with queued messages (an SMTP one, a
// script one, another SMTP one) and messages not queued between them. It
// returns the ids of the queued messages, oldest first, as ListMessages
// shows them.
func catcherFixture(t *testing.T, s *Store) []MessageSummary {
	t.Helper()
	ctx := context.Background()
	var batch Batch
	at := t0
	for r, src := range []string{SourceSMTP, SourceScript, SourceSMTP} {
		id, err := s.CreateRun(ctx, &Run{SessionName: fmt.Sprintf("run%d", r), Source: src, Started: at,
			Ended: at.Add(time.Minute), Outcome: OutcomePassed})
		if err != nil {
			t.Fatal(err)
		}
		for n := 1; n <= 3; n++ {
			at = at.Add(time.Second)
			m := queued(id, n, fmt.Sprintf("Run %d message %d", r, n), at)
			if n == 2 {
				m.Delivered, m.Final, m.QueuedHead, m.Reply = false, nil, nil, "550 5.7.1 no"
			}
			if r == 1 && n == 3 {
				m.EnvelopeAfter = []byte(`{"from":"","to":["Postmaster@Example.org"]}`)
			}
			batch.Messages = append(batch.Messages, m)
		}
	}
	if err := s.Write(ctx, batch); err != nil {
		t.Fatal(err)
	}
	all, err := s.ListMessages(ctx, MessageFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 6 {
		t.Fatalf("%d messages listed, want the 6 queued", len(all))
	}
	return all
}

// TestListMessages: queued messages only, newest first, paged, by
// source, and by a text in the sender, a recipient or the subject.
func TestListMessages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := openTemp(t)
	all := catcherFixture(t, s)
	for i := 1; i < len(all); i++ {
		if all[i-1].ID <= all[i].ID || !all[i-1].Time.After(all[i].Time) {
			t.Fatalf("not newest first: %+v", all)
		}
	}
	first := all[len(all)-1]
	want := MessageSummary{ID: first.ID, RunID: first.RunID, Number: 1, Source: SourceSMTP, Time: t0.Add(time.Second),
		QueueID: "q1", From: "a@example.com", To: []string{"b@example.com", "archive@example.com"},
		Subject: "Run 0 message 1", Size: int64(len("X-Hook: 1\r\nSubject: Run 0 message 1\r\n\r\nhello\r\n")), Queued: true}
	if !reflect.DeepEqual(first, want) {
		t.Errorf("oldest message =\n%+v\nwant\n%+v", first, want)
	}

	subjects := func(list []MessageSummary) string {
		var out []string
		for _, m := range list {
			out = append(out, strings.TrimPrefix(m.Subject, "Run "))
		}
		return strings.Join(out, "; ")
	}
	tests := []struct {
		name string
		f    MessageFilter
		want string
	}{
		{"all", MessageFilter{}, "2 message 3; 2 message 1; 1 message 3; 1 message 1; 0 message 3; 0 message 1"},
		{"first page", MessageFilter{Limit: 2}, "2 message 3; 2 message 1"},
		{"next page", MessageFilter{Limit: 2, BeforeID: all[1].ID}, "1 message 3; 1 message 1"},
		{"last page", MessageFilter{Limit: 2, BeforeID: all[3].ID}, "0 message 3; 0 message 1"},
		{"past the end", MessageFilter{Limit: 2, BeforeID: all[5].ID}, ""},
		{"smtp", MessageFilter{Source: SourceSMTP}, "2 message 3; 2 message 1; 0 message 3; 0 message 1"},
		{"smtp paged", MessageFilter{Source: SourceSMTP, Limit: 3}, "2 message 3; 2 message 1; 0 message 3"},
		{"script", MessageFilter{Source: SourceScript}, "1 message 3; 1 message 1"},
		{"replay", MessageFilter{Source: SourceReplay}, ""},
		{"one run", MessageFilter{RunID: all[2].RunID}, "1 message 3; 1 message 1"},
		{"one run paged", MessageFilter{RunID: all[2].RunID, Limit: 1, BeforeID: all[2].ID}, "1 message 1"},
		{"one run, another source", MessageFilter{RunID: all[2].RunID, Source: SourceSMTP}, ""},
		{"no such run", MessageFilter{RunID: all[0].RunID + 1}, ""},
		{"subject", MessageFilter{Query: "MESSAGE 3"}, "2 message 3; 1 message 3; 0 message 3"},
		{"subject paged", MessageFilter{Query: "message 3", Limit: 2}, "2 message 3; 1 message 3"},
		{"subject next page", MessageFilter{Query: "message 3", Limit: 2, BeforeID: all[2].ID}, "0 message 3"},
		{"a recipient", MessageFilter{Query: "postmaster@example"}, "1 message 3"},
		{"the sender", MessageFilter{Query: "A@Example.com"}, "2 message 3; 2 message 1; 1 message 1; 0 message 3; 0 message 1"},
		{"a recipient added by a hook", MessageFilter{Query: "archive@", Source: SourceScript}, "1 message 1"},
		{"nothing", MessageFilter{Query: "no such text"}, ""},
		{"not a message not queued", MessageFilter{Query: "message 2"}, ""},
	}
	for _, tc := range tests {
		got, err := s.ListMessages(ctx, tc.f)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got == nil {
			t.Errorf("%s: nil list, want an empty one", tc.name)
		}
		if sub := subjects(got); sub != tc.want {
			t.Errorf("%s: ListMessages(%+v) = %q, want %q", tc.name, tc.f, sub, tc.want)
		}
	}
}

// TestListMessagesSubject: the subject is read from the head of the
// final message, wherever its bytes are: a blob, the first chunk of a
// chunked blob, the row of a message recorded before blobs.
func TestListMessagesSubject(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, id := openWithRun(t)
	received := strings.Repeat("Received: from relay.example by mx.example; Thu, 5 Mar 2026 09:05:31 +0000\r\n", 100)
	bigBody := bytes.Repeat([]byte("0123456789abcdef"), ChunkSize/8)
	tests := []struct {
		final string
		want  string
	}{
		{"Subject: plain\r\n\r\nbody", "plain"},
		{"subject:   lower case\r\nX: y\r\n\r\n", "lower case"},
		{"Subject: folded\r\n  over two lines\r\nX: y\r\n\r\nb", "folded\n  over two lines"},
		{"Subject: =?UTF-8?B?w6l0w6k=?=\r\n\r\n", "=?UTF-8?B?w6l0w6k=?="},
		{"X: y\n subject: not a field\nSubject: lf only\n\nSubject: in the body\n", "lf only"},
		{"Subject: first\r\nSubject: second\r\n\r\n", "first"},
		{"X: no subject\r\n\r\nSubject: in the body\r\n", ""},
		{"\r\nSubject: in the body\r\n", ""},
		{"Subject : a space before the colon\r\n\r\n", ""},
		{received + "Subject: after 7 KiB of Received\r\n\r\n" + string(bigBody), "after 7 KiB of Received"},
		{strings.Repeat("X-Long: "+strings.Repeat("y", 1000)+"\r\n", 40) + "Subject: beyond the head\r\n\r\n", ""},
		{"Subject: no body", "no body"},
		{"", ""},
	}
	var batch Batch
	for i, tc := range tests {
		m := queued(id, i+1, "", t0)
		m.Final = []byte(tc.final)
		batch.Messages = append(batch.Messages, m)
	}
	if err := s.Write(ctx, batch); err != nil {
		t.Fatal(err)
	}
	// A message recorded before migration 0005: its bytes in the row.
	legacy := queued(id, len(tests)+1, "", t0)
	if err := s.Write(ctx, Batch{Messages: []Message{legacy}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ExecContext(ctx, `UPDATE messages SET final = ?, final_blob = NULL WHERE number = ?`,
		[]byte("Subject: legacy\r\n\r\nx"), legacy.Number); err != nil {
		t.Fatal(err)
	}
	tests = append(tests, struct{ final, want string }{"Subject: legacy\r\n\r\nx", "legacy"})
	list, err := s.ListMessages(ctx, MessageFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != len(tests) {
		t.Fatalf("%d messages listed, want %d", len(list), len(tests))
	}
	for _, m := range list {
		tc := tests[m.Number-1]
		if m.Subject != tc.want || m.Size != int64(len(tc.final)) {
			t.Errorf("message %d (%.40q): subject %q, size %d; want %q, %d", m.Number, tc.final, m.Subject, m.Size, tc.want, len(tc.final))
		}
	}
}

// TestTailMessages: a tail sees each queued message once, in order, passes
// over those not queued, sees every relay recorded after it looked, and
// misses nothing after a prune of the newest runs.
func TestTailMessages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := openTemp(t)
	c, err := s.LastMessages(ctx)
	if err != nil || c != (MessageCursor{}) {
		t.Fatalf("LastMessages of an empty database = %+v, %v", c, err)
	}
	all := catcherFixture(t, s)
	ch, err := s.TailMessages(ctx, c, 4)
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Queued) != 4 || !ch.Full || ch.Queued[0].ID != all[5].ID || ch.Queued[3].ID != all[2].ID || len(ch.Relayed) != 0 {
		t.Fatalf("first tail = %+v", ch)
	}
	refused := Message{RunID: all[0].RunID, Number: 9, Original: []byte("x"), Reply: "550 no"}
	if err := s.Write(ctx, Batch{Messages: []Message{refused}}); err != nil {
		t.Fatal(err)
	}
	ch, err = s.TailMessages(ctx, ch.Next, 4)
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Queued) != 2 || ch.Full || ch.Queued[1].ID != all[0].ID {
		t.Fatalf("second tail = %+v", ch)
	}
	// The refused message after the last queued one is passed over.
	if last, err := s.LastMessages(ctx); err != nil || ch.Next != last || last.Message <= all[0].ID {
		t.Errorf("cursor after the tail = %+v, LastMessages = %+v, %v", ch.Next, last, err)
	}
	c = ch.Next
	if ch, err = s.TailMessages(ctx, c, 4); err != nil || len(ch.Queued)+len(ch.Relayed) != 0 || ch.Next != c {
		t.Fatalf("tail with nothing new = %+v, %v", ch, err)
	}

	for i, m := range []MessageSummary{all[3], all[1], all[3]} {
		r := Relay{To: "127.0.0.1:2525", OK: i != 1, Reply: fmt.Sprintf("reply %d", i), At: t0}
		if err := s.SetRelay(ctx, m.RunID, m.Number, r); err != nil {
			t.Fatal(err)
		}
	}
	ch, err = s.TailMessages(ctx, c, 100)
	if err != nil {
		t.Fatal(err)
	}
	// A message relayed twice is listed once, at its last relay.
	if len(ch.Relayed) != 2 || ch.Relayed[0].ID != all[1].ID || ch.Relayed[1].ID != all[3].ID ||
		ch.Relayed[1].Relay == nil || ch.Relayed[1].Relay.Reply != "reply 2" || ch.Relayed[0].Relay.OK || len(ch.Queued) != 0 {
		t.Fatalf("relays = %+v", ch)
	}
	if ch.Next.Relay != 3 || ch.Next.Message != c.Message {
		t.Errorf("cursor after three relays = %+v", ch.Next)
	}
	c = ch.Next

	// Prune everything; what comes next is seen by the old cursor.
	if _, err := s.Prune(ctx, t0.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	id, err := s.CreateRun(ctx, &Run{SessionName: "after", Source: SourceSMTP, Started: t0.Add(48 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, Batch{Messages: []Message{queued(id, 1, "after the prune", t0.Add(48*time.Hour))}}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRelay(ctx, id, 1, Relay{To: "x:25", Reply: "timeout"}); err != nil {
		t.Fatal(err)
	}
	ch, err = s.TailMessages(ctx, c, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Queued) != 1 || ch.Queued[0].Subject != "after the prune" || len(ch.Relayed) != 1 || ch.Relayed[0].Relay.Reply != "timeout" {
		t.Errorf("tail after a prune = %+v", ch)
	}
}

func TestHeaderValue(t *testing.T) {
	t.Parallel()
	tests := []struct{ head, want string }{
		{"Subject: a\r\n", "a"},
		{"SUBJECT:a", "a"},
		{"Subject:\t \tb\r\n", "b"},
		{"Subject: a\r\n\tb\r\n c\r\nX: d\r\n", "a\n\tb\n c"},
		{" Subject: continuation of nothing\r\n", ""},
		{"Subject\r\n", ""},
		{"X: 1\r\nSubject: last", "last"},
		{"X: 1\r\n\r\nSubject: body", ""},
		{"X: 1\n\nSubject: body\r\n\r\n", ""},
		{"Subjects: no\r\n", ""},
		{"Subject: é ünïcode\r\n", "é ünïcode"},
		{"Subject: a\r\r\n", "a"},
	}
	for _, tc := range tests {
		if got := headerValue(headerBlock([]byte(tc.head)), "subject"); got != tc.want {
			t.Errorf("subject of %q = %q, want %q", tc.head, got, tc.want)
		}
	}
}

// FuzzHeaderValue: any bytes give a value without a line end in it that
// is in the header block, and never a panic.
func FuzzHeaderValue(f *testing.F) {
	for _, s := range []string{"Subject: a\r\n b\r\n\r\nx", "\n\n", "subject:", "X: y\nSubject: z\n\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, head []byte) {
		block := headerBlock(head)
		if !bytes.HasPrefix(head, block) {
			t.Fatalf("block %q is not the start of %q", block, head)
		}
		v := headerValue(block, "subject")
		if strings.ContainsAny(strings.ReplaceAll(v, "\n", ""), "\r") && !bytes.Contains(block, []byte("\r")) {
			t.Fatalf("value %q has a CR the block has not", v)
		}
		for _, line := range strings.Split(v, "\n") {
			if !bytes.Contains(block, []byte(line)) {
				t.Fatalf("value line %q is not in the block %q", line, block)
			}
		}
	})
}
