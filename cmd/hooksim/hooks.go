package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

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
	fs.StringVar(&f.spec.URL, "url", "", "the hook's URL (a shortcut for a one-hook configuration)")
	fs.StringVar(&f.stages, "stages", "", `with --url: stages to call the hook at, comma-separated, or "all" (default "data", as Stalwart)`)
	fs.StringVar(&f.spec.Timeout, "timeout", "", `with --url: timeout for the whole exchange, e.g. "5s" or "1500ms" (default 30s)`)
	fs.Var(&f.headers, "header", `with --url: an extra HTTP header "Name: value" (repeatable)`)
	fs.StringVar(&f.spec.Bearer, "bearer", "", "with --url: a Bearer token")
	fs.StringVar(&f.spec.Basic, "basic", "", `with --url: Basic credentials "user:password"`)
	fs.BoolVar(&f.spec.AllowInvalidCerts, "allow-invalid-certs", false, "with --url: accept any TLS certificate")
	fs.BoolVar(&f.spec.NoTempFail, "no-tempfail", false, "with --url: tempFailOnError false (a failing hook is skipped instead of answering 451)")
	fs.Int64Var(&f.spec.MaxResponseSize, "max-response-size", 0, "with --url: maxResponseSize in bytes (default 52428800)")
}

// load resolves the configured hooks: the file's chain first, then the
// --url hook. Warnings go to warn.
func (f *hookFlags) load(ctx context.Context, warn func(string)) ([]*hookconf.Hook, error) {
	var hooks []*hookconf.Hook
	if f.file != "" {
		cfg, err := hookconf.Load(ctx, f.file, hookconf.OSEnv{})
		if err != nil {
			return nil, usageError{err}
		}
		for _, w := range cfg.Warnings {
			warn(w)
		}
		hooks = append(hooks, cfg.Hooks...)
	}
	if f.spec.URL != "" {
		spec := f.spec
		if f.stages != "" {
			for _, s := range strings.Split(f.stages, ",") {
				spec.Stages = append(spec.Stages, strings.TrimSpace(s))
			}
		}
		spec.Headers = f.headers
		h, err := hookconf.FromFlags(spec)
		if err != nil {
			return nil, usageError{err}
		}
		hooks = append(hooks, h)
	} else if f.stages != "" || f.spec.Timeout != "" || len(f.headers) > 0 || f.spec.Bearer != "" || f.spec.Basic != "" {
		return nil, usagef("--stages, --timeout, --header, --bearer and --basic go with --url")
	}
	if len(hooks) == 0 {
		return nil, usagef("no hook to call: give --url URL or --hooks FILE (try \"hooksim demo\" for the example hook)")
	}
	return hooks, nil
}

func warnTo(env *cliEnv) func(string) {
	return func(s string) { fmt.Fprintln(env.stderr, "hooksim: warning:", s) }
}
