package web

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/hooksim/hooksim/store"
)

// recordChildEnv tells TestRecordChild what to record: "DB URL N".
const recordChildEnv = "HOOKSIM_WEB_RECORD_CHILD"

// TestRecordChild is the child process of TestPruneWhileStreaming: it
// records N plays of the hello session and prints "run ID" for each.
func TestRecordChild(t *testing.T) {
	spec := os.Getenv(recordChildEnv)
	if spec == "" {
		t.Skip("only runs as the child of TestPruneWhileStreaming")
	}
	f := strings.Fields(spec)
	n, _ := strconv.Atoi(f[2])
	for i := 0; i < n; i++ {
		fmt.Println("run", record(t, f[0], f[1], "hello", ""))
	}
}

// recordElsewhere records n runs in another process and returns their ids.
func recordElsewhere(t *testing.T, db, url string, n int) []int64 {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestRecordChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %s %d", recordChildEnv, db, url, n))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("recording child: %v\n%s%s", err, out, stderr.String())
	}
	var ids []int64
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if id, ok := strings.CutPrefix(sc.Text(), "run "); ok {
			n, _ := strconv.ParseInt(id, 10, 64)
			ids = append(ids, n)
		}
	}
	if len(ids) != n {
		t.Fatalf("child recorded %d runs, want %d:\n%s", len(ids), n, out)
	}
	return ids
}

// TestPruneWhileStreaming: runs recorded by another process right after a
// prune of every run (within one poll of the web view's tail) reach every
// websocket client, whole: run-started, five exchanges, run-finished, and
// no run id is given twice.
func TestPruneWhileStreaming(t *testing.T) {
	t.Parallel()
	ts := startServer(t, func(c *Config) { c.PollInterval = 300 * time.Millisecond })
	hook := newTestHook(t, "", "accept")
	var clients []*websocket.Conn
	for i := 0; i < 2; i++ {
		c := ts.dial(t, -1)
		if hello := readEvent(t, c, 5*time.Second); hello.Type != evHello {
			t.Fatalf("first event = %+v", hello)
		}
		clients = append(clients, c)
	}
	pruner, err := store.Open(context.Background(), ts.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer pruner.Close()
	given := map[int64]int{}
	for round := 0; round < 3; round++ {
		if round > 0 {
			n, err := pruner.Prune(context.Background(), time.Now().Add(time.Hour))
			if err != nil || n != 2 {
				t.Fatalf("round %d: prune = %d, %v; want the 2 runs of the last round", round, n, err)
			}
		}
		ids := recordElsewhere(t, ts.dbPath, hook.URL, 2)
		for _, id := range ids {
			given[id]++
			if given[id] > 1 {
				t.Errorf("run id %d given twice", id)
			}
		}
		for ci, c := range clients {
			evs := readUntil(t, c, evRunFinished, ids[len(ids)-1], 10*time.Second)
			for _, id := range ids {
				var started, exchanges, finished int
				for _, ev := range evs {
					switch {
					case ev.Type == evRunStarted && ev.Run.ID == id:
						started++
					case ev.Type == evExchange && ev.Exchange.RunID == id:
						exchanges++
					case ev.Type == evRunFinished && ev.Run.ID == id:
						finished++
					}
				}
				if started != 1 || exchanges != 5 || finished != 1 {
					t.Errorf("round %d, client %d, run %d: %d run-started, %d exchanges, %d run-finished; want 1, 5, 1",
						round, ci, id, started, exchanges, finished)
				}
			}
		}
	}
}
