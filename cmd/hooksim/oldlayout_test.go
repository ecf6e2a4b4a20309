package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hooksim/hooksim/recorder/report"
	"github.com/hooksim/hooksim/store"
)

// schema4Copy writes at path a database of schema 4 (migrations 0001 to
// 0004, as a hooksim from before migration 0005 left it) holding the runs
// of the database src, with their ids, in that layout: the script in
// runs.script, the messages in messages.original and final, every request
// body in its row, and no blobs.
func schema4Copy(t *testing.T, path, src string) {
	t.Helper()
	ctx := context.Background()
	files, err := filepath.Glob("../../store/migrations/000[1-4]_*.sql")
	if err != nil || len(files) != 4 {
		t.Fatalf("migrations 0001-0004: %v %v", files, err)
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?_foreign_keys=off&_journal_mode=WAL")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // ATTACH is per connection
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("building the schema 4 database: %v\n%s", err, q)
		}
	}
	for _, f := range files {
		q, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		exec(string(q))
	}
	exec("PRAGMA user_version = 4")
	// The rows' other columns are copied as they are: today's recorder
	// encodes them as the old one did (the migrations only added columns).
	exec("ATTACH DATABASE ? AS src", src)
	exec(`INSERT INTO runs (id, session_name, session_file, session_hash, source, replay_of, replay_mode, hooks, started,
		ended, outcome, failures, exchanges, error, stages, outcomes, errored)
		SELECT id, session_name, session_file, session_hash, source, replay_of, replay_mode, hooks, started,
		ended, outcome, failures, exchanges, error, stages, outcomes, errored FROM src.runs ORDER BY id`)
	// Steps are one row each in that layout (a list per commit since 0009).
	exec(`INSERT INTO steps (run_id, idx, kind, line, implied, command, message, replies, action, txn, closed, failures, lints)
		SELECT l.run_id, s.value ->> '$.idx', s.value ->> '$.kind', coalesce(s.value ->> '$.line', 0),
		coalesce(s.value ->> '$.implied', 0),
		coalesce(s.value ->> '$.command', CAST(unhex(s.value ->> '$.command_hex') AS TEXT), ''),
		coalesce(s.value ->> '$.message', CAST(unhex(s.value ->> '$.message_hex') AS TEXT), ''),
		coalesce(s.value -> '$.replies', '[]'), coalesce(s.value ->> '$.action', ''), coalesce(s.value ->> '$.txn', 0),
		coalesce(s.value ->> '$.closed', 0), coalesce(s.value -> '$.failures', '[]'), coalesce(s.value -> '$.lints', '[]')
		FROM src.step_lists l, json_each(l.steps) s`)
	exec(`INSERT INTO exchanges (run_id, seq, step_idx, txn, stage, hook_id, url, started, duration, request_headers,
		request_body, status, response_headers, response_body, error_class, error_text, effect, outcome, reply, lints,
		request_head, response_head, body_read, redirects)
		SELECT run_id, seq, step_idx, txn, stage, hook_id, url, started, duration, request_headers,
		request_body, status, response_headers, response_body, error_class, error_text, effect, outcome, reply, lints,
		request_head, response_head, body_read, redirects FROM src.exchanges`)
	exec(`INSERT INTO messages (run_id, number, queue_id, delivered, reply, envelope_before, envelope_after)
		SELECT run_id, number, queue_id, delivered, reply, envelope_before, envelope_after FROM src.messages`)
	exec("DETACH DATABASE src")

	// The bytes the blobs hold go back into the rows.
	st, err := store.Open(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	runs, err := st.ListRuns(ctx, store.RunFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		rows, err := st.ReadRun(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		exec("UPDATE runs SET script = ? WHERE id = ?", rows.Run.Script, r.ID)
		for _, e := range rows.Exchanges {
			exec("UPDATE exchanges SET request_body = ? WHERE run_id = ? AND seq = ?", e.RequestBody, r.ID, e.Seq)
		}
		for _, m := range rows.Messages {
			var final any
			if m.Final != nil {
				final = m.Final
			}
			exec("UPDATE messages SET original = ?, final = ? WHERE run_id = ? AND number = ?", m.Original, final, r.ID, m.Number)
		}
	}
}

// TestOldLayoutGetsNewRuns upgrades a database of schema 4 (bodies in
// the rows, as recorded before migration 0005), records new runs into it
// with today's code (bodies in blobs), and reads every run back: show,
// export --as session and --as json, and replay (exact and re-simulated)
// give for an old run what they give for the run it was copied from, and
// a new run holds the bytes of the same session recorded the new way.
// Then each half is pruned: the other half, and the blobs it uses, stay
// whole; pruning the new runs leaves no blob behind.
func TestOldLayoutGetsNewRuns(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	url := exampleHook(t)
	writeFile(t, dir, "big.eml", string(bigMessage(2))) // over store.ChunkSize: chunked blobs, a request blob
	script := writeFile(t, dir, "big.yaml", "data: big.eml\n")
	play := []string{"bundled:spam-tagged", "bundled:eight-bit", script}
	src := filepath.Join(dir, "src.db")
	mustRun(t, dir, append([]string{"run", "--db", src, "--no-expect", "--url", url, "--stages", "all"}, play...)...)
	old := filepath.Join(dir, "old.db")
	schema4Copy(t, old, src)

	const oldRuns = 3
	// readAll is what every reading command prints for run id of db.
	readAll := func(db string, id int) map[string]string {
		t.Helper()
		out := map[string]string{}
		for name, args := range map[string][]string{
			"show":              {"show", "--db", db, fmt.Sprint(id)},
			"show --raw 5":      {"show", "--db", db, "--raw", "5"},
			"export session":    {"export", "--db", db, fmt.Sprint(id)},
			"export json":       {"export", "--db", db, "--as", "json", fmt.Sprint(id)},
			"export curl":       {"export", "--db", db, "--as", "curl", fmt.Sprint(id)},
			"replay exact":      {"replay", "--db", db, "--no-record", "--mode", "exact", fmt.Sprint(id)},
			"replay resimulate": {"replay", "--db", db, "--no-record", fmt.Sprint(id)},
		} {
			if name == "show --raw 5" {
				args = append(args, fmt.Sprint(id))
			}
			out[name] = mustRun(t, dir, args...)
		}
		return out
	}
	same := func(what string, got, want map[string]string) {
		t.Helper()
		for k, w := range want {
			if got[k] != w {
				t.Errorf("%s: %s differs:\n%s\n----\n%s", what, k, got[k], w)
			}
		}
	}
	// The old runs read as they did where they were recorded, before and
	// after new runs join them.
	want := map[int]map[string]string{}
	for id := 1; id <= oldRuns; id++ {
		want[id] = readAll(src, id)
		if !strings.Contains(want[id]["replay exact"], " same") || !strings.Contains(want[id]["replay resimulate"], " same") {
			t.Fatalf("replays of run %d are not the same:\n%v", id, want[id])
		}
		same(fmt.Sprintf("old run %d, upgraded", id), readAll(old, id), want[id])
	}
	out := mustRun(t, dir, append([]string{"run", "--db", old, "--no-expect", "--url", url, "--stages", "all"}, play...)...)
	if !strings.Contains(out, "recorded as run #4-#6") {
		t.Fatalf("new runs in the upgraded database:\n%s", out)
	}
	for id := 1; id <= oldRuns; id++ {
		same(fmt.Sprintf("old run %d, with new runs", id), readAll(old, id), want[id])
	}

	st, err := store.Open(ctx, old)
	if err != nil {
		t.Fatal(err)
	}
	// layout counts the rows in each layout: messages with their bytes in
	// the row and in blobs, and the blobs and chunks.
	layout := func(path string) (inRow, inBlob, blobs, chunks int) {
		t.Helper()
		db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.QueryRowContext(ctx, `SELECT
			(SELECT count(*) FROM messages WHERE original IS NOT NULL AND original_blob IS NULL),
			(SELECT count(*) FROM messages WHERE original IS NULL AND original_blob IS NOT NULL),
			(SELECT count(*) FROM blobs), (SELECT count(*) FROM blob_chunks)`).Scan(&inRow, &inBlob, &blobs, &chunks); err != nil {
			t.Fatal(err)
		}
		return
	}
	newWant := map[int]map[string]string{}
	for id := oldRuns + 1; id <= 2*oldRuns; id++ {
		newWant[id] = readAll(old, id)
		got, w := newWant[id], want[id-oldRuns]
		// The same session, played again: the same script (its first line
		// names the run), the same messages and bodies but for the queue id.
		if cut := func(s string) string { _, rest, _ := strings.Cut(s, "\n"); return rest }; cut(got["export session"]) != cut(w["export session"]) {
			t.Errorf("new run %d: export --as session differs from run %d's:\n%s\n----\n%s", id, id-oldRuns, got["export session"], w["export session"])
		}
		for _, k := range []string{"replay exact", "replay resimulate"} {
			if !strings.Contains(got[k], " same") {
				t.Errorf("new run %d: %s:\n%s", id, k, got[k])
			}
		}
		newRows, err := st.ReadRun(ctx, int64(id))
		if err != nil {
			t.Fatal(err)
		}
		oldRows, err := st.ReadRun(ctx, int64(id-oldRuns))
		if err != nil {
			t.Fatal(err)
		}
		if len(newRows.Messages) != len(oldRows.Messages) || len(newRows.Exchanges) != len(oldRows.Exchanges) {
			t.Fatalf("run %d has %d messages, %d exchanges; run %d %d, %d", id, len(newRows.Messages), len(newRows.Exchanges),
				id-oldRuns, len(oldRows.Messages), len(oldRows.Exchanges))
		}
		for i, m := range newRows.Messages {
			o := oldRows.Messages[i]
			if !bytes.Equal(m.Original, o.Original) || !bytes.Equal(m.Final, o.Final) || (m.Final == nil) != (o.Final == nil) {
				t.Errorf("run %d message %d: %d/%d bytes, run %d's %d/%d", id, m.Number, len(m.Original), len(m.Final), id-oldRuns, len(o.Original), len(o.Final))
			}
			if m.QueueID == "" {
				t.Errorf("run %d message %d has no queue id", id, m.Number)
			}
		}
		for i, e := range newRows.Exchanges {
			o := oldRows.Exchanges[i]
			queueless := func(b []byte, q string) []byte { return bytes.ReplaceAll(b, []byte(q), nil) }
			var nq, oq string
			if len(newRows.Messages) > 0 {
				nq, oq = newRows.Messages[0].QueueID, oldRows.Messages[0].QueueID
			}
			if !bytes.Equal(queueless(e.RequestBody, nq), queueless(o.RequestBody, oq)) || !bytes.Equal(e.ResponseBody, o.ResponseBody) {
				t.Errorf("run %d exchange %d: request or response body differs from run %d's", id, e.Seq, id-oldRuns)
			}
		}
		// The streamed export is the document built whole.
		s, err := report.Stored(ctx, st, int64(id))
		if err != nil {
			t.Fatal(err)
		}
		if doc, err := report.Recorded(s).JSON(); err != nil || string(doc) != got["export json"] {
			t.Errorf("new run %d: export --as json is not the document built whole (%v)", id, err)
		}
	}
	st.Close()
	inRow, inBlob, blobs, chunks := layout(old)
	if inRow != oldRuns || inBlob != oldRuns || blobs == 0 || chunks == 0 {
		t.Fatalf("upgraded database: %d messages in rows, %d in blobs, %d blobs, %d chunks; want %d, %d, some, some", inRow, inBlob, blobs, chunks, oldRuns, oldRuns)
	}

	// Prune each half in a copy of the database (the copy made by SQLite).
	tenDays := int64(10 * 24 * time.Hour)
	for _, tc := range []struct {
		name          string
		pruned        string // which runs' start is moved back ten days
		kept          map[int]map[string]string
		blobs, chunks int
	}{
		{"old runs pruned", "id <= 3", newWant, blobs, chunks},
		{"new runs pruned", "id > 3", want, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".db")
			db, err := sql.Open("sqlite3", "file:"+old)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
				t.Fatal(err)
			}
			db.Close()
			db, err = sql.Open("sqlite3", "file:"+path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.ExecContext(ctx, "UPDATE runs SET started = started - ? WHERE "+tc.pruned, tenDays); err != nil {
				t.Fatal(err)
			}
			db.Close()
			if out := mustRun(t, dir, "prune", "--db", path, "--older-than", "5d"); !strings.Contains(out, "3 runs") {
				t.Errorf("prune: %s", out)
			}
			listed := mustRun(t, dir, "runs", "--db", path)
			for id, w := range tc.kept {
				if !strings.Contains(listed, fmt.Sprintf("#%d ", id)) {
					t.Errorf("run %d not listed after the prune:\n%s", id, listed)
				}
				same(fmt.Sprintf("run %d", id), readAll(path, id), w)
			}
			for id := 1; id <= 2*oldRuns; id++ {
				if _, ok := tc.kept[id]; !ok && strings.Contains(listed, fmt.Sprintf("#%d ", id)) {
					t.Errorf("run %d still listed after the prune:\n%s", id, listed)
				}
			}
			_, _, b, c := layout(path)
			if b != tc.blobs || c != tc.chunks {
				t.Errorf("after the prune: %d blobs, %d chunks; want %d, %d", b, c, tc.blobs, tc.chunks)
			}
		})
	}
}
