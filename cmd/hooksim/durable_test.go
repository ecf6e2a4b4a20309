package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hooksim/hooksim/store"
)

// TestSIGKILLShowsInterrupted: a `hooksim run` killed with SIGKILL in the
// middle of a session leaves a run that the next command marks
// interrupted, with the exchanges it committed; runs and show say
// interrupted, never PASS.
func TestSIGKILLShowsInterrupted(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "h.db")
	cmd, stdout := startRun(t, db, slowHook(t, 30*time.Millisecond))
	readPlayed(bufio.NewScanner(stdout), 1, 8) // in the middle of the second session
	go io.Copy(io.Discard, stdout)
	// The recorder commits in batches (it lingers before a commit): kill
	// once the run being played has committed exchanges, not before.
	waitCommitted(t, db)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	code, out, errOut := runCLI(t, "", "runs", "--db", db)
	if code != exitOK {
		t.Fatalf("runs: exit %d\n%s", code, errOut)
	}
	// Its duration runs to its last exchange: at least that (">=").
	row := regexp.MustCompile(`(?m)^#(\d+) .* interrupted +(\d+) +(\d+) +>=\d`).FindStringSubmatch(out)
	if row == nil {
		t.Fatalf("runs lists no interrupted run:\n%s", out)
	}
	id, _ := strconv.ParseInt(row[1], 10, 64)
	calls, _ := strconv.Atoi(row[2])

	// The runs command (the next process to open the file for writing)
	// stored the mark, with the count of the rows.
	raw, err := sql.Open("sqlite3", "file:"+db+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var outcome string
	var counted, rows int
	if err := raw.QueryRow("SELECT outcome, exchanges, (SELECT count(*) FROM exchanges WHERE run_id = runs.id) FROM runs WHERE id = ?", id).
		Scan(&outcome, &counted, &rows); err != nil {
		t.Fatal(err)
	}
	if outcome != store.OutcomeInterrupted || counted != rows || calls != rows || rows == 0 {
		t.Errorf("stored: outcome %q, %d exchanges counted, %d rows; runs shows %d calls", outcome, counted, rows, calls)
	}
	code, out, errOut = runCLI(t, "", "show", "--db", db, row[1])
	if code != exitOK {
		t.Fatalf("show: exit %d\n%s", code, errOut)
	}
	want := "INTERRUPTED (the recording process (pid " + strconv.Itoa(cmd.Process.Pid) + " on "
	if !strings.Contains(out, want) || strings.Contains(out, "PASS") || !strings.Contains(out, ", interrupted, started ") {
		t.Errorf("show of the interrupted run lacks %q or says PASS:\n%s", want, out)
	}
	t.Logf("show %d:\n%s", id, out)

	// A run that did not finish is not exported as a test that passes by
	// checking only what was played, unless --partial says so.
	code, _, errOut = runCLI(t, "", "export", "--db", db, row[1])
	if code != exitUsage || !strings.Contains(errOut, "is interrupted: it did not finish") {
		t.Errorf("export of the interrupted run: exit %d, %s", code, errOut)
	}
	code, out, errOut = runCLI(t, "", "export", "--db", db, "--partial", row[1])
	if code != exitOK || !strings.Contains(out, "steps:") || !strings.Contains(errOut, "expects only the steps played before it stopped") {
		t.Errorf("export --partial: exit %d\n%s\n%s", code, out, errOut)
	}
}

// waitCommitted waits, up to 20 seconds, until the newest run in db is
// still running and has exchange rows committed.
func waitCommitted(t *testing.T, db string) {
	t.Helper()
	raw, err := sql.Open("sqlite3", "file:"+db+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		var outcome string
		var rows int
		err := raw.QueryRow(`SELECT outcome, (SELECT count(*) FROM exchanges WHERE run_id = runs.id) FROM runs ORDER BY id DESC LIMIT 1`).Scan(&outcome, &rows)
		if err == nil && outcome == store.OutcomeRunning && rows > 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("no running run with committed exchanges in 20 s")
}

// TestReadCommandsNeedTheDirectory: runs, show and serve with a --db in a
// directory that does not exist fail and create nothing.
func TestReadCommandsNeedTheDirectory(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "no", "such")
	db := filepath.Join(dir, "h.db")
	for _, args := range [][]string{
		{"runs", "--db", db},
		{"show", "--db", db, "1"},
		{"serve", "--db", db, "--listen", "127.0.0.1:0"},
		{"prune", "--db", db, "--older-than", "1d"},
	} {
		code, _, errOut := runCLI(t, "", args...)
		if code != exitUsage || !strings.Contains(errOut, "no such directory "+dir) {
			t.Errorf("hooksim %s: exit %d, %q; want exit 2 naming the missing directory", args[0], code, errOut)
		}
	}
	if _, err := os.Stat(filepath.Dir(dir)); !os.IsNotExist(err) {
		t.Errorf("a read command created %s (%v)", filepath.Dir(dir), err)
	}
}

