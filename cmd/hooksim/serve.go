package main

import (
	"context"
	"fmt"

	"github.com/hooksim/hooksim/web"
)

const serveExamples = `  hooksim serve                                  # http://127.0.0.1:8080/
  hooksim serve --listen 127.0.0.1:9090 --db runs.db
  hooksim serve --listen 0.0.0.0:8080 --public   # prints a URL with an access token
`

// runServe serves the web view of the history database until Ctrl-C.
func runServe(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet("serve", "[flags]\n\nServes the web view (runs, exchanges, messages, replay) of the history database until Ctrl-C.\nRuns recorded by other hooksim processes appear live.", serveExamples, env)
	var db dbFlags
	db.register(fs, false)
	listen := fs.String("listen", web.DefaultListen, "address to listen on; a non-loopback one needs --public")
	public := fs.Bool("public", false, "allow a non-loopback --listen address; every request then needs the printed access token")
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
	srv, err := web.New(web.Config{Store: st, Listen: *listen, Public: *public, Log: env.stderr})
	if err != nil {
		return usageError{err}
	}
	fmt.Fprintf(env.stdout, "hooksim web view on %s (history %s; Ctrl-C to stop)\n", srv.URL(), st.Path())
	return srv.Serve(ctx)
}
