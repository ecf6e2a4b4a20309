package store

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
)

// killChildEnv names the database a child process writes to until killed.
const killChildEnv = "HOOKSIM_STORE_KILL_CHILD"

// TestKillChild is the child of TestSIGKILLLeavesCommittedExchanges: it
// writes exchanges forever and prints each seq once Write has returned.
func TestKillChild(t *testing.T) {
	path := os.Getenv(killChildEnv)
	if path == "" {
		t.Skip("only runs as the child of TestSIGKILLLeavesCommittedExchanges")
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
	for seq := 1; ; seq++ {
		if err := s.Write(ctx, Batch{Exchanges: []Exchange{testExchange(id, 0, seq)}}); err != nil {
			fmt.Println("error", err)
			os.Exit(3)
		}
		fmt.Println("committed", seq)
	}
}

func TestSIGKILLLeavesCommittedExchanges(t *testing.T) {
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
	var runID int64
	committed := map[int]bool{}
	sc := bufio.NewScanner(out)
	killed := false
	deadline := time.Now().Add(30 * time.Second)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 2 && f[0] == "run":
			runID, _ = strconv.ParseInt(f[1], 10, 64)
		case len(f) == 2 && f[0] == "committed":
			n, _ := strconv.Atoi(f[1])
			committed[n] = true
		case len(f) > 0 && f[0] == "error":
			t.Fatalf("child: %s", sc.Text())
		}
		if !killed && (len(committed) >= 300 || time.Now().After(deadline)) {
			// Kill it mid-write; the lines already printed still count.
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	err = cmd.Wait()
	if !killed {
		t.Fatalf("child ended on its own: %v\n%s", err, stderr.String())
	}
	if len(committed) == 0 || runID == 0 {
		t.Fatalf("child committed nothing (run %d)\n%s", runID, stderr.String())
	}
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("reopen after SIGKILL: %v", err)
	}
	defer s.Close()
	ex, err := s.Exchanges(context.Background(), runID)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[int]Exchange{}
	for _, e := range ex {
		stored[e.Seq] = e
	}
	for seq := range committed {
		e, ok := stored[seq]
		if !ok {
			t.Errorf("exchange %d was committed but is missing", seq)
			continue
		}
		want := testExchange(runID, 0, seq)
		if !bytes.Equal(e.RequestBody, want.RequestBody) || !bytes.Equal(e.ResponseBody, want.ResponseBody) {
			t.Errorf("exchange %d differs after SIGKILL", seq)
		}
	}
	var check string
	if err := s.r.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check = %q, %v", check, err)
	}
	t.Logf("%d exchanges committed before SIGKILL, %d stored", len(committed), len(stored))
}