// asUser runs the hooksim binary under test with args as an unprivileged
// user when the test runs as root (root may write any file, so a
// read-only file would not be read-only to it). bin is a copy of the test
// binary the user may run.
func asUser(t *testing.T, bin string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "HOOKSIM_TEST_MAIN=1", "HOME=/nonexistent", "XDG_DATA_HOME=")
	if os.Geteuid() == 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	}
	return cmd
}

// userBinary copies the test binary where an unprivileged user can run it.
func userBinary(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for d := dir; d != filepath.Dir(d) && d != os.TempDir(); d = filepath.Dir(d) {
		os.Chmod(d, 0o755)
	}
	b, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "hooksim.test")
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return bin
}

// TestReadOnlyHistory: runs, show (transcript and --raw) and serve work
// on a history the user may not write, in a read-only directory or as a
// read-only file; prune says it cannot write; nothing is created.
func TestReadOnlyHistory(t *testing.T) {
	t.Parallel()
	url := exampleHook(t)
	bin := userBinary(t)
	for _, tc := range []struct {
		name            string
		dirMode, dbMode os.FileMode
	}{
		{"read-only directory", 0o555, 0o444},
		{"read-only file", 0o777, 0o444},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "history")
			for d := dir; d != filepath.Dir(d) && d != os.TempDir(); d = filepath.Dir(d) {
				os.Chmod(d, 0o755)
			}
			db := filepath.Join(dir, "h.db")
			if code, _, errOut := runCLI(t, "", "run", "--db", db, "--no-expect", "--url", url, "--stages", "all"); code != exitOK {
				t.Fatalf("run: exit %d\n%s", code, errOut)
			}
			before := listDir(t, dir)
			if err := os.Chmod(db, tc.dbMode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, tc.dirMode); err != nil {
				t.Fatal(err)
			}
			defer os.Chmod(dir, 0o755)

			for _, c := range []struct {
				args []string
				want string
			}{
				{[]string{"runs", "--db", db}, "#1 "},
				{[]string{"show", "--db", db, "1"}, "== "},
				{[]string{"show", "--db", db, "--raw", "1", "1"}, "POST "},
			} {
				var stderr bytes.Buffer
				cmd := asUser(t, bin, c.args...)
				cmd.Stderr = &stderr
				out, err := cmd.Output()
				if err != nil || !strings.Contains(string(out), c.want) {
					t.Errorf("hooksim %s: %v, output lacks %q:\n%s%s", strings.Join(c.args, " "), err, c.want, out, stderr.String())
				}
			}
			cmd := asUser(t, bin, "prune", "--db", db, "--older-than", "0m")
			if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "read-only") {
				t.Errorf("prune of a read-only history: %v\n%s", err, out)
			}
			// Commands that would record say they cannot, in words, and
			// a replay says so before it calls the hook.
			calls := countingHook(t)
			for _, args := range [][]string{
				{"run", "--db", db, "--no-expect", "--url", calls.url, "bundled:hello"},
				{"replay", "--db", db, "--url", calls.url, "1"},
			} {
				out, err := asUser(t, bin, args...).CombinedOutput()
				ee, _ := err.(*exec.ExitError)
				if ee == nil || ee.ExitCode() != exitUsage || !strings.Contains(string(out), "read-only") ||
					!strings.Contains(string(out), "add --no-record to ") {
					t.Errorf("hooksim %s on a read-only history: %v (want exit 2, naming --no-record)\n%s", args[0], err, out)
				}
			}
			if n := calls.n.Load(); n != 0 {
				t.Errorf("the hook was called %d times by commands that could not record", n)
			}
			serveReadOnly(t, bin, db)
			if tc.dirMode == 0o555 {
				if after := listDir(t, dir); after != before {
					t.Errorf("files in the read-only directory changed: %s, was %s", after, before)
				}
			}
		})
	}
}

