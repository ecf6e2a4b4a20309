package store

import (
	"bytes"
	"context"
	"testing"
	"time"
)

// Rows are inserted two ways (insert: one cgo call for a small row, one
// per argument above fusedLimit); a row on either side of the limit, in
// one transaction after another, reads back byte for byte, and a failed
// insert (a duplicate) is an error that leaves the next row's arguments
// right.
func TestInsertBothPaths(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := openTemp(t)
	id, err := s.CreateRun(ctx, &Run{SessionName: "sizes", Started: t0})
	if err != nil {
		t.Fatal(err)
	}
	sizes := []int{0, 10, fusedLimit - 1000, fusedLimit + 1, 3 << 20, 17}
	var want []Exchange
	for i, n := range sizes {
		e := testExchange(id, 0, i+1)
		e.ResponseBody = body(7, i, n)
		e.ResponseHeaders = append(e.ResponseHeaders, Header{"X-Big", string(bytes.Repeat([]byte{'v'}, n/4))})
		if err := s.Write(ctx, Batch{Exchanges: []Exchange{e}}); err != nil {
			t.Fatalf("exchange of %d bytes: %v", n, err)
		}
		want = append(want, e)
	}
	dup := testExchange(id, 0, 2)
	if err := s.Write(ctx, Batch{Exchanges: []Exchange{dup}}); err == nil {
		t.Fatal("a second exchange with seq 2 was stored")
	}
	got, err := s.Exchanges(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d exchanges read back, want %d", len(got), len(want))
	}
	// A response over ChunkSize is a blob (migration 0007), read back by
	// every reader, the live tail too, and swept with its run.
	if n := count(t, s, `SELECT count(*) FROM exchanges WHERE response_blob IS NOT NULL AND length(response_body) = 0`); n != 1 {
		t.Errorf("%d responses stored as blobs, want the one over ChunkSize", n)
	}
	tail, err := s.ExchangesAfter(ctx, 0, 100)
	if err != nil || len(tail) != len(want) {
		t.Fatalf("ExchangesAfter: %d, %v", len(tail), err)
	}
	for i := range tail {
		if !bytes.Equal(tail[i].ResponseBody, want[i].ResponseBody) {
			t.Errorf("tail: exchange %d's response (%d bytes) read back as %d bytes", want[i].Seq, len(want[i].ResponseBody), len(tail[i].ResponseBody))
		}
	}
	for i := range want {
		g, w := got[i], want[i]
		if !bytes.Equal(g.ResponseBody, w.ResponseBody) || !bytes.Equal(g.RequestBody, w.RequestBody) || g.Reply != w.Reply ||
			len(g.ResponseHeaders) != len(w.ResponseHeaders) || g.ResponseHeaders[len(g.ResponseHeaders)-1] != w.ResponseHeaders[len(w.ResponseHeaders)-1] {
			t.Errorf("exchange %d (%d bytes) did not read back as written", w.Seq, len(w.ResponseBody))
		}
	}
	one, err := s.Exchange(ctx, id, 5)
	if err != nil || !bytes.Equal(one.ResponseBody, want[4].ResponseBody) {
		t.Errorf("Exchange(5): the 3 MiB response did not read back: %v", err)
	}
	if err := s.FinishRun(ctx, id, t0.Add(time.Second), OutcomePassed, 0, len(want), ""); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Prune(ctx, t0.Add(time.Hour)); err != nil || n != 1 {
		t.Fatalf("Prune = %d, %v", n, err)
	}
	if n := count(t, s, `SELECT (SELECT count(*) FROM blobs) + (SELECT count(*) FROM blob_chunks)`); n != 0 {
		t.Errorf("%d blobs and chunks left after pruning the run", n)
	}
}
