package store

import (
	"bytes"
	"context"
	"testing"
	"time"
)

// TestBlobsStoredOnce records two runs that play the same message (as
// distinct slices) with a script whose pieces hold it too: every body
// reads back byte for byte, each distinct content is one blob (chunked
// above ChunkSize), pruning the first run keeps what the second uses, and
// pruning both leaves no blob or chunk.
func TestBlobsStoredOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		size int
	}{
		{"small", 300},
		{"one chunk", ChunkSize},
		{"chunk and a byte", ChunkSize + 1},
		{"several chunks", 3*ChunkSize + ChunkSize/2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s, _ := openTemp(t)
			msg := body(1, 1, tc.size)
			changed := append(bytes.Clone(msg), "X-Spam: yes\r\n"...)
			head := []byte("\x00hooksim-script-archive 1\nflags -\n0 5\ndata:12 ")
			var ids []int64
			for i := range 2 {
				id, err := s.CreateRun(ctx, &Run{SessionName: "big", Started: t0.Add(time.Duration(i) * time.Second),
					ScriptParts: [][]byte{head, bytes.Clone(msg), []byte("\r\n")}})
				if err != nil {
					t.Fatal(err)
				}
				ex := testExchange(id, i, 1)
				ex.RequestBody = body(2, i, tc.size+100) // distinct per run
				final := bytes.Clone(msg)                // unchanged, another slice
				if i == 1 {
					final = changed
				}
				if err := s.Write(ctx, Batch{Exchanges: []Exchange{ex},
					Messages: []Message{{RunID: id, Number: 1, Original: bytes.Clone(msg), Final: final}}}); err != nil {
					t.Fatal(err)
				}
				if err := s.FinishRun(ctx, id, t0.Add(time.Duration(i)*time.Second+time.Millisecond), OutcomePassed, 0, 1, ""); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, id)
			}
			for i, id := range ids {
				r, err := s.GetRun(ctx, id)
				if err != nil || !bytes.Equal(r.Script, bytes.Join([][]byte{head, msg, []byte("\r\n")}, nil)) {
					t.Fatalf("run %d script: %d bytes, %v", id, len(r.Script), err)
				}
				msgs, err := s.Messages(ctx, id)
				wantFinal := msg
				if i == 1 {
					wantFinal = changed
				}
				if err != nil || len(msgs) != 1 || !bytes.Equal(msgs[0].Original, msg) || !bytes.Equal(msgs[0].Final, wantFinal) {
					t.Fatalf("run %d messages: %d, %v", id, len(msgs), err)
				}
				exs, err := s.Exchanges(ctx, id)
				if err != nil || len(exs) != 1 || !bytes.Equal(exs[0].RequestBody, body(2, i, tc.size+100)) {
					t.Fatalf("run %d exchanges: %d, %v", id, len(exs), err)
				}
				ex, err := s.Exchange(ctx, id, 1)
				if err != nil || !bytes.Equal(ex.RequestBody, exs[0].RequestBody) {
					t.Fatalf("run %d exchange 1: %v", id, err)
				}
			}
			// head, msg, CRLF, the changed final; plus the request
			// bodies that needed chunks.
			wantBlobs := 4
			if tc.size+100 > ChunkSize {
				wantBlobs += 2
			}
			if n := count(t, s, `SELECT count(*) FROM blobs`); n != wantBlobs {
				t.Errorf("%d blobs, want %d", n, wantBlobs)
			}
			if n, want := count(t, s, `SELECT count(*) FROM blobs WHERE data IS NULL`), count(t, s, `SELECT count(*) FROM blobs WHERE size > ?`, ChunkSize); n != want {
				t.Errorf("%d chunked blobs, want %d (those over ChunkSize)", n, want)
			}
			if n := count(t, s, `SELECT count(*) FROM messages WHERE original IS NOT NULL OR final IS NOT NULL`); n != 0 {
				t.Errorf("%d messages hold their bodies in the row", n)
			}

			if n, err := s.Prune(ctx, t0.Add(time.Second)); err != nil || n != 1 {
				t.Fatalf("Prune(first) = %d, %v", n, err)
			}
			msgs, err := s.Messages(ctx, ids[1])
			if err != nil || len(msgs) != 1 || !bytes.Equal(msgs[0].Original, msg) {
				t.Fatalf("second run after pruning the first: %v", err)
			}
			if n, err := s.Prune(ctx, t0.Add(time.Hour)); err != nil || n != 1 {
				t.Fatalf("Prune(all) = %d, %v", n, err)
			}
			if n := count(t, s, `SELECT (SELECT count(*) FROM blobs) + (SELECT count(*) FROM blob_chunks)`); n != 0 {
				t.Errorf("%d blobs and chunks left after pruning every run", n)
			}
		})
	}
}