// serveReadOnly serves db as the unprivileged user and lists its runs
// through the API.
func serveReadOnly(t *testing.T, bin, db string) {
	t.Helper()
	cmd := asUser(t, bin, "serve", "--db", db, "--listen", "127.0.0.1:0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGINT)
		cmd.Wait()
	}()
	sc := bufio.NewScanner(stdout)
	if !sc.Scan() {
		t.Fatalf("serve printed nothing: %s", stderr.String())
	}
	m := regexp.MustCompile(`on (http://127\.0\.0\.1:\d+/) `).FindStringSubmatch(sc.Text())
	if m == nil {
		t.Fatalf("serve: %q %s", sc.Text(), stderr.String())
	}
	resp, err := http.Get(m[1] + "api/v1/runs")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`"id":1`)) {
		t.Errorf("GET /api/v1/runs on a read-only history: %d %s\n%s", resp.StatusCode, body, stderr.String())
	}
	// What would write says it cannot: a replay is played but says it was
	// not recorded; a prune is refused as a conflict, in plain words.
	post := func(path, body string) (int, string) {
		req, err := http.NewRequest(http.MethodPost, m[1]+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", strings.TrimSuffix(m[1], "/")) // as the server's own pages
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := post("api/v1/runs/1/replay", `{"mode":"exact"}`); code != http.StatusOK ||
		!strings.Contains(body, "not recorded: the history") || strings.Contains(body, `"replay_run"`) {
		t.Errorf("replay on a read-only history: %d %s", code, body)
	}
	if code, body := post("api/v1/prune", `{"older_than":"1d"}`); code != http.StatusConflict ||
		!strings.Contains(body, "read-only") || strings.Contains(body, "store: ") {
		t.Errorf("prune on a read-only history: %d %s", code, body)
	}
}

func listDir(t *testing.T, dir string) string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return strings.Join(names, " ")
}

// TestErrorsAreTerminalSafe: an error that quotes what a message or hook
// held (a MIME error with an escape sequence, a bare CR) reaches stderr
// escaped, whatever its exit code.
func TestErrorsAreTerminalSafe(t *testing.T) {
	t.Parallel()
	for _, err := range []error{
		fmt.Errorf("recorder: run 1: message 1: mime: malformed header \"X-\x1b[2J\": %w", io.ErrUnexpectedEOF),
		usagef("--db %s: no such history database", "h\r.db"),
		failedError{msg: "session \x1b]0;title\x07 failed"},
	} {
		var buf bytes.Buffer
		exitCode(&cliEnv{stdout: io.Discard, stderr: &buf}, err)
		if got := buf.String(); strings.ContainsAny(got, "\x1b\r\x07") || !strings.Contains(got, `\x1b`) && !strings.Contains(got, `\r`) {
			t.Errorf("stderr for %q = %q; want control bytes escaped", err, got)
		}
	}
}

// countedHook is a loopback hook that counts its calls.
type countedHook struct {
	url string
	n   *atomic.Int64
}

func countingHook(t *testing.T) countedHook {
	t.Helper()
	n := new(atomic.Int64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"action":"accept"}`))
	}))
	t.Cleanup(srv.Close)
	return countedHook{url: srv.URL, n: n}
}

// TestServeSaysItMadeAHistory: serve --db naming a file not there yet
// makes it (to watch what other processes will record) and says so, so
// that a misspelled path does not pass for an empty history.
func TestServeSaysItMadeAHistory(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "new.db")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "serve", "--db", db, "--listen", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "HOOKSIM_TEST_MAIN=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if line := sc.Text(); strings.Contains(line, db+" did not exist: it is a new, empty history") {
			return
		}
	}
	t.Fatalf("serve --db %s said nothing of making a new history", db)
}

// TestPruneRefusesARecordingRun: prune while another hooksim records a
// run deletes nothing and says why, as a refusal (exit 2), not as a
// failure of hooksim (3).
func TestPruneRefusesARecordingRun(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "h.db")
	cmd, out := startRun(t, db, slowHook(t, 200*time.Millisecond))
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	go io.Copy(io.Discard, out)
	waitCommitted(t, db)
	code, _, errOut := runCLI(t, "", "prune", "--db", db, "--older-than", "0s")
	if code != exitUsage || !strings.Contains(errOut, "still being recorded") {
		t.Errorf("prune during a recording: exit %d, %q; want exit 2 saying a run is still being recorded", code, errOut)
	}
}
