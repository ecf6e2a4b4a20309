package hookconf

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/BurntSushi/toml"

	"github.com/hooksim/hooksim/simulator/wire"
)

// tomlParse is the state of one 0.15 TOML configuration parse.
type tomlParse struct {
	d     *diag
	lines tomlLines
	env   Env
}

// tomlID quotes a hook id for a field path when it is not a bare key.
func tomlID(id string) string {
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return strconv.Quote(id)
		}
	}
	if id == "" {
		return `""`
	}
	return id
}

// parseTOMLConfig reads [session.hook."<id>"] tables. Hooks come in the
// order Stalwart 0.15 loaded them: its configuration is a sorted map of
// flattened keys and it listed hooks by their "session.hook.<id>.url" key,
// so the order is by id (byte order of "<id>.url"), not file order.
func parseTOMLConfig(d *diag, data []byte, env Env) []*Hook {
	if !utf8.Valid(data) {
		d.errorf(0, "", "invalid TOML: the file is not UTF-8")
		return nil
	}
	src := string(data)
	var root map[string]any
	if _, err := toml.Decode(src, &root); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			d.errorf(pe.Position.Line, "", "invalid TOML: %s", pe.Message)
		} else {
			d.errorf(0, "", "invalid TOML: %v", err)
		}
		return nil
	}
	tp := &tomlParse{d: d, lines: scanTOMLLines(src), env: env}
	session, _ := root["session"].(map[string]any)
	hooksAny, ok := session["hook"]
	if !ok {
		d.errorf(0, "", "no hook found: expected [session.hook.\"<id>\"] tables (Stalwart 0.15) or MtaHook JSON (0.16)")
		return nil
	}
	hooks, ok := hooksAny.(map[string]any)
	if !ok {
		d.errorf(tp.lines.line("session", "hook"), "session.hook", "must be a table of hooks ([session.hook.\"<id>\"])")
		return nil
	}
	ids := make([]string, 0, len(hooks))
	for id := range hooks {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i]+".url" < ids[j]+".url" })
	var out []*Hook
	for _, id := range ids {
		field := "session.hook." + tomlID(id)
		t, ok := hooks[id].(map[string]any)
		if !ok {
			d.errorf(tp.lines.line("session", "hook", id), field, "must be a table")
			continue
		}
		if h := tp.hook(id, t, field); h != nil {
			out = append(out, h)
		}
	}
	return out
}

func (tp *tomlParse) line(id string, key ...string) int {
	return tp.lines.line(append([]string{"session", "hook", id}, key...)...)
}

