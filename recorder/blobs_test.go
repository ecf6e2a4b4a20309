package recorder

import (
	"bytes"
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/store"
)

// TestMessageStoredOnce plays a script whose message file (CRLF lines,
// over store.ChunkSize) reaches a hook that accepts it unchanged, twice:
// the message file in the script, the original and the final share one
// blob across both runs, the data-stage request bodies (which embed the
// message JSON-escaped) are their own blobs, and everything reads back:
// the script parses again, the messages and request bodies are verbatim.
func TestMessageStoredOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"action":"accept"}`))
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	var eml bytes.Buffer
	eml.WriteString("From: a@example.net\r\nTo: b@example.org\r\nSubject: big\r\n\r\n")
	for eml.Len() < store.ChunkSize*2+store.ChunkSize/3 {
		eml.WriteString("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789\r\n")
	}
	if err := os.WriteFile(filepath.Join(dir, "big.eml"), eml.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(script, []byte("data: big.eml\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sess, err := sessions.ParseFile(ctx, script)
	if err != nil {
		t.Fatal(err)
	}
	st, path := openStore(t)
	rec := New(st, Options{})
	sim := newSim(t, rec, flagHook(t, hookconf.FlagSpec{URL: srv.URL, Stages: []string{"data"}}))
	var ids []int64
	for range 2 {
		res, p := recordPlay(ctx, sim, rec, sess, simulator.Origin{})
		if res.Err != nil || len(res.Transactions) != 1 || !res.Transactions[0].Delivered {
			t.Fatalf("play: %+v", res)
		}
		ids = append(ids, p.RunID())
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	message := bytes.TrimSuffix(eml.Bytes(), []byte("\r\n"))
	var requests [][]byte
	for _, id := range ids {
		l, err := Load(ctx, st, id)
		if err != nil || l.SessionErr != nil || l.Session == nil {
			t.Fatalf("Load(%d): %v, %v", id, err, l.SessionErr)
		}
		if again, ok := l.Session.Archive(); !ok || !bytes.Equal(again, l.Run.Script) {
			t.Errorf("run %d: the script read back does not archive to the bytes stored", id)
		}
		msgs, err := st.Messages(ctx, id)
		if err != nil || len(msgs) != 1 || !bytes.Equal(msgs[0].Original, message) || !bytes.Equal(msgs[0].Final, message) {
			t.Fatalf("run %d messages: %d, %v", id, len(msgs), err)
		}
		exs, err := st.Exchanges(ctx, id)
		if err != nil || len(exs) != 1 || len(exs[0].RequestBody) <= len(message) || !bytes.HasPrefix(exs[0].RequestBody, []byte("{")) {
			t.Fatalf("run %d exchanges: %d, %v", id, len(exs), err)
		}
		requests = append(requests, exs[0].RequestBody)
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var messageBlobs, bigBlobs int
	if err := db.QueryRow(`SELECT count(*) FROM blobs WHERE size = ?`, len(message)).Scan(&messageBlobs); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM blobs WHERE size > ?`, store.ChunkSize).Scan(&bigBlobs); err != nil {
		t.Fatal(err)
	}
	// One message blob, and one per distinct request body (they differ
	// by queue id).
	wantBig := 3
	if bytes.Equal(requests[0], requests[1]) {
		wantBig = 2
	}
	if messageBlobs != 1 || bigBlobs != wantBig {
		t.Errorf("%d blobs of the message's size and %d large blobs, want 1 and %d (the message, the requests)", messageBlobs, bigBlobs, wantBig)
	}
}
