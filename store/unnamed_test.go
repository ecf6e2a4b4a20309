package store

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// oldRecorderEnv names the database an old-recorder child writes to.
const oldRecorderEnv = "HOOKSIM_STORE_OLD_RECORDER"

// TestOldRecorderChild is the child of TestUnnamedRecorder: it records
// as a hooksim from before schema version 4 did, naming no process (pid
// 0): it creates a running run with one exchange and prints "run ID",
// then for each line it reads, "exchange" writes one more exchange and
// prints "ok", "finish" finishes the run as passed, prints "done" and
// exits. The database stays open (idle) between lines.
func TestOldRecorderChild(t *testing.T) {
	path := os.Getenv(oldRecorderEnv)
	if path == "" {
		t.Skip("only runs as the child of TestUnnamedRecorder")
	}
	fail := func(err error) {
		fmt.Println("error", err)
		os.Exit(3)
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_busy_timeout=10000")
	if err != nil {
		fail(err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	res, err := db.Exec(`INSERT INTO runs (session_name, started) VALUES ('old', ?)`, time.Now().UnixNano())
	if err != nil {
		fail(err)
	}
	id, _ := res.LastInsertId()
	seq := 0
	exchange := func() error {
		seq++
		_, err := db.Exec(`INSERT INTO exchanges (run_id, seq, step_idx, stage, started, request_body, response_body, outcome)
			VALUES (?, ?, ?, 'rcpt', ?, x'7b7d', x'7b7d', 'accept')`, id, seq, seq, time.Now().UnixNano())
		return err
	}
	if err := exchange(); err != nil {
		fail(err)
	}
	fmt.Println("run", id)
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		switch sc.Text() {
		case "exchange":
			if err := exchange(); err != nil {
				fail(err)
			}
			fmt.Println("ok")
		case "finish":
			if _, err := db.Exec(`UPDATE runs SET outcome = 'passed', ended = ?, exchanges = ? WHERE id = ?`,
				time.Now().UnixNano(), seq, id); err != nil {
				fail(err)
			}
			db.Close()
			fmt.Println("done")
			return
		}
	}
}

// oldRecorder starts TestOldRecorderChild on path and returns its run
// id, a function that sends it a line and waits for its answer, and the
// command.
func oldRecorder(t *testing.T, path string) (int64, func(line, want string), *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestOldRecorderChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), oldRecorderEnv+"="+path)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close(); cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(out)
	next := func() string {
		t.Helper()
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) > 0 && (f[0] == "run" || f[0] == "ok" || f[0] == "done" || f[0] == "error") {
				return sc.Text()
			}
		}
		t.Fatalf("the old recorder ended: %v", sc.Err())
		return ""
	}
	first := next()
	id, err := strconv.ParseInt(strings.TrimPrefix(first, "run "), 10, 64)
	if err != nil {
		t.Fatalf("the old recorder says %q", first)
	}
	send := func(line, want string) {
		t.Helper()
		if _, err := io.WriteString(in, line+"\n"); err != nil {
			t.Fatal(err)
		}
		if got := next(); got != want {
			t.Fatalf("the old recorder answers %q to %q, want %q", got, line, want)
		}
	}
	return id, send, cmd
}

// storedOutcome is run id's outcome and exchange count as stored in its
// row, not as a reader shows it.
func storedOutcome(t *testing.T, s *Store, id int64) (string, int) {
	t.Helper()
	var outcome string
	var n int
	if err := s.w.QueryRow(`SELECT outcome, exchanges FROM runs WHERE id = ?`, id).Scan(&outcome, &n); err != nil {
		t.Fatal(err)
	}
	return outcome, n
}

