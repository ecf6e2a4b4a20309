package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"sort"
	"strings"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookconf"
)

// hookFlags are the flags every command that calls a hook shares.
type hookFlags struct {
	file    string
	spec    hookconf.FlagSpec
	stages  string
	headers stringList
}

func (f *hookFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.file, "hooks", "", "hook configuration: Stalwart's MtaHook JSON (an object, or a list for a chain) or 0.15 TOML")
	fs.StringVar(&f.spec.URL, "url", "", "the hook's URL (a shortcut for a one-hook configuration; replaces the URL a script or recording names)")
	fs.StringVar(&f.stages, "stages", "", `stages to call the hook at, comma-separated, or "all" (default: the script's or recording's, else "data", as Stalwart)`)
	fs.StringVar(&f.spec.Timeout, "timeout", "", `timeout for the whole exchange, e.g. "5s" or "1500ms" (default 30s)`)
	fs.Var(&f.headers, "header", `an extra HTTP header "Name: value" (repeatable); also the value of a header a script names`)
	fs.StringVar(&f.spec.Bearer, "bearer", "", "a Bearer token (a recorded or scripted hook that used one also takes it from HOOKSIM_BEARER)")
	fs.StringVar(&f.spec.Basic, "basic", "", `Basic credentials "user:password" (a recorded or scripted hook that used them also takes them from HOOKSIM_BASIC)`)
	fs.BoolVar(&f.spec.AllowInvalidCerts, "allow-invalid-certs", false, "accept any TLS certificate")
	fs.BoolVar(&f.spec.NoTempFail, "no-tempfail", false, "tempFailOnError false (a failing hook is skipped instead of answering 451)")
	fs.Int64Var(&f.spec.MaxResponseSize, "max-response-size", 0, "maxResponseSize in bytes (default 52428800)")
}

// flagSpec is the flags as a hookconf.FlagSpec.
func (f *hookFlags) flagSpec() hookconf.FlagSpec {
	spec := f.spec
	if f.stages != "" {
		for _, s := range strings.Split(f.stages, ",") {
			spec.Stages = append(spec.Stages, strings.TrimSpace(s))
		}
	}
	spec.Headers = f.headers
	return spec
}

// anySetting reports flags that shape a hook other than --url.
func (f *hookFlags) anySetting() bool {
	s := f.spec
	return f.stages != "" || s.Timeout != "" || len(f.headers) > 0 || s.Bearer != "" || s.Basic != "" ||
		s.AllowInvalidCerts || s.NoTempFail || s.MaxResponseSize != 0
}

// check refuses flag values that parse but are almost surely a mistake.
func (f *hookFlags) check() error {
	if t := strings.TrimSpace(f.spec.Timeout); t != "" && strings.Trim(t, "0123456789") == "" {
		return usagef("--timeout %s: give a unit, such as %ss or %sms (Stalwart's JSON counts milliseconds; the flag takes a duration)", t, t, t)
	}
	return nil
}

// loadFlags is load that allows no hook at all.
func (f *hookFlags) loadFlags(ctx context.Context, warn func(string)) ([]*hookconf.Hook, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	var hooks []*hookconf.Hook
	if f.file != "" {
		cfg, err := hookconf.Load(ctx, f.file, hookconf.OSEnv{})
		if errors.Is(err, fs.ErrNotExist) {
			return nil, usagef("--hooks %s: no such file", f.file)
		} else if err != nil {
			return nil, usageError{err}
		}
		for _, w := range cfg.Warnings {
			warn(w)
		}
		hooks = append(hooks, cfg.Hooks...)
	}
	if f.spec.URL != "" {
		h, err := hookconf.FromFlags(f.flagSpec())
		if err != nil {
			return nil, usageError{err}
		}
		hooks = append(hooks, h)
	}
	return hooks, nil
}

// hookPlan decides which hooks each session is played against: --hooks
// (and --url) when given; else the hook settings the script carries (its
// `hooks` key, as `hooksim export` writes them), with each flag replacing
// the recorded value it names; else --url alone.
type hookPlan struct {
	flags    *hookFlags
	explicit []*hookconf.Hook // from --hooks / --url, nil when neither
	env      hookconf.Env
	notes    *noteSet
	warn     func(string)
}

// newHookPlan loads what the flags configure and checks them.
func newHookPlan(ctx context.Context, env *cliEnv, f *hookFlags, notes *noteSet) (*hookPlan, error) {
	p := &hookPlan{flags: f, env: cliHookEnv{env}, notes: notes, warn: warnTo(env)}
	var err error
	if p.explicit, err = f.loadFlags(ctx, p.warn); err != nil {
		return nil, err
	}
	return p, nil
}

// needsFlags is the error for a command whose sessions name no hook
// when the flags give none either; nil when some hook is known.
func (p *hookPlan) needsFlags(list []*sessions.Session) error {
	if len(p.explicit) > 0 {
		return nil
	}
	for _, s := range list {
		if s != nil && len(s.Hooks) > 0 {
			return nil
		}
	}
	if p.flags.anySetting() {
		return usagef("--stages, --timeout, --header, --bearer and --basic go with --url (or with the hook settings a script carries)")
	}
	return usagef("no hook to call: give --url URL or --hooks FILE (try \"hooksim demo\" for the example hook)")
}

