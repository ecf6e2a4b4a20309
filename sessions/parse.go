package sessions

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Defaults applied to every script that leaves the value out.
const (
	DefaultClientIP       = "192.0.2.25"
	DefaultClientPort     = 49152
	DefaultServerHostname = "mx.example.org"
	DefaultServerIP       = "192.0.2.10"
	DefaultServerPort     = 25
	// DefaultServerName is context.server.name: Stalwart sends its daemon
	// name and version, never the host name.
	DefaultServerName = "Stalwart v0.16.18"
	DefaultTLSVersion = "TLSv1.3"
	DefaultTLSCipher  = "TLS13_AES_256_GCM_SHA384"
	// DefaultEhlo is the EHLO name of an implied ehlo step when the
	// client has no PTR name.
	DefaultEhlo = "client.example.net"
	// ImplicitTLSPort is the port on which the connection is TLS from
	// the start (SMTPS).
	ImplicitTLSPort = 465
)

// bundledPrefix marks the File of an embedded session.
const bundledPrefix = "bundled:"

// extensionPrefix marks top-level keys the parser ignores, a place for
// YAML anchors shared by several steps ("x-ok: &ok {action: accept}").
const extensionPrefix = "x-"

// topKeys are the keys a script may have at its top level.
var topKeys = []string{"name", "description", "client", "server", "hooks", "imply", "steps", "data", "expect"}

