package sessions

import (
	"net/url"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Hook is the settings of one hook the script is meant for (the optional
// top-level `hooks` list, in Stalwart's MtaHook names), so that
// `hooksim run` and `hooksim test` call the hook the way it was recorded
// when no --url or --hooks is given. It holds no secret: custom headers
// are names only, and httpAuth is only the kind of authentication; their
// values come from the command line or the environment.
type Hook struct {
	ID  string // names the hook in reports; default the URL's host
	URL string // http(s), without credentials; may be overridden by --url
	// Enable is the enable expression ("" = always).
	Enable string
	// Stages are the stages the hook is called at, in SMTP order; nil
	// means Stalwart's default (data).
	Stages []string
	// Timeout is 0 when not given (Stalwart's default, 30 s).
	Timeout time.Duration
	// TempFailOnError is nil when not given (Stalwart's default, true).
	TempFailOnError *bool
	// MaxResponseSize in bytes; 0 when not given (52428800).
	MaxResponseSize   int64
	AllowInvalidCerts bool
	// HTTPHeaders are the names of the custom headers the hook was
	// called with; their values are never written into a script.
	HTTPHeaders []string
	// HTTPAuth is "Unauthenticated", "Basic" or "Bearer" ("" = none).
	HTTPAuth string
	Line     int
}

// hookKeys are the keys of one entry of `hooks`.
var hookKeys = []string{"id", "url", "enable", "stages", "timeout", "tempFailOnError", "maxResponseSize", "allowInvalidCerts", "httpHeaders", "httpAuth"}

// StageNames are the stage names a hook may be configured for, in SMTP
// order. "auth" is accepted, as Stalwart does, though no hook is called there.
var StageNames = []string{"connect", "ehlo", "auth", "mail", "rcpt", "data"}

// AuthKinds are the httpAuth kinds of Stalwart's MtaHook.
var AuthKinds = []string{"Unauthenticated", "Basic", "Bearer"}

// hooks decodes the top-level hooks list.
func (d *decoder) hooks(n *yaml.Node) ([]Hook, *Error) {
	items, err := d.sequence(n, "hooks", "a list of hook settings (url, stages, timeout, ...)")
	if err != nil {
		return nil, err
	}
	out := make([]Hook, 0, len(items))
	for i, it := range items {
		h, err := d.hook(it, index("hooks", i))
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, nil
}

// hook decodes one entry of hooks.
func (d *decoder) hook(n *yaml.Node, field string) (Hook, *Error) {
	h := Hook{Line: n.Line}
	pairs, err := d.mapping(n, field, "a mapping ("+strings.Join(hookKeys, ", ")+")", hookKeys)
	if err != nil {
		return h, err
	}
	for _, p := range pairs {
		f := child(field, p.key)
		switch p.key {
		case "id":
			v, err := d.scalar(p.value, f)
			if err != nil {
				return h, err
			}
			if strings.TrimSpace(v) == "" || hasControl(v) {
				return h, d.errAt(p.value, f, "%q is not a usable hook id", v)
			}
			h.ID = v
		case "url":
			v, err := d.scalar(p.value, f)
			if err != nil {
				return h, err
			}
			if msg := checkHookURL(v); msg != "" {
				return h, d.errAt(p.value, f, "%s", msg)
			}
			h.URL = strings.TrimSpace(v)
		case "enable":
			v, err := d.scalar(p.value, f)
			if err != nil {
				return h, err
			}
			if strings.TrimSpace(v) != "true" {
				h.Enable = strings.TrimSpace(v)
			}
		case "stages":
			if h.Stages, err = d.hookStages(p.value, f); err != nil {
				return h, err
			}
		case "timeout":
			if h.Timeout, err = d.hookTimeout(p.value, f); err != nil {
				return h, err
			}
		case "tempFailOnError":
			v, err := d.boolean(p.value, f)
			if err != nil {
				return h, err
			}
			h.TempFailOnError = &v
		case "maxResponseSize":
			v, err := d.integer(p.value, f, 1, 1<<40)
			if err != nil {
				return h, err
			}
			h.MaxResponseSize = v
		case "allowInvalidCerts":
			if h.AllowInvalidCerts, err = d.boolean(p.value, f); err != nil {
				return h, err
			}
		case "httpHeaders":
			if h.HTTPHeaders, err = d.hookHeaders(p.value, f); err != nil {
				return h, err
			}
		case "httpAuth":
			v, err := d.scalar(p.value, f)
			if err != nil {
				return h, err
			}
			if !slices.Contains(AuthKinds, v) {
				return h, d.errAt(p.value, f, "%s (the credentials themselves never go in a script: give --bearer/--basic or set HOOKSIM_BEARER/HOOKSIM_BASIC)", unknownKeyMsg("httpAuth", v, AuthKinds))
			}
			h.HTTPAuth = v
		}
	}
	return h, nil
}

// checkHookURL returns what is wrong with a hook URL in a script, or "".
func checkHookURL(raw string) string {
	s := strings.TrimSpace(raw)
	u, err := url.Parse(s)
	switch {
	case s == "":
		return "the URL is empty"
	case err != nil:
		return "invalid URL: " + err.Error()
	case u.Scheme != "http" && u.Scheme != "https":
		return "the URL must start with http:// or https://"
	case u.Host == "":
		return "the URL has no host"
	case u.User != nil:
		if _, hasPass := u.User.Password(); hasPass {
			return "a password does not belong in a script: keep the user name only (http://user@host/) and give --basic USER:PASSWORD or set HOOKSIM_BASIC"
		}
	}
	return ""
}

// hookStages reads stages as a list (["connect", "data"], or "all") or
// as Stalwart's object form ({data: true}); the result is in SMTP order.
func (d *decoder) hookStages(n *yaml.Node, f string) ([]string, *Error) {
	rv, err := d.resolve(n)
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	check := func(at *yaml.Node, name string) *Error {
		if name == "all" {
			for _, s := range StageNames {
				if s != "auth" {
					set[s] = true
				}
			}
			return nil
		}
		if !slices.Contains(StageNames, name) {
			return d.errAt(at, f, "%s", unknownKeyMsg("stage", name, StageNames))
		}
		set[name] = true
		return nil
	}
	if rv.Kind == yaml.MappingNode {
		pairs, err := d.mapping(rv, f, "stage: true pairs", nil)
		if err != nil {
			return nil, err
		}
		for _, p := range pairs {
			on, err := d.boolean(p.value, child(f, p.key))
			if err != nil {
				return nil, err
			}
			if on {
				if err := check(p.keyN, p.key); err != nil {
					return nil, err
				}
			}
		}
	} else {
		names, err := d.stringList(rv, f)
		if err != nil {
			return nil, err
		}
		for _, name := range names {
			for part := range strings.SplitSeq(name, ",") {
				if part = strings.TrimSpace(part); part != "" {
					if err := check(rv, part); err != nil {
						return nil, err
					}
				}
			}
		}
	}
	out := []string{}
	for _, s := range StageNames {
		if set[s] {
			out = append(out, s)
		}
	}
	return out, nil
}

// hookTimeout reads milliseconds (Stalwart's API form) or a duration
// such as "30s" or "1500ms".
func (d *decoder) hookTimeout(n *yaml.Node, f string) (time.Duration, *Error) {
	rv, err := d.resolve(n)
	if err != nil {
		return 0, err
	}
	if rv.Kind == yaml.ScalarNode && rv.ShortTag() == "!!int" {
		ms, err := d.integer(rv, f, 1, 365*24*3600*1000)
		if err != nil {
			return 0, err
		}
		return time.Duration(ms) * time.Millisecond, nil
	}
	v, err := d.scalar(rv, f)
	if err != nil {
		return 0, err
	}
	t, perr := time.ParseDuration(strings.TrimSpace(v))
	if perr != nil || t <= 0 {
		return 0, d.errAt(rv, f, "%q is not a timeout: give milliseconds (30000) or a duration (30s, 1500ms)", v)
	}
	return t, nil
}

// hookHeaders reads the names of the custom headers.
func (d *decoder) hookHeaders(n *yaml.Node, f string) ([]string, *Error) {
	rv, err := d.resolve(n)
	if err != nil {
		return nil, err
	}
	if rv.Kind == yaml.MappingNode {
		return nil, d.errAt(rv, f, "give the header names only, as a list ([X-Tenant]): their values, often credentials, come from --header 'Name: value'")
	}
	names, err := d.stringList(rv, f)
	if err != nil {
		return nil, err
	}
	for i, name := range names {
		name = strings.TrimSpace(name)
		if !validHeaderName(name) {
			return nil, d.errAt(rv, index(f, i), "%q is not a header name", name)
		}
		names[i] = name
	}
	return names, nil
}
