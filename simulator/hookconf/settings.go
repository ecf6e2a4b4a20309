package hookconf

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hooksim/hooksim/simulator/wire"
)

// The environment variables that supply credentials hooksim never records
// (for replays and exported scripts), in the same forms as the flags:
// HOOKSIM_BEARER is the token, HOOKSIM_BASIC is "user:password".
const (
	EnvBearer = "HOOKSIM_BEARER"
	EnvBasic  = "HOOKSIM_BASIC"
)

// ErrNoCredentials is wrapped by Rebuild's error when a recorded hook used
// credentials and none were given.
var ErrNoCredentials = errors.New("credentials needed")

// Settings are a hook's configuration without its secrets, in Stalwart's
// MtaHook terms: what a recorded run keeps and what an exported session
// script carries, so that the same hook can be called again the same way.
type Settings struct {
	ID string
	// URL is without its password: a URL that carried one keeps its user
	// name ("http://alice@host/") and URLPassword is set.
	URL         string
	URLPassword bool
	// Enable is the enable expression as Expression.String gives it (an
	// expression, or the JSON of a match block); "" means always.
	Enable            string
	Stages            StageSet
	Timeout           time.Duration // 0: Stalwart's default
	TempFailOnError   bool
	MaxResponseSize   int64 // 0: Stalwart's default
	AllowInvalidCerts bool
	// Headers are the custom HTTP headers in configuration order. A Value
	// of "" was not recorded (a credential, or a script that keeps only
	// the names): it must come from a --header flag.
	Headers []HeaderField
	// Auth is the httpAuth kind; its secret is never recorded.
	Auth     AuthKind
	Username string // the Basic user name, when recorded
}

// Settings returns h's settings with every secret left out: the auth
// secret, the values of credential headers and of headers holding the
// secret, a password in the URL.
func (h *Hook) Settings() Settings {
	u, hadPass := withoutPassword(h.URL)
	s := Settings{ID: h.ID, URL: u, URLPassword: hadPass, Stages: maps.Clone(h.Stages), Timeout: h.Timeout,
		TempFailOnError: h.TempFailOnError, MaxResponseSize: h.MaxResponseSize, AllowInvalidCerts: h.AllowInvalidCerts,
		Auth: h.Auth.Kind, Username: h.Auth.Username}
	if s.Auth == "" {
		s.Auth = AuthNone
	}
	if h.Enable != nil && h.Enable.String() != "true" {
		s.Enable = h.Enable.String()
	}
	for _, f := range h.HTTPHeaders {
		if SensitiveHeader(f.Name) || containsSecret(f.Value, h.Secrets()) {
			f.Value = ""
		}
		s.Headers = append(s.Headers, f)
	}
	return s
}

// ParseRecorded reads the hook list a recorder stored (Hook.Redacted, as
// a JSON array) back into settings; the "****" of redacted values becomes
// "not recorded".
func ParseRecorded(data []byte) ([]Settings, error) {
	var list []struct {
		ID                string            `json:"id"`
		URL               string            `json:"url"`
		Enable            string            `json:"enable"`
		Stages            map[string]bool   `json:"stages"`
		AllowInvalidCerts bool              `json:"allowInvalidCerts"`
		HTTPHeaders       map[string]string `json:"httpHeaders"`
		Timeout           int64             `json:"timeout"`
		TempFailOnError   *bool             `json:"tempFailOnError"`
		MaxResponseSize   int64             `json:"maxResponseSize"`
		HTTPAuth          struct {
			Type     string `json:"@type"`
			Username string `json:"username"`
		} `json:"httpAuth"`
	}
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("hookconf: recorded hooks: %w", err)
	}
	out := make([]Settings, 0, len(list))
	for _, r := range list {
		u, hadPass := withoutPassword(r.URL)
		s := Settings{ID: r.ID, URL: u, URLPassword: hadPass, Stages: StageSet{}, Timeout: time.Duration(r.Timeout) * time.Millisecond,
			TempFailOnError: r.TempFailOnError == nil || *r.TempFailOnError, MaxResponseSize: r.MaxResponseSize,
			AllowInvalidCerts: r.AllowInvalidCerts, Auth: AuthKind(r.HTTPAuth.Type), Username: r.HTTPAuth.Username}
		if r.Enable != "true" {
			s.Enable = r.Enable
		}
		for name, on := range r.Stages {
			if on {
				s.Stages[wire.Stage(name)] = true
			}
		}
		// JSON objects lose the order; a stable one is better than a random one.
		for _, name := range slices.Sorted(maps.Keys(r.HTTPHeaders)) {
			v := r.HTTPHeaders[name]
			if v == "****" {
				v = ""
			}
			s.Headers = append(s.Headers, HeaderField{Name: name, Value: v})
		}
		if s.Auth == "" {
			s.Auth = AuthNone
		}
		out = append(out, s)
	}
	return out, nil
}