// TestDamagedBlob: a chunk lost is reported as damage, naming the blob,
// not read as a shorter message.
func TestDamagedBlob(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := openTemp(t)
	id, err := s.CreateRun(ctx, &Run{SessionName: "big", Started: t0})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, Batch{Messages: []Message{{RunID: id, Number: 1, Original: body(1, 1, 2*ChunkSize+3)}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ExecContext(ctx, `DELETE FROM blob_chunks WHERE idx = 1`); err != nil {
		t.Fatal(err)
	}
	_, err = s.Messages(ctx, id)
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("damaged")) {
		t.Errorf("Messages with a chunk missing: %v, want a damaged blob", err)
	}
}

func count(t *testing.T, s *Store, q string, args ...any) int {
	t.Helper()
	var n int
	if err := s.r.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// TestBlobCacheSurvivesPrunes: the writer remembers blob ids by content
// across transactions, so a prune that deletes a blob, by this store or by
// another connection (another process), must make it store the bytes
// again rather than name a blob that is gone.
func TestBlobCacheSurvivesPrunes(t *testing.T) {
	t.Parallel()
	for _, other := range []bool{false, true} {
		name := "same store prunes"
		if other {
			name = "another connection prunes"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s, path := openTemp(t)
			pruner := s
			if other {
				p, err := Open(ctx, path)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { p.Close() })
				pruner = p
			}
			script := []byte("name: cached\nsteps:\n  - connect: {}\n")
			record := func(i int) int64 {
				t.Helper()
				started := t0.Add(time.Duration(i) * time.Minute)
				id, err := s.CreateRun(ctx, &Run{SessionName: "cached", Started: started, ScriptParts: [][]byte{bytes.Clone(script)}})
				if err != nil {
					t.Fatal(err)
				}
				if err := s.FinishRun(ctx, id, started.Add(time.Second), OutcomePassed, 0, 0, ""); err != nil {
					t.Fatal(err)
				}
				return id
			}
			record(0)
			record(1) // the script's blob id now comes from the cache
			if n, err := pruner.Prune(ctx, t0.Add(time.Hour)); err != nil || n != 2 {
				t.Fatalf("Prune = %d, %v", n, err)
			}
			if n := count(t, s, `SELECT count(*) FROM blobs`); n != 0 {
				t.Fatalf("%d blobs left after pruning every run", n)
			}
			id := record(2)
			r, err := s.GetRun(ctx, id)
			if err != nil {
				t.Fatalf("run %d after the prune: %v", id, err)
			}
			if !bytes.Equal(r.Script, script) {
				t.Fatalf("run %d after the prune: script %q, want %q", id, r.Script, script)
			}
		})
	}
}

// TestOlderChunkSize: blobs written by a hooksim whose chunks were 1 MiB
// (before ChunkSize was 256 KiB) read back the same.
func TestOlderChunkSize(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := openTemp(t)
	id, err := s.CreateRun(ctx, &Run{SessionName: "old chunks", Started: t0})
	if err != nil {
		t.Fatal(err)
	}
	msg := body(3, 1, 2<<20+12345)
	if err := s.Write(ctx, Batch{Messages: []Message{{RunID: id, Number: 1, Original: msg}}}); err != nil {
		t.Fatal(err)
	}
	// Rewrite the blob's chunks as 1 MiB rows, as the older writer did.
	var blobID int64
	if err := s.r.QueryRowContext(ctx, `SELECT original_blob FROM messages WHERE run_id = ?`, id).Scan(&blobID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ExecContext(ctx, `DELETE FROM blob_chunks WHERE blob_id = ?`, blobID); err != nil {
		t.Fatal(err)
	}
	for i, off := 0, 0; off < len(msg); i, off = i+1, off+1<<20 {
		if _, err := s.w.ExecContext(ctx, `INSERT INTO blob_chunks (blob_id, idx, data) VALUES (?, ?, ?)`,
			blobID, i, msg[off:min(off+1<<20, len(msg))]); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(t, s, `SELECT count(*) FROM blob_chunks WHERE blob_id = ?`, blobID); n != 3 {
		t.Fatalf("%d chunks, want 3 of at most 1 MiB", n)
	}
	msgs, err := s.Messages(ctx, id)
	if err != nil || len(msgs) != 1 || !bytes.Equal(msgs[0].Original, msg) {
		t.Fatalf("message with 1 MiB chunks: %d messages, %v", len(msgs), err)
	}
}
