package store

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"
)

func TestWriteRoundTrip(t *testing.T) {
	t.Parallel()
	s, _ := openTemp(t)
	ctx := context.Background()
	run := &Run{SessionName: "hello", SessionFile: "sessions/hello.yaml", SessionHash: "abc", Script: []byte("x"),
		Source: SourceReplay, ReplayMode: "exact", Hooks: []byte(`[{"url":"http://127.0.0.1"}]`), Started: t0}
	orig, err := s.CreateRun(ctx, &Run{SessionName: "hello", Started: t0.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	run.ReplayOf = orig
	id, err := s.CreateRun(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	full := testExchange(id, 1, 1)
	failed := Exchange{RunID: id, Seq: 2, StepIndex: 3, Stage: "rcpt", HookID: "h", URL: "http://127.0.0.1:1/",
		Started: t0, Duration: time.Millisecond, RequestBody: []byte(`{}`), ErrorClass: "refused",
		ErrorText: "Hook request failed: connection refused", Effect: "tempfail", Outcome: "error", Reply: "451 4.3.5 Unable to accept message at this time."}
	empty := Exchange{RunID: id, Seq: 3, Stage: "connect", Started: t0, RequestBody: []byte{}, ResponseBody: []byte{}, Status: 204}
	steps := []Step{
		{RunID: id, Index: 0, Kind: "connect", Line: 4, Replies: []string{"220 mx Stalwart ESMTP at your service"}, Action: "accept", Lints: []byte("[]")},
		{RunID: id, Index: 1, Kind: "ehlo", Implied: true, Command: "EHLO a", Replies: []string{"250-mx", "250 8BITMIME"},
			Action: "none", Transaction: 1, Closed: true, Failures: []string{"step 2: reply 250, want 550"}, Lints: []byte(`[{"code":"x","message":"y"}]`)},
	}
	msgs := []Message{
		{RunID: id, Number: 1, QueueID: "1a2b", Delivered: true, Reply: "250 2.0.0 Message queued with id 1a2b.",
			Original: []byte("Subject: a\r\n\r\nbody\xff\r\n"), Final: []byte("X: 1\r\nSubject: a\r\n\r\nbody\xff\r\n"),
			EnvelopeBefore: []byte(`{"from":"a@b","to":["c@d"]}`), EnvelopeAfter: []byte(`{"from":"a@b","to":[]}`)},
		{RunID: id, Number: 2, Original: []byte("x"), Reply: "503 5.5.3 Message rejected."},
	}
	if err := s.Write(ctx, Batch{Steps: steps, Exchanges: []Exchange{full, failed, empty}, Messages: msgs}); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishRun(ctx, id, t0.Add(time.Second), OutcomeFailed, 1, 3, ""); err != nil {
		t.Fatal(err)
	}

	got, err := s.GetRun(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := *run
	want.ID, want.Ended, want.Outcome, want.Failures, want.Exchanges = id, t0.Add(time.Second), OutcomeFailed, 1, 3
	want.HookErrors = true // the refused exchange
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("GetRun =\n%+v\nwant\n%+v", *got, want)
	}
	gotSteps, err := s.Steps(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	steps[0].Failures = []string{} // stored as an empty list
	if !reflect.DeepEqual(gotSteps, steps) {
		t.Errorf("Steps =\n%+v\nwant\n%+v", gotSteps, steps)
	}
	gotEx, err := s.Exchanges(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	failed.RequestHeaders, failed.ResponseHeaders, failed.ResponseBody, failed.Lints = []Header{}, []Header{}, []byte{}, []byte("[]")
	empty.RequestHeaders, empty.ResponseHeaders, empty.Lints = []Header{}, []Header{}, []byte("[]")
	for i, w := range []Exchange{full, failed, empty} {
		if i >= len(gotEx) {
			t.Fatalf("only %d exchanges", len(gotEx))
		}
		if !reflect.DeepEqual(gotEx[i], w) {
			t.Errorf("exchange %d =\n%+v\nwant\n%+v", i+1, gotEx[i], w)
		}
	}
	one, err := s.Exchange(ctx, id, 1)
	if err != nil || !bytes.Equal(one.RequestBody, full.RequestBody) {
		t.Errorf("Exchange(1) = %v, %v", one, err)
	}
	gotMsgs, err := s.Messages(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	msgs[1].EnvelopeBefore, msgs[1].EnvelopeAfter = []byte("null"), []byte("null")
	if !reflect.DeepEqual(gotMsgs, msgs) {
		t.Errorf("Messages =\n%+v\nwant\n%+v", gotMsgs, msgs)
	}
}

func TestWriteIsAtomic(t *testing.T) {
	t.Parallel()
	s, _ := openTemp(t)
	ctx := context.Background()
	id, err := s.CreateRun(ctx, &Run{SessionName: "a", Started: t0})
	if err != nil {
		t.Fatal(err)
	}
	// The second exchange repeats seq 1: the whole batch must be refused.
	b := Batch{
		Steps:     []Step{{RunID: id, Index: 0, Kind: "connect"}},
		Exchanges: []Exchange{testExchange(id, 1, 1), testExchange(id, 1, 1)},
	}
	if err := s.Write(ctx, b); err == nil {
		t.Fatal("Write with a duplicate seq succeeded")
	}
	steps, err := s.Steps(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	ex, err := s.Exchanges(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 0 || len(ex) != 0 {
		t.Errorf("after a failed batch: %d steps, %d exchanges stored, want none", len(steps), len(ex))
	}
	// A cancelled context writes nothing either.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Write(cctx, Batch{Exchanges: []Exchange{testExchange(id, 1, 5)}}); err == nil {
		t.Error("Write with a cancelled context succeeded")
	}
}

// TestConcurrentWriters records 1,000 exchanges from each of 8 goroutines
// and checks that all 8,000 are there byte for byte.
func TestConcurrentWriters(t *testing.T) {
	t.Parallel()
	const writers, each = 8, 1000
	s, _ := openTemp(t)
	ctx := context.Background()
	ids := make([]int64, writers)
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, err := s.CreateRun(ctx, &Run{SessionName: fmt.Sprintf("writer-%d", w), Started: t0})
			if err != nil {
				errs <- err
				return
			}
			ids[w] = id
			for seq := 1; seq <= each; {
				// Batches of 1 to 7 exchanges, so single and batched writes both happen.
				var b Batch
				for n := 0; n < 1+seq%7 && seq <= each; n++ {
					b.Exchanges = append(b.Exchanges, testExchange(id, w, seq))
					seq++
				}
				if err := s.Write(ctx, b); err != nil {
					errs <- err
					return
				}
				// Readers run while the others write.
				if seq%200 == 0 {
					if _, err := s.ListRuns(ctx, RunFilter{Limit: 5}); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	total := 0
	for w, id := range ids {
		ex, err := s.Exchanges(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(ex) != each {
			t.Errorf("writer %d: %d exchanges, want %d", w, len(ex), each)
		}
		for i, e := range ex {
			want := testExchange(id, w, i+1)
			if e.Seq != i+1 || !bytes.Equal(e.RequestBody, want.RequestBody) || !bytes.Equal(e.ResponseBody, want.ResponseBody) ||
				!reflect.DeepEqual(e.RequestHeaders, want.RequestHeaders) {
				t.Fatalf("writer %d exchange %d differs", w, i+1)
			}
		}
		total += len(ex)
	}
	if total != writers*each {
		t.Errorf("%d exchanges in all, want %d", total, writers*each)
	}
}
