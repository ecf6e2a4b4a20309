package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// v5Database writes a database of schema 5 at path holding the runs
// given (ids), after which the runs in pruned are deleted, as a prune of
// the newest runs leaves them.
func v5Database(t *testing.T, path string, ids, pruned []int64) {
	t.Helper()
	db := schemaAt(t, path, 5, false)
	defer db.Close()
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "PRAGMA user_version = 5"); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if _, err := db.ExecContext(ctx, `INSERT INTO runs (id, session_name, script_blobs, started, ended, outcome, exchanges)
			VALUES (?, 'hello', '[]', ?, ?, 'passed', 0)`, id, id*1000, id*1000+1); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range pruned {
		if _, err := db.ExecContext(ctx, `DELETE FROM runs WHERE id = ?`, id); err != nil {
			t.Fatal(err)
		}
	}
}

// TestUpgradeChecks opens schema 5 databases whose newest runs (or all
// of them) were pruned: migration 0006 keeps every run and its id, the
// next run takes an id never used before, and the runs table still
// refuses a source or outcome it does not know.
func TestUpgradeChecks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		ids, pruned []int64
		wantIDs     []int64 // newest first
		wantNext    int64
	}{
		{"empty", nil, nil, nil, 1},
		{"newest pruned", []int64{1, 2, 3, 4}, []int64{3, 4}, []int64{2, 1}, 5},
		{"all pruned", []int64{1, 2, 3}, []int64{1, 2, 3}, nil, 4},
		{"none pruned", []int64{1, 2, 7}, nil, []int64{7, 2, 1}, 8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "v5.db")
			v5Database(t, path, tc.ids, tc.pruned)
			s, err := Open(ctx, path)
			if err != nil {
				t.Fatalf("Open of a version 5 database: %v", err)
			}
			defer s.Close()
			runs, err := s.ListRuns(ctx, RunFilter{})
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, r := range runs {
				got = append(got, r.ID)
				if r.Outcome != OutcomePassed || r.Started.UnixNano() != r.ID*1000 {
					t.Errorf("run %d = %+v", r.ID, r)
				}
			}
			if !equalIDs(got, tc.wantIDs) {
				t.Errorf("runs after the upgrade %v, want %v", got, tc.wantIDs)
			}
			next, err := s.CreateRun(ctx, &Run{SessionName: "next", Started: time.Unix(0, 1)})
			if err != nil || next != tc.wantNext {
				t.Errorf("next run id %d, %v; want %d", next, err, tc.wantNext)
			}
			for _, bad := range []struct{ column, value string }{{"source", "bogus"}, {"outcome", "bogus"}, {"outcome", ""}} {
				_, err := s.w.ExecContext(ctx, `INSERT INTO runs (session_name, started, `+bad.column+`) VALUES ('x', 1, ?)`, bad.value)
				if err == nil || !strings.Contains(err.Error(), "CHECK constraint failed") {
					t.Errorf("%s %q stored: %v", bad.column, bad.value, err)
				}
			}
			for _, good := range []string{OutcomeRunning, OutcomePassed, OutcomeFailed, OutcomeError, OutcomeInterrupted} {
				if _, err := s.w.ExecContext(ctx, `INSERT INTO runs (session_name, started, outcome) VALUES ('x', 1, ?)`, good); err != nil {
					t.Errorf("outcome %q refused: %v", good, err)
				}
			}
		})
	}
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
