package hookconf

import (
	"errors"
	"fmt"
	"github.com/hooksim/hooksim/simulator/internal/jsondoc"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hooksim/hooksim/simulator/wire"
)

// jsonHookKeys are the MtaHook properties Stalwart's API accepts, plus
// "@type" (which it ignores) and hooksim's own "id" and "name".
func jsonHookKey(k string) bool {
	switch k {
	case "url", "enable", "stages", "allowInvalidCerts", "httpHeaders", "timeout",
		"tempFailOnError", "maxResponseSize", "httpAuth", "@type", "id", "name":
		return true
	}
	return false
}

// suggestKey finds the property a misspelt key was probably meant to be
// ("allow_invalid_certs" -> "allowInvalidCerts").
func suggestKey(k string, known []string) string {
	norm := func(s string) string {
		return strings.NewReplacer("_", "", "-", "", ".", "").Replace(strings.ToLower(s))
	}
	nk := norm(k)
	for _, c := range known {
		if norm(c) == nk {
			return c
		}
	}
	return ""
}

// jsonParse is the state of one JSON configuration parse.
type jsonParse struct {
	d     *diag
	lines jsondoc.LineIndex
	env   Env
}

func (jp *jsonParse) line(n *jsondoc.Node) int { return jp.lines.Line(n.Off) }

// parseJSONConfig reads an MtaHook object or a list of them.
func parseJSONConfig(d *diag, data []byte, env Env) []*Hook {
	jp := &jsonParse{d: d, lines: jsondoc.NewLineIndex(data), env: env}
	root, err := jsondoc.Parse(data)
	if err != nil {
		var se *jsondoc.SyntaxError
		if errors.As(err, &se) {
			d.errorf(jp.lines.Line(se.Off), "", "invalid JSON: %s", se.Msg)
		} else {
			d.errorf(0, "", "invalid JSON: %v", err)
		}
		return nil
	}
	switch root.Kind {
	case jsondoc.Object:
		if h := jp.hook(root, "", 1); h != nil {
			return []*Hook{h}
		}
		return nil
	case jsondoc.Array:
		if len(root.Items) == 0 {
			d.errorf(jp.line(root), "", "the list of hooks is empty")
			return nil
		}
		var hooks []*Hook
		for i, it := range root.Items {
			prefix := fmt.Sprintf("hooks[%d]", i)
			if it.Kind != jsondoc.Object {
				d.errorf(jp.line(it), prefix, "must be an MtaHook object, not %s", it.Kind)
				continue
			}
			if h := jp.hook(it, prefix, i+1); h != nil {
				hooks = append(hooks, h)
			}
		}
		return hooks
	}
	d.errorf(jp.line(root), "", "the configuration must be an MtaHook object or a list of them, not %s", root.Kind)
	return nil
}

