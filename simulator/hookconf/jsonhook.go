package hookconf

import (
	"errors"
	"fmt"
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
	lines lineIndex
	env   Env
}

func (jp *jsonParse) line(n *jsonNode) int { return jp.lines.line(n.off) }

// parseJSONConfig reads an MtaHook object or a list of them.
func parseJSONConfig(d *diag, data []byte, env Env) []*Hook {
	jp := &jsonParse{d: d, lines: newLineIndex(data), env: env}
	root, err := parseJSONDoc(data)
	if err != nil {
		var se *jsonSyntaxError
		if errors.As(err, &se) {
			d.errorf(jp.lines.line(se.off), "", "invalid JSON: %s", se.msg)
		} else {
			d.errorf(0, "", "invalid JSON: %v", err)
		}
		return nil
	}
	switch root.kind {
	case jsonObject:
		if h := jp.hook(root, "", 1); h != nil {
			return []*Hook{h}
		}
		return nil
	case jsonArray:
		if len(root.items) == 0 {
			d.errorf(jp.line(root), "", "the list of hooks is empty")
			return nil
		}
		var hooks []*Hook
		for i, it := range root.items {
			prefix := fmt.Sprintf("hooks[%d]", i)
			if it.kind != jsonObject {
				d.errorf(jp.line(it), prefix, "must be an MtaHook object, not %s", it.kind)
				continue
			}
			if h := jp.hook(it, prefix, i+1); h != nil {
				hooks = append(hooks, h)
			}
		}
		return hooks
	}
	d.errorf(jp.line(root), "", "the configuration must be an MtaHook object or a list of them, not %s", root.kind)
	return nil
}