// Parse reads the session script data, named file (used in errors and
// for the default name), validates it and fills in the defaults and the
// implied steps. readFile loads the messages of data steps; their paths
// are resolved relative to the directory of file. A nil readFile makes
// any data file an error. Every error returned is an *Error.
func Parse(file string, data []byte, readFile func(path string) ([]byte, error)) (*Session, error) {
	s, err := parse(file, data, readFile)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// ParseFile reads and parses the script at path; messages are read from
// the script's directory.
func ParseFile(ctx context.Context, path string) (*Session, error) {
	if err := ctx.Err(); err != nil {
		return nil, &Error{File: path, Msg: err.Error()}
	}
	data, err := readRegular(path, maxScriptBytes)
	if err != nil {
		return nil, &Error{File: path, Msg: fmt.Sprintf("read script: %v", err)}
	}
	return Parse(path, data, func(p string) ([]byte, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return readRegular(p, maxMessageBytes)
	})
}

// ParseSettingsFile reads a script for its client, server and hooks
// settings alone, as `hooksim smtp --session` takes them: like ParseFile,
// but a script without steps (or with an empty list) is allowed and gets
// a lone connect step; the steps it has are checked, not used.
func ParseSettingsFile(ctx context.Context, path string) (*Session, error) {
	if err := ctx.Err(); err != nil {
		return nil, &Error{File: path, Msg: err.Error()}
	}
	data, err := readRegular(path, maxScriptBytes)
	if err != nil {
		return nil, &Error{File: path, Msg: fmt.Sprintf("read script: %v", err)}
	}
	s, perr := parseWith(path, data, func(p string) ([]byte, error) { return readRegular(p, maxMessageBytes) }, true)
	if perr != nil {
		return nil, perr
	}
	return s, nil
}

// parse is Parse with a concrete error type.
func parse(file string, data []byte, readFile func(string) ([]byte, error)) (*Session, *Error) {
	return parseWith(file, data, readFile, false)
}

// parseWith is parse; settingsOnly allows a script without steps (it
// gets a connect step).
func parseWith(file string, data []byte, readFile func(string) ([]byte, error), settingsOnly bool) (*Session, *Error) {
	sum := sha256.Sum256(data)
	d := &decoder{file: file, budget: nodeBudget(len(data)), limit: nodeBudget(len(data))}
	root, yerr := unmarshal(file, data)
	if yerr != nil {
		return nil, yerr
	}
	s := &Session{File: file, Hash: hex.EncodeToString(sum[:]), Name: defaultName(file)}
	pairs, err := d.mapping(root, "", "a mapping (name, client, server, steps...)", nil)
	if err != nil {
		return nil, err
	}
	pairs = slices.DeleteFunc(pairs, func(p kv) bool { return strings.HasPrefix(p.key, extensionPrefix) })
	for _, p := range pairs {
		if !slices.Contains(topKeys, p.key) {
			return nil, d.errAt(p.keyN, "", "%s", unknownKeyMsg("key", p.key, topKeys))
		}
	}
	cs, _ := d.client(nil)
	ss, _ := d.server(nil)
	var stepsN, dataN, expectN, stepsKey, dataKey, expKN *yaml.Node
	for _, p := range pairs {
		switch p.key {
		case "name":
			v, err := d.scalar(p.value, "name")
			if err != nil {
				return nil, err
			}
			if strings.TrimSpace(v) == "" || hasControl(v) {
				return nil, d.errAt(p.value, "name", "%q is not a usable name", v)
			}
			s.Name = v
		case "description":
			if !isNull(p.value) {
				v, err := d.scalar(p.value, "description")
				if err != nil {
					return nil, err
				}
				s.Description = strings.TrimSpace(v)
			}
		case "client":
			if cs, err = d.client(p.value); err != nil {
				return nil, err
			}
		case "server":
			if ss, err = d.server(p.value); err != nil {
				return nil, err
			}
		case "hooks":
			if s.Hooks, err = d.hooks(p.value); err != nil {
				return nil, err
			}
		case "imply":
			v, err := d.boolean(p.value, "imply")
			if err != nil {
				return nil, err
			}
			s.NoImply = !v
		case "steps":
			stepsN, stepsKey = p.value, p.keyN
		case "data":
			dataN, dataKey = p.value, p.keyN
		case "expect":
			expectN, expKN = p.value, p.keyN
		}
	}
	sd := &stepDecoder{decoder: d, dir: filepath.Dir(scriptPath(file)), readFile: readFile}
	var items []item
	switch {
	case stepsN != nil && dataN != nil:
		return nil, d.errAt(dataKey, "data", "a script has either steps or a top-level data, not both")
	case settingsOnly && (stepsN == nil || (stepsN.Kind == yaml.SequenceNode && len(stepsN.Content) == 0)) && dataN == nil:
		items = []item{{step: Step{Kind: StepConnect}}}
	case stepsN != nil:
		if expectN != nil {
			return nil, d.errAt(expKN, "expect", "a top-level expect goes with a top-level data; put it on a step")
		}
		if items, err = sd.steps(stepsN); err != nil {
			return nil, err
		}
	case dataN != nil:
		it, err := sd.dataStep(dataKey, dataN, expKN, expectN, "data", "expect")
		if err != nil {
			return nil, err
		}
		items = []item{it}
	default:
		line := 0
		if stepsKey != nil {
			line = stepsKey.Line
		}
		return nil, &Error{File: file, Line: max(line, root.Line), Msg: "no steps: give steps or a top-level data"}
	}
	if err := normalise(d, s, cs, ss, items); err != nil {
		return nil, err
	}
	s.setOrigin(data, sd.files)
	return s, nil
}

// unmarshal parses the YAML text into its root node, turning syntax
// errors into *Error with the line yaml reports.
func unmarshal(file string, data []byte) (root *yaml.Node, e *Error) {
	defer func() {
		if r := recover(); r != nil {
			root, e = nil, &Error{File: file, Msg: fmt.Sprintf("invalid YAML: %v", r)}
		}
	}()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError(file, data, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, &Error{File: file, Msg: "empty script"}
	}
	return doc.Content[0], nil
}

// yamlLine finds the line number in yaml's error text; yamlAnchor the
// name of an undefined anchor, which yaml reports without a line.
var (
	yamlLine   = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
	yamlAnchor = regexp.MustCompile(`^yaml: unknown anchor '(.*)' referenced$`)
)

// yamlError converts a yaml.v3 syntax error.
func yamlError(file string, data []byte, err error) *Error {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{File: file, Line: line, Msg: "invalid YAML: " + m[2]}
	}
	e := &Error{File: file, Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
	if m := yamlAnchor.FindStringSubmatch(msg); m != nil {
		for i, l := range strings.Split(string(data), "\n") {
			if strings.Contains(l, "*"+m[1]) {
				e.Line = i + 1
				break
			}
		}
	}
	return e
}

// defaultName is the file name without directory and extension.
func defaultName(file string) string {
	if strings.HasPrefix(file, bundledPrefix) {
		return strings.TrimPrefix(file, bundledPrefix)
	}
	base := filepath.Base(file)
	base = strings.TrimSuffix(base, filepath.Ext(base))
	if base == "" || base == "." || base == string(filepath.Separator) {
		return "session"
	}
	return base
}

// scriptPath is the path messages are resolved against.
func scriptPath(file string) string {
	if strings.HasPrefix(file, bundledPrefix) {
		return "."
	}
	return file
}
