package hookconf

import (
	"fmt"
	"os"
)

// Env is where secrets come from: environment variables and files. Tests
// pass a MapEnv; the CLI passes OSEnv.
type Env interface {
	LookupEnv(name string) (string, bool)
	ReadFile(path string) ([]byte, error)
}

// OSEnv reads the real process environment and file system.
type OSEnv struct{}

// LookupEnv returns the variable from the process environment.
func (OSEnv) LookupEnv(name string) (string, bool) { return os.LookupEnv(name) }

// ReadFile reads the file from disk.
func (OSEnv) ReadFile(path string) ([]byte, error) { return os.ReadFile(path) }

// MapEnv is an in-memory Env: Vars are the environment, Files map a path to
// its contents. A nil MapEnv has no variables and no files.
type MapEnv struct {
	Vars  map[string]string
	Files map[string]string
}

// LookupEnv returns Vars[name].
func (m MapEnv) LookupEnv(name string) (string, bool) {
	v, ok := m.Vars[name]
	return v, ok
}

// ReadFile returns Files[path] or an error saying it does not exist.
func (m MapEnv) ReadFile(path string) ([]byte, error) {
	v, ok := m.Files[path]
	if !ok {
		return nil, fmt.Errorf("hookconf: read %s: %w", path, os.ErrNotExist)
	}
	return []byte(v), nil
}
