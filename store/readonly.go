package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"syscall"
)

// OpenExisting opens the database at path for commands that only read
// it (runs, show, serve). Unlike Open it never creates anything: a
// missing file, or a missing directory, is an error wrapping
// fs.ErrNotExist. When this process may write the file and its directory
// it is Open (the schema is upgraded and runs left by dead recorders are
// marked interrupted). Otherwise the store is read-only: SQLite's
// mode=ro, which reads a WAL database when its -shm and -wal files exist
// or can be made, else immutable=1, which is safe because then no process
// can be writing it (a writer needs those files). A read-only store
// refuses writes with ErrReadOnly, and one whose schema is older than this
// build with a message saying to open it once with write access.
func OpenExisting(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("store: open: empty database path")
	}
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("store: open %s: directory %s: %w", path, dir, err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("store: open %s: %s is not a directory", path, dir)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("store: open %s: is a directory", path)
	}
	if syscall.Access(path, 2) == nil && syscall.Access(dir, 2) == nil { // W_OK
		return Open(ctx, path)
	}
	return openReadOnly(ctx, path)
}

// readOnlyDSN is the DSN of a read-only connection: mode=ro, or with
// immutable immutable=1 (no locks, no WAL).
func readOnlyDSN(path string, immutable bool) string {
	q := url.Values{}
	q.Set("_busy_timeout", fmt.Sprint(BusyTimeout))
	q.Set("_query_only", "true")
	q.Set("mode", "ro")
	if immutable {
		q.Set("immutable", "1")
	}
	return "file:" + escapePath(path) + "?" + q.Encode()
}

func openReadOnly(ctx context.Context, path string) (*Store, error) {
	r, err := tryReadOnly(ctx, path, false)
	if err != nil {
		// mode=ro needs the -shm file; in a directory it cannot write,
		// with no WAL left behind, nothing can be writing the database
		// and immutable=1 reads it as it is.
		if wal, werr := os.Stat(path + "-wal"); werr == nil && wal.Size() > 0 {
			return nil, openError(path, fmt.Errorf("read-only, with a write-ahead log (%s-wal) hooksim cannot read without write access to the directory: %w", path, err))
		} else if werr != nil && !errors.Is(werr, fs.ErrNotExist) {
			return nil, openError(path, werr)
		}
		var ierr error
		if r, ierr = tryReadOnly(ctx, path, true); ierr != nil {
			return nil, openError(path, ierr)
		}
	}
	ms, err := migrations()
	if err != nil {
		r.Close()
		return nil, err
	}
	have, err := userVersion(ctx, r)
	if err != nil {
		r.Close()
		return nil, openError(path, err)
	}
	if have > len(ms) {
		r.Close()
		return nil, openError(path, &versionError{have: have, know: len(ms)})
	}
	if have < len(ms) {
		r.Close()
		return nil, fmt.Errorf("store: open %s: database schema version %d is older than this hooksim (%d) and the file is read-only: run any hooksim command on it once with write access to upgrade it", path, have, len(ms))
	}
	return &Store{path: path, r: r, self: selfProcess(), readOnly: true}, nil
}

// tryReadOnly opens the read-only pool and reads the schema, so that a
// DSN that cannot read the file fails here.
func tryReadOnly(ctx context.Context, path string, immutable bool) (*sql.DB, error) {
	r := sql.OpenDB(connector{dsn: readOnlyDSN(path, immutable)})
	r.SetMaxOpenConns(maxReaders)
	r.SetMaxIdleConns(maxReaders)
	var n int
	if err := r.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&n); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// ReadOnly reports a store that OpenExisting opened read-only.
func (s *Store) ReadOnly() bool { return s.readOnly }
