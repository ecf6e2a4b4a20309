package store

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// procLocks is where Linux lists every file lock held on the machine,
// one a line: "1: POSIX  ADVISORY  READ 4242 fe:00:10002958 128 128"
// (kind, mode, access, owner pid as seen from the reader's pid namespace,
// device:inode, byte range); a request waiting for a lock has "->" after
// the number.
const procLocks = "/proc/locks"

// unnamedStaleAfter is how long a run whose recorder is unnamed (pid 0)
// must have been unchanged before it is taken as interrupted when the
// other openers of the database cannot be told: 24 hours.
const unnamedStaleAfter = 24 * time.Hour

// openers is what /proc/locks says about the processes that have the
// database open.
type openers struct {
	others bool // a process other than this one holds a lock on the database or its -shm file
	known  bool // false when the locks could not be read
}

// otherOpeners reports whether a process other than self holds a lock on
// the database file at path or on its WAL index (path-shm), as listed in
// the lock table locks (procLocks). SQLite in WAL mode, the only mode
// hooksim has ever used, keeps a shared lock on the -shm file's DMS byte
// (offset 128) and on the database file's shared range for as long as a
// connection is open, idle or not, and the kernel drops them when the
// process dies, whatever killed it: so "no other process holds a lock" means
// "no other process has the database open", and nothing can be recording
// into it. Locks are matched by inode only (a btrfs subvolume's device
// number in stat is not the one /proc/locks prints): a lock on another
// file with the same inode number counts as an opener, which errs on the
// side of leaving a run running. known is false when the files cannot be
// stat'ed or locks cannot be read (no /proc: not Linux).
func otherOpeners(locks, path string, self int) openers {
	inodes := map[string]bool{}
	for _, p := range []string{path, path + "-shm"} {
		if fi, err := os.Stat(p); err == nil {
			if st, ok := fi.Sys().(*syscall.Stat_t); ok {
				inodes[strconv.FormatUint(st.Ino, 10)] = true
			}
		}
	}
	if len(inodes) == 0 {
		return openers{}
	}
	f, err := os.Open(locks)
	if err != nil {
		return openers{}
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 1 && fields[1] == "->" {
			fields = append(fields[:1], fields[2:]...)
		}
		if len(fields) < 6 {
			continue
		}
		dev := fields[5]
		ino := dev[strings.LastIndexByte(dev, ':')+1:]
		if !inodes[ino] {
			continue
		}
		// An owner outside this pid namespace is shown as pid 0, an open
		// file description lock as -1: both are other processes.
		if pid, err := strconv.Atoi(fields[4]); err != nil || pid != self {
			return openers{others: true, known: true}
		}
	}
	if sc.Err() != nil {
		return openers{}
	}
	return openers{known: true}
}

// recorderGone reports whether the recorder rec of a run marked running,
// whose rows last changed at last, is gone, so that the run is
// interrupted.
//
// A recorder named in the row (schema version 4 on) is judged by its
// process (process.gone). A run recorded by a hooksim from before schema
// version 4 names none (pid 0), and may still be recorded by that older
// process, which does not mind the newer schema: its liveness cannot be
// read from the row. It is taken as gone only when no other process has
// the database open (otherOpeners: every SQLite connection holds locks on
// it while open, and a dead process holds none); while any does (the old
// recorder, or any other hooksim, a serve for instance), it stays running
// until an open that finds the database to itself. Where the lock table
// cannot be read, it is gone once unchanged for unnamedStaleAfter.
// known caches otherOpeners for one pass over the runs (nil: none).
func (s *Store) recorderGone(rec process, last time.Time, known **openers) bool {
	if rec.PID != 0 {
		return s.self.gone(rec)
	}
	var o openers
	if known != nil && *known != nil {
		o = **known
	} else {
		locks := s.locksPath
		if locks == "" {
			locks = procLocks
		}
		o = otherOpeners(locks, s.path, s.self.PID)
		if known != nil {
			*known = &o
		}
	}
	if o.known {
		return !o.others
	}
	return time.Since(last) >= unnamedStaleAfter
}