// hook converts one MtaHook object; nil if it has errors.
func (jp *jsonParse) hook(n *jsondoc.Node, prefix string, num int) *Hook {
	d := jp.d
	before := len(d.errs)
	h := &Hook{
		ID:              "hook-" + strconv.Itoa(num),
		Enable:          ConstExpression(true),
		Stages:          StageSet{wire.StageData: true},
		Timeout:         DefaultTimeout,
		TempFailOnError: true,
		MaxResponseSize: DefaultMaxResponseSize,
		Auth:            HTTPAuth{Kind: AuthNone},
		Source:          fmt.Sprintf("%s:%d", d.file, jp.line(n)),
	}
	f := func(k string) string { return joinField(prefix, k) }
	seen := map[string]bool{}
	known := []string{"url", "enable", "stages", "allowInvalidCerts", "httpHeaders", "timeout",
		"tempFailOnError", "maxResponseSize", "httpAuth"}
	for _, m := range n.Members {
		line := jp.lines.Line(m.KeyOff)
		if seen[m.Key] {
			d.warnf(line, f(m.Key), "duplicate key; the last value is used")
		}
		seen[m.Key] = true
		if !jsonHookKey(m.Key) {
			msg := "unknown key ignored (Stalwart's API refuses it with \"Invalid property\")"
			if s := suggestKey(m.Key, known); s != "" {
				msg = fmt.Sprintf("unknown key ignored: did you mean %q? (Stalwart's API refuses it with \"Invalid property\")", s)
			}
			d.warnf(line, f(m.Key), "%s", msg)
		}
	}
	if v := n.Get("name"); v != nil {
		if v.Kind == jsondoc.String && strings.TrimSpace(v.Text) != "" {
			h.ID = strings.TrimSpace(v.Text)
		} else {
			d.errorf(jp.line(v), f("name"), "must be a non-empty string")
		}
	}
	if v := n.Get("id"); v != nil {
		if v.Kind == jsondoc.String && strings.TrimSpace(v.Text) != "" {
			h.ID = strings.TrimSpace(v.Text)
		} else {
			d.errorf(jp.line(v), f("id"), "must be a non-empty string")
		}
	}
	if v := n.Get("@type"); v != nil && (v.Kind != jsondoc.String || v.Text != "MtaHook") {
		d.warnf(jp.line(v), f("@type"), "ignored (expected \"MtaHook\")")
	}

	if v := n.Get("url"); v == nil {
		d.errorf(jp.line(n), f("url"), "url is required")
	} else if v.Kind != jsondoc.String {
		d.errorf(jp.line(v), f("url"), "must be a string, not %s", v.Kind)
	} else if u, err := checkURL(v.Text); err != nil {
		d.errorf(jp.line(v), f("url"), "%v", err)
	} else {
		h.URL = u
	}
	if v := n.Get("enable"); v != nil {
		if e := jp.enable(v, f("enable")); e != nil {
			h.Enable = e
		}
	}
	if v := n.Get("stages"); v != nil {
		if s := jp.stages(v, f("stages")); s != nil {
			h.Stages = s
		}
	}
	if v := n.Get("allowInvalidCerts"); v != nil {
		h.AllowInvalidCerts = jp.boolean(v, f("allowInvalidCerts"), false)
	}
	if v := n.Get("tempFailOnError"); v != nil {
		h.TempFailOnError = jp.boolean(v, f("tempFailOnError"), true)
	}
	if v := n.Get("timeout"); v != nil {
		if t, ok := jp.timeout(v, f("timeout")); ok {
			h.Timeout = t
		}
	}
	if v := n.Get("maxResponseSize"); v != nil {
		if v.Kind != jsondoc.Number {
			d.errorf(jp.line(v), f("maxResponseSize"), "must be a number of bytes, not %s", v.Kind)
		} else if sz, err := strconv.ParseUint(v.Text, 10, 64); err != nil || sz > math.MaxInt64 {
			d.errorf(jp.line(v), f("maxResponseSize"), "must be a whole, non-negative number of bytes (got %s)", v.Text)
		} else {
			h.MaxResponseSize = int64(sz)
		}
	}
	if v := n.Get("httpAuth"); v != nil {
		h.Auth = jp.auth(v, f("httpAuth"), h.ID)
	}
	if v := n.Get("httpHeaders"); v != nil {
		h.HTTPHeaders = jp.headers(v, f("httpHeaders"), h.Auth.Kind != AuthNone)
	}
	if len(d.errs) > before {
		return nil
	}
	return h
}

