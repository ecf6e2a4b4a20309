package recorder

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/store"
)

const killChildEnv = "HOOKSIM_RECORDER_KILL_CHILD"

// TestKillChild is the child of TestSIGKILLKeepsFlushedRuns: it plays the
// hello session forever and prints each run once Flush has returned.
func TestKillChild(t *testing.T) {
	path := os.Getenv(killChildEnv)
	if path == "" {
		t.Skip("only runs as the child of TestSIGKILLKeepsFlushedRuns")
	}
	ctx := context.Background()
	srv := hookServer(t)
	st, err := store.Open(ctx, path)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(3)
	}
	sess, err := sessions.BundledByName("hello")
	if err != nil {
		fmt.Println("error", err)
		os.Exit(3)
	}
	h, err := hookconf.FromFlags(hookconf.FlagSpec{URL: srv.URL, Stages: []string{"all"}})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(3)
	}
	rec := New(st, Options{})
	sim := simulator.New([]*hookconf.Hook{h}, rec)
	for {
		res, play := recordPlay(ctx, sim, rec, sess, simulator.Origin{})
		if err := rec.Flush(ctx); err != nil {
			fmt.Println("error", err)
			os.Exit(3)
		}
		id := play.RunID()
		if id == 0 {
			fmt.Println("error no run", rec.Err())
			os.Exit(3)
		}
		fmt.Println("committed", id, res.Exchanges)
		// Another play, not flushed, is under way when the kill comes.
	}
}

func TestSIGKILLKeepsFlushedRuns(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "killed.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), killChildEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	committed := map[int64]int{}
	sc := bufio.NewScanner(out)
	killed := false
	deadline := time.Now().Add(30 * time.Second)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) > 0 && f[0] == "error" {
			t.Fatalf("child: %s", sc.Text())
		}
		if len(f) == 3 && f[0] == "committed" {
			id, _ := strconv.ParseInt(f[1], 10, 64)
			n, _ := strconv.Atoi(f[2])
			committed[id] = n
		}
		if !killed && (len(committed) >= 20 || time.Now().After(deadline)) {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	cmd.Wait()
	if !killed || len(committed) == 0 {
		t.Fatalf("killed %v, %d runs committed\n%s", killed, len(committed), stderr.String())
	}
	ctx := context.Background()
	st, err := store.Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen after SIGKILL: %v", err)
	}
	defer st.Close()
	for id, n := range committed {
		run, err := st.GetRun(ctx, id)
		if err != nil {
			t.Fatalf("run %d: %v", id, err)
		}
		exs, err := st.Exchanges(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if run.Outcome != store.OutcomePassed || run.Exchanges != n || len(exs) != n || n == 0 {
			t.Errorf("run %d: outcome %s, %d exchanges stored, %d recorded; want passed and %d", id, run.Outcome, len(exs), run.Exchanges, n)
		}
	}
}
