package recorder

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookconf"
)

// TestQueuedMessageKept: a queued message is recorded with the headers
// the server wrote in front of it (the message as queued is QueuedHead
// then Final, byte for byte what the simulator queued) and when its
// transaction ended; a refused one has no queued head.
func TestQueuedMessageKept(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// Accept the first message, refuse the second ("copy for the on-call").
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var buf bytes.Buffer
		buf.ReadFrom(r.Body)
		w.Header().Set("Content-Type", "application/json")
		if bytes.Contains(buf.Bytes(), []byte("copy for the on-call")) {
			w.Write([]byte(`{"action":"reject","response":{"status":550,"enhanced_status":"5.7.1","message":"no"}}`))
			return
		}
		w.Write([]byte(`{"action":"accept","modifications":[{"type":"addHeader","name":"X-Kept","value":"1"}]}`))
	}))
	t.Cleanup(srv.Close)
	sess, err := sessions.BundledByName("two-transactions")
	if err != nil {
		t.Fatal(err)
	}
	st, _ := openStore(t)
	rec := New(st, Options{})
	sim := newSim(t, rec, flagHook(t, hookconf.FlagSpec{URL: srv.URL, Stages: []string{"data"}}))
	before := time.Now()
	res, p := recordPlay(ctx, sim, rec, sess, simulator.Origin{})
	after := time.Now()
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if res.Err != nil || len(res.Transactions) != 2 || !res.Transactions[0].Delivered || res.Transactions[1].Delivered {
		t.Fatalf("play: %+v", res)
	}
	msgs, err := st.Messages(ctx, p.RunID())
	if err != nil || len(msgs) != 2 {
		t.Fatalf("messages: %d, %v", len(msgs), err)
	}
	q := msgs[0]
	queued := append(append([]byte{}, q.QueuedHead...), q.Final...)
	if !bytes.Equal(queued, res.Transactions[0].Queued) {
		t.Errorf("queued head + final =\n%q\nwant the message as queued\n%q", queued, res.Transactions[0].Queued)
	}
	if !bytes.HasPrefix(q.QueuedHead, []byte("Received: from ")) || !strings.Contains(string(q.Final), "X-Kept: 1") || bytes.Contains(q.QueuedHead, []byte("X-Kept")) {
		t.Errorf("queued head %q, final %.80q", q.QueuedHead, q.Final)
	}
	if m := msgs[1]; m.QueuedHead != nil || m.Final != nil {
		t.Errorf("refused message: queued head %q, final %q; want none", m.QueuedHead, m.Final)
	}
	for _, m := range msgs {
		if m.Ended.Before(before.Add(-time.Millisecond)) || m.Ended.After(after) || m.Ended.Location() != time.UTC {
			t.Errorf("message %d ended %v, want between %v and %v, UTC", m.Number, m.Ended, before, after)
		}
	}
	if !msgs[0].Ended.Before(msgs[1].Ended) && !msgs[0].Ended.Equal(msgs[1].Ended) {
		t.Errorf("the first transaction ended %v, after the second %v", msgs[0].Ended, msgs[1].Ended)
	}
}
