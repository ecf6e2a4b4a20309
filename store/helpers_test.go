package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// openTemp opens a fresh database in t.TempDir().
func openTemp(t testing.TB) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sub", "hooksim.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

// openWithRun opens a fresh database holding one run, still running,
// and returns its id.
func openWithRun(t testing.TB) (*Store, int64) {
	t.Helper()
	s, _ := openTemp(t)
	id, err := s.CreateRun(context.Background(), &Run{SessionName: "h", Started: t0})
	if err != nil {
		t.Fatal(err)
	}
	return s, id
}

// body is a deterministic body with every byte value in it.
func body(run, seq, n int) []byte {
	b := make([]byte, n)
	x := uint32(run*7919 + seq*104729 + 1)
	for i := range b {
		x = x*1664525 + 1013904223
		b[i] = byte(x >> 24)
	}
	return b
}

var t0 = time.Date(2026, 3, 5, 9, 5, 31, 123456789, time.UTC)

// testExchange is a fully populated exchange.
func testExchange(runID int64, run, seq int) Exchange {
	return Exchange{
		RunID: runID, Seq: seq, StepIndex: seq / 2, Transaction: seq % 3, Stage: "data", HookID: "hook-1",
		URL: "http://127.0.0.1:8080/hook", Started: t0.Add(time.Duration(seq) * time.Millisecond), Duration: 1234567 * time.Nanosecond,
		RequestHeaders:  []Header{{"content-type", "application/json"}, {"authorization", "Basic ****"}, {"X-Dup", "1"}, {"X-Dup", "2"}},
		RequestBody:     body(run, seq, 300+seq%50),
		Status:          200,
		ResponseHeaders: []Header{{"Content-Type", "application/json"}, {"Set-Cookie", "a=1"}, {"Set-Cookie", "b=2"}},
		ResponseBody:    body(run+1000, seq, 40+seq%7),
		ErrorClass:      "", ErrorText: "", Effect: "", Outcome: "accept", Reply: fmt.Sprintf("250 2.1.5 OK %d", seq),
		Lints: []byte(`[{"code":"unknown-key","message":"x"}]`),
	}
}

// schemaAt opens a database file at path as a build that knew migrations
// 1 to version left it (every table, no row); foreignKeys sets the
// connection's foreign key checks. The caller closes it.
func schemaAt(t *testing.T, path string, version int, foreignKeys bool) *sql.DB {
	t.Helper()
	ms, err := migrations()
	if err != nil || len(ms) <= version {
		t.Fatalf("migrations: %v (%d)", err, len(ms))
	}
	fk := "off"
	if foreignKeys {
		fk = "on"
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?_foreign_keys="+fk+"&_journal_mode=WAL")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms[:version] {
		if _, err := db.ExecContext(context.Background(), m.sql); err != nil {
			db.Close()
			t.Fatalf("migration %s: %v", m.name, err)
		}
	}
	return db
}
