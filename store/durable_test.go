package store

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestRunIDsNeverReused: after a prune of the newest runs, new runs and
// exchanges get IDs above every ID ever given, so "run #3" keeps naming
// one run and a tail's cursor never goes back.
func TestRunIDsNeverReused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		reopen bool // close and open the file between prune and the new run
	}{{"same store", false}, {"reopened", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, path := openTemp(t)
			ids := fillRuns(t, s)
			// fillRuns leaves run 4 running, which Prune would refuse.
			if err := s.FinishRun(ctx, ids[4], t0.Add(5*time.Hour), OutcomePassed, 0, 0, ""); err != nil {
				t.Fatal(err)
			}
			_, lastRow, err := s.Cursors(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n, err := s.Prune(ctx, t0.Add(24*time.Hour)); err != nil || n != int64(len(ids)) {
				t.Fatalf("Prune = %d, %v; want %d", n, err, len(ids))
			}
			if tc.reopen {
				s.Close()
				if s, err = Open(ctx, path); err != nil {
					t.Fatal(err)
				}
				defer s.Close()
			}
			id, err := s.CreateRun(ctx, &Run{SessionName: "after-prune", Started: t0})
			if err != nil {
				t.Fatal(err)
			}
			if id <= ids[len(ids)-1] {
				t.Errorf("new run got id %d after runs up to %d were pruned: reused", id, ids[len(ids)-1])
			}
			if err := s.Write(ctx, Batch{Exchanges: []Exchange{testExchange(id, 0, 1)}}); err != nil {
				t.Fatal(err)
			}
			exs, err := s.ExchangesAfter(ctx, lastRow, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(exs) != 1 || exs[0].RunID != id {
				t.Errorf("ExchangesAfter(cursor before the prune) = %+v, want the new run's exchange", exs)
			}
		})
	}
}

// v3Database writes a database as a build that knew migrations 0001 to
// 0003 left it: finished runs, one replaying another, one left running,
// with steps, exchanges (with and without wire heads) and messages, and a
// gap in the ids where runs were pruned.
func v3Database(t *testing.T, path string) {
	t.Helper()
	db := schemaAt(t, path, 3, true)
	defer db.Close()
	ctx := context.Background()
	q := []string{
		"PRAGMA user_version = 3",
		`INSERT INTO runs (id, session_name, session_file, session_hash, script, source, replay_of, replay_mode, hooks,
			started, ended, outcome, failures, exchanges, error, stages, outcomes, errored) VALUES
			(1, 'hello', 'sessions/hello.yaml', 'h1', x'6e616d653a2068656c6c6f0a', 'script', NULL, '', '[{"url":"http://127.0.0.1:1/"}]',
			 1000, 2000, 'passed', 0, 2, '', ',mail,rcpt,', ',accept,', 0),
			(2, 'gone', '', '', NULL, 'script', NULL, '', '[]', 1500, 1600, 'passed', 0, 0, '', '', '', 0),
			(4, 'hello', 'sessions/hello.yaml', 'h1', x'00ff', 'replay', 1, 'exact', '[]', 3000, 4000, 'failed', 1, 1, '', ',mail,', ',reject,', 0),
			(5, 'cut', '', '', NULL, 'smtp', NULL, '', '[]', 5000, NULL, 'running', 0, 0, '', '', '', 0)`,
		`INSERT INTO steps (run_id, idx, kind, line, command, replies, failures) VALUES
			(1, 0, 'mail', 3, 'MAIL FROM:<a@b>', '["250 2.1.0 OK"]', '[]'),
			(4, 0, 'mail', 3, 'MAIL FROM:<a@b>', '["550 5.7.1 no"]', '["step 1: reply 550, want 250"]'),
			(5, 0, 'mail', 1, '', '[]', '["a","b"]')`,
		`INSERT INTO exchanges (id, run_id, seq, step_idx, stage, started, duration, request_headers, request_body, status,
			response_headers, response_body, outcome, reply, request_head, response_head, body_read) VALUES
			(1, 1, 1, 0, 'mail', 1100, 10, '[["content-type","application/json"]]', x'7b7d00ff', 200, '[]', x'7b2261223a317d', 'accept', '250', NULL, NULL, ''),
			(2, 1, 2, 0, 'rcpt', 1200, 10, '[]', x'', 200, '[]', x'', 'accept', '250', x'504f5354', x'485454502f312e3120323030', 'complete'),
			(7, 4, 1, 0, 'mail', 3100, 10, '[]', x'01', 200, '[]', x'02', 'reject', '550', NULL, NULL, ''),
			(9, 5, 1, 0, 'mail', 5100, 40, '[]', x'03', 200, '[]', x'04', 'accept', '250', NULL, NULL, ''),
			(10, 5, 2, 0, 'rcpt', 5200, 60, '[]', x'05', 0, '[]', x'', 'error', '451', NULL, NULL, '')`,
		`INSERT INTO messages (run_id, number, queue_id, delivered, reply, original, final, envelope_before, envelope_after) VALUES
			(1, 1, 'q1', 1, '250 queued', x'5375626a6563743a20610d0a0d0a62ff', NULL, '{"from":"a@b"}', 'null')`,
	}
	for _, s := range q {
		if _, err := db.ExecContext(ctx, s); err != nil {
			t.Fatalf("building the version 3 database: %v\n%s", err, s)
		}
	}
}

