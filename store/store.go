package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/mattn/go-sqlite3"
)

// BusyTimeout is how long a connection waits for another process's lock
// before it gives up, in milliseconds.
const BusyTimeout = 10000

// maxReaders bounds the read-only connection pool.
const maxReaders = 4

// Store is an open history database. It is safe for concurrent use.
type Store struct {
	path string
	w    *sql.DB // the one writer connection
	r    *sql.DB // read-only connections
	cp   *checkpointer
	// dc is the writer connection as go-sqlite3's, with the writer's
	// statements; only Tx.raw touches it.
	dc driverConn
	// blobs are the blob ids the writer knows by content.
	blobs blobCache
	// self is this process, named in the runs it creates and judging the
	// runs others left running.
	self process
	// locksPath is the kernel's lock table read to tell whether other
	// processes have the database open (recorderGone); "" is procLocks.
	// Only tests set it.
	locksPath string
	// readOnly is a store opened by OpenExisting on a file or directory
	// it cannot write: w is nil and every write fails.
	readOnly bool

	closeOnce sync.Once
	closeErr  error
}

// Open opens the database at path, creating it (mode 0600) and its
// parent directory (mode 0700) when missing, and brings its schema up to date. A file that
// is not a SQLite database, or whose schema is newer than this binary
// knows, is refused with an error naming the path.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("store: open: empty database path")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("store: open %s: create directory: %w", path, err)
		}
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("store: open %s: is a directory", path)
	} else if err == nil && !writable(path) {
		// SQLite would open it read-only without a word and fail at the
		// first write: after a whole session was played for nothing.
		return nil, fmt.Errorf("store: open %s for writing: %w (hooksim cannot write the file)", path, ErrReadOnly)
	}
	createWithPageSize(ctx, path)
	// The writer never checkpoints: a checkpoint waits for fsync, which
	// can take long on some disks; the checkpointer does it beside it.
	w := sql.OpenDB(connector{dsn: dsn(path, false), init: "PRAGMA wal_autocheckpoint = 0"})
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	s := &Store{path: path, w: w, self: selfProcess()}
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, openError(path, err)
	}
	if err := migrate(ctx, w); err != nil {
		w.Close()
		return nil, openError(path, err)
	}
	r := sql.OpenDB(connector{dsn: dsn(path, true)})
	r.SetMaxOpenConns(maxReaders)
	r.SetMaxIdleConns(maxReaders)
	if err := r.PingContext(ctx); err != nil {
		w.Close()
		r.Close()
		return nil, openError(path, err)
	}
	s.r = r
	cp, err := startCheckpointer(ctx, path)
	if err != nil {
		w.Close()
		r.Close()
		return nil, openError(path, err)
	}
	s.cp = cp
	if _, err := s.RecoverInterrupted(ctx); err != nil {
		s.Close()
		return nil, openError(path, err)
	}
	return s, nil
}

// PageSize is the page size, in bytes, of the databases Open creates
// (SQLite's default is 4096). A recorded session is about 10 KB of rows
// spread over several tables and indexes, each commit rewriting the last
// page of each: with 16 KiB pages a commit writes fewer WAL frames (two
// write calls each, then copied again by the checkpoint) and splits fewer
// pages, which took 3 to 5% off a recorded `hooksim run`'s CPU
// (bench/README.md, stop 18). A database created before keeps its page
// size: SQLite changes it only by a VACUUM outside WAL mode.
const PageSize = 16384

// createWithPageSize gives a database that does not exist yet (or is
// an empty file) PageSize pages, which must be set before the first
// table and before WAL mode (the writer's connection turns WAL mode on
// as it opens, which fixes the page size). It is best effort: when it
// fails, the database gets SQLite's default page size, or the one another
// process creating it at the same moment gave it (SQLite then answers
// "database is locked" without waiting); the open that follows reports
// what really prevents opening the file.
func createWithPageSize(ctx context.Context, path string) {
	if fi, err := os.Stat(path); err == nil && fi.Size() > 0 {
		return
	}
	// The history holds what hooks were sent: the file is the owner's
	// alone (0600), and SQLite gives its -wal and -shm files the same
	// mode.
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		f.Close()
	}
	db := sql.OpenDB(connector{dsn: "file:" + escapePath(path)})
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA page_size = %d", PageSize)); err != nil {
		return
	}
	var mode string
	_ = conn.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode)
}

// openError wraps err with the path, explaining the common cases.
func openError(path string, err error) error {
	var se sqlite3.Error
	if errors.As(err, &se) && se.Code == sqlite3.ErrNotADB {
		return fmt.Errorf("store: open %s: not a hooksim database (the file is not SQLite or is corrupt): %w", path, err)
	}
	if isCorrupt(err) {
		return &corruptError{path: path, err: err}
	}
	if errors.As(err, &se) && se.Code == sqlite3.ErrReadonly {
		return fmt.Errorf("store: open %s for writing: %w (hooksim could not write the file or its directory; %v)", path, ErrReadOnly, err)
	}
	return fmt.Errorf("store: open %s: %w", path, err)
}

// dsn is the go-sqlite3 data source name for path with the settings every
// connection gets. Readers are query-only; the writer takes the write lock
// when its transaction begins, so it never has to upgrade a read lock.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Set("_busy_timeout", fmt.Sprint(BusyTimeout))
	q.Set("_foreign_keys", "on")
	q.Set("_synchronous", "NORMAL")
	if readOnly {
		q.Set("_query_only", "true")
	} else {
		q.Set("_journal_mode", "WAL")
		q.Set("_txlock", "immediate")
	}
	return "file:" + escapePath(path) + "?" + q.Encode()
}

// escapePath makes path safe inside a SQLite URI filename.
func escapePath(p string) string {
	r := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")
	return r.Replace(filepath.ToSlash(p))
}

// Close closes every connection; calling it again does nothing. Reads and
// writes fail afterwards.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.close() })
	return s.closeErr
}

func (s *Store) close() error {
	var errs []error
	if s.cp != nil {
		errs = append(errs, s.cp.stop())
	}
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil && s.dc.conn != nil {
		errs = append(errs, s.closeStatements())
	}
	if s.w != nil {
		errs = append(errs, s.w.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("store: close %s: %w", s.path, err)
	}
	return nil
}

// closeStatements finalizes the writer's statements on its connection.
func (s *Store) closeStatements() error {
	ctx := context.Background()
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		if dc != any(s.dc.conn) {
			return nil // the statements went with an older connection
		}
		return s.dc.close()
	})
}

// Path is the database file's path as given to Open.
func (s *Store) Path() string { return s.path }
