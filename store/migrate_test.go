package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
)

// TestMigrateFromVersion1 opens a database written by a build that knew
// only migration 0001: Open upgrades it, and the run summary of 0002 is
// backfilled for finished runs, so the filters find them; the run left
// running is marked interrupted.
func TestMigrateFromVersion1(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v1.db")
	ms, err := migrations()
	if err != nil || len(ms) < 2 {
		t.Fatalf("migrations: %v (%d)", err, len(ms))
	}
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		ms[0].sql,
		"PRAGMA user_version = 1",
		"INSERT INTO runs (id, session_name, started, ended, outcome) VALUES (1, 'old', 1, 2, 'passed'), (2, 'cut', 3, NULL, 'running')",
		`INSERT INTO exchanges (run_id, seq, step_idx, stage, outcome, error_class, started, request_body, response_body) VALUES
			(1, 1, 0, 'mail', 'accept', '', 1, x'', x''), (1, 2, 1, 'rcpt', 'reject', '', 1, x'', x''),
			(1, 3, 2, 'data', 'error', 'timeout', 1, x'', x''), (2, 1, 0, 'mail', 'accept', '', 3, x'', x'')`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("building the version 1 database: %v\n%s", err, q)
		}
	}
	db.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open of a version 1 database: %v", err)
	}
	defer s.Close()
	tests := []struct {
		f    RunFilter
		want int
	}{
		{RunFilter{}, 2},
		{RunFilter{Stage: "rcpt"}, 1},
		{RunFilter{Action: "reject"}, 1},
		{RunFilter{Errors: true}, 1},
		// The run left running (by a build that named no recorder) is
		// marked interrupted and summarised.
		{RunFilter{Stage: "mail"}, 2},
	}
	for _, tc := range tests {
		if n, err := s.CountRuns(ctx, tc.f); err != nil || n != tc.want {
			t.Errorf("CountRuns(%+v) = %d, %v; want %d", tc.f, n, err, tc.want)
		}
	}
	if cut, err := s.GetRun(ctx, 2); err != nil || cut.Outcome != OutcomeInterrupted || cut.Exchanges != 1 {
		t.Errorf("run left running = %+v, %v; want interrupted with 1 exchange", cut, err)
	}
	var version int
	if err := s.w.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil || version != SchemaVersion() {
		t.Errorf("user_version %d, %v; want %d", version, err, SchemaVersion())
	}
}

// TestFailedUpgradeChangesNothing opens a version 1 database whose rows
// breaks a later migration (a table named runs_new, the name 0004's
// rebuild of runs uses; 0002 and 0003 apply fine): Open fails naming the
// migration, and the file is left exactly at version 1, not halfway.
func TestFailedUpgradeChangesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v1.db")
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		ms[0].sql,
		"PRAGMA user_version = 1",
		"INSERT INTO runs (id, session_name, started, ended, outcome) VALUES (1, 'old', 1, 2, 'passed')",
		"CREATE TABLE runs_new (x)",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("building the version 1 database: %v\n%s", err, q)
		}
	}
	schema := func() string {
		var s string
		if err := db.QueryRowContext(ctx, "SELECT group_concat(sql, ';') FROM (SELECT sql FROM sqlite_schema ORDER BY name)").Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	before := schema()
	if s, err := Open(ctx, path); err == nil {
		s.Close()
		t.Fatal("Open upgraded a database that has a runs_new table; want migration 0004 to fail")
	} else if !strings.Contains(err.Error(), "migration 0004_") || !strings.Contains(err.Error(), "runs_new") {
		t.Errorf("error %q does not name the migration and the check", err)
	}
	var version int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil || version != 1 {
		t.Errorf("user_version %d, %v after the failed upgrade; want 1", version, err)
	}
	if after := schema(); after != before {
		t.Errorf("the failed upgrade changed the schema:\nbefore %s\nafter  %s", before, after)
	}
}