// hook converts one MtaHook object; nil if it has errors.
func (jp *jsonParse) hook(n *jsonNode, prefix string, num int) *Hook {
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
	for _, m := range n.members {
		line := jp.lines.line(m.keyOff)
		if seen[m.key] {
			d.warnf(line, f(m.key), "duplicate key; the last value is used")
		}
		seen[m.key] = true
		if !jsonHookKey(m.key) {
			msg := "unknown key ignored (Stalwart's API refuses it with \"Invalid property\")"
			if s := suggestKey(m.key, known); s != "" {
				msg = fmt.Sprintf("unknown key ignored: did you mean %q? (Stalwart's API refuses it with \"Invalid property\")", s)
			}
			d.warnf(line, f(m.key), "%s", msg)
		}
	}
	if v := n.get("name"); v != nil {
		if v.kind == jsonString && strings.TrimSpace(v.text) != "" {
			h.ID = strings.TrimSpace(v.text)
		} else {
			d.errorf(jp.line(v), f("name"), "must be a non-empty string")
		}
	}
	if v := n.get("id"); v != nil {
		if v.kind == jsonString && strings.TrimSpace(v.text) != "" {
			h.ID = strings.TrimSpace(v.text)
		} else {
			d.errorf(jp.line(v), f("id"), "must be a non-empty string")
		}
	}
	if v := n.get("@type"); v != nil && (v.kind != jsonString || v.text != "MtaHook") {
		d.warnf(jp.line(v), f("@type"), "ignored (expected \"MtaHook\")")
	}

	if v := n.get("url"); v == nil {
		d.errorf(jp.line(n), f("url"), "url is required")
	} else if v.kind != jsonString {
		d.errorf(jp.line(v), f("url"), "must be a string, not %s", v.kind)
	} else if u, err := checkURL(v.text); err != nil {
		d.errorf(jp.line(v), f("url"), "%v", err)
	} else {
		h.URL = u
	}
	if v := n.get("enable"); v != nil {
		if e := jp.enable(v, f("enable")); e != nil {
			h.Enable = e
		}
	}
	if v := n.get("stages"); v != nil {
		if s := jp.stages(v, f("stages")); s != nil {
			h.Stages = s
		}
	}
	if v := n.get("allowInvalidCerts"); v != nil {
		h.AllowInvalidCerts = jp.boolean(v, f("allowInvalidCerts"), false)
	}
	if v := n.get("tempFailOnError"); v != nil {
		h.TempFailOnError = jp.boolean(v, f("tempFailOnError"), true)
	}
	if v := n.get("timeout"); v != nil {
		if t, ok := jp.timeout(v, f("timeout")); ok {
			h.Timeout = t
		}
	}
	if v := n.get("maxResponseSize"); v != nil {
		if v.kind != jsonNumber {
			d.errorf(jp.line(v), f("maxResponseSize"), "must be a number of bytes, not %s", v.kind)
		} else if sz, err := strconv.ParseUint(v.text, 10, 64); err != nil || sz > math.MaxInt64 {
			d.errorf(jp.line(v), f("maxResponseSize"), "must be a whole, non-negative number of bytes (got %s)", v.text)
		} else {
			h.MaxResponseSize = int64(sz)
		}
	}
	if v := n.get("httpAuth"); v != nil {
		h.Auth = jp.auth(v, f("httpAuth"), h.ID)
	}
	if v := n.get("httpHeaders"); v != nil {
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

func (jp *jsonParse) boolean(v *jsonNode, field string, def bool) bool {
	if v.kind != jsonBool {
		jp.d.errorf(jp.line(v), field, "must be true or false, not %s", v.kind)
		return def
	}
	return v.boolean
}

func (jp *jsonParse) timeout(v *jsonNode, field string) (t time.Duration, ok bool) {
	switch v.kind {
	case jsonNumber:
		ms, err := strconv.ParseUint(v.text, 10, 64)
		if err != nil {
			jp.d.errorf(jp.line(v), field, "must be a whole number of milliseconds (got %s)", v.text)
			return 0, false
		}
		t, err := durationFromMillis(ms)
		if err != nil {
			jp.d.errorf(jp.line(v), field, "%v", err)
			return 0, false
		}
		return t, true
	case jsonString:
		t, err := parseDuration(v.text, false)
		if err != nil {
			jp.d.errorf(jp.line(v), field, "%v", err)
			return 0, false
		}
		jp.d.warnf(jp.line(v), field, "the server's API stores the timeout as milliseconds: \"timeout\": %d", t.Milliseconds())
		return t, true
	}
	jp.d.errorf(jp.line(v), field, "must be milliseconds (30000) or a duration string (\"30s\"), not %s", v.kind)
	return 0, false
}

func stageNames() string { return "connect, ehlo, auth, mail, rcpt, data" }

// stages reads the object form {"data": true} or the array form ["data"].
func (jp *jsonParse) stages(v *jsonNode, field string) StageSet {
	d := jp.d
	set := StageSet{}
	bad := false
	add := func(name string, at *jsonNode) {
		st := wire.Stage(name)
		if !st.Valid() {
			d.errorf(jp.line(at), field, "unknown stage %q (want %s)", name, stageNames())
			bad = true
			return
		}
		set[st] = true
	}
	switch v.kind {
	case jsonObject:
		for _, m := range v.members {
			if m.value.kind != jsonBool {
				d.errorf(jp.line(m.value), field+"."+m.key, "must be true or false, not %s", m.value.kind)
				bad = true
				continue
			}
			if !wire.Stage(m.key).Valid() {
				d.errorf(jp.lines.line(m.keyOff), field, "unknown stage %q (want %s)", m.key, stageNames())
				bad = true
				continue
			}
			if m.value.boolean {
				set[wire.Stage(m.key)] = true
			} else {
				delete(set, wire.Stage(m.key))
			}
		}
	case jsonArray:
		for _, it := range v.items {
			if it.kind != jsonString {
				d.errorf(jp.line(it), field, "stage names must be strings, not %s", it.kind)
				bad = true
				continue
			}
			add(it.text, it)
		}
		if !bad {
			d.warnf(jp.line(v), field, "the server's API stores stages as an object: \"stages\": %s", stagesObject(set))
		}
	default:
		d.errorf(jp.line(v), field, "must be an object such as {\"data\": true} or a list such as [\"data\"], not %s", v.kind)
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

func (jp *jsonParse) headers(v *jsonNode, field string, hasAuth bool) []HeaderField {
	d := jp.d
	if v.kind != jsonObject {
		d.errorf(jp.line(v), field, "must be an object of header names to values, not %s", v.kind)
		return nil
	}
	var out []HeaderField
	for _, m := range v.members {
		hf := field + "." + m.key
		name := trimSpace(m.key)
		if err := checkHeaderName(name); err != nil {
			d.errorf(jp.lines.line(m.keyOff), hf, "%v", err)
			continue
		}
		if m.value.kind != jsonString {
			d.errorf(jp.line(m.value), hf, "must be a string, not %s", m.value.kind)
			continue
		}
		val := trimSpace(m.value.text)
		if val == "" {
			d.errorf(jp.line(m.value), hf, "the value is required (Stalwart's API refuses an empty header value)")
			continue
		}
		if err := checkHeaderValue(val); err != nil {
			d.errorf(jp.line(m.value), hf, "%v", err)
			continue
		}
		if w := reservedHeaderWarning(name, hasAuth); w != "" {
			d.warnf(jp.line(m.value), hf, "%s", w)
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

func (jp *jsonParse) auth(v *jsonNode, field, id string) HTTPAuth {
	d := jp.d
	if v.kind != jsonObject {
		d.errorf(jp.line(v), field, "must be an object with \"@type\": Unauthenticated, Basic or Bearer, not %s", v.kind)
		return HTTPAuth{Kind: AuthNone}
	}
	t := v.get("@type")
	if t == nil || t.kind != jsonString {
		d.errorf(jp.line(v), field+".@type", "\"@type\" is required: Unauthenticated, Basic or Bearer")
		return HTTPAuth{Kind: AuthNone}
	}
	allowed := map[string]bool{"@type": true}
	var a HTTPAuth
	switch AuthKind(t.text) {
	case AuthNone:
		a.Kind = AuthNone
	case AuthBasic:
		a.Kind = AuthBasic
		allowed["username"], allowed["secret"] = true, true
		u := v.get("username")
		switch {
		case u == nil:
			d.errorf(jp.line(v), field+".username", "username is required for Basic authentication")
		case u.kind != jsonString:
			d.errorf(jp.line(u), field+".username", "must be a string, not %s", u.kind)
		case trimSpace(u.text) == "":
			d.errorf(jp.line(u), field+".username", "username is required for Basic authentication (it is empty)")
		default:
			a.Username = trimSpace(u.text)
		}
		s := v.get("secret")
		if s == nil {
			d.errorf(jp.line(v), field+".secret", "secret is required for Basic authentication")
		} else {
			a.Secret = jp.secret(s, field+".secret", "secret", id)
		}
	case AuthBearer:
		a.Kind = AuthBearer
		allowed["bearerToken"] = true
		s := v.get("bearerToken")
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
		d.errorf(jp.line(t), field+".@type", "unknown authentication type %q (want Unauthenticated, Basic or Bearer)", t.text)
		return HTTPAuth{Kind: AuthNone}
	}
	for _, m := range v.members {
		if !allowed[m.key] {
			d.warnf(jp.lines.line(m.keyOff), field+"."+m.key, "unknown key ignored for %s authentication (Stalwart's API refuses it)", a.Kind)
		}
	}
	return a
}

// secret resolves a SecretKey: {"@type":"Value","secret":...},
// {"@type":"EnvironmentVariable","variableName":...},
// {"@type":"File","filePath":...}, or a plain string.
func (jp *jsonParse) secret(v *jsonNode, field, valueKey, id string) string {
	d := jp.d
	if v.kind == jsonString {
		if v.text == "" {
			d.errorf(jp.line(v), field, "the secret is empty%s", notLoaded(id))
			return ""
		}
		d.warnf(jp.line(v), field, "a plain string is hooksim shorthand; the server's API takes {\"@type\": \"Value\", \"secret\": \"****\"}")
		return v.text
	}
	if v.kind != jsonObject {
		d.errorf(jp.line(v), field, "must be a secret object with \"@type\": Value, EnvironmentVariable or File, not %s", v.kind)
		return ""
	}
	t := v.get("@type")
	if t == nil || t.kind != jsonString {
		d.errorf(jp.line(v), field+".@type", "\"@type\" is required: Value, EnvironmentVariable or File")
		return ""
	}
	str := func(key string) (string, *jsonNode, bool) {
		n := v.get(key)
		if n == nil {
			d.errorf(jp.line(v), field+"."+key, "%s is required for the %s secret", key, t.text)
			return "", nil, false
		}
		if n.kind != jsonString {
			d.errorf(jp.line(n), field+"."+key, "must be a string, not %s", n.kind)
			return "", nil, false
		}
		return n.text, n, true
	}
	var key string
	var out string
	switch t.text {
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
		d.errorf(jp.line(t), field+".@type", "unknown secret type %q (want Value, EnvironmentVariable or File)", t.text)
		return ""
	}
	for _, m := range v.members {
		if m.key != "@type" && m.key != key {
			d.warnf(jp.lines.line(m.keyOff), field+"."+m.key, "unknown key ignored for a %s secret (Stalwart's API refuses it)", t.text)
		}
	}
	return out
}

// enable reads {"else": E}, {"match": {...}, "else": E}, a bare
// expression string or a boolean.
func (jp *jsonParse) enable(v *jsonNode, field string) Expression {
	d := jp.d
	switch v.kind {
	case jsonBool:
		d.warnf(jp.line(v), field, "a boolean is hooksim shorthand; the server's API takes {\"else\": \"%t\"}", v.boolean)
		return ConstExpression(v.boolean)
	case jsonString:
		d.warnf(jp.line(v), field, "a bare expression is hooksim shorthand; the server's API takes {\"else\": %s}", jsonQuote(v.text))
		e, err := ParseExpression(v.text)
		if err != nil {
			d.errorf(jp.line(v), field, "%s", exprErrMsg(err))
			return nil
		}
		return e
	case jsonObject:
	default:
		d.errorf(jp.line(v), field, "must be an expression object such as {\"else\": \"true\"}, not %s", v.kind)
		return nil
	}
	for _, m := range v.members {
		if m.key != "match" && m.key != "else" {
			d.warnf(jp.lines.line(m.keyOff), field+"."+m.key, "unknown key ignored (an expression has only \"match\" and \"else\")")
		}
	}
	before := len(d.errs)
	var conds []Condition
	var condNodes []*jsonNode
	var condFields []string
	if mv := v.get("match"); mv != nil {
		type entry struct {
			idx uint64
			key string
			n   *jsonNode
		}
		var entries []entry
		switch mv.kind {
		case jsonObject:
			for _, m := range mv.members {
				idx, err := strconv.ParseUint(m.key, 10, 32)
				if err != nil {
					d.errorf(jp.lines.line(m.keyOff), field+".match", "key %q must be a number (\"0\", \"1\", ...): conditions are kept in numeric order", m.key)
					continue
				}
				entries = append(entries, entry{idx, m.key, m.value})
			}
			sort.SliceStable(entries, func(i, j int) bool { return entries[i].idx < entries[j].idx })
		case jsonArray:
			for i, it := range mv.items {
				entries = append(entries, entry{uint64(i), strconv.Itoa(i), it})
			}
		default:
			d.errorf(jp.line(mv), field+".match", "must be an object {\"0\": {\"if\": ..., \"then\": ...}}, not %s", mv.kind)
		}
		for _, e := range entries {
			cf := field + ".match." + e.key
			if e.n.kind != jsonObject {
				d.errorf(jp.line(e.n), cf, "must be an object {\"if\": ..., \"then\": ...}, not %s", e.n.kind)
				continue
			}
			var c Condition
			ok := true
			for _, part := range []string{"if", "then"} {
				pn := e.n.get(part)
				switch {
				case pn == nil:
					d.errorf(jp.line(e.n), cf+"."+part, "%q is required%s", part, fallbackNote)
					ok = false
				case pn.kind != jsonString:
					d.errorf(jp.line(pn), cf+"."+part, "must be an expression string, not %s", pn.kind)
					ok = false
				case strings.TrimSpace(pn.text) == "":
					d.errorf(jp.line(pn), cf+"."+part, "must not be empty%s", fallbackNote)
					ok = false
				default:
					if part == "if" {
						c.If = pn.text
					} else {
						c.Then = pn.text
					}
				}
			}
			for _, m := range e.n.members {
				if m.key != "if" && m.key != "then" {
					d.warnf(jp.lines.line(m.keyOff), cf+"."+m.key, "unknown key ignored (a condition has only \"if\" and \"then\")")
				}
			}
			if ok {
				conds = append(conds, c)
				condNodes = append(condNodes, e.n)
				condFields = append(condFields, cf)
			}
		}
	}
	ev := v.get("else")
	var elseSrc string
	switch {
	case ev == nil || ev.kind == jsonString && strings.TrimSpace(ev.text) == "":
		if len(conds) > 0 || len(d.errs) > before {
			d.errorf(jp.line(v), field+".else", "\"else\" is required when there are conditions%s", fallbackNote)
			return nil
		}
		d.warnf(jp.line(v), field, "an empty expression: Stalwart evaluates it to nothing, so this hook never runs")
		return ConstExpression(false)
	case ev.kind != jsonString:
		d.errorf(jp.line(ev), field+".else", "must be an expression string such as \"true\", not %s", ev.kind)
		return nil
	default:
		elseSrc = ev.text
	}
	if len(d.errs) > before {
		return nil
	}
	// Compile each part separately to report the field that is wrong.
	for i, c := range conds {
		if _, err := compileExpr(c.If); err != nil {
			d.errorf(jp.line(condNodes[i].get("if")), condFields[i]+".if", "%s", exprErrMsg(err))
		}
		if _, err := compileExpr(c.Then); err != nil {
			d.errorf(jp.line(condNodes[i].get("then")), condFields[i]+".then", "%s", exprErrMsg(err))
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
