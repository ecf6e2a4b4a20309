//go:build unix

package store

import "syscall"

// writable reports whether this process may write the file at path, as
// access(2) with W_OK says (the permissions of the real uid, a read-only
// mount).
func writable(path string) bool {
	const wOK = 2 // W_OK
	return syscall.Access(path, wOK) == nil
}
