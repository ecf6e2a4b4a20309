package store

import (
	"errors"
	"path/filepath"
)

// DefaultPath is where the history lives when no --db is given:
// $XDG_DATA_HOME/hooksim/hooksim.db, else
// $HOME/.local/share/hooksim/hooksim.db. getenv is os.Getenv or a stand-in.
// A relative XDG_DATA_HOME is ignored, as the XDG spec requires.
func DefaultPath(getenv func(string) string) (string, error) {
	if d := getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "hooksim", "hooksim.db"), nil
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".local", "share", "hooksim", "hooksim.db"), nil
	}
	return "", errors.New("store: default database path: neither XDG_DATA_HOME nor HOME is set; use --db PATH")
}
