package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hooksim/hooksim/store"
)

// TestMain lets a test run the real hooksim main in a child process.
func TestMain(m *testing.M) {
	if os.Getenv("HOOKSIM_TEST_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// TestInterruptKeepsWhatWasPlayed: SIGINT in the middle of a run stops it,
// and every exchange the transcript showed is in the database, with the
// interrupted run finished as interrupted.
// hookLine matches a transcript's line of one hook exchange.
var hookLine = regexp.MustCompile(`^\s+#\d+ hook `)

func TestInterruptKeepsWhatWasPlayed(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "h.db")
	cmd, stdout := startRun(t, db, slowHook(t, 50*time.Millisecond))
	sc := bufio.NewScanner(stdout)
	shown := readPlayed(sc, 2, 12) // in the middle of the third session
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	for sc.Scan() {
		if hookLine.MatchString(sc.Text()) {
			shown++
		}
	}
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() == 0 {
		t.Fatalf("interrupted run exited with %v, want a failure code", err)
	}
	st, runs := openRuns(t, db)
	if len(runs) < 3 || len(runs) >= 12 {
		t.Fatalf("%d runs recorded, want the 2 finished ones and the interrupted one", len(runs))
	}
	stored := 0
	for _, r := range runs {
		exs, err := st.Exchanges(context.Background(), r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(exs) != r.Exchanges {
			t.Errorf("run #%d counts %d exchanges but has %d rows", r.ID, r.Exchanges, len(exs))
		}
		stored += len(exs)
		if r.Outcome == "running" {
			t.Errorf("run #%d was left running", r.ID)
		}
	}
	if runs[0].Outcome != store.OutcomeInterrupted {
		t.Errorf("the interrupted run's outcome is %q, want interrupted", runs[0].Outcome)
	}
	if stored != shown {
		t.Errorf("%d exchanges recorded, %d shown in the transcript", stored, shown)
	}
	t.Logf("%d runs, %d exchanges recorded after SIGINT", len(runs), stored)
}

// TestClosedOutputKeepsRecording: `hooksim run | head -1` closes hooksim's
// output after one line. That must not kill hooksim (SIGPIPE) before it
// has recorded what it played: every session is played and recorded,
// passed, with all its exchanges.
func TestClosedOutputKeepsRecording(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "h.db")
	cmd, stdout := startRun(t, db, slowHook(t, 0))
	if _, err := bufio.NewReader(stdout).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	stdout.Close() // as head does after its line
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); ok && ee.ProcessState.Sys().(syscall.WaitStatus).Signaled() {
		t.Fatalf("hooksim was killed by %v when its output closed", ee.ProcessState.Sys().(syscall.WaitStatus).Signal())
	}
	st, runs := openRuns(t, db)
	_, list, _ := runCLI(t, "", "sessions")
	bundled := 0
	for _, l := range strings.Split(list, "\n") {
		if strings.TrimSpace(l) != "" {
			bundled++
		}
	}
	if len(runs) != bundled {
		t.Fatalf("%d runs recorded, want every one of the %d bundled sessions", len(runs), bundled)
	}
	for _, r := range runs {
		exs, err := st.Exchanges(context.Background(), r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if r.Outcome != store.OutcomePassed || len(exs) == 0 || len(exs) != r.Exchanges {
			t.Errorf("run #%d (%s): %s with %d of %d exchanges", r.ID, r.SessionName, r.Outcome, len(exs), r.Exchanges)
		}
	}
}

// slowHook is a loopback hook that accepts after delay (or when the
// request is cancelled).
func slowHook(t *testing.T, delay time.Duration) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"action":"accept"}`))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// startRun starts `hooksim run --db db --no-expect --url url --stages
// all` (every bundled session) in a child process running the real main,
// and returns it with its standard output; the process is killed if it
// is still running after a minute.
func startRun(t *testing.T, db, url string) (*exec.Cmd, io.ReadCloser) {
	t.Helper()
	return startHooksim(t, "run", "--db", db, "--no-expect", "--url", url, "--stages", "all")
}

// startHooksim starts hooksim with args in a child process (the test
// binary as hooksim) and returns it with its stdout.
func startHooksim(t *testing.T, args ...string) (*exec.Cmd, io.ReadCloser) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), "HOOKSIM_TEST_MAIN=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, stdout
}

// readPlayed reads a run's transcript from sc until it has shown the
// ends of sessions sessions and at least calls hook exchanges, and
// returns how many exchanges it showed.
func readPlayed(sc *bufio.Scanner, sessions, calls int) int {
	shown, done := 0, 0
	for sc.Scan() {
		line := sc.Text()
		if hookLine.MatchString(line) {
			shown++
		}
		if strings.HasPrefix(line, "== ") && strings.Contains(line, "steps,") {
			done++
		}
		if done == sessions && shown >= calls {
			break
		}
	}
	return shown
}

// TestClosedReportReaderIsNoFailure: `hooksim run --json - | head -1`
// and `hooksim export --as json | head -1` close hooksim's output early.
// The reader asked for no more: hooksim still plays and records
// everything and exits by its results (0 here), not as a failure (3).
func TestClosedReportReaderIsNoFailure(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "h.db")
	url := slowHook(t, 0)
	for _, args := range [][]string{
		{"run", "--db", db, "--url", url, "--stages", "all", "--json", "-"},
		{"export", "--db", db, "1", "--as", "json"},
	} {
		cmd, out := startHooksim(t, args...)
		if _, err := bufio.NewReader(out).ReadString('\n'); err != nil {
			t.Fatal(err)
		}
		out.Close() // as head does after its line
		if err := cmd.Wait(); err != nil {
			t.Errorf("hooksim %s with its output closed: %v (want exit 0)", strings.Join(args, " "), err)
		}
	}
	code, list, _ := runCLI(t, "", "runs", "--db", db, "--json")
	if code != exitOK || strings.Count(list, `"outcome": "passed"`) < 12 {
		t.Errorf("runs after the closed report: exit %d\n%s", code, list)
	}
}

// openRuns opens the history db (closed with the test) and lists its
// runs, newest first.
func openRuns(t *testing.T, db string) (*store.Store, []store.Run) {
	t.Helper()
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	runs, err := st.ListRuns(context.Background(), store.RunFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return st, runs
}
