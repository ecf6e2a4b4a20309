package store

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
)

// process names the process that records a run, so that another process
// can tell a run still being recorded from one whose recorder died
// (SIGKILL, a full disk, a power cut). It is read from Linux's /proc;
// where /proc is missing every field but PID and Host is empty, and
// nothing is ever judged dead.
type process struct {
	PID   int
	Start int64  // field 22 of /proc/PID/stat: clock ticks after boot
	NS    string // the /proc/self/ns/pid link, "pid:[4026531836]"
	Boot  string // /proc/sys/kernel/random/boot_id
	Host  string // os.Hostname
}

// selfProcess is the calling process.
func selfProcess() process {
	p := process{PID: os.Getpid()}
	p.Host, _ = os.Hostname()
	if start, _, ok := procStat(p.PID); ok {
		p.Start = start
	}
	p.NS, _ = os.Readlink("/proc/self/ns/pid")
	if b, err := os.ReadFile("/proc/sys/kernel/random/boot_id"); err == nil {
		p.Boot = strings.TrimSpace(string(b))
	}
	return p
}

// procStat reads the start time and state of process pid from
// /proc/PID/stat; ok is false when it cannot be read (no such process, or
// no /proc) and missing true when there is no such process.
func procStat(pid int) (start int64, state byte, ok bool) {
	start, state, ok, _ = procStatMissing(pid)
	return start, state, ok
}

func procStatMissing(pid int) (start int64, state byte, ok, missing bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		_, procErr := os.Stat("/proc/self/stat")
		return 0, 0, false, errors.Is(err, fs.ErrNotExist) && procErr == nil
	}
	// "pid (comm) state ppid ...": comm may hold spaces and parentheses,
	// so the fields start after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, false, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return 0, 0, false, false
	}
	start, err = strconv.ParseInt(f[19], 10, 64) // field 22
	if err != nil {
		return 0, 0, false, false
	}
	return start, f[0][0], true, false
}

// gone reports whether the recorder of a run, as stored in its row, is
// known to be dead as seen from self: a run recorded by this host before
// its last boot, or by a process of this host, boot and pid namespace
// that no longer exists (or is a zombie, or is another process that
// reused its pid). A recorder on another host or in another pid
// namespace, or one self cannot look up, counts as alive: it is never
// marked interrupted from here. A run recorded before schema version 4
// names no recorder (pid 0): nothing about it can be read here, and gone
// says alive; Store.recorderGone judges it from the database's openers.
func (self process) gone(rec process) bool {
	switch {
	case rec.PID == 0:
		return false
	case rec.Host != self.Host:
		return false
	case rec.Boot != "" && self.Boot != "" && rec.Boot != self.Boot:
		return true
	case rec.Boot == "" || self.Boot == "" || rec.NS != self.NS:
		return false
	}
	start, state, ok, missing := procStatMissing(rec.PID)
	if !ok {
		return missing
	}
	return state == 'Z' || state == 'X' || start != rec.Start
}

// String names the process for messages: "pid 4242 on mx1".
func (p process) String() string {
	if p.PID == 0 {
		return "a hooksim from before schema version 4"
	}
	return fmt.Sprintf("pid %d on %s", p.PID, p.Host)
}