// TestUnnamedRecorder runs a real process that records as a hooksim from
// before schema version 4 (pid 0 in its run) while this one opens the
// database: its run is left running, read and stored, and Prune refuses
// it, while it has the database open; it finishes it as passed. A second
// such process killed by SIGKILL holds no lock any more, and the next
// open marks its run interrupted with the exchanges it left.
func TestUnnamedRecorder(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(procLocks); err != nil {
		t.Skipf("no %s: the fallback is tested by TestUnnamedRecorderWithoutLockTable", procLocks)
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	s, err := Open(ctx, path) // today's schema; the old recorder writes only columns it knows
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	// Alive: left running by every open, every reader, every prune.
	id, send, cmd := oldRecorder(t, path)
	send("exchange", "ok")
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.RecoverInterrupted(ctx); n != 0 || err != nil {
		t.Errorf("RecoverInterrupted with the old recorder alive: %d, %v", n, err)
	}
	if o, _ := storedOutcome(t, s, id); o != OutcomeRunning {
		t.Errorf("stored outcome %q with the old recorder alive, want running", o)
	}
	if r, err := s.GetRun(ctx, id); err != nil || r.Outcome != OutcomeRunning || r.Exchanges != 2 {
		t.Errorf("GetRun with the old recorder alive: %+v, %v; want running with 2 exchanges", r, err)
	}
	if n, err := s.Prune(ctx, time.Now().Add(time.Hour)); !errors.Is(err, ErrRecording) || n != 0 ||
		!strings.Contains(err.Error(), "a hooksim from before schema version 4") {
		t.Errorf("Prune with the old recorder alive: %d, %v; want ErrRecording naming it", n, err)
	}
	send("finish", "done")
	cmd.Wait()
	if r, err := s.GetRun(ctx, id); err != nil || r.Outcome != OutcomePassed || r.Exchanges != 2 {
		t.Errorf("the old recorder's finished run: %+v, %v; want passed with 2 exchanges", r, err)
	}

	// Killed: the locks go with the process, and the run is interrupted.
	killed, send, cmd := oldRecorder(t, path)
	send("exchange", "ok")
	send("exchange", "ok")
	if r, err := s.GetRun(ctx, killed); err != nil || r.Outcome != OutcomeRunning {
		t.Errorf("GetRun with the second old recorder alive: %+v, %v; want running", r, err)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	// A reader shows it interrupted at once; the next open stores it.
	if r, err := s.GetRun(ctx, killed); err != nil || r.Outcome != OutcomeInterrupted || r.Exchanges != 3 {
		t.Errorf("GetRun after SIGKILL: %+v, %v; want interrupted with 3 exchanges", r, err)
	}
	s.Close()
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if o, n := storedOutcome(t, s, killed); o != OutcomeInterrupted || n != 3 {
		t.Errorf("stored after SIGKILL and an open: %q with %d exchanges; want interrupted with 3", o, n)
	}
	if o, n := storedOutcome(t, s, id); o != OutcomePassed || n != 2 {
		t.Errorf("the finished run became %q with %d exchanges", o, n)
	}
}

// TestUnnamedRecorderWithoutLockTable: where the lock table cannot be
// read, a run naming no recorder is interrupted only once unchanged for
// a day; a run naming one is judged by its process as before.
func TestUnnamedRecorderWithoutLockTable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.locksPath = filepath.Join(t.TempDir(), "no-such-lock-table")
	now := time.Now()
	runs := []struct {
		name    string
		started time.Time
		last    time.Time // of its one exchange; zero for none
		want    string
	}{
		{"changed a minute ago", now.Add(-48 * time.Hour), now.Add(-time.Minute), OutcomeRunning},
		{"started a minute ago, no exchange", now.Add(-time.Minute), time.Time{}, OutcomeRunning},
		{"unchanged for two days", now.Add(-72 * time.Hour), now.Add(-48 * time.Hour), OutcomeInterrupted},
		{"started two days ago, no exchange", now.Add(-48 * time.Hour), time.Time{}, OutcomeInterrupted},
	}
	ids := make([]int64, len(runs))
	for i, r := range runs {
		res, err := s.w.Exec(`INSERT INTO runs (session_name, started) VALUES (?, ?)`, r.name, r.started.UnixNano())
		if err != nil {
			t.Fatal(err)
		}
		ids[i], _ = res.LastInsertId()
		if !r.last.IsZero() {
			if _, err := s.w.Exec(`INSERT INTO exchanges (run_id, seq, step_idx, stage, started, request_body, response_body)
				VALUES (?, 1, 0, 'rcpt', ?, x'', x'')`, ids[i], r.last.UnixNano()); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n, err := s.RecoverInterrupted(ctx); err != nil || n != 2 {
		t.Errorf("RecoverInterrupted marked %d, %v; want 2", n, err)
	}
	for i, r := range runs {
		if o, _ := storedOutcome(t, s, ids[i]); o != r.want {
			t.Errorf("%s: %q, want %q", r.name, o, r.want)
		}
	}
}

// TestOtherOpeners reads lock tables in /proc/locks' format.
func TestOtherOpeners(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "h.db")
	for _, p := range []string{path, path + "-shm"} {
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ino := func(p string) uint64 {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Sys().(*syscall.Stat_t).Ino
	}
	db, shm := ino(path), ino(path+"-shm")
	const self = 4242
	tests := []struct {
		name  string
		table string
		want  openers
	}{
		{"empty", "", openers{known: true}},
		{"only self", fmt.Sprintf("1: POSIX  ADVISORY  READ %d fe:00:%d 128 128\n2: POSIX  ADVISORY  READ %d fe:00:%d 1073741826 1073742335\n", self, shm, self, db),
			openers{known: true}},
		{"another on the shm", fmt.Sprintf("1: POSIX  ADVISORY  READ %d fe:00:%d 128 128\n", 77, shm), openers{known: true, others: true}},
		{"another on the database", fmt.Sprintf("1: POSIX  ADVISORY  READ %d 00:2f:%d 1073741826 1073742335\n", 77, db), openers{known: true, others: true}},
		{"another namespace (pid 0)", fmt.Sprintf("3: POSIX  ADVISORY  READ 0 fe:00:%d 128 128\n", shm), openers{known: true, others: true}},
		{"open file description lock", fmt.Sprintf("3: OFDLCK ADVISORY  READ -1 fe:00:%d 128 128\n", shm), openers{known: true, others: true}},
		{"a waiter", fmt.Sprintf("1: POSIX  ADVISORY  READ %d fe:00:%d 128 128\n1: -> POSIX  ADVISORY  WRITE 88 fe:00:%d 128 128\n", self, shm, shm),
			openers{known: true, others: true}},
		{"other files", fmt.Sprintf("1: POSIX  ADVISORY  READ 77 fe:00:%d 128 128\n2: FLOCK  ADVISORY  WRITE 78 fe:00:%d 0 EOF\n", shm+db+1, shm*10), openers{known: true}},
		{"short lines", "1: POSIX\n\n", openers{known: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			table := filepath.Join(t.TempDir(), "locks")
			if err := os.WriteFile(table, []byte(tc.table), 0o600); err != nil {
				t.Fatal(err)
			}
			if got := otherOpeners(table, path, self); got != tc.want {
				t.Errorf("otherOpeners = %+v, want %+v", got, tc.want)
			}
		})
	}
	if got := otherOpeners(filepath.Join(dir, "none"), path, self); got.known {
		t.Errorf("no lock table: %+v, want unknown", got)
	}
	if got := otherOpeners(filepath.Join(dir, "none"), filepath.Join(dir, "no.db"), self); got.known {
		t.Errorf("no database: %+v, want unknown", got)
	}
}
