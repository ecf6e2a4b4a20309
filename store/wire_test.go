package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"reflect"
	"testing"
)

// TestWireRoundTrip: the heads as they were on the wire come back byte
// for byte; an exchange written without them reads back without them.
func TestWireRoundTrip(t *testing.T) {
	t.Parallel()
	s, _ := openTemp(t)
	ctx := context.Background()
	id, err := s.CreateRun(ctx, &Run{SessionName: "wire", Started: t0})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		wire *Wire
	}{
		{"not recorded", nil},
		{"full", &Wire{
			RequestHead:  []byte("POST /hook HTTP/1.1\r\ncontent-type: application/json\r\nauthorization: Basic ****\r\n\r\n"),
			ResponseHead: []byte("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 200 \nX-Odd:  \xff spaced \n\n"),
			BodyRead:     "cut",
			Redirects:    []Redirect{{Status: 307, Method: "POST", URL: "http://127.0.0.1:9/next"}, {Status: 303, Method: "GET", URL: "http://127.0.0.1:9/last"}},
		}},
		{"sent, no answer", &Wire{RequestHead: []byte("POST / HTTP/1.1\r\n\r\n")}},
		{"never sent", &Wire{}},
	}
	for i, tt := range tests {
		ex := testExchange(id, 0, i+1)
		ex.Wire = tt.wire
		if err := s.Write(ctx, Batch{Exchanges: []Exchange{ex}}); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
	}
	all, err := s.Exchanges(ctx, id)
	if err != nil || len(all) != len(tests) {
		t.Fatalf("Exchanges: %d, %v", len(all), err)
	}
	for i, tt := range tests {
		one, err := s.Exchange(ctx, id, i+1)
		if err != nil {
			t.Fatal(err)
		}
		for _, got := range []*Wire{all[i].Wire, one.Wire} {
			if !reflect.DeepEqual(got, tt.wire) {
				t.Errorf("%s: Wire = %+v, want %+v", tt.name, got, tt.wire)
			}
		}
	}
}

// TestMigrateFromVersion2: exchanges recorded before migration 0003 read
// back with no wire record; new ones get theirs.
func TestMigrateFromVersion2(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v2.db")
	ms, err := migrations()
	if err != nil || len(ms) < 3 {
		t.Fatalf("migrations: %v (%d)", err, len(ms))
	}
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		ms[0].sql, ms[1].sql, "PRAGMA user_version = 2",
		"INSERT INTO runs (id, session_name, started, ended, outcome) VALUES (1, 'old', 1, 2, 'passed')",
		`INSERT INTO exchanges (run_id, seq, step_idx, stage, outcome, started, status, request_headers, request_body, response_body)
			VALUES (1, 1, 0, 'data', 'accept', 1, 200, '[["content-type","application/json"]]', x'7b7d', x'7b7d')`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("building the version 2 database: %v\n%s", err, q)
		}
	}
	db.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open of a version 2 database: %v", err)
	}
	defer s.Close()
	old, err := s.Exchange(ctx, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if old.Wire != nil || old.Status != 200 || string(old.RequestBody) != "{}" {
		t.Errorf("old exchange: wire %+v, status %d, body %q", old.Wire, old.Status, old.RequestBody)
	}
	ex := testExchange(1, 0, 2)
	ex.Wire = &Wire{RequestHead: []byte("POST / HTTP/1.1\r\n\r\n"), ResponseHead: []byte("HTTP/1.1 200 OK\r\n\r\n"), BodyRead: "complete"}
	if err := s.Write(ctx, Batch{Exchanges: []Exchange{ex}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Exchange(ctx, 1, 2)
	if err != nil || !reflect.DeepEqual(got.Wire, ex.Wire) {
		t.Errorf("new exchange after the upgrade: %+v, %v", got, err)
	}
}
