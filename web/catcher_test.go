package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/store"
)

// smtpMessage writes, through the server's store, a run of source smtp
// holding one queued message with the given final message, as hooksim
// smtp records a connection. It returns the run's id.
func smtpMessage(t testing.TB, st *store.Store, final string, at time.Time) int64 {
	t.Helper()
	return smtpMessageHead(t, st, final, at, []byte("Received: from client (unknown [127.0.0.1])\r\n"))
}

// smtpMessageHead is smtpMessage with the server's headers in front of
// the message as queued (nil: not kept, as a hooksim from before schema
// version 10 recorded it).
func smtpMessageHead(t testing.TB, st *store.Store, final string, at time.Time, head []byte) int64 {
	t.Helper()
	ctx := context.Background()
	id, err := st.CreateRun(ctx, &store.Run{SessionName: "smtp 127.0.0.1", Source: store.SourceSMTP, Started: at,
		Ended: at.Add(time.Second), Outcome: store.OutcomePassed})
	if err != nil {
		t.Fatal(err)
	}
	m := store.Message{RunID: id, Number: 1, QueueID: "abc", Delivered: true, Reply: "250 2.0.0 Message queued with id abc.",
		Original: []byte(final), Final: []byte(final), QueuedHead: head,
		EnvelopeBefore: []byte(`{"from":"","to":["catch@example.org"]}`), EnvelopeAfter: []byte(`{"from":"","to":["catch@example.org"]}`),
		Ended: at}
	if err := st.Write(ctx, store.Batch{Messages: []store.Message{m}}); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestMessagesEndpoint(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	hook := newTestHook(t, "", "accept")
	refusing := newTestHook(t, "", "reject")
	hello := record(t, ts.dbPath, hook.URL, "hello", "")
	record(t, ts.dbPath, refusing.URL, "minimal", "") // refused at data: not listed
	catch := smtpMessage(t, ts.st, "Subject: caught\r\n\r\nhi\r\n", time.Now())

	var page messagesPage
	ts.getJSON(t, "/api/v1/messages", &page)
	if len(page.Messages) != 2 || page.NextBefore != 0 {
		t.Fatalf("messages = %+v, want the two queued ones", page)
	}
	got, first := page.Messages[0], page.Messages[1]
	if got.RunID != catch || got.Source != "smtp" || got.Subject != "caught" || got.From != "" ||
		fmt.Sprint(got.To) != "[catch@example.org]" || got.Size != int64(len("Subject: caught\r\n\r\nhi\r\n")) || got.Relay != nil ||
		got.EML != fmt.Sprintf("/api/v1/runs/%d/messages/1/eml?which=queued", catch) || got.ID <= first.ID {
		t.Errorf("newest message = %+v", got)
	}
	if first.RunID != hello || first.Source != "script" || first.Subject != "Saying Hello" || first.From != "alice@example.net" ||
		fmt.Sprint(first.To) != "[bill@example.org]" || first.Number != 1 || first.QueueID == "" || first.Time.IsZero() {
		t.Errorf("hello's message = %+v", first)
	}

	tests := []struct {
		query string
		want  []int64 // run ids, in order
		next  bool
	}{
		{"limit=1", []int64{catch}, true},
		{fmt.Sprintf("limit=1&before=%d", got.ID), []int64{hello}, false},
		{"source=smtp", []int64{catch}, false},
		{fmt.Sprintf("run=%d", hello), []int64{hello}, false},
		{fmt.Sprintf("run=%d&source=smtp", hello), nil, false},
		{"source=script", []int64{hello}, false},
		{"source=replay", nil, false},
		{"q=BILL@", []int64{hello}, false},
		{"q=saying", []int64{hello}, false},
		{"q=catch", []int64{catch}, false},
		{"q=nothing+like+it", nil, false},
	}
	for _, tc := range tests {
		var p messagesPage
		ts.getJSON(t, "/api/v1/messages?"+tc.query, &p)
		var runs []int64
		for _, m := range p.Messages {
			runs = append(runs, m.RunID)
		}
		if fmt.Sprint(runs) != fmt.Sprint(tc.want) || (p.NextBefore != 0) != tc.next || p.Messages == nil {
			t.Errorf("?%s = runs %v, next_before %d; want %v, next %v", tc.query, runs, p.NextBefore, tc.want, tc.next)
		}
		if tc.next && p.NextBefore != p.Messages[len(p.Messages)-1].ID {
			t.Errorf("?%s: next_before %d, want the last message's id", tc.query, p.NextBefore)
		}
	}
	for _, bad := range []string{"limit=0", "limit=501", "before=x", "before=-1", "source=pop3", "run=x"} {
		if code, body := ts.call(t, http.MethodGet, "/api/v1/messages?"+bad, ""); code != http.StatusBadRequest || !json.Valid(body) {
			t.Errorf("?%s = %d %s, want 400 with a JSON error", bad, code, body)
		}
	}
}

// TestEMLQueued: which=queued is the message as the server queued it:
// the server's headers, then the final message, ending with a CRLF (the
// file `hooksim run --out` writes); which=final stays the final message
// without them.
func TestEMLQueued(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	hook := newTestHook(t, "", "accept")
	id := record(t, ts.dbPath, hook.URL, "hello", "")
	m, err := ts.st.Message(context.Background(), id, 1)
	if err != nil {
		t.Fatal(err)
	}
	eml := func(which string) (int, []byte) {
		return ts.call(t, http.MethodGet, fmt.Sprintf("/api/v1/runs/%d/messages/1/eml?which=%s", id, which), "")
	}
	code, queued := eml("queued")
	if code != http.StatusOK {
		t.Fatalf("which=queued = %d %s", code, queued)
	}
	want := append(append(append([]byte{}, m.QueuedHead...), m.Final...), "\r\n"...)
	if !bytes.Equal(queued, want) || !bytes.HasPrefix(queued, []byte("Received: from mail.example.net (mail.example.net [203.0.113.7])\r\n")) {
		t.Errorf("which=queued =\n%q\nwant\n%q", queued, want)
	}
	if code, final := eml("final"); code != http.StatusOK || !bytes.Equal(final, m.Final) || bytes.Contains(final, []byte("Received: from mail.example.net")) {
		t.Errorf("which=final = %d %q, want the final message as it was", code, final)
	}

	// A message recorded before the queued head was kept, and one not
	// queued, have no queued form.
	refusing := newTestHook(t, "", "reject")
	refused := record(t, ts.dbPath, refusing.URL, "minimal", "")
	if code, body := ts.call(t, http.MethodGet, fmt.Sprintf("/api/v1/runs/%d/messages/1/eml?which=queued", refused), ""); code != http.StatusNotFound || !strings.Contains(string(body), "not queued") {
		t.Errorf("which=queued of a refused message = %d %s", code, body)
	}
	old := smtpMessageHead(t, ts.st, "Subject: old\r\n\r\n", time.Now(), nil)
	if code, body := ts.call(t, http.MethodGet, fmt.Sprintf("/api/v1/runs/%d/messages/1/eml?which=queued", old), ""); code != http.StatusNotFound || !strings.Contains(string(body), "which=final") {
		t.Errorf("which=queued of a message without its queued head = %d %s", code, body)
	}
	var list messagesPage
	ts.getJSON(t, "/api/v1/messages?source=smtp", &list)
	if len(list.Messages) != 1 || !strings.HasSuffix(list.Messages[0].EML, "?which=final") {
		t.Errorf("the list's download of a message without its queued head = %+v, want which=final", list.Messages)
	}
}

// TestMessagePageRelay: the message page shows when the transaction
// ended, the headers the server wrote and the relay once recorded.
func TestMessagePageRelay(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	at := time.Date(2026, 3, 5, 9, 0, 0, 0, time.UTC)
	id := smtpMessage(t, ts.st, "Subject: relay me\r\n\r\nx\r\n", at)
	var v struct {
		Time          time.Time    `json:"time"`
		QueuedHeaders [][2]string  `json:"queued_headers"`
		Relay         *store.Relay `json:"relay"`
		Delivered     bool         `json:"delivered"`
	}
	path := fmt.Sprintf("/api/v1/runs/%d/messages/1", id)
	b := ts.getJSON(t, path, &v)
	if !v.Time.Equal(at) || fmt.Sprint(v.QueuedHeaders) != "[[Received from client (unknown [127.0.0.1])]]" || v.Relay != nil || !bytes.Contains(b, []byte(`"relay":null`)) {
		t.Errorf("message page before the relay: %s", b)
	}
	r := store.Relay{To: "127.0.0.1:2525", Reply: "554 5.7.1 Relay access denied", At: at.Add(time.Second)}
	if err := ts.st.SetRelay(context.Background(), id, 1, r); err != nil {
		t.Fatal(err)
	}
	b = ts.getJSON(t, path, &v)
	if v.Relay == nil || *v.Relay != r || !bytes.Contains(b, []byte(`"relay":{"to":"127.0.0.1:2525","ok":false,"reply":"554 5.7.1 Relay access denied","at":"2026-03-05T09:00:01Z"}`)) {
		t.Errorf("message page after the relay: %s", b)
	}
	var list messagesPage
	ts.getJSON(t, "/api/v1/messages", &list)
	if len(list.Messages) != 1 || list.Messages[0].Relay == nil || *list.Messages[0].Relay != r || !list.Messages[0].Time.Equal(at) {
		t.Errorf("list after the relay = %+v", list.Messages)
	}
}

// TestListSubjectAsMessagePage: the subject the list shows is the
// first Subject header the message page shows (sessions.HeaderFields,
// names compared in lower case as the page does), for headers of every
// shape.
func TestListSubjectAsMessagePage(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	finals := []string{
		"Subject: plain\r\n\r\nb",
		"X: 1\r\nSUBJECT: upper\r\n\tfolded\r\n  twice\r\nY: 2\r\n\r\n",
		"X: 1\n subject: folded into X\nSubject: lf\n\nbody",
		"Subject:no space\r\n\r\n",
		"Subject : spaced name\r\nSubject: second\r\n\r\n",
		"Subject: =?UTF-8?Q?caf=C3=A9?=\r\n\r\n",
		"Subject: \xff\xfe not utf-8\r\n\r\n",
		"No-Subject: x\r\n\r\nSubject: in the body\r\n",
		"\r\nSubject: body only",
		"Subject: unterminated",
		"colonless line\r\nSubject: after it\r\n\r\n",
	}
	for _, f := range finals {
		smtpMessage(t, ts.st, f, time.Now())
	}
	var list messagesPage
	ts.getJSON(t, "/api/v1/messages?limit=500", &list)
	if len(list.Messages) != len(finals) {
		t.Fatalf("%d messages listed, want %d", len(list.Messages), len(finals))
	}
	for _, m := range list.Messages {
		var page struct {
			Final struct {
				Headers [][2]string `json:"headers"`
			} `json:"final"`
		}
		ts.getJSON(t, fmt.Sprintf("/api/v1/runs/%d/messages/1", m.RunID), &page)
		want := ""
		for _, h := range page.Final.Headers {
			if strings.ToLower(h[0]) == "subject" {
				want = h[1]
				break
			}
		}
		if m.Subject != want {
			t.Errorf("run %d: list subject %q, message page %q", m.RunID, m.Subject, want)
		}
		// And HeaderFields itself, on the raw bytes.
		raw, _ := ts.st.Message(context.Background(), m.RunID, 1)
		h, _ := sessions.SplitMessage(raw.Final)
		direct := ""
		for _, f := range sessions.HeaderFields(h) {
			if strings.ToLower(f[0]) == "subject" {
				direct = f[1]
				break
			}
		}
		// (JSON has invalid UTF-8 replaced, byte by byte.)
		var viaJSON string
		if b, err := json.Marshal(direct); err != nil || json.Unmarshal(b, &viaJSON) != nil {
			t.Fatalf("JSON of %q: %v", direct, err)
		}
		if want != viaJSON {
			t.Errorf("run %d: page subject %q, HeaderFields %q", m.RunID, want, direct)
		}
	}
}

// TestMessageEvents: a queued message recorded by another process comes
// as a message-queued event with its summary, a refused one does not,
// and a relay recorded later comes as message-relayed.
func TestMessageEvents(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	hook := newTestHook(t, "", "accept")
	refusing := newTestHook(t, "", "reject")
	c := ts.dial(t, -1)
	if hello := readEvent(t, c, 5*time.Second); hello.Type != evHello {
		t.Fatalf("first event = %+v", hello)
	}
	record(t, ts.dbPath, refusing.URL, "minimal", "")
	id := record(t, ts.dbPath, hook.URL, "hello", "")
	var queued *messageSummary
	for queued == nil {
		ev := readEvent(t, c, 10*time.Second)
		switch ev.Type {
		case evMessageQueued:
			queued = ev.Message
		case evMessageRelayed:
			t.Fatalf("relay event before any relay: %+v", ev)
		}
	}
	if queued.RunID != id || queued.Subject != "Saying Hello" || queued.Number != 1 || queued.Relay != nil {
		t.Errorf("message-queued = %+v, want hello's message (the refused one has none)", queued)
	}
	other, err := store.Open(context.Background(), ts.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	r := store.Relay{To: "127.0.0.1:1", Reply: "dial tcp 127.0.0.1:1: connect: connection refused", At: time.Now().UTC()}
	if err := other.SetRelay(context.Background(), id, 1, r); err != nil {
		t.Fatal(err)
	}
	for {
		ev := readEvent(t, c, 10*time.Second)
		if ev.Type == evMessageQueued {
			t.Fatalf("a second message-queued: %+v", ev.Message)
		}
		if ev.Type != evMessageRelayed {
			continue
		}
		if ev.Message.ID != queued.ID || ev.Message.Relay == nil || ev.Message.Relay.OK || ev.Message.Relay.Reply != r.Reply {
			t.Errorf("message-relayed = %+v", ev.Message)
		}
		break
	}
}

// A subject in RFC 2047 encoded words, folded, reads as text in the list
// and on the message page (subject_text), the raw value staying in
// subject (fresh user's finding).
func TestSubjectText(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	id := smtpMessage(t, ts.st, "Subject: Your order #42 =?utf-8?q?=E2=80=94_confirm=C3=A9e?=\r\n =?iso-8859-1?q?caf=E9?=\r\n\r\nhi\r\n", time.Now())
	var page messagesPage
	ts.getJSON(t, "/api/v1/messages", &page)
	const want = "Your order #42 — confirméecafé"
	if len(page.Messages) != 1 || page.Messages[0].SubjectText != want || !strings.Contains(page.Messages[0].Subject, "=?utf-8?q?") {
		t.Errorf("list: %+v, want subject_text %q", page.Messages, want)
	}
	var found messagesPage
	ts.getJSON(t, "/api/v1/messages?q=confirm%C3%A9e", &found)
	if len(found.Messages) != 1 {
		t.Errorf("a search for a word of the decoded subject found %d messages", len(found.Messages))
	}
	var view struct {
		SubjectText string `json:"subject_text"`
	}
	ts.getJSON(t, fmt.Sprintf("/api/v1/runs/%d/messages/1", id), &view)
	if view.SubjectText != want {
		t.Errorf("message page subject_text %q, want %q", view.SubjectText, want)
	}
	if got := store.HeaderText("=?koi8-r?q?=F0?= plain =?utf-8?q?caf=C3=A9?="); got != "=?koi8-r?q?=F0?= plain café" {
		t.Errorf("an unknown charset: %q, want that word as it is, the others decoded", got)
	}
}