func (tp *tomlParse) hook(id string, t map[string]any, field string) *Hook {
	d := tp.d
	before := len(d.errs)
	f := func(k string) string { return field + "." + k }
	h := &Hook{
		ID:              id,
		Stages:          StageSet{wire.StageData: true},
		Timeout:         DefaultTimeout,
		TempFailOnError: true,
		MaxResponseSize: DefaultMaxResponseSize,
		Auth:            HTTPAuth{Kind: AuthNone},
		Source:          fmt.Sprintf("%s:%d", d.file, tp.line(id)),
	}
	known := []string{"enable", "url", "timeout", "allow-invalid-certs", "stages", "headers", "options", "auth"}
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch k {
		case "enable", "url", "timeout", "allow-invalid-certs", "stages", "headers":
		case "options":
			tp.subKeys(id, t[k], f(k), "options", "tempfail-on-error", "max-response-size")
		case "auth":
			tp.subKeys(id, t[k], f(k), "auth", "username", "secret")
		default:
			msg := "unknown key ignored by Stalwart 0.15"
			if s := suggestKey(k, known); s != "" {
				msg += fmt.Sprintf(": did you mean %q?", s)
			}
			d.warnf(tp.line(id, k), f(k), "%s", msg)
		}
	}

	// url (0.15 only loads hooks that have one)
	if v, ok := t["url"]; !ok {
		d.errorf(tp.line(id), f("url"), "url is required (Stalwart 0.15 silently skips a hook table without url)")
	} else if s, ok := tp.str(id, v, f("url"), "url"); ok {
		if u, err := checkURL(s); err != nil {
			d.errorf(tp.line(id, "url"), f("url"), "%v", err)
		} else {
			h.URL = u
		}
	}

	// enable: default false in 0.15
	if v, ok := t["enable"]; ok {
		if e := tp.enable(id, v, f("enable")); e != nil {
			h.Enable = e
		}
	} else {
		h.Enable = ConstExpression(false)
		d.warnf(tp.line(id), f("enable"), "enable is not set: Stalwart 0.15 defaults it to false, so this hook never runs (add enable = true)")
	}

	if v, ok := t["timeout"]; ok {
		line := tp.line(id, "timeout")
		switch x := v.(type) {
		case int64:
			if x <= 0 {
				d.errorf(line, f("timeout"), "must be greater than zero")
			} else if dur, err := durationFromMillis(uint64(x)); err != nil {
				d.errorf(line, f("timeout"), "%v", err)
			} else {
				h.Timeout = dur
			}
		case string:
			if dur, err := parseDuration(x, true); err != nil {
				d.errorf(line, f("timeout"), "%v", err)
			} else {
				h.Timeout = dur
			}
		default:
			d.errorf(line, f("timeout"), "must be a duration such as \"30s\", not %s", tomlType(v))
		}
	}
	if v, ok := t["allow-invalid-certs"]; ok {
		h.AllowInvalidCerts = tp.boolean(v, tp.line(id, "allow-invalid-certs"), f("allow-invalid-certs"), false)
	}
	if v, ok := t["stages"]; ok {
		if s := tp.stages(id, v, f("stages")); s != nil {
			h.Stages = s
		}
	}
	if opts, ok := t["options"].(map[string]any); ok {
		if v, ok := opts["tempfail-on-error"]; ok {
			h.TempFailOnError = tp.boolean(v, tp.line(id, "options", "tempfail-on-error"), f("options.tempfail-on-error"), true)
		}
		if v, ok := opts["max-response-size"]; ok {
			line := tp.line(id, "options", "max-response-size")
			if n, ok := tomlUint(v); ok {
				h.MaxResponseSize = n
			} else {
				d.errorf(line, f("options.max-response-size"), "must be a whole, non-negative number of bytes")
			}
		}
	}
	if auth, ok := t["auth"].(map[string]any); ok {
		u, hasU := auth["username"]
		s, hasS := auth["secret"]
		switch {
		case hasU && hasS:
			user, ok1 := tp.str(id, u, f("auth.username"), "auth", "username")
			secret, ok2 := tp.str(id, s, f("auth.secret"), "auth", "secret")
			if ok1 && ok2 {
				h.Auth = HTTPAuth{Kind: AuthBasic, Username: user, Secret: secret}
			}
		case hasU || hasS:
			d.warnf(tp.line(id, "auth"), f("auth"), "ignored: Stalwart 0.15 sends Basic authentication only when both auth.username and auth.secret are set")
		}
	}
	if v, ok := t["headers"]; ok {
		h.HTTPHeaders = tp.headers(id, v, f("headers"), h.Auth.Kind != AuthNone)
	}
	if len(d.errs) > before {
		return nil
	}
	return h
}

// subKeys warns about unknown keys of a sub-table such as options or auth.
func (tp *tomlParse) subKeys(id string, v any, field, table string, allowed ...string) {
	m, ok := v.(map[string]any)
	if !ok {
		tp.d.errorf(tp.line(id, table), field, "must be a table, not %s", tomlType(v))
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		found := false
		for _, a := range allowed {
			found = found || a == k
		}
		if !found {
			msg := "unknown key ignored by Stalwart 0.15"
			if table == "auth" && (k == "token" || k == "bearer-token") {
				msg = "ignored: Stalwart 0.15 hooks support only Basic authentication (auth.username and auth.secret); Bearer tokens came with 0.16's httpAuth"
			}
			tp.d.warnf(tp.line(id, table, k), field+"."+k, "%s", msg)
		}
	}
}

func tomlType(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case []any, []map[string]any:
		return "an array"
	case map[string]any:
		return "a table"
	}
	return fmt.Sprintf("%T", v)
}

