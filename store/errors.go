package store

import "errors"

// ErrNotFound is returned (wrapped) when a run or an exchange does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrCorrupt is returned (wrapped) when SQLite finds the database file
// damaged (SQLITE_CORRUPT, or PRAGMA quick_check reporting problems).
var ErrCorrupt = errors.New("store: database is corrupt")

// ErrReadOnly is returned (wrapped) by writes to a store that
// OpenExisting opened read-only.
var ErrReadOnly = errors.New("store: database is open read-only")
