package hookconf

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Config is a loaded hook configuration: the hooks in the order Stalwart
// calls them, and warnings about things that load but may not do what the
// author expects.
type Config struct {
	Hooks    []*Hook
	Warnings []string
}

// Format is a configuration syntax.
type Format string

// The configuration syntaxes Parse understands.
const (
	FormatJSON Format = "json" // Stalwart 0.16 MtaHook objects
	FormatTOML Format = "toml" // Stalwart 0.15 and older [session.hook."<id>"] tables
)

// maxConfigSize bounds what Load reads; a hook configuration is small.
const maxConfigSize = 8 << 20

// Load reads a configuration file and parses it with Parse. Secrets are
// resolved through env (use OSEnv{} for the real environment).
func Load(ctx context.Context, path string, env Env) (*Config, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("hookconf: load %s: %w", path, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("hookconf: load %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("hookconf: load %s: not a regular file", path)
	}
	if fi.Size() > maxConfigSize {
		return nil, fmt.Errorf("hookconf: load %s: file is larger than %d bytes", path, maxConfigSize)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("hookconf: load %s: %w", path, err)
	}
	return Parse(filepath.Base(path), data, env)
}

// Parse reads a configuration: MtaHook JSON (one object or a list) or
// 0.15 TOML, chosen by the file's extension or else by its content. file
// names the configuration in errors and in each Hook.Source. The error,
// if any, is ConfigErrors listing every problem with its line and field.
func Parse(file string, data []byte, env Env) (*Config, error) {
	if env == nil {
		env = MapEnv{}
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	d := &diag{file: file}
	var hooks []*Hook
	switch DetectFormat(file, data) {
	case FormatJSON:
		hooks = parseJSONConfig(d, data, env)
	default:
		hooks = parseTOMLConfig(d, data, env)
	}
	if err := d.err(); err != nil {
		return nil, err
	}
	if len(hooks) == 0 {
		return nil, ConfigErrors{{File: file, Msg: "no hook is configured"}}
	}
	checkDuplicateIDs(d, hooks)
	if err := d.err(); err != nil {
		return nil, err
	}
	return &Config{Hooks: hooks, Warnings: d.warnings()}, nil
}

// DetectFormat picks the syntax of a configuration: by extension (.json,
// .toml), else JSON when the content starts with '{' or with '[' that is
// not a TOML table header.
func DetectFormat(file string, data []byte) Format {
	switch strings.ToLower(filepath.Ext(file)) {
	case ".json":
		return FormatJSON
	case ".toml":
		return FormatTOML
	}
	s := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(s) == 0 {
		return FormatJSON
	}
	switch s[0] {
	case '{':
		return FormatJSON
	case '[':
		rest := bytes.TrimLeft(s[1:], " \t\r\n")
		if len(rest) == 0 {
			return FormatJSON
		}
		c := rest[0]
		if c == '{' || c == ']' || c == '"' && !isTOMLHeader(rest) {
			return FormatJSON
		}
		return FormatTOML
	}
	return FormatTOML
}

// isTOMLHeader tells `["quoted".key]` (TOML) from `["a", ...]` (JSON).
func isTOMLHeader(rest []byte) bool {
	end := bytes.IndexByte(rest[1:], '"')
	if end < 0 {
		return false
	}
	after := bytes.TrimLeft(rest[end+2:], " \t")
	return len(after) > 0 && (after[0] == '.' || after[0] == ']')
}

// checkDuplicateIDs refuses two hooks with the same id: transcripts and
// reports name hooks by id.
func checkDuplicateIDs(d *diag, hooks []*Hook) {
	seen := map[string]string{}
	for _, h := range hooks {
		if prev, ok := seen[h.ID]; ok {
			line := 0
			if i := strings.LastIndexByte(h.Source, ':'); i >= 0 {
				line, _ = strconv.Atoi(h.Source[i+1:]) // 0 when unknown
			}
			d.errorf(line, "", "hook id %q is used twice (first at %s)", h.ID, prev)
			continue
		}
		seen[h.ID] = h.Source
	}
}