func tomlUint(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, x >= 0
	case string:
		n, err := strconv.ParseUint(x, 10, 64)
		if err != nil || n > math.MaxInt64 {
			return 0, false
		}
		return int64(n), true
	}
	return 0, false
}

// str reads a string value and expands 0.15's %{env:NAME}% and
// %{file:path}% macros.
func (tp *tomlParse) str(id string, v any, field string, key ...string) (string, bool) {
	line := tp.line(id, key...)
	s, ok := v.(string)
	if !ok {
		tp.d.errorf(line, field, "must be a string, not %s", tomlType(v))
		return "", false
	}
	out, err := expandMacros(tp.env, s)
	if err != nil {
		tp.d.errorf(line, field, "%v%s", err, macroNote)
		return "", false
	}
	return out, true
}

// macroNote says what Stalwart 0.15 did with a macro it could not resolve.
const macroNote = " (Stalwart 0.15 logs this and loads the hook with a value that lacks the secret)"

// expandMacros resolves %{env:NAME}% and %{file:path}% the way Stalwart
// 0.15's configuration loader did (file contents are used as they are).
func expandMacros(env Env, s string) (string, error) {
	if !strings.Contains(s, "}%") {
		return s, nil
	}
	for _, class := range []string{"env", "file"} {
		start := "%{" + class + ":"
		if !strings.Contains(s, start) {
			continue
		}
		var b strings.Builder
		rest := s
		for {
			before, after, found := strings.Cut(rest, start)
			if !found {
				b.WriteString(rest)
				break
			}
			b.WriteString(before)
			loc, tail, ok := strings.Cut(after, "}%")
			if !ok {
				b.WriteString(start + after)
				break
			}
			switch class {
			case "env":
				v, ok := env.LookupEnv(loc)
				if !ok {
					return "", fmt.Errorf("environment variable %q (from %%{env:%s}%%) is not set", loc, loc)
				}
				b.WriteString(v)
			case "file":
				path := strings.TrimPrefix(loc, "//")
				data, err := env.ReadFile(path)
				if err != nil {
					return "", fmt.Errorf("cannot read %q (from %%{file:%s}%%): %v", path, loc, err)
				}
				if !utf8.Valid(data) {
					return "", fmt.Errorf("file %q (from %%{file:%s}%%) is not UTF-8", path, loc)
				}
				b.WriteString(string(data))
			}
			rest = tail
		}
		s = b.String()
	}
	return s, nil
}

// boolean reads a TOML boolean or the strings "true"/"false" (0.15 read
// every value as a string).
func (tp *tomlParse) boolean(v any, line int, field string, def bool) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		if x == "true" || x == "false" {
			return x == "true"
		}
	}
	tp.d.errorf(line, field, "must be true or false")
	return def
}

