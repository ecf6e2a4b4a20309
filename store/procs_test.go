package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// writerChildEnv is "DB WRITER RUNS EXCHANGES" for TestWriterChild.
const writerChildEnv = "HOOKSIM_STORE_WRITER_CHILD"

// TestWriterChild is one of the processes of TestEightWriterProcesses:
// it records RUNS runs of EXCHANGES exchanges each, one exchange per
// transaction like a recorder without batching, and prints each run id.
func TestWriterChild(t *testing.T) {
	spec := os.Getenv(writerChildEnv)
	if spec == "" {
		t.Skip("only runs as a child of TestEightWriterProcesses")
	}
	f := strings.Fields(spec)
	w, _ := strconv.Atoi(f[1])
	runs, _ := strconv.Atoi(f[2])
	each, _ := strconv.Atoi(f[3])
	ctx := context.Background()
	s, err := Open(ctx, f[0])
	if err != nil {
		fmt.Println("error", err)
		os.Exit(3)
	}
	defer s.Close()
	for r := 0; r < runs; r++ {
		id, err := s.CreateRun(ctx, &Run{SessionName: fmt.Sprintf("writer-%d", w), Started: t0})
		if err != nil {
			fmt.Println("error", err)
			os.Exit(3)
		}
		for seq := 1; seq <= each; seq++ {
			if err := s.Write(ctx, Batch{Exchanges: []Exchange{testExchange(id, w, seq)}}); err != nil {
				fmt.Println("error", err)
				os.Exit(3)
			}
		}
		if err := s.FinishRun(ctx, id, t0, OutcomePassed, 0, each, ""); err != nil {
			fmt.Println("error", err)
			os.Exit(3)
		}
		fmt.Println("run", id)
	}
}

// TestEightWriterProcesses: eight processes record into one new database
// at once (each opening it, so they race to create and migrate it too);
// none sees "database is locked", and every run and exchange is there,
// byte for byte, under distinct ids.
func TestEightWriterProcesses(t *testing.T) {
	t.Parallel()
	const procs, runs, each = 8, 5, 40
	path := filepath.Join(t.TempDir(), "eight.db")
	var wg sync.WaitGroup
	ids := make([][]int64, procs)
	errs := make([]string, procs)
	for w := 0; w < procs; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(os.Args[0], "-test.run=^TestWriterChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %d %d %d", writerChildEnv, path, w, runs, each))
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			for _, line := range strings.Split(string(out), "\n") {
				if id, ok := strings.CutPrefix(line, "run "); ok {
					n, _ := strconv.ParseInt(id, 10, 64)
					ids[w] = append(ids[w], n)
				}
			}
			if err != nil {
				errs[w] = fmt.Sprintf("%v\n%s%s", err, out, stderr.String())
			}
		}()
	}
	wg.Wait()
	for w, e := range errs {
		if e != "" {
			t.Errorf("writer %d: %s", w, e)
		}
	}
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	seen := map[int64]bool{}
	for w := range ids {
		if len(ids[w]) != runs {
			t.Errorf("writer %d recorded %d runs, want %d", w, len(ids[w]), runs)
		}
		for _, id := range ids[w] {
			if seen[id] {
				t.Errorf("run id %d given twice", id)
			}
			seen[id] = true
			r, err := s.GetRun(ctx, id)
			if err != nil || r.SessionName != fmt.Sprintf("writer-%d", w) || r.Outcome != OutcomePassed {
				t.Fatalf("run %d of writer %d = %+v, %v", id, w, r, err)
			}
			exs, err := s.Exchanges(ctx, id)
			if err != nil || len(exs) != each {
				t.Fatalf("run %d: %d exchanges, %v; want %d", id, len(exs), err, each)
			}
			for i, e := range exs {
				want := testExchange(id, w, i+1)
				if !bytes.Equal(e.RequestBody, want.RequestBody) || !bytes.Equal(e.ResponseBody, want.ResponseBody) {
					t.Fatalf("run %d exchange %d differs", id, i+1)
				}
			}
		}
	}
	if n, err := s.CountRuns(ctx, RunFilter{}); err != nil || n != procs*runs {
		t.Errorf("%d runs in all, %v; want %d", n, err, procs*runs)
	}
}

