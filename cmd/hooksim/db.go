package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hooksim/hooksim/store"
)

// dbFlags choose the history database.
type dbFlags struct {
	path     string
	noRecord bool
}

func (f *dbFlags) register(fs *flag.FlagSet, recordFlag bool) {
	fs.StringVar(&f.path, "db", "", "history database (default $XDG_DATA_HOME/hooksim/hooksim.db)")
	if recordFlag {
		fs.BoolVar(&f.noRecord, "no-record", false, "do not record this run in the history database")
	}
}

func (f *dbFlags) resolve(env *cliEnv) (string, error) {
	if f.path != "" {
		return f.path, nil
	}
	p, err := store.DefaultPath(func(k string) string { v, _ := env.getenv(k); return v })
	if err != nil {
		return "", fmt.Errorf("history database: %w (give --db PATH)", err)
	}
	return p, nil
}

func (f *dbFlags) open(ctx context.Context, env *cliEnv) (*store.Store, error) {
	p, err := f.resolve(env)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, p)
	if errors.Is(err, store.ErrReadOnly) {
		return nil, notWritable(p, "runs", "play")
	}
	return st, err
}

// notWritable is the error of a command that records into a history it
// cannot write: a usage error saying what to do instead. what is what
// would be recorded (runs, replays), verb what --no-record still does.
func notWritable(path, what, verb string) error {
	return usagef("%s is read-only to hooksim (it may not write the file or its directory), so the %s cannot be recorded "+
		"(add --no-record to %s without recording, or --db PATH to record elsewhere)", path, what, verb)
}

// openExisting opens the history for the commands that read it (runs,
// show, serve, export, replay, prune): a --db that names no file, or a
// file in a directory that does not exist, is a mistake (a typo), not a
// new empty history. A file or directory hooksim may not write is read
// read-only (store.OpenExisting). Only the default history is made on
// first use, as run makes it.
func (f *dbFlags) openExisting(ctx context.Context, env *cliEnv) (*store.Store, error) {
	p, err := f.resolve(env)
	if err != nil {
		return nil, err
	}
	if f.path == "" {
		if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
			return store.Open(ctx, p)
		}
	}
	st, err := store.OpenExisting(ctx, p)
	if errors.Is(err, os.ErrNotExist) {
		if _, derr := os.Stat(filepath.Dir(p)); errors.Is(derr, os.ErrNotExist) {
			return nil, usagef("--db %s: no such directory %s (hooksim run --db %s records a history there)", p, filepath.Dir(p), p)
		}
		return nil, usagef("--db %s: no such history database (hooksim run --db %s records one)", p, p)
	}
	return st, err
}

// openToWatch is openExisting for serve, which also watches a history
// that other processes are about to record: a --db naming a new file in
// an existing directory is made, a missing directory is an error.
func (f *dbFlags) openToWatch(ctx context.Context, env *cliEnv) (*store.Store, error) {
	p, err := f.resolve(env)
	if err != nil {
		return nil, err
	}
	if f.path != "" {
		if _, err := os.Stat(filepath.Dir(p)); errors.Is(err, os.ErrNotExist) {
			return nil, usagef("--db %s: no such directory %s (hooksim run --db %s records a history there)", p, filepath.Dir(p), p)
		}
		if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
			st, err := store.Open(ctx, p)
			if err == nil {
				// Said, so that a misspelled path does not pass for an
				// empty history.
				fmt.Fprintf(env.stderr, "hooksim: note: %s did not exist: it is a new, empty history; runs recorded there (hooksim run --db %s) appear live\n", p, p)
			}
			return st, err
		}
	}
	return f.openExisting(ctx, env)
}

// parseRunID reads a run id argument ("42" or "#42").
func parseRunID(s string) (int64, error) {
	id, err := strconv.ParseInt(strings.TrimPrefix(s, "#"), 10, 64)
	if err != nil || id <= 0 {
		return 0, usagef("%q is not a run id (see hooksim runs)", s)
	}
	return id, nil
}

// parseAge reads "7d", "36h", "90m" as a duration.
func parseAge(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 0 {
			return 0, usagef("%q is not an age (want e.g. 7d, 36h, 90m)", s)
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, usagef("%q is not an age (want e.g. 7d, 36h, 90m)", s)
	}
	return d, nil
}

// parseSince reads an age ("2h": since two hours ago) or a date/time.
func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := parseAge(s); err == nil {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, usagef("%q is neither an age (2h, 7d) nor a date (2026-11-25, 2026-11-25T14:00)", s)
}