// forSession returns the hooks to play s against. A script that names no
// hook needs --url or --hooks; one whose recorded hook used credentials
// needs them from the flags or the environment.
func (p *hookPlan) forSession(s *sessions.Session) ([]*hookconf.Hook, error) {
	file := s.File
	switch {
	case p.flags.file != "":
		if len(s.Hooks) > 0 {
			p.notes.add(fmt.Sprintf("--hooks %s replaces the hook settings the script names", p.flags.file), file)
		}
		return p.explicit, nil
	case len(s.Hooks) > 1 && p.flags.spec.URL != "":
		p.notes.add(fmt.Sprintf("--url %s replaces the chain of hooks the script names", hookconf.RedactURL(p.flags.spec.URL)), file)
		return p.explicit, nil
	case len(s.Hooks) > 0:
		spec := p.flags.flagSpec()
		hooks := make([]*hookconf.Hook, 0, len(s.Hooks))
		for i, sh := range s.Hooks {
			h, overrides, warnings, err := hookconf.Rebuild(hookconf.SettingsOf(sh), spec, p.env)
			if err != nil {
				return nil, usagef("%s:%d: hooks[%d]: %v", file, sh.Line, i, err)
			}
			// An id that only named the recorded address follows --url, so
			// that transcripts name the hook that is called.
			if spec.URL != "" && sh.ID != "" && sh.ID == hostOf(sh.URL) {
				h.ID = hostOf(spec.URL)
			}
			for _, o := range overrides {
				p.notes.add(o.String(), file)
			}
			for _, w := range warnings {
				p.notes.addWarning(w, file)
			}
			hooks = append(hooks, h)
		}
		return hooks, nil
	case len(p.explicit) > 0:
		return p.explicit, nil
	case p.flags.anySetting():
		return nil, usagef("%s names no hook: give --url URL (the other hook flags go with it) or --hooks FILE", file)
	}
	return nil, usagef("%s names no hook to call: give --url URL or --hooks FILE (scripts written by hooksim export carry the hook's settings)", file)
}

// cliHookEnv is the CLI's environment for hook secrets.
type cliHookEnv struct{ env *cliEnv }

func (e cliHookEnv) LookupEnv(name string) (string, bool) { return e.env.getenv(name) }
func (e cliHookEnv) ReadFile(path string) ([]byte, error) { return os.ReadFile(path) }

// noteSet collects notes and warnings that many sessions may share, so
// each is printed once with the files it concerns.
type noteSet struct {
	order []string
	files map[string][]string
	warn  map[string]bool
}

func newNoteSet() *noteSet { return &noteSet{files: map[string][]string{}, warn: map[string]bool{}} }

func (n *noteSet) add(msg, file string) {
	if _, ok := n.files[msg]; !ok {
		n.order = append(n.order, msg)
	}
	if file != "" && (len(n.files[msg]) == 0 || n.files[msg][len(n.files[msg])-1] != file) {
		n.files[msg] = append(n.files[msg], file)
	}
}

func (n *noteSet) addWarning(msg, file string) {
	n.add(msg, file)
	n.warn[msg] = true
}

// flush prints every note once, as "note: MSG (a.yaml, b.yaml)", and
// forgets them.
func (n *noteSet) flush(w func(string)) {
	for _, msg := range n.order {
		files := n.files[msg]
		where := strings.Join(files, ", ")
		if len(files) > 3 {
			where = fmt.Sprintf("%s and %d more", strings.Join(files[:3], ", "), len(files)-3)
		}
		kind := "note"
		if n.warn[msg] {
			kind = "warning"
		}
		if where != "" {
			msg += " (" + where + ")"
		}
		w(kind + ": " + msg)
	}
	n.order, n.files, n.warn = nil, map[string][]string{}, map[string]bool{}
}

// distinctHooks lists every hook in sets once, by its redacted settings,
// in first-seen order (for reports).
func distinctHooks(sets [][]*hookconf.Hook) []*hookconf.Hook {
	var out []*hookconf.Hook
	seen := map[string]bool{}
	for _, set := range sets {
		for _, h := range set {
			b, _ := json.Marshal(h.Redacted())
			if !seen[string(b)] {
				seen[string(b)] = true
				out = append(out, h)
			}
		}
	}
	return out
}

// configLints are the configuration lints of every hook set, once each.
func configLints(sets [][]*hookconf.Hook) []string {
	var out []string
	seen := map[string]bool{}
	for _, set := range sets {
		for _, l := range simulator.ConfigLints(set) {
			if s := l.String(); !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	sort.Strings(out)
	return out
}

func warnTo(env *cliEnv) func(string) {
	return func(s string) { fmt.Fprintln(env.stderr, "hooksim: warning:", s) }
}

// hostOf is the host (and port) of a URL, "" when it does not parse.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Host
}
