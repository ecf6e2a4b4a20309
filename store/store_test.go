package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenMigratesFromEmpty(t *testing.T) {
	t.Parallel()
	s, path := openTemp(t)
	ctx := context.Background()
	if s.Path() != path {
		t.Errorf("Path() = %q, want %q", s.Path(), path)
	}
	var v int
	if err := s.r.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	if v != SchemaVersion() || v < 1 {
		t.Errorf("user_version = %d, want %d", v, SchemaVersion())
	}
	var mode string
	if err := s.w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal", mode)
	}
	var pageSize int
	if err := s.r.QueryRowContext(ctx, "PRAGMA page_size").Scan(&pageSize); err != nil || pageSize != PageSize {
		t.Errorf("page_size = %d (%v), want %d", pageSize, err, PageSize)
	}
	var fk int
	if err := s.r.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Errorf("reader foreign_keys = %d (%v), want 1", fk, err)
	}
	for _, table := range []string{"runs", "step_lists", "exchanges", "messages"} {
		var n int
		if err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?", table).Scan(&n); err != nil || n != 1 {
			t.Errorf("table %s: count %d, err %v", table, n, err)
		}
	}
	fi, err := os.Stat(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("parent directory mode %v, want 0700", fi.Mode().Perm())
	}
	// Readers cannot write.
	if _, err := s.r.ExecContext(ctx, "DELETE FROM runs"); err == nil {
		t.Error("a reader connection could write")
	}
}

func TestReopenKeepsData(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, path := openTemp(t)
	id, err := s.CreateRun(ctx, &Run{SessionName: "hello", Started: t0, Script: []byte("name: hello\n")})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, Batch{Exchanges: []Exchange{testExchange(id, 1, 1)}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s2.Close()
	r, err := s2.GetRun(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if r.SessionName != "hello" || string(r.Script) != "name: hello\n" || !r.Started.Equal(t0) {
		t.Errorf("run after reopen = %+v", r)
	}
	if _, err := s2.Exchange(ctx, id, 1); err != nil {
		t.Errorf("exchange after reopen: %v", err)
	}
}

// A database made before PageSize (SQLite's default 4096), or by another
// tool, keeps its page size and opens, migrates and records as before; so
// does an empty file (touch hooksim.db), which gets PageSize.
func TestOpenKeepsPageSizeOfExistingDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	old := filepath.Join(dir, "old.db")
	db, err := sql.Open("sqlite3", "file:"+old+"?_journal_mode=WAL")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA page_size = 4096; CREATE TABLE t (x); DROP TABLE t"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]int{old: 4096, empty: PageSize} {
		s, err := Open(ctx, path)
		if err != nil {
			t.Fatalf("Open %s: %v", path, err)
		}
		id, err := s.CreateRun(ctx, &Run{SessionName: "hello", Started: t0, Script: []byte("name: hello\n")})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Write(ctx, Batch{Exchanges: []Exchange{testExchange(id, 1, 1)}}); err != nil {
			t.Fatal(err)
		}
		var got int
		if err := s.r.QueryRowContext(ctx, "PRAGMA page_size").Scan(&got); err != nil || got != want {
			t.Errorf("%s: page_size = %d (%v), want %d", filepath.Base(path), got, err, want)
		}
		if _, err := s.Exchange(ctx, id, 1); err != nil {
			t.Errorf("%s: exchange: %v", filepath.Base(path), err)
		}
		s.Close()
	}
}

func TestOpenRefuses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name    string
		prepare func(t *testing.T, path string)
		want    string
	}{
		{
			name: "newer schema",
			prepare: func(t *testing.T, path string) {
				db, err := sql.Open("sqlite3", path)
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				if _, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion()+1)); err != nil {
					t.Fatal(err)
				}
			},
			want: fmt.Sprintf("database schema version %d is newer than this hooksim (%d); upgrade hooksim", SchemaVersion()+1, SchemaVersion()),
		},
		{
			name: "not sqlite",
			prepare: func(t *testing.T, path string) {
				junk := []byte(strings.Repeat("this is not a database\n", 300))
				if err := os.WriteFile(path, junk, 0o600); err != nil {
					t.Fatal(err)
				}
			},
			want: "not a hooksim database",
		},
		{
			name: "corrupt header",
			prepare: func(t *testing.T, path string) {
				s, err := Open(ctx, path)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := s.CreateRun(ctx, &Run{SessionName: "x"}); err != nil {
					t.Fatal(err)
				}
				s.Close()
				b, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				for i := 0; i < 100 && i < len(b); i++ {
					b[i] ^= 0x5a
				}
				os.Remove(path + "-wal")
				os.Remove(path + "-shm")
				if err := os.WriteFile(path, b, 0o600); err != nil {
					t.Fatal(err)
				}
			},
			want: "not a hooksim database",
		},
		{
			name: "directory",
			prepare: func(t *testing.T, path string) {
				if err := os.Mkdir(path, 0o700); err != nil {
					t.Fatal(err)
				}
			},
			want: "is a directory",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "h.db")
			tc.prepare(t, path)
			s, err := Open(ctx, path)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "store: open "+path+": ") || !strings.Contains(msg, tc.want) {
				t.Errorf("error = %q, want prefix %q and %q", msg, "store: open "+path+": ", tc.want)
			}
		})
	}
	if _, err := Open(ctx, ""); err == nil {
		t.Error("Open(\"\") succeeded")
	}
}

func TestNewerSchemaLeavesFileAlone(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "h.db")
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE future (x); PRAGMA user_version = 9"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(context.Background(), path); err == nil {
		t.Fatal("Open succeeded")
	}
	db, err = sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM sqlite_schema WHERE name = 'runs'").Scan(&n); err != nil || n != 0 {
		t.Errorf("runs table created in a newer database (n=%d, err=%v)", n, err)
	}
}

func TestDefaultPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		want    string
		wantErr bool
	}{
		{"xdg", map[string]string{"XDG_DATA_HOME": "/x/data", "HOME": "/home/u"}, "/x/data/hooksim/hooksim.db", false},
		{"home", map[string]string{"HOME": "/home/u"}, "/home/u/.local/share/hooksim/hooksim.db", false},
		{"relative xdg ignored", map[string]string{"XDG_DATA_HOME": "rel", "HOME": "/home/u"}, "/home/u/.local/share/hooksim/hooksim.db", false},
		{"nothing", map[string]string{}, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := DefaultPath(func(k string) string { return tc.env[k] })
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("DefaultPath = %q, %v; want %q (error %v)", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	s, _ := openTemp(t)
	ctx := context.Background()
	if _, err := s.GetRun(ctx, 42); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetRun(42) error = %v, want ErrNotFound", err)
	}
	if _, err := s.Exchange(ctx, 42, 1); !errors.Is(err, ErrNotFound) {
		t.Errorf("Exchange(42, 1) error = %v, want ErrNotFound", err)
	}
	if err := s.FinishRun(ctx, 42, t0, OutcomePassed, 0, 0, ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("FinishRun(42) error = %v, want ErrNotFound", err)
	}
	// Rows of a run that does not exist violate the foreign key.
	if err := s.Write(ctx, Batch{Exchanges: []Exchange{testExchange(42, 1, 1)}}); err == nil {
		t.Error("Write for a missing run succeeded")
	}
}