// checkURL trims the URL as Stalwart does and insists on http(s).
func checkURL(raw string) (string, error) {
	s := trimSpace(raw)
	if s == "" {
		return "", fmt.Errorf("url is required (it is empty)")
	}
	if !strings.Contains(s, "://") {
		return "", fmt.Errorf("the URL %q has no scheme: write http://%s (or https://)", s, s)
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("invalid URL %q: %v", s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("the URL %q must start with http:// or https://", s)
	}
	if u.Host == "" {
		return "", fmt.Errorf("the URL %q has no host", s)
	}
	return s, nil
}

func (jp *jsonParse) boolean(v *jsondoc.Node, field string, def bool) bool {
	if v.Kind != jsondoc.Bool {
		jp.d.errorf(jp.line(v), field, "must be true or false, not %s", v.Kind)
		return def
	}
	return v.Bool
}

func (jp *jsonParse) timeout(v *jsondoc.Node, field string) (t time.Duration, ok bool) {
	switch v.Kind {
	case jsondoc.Number:
		ms, err := strconv.ParseUint(v.Text, 10, 64)
		if err != nil {
			jp.d.errorf(jp.line(v), field, "must be a whole number of milliseconds (got %s)", v.Text)
			return 0, false
		}
		t, err := durationFromMillis(ms)
		if err != nil {
			jp.d.errorf(jp.line(v), field, "%v", err)
			return 0, false
		}
		return t, true
	case jsondoc.String:
		t, err := parseDuration(v.Text, false)
		if err != nil {
			jp.d.errorf(jp.line(v), field, "%v", err)
			return 0, false
		}
		jp.d.warnf(jp.line(v), field, "the server's API stores the timeout as milliseconds: \"timeout\": %d", t.Milliseconds())
		return t, true
	}
	jp.d.errorf(jp.line(v), field, "must be milliseconds (30000) or a duration string (\"30s\"), not %s", v.Kind)
	return 0, false
}

func stageNames() string { return "connect, ehlo, auth, mail, rcpt, data" }

// stages reads the object form {"data": true} or the array form ["data"].
func (jp *jsonParse) stages(v *jsondoc.Node, field string) StageSet {
	d := jp.d
	set := StageSet{}
	bad := false
	add := func(name string, at *jsondoc.Node) {
		st := wire.Stage(name)
		if !st.Valid() {
			d.errorf(jp.line(at), field, "unknown stage %q (want %s)", name, stageNames())
			bad = true
			return
		}
		set[st] = true
	}
	switch v.Kind {
	case jsondoc.Object:
		for _, m := range v.Members {
			if m.Value.Kind != jsondoc.Bool {
				d.errorf(jp.line(m.Value), field+"."+m.Key, "must be true or false, not %s", m.Value.Kind)
				bad = true
				continue
			}
			if !wire.Stage(m.Key).Valid() {
				d.errorf(jp.lines.Line(m.KeyOff), field, "unknown stage %q (want %s)", m.Key, stageNames())
				bad = true
				continue
			}
			if m.Value.Bool {
				set[wire.Stage(m.Key)] = true
			} else {
				delete(set, wire.Stage(m.Key))
			}
		}
	case jsondoc.Array:
		for _, it := range v.Items {
			if it.Kind != jsondoc.String {
				d.errorf(jp.line(it), field, "stage names must be strings, not %s", it.Kind)
				bad = true
				continue
			}
			add(it.Text, it)
		}
		if !bad {
			d.warnf(jp.line(v), field, "the server's API stores stages as an object: \"stages\": %s", stagesObject(set))
		}
	default:
		d.errorf(jp.line(v), field, "must be an object such as {\"data\": true} or a list such as [\"data\"], not %s", v.Kind)
		return nil
	}
	if bad {
		return nil
	}
	warnStages(d, jp.line(v), field, set, false)
	return set
}

// warnStages points out stage sets that make a hook useless.
func warnStages(d *diag, line int, field string, set StageSet, legacy bool) {
	if len(set) == 0 && !legacy {
		d.warnf(line, field, "no stage is enabled: Stalwart never calls this hook")
		return
	}
	if set[wire.StageAuth] {
		if len(set) == 1 {
			d.warnf(line, field, "\"auth\" is accepted but Stalwart never calls a hook at that stage: this hook is never called")
		} else {
			d.warnf(line, field, "\"auth\" is accepted but Stalwart never calls a hook at that stage")
		}
	}
}

// stagesObject renders a stage set in the server's object form, in SMTP order.
func stagesObject(set StageSet) string {
	var parts []string
	for _, s := range wire.AllStages {
		if set[s] {
			parts = append(parts, fmt.Sprintf("%q: true", s))
		}
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func (jp *jsonParse) headers(v *jsondoc.Node, field string, hasAuth bool) []HeaderField {
	d := jp.d
	if v.Kind != jsondoc.Object {
		d.errorf(jp.line(v), field, "must be an object of header names to values, not %s", v.Kind)
		return nil
	}
	var out []HeaderField
	for _, m := range v.Members {
		hf := field + "." + m.Key
		name := trimSpace(m.Key)
		if err := checkHeaderName(name); err != nil {
			d.errorf(jp.lines.Line(m.KeyOff), hf, "%v", err)
			continue
		}
		if m.Value.Kind != jsondoc.String {
			d.errorf(jp.line(m.Value), hf, "must be a string, not %s", m.Value.Kind)
			continue
		}
		val := trimSpace(m.Value.Text)
		if val == "" {
			d.errorf(jp.line(m.Value), hf, "the value is required (Stalwart's API refuses an empty header value)")
			continue
		}
		if err := checkHeaderValue(val); err != nil {
			d.errorf(jp.line(m.Value), hf, "%v", err)
			continue
		}
		if w := reservedHeaderWarning(name, hasAuth); w != "" {
			d.warnf(jp.line(m.Value), hf, "%s", w)
		}
		out = setHeader(out, HeaderField{Name: name, Value: val})
	}
	return out
}

// setHeader adds a header, replacing an earlier one of the same name the
// way an HTTP header map insert does.
func setHeader(hs []HeaderField, h HeaderField) []HeaderField {
	for i := range hs {
		if strings.EqualFold(hs[i].Name, h.Name) {
			hs[i] = h
			return hs
		}
	}
	return append(hs, h)
}

func (jp *jsonParse) auth(v *jsondoc.Node, field, id string) HTTPAuth {
	d := jp.d
	if v.Kind != jsondoc.Object {
		d.errorf(jp.line(v), field, "must be an object with \"@type\": Unauthenticated, Basic or Bearer, not %s", v.Kind)
		return HTTPAuth{Kind: AuthNone}
	}
	t := v.Get("@type")
	if t == nil || t.Kind != jsondoc.String {
		d.errorf(jp.line(v), field+".@type", "\"@type\" is required: Unauthenticated, Basic or Bearer")
		return HTTPAuth{Kind: AuthNone}
	}
	allowed := map[string]bool{"@type": true}
	var a HTTPAuth
	switch AuthKind(t.Text) {
	case AuthNone:
		a.Kind = AuthNone
	case AuthBasic:
		a.Kind = AuthBasic
		allowed["username"], allowed["secret"] = true, true
		u := v.Get("username")
		switch {
		case u == nil:
			d.errorf(jp.line(v), field+".username", "username is required for Basic authentication")
		case u.Kind != jsondoc.String:
			d.errorf(jp.line(u), field+".username", "must be a string, not %s", u.Kind)
		case trimSpace(u.Text) == "":
			d.errorf(jp.line(u), field+".username", "username is required for Basic authentication (it is empty)")
		default:
			a.Username = trimSpace(u.Text)
		}
		s := v.Get("secret")
		if s == nil {
			d.errorf(jp.line(v), field+".secret", "secret is required for Basic authentication")
		} else {
			a.Secret = jp.secret(s, field+".secret", "secret", id)
		}
	case AuthBearer:
		a.Kind = AuthBearer
		allowed["bearerToken"] = true
		s := v.Get("bearerToken")
		if s == nil {
			d.errorf(jp.line(v), field+".bearerToken", "bearerToken is required for Bearer authentication")
		} else {
			a.Secret = jp.secret(s, field+".bearerToken", "secret", id)
			if a.Secret != "" {
				if err := checkBearerToken(a.Secret); err != nil {
					d.errorf(jp.line(s), field+".bearerToken", "%v%s", err, notLoaded(id))
				}
			}
		}
	default:
		d.errorf(jp.line(t), field+".@type", "unknown authentication type %q (want Unauthenticated, Basic or Bearer)", t.Text)
		return HTTPAuth{Kind: AuthNone}
	}
	for _, m := range v.Members {
		if !allowed[m.Key] {
			d.warnf(jp.lines.Line(m.KeyOff), field+"."+m.Key, "unknown key ignored for %s authentication (Stalwart's API refuses it)", a.Kind)
		}
	}
	return a
}

// secret resolves a SecretKey: {"@type":"Value","secret":...},
// {"@type":"EnvironmentVariable","variableName":...},
// {"@type":"File","filePath":...}, or a plain string.
func (jp *jsonParse) secret(v *jsondoc.Node, field, valueKey, id string) string {
	d := jp.d
	if v.Kind == jsondoc.String {
		if v.Text == "" {
			d.errorf(jp.line(v), field, "the secret is empty%s", notLoaded(id))
			return ""
		}
		d.warnf(jp.line(v), field, "a plain string is hooksim shorthand; the server's API takes {\"@type\": \"Value\", \"secret\": \"****\"}")
		return v.Text
	}
	if v.Kind != jsondoc.Object {
		d.errorf(jp.line(v), field, "must be a secret object with \"@type\": Value, EnvironmentVariable or File, not %s", v.Kind)
		return ""
	}
	t := v.Get("@type")
	if t == nil || t.Kind != jsondoc.String {
		d.errorf(jp.line(v), field+".@type", "\"@type\" is required: Value, EnvironmentVariable or File")
		return ""
	}
	str := func(key string) (string, *jsondoc.Node, bool) {
		n := v.Get(key)
		if n == nil {
			d.errorf(jp.line(v), field+"."+key, "%s is required for the %s secret", key, t.Text)
			return "", nil, false
		}
		if n.Kind != jsondoc.String {
			d.errorf(jp.line(n), field+"."+key, "must be a string, not %s", n.Kind)
			return "", nil, false
		}
		return n.Text, n, true
	}
	var key string
	var out string
	switch t.Text {
	case "Value":
		key = valueKey
		s, n, ok := str(key)
		if !ok {
			return ""
		}
		if s == "" {
			d.errorf(jp.line(n), field+"."+key, "the secret is empty%s", notLoaded(id))
			return ""
		}
		out = s
	case "EnvironmentVariable":
		key = "variableName"
		name, n, ok := str(key)
		if !ok {
			return ""
		}
		s, err := secretFromEnv(jp.env, name)
		if err != nil {
			d.errorf(jp.line(n), field+"."+key, "%v%s", err, notLoaded(id))
			return ""
		}
		out = s
	case "File":
		key = "filePath"
		path, n, ok := str(key)
		if !ok {
			return ""
		}
		s, err := secretFromFile(jp.env, path)
		if err != nil {
			d.errorf(jp.line(n), field+"."+key, "%v%s", err, notLoaded(id))
			return ""
		}
		out = s
	default:
		d.errorf(jp.line(t), field+".@type", "unknown secret type %q (want Value, EnvironmentVariable or File)", t.Text)
		return ""
	}
	for _, m := range v.Members {
		if m.Key != "@type" && m.Key != key {
			d.warnf(jp.lines.Line(m.KeyOff), field+"."+m.Key, "unknown key ignored for a %s secret (Stalwart's API refuses it)", t.Text)
		}
	}
	return out
}

// enable reads {"else": E}, {"match": {...}, "else": E}, a bare
// expression string or a boolean.
func (jp *jsonParse) enable(v *jsondoc.Node, field string) Expression {
	d := jp.d
	switch v.Kind {
	case jsondoc.Bool:
		d.warnf(jp.line(v), field, "a boolean is hooksim shorthand; the server's API takes {\"else\": \"%t\"}", v.Bool)
		return ConstExpression(v.Bool)
	case jsondoc.String:
		d.warnf(jp.line(v), field, "a bare expression is hooksim shorthand; the server's API takes {\"else\": %s}", jsonQuote(v.Text))
		e, err := ParseExpression(v.Text)
		if err != nil {
			d.errorf(jp.line(v), field, "%s", exprErrMsg(err))
			return nil
		}
		return e
	case jsondoc.Object:
	default:
		d.errorf(jp.line(v), field, "must be an expression object such as {\"else\": \"true\"}, not %s", v.Kind)
		return nil
	}
	for _, m := range v.Members {
		if m.Key != "match" && m.Key != "else" {
			d.warnf(jp.lines.Line(m.KeyOff), field+"."+m.Key, "unknown key ignored (an expression has only \"match\" and \"else\")")
		}
	}
	before := len(d.errs)
	var conds []Condition
	var condNodes []*jsondoc.Node
	var condFields []string
	if mv := v.Get("match"); mv != nil {
		type entry struct {
			idx uint64
			key string
			n   *jsondoc.Node
		}
		var entries []entry
		switch mv.Kind {
		case jsondoc.Object:
			for _, m := range mv.Members {
				idx, err := strconv.ParseUint(m.Key, 10, 32)
				if err != nil {
					d.errorf(jp.lines.Line(m.KeyOff), field+".match", "key %q must be a number (\"0\", \"1\", ...): conditions are kept in numeric order", m.Key)
					continue
				}
				entries = append(entries, entry{idx, m.Key, m.Value})
			}
			sort.SliceStable(entries, func(i, j int) bool { return entries[i].idx < entries[j].idx })
		case jsondoc.Array:
			for i, it := range mv.Items {
				entries = append(entries, entry{uint64(i), strconv.Itoa(i), it})
			}
		default:
			d.errorf(jp.line(mv), field+".match", "must be an object {\"0\": {\"if\": ..., \"then\": ...}}, not %s", mv.Kind)
		}
		for _, e := range entries {
			cf := field + ".match." + e.key
			if e.n.Kind != jsondoc.Object {
				d.errorf(jp.line(e.n), cf, "must be an object {\"if\": ..., \"then\": ...}, not %s", e.n.Kind)
				continue
			}
			var c Condition
			ok := true
			for _, part := range []string{"if", "then"} {
				pn := e.n.Get(part)
				switch {
				case pn == nil:
					d.errorf(jp.line(e.n), cf+"."+part, "%q is required%s", part, fallbackNote)
					ok = false
				case pn.Kind != jsondoc.String:
					d.errorf(jp.line(pn), cf+"."+part, "must be an expression string, not %s", pn.Kind)
					ok = false
				case strings.TrimSpace(pn.Text) == "":
					d.errorf(jp.line(pn), cf+"."+part, "must not be empty%s", fallbackNote)
					ok = false
				default:
					if part == "if" {
						c.If = pn.Text
					} else {
						c.Then = pn.Text
					}
				}
			}
			for _, m := range e.n.Members {
				if m.Key != "if" && m.Key != "then" {
					d.warnf(jp.lines.Line(m.KeyOff), cf+"."+m.Key, "unknown key ignored (a condition has only \"if\" and \"then\")")
				}
			}
			if ok {
				conds = append(conds, c)
				condNodes = append(condNodes, e.n)
				condFields = append(condFields, cf)
			}
		}
	}
	ev := v.Get("else")
	var elseSrc string
	switch {
	case ev == nil || ev.Kind == jsondoc.String && strings.TrimSpace(ev.Text) == "":
		if len(conds) > 0 || len(d.errs) > before {
			d.errorf(jp.line(v), field+".else", "\"else\" is required when there are conditions%s", fallbackNote)
			return nil
		}
		d.warnf(jp.line(v), field, "an empty expression: Stalwart evaluates it to nothing, so this hook never runs")
		return ConstExpression(false)
	case ev.Kind != jsondoc.String:
		d.errorf(jp.line(ev), field+".else", "must be an expression string such as \"true\", not %s", ev.Kind)
		return nil
	default:
		elseSrc = ev.Text
	}
	if len(d.errs) > before {
		return nil
	}
	// Compile each part separately to report the field that is wrong.
	for i, c := range conds {
		if _, err := compileExpr(c.If); err != nil {
			d.errorf(jp.line(condNodes[i].Get("if")), condFields[i]+".if", "%s", exprErrMsg(err))
		}
		if _, err := compileExpr(c.Then); err != nil {
			d.errorf(jp.line(condNodes[i].Get("then")), condFields[i]+".then", "%s", exprErrMsg(err))
		}
	}
	if _, err := compileExpr(elseSrc); err != nil {
		d.errorf(jp.line(ev), field+".else", "%s", exprErrMsg(err))
	}
	if len(d.errs) > before {
		return nil
	}
	e, err := NewIfBlock(conds, elseSrc)
	if err != nil {
		d.errorf(jp.line(v), field, "%s", exprErrMsg(err))
		return nil
	}
	return e
}

// fallbackNote explains what Stalwart does with an invalid enable block.
const fallbackNote = " (Stalwart logs this and falls back to the default {\"else\": \"true\"}: the hook would run at every configured stage)"

// legacyFallbackNote explains what Stalwart 0.15 did with an invalid
// enable expression.
const legacyFallbackNote = " (Stalwart 0.15 logs this and leaves the hook disabled)"

// exprErrMsg words an expression error for a ConfigError.
func exprErrMsg(err error) string { return exprErrMsgFor(err, fallbackNote) }

func exprErrMsgFor(err error, note string) string {
	var ee *ExprError
	if !errors.As(err, &ee) {
		return err.Error()
	}
	if ee.Unsupported {
		return ee.Error() + " (Stalwart accepts this; hooksim refuses rather than guess its value)"
	}
	return ee.Error() + note
}