// interruptChildEnv names the database TestInterruptChild records into.
const interruptChildEnv = "HOOKSIM_STORE_INTERRUPT_CHILD"

// TestInterruptChild is the child of TestSIGKILLLeavesAnInterruptedRun:
// it records a run with a failed step, commits exchanges and prints
// "committed SEQ" after each, forever.
func TestInterruptChild(t *testing.T) {
	path := os.Getenv(interruptChildEnv)
	if path == "" {
		t.Skip("only runs as the child of TestSIGKILLLeavesAnInterruptedRun")
	}
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(3)
	}
	id, err := s.CreateRun(ctx, &Run{SessionName: "killed", Started: t0})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(3)
	}
	fmt.Println("run", id)
	step := Step{RunID: id, Kind: "rcpt", Failures: []string{"step 1: reply 550, want 250", "step 1: no header"}}
	if err := s.Write(ctx, Batch{Steps: []Step{step}}); err != nil {
		fmt.Println("error", err)
		os.Exit(3)
	}
	for seq := 1; ; seq++ {
		if err := s.Write(ctx, Batch{Exchanges: []Exchange{testExchange(id, 0, seq)}}); err != nil {
			fmt.Println("error", err)
			os.Exit(3)
		}
		fmt.Println("committed", seq)
	}
}

// TestSIGKILLLeavesAnInterruptedRun: while its recorder lives, another
// process's Open and Prune leave the run alone; after SIGKILL the next
// Open marks it interrupted, with the counts of the rows it left.
func TestSIGKILLLeavesAnInterruptedRun(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "killed.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestInterruptChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), interruptChildEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var runID int64
	committed := 0
	buf := make([]byte, 0, 64)
	one := make([]byte, 1)
	for committed < 50 {
		if _, err := out.Read(one); err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("child: %v\n%s", err, stderr.String())
		}
		if one[0] != '\n' {
			buf = append(buf, one[0])
			continue
		}
		f := strings.Fields(string(buf))
		buf = buf[:0]
		switch {
		case len(f) == 2 && f[0] == "run":
			runID, _ = strconv.ParseInt(f[1], 10, 64)
		case len(f) == 2 && f[0] == "committed":
			committed, _ = strconv.Atoi(f[1])
		default:
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("child: %s\n%s", f, stderr.String())
		}
	}
	// Alive: neither marked nor pruned.
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.GetRun(ctx, runID)
	if err != nil || r.Outcome != OutcomeRunning || r.Exchanges < committed || r.Failures != 2 {
		t.Errorf("run of a live recorder = %+v, %v; want running with at least %d exchanges, 2 failures", r, err, committed)
	}
	if _, err := s.Prune(ctx, t0.Add(time.Hour)); !errors.Is(err, ErrRecording) {
		t.Errorf("Prune of a live recording: %v, want ErrRecording", err)
	}
	s.Close()

	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var outcome string
	var stored, rows int
	if err := s.r.QueryRowContext(ctx, "SELECT outcome, exchanges, (SELECT count(*) FROM exchanges WHERE run_id = runs.id) FROM runs WHERE id = ?", runID).
		Scan(&outcome, &stored, &rows); err != nil {
		t.Fatal(err)
	}
	if outcome != OutcomeInterrupted || stored != rows || rows < committed {
		t.Errorf("after SIGKILL and Open: outcome %q, %d exchanges counted, %d rows, %d committed; want interrupted, counts equal, rows >= committed",
			outcome, stored, rows, committed)
	}
	r, err = s.GetRun(ctx, runID)
	if err != nil || r.Failures != 2 || r.Ended.Before(r.Started) || !strings.Contains(r.Error, fmt.Sprintf("pid %d", cmd.Process.Pid)) {
		t.Errorf("interrupted run = %+v, %v", r, err)
	}
	if n, err := s.Prune(ctx, t0.Add(time.Hour)); err != nil || n != 1 {
		t.Errorf("Prune of the interrupted run = %d, %v", n, err)
	}
}