// Override is one recorded setting a command-line flag replaced.
type Override struct {
	HookID   string
	Flag     string // "--url", "--stages", ...
	Setting  string // the MtaHook setting: "url", "stages", "httpAuth", ...
	Recorded string
	Now      string // the flag's value, "" for a switch
}

// String says what was replaced: `--stages data replaces the recorded
// stages connect, ehlo, mail, rcpt, data`, `--no-tempfail replaces the
// recorded tempFailOnError true`.
func (o Override) String() string {
	flag := o.Flag
	if o.Now != "" {
		flag += " " + o.Now
	}
	return fmt.Sprintf("%s replaces the recorded %s %s", flag, o.Setting, o.Recorded)
}

// Rebuild makes a callable hook from recorded settings. The flags of spec
// that are set replace the recorded values (each replacement that changes
// a value is returned as an Override); the URL is spec.URL when given.
// Credentials, which are never recorded, come from spec.Bearer/Basic or
// from the environment (EnvBearer, EnvBasic); a hook that used them
// without either is an error saying which flag or variable to set.
// Header values not recorded come from spec.Headers by name; one that is
// missing is left out, with a warning.
func Rebuild(s Settings, spec FlagSpec, env Env) (*Hook, []Override, []string, error) {
	var overrides []Override
	var warnings []string
	note := func(flag, setting, recorded, now string) {
		if recorded != now {
			overrides = append(overrides, Override{HookID: s.ID, Flag: flag, Setting: setting, Recorded: recorded, Now: now})
		}
	}
	who := "hook " + s.ID
	if s.ID == "" {
		who = "the hook at " + RedactURL(s.URL)
	}
	built := FlagSpec{URL: s.URL, AllowInvalidCerts: s.AllowInvalidCerts || spec.AllowInvalidCerts,
		NoTempFail: !s.TempFailOnError || spec.NoTempFail, Stages: spec.Stages, Timeout: spec.Timeout,
		MaxResponseSize: spec.MaxResponseSize, Bearer: spec.Bearer, Basic: spec.Basic}
	if spec.URL != "" {
		note("--url", "url", RedactURL(s.URL), RedactURL(spec.URL))
		built.URL = spec.URL
	}
	if built.URL == "" {
		return nil, nil, nil, fmt.Errorf("%s has no url: give --url", who)
	}
	if spec.AllowInvalidCerts && !s.AllowInvalidCerts {
		note("--allow-invalid-certs", "allowInvalidCerts", "false", "")
	}
	if spec.NoTempFail && s.TempFailOnError {
		note("--no-tempfail", "tempFailOnError", "true", "")
	}
	if spec.URL == "" && QueryHidden(s.URL) {
		return nil, nil, nil, fmt.Errorf("%s had a credential in its URL's query (%s), which hooksim never records: give the URL with --url (%w)", who, s.URL, ErrNoCredentials)
	}
	// A password in the URL (Stalwart sends it as Basic credentials) is
	// never recorded: it comes from --basic or the environment, as user:password.
	if s.URLPassword && spec.URL == "" {
		creds := spec.Basic
		if creds == "" {
			creds, _ = env.LookupEnv(EnvBasic)
		}
		user, pass, ok := strings.Cut(creds, ":")
		if !ok || user == "" {
			return nil, nil, nil, fmt.Errorf("%s had a password in its URL, which hooksim never records: give --basic USER:PASSWORD or set %s=USER:PASSWORD (%w)", who, EnvBasic, ErrNoCredentials)
		}
		u, err := url.Parse(built.URL)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%s: %v", who, err)
		}
		u.User = url.UserPassword(user, pass)
		built.URL, built.Basic, spec.Basic = u.String(), "", ""
	}
	// Credentials.
	if spec.Bearer == "" && spec.Basic == "" && (s.Auth == AuthBearer || s.Auth == AuthBasic) {
		envName, flag, what, target := EnvBearer, "--bearer TOKEN", "a Bearer token, which hooksim never records", &built.Bearer
		if s.Auth == AuthBasic {
			envName, flag, target = EnvBasic, "--basic USER:PASSWORD", &built.Basic
			what = fmt.Sprintf("Basic authentication (user %q), whose password hooksim never records", s.Username)
		}
		v, ok := env.LookupEnv(envName)
		switch {
		case ok && v != "":
			*target = v
		case spec.URL != "":
			// Another address: perhaps a hook without authentication.
			warnings = append(warnings, fmt.Sprintf("%s used %s authentication and none is given (%s, %s): %s is called without", who, s.Auth, strings.Fields(flag)[0], envName, RedactURL(spec.URL)))
		default:
			return nil, nil, nil, fmt.Errorf("%s used %s: give %s or set %s (%w)", who, what, flag, envName, ErrNoCredentials)
		}
	} else if s.Auth != "" && s.Auth != AuthNone {
		kind := AuthBearer
		if spec.Basic != "" {
			kind = AuthBasic
		}
		if kind != s.Auth {
			note("--"+strings.ToLower(string(kind)), "httpAuth", string(s.Auth), "")
		}
	}
	// Headers: the recorded ones in order, values from the flags by name.
	given := map[string]string{}
	var extra []string
	for _, raw := range spec.Headers {
		name, _, _ := strings.Cut(raw, ":")
		name = strings.TrimSpace(name)
		recorded := slices.ContainsFunc(s.Headers, func(f HeaderField) bool { return strings.EqualFold(f.Name, name) })
		if !recorded {
			extra = append(extra, raw)
		}
		given[strings.ToLower(name)] = raw
	}
	for _, f := range s.Headers {
		raw, ok := given[strings.ToLower(f.Name)]
		switch {
		case ok:
			if f.Value != "" {
				_, v, _ := strings.Cut(raw, ":")
				note("--header", "header", f.Name+": "+f.Value, strings.TrimSpace(f.Name)+": "+strings.TrimSpace(v))
			}
			built.Headers = append(built.Headers, raw)
		case f.Value != "":
			built.Headers = append(built.Headers, f.Name+": "+f.Value)
		default:
			warnings = append(warnings, fmt.Sprintf("%s sends the header %s, whose value is not in the script or recording (scripts never keep header values, recordings no credential): give --header '%s: VALUE' (it is left out)", who, f.Name, f.Name))
		}
	}
	built.Headers = append(built.Headers, extra...)
	h, err := FromFlags(built)
	if err != nil {
		return nil, nil, nil, err
	}
	if s.ID != "" {
		h.ID = s.ID
	}
	h.Source = "recorded settings"
	if len(spec.Stages) > 0 {
		if len(s.Stages) > 0 {
			note("--stages", "stages", StageList(s.Stages), StageList(h.Stages))
		}
	} else if s.Stages != nil {
		// An empty set is kept: such a hook is never called, as in Stalwart.
		h.Stages = maps.Clone(s.Stages)
	}
	if spec.Timeout != "" {
		if s.Timeout > 0 {
			note("--timeout", "timeout", s.Timeout.String(), h.Timeout.String())
		}
	} else if s.Timeout > 0 {
		h.Timeout = s.Timeout
	}
	if spec.MaxResponseSize > 0 {
		if s.MaxResponseSize > 0 {
			note("--max-response-size", "maxResponseSize", strconv.FormatInt(s.MaxResponseSize, 10), strconv.FormatInt(h.MaxResponseSize, 10))
		}
	} else if s.MaxResponseSize > 0 {
		h.MaxResponseSize = s.MaxResponseSize
	}
	if s.Enable != "" {
		e, err := ParseEnable(s.Enable)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%s: enable %q: %w", who, s.Enable, err)
		}
		h.Enable = e
	}
	return h, overrides, warnings, nil
}

