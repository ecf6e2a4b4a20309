package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hooksim/hooksim/cmd/hooksim/internal/examplehook"
)

// TestFullDiskKeepsTheTranscript: a run whose history cannot grow (a file
// size limit, as a full disk does it: writes fail with EFBIG) still
// prints every session's transcript, the summary and the runs it did
// record, says how many it did not, and exits 3 naming the error; the
// runs it recorded read back.
func TestFullDiskKeepsTheTranscript(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("needs bash for ulimit")
	}
	h := hookWith(t, examplehook.Options{})
	db := filepath.Join(t.TempDir(), "h.db")
	mustRun(t, filepath.Dir(db), "run", "--db", db, "--no-expect", "--url", h, "bundled:hello")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// 150 KiB per file: the 12 bundled sessions write about 250 KiB more
	// to a database of about 75 KiB, so the database or its write-ahead
	// log outgrows the limit whenever the checkpoints come.
	args := []string{"-c", `ulimit -f 150; exec "$0" "$@"`, os.Args[0], "run", "--db", db, "--url", h, "--stages", "all"}
	cmd := exec.CommandContext(ctx, "bash", args...)
	cmd.Env = append(os.Environ(), "HOOKSIM_TEST_MAIN=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != exitRuntime {
		t.Fatalf("exit %v, want %d\n%s\n%s", err, exitRuntime, stdout.String(), stderr.String())
	}
	out := stdout.String()
	if n := strings.Count(out, "== ") / 2; n != 12 {
		t.Errorf("%d sessions in the transcript, want 12:\n%s", n, out)
	}
	for _, want := range []string{"12 sessions played", "recorded as run #2", "not recorded (see the error below)"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(stderr.String(), "file too large") {
		t.Errorf("stderr does not name the error: %s", stderr.String())
	}
	// The runs it says it recorded read back.
	last := regexp.MustCompile(`\(hooksim show --db \S+ (\d+)\)`).FindStringSubmatch(out)
	if last == nil {
		t.Fatalf("no show hint:\n%s", out)
	}
	if shown := mustRun(t, filepath.Dir(db), "show", "--db", db, last[1]); !strings.Contains(shown, "== ") {
		t.Errorf("show %s:\n%s", last[1], shown)
	}
}
