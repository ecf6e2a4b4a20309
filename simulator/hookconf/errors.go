package hookconf

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// ConfigError is one problem in a hook configuration, located by file, line
// and field so that a user can find and fix it.
type ConfigError struct {
	File  string // the file name as given to Parse or Load ("hooks.json")
	Line  int    // 1-based; 0 when unknown
	Field string // the field path ("hooks[1].stages"); empty for syntax errors
	Msg   string
}

// Error formats the problem as "file:line: field: message", leaving out the
// parts that are unknown.
func (e *ConfigError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(e.Line))
		}
		b.WriteString(": ")
	} else if e.Line > 0 {
		b.WriteString("line ")
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ConfigErrors is every problem found in one configuration, in file order.
// Parse reports all of them at once instead of stopping at the first.
type ConfigErrors []*ConfigError

// Error prints one problem per line.
func (es ConfigErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.As find each *ConfigError.
func (es ConfigErrors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// diag collects the errors and warnings of one parse.
type diag struct {
	file  string
	errs  ConfigErrors
	warns ConfigErrors
}

func (d *diag) errorf(line int, field, format string, args ...any) {
	d.errs = append(d.errs, &ConfigError{File: d.file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)})
}

func (d *diag) warnf(line int, field, format string, args ...any) {
	d.warns = append(d.warns, &ConfigError{File: d.file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// err returns the collected errors in line order, or nil.
func (d *diag) err() error {
	if len(d.errs) == 0 {
		return nil
	}
	sortByLine(d.errs)
	return d.errs
}

// warnings returns the warnings in line order.
func (d *diag) warnings() []string {
	sortByLine(d.warns)
	out := make([]string, len(d.warns))
	for i, w := range d.warns {
		out[i] = w.Error()
	}
	return out
}

func sortByLine(es ConfigErrors) {
	sort.SliceStable(es, func(i, j int) bool { return es[i].Line < es[j].Line })
}

// joinField appends a key to a field path ("" + "url" = "url").
func joinField(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}
