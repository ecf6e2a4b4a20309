package store

import (
	"errors"
	"fmt"

	"github.com/mattn/go-sqlite3"
)

// corruptError is a database file SQLite found damaged.
type corruptError struct {
	path string
	err  error
}

func (e *corruptError) Error() string {
	return fmt.Sprintf("store: %s is corrupt (%v): restore it from a copy, or move it away to start a new history", e.path, e.err)
}

func (e *corruptError) Unwrap() []error { return []error{ErrCorrupt, e.err} }

// isCorrupt reports SQLite's SQLITE_CORRUPT.
func isCorrupt(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && se.Code == sqlite3.ErrCorrupt
}

// check turns a SQLITE_CORRUPT error into one naming the file and
// wrapping ErrCorrupt; other errors are returned as they are.
func (s *Store) check(err error) error {
	var ce *corruptError
	if err == nil || errors.As(err, &ce) || !isCorrupt(err) {
		return err
	}
	return &corruptError{path: s.path, err: err}
}