// stringList reads an array of strings or a single string.
func (tp *tomlParse) stringList(v any, line int, field string) ([]string, bool) {
	switch x := v.(type) {
	case string:
		return []string{x}, true
	case []any:
		out := make([]string, 0, len(x))
		for _, it := range x {
			s, ok := it.(string)
			if !ok {
				tp.d.errorf(line, field, "must be a list of strings, found %s", tomlType(it))
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	tp.d.errorf(line, field, "must be a list of strings, not %s", tomlType(v))
	return nil, false
}

func (tp *tomlParse) stages(id string, v any, field string) StageSet {
	line := tp.line(id, "stages")
	names, ok := tp.stringList(v, line, field)
	if !ok {
		return nil
	}
	set := StageSet{}
	bad := false
	for _, n := range names {
		st := wire.Stage(strings.ToLower(n)) // 0.15 lower-cased stage names
		if !st.Valid() {
			tp.d.errorf(line, field, "unknown stage %q (want %s)", n, stageNames())
			bad = true
			continue
		}
		set[st] = true
	}
	if bad {
		return nil
	}
	if len(set) == 0 {
		tp.d.warnf(line, field, "empty: Stalwart 0.15 then runs the hook at the data stage only")
		set[wire.StageData] = true
	}
	warnStages(tp.d, line, field, set, true)
	return set
}

func (tp *tomlParse) headers(id string, v any, field string, hasAuth bool) []HeaderField {
	line := tp.line(id, "headers")
	items, ok := tp.stringList(v, line, field)
	if !ok {
		return nil
	}
	var out []HeaderField
	for _, raw := range items {
		s, err := expandMacros(tp.env, raw)
		if err != nil {
			tp.d.errorf(line, field, "%v%s", err, macroNote)
			continue
		}
		name, val, found := strings.Cut(s, ":")
		if !found {
			tp.d.errorf(line, field, "invalid header %q: expected \"Name: value\"", s)
			continue
		}
		name, val = trimSpace(name), trimSpace(val)
		if err := checkHeaderName(name); err != nil {
			tp.d.errorf(line, field, "%v", err)
			continue
		}
		if err := checkHeaderValue(val); err != nil {
			tp.d.errorf(line, field, "%v", err)
			continue
		}
		if strings.EqualFold(name, "content-type") {
			tp.d.warnf(line, field, "Content-Type is ignored: Stalwart 0.15 sets Content-Type: application/json after the custom headers")
			continue
		}
		if w := reservedHeaderWarning(name, hasAuth); w != "" {
			tp.d.warnf(line, field, "%s: %s", name, w)
		}
		out = setHeader(out, HeaderField{Name: name, Value: val})
	}
	return out
}

// enable reads a boolean, an expression string, or 0.15's list form
// [{if = "...", then = "..."}, {else = "..."}].
func (tp *tomlParse) enable(id string, v any, field string) Expression {
	d := tp.d
	line := tp.line(id, "enable")
	switch x := v.(type) {
	case bool:
		return ConstExpression(x)
	case string:
		e, err := ParseExpression(x)
		if err != nil {
			d.errorf(line, field, "%s", exprErrMsgFor(err, legacyFallbackNote))
			return nil
		}
		return e
	case []map[string]any:
		items := make([]any, len(x))
		for i, m := range x {
			items[i] = m
		}
		return tp.enableList(items, line, field)
	case []any:
		return tp.enableList(x, line, field)
	}
	d.errorf(line, field, "must be true, false, an expression string or a list of {if, then} and {else} tables, not %s", tomlType(v))
	return nil
}

func (tp *tomlParse) enableList(items []any, line int, field string) Expression {
	d := tp.d
	var conds []Condition
	elseSrc, hasElse := "", false
	for i, it := range items {
		f := fmt.Sprintf("%s[%d]", field, i)
		m, ok := it.(map[string]any)
		if !ok {
			d.errorf(line, f, "must be a table {if = \"...\", then = \"...\"} or {else = \"...\"}")
			return nil
		}
		get := func(k string) (string, bool) {
			v, ok := m[k]
			if !ok {
				return "", false
			}
			s, ok := v.(string)
			if !ok {
				if b, isBool := v.(bool); isBool {
					return strconv.FormatBool(b), true
				}
				d.errorf(line, f+"."+k, "must be an expression string, not %s", tomlType(v))
				return "", false
			}
			return s, true
		}
		if e, ok := get("else"); ok {
			if len(conds) == 0 {
				d.errorf(line, f, "found 'else' before 'if'%s", legacyFallbackNote)
				return nil
			}
			if hasElse {
				d.errorf(line, f, "multiple 'else' found%s", legacyFallbackNote)
				return nil
			}
			elseSrc, hasElse = e, true
			continue
		}
		c, okIf := get("if")
		t, okThen := get("then")
		if !okIf || !okThen {
			d.errorf(line, f, "needs both 'if' and 'then'%s", legacyFallbackNote)
			return nil
		}
		if hasElse {
			d.errorf(line, f, "found an 'if' after 'else'%s", legacyFallbackNote)
			return nil
		}
		conds = append(conds, Condition{If: c, Then: t})
	}
	if !hasElse {
		d.errorf(line, field, "missing the final {else = \"...\"}%s", legacyFallbackNote)
		return nil
	}
	e, err := NewIfBlock(conds, elseSrc)
	if err != nil {
		d.errorf(line, field, "%s", exprErrMsgFor(err, legacyFallbackNote))
		return nil
	}
	return e
}
