package sessions

import (
	"embed"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// bundledFS holds the example sessions and their messages.
//
//go:embed bundled/*.yaml bundled/*.eml
var bundledFS embed.FS

// BundledNames lists the names of the embedded example sessions, sorted.
// A session's name is its file name without the .yaml extension.
func BundledNames() []string {
	entries, err := fs.ReadDir(bundledFS, "bundled")
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".yaml"); ok && !e.IsDir() {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// BundledSource returns the YAML text of an embedded session, so that a
// user can copy it as a template.
func BundledSource(name string) ([]byte, error) {
	if !validBundledName(name) {
		return nil, unknownBundled(name)
	}
	b, err := bundledFS.ReadFile(path.Join("bundled", name+".yaml"))
	if err != nil {
		return nil, unknownBundled(name)
	}
	return b, nil
}

// BundledByName parses one embedded session; its File is "bundled:NAME".
func BundledByName(name string) (*Session, error) {
	src, err := BundledSource(name)
	if err != nil {
		return nil, err
	}
	return Parse(bundledPrefix+name, src, readBundled)
}

// Bundled parses every embedded session, sorted by name.
func Bundled() ([]*Session, error) {
	names := BundledNames()
	out := make([]*Session, 0, len(names))
	for _, n := range names {
		s, err := BundledByName(n)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// readBundled reads a message of an embedded session.
func readBundled(p string) ([]byte, error) {
	return bundledFS.ReadFile(path.Join("bundled", path.Clean(filepath.ToSlash(p))))
}

// validBundledName refuses names that could reach outside the folder.
func validBundledName(name string) bool {
	return name != "" && !strings.ContainsAny(name, `/\`) && name != "." && name != ".."
}

// unknownBundled is the error for a name that is not embedded.
func unknownBundled(name string) *Error {
	return &Error{File: bundledPrefix + name, Msg: "no such bundled session (have: " + strings.Join(BundledNames(), ", ") + ")"}
}