// TestUpgradeFromVersion3 opens a database of today's schema (0001-0003)
// holding runs: every run, step, exchange and message reads as before,
// ids are kept, the run left running is marked interrupted with its true
// counts, foreign keys still cascade, and ids are never reused after.
func TestUpgradeFromVersion3(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v3.db")
	v3Database(t, path)

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open of a version 3 database: %v", err)
	}
	defer s.Close()
	runs, err := s.ListRuns(ctx, RunFilter{})
	if err != nil {
		t.Fatal(err)
	}
	type runWant struct {
		id                  int64
		outcome             string
		exchanges, failures int
		ended               int64
		replayOf            int64
	}
	want := []runWant{
		{5, OutcomeInterrupted, 2, 2, 5260, 0},
		{4, OutcomeFailed, 1, 1, 4000, 1},
		{2, OutcomePassed, 0, 0, 1600, 0},
		{1, OutcomePassed, 2, 0, 2000, 0},
	}
	if len(runs) != len(want) {
		t.Fatalf("%d runs after the upgrade, want %d", len(runs), len(want))
	}
	for i, w := range want {
		r := runs[i]
		got := runWant{r.ID, r.Outcome, r.Exchanges, r.Failures, r.Ended.UnixNano(), r.ReplayOf}
		if got != w {
			t.Errorf("run %d = %+v, want %+v", i, got, w)
		}
	}
	one, err := s.GetRun(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if string(one.Script) != "name: hello\n" || one.SessionFile != "sessions/hello.yaml" || string(one.Hooks) != `[{"url":"http://127.0.0.1:1/"}]` {
		t.Errorf("run 1 = %+v", one)
	}
	if r, err := s.GetRun(ctx, 4); err != nil || !bytes.Equal(r.Script, []byte{0, 0xff}) || r.ReplayMode != "exact" {
		t.Errorf("run 4 = %+v, %v", r, err)
	}
	exs, err := s.Exchanges(ctx, 1)
	if err != nil || len(exs) != 2 {
		t.Fatalf("exchanges of run 1: %d, %v", len(exs), err)
	}
	if !bytes.Equal(exs[0].RequestBody, []byte("{}\x00\xff")) || exs[0].Wire != nil ||
		!reflect.DeepEqual(exs[0].RequestHeaders, []Header{{"content-type", "application/json"}}) {
		t.Errorf("exchange 1 = %+v", exs[0])
	}
	if exs[1].Wire == nil || string(exs[1].Wire.RequestHead) != "POST" || string(exs[1].Wire.ResponseHead) != "HTTP/1.1 200" {
		t.Errorf("exchange 2 wire = %+v", exs[1].Wire)
	}
	steps, err := s.Steps(ctx, 4)
	if err != nil || len(steps) != 1 || !reflect.DeepEqual(steps[0].Failures, []string{"step 1: reply 550, want 250"}) {
		t.Errorf("steps of run 4 = %+v, %v", steps, err)
	}
	msgs, err := s.Messages(ctx, 1)
	if err != nil || len(msgs) != 1 || !bytes.Equal(msgs[0].Original, []byte("Subject: a\r\n\r\nb\xff")) || msgs[0].Final != nil {
		t.Errorf("messages of run 1 = %+v, %v", msgs, err)
	}
	if n, err := s.CountRuns(ctx, RunFilter{Stage: "rcpt"}); err != nil || n != 2 {
		t.Errorf("runs with an rcpt exchange = %d, %v; want 2 (1 and the interrupted 5)", n, err)
	}

	// Foreign keys still hold on the rebuilt tables: a pruned run takes
	// its rows along and unlinks its replay.
	if n, err := s.Prune(ctx, time.Unix(0, 2000)); err != nil || n != 2 {
		t.Fatalf("Prune = %d, %v; want 2", n, err)
	}
	if r, err := s.GetRun(ctx, 4); err != nil || r.ReplayOf != 0 {
		t.Errorf("replay of a pruned run = %+v, %v", r, err)
	}
	for _, table := range []string{"step_lists", "exchanges", "messages"} {
		var left int
		if err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM "+table+" WHERE run_id IN (1, 2)").Scan(&left); err != nil || left != 0 {
			t.Errorf("%d %s rows of pruned runs left (%v)", left, table, err)
		}
	}
	if err := s.Update(ctx, func(tx *Tx) error {
		return tx.Write(ctx, Batch{Exchanges: []Exchange{testExchange(99, 0, 1)}})
	}); err == nil {
		t.Error("an exchange of a missing run was written: foreign keys are off")
	}
	// Pruning the newest runs does not make their ids come back.
	if _, err := s.Prune(ctx, time.Unix(0, 1e9)); err != nil {
		t.Fatal(err)
	}
	id, err := s.CreateRun(ctx, &Run{SessionName: "new", Started: t0})
	if err != nil || id != 6 {
		t.Errorf("first run after the upgrade and a prune of all = %d, %v; want 6", id, err)
	}
	if err := s.Write(ctx, Batch{Exchanges: []Exchange{testExchange(id, 0, 1)}}); err != nil {
		t.Fatal(err)
	}
	if exs, err := s.ExchangesAfter(ctx, 10, 10); err != nil || len(exs) != 1 || exs[0].RowID != 11 {
		t.Errorf("exchange after the upgrade = %+v, %v; want row 11", exs, err)
	}
	var check string
	if err := s.r.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check = %q, %v", check, err)
	}
}

