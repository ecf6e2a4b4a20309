package store

import "errors"

// ErrNotFound is returned (wrapped) when a run or an exchange does not exist.
var ErrNotFound = errors.New("store: not found")
