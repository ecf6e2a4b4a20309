package store

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// testSteps are steps with every field set, and some with none.
func testSteps(runID int64) []Step {
	return []Step{
		{RunID: runID, Index: 0, Kind: "connect", Command: "\xfe\x00 raw", Replies: []string{"220 mx.example.org ESMTP"}, Failures: []string{}, Lints: []byte("[]")},
		{RunID: runID, Index: 1, Kind: "ehlo", Line: 7, Implied: true, Command: "EHLO client.example.org",
			Replies: []string{"250-mx.example.org", "250 PIPELINING"}, Action: "accept", Failures: []string{}, Lints: []byte("[]")},
		{RunID: runID, Index: 2, Kind: "data", Line: 12, Command: "DATA", Message: "Subject: \u00e9t\u00e9 <b>&\u2028\n\xff",
			Replies: []string{"354 Start mail input", "550 5.7.1 \"rejected\""}, Action: "reject", Transaction: 3, Closed: true,
			Failures: []string{"step 2: reply 550, want 250", "second"},
			Lints:    []byte(`[{"code":"x","path":"$.a","message":"m \"q\"","count":3}]`)},
		{RunID: runID, Index: 3, Kind: "quit", Command: "MAIL FROM:<j\u00f6hn@example.org> SMTPUTF8", Replies: []string{}, Failures: []string{}, Lints: []byte("[]")},
	}
}

