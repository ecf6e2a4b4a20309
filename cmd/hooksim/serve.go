package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"strings"

	"github.com/hooksim/hooksim/simulator/smtpd"
	"github.com/hooksim/hooksim/web"
)

const serveExamples = `  hooksim serve                                  # http://127.0.0.1:8080/
  hooksim serve --listen 127.0.0.1:9090 --db runs.db
  hooksim serve --listen 0.0.0.0:8080 --public --allow-target http://127.0.0.1:8025/   # prints a URL with an access token
`

// runServe serves the web view of the history database until Ctrl-C.
func runServe(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet("serve", "[flags]\n\nServes the web view (runs, exchanges, messages, replay) of the history database until Ctrl-C.\nRuns recorded by other hooksim processes appear live.", serveExamples, env)
	var db dbFlags
	db.register(fs, false)
	listen := fs.String("listen", web.DefaultListen, "address to listen on; a non-loopback one needs --public")
	public := fs.Bool("public", false, "allow a non-loopback --listen address; every request then needs the printed access token")
	tlsCert := fs.String("tls-cert", "", "serve HTTPS with this PEM certificate chain (the access token then does not travel in clear)")
	tlsKey := fs.String("tls-key", "", "PEM private key of --tls-cert")
	var allow stringList
	fs.Var(&allow, "allow-target", "with --public: a hook URL prefix the page's replay, play and send may call (repeatable; \"*\": any);\nnone: they call no hook")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("serve takes no arguments, got %q", rest)
	}
	st, err := db.openToWatch(ctx, env)
	if err != nil {
		return err
	}
	defer st.Close()
	if (*tlsCert == "") != (*tlsKey == "") {
		return usagef("--tls-cert and --tls-key go together")
	}
	var tcfg *tls.Config
	if *tlsCert != "" {
		if tcfg, err = smtpd.LoadCertificate(*tlsCert, *tlsKey); err != nil {
			return usageError{err}
		}
	}
	if len(allow) > 0 && !*public {
		return usagef("--allow-target limits what a --public web view calls: give --public too (a loopback one calls any hook)")
	}
	srv, err := web.New(web.Config{Store: st, Listen: *listen, Public: *public, AllowTargets: allow, TLS: tcfg, Log: env.stderr})
	if err != nil {
		return usageError{err}
	}
	fmt.Fprintf(env.stdout, "hooksim web view on %s (history %s; Ctrl-C to stop)\n", srv.URL(), st.Path())
	if *public {
		if tcfg == nil {
			fmt.Fprintln(env.stdout, "public: every request needs the access token, which travels in clear over plain HTTP (--tls-cert/--tls-key serve HTTPS): use it only on a network you trust")
		} else {
			fmt.Fprintln(env.stdout, "public: every request needs the access token (over HTTPS)")
		}
		if len(allow) == 0 {
			fmt.Fprintln(env.stdout, "replay, play and send call no hook (give --allow-target URL-PREFIX for the hooks they may call)")
		} else {
			fmt.Fprintf(env.stdout, "replay, play and send call only %s\n", strings.Join(allow, ", "))
		}
	}
	return srv.Serve(ctx)
}
