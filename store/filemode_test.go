package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// A new history, and the WAL files SQLite makes beside it, are the
// owner's alone: what hooks were sent is in them.
func TestNewDatabaseFileMode(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "sub", "h.db")
	st, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.CreateRun(context.Background(), &Run{SessionName: "x"}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(f)
		if err != nil {
			if f == path {
				t.Fatal(err)
			}
			continue
		}
		if m := fi.Mode().Perm(); m&0o077 != 0 {
			t.Errorf("%s has mode %v, want no access for group and others", filepath.Base(f), m)
		}
	}
}
