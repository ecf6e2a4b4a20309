package hookconf

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/hooksim/hooksim/simulator/wire"
)

// FlagSpec is the command-line shortcut for one hook (--url and friends).
// Empty fields take Stalwart's defaults.
type FlagSpec struct {
	URL               string
	Stages            []string // stage names, comma-separated lists, or "all"
	Timeout           string   // "30s", "1500ms", "1.5s" or milliseconds
	Headers           []string // "Name: value"
	Bearer            string   // bearer token
	Basic             string   // "user:password"
	AllowInvalidCerts bool
	NoTempFail        bool
	MaxResponseSize   int64
}

// FromFlags builds a hook from command-line flags. Its ID is the URL's
// host and its Source is "flags". Errors are ConfigErrors whose Field is
// the flag name.
func FromFlags(spec FlagSpec) (*Hook, error) {
	d := &diag{}
	h := &Hook{
		Enable:            ConstExpression(true),
		Stages:            StageSet{wire.StageData: true},
		AllowInvalidCerts: spec.AllowInvalidCerts,
		Timeout:           DefaultTimeout,
		TempFailOnError:   !spec.NoTempFail,
		MaxResponseSize:   DefaultMaxResponseSize,
		Auth:              HTTPAuth{Kind: AuthNone},
		Source:            "flags",
	}
	if u, err := checkURL(spec.URL); err != nil {
		d.errorf(0, "--url", "%v", err)
	} else {
		h.URL = u
		if pu, err := url.Parse(u); err == nil {
			h.ID = pu.Host
		}
	}
	if len(spec.Stages) > 0 {
		set := StageSet{}
		for _, item := range spec.Stages {
			for _, name := range strings.Split(item, ",") {
				name = strings.ToLower(strings.TrimSpace(name))
				switch {
				case name == "":
				case name == "all":
					for _, s := range wire.AllStages {
						if s != wire.StageAuth {
							set[s] = true
						}
					}
				case wire.Stage(name).Valid():
					set[wire.Stage(name)] = true
				default:
					d.errorf(0, "--stages", "unknown stage %q (want %s, or all)", name, stageNames())
				}
			}
		}
		if len(set) > 0 {
			h.Stages = set
		}
		warnStages(d, 0, "--stages", set, false)
	}
	if spec.Timeout != "" {
		t, err := parseDuration(spec.Timeout, false)
		if err != nil {
			if gt, gerr := time.ParseDuration(spec.Timeout); gerr == nil && gt > 0 {
				t, err = gt, nil
			}
		}
		if err != nil {
			d.errorf(0, "--timeout", "%v", err)
		} else {
			h.Timeout = t
		}
	}
	switch {
	case spec.MaxResponseSize < 0:
		d.errorf(0, "--max-response-size", "must not be negative")
	case spec.MaxResponseSize > 0:
		h.MaxResponseSize = spec.MaxResponseSize
	}
	switch {
	case spec.Bearer != "" && spec.Basic != "":
		d.errorf(0, "--bearer", "use either --bearer or --basic, not both")
	case spec.Bearer != "":
		if err := checkBearerToken(spec.Bearer); err != nil {
			d.errorf(0, "--bearer", "%v", err)
		}
		h.Auth = HTTPAuth{Kind: AuthBearer, Secret: spec.Bearer}
	case spec.Basic != "":
		user, pass, ok := strings.Cut(spec.Basic, ":")
		user = strings.TrimSpace(user)
		if !ok || user == "" || pass == "" {
			d.errorf(0, "--basic", "expected user:password")
		}
		h.Auth = HTTPAuth{Kind: AuthBasic, Username: user, Secret: pass}
	}
	for _, raw := range spec.Headers {
		name, val, ok := strings.Cut(raw, ":")
		name, val = trimSpace(name), trimSpace(val)
		if !ok {
			d.errorf(0, "--header", "invalid header %q: expected \"Name: value\"", raw)
			continue
		}
		if err := checkHeaderName(name); err != nil {
			d.errorf(0, "--header", "%v", err)
			continue
		}
		if err := checkHeaderValue(val); err != nil {
			d.errorf(0, "--header", "%v", err)
			continue
		}
		if val == "" {
			d.errorf(0, "--header", "header %q has no value (Stalwart's API refuses an empty header value)", name)
			continue
		}
		h.HTTPHeaders = setHeader(h.HTTPHeaders, HeaderField{Name: name, Value: val})
	}
	if err := d.err(); err != nil {
		return nil, err
	}
	return h, nil
}

// String is a short description for logs: id, URL and stages.
func (h *Hook) String() string {
	return fmt.Sprintf("%s (%s, stages %s)", h.ID, h.URL, stagesObject(h.Stages))
}