// Steps written in one batch (one row) and in several read back as
// written, in order, with empty lists as empty (not nil) and the row's
// failure count right; a step given twice or with lints that are not
// JSON is refused.
func TestStepListsRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, a := openWithRun(t)
	b, err := s.CreateRun(ctx, &Run{SessionName: "b", Started: t0})
	if err != nil {
		t.Fatal(err)
	}
	// a: one batch, out of order, with b's steps in between; b: two batches.
	sa, sb := testSteps(a), testSteps(b)
	batch := []Step{sa[2], sa[0], sb[0], sb[1], sa[3], sa[1]}
	if err := s.Write(ctx, Batch{Steps: batch}); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, Batch{Steps: sb[2:]}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id   int64
		want []Step
	}{{a, sa}, {b, sb}} {
		got, err := s.Steps(ctx, c.id)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("steps of run %d:\n got %+v\nwant %+v", c.id, got, c.want)
		}
	}
	var rows, failures int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*), sum(failures) FROM step_lists WHERE run_id = ?`, b).Scan(&rows, &failures); err != nil {
		t.Fatal(err)
	}
	if rows != 2 || failures != 2 {
		t.Errorf("run b: %d rows counting %d failures, want 2 rows and 2", rows, failures)
	}
	running, err := s.GetRun(ctx, a)
	if err != nil || running.Failures != 2 {
		t.Errorf("run a, still running: failures %d (%v), want 2", running.Failures, err)
	}

	twice := testSteps(b)[3:]
	twice = append(twice, twice[0])
	bad := testSteps(b)[3:]
	bad[0].Lints = []byte("[{")
	for name, steps := range map[string][]Step{"twice": twice, "bad lints": bad} {
		if err := s.Write(ctx, Batch{Steps: steps}); err == nil {
			t.Errorf("%s: written", name)
		}
	}
	if got, err := s.Steps(ctx, b); err != nil || len(got) != 4 {
		t.Errorf("after the refused writes: %d steps, %v", len(got), err)
	}
}

// The JSON of a step is what encoding/json writes for stepJSON, a
// message that is not UTF-8 in hex.
func TestAppendStepJSONMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, st := range testSteps(1) {
		got := appendStepJSON(nil, &st)
		sj := stepJSON{Index: st.Index, Kind: st.Kind, Line: st.Line, Implied: st.Implied, Command: st.Command,
			Message: st.Message, Replies: st.Replies, Action: st.Action, Transaction: st.Transaction, Closed: st.Closed,
			Failures: st.Failures}
		if string(st.Lints) != "[]" {
			sj.Lints = st.Lints
		}
		if !utf8.ValidString(st.Command) {
			sj.Command, sj.CommandHex = "", hex.EncodeToString([]byte(st.Command))
		}
		if !utf8.ValidString(st.Message) {
			sj.Message, sj.MessageHex = "", hex.EncodeToString([]byte(st.Message))
		}
		want, err := json.Marshal(sj)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("step %d:\n got %s\nwant %s", st.Index, got, want)
		}
	}
}

// Migration 0009 moves the rows of the old steps table, one per step, into
// step_lists: every field reads back as before, in order, whatever order
// the rows were inserted in, and the failures are counted. Bytes a
// command holds come back exactly (a NUL before invalid UTF-8, a BLOB
// where text was expected); a list column that is not a JSON array reads
// as empty instead of stopping the upgrade. Rows of a run deleted outside
// hooksim (foreign keys off) do not stop it either. The steps table
// stays, for a hooksim from before that still has the file open: what it
// writes there after the upgrade is read too.
func TestMigrationMovesStepsToLists(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v8.db")
	db := schemaAt(t, path, 8, false)
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `PRAGMA user_version = 8;
		INSERT INTO runs (id, session_name, started, outcome) VALUES (1, 'a', 1000, 'passed'), (2, 'b', 2000, 'running'),
			(3, 'c', 3000, 'passed')`); err != nil {
		t.Fatal(err)
	}
	insert := func(id int64, st Step, replies string) {
		t.Helper()
		failures, _ := json.Marshal(st.Failures)
		if _, err := db.ExecContext(ctx, `INSERT INTO steps (run_id, idx, kind, line, implied, command, message, replies,
			action, txn, closed, failures, lints) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, st.Index, st.Kind, st.Line, st.Implied, st.Command, st.Message, replies, st.Action,
			st.Transaction, st.Closed, string(failures), string(st.Lints)); err != nil {
			t.Fatal(err)
		}
	}
	odd := []Step{
		{RunID: 3, Index: 0, Kind: "raw", Command: "NOOP \x00a\xffb", Replies: []string{"250 2.0.0 OK"}, Failures: []string{}, Lints: []byte("[]")},
		{RunID: 3, Index: 1, Kind: "raw", Command: "NOOP", Replies: []string{}, Failures: []string{}, Lints: []byte("[]")},
	}
	want := map[int64][]Step{1: testSteps(1), 2: testSteps(2)[1:3], 3: odd}
	for id, steps := range want {
		for i := len(steps) - 1; i >= 0; i-- {
			replies, _ := json.Marshal(steps[i].Replies)
			insert(id, steps[i], string(replies))
		}
	}
	if _, err := db.ExecContext(ctx, `UPDATE steps SET command = CAST('NOOP' AS BLOB), replies = '"not a list"'
		WHERE run_id = 3 AND idx = 1`); err != nil {
		t.Fatal(err)
	}
	// Rows of a run deleted with foreign keys off.
	insert(9, testSteps(9)[0], "[]")
	if _, err := db.ExecContext(ctx, `INSERT INTO exchanges (run_id, seq, step_idx, stage, started, request_body, response_body)
		VALUES (9, 1, 0, 'data', 1, x'', x'')`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for id, w := range want {
		got, err := s.Steps(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("steps of run %d after the migration:\n got %+v\nwant %+v", id, got, w)
		}
	}
	r, err := s.GetRun(ctx, 2)
	if err != nil || r.Failures != 2 {
		t.Errorf("run 2 after the migration: failures %d (%v), want 2", r.Failures, err)
	}
	var list string
	if err := s.r.QueryRowContext(ctx, `SELECT steps FROM step_lists WHERE run_id = 1`).Scan(&list); err != nil ||
		!strings.HasPrefix(list, `[{"idx":0,`) {
		t.Errorf("run 1's list: %.60s (%v)", list, err)
	}
	var left, orphans int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE run_id = 9) FROM steps`).Scan(&left, &orphans); err != nil ||
		left != 1 || orphans != 1 {
		t.Errorf("steps rows left: %d, of the deleted run %d (%v); want only its one", left, orphans, err)
	}

	// An older hooksim still recording a run writes its next step the old
	// way: it is read with the others, and its failure counted while the
	// run is running.
	id, err := s.CreateRun(ctx, &Run{SessionName: "late", Started: t0})
	if err != nil {
		t.Fatal(err)
	}
	steps := testSteps(id)[1:3]
	if err := s.Write(ctx, Batch{Steps: steps}); err != nil {
		t.Fatal(err)
	}
	late := testSteps(id)[3]
	late.Failures = []string{"late"}
	if err := s.Update(ctx, func(tx *Tx) error {
		_, err := tx.tx.ExecContext(ctx, `INSERT INTO steps (run_id, idx, kind, command, replies, failures) VALUES (?, 3, ?, ?, '[]', '["late"]')`,
			id, late.Kind, late.Command)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	late.Replies = []string{}
	got, err := s.Steps(ctx, id)
	if err != nil || len(got) != 3 || !reflect.DeepEqual(got[2], late) {
		t.Errorf("steps with one written the old way: %+v (%v)", got, err)
	}
	if r, err := s.GetRun(ctx, id); err != nil || r.Outcome != OutcomeRunning || r.Failures != 3 {
		t.Errorf("a running run with a failure written the old way: %s, failures %d (%v), want running, 3", r.Outcome, r.Failures, err)
	}
}
