package store

import (
	"bytes"
	"context"
	"testing"
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
	for i := range want {
		g, w := got[i], want[i]
		if !bytes.Equal(g.ResponseBody, w.ResponseBody) || !bytes.Equal(g.RequestBody, w.RequestBody) || g.Reply != w.Reply ||
			len(g.ResponseHeaders) != len(w.ResponseHeaders) || g.ResponseHeaders[len(g.ResponseHeaders)-1] != w.ResponseHeaders[len(w.ResponseHeaders)-1] {
			t.Errorf("exchange %d (%d bytes) did not read back as written", w.Seq, len(w.ResponseBody))
		}
	}
}