// TestPruneRefusesALiveRecording: a run marked running by this (live)
// process is neither marked interrupted nor pruned.
func TestPruneRefusesALiveRecording(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, path := openTemp(t)
	id, err := s.CreateRun(ctx, &Run{SessionName: "live", Started: t0})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Prune(ctx, t0.Add(time.Hour)); !errors.Is(err, ErrRecording) {
		t.Fatalf("Prune of a live run: %v, want ErrRecording", err)
	}
	// Another store of the same process (as another process would) leaves it alone.
	other, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if r, err := other.GetRun(ctx, id); err != nil || r.Outcome != OutcomeRunning {
		t.Fatalf("live run after another Open = %+v, %v", r, err)
	}
	if err := s.FinishRun(ctx, id, t0.Add(time.Second), OutcomePassed, 0, 0, ""); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Prune(ctx, t0.Add(time.Hour)); err != nil || n != 1 {
		t.Errorf("Prune of the finished run = %d, %v", n, err)
	}
}

// TestCorruptDatabase: a database whose pages are damaged is reported as
// corrupt, naming the file, not as a missing run or an empty list.
func TestCorruptDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, table := range []string{"runs", "exchanges"} {
		t.Run(table, func(t *testing.T) {
			t.Parallel()
			s, path := openTemp(t)
			ids := fillRuns(t, s)
			var root, pageSize int64
			if err := s.r.QueryRowContext(ctx, "SELECT rootpage FROM sqlite_master WHERE name = ?", table).Scan(&root); err != nil {
				t.Fatal(err)
			}
			if err := s.r.QueryRowContext(ctx, "PRAGMA page_size").Scan(&pageSize); err != nil {
				t.Fatal(err)
			}
			s.Close() // checkpoints the WAL into the file
			damage(t, path, (root-1)*pageSize, pageSize)

			s, err := OpenExisting(ctx, path)
			if err == nil {
				defer s.Close()
				_, err = s.Exchanges(ctx, ids[0])
			}
			if !errors.Is(err, ErrCorrupt) || errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), path+" is corrupt") {
				t.Errorf("reading a damaged %s table: %v; want ErrCorrupt naming %s", table, err, path)
			}
		})
	}
}

// damage overwrites n bytes at off with a pattern that is no b-tree page.
func damage(t *testing.T, path string, off, n int64) {
	t.Helper()
	b := bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef}, int(n/4))
	f, err := openFileRW(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}