// ParseEnable compiles an enable expression in the form Expression.String
// gives: an expression, or the JSON of a match block
// ({"match":{"0":{"if":...,"then":...}},"else":...}).
func ParseEnable(src string) (Expression, error) {
	src = strings.TrimSpace(src)
	if !strings.HasPrefix(src, "{") {
		return ParseExpression(src)
	}
	var block struct {
		Match map[string]Condition `json:"match"`
		Else  *string              `json:"else"`
	}
	if err := json.Unmarshal([]byte(src), &block); err != nil {
		return nil, fmt.Errorf("not an expression or a match block: %w", err)
	}
	if block.Else == nil {
		return nil, errors.New(`a match block needs "else"`)
	}
	keys := slices.Collect(maps.Keys(block.Match))
	sort.Slice(keys, func(i, j int) bool {
		a, aerr := strconv.Atoi(keys[i])
		b, berr := strconv.Atoi(keys[j])
		if aerr == nil && berr == nil {
			return a < b
		}
		return keys[i] < keys[j]
	})
	conds := make([]Condition, 0, len(keys))
	for _, k := range keys {
		conds = append(conds, block.Match[k])
	}
	return NewIfBlock(conds, *block.Else)
}

// StageList names the stages of set in SMTP order, comma-separated
// ("connect, ehlo, mail, rcpt, data"); "none" when empty.
func StageList(set StageSet) string {
	var names []string
	for _, st := range wire.AllStages {
		if set[st] {
			names = append(names, string(st))
		}
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// withoutPassword removes the password from a URL's user info, keeping the
// user name, and says whether there was one (a redacted "xxxxx" included).
func withoutPassword(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil {
		return raw, false
	}
	if q, hidden := redactQuery(u.RawQuery); hidden {
		// Nor a credential in the query.
		u.RawQuery = q
		raw = u.String()
	}
	if u.User == nil {
		return raw, false
	}
	if _, has := u.User.Password(); !has {
		return raw, false
	}
	u.User = url.User(u.User.Username())
	return u.String(), true
}
